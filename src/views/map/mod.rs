//! The process map: the directly-follows graph of the store's processes (or
//! of one object type's), as the core computes it (`analysis`).
//!
//! The map is computed in a background job when the store or the object type
//! changes; the sliders (share of activities, share of paths, as in Disco)
//! and the mode (frequency or performance) only thin and restyle the map
//! already computed, so moving them redraws at once. A click on an activity
//! or an edge lists the processes that contain it in the stream browser.

mod canvas;

use std::sync::Arc;

use egui::{RichText, Ui};

use crate::state::command::{Command, ExportRequest};
use crate::state::filter::Within;
use crate::state::jobs::{Job, Worker};
use crate::state::loadable::Loadable;
use crate::widgets::time::format_count;
use process_workbench_core::actions::GraphFormat;
use process_workbench_core::analysis::drawing::{duration_text, lay_out};
use process_workbench_core::analysis::{
    CaseLog, MapDrawing, MapElement, MapMode, MapRequest, ProcessMap, cases_containing,
    object_types,
};
use process_workbench_core::search::ProcessSelection;

use super::ViewContext;
use canvas::{CanvasState, Clicked};

/// A map computed for one store generation and object type.
pub struct Computed {
    pub generation: u64,
    pub object_type: Option<String>,
    pub log: CaseLog,
    pub map: ProcessMap,
}

/// The drawing of the computed map at one setting of mode and sliders.
struct Drawn {
    key: (MapMode, u32, u32),
    drawing: MapDrawing,
}

/// The Map view's state.
pub struct MapView {
    object_type: Option<String>,
    /// The store's object types (process types) with their stream counts.
    types: Option<(u64, Vec<(String, u64)>)>,
    mode: MapMode,
    /// Sliders, in percent.
    activity_percent: u32,
    path_percent: u32,
    computed: Loadable<Arc<Computed>>,
    /// The (generation, object type, filter selection) of the map computed
    /// or being computed; the selection by its address (a new evaluation of
    /// the filter is a new selection).
    requested: Option<(u64, Option<String>, Option<usize>)>,
    /// The processes the shared filter keeps (`None`: every process).
    selection: Option<Arc<ProcessSelection>>,
    job: Option<Job<Result<Computed, String>>>,
    drawn: Option<Drawn>,
    canvas: CanvasState,
    selected: Option<MapElement>,
}

impl Default for MapView {
    fn default() -> Self {
        MapView {
            object_type: None,
            types: None,
            mode: MapMode::Frequency,
            activity_percent: 100,
            path_percent: 100,
            computed: Loadable::Idle,
            requested: None,
            selection: None,
            job: None,
            drawn: None,
            canvas: CanvasState::default(),
            selected: None,
        }
    }
}

impl MapView {
    /// Whether the map is being computed.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// The map shown now (tests).
    pub fn map(&self) -> Option<&ProcessMap> {
        self.computed.current().map(|computed| &computed.map)
    }

    /// Sets the sliders, in percent (tests, the benchmark).
    pub fn set_shares(&mut self, activities: u32, paths: u32) {
        self.activity_percent = activities.min(100);
        self.path_percent = paths.min(100);
    }

    /// Sets the mode (tests).
    pub fn set_mode(&mut self, mode: MapMode) {
        self.mode = mode;
    }

    /// The drawing of the last frame (tests, the benchmark).
    pub fn drawing(&self) -> Option<&MapDrawing> {
        self.drawn.as_ref().map(|drawn| &drawn.drawing)
    }

    /// The streams the map is of: those the filter keeps (`None`: every stream).
    fn streams(&self) -> Option<Vec<String>> {
        self.selection
            .as_ref()
            .map(|selection| selection.ids.clone())
    }

    /// Takes the result of the job; the app calls this every frame.
    pub fn poll(&mut self) {
        let Some(job) = &mut self.job else {
            return;
        };
        for result in job.poll() {
            self.computed.finish(result.map(Arc::new));
            self.drawn = None;
            self.canvas.request_fit();
        }
        if job.is_finished() {
            self.job = None;
        }
    }

    /// Starts computing the map when the store, the object type or the
    /// processes the filter keeps changed.
    fn sync(&mut self, ctx: &ViewContext<'_>, repaint: &egui::Context) {
        let generation = ctx.store.generation;
        if self.types.as_ref().map(|(at, _)| *at) != Some(generation) {
            let types = ctx
                .store
                .store
                .read()
                .and_then(|reader| object_types(&reader))
                .unwrap_or_default();
            self.types = Some((generation, types));
        }
        let selection = match ctx.filter.within() {
            Within::All => None,
            Within::Pending => return,
            Within::Only(selection) => Some(Arc::clone(selection)),
        };
        let wanted = (
            generation,
            self.object_type.clone(),
            selection
                .as_ref()
                .map(|selection| Arc::as_ptr(selection) as usize),
        );
        if self.requested.as_ref() == Some(&wanted) {
            return;
        }
        self.selection = selection;
        // The latest request wins: a job still running is dropped (cancelled).
        self.requested = Some(wanted);
        self.computed.start_loading();
        self.selected = None;
        let store = Arc::clone(&ctx.store.store);
        let object_type = self.object_type.clone();
        let streams = self.streams();
        self.job = Some(Job::spawn(
            "Computing the process map",
            Some(repaint.clone()),
            move |worker: &Worker<Result<Computed, String>>| {
                let request = MapRequest {
                    streams,
                    object_type: object_type.clone(),
                    ..MapRequest::default()
                };
                let result = store
                    .read()
                    .map_err(|error| error.to_string())
                    .and_then(|reader| request.compute(&reader).map_err(|error| error.to_string()))
                    .map(|(log, map)| Computed {
                        generation,
                        object_type,
                        log,
                        map,
                    });
                worker.send(result);
            },
        ));
    }

    /// Shows the view.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        self.poll();
        self.sync(ctx, ui.ctx());
        self.toolbar_ui(ui, ctx);
        if self.job.is_some() {
            ui.horizontal(|ui| {
                ui.add(egui::Spinner::new());
                ui.label("Computing the process map…");
            });
        }
        if let Some(error) = self.computed.error() {
            ui.colored_label(crate::widgets::style::failure_colour(ui), error.to_string());
        }
        let Some(computed) = self.computed.current().cloned() else {
            if self.job.is_none() {
                ui.label("No map yet.");
            }
            return;
        };
        let key = (self.mode, self.activity_percent, self.path_percent);
        if self.drawn.as_ref().map(|drawn| drawn.key) != Some(key) {
            let thinned = computed.map.thin(
                self.activity_percent as f32 / 100.0,
                self.path_percent as f32 / 100.0,
            );
            self.drawn = Some(Drawn {
                key,
                drawing: lay_out(&computed.map, &thinned, self.mode),
            });
        }
        self.summary_ui(ui, &computed);
        let Some(drawn) = &self.drawn else {
            return;
        };
        if computed.map.activities.is_empty() {
            ui.label("These processes have no events.");
            return;
        }
        if let Some(clicked) = self.canvas.ui(ui, &drawn.drawing, self.selected) {
            match clicked {
                Clicked::Element(element) => {
                    self.selected = Some(element);
                    let ids = cases_containing(&computed.log, element);
                    let label = format!(
                        "the {} processes containing {}",
                        format_count(ids.len() as u64),
                        element_name(&computed.map, element)
                    );
                    ctx.send(Command::ShowStreamsContaining {
                        label,
                        ids: Arc::new(ids),
                    });
                }
                Clicked::Nothing => self.selected = None,
            }
        }
    }

    fn toolbar_ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        ui.horizontal_wrapped(|ui| {
            let types = self
                .types
                .as_ref()
                .map(|(_, types)| types.as_slice())
                .unwrap_or(&[]);
            let shown = self
                .object_type
                .clone()
                .unwrap_or_else(|| "All object types".to_string());
            egui::ComboBox::from_id_salt("map_object_type")
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.object_type, None, "All object types");
                    for (name, count) in types {
                        ui.selectable_value(
                            &mut self.object_type,
                            Some(name.clone()),
                            format!("{name} ({})", format_count(*count)),
                        );
                    }
                })
                .response
                .accessible_name("Object type");
            ui.separator();
            for mode in MapMode::ALL {
                let label = match mode {
                    MapMode::Frequency => "Frequency",
                    MapMode::Performance => "Performance",
                };
                ui.selectable_value(&mut self.mode, mode, label)
                    .on_hover_text(match mode {
                        MapMode::Frequency => "Edges by how often one activity follows another",
                        MapMode::Performance => "Edges by the mean time between the two activities",
                    });
            }
            // The sliders on a row of their own: beside the detail panel the
            // whole bar is wider than the view.
            ui.end_row();
            ui.label("Activities");
            ui.add(egui::Slider::new(&mut self.activity_percent, 0..=100).suffix(" %"))
                .on_hover_text("Share of the activities shown, the most frequent first")
                .accessible_name("Activities shown");
            ui.label("Paths");
            ui.add(egui::Slider::new(&mut self.path_percent, 0..=100).suffix(" %"))
                .on_hover_text("Share of the paths shown, the most frequent first")
                .accessible_name("Paths shown");
            ui.separator();
            if ui.button("Fit").clicked() {
                self.canvas.request_fit();
            }
            let request = MapRequest {
                streams: self.streams(),
                object_type: self.object_type.clone(),
                mode: self.mode,
                activity_share: self.activity_percent as f32 / 100.0,
                path_share: self.path_percent as f32 / 100.0,
            };
            ui.menu_button("Export", |ui| {
                for (format, label) in [
                    (GraphFormat::Svg, "SVG…"),
                    (GraphFormat::Png, "PNG…"),
                    (GraphFormat::Json, "JSON…"),
                ] {
                    if ui.button(label).clicked() {
                        ctx.send(Command::Export(ExportRequest::Map {
                            request: request.clone(),
                            format,
                        }));
                        ui.close();
                    }
                }
            });
        });
    }

    fn summary_ui(&self, ui: &mut Ui, computed: &Computed) {
        let map = &computed.map;
        let Some(drawn) = &self.drawn else {
            return;
        };
        let shown_activities = drawn
            .drawing
            .nodes
            .iter()
            .filter(|node| node.kind != process_workbench_core::analysis::drawing::NodeKind::Start)
            .count()
            .saturating_sub(1);
        let shown_paths = drawn
            .drawing
            .edges
            .iter()
            .filter(|edge| {
                matches!(
                    edge.kind,
                    process_workbench_core::analysis::drawing::EdgeKind::Path(_)
                )
            })
            .count();
        let mut text = format!(
            "{} cases \u{00B7} {} events \u{00B7} {} of {} activities \u{00B7} {} of {} paths",
            format_count(map.cases),
            format_count(map.events),
            shown_activities,
            map.activities.len(),
            shown_paths,
            map.edges.len()
        );
        if let Some(element) = self.selected {
            text.push_str(" \u{00B7} selected: ");
            text.push_str(&describe(map, element));
        }
        ui.label(RichText::new(text).small());
    }
}

/// An activity's name, or "A → B" for an edge.
fn element_name(map: &ProcessMap, element: MapElement) -> String {
    let name = |index: u32| map.activities[index as usize].name.as_str();
    match element {
        MapElement::Activity(activity) => name(activity).to_string(),
        MapElement::Edge(from, to) => format!("{} then {}", name(from), name(to)),
    }
}

/// A map element in words: "Resolve ticket (1,234 events)" or
/// "Assign → Resolve (800 times, mean 2.1 d, median 1.5 d)".
fn describe(map: &ProcessMap, element: MapElement) -> String {
    match element {
        MapElement::Activity(activity) => {
            let activity = &map.activities[activity as usize];
            format!(
                "{} ({} events)",
                activity.name,
                format_count(activity.count)
            )
        }
        MapElement::Edge(from, to) => {
            let name = |index: u32| map.activities[index as usize].name.as_str();
            match map
                .edges
                .iter()
                .find(|edge| edge.from == from && edge.to == to)
            {
                Some(edge) => format!(
                    "{} then {} ({} times, mean {}, median {})",
                    name(from),
                    name(to),
                    format_count(edge.count),
                    duration_text(edge.mean_s),
                    duration_text(edge.median_s)
                ),
                None => format!("{} then {}", name(from), name(to)),
            }
        }
    }
}
