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
        &["log.jsonocel: not an OCEL log: XML", "import it as XES"],
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

// ----- the formats read through process_mining, OCEL 1.0 XML and CSV ------------------

/// The shared OCEL 2.0 example in one of its forms, or `None` (reported as skipped).
fn shared_ocel(test: &str, file: &str) -> Option<Vec<u8>> {
    let data = data_dir(test)?;
    Some(std::fs::read(data.join(file)).expect("read the shared OCEL log"))
}

#[test]
fn broken_ocel_xml_says_line_and_column() {
    let Some(bytes) = shared_ocel(
        "import_errors::broken_ocel_xml_says_line_and_column",
        "ocel20_example.xmlocel",
    ) else {
        return;
    };
    let text = String::from_utf8(bytes).expect("utf-8");
    let broken = text.replacen("</objects>", "</object-types>", 1);
    let message = rejects(
        "broken.xmlocel",
        broken.as_bytes(),
        Format::Ocel,
        &["broken.xmlocel: line ", "XML error"],
    );
    assert!(message.contains("column"), "{message}");
}

#[test]
fn truncated_ocel_xml_is_cut_off() {
    let Some(bytes) = shared_ocel(
        "import_errors::truncated_ocel_xml_is_cut_off",
        "ocel20_example.xmlocel",
    ) else {
        return;
    };
    // Cut between elements: quick-xml ends quietly, the reader sees no </log>.
    let text = String::from_utf8(bytes).expect("utf-8");
    let end = text.find("</objects>").expect("objects") + "</objects>".len();
    rejects(
        "cut.xmlocel",
        &text.as_bytes()[..end],
        Format::Ocel,
        &[
            "cut.xmlocel: line ",
            "unexpected end of input before </log> (is the file cut off?)",
        ],
    );
    // Cut inside a tag: quick-xml's own error, with its place.
    rejects(
        "cut.xmlocel",
        &text.as_bytes()[..text.len() * 2 / 3],
        Format::Ocel,
        &["cut.xmlocel: line ", "XML error"],
    );
}

#[test]
fn truncated_gzip_ocel_is_a_read_error() {
    let Some(bytes) = shared_ocel(
        "import_errors::truncated_gzip_ocel_is_a_read_error",
        "ocel20_example.jsonocel",
    ) else {
        return;
    };
    let compressed = gzip(&bytes);
    rejects(
        "cut.jsonocel.gz",
        &compressed[..compressed.len() / 2],
        Format::Ocel,
        &["cut.jsonocel.gz: "],
    );
}

/// A copy of the shared SQLite log changed by `statement`.
fn changed_sqlite(bytes: &[u8], statement: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(dir.path(), "log.sqlite", bytes);
    let connection = rusqlite::Connection::open(&path).expect("open");
    connection.execute_batch(statement).expect("change");
    drop(connection);
    std::fs::read(&path).expect("read back")
}

#[test]
fn schema_breaking_ocel_sqlite_names_the_table() {
    let Some(bytes) = shared_ocel(
        "import_errors::schema_breaking_ocel_sqlite_names_the_table",
        "ocel20_example.sqlite",
    ) else {
        return;
    };
    rejects(
        "no-relations.sqlite",
        &changed_sqlite(&bytes, "DROP TABLE event_object;"),
        Format::Ocel,
        &["no-relations.sqlite: ", "table event_object is missing"],
    );
    rejects(
        "no-time.sqlite",
        &changed_sqlite(
            &bytes,
            "ALTER TABLE event_InsertInvoice DROP COLUMN ocel_time;",
        ),
        Format::Ocel,
        &["table event_InsertInvoice: column ocel_time is missing"],
    );
}

#[test]
fn schema_breaking_ocel_json_names_its_line() {
    let Some(bytes) = shared_ocel(
        "import_errors::schema_breaking_ocel_json_names_its_line",
        "ocel20_example.jsonocel",
    ) else {
        return;
    };
    let text = String::from_utf8(bytes).expect("utf-8");
    let broken = text.replacen("\"time\": \"2022-01-09", "\"when\": \"2022-01-09", 1);
    rejects(
        "broken.jsonocel",
        broken.as_bytes(),
        Format::Ocel,
        &["broken.jsonocel: line ", "missing field `time`"],
    );
}

#[test]
fn an_xml_file_that_is_no_ocel_is_named() {
    rejects(
        "log.xmlocel",
        SMALL_XES.as_bytes(),
        Format::Ocel,
        &["log.xmlocel: ", "not an OCEL log"],
    );
}

const SMALL_CSV: &str = "case:concept:name,concept:name,time:timestamp,org:resource\n\
                         1,register,2024-01-01 10:00:00,Ann\n\
                         1,approve,2024-01-01 11:00:00,Bob\n";

#[test]
fn csv_without_a_mapped_column_names_it() {
    let text = SMALL_CSV.replace("time:timestamp", "when");
    rejects(
        "log.csv",
        text.as_bytes(),
        Format::Csv,
        &[
            "log.csv: line 1: ",
            "timestamp column 'time:timestamp'",
            "when",
        ],
    );
}

#[test]
fn csv_with_an_unparsable_time_names_the_row() {
    let text = SMALL_CSV.replace("2024-01-01 11:00:00", "yesterday noon");
    rejects(
        "log.csv",
        text.as_bytes(),
        Format::Csv,
        &["log.csv: line 3: row 2: ", "'yesterday noon' is not a time"],
    );
}

#[test]
fn csv_with_a_short_row_names_its_line() {
    let text = format!("{SMALL_CSV}2,register\n");
    rejects(
        "log.csv",
        text.as_bytes(),
        Format::Csv,
        &["log.csv: line 4: ", "2 fields where the header has 4"],
    );
}

#[test]
fn broken_ocel1_xml_names_its_line() {
    let text = "<?xml version=\"1.0\"?>\n<log>\n<global scope=\"event\"/>\n<events>\n<event>\n\
                <string key=\"id\" value=\"e1\"/>\n<string key=\"activity\" value=\"a\"/>\n\
                <date key=\"timestamp\" value=\"soon\"/>\n</event>\n</events>\n</log>\n";
    rejects(
        "old.xmlocel",
        text.as_bytes(),
        Format::Ocel,
        &[
            "old.xmlocel: line 9: ",
            "event 'e1': time 'soon' is not a date",
        ],
    );
}

/// What decided which XES reader the workbench keeps (PERFORMANCE.md, "Which
/// XES reader is kept"): a log cut off between two elements is refused, not
/// imported without its last trace; a value that does not read as its
/// declared type is kept as its text, not turned into 0; a time written with
/// a space, as pandas writes it, is read.
#[test]
fn the_xes_reader_drops_nothing_it_cannot_read() {
    let cut_at = SMALL_XES
        .rfind("</event>")
        .map(|at| at + "</event>".len())
        .expect("an event");
    let message = rejects(
        "cut.xes",
        &SMALL_XES.as_bytes()[..cut_at],
        Format::Xes,
        &["cut.xes: ", "unexpected end of input inside <trace>"],
    );
    assert!(message.contains("is the file cut off?"), "{message}");

    let text = SMALL_XES
        .replace(r#"value="42""#, r#"value="forty-two""#)
        .replace(r#"value="0.5""#, r#"value="half""#)
        .replace("2020-01-01T11:00:00Z", "2020-01-01 11:00:00");
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(dir.path(), "odd.xes", text.as_bytes());
    let store = dir.path().join("odd.redb");
    import_file(
        &store,
        Format::Xes,
        &input,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("imported");
    let store = process_workbench_core::store::Store::open(&store).expect("open");
    let reader = store.read().expect("read");
    let events = reader.stream_events("a", 1, 10).expect("events");
    assert_eq!(events[0].payload["amount"], "forty-two");
    assert_eq!(events[0].payload["rate"], "half");
    assert_eq!(
        events[1].occurred_at,
        time::macros::datetime!(2020-01-01 11:00 UTC)
    );
}
