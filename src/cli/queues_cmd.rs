//! `bulk`: resubmit or discard many dead letters (a failure group, or listed
//! ids) as one [`Action::Bulk`], the dead letters view's bulk action.

use std::path::Path;

use uuid::Uuid;

use super::CliError;
use process_workbench_core::actions::Action;
use process_workbench_core::queues::{BulkAction, DeadLetterFilter, dry_run, triage};
use process_workbench_core::store::Store;

/// What `bulk` acts on.
pub struct BulkTarget<'a> {
    pub reason_label: Option<&'a str>,
    pub message_type: Option<&'a str>,
    pub ids: &'a [String],
}

/// The bulk action `bulk FILE --action resubmit|discard [--group-reason R]
/// [--group-type T] [--dead-letter ID]...` asks for, after printing the dry
/// run's counts; `None` with `--dry-run`.
pub fn bulk_action(
    path: &Path,
    action: &str,
    target: &BulkTarget<'_>,
    dry: bool,
) -> Result<Option<Action>, CliError> {
    let action = match action {
        "resubmit" => BulkAction::Resubmit,
        "discard" => BulkAction::Discard,
        other => return Err(CliError::input(format!("unknown bulk action {other:?}"))),
    };
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
    let store = Store::open(path)?;
    let reader = store.read()?;
    if target.reason_label.is_some() || target.message_type.is_some() {
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
    let counts = dry_run(&reader, &ids)?;
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
    Ok((!dry).then_some(Action::Bulk {
        action,
        dead_letters: ids,
    }))
}
