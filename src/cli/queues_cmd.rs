//! The dead letters' failure groups (`dead-letters FILE --groups`), as the
//! dead letters view shows them, and `bulk`: resubmit or discard many dead
//! letters (a failure group, or listed ids) as one [`Action::Bulk`], the dead
//! letters view's bulk action.

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};
use uuid::Uuid;

use super::CliError;
use process_workbench_core::actions::Action;
use process_workbench_core::queues::{BulkAction, DeadLetterFilter, FailureGroup, dry_run, triage};
use process_workbench_core::store::{DeadLetterStatus, Store, StoreError, format_time};

/// `dead-letters FILE --groups [--status S] [--json]`: the failure groups
/// (reason × message type) of the dead letters of that status (default:
/// all), largest first, with how many are open and when they were first and
/// last seen.
pub fn groups(path: &Path, status: Option<&str>, json: bool) -> Result<(), CliError> {
    let status = status
        .map(|text| {
            DeadLetterStatus::parse(text)
                .ok_or_else(|| CliError::input(format!("unknown status {text:?}")))
        })
        .transpose()?;
    let store = Store::open(path)?;
    let reader = store.read()?;
    let filter = DeadLetterFilter {
        status,
        ..DeadLetterFilter::default()
    };
    let found = triage(&reader, &filter, &|| false)?;
    if json {
        let shaped: Vec<Value> = found.groups.iter().map(group_json).collect();
        let text = serde_json::to_string_pretty(&shaped)
            .map_err(|error| CliError::from(StoreError::from(error)))?;
        println!("{text}");
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    let mut line = |text: String| {
        writeln!(out, "{text}").map_err(|error| CliError::input(format!("stdout: {error}")))
    };
    line(format!(
        "{} dead letters in {} failure groups",
        found.rows.len(),
        found.groups.len()
    ))?;
    line(format!(
        "{:<24} {:<28} {:>7} {:>7}  {:<25} {}",
        "reason", "message type", "count", "open", "first seen", "last seen"
    ))?;
    for group in &found.groups {
        line(format!(
            "{:<24} {:<28} {:>7} {:>7}  {:<25} {}",
            group.reason,
            group.message_type,
            group.count,
            group.open,
            format_time(group.first_seen),
            format_time(group.last_seen)
        ))?;
    }
    Ok(())
}

/// A failure group in the `dead-letters --groups --json` shape.
fn group_json(group: &FailureGroup) -> Value {
    json!({
        "reason": group.reason,
        "message_type": group.message_type,
        "count": group.count,
        "open": group.open,
        "first_seen": format_time(group.first_seen),
        "last_seen": format_time(group.last_seen),
    })
}

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
