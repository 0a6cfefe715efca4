//! The operator's queue views: outbox, deadlines, dead letters and the audit
//! trail. Each view reads in background jobs and asks for writes with a
//! [`QueueCommand`]; the app hands that to [`QueuesView::apply`], which runs
//! the engine's operator action as a background job on the open store.

pub mod audit;
pub mod dead_letters;
pub mod deadlines;
pub mod outbox;
mod shared;

use std::sync::Arc;

use egui::{RichText, Ui};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::app::jobs::{Job, Worker};
use crate::widgets::progress::job_progress_ui;
use process_workbench_core::engine::{DispatchOutcome, Engine, Operator, ResubmitOutcome};
use process_workbench_core::queues::{
    AuditFilter, BulkAction, BulkSummary, audit_entries, export_audit_json, run_bulk,
};
use process_workbench_core::store::Store;

use super::{View, ViewContext};

pub use shared::{READ_ONLY_EXPLANATION, write_enabled};

/// One operator action on the queues.
#[derive(Debug, Clone, PartialEq)]
pub enum QueueAction {
    OutboxDeliverNow(Uuid),
    OutboxReschedule(Uuid, OffsetDateTime),
    OutboxCancel(Uuid),
    OutboxToDeadLetter(Uuid),
    DeadlineFire(Uuid),
    DeadlineReschedule(Uuid, OffsetDateTime),
    DeadlineCancel(Uuid),
    /// Resubmit a dead letter, as it is (`None`) or with an edited payload.
    Resubmit {
        id: Uuid,
        payload: Option<Value>,
    },
    Discard(Uuid),
    /// Resubmit or discard many dead letters, each in its own transaction.
    Bulk {
        action: BulkAction,
        ids: Vec<Uuid>,
    },
}

/// What the queue views ask the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum QueueCommand {
    /// Run an operator action (already confirmed) with the operator's reason.
    Run { action: QueueAction, reason: String },
    /// Cancel the running bulk action (items done so far stay done).
    CancelRun,
    /// Ask where to save the audit entries passing the filter, and save them as JSON.
    ExportAudit(AuditFilter),
}

/// What a finished action says.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    pub line: String,
    pub failed: bool,
    pub summary: Option<BulkSummary>,
}

/// The four queue views and the write job they share.
#[derive(Default)]
pub struct QueuesView {
    pub outbox: outbox::OutboxView,
    pub deadlines: deadlines::DeadlinesView,
    pub dead_letters: dead_letters::DeadLettersView,
    pub audit: audit::AuditView,
    running: Option<Job<RunReport>>,
    running_what: String,
    last_report: Option<RunReport>,
    /// Bumped after each write: the views read again.
    writes: u64,
}

impl QueuesView {
    /// Whether a read or write job is under way.
    pub fn is_busy(&self) -> bool {
        self.running.is_some()
            || self.outbox.is_busy()
            || self.deadlines.is_busy()
            || self.dead_letters.is_busy()
            || self.audit.is_busy()
    }

    /// What the last finished action said.
    pub fn last_report(&self) -> Option<&RunReport> {
        self.last_report.as_ref()
    }

    /// Shows `view` (one of the four queue views).
    pub fn ui(&mut self, ui: &mut Ui, context: &mut ViewContext<'_>, view: View) {
        self.poll();
        self.run_status_ui(ui);
        let writes = self.writes;
        let busy_writing = self.running.is_some();
        match view {
            View::Outbox => self.outbox.ui(ui, context, writes, busy_writing),
            View::Deadlines => self.deadlines.ui(ui, context, writes, busy_writing),
            View::DeadLetters => self.dead_letters.ui(ui, context, writes, busy_writing),
            View::Audit => self.audit.ui(ui, context, writes),
            _ => {}
        }
    }

    fn poll(&mut self) {
        let Some(job) = &mut self.running else {
            return;
        };
        let mut reports = job.poll();
        let finished = job.is_finished();
        if let Some(report) = reports.pop() {
            self.last_report = Some(report);
        }
        if finished {
            if self.last_report.is_none() {
                self.last_report = Some(RunReport {
                    line: format!("{} stopped unexpectedly", self.running_what),
                    failed: true,
                    summary: None,
                });
            }
            self.running = None;
            self.writes += 1;
        }
    }

    fn run_status_ui(&mut self, ui: &mut Ui) {
        if let Some(job) = &self.running {
            let (done, total) = job.progress();
            if job_progress_ui(ui, &self.running_what, done, total, "items") {
                job.cancel();
            }
            ui.separator();
        } else if let Some(report) = &self.last_report {
            let mut dismiss = false;
            ui.horizontal(|ui| {
                let colour = if report.failed {
                    ui.visuals().warn_fg_color
                } else {
                    ui.visuals().strong_text_color()
                };
                ui.label(RichText::new(&report.line).color(colour));
                dismiss = ui.small_button("OK").clicked();
            });
            if dismiss {
                self.last_report = None;
            }
            ui.separator();
        }
    }

    /// Applies a queue command: the only place where the queue views' writes start.
    pub fn apply(
        &mut self,
        command: QueueCommand,
        store: &Arc<Store>,
        now: OffsetDateTime,
        repaint: Option<egui::Context>,
    ) {
        match command {
            QueueCommand::Run { action, reason } => self.start(action, reason, store, now, repaint),
            QueueCommand::CancelRun => {
                if let Some(job) = &self.running {
                    job.cancel();
                }
            }
            QueueCommand::ExportAudit(filter) => self.export_audit(&filter, store),
        }
    }

    fn start(
        &mut self,
        action: QueueAction,
        reason: String,
        store: &Arc<Store>,
        now: OffsetDateTime,
        repaint: Option<egui::Context>,
    ) {
        if self.running.is_some() {
            self.last_report = Some(RunReport {
                line: "Another action is still running; wait for it to finish.".to_string(),
                failed: true,
                summary: None,
            });
            return;
        }
        self.last_report = None;
        self.running_what = describe(&action);
        let store = Arc::clone(store);
        let name = self.running_what.clone();
        self.running = Some(Job::spawn(
            name,
            repaint,
            move |worker: &Worker<RunReport>| {
                let report = run_action(&store, action, &reason, now, worker);
                worker.send(report);
            },
        ));
    }

    fn export_audit(&mut self, filter: &AuditFilter, store: &Arc<Store>) {
        let Some(path) = rfd::FileDialog::new()
            .set_title("Export the audit trail")
            .set_file_name("audit.json")
            .add_filter("JSON", &["json"])
            .save_file()
        else {
            return;
        };
        let result = store
            .read()
            .map_err(|error| error.to_string())
            .and_then(|reader| audit_entries(&reader, filter).map_err(|error| error.to_string()))
            .and_then(|entries| {
                let mut file = std::fs::File::create(&path).map_err(|error| error.to_string())?;
                export_audit_json(&entries, &mut file).map_err(|error| error.to_string())?;
                Ok(entries.len())
            });
        self.last_report = Some(match result {
            Ok(count) => RunReport {
                line: format!("{count} audit entries saved to {}", path.display()),
                failed: false,
                summary: None,
            },
            Err(error) => RunReport {
                line: format!("The audit trail could not be saved: {error}"),
                failed: true,
                summary: None,
            },
        });
    }
}

/// A short description of an action, for the progress line.
fn describe(action: &QueueAction) -> String {
    match action {
        QueueAction::OutboxDeliverNow(_) => "Delivering now".to_string(),
        QueueAction::OutboxReschedule(..) => "Rescheduling the message".to_string(),
        QueueAction::OutboxCancel(_) => "Cancelling the message".to_string(),
        QueueAction::OutboxToDeadLetter(_) => "Moving the message to dead letters".to_string(),
        QueueAction::DeadlineFire(_) => "Firing the deadline".to_string(),
        QueueAction::DeadlineReschedule(..) => "Rescheduling the deadline".to_string(),
        QueueAction::DeadlineCancel(_) => "Cancelling the deadline".to_string(),
        QueueAction::Resubmit { .. } => "Resubmitting".to_string(),
        QueueAction::Discard(_) => "Discarding".to_string(),
        QueueAction::Bulk { action, ids } => {
            format!("Bulk {}: {} dead letters", action.verb(), ids.len())
        }
    }
}

/// Runs one action through the engine's operator actions (the CLI's code path).
fn run_action(
    store: &Store,
    action: QueueAction,
    reason: &str,
    now: OffsetDateTime,
    worker: &Worker<RunReport>,
) -> RunReport {
    let fail = |line: String| RunReport {
        line,
        failed: true,
        summary: None,
    };
    let ok = |line: String| RunReport {
        line,
        failed: false,
        summary: None,
    };
    let mut engine = match Engine::load(store) {
        Ok(engine) => engine,
        Err(error) => return fail(format!("The engine could not be loaded: {error}")),
    };
    let operator = Operator::current();
    let result = match action {
        QueueAction::OutboxDeliverNow(id) => engine
            .outbox_deliver_now(store, id, &operator, reason, now)
            .map(|()| "The message is due now.".to_string()),
        QueueAction::OutboxReschedule(id, at) => engine
            .outbox_reschedule(store, id, at, &operator, reason, now)
            .map(|()| "The message was rescheduled.".to_string()),
        QueueAction::OutboxCancel(id) => engine
            .outbox_cancel(store, id, &operator, reason, now)
            .map(|()| "The message was cancelled.".to_string()),
        QueueAction::OutboxToDeadLetter(id) => engine
            .outbox_to_dead_letter(store, id, &operator, reason, now)
            .map(|letter| format!("The message is now dead letter {letter}.")),
        QueueAction::DeadlineFire(id) => engine
            .deadline_fire_now(store, id, &operator, reason, now)
            .map(|outcome| match outcome {
                DispatchOutcome::Applied { event, stream_id } => {
                    format!(
                        "Deadline fired: {} appended to {stream_id}.",
                        event.event_type
                    )
                }
                DispatchOutcome::DeadLettered { reason, .. } => {
                    format!("Deadline fired; its expiry event became a dead letter ({reason}).")
                }
                DispatchOutcome::Duplicate { .. } => "Deadline fired (duplicate).".to_string(),
            }),
        QueueAction::DeadlineReschedule(id, at) => engine
            .deadline_reschedule(store, id, at, &operator, reason, now)
            .map(|()| "The deadline was rescheduled.".to_string()),
        QueueAction::DeadlineCancel(id) => engine
            .deadline_cancel(store, id, &operator, reason, now)
            .map(|()| "The deadline was cancelled.".to_string()),
        QueueAction::Resubmit { id, payload } => engine
            .resubmit_dead_letter(store, id, payload, &operator, reason, now)
            .map(|outcome| match outcome {
                ResubmitOutcome::Dispatched { event } => format!(
                    "Dead letter resubmitted: {} appended to {} at version {}.",
                    event.event_type, event.stream_id, event.version
                ),
                ResubmitOutcome::Requeued { message_id } => {
                    format!("Dead letter resubmitted: back in the outbox as {message_id}.")
                }
            }),
        QueueAction::Discard(id) => engine
            .discard_dead_letter(store, id, &operator, reason, now)
            .map(|()| "Dead letter discarded.".to_string()),
        QueueAction::Bulk { action, ids } => {
            let summary = run_bulk(
                &mut engine,
                store,
                action,
                &ids,
                &operator,
                reason,
                now,
                &mut |done, total| worker.progress(done, total),
                &|| worker.is_cancelled(),
            );
            return RunReport {
                line: format!("Bulk {}: {}", action.verb(), summary.line(action)),
                failed: summary.failed_again > 0 || !summary.errors.is_empty(),
                summary: Some(summary),
            };
        }
    };
    match result {
        Ok(line) => ok(line),
        Err(error) => fail(format!("Not done: {error}")),
    }
}
