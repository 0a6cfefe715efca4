//! Replay against real temporary stores: states, steps, errors, checkpoints
//! kept while appending and built afterwards (cancellable), stale checkpoints
//! after a definition update, validation replay and failure points.

use process_workbench_core::definition::{OPERATOR_MARK, SET_STATE};
use process_workbench_core::replay::{
    self, CHECKPOINT_INTERVAL, FailureCause, ReplayError, State, Step,
};
use process_workbench_core::store::check::check;
use process_workbench_core::store::{NewEvent, Store, StoreError, StreamInfo, StreamStatus};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

fn definition() -> Value {
    json!({
        "process_type": "supply",
        "states": ["new", "active", "done", "failed"],
        "initial": "new",
        "terminal": ["done"],
        "failed": ["failed"],
        "transitions": [
            {"from": "new", "on": "Start", "to": "active"},
            {"from": "active", "on": "Update", "to": "active"},
            {"from": "active", "on": "Finish", "to": "done", "require": ["total"]},
            {"from": "*", "on": "Fail", "to": "failed"}
        ]
    })
}

fn stream(id: &str, process_type: &str) -> StreamInfo {
    StreamInfo {
        stream_id: id.to_string(),
        process_type: process_type.to_string(),
        status: StreamStatus::Running,
        process_state: None,
        version: 0,
        created_at: T0,
        updated_at: T0,
        last_error: None,
        correlation_id: None,
        variant: 0,
        metadata: Value::Null,
    }
}

fn event(event_type: &str, payload: Value) -> NewEvent {
    NewEvent::new(event_type, T0, payload)
}

fn operator(event_type: &str, set_state: Option<&str>) -> NewEvent {
    let mut metadata = json!({ OPERATOR_MARK: "note", "user": "tester" });
    if let Some(state) = set_state {
        metadata[SET_STATE] = json!(state);
    }
    NewEvent {
        metadata,
        ..event(event_type, json!({"ignored": true}))
    }
}

/// A new store with the supply definition and one stream of `events`, its
/// record carrying `status`, `state` and `error`.
fn store_with(
    dir: &tempfile::TempDir,
    process_type: &str,
    events: Vec<NewEvent>,
    status: StreamStatus,
    state: Option<&str>,
    error: Option<&str>,
) -> Store {
    let store = Store::create(dir.path().join("s.redb")).unwrap();
    store
        .write(|w| w.put_definition("supply", &definition()))
        .unwrap();
    let mut info = stream("s-1", process_type);
    info.status = status;
    info.process_state = state.map(str::to_string);
    info.last_error = error.map(str::to_string);
    store.write(|w| w.append(&mut info, 0, events, T0)).unwrap();
    store
}

fn happy() -> Vec<NewEvent> {
    vec![
        event("Start", json!({"customer": "c-1", "items": [1, 2]})),
        event("Update", json!({"items": [1], "note": "fewer"})),
        operator("NoteAdded", None),
        event("Finish", json!({"total": 12, "note": null})),
    ]
}

#[test]
fn state_diff_event_and_transition_at_each_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(
        &dir,
        "supply",
        happy(),
        StreamStatus::Completed,
        Some("done"),
        None,
    );
    let reader = store.read().unwrap();

    let zero = replay::state_at(&reader, "s-1", 0).unwrap();
    assert_eq!(
        zero.state.to_json(),
        json!({"process_state": "new", "data": {}})
    );
    assert!(zero.diff.is_empty() && zero.event.is_none() && zero.step.is_none());

    let two = replay::state_at(&reader, "s-1", 2).unwrap();
    assert_eq!(
        two.state.to_json(),
        json!({"process_state": "active", "data": {"customer": "c-1", "items": [1], "note": "fewer"}})
    );
    assert_eq!(two.event.as_ref().unwrap().event_type, "Update");
    let Some(Step::Fired(transition)) = &two.step else {
        panic!("expected a transition, got {:?}", two.step);
    };
    assert_eq!(
        (transition.from.as_str(), transition.to.as_str()),
        ("active", "active")
    );
    assert_eq!(
        two.diff,
        vec![
            json!({"op": "remove", "path": "/data/items/1"}),
            json!({"op": "add", "path": "/data/note", "value": "fewer"}),
        ]
    );
    assert_eq!(two.changed_paths(), vec!["/data/items/1", "/data/note"]);

    // The operator action moves nothing.
    let three = replay::state_at(&reader, "s-1", 3).unwrap();
    assert_eq!(three.step, Some(Step::Operator { set_state: None }));
    assert!(three.diff.is_empty());
    assert_eq!(three.state, two.state);

    let four = replay::state_at(&reader, "s-1", 4).unwrap();
    assert_eq!(
        four.state.to_json(),
        json!({"process_state": "done", "data": {"customer": "c-1", "items": [1], "total": 12}})
    );
    let shape = four.to_json();
    for key in [
        "stream_id",
        "version",
        "state",
        "diff",
        "event",
        "step",
        "last_version",
    ] {
        assert!(shape.get(key).is_some(), "replay JSON lacks {key}");
    }

    let between = replay::diff_versions(&reader, "s-1", 4, 1).unwrap();
    let mut state = four.state.to_json();
    json_patch::patch(
        &mut state,
        &serde_json::from_value::<json_patch::Patch>(Value::Array(between)).unwrap(),
    )
    .unwrap();
    assert_eq!(
        state,
        replay::state_of(&reader, "s-1", 1).unwrap().to_json()
    );
}

#[test]
fn without_a_definition_the_process_state_is_null() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(
        &dir,
        "imported",
        happy(),
        StreamStatus::Completed,
        None,
        None,
    );
    let reader = store.read().unwrap();
    let replay = replay::state_at(&reader, "s-1", 4).unwrap();
    assert_eq!(replay.state.process_state, None);
    assert_eq!(replay.step, Some(Step::NoDefinition));
    assert_eq!(replay.to_json()["state"]["process_state"], Value::Null);
    let validation = replay::validate(&reader, "s-1").unwrap();
    assert!(
        !validation.has_definition && validation.agrees(),
        "{validation:?}"
    );
}

#[test]
fn unknown_stream_and_out_of_range_versions_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(
        &dir,
        "supply",
        happy(),
        StreamStatus::Completed,
        Some("done"),
        None,
    );
    let reader = store.read().unwrap();
    let unknown = replay::state_at(&reader, "nope", 1).unwrap_err();
    assert!(matches!(unknown, ReplayError::UnknownStream(_)));
    assert_eq!(unknown.to_string(), "no stream \"nope\" in the store");
    let beyond = replay::state_at(&reader, "s-1", 5).unwrap_err();
    assert!(matches!(
        beyond,
        ReplayError::VersionOutOfRange {
            version: 5,
            last: 4
        }
    ));
    assert!(beyond.to_string().contains("0 to 4"), "{beyond}");
    assert!(replay::diff_versions(&reader, "s-1", 0, 9).is_err());
}

#[test]
fn a_rejected_event_keeps_the_state_and_validation_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let events = vec![
        event("Start", json!({})),
        event("Finish", json!({"reason": "no total"})),
        event("Update", json!({"x": 1})),
    ];
    let store = store_with(
        &dir,
        "supply",
        events,
        StreamStatus::Running,
        Some("active"),
        None,
    );
    let reader = store.read().unwrap();
    let two = replay::state_at(&reader, "s-1", 2).unwrap();
    let Some(Step::Rejected { state, rejection }) = &two.step else {
        panic!("expected a rejection, got {:?}", two.step);
    };
    assert_eq!(state, "active");
    assert_eq!(rejection.label(), "missing_field");
    assert_eq!(two.state.process_state.as_deref(), Some("active"));
    assert_eq!(two.state.data, json!({"reason": "no total"}));

    let validation = replay::validate(&reader, "s-1").unwrap();
    let first = validation.first_rejection.as_ref().unwrap();
    assert_eq!(
        (
            first.version,
            first.event_type.as_str(),
            first.reason.as_str()
        ),
        (2, "Finish", "missing_field")
    );
    assert_eq!(validation.rejections, 1);
    assert!(!validation.agrees());
    assert!(
        validation.summary().contains("version 2"),
        "{}",
        validation.summary()
    );
}

#[test]
fn validation_agrees_then_reports_a_changed_definition() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(
        &dir,
        "supply",
        happy(),
        StreamStatus::Completed,
        Some("done"),
        None,
    );
    let validation = replay::validate(&store.read().unwrap(), "s-1").unwrap();
    assert!(validation.agrees(), "{validation:?}");
    assert_eq!(validation.replayed_status, Some(StreamStatus::Completed));

    // The stored status disagrees with the replay.
    let mut info = store.read().unwrap().stream("s-1").unwrap().unwrap();
    info.status = StreamStatus::Failed;
    store.write(|w| w.put_stream(&info)).unwrap();
    let validation = replay::validate(&store.read().unwrap(), "s-1").unwrap();
    assert!(validation.first_rejection.is_none());
    assert_eq!(validation.disagreements.len(), 1, "{validation:?}");

    // Under a definition without Update, version 2 is refused.
    let mut changed = definition();
    changed["transitions"].as_array_mut().unwrap().remove(1);
    store
        .write(|w| w.put_definition("supply", &changed))
        .unwrap();
    let validation = replay::validate(&store.read().unwrap(), "s-1").unwrap();
    let first = validation.first_rejection.unwrap();
    assert_eq!(
        (first.version, first.reason.as_str()),
        (2, "transition_not_allowed")
    );
}

#[test]
fn failure_point_of_failed_processes() {
    let dir = tempfile::tempdir().unwrap();
    let events = vec![
        event("Start", json!({})),
        event("Update", json!({"n": 1})),
        event("Fail", json!({"why": "partner down"})),
    ];
    let store = store_with(
        &dir,
        "supply",
        events,
        StreamStatus::Failed,
        Some("failed"),
        Some("partner down"),
    );
    let reader = store.read().unwrap();
    let point = replay::failure_point(&reader, "s-1").unwrap().unwrap();
    assert_eq!(point.version, 3);
    assert_eq!(point.event_type.as_deref(), Some("Fail"));
    assert_eq!(point.cause, FailureCause::FailedState("failed".into()));
    assert_eq!(point.reason.as_deref(), Some("partner down"));

    // A retry (operator action setting the state) clears the earlier failure.
    let dir = tempfile::tempdir().unwrap();
    let events = vec![
        event("Start", json!({})),
        event("Fail", json!({})),
        operator("FailedStepRetried", Some("active")),
        event("Update", json!({})),
    ];
    let store = store_with(
        &dir,
        "supply",
        events,
        StreamStatus::Failed,
        Some("active"),
        Some("delivery failed"),
    );
    let reader = store.read().unwrap();
    assert_eq!(
        replay::state_of(&reader, "s-1", 3)
            .unwrap()
            .process_state
            .as_deref(),
        Some("active")
    );
    let point = replay::failure_point(&reader, "s-1").unwrap().unwrap();
    assert_eq!(
        (point.version, &point.cause),
        (4, &FailureCause::AfterLastEvent)
    );

    let dir = tempfile::tempdir().unwrap();
    let store = store_with(
        &dir,
        "supply",
        happy(),
        StreamStatus::Completed,
        Some("done"),
        None,
    );
    assert!(
        replay::failure_point(&store.read().unwrap(), "s-1")
            .unwrap()
            .is_none()
    );
}

fn long_store(dir: &tempfile::TempDir, count: u64, maintain: bool) -> Store {
    let store = Store::create(dir.path().join("long.redb")).unwrap();
    store
        .write(|w| w.put_definition("supply", &definition()))
        .unwrap();
    let mut info = stream("long", "supply");
    let mut next = 0u64;
    while next < count {
        let size = 97.min(count - next);
        let events: Vec<NewEvent> = (next..next + size)
            .map(|i| {
                let event_type = if i == 0 { "Start" } else { "Update" };
                event(event_type, json!({ format!("k{}", i % 13): i, "last": i }))
            })
            .collect();
        next += size;
        store
            .write(|w| {
                let expected = info.version;
                w.append(&mut info, expected, events, T0)?;
                if maintain {
                    replay::maintain_checkpoints(w, "long")?;
                }
                Ok::<(), StoreError>(())
            })
            .unwrap();
    }
    store
}

#[test]
fn the_engine_hook_writes_a_checkpoint_every_interval() {
    let dir = tempfile::tempdir().unwrap();
    let count = 2 * CHECKPOINT_INTERVAL + 40;
    let store = long_store(&dir, count, true);
    let reader = store.read().unwrap();
    let (at, json) = reader
        .checkpoint_at_or_below("long", count)
        .unwrap()
        .unwrap();
    assert_eq!(at, 2 * CHECKPOINT_INTERVAL);
    let expected = replay::fold_from_start(&reader, "long", at).unwrap();
    assert_eq!(json["process_state"], json!(expected.process_state));
    assert_eq!(json["data"], expected.data);
    let (first, _) = reader
        .checkpoint_at_or_below("long", at - 1)
        .unwrap()
        .unwrap();
    assert_eq!(first, CHECKPOINT_INTERVAL);
    let served = replay::state_at(&reader, "long", count).unwrap();
    assert_eq!(served.checkpoint, Some(2 * CHECKPOINT_INTERVAL));
    assert_eq!(
        served.state,
        replay::fold_from_start(&reader, "long", count).unwrap()
    );
}

#[test]
fn stale_checkpoints_are_not_used_and_the_job_rebuilds_them() {
    let dir = tempfile::tempdir().unwrap();
    let count = CHECKPOINT_INTERVAL + 10;
    let store = long_store(&dir, count, true);
    // A definition in which Update leads elsewhere: the checkpoint's state is stale.
    let mut changed = definition();
    changed["states"]
        .as_array_mut()
        .unwrap()
        .push(json!("busy"));
    changed["transitions"]
        .as_array_mut()
        .unwrap()
        .push(json!({"from": "busy", "on": "Update", "to": "active"}));
    changed["transitions"][1] = json!({"from": "active", "on": "Update", "to": "busy"});
    store
        .write(|w| w.put_definition("supply", &changed))
        .unwrap();
    let reader = store.read().unwrap();
    let served = replay::state_at(&reader, "long", count).unwrap();
    assert_eq!(served.checkpoint, None, "a stale checkpoint was used");
    assert_eq!(
        served.state,
        replay::fold_from_start(&reader, "long", count).unwrap()
    );
    drop(reader);

    let report = replay::build_checkpoints(&store, &mut |_, _| true).unwrap();
    assert_eq!(
        (
            report.streams,
            report.streams_rebuilt,
            report.checkpoints_written
        ),
        (1, 1, 1)
    );
    let reader = store.read().unwrap();
    assert_eq!(
        replay::state_at(&reader, "long", count).unwrap().checkpoint,
        Some(CHECKPOINT_INTERVAL)
    );
    drop(reader);
    // Nothing left to do the second time.
    let again = replay::build_checkpoints(&store, &mut |_, _| true).unwrap();
    assert_eq!(again.streams_rebuilt, 0);
}

#[test]
fn building_checkpoints_reports_progress_and_can_be_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let count = 3 * CHECKPOINT_INTERVAL;
    let store = long_store(&dir, count, false);
    assert!(
        store
            .read()
            .unwrap()
            .checkpoint_at_or_below("long", count)
            .unwrap()
            .is_none()
    );

    let cancelled = replay::build_checkpoints(&store, &mut |_, _| false).unwrap();
    assert!(cancelled.cancelled);
    assert_eq!(cancelled.checkpoints_written, 0);
    let reader = store.read().unwrap();
    assert!(
        reader
            .checkpoint_at_or_below("long", count)
            .unwrap()
            .is_none()
    );
    assert!(check(&reader, |_, _| true).unwrap().unwrap().is_ok());
    assert!(replay::stream_needs_checkpoints(&reader, "long").unwrap());
    drop(reader);

    let mut calls = Vec::new();
    let report = replay::build_checkpoints(&store, &mut |done, total| {
        calls.push((done, total));
        true
    })
    .unwrap();
    assert_eq!(report.checkpoints_written, 3);
    assert_eq!(calls.last(), Some(&(count, count)));
    assert!(!replay::stream_needs_checkpoints(&store.read().unwrap(), "long").unwrap());
    assert!(calls.windows(2).all(|pair| pair[0].0 <= pair[1].0));

    drop(store);
    let read_only = Store::open(dir.path().join("long.redb")).unwrap();
    assert!(matches!(
        replay::build_checkpoints(&read_only, &mut |_, _| true),
        Err(ReplayError::Store(StoreError::ReadOnly))
    ));
}

#[test]
fn initial_state_helper_matches_version_zero() {
    let definition = process_workbench_core::engine::Definition::from_json(&definition()).unwrap();
    assert_eq!(
        State::initial(Some(&definition)).process_state.as_deref(),
        Some("new")
    );
    assert_eq!(
        State::initial(None).to_json(),
        json!({"process_state": null, "data": {}})
    );
}
