//! The queue library headless: failure groups and filters, the what-if
//! preview (nothing written), bulk actions interrupted halfway and run again.

use crate::common::*;
use process_workbench_core::engine::{DispatchOutcome, Engine, Operator, PreviewOutcome};
use process_workbench_core::queues::{
    AuditFilter, BulkAction, DeadLetterFilter, audit_entries, dry_run, export_audit_json, run_bulk,
    triage,
};
use process_workbench_core::store::check::check;
use process_workbench_core::store::{DeadLetterStatus, Store};
use serde_json::{Value, json};
use time::Duration;
use uuid::Uuid;

fn dead_letter(
    engine: &mut Engine,
    store: &Store,
    message_type: &str,
    stream: &str,
    payload: Value,
    minutes: i64,
) -> Uuid {
    let mut inbound = message(message_type, stream, payload);
    inbound.received_at = T0 + Duration::minutes(minutes);
    match engine
        .dispatch(store, inbound, T0 + Duration::minutes(minutes))
        .unwrap()
    {
        DispatchOutcome::DeadLettered { dead_letter_id, .. } => dead_letter_id,
        other => panic!("not dead-lettered: {other:?}"),
    }
}

/// `missing` OrderPlaced without a partner (missing_field) and `confirmed`
/// OrderConfirmed to new streams (transition_not_allowed).
fn store_with_dead_letters(
    dir: &std::path::Path,
    missing: usize,
    confirmed: usize,
) -> (Store, Engine, Vec<Uuid>, Vec<Uuid>) {
    let (store, mut engine) = order_store(dir);
    let mut missing_ids = Vec::new();
    for n in 0..missing {
        let payload = json!({"customer": format!("C-{n}"), "amount": n});
        missing_ids.push(dead_letter(
            &mut engine,
            &store,
            "OrderPlaced",
            &format!("order-m{n}"),
            payload,
            n as i64,
        ));
    }
    let mut confirmed_ids = Vec::new();
    for n in 0..confirmed {
        let payload = json!({"confirmation": format!("K-{n}")});
        confirmed_ids.push(dead_letter(
            &mut engine,
            &store,
            "OrderConfirmed",
            &format!("order-c{n}"),
            payload,
            100 + n as i64,
        ));
    }
    (store, engine, missing_ids, confirmed_ids)
}

fn never() -> bool {
    false
}

#[test]
fn dead_letters_group_by_reason_and_message_type() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _engine, missing, _) = store_with_dead_letters(dir.path(), 5, 3);
    let reader = store.read().unwrap();
    let result = triage(&reader, &DeadLetterFilter::default(), &never).unwrap();
    assert_eq!(result.rows.len(), 8);
    assert_eq!(result.groups.len(), 2);
    let first = &result.groups[0];
    assert_eq!(
        (first.reason.as_str(), first.message_type.as_str()),
        ("missing_field", "OrderPlaced")
    );
    assert_eq!((first.count, first.open), (5, 5));
    assert_eq!(first.first_seen, T0);
    assert_eq!(first.last_seen, T0 + Duration::minutes(4));
    let second = &result.groups[1];
    assert_eq!(
        (
            second.reason.as_str(),
            second.message_type.as_str(),
            second.count
        ),
        ("transition_not_allowed", "OrderConfirmed", 3)
    );
    // Rows are oldest first.
    assert_eq!(result.rows[0].id, missing[0]);

    // Filters: JSONPath over the original message, time range, status, stream type.
    let path = DeadLetterFilter::parse_json_path("$[?@.amount >= 3]").unwrap();
    let filter = DeadLetterFilter {
        json_path: Some(path),
        ..Default::default()
    };
    let found = triage(&reader, &filter, &never).unwrap();
    assert_eq!(
        found.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![missing[3], missing[4]]
    );
    let filter = DeadLetterFilter {
        from: Some(T0 + Duration::minutes(100)),
        ..Default::default()
    };
    assert_eq!(triage(&reader, &filter, &never).unwrap().rows.len(), 3);
    let filter = DeadLetterFilter {
        status: Some(DeadLetterStatus::Discarded),
        ..Default::default()
    };
    assert!(triage(&reader, &filter, &never).unwrap().rows.is_empty());
    let filter = DeadLetterFilter {
        process_type: Some("shipment".into()),
        ..Default::default()
    };
    assert!(triage(&reader, &filter, &never).unwrap().groups.is_empty());
    assert!(DeadLetterFilter::parse_json_path("$.[").is_err());
}

#[test]
fn preview_shows_what_a_resubmission_would_do_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut engine, missing, _) = store_with_dead_letters(dir.path(), 1, 0);
    let id = missing[0];
    let generation = store.generation().unwrap();

    let as_is = engine.preview_resubmit(&store, id, None, T0).unwrap();
    assert!(
        matches!(as_is.outcome, PreviewOutcome::Rejected { ref reason, .. } if reason == "missing_field")
    );

    let edited = json!({"customer": "C-0", "amount": 0, "partner": "P-7"});
    let preview = engine
        .preview_resubmit(&store, id, Some(edited), T0)
        .unwrap();
    assert_eq!(preview.outcome, PreviewOutcome::Accepted);
    assert_eq!(preview.events.len(), 1);
    assert_eq!(preview.events[0].event_type, "OrderPlaced");
    assert_eq!(preview.state["process_state"], "placed");
    assert_eq!(preview.state["data"]["partner"], "P-7");
    assert_eq!(preview.outbox.len(), 1);
    assert_eq!(preview.outbox[0].recipient, "P-7");
    assert_eq!(preview.deadlines.len(), 1);

    // Nothing was written.
    assert_eq!(store.generation().unwrap(), generation);
    let reader = store.read().unwrap();
    assert_eq!(
        reader.dead_letter(id).unwrap().unwrap().status,
        DeadLetterStatus::Open
    );
    assert!(reader.stream("order-m0").unwrap().is_none());
    assert!(reader.outbox(None, 10).unwrap().items.is_empty());
}

#[test]
fn bulk_interrupted_halfway_then_run_again_does_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut engine, missing, _) = store_with_dead_letters(dir.path(), 20, 0);
    let operator = Operator::named("ops");
    let dry = dry_run(&store.read().unwrap(), &missing).unwrap();
    assert_eq!((dry.would_act, dry.would_skip), (20, 0));

    let done = std::cell::Cell::new(0u64);
    let mut progress_calls = 0;
    let summary = run_bulk(
        &mut engine,
        &store,
        BulkAction::Discard,
        &missing,
        &operator,
        "duplicates",
        T0,
        &mut |finished, total| {
            done.set(finished);
            progress_calls += 1;
            assert_eq!(total, 20);
        },
        &|| done.get() >= 10,
    );
    assert_eq!(
        (summary.done, summary.skipped, summary.not_reached),
        (10, 0, 10)
    );
    assert!(summary.cancelled);
    assert_eq!(progress_calls, 10);
    // Each item is either fully done or untouched.
    let reader = store.read().unwrap();
    for (index, id) in missing.iter().enumerate() {
        let status = reader.dead_letter(*id).unwrap().unwrap().status;
        let expected = if index < 10 {
            DeadLetterStatus::Discarded
        } else {
            DeadLetterStatus::Open
        };
        assert_eq!(status, expected, "item {index}");
    }
    let dry = dry_run(&reader, &missing).unwrap();
    assert_eq!((dry.would_act, dry.would_skip), (10, 10));
    drop(reader);

    let summary = run_bulk(
        &mut engine,
        &store,
        BulkAction::Discard,
        &missing,
        &operator,
        "duplicates",
        T0,
        &mut |_, _| {},
        &never,
    );
    assert_eq!(
        (summary.done, summary.skipped, summary.failed_again),
        (10, 10, 0)
    );
    assert!(!summary.cancelled);
    let reader = store.read().unwrap();
    let entries = audit_entries(
        &reader,
        &AuditFilter {
            action: "discard".into(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(entries.len(), 20);
    assert!(
        entries
            .iter()
            .all(|e| e.user == "ops" && e.reason == "duplicates")
    );
    let report = check(&reader, |_, _| true).unwrap().unwrap();
    assert!(report.is_ok(), "{:?}", report.violations);
}

#[test]
fn bulk_resubmit_counts_failed_again() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut engine, missing, _) = store_with_dead_letters(dir.path(), 3, 0);
    let summary = run_bulk(
        &mut engine,
        &store,
        BulkAction::Resubmit,
        &missing,
        &Operator::named("ops"),
        "retry",
        T0,
        &mut |_, _| {},
        &never,
    );
    // Still no partner: each is refused again, recorded on its attempt history, still open.
    assert_eq!((summary.done, summary.failed_again), (0, 3));
    let letter = store
        .read()
        .unwrap()
        .dead_letter(missing[0])
        .unwrap()
        .unwrap();
    assert_eq!(letter.status, DeadLetterStatus::Open);
    assert_eq!(letter.attempts.len(), 2);
}

#[test]
fn audit_filters_and_exports_json() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut engine, missing, _) = store_with_dead_letters(dir.path(), 2, 0);
    engine
        .discard_dead_letter(
            &store,
            missing[0],
            &Operator::named("anna"),
            "test data",
            T0,
        )
        .unwrap();
    engine
        .discard_dead_letter(
            &store,
            missing[1],
            &Operator::named("ben"),
            "duplicate",
            T0 + Duration::hours(1),
        )
        .unwrap();
    let reader = store.read().unwrap();
    let anna = audit_entries(
        &reader,
        &AuditFilter {
            user: "ANNA".into(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(anna.len(), 1);
    let stream = audit_entries(
        &reader,
        &AuditFilter {
            stream: "order-m1".into(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(stream.len(), 1);
    let late = audit_entries(
        &reader,
        &AuditFilter {
            from: Some(T0 + Duration::minutes(30)),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(late[0].user, "ben");
    let all = audit_entries(&reader, &AuditFilter::default()).unwrap();
    let mut out = Vec::new();
    export_audit_json(&all, &mut out).unwrap();
    let exported: Value = serde_json::from_slice(&out).unwrap();
    let items = exported.as_array().unwrap();
    assert_eq!(items.len(), 2);
    for key in [
        "seq", "at", "user", "action", "target", "reason", "before", "after",
    ] {
        assert!(items[0].get(key).is_some(), "{key}");
    }
    assert_eq!(items[0]["action"], "dead_letter.discard");
    assert_eq!(items[0]["before"]["status"], "open");
    assert_eq!(items[0]["after"]["status"], "discarded");
}
