//! Bits the queue views share: the read-only explanation, the confirmation
//! dialog with its reason field, background loading keyed on the store's
//! generation, and how overdue times look.

use std::sync::Arc;

use egui::{Color32, RichText, Ui};
use time::OffsetDateTime;

use crate::state::command::Command;
use crate::state::jobs::{Job, Worker};
use crate::state::loadable::Loadable;
use crate::widgets::dialog;
use crate::widgets::time::{format_time, parse_time_input};
use process_workbench_core::actions::Action;
use process_workbench_core::store::Store;

use super::super::ViewContext;

/// Shown on every disabled write action of a read-only store.
pub const READ_ONLY_EXPLANATION: &str =
    "The store is open read-only, so these actions are disabled. Enable writing to act on it.";

/// Whether write actions can be offered now; otherwise shows why not, with a
/// way to enable writing.
pub fn write_enabled(ui: &mut Ui, context: &mut ViewContext<'_>) -> bool {
    if !context.store.is_writable() {
        ui.horizontal(|ui| {
            ui.label(RichText::new(READ_ONLY_EXPLANATION).color(ui.visuals().warn_fg_color));
            if !context.store.is_copy() && ui.button("Enable writing…").clicked() {
                context.send(Command::AskEnableWriting);
            }
        });
        return false;
    }
    !context.action_running
}

/// The "New due time" field and "Reschedule…" button of the outbox and
/// deadline views, with the parse error of what was typed.
#[derive(Debug, Default)]
pub struct RescheduleField {
    text: String,
    error: Option<String>,
}

impl RescheduleField {
    /// Shows the field and button (in a horizontal row); when clicked with a
    /// valid time, the confirmation of `action(at)` for `what`.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        can_write: bool,
        what: &str,
        action: impl FnOnce(OffsetDateTime) -> Action,
    ) -> Option<Confirm> {
        ui.add(
            egui::TextEdit::singleline(&mut self.text)
                .hint_text("2024-03-01 10:00")
                .desired_width(130.0),
        )
        .accessible_name("New due time");
        let button = ui
            .add_enabled(can_write, egui::Button::new("Reschedule…"))
            .on_disabled_hover_text(READ_ONLY_EXPLANATION);
        if !button.clicked() {
            return None;
        }
        match parse_time_input(&self.text) {
            Ok(at) => {
                self.error = None;
                Some(
                    Confirm::new(action(at), format!("Reschedule {what}?"), "Yes, reschedule")
                        .line(format!("New due time: {}", format_time(at))),
                )
            }
            Err(error) => {
                self.error = Some(error);
                None
            }
        }
    }

    /// The parse error of the last attempt, if any (below the row).
    pub fn error_ui(&self, ui: &mut Ui) {
        if let Some(error) = &self.error {
            ui.label(RichText::new(error).color(ui.visuals().warn_fg_color));
        }
    }
}

/// An action waiting for the operator's confirmation and reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub action: Action,
    /// What will happen, in words.
    pub title: String,
    pub lines: Vec<String>,
    /// The confirm button's label, e.g. "Yes, discard".
    pub button: String,
    pub reason: String,
}

impl Confirm {
    /// A confirmation for `action`.
    pub fn new(action: Action, title: impl Into<String>, button: impl Into<String>) -> Self {
        Confirm {
            action,
            title: title.into(),
            lines: Vec::new(),
            button: button.into(),
            reason: String::new(),
        }
    }

    /// Adds a line of explanation.
    pub fn line(mut self, line: impl Into<String>) -> Self {
        self.lines.push(line.into());
        self
    }
}

/// Shows the confirmation dialog, if one is open. Confirming sends the action
/// with the reason; the dialog closes on confirm or cancel.
pub fn confirm_ui(ui: &mut Ui, confirm: &mut Option<Confirm>, context: &mut ViewContext<'_>) {
    let Some(pending) = confirm else {
        return;
    };
    let modal = egui::Modal::new(egui::Id::unique("queue_confirm")).show(ui.ctx(), |ui| {
        ui.set_width(460.0);
        ui.heading(&pending.title);
        for line in &pending.lines {
            ui.label(line);
        }
        ui.add_space(6.0);
        ui.label("Reason (kept in the audit trail):");
        ui.add(
            egui::TextEdit::singleline(&mut pending.reason)
                .id_salt("confirm_reason")
                .hint_text("why")
                .desired_width(f32::INFINITY),
        )
        .accessible_name("Reason for the audit trail");
        let has_reason = !pending.reason.trim().is_empty();
        ui.add_space(8.0);
        dialog::confirm_buttons(
            ui,
            &pending.button,
            has_reason,
            Some("Give a reason first: every operator action needs one."),
        )
    });
    match dialog::answer(&modal) {
        Some(true) => {
            if let Some(pending) = confirm.take() {
                context.send(Command::Run {
                    action: pending.action,
                    reason: pending.reason.trim().to_string(),
                });
            }
        }
        Some(false) => *confirm = None,
        None => {}
    }
}

/// A due time, highlighted when it is at or before `now`.
pub fn due_text(ui: &Ui, due: OffsetDateTime, now: OffsetDateTime) -> RichText {
    let text = RichText::new(format_time(due));
    if due <= now {
        text.color(overdue_colour(ui)).strong()
    } else {
        text
    }
}

/// The colour of overdue times.
pub fn overdue_colour(ui: &Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(255, 140, 90)
    } else {
        Color32::from_rgb(190, 70, 0)
    }
}

/// A value read in a background job, read again when the store's generation
/// or the views' write count moves, or when asked.
pub struct Loader<T> {
    pub value: Loadable<T>,
    job: Option<Job<Result<T, String>>>,
    key: Option<u64>,
}

impl<T> Default for Loader<T> {
    fn default() -> Self {
        Loader {
            value: Loadable::Idle,
            job: None,
            key: None,
        }
    }
}

impl<T: Send + 'static> Loader<T> {
    /// Whether a read is under way.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// Reads again on the next [`Loader::update`].
    pub fn invalidate(&mut self) {
        self.key = None;
    }

    /// Starts a read when the key moved; takes in a finished read.
    pub fn update(
        &mut self,
        ui: &Ui,
        context: &ViewContext<'_>,
        load: impl FnOnce(Arc<Store>, &Worker<Result<T, String>>) -> Result<T, String> + Send + 'static,
    ) {
        let key = context.store.generation;
        if self.key != Some(key) {
            self.key = Some(key);
            self.value.start_loading();
            let store = Arc::clone(&context.store.store);
            self.job = Some(Job::spawn(
                "queue read",
                Some(ui.ctx().clone()),
                move |worker: &Worker<Result<T, String>>| {
                    let result = load(store, worker);
                    worker.send(result);
                },
            ));
        }
        if let Some(job) = &mut self.job {
            let mut results = job.poll();
            let finished = job.is_finished();
            if let Some(result) = results.pop() {
                self.value.finish(result);
                self.job = None;
            } else if finished {
                self.value
                    .finish(Err("the read stopped unexpectedly".to_string()));
                self.job = None;
            }
        }
    }

    /// Shows a spinner while reading and the error of a failed read.
    pub fn status_ui(&self, ui: &mut Ui) {
        if self.job.is_some() {
            ui.horizontal(|ui| {
                ui.add(egui::Spinner::new());
                ui.label("Reading…");
            });
        }
        if let Some(error) = self.value.error() {
            ui.label(
                RichText::new(format!("Could not read: {error}")).color(ui.visuals().warn_fg_color),
            );
        }
    }
}
