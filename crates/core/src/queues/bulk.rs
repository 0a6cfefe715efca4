//! Bulk resubmit or discard of dead letters: a dry run counts what would be
//! done, then every item runs through the engine's operator action in its own
//! write transaction. An interruption (cancel, crash) leaves each item either
//! fully done or untouched; running the same bulk again does the rest, because
//! items that are no longer open are skipped.

use std::time::{Duration, Instant};

use time::OffsetDateTime;
use uuid::Uuid;

use crate::engine::{ActionError, Engine, Operator};
use crate::store::{DeadLetterStatus, Durability, Store, StoreError, StoreReader};

/// How often a bulk run makes the items done so far durable.
const DURABLE_EVERY: Duration = Duration::from_millis(100);

/// What a bulk run does to each dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    /// Resubmit as it is.
    Resubmit,
    /// Close without resubmitting.
    Discard,
}

impl BulkAction {
    /// "resubmit" or "discard".
    pub fn verb(self) -> &'static str {
        match self {
            BulkAction::Resubmit => "resubmit",
            BulkAction::Discard => "discard",
        }
    }
}

/// What a bulk run would do, counted before it starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DryRun {
    /// Open dead letters: these would be acted on.
    pub would_act: u64,
    /// Already resubmitted or discarded, or gone: these would be skipped.
    pub would_skip: u64,
}

/// Counts what a bulk run over `ids` would do, without writing.
pub fn dry_run(reader: &StoreReader, ids: &[Uuid]) -> Result<DryRun, StoreError> {
    let mut counts = DryRun::default();
    for id in ids {
        match reader.dead_letter(*id)? {
            Some(letter) if letter.status == DeadLetterStatus::Open => counts.would_act += 1,
            _ => counts.would_skip += 1,
        }
    }
    Ok(counts)
}

/// What became of one item.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkItemOutcome {
    Done,
    /// The resubmission was refused again (recorded on the dead letter).
    FailedAgain(String),
    /// Not open (any more), or not found.
    Skipped,
    /// The action failed for another reason; nothing was written for this item.
    Error(String),
}

/// The summary of a bulk run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BulkSummary {
    pub done: u64,
    pub failed_again: u64,
    pub skipped: u64,
    /// Items whose action failed otherwise, with the message (nothing written for them).
    pub errors: Vec<(Uuid, String)>,
    /// Items not reached because the run was cancelled.
    pub not_reached: u64,
    pub cancelled: bool,
}

impl BulkSummary {
    /// One line for the window and the CLI.
    pub fn line(&self, action: BulkAction) -> String {
        let verb = match action {
            BulkAction::Resubmit => "resubmitted",
            BulkAction::Discard => "discarded",
        };
        let mut line = format!(
            "{} {verb}, {} failed again, {} skipped",
            self.done, self.failed_again, self.skipped
        );
        if !self.errors.is_empty() {
            line.push_str(&format!(", {} errors", self.errors.len()));
        }
        if self.cancelled {
            line.push_str(&format!(
                "; cancelled with {} not reached — run it again for the rest",
                self.not_reached
            ));
        }
        line
    }
}

/// Runs `action` over `ids`, one write transaction per item, through the
/// engine's operator actions (event in the stream + audit entry for each).
/// `progress(done, total)` is called after each item; `cancelled` is asked
/// before each item.
#[allow(clippy::too_many_arguments)]
pub fn run_bulk(
    engine: &mut Engine,
    store: &Store,
    action: BulkAction,
    ids: &[Uuid],
    operator: &Operator,
    reason: &str,
    now: OffsetDateTime,
    progress: &mut dyn FnMut(u64, u64),
    cancelled: &dyn Fn() -> bool,
) -> BulkSummary {
    let mut summary = BulkSummary::default();
    let total = ids.len() as u64;
    let mut last_durable = Instant::now();
    for (index, id) in ids.iter().enumerate() {
        if cancelled() {
            summary.cancelled = true;
            summary.not_reached = total - index as u64;
            break;
        }
        // Each item commits atomically but not durably (an fsync per item
        // would cap a run at a few hundred items a second); a durable commit
        // now and then, and at the end, persists everything before it.
        if last_durable.elapsed() >= DURABLE_EVERY {
            make_durable(store, &mut summary);
            last_durable = Instant::now();
        }
        match bulk_item(engine, store, action, *id, operator, reason, now) {
            BulkItemOutcome::Done => summary.done += 1,
            BulkItemOutcome::FailedAgain(_) => summary.failed_again += 1,
            BulkItemOutcome::Skipped => summary.skipped += 1,
            BulkItemOutcome::Error(message) => summary.errors.push((*id, message)),
        }
        progress(index as u64 + 1, total);
    }
    make_durable(store, &mut summary);
    summary
}

/// Persists every item committed so far with one durable (empty) commit.
fn make_durable(store: &Store, summary: &mut BulkSummary) {
    if let Err(error) = store.write(|_| Ok::<(), StoreError>(())) {
        summary.errors.push((
            Uuid::nil(),
            format!("the items could not be made durable: {error}"),
        ));
    }
}

/// One item of a bulk run, in its own (not yet durable) transaction.
pub fn bulk_item(
    engine: &mut Engine,
    store: &Store,
    action: BulkAction,
    id: Uuid,
    operator: &Operator,
    reason: &str,
    now: OffsetDateTime,
) -> BulkItemOutcome {
    let result = match action {
        BulkAction::Resubmit => engine
            .resubmit_dead_letter_with(store, id, None, operator, reason, now, Durability::None)
            .map(|_| ()),
        BulkAction::Discard => {
            engine.discard_dead_letter_with(store, id, operator, reason, now, Durability::None)
        }
    };
    match result {
        Ok(()) => BulkItemOutcome::Done,
        Err(ActionError::FailedAgain { reason, detail }) => {
            BulkItemOutcome::FailedAgain(format!("{reason}: {detail}"))
        }
        Err(ActionError::NotOpen { .. } | ActionError::NotFound(_)) => BulkItemOutcome::Skipped,
        Err(error) => BulkItemOutcome::Error(error.to_string()),
    }
}
