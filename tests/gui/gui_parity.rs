//! One action layer: every action run once through the CLI and once through
//! the window, each on its own copy of one demo store, leaves the two copies
//! equal, and the two exports byte for byte the same; a filtered XES or OCEL
//! export from the window's menu is the CLI's `export --filter` file.
//!
//! The window is driven as its views drive it: a confirmed
//! `Command::Run` (or an export) handed to the app, which runs it as a
//! background job. The CLI is the real binary. The two runs make fresh ids
//! and stamp the time they ran at, so the stores are compared with every id
//! that was not in the original store read as `<new id>` and every time from
//! the test's run on read as `<now>`.

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::path::Path;
use std::process::Command as Process;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::gui_support::*;
use egui_kittest::kittest::Queryable;
use process_workbench::app::{StartOptions, WorkbenchApp};
use process_workbench::state::Clock;
use process_workbench::state::command::{Command, ExportRequest};
use process_workbench_core::actions::{Action, EventSelection, GraphFormat, LogFormat};
use process_workbench_core::graph::{ClosureOptions, GraphRequest, LayoutKind};
use process_workbench_core::queues::BulkAction;
use process_workbench_core::search::{ProcessFilter, select_processes};
use process_workbench_core::store::{
    DeadLetterStatus, Store, StoreReader, StreamStatus, Summary, all_pages,
};

const USER: &str = "parity";
const REASON: &str = "parity of window and CLI";
const RESCHEDULE_AT: &str = "2030-01-02T03:04:05Z";

/// One action as the window builds it and as the CLI's arguments say it.
struct Case {
    action: Action,
    cli: Vec<String>,
}

#[test]
fn every_action_does_the_same_through_the_cli_and_the_window() {
    let started = OffsetDateTime::now_utc();
    let dir = tempfile::tempdir().expect("tempdir");
    let original = dir.path().join("original.redb");
    cli(&[
        "demo",
        path(&original),
        "--processes",
        "200",
        "--seed",
        "42",
    ]);
    let payload_file = dir.path().join("edited.json");
    let cases = cases(&original, &payload_file);
    assert!(
        cases.len() >= 12,
        "the demo store offers every kind of action"
    );

    let by_cli = dir.path().join("cli.redb");
    let by_window = dir.path().join("window.redb");
    std::fs::copy(&original, &by_cli).expect("copy");
    std::fs::copy(&original, &by_window).expect("copy");

    // Exports first, from the unchanged stores.
    let root = first_event_caused_by_another(&original);
    let exports = |name: &str| {
        (
            dir.path().join(format!("{name}.jsonl")),
            dir.path().join(format!("{name}.svg")),
        )
    };
    let (cli_jsonl, cli_svg) = exports("cli");
    cli(&["export", path(&by_cli), "--jsonl", path(&cli_jsonl)]);
    cli(&[
        "graph",
        path(&by_cli),
        "--event",
        &root.to_string(),
        "--svg",
        path(&cli_svg),
    ]);
    for case in &cases {
        let mut arguments: Vec<&str> = case.cli.iter().map(String::as_str).collect();
        arguments.insert(1, path(&by_cli));
        // A refused action (a resubmission that fails again) exits 2; the
        // window refuses it too, and both record the same.
        run_cli(&arguments);
    }

    let (window_jsonl, window_svg) = exports("window");
    let mut harness = harness(window_app(&by_window, dir.path()));
    settle(&mut harness);
    harness.state_mut().send(Command::EnableWriting);
    settle(&mut harness);
    assert!(harness.state().store().expect("open").is_writable());
    harness.state_mut().export_to(
        ExportRequest::Events(EventSelection::All),
        window_jsonl.clone(),
    );
    settle(&mut harness);
    harness.state_mut().export_to(
        ExportRequest::Graph {
            request: graph_request(root),
            format: GraphFormat::Svg,
        },
        window_svg.clone(),
    );
    settle(&mut harness);
    for case in &cases {
        harness.state_mut().send(Command::Run {
            action: case.action.clone(),
            reason: REASON.to_string(),
        });
        settle(&mut harness);
        let finished = harness.state().last_action().expect("the action ran");
        assert_eq!(finished.action, case.action);
    }
    drop(harness);

    assert_eq!(file_bytes(&cli_jsonl), file_bytes(&window_jsonl));
    assert_eq!(file_bytes(&cli_svg), file_bytes(&window_svg));
    let known = ids_in(&dump(&original));
    let cli_dump = normalised(dump(&by_cli), &known, started);
    let window_dump = normalised(dump(&by_window), &known, started);
    for (table, cli_rows) in cli_dump.as_object().expect("tables") {
        let window_rows = &window_dump[table];
        if cli_rows == window_rows {
            continue;
        }
        let rows = |value: &Value| {
            value
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![value.clone()])
        };
        let (cli_rows, window_rows) = (rows(cli_rows), rows(window_rows));
        let first = cli_rows
            .iter()
            .zip(&window_rows)
            .position(|(a, b)| a != b)
            .unwrap_or(cli_rows.len().min(window_rows.len()));
        panic!(
            "table {table} differs between the CLI's store ({} rows) and the window's ({} rows); \
             first at row {first}:\nCLI:    {}\nwindow: {}",
            cli_rows.len(),
            window_rows.len(),
            cli_rows
                .get(first)
                .map_or("(none)".to_string(), Value::to_string),
            window_rows
                .get(first)
                .map_or("(none)".to_string(), Value::to_string),
        );
    }
    let audited = cli_dump["audit"].as_array().map_or(0, Vec::len);
    assert!(
        audited >= cases.len(),
        "every action that wrote is audited: {audited} entries for {} actions",
        cases.len()
    );
}

/// The actions to take on the demo store, with their CLI arguments (the
/// store's path goes in after the subcommand).
fn cases(store: &Path, payload_file: &Path) -> Vec<Case> {
    let store = Store::open(store).expect("open");
    let reader = store.read().expect("read");
    let mut cases = Vec::new();
    let with_reason = |mut cli: Vec<String>| {
        cli.extend(["--reason".to_string(), REASON.to_string()]);
        cli
    };
    let open: Vec<_> = reader
        .dead_letters(None, 10_000)
        .expect("dead letters")
        .items
        .into_iter()
        .filter(|letter| letter.status == DeadLetterStatus::Open)
        .collect();
    assert!(open.len() >= 5, "open dead letters: {}", open.len());
    let id = |index: usize| open[index].id;
    cases.push(Case {
        action: Action::Resubmit {
            dead_letter: id(0),
            payload: None,
        },
        cli: with_reason(vec![
            "resubmit".into(),
            "--dead-letter".into(),
            id(0).to_string(),
        ]),
    });
    let edited = open[1]
        .original
        .get("payload")
        .cloned()
        .unwrap_or(Value::Null);
    std::fs::write(payload_file, edited.to_string()).expect("payload file");
    cases.push(Case {
        action: Action::Resubmit {
            dead_letter: id(1),
            payload: Some(edited),
        },
        cli: with_reason(vec![
            "resubmit".into(),
            "--dead-letter".into(),
            id(1).to_string(),
            "--payload".into(),
            path(payload_file).to_string(),
        ]),
    });
    cases.push(Case {
        action: Action::Discard { dead_letter: id(2) },
        cli: with_reason(vec![
            "discard".into(),
            "--dead-letter".into(),
            id(2).to_string(),
        ]),
    });
    cases.push(Case {
        action: Action::Bulk {
            action: BulkAction::Discard,
            dead_letters: vec![id(3), id(4)],
        },
        cli: with_reason(vec![
            "bulk".into(),
            "--action".into(),
            "discard".into(),
            "--dead-letter".into(),
            id(3).to_string(),
            "--dead-letter".into(),
            id(4).to_string(),
        ]),
    });

    let outbox = all_pages(|after| reader.outbox(after, 1024)).expect("outbox");
    assert!(outbox.len() >= 4, "pending messages: {}", outbox.len());
    let at = OffsetDateTime::parse(RESCHEDULE_AT, &Rfc3339).expect("time");
    let message = |index: usize| outbox[index].id;
    let outbox_cli = |index: usize, verb: &[&str]| {
        let mut cli = vec![
            "outbox-action".to_string(),
            "--message".to_string(),
            message(index).to_string(),
        ];
        cli.extend(verb.iter().map(|word| word.to_string()));
        with_reason(cli)
    };
    cases.push(Case {
        action: Action::OutboxDeliverNow {
            message: message(0),
        },
        cli: outbox_cli(0, &["deliver-now"]),
    });
    cases.push(Case {
        action: Action::OutboxReschedule {
            message: message(1),
            at,
        },
        cli: outbox_cli(1, &["reschedule", "--at", RESCHEDULE_AT]),
    });
    cases.push(Case {
        action: Action::OutboxCancel {
            message: message(2),
        },
        cli: outbox_cli(2, &["cancel"]),
    });
    cases.push(Case {
        action: Action::OutboxToDeadLetter {
            message: message(3),
        },
        cli: outbox_cli(3, &["dead-letter"]),
    });

    let deadlines = all_pages(|after| reader.deadlines(after, 1024)).expect("deadlines");
    assert!(
        deadlines.len() >= 3,
        "pending deadlines: {}",
        deadlines.len()
    );
    let deadline = |index: usize| deadlines[index].id;
    let deadline_cli = |index: usize, verb: &[&str]| {
        let mut cli = vec![
            "deadline-action".to_string(),
            "--deadline".to_string(),
            deadline(index).to_string(),
        ];
        cli.extend(verb.iter().map(|word| word.to_string()));
        with_reason(cli)
    };
    cases.push(Case {
        action: Action::DeadlineFire {
            deadline: deadline(0),
        },
        cli: deadline_cli(0, &["fire"]),
    });
    cases.push(Case {
        action: Action::DeadlineReschedule {
            deadline: deadline(1),
            at,
        },
        cli: deadline_cli(1, &["reschedule", "--at", RESCHEDULE_AT]),
    });
    cases.push(Case {
        action: Action::DeadlineCancel {
            deadline: deadline(2),
        },
        cli: deadline_cli(2, &["cancel"]),
    });

    let failed = reader
        .all_stream_ids()
        .expect("streams")
        .into_iter()
        .find(|id| {
            reader
                .stream(id)
                .ok()
                .flatten()
                .is_some_and(|info| info.status == StreamStatus::Failed)
        })
        .expect("a failed stream");
    cases.push(Case {
        action: Action::RetryFailedStep {
            stream: failed.clone(),
        },
        cli: with_reason(vec!["retry".into(), "--stream".into(), failed]),
    });
    cases.push(Case {
        action: Action::BuildCheckpoints,
        cli: with_reason(vec!["checkpoints".into()]),
    });
    cases
}

/// An event with a cause: its graph spans streams.
fn first_event_caused_by_another(store: &Path) -> Uuid {
    let store = Store::open(store).expect("open");
    let reader = store.read().expect("read");
    reader
        .log(1, 10_000)
        .expect("log")
        .into_iter()
        .find(|event| event.causation_id.is_some())
        .expect("an event with a cause")
        .event_id
}

/// The graph `graph FILE --event ID --svg OUT` draws.
fn graph_request(root: Uuid) -> GraphRequest {
    GraphRequest {
        root,
        options: ClosureOptions::default(),
        kind: LayoutKind::Layered,
    }
}

/// The app on `file`, on the real clock (as the CLI), acting as `USER`.
fn window_app(file: &Path, data_dir: &Path) -> WorkbenchApp {
    WorkbenchApp::new(
        None,
        StartOptions {
            file: Some(file.to_path_buf()),
            data_dir: data_dir.to_path_buf(),
            clock: Clock::System,
            user: Some(USER.to_string()),
            filter: None,
        },
    )
}

/// Every record a reader hands out, table by table, as JSON.
fn dump(path: &Path) -> Value {
    let store = Store::open(path).expect("open");
    let reader = store.read().expect("read");
    let streams: Vec<Value> = reader
        .all_stream_ids()
        .expect("streams")
        .iter()
        .map(|id| json!(reader.stream(id).expect("stream")))
        .collect();
    let summary = Summary::read(&reader, OffsetDateTime::UNIX_EPOCH).expect("summary");
    json!({
        "events": all_events(&reader),
        "streams": streams,
        "outbox": all_pages(|after| reader.outbox(after, 1024)).expect("outbox"),
        "deadlines": all_pages(|after| reader.deadlines(after, 1024)).expect("deadlines"),
        "dead_letters": reader.dead_letters(None, 100_000).expect("dead letters").items,
        "audit": reader.audit(1, 100_000).expect("audit"),
        "summary": summary,
    })
}

fn all_events(reader: &StoreReader) -> Vec<Value> {
    reader
        .log(1, usize::MAX)
        .expect("log")
        .iter()
        .map(|event| json!(event))
        .collect()
}

/// Every id (UUID text) in a dump.
fn ids_in(value: &Value) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    walk(value, &mut |text| {
        if Uuid::parse_str(text).is_ok() {
            ids.insert(text.to_string());
        }
    });
    ids
}

fn walk(value: &Value, visit: &mut dyn FnMut(&str)) {
    match value {
        Value::String(text) => visit(text),
        Value::Array(items) => items.iter().for_each(|item| walk(item, visit)),
        Value::Object(fields) => fields.values().for_each(|item| walk(item, visit)),
        _ => {}
    }
}

/// The dump with new ids and times of this run made alike, and each table's
/// rows sorted (tables keyed by new ids list them in another order).
fn normalised(mut dump: Value, known: &BTreeSet<String>, started: OffsetDateTime) -> Value {
    fn normalise(value: &mut Value, known: &BTreeSet<String>, started: OffsetDateTime) {
        match value {
            Value::String(text) => {
                if Uuid::parse_str(text).is_ok() && !known.contains(text.as_str()) {
                    *text = "<new id>".to_string();
                } else if OffsetDateTime::parse(text, &Rfc3339).is_ok_and(|at| at >= started) {
                    *text = "<now>".to_string();
                }
            }
            Value::Array(items) => items
                .iter_mut()
                .for_each(|item| normalise(item, known, started)),
            Value::Object(fields) => fields
                .values_mut()
                .for_each(|item| normalise(item, known, started)),
            _ => {}
        }
    }
    normalise(&mut dump, known, started);
    if let Value::Object(tables) = &mut dump {
        for rows in tables.values_mut() {
            if let Value::Array(items) = rows {
                items.sort_by_key(|item| item.to_string());
            }
        }
    }
    dump
}

fn path(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Runs the CLI as `USER`; its exit status is the caller's business.
fn run_cli(arguments: &[&str]) -> std::process::Output {
    Process::new(env!("CARGO_BIN_EXE_process-workbench"))
        .arg("--user")
        .arg(USER)
        .args(arguments)
        .output()
        .expect("run the CLI")
}

/// Runs the CLI and fails the test unless it succeeds.
fn cli(arguments: &[&str]) {
    let output = run_cli(arguments);
    assert!(
        output.status.success(),
        "{arguments:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_user_set_in_the_view_menu_is_named_in_the_audit_trail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("demo.redb");
    cli(&["demo", path(&store), "--processes", "40", "--seed", "7"]);
    let letter = {
        let opened = Store::open(&store).expect("open");
        let reader = opened.read().expect("read");
        reader
            .dead_letters(None, 1000)
            .expect("dead letters")
            .items
            .into_iter()
            .find(|letter| letter.status == DeadLetterStatus::Open)
            .expect("an open dead letter")
            .id
    };
    let mut harness = harness(app(Some(store.clone()), dir.path()));
    settle(&mut harness);
    harness.state_mut().send(Command::EnableWriting);
    settle(&mut harness);
    harness.get_by_label("View").click();
    harness.run_steps(2);
    harness.get_by_label("Audit trail user").click();
    harness.run_steps(1);
    harness.get_by_label("Audit trail user").type_text("alice");
    harness.run_steps(2);
    assert_eq!(harness.state().operator().user, "alice");
    harness.state_mut().send(Command::Run {
        action: Action::Discard {
            dead_letter: letter,
        },
        reason: "seen twice".to_string(),
    });
    settle(&mut harness);
    let line = harness
        .state()
        .last_action()
        .map(|finished| finished.line());
    assert_eq!(line.as_deref(), Some("Dead letter discarded."));
    drop(harness);
    let opened = Store::open(&store).expect("open");
    let audit = opened.read().expect("read").audit(1, 100).expect("audit");
    let last = audit.last().expect("an audit entry");
    assert_eq!(
        (last.user.as_str(), last.reason.as_str()),
        ("alice", "seen twice")
    );
}

/// File > Export's "processes shown" (a filter applied in the window),
/// clicked by its label, writes the same bytes as `export --filter` on the
/// command line, in both formats; and the whole store is offered beside it.
#[test]
fn a_filtered_export_from_the_menu_is_the_cli_export_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("demo.redb");
    cli(&["demo", path(&store), "--processes", "60", "--seed", "7"]);
    let filter = ProcessFilter {
        status: Some(StreamStatus::Failed),
        process_type: Some("meter_reading".to_string()),
        ..ProcessFilter::default()
    };
    let kept = {
        let opened = Store::open(&store).expect("open");
        let reader = opened.read().expect("read");
        select_processes(&reader, &filter, &mut |_| ControlFlow::Continue(()))
            .expect("select")
            .counts
            .streams
    };
    assert!(kept > 0, "the demo store has failed meter readings");

    let mut harness = harness(app(Some(store.clone()), dir.path()));
    settle(&mut harness);
    harness.state_mut().send(Command::SetFilter {
        filter: filter.clone(),
        name: None,
    });
    settle(&mut harness);
    for format in LogFormat::ALL {
        let flag = match format {
            LogFormat::Xes => "--xes",
            LogFormat::Ocel => "--ocel",
        };
        let by_cli = dir.path().join(format!("cli.{}", format.extension()));
        cli(&[
            "export",
            path(&store),
            flag,
            path(&by_cli),
            "--status",
            "failed",
            "--process-type",
            "meter_reading",
        ]);
        let by_window = dir.path().join(format!("window.{}", format.extension()));
        harness
            .state_mut()
            .answer_next_save_dialog(by_window.clone());
        harness.get_by_label("File").click();
        harness.run_steps(2);
        harness.get_by_label("Export").click();
        harness.run_steps(2);
        let noun = if kept == 1 { "process" } else { "processes" };
        assert!(
            harness
                .query_by_label(&format!("The whole store as {}…", format.label()))
                .is_some()
        );
        harness
            .get_by_label(&format!("The {kept} {noun} shown as {}…", format.label()))
            .click();
        settle(&mut harness);
        let finished = harness.state().last_action().expect("the export ran");
        assert_eq!(
            finished.action,
            Action::ExportLog {
                format,
                streams: Vec::new(),
                filter: filter.clone(),
                out: by_window.clone(),
            }
        );
        assert_eq!(
            file_bytes(&by_cli),
            file_bytes(&by_window),
            "{flag}: the window's export is the CLI's"
        );
    }
}
