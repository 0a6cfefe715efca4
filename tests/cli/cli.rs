//! The CLI contract: subcommands, JSON shapes and exit codes, run as a user
//! would run the binary.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::*;
use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_process-workbench"))
        .args(args)
        .env("USER", "cli.tester")
        .output()
        .expect("run the binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_of(output: &Output) -> Value {
    assert!(output.status.success(), "failed: {}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn demo_inspect_check_and_listings() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("demo.redb");
    let out = run(&["demo", path_str(&store), "--processes", "60", "--seed", "3"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let inspect = json_of(&run(&["inspect", path_str(&store), "--json"]));
    assert_eq!(inspect["format_version"], 1);
    for key in [
        "streams",
        "events",
        "variants",
        "outbox",
        "deadlines",
        "dead_letters",
        "audit",
    ] {
        assert!(inspect.get(key).is_some(), "inspect lacks {key}");
    }
    for status in ["running", "completed", "failed"] {
        assert!(inspect["streams"]["by_status"][status].is_u64());
    }
    for status in ["open", "resubmitted", "discarded"] {
        assert!(inspect["dead_letters"]["by_status"][status].is_u64());
    }
    assert!(inspect["events"]["total"].as_u64().unwrap() > 100);
    assert!(inspect["outbox"]["pending"].is_u64() && inspect["deadlines"]["overdue"].is_u64());
    let plain = run(&["inspect", path_str(&store)]);
    assert!(text(&plain.stdout).contains("dead letters"));

    let check = run(&["check", path_str(&store)]);
    assert!(check.status.success(), "{}", text(&check.stdout));

    let letters = json_of(&run(&[
        "dead-letters",
        path_str(&store),
        "--status",
        "open",
        "--json",
    ]));
    let letters = letters.as_array().unwrap();
    assert!(!letters.is_empty());
    for key in [
        "id",
        "reason",
        "detail",
        "status",
        "stream_id",
        "message_type",
        "attempts",
        "recorded_at",
    ] {
        assert!(letters[0].get(key).is_some(), "dead letter lacks {key}");
    }
    assert!(letters.iter().all(|l| l["status"] == "open"));

    let audit = json_of(&run(&["audit", path_str(&store), "--json"]));
    let entry = &audit.as_array().unwrap()[0];
    for key in [
        "seq", "at", "user", "action", "target", "reason", "before", "after",
    ] {
        assert!(entry.get(key).is_some(), "audit entry lacks {key}");
    }
}

#[test]
fn resubmit_and_discard_write_only_when_asked_and_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("demo.redb");
    assert!(
        run(&["demo", path_str(&store), "--processes", "80"])
            .status
            .success()
    );
    let letters = json_of(&run(&[
        "dead-letters",
        path_str(&store),
        "--status",
        "open",
        "--json",
    ]));
    let letters = letters.as_array().unwrap();
    let missing = letters
        .iter()
        .find(|l| l["reason"] == "missing_field")
        .expect("a missing_field letter");
    let other = letters.iter().find(|l| l["id"] != missing["id"]).unwrap();
    let audit_before = json_of(&run(&["audit", path_str(&store), "--json"]))
        .as_array()
        .unwrap()
        .len();

    let discard = run(&[
        "discard",
        path_str(&store),
        "--dead-letter",
        other["id"].as_str().unwrap(),
        "--reason",
        "duplicate",
    ]);
    assert!(discard.status.success(), "{}", text(&discard.stderr));
    let again = run(&[
        "discard",
        path_str(&store),
        "--dead-letter",
        other["id"].as_str().unwrap(),
        "--reason",
        "twice",
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("already discarded"));

    let bad_json = dir.path().join("bad.json");
    std::fs::write(&bad_json, "{\"malo_id\": ").unwrap();
    let refused = run(&[
        "resubmit",
        path_str(&store),
        "--dead-letter",
        missing["id"].as_str().unwrap(),
        "--payload",
        path_str(&bad_json),
        "--reason",
        "fix",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("line 1"),
        "{}",
        text(&refused.stderr)
    );

    let audit = json_of(&run(&["audit", path_str(&store), "--json"]));
    let audit = audit.as_array().unwrap();
    assert_eq!(audit.len(), audit_before + 1);
    let last = audit.last().unwrap();
    assert_eq!(last["action"], "dead_letter.discard");
    assert_eq!(last["user"], "cli.tester");
    assert_eq!(last["reason"], "duplicate");
    assert!(run(&["check", path_str(&store)]).status.success());
}

#[test]
fn bad_files_exit_2_with_one_line_and_stay_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let good = demo_store(dir.path(), 20);
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("empty.redb", Vec::new()),
        (
            "random.redb",
            (0..40_000u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
                .collect(),
        ),
        ("truncated.redb", {
            let bytes = std::fs::read(&good).unwrap();
            bytes[..bytes.len() / 2].to_vec()
        }),
        ("notes.txt", b"this is not a store\n".repeat(100)),
    ];
    let mut paths: Vec<std::path::PathBuf> = files
        .into_iter()
        .map(|(name, bytes)| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect();
    let foreign = dir.path().join("foreign.redb");
    {
        let db = redb::Database::create(&foreign).unwrap();
        let tx = db.begin_write().unwrap();
        tx.open_table(redb::TableDefinition::<u64, u64>::new("other"))
            .unwrap()
            .insert(1, 2)
            .unwrap();
        tx.commit().unwrap();
    }
    paths.push(foreign);
    paths.push(dir.path().join("missing.redb"));
    for path in &paths {
        let before = bytes_of(path);
        for args in [
            vec!["inspect", path_str(path)],
            vec!["check", path_str(path)],
            vec!["dead-letters", path_str(path)],
            vec!["audit", path_str(path), "--json"],
            vec![
                "discard",
                path_str(path),
                "--dead-letter",
                "0190a6f8-0000-7000-8000-000000000000",
                "--reason",
                "x",
            ],
        ] {
            let out = run(&args);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert_eq!(
                stderr.trim_end().lines().count(),
                1,
                "{args:?}: one line, got {stderr:?}"
            );
            assert!(
                !stderr.contains("panicked") && !stderr.contains("backtrace"),
                "{stderr}"
            );
        }
        assert!(bytes_of(path) == before, "{} was modified", path.display());
    }

    // Held for writing here; the binary is the other process that finds it locked
    // (redb's lock belongs to the open file, so even a second open here would).
    let holder = process_workbench_core::store::Store::open_writable(&good).unwrap();
    let before = bytes_of(&good);
    let out = run(&["inspect", path_str(&good)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("locked"),
        "{}",
        text(&out.stderr)
    );
    assert!(bytes_of(&good) == before, "the locked file was modified");
    drop(holder);
}

#[test]
fn check_exits_1_on_a_damaged_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path(), 20);
    {
        let db = redb::Database::open(&store).unwrap();
        let tx = db.begin_write().unwrap();
        tx.open_table(process_workbench_core::store::schema::CAUSED_BY)
            .unwrap()
            .insert((5u128, 6u128), ())
            .unwrap();
        tx.commit().unwrap();
    }
    let out = run(&["check", path_str(&store)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("caused_by"));
}

#[test]
fn bad_arguments_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path(), 10);
    let out = run(&[
        "discard",
        path_str(&store),
        "--dead-letter",
        "not-a-uuid",
        "--reason",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a valid dead letter id"));
    let out = run(&["dead-letters", path_str(&store), "--status", "maybe"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "outbox-action",
        path_str(&store),
        "--message",
        "0190a6f8-0000-7000-8000-000000000000",
        "reschedule",
        "--at",
        "tomorrow",
        "--reason",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
}
