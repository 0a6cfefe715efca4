//! Malformed inputs of each format are rejected with one clear message that
//! says where, and the target store is left exactly as it was (an existing
//! store's bytes are unchanged; for a new target no file is left behind).

use std::path::Path;

use crate::import_common::*;
use process_workbench_core::import::{Format, ImportError, import_file};

fn file_hash(path: &Path) -> u64 {
    xxhash_rust::xxh3::xxh3_64(&std::fs::read(path).expect("read store"))
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Imports `bytes` as `format` into a new target and into an existing store;
/// both must fail with a message containing every one of `expected`, and
/// leave nothing changed. Returns the message.
fn rejects(name: &str, bytes: &[u8], format: Format, expected: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(dir.path(), name, bytes);

    // A new target: nothing may be left behind.
    let before = entries(dir.path());
    let target = dir.path().join("new.pwb");
    let error = import_file(
        &target,
        format,
        &input,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect_err("malformed input must be rejected");
    assert!(!target.exists(), "{name}: no store may be left behind");
    assert_eq!(
        entries(dir.path()),
        before,
        "{name}: no temporary file may be left"
    );
    let message = error.to_string();
    assert!(
        matches!(error, ImportError::Invalid { .. }),
        "{name}: {message}"
    );
    for part in expected {
        assert!(message.contains(part), "{name}: {message:?} lacks {part:?}");
    }
    assert!(!message.contains('\n'), "one line: {message:?}");

    // An existing store: its bytes must not change.
    let existing = dir.path().join("existing.pwb");
    let seed = write_file(dir.path(), "seed.xes", SMALL_XES.as_bytes());
    import_file(
        &existing,
        Format::Xes,
        &seed,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("seed store");
    let hash = file_hash(&existing);
    let again = import_file(
        &existing,
        format,
        &input,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect_err("malformed input must be rejected");
    assert_eq!(again.to_string(), message);
    assert_eq!(
        file_hash(&existing),
        hash,
        "{name}: the store must be unchanged"
    );
    message
}

#[test]
fn broken_xml_says_line_and_column() {
    let text = SMALL_XES.replace(
        r#"<int key="amount" value="42"/>"#,
        r#"<int key="amount" value="42">"#,
    );
    let message = rejects(
        "broken.xes",
        text.as_bytes(),
        Format::Xes,
        &["broken.xes: line ", "XML error"],
    );
    assert!(message.contains("column"), "{message}");
}

#[test]
fn truncated_gzip_is_a_read_error() {
    let compressed = gzip(SMALL_XES.as_bytes());
    let cut = &compressed[..compressed.len() / 2];
    rejects("cut.xes.gz", cut, Format::Xes, &["cut.xes.gz: "]);
}

#[test]
fn truncated_xes_is_cut_off() {
    let cut = &SMALL_XES.as_bytes()[..SMALL_XES.len() / 2];
    rejects(
        "cut.xes",
        cut,
        Format::Xes,
        &["cut.xes: line 18, column 32: XML error"],
    );
}

#[test]
fn wrong_formats_are_named() {
    rejects(
        "log.xes",
        SMALL_OCEL1.as_bytes(),
        Format::Xes,
        &["not a XES log"],
    );
    rejects(
        "log.xes",
        b"<?xml version=\"1.0\"?>\n<html><body/></html>\n",
        Format::Xes,
        &["line 2", "root element is <html>"],
    );
    rejects(
        "log.jsonocel",
        SMALL_XES.as_bytes(),
        Format::Ocel,
        &["line 1, column 1", "JSON error"],
    );
    rejects(
        "log.jsonocel",
        b"[1, 2]",
        Format::Ocel,
        &["not an OCEL log"],
    );
    rejects(
        "log.jsonocel",
        b"{\"something\": 1}",
        Format::Ocel,
        &["not an OCEL log"],
    );
    rejects(
        "log.jsonl",
        SMALL_XES.as_bytes(),
        Format::Jsonl,
        &["log.jsonl: line 1", "JSON error"],
    );
}

#[test]
fn missing_timestamp_names_event_and_trace() {
    let text = SMALL_XES.replace(
        r#"<date key="time:timestamp" value="2020-01-01T11:00:00Z"/>"#,
        "",
    );
    rejects(
        "missing.xes",
        text.as_bytes(),
        Format::Xes,
        &[
            "missing.xes: line 21: ",
            "missing time:timestamp in event 2 of trace 'a'",
        ],
    );
    let text = SMALL_XES.replace("2020-01-02T10:00:00Z", "soon");
    rejects(
        "bad.xes",
        text.as_bytes(),
        Format::Xes,
        &["'soon'", "is not a date"],
    );
}

#[test]
fn invalid_json_line_names_its_line() {
    let text = concat!(
        r#"{"stream_id": "s", "event_type": "a", "occurred_at": "2020-01-01T00:00:00Z"}"#,
        "\n\n",
        r#"{"stream_id": "s", "event_type": "b", "occurred_at": "#,
        "\n"
    );
    rejects(
        "bad.jsonl",
        text.as_bytes(),
        Format::Jsonl,
        &["bad.jsonl: line 3, column "],
    );
    let text = r#"{"stream_id": "s", "event_type": "a", "occurred_at": "later"}"#;
    rejects(
        "bad.jsonl",
        text.as_bytes(),
        Format::Jsonl,
        &["line 1: ", "'later' is not a date"],
    );
    let text = r#"{"stream_id": "s", "occurred_at": "2020-01-01T00:00:00Z"}"#;
    rejects(
        "bad.jsonl",
        text.as_bytes(),
        Format::Jsonl,
        &["line 1", "missing field `event_type`"],
    );
}

#[test]
fn duplicate_jsonl_event_ids_are_refused() {
    let line = r#"{"event_id": "0190a5b2-0000-7000-8000-000000000001", "stream_id": "s", "event_type": "a", "occurred_at": "2020-01-01T00:00:00Z"}"#;
    let text = format!("{line}\n{line}\n");
    rejects(
        "dup.jsonl",
        text.as_bytes(),
        Format::Jsonl,
        &["line 2: ", "already in the store"],
    );
}

#[test]
fn ocel_unknown_object_is_refused_with_its_event() {
    let text = SMALL_OCEL1.replace(
        r#""ocel:omap": ["o1", "i1", "o1"]"#,
        r#""ocel:omap": ["o1", "ghost"]"#,
    );
    rejects(
        "ghost.jsonocel",
        text.as_bytes(),
        Format::Ocel,
        &[
            "ghost.jsonocel: line ",
            "event 'e2' refers to unknown object 'ghost'",
        ],
    );
    let text = SMALL_OCEL1.replace("2021-01-02 10:00:00", "tomorrow");
    rejects(
        "time.jsonocel",
        text.as_bytes(),
        Format::Ocel,
        &["event 'e2': time 'tomorrow' is not a date"],
    );
}

#[test]
fn cancel_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(dir.path(), "small.xes", SMALL_XES.as_bytes());
    let before = entries(dir.path());
    let target = dir.path().join("new.pwb");
    let error = import_file(
        &target,
        Format::Xes,
        &input,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| false,
    )
    .expect_err("cancelled");
    assert!(matches!(error, ImportError::Cancelled), "{error}");
    assert_eq!(entries(dir.path()), before);

    let existing = dir.path().join("existing.pwb");
    import_file(
        &existing,
        Format::Xes,
        &input,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("seed");
    let hash = file_hash(&existing);
    let error = import_file(
        &existing,
        Format::Xes,
        &input,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| false,
    )
    .expect_err("cancelled");
    assert!(matches!(error, ImportError::Cancelled), "{error}");
    assert_eq!(file_hash(&existing), hash);
}

#[test]
fn missing_input_and_non_store_targets_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("new.pwb");
    let error = import_file(
        &target,
        Format::Xes,
        &dir.path().join("nope.xes"),
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect_err("missing input");
    assert!(error.to_string().contains("nope.xes"), "{error}");
    assert!(!target.exists());

    let input = write_file(dir.path(), "small.xes", SMALL_XES.as_bytes());
    let not_a_store = write_file(dir.path(), "notes.txt", b"hello");
    let error = import_file(
        &not_a_store,
        Format::Xes,
        &input,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect_err("not a store");
    assert!(matches!(error, ImportError::Open(_)), "{error}");
    assert_eq!(std::fs::read(&not_a_store).expect("read"), b"hello");
}
