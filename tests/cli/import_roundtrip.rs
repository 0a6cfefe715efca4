//! JSONL: `import(export(store))` gives the same events; per-stream export;
//! the CLI's `import` and `export` (exit codes, one-line messages).

use process_workbench_core::actions::{EventSelection, Unwatched, write_events};
use std::process::Command;

use crate::import_common::*;
use process_workbench_core::import::{Format, import_file};
use process_workbench_core::store::{NewEvent, Store, StoreError, StreamInfo, StreamStatus};
use serde_json::json;
use time::macros::datetime;

/// A store with imported XES and OCEL events (several streams per event,
/// several causes) and engine-style events (UUID v7 ids, nanosecond times).
fn mixed_store(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("mixed.pwb");
    let xes = write_file(dir, "small.xes", SMALL_XES.as_bytes());
    let ocel = write_file(dir, "small.jsonocel", SMALL_OCEL1.as_bytes());
    import_file(
        &path,
        Format::Xes,
        &xes,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("xes");
    import_file(
        &path,
        Format::Ocel,
        &ocel,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("ocel");
    let store = Store::open_writable(&path).expect("open");
    store
        .write(|writer| -> Result<(), StoreError> {
            let mut info = StreamInfo {
                stream_id: "order-1".to_string(),
                process_type: "order".to_string(),
                status: StreamStatus::Running,
                process_state: Some("placed".to_string()),
                version: 0,
                created_at: datetime!(2024-05-01 8:00 UTC),
                updated_at: datetime!(2024-05-01 8:00 UTC),
                last_error: None,
                correlation_id: None,
                variant: 0,
                metadata: json!({}),
            };
            let first = NewEvent::new(
                "OrderPlaced",
                datetime!(2024-05-01 8:00:00.123456789 UTC),
                json!({"amount": 12.5, "lines": [{"sku": "A", "qty": 2}], "note": "ünïcode \"quoted\""}),
            );
            let stored = writer.append(&mut info, 0, vec![first], datetime!(2024-05-01 8:00:01 UTC))?;
            let mut second = NewEvent::new(
                "OrderPaid",
                datetime!(2024-05-02 9:30 +02:00),
                json!({"paid": true}),
            );
            second.causation_id = Some(stored[0].event_id);
            second.metadata = json!({"operator_action": "retry"});
            writer.append(&mut info, 1, vec![second], datetime!(2024-05-02 7:30:02 UTC))?;
            Ok(())
        })
        .expect("engine events");
    path
}

#[test]
fn export_then_import_gives_the_same_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let original = mixed_store(dir.path());
    let exported = export_text(&original, None);
    assert_eq!(exported.lines().count(), 5 + 3 + 2);
    assert!(exported.contains("\"other_causes\""));
    assert!(exported.contains("\"other_streams\""));

    let jsonl = write_file(dir.path(), "export.jsonl", exported.as_bytes());
    assert_eq!(Format::detect(&jsonl), Some(Format::Jsonl));
    let copy = dir.path().join("copy.pwb");
    let report = import_file(
        &copy,
        Format::Jsonl,
        &jsonl,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("import");
    assert_eq!(report.events, 10);
    assert_eq!(export_text(&copy, None), exported);
    assert_checks(&copy);
    let (streams, events, types, variants) = figures(&copy);
    let (o_streams, o_events, o_types, o_variants) = figures(&original);
    assert_eq!(
        (streams, events, types, variants),
        (o_streams, o_events, o_types, o_variants)
    );

    // The same events again: refused, nothing changed.
    let error = import_file(
        &copy,
        Format::Jsonl,
        &jsonl,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect_err("duplicates");
    assert!(
        error.to_string().contains("export.jsonl: line 1: event "),
        "{error}"
    );
    assert_eq!(export_text(&copy, None), exported);
}

#[test]
fn stream_export_is_in_version_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let original = mixed_store(dir.path());
    let lines: Vec<serde_json::Value> = export_text(&original, Some("i1"))
        .lines()
        .map(|line| serde_json::from_str(line).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["event_type"], "pick item");
    // The shared "ship" event is exported as stored: its own stream is o1.
    assert_eq!(lines[1]["event_type"], "ship");
    assert_eq!(lines[1]["stream_id"], "o1");
    assert_eq!(lines[1]["other_streams"][0]["stream_id"], "i1");

    let store = Store::open(&original).expect("open");
    let reader = store.read().expect("read");
    let mut sink = Vec::new();
    let selection = EventSelection::Stream("nope".to_string());
    let error =
        write_events(&reader, &selection, &mut sink, &Unwatched).expect_err("unknown stream");
    assert!(error.to_string().contains("nope"));
}

#[test]
fn cli_import_and_export() {
    let binary = env!("CARGO_BIN_EXE_process-workbench");
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(dir.path(), "small.xes", SMALL_XES.as_bytes());
    let store = dir.path().join("cli.pwb");
    let output = Command::new(binary)
        .arg("import")
        .arg(&store)
        .args(["--from", "xes"])
        .arg(&input)
        .output()
        .expect("run import");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("imported 5 events in 3 streams, 1 skipped"),
        "{stdout}"
    );
    assert!(
        output.stderr.is_empty(),
        "no progress when stderr is not a terminal"
    );

    let out = dir.path().join("out.jsonl");
    let output = Command::new(binary)
        .arg("export")
        .arg(&store)
        .arg("--jsonl")
        .arg(&out)
        .args(["--stream", "a"])
        .output()
        .expect("run export");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&out).expect("read").lines().count(),
        2
    );

    let broken = write_file(dir.path(), "broken.xes", b"<log><trace></log>");
    let output = Command::new(binary)
        .arg("import")
        .arg(&store)
        .args(["--from", "xes"])
        .arg(&broken)
        .output()
        .expect("run import");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("broken.xes: line 1"), "{stderr}");
}
