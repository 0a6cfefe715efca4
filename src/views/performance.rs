//! Performance of the processes the shared filter keeps: a dotted chart
//! (each process a row, each event a dot at its time, coloured by activity;
//! rows by start or by duration; zoom and pan; the event under the pointer
//! on hover), a histogram of case durations, and a table of activities
//! (events, cases, mean and median time to the next event).
//!
//! The cases are read and the figures computed by the core
//! (`analysis::CaseLog`, `analysis::charts::Performance`) in a background
//! job, again when the filter or the store changes. The dotted chart draws
//! its dots as one mesh, only those in view and one per pixel, so that a
//! quarter of a million events stay smooth; the mesh
//! is kept while the chart's view does not change (a still or hovered chart
//! does not draw it again).

use std::collections::HashSet;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};

use egui::{Color32, Mesh, Pos2, Rect, RichText, Shape, Ui, Vec2};
use egui_extras::{Column, TableBuilder};
use egui_plot::{
    Bar, BarChart, GridMark, Plot, PlotBounds, PlotGeometry, PlotItem, PlotItemBase, PlotPoint,
    PlotTransform,
};
use time::OffsetDateTime;

use crate::state::filter::Within;
use crate::state::jobs::{Job, Worker};
use crate::state::loadable::Loadable;
use crate::widgets::style::{ROW_HEIGHT, failure_colour};
use crate::widgets::time::{format_count, format_time};
use process_workbench_core::analysis::CaseLog;
use process_workbench_core::analysis::charts::{CaseOrder, Performance, nearest_event};
use process_workbench_core::store::Store;

use super::ViewContext;

/// Bins of the durations histogram.
const BINS: usize = 40;
/// Nanoseconds in a day: the dotted chart's x axis counts days.
const DAY: f64 = 86_400e9;
/// Activities named in the chart's legend; the rest are counted.
const LEGEND: usize = 40;

/// The tabs of the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PerformanceTab {
    #[default]
    DottedChart,
    Durations,
    Activities,
}

impl PerformanceTab {
    const ALL: [PerformanceTab; 3] = [Self::DottedChart, Self::Durations, Self::Activities];

    fn label(self) -> &'static str {
        match self {
            Self::DottedChart => "Dotted chart",
            Self::Durations => "Durations",
            Self::Activities => "Activities",
        }
    }
}

/// The cases and their figures.
pub struct PerformanceData {
    pub log: CaseLog,
    pub figures: Performance,
}

type Outcome = Result<PerformanceData, String>;

/// What the figures were computed for: the store's generation and the
/// filter's selection (its address: a new evaluation is a new selection).
type Key = (u64, Option<usize>);

/// The view's state.
#[derive(Default)]
pub struct PerformanceView {
    tab: PerformanceTab,
    order: CaseOrder,
    data: Loadable<Arc<PerformanceData>>,
    key: Option<Key>,
    job: Option<Job<Outcome>>,
    /// The dotted chart's last mesh and what it was drawn for.
    drawn_dots: Arc<Mutex<Option<DrawnDots>>>,
}

impl PerformanceView {
    /// Whether the figures are being computed.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// Shows a tab (tests, screenshots).
    pub fn set_tab(&mut self, tab: PerformanceTab) {
        self.tab = tab;
    }

    /// Orders the dotted chart's rows.
    pub fn set_order(&mut self, order: CaseOrder) {
        self.order = order;
    }

    /// The figures shown now.
    pub fn data(&self) -> Option<&Arc<PerformanceData>> {
        self.data.current()
    }

    /// Starts computing when the store or the filter's selection changed.
    fn sync(&mut self, ctx: &ViewContext<'_>, repaint: &egui::Context) {
        let selection = match ctx.filter.within() {
            Within::All => None,
            Within::Pending => return,
            Within::Only(selection) => Some(Arc::clone(selection)),
        };
        let key = (
            ctx.store.generation,
            selection
                .as_ref()
                .map(|selection| Arc::as_ptr(selection) as usize),
        );
        if self.key == Some(key) {
            return;
        }
        self.key = Some(key);
        self.data.start_loading();
        let store = Arc::clone(&ctx.store.store);
        self.job = Some(Job::spawn(
            "Reading the cases",
            Some(repaint.clone()),
            move |worker: &Worker<Outcome>| {
                let streams = selection.map(|selection| selection.to_set());
                worker.send(compute(&store, streams.as_ref()));
            },
        ));
    }

    /// Takes in what the job computed (called every frame).
    pub fn poll(&mut self) {
        let Some(job) = &mut self.job else {
            return;
        };
        for outcome in job.poll() {
            self.data.finish(outcome.map(Arc::new));
        }
        if job.is_finished() {
            self.job = None;
            if self.data.is_loading() {
                self.data
                    .finish(Err("reading the cases stopped unexpectedly".to_string()));
            }
        }
    }

    /// Shows the view.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        self.sync(ctx, ui.ctx());
        self.poll();
        ui.horizontal(|ui| {
            for tab in PerformanceTab::ALL {
                ui.selectable_value(&mut self.tab, tab, tab.label());
            }
            if self.job.is_some() {
                ui.separator();
                ui.add(egui::Spinner::new());
                ui.label("Reading the cases…");
            }
        });
        if matches!(ctx.filter.within(), Within::Pending) {
            ui.label("Applying the filter…");
        }
        if let Some(error) = self.data.error() {
            ui.colored_label(
                failure_colour(ui),
                format!("The cases could not be read: {error}"),
            );
        }
        let Some(data) = self.data.current().cloned() else {
            return;
        };
        summary_line_ui(ui, &data);
        if data.log.is_empty() {
            ui.label("No process with events to show.");
            return;
        }
        match self.tab {
            PerformanceTab::DottedChart => self.dotted_chart_ui(ui, &data),
            PerformanceTab::Durations => durations_ui(ui, &data),
            PerformanceTab::Activities => activities_ui(ui, &data),
        }
    }

    fn dotted_chart_ui(&mut self, ui: &mut Ui, data: &Arc<PerformanceData>) {
        let colours = palette(data.log.activities().len());
        ui.horizontal(|ui| {
            ui.label("Rows by");
            ui.selectable_value(&mut self.order, CaseOrder::Start, "start");
            ui.selectable_value(&mut self.order, CaseOrder::Duration, "duration");
            ui.separator();
            ui.weak("Scroll or pinch to zoom, drag to pan, double-click to see all.");
        });
        legend_ui(ui, data.log.activities(), &colours);
        let origin = data.figures.first;
        let rows = data.figures.rows(self.order).len();
        let span_days = (data.figures.last.saturating_sub(origin) as f64 / DAY).max(1e-6);
        let dots = Dots {
            base: PlotItemBase::new("events".to_string()),
            data: Arc::clone(data),
            order: self.order,
            colours: colours.clone(),
            drawn: Arc::clone(&self.drawn_dots),
        };
        let response = Plot::new(match self.order {
            CaseOrder::Start => "dotted_chart_by_start",
            CaseOrder::Duration => "dotted_chart_by_duration",
        })
        .show_x(false)
        .show_y(false)
        .invert_y(true)
        .allow_double_click_reset(true)
        .include_x(0.0)
        .include_x(span_days)
        .include_y(-0.5)
        .include_y(rows as f64 - 0.5)
        .x_axis_formatter(move |mark, range| day_label(origin, mark, range))
        .y_axis_formatter(|mark, _| {
            if mark.value >= 0.0 && mark.value.fract() == 0.0 {
                format!("{}", mark.value as u64 + 1)
            } else {
                String::new()
            }
        })
        .x_axis_label("time")
        .y_axis_label(match self.order {
            CaseOrder::Start => "processes by start",
            CaseOrder::Duration => "processes by duration",
        })
        .show(ui, |plot_ui| plot_ui.add(dots));
        let Some(pointer) = response.response.hover_pos() else {
            return;
        };
        let value = response.transform.value_from_position(pointer);
        let row = value.y.round();
        let order = data.figures.rows(self.order);
        if row < 0.0 || row as usize >= order.len() {
            return;
        }
        let case = data.log.case(order[row as usize] as usize);
        let at = origin.saturating_add((value.x * DAY) as i64);
        let Some(index) = nearest_event(case.events, at) else {
            return;
        };
        let event = case.events[index];
        let dot = response
            .transform
            .position_from_point(&PlotPoint::new((event.time - origin) as f64 / DAY, row));
        if dot.distance(pointer) > 8.0 {
            return;
        }
        let activity = &data.log.activities()[event.activity as usize];
        let when = OffsetDateTime::from_unix_timestamp_nanos(i128::from(event.time))
            .map(format_time)
            .unwrap_or_default();
        let duration = data.figures.duration(case.index);
        response.response.on_hover_ui_at_pointer(|ui| {
            ui.label(RichText::new(case.stream_id).strong());
            ui.label(format!(
                "{activity} · event {} of {}",
                index + 1,
                case.events.len()
            ));
            ui.label(format!("{when} · version {}", event.version));
            ui.label(format!("process duration {}", format_duration(duration)));
        });
    }
}

/// Reads the cases of `streams` (every stream when `None`) and computes their figures.
fn compute(store: &Store, streams: Option<&HashSet<String>>) -> Outcome {
    let reader = store.read().map_err(|error| error.to_string())?;
    let log = CaseLog::load(&reader, streams, None).map_err(|error| error.to_string())?;
    let figures = Performance::of(&log, BINS);
    Ok(PerformanceData { log, figures })
}

fn summary_line_ui(ui: &mut Ui, data: &PerformanceData) {
    let mut line = format!(
        "{} processes · {} events · {} activities",
        format_count(data.log.len() as u64),
        format_count(data.log.event_count() as u64),
        data.log.activities().len()
    );
    if let Some(durations) = &data.figures.durations {
        line.push_str(&format!(
            " · duration mean {}, median {}, longest {}",
            format_duration(durations.mean),
            format_duration(durations.median),
            format_duration(durations.max)
        ));
    }
    ui.label(line);
}

/// A wrapped row of the activities with their colours.
fn legend_ui(ui: &mut Ui, activities: &[String], colours: &[Color32]) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 10.0;
        let font = egui::TextStyle::Small.resolve(ui.style());
        let text = ui.visuals().text_color();
        for (activity, colour) in activities.iter().zip(colours).take(LEGEND) {
            // Swatch and name as one widget, so that a line breaks between activities.
            let galley = ui
                .painter()
                .layout_no_wrap(activity.clone(), font.clone(), text);
            let swatch = 9.0;
            let size = Vec2::new(swatch + 4.0 + galley.size().x, galley.size().y);
            let (rect, response) = ui.allocate_exact_size(size, egui::Sense::hover());
            let square = Rect::from_min_size(
                Pos2::new(rect.left(), rect.center().y - swatch / 2.0),
                Vec2::splat(swatch),
            );
            ui.painter().rect_filled(square, 2.0, *colour);
            ui.painter()
                .galley(Pos2::new(square.right() + 4.0, rect.top()), galley, text);
            response.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::Label, true, activity.as_str())
            });
        }
        if activities.len() > LEGEND {
            ui.weak(format!("and {} more", activities.len() - LEGEND));
        }
    });
}

fn swatch_ui(ui: &mut Ui, colour: Color32) {
    let (rect, _) = ui.allocate_exact_size(Vec2::splat(9.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, colour);
}

/// Distinct colours, one an activity: hues around the circle by the golden
/// angle, so neighbours differ; two lightness steps for many activities.
fn palette(count: usize) -> Vec<Color32> {
    (0..count)
        .map(|index| {
            let hue = (index as f32 * 0.618_034).fract();
            let value = if index % 2 == 0 { 0.95 } else { 0.75 };
            egui::ecolor::Hsva::new(hue, 0.75, value, 1.0).into()
        })
        .collect()
}

/// The x axis's label of a mark `days` after `origin`: the date, with the
/// time of day when the view spans under a few days.
fn day_label(origin: i64, mark: GridMark, range: &RangeInclusive<f64>) -> String {
    let nanos = i128::from(origin) + (mark.value * DAY) as i128;
    let Ok(at) = OffsetDateTime::from_unix_timestamp_nanos(nanos) else {
        return String::new();
    };
    let date = at.date();
    if range.end() - range.start() < 3.0 {
        format!(
            "{:02}-{:02} {:02}:{:02}",
            u8::from(date.month()),
            date.day(),
            at.hour(),
            at.minute()
        )
    } else {
        format!(
            "{}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        )
    }
}

/// A duration in seconds as people read it: "45 s", "12 min", "3.5 h", "4.2 d".
pub fn format_duration(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.0} s")
    } else if seconds < 3_600.0 {
        format!("{:.1} min", seconds / 60.0)
    } else if seconds < 86_400.0 {
        format!("{:.1} h", seconds / 3_600.0)
    } else {
        format!("{:.1} d", seconds / 86_400.0)
    }
}

/// The unit a histogram's axis counts in: (seconds per unit, name).
fn unit_of(seconds: f64) -> (f64, &'static str) {
    if seconds < 120.0 {
        (1.0, "seconds")
    } else if seconds < 7_200.0 {
        (60.0, "minutes")
    } else if seconds < 172_800.0 {
        (3_600.0, "hours")
    } else {
        (86_400.0, "days")
    }
}

fn durations_ui(ui: &mut Ui, data: &PerformanceData) {
    let histogram = &data.figures.histogram;
    let longest = histogram.last().map_or(0.0, |bin| bin.to);
    let (unit, unit_name) = unit_of(longest);
    let fill = ui.visuals().selection.bg_fill;
    let bars: Vec<Bar> = histogram
        .iter()
        .map(|bin| {
            Bar::new((bin.from + bin.to) / 2.0 / unit, bin.count as f64)
                .width((bin.to - bin.from) / unit)
                .fill(fill)
        })
        .collect();
    let chart = BarChart::new("case durations", bars).element_formatter(Box::new(
        move |bar: &Bar, _: &BarChart| {
            let from = (bar.argument - bar.bar_width / 2.0) * unit;
            let to = (bar.argument + bar.bar_width / 2.0) * unit;
            format!(
                "{} – {}\n{} processes",
                format_duration(from.max(0.0)),
                format_duration(to),
                format_count(bar.value as u64)
            )
        },
    ));
    ui.label(format!(
        "How long the processes took, first to last event, in {} bins",
        histogram.len()
    ));
    Plot::new("durations_histogram")
        .allow_double_click_reset(true)
        .include_y(0.0)
        .show_x(false)
        .show_y(false)
        .x_axis_label(format!("duration ({unit_name})"))
        .y_axis_label("processes")
        .show(ui, |plot_ui| plot_ui.bar_chart(chart));
}

fn activities_ui(ui: &mut Ui, data: &PerformanceData) {
    let colours = palette(data.log.activities().len());
    let colour_of = |name: &str| {
        data.log
            .activity_index(name)
            .and_then(|index| colours.get(index as usize).copied())
            .unwrap_or(Color32::GRAY)
    };
    let stats = &data.figures.activities;
    TableBuilder::new(ui)
        .id_salt("activities_table")
        .striped(true)
        .resizable(true)
        .auto_shrink([false, false])
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::auto().at_least(160.0))
        .columns(Column::auto().at_least(70.0), 4)
        .header(ROW_HEIGHT + 4.0, |mut header| {
            for title in [
                "Activity",
                "Events",
                "Processes",
                "Mean to next",
                "Median to next",
            ] {
                header.col(|ui| {
                    ui.label(RichText::new(title).strong());
                });
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, stats.len(), |mut row| {
                let Some(activity) = stats.get(row.index()) else {
                    return;
                };
                row.col(|ui| {
                    swatch_ui(ui, colour_of(&activity.activity));
                    ui.label(&activity.activity);
                });
                row.col(|ui| {
                    ui.label(format_count(activity.events));
                });
                row.col(|ui| {
                    ui.label(format_count(activity.cases));
                });
                let (mean, median) = match &activity.to_next {
                    Some(to_next) => (
                        format_duration(to_next.mean),
                        format_duration(to_next.median),
                    ),
                    None => ("—".to_string(), "—".to_string()),
                };
                row.col(|ui| {
                    ui.label(mean).on_hover_text(
                        "Mean time from this activity to the next event of the same process",
                    );
                });
                row.col(|ui| {
                    ui.label(median);
                });
            });
        });
}

/// The dots of the dotted chart as one plot item: x is days since the
/// first event, y the row.
struct Dots {
    base: PlotItemBase,
    data: Arc<PerformanceData>,
    order: CaseOrder,
    colours: Vec<Color32>,
    /// The mesh of the frame before, shared with the view.
    drawn: Arc<Mutex<Option<DrawnDots>>>,
}

/// A drawn mesh of dots and what it shows: the same figures, rows and view
/// give the same mesh.
struct DrawnDots {
    data: usize,
    order: CaseOrder,
    bounds: [f64; 4],
    frame: Rect,
    mesh: Arc<Mesh>,
}

impl DrawnDots {
    fn shows(&self, dots: &Dots, bounds: [f64; 4], frame: Rect) -> bool {
        self.data == Arc::as_ptr(&dots.data) as usize
            && self.order == dots.order
            && self.bounds == bounds
            && self.frame == frame
    }
}

impl Dots {
    /// The dots in view, as one mesh.
    fn mesh(&self, transform: &PlotTransform) -> Mesh {
        let bounds = transform.bounds();
        let frame = *transform.frame();
        let rows = self.data.figures.rows(self.order);
        let dots = self.data.figures.dots(self.order);
        let origin = self.data.figures.first;
        let first_row = bounds.min()[1].floor().max(0.0) as usize;
        let last_row = (bounds.max()[1].ceil().max(0.0) as usize).min(rows.len().saturating_sub(1));
        let mut mesh = Mesh::default();
        if rows.is_empty() || first_row > last_row {
            return mesh;
        }
        let from = origin.saturating_add((bounds.min()[0] * DAY) as i64);
        let to = origin.saturating_add((bounds.max()[0] * DAY) as i64);
        // Dots as big as a row allows, between 1.5 and 4 pixels across.
        let row_pixels = transform.dpos_dvalue_y().abs() as f32;
        let size = (row_pixels * 0.6).clamp(1.5, 4.0);
        // One dot per pixel: the rest would be drawn under it (a zoomed-out
        // chart of many processes has far more events than pixels).
        let width = frame.width().ceil() as usize + 1;
        let height = frame.height().ceil() as usize + 1;
        let mut taken = vec![false; width * height];
        for row in first_row..=last_row {
            let events = dots.row(row);
            let start = events.partition_point(|event| event.time < from);
            let end = events.partition_point(|event| event.time <= to);
            let y = transform.position_from_point_y(row as f64);
            let cell_y = ((y - frame.top()).max(0.0) as usize).min(height - 1);
            for event in &events[start..end] {
                let x = transform.position_from_point_x((event.time - origin) as f64 / DAY);
                let cell_x = ((x - frame.left()).max(0.0) as usize).min(width - 1);
                let Some(cell) = taken.get_mut(cell_y * width + cell_x) else {
                    continue;
                };
                if *cell {
                    continue;
                }
                *cell = true;
                let colour = self
                    .colours
                    .get(event.activity as usize)
                    .copied()
                    .unwrap_or(Color32::GRAY);
                mesh.add_colored_rect(
                    Rect::from_center_size(Pos2::new(x, y), Vec2::splat(size)),
                    colour,
                );
            }
        }
        mesh
    }
}

impl PlotItem for Dots {
    fn shapes(&self, _ui: &Ui, transform: &PlotTransform, shapes: &mut Vec<Shape>) {
        let bounds = transform.bounds();
        let frame = *transform.frame();
        let view = [
            bounds.min()[0],
            bounds.min()[1],
            bounds.max()[0],
            bounds.max()[1],
        ];
        let mut drawn = self.drawn.lock().ok();
        if let Some(Some(last)) = drawn.as_deref()
            && last.shows(self, view, frame)
        {
            shapes.push(Shape::Mesh(Arc::clone(&last.mesh)));
            return;
        }
        let mesh = Arc::new(self.mesh(transform));
        shapes.push(Shape::Mesh(Arc::clone(&mesh)));
        if let Some(drawn) = drawn.as_deref_mut() {
            *drawn = Some(DrawnDots {
                data: Arc::as_ptr(&self.data) as usize,
                order: self.order,
                bounds: view,
                frame,
                mesh,
            });
        }
    }

    fn initialize(&mut self, _x_range: RangeInclusive<f64>) {}

    fn color(&self) -> Color32 {
        Color32::GRAY
    }

    fn geometry(&self) -> PlotGeometry<'_> {
        PlotGeometry::None
    }

    fn bounds(&self) -> PlotBounds {
        let rows = self.data.figures.rows(self.order).len() as f64;
        let days = self
            .data
            .figures
            .last
            .saturating_sub(self.data.figures.first) as f64
            / DAY;
        PlotBounds::from_min_max([0.0, -0.5], [days, rows - 0.5])
    }

    fn base(&self) -> &PlotItemBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut PlotItemBase {
        &mut self.base
    }
}
