//! The action layer: everything a user can do that writes — to the store or
//! to a file — as one value type, [`Action`], run by one function,
//! [`execute`].
//!
//! The CLI parses its arguments into an [`Action`]; the window builds the same
//! value from a click and hands it to a background job. Both then call
//! [`execute`], so an action does the same thing whichever way it was asked
//! for. Store actions run in one write transaction with their audit entry
//! (bulk actions: one transaction per item); file exports are written to a
//! temporary file beside the target and renamed into place, so a failed
//! export leaves no partial file.

mod export;
mod export_log;
mod time_input;

use std::path::PathBuf;

use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::analysis::MapRequest;
use crate::engine::{DispatchOutcome, Engine, EngineError, ResubmitOutcome};
use crate::graph::{GraphError, GraphRequest};
use crate::queues::{AuditFilter, BulkAction, BulkSummary, run_bulk};
use crate::replay::{self, ReplayError};
use crate::search::{ProcessFilter, ProcessFilterError};
use crate::store::{AuditEntry, Event, Store, StoreError};

pub use crate::engine::Operator;
pub use export::{EventSelection, GraphFormat, write_events};
pub use export_log::LogFormat;
pub use time_input::parse_time_input;

/// One thing a user asked to be done.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Resubmit an open dead letter, as it is (`payload: None`) or edited.
    Resubmit {
        dead_letter: Uuid,
        payload: Option<Value>,
    },
    /// Discard an open dead letter.
    Discard { dead_letter: Uuid },
    /// Resubmit or discard many dead letters, each in its own transaction.
    Bulk {
        action: BulkAction,
        dead_letters: Vec<Uuid>,
    },
    /// Make an outbox message due now.
    OutboxDeliverNow { message: Uuid },
    /// Move an outbox message's next attempt to `at`.
    OutboxReschedule { message: Uuid, at: OffsetDateTime },
    /// Remove a message from the outbox without sending it.
    OutboxCancel { message: Uuid },
    /// Give up on an outbox message: it becomes a dead letter.
    OutboxToDeadLetter { message: Uuid },
    /// Fire a deadline now.
    DeadlineFire { deadline: Uuid },
    /// Move a deadline to `at`.
    DeadlineReschedule { deadline: Uuid, at: OffsetDateTime },
    /// Remove a deadline without firing it.
    DeadlineCancel { deadline: Uuid },
    /// Re-run the step a failed process failed in (at its failure point).
    RetryFailedStep { stream: String },
    /// Build replay checkpoints for every stream that lacks them.
    BuildCheckpoints,
    /// Write events as JSONL (one event per line) to `out`.
    ExportJsonl {
        selection: EventSelection,
        out: PathBuf,
    },
    /// Write the causal graph of an event as JSON, SVG or PNG to `out`.
    ExportGraph {
        request: GraphRequest,
        format: GraphFormat,
        out: PathBuf,
    },
    /// Write the process map as JSON, SVG or PNG to `out`.
    ExportMap {
        request: MapRequest,
        format: GraphFormat,
        out: PathBuf,
    },
    /// Write the audit entries passing `filter` as a JSON array to `out`.
    ExportAudit { filter: AuditFilter, out: PathBuf },
    /// Save a process filter as `name` in the saved-filters file `file`
    /// (replacing one of that name); the store is not written.
    SaveFilter {
        file: PathBuf,
        name: String,
        filter: ProcessFilter,
    },
    /// Forget the saved filter `name` in the saved-filters file `file`.
    DeleteFilter { file: PathBuf, name: String },
    /// Write streams as a process-mining log (XES or OCEL 2.0 JSON) to
    /// `out`: those of `streams` (every stream when empty) that `filter`
    /// keeps (an empty filter keeps every one). The filter is evaluated by
    /// [`crate::search::select_processes`] on the store as it is when the
    /// export runs, so the window and the CLI export the same processes.
    ExportLog {
        format: LogFormat,
        streams: Vec<String>,
        filter: ProcessFilter,
        out: PathBuf,
    },
}

impl Action {
    /// Whether the action writes to the store (and so needs a store open for
    /// writing, a reason, and leaves an audit entry).
    pub fn writes_store(&self) -> bool {
        !matches!(
            self,
            Action::ExportJsonl { .. }
                | Action::ExportGraph { .. }
                | Action::ExportMap { .. }
                | Action::ExportAudit { .. }
                | Action::SaveFilter { .. }
                | Action::DeleteFilter { .. }
                | Action::ExportLog { .. }
        )
    }

    /// What the action does, for a progress line ("Resubmitting", …).
    pub fn describe(&self) -> String {
        match self {
            Action::Resubmit { .. } => "Resubmitting".to_string(),
            Action::Discard { .. } => "Discarding".to_string(),
            Action::Bulk {
                action,
                dead_letters,
            } => format!(
                "Bulk {}: {} dead letters",
                action.verb(),
                dead_letters.len()
            ),
            Action::OutboxDeliverNow { .. } => "Delivering now".to_string(),
            Action::OutboxReschedule { .. } => "Rescheduling the message".to_string(),
            Action::OutboxCancel { .. } => "Cancelling the message".to_string(),
            Action::OutboxToDeadLetter { .. } => "Moving the message to dead letters".to_string(),
            Action::DeadlineFire { .. } => "Firing the deadline".to_string(),
            Action::DeadlineReschedule { .. } => "Rescheduling the deadline".to_string(),
            Action::DeadlineCancel { .. } => "Cancelling the deadline".to_string(),
            Action::RetryFailedStep { stream } => format!("Retrying the failed step of {stream}"),
            Action::BuildCheckpoints => "Building checkpoints".to_string(),
            Action::ExportJsonl { .. } => "Exporting events".to_string(),
            Action::ExportGraph { .. } => "Exporting the graph".to_string(),
            Action::ExportMap { .. } => "Exporting the process map".to_string(),
            Action::ExportAudit { .. } => "Exporting the audit trail".to_string(),
            Action::SaveFilter { name, .. } => format!("Saving the filter {name:?}"),
            Action::DeleteFilter { name, .. } => format!("Deleting the filter {name:?}"),
            Action::ExportLog { format, .. } => format!("Exporting as {}", format.label()),
        }
    }
}

/// An action with who asks for it, why, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub action: Action,
    pub operator: Operator,
    /// Why: required for every store action, recorded in its audit entry.
    pub reason: String,
    /// The time the action is taken at (the window's clock, or now).
    pub now: OffsetDateTime,
}

impl Request {
    /// A request by the current operator, now.
    pub fn now(action: Action, reason: impl Into<String>) -> Request {
        Request {
            action,
            operator: Operator::current(),
            reason: reason.into(),
            now: OffsetDateTime::now_utc(),
        }
    }
}

/// What a finished action did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// One line for the window's notice and the CLI's output.
    pub line: String,
    /// The event the action appended, if it appended one.
    pub event: Option<Event>,
    /// Per-item results of a bulk action.
    pub bulk: Option<BulkSummary>,
    /// Whether part of the action failed (a bulk item, a resubmission refused again).
    pub partly_failed: bool,
}

impl Outcome {
    fn line(line: impl Into<String>) -> Outcome {
        Outcome {
            line: line.into(),
            event: None,
            bulk: None,
            partly_failed: false,
        }
    }
}

/// Reports progress of a long action and tells it to stop.
pub trait Progress {
    /// `done` of `total` units finished.
    fn progress(&self, done: u64, total: u64);
    /// Whether the user asked the action to stop.
    fn is_cancelled(&self) -> bool;
}

/// Progress that nobody watches and that is never cancelled.
pub struct Unwatched;

impl Progress for Unwatched {
    fn progress(&self, _: u64, _: u64) {}
    fn is_cancelled(&self) -> bool {
        false
    }
}

/// Why an action was refused or failed. Nothing was written, except where
/// the message says so (a resubmission refused again records its attempt).
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("the store is open read-only; open it for writing to {0}")]
    ReadOnly(String),
    #[error("a reason is required for every operator action")]
    MissingReason,
    #[error(transparent)]
    Refused(#[from] crate::engine::ActionError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Replay(#[from] ReplayError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Filter(#[from] ProcessFilterError),
    #[error("{0}")]
    Export(String),
    #[error("cancelled; nothing was written")]
    Cancelled,
    #[error("{0} needs an open store")]
    NeedsStore(String),
}

/// Checks an action before it runs: what can be refused without the store.
pub fn validate(request: &Request) -> Result<(), ActionError> {
    if request.action.writes_store() && request.reason.trim().is_empty() {
        return Err(ActionError::MissingReason);
    }
    Ok(())
}

/// Validates and runs `request` on `store`: the one function behind every
/// action of the window and the CLI.
pub fn execute(
    store: &Store,
    request: &Request,
    progress: &dyn Progress,
) -> Result<Outcome, ActionError> {
    validate(request)?;
    if request.action.writes_store() && !store.is_writable() {
        return Err(ActionError::ReadOnly(
            request.action.describe().to_lowercase(),
        ));
    }
    let Request {
        action,
        operator,
        reason,
        now,
    } = request;
    let now = *now;
    let outcome = match action {
        Action::ExportJsonl { selection, out } => {
            return export::jsonl(store, selection, out, progress);
        }
        Action::ExportGraph {
            request,
            format,
            out,
        } => return export::graph(store, request, *format, out, progress),
        Action::ExportMap {
            request,
            format,
            out,
        } => return export::map(store, request, *format, out),
        Action::ExportAudit { filter, out } => return export::audit(store, filter, out),
        Action::SaveFilter { .. } | Action::DeleteFilter { .. } => {
            return execute_without_store(request);
        }
        Action::ExportLog {
            format,
            streams,
            filter,
            out,
        } => {
            let selection = export_log::LogSelection { streams, filter };
            return export_log::export_log(store, *format, &selection, out, progress);
        }
        Action::BuildCheckpoints => {
            return build_checkpoints(store, operator, reason, now, progress);
        }
        Action::Resubmit {
            dead_letter,
            payload,
        } => {
            match Engine::load(store)?.resubmit_dead_letter(
                store,
                *dead_letter,
                payload.clone(),
                operator,
                reason,
                now,
            )? {
                ResubmitOutcome::Dispatched { event } => Outcome {
                    line: format!(
                        "Dead letter resubmitted: {} appended to {} at version {}.",
                        event.event_type, event.stream_id, event.version
                    ),
                    event: Some(*event),
                    bulk: None,
                    partly_failed: false,
                },
                ResubmitOutcome::Requeued { message_id } => Outcome::line(format!(
                    "Dead letter resubmitted: back in the outbox as {message_id}."
                )),
            }
        }
        Action::Discard { dead_letter } => {
            Engine::load(store)?.discard_dead_letter(store, *dead_letter, operator, reason, now)?;
            Outcome::line("Dead letter discarded.")
        }
        Action::Bulk {
            action,
            dead_letters,
        } => {
            let summary = run_bulk(
                &mut Engine::load(store)?,
                store,
                *action,
                dead_letters,
                operator,
                reason,
                now,
                &mut |done, total| progress.progress(done, total),
                &|| progress.is_cancelled(),
            );
            Outcome {
                line: format!("Bulk {}: {}", action.verb(), summary.line(*action)),
                event: None,
                partly_failed: summary.failed_again > 0 || !summary.errors.is_empty(),
                bulk: Some(summary),
            }
        }
        Action::OutboxDeliverNow { message } => {
            Engine::load(store)?.outbox_deliver_now(store, *message, operator, reason, now)?;
            Outcome::line("The message is due now.")
        }
        Action::OutboxReschedule { message, at } => {
            Engine::load(store)?.outbox_reschedule(store, *message, *at, operator, reason, now)?;
            Outcome::line("The message was rescheduled.")
        }
        Action::OutboxCancel { message } => {
            Engine::load(store)?.outbox_cancel(store, *message, operator, reason, now)?;
            Outcome::line("The message was cancelled.")
        }
        Action::OutboxToDeadLetter { message } => {
            let letter = Engine::load(store)?
                .outbox_to_dead_letter(store, *message, operator, reason, now)?;
            Outcome::line(format!("The message is now dead letter {letter}."))
        }
        Action::DeadlineFire { deadline } => {
            match Engine::load(store)?.deadline_fire_now(store, *deadline, operator, reason, now)? {
                DispatchOutcome::Applied { event, stream_id } => Outcome {
                    line: format!(
                        "Deadline fired: {} appended to {stream_id}.",
                        event.event_type
                    ),
                    event: Some(*event),
                    bulk: None,
                    partly_failed: false,
                },
                DispatchOutcome::DeadLettered { reason, .. } => Outcome::line(format!(
                    "Deadline fired; its expiry event became a dead letter ({reason})."
                )),
                DispatchOutcome::Duplicate { .. } => Outcome::line("Deadline fired (duplicate)."),
            }
        }
        Action::DeadlineReschedule { deadline, at } => {
            Engine::load(store)?
                .deadline_reschedule(store, *deadline, *at, operator, reason, now)?;
            Outcome::line("The deadline was rescheduled.")
        }
        Action::DeadlineCancel { deadline } => {
            Engine::load(store)?.deadline_cancel(store, *deadline, operator, reason, now)?;
            Outcome::line("The deadline was cancelled.")
        }
        Action::RetryFailedStep { stream } => {
            let event =
                Engine::load(store)?.retry_failed_step(store, stream, operator, reason, now)?;
            Outcome {
                line: format!(
                    "The failed step of {stream} was retried: {} appended at version {}.",
                    event.event_type, event.version
                ),
                event: Some(event),
                bulk: None,
                partly_failed: false,
            }
        }
    };
    Ok(outcome)
}

/// Runs an action that needs no store: saving or deleting a filter (the
/// command line's `filters` has no store open). Any other action is refused.
pub fn execute_without_store(request: &Request) -> Result<Outcome, ActionError> {
    validate(request)?;
    match &request.action {
        Action::SaveFilter { file, name, filter } => export::save_filter(file, name, filter),
        Action::DeleteFilter { file, name } => export::delete_filter(file, name),
        other => Err(ActionError::NeedsStore(other.describe().to_lowercase())),
    }
}

/// `BuildCheckpoints`: checkpoints are derived data, written in batches of
/// streams (a cancelled build keeps the streams finished before); the audit
/// entry that records the build is written when it ends.
fn build_checkpoints(
    store: &Store,
    operator: &Operator,
    reason: &str,
    now: OffsetDateTime,
    progress: &dyn Progress,
) -> Result<Outcome, ActionError> {
    let report = replay::build_checkpoints(store, &mut |done, total| {
        progress.progress(done, total);
        !progress.is_cancelled()
    })?;
    let line = if report.cancelled {
        format!(
            "Checkpoint building was cancelled; {} streams were finished before.",
            report.streams_rebuilt
        )
    } else {
        format!(
            "Checkpoints built: {} written for {} streams.",
            report.checkpoints_written, report.streams_rebuilt
        )
    };
    store.write(|writer| {
        writer.append_audit(AuditEntry {
            seq: 0,
            at: now,
            user: operator.user.clone(),
            action: "store.build_checkpoints".to_string(),
            target: "store".to_string(),
            reason: reason.to_string(),
            stream_id: None,
            before: Value::Null,
            after: serde_json::json!({
                "streams_rebuilt": report.streams_rebuilt,
                "checkpoints_written": report.checkpoints_written,
                "skipped": report.skipped.len(),
                "cancelled": report.cancelled,
            }),
        })
    })?;
    Ok(Outcome::line(line))
}
