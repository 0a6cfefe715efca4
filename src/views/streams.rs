//! The stream browser: a virtualized table of streams that reads only the rows
//! in view. Filtering by process type, status and id prefix uses the store's
//! indexes; searching inside ids, filtering by variant and sorting by another
//! column run as background scans that build a list of ids.
//!
//! Rows in id order are found by "anchors": a background job walks the index
//! once and keeps every [`PAGE_ROWS`]-th id, so page `p` is read with one
//! indexed range read starting after anchor `p - 1`. That makes any row
//! reachable at once (scrollbar, jump) while only the visible pages are read.

use std::sync::Arc;

use egui::{Color32, RichText, Sense, Ui};
use egui_extras::TableBuilder;

use crate::state::command::Command;
use crate::state::jobs::{Job, Worker};
use crate::widgets::fit;
use crate::widgets::progress::job_progress_ui;
use crate::widgets::style::{ROW_HEIGHT, failure_colour, status_text};
use crate::widgets::time::{format_count, format_time};
use process_workbench_core::store::{Store, StoreReader, StreamFilter, StreamInfo, StreamStatus};

use super::ViewContext;
use super::rows::{
    LazyReader, PAGE_ROWS, PageCache, StreamRow, read_stream_page, read_stream_rows,
};
use super::stream_events::StreamEventsTable;
use super::variants::VariantsPanel;

/// Ids read per index range read in the background scans.
const SCAN_CHUNK: usize = 4096;
/// Pages of rows kept.
const CACHED_PAGES: usize = 24;
/// Columns the table can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortColumn {
    #[default]
    Id,
    ProcessType,
    Status,
    Version,
    LastEvent,
}

/// A sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    pub column: SortColumn,
    pub descending: bool,
}

/// How the id search matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchMode {
    /// Ids starting with the text (an index range).
    #[default]
    Prefix,
    /// Ids containing the text anywhere, ignoring ASCII case (a background scan).
    Contains,
}

/// Everything that decides which rows the table shows, in which order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub filter: StreamFilter,
    pub contains: Option<String>,
    pub variant: Option<u128>,
    pub sort: Sort,
}

impl Query {
    /// Whether the rows come straight from an index, in id order.
    fn is_indexed(&self) -> bool {
        self.contains.is_none() && self.variant.is_none() && self.sort == Sort::default()
    }
}

/// Messages of the background jobs that build the row list.
enum ScanMessage {
    /// More anchors (every page's last id) and the number of rows seen so far.
    Anchors(Vec<String>, u64),
    /// More matching ids, in id order.
    Ids(Vec<String>),
    /// The whole sorted list.
    Sorted(Vec<String>),
    Failed(String),
}

/// How table rows map to stream ids.
enum Rows {
    /// Id order straight from an index; page `p` starts after `anchors[p - 1]`.
    Indexed {
        filter: StreamFilter,
        anchors: Vec<String>,
        count: u64,
        estimate: Option<u64>,
        complete: bool,
    },
    /// A list of ids built by a scan: row `i` is `ids[i]`.
    Listed {
        ids: Vec<String>,
        complete: bool,
        sorted: bool,
    },
}

/// The stream browser's state.
pub struct StreamsView {
    process_type: Option<String>,
    status: Option<StreamStatus>,
    search: String,
    search_mode: SearchMode,
    sort: Sort,
    variant: Option<u128>,
    group_by_variant: bool,
    applied: Option<(u64, Query)>,
    rows: Rows,
    job: Option<Job<ScanMessage>>,
    error: Option<String>,
    source: u64,
    pages: PageCache<StreamRow>,
    scroll_to: Option<usize>,
    pending_reveal: Option<String>,
    /// Rows drawn in the last frame (first, last) and how many were still placeholders.
    drawn: Option<(usize, usize, usize)>,
    events: StreamEventsTable,
    variants: VariantsPanel,
}

impl Default for StreamsView {
    fn default() -> Self {
        StreamsView {
            process_type: None,
            status: None,
            search: String::new(),
            search_mode: SearchMode::Prefix,
            sort: Sort::default(),
            variant: None,
            group_by_variant: false,
            applied: None,
            rows: Rows::Listed {
                ids: Vec::new(),
                complete: false,
                sorted: false,
            },
            job: None,
            error: None,
            source: 0,
            pages: PageCache::new(CACHED_PAGES),
            scroll_to: None,
            pending_reveal: None,
            drawn: None,
            events: StreamEventsTable::default(),
            variants: VariantsPanel::default(),
        }
    }
}

impl StreamsView {
    /// The query the filter inputs describe now.
    pub fn query(&self) -> Query {
        let search = self.search.trim();
        let (id_prefix, contains) = match (search.is_empty(), self.search_mode) {
            (true, _) => (None, None),
            (false, SearchMode::Prefix) => (Some(search.to_string()), None),
            (false, SearchMode::Contains) => (None, Some(search.to_string())),
        };
        Query {
            filter: StreamFilter {
                process_type: self.process_type.clone(),
                status: self.status,
                id_prefix,
            },
            contains,
            variant: self.variant,
            sort: self.sort,
        }
    }

    /// Sets the filter inputs (for the jump box, links and tests).
    pub fn set_filter(
        &mut self,
        process_type: Option<String>,
        status: Option<StreamStatus>,
        search: &str,
        mode: SearchMode,
    ) {
        self.process_type = process_type;
        self.status = status;
        self.search = search.to_string();
        self.search_mode = mode;
    }

    /// Sets the sort order.
    pub fn set_sort(&mut self, sort: Sort) {
        self.sort = sort;
    }

    /// The sort order.
    pub fn sort(&self) -> Sort {
        self.sort
    }

    /// Number of rows the table has now, and whether that number is final.
    pub fn row_count(&self) -> (u64, bool) {
        match &self.rows {
            Rows::Indexed {
                count,
                estimate,
                complete,
                ..
            } => {
                if *complete {
                    (*count, true)
                } else {
                    ((*count).max(estimate.unwrap_or(0)), false)
                }
            }
            Rows::Listed { ids, complete, .. } => (ids.len() as u64, *complete),
        }
    }

    /// Whether a background job is building the rows.
    pub fn is_busy(&self) -> bool {
        self.job.is_some() || self.variants.is_busy() || self.pending_reveal.is_some()
    }

    /// The rows drawn in the last frame, (first, last), and how many of them
    /// were placeholders (their page not known yet).
    pub fn drawn_rows(&self) -> Option<(usize, usize, usize)> {
        self.drawn
    }

    /// Asks the table to scroll to row `row` on the next frame.
    pub fn scroll_to_row(&mut self, row: usize) {
        self.scroll_to = Some(row);
    }

    /// Shows stream `stream_id` in the table: scrolls to its row, clearing the
    /// filters first when they hide it. Resolved over the next frames.
    pub fn reveal(&mut self, stream_id: &str) {
        self.pending_reveal = Some(stream_id.to_string());
    }

    /// Scrolls the events table of the selected stream to `version`.
    pub fn reveal_event(&mut self, version: u64) {
        self.events.scroll_to_version(version);
    }

    /// Rebuilds the rows if the query or the store changed.
    fn sync(
        &mut self,
        store: &Arc<Store>,
        generation: u64,
        estimate_of: impl Fn(&Query) -> Option<u64>,
        repaint: &egui::Context,
    ) {
        let query = self.query();
        if self.applied.as_ref() == Some(&(generation, query.clone())) {
            return;
        }
        self.applied = Some((generation, query.clone()));
        self.source += 1;
        self.pages.clear();
        self.error = None;
        let estimate = estimate_of(&query);
        let store = Arc::clone(store);
        if query.is_indexed() {
            self.rows = Rows::Indexed {
                filter: query.filter.clone(),
                anchors: Vec::new(),
                count: 0,
                estimate,
                complete: false,
            };
            let filter = query.filter;
            self.job = Some(Job::spawn(
                "Counting streams",
                Some(repaint.clone()),
                move |worker: &Worker<ScanMessage>| {
                    if let Err(error) = walk_anchors(&store, &filter, estimate, worker) {
                        worker.send(ScanMessage::Failed(error));
                    }
                },
            ));
        } else {
            let sorted = query.sort != Sort::default();
            self.rows = Rows::Listed {
                ids: Vec::new(),
                complete: false,
                sorted,
            };
            let name = if sorted {
                "Sorting streams"
            } else {
                "Searching streams"
            };
            self.job = Some(Job::spawn(
                name,
                Some(repaint.clone()),
                move |worker: &Worker<ScanMessage>| {
                    if let Err(error) = scan_streams(&store, &query, estimate, worker) {
                        worker.send(ScanMessage::Failed(error));
                    }
                },
            ));
        }
    }

    /// Takes what the background job found. The app calls this every frame,
    /// so that a job finishes (and the app goes idle) while another view is shown.
    pub fn poll_job(&mut self) {
        let Some(job) = &mut self.job else {
            return;
        };
        let messages = job.poll();
        let finished = job.is_finished();
        for message in messages {
            match (message, &mut self.rows) {
                (ScanMessage::Anchors(more, seen), Rows::Indexed { anchors, count, .. }) => {
                    anchors.extend(more);
                    *count = seen;
                }
                (ScanMessage::Ids(more), Rows::Listed { ids, .. }) => {
                    // The last page, if it was read part-full, grows: read it again.
                    if !ids.len().is_multiple_of(PAGE_ROWS) {
                        self.pages.remove(ids.len() / PAGE_ROWS);
                    }
                    ids.extend(more);
                }
                (ScanMessage::Sorted(all), Rows::Listed { ids, .. }) => {
                    self.pages.clear();
                    *ids = all;
                }
                (ScanMessage::Failed(error), _) => self.error = Some(error),
                _ => {}
            }
        }
        if finished {
            let cancelled = self.job.as_ref().is_some_and(Job::is_cancelled);
            self.job = None;
            match &mut self.rows {
                Rows::Indexed { complete, .. } | Rows::Listed { complete, .. } => {
                    *complete = !cancelled && self.error.is_none();
                }
            }
        }
    }

    /// The page of rows `page`, read when not cached; `None` while its anchor is unknown.
    fn page<'s>(&'s mut self, reader: &mut LazyReader<'_>, page: usize) -> Option<&'s [StreamRow]> {
        if self.pages.get(page).is_some() {
            return self.pages.get(page);
        }
        let reader = reader.get().ok()?;
        let loaded = match &self.rows {
            Rows::Listed { ids, .. } => {
                let start = page * PAGE_ROWS;
                let ids = ids.get(start..(start + PAGE_ROWS).min(ids.len()))?;
                read_stream_rows(reader, ids)
            }
            Rows::Indexed {
                filter, anchors, ..
            } => {
                let after = match page {
                    0 => None,
                    _ => Some(anchors.get(page - 1)?.as_str()),
                };
                match read_stream_page(reader, filter, after) {
                    Ok(rows) => rows,
                    Err(error) => {
                        self.error = Some(error.to_string());
                        return None;
                    }
                }
            }
        };
        Some(self.pages.get_or_load(page, || loaded))
    }

    /// The row index of `stream_id` in the current rows: `Ok(Some)` found,
    /// `Ok(None)` not among them, `Err(())` not known yet (rows still coming).
    fn row_of(
        &mut self,
        reader: &mut LazyReader<'_>,
        stream_id: &str,
    ) -> Result<Option<usize>, ()> {
        let (page, complete) = match &self.rows {
            Rows::Listed { ids, complete, .. } => {
                return match ids.iter().position(|id| id == stream_id) {
                    Some(row) => Ok(Some(row)),
                    None if *complete => Ok(None),
                    None => Err(()),
                };
            }
            Rows::Indexed {
                anchors, complete, ..
            } => (
                anchors.partition_point(|anchor| anchor.as_str() < stream_id),
                *complete,
            ),
        };
        let known_pages = match &self.rows {
            Rows::Indexed { anchors, .. } => anchors.len(),
            Rows::Listed { .. } => 0,
        };
        if page >= known_pages && !complete {
            return Err(());
        }
        let rows = self.page(reader, page).ok_or(())?;
        Ok(rows
            .iter()
            .position(|row| row.stream_id() == stream_id)
            .map(|offset| page * PAGE_ROWS + offset))
    }

    fn resolve_reveal(&mut self, reader: &mut LazyReader<'_>) {
        let Some(stream_id) = self.pending_reveal.clone() else {
            return;
        };
        match self.row_of(reader, &stream_id) {
            Ok(Some(row)) => {
                self.scroll_to = Some(row);
                self.pending_reveal = None;
            }
            Ok(None) if self.query() != Query::default() || self.group_by_variant => {
                // Hidden by the filters: show every stream, then look again.
                self.set_filter(None, None, "", SearchMode::Prefix);
                self.variant = None;
                self.sort = Sort::default();
            }
            Ok(None) => self.pending_reveal = None,
            // Rows still coming: look again next frame; with no job left they never will.
            Err(()) if self.job.is_none() => self.pending_reveal = None,
            Err(()) => {}
        }
    }

    /// Shows the browser.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        let summary = &ctx.store.summary;
        let estimate_of = |query: &Query| -> Option<u64> {
            if query.filter.id_prefix.is_some() {
                return None;
            }
            match (&query.filter.process_type, query.filter.status) {
                (None, None) => Some(summary.streams.total),
                (Some(kind), None) => summary.streams.by_type.get(kind).copied(),
                (None, Some(status)) => summary.streams.by_status.get(status.as_str()).copied(),
                (Some(_), Some(_)) => None,
            }
        };
        self.sync(
            &ctx.store.store,
            ctx.store.generation,
            estimate_of,
            ui.ctx(),
        );
        self.pages.key_on(ctx.store.generation, self.source);
        self.poll_job();
        let store = Arc::clone(&ctx.store.store);
        let mut reader = LazyReader::new(&store);
        self.resolve_reveal(&mut reader);

        self.filters_ui(ui, ctx);
        self.status_line_ui(ui);

        if self.group_by_variant {
            egui::Panel::left("variants_panel")
                .resizable(true)
                .default_size(320.0)
                .show(ui, |ui| {
                    if let Some(chosen) = self.variants.ui(ui, ctx, self.variant) {
                        self.variant = chosen;
                    }
                });
        }

        if let Some(stream_id) = ctx.selection.stream.clone() {
            egui::Panel::bottom("stream_events_panel")
                .resizable(true)
                .default_size(ui.available_height() * 0.45)
                .min_size(120.0)
                .show(ui, |ui| {
                    self.events.ui(ui, ctx, &stream_id);
                });
        }

        egui::CentralPanel::default_margins().show(ui, |ui| {
            self.table_ui(ui, ctx, &mut reader);
        });
    }

    fn filters_ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        let summary = &ctx.store.summary;
        ui.horizontal_wrapped(|ui| {
            let search = ui
                .add(
                    egui::TextEdit::singleline(&mut self.search)
                        .hint_text("Search stream id")
                        .desired_width(180.0),
                )
                .accessible_name("Search stream id");
            if search.changed() {
                self.scroll_to = Some(0);
            }
            egui::ComboBox::from_id_salt("search_mode")
                .selected_text(match self.search_mode {
                    SearchMode::Prefix => "starts with",
                    SearchMode::Contains => "contains",
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.search_mode, SearchMode::Prefix, "starts with");
                    ui.selectable_value(&mut self.search_mode, SearchMode::Contains, "contains");
                })
                .response
                .accessible_name("Search mode");
            let type_text = self
                .process_type
                .clone()
                .unwrap_or_else(|| "All process types".to_string());
            egui::ComboBox::from_id_salt("process_type_filter")
                .selected_text(type_text)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.process_type, None, "All process types");
                    for (kind, count) in &summary.streams.by_type {
                        ui.selectable_value(
                            &mut self.process_type,
                            Some(kind.clone()),
                            format!("{kind} ({})", format_count(*count)),
                        );
                    }
                })
                .response
                .accessible_name("Process type filter");
            let status_text = self.status.map_or("All statuses", StreamStatus::as_str);
            egui::ComboBox::from_id_salt("status_filter")
                .selected_text(status_text)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.status, None, "All statuses");
                    for status in StreamStatus::ALL {
                        let count = summary
                            .streams
                            .by_status
                            .get(status.as_str())
                            .copied()
                            .unwrap_or(0);
                        ui.selectable_value(
                            &mut self.status,
                            Some(status),
                            format!("{} ({})", status.as_str(), format_count(count)),
                        );
                    }
                })
                .response
                .accessible_name("Status filter");
            if ui
                .selectable_label(self.group_by_variant, "Group by variant")
                .on_hover_text("Streams with the same sequence of event types form a variant")
                .clicked()
            {
                self.group_by_variant = !self.group_by_variant;
                if !self.group_by_variant {
                    self.variant = None;
                }
            }
            let filtered = self.query() != Query::default() || self.variant.is_some();
            if ui
                .add_enabled(filtered, egui::Button::new("Clear filters"))
                .clicked()
            {
                self.set_filter(None, None, "", SearchMode::Prefix);
                self.variant = None;
                self.sort = Sort::default();
            }
        });
    }

    fn status_line_ui(&mut self, ui: &mut Ui) {
        let (rows, complete) = self.row_count();
        let mut cancel = false;
        if let Some(job) = &self.job {
            let (done, total) = job.progress();
            match &self.rows {
                Rows::Listed { ids, sorted, .. } => {
                    let what = if *sorted { "Sorting" } else { "Searching" };
                    cancel = job_progress_ui(
                        ui,
                        &format!(
                            "{what}: {} found so far; scanned",
                            format_count(ids.len() as u64)
                        ),
                        done,
                        total,
                        "streams",
                    );
                }
                Rows::Indexed { .. } => {
                    ui.label(format!("{} streams (counting…)", format_count(rows)));
                }
            }
        } else {
            let noun = if rows == 1 { "stream" } else { "streams" };
            let suffix = if complete { "" } else { " (stopped early)" };
            ui.label(format!("{} {noun}{suffix}", format_count(rows)));
        }
        if cancel && let Some(job) = &self.job {
            job.cancel();
        }
        if let Some(error) = &self.error {
            ui.colored_label(
                failure_colour(ui),
                format!("Could not read the streams: {error}"),
            );
        }
    }

    fn header_ui(&mut self, ui: &mut Ui, column: SortColumn, title: &str) {
        let active = self.sort.column == column;
        let hover = match (active, self.sort.descending) {
            (true, false) => "Sorted ascending; click to reverse",
            (true, true) => "Sorted descending; click to reverse",
            (false, _) => "Sort by this column",
        };
        ui.horizontal(|ui| {
            let response = ui
                .selectable_label(active, RichText::new(title).strong())
                .on_hover_text(hover);
            if active {
                sort_arrow_ui(ui, self.sort.descending);
            }
            if response.clicked() {
                self.sort = if active {
                    Sort {
                        column,
                        descending: !self.sort.descending,
                    }
                } else {
                    Sort {
                        column,
                        descending: matches!(column, SortColumn::Version | SortColumn::LastEvent),
                    }
                };
                self.scroll_to = Some(0);
            }
        });
    }

    fn table_ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>, reader: &mut LazyReader<'_>) {
        let (rows, _) = self.row_count();
        let selected = ctx.selection.stream.clone();
        let failure = failure_colour(ui);
        // Clicks on a row's text select the row (not the text).
        ui.style_mut().interaction.selectable_labels = false;
        let error_column = fit::free_text_column(ui, "Last error");
        let mut builder = TableBuilder::new(ui)
            .id_salt("streams_table")
            .striped(true)
            .resizable(true)
            .sense(Sense::click())
            .auto_shrink([false, false])
            .animate_scrolling(false)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            // Ids, types, statuses and times as wide as they are; the error
            // (free text) takes the rest and elides what does not fit.
            .columns(fit::column(), 5)
            .column(error_column);
        if let Some(row) = self.scroll_to.take() {
            builder = builder.scroll_to_row(row, Some(egui::Align::Center));
        }
        let mut clicked: Option<String> = None;
        let mut drawn: Option<(usize, usize, usize)> = None;
        builder
            .header(ROW_HEIGHT + 4.0, |mut header| {
                header.col(|ui| self.header_ui(ui, SortColumn::Id, "Stream"));
                header.col(|ui| self.header_ui(ui, SortColumn::ProcessType, "Process type"));
                header.col(|ui| self.header_ui(ui, SortColumn::Status, "Status"));
                header.col(|ui| self.header_ui(ui, SortColumn::Version, "Version"));
                header.col(|ui| self.header_ui(ui, SortColumn::LastEvent, "Last event"));
                header.col(|ui| {
                    ui.label(RichText::new("Last error").strong());
                });
            })
            .body(|body| {
                body.rows(ROW_HEIGHT, rows as usize, |mut row| {
                    let index = row.index();
                    let page = index / PAGE_ROWS;
                    let item = self
                        .page(reader, page)
                        .and_then(|rows| rows.get(index % PAGE_ROWS));
                    let (first, _, placeholders) = drawn.unwrap_or((index, index, 0));
                    let Some(item) = item else {
                        drawn = Some((first, index, placeholders + 1));
                        row.col(|ui| {
                            ui.weak("…");
                        });
                        return;
                    };
                    drawn = Some((first, index, placeholders));
                    let is_selected = selected.as_deref() == Some(item.stream_id());
                    row.set_selected(is_selected);
                    match item {
                        StreamRow::Stream(info) => {
                            stream_cells(&mut row, info, is_selected, failure, &mut clicked)
                        }
                        StreamRow::Damaged { stream_id, error } => {
                            row.col(|ui| {
                                if ui.selectable_label(is_selected, stream_id).clicked() {
                                    clicked = Some(stream_id.clone());
                                }
                            });
                            for _ in 0..4 {
                                row.col(|_| {});
                            }
                            row.col(|ui| {
                                ui.colored_label(failure, format!("damaged record: {error}"));
                            });
                        }
                    }
                    if row.response().clicked() {
                        clicked = Some(item.stream_id().to_string());
                    }
                });
            });
        self.drawn = drawn;
        if let Some(stream_id) = clicked {
            ctx.send(Command::SelectStream(stream_id));
        }
    }
}

/// A small painted triangle: up for ascending, down for descending (the
/// default fonts have no arrow glyphs).
fn sort_arrow_ui(ui: &mut Ui, descending: bool) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), Sense::hover());
    let colour = ui.visuals().strong_text_color();
    let (left, right) = (rect.left() + 1.0, rect.right() - 1.0);
    let (top, bottom) = (rect.top() + 2.0, rect.bottom() - 2.0);
    let points = if descending {
        vec![
            egui::pos2(left, top),
            egui::pos2(right, top),
            egui::pos2(rect.center().x, bottom),
        ]
    } else {
        vec![
            egui::pos2(left, bottom),
            egui::pos2(right, bottom),
            egui::pos2(rect.center().x, top),
        ]
    };
    ui.painter().add(egui::Shape::convex_polygon(
        points,
        colour,
        egui::Stroke::NONE,
    ));
}

fn stream_cells(
    row: &mut egui_extras::TableRow<'_, '_>,
    info: &StreamInfo,
    is_selected: bool,
    failure: Color32,
    clicked: &mut Option<String>,
) {
    let failed = info.status == StreamStatus::Failed;
    row.col(|ui| {
        let mut text = RichText::new(&info.stream_id);
        if failed {
            text = text.color(failure);
        }
        if ui
            .add(egui::Button::selectable(is_selected, text))
            .clicked()
        {
            *clicked = Some(info.stream_id.clone());
        }
    });
    row.col(|ui| {
        ui.label(&info.process_type);
    });
    row.col(|ui| {
        ui.label(status_text(ui, info.status));
    });
    row.col(|ui| {
        ui.label(info.version.to_string());
    });
    row.col(|ui| {
        ui.label(format_time(info.updated_at));
    });
    row.col(|ui| {
        if let Some(error) = &info.last_error {
            ui.add(egui::Label::new(RichText::new(error).color(failure)).truncate())
                .on_hover_text(error);
        }
    });
}

/// Walks the ids matching `filter` and sends every page's last id.
fn walk_anchors(
    store: &Store,
    filter: &StreamFilter,
    estimate: Option<u64>,
    worker: &Worker<ScanMessage>,
) -> Result<(), String> {
    let reader = store.read().map_err(|error| error.to_string())?;
    let mut after: Option<String> = None;
    let mut seen = 0u64;
    loop {
        let ids = reader
            .stream_ids(filter, after.as_deref(), SCAN_CHUNK)
            .map_err(|error| error.to_string())?;
        let mut anchors = Vec::new();
        for id in &ids {
            seen += 1;
            if seen.is_multiple_of(PAGE_ROWS as u64) {
                anchors.push(id.clone());
            }
        }
        let last_chunk = ids.len() < SCAN_CHUNK;
        after = ids.into_iter().next_back();
        worker.progress(seen, estimate.unwrap_or(0));
        if !worker.send(ScanMessage::Anchors(anchors, seen)) || worker.is_cancelled() {
            return Ok(());
        }
        if last_chunk || after.is_none() {
            return Ok(());
        }
    }
}

/// What a sorted scan sorts by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    None,
    Text(String),
    Number(u64),
    Time(i128),
}

fn sort_key(info: &StreamInfo, column: SortColumn) -> SortKey {
    match column {
        SortColumn::Id => SortKey::None,
        SortColumn::ProcessType => SortKey::Text(info.process_type.clone()),
        SortColumn::Status => SortKey::Number(match info.status {
            StreamStatus::Failed => 0,
            StreamStatus::Running => 1,
            StreamStatus::Completed => 2,
        }),
        SortColumn::Version => SortKey::Number(info.version),
        SortColumn::LastEvent => SortKey::Time(info.updated_at.unix_timestamp_nanos()),
    }
}

/// Whether `haystack` contains `needle`, ignoring ASCII case, without allocating.
pub fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
}

/// Scans the streams matching the query's indexed filter, keeps those that
/// match the rest, and sends them (as they come, or sorted at the end).
fn scan_streams(
    store: &Store,
    query: &Query,
    estimate: Option<u64>,
    worker: &Worker<ScanMessage>,
) -> Result<(), String> {
    let reader = store.read().map_err(|error| error.to_string())?;
    let sorted = query.sort != Sort::default();
    let needs_record = query.variant.is_some() || query.sort.column != SortColumn::Id;
    let mut keyed: Vec<(SortKey, String)> = Vec::new();
    let mut after: Option<String> = None;
    let mut scanned = 0u64;
    loop {
        let ids = reader
            .stream_ids(&query.filter, after.as_deref(), SCAN_CHUNK)
            .map_err(|error| error.to_string())?;
        let last_chunk = ids.len() < SCAN_CHUNK;
        after = ids.last().cloned();
        let mut found = Vec::new();
        for id in ids {
            scanned += 1;
            if let Some(needle) = &query.contains
                && !contains_ignoring_case(&id, needle)
            {
                continue;
            }
            let key = if needs_record {
                match matching_key(&reader, &id, query) {
                    Some(key) => key,
                    None => continue,
                }
            } else {
                SortKey::None
            };
            if sorted {
                keyed.push((key, id));
            } else {
                found.push(id);
            }
        }
        worker.progress(scanned, estimate.unwrap_or(0));
        if (!found.is_empty() && !worker.send(ScanMessage::Ids(found))) || worker.is_cancelled() {
            return Ok(());
        }
        if last_chunk || after.is_none() {
            break;
        }
    }
    if sorted {
        // Ties keep id order, whichever way the column is sorted.
        let descending = query.sort.descending;
        let by_id_only = query.sort.column == SortColumn::Id;
        keyed.sort_by(|a, b| {
            let by_key = if descending {
                b.0.cmp(&a.0)
            } else {
                a.0.cmp(&b.0)
            };
            let by_id = if descending && by_id_only {
                b.1.cmp(&a.1)
            } else {
                a.1.cmp(&b.1)
            };
            by_key.then(by_id)
        });
        worker.send(ScanMessage::Sorted(
            keyed.into_iter().map(|(_, id)| id).collect(),
        ));
    }
    Ok(())
}

/// The sort key of a stream that matches the query's variant, if it does.
fn matching_key(reader: &StoreReader, stream_id: &str, query: &Query) -> Option<SortKey> {
    let info = reader.stream(stream_id).ok().flatten()?;
    if query.variant.is_some_and(|variant| variant != info.variant) {
        return None;
    }
    Some(sort_key(&info, query.sort.column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_ignores_ascii_case() {
        assert!(contains_ignoring_case("order-ABC-17", "abc"));
        assert!(!contains_ignoring_case("order-17", "abc"));
        assert!(contains_ignoring_case("x", ""));
    }

    #[test]
    fn only_index_filters_keep_the_id_order_query() {
        let mut query = Query::default();
        assert!(query.is_indexed());
        query.filter.status = Some(StreamStatus::Failed);
        assert!(query.is_indexed());
        query.contains = Some("x".to_string());
        assert!(!query.is_indexed());
    }
}
