//! `bulk`: resubmit or discard many dead letters (a failure group, or listed
//! ids) on the same code path as the dead letters view's bulk actions.

use std::path::Path;

use time::OffsetDateTime;
use uuid::Uuid;

use super::CliError;
use crate::engine::{Engine, Operator};
use crate::queues::{BulkAction, DeadLetterFilter, dry_run, run_bulk, triage};
use crate::store::Store;

/// What `bulk` acts on.
pub struct BulkTarget<'a> {
    pub reason_label: Option<&'a str>,
    pub message_type: Option<&'a str>,
    pub ids: &'a [String],
}

/// `bulk FILE --action resubmit|discard [--group-reason R] [--group-type T] [--dead-letter ID]... --reason TEXT [--dry-run]`.
pub fn bulk(
    path: &Path,
    action: &str,
    target: &BulkTarget<'_>,
    reason: &str,
    dry: bool,
) -> Result<(), CliError> {
    let action = match action {
        "resubmit" => BulkAction::Resubmit,
        "discard" => BulkAction::Discard,
        other => return Err(CliError::input(format!("unknown bulk action {other:?}"))),
    };
    if reason.trim().is_empty() {
        return Err(CliError::input(
            "a reason is required for every operator action",
        ));
    }
    if target.ids.is_empty() && target.reason_label.is_none() && target.message_type.is_none() {
        return Err(CliError::input(
            "name the dead letters: --dead-letter ID (repeatable) or a group with --group-reason/--group-type",
        ));
    }
    let mut ids = Vec::new();
    for text in target.ids {
        ids.push(Uuid::parse_str(text.trim()).map_err(|_| {
            CliError::input(format!("{text:?} is not a valid dead letter id (a UUID)"))
        })?);
    }
    let store = if dry {
        Store::open(path)?
    } else {
        Store::open_writable(path)?
    };
    if target.reason_label.is_some() || target.message_type.is_some() {
        let reader = store.read()?;
        let found = triage(&reader, &DeadLetterFilter::default(), &|| false)?;
        ids.extend(
            found
                .rows
                .iter()
                .filter(|row| target.reason_label.is_none_or(|r| row.reason == r))
                .filter(|row| target.message_type.is_none_or(|t| row.message_type == t))
                .map(|row| row.id),
        );
    }
    let counts = dry_run(&store.read()?, &ids)?;
    println!(
        "dry run: {} open dead letters would be {}, {} would be skipped",
        counts.would_act,
        if action == BulkAction::Resubmit {
            "resubmitted"
        } else {
            "discarded"
        },
        counts.would_skip
    );
    if dry {
        return Ok(());
    }
    let mut engine = Engine::load(&store)?;
    let summary = run_bulk(
        &mut engine,
        &store,
        action,
        &ids,
        &Operator::current(),
        reason,
        OffsetDateTime::now_utc(),
        &mut |_, _| {},
        &|| false,
    );
    println!("{}", summary.line(action));
    for (id, error) in &summary.errors {
        eprintln!("{id}: {error}");
    }
    Ok(())
}
