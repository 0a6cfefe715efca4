//! The stream browser: a virtualized table of streams that reads only the rows
//! in view. Filtering by process type, status and id prefix uses the store's
//! indexes; searching inside ids, filtering by variant and sorting by another
//! column run as background scans that build a list of ids.
//!
//! Rows in id order are found by "anchors": a background job walks the index
//! once and keeps every [`PAGE_ROWS`]-th id, so page `p` is read with one
//! indexed range read starting after anchor `p - 1`. That makes any row
//! reachable at once (scrollbar, jump) while only the visible pages are read.

use std::ops::ControlFlow;
use std::sync::Arc;

use egui::{Color32, RichText, Sense, Ui};
use egui_extras::TableBuilder;

use crate::state::command::Command;
use crate::state::filter::Within;
use crate::state::jobs::{Job, Worker};
use crate::widgets::fit;
use crate::widgets::pickers::{PickerLabels, process_type_picker, status_picker};
use crate::widgets::progress::job_progress_ui;
use crate::widgets::style::{ROW_HEIGHT, failure_colour, status_text};
use crate::widgets::time::{format_count, format_time};
use process_workbench_core::search::{
    ProcessSelection, StreamQuery, StreamSort, StreamSortColumn, estimate_streams, scan_streams,
    stream_anchors,
};
use process_workbench_core::store::{Store, StoreError, StreamFilter, StreamInfo, StreamStatus};

use super::ViewContext;
use super::rows::{
    LazyReader, PAGE_ROWS, PageCache, StreamRow, read_stream_page, read_stream_rows,
};
use super::stream_events::StreamEventsTable;
use super::variants::VariantsPanel;

/// Pages of rows kept.
const CACHED_PAGES: usize = 24;
/// How the id search matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchMode {
    /// Ids starting with the text (an index range).
    #[default]
    Prefix,
    /// Ids containing the text anywhere, ignoring ASCII case (a background scan).
    Contains,
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
    sort: StreamSort,
    variant: Option<u128>,
    /// The processes the shared filter keeps (`None`: every process).
    within: Option<Arc<ProcessSelection>>,
    /// The shared filter is being applied: no rows until it is known.
    filter_pending: bool,
    group_by_variant: bool,
    applied: Option<(u64, StreamQuery)>,
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
    /// Only these streams, named (from the process map), while no filter changes.
    only: Option<(String, Arc<Vec<String>>)>,
    /// Whether the rows show `only`.
    only_applied: bool,
}

impl Default for StreamsView {
    fn default() -> Self {
        StreamsView {
            process_type: None,
            status: None,
            search: String::new(),
            search_mode: SearchMode::Prefix,
            sort: StreamSort::default(),
            variant: None,
            within: None,
            filter_pending: false,
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
            only: None,
            only_applied: false,
        }
    }
}

impl StreamsView {
    /// The query the filter inputs describe now.
    pub fn query(&self) -> StreamQuery {
        let search = self.search.trim();
        let (id_prefix, contains) = match (search.is_empty(), self.search_mode) {
            (true, _) => (None, None),
            (false, SearchMode::Prefix) => (Some(search.to_string()), None),
            (false, SearchMode::Contains) => (None, Some(search.to_string())),
        };
        StreamQuery {
            filter: StreamFilter {
                process_type: self.process_type.clone(),
                status: self.status,
                id_prefix,
            },
            contains,
            variant: self.variant,
            within: self.within.clone(),
            sort: self.sort,
        }
    }

    /// Whether the browser's own inputs (not the shared filter) hide streams or sort them.
    fn is_locally_filtered(&self) -> bool {
        StreamQuery {
            within: None,
            ..self.query()
        } != StreamQuery::default()
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
    pub fn set_sort(&mut self, sort: StreamSort) {
        self.sort = sort;
    }

    /// The sort order.
    pub fn sort(&self) -> StreamSort {
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

    /// Shows only the streams `ids` (sorted), described by `label` (e.g. "the
    /// processes containing Resolve ticket"), until a filter is changed.
    pub fn show_only(&mut self, label: String, ids: Arc<Vec<String>>) {
        self.set_filter(None, None, "", SearchMode::Prefix);
        self.variant = None;
        self.sort = StreamSort::default();
        self.only = Some((label, ids));
        self.only_applied = false;
        self.scroll_to = Some(0);
    }

    /// The label of the list shown by [`StreamsView::show_only`], if any.
    pub fn only_label(&self) -> Option<&str> {
        self.only.as_ref().map(|(label, _)| label.as_str())
    }

    /// Scrolls the events table of the selected stream to `version`.
    pub fn reveal_event(&mut self, version: u64) {
        self.events.scroll_to_version(version);
    }

    /// Takes the processes the shared filter keeps now.
    fn follow_filter(&mut self, within: Within<'_>) {
        let (within, pending) = match within {
            Within::All => (None, false),
            Within::Pending => (None, true),
            Within::Only(selection) => (Some(Arc::clone(selection)), false),
        };
        self.filter_pending = pending;
        let same = match (&self.within, &within) {
            (Some(shown), Some(next)) => Arc::ptr_eq(shown, next),
            (None, None) => true,
            _ => false,
        };
        if !same {
            self.within = within;
            self.scroll_to = Some(0);
        }
    }

    /// Rebuilds the rows if the query or the store changed.
    fn sync(&mut self, store: &Arc<Store>, generation: u64, repaint: &egui::Context) {
        if self.filter_pending {
            // Nothing to show until the filter is known; look again then.
            self.applied = None;
            self.job = None;
            self.pages.clear();
            self.rows = Rows::Listed {
                ids: Vec::new(),
                complete: false,
                sorted: false,
            };
            return;
        }
        let query = self.query();
        if self.only_applied {
            if self.applied.as_ref() == Some(&(generation, query.clone())) {
                return;
            }
            // A filter (or the store) changed: the list gives way to it.
            self.only = None;
            self.only_applied = false;
        } else if let Some((_, ids)) = &self.only {
            self.applied = Some((generation, query));
            self.source += 1;
            self.pages.clear();
            self.error = None;
            self.job = None;
            self.rows = Rows::Listed {
                ids: ids.to_vec(),
                complete: true,
                sorted: false,
            };
            self.only_applied = true;
            return;
        }
        if self.applied.as_ref() == Some(&(generation, query.clone())) {
            return;
        }
        self.applied = Some((generation, query.clone()));
        self.source += 1;
        self.pages.clear();
        self.error = None;
        // A counter read: what the list will hold, shown until the walk is done.
        let estimate = store
            .read()
            .and_then(|reader| estimate_streams(&reader, &query.filter))
            .ok()
            .flatten();
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
                    if let Err(error) = walk_anchors(&store, &filter, worker) {
                        worker.send(ScanMessage::Failed(error.to_string()));
                    }
                },
            ));
        } else {
            let sorted = query.sort != StreamSort::default();
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
                    if let Err(error) = scan(&store, &query, worker) {
                        worker.send(ScanMessage::Failed(error.to_string()));
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
            Ok(None) if self.is_locally_filtered() || self.group_by_variant => {
                // Hidden by the filters: show every stream, then look again.
                self.set_filter(None, None, "", SearchMode::Prefix);
                self.variant = None;
                self.sort = StreamSort::default();
            }
            Ok(None) => self.pending_reveal = None,
            // Rows still coming: look again next frame; with no job left they never will.
            Err(()) if self.job.is_none() => self.pending_reveal = None,
            Err(()) => {}
        }
    }

    /// Shows the browser.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        self.follow_filter(ctx.filter.within());
        self.sync(&ctx.store.store, ctx.store.generation, ui.ctx());
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
            process_type_picker(
                ui,
                "process_type_filter",
                &mut self.process_type,
                &summary.streams.by_type,
                PickerLabels {
                    any: "All process types",
                    name: "Process type filter",
                },
            );
            status_picker(
                ui,
                "status_filter",
                &mut self.status,
                &summary.streams.by_status,
                PickerLabels {
                    any: "All statuses",
                    name: "Status filter",
                },
            );
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
            if let Some((label, _)) = &self.only {
                ui.label(RichText::new(format!("Only {label}")).strong());
            }
            let filtered = self.is_locally_filtered() || self.only.is_some();
            if ui
                .add_enabled(filtered, egui::Button::new("Clear filters"))
                .clicked()
            {
                self.only = None;
                self.only_applied = false;
                self.applied = None;
                self.set_filter(None, None, "", SearchMode::Prefix);
                self.variant = None;
                self.sort = StreamSort::default();
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
        } else if self.filter_pending {
            ui.label("Applying the filter…");
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

    fn header_ui(&mut self, ui: &mut Ui, column: StreamSortColumn, title: &str) {
        let active = self.sort.column == column;
        let hover = match (active, self.sort.descending) {
            (true, false) => "Sorted ascending; click to reverse",
            (true, true) => "Sorted descending; click to reverse",
            (false, _) => "StreamSort by this column",
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
                    StreamSort {
                        column,
                        descending: !self.sort.descending,
                    }
                } else {
                    StreamSort {
                        column,
                        descending: matches!(
                            column,
                            StreamSortColumn::Version | StreamSortColumn::LastEvent
                        ),
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
                header.col(|ui| self.header_ui(ui, StreamSortColumn::Id, "Stream"));
                header.col(|ui| self.header_ui(ui, StreamSortColumn::ProcessType, "Process type"));
                header.col(|ui| self.header_ui(ui, StreamSortColumn::Status, "Status"));
                header.col(|ui| self.header_ui(ui, StreamSortColumn::Version, "Version"));
                header.col(|ui| self.header_ui(ui, StreamSortColumn::LastEvent, "Last event"));
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
        // An engine's long ids are shortened in the middle (whole on hover).
        let mut text = RichText::new(fit::shortened(&info.stream_id, fit::ID_CHARS));
        if failed {
            text = text.color(failure);
        }
        if ui
            .add(egui::Button::selectable(is_selected, text))
            .on_hover_text(&info.stream_id)
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

/// Walks the ids matching `filter` with the core's [`stream_anchors`] and
/// sends every page's last id.
fn walk_anchors(
    store: &Store,
    filter: &StreamFilter,
    worker: &Worker<ScanMessage>,
) -> Result<(), StoreError> {
    let reader = store.read()?;
    stream_anchors(&reader, filter, PAGE_ROWS, &mut |page| {
        worker.progress(page.seen, page.total);
        let delivered = worker.send(ScanMessage::Anchors(page.anchors.to_vec(), page.seen));
        if delivered && !worker.is_cancelled() {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    })?;
    Ok(())
}

/// Runs the core's [`scan_streams`]: matches are sent as they come, or the
/// sorted list once at the end.
fn scan(
    store: &Store,
    query: &StreamQuery,
    worker: &Worker<ScanMessage>,
) -> Result<(), StoreError> {
    let reader = store.read()?;
    let sorted = query.sort != StreamSort::default();
    let scan = scan_streams(&reader, query, &mut |page| {
        worker.progress(page.scanned, page.total);
        let delivered = sorted
            || page.matches.is_empty()
            || worker.send(ScanMessage::Ids(page.matches.to_vec()));
        if delivered && !worker.is_cancelled() {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    })?;
    if sorted && !scan.cancelled {
        worker.send(ScanMessage::Sorted(scan.ids));
    }
    Ok(())
}
