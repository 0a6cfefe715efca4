//! The outbox: pending outbound messages in a virtualized table (due time with
//! overdue highlighted, recipient, message type, stream link, attempts, last
//! error), sorted and filtered by each column; deliver now, reschedule, cancel
//! or move to dead letters, each confirmed with a reason.

use egui::{RichText, Sense, Ui};
use egui_extras::TableBuilder;
use uuid::Uuid;

use crate::state::command::Command;
use crate::widgets::fit;
use crate::widgets::time::{format_count, parse_time_input, short_id};
use process_workbench_core::store::{OutboxMessage, all_pages};

use super::super::ViewContext;
use super::shared::{
    Confirm, Loader, READ_ONLY_EXPLANATION, RescheduleField, confirm_ui, due_text, write_enabled,
};
use process_workbench_core::actions::Action;

/// Pending messages read at most (the outbox is a queue, not a log).
/// Messages read per page; every page is read (no cap), off the UI thread.
const PAGE_ROWS: usize = 10_000;
const ROW_HEIGHT: f32 = 22.0;

/// Columns to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutboxSort {
    #[default]
    Due,
    Recipient,
    MessageType,
    Stream,
    Attempts,
    LastError,
}

/// The outbox view.
#[derive(Default)]
pub struct OutboxView {
    messages: Loader<Vec<OutboxMessage>>,
    sort: OutboxSort,
    descending: bool,
    /// Filters per column (case-insensitive substrings).
    pub recipient: String,
    pub message_type: String,
    pub stream: String,
    pub last_error: String,
    pub only_overdue: bool,
    /// Due-time range (as typed; see `parse_time_input`) and fewest attempts.
    pub due_from: String,
    pub due_to: String,
    pub min_attempts: String,
    selected: Option<Uuid>,
    reschedule: RescheduleField,
    confirm: Option<Confirm>,
}

impl OutboxView {
    /// Whether a read is under way.
    pub fn is_busy(&self) -> bool {
        self.messages.is_busy()
    }

    /// Sorts by a column.
    pub fn sort_by(&mut self, sort: OutboxSort, descending: bool) {
        self.sort = sort;
        self.descending = descending;
    }

    fn visible(&self, now: time::OffsetDateTime) -> Vec<&OutboxMessage> {
        let Some(all) = self.messages.value.current() else {
            return Vec::new();
        };
        // A bound that does not parse filters nothing; `filter_problem` says why.
        let due_from = parse_time_input(&self.due_from).ok();
        let due_to = parse_time_input(&self.due_to).ok();
        let min_attempts = self.min_attempts.trim().parse::<u32>().unwrap_or(0);
        let has = |text: &str, wanted: &str| {
            wanted.trim().is_empty() || text.to_lowercase().contains(&wanted.trim().to_lowercase())
        };
        let mut rows: Vec<&OutboxMessage> = all
            .iter()
            .filter(|m| {
                has(&m.recipient, &self.recipient)
                    && has(&m.message_type, &self.message_type)
                    && has(&m.stream_id, &self.stream)
                    && has(m.last_error.as_deref().unwrap_or(""), &self.last_error)
                    && (!self.only_overdue || m.due_at <= now)
                    && due_from.is_none_or(|from| m.due_at >= from)
                    && due_to.is_none_or(|to| m.due_at <= to)
                    && m.attempts >= min_attempts
            })
            .collect();
        rows.sort_by(|a, b| {
            let order = match self.sort {
                OutboxSort::Due => a.due_at.cmp(&b.due_at),
                OutboxSort::Recipient => a.recipient.cmp(&b.recipient),
                OutboxSort::MessageType => a.message_type.cmp(&b.message_type),
                OutboxSort::Stream => a.stream_id.cmp(&b.stream_id),
                OutboxSort::Attempts => a.attempts.cmp(&b.attempts),
                OutboxSort::LastError => a.last_error.cmp(&b.last_error),
            };
            let order = order.then(a.due_at.cmp(&b.due_at)).then(a.id.cmp(&b.id));
            if self.descending {
                order.reverse()
            } else {
                order
            }
        });
        rows
    }

    /// Why a typed bound is not used, if one is not.
    fn filter_problem(&self) -> Option<String> {
        for (name, text) in [("Due from", &self.due_from), ("Due to", &self.due_to)] {
            if !text.trim().is_empty()
                && let Err(why) = parse_time_input(text)
            {
                return Some(format!("{name}: {why}"));
            }
        }
        let attempts = self.min_attempts.trim();
        (!attempts.is_empty() && attempts.parse::<u32>().is_err())
            .then(|| format!("Attempts: {attempts:?} is not a whole number"))
    }

    /// Shows the view.
    pub fn ui(&mut self, ui: &mut Ui, context: &mut ViewContext<'_>) {
        self.messages.update(ui, context, |store, _| {
            let reader = store.read().map_err(|e| e.to_string())?;
            all_pages(|after| reader.outbox(after, PAGE_ROWS)).map_err(|e| e.to_string())
        });
        ui.heading("Outbox");
        let can_write = write_enabled(ui, context);
        ui.horizontal_wrapped(|ui| {
            ui.label("Filter:");
            for (hint, text) in [
                ("recipient", &mut self.recipient),
                ("message type", &mut self.message_type),
                ("stream", &mut self.stream),
                ("last error", &mut self.last_error),
            ] {
                ui.add(
                    egui::TextEdit::singleline(text)
                        .hint_text(hint)
                        .desired_width(fit::field_width(ui, hint, 110.0)),
                )
                .accessible_name(format!("Filter by {hint}"));
            }
            ui.checkbox(&mut self.only_overdue, "Only overdue");
        });
        ui.horizontal_wrapped(|ui| {
            ui.label("Due between");
            for (name, text) in [
                ("Due from", &mut self.due_from),
                ("Due to", &mut self.due_to),
            ] {
                let hint = "YYYY-MM-DD [HH:MM]";
                ui.add(
                    egui::TextEdit::singleline(text)
                        .hint_text(hint)
                        .desired_width(fit::field_width(ui, hint, 130.0)),
                )
                .accessible_name(name);
                if name == "Due from" {
                    ui.label("and");
                }
            }
            ui.label("At least");
            ui.add(
                egui::TextEdit::singleline(&mut self.min_attempts)
                    .hint_text("0")
                    .desired_width(40.0),
            )
            .accessible_name("At least attempts");
            ui.label("attempts");
        });
        if let Some(problem) = self.filter_problem() {
            ui.colored_label(ui.visuals().warn_fg_color, problem);
        }
        self.messages.status_ui(ui);
        let now = context.now;
        let rows: Vec<OutboxMessage> = self.visible(now).into_iter().cloned().collect();
        let total = self.messages.value.current().map_or(0, Vec::len);
        let overdue = rows.iter().filter(|m| m.due_at <= now).count();
        ui.label(format!(
            "{} of {} pending messages shown, {} overdue",
            format_count(rows.len() as u64),
            format_count(total as u64),
            format_count(overdue as u64)
        ));
        if let Some(selected) = self
            .selected
            .and_then(|id| rows.iter().find(|m| m.id == id))
            .cloned()
        {
            self.actions_ui(ui, context, &selected, can_write);
        } else {
            ui.weak("Select a message to act on it.");
        }
        ui.separator();
        self.table_ui(ui, context, &rows, now);
        confirm_ui(ui, &mut self.confirm, context);
    }

    fn actions_ui(
        &mut self,
        ui: &mut Ui,
        context: &mut ViewContext<'_>,
        message: &OutboxMessage,
        can_write: bool,
    ) {
        let what = format!(
            "{} to {} ({})",
            message.message_type,
            message.recipient,
            short_id(message.id)
        );
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(&what).strong());
            let hint =
                |response: egui::Response| response.on_disabled_hover_text(READ_ONLY_EXPLANATION);
            if hint(ui.add_enabled(can_write, egui::Button::new("Deliver now…"))).clicked() {
                self.confirm = Some(
                    Confirm::new(
                        Action::OutboxDeliverNow {
                            message: message.id,
                        },
                        format!("Deliver {what} now?"),
                        "Yes, deliver now",
                    )
                    .line("The message becomes due now; the next delivery run sends it."),
                );
            }
            if let Some(confirm) =
                self.reschedule
                    .ui(ui, can_write, &what, |at| Action::OutboxReschedule {
                        message: message.id,
                        at,
                    })
            {
                self.confirm = Some(confirm);
            }
            if hint(ui.add_enabled(can_write, egui::Button::new("Cancel message…"))).clicked() {
                self.confirm = Some(
                    Confirm::new(
                        Action::OutboxCancel {
                            message: message.id,
                        },
                        format!("Cancel {what}?"),
                        "Yes, cancel the message",
                    )
                    .line("The message is removed from the outbox and never sent."),
                );
            }
            if hint(ui.add_enabled(can_write, egui::Button::new("Move to dead letters…"))).clicked()
            {
                self.confirm = Some(
                    Confirm::new(
                        Action::OutboxToDeadLetter {
                            message: message.id,
                        },
                        format!("Move {what} to the dead letters?"),
                        "Yes, move it",
                    )
                    .line("It leaves the outbox and can be resubmitted from the dead letters."),
                );
            }
            if ui.link(format!("stream {}", message.stream_id)).clicked() {
                context.send(Command::GoToStream(message.stream_id.clone()));
            }
        });
        self.reschedule.error_ui(ui);
    }

    /// A column's header: its title, and the order when the table is sorted by it.
    fn header_title(&self, title: &str, sort: OutboxSort) -> String {
        let arrow = match (self.sort == sort, self.descending) {
            (true, false) => " (ascending)",
            (true, true) => " (descending)",
            _ => "",
        };
        format!("{title}{arrow}")
    }

    fn table_ui(
        &mut self,
        ui: &mut Ui,
        context: &mut ViewContext<'_>,
        rows: &[OutboxMessage],
        now: time::OffsetDateTime,
    ) {
        let headers = [
            ("Due", OutboxSort::Due),
            ("Recipient", OutboxSort::Recipient),
            ("Message type", OutboxSort::MessageType),
            ("Stream", OutboxSort::Stream),
            ("Attempts", OutboxSort::Attempts),
            ("Last error", OutboxSort::LastError),
        ];
        // Plain labels, so that a click on a cell selects the row.
        ui.style_mut().interaction.selectable_labels = false;
        let error_column =
            fit::free_text_column(ui, &self.header_title("Last error", OutboxSort::LastError));
        TableBuilder::new(ui)
            .id_salt("outbox_table")
            .striped(true)
            .resizable(true)
            .sense(Sense::click())
            .auto_shrink([false, false])
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            // Times, ids and counts as wide as they are; the error (free
            // text) takes the rest and elides what does not fit.
            .columns(fit::column(), 5)
            .column(error_column)
            .header(ROW_HEIGHT + 4.0, |mut header| {
                for (title, sort) in headers {
                    header.col(|ui| {
                        if ui
                            .button(RichText::new(self.header_title(title, sort)).strong())
                            .clicked()
                        {
                            let descending = self.sort == sort && !self.descending;
                            self.sort_by(sort, descending);
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(ROW_HEIGHT, rows.len(), |mut row| {
                    let Some(message) = rows.get(row.index()) else {
                        return;
                    };
                    row.set_selected(self.selected == Some(message.id));
                    row.col(|ui| {
                        ui.label(due_text(ui, message.due_at, now));
                    });
                    row.col(|ui| {
                        ui.label(&message.recipient);
                    });
                    row.col(|ui| {
                        ui.label(&message.message_type);
                    });
                    row.col(|ui| {
                        let stream = fit::shortened(&message.stream_id, fit::ID_CHARS);
                        if ui.link(stream).on_hover_text(&message.stream_id).clicked() {
                            context.send(Command::GoToStream(message.stream_id.clone()));
                        }
                    });
                    row.col(|ui| {
                        ui.label(format!("{}/{}", message.attempts, message.max_attempts));
                    });
                    row.col(|ui| {
                        ui.label(message.last_error.as_deref().unwrap_or("—"));
                    });
                    if row.response().clicked() {
                        self.selected = Some(message.id);
                    }
                });
            });
    }
}
