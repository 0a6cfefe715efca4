//! Import speed: generates a XES log of about 250,000 events shaped like the
//! shared real logs (string, date and int attributes, ~10 events per trace),
//! then measures in the same run:
//! (a) `import_file` into a new store (events/s),
//! (b) a plain redb bulk insert of the same records: every row the imported
//!     store holds (events, their indexes, stream records), same tables, keys
//!     and values, in key order, one transaction; and (b') of the event
//!     records alone (position → the stored event JSON, one table),
//! (c) the XES parser alone (the check pass of an import into an existing store),
//! (d) pm4py's `read_xes` on the same file, when a Python with pm4py is at
//!     hand (`PM4PY_PYTHON=/path/to/python`, else `python3`; skipped otherwise).
//!
//! Run: `cargo run --release --example bench_import [EVENTS]`

/// The allocator of the `process-workbench` binary, so that figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/plain_copy.rs"]
mod plain_copy;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use process_workbench_core::import::{Format, import_file};
use process_workbench_core::store::{BULK_CACHE_BYTES, Store};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ACTIVITIES: [&str; 14] = [
    "Assign seriousness",
    "Take in charge ticket",
    "Wait",
    "Resolve ticket",
    "Closed",
    "Require upgrade",
    "Insert ticket",
    "Create SW anomaly",
    "Schedule intervention",
    "VERIFIED",
    "RESOLVED",
    "INVALID",
    "DUPLICATE",
    "Resolve SW anomaly",
];

/// Writes a XES log of about `events` events; returns the exact count.
fn generate(path: &Path, events: u64) -> Result<u64, Box<dyn std::error::Error>> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, r#"<?xml version="1.0" encoding="utf-8" ?>"#)?;
    writeln!(
        out,
        r#"<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">"#
    )?;
    writeln!(
        out,
        r#"	<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext" />"#
    )?;
    writeln!(
        out,
        r#"	<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext" />"#
    )?;
    writeln!(
        out,
        r#"	<string key="concept:name" value="generated helpdesk" />"#
    )?;
    let mut written = 0u64;
    let mut case = 0u64;
    let mut start = 1_349_794_217i64; // 2012-10-09
    let mut text = String::new();
    while written < events {
        case += 1;
        let length = rng.random_range(6..=14u64).min(events - written);
        text.clear();
        writeln!(text, "\t<trace>")?;
        writeln!(
            text,
            r#"		<string key="concept:name" value="Case {case}" />"#
        )?;
        writeln!(
            text,
            r#"		<string key="customer" value="Value {}" />"#,
            rng.random_range(1..400)
        )?;
        let mut at = start;
        for index in 0..length {
            let activity = ACTIVITIES[rng.random_range(0..ACTIVITIES.len())];
            let activity = if index == 0 { ACTIVITIES[0] } else { activity };
            let time = time::OffsetDateTime::from_unix_timestamp(at)?
                .format(&time::format_description::well_known::Rfc3339)?;
            writeln!(text, "\t\t<event>")?;
            writeln!(
                text,
                r#"			<string key="concept:name" value="{activity}" />"#
            )?;
            writeln!(
                text,
                r#"			<string key="org:resource" value="Value {}" />"#,
                rng.random_range(1..30)
            )?;
            writeln!(text, r#"			<date key="time:timestamp" value="{time}" />"#)?;
            writeln!(
                text,
                r#"			<string key="lifecycle:transition" value="complete" />"#
            )?;
            writeln!(
                text,
                r#"			<int key="priority" value="{}" />"#,
                rng.random_range(1..5)
            )?;
            for key in ["product", "seriousness", "service_level", "workgroup"] {
                writeln!(
                    text,
                    r#"			<string key="{key}" value="Value {}" />"#,
                    rng.random_range(1..12)
                )?;
            }
            writeln!(text, "\t\t</event>")?;
            at += rng.random_range(60..200_000);
        }
        writeln!(text, "\t</trace>")?;
        out.write_all(text.as_bytes())?;
        written += length;
        start += rng.random_range(60..4_000);
    }
    writeln!(out, "</log>")?;
    out.flush()?;
    Ok(written)
}

/// Peak resident memory of this process, from /proc (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// pm4py's `read_xes` time in seconds, or why it could not be measured.
fn pm4py_seconds(xes: &Path) -> Result<f64, String> {
    let python = std::env::var("PM4PY_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let script = "import sys, time, warnings\nwarnings.filterwarnings('ignore')\nimport pm4py\nstart = time.perf_counter()\nlog = pm4py.read_xes(sys.argv[1], show_progress_bar=False)\nprint(time.perf_counter() - start, len(log))";
    let output = Command::new(&python)
        .args(["-c", script])
        .arg(xes)
        .output()
        .map_err(|error| format!("{python}: {error}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or("failed").to_string();
        return Err(format!("{python}: {last}"));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    last.split_whitespace()
        .next()
        .and_then(|seconds| seconds.parse().ok())
        .ok_or_else(|| format!("unexpected output: {last}"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let wanted: u64 = match std::env::args().nth(1) {
        Some(text) => text.parse()?,
        None => 250_000,
    };
    let dir = tempfile::tempdir()?;
    let xes = dir.path().join("generated.xes");
    let events = generate(&xes, wanted)?;
    let size = std::fs::metadata(&xes)?.len();
    println!(
        "generated {} events, {:.1} MiB of XES",
        events,
        size as f64 / 1_048_576.0
    );

    // (a) our import.
    let store_path = dir.path().join("imported.pwb");
    let started = Instant::now();
    let report = import_file(
        &store_path,
        Format::Xes,
        &xes,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )?;
    let import_seconds = started.elapsed().as_secs_f64();
    let import_rate = report.events as f64 / import_seconds;
    println!(
        "(a) import_file:        {:.2} s, {:>9.0} events/s ({} streams; peak RSS so far {:.0} MiB)",
        import_seconds,
        import_rate,
        report.streams,
        peak_rss_mib().unwrap_or(f64::NAN)
    );

    // (b) the same records, already in memory, into a new file.
    let rows = plain_copy::StoreRows::read(&store_path)?;
    let all_seconds = rows
        .insert_into(&dir.path().join("plain-all.redb"), BULK_CACHE_BYTES)?
        .as_secs_f64();
    println!(
        "(b) plain redb insert of the same {} records: {:.2} s",
        rows.len(),
        all_seconds
    );
    println!(
        "    import / plain insert speed: {:.2}x (target >= 0.5x)",
        all_seconds / import_seconds
    );
    drop(rows);

    // (b') the event records alone, into one table.
    let records = plain_copy::event_records(&store_path)?;
    let bytes: usize = records.iter().map(|(_, json)| json.len()).sum();
    let floor_seconds =
        plain_copy::insert_event_records(&records, &dir.path().join("plain.redb"), None)?
            .as_secs_f64();

    let floor_rate = records.len() as f64 / floor_seconds;
    println!(
        "(b') plain redb insert of the event records alone: {:.2} s, {:>9.0} events/s ({:.1} MiB of event JSON)",
        floor_seconds,
        floor_rate,
        bytes as f64 / 1_048_576.0
    );
    println!(
        "    import / that insert rate: {:.2}x",
        import_rate / floor_rate
    );

    // (c) the parser alone: importing into an existing store first reads the
    // whole input to check it (no writes), then imports; time the check.
    let existing = dir.path().join("existing.pwb");
    drop(Store::create(&existing)?);
    let started = Instant::now();
    let mut checked_at = None;
    import_file(
        &existing,
        Format::Xes,
        &xes,
        &process_workbench_core::engine::Operator::current(),
        &mut |step| {
            if !step.checking && checked_at.is_none() {
                checked_at = Some(started.elapsed().as_secs_f64());
            }
            true
        },
    )?;
    if let Some(parse_seconds) = checked_at {
        println!(
            "(c) parsing alone (the check pass): {:.2} s = {:.0} % of the import; a floor for any import with this parser",
            parse_seconds,
            parse_seconds / import_seconds * 100.0
        );
    }

    // (d) pm4py.
    match pm4py_seconds(&xes) {
        Ok(seconds) => {
            println!(
                "(d) pm4py.read_xes:     {:.2} s, {:>9.0} events/s",
                seconds,
                events as f64 / seconds
            );
            println!(
                "    import speed-up over pm4py: {:.1}x (target >= 4x)",
                seconds / import_seconds
            );
        }
        Err(why) => println!("(d) pm4py.read_xes: skipped ({why})"),
    }
    Ok(())
}
