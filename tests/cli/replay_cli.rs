//! `process-workbench replay` as scripts use it: the JSON shape, the text
//! output, and exit status 2 with one line for an unknown stream or version.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use process_workbench_core::store::{NewEvent, Store, StreamInfo, StreamStatus};
use serde_json::{Value, json};
use time::macros::datetime;

fn make_store(dir: &Path) -> PathBuf {
    let path = dir.join("cli.redb");
    let store = Store::create(&path).unwrap();
    let t0 = datetime!(2026-03-02 09:00 UTC);
    store
        .write(|w| {
            w.put_definition(
                "supply",
                &json!({
                    "process_type": "supply",
                    "states": ["new", "active"],
                    "initial": "new",
                    "terminal": [],
                    "transitions": [
                        {"from": "new", "on": "Start", "to": "active"},
                        {"from": "active", "on": "Update", "to": "active"}
                    ]
                }),
            )
        })
        .unwrap();
    let mut info = StreamInfo {
        stream_id: "s-1".into(),
        process_type: "supply".into(),
        status: StreamStatus::Running,
        process_state: Some("active".into()),
        version: 0,
        created_at: t0,
        updated_at: t0,
        last_error: None,
        correlation_id: None,
        variant: 0,
        metadata: Value::Null,
    };
    store
        .write(|w| {
            w.append(
                &mut info,
                0,
                vec![
                    NewEvent::new("Start", t0, json!({"meter": "M-1", "kwh": 10})),
                    NewEvent::new("Update", t0, json!({"kwh": 12})),
                ],
                t0,
            )
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

#[test]
fn json_has_the_design_shape() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_store(dir.path());
    let file = path.to_str().unwrap();

    let output = run(&["replay", file, "--stream", "s-1", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["stream_id"], "s-1");
    assert_eq!(value["version"], 2);
    assert_eq!(
        value["state"],
        json!({"process_state": "active", "data": {"meter": "M-1", "kwh": 12}})
    );
    assert_eq!(
        value["diff"],
        json!([{"op": "replace", "path": "/data/kwh", "value": 12}])
    );

    let output = run(&["replay", file, "--stream", "s-1", "--to", "1", "--json"]);
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["version"], 1);
    assert_eq!(
        value["diff"].as_array().unwrap().len(),
        3,
        "{}",
        value["diff"]
    );

    let output = run(&["replay", file, "--stream", "s-1", "--to", "0", "--json"]);
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["state"], json!({"process_state": "new", "data": {}}));
    assert_eq!(value["diff"], json!([]));
}

#[test]
fn text_output_is_readable() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_store(dir.path());
    let output = run(&["replay", path.to_str().unwrap(), "--stream", "s-1"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("stream s-1 (supply) at version 2 of 2"),
        "{text}"
    );
    assert!(
        text.contains("transition: active --Update--> active"),
        "{text}"
    );
    assert!(text.contains("replace /data/kwh = 12"), "{text}");
}

#[test]
fn unknown_stream_and_out_of_range_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_store(dir.path());
    let file = path.to_str().unwrap();
    for (args, needle) in [
        (
            vec!["replay", file, "--stream", "nope"],
            "no stream \"nope\"",
        ),
        (
            vec!["replay", file, "--stream", "nope", "--to", "1"],
            "no stream \"nope\"",
        ),
        (
            vec!["replay", file, "--stream", "s-1", "--to", "3"],
            "version 3 is out of range",
        ),
    ] {
        let output = run(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn retry_reruns_a_failed_step_once_and_refuses_what_is_not_failed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.redb");
    let file = path.to_str().unwrap();
    let made = run(&["demo", file, "--processes", "80", "--seed", "5"]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );

    let (failed, version) = {
        let store = Store::open(&path).unwrap();
        let reader = store.read().unwrap();
        let info = reader
            .all_stream_ids()
            .unwrap()
            .into_iter()
            .filter_map(|id| reader.stream(&id).unwrap())
            .find(|info| {
                info.status == StreamStatus::Failed
                    && matches!(
                        process_workbench_core::replay::failure_point(&reader, &info.stream_id)
                            .unwrap()
                            .map(|point| point.cause),
                        Some(process_workbench_core::replay::FailureCause::FailedState(_))
                    )
            })
            .expect("a process that failed in a failed state");
        (info.stream_id, info.version)
    };

    let output = run(&[
        "retry",
        file,
        "--stream",
        &failed,
        "--reason",
        "partner fixed",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = String::from_utf8(output.stdout).unwrap();
    assert!(
        said.contains("FailedStepRetried appended at version"),
        "{said}"
    );
    {
        let store = Store::open(&path).unwrap();
        let reader = store.read().unwrap();
        let info = reader.stream(&failed).unwrap().unwrap();
        assert_eq!(info.version, version + 1);
        assert_ne!(info.status, StreamStatus::Failed);
        assert_eq!(
            reader.audit(0, 10_000).unwrap().last().unwrap().action,
            "stream.retry_failed_step"
        );
    }

    for (args, needle) in [
        (
            vec![
                "retry",
                file,
                "--stream",
                failed.as_str(),
                "--reason",
                "again",
            ],
            "not failed",
        ),
        (
            vec!["retry", file, "--stream", "nope", "--reason", "x"],
            "stream nope not found",
        ),
        (
            vec!["retry", file, "--stream", failed.as_str(), "--reason", " "],
            "a reason is required",
        ),
    ] {
        let output = run(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
    }
}
