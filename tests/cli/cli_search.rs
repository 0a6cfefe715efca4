//! The commands that let the command line do what the window can: `search`,
//! `replay --validate`, `dead-letters --groups` and the graph pictures. The
//! real binary runs on a demo store; its figures are checked against the
//! library's answer, and bad input ends with exit status 2 and one line.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use process_workbench_core::actions::parse_time_input;
use process_workbench_core::queues::{DeadLetterFilter, triage};
use process_workbench_core::replay;
use process_workbench_core::search::{EventFilter, JsonPathScope, scan_events};
use process_workbench_core::store::{DeadLetterStatus, Event, Store, StreamStatus};
use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_process-workbench"))
        .args(args)
        .output()
        .expect("run the binary")
}

/// The demo store of the CLI contract's examples, in `dir`.
fn demo(dir: &Path) -> PathBuf {
    let path = dir.join("demo.redb");
    let out = run(&[
        "demo",
        path.to_str().unwrap(),
        "--processes",
        "60",
        "--seed",
        "3",
    ]);
    assert!(
        out.status.success(),
        "demo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

fn json_of(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

/// Asserts exit status 2 with exactly one line on stderr, and returns it.
fn refused(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// What the library finds for `filter`.
fn library_search(path: &Path, filter: &EventFilter) -> Vec<u64> {
    let store = Store::open(path).unwrap();
    let reader = store.read().unwrap();
    scan_events(&reader, filter, &mut |_| ControlFlow::Continue(()))
        .unwrap()
        .positions
}

/// The positions of `search --json`'s events, checked against its count.
fn positions_of(value: &Value) -> Vec<u64> {
    let events = value["events"].as_array().expect("events");
    assert_eq!(value["count"].as_u64(), Some(events.len() as u64));
    events
        .iter()
        .map(|event| event["position"].as_u64().expect("position"))
        .collect()
}

#[test]
fn search_finds_what_the_library_finds() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let file = path.to_str().unwrap();
    let total = {
        let store = Store::open(&path).unwrap();
        store.read().unwrap().last_position().unwrap()
    };

    // A JSONPath over payload and metadata (the default), and over one of them.
    for (scope_flag, scope) in [
        ("both", JsonPathScope::PayloadAndMetadata),
        ("payload", JsonPathScope::Payload),
        ("metadata", JsonPathScope::Metadata),
    ] {
        for expression in [
            "$.from_state",
            "$.grid_operator",
            "$.customer[?@.type == 'household']",
        ] {
            let value = json_of(&run(&[
                "search",
                file,
                "--jsonpath",
                expression,
                "--in",
                scope_flag,
                "--json",
            ]));
            let filter = EventFilter {
                json_path: Some(EventFilter::parse_json_path(expression).unwrap()),
                json_path_scope: scope,
                ..EventFilter::default()
            };
            assert_eq!(
                positions_of(&value),
                library_search(&path, &filter),
                "{expression} in {scope_flag}"
            );
            assert_eq!(value["scanned"].as_u64(), Some(total));
            assert_eq!(value["damaged"].as_u64(), Some(0));
        }
    }
    let metadata = json_of(&run(&[
        "search",
        file,
        "--jsonpath",
        "$.from_state",
        "--json",
    ]));
    assert!(metadata["count"].as_u64().unwrap() > 0);
    let in_payload = json_of(&run(&[
        "search",
        file,
        "--jsonpath",
        "$.from_state",
        "--in",
        "payload",
        "--json",
    ]));
    assert!(
        in_payload["count"].as_u64().unwrap() < metadata["count"].as_u64().unwrap(),
        "from_state is metadata"
    );

    // Event types, a time window (parsed by the one rule), a stream.
    let events: Vec<Event> = {
        let store = Store::open(&path).unwrap();
        store.read().unwrap().log(1, usize::MAX).unwrap()
    };
    let (first_type, second_type) = (&events[0].event_type, &events[events.len() - 1].event_type);
    let from = "2026-09-01";
    let to = "2026-10-15 12:00";
    let value = json_of(&run(&[
        "search",
        file,
        "--type",
        first_type,
        "--type",
        second_type,
        "--from",
        from,
        "--to",
        to,
        "--json",
    ]));
    let filter = EventFilter {
        event_types: [first_type.clone(), second_type.clone()].into(),
        from: Some(parse_time_input(from).unwrap()),
        to: Some(parse_time_input(to).unwrap()),
        ..EventFilter::default()
    };
    let want = library_search(&path, &filter);
    assert!(!want.is_empty());
    assert_eq!(positions_of(&value), want);
    // The events are printed in the export shape.
    let first: Event = serde_json::from_value(value["events"][0].clone()).unwrap();
    assert_eq!(first, events[want[0] as usize - 1]);

    let stream = &events[events.len() / 2].stream_id;
    let value = json_of(&run(&["search", file, "--stream", stream, "--json"]));
    let filter = EventFilter {
        stream_id: Some(stream.clone()),
        ..EventFilter::default()
    };
    assert_eq!(positions_of(&value), library_search(&path, &filter));
    assert!(
        value["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|event| event["stream_id"] == stream.as_str())
    );

    // Text: a count line, then one line per event.
    let out = run(&["search", file, "--jsonpath", "$.grid_operator"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let filter = EventFilter {
        json_path: Some(EventFilter::parse_json_path("$.grid_operator").unwrap()),
        ..EventFilter::default()
    };
    let want = library_search(&path, &filter);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(format!("{} events match ({total} looked at)", want.len()).as_str())
    );
    assert_eq!(lines.count(), want.len());
}

#[test]
fn search_refuses_bad_input_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let file = path.to_str().unwrap();

    let line = refused(&run(&["search", file, "--jsonpath", "$.amount["]));
    assert!(
        line.contains("JSONPath") && line.contains("$.amount["),
        "{line}"
    );
    let line = refused(&run(&["search", file, "--jsonpath", "amount"]));
    assert!(line.contains("starts with $"), "{line}");
    let line = refused(&run(&["search", file, "--from", "yesterday"]));
    assert!(line.contains("--from"), "{line}");
    let line = refused(&run(&[
        "search",
        file,
        "--from",
        "2026-10-01",
        "--to",
        "2026-09-01",
    ]));
    assert!(line.contains("after"), "{line}");
    let line = refused(&run(&["search", file, "--stream", "no-such-stream"]));
    assert!(line.contains("no-such-stream"), "{line}");
    let line = refused(&run(&["search", file, "--correlation", "nope"]));
    assert!(line.contains("--correlation"), "{line}");
    let missing = dir.path().join("missing.redb");
    refused(&run(&[
        "search",
        missing.to_str().unwrap(),
        "--jsonpath",
        "$.a",
    ]));
}

#[test]
fn replay_validate_prints_the_library_validation_and_failure_point() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let file = path.to_str().unwrap();
    let (failed, completed) = {
        let store = Store::open(&path).unwrap();
        let reader = store.read().unwrap();
        let streams = process_workbench_core::store::all_pages(|after| {
            reader.streams(&Default::default(), after.as_deref(), 500)
        })
        .unwrap();
        let pick = |status| {
            streams
                .iter()
                .find(|info| info.status == status && info.version > 1)
                .map(|info| info.stream_id.clone())
                .expect("a stream of that status")
        };
        (pick(StreamStatus::Failed), pick(StreamStatus::Completed))
    };

    for stream in [&failed, &completed] {
        let value = json_of(&run(&[
            "replay",
            file,
            "--stream",
            stream,
            "--validate",
            "--json",
        ]));
        let store = Store::open(&path).unwrap();
        let reader = store.read().unwrap();
        let validation = replay::validate(&reader, stream).unwrap();
        let failure = replay::failure_point(&reader, stream).unwrap();
        assert_eq!(value["validation"], validation.to_json(), "{stream}");
        assert_eq!(
            value["failure_point"],
            failure
                .as_ref()
                .map_or(Value::Null, |point| point.to_json())
        );
        assert_eq!(value["validation"]["agrees"], true);
    }
    let value = json_of(&run(&[
        "replay",
        file,
        "--stream",
        &failed,
        "--validate",
        "--json",
    ]));
    let point = &value["failure_point"];
    assert!(point["version"].as_u64().unwrap() >= 1);
    assert!(point["cause"]["kind"].is_string());
    assert!(point.get("retry_state").is_some() && point.get("retry_step").is_some());

    let out = run(&["replay", file, "--stream", &failed, "--validate"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("agrees: yes"), "{text}");
    assert!(text.contains("failure point: version"), "{text}");

    // The definition stored now refuses the completed stream's second event.
    let refused_type = {
        let store = Store::open_writable(&path).unwrap();
        let reader = store.read().unwrap();
        let info = reader.stream(&completed).unwrap().unwrap();
        let second = reader.stream_events(&completed, 2, 1).unwrap().remove(0);
        let mut definition = reader.definition(&info.process_type).unwrap().unwrap();
        drop(reader);
        definition["transitions"]
            .as_array_mut()
            .unwrap()
            .retain(|transition| transition["on"] != second.event_type.as_str());
        store
            .write(|w| w.put_definition(&info.process_type, &definition))
            .unwrap();
        second.event_type
    };
    let out = run(&[
        "replay",
        file,
        "--stream",
        &completed,
        "--validate",
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["validation"]["agrees"], false);
    assert_eq!(value["validation"]["first_rejection"]["version"], 2);
    assert_eq!(
        value["validation"]["first_rejection"]["event_type"],
        refused_type.as_str()
    );
    let store = Store::open(&path).unwrap();
    let validation = replay::validate(&store.read().unwrap(), &completed).unwrap();
    assert_eq!(value["validation"], validation.to_json());

    let line = refused(&run(&["replay", file, "--stream", "nope", "--validate"]));
    assert!(line.contains("nope"), "{line}");
}

#[test]
fn dead_letter_groups_are_the_views_groups() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let file = path.to_str().unwrap();
    for status in [None, Some("open")] {
        let mut args = vec!["dead-letters", file, "--groups", "--json"];
        if let Some(status) = status {
            args.extend(["--status", status]);
        }
        let value = json_of(&run(&args));
        let store = Store::open(&path).unwrap();
        let filter = DeadLetterFilter {
            status: status.and_then(DeadLetterStatus::parse),
            ..DeadLetterFilter::default()
        };
        let groups = triage(&store.read().unwrap(), &filter, &|| false)
            .unwrap()
            .groups;
        assert!(!groups.is_empty());
        let listed = value.as_array().unwrap();
        assert_eq!(listed.len(), groups.len());
        for (shown, group) in listed.iter().zip(&groups) {
            assert_eq!(shown["reason"], group.reason.as_str());
            assert_eq!(shown["message_type"], group.message_type.as_str());
            assert_eq!(shown["count"], group.count);
            assert_eq!(shown["open"], group.open);
            assert!(shown["first_seen"].is_string() && shown["last_seen"].is_string());
        }
        let total: u64 = groups.iter().map(|group| group.count).sum();
        let all = json_of(&run(&{
            let mut args = vec!["dead-letters", file, "--json"];
            if let Some(status) = status {
                args.extend(["--status", status]);
            }
            args
        }));
        assert_eq!(all.as_array().unwrap().len() as u64, total);
    }
    let out = run(&["dead-letters", file, "--groups"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines().next().unwrap().ends_with(" failure groups"),
        "{text}"
    );
    assert!(text.lines().nth(1).unwrap().starts_with("reason"));
}

#[test]
fn graph_pictures_are_written_and_valid() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let file = path.to_str().unwrap();
    let event = {
        let store = Store::open(&path).unwrap();
        store.read().unwrap().event_at(1).unwrap().unwrap().event_id
    };
    let svg = dir.path().join("graph.svg");
    let png = dir.path().join("graph.png");
    let out = run(&[
        "graph",
        file,
        "--event",
        &event.to_string(),
        "--svg",
        svg.to_str().unwrap(),
        "--png",
        png.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    let start = text.trim_start();
    assert!(
        start.starts_with("<svg") || start.starts_with("<?xml"),
        "{}",
        &start[..start.len().min(80)]
    );
    assert!(text.trim_end().ends_with("</svg>"));
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "the PNG signature");
    assert!(bytes.len() > 100);

    // The lanes layout too; an unknown event is refused with one line and no file.
    let lanes = dir.path().join("lanes.svg");
    let out = run(&[
        "graph",
        file,
        "--event",
        &event.to_string(),
        "--layout",
        "lanes",
        "--svg",
        lanes.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(std::fs::read_to_string(&lanes).unwrap().contains("<svg"));
    let nowhere = dir.path().join("nowhere.svg");
    refused(&run(&[
        "graph",
        file,
        "--event",
        "0191e4b6-7c3a-7d2e-9f10-2b4c6d8e0a12",
        "--svg",
        nowhere.to_str().unwrap(),
    ]));
    assert!(!nowhere.exists());
}
