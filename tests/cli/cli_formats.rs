//! `import --from csv` with its column mapping, `import --from ocel` of each
//! form, `export --xes | --ocel [--stream ID…]`, and bad input: exit 2, one
//! line naming the place, no store left behind, an existing store unchanged.

use std::path::Path;

use crate::cli_support::*;
use crate::import_common::*;

fn inspect(store: &Path) -> serde_json::Value {
    let output = run(&["inspect", path_str(store), "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("inspect json")
}

const CLAIMS: &str = "id,step,at,who,case:region\n\
                      c1,register,2024-03-01T08:00:00+01:00,Bob,south\n\
                      c1,approve,2024-03-01 09:00:00,Ann,south\n\
                      c2,register,2024-03-02,Bob,north\n";

#[test]
fn csv_import_with_a_mapping_then_export_as_xes_and_ocel() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(dir.path(), "claims.csv", CLAIMS.as_bytes());
    let store = dir.path().join("claims.redb");
    let output = run(&[
        "import",
        path_str(&store),
        "--from",
        "csv",
        path_str(&input),
        "--case",
        "id",
        "--activity",
        "step",
        "--timestamp",
        "at",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let counts = inspect(&store);
    assert_eq!(counts["streams"]["total"], 2);
    assert_eq!(counts["events"]["total"], 3);

    for (flag, name) in [("--xes", "claims.xes"), ("--ocel", "claims.jsonocel")] {
        let out = dir.path().join(name);
        let output = run(&["export", path_str(&store), flag, path_str(&out)]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let again = dir.path().join(format!("{name}.redb"));
        let from = if flag == "--xes" { "xes" } else { "ocel" };
        let output = run(&["import", path_str(&again), "--from", from, path_str(&out)]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let counts = inspect(&again);
        assert_eq!(counts["streams"]["total"], 2, "{name}");
        assert_eq!(counts["events"]["total"], 3, "{name}");
        assert_eq!(counts["variants"], 2, "{name}");
    }

    let one = dir.path().join("c1.xes");
    let output = run(&[
        "export",
        path_str(&store),
        "--xes",
        path_str(&one),
        "--stream",
        "c1",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let text = std::fs::read_to_string(&one).expect("read export");
    assert_eq!(text.matches("<trace>").count(), 1);
    assert_eq!(text.matches("<event>").count(), 2);
}

#[test]
fn csv_mapping_flags_are_only_for_csv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(dir.path(), "small.xes", SMALL_XES.as_bytes());
    let store = dir.path().join("small.redb");
    let output = run(&[
        "import",
        path_str(&store),
        "--from",
        "xes",
        path_str(&input),
        "--case",
        "id",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("for --from csv"),
        "{}",
        text(&output.stderr)
    );
    assert!(!store.exists());
}

/// Imports `bytes` as `from` into a new store and into an existing one: exit 2,
/// one line on stderr holding `expected`, no new store, the existing one unchanged.
fn exits_2(name: &str, bytes: &[u8], from: &str, extra: &[&str], expected: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(dir.path(), name, bytes);
    let store = dir.path().join("new.redb");
    let mut args = vec!["import", path_str(&store), "--from", from, path_str(&input)];
    args.extend_from_slice(extra);
    let output = run(&args);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{name}: {}",
        text(&output.stderr)
    );
    let message = text(&output.stderr);
    assert_eq!(message.trim_end().lines().count(), 1, "{name}: {message}");
    assert!(message.contains(expected), "{name}: {message}");
    assert!(!store.exists(), "{name}: no store left behind");

    let existing = dir.path().join("existing.redb");
    let seed = write_file(dir.path(), "seed.xes", SMALL_XES.as_bytes());
    let output = run(&[
        "import",
        path_str(&existing),
        "--from",
        "xes",
        path_str(&seed),
    ]);
    assert_eq!(output.status.code(), Some(0));
    let before = std::fs::read(&existing).expect("read store");
    let mut args = vec![
        "import",
        path_str(&existing),
        "--from",
        from,
        path_str(&input),
    ];
    args.extend_from_slice(extra);
    let output = run(&args);
    assert_eq!(output.status.code(), Some(2), "{name}");
    assert_eq!(
        std::fs::read(&existing).expect("read store"),
        before,
        "{name}: the existing store is unchanged"
    );
}

#[test]
fn bad_input_of_every_new_form_exits_2_naming_the_place() {
    exits_2(
        "claims.csv",
        CLAIMS.as_bytes(),
        "csv",
        &["--case", "case"],
        "claims.csv: line 1: the case column 'case' is not in the header",
    );
    exits_2(
        "claims.csv",
        CLAIMS.replace("2024-03-02", "someday").as_bytes(),
        "csv",
        &["--case", "id", "--activity", "step", "--timestamp", "at"],
        "claims.csv: line 4: row 3: the timestamp ('at') 'someday' is not a time",
    );
    exits_2(
        "log.xmlocel",
        b"<?xml version=\"1.0\"?>\n<log>\n<object-types>\n<object-type name=\"a\">\n</log>\n",
        "ocel",
        &[],
        "log.xmlocel: line ",
    );
    let compressed = gzip(SMALL_XES.as_bytes());
    exits_2(
        "cut.xes.gz",
        &compressed[..compressed.len() / 2],
        "xes",
        &[],
        "cut.xes.gz: ",
    );
}

#[test]
fn a_utc_offset_that_cannot_be_read_exits_2() {
    for (offset, expected) in [
        ("CET", "--utc-offset: 'CET' is not a UTC offset"),
        ("+1", "--utc-offset: '+1' is not a UTC offset"),
        ("+24:00", "--utc-offset: '+24:00' is not a UTC offset"),
    ] {
        exits_2(
            "claims.csv",
            CLAIMS.as_bytes(),
            "csv",
            &[
                "--case",
                "id",
                "--activity",
                "step",
                "--timestamp",
                "at",
                "--utc-offset",
                offset,
            ],
            expected,
        );
    }
}

#[test]
fn an_ocel_relation_to_an_unknown_object_exits_2() {
    let log = r#"{"objectTypes": [{"name": "order", "attributes": []}],
 "eventTypes": [{"name": "place", "attributes": []}],
 "objects": [{"id": "o1", "type": "order", "relationships": [{"objectId": "o9", "qualifier": "of"}]}],
 "events": [{"id": "e1", "type": "place", "time": "2024-01-01T10:00:00", "relationships": [{"objectId": "o1"}]}]}"#;
    exits_2(
        "orders.jsonocel",
        log.as_bytes(),
        "ocel",
        &[],
        "orders.jsonocel: line 3: object 'o1' refers to unknown object 'o9'",
    );
}

/// The XML and SQLite forms of the shared OCEL log write local times
/// (UTC+01:00) without an offset: read at that offset, they export the same
/// events as the JSON form.
#[test]
fn the_ocel_forms_read_at_their_offset_export_the_same_events() {
    let Some(data) =
        data_dir("cli_formats::the_ocel_forms_read_at_their_offset_export_the_same_events")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut exports = Vec::new();
    for (file, offset) in [
        ("ocel20_example.jsonocel", None),
        ("ocel20_example.xmlocel", Some("+01:00")),
        ("ocel20_example.sqlite", Some("+01:00")),
    ] {
        let store = dir.path().join(format!("{file}.redb"));
        let input = data.join(file);
        let mut args = vec![
            "import",
            path_str(&store),
            "--from",
            "ocel",
            path_str(&input),
        ];
        if let Some(offset) = offset {
            args.extend_from_slice(&["--utc-offset", offset]);
        }
        let output = run(&args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{file}: {}",
            text(&output.stderr)
        );
        let output = run(&["export", path_str(&store), "--jsonl", "-"]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{file}: {}",
            text(&output.stderr)
        );
        exports.push(String::from_utf8(output.stdout).expect("utf-8"));
    }
    assert_eq!(exports[0].lines().count(), 13);
    assert!(exports[0].contains("\"occurred_at\":\"2022-02-03T06:30:00Z\""));
    assert_eq!(exports[1], exports[0], "XML");
    assert_eq!(exports[2], exports[0], "SQLite");
}
