//! `process-workbench graph` as scripts use it: ARCHITECTURE.md's JSON shape sorted
//! deterministically, grouping beyond `--max-nodes`, and exit status 2 with
//! one line for an unknown or malformed event id.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use process_workbench_core::store::{NewEvent, Store, StreamInfo, StreamStatus};
use serde_json::{Value, json};
use time::macros::datetime;
use uuid::Uuid;

fn make_store(dir: &Path) -> PathBuf {
    let path = dir.join("graph.redb");
    let store = Store::create(&path).unwrap();
    let t0 = datetime!(2026-03-02 09:00 UTC);
    let info = |id: &str| StreamInfo {
        stream_id: id.to_string(),
        process_type: "p".to_string(),
        status: StreamStatus::Running,
        process_state: None,
        version: 0,
        created_at: t0,
        updated_at: t0,
        last_error: None,
        correlation_id: None,
        variant: 0,
        metadata: Value::Null,
    };
    let event = |n: u128, cause: Option<u128>| NewEvent {
        event_id: Some(Uuid::from_u128(n)),
        causation_id: cause.map(Uuid::from_u128),
        ..NewEvent::new(format!("E{n}"), t0, json!({}))
    };
    let (mut a, mut b) = (info("a"), info("b"));
    store
        .write(|w| {
            w.append(&mut a, 0, vec![event(1, None), event(2, Some(1))], t0)?;
            w.append(&mut b, 0, vec![event(3, Some(2)), event(4, Some(3))], t0)
        })
        .unwrap();
    path
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_process-workbench"))
        .args(args)
        .output()
        .unwrap()
}

fn uuid(n: u128) -> String {
    Uuid::from_u128(n).to_string()
}

#[test]
fn json_has_the_design_shape_in_a_stable_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_store(dir.path());
    let file = path.to_str().unwrap();
    let output = run(&["graph", file, "--event", &uuid(2), "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    let nodes = value["nodes"].as_array().unwrap();
    let ids: Vec<&str> = nodes
        .iter()
        .map(|node| node["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![uuid(1), uuid(2), uuid(3), uuid(4)]);
    assert_eq!(nodes[2]["stream_id"], "b");
    assert_eq!(nodes[2]["version"], 1);
    assert_eq!(nodes[2]["event_type"], "E3");
    assert_eq!(nodes[2]["position"], 3);
    assert_eq!(
        value["edges"],
        json!([
            {"from": uuid(1), "to": uuid(2), "kind": "causation"},
            {"from": uuid(2), "to": uuid(3), "kind": "causation"},
            {"from": uuid(3), "to": uuid(4), "kind": "causation"},
        ])
    );
    assert_eq!(value["hidden"], 0);
    // The same bytes every time.
    assert_eq!(
        run(&["graph", file, "--event", &uuid(2), "--json"]).stdout,
        output.stdout
    );

    let output = run(&[
        "graph",
        file,
        "--event",
        &uuid(2),
        "--json",
        "--max-nodes",
        "2",
    ]);
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["nodes"].as_array().unwrap().len(), 2);
    assert_eq!(value["hidden"], 2);
    assert_eq!(value["groups"][0]["group"], "stream:b");

    let text = run(&["graph", file, "--event", &uuid(2)]);
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("4 events, 4 shown, 0 hidden"), "{text}");
    assert!(text.contains("a v2 E2 -> b v1 E3"), "{text}");
}

#[test]
fn unknown_or_malformed_event_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_store(dir.path());
    let file = path.to_str().unwrap();
    for (event, needle) in [
        (uuid(99), "no event with id"),
        ("not-a-uuid".to_string(), "is not an event id"),
    ] {
        let output = run(&["graph", file, "--event", &event, "--json"]);
        assert_eq!(output.status.code(), Some(2), "{event}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
        assert!(output.stdout.is_empty());
    }
}
