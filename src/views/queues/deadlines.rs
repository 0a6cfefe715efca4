//! Pending deadlines: due time (overdue highlighted), stream link, what
//! happens on expiry; fire now, reschedule or cancel, each confirmed with a reason.

use egui::{RichText, Sense, Ui};
use egui_extras::{Column, TableBuilder};
use uuid::Uuid;

use crate::state::command::Command;
use crate::widgets::fit;
use crate::widgets::time::{format_count, format_time};
use process_workbench_core::store::{Deadline, all_pages};

use super::super::ViewContext;
use super::shared::{
    Confirm, Loader, READ_ONLY_EXPLANATION, RescheduleField, confirm_ui, due_text, write_enabled,
};
use process_workbench_core::actions::Action;

/// Deadlines read per page; every page is read (no cap), off the UI thread.
const PAGE_ROWS: usize = 10_000;
const ROW_HEIGHT: f32 = 22.0;

/// The deadlines view.
#[derive(Default)]
pub struct DeadlinesView {
    deadlines: Loader<Vec<Deadline>>,
    /// Filter on stream or expiry event (case-insensitive substring).
    pub filter: String,
    pub only_overdue: bool,
    selected: Option<Uuid>,
    reschedule: RescheduleField,
    confirm: Option<Confirm>,
}

impl DeadlinesView {
    /// Whether a read is under way.
    pub fn is_busy(&self) -> bool {
        self.deadlines.is_busy()
    }

    /// Shows the view.
    pub fn ui(&mut self, ui: &mut Ui, context: &mut ViewContext<'_>) {
        self.deadlines.update(ui, context, |store, _| {
            let reader = store.read().map_err(|e| e.to_string())?;
            all_pages(|after| reader.deadlines(after, PAGE_ROWS)).map_err(|e| e.to_string())
        });
        ui.heading("Deadlines");
        let can_write = write_enabled(ui, context);
        ui.horizontal_wrapped(|ui| {
            ui.label("Filter:");
            let hint = "stream or expiry event";
            ui.add(
                egui::TextEdit::singleline(&mut self.filter)
                    .hint_text(hint)
                    .desired_width(fit::field_width(ui, hint, 200.0)),
            )
            .accessible_name("Filter deadlines");
            ui.checkbox(&mut self.only_overdue, "Only overdue");
        });
        self.deadlines.status_ui(ui);
        let now = context.now;
        let wanted = self.filter.trim().to_lowercase();
        let rows: Vec<Deadline> = self
            .deadlines
            .value
            .current()
            .map(|all| {
                all.iter()
                    .filter(|d| {
                        (wanted.is_empty()
                            || d.stream_id.to_lowercase().contains(&wanted)
                            || d.on_expiry.to_lowercase().contains(&wanted))
                            && (!self.only_overdue || d.due_at <= now)
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let overdue = rows.iter().filter(|d| d.due_at <= now).count();
        ui.label(format!(
            "{} pending deadlines shown, {} overdue",
            format_count(rows.len() as u64),
            format_count(overdue as u64)
        ));
        match self
            .selected
            .and_then(|id| rows.iter().find(|d| d.id == id))
            .cloned()
        {
            Some(deadline) => self.actions_ui(ui, context, &deadline, can_write),
            None => {
                ui.weak("Select a deadline to act on it.");
            }
        }
        ui.separator();
        // Plain labels, so that a click on a cell selects the row.
        ui.style_mut().interaction.selectable_labels = false;
        TableBuilder::new(ui)
            .id_salt("deadlines_table")
            .striped(true)
            .resizable(true)
            .sense(Sense::click())
            .auto_shrink([false, false])
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            // Times, ids and event types as wide as they are: nothing is cut.
            .columns(fit::column(), 3)
            .column(Column::remainder())
            .header(ROW_HEIGHT + 4.0, |mut header| {
                for title in ["Due", "Stream", "On expiry", "Set at"] {
                    header.col(|ui| {
                        ui.label(RichText::new(title).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(ROW_HEIGHT, rows.len(), |mut row| {
                    let Some(deadline) = rows.get(row.index()) else {
                        return;
                    };
                    row.set_selected(self.selected == Some(deadline.id));
                    row.col(|ui| {
                        ui.label(due_text(ui, deadline.due_at, now));
                    });
                    row.col(|ui| {
                        let stream = fit::shortened(&deadline.stream_id, fit::ID_CHARS);
                        if ui.link(stream).on_hover_text(&deadline.stream_id).clicked() {
                            context.send(Command::GoToStream(deadline.stream_id.clone()));
                        }
                    });
                    row.col(|ui| {
                        ui.label(format!("appends {}", deadline.on_expiry));
                    });
                    row.col(|ui| {
                        ui.label(format_time(deadline.created_at));
                    });
                    if row.response().clicked() {
                        self.selected = Some(deadline.id);
                    }
                });
            });
        confirm_ui(ui, &mut self.confirm, context);
    }

    fn actions_ui(
        &mut self,
        ui: &mut Ui,
        context: &mut ViewContext<'_>,
        deadline: &Deadline,
        can_write: bool,
    ) {
        let what = format!(
            "the deadline of {} ({})",
            deadline.stream_id, deadline.on_expiry
        );
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!(
                    "{}: on expiry {}",
                    deadline.stream_id, deadline.on_expiry
                ))
                .strong(),
            );
            let hint =
                |response: egui::Response| response.on_disabled_hover_text(READ_ONLY_EXPLANATION);
            if hint(ui.add_enabled(can_write, egui::Button::new("Fire now…"))).clicked() {
                self.confirm = Some(
                    Confirm::new(
                        Action::DeadlineFire {
                            deadline: deadline.id,
                        },
                        format!("Fire {what} now?"),
                        "Yes, fire now",
                    )
                    .line(format!(
                        "{} is appended to {} now.",
                        deadline.on_expiry, deadline.stream_id
                    )),
                );
            }
            if let Some(confirm) =
                self.reschedule
                    .ui(ui, can_write, &what, |at| Action::DeadlineReschedule {
                        deadline: deadline.id,
                        at,
                    })
            {
                self.confirm = Some(confirm);
            }
            if hint(ui.add_enabled(can_write, egui::Button::new("Cancel deadline…"))).clicked() {
                self.confirm = Some(
                    Confirm::new(
                        Action::DeadlineCancel {
                            deadline: deadline.id,
                        },
                        format!("Cancel {what}?"),
                        "Yes, cancel the deadline",
                    )
                    .line("The deadline is removed; it will not fire."),
                );
            }
            if ui.link("go to stream").clicked() {
                context.send(Command::GoToStream(deadline.stream_id.clone()));
            }
        });
        self.reschedule.error_ui(ui);
    }
}
