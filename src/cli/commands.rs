//! Handlers of the store, engine and queue subcommands.

use std::io::{IsTerminal, Write};
use std::path::Path;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::{CliError, DeadlineActionArg, OutboxActionArg};
use crate::demo::{self, DemoOptions};
use crate::engine::{ActionError, Engine, EngineError, Operator, ResubmitOutcome};
use crate::queues::audit::{AuditFilter, audit_entries, audit_json};
use crate::store::{
    DeadLetter, DeadLetterStatus, Store, Summary, all_pages, check::check as integrity_check,
    format_time,
};

/// Page size for listing commands that walk a whole table.
const PAGE: usize = 1024;

impl From<EngineError> for CliError {
    fn from(error: EngineError) -> Self {
        CliError::input(error.to_string())
    }
}

impl From<ActionError> for CliError {
    fn from(error: ActionError) -> Self {
        CliError::input(error.to_string())
    }
}

fn print_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text =
        serde_json::to_string_pretty(value).map_err(|error| CliError::input(error.to_string()))?;
    println!("{text}");
    Ok(())
}

fn parse_id(text: &str, what: &str) -> Result<Uuid, CliError> {
    Uuid::parse_str(text.trim())
        .map_err(|_| CliError::input(format!("{text:?} is not a valid {what} id (a UUID)")))
}

fn parse_time(text: &str) -> Result<OffsetDateTime, CliError> {
    OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|error| {
        CliError::input(format!(
            "{text:?} is not an RFC 3339 time (e.g. 2026-11-24T08:00:00Z): {error}"
        ))
    })
}

/// `demo OUT [--processes N] [--seed S]`.
pub fn demo(out: &Path, processes: u64, seed: u64) -> Result<(), CliError> {
    let interactive = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    demo::generate(out, DemoOptions { processes, seed }, |done, total| {
        if interactive {
            eprint!("\rgenerating: {done}/{total} processes started");
        }
        true
    })
    .map_err(|error| CliError::input(error.to_string()))?;
    if interactive {
        eprintln!();
    }
    let store = Store::open(out)?;
    let summary = Summary::read(&store.read()?, demo::DEMO_NOW)?;
    println!(
        "{}: {} processes, {} streams, {} events, {} dead letters in {:.1} s",
        out.display(),
        processes,
        summary.streams.total,
        summary.events.total,
        summary.dead_letters.total,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `inspect FILE [--json]`.
pub fn inspect(path: &Path, json: bool) -> Result<(), CliError> {
    let store = Store::open(path)?;
    let summary = Summary::read(&store.read()?, OffsetDateTime::now_utc())?;
    if json {
        return print_json(&summary);
    }
    let mut out = String::new();
    let counts = |map: &std::collections::BTreeMap<String, u64>| -> String {
        map.iter()
            .map(|(name, count)| format!("  {name:<32} {count:>10}\n"))
            .collect()
    };
    out.push_str(&format!(
        "{} (format version {})\n",
        path.display(),
        summary.format_version
    ));
    out.push_str(&format!(
        "streams {:>34}\n{}",
        summary.streams.total,
        counts(&summary.streams.by_type)
    ));
    out.push_str(&format!(
        "by status\n{}",
        counts(&summary.streams.by_status)
    ));
    out.push_str(&format!(
        "events {:>35}\n{}",
        summary.events.total,
        counts(&summary.events.by_type)
    ));
    out.push_str(&format!("variants {:>33}\n", summary.variants));
    out.push_str(&format!(
        "outbox: {} pending, {} overdue\n",
        summary.outbox.pending, summary.outbox.overdue
    ));
    out.push_str(&format!(
        "deadlines: {} pending, {} overdue\n",
        summary.deadlines.pending, summary.deadlines.overdue
    ));
    out.push_str(&format!(
        "dead letters {:>29}\n{}",
        summary.dead_letters.total,
        counts(&summary.dead_letters.by_reason)
    ));
    out.push_str(&format!(
        "by status\n{}",
        counts(&summary.dead_letters.by_status)
    ));
    out.push_str(&format!("audit entries {:>28}\n", summary.audit.total));
    print!("{out}");
    Ok(())
}

/// `check FILE`: exit 1 with the violations when an invariant is broken.
pub fn check(path: &Path) -> Result<(), CliError> {
    let store = Store::open(path)?;
    let reader = store.read()?;
    let Some(report) = integrity_check(&reader, |_, _| true)? else {
        return Err(CliError::input("check cancelled"));
    };
    if report.is_ok() {
        println!(
            "{}: ok ({} events, {} streams checked)",
            path.display(),
            report.events_checked,
            report.streams_checked
        );
        return Ok(());
    }
    for violation in &report.violations {
        println!("{}: {}", violation.area, violation.detail);
    }
    if report.more_violations > 0 {
        println!("… and {} more", report.more_violations);
    }
    Err(CliError::problems(format!(
        "{}: {} problem(s) found",
        path.display(),
        report.violations.len() as u64 + report.more_violations
    )))
}

/// `repair FILE`.
pub fn repair(path: &Path) -> Result<(), CliError> {
    Store::repair(path)?;
    println!("{}: repaired", path.display());
    Ok(())
}

/// The DESIGN.md shape of a dead letter in listings.
fn dead_letter_json(letter: &DeadLetter) -> Value {
    json!({
        "id": letter.id,
        "reason": letter.reason,
        "detail": letter.detail,
        "status": letter.status.as_str(),
        "stream_id": letter.stream_id,
        "message_type": letter.message_type,
        "attempts": letter.attempts.len(),
        "recorded_at": format_time(letter.recorded_at),
        "direction": letter.direction,
    })
}

/// `dead-letters FILE [--status S] [--json]`, oldest first.
pub fn dead_letters(path: &Path, status: Option<&str>, json: bool) -> Result<(), CliError> {
    let wanted = match status {
        Some(text) => Some(
            DeadLetterStatus::parse(text)
                .ok_or_else(|| CliError::input(format!("unknown status {text:?}")))?,
        ),
        None => None,
    };
    let store = Store::open(path)?;
    let reader = store.read()?;
    let mut listed = Vec::new();
    let mut cursor = None;
    loop {
        let page = reader.dead_letters(cursor, PAGE)?;
        listed.extend(
            page.items
                .iter()
                .filter(|l| wanted.is_none_or(|s| l.status == s))
                .map(dead_letter_json),
        );
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    if json {
        return print_json(&listed);
    }
    let mut out = std::io::stdout().lock();
    for letter in &listed {
        let _ = writeln!(
            out,
            "{}  {:<11} {:<24} {:<28} {:<22} {}",
            letter["id"].as_str().unwrap_or(""),
            letter["status"].as_str().unwrap_or(""),
            letter["reason"].as_str().unwrap_or(""),
            letter["message_type"].as_str().unwrap_or(""),
            letter["stream_id"].as_str().unwrap_or("-"),
            letter["detail"].as_str().unwrap_or("")
        );
    }
    Ok(())
}

fn writable_engine(path: &Path) -> Result<(Store, Engine), CliError> {
    let store = Store::open_writable(path)?;
    let engine = Engine::load(&store)?;
    Ok((store, engine))
}

/// `resubmit FILE --dead-letter ID [--payload JSONFILE] --reason TEXT`.
pub fn resubmit(
    path: &Path,
    id: &str,
    payload: Option<&Path>,
    reason: &str,
) -> Result<(), CliError> {
    let id = parse_id(id, "dead letter")?;
    let edited = match payload {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .map_err(|error| CliError::input(format!("{}: {error}", file.display())))?;
            Some(serde_json::from_str::<Value>(&text).map_err(|error| {
                CliError::input(format!(
                    "{}: invalid JSON at line {}, column {}: {error}",
                    file.display(),
                    error.line(),
                    error.column()
                ))
            })?)
        }
        None => None,
    };
    let (store, mut engine) = writable_engine(path)?;
    let outcome = engine.resubmit_dead_letter(
        &store,
        id,
        edited,
        &Operator::current(),
        reason,
        OffsetDateTime::now_utc(),
    )?;
    match outcome {
        ResubmitOutcome::Dispatched { event } => println!(
            "resubmitted {id}: {} appended to {} at version {}",
            event.event_type, event.stream_id, event.version
        ),
        ResubmitOutcome::Requeued { message_id } => {
            println!("resubmitted {id}: back in the outbox as {message_id}")
        }
    }
    Ok(())
}

/// `discard FILE --dead-letter ID --reason TEXT`.
pub fn discard(path: &Path, id: &str, reason: &str) -> Result<(), CliError> {
    let id = parse_id(id, "dead letter")?;
    let (store, mut engine) = writable_engine(path)?;
    engine.discard_dead_letter(
        &store,
        id,
        &Operator::current(),
        reason,
        OffsetDateTime::now_utc(),
    )?;
    println!("discarded {id}");
    Ok(())
}

/// `audit FILE [--json]`, oldest first.
pub fn audit(path: &Path, json: bool) -> Result<(), CliError> {
    let store = Store::open(path)?;
    let entries = audit_entries(&store.read()?, &AuditFilter::default())?;
    if json {
        let shaped: Vec<Value> = entries.iter().map(audit_json).collect();
        return print_json(&shaped);
    }
    for entry in &entries {
        println!(
            "{:>6}  {}  {:<16} {:<28} {:<50} {}",
            entry.seq,
            format_time(entry.at),
            entry.user,
            entry.action,
            entry.target,
            entry.reason
        );
    }
    Ok(())
}

/// `outbox FILE [--json]`: pending messages by due time.
pub fn outbox(path: &Path, json: bool) -> Result<(), CliError> {
    let store = Store::open(path)?;
    let reader = store.read()?;
    let now = OffsetDateTime::now_utc();
    let messages = all_pages(|after| reader.outbox(after, PAGE))?;
    if json {
        return print_json(&messages);
    }
    for message in &messages {
        println!(
            "{}  {} {}  {:<28} {:<14} {:<22} attempts {}  {}",
            message.id,
            format_time(message.due_at),
            if message.due_at <= now {
                "OVERDUE"
            } else {
                "       "
            },
            message.message_type,
            message.recipient,
            message.stream_id,
            message.attempts,
            message.last_error.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

/// `outbox-action FILE --message ID <deliver-now|reschedule|cancel|dead-letter>`.
pub fn outbox_action(path: &Path, id: &str, action: OutboxActionArg) -> Result<(), CliError> {
    let id = parse_id(id, "outbox message")?;
    let (store, mut engine) = writable_engine(path)?;
    let operator = Operator::current();
    let now = OffsetDateTime::now_utc();
    match action {
        OutboxActionArg::DeliverNow { reason } => {
            engine.outbox_deliver_now(&store, id, &operator, &reason, now)?;
            println!("{id} is due now");
        }
        OutboxActionArg::Reschedule { at, reason } => {
            let at = parse_time(&at)?;
            engine.outbox_reschedule(&store, id, at, &operator, &reason, now)?;
            println!("{id} rescheduled to {}", format_time(at));
        }
        OutboxActionArg::Cancel { reason } => {
            engine.outbox_cancel(&store, id, &operator, &reason, now)?;
            println!("{id} cancelled");
        }
        OutboxActionArg::DeadLetter { reason } => {
            let letter = engine.outbox_to_dead_letter(&store, id, &operator, &reason, now)?;
            println!("{id} moved to dead letters as {letter}");
        }
    }
    Ok(())
}

/// `deadlines FILE [--json]`: pending deadlines by due time.
pub fn deadlines(path: &Path, json: bool) -> Result<(), CliError> {
    let store = Store::open(path)?;
    let reader = store.read()?;
    let now = OffsetDateTime::now_utc();
    let deadlines = all_pages(|after| reader.deadlines(after, PAGE))?;
    if json {
        return print_json(&deadlines);
    }
    for deadline in &deadlines {
        println!(
            "{}  {} {}  {:<22} on expiry: {}",
            deadline.id,
            format_time(deadline.due_at),
            if deadline.due_at <= now {
                "OVERDUE"
            } else {
                "       "
            },
            deadline.stream_id,
            deadline.on_expiry
        );
    }
    Ok(())
}

/// `deadline-action FILE --deadline ID <fire|reschedule|cancel>`.
pub fn deadline_action(path: &Path, id: &str, action: DeadlineActionArg) -> Result<(), CliError> {
    let id = parse_id(id, "deadline")?;
    let (store, mut engine) = writable_engine(path)?;
    let operator = Operator::current();
    let now = OffsetDateTime::now_utc();
    match action {
        DeadlineActionArg::Fire { reason } => {
            let outcome = engine.deadline_fire_now(&store, id, &operator, &reason, now)?;
            println!("{id} fired: {outcome:?}");
        }
        DeadlineActionArg::Reschedule { at, reason } => {
            let at = parse_time(&at)?;
            engine.deadline_reschedule(&store, id, at, &operator, &reason, now)?;
            println!("{id} rescheduled to {}", format_time(at));
        }
        DeadlineActionArg::Cancel { reason } => {
            engine.deadline_cancel(&store, id, &operator, &reason, now)?;
            println!("{id} cancelled");
        }
    }
    Ok(())
}
