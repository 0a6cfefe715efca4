//! The events of the selected stream: a virtualized table (version, time,
//! type, cause, correlation) read a page at a time. Cause and correlation are
//! links to the causing event and to the conversation.

use std::sync::Arc;

use egui::{RichText, Sense, Ui};
use egui_extras::{Column, TableBuilder};

use crate::state::command::Command;
use crate::widgets::fit;
use crate::widgets::time::{format_count, format_rfc3339, format_time, short_id};
use process_workbench_core::store::StreamInfo;

use super::ViewContext;
use super::rows::{EventRow, LazyReader, PAGE_ROWS, PageCache, read_stream_event_rows};
use crate::state::EventRef;
use crate::widgets::style::{ROW_HEIGHT, failure_colour, status_text};

/// Pages of event rows kept.
const CACHED_PAGES: usize = 16;

/// The events table of one stream.
pub struct StreamEventsTable {
    /// The stream shown, its record, and the generation it was read at.
    stream: Option<(String, u64, Result<Option<StreamInfo>, String>)>,
    pages: PageCache<EventRow>,
    source: u64,
    scroll_to: Option<usize>,
}

impl Default for StreamEventsTable {
    fn default() -> Self {
        StreamEventsTable {
            stream: None,
            pages: PageCache::new(CACHED_PAGES),
            source: 0,
            scroll_to: None,
        }
    }
}

impl StreamEventsTable {
    /// Scrolls to an event of the stream on the next frame.
    pub fn scroll_to_version(&mut self, version: u64) {
        self.scroll_to = Some(version.saturating_sub(1) as usize);
    }

    /// Shows the events of `stream_id`.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>, stream_id: &str) {
        let generation = ctx.store.generation;
        let store = Arc::clone(&ctx.store.store);
        let mut reader = LazyReader::new(&store);
        let stale =
            !matches!(&self.stream, Some((id, at, _)) if id == stream_id && *at == generation);
        if stale {
            let info = reader
                .get()
                .and_then(|reader| reader.stream(stream_id).map_err(|error| error.to_string()));
            if self
                .stream
                .as_ref()
                .is_none_or(|(id, _, _)| id != stream_id)
            {
                self.source += 1;
            }
            self.stream = Some((stream_id.to_string(), generation, info));
        }
        self.pages.key_on(generation, self.source);
        let Some((_, _, info)) = &self.stream else {
            return;
        };
        let info = match info {
            Ok(Some(info)) => info.clone(),
            Ok(None) => {
                ui.label(format!("There is no stream {stream_id} in this store."));
                return;
            }
            Err(error) => {
                ui.colored_label(
                    failure_colour(ui),
                    format!("The stream {stream_id} could not be read: {error}"),
                );
                return;
            }
        };
        header_ui(ui, &info);
        self.table_ui(ui, ctx, &mut reader, &info);
    }

    fn table_ui(
        &mut self,
        ui: &mut Ui,
        ctx: &mut ViewContext<'_>,
        reader: &mut LazyReader<'_>,
        info: &StreamInfo,
    ) {
        let selected = ctx.selection.event.clone();
        let failure = failure_colour(ui);
        // Clicks on a row's text select the row (not the text).
        ui.style_mut().interaction.selectable_labels = false;
        let mut builder = TableBuilder::new(ui)
            .id_salt("stream_events_table")
            .striped(true)
            .resizable(true)
            .sense(Sense::click())
            .auto_shrink([false, false])
            .animate_scrolling(false)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            // Every column as wide as its header and cells: nothing is cut.
            .columns(fit::column(), 4)
            .column(Column::remainder());
        if let Some(row) = self.scroll_to.take() {
            builder = builder.scroll_to_row(row, Some(egui::Align::Center));
        }
        let mut commands = Vec::new();
        let stream_id = info.stream_id.clone();
        builder
            .header(ROW_HEIGHT + 4.0, |mut header| {
                for title in ["Version", "Time", "Event type", "Cause", "Correlation"] {
                    header.col(|ui| {
                        ui.label(RichText::new(title).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(ROW_HEIGHT, info.version as usize, |mut row| {
                    let index = row.index();
                    let page = index / PAGE_ROWS;
                    let item = self
                        .page(reader, &stream_id, page)
                        .and_then(|rows| rows.get(index % PAGE_ROWS))
                        .cloned();
                    let Some(item) = item else {
                        row.col(|ui| {
                            ui.weak("…");
                        });
                        return;
                    };
                    let version = index as u64 + 1;
                    let this = EventRef {
                        position: item.position(),
                        stream_id: Some(stream_id.clone()),
                        version: Some(version),
                    };
                    let is_selected = selected.as_ref().is_some_and(|event| {
                        event.position == this.position
                            && event.stream_id.as_deref().is_none_or(|id| id == stream_id)
                    });
                    row.set_selected(is_selected);
                    match &item {
                        EventRow::Event { header, .. } => {
                            row.col(|ui| {
                                if ui
                                    .selectable_label(is_selected, version.to_string())
                                    .clicked()
                                {
                                    commands.push(Command::SelectEvent(this.clone()));
                                }
                            });
                            row.col(|ui| {
                                ui.label(format_time(header.occurred_at))
                                    .on_hover_text(format_rfc3339(header.occurred_at));
                            });
                            row.col(|ui| {
                                ui.label(&header.event_type);
                            });
                            row.col(|ui| {
                                if let Some(cause) = header.causation_id
                                    && ui
                                        .link(short_id(cause))
                                        .on_hover_text(format!("Go to the cause, event {cause}"))
                                        .clicked()
                                {
                                    commands.push(Command::GoToEvent(cause));
                                }
                            });
                            row.col(|ui| {
                                if let Some(correlation) = header.correlation_id
                                    && ui
                                        .link(short_id(correlation))
                                        .on_hover_text(format!(
                                            "Show the conversation {correlation}"
                                        ))
                                        .clicked()
                                {
                                    commands.push(Command::ShowConversation(correlation));
                                }
                            });
                        }
                        EventRow::Damaged { error, .. } => {
                            row.col(|ui| {
                                if ui
                                    .selectable_label(is_selected, version.to_string())
                                    .clicked()
                                {
                                    commands.push(Command::SelectEvent(this.clone()));
                                }
                            });
                            row.col(|_| {});
                            row.col(|ui| {
                                ui.colored_label(failure, "damaged record")
                                    .on_hover_text(error);
                            });
                            row.col(|_| {});
                            row.col(|_| {});
                        }
                        EventRow::Missing { position } => {
                            row.col(|ui| {
                                ui.label(version.to_string());
                            });
                            row.col(|_| {});
                            row.col(|ui| {
                                ui.colored_label(
                                    failure,
                                    format!("missing event at position {position}"),
                                );
                            });
                            row.col(|_| {});
                            row.col(|_| {});
                        }
                    }
                    row.response().context_menu(|ui| {
                        if ui.button("Show in replay").clicked() {
                            commands.push(Command::ShowInReplay {
                                stream_id: stream_id.clone(),
                                version,
                            });
                            ui.close();
                        }
                    });
                    if row.response().clicked() {
                        commands.push(Command::SelectEvent(this));
                    }
                });
            });
        for command in commands {
            ctx.send(command);
        }
    }

    fn page<'s>(
        &'s mut self,
        reader: &mut LazyReader<'_>,
        stream_id: &str,
        page: usize,
    ) -> Option<&'s [EventRow]> {
        if self.pages.get(page).is_none() {
            let reader = reader.get().ok()?;
            let from_version = (page * PAGE_ROWS) as u64 + 1;
            let rows = read_stream_event_rows(reader, stream_id, from_version, PAGE_ROWS)
                .unwrap_or_default();
            return Some(self.pages.get_or_load(page, || rows));
        }
        self.pages.get(page)
    }
}

fn header_ui(ui: &mut Ui, info: &StreamInfo) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(&info.stream_id).strong().monospace());
        ui.label(format!(
            "{} · {} events ·",
            info.process_type,
            format_count(info.version)
        ));
        ui.label(status_text(ui, info.status));
        if let Some(state) = &info.process_state {
            ui.label(format!("· state {state}"));
        }
    });
    if let Some(error) = &info.last_error {
        ui.colored_label(failure_colour(ui), format!("Last error: {error}"));
    }
}
