//! The queue actions on the command line (same code path as the views) and a
//! crash test: a child process doing a bulk resubmit is killed mid-way; on
//! reopen `check` passes and each item is either fully done or untouched.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::*;
use crate::helper_process::bulk_resubmit;
use process_workbench_core::engine::{Engine, Operator, deadline_id_of};
use process_workbench_core::queues::{BulkAction, run_bulk};
use process_workbench_core::store::{DeadLetterStatus, Store};
use serde_json::{Value, json};
use uuid::Uuid;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_process-workbench"))
        .args(args)
        .env("USER", "cli.tester")
        .output()
        .expect("run the binary")
}

fn json_of(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn placed_order(dir: &Path) -> String {
    let (store, mut engine) = order_store(dir);
    engine
        .dispatch(
            &store,
            message(
                "OrderPlaced",
                "order-1",
                json!({"customer": "C-1", "partner": "P-7"}),
            ),
            T0,
        )
        .unwrap();
    dir.join("orders.redb").to_str().unwrap().to_string()
}

#[test]
fn outbox_actions_on_the_command_line_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let path = placed_order(dir.path());
    let listed = json_of(&run(&["outbox", &path, "--json"]));
    let id = listed[0]["id"].as_str().unwrap().to_string();
    let out = run(&[
        "outbox-action",
        &path,
        "--message",
        &id,
        "reschedule",
        "--at",
        "2026-03-05T08:00:00Z",
        "--reason",
        "partner asked",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "outbox-action",
        &path,
        "--message",
        &id,
        "dead-letter",
        "--reason",
        "partner is gone",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let letters = json_of(&run(&["dead-letters", &path, "--json"]));
    assert_eq!(letters[0]["reason"], "moved_by_operator");
    let audit = json_of(&run(&["audit", &path, "--json"]));
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["outbox.reschedule", "outbox.dead_letter"]);
    assert_eq!(audit[0]["user"], "cli.tester");
    // An unknown message: exit 2, one line.
    let out = run(&[
        "outbox-action",
        &path,
        "--message",
        &id,
        "cancel",
        "--reason",
        "again",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim().lines().count(),
        1
    );
}

#[test]
fn deadline_actions_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = placed_order(dir.path());
    let id = deadline_id_of("order-1").to_string();
    let out = run(&[
        "deadline-action",
        &path,
        "--deadline",
        &id,
        "fire",
        "--reason",
        "no answer by phone",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deadlines = json_of(&run(&["deadlines", &path, "--json"]));
    assert_eq!(deadlines.as_array().unwrap().len(), 0);
    let audit = json_of(&run(&["audit", &path, "--json"]));
    assert_eq!(audit[0]["action"], "deadline.fire");
    let out = run(&[
        "deadline-action",
        &path,
        "--deadline",
        "nope",
        "cancel",
        "--reason",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bulk_discard_of_a_group_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = placed_order(dir.path());
    {
        let store = Store::open_writable(&path).unwrap();
        let mut engine = Engine::load(&store).unwrap();
        for n in 0..3 {
            engine
                .dispatch(
                    &store,
                    message("OrderConfirmed", &format!("order-c{n}"), json!({})),
                    T0,
                )
                .unwrap();
        }
    }
    let group = [
        "--group-reason",
        "transition_not_allowed",
        "--group-type",
        "OrderConfirmed",
    ];
    let mut args = vec![
        "bulk",
        &path,
        "--action",
        "discard",
        "--reason",
        "sent twice",
        "--dry-run",
    ];
    args.extend(group);
    let out = run(&args);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success());
    assert!(
        stdout.contains("dry run: 3 open dead letters would be discarded, 0 would be skipped"),
        "{stdout}"
    );
    assert_eq!(
        json_of(&run(&["audit", &path, "--json"]))
            .as_array()
            .unwrap()
            .len(),
        0
    );
    args.retain(|arg| *arg != "--dry-run");
    let out = run(&args);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("3 discarded, 0 failed again, 0 skipped")
    );
    let out = run(&args);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("0 discarded, 0 failed again, 3 skipped")
    );
    assert_eq!(
        json_of(&run(&["audit", &path, "--json"]))
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let out = run(&["bulk", &path, "--action", "discard", "--reason", "x"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_bulk_resubmit_killed_mid_way_leaves_every_item_done_or_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.redb");
    let items = 400;
    {
        // Orders that came before their definition: unknown_process dead letters
        // that a resubmission takes in.
        let store = Store::create(&path).unwrap();
        let mut engine = Engine::load(&store).unwrap();
        for n in 0..items {
            engine
                .dispatch(
                    &store,
                    message(
                        "OrderPlaced",
                        &format!("order-{n}"),
                        json!({"customer": "C", "partner": "P-7"}),
                    ),
                    T0,
                )
                .unwrap();
        }
        engine
            .install_definition(&store, order_definition())
            .unwrap();
    }
    let (mut child, mut lines) = bulk_resubmit(&path);
    let mut reached = 0;
    // Reads from the child until it is killed: a closed pipe would end it first.
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(done) = line.strip_prefix("DONE ") {
            reached = done.parse().unwrap();
            if reached >= 50 {
                break;
            }
        }
        assert!(
            !line.contains("FINISHED"),
            "the child finished before it was killed"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
    drop(lines);
    assert!(reached >= 50);

    // Reopen: repair if the kill left the file needing it, then the check passes.
    if Store::open(&path).is_err() {
        Store::repair(&path, "test", time::OffsetDateTime::now_utc()).unwrap();
    }
    let out = run(&["check", path.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let store = Store::open(&path).unwrap();
    let reader = store.read().unwrap();
    let letters = reader.dead_letters(None, 100_000).unwrap().items;
    let mut done = 0;
    for letter in &letters {
        let stream = letter.stream_id.clone().unwrap();
        let events = reader.stream_events(&stream, 1, 10).unwrap();
        match letter.status {
            DeadLetterStatus::Resubmitted => {
                done += 1;
                let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
                assert_eq!(types, ["OrderPlaced", "DeadLetterResubmitted"], "{stream}");
            }
            DeadLetterStatus::Open => {
                assert!(events.is_empty(), "{stream} is half done");
                assert_eq!(letter.attempts.len(), 1);
            }
            DeadLetterStatus::Discarded => panic!("nothing was discarded"),
        }
    }
    // Items past the last durable commit are lost whole: done may trail what the child reported.
    assert!(done < items, "{done} done");
    let audited = reader.audit(1, 100_000).unwrap();
    let resubmissions = audited
        .iter()
        .filter(|entry| entry.action != "store.repair");
    assert_eq!(resubmissions.count(), done);
    // Run it again: the rest is done, the done ones are skipped.
    drop(reader);
    drop(store);
    let store = Store::open_writable(&path).unwrap();
    let mut engine = Engine::load(&store).unwrap();
    let ids: Vec<Uuid> = letters.iter().map(|l| l.id).collect();
    let summary = run_bulk(
        &mut engine,
        &store,
        BulkAction::Resubmit,
        &ids,
        &Operator::named("ops"),
        "again",
        T0,
        &mut |_, _| {},
        &|| false,
    );
    assert_eq!(
        (summary.done, summary.skipped),
        ((items - done) as u64, done as u64)
    );
}
