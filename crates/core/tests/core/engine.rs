//! The engine against real temporary stores: dispatch in one transaction,
//! dead letters for everything that can't be handled, delivery with retries,
//! deadlines, and every operator action with its event and audit entry.

use crate::common::*;
use process_workbench_core::engine::{
    ActionError, DispatchOutcome, Engine, Operator, ResubmitOutcome, RetryPolicy, Transport,
    deadline_id_of,
};
use process_workbench_core::store::check::check;
use process_workbench_core::store::{
    DeadLetterStatus, Direction, OutboxMessage, Store, StreamStatus, Summary,
};
use serde_json::json;
use time::{Duration, OffsetDateTime};

fn assert_consistent(store: &Store) {
    let report = check(&store.read().unwrap(), |_, _| true).unwrap().unwrap();
    assert!(report.is_ok(), "{:?}", report.violations);
}

fn place(engine: &mut Engine, store: &Store, stream: &str) -> DispatchOutcome {
    engine
        .dispatch(
            store,
            message(
                "OrderPlaced",
                stream,
                json!({"customer": "C-1", "partner": "P-7"}),
            ),
            T0,
        )
        .unwrap()
}

/// A transport whose partner is down for the first `failures` tries.
struct Flaky {
    failures: usize,
    delivered: Vec<OutboxMessage>,
}

impl Transport for Flaky {
    fn deliver(&mut self, message: &OutboxMessage, _now: OffsetDateTime) -> Result<(), String> {
        if self.failures > 0 {
            self.failures -= 1;
            return Err("HTTP 503".to_string());
        }
        self.delivered.push(message.clone());
        Ok(())
    }
}

#[test]
fn dispatch_writes_event_outbox_and_deadline_together() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut engine) = order_store(dir.path());
    let DispatchOutcome::Applied { stream_id, event } = place(&mut engine, &store, "order-1")
    else {
        panic!("not applied");
    };
    assert_eq!(stream_id, "order-1");
    assert_eq!(event.version, 1);
    let reader = store.read().unwrap();
    let info = reader.stream("order-1").unwrap().unwrap();
    assert_eq!(info.process_state.as_deref(), Some("placed"));
    assert_eq!(info.status, StreamStatus::Running);
    let outbox = reader.outbox(None, 10).unwrap().items;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].recipient, "P-7");
    assert_eq!(outbox[0].caused_by, Some(event.event_id));
    let deadline = reader.deadline(deadline_id_of("order-1")).unwrap().unwrap();
    assert_eq!(deadline.due_at, T0 + Duration::hours(1));
    drop(reader);
    assert_consistent(&store);
}

#[test]
fn a_started_process_is_caused_by_the_event_in_the_other_stream() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut engine) = order_store(dir.path());
    place(&mut engine, &store, "order-1");
    let DispatchOutcome::Applied { event, .. } = engine
        .dispatch(
            &store,
            message("OrderConfirmed", "order-1", json!({"confirmation": "OK-1"})),
            T0,
        )
        .unwrap()
    else {
        panic!("not applied");
    };
    let reader = store.read().unwrap();
    let effects = reader.effects_of(event.event_id).unwrap();
    assert_eq!(effects.len(), 1);
    let started = reader.event_by_id(effects[0]).unwrap().unwrap();
    assert_eq!(started.stream_id, "shipment-1");
    assert_eq!(started.event_type, "ShipmentRequested");
    assert_eq!(
        started.correlation_id, event.correlation_id,
        "one conversation across both streams"
    );
    assert_eq!(
        reader.stream("order-1").unwrap().unwrap().status,
        StreamStatus::Completed
    );
    assert!(
        reader
            .deadline(deadline_id_of("order-1"))
            .unwrap()
            .is_none(),
        "a finished process keeps no deadline"
    );
}

#[test]
fn everything_that_cannot_be_handled_becomes_a_dead_letter_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut engine) = order_store(dir.path());
    place(&mut engine, &store, "order-1");
    let mut unknown = message("Hello", "x-1", json!({}));
    unknown.process_type = Some("nobody_defined_this".into());
    let cases = vec![
        (unknown, "unknown_process"),
        (
            message(
                "OrderPlaced",
                "order-1",
                json!({"customer": "C", "partner": "P"}),
            ),
            "transition_not_allowed",
        ),
        (
            message("OrderPlaced", "order-2", json!({"customer": "C"})),
            "missing_field",
        ),
        (
            message("OrderPlaced", "order-3", json!("UNH+1+ORDERS'")),
            "malformed_payload",
        ),
    ];
    for (message, reason) in cases {
        let original = serde_json::to_value(&message).unwrap();
        let outcome = engine.dispatch(&store, message, T0).unwrap();
        let DispatchOutcome::DeadLettered {
            dead_letter_id,
            reason: got,
            detail,
        } = outcome
        else {
            panic!("{reason}: not dead-lettered");
        };
        assert_eq!(got, reason);
        assert!(!detail.is_empty());
        let letter = store
            .read()
            .unwrap()
            .dead_letter(dead_letter_id)
            .unwrap()
            .unwrap();
        assert_eq!(letter.reason, reason);
        assert_eq!(
            letter.original, original,
            "the original message is kept as received"
        );
        assert_eq!(letter.status, DeadLetterStatus::Open);
    }
    let reader = store.read().unwrap();
    assert_eq!(
        reader.stream("order-1").unwrap().unwrap().version,
        1,
        "a refused message appends nothing"
    );
    assert!(reader.stream("order-2").unwrap().is_none());
    let summary = Summary::read(&reader, T0).unwrap();
    assert_eq!(summary.dead_letters.total, 4);
    assert_eq!(summary.dead_letters.by_reason.len(), 4);
    drop(reader);
    assert_consistent(&store);
}

#[test]
fn a_dedup_key_takes_a_message_in_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut engine) = order_store(dir.path());
    let mut first = message(
        "OrderPlaced",
        "order-1",
        json!({"customer": "C", "partner": "P"}),
    );
    first.dedup_key = Some("partner-P:4711".into());
    let mut again = first.clone();
    again.message_id = uuid::Uuid::now_v7();
    assert!(matches!(
        engine.dispatch(&store, first, T0).unwrap(),
        DispatchOutcome::Applied { .. }
    ));
    assert!(matches!(
        engine.dispatch(&store, again, T0).unwrap(),
        DispatchOutcome::Duplicate { position: 1 }
    ));
    assert_eq!(
        store
            .read()
            .unwrap()
            .stream("order-1")
            .unwrap()
            .unwrap()
            .version,
        1
    );
}

#[test]
fn delivery_retries_with_backoff_then_dead_letters_and_fails_the_process() {
    let dir = tempfile::tempdir().unwrap();
    let (store, engine) = order_store(dir.path());
    let policy = RetryPolicy {
        base_backoff: Duration::minutes(1),
        max_backoff: Duration::minutes(10),
        max_attempts: 3,
    };
    let mut engine = engine.with_policy(policy);
    place(&mut engine, &store, "order-1");
    let mut transport = Flaky {
        failures: 100,
        delivered: Vec::new(),
    };
    let mut now = T0;
    let first = engine.deliver_due(&store, &mut transport, now, 10).unwrap();
    assert_eq!(first.retried, 1);
    let message = store
        .read()
        .unwrap()
        .outbox(None, 1)
        .unwrap()
        .items
        .remove(0);
    assert_eq!(message.attempts, 1);
    assert_eq!(message.due_at, now + Duration::minutes(1));
    assert_eq!(message.last_error.as_deref(), Some("HTTP 503"));
    now += Duration::minutes(1);
    assert_eq!(
        engine
            .deliver_due(&store, &mut transport, now, 10)
            .unwrap()
            .retried,
        1
    );
    let message = store
        .read()
        .unwrap()
        .outbox(None, 1)
        .unwrap()
        .items
        .remove(0);
    assert_eq!(
        message.due_at,
        now + Duration::minutes(2),
        "backoff doubles"
    );
    now += Duration::minutes(2);
    assert_eq!(
        engine
            .deliver_due(&store, &mut transport, now, 10)
            .unwrap()
            .dead_lettered,
        1
    );
    let reader = store.read().unwrap();
    assert!(reader.outbox(None, 10).unwrap().items.is_empty());
    let letter = reader.dead_letters(None, 10).unwrap().items.remove(0);
    assert_eq!(letter.reason, "delivery_failed");
    assert_eq!(letter.direction, Direction::Outbound);
    assert_eq!(
        letter.attempts.len(),
        3,
        "the whole attempt history is kept"
    );
    let info = reader.stream("order-1").unwrap().unwrap();
    assert_eq!(info.status, StreamStatus::Failed);
    assert_eq!(info.process_state.as_deref(), Some("failed"));
    assert!(info.last_error.is_some());
    drop(reader);
    assert_consistent(&store);
}

#[test]
fn an_expired_deadline_moves_the_process_on() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut engine) = order_store(dir.path());
    place(&mut engine, &store, "order-1");
    assert_eq!(
        engine
            .fire_due(&store, T0 + Duration::minutes(59), 10)
            .unwrap(),
        0
    );
    assert_eq!(
        engine
            .fire_due(&store, T0 + Duration::hours(1), 10)
            .unwrap(),
        1
    );
    let reader = store.read().unwrap();
    let events = reader.stream_events("order-1", 1, 10).unwrap();
    assert_eq!(events.last().unwrap().event_type, "ConfirmationOverdue");
    assert_eq!(
        events.last().unwrap().causation_id,
        Some(events[0].event_id),
        "caused by the step that set it"
    );
    assert_eq!(
        reader.stream("order-1").unwrap().unwrap().status,
        StreamStatus::Failed
    );
}

fn audit_actions(store: &Store) -> Vec<String> {
    store
        .read()
        .unwrap()
        .audit(1, 100)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[test]
fn resubmitting_an_edited_dead_letter_dispatches_a_new_linked_message() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut engine) = order_store(dir.path());
    let DispatchOutcome::DeadLettered { dead_letter_id, .. } = engine
        .dispatch(
            &store,
            message("OrderPlaced", "order-9", json!({"customer": "C"})),
            T0,
        )
        .unwrap()
    else {
        panic!("expected a dead letter");
    };
    let original = store
        .read()
        .unwrap()
        .dead_letter(dead_letter_id)
        .unwrap()
        .unwrap()
        .original;
    let operator = Operator::named("ops.anna");

    let error = engine
        .resubmit_dead_letter(
            &store,
            dead_letter_id,
            None,
            &operator,
            "partner says it is fixed",
            T0,
        )
        .unwrap_err();
    assert!(
        matches!(error, ActionError::FailedAgain { ref reason, .. } if reason == "missing_field"),
        "{error}"
    );
    let letter = store
        .read()
        .unwrap()
        .dead_letter(dead_letter_id)
        .unwrap()
        .unwrap();
    assert_eq!(
        letter.attempts.len(),
        2,
        "the failed resubmission is on the attempt history"
    );
    assert_eq!(letter.attempts[1].by, "ops.anna");
    assert_eq!(letter.status, DeadLetterStatus::Open);

    let outcome = engine
        .resubmit_dead_letter(
            &store,
            dead_letter_id,
            Some(json!({"customer": "C", "partner": "P-1"})),
            &operator,
            "added the partner",
            T0,
        )
        .unwrap();
    let ResubmitOutcome::Dispatched { event } = outcome else {
        panic!("expected a dispatch");
    };
    assert_eq!(event.stream_id, "order-9");
    assert_eq!(event.metadata["resubmitted_from"], json!(dead_letter_id));
    let reader = store.read().unwrap();
    let letter = reader.dead_letter(dead_letter_id).unwrap().unwrap();
    assert_eq!(letter.status, DeadLetterStatus::Resubmitted);
    assert_eq!(
        letter.original, original,
        "editing never changes the original"
    );
    let resolution = letter.resolution.unwrap();
    assert_ne!(
        resolution.new_message_id.unwrap().to_string(),
        original["message_id"].as_str().unwrap()
    );
    let events = reader.stream_events("order-9", 1, 10).unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| e.event_type.as_str())
            .collect::<Vec<_>>(),
        vec!["OrderPlaced", "DeadLetterResubmitted"]
    );
    drop(reader);
    assert_eq!(
        audit_actions(&store),
        vec!["dead_letter.resubmit_failed", "dead_letter.resubmit"]
    );
    let entry = store.read().unwrap().audit(2, 1).unwrap().remove(0);
    assert_eq!(entry.user, "ops.anna");
    assert_eq!(entry.before["status"], "open");
    assert_eq!(entry.after["status"], "resubmitted");
    assert!(matches!(
        engine.discard_dead_letter(&store, dead_letter_id, &operator, "again", T0),
        Err(ActionError::NotOpen { .. })
    ));
    assert_consistent(&store);
}

#[test]
fn outbound_dead_letters_go_back_into_the_outbox_and_discard_needs_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (store, engine) = order_store(dir.path());
    let mut engine = engine.with_policy(RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    });
    place(&mut engine, &store, "order-1");
    engine
        .deliver_due(
            &store,
            &mut Flaky {
                failures: 1,
                delivered: Vec::new(),
            },
            T0,
            10,
        )
        .unwrap();
    let letter = store
        .read()
        .unwrap()
        .dead_letters(None, 1)
        .unwrap()
        .items
        .remove(0);
    let operator = Operator::named("ops");
    assert!(matches!(
        engine.discard_dead_letter(&store, letter.id, &operator, "  ", T0),
        Err(ActionError::MissingReason)
    ));
    let ResubmitOutcome::Requeued { message_id } = engine
        .resubmit_dead_letter(&store, letter.id, None, &operator, "partner is back", T0)
        .unwrap()
    else {
        panic!("expected a requeue");
    };
    let requeued = store
        .read()
        .unwrap()
        .outbox_message(message_id)
        .unwrap()
        .unwrap();
    assert_eq!(requeued.attempts, 0);
    let mut transport = Flaky {
        failures: 0,
        delivered: Vec::new(),
    };
    assert_eq!(
        engine
            .deliver_due(&store, &mut transport, T0, 10)
            .unwrap()
            .delivered,
        1
    );
    assert_eq!(transport.delivered[0].id, message_id);
    assert_consistent(&store);
}

#[test]
fn outbox_and_deadline_actions_each_leave_an_event_and_an_audit_entry() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut engine) = order_store(dir.path());
    let operator = Operator::named("ops");
    for stream in ["order-1", "order-2", "order-3"] {
        place(&mut engine, &store, stream);
    }
    let messages = store.read().unwrap().outbox(None, 10).unwrap().items;
    let later = T0 + Duration::days(1);
    engine
        .outbox_reschedule(
            &store,
            messages[0].id,
            later,
            &operator,
            "partner maintenance",
            T0,
        )
        .unwrap();
    assert_eq!(
        store
            .read()
            .unwrap()
            .outbox_message(messages[0].id)
            .unwrap()
            .unwrap()
            .due_at,
        later
    );
    engine
        .outbox_deliver_now(&store, messages[0].id, &operator, "partner is back", T0)
        .unwrap();
    engine
        .outbox_cancel(&store, messages[1].id, &operator, "sent by phone", T0)
        .unwrap();
    let letter = engine
        .outbox_to_dead_letter(&store, messages[2].id, &operator, "wrong recipient", T0)
        .unwrap();
    assert_eq!(
        store
            .read()
            .unwrap()
            .dead_letter(letter)
            .unwrap()
            .unwrap()
            .reason,
        "moved_by_operator"
    );

    let deadline = deadline_id_of("order-1");
    engine
        .deadline_reschedule(
            &store,
            deadline,
            later,
            &operator,
            "partner asked for a day",
            T0,
        )
        .unwrap();
    let outcome = engine
        .deadline_fire_now(&store, deadline, &operator, "no answer by phone either", T0)
        .unwrap();
    assert!(matches!(outcome, DispatchOutcome::Applied { .. }));
    engine
        .deadline_cancel(
            &store,
            deadline_id_of("order-2"),
            &operator,
            "handled offline",
            T0,
        )
        .unwrap();
    assert!(matches!(
        engine.deadline_cancel(&store, deadline, &operator, "x", T0),
        Err(ActionError::NotFound(_))
    ));

    assert_eq!(
        audit_actions(&store),
        vec![
            "outbox.reschedule",
            "outbox.deliver_now",
            "outbox.cancel",
            "outbox.dead_letter",
            "deadline.reschedule",
            "deadline.fire",
            "deadline.cancel"
        ]
    );
    let reader = store.read().unwrap();
    let types = |stream: &str| -> Vec<String> {
        reader
            .stream_events(stream, 1, 20)
            .unwrap()
            .into_iter()
            .map(|e| e.event_type)
            .collect()
    };
    assert_eq!(
        types("order-1"),
        vec![
            "OrderPlaced",
            "OutboxRescheduled",
            "OutboxDeliverNow",
            "DeadlineRescheduled",
            "ConfirmationOverdue"
        ]
    );
    assert_eq!(
        types("order-2"),
        vec!["OrderPlaced", "OutboxCancelled", "DeadlineCancelled"]
    );
    assert!(types("order-3").contains(&"OutboxMovedToDeadLetters".to_string()));
    assert_eq!(
        reader
            .stream("order-2")
            .unwrap()
            .unwrap()
            .process_state
            .as_deref(),
        Some("placed"),
        "operator events keep the state"
    );
    drop(reader);
    assert_consistent(&store);
}

#[test]
fn retrying_a_failed_step_puts_the_process_back_and_sends_again() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut engine) = order_store(dir.path());
    place(&mut engine, &store, "order-1");
    engine
        .deliver_due(
            &store,
            &mut Flaky {
                failures: 0,
                delivered: Vec::new(),
            },
            T0,
            10,
        )
        .unwrap();
    engine
        .fire_due(&store, T0 + Duration::hours(2), 10)
        .unwrap();
    assert_eq!(
        store
            .read()
            .unwrap()
            .stream("order-1")
            .unwrap()
            .unwrap()
            .status,
        StreamStatus::Failed
    );

    let operator = Operator::named("support.bob");
    let now = T0 + Duration::hours(3);
    let event = engine
        .retry_failed_step(
            &store,
            "order-1",
            &operator,
            "partner confirmed by phone it will answer",
            now,
        )
        .unwrap();
    assert_eq!(event.event_type, "FailedStepRetried");
    let reader = store.read().unwrap();
    let info = reader.stream("order-1").unwrap().unwrap();
    assert_eq!(info.status, StreamStatus::Running);
    assert_eq!(info.process_state.as_deref(), Some("placed"));
    assert_eq!(
        reader.outbox(None, 10).unwrap().items.len(),
        1,
        "the step's message is sent again"
    );
    assert_eq!(
        reader
            .deadline(deadline_id_of("order-1"))
            .unwrap()
            .unwrap()
            .due_at,
        now + Duration::hours(1)
    );
    drop(reader);
    assert!(matches!(
        engine.retry_failed_step(&store, "order-1", &operator, "again", now),
        Err(ActionError::Invalid(_))
    ));
    let DispatchOutcome::Applied { .. } = engine
        .dispatch(
            &store,
            message(
                "OrderConfirmed",
                "order-1",
                json!({"confirmation": "late but fine"}),
            ),
            now,
        )
        .unwrap()
    else {
        panic!("the retried process accepts its answer");
    };
    assert_eq!(audit_actions(&store), vec!["stream.retry_failed_step"]);
    assert_consistent(&store);
}

#[test]
fn read_only_stores_refuse_operator_actions() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let (store, mut engine) = order_store(dir.path());
        engine
            .dispatch(
                &store,
                message("OrderPlaced", "order-1", json!({"customer": "C"})),
                T0,
            )
            .unwrap();
        store.path().to_path_buf()
    };
    let before = bytes_of(&path);
    let store = Store::open(&path).unwrap();
    let mut engine = Engine::load(&store).unwrap();
    let letter = store
        .read()
        .unwrap()
        .dead_letters(None, 1)
        .unwrap()
        .items
        .remove(0);
    let error = engine
        .discard_dead_letter(&store, letter.id, &Operator::named("x"), "why", T0)
        .unwrap_err();
    assert!(error.to_string().contains("read-only"), "{error}");
    drop(store);
    assert_eq!(bytes_of(&path), before);
}
