//! The event log: every event by global position, damaged records included.
//! Filters by event type, stream (process) type, time range, a JSONPath over
//! payloads (RFC 9535, `serde_json_path`) and conversation. A filter scans the
//! log in a cancellable background job that shows matches as they come and
//! says how far it got. The filtered events can be exported as JSONL.

use std::ops::ControlFlow;
use std::sync::Arc;

use egui::{RichText, Sense, Ui};
use egui_extras::{Column, TableBuilder};
use serde_json_path::JsonPath;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::state::command::{Command, ExportRequest};
use crate::state::jobs::{Job, Worker};
use crate::widgets::fit;
use crate::widgets::progress::job_progress_ui;
use crate::widgets::time::{format_count, format_rfc3339, format_time, parse_time_input, short_id};
use process_workbench_core::actions::EventSelection;
use process_workbench_core::search::{EventFilter, scan_events};
use process_workbench_core::store::Store;

use super::ViewContext;
use super::rows::{
    EventHeader, EventRow, LazyReader, PAGE_ROWS, PageCache, event_row, read_event_row,
};
use crate::state::EventRef;
use crate::widgets::style::{ROW_HEIGHT, failure_colour};

/// Pages of rows kept.
const CACHED_PAGES: usize = 16;

/// What a scan sends.
enum ScanMessage {
    Matches(Vec<u64>),
    Failed(String),
}

/// The rows the table shows.
enum LogRows {
    /// Every position from 1 to `last`.
    All { last: u64 },
    /// The positions a filter matched.
    Matches { positions: Vec<u64>, complete: bool },
}

/// The event log view's state.
pub struct EventLogView {
    event_type: Option<String>,
    process_type: Option<String>,
    from_text: String,
    to_text: String,
    json_path_text: String,
    correlation: Option<Uuid>,
    input_error: Option<String>,
    /// The filter the rows were made for, and the generation.
    applied: Option<(u64, EventFilter)>,
    wanted: EventFilter,
    rows: LogRows,
    job: Option<Job<ScanMessage>>,
    error: Option<String>,
    source: u64,
    pages: PageCache<EventRow>,
    scroll_to: Option<usize>,
}

impl Default for EventLogView {
    fn default() -> Self {
        EventLogView {
            event_type: None,
            process_type: None,
            from_text: String::new(),
            to_text: String::new(),
            json_path_text: String::new(),
            correlation: None,
            input_error: None,
            applied: None,
            wanted: EventFilter::default(),
            rows: LogRows::All { last: 0 },
            job: None,
            error: None,
            source: 0,
            pages: PageCache::new(CACHED_PAGES),
            scroll_to: None,
        }
    }
}

impl EventLogView {
    /// Shows the events of one conversation.
    pub fn show_conversation(&mut self, correlation: Uuid) {
        self.event_type = None;
        self.process_type = None;
        self.from_text.clear();
        self.to_text.clear();
        self.json_path_text.clear();
        self.correlation = Some(correlation);
        self.apply_inputs();
    }

    /// Sets the JSONPath input and applies the filter (as pressing Enter does).
    pub fn set_json_path(&mut self, text: &str) {
        self.json_path_text = text.to_string();
        self.apply_inputs();
    }

    /// The filter in effect.
    pub fn filter(&self) -> &EventFilter {
        &self.wanted
    }

    /// Whether a scan is running.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// Positions of the rows (all, or the matches so far) and whether they are final.
    pub fn row_count(&self) -> (u64, bool) {
        match &self.rows {
            LogRows::All { last } => (*last, true),
            LogRows::Matches {
                positions,
                complete,
            } => (positions.len() as u64, *complete),
        }
    }

    /// The export of the rows shown (all events, or the filter's matches),
    /// as "Export JSONL…" asks for it.
    pub fn export_request(&self) -> ExportRequest {
        ExportRequest::Events(match &self.rows {
            LogRows::All { .. } => EventSelection::All,
            LogRows::Matches { positions, .. } => EventSelection::Positions(positions.clone()),
        })
    }

    /// Reads the text inputs into the wanted filter, or says what is wrong with them.
    fn apply_inputs(&mut self) {
        let parse_time = |text: &str| -> Result<Option<OffsetDateTime>, String> {
            if text.trim().is_empty() {
                Ok(None)
            } else {
                parse_time_input(text).map(Some)
            }
        };
        let json_path = if self.json_path_text.trim().is_empty() {
            Ok(None)
        } else {
            JsonPath::parse(self.json_path_text.trim())
                .map(Some)
                .map_err(|error| format!("JSONPath: {error}"))
        };
        match (
            parse_time(&self.from_text),
            parse_time(&self.to_text),
            json_path,
        ) {
            (Ok(from), Ok(to), Ok(json_path)) => {
                self.input_error = None;
                self.wanted = EventFilter {
                    event_types: self.event_type.iter().cloned().collect(),
                    process_type: self.process_type.clone(),
                    from,
                    to,
                    json_path,
                    correlation: self.correlation,
                    ..EventFilter::default()
                };
                self.scroll_to = Some(0);
            }
            (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => {
                self.input_error = Some(error);
            }
        }
    }

    fn sync(&mut self, store: &Arc<Store>, generation: u64, repaint: &egui::Context) {
        if self.applied.as_ref() == Some(&(generation, self.wanted.clone())) {
            return;
        }
        self.applied = Some((generation, self.wanted.clone()));
        self.source += 1;
        self.pages.clear();
        self.error = None;
        self.job = None;
        if self.wanted.is_empty() {
            let last = store
                .read()
                .and_then(|reader| reader.last_position())
                .unwrap_or_else(|error| {
                    self.error = Some(error.to_string());
                    0
                });
            self.rows = LogRows::All { last };
            return;
        }
        self.rows = LogRows::Matches {
            positions: Vec::new(),
            complete: false,
        };
        let filter = self.wanted.clone();
        let store = Arc::clone(store);
        self.job = Some(Job::spawn(
            "Filtering events",
            Some(repaint.clone()),
            move |worker: &Worker<ScanMessage>| {
                if let Err(error) = scan_log(&store, &filter, worker) {
                    worker.send(ScanMessage::Failed(error));
                }
            },
        ));
    }

    fn poll_jobs(&mut self) {
        if let Some(job) = &mut self.job {
            let messages = job.poll();
            let finished = job.is_finished();
            let cancelled = job.is_cancelled();
            for message in messages {
                match (message, &mut self.rows) {
                    (ScanMessage::Matches(more), LogRows::Matches { positions, .. }) => {
                        // The last page, if it was read part-full, grows: read it again.
                        if !positions.len().is_multiple_of(PAGE_ROWS) {
                            self.pages.remove(positions.len() / PAGE_ROWS);
                        }
                        positions.extend(more);
                    }
                    (ScanMessage::Failed(error), _) => self.error = Some(error),
                    _ => {}
                }
            }
            if finished {
                self.job = None;
                if let LogRows::Matches { complete, .. } = &mut self.rows {
                    *complete = !cancelled && self.error.is_none();
                }
            }
        }
    }

    /// Shows the view.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        self.sync(&ctx.store.store, ctx.store.generation, ui.ctx());
        self.pages.key_on(ctx.store.generation, self.source);
        self.poll_jobs();
        self.filters_ui(ui, ctx);
        self.status_line_ui(ui, ctx);
        egui::CentralPanel::default_margins().show(ui, |ui| self.table_ui(ui, ctx));
    }

    fn filters_ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        let summary = &ctx.store.summary;
        let mut apply = false;
        if let Some(correlation) = self.correlation {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(format!("Conversation {correlation}")).strong());
                if ui.button("Show all conversations").clicked() {
                    self.correlation = None;
                    apply = true;
                }
            });
        }
        ui.horizontal_wrapped(|ui| {
            let before = (self.event_type.clone(), self.process_type.clone());
            egui::ComboBox::from_id_salt("log_event_type")
                .selected_text(
                    self.event_type
                        .clone()
                        .unwrap_or_else(|| "All event types".to_string()),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.event_type, None, "All event types");
                    for (kind, count) in &summary.events.by_type {
                        ui.selectable_value(
                            &mut self.event_type,
                            Some(kind.clone()),
                            format!("{kind} ({})", format_count(*count)),
                        );
                    }
                })
                .response
                .accessible_name("Event type filter");
            egui::ComboBox::from_id_salt("log_process_type")
                .selected_text(
                    self.process_type
                        .clone()
                        .unwrap_or_else(|| "All stream types".to_string()),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.process_type, None, "All stream types");
                    for kind in summary.streams.by_type.keys() {
                        ui.selectable_value(&mut self.process_type, Some(kind.clone()), kind);
                    }
                })
                .response
                .accessible_name("Stream type filter");
            apply |= before != (self.event_type.clone(), self.process_type.clone());
            let field = |ui: &mut Ui, text: &mut String, hint: &str, width: f32| {
                let response = ui
                    .add(
                        egui::TextEdit::singleline(text)
                            .hint_text(hint)
                            .desired_width(fit::field_width(ui, hint, width)),
                    )
                    .accessible_name(hint);
                response.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter))
            };
            apply |= field(ui, &mut self.from_text, "From 2024-03-01", 130.0);
            apply |= field(ui, &mut self.to_text, "To 2024-03-31", 130.0);
            apply |= field(
                ui,
                &mut self.json_path_text,
                "JSONPath over payload and metadata, e.g. $.amount",
                260.0,
            );
            if ui.button("Filter").clicked() {
                apply = true;
            }
            if ui.button("Clear").clicked() {
                self.event_type = None;
                self.process_type = None;
                self.from_text.clear();
                self.to_text.clear();
                self.json_path_text.clear();
                self.correlation = None;
                apply = true;
            }
            if ui
                .button("Export JSONL…")
                .on_hover_text("Write the events shown, one JSON event per line")
                .clicked()
            {
                ctx.send(Command::Export(self.export_request()));
            }
        });
        if apply {
            self.apply_inputs();
        }
        if let Some(error) = &self.input_error {
            ui.colored_label(failure_colour(ui), error);
        }
    }

    fn status_line_ui(&mut self, ui: &mut Ui, ctx: &ViewContext<'_>) {
        let (rows, _) = self.row_count();
        if let Some(job) = &self.job {
            let (done, total) = job.progress();
            let what = format!("{} matches so far; scanned", format_count(rows));
            if job_progress_ui(ui, &what, done, total, "events") {
                job.cancel();
            }
        } else {
            let total = ctx.store.summary.events.total;
            let text = match &self.rows {
                LogRows::All { .. } => format!("{} events", format_count(rows)),
                LogRows::Matches { complete: true, .. } => format!(
                    "{} of {} events match",
                    format_count(rows),
                    format_count(total)
                ),
                LogRows::Matches {
                    complete: false, ..
                } => format!(
                    "{} events matched before the filter was stopped",
                    format_count(rows)
                ),
            };
            ui.label(text);
        }
        if let Some(error) = &self.error {
            ui.colored_label(
                failure_colour(ui),
                format!("Could not read the log: {error}"),
            );
        }
    }

    fn position_of_row(&self, row: usize) -> Option<u64> {
        match &self.rows {
            LogRows::All { .. } => Some(row as u64 + 1),
            LogRows::Matches { positions, .. } => positions.get(row).copied(),
        }
    }

    fn page<'s>(&'s mut self, reader: &mut LazyReader<'_>, page: usize) -> Option<&'s [EventRow]> {
        if self.pages.get(page).is_none() {
            let reader = reader.get().ok()?;
            let rows: Vec<EventRow> = match &self.rows {
                LogRows::All { last } => {
                    let from = (page * PAGE_ROWS) as u64 + 1;
                    if from > *last {
                        return None;
                    }
                    reader
                        .log_raw(from, PAGE_ROWS)
                        .ok()?
                        .into_iter()
                        .map(|(position, bytes)| event_row(position, &bytes, None))
                        .collect()
                }
                LogRows::Matches { positions, .. } => {
                    let start = page * PAGE_ROWS;
                    let end = (start + PAGE_ROWS).min(positions.len());
                    positions
                        .get(start..end)?
                        .iter()
                        .map(|position| {
                            read_event_row(reader, *position, None).unwrap_or_else(|error| {
                                EventRow::Damaged {
                                    position: *position,
                                    error: error.to_string(),
                                }
                            })
                        })
                        .collect()
                }
            };
            return Some(self.pages.get_or_load(page, || rows));
        }
        self.pages.get(page)
    }

    fn table_ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        let store = Arc::clone(&ctx.store.store);
        let mut reader = LazyReader::new(&store);
        let (rows, _) = self.row_count();
        let selected = ctx.selection.event.as_ref().map(|event| event.position);
        let failure = failure_colour(ui);
        // Clicks on a row's text select the row (not the text).
        ui.style_mut().interaction.selectable_labels = false;
        let mut builder = TableBuilder::new(ui)
            .id_salt("event_log_table")
            .striped(true)
            .resizable(true)
            .sense(Sense::click())
            .auto_shrink([false, false])
            .animate_scrolling(false)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            // Every column as wide as its header and cells: nothing is cut.
            .columns(fit::column(), 5)
            .column(Column::remainder());
        if let Some(row) = self.scroll_to.take() {
            builder = builder.scroll_to_row(row, Some(egui::Align::Min));
        }
        let mut commands = Vec::new();
        builder
            .header(ROW_HEIGHT + 4.0, |mut header| {
                for title in [
                    "Position",
                    "Time",
                    "Stream",
                    "Version",
                    "Event type",
                    "Correlation",
                ] {
                    header.col(|ui| {
                        ui.label(RichText::new(title).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(ROW_HEIGHT, rows as usize, |mut row| {
                    let index = row.index();
                    let expected = self.position_of_row(index);
                    let item = self
                        .page(&mut reader, index / PAGE_ROWS)
                        .and_then(|rows| rows.get(index % PAGE_ROWS))
                        .cloned();
                    let Some(item) = item else {
                        row.col(|ui| {
                            ui.weak(expected.map_or("…".to_string(), |p| p.to_string()));
                        });
                        return;
                    };
                    let position = item.position();
                    let is_selected = selected == Some(position);
                    row.set_selected(is_selected);
                    let this = match &item {
                        EventRow::Event { header, .. } => EventRef {
                            position,
                            stream_id: Some(header.stream_id.clone()),
                            version: Some(header.version),
                        },
                        _ => EventRef::at(position),
                    };
                    row.col(|ui| {
                        if ui
                            .selectable_label(is_selected, position.to_string())
                            .clicked()
                        {
                            commands.push(Command::SelectEvent(this.clone()));
                        }
                    });
                    match &item {
                        EventRow::Event { header, .. } => {
                            log_cells(&mut row, header, &mut commands)
                        }
                        EventRow::Damaged { error, .. } => {
                            row.col(|_| {});
                            row.col(|ui| {
                                ui.colored_label(failure, "damaged record")
                                    .on_hover_text(error);
                            });
                            row.col(|_| {});
                            row.col(|ui| {
                                ui.add(
                                    egui::Label::new(RichText::new(error).color(failure))
                                        .truncate(),
                                );
                            });
                            row.col(|_| {});
                        }
                        EventRow::Missing { .. } => {
                            row.col(|_| {});
                            row.col(|ui| {
                                ui.colored_label(failure, "missing record");
                            });
                        }
                    }
                    if row.response().clicked() {
                        commands.push(Command::SelectEvent(this));
                    }
                });
            });
        for command in commands {
            ctx.send(command);
        }
    }
}

fn log_cells(
    row: &mut egui_extras::TableRow<'_, '_>,
    header: &EventHeader,
    commands: &mut Vec<Command>,
) {
    row.col(|ui| {
        ui.label(format_time(header.occurred_at))
            .on_hover_text(format_rfc3339(header.occurred_at));
    });
    row.col(|ui| {
        if ui
            .link(fit::shortened(&header.stream_id, fit::ID_CHARS))
            .on_hover_text(format!("Show {} in the stream browser", header.stream_id))
            .clicked()
        {
            commands.push(Command::GoToStream(header.stream_id.clone()));
        }
    });
    row.col(|ui| {
        ui.label(header.version.to_string());
    });
    row.col(|ui| {
        ui.label(&header.event_type);
    });
    row.col(|ui| {
        if let Some(correlation) = header.correlation_id
            && ui
                .link(short_id(correlation))
                .on_hover_text(format!("Show the conversation {correlation}"))
                .clicked()
        {
            commands.push(Command::ShowConversation(correlation));
        }
    });
}

/// Scans the log (or the conversation's index) with the core's
/// [`scan_events`] and sends the matching positions page by page.
fn scan_log(
    store: &Store,
    filter: &EventFilter,
    worker: &Worker<ScanMessage>,
) -> Result<(), String> {
    let reader = store.read().map_err(|error| error.to_string())?;
    scan_events(&reader, filter, &mut |page| {
        worker.progress(page.scanned, page.total);
        let delivered =
            page.matches.is_empty() || worker.send(ScanMessage::Matches(page.matches.to_vec()));
        if delivered && !worker.is_cancelled() {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    })
    .map(|_| ())
    .map_err(|error| error.to_string())
}
