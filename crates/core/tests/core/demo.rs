//! The demo store: deterministic for a seed, realistic, and consistent.

use std::collections::BTreeSet;

use process_workbench_core::demo::{self, DEMO_NOW, DemoOptions};
use process_workbench_core::store::check::check;
use process_workbench_core::store::{DeadLetterStatus, Store, Summary};

fn generate(dir: &std::path::Path, name: &str, seed: u64) -> Store {
    let path = dir.join(name);
    demo::generate(
        &path,
        DemoOptions {
            processes: 300,
            seed,
        },
        |_, _| true,
    )
    .unwrap();
    Store::open(&path).unwrap()
}

#[test]
fn the_same_seed_gives_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    let a = generate(dir.path(), "a.redb", 11);
    let b = generate(dir.path(), "b.redb", 11);
    let c = generate(dir.path(), "c.redb", 12);
    let log = |store: &Store| store.read().unwrap().log(1, usize::MAX).unwrap();
    assert_eq!(log(&a), log(&b));
    assert_ne!(log(&a), log(&c));
    let audit = |store: &Store| store.read().unwrap().audit(1, 100).unwrap();
    assert_eq!(audit(&a), audit(&b));
}

#[test]
fn the_demo_has_what_operators_and_analysts_look_for() {
    let dir = tempfile::tempdir().unwrap();
    let store = generate(dir.path(), "demo.redb", 42);
    let reader = store.read().unwrap();
    let summary = Summary::read(&reader, DEMO_NOW).unwrap();
    assert_eq!(
        summary.streams.by_type.keys().cloned().collect::<Vec<_>>(),
        vec!["grid_usage_billing", "meter_reading", "supplier_switch"]
    );
    for status in ["running", "completed", "failed"] {
        assert!(
            summary.streams.by_status[status] > 0,
            "no {status} processes"
        );
    }
    assert!(summary.outbox.pending > 0, "no pending outbox messages");
    assert!(summary.deadlines.pending > 0, "no pending deadlines");
    let later = Summary::read(&reader, DEMO_NOW + time::Duration::days(30)).unwrap();
    assert!(
        later.outbox.overdue > 0 && later.deadlines.overdue > 0,
        "nothing becomes overdue"
    );
    let open_reasons: BTreeSet<String> = reader
        .dead_letters(None, 10_000)
        .unwrap()
        .items
        .into_iter()
        .filter(|letter| letter.status == DeadLetterStatus::Open)
        .map(|letter| letter.reason)
        .collect();
    assert!(
        open_reasons.len() >= 4,
        "open dead letters in only {open_reasons:?}"
    );
    for reason in [
        "delivery_failed",
        "missing_field",
        "transition_not_allowed",
        "malformed_payload",
    ] {
        assert!(
            open_reasons.contains(reason),
            "no open {reason} dead letter"
        );
    }
    assert!(summary.audit.total > 0);

    let events = reader.log(1, usize::MAX).unwrap();
    let cross_stream = events.iter().filter(|event| {
        event
            .causation_id
            .and_then(|cause| reader.event_by_id(cause).unwrap())
            .is_some_and(|cause| cause.stream_id != event.stream_id)
    });
    assert!(cross_stream.count() > 10, "causation must span streams");
    let switch = events
        .iter()
        .find(|e| e.event_type == "SwitchRequested")
        .unwrap();
    let malo = switch.payload["malo_id"].as_str().unwrap();
    assert_eq!(malo.len(), 11);
    assert_eq!(switch.payload["new_supplier"].as_str().unwrap().len(), 13);
    assert!(
        events.iter().any(|e| e.event_type == "GridResponseOverdue"),
        "no expired deadline"
    );

    assert!(check(&reader, |_, _| true).unwrap().unwrap().is_ok());
}

#[test]
fn a_cancelled_demo_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cancelled.redb");
    let mut reported = Vec::new();
    let result = demo::generate(
        &path,
        DemoOptions {
            processes: 5000,
            seed: 1,
        },
        |started, total| {
            reported.push((started, total));
            started < 2000
        },
    );
    assert!(matches!(result, Err(demo::DemoError::Cancelled)));
    assert_eq!(
        reported,
        [(1000, 5000), (2000, 5000)],
        "progress is heard while a transaction runs, and cancels it"
    );
    assert!(!path.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no partial file left behind"
    );
    assert!(demo::generate(&path, DemoOptions::default(), |_, _| true).is_ok());
    assert!(
        demo::generate(&path, DemoOptions::default(), |_, _| true).is_err(),
        "never overwrites"
    );
}
