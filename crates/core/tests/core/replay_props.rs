//! Property tests of replay on real temporary stores: the state at N served
//! from a checkpoint equals the plain fold from version 1; applying the diff
//! of N-1 → N to the state at N-1 gives the state at N; for random A, B the
//! diff between them round-trips through `json_patch::patch`.

use process_workbench_core::definition::{OPERATOR_MARK, SET_STATE};
use process_workbench_core::replay::{self, State};
use process_workbench_core::store::{NewEvent, Store, StoreError, StreamInfo, StreamStatus};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
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
            {"from": "active", "on": "Finish", "to": "done", "require": ["a"]},
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

/// One generated event: type, payload, and how it is marked.
#[derive(Debug, Clone)]
struct Spec {
    event_type: &'static str,
    payload: Value,
    /// 0 plain, 1 operator action, 2 operator action that sets the state.
    operator: u8,
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<i32>().prop_map(Value::from),
        "[a-z]{0,6}".prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        prop::collection::vec(any::<i8>().prop_map(Value::from), 0..4).prop_map(Value::Array),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 16, 4, |inner| {
        prop::collection::btree_map(
            prop::sample::select(vec!["x", "y", "z/w", "~q"]),
            inner,
            0..4,
        )
        .prop_map(|map| Value::Object(map.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
    })
}

fn payload() -> impl Strategy<Value = Value> {
    prop_oneof![
        9 => prop::collection::btree_map(
            prop::sample::select(vec!["a", "b", "c", "d/e", "n"]),
            value(),
            0..4,
        )
        .prop_map(|map| {
            Value::Object(map.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Map<_, _>>())
        }),
        1 => leaf(),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::sample::select(vec!["Start", "Update", "Update", "Finish", "Fail", "Bogus"]),
        payload(),
        prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
    )
        .prop_map(|(event_type, payload, operator)| Spec {
            event_type,
            payload,
            operator,
        })
}

/// A store with one stream of `specs`, appended in chunks of `chunk` with
/// checkpoints maintained every `interval` events after each append.
fn build(
    dir: &std::path::Path,
    specs: &[Spec],
    with_definition: bool,
    interval: u64,
    chunk: usize,
) -> Store {
    let store = Store::create(dir.join("replay.redb")).unwrap();
    let process_type = if with_definition {
        "supply"
    } else {
        "imported"
    };
    store
        .write(|w| w.put_definition("supply", &definition()))
        .unwrap();
    let mut info = stream("s-1", process_type);
    for part in specs.chunks(chunk.max(1)) {
        let events: Vec<NewEvent> = part
            .iter()
            .map(|spec| {
                let metadata = match spec.operator {
                    0 => Value::Null,
                    1 => json!({ OPERATOR_MARK: "note" }),
                    _ => json!({ OPERATOR_MARK: "retry_failed_step", SET_STATE: "active" }),
                };
                NewEvent {
                    metadata,
                    ..NewEvent::new(spec.event_type, T0, spec.payload.clone())
                }
            })
            .collect();
        store
            .write(|w| {
                let expected = info.version;
                w.append(&mut info, expected, events, T0)?;
                replay::maintain_checkpoints_with_interval(w, "s-1", interval)?;
                Ok::<(), StoreError>(())
            })
            .unwrap();
    }
    store
}

fn state_json(state: &State) -> Value {
    state.to_json()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn checkpointed_state_equals_plain_fold_and_diffs_apply(
        specs in prop::collection::vec(spec(), 1..40),
        with_definition in any::<bool>(),
        interval in 1u64..7,
        chunk in 1usize..9,
        pairs in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 4),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = build(dir.path(), &specs, with_definition, interval, chunk);
        let reader = store.read().unwrap();
        let last = specs.len() as u64;

        let mut previous: Option<Value> = None;
        for version in 0..=last {
            let plain = replay::fold_from_start(&reader, "s-1", version).unwrap();
            let served = replay::state_of(&reader, "s-1", version).unwrap();
            prop_assert_eq!(&served, &plain, "state at {} from a checkpoint", version);

            let full = replay::state_at(&reader, "s-1", version).unwrap();
            prop_assert_eq!(&full.state, &plain);
            if let Some(before) = previous.take() {
                let ops: json_patch::Patch =
                    serde_json::from_value(Value::Array(full.diff.clone())).unwrap();
                let mut patched = before;
                json_patch::patch(&mut patched, &ops).unwrap();
                prop_assert_eq!(&patched, &state_json(&plain), "diff {} -> {}", version - 1, version);
            } else {
                prop_assert!(full.diff.is_empty());
            }
            previous = Some(state_json(&plain));
        }

        for (a, b) in pairs {
            let a = a.index(specs.len() + 1) as u64;
            let b = b.index(specs.len() + 1) as u64;
            let ops = replay::diff_versions(&reader, "s-1", a, b).unwrap();
            let ops: json_patch::Patch = serde_json::from_value(Value::Array(ops)).unwrap();
            let mut patched = state_json(&replay::fold_from_start(&reader, "s-1", a).unwrap());
            json_patch::patch(&mut patched, &ops).unwrap();
            let target = state_json(&replay::fold_from_start(&reader, "s-1", b).unwrap());
            prop_assert_eq!(patched, target, "diff {} -> {}", a, b);
        }
    }

    #[test]
    fn built_checkpoints_serve_the_same_states(
        specs in prop::collection::vec(spec(), 1..40),
        interval in 1u64..6,
    ) {
        let dir = tempfile::tempdir().unwrap();
        // A huge interval while appending: no checkpoints, as in an imported store.
        let store = build(dir.path(), &specs, true, u64::MAX, 7);
        let report =
            replay::build_checkpoints_with_interval(&store, interval, &mut |_, _| true).unwrap();
        prop_assert!(!report.cancelled);
        let reader = store.read().unwrap();
        let last = specs.len() as u64;
        prop_assert_eq!(report.checkpoints_written, last / interval);
        for version in 0..=last {
            prop_assert_eq!(
                replay::state_of(&reader, "s-1", version).unwrap(),
                replay::fold_from_start(&reader, "s-1", version).unwrap()
            );
        }
    }
}
