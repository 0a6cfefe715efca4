//! Handlers of the subcommands that read: inspect, check, listings of the
//! queues and the audit trail; and demo and repair.

use std::io::{IsTerminal, Write};
use std::path::Path;

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::CliError;
use process_workbench_core::demo::{self, DemoOptions};
use process_workbench_core::queues::audit::{AuditFilter, audit_entries, audit_json};
use process_workbench_core::store::{
    DeadLetter, DeadLetterStatus, Store, Summary, all_pages, check::check as integrity_check,
    format_time,
};

/// Page size for listing commands that walk a whole table.
const PAGE: usize = 1024;

fn print_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text =
        serde_json::to_string_pretty(value).map_err(|error| CliError::input(error.to_string()))?;
    println!("{text}");
    Ok(())
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

/// `repair FILE`: repairs, then records the repair in the audit trail.
pub fn repair(path: &Path, user: Option<&str>) -> Result<(), CliError> {
    let operator = super::actions_cmd::operator(user);
    Store::repair(path, &operator.user, OffsetDateTime::now_utc())?;
    println!("{}: repaired", path.display());
    Ok(())
}

/// The ARCHITECTURE.md shape of a dead letter in listings.
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
