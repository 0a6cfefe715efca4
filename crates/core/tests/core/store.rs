//! The redb process store against real temporary files: appends and indexes,
//! optimistic concurrency, paged queries, open modes and their errors, and the
//! integrity check catching each index corrupted on purpose.

use std::sync::{Arc, Barrier};

use crate::common::*;
use process_workbench_core::store::check::check;
use process_workbench_core::store::schema;
use process_workbench_core::store::{
    Event, NewEvent, OpenError, OutboxMessage, PreparedEvent, Store, StoreError, StreamFilter,
    StreamInfo, StreamStatus, Summary,
};
use redb::ReadableTable;
use serde_json::{Value, json};
use uuid::Uuid;

/// A new, empty store in a temporary directory (kept as long as the directory).
fn new_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path().join("s.redb")).unwrap();
    (dir, store)
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

fn event(event_type: &str, cause: Option<Uuid>, correlation: Option<Uuid>) -> NewEvent {
    NewEvent {
        causation_id: cause,
        correlation_id: correlation,
        ..NewEvent::new(event_type, T0, json!({ "n": event_type }))
    }
}

#[test]
fn append_indexes_every_event_and_keeps_versions_contiguous() {
    let (_dir, store) = new_store();
    let conversation = Uuid::now_v7();
    let mut a = stream("a-1", "alpha");
    let first = store
        .write(|w| {
            w.append(
                &mut a,
                0,
                vec![
                    event("Started", None, Some(conversation)),
                    event("Moved", None, Some(conversation)),
                ],
                T0,
            )
        })
        .unwrap();
    let mut b = stream("b-1", "beta");
    let cause = first[1].event_id;
    store
        .write(|w| {
            w.append(
                &mut b,
                0,
                vec![event("Reacted", Some(cause), Some(conversation))],
                T0,
            )
        })
        .unwrap();

    let reader = store.read().unwrap();
    let events = reader.stream_events("a-1", 1, 10).unwrap();
    assert_eq!(
        events.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(
        events[0].event_id.get_version_num(),
        7,
        "engine ids are UUID v7"
    );
    assert_eq!(
        reader.event_by_id(cause).unwrap().unwrap().event_type,
        "Moved"
    );
    let effects = reader.effects_of(cause).unwrap();
    assert_eq!(effects.len(), 1);
    assert_eq!(
        reader.event_by_id(effects[0]).unwrap().unwrap().stream_id,
        "b-1"
    );
    assert_eq!(
        reader.correlated(conversation, 0, 10).unwrap(),
        vec![1, 2, 3]
    );
    assert_eq!(reader.stream("a-1").unwrap().unwrap().version, 2);
    assert_eq!(reader.log(1, 10).unwrap().len(), 3);
    assert!(check(&reader, |_, _| true).unwrap().unwrap().is_ok());
}

#[test]
fn append_with_a_stale_version_is_a_conflict_and_writes_nothing() {
    let (_dir, store) = new_store();
    let mut a = stream("a-1", "alpha");
    store
        .write(|w| w.append(&mut a, 0, vec![event("Started", None, None)], T0))
        .unwrap();
    let generation = store.generation().unwrap();
    let mut stale = stream("a-1", "alpha");
    let error = store
        .write(|w| w.append(&mut stale, 0, vec![event("Again", None, None)], T0))
        .unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::VersionConflict {
                expected: 0,
                actual: 1,
                ..
            }
        ),
        "{error}"
    );
    let reader = store.read().unwrap();
    assert_eq!(reader.log(1, 10).unwrap().len(), 1);
    assert_eq!(
        store.generation().unwrap(),
        generation,
        "an aborted write changes nothing"
    );
}

/// Events of stream `stream_id` from version 1, prepared at positions from
/// `first_position`, and the stream's record before them.
fn prepared(stream_id: &str, first_position: u64, count: u64) -> (StreamInfo, Vec<PreparedEvent>) {
    let events = (0..count)
        .map(|offset| {
            PreparedEvent::new(Event {
                event_id: Uuid::now_v7(),
                stream_id: stream_id.to_string(),
                version: offset + 1,
                position: first_position + offset,
                event_type: "Step".to_string(),
                occurred_at: T0,
                recorded_at: T0,
                correlation_id: None,
                causation_id: None,
                other_causes: Vec::new(),
                other_streams: Vec::new(),
                payload: json!({ "n": offset }),
                metadata: Value::Null,
            })
            .unwrap()
        })
        .collect();
    (stream(stream_id, "imported"), events)
}

#[test]
fn events_prepared_ahead_are_checked_before_they_are_written() {
    let (_dir, store) = new_store();
    let insert = |mut info: StreamInfo, events: &[PreparedEvent]| {
        store.write(|w| {
            w.insert_prepared(&mut info, events)?;
            w.put_stream(&info)
        })
    };
    let (info, events) = prepared("i-1", 1, 3);
    insert(info, &events).unwrap();
    let reader = store.read().unwrap();
    let stored = reader.log(1, 10).unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[2].payload, json!({ "n": 2 }));
    assert_eq!(reader.stream("i-1").unwrap().unwrap().version, 3);
    assert!(check(&reader, |_, _| true).unwrap().unwrap().is_ok());
    drop(reader);

    // A wrong position, events given with another stream's record, versions
    // that start again: each refused, nothing written.
    let generation = store.generation().unwrap();
    let (info, events) = prepared("i-2", 7, 2);
    let wrong_position = insert(info, &events);
    let (_, events) = prepared("i-2", 4, 2);
    let other_stream = insert(stream("i-3", "imported"), &events);
    let (_, events) = prepared("i-1", 4, 2);
    let restarted = insert(
        store.read().unwrap().stream("i-1").unwrap().unwrap(),
        &events,
    );
    for (result, expected) in [
        (wrong_position, "the log continues at position 4, not 7"),
        (other_stream, "an event of stream i-2 came with stream i-3"),
        (restarted, "stream i-1 continues at version 4, not 1"),
    ] {
        let error = result.unwrap_err();
        assert!(
            matches!(&error, StoreError::MisfitPreparedEvent(text) if text == expected),
            "{error}"
        );
    }
    assert_eq!(store.generation().unwrap(), generation);
    assert_eq!(store.read().unwrap().log(1, 10).unwrap().len(), 3);
}

#[test]
fn two_writers_racing_on_one_stream_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::create(dir.path().join("s.redb")).unwrap());
    let mut a = stream("race", "alpha");
    store
        .write(|w| w.append(&mut a, 0, vec![event("Started", None, None)], T0))
        .unwrap();
    for round in 0..20 {
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|writer| {
                let store = Arc::clone(&store);
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    let seen = store.read().unwrap().stream("race").unwrap().unwrap();
                    barrier.wait();
                    let mut info = seen.clone();
                    store.write(|w| {
                        w.append(
                            &mut info,
                            seen.version,
                            vec![
                                event(&format!("W{writer}R{round}"), None, None),
                                event("Second", None, None),
                            ],
                            T0,
                        )
                    })
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let wins = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "round {round}: exactly one writer wins");
        assert!(
            results
                .iter()
                .any(|r| matches!(r, Err(StoreError::VersionConflict { .. })))
        );
    }
    let reader = store.read().unwrap();
    let info = reader.stream("race").unwrap().unwrap();
    assert_eq!(
        info.version,
        1 + 20 * 2,
        "each round added exactly the winner's two events"
    );
    assert!(check(&reader, |_, _| true).unwrap().unwrap().is_ok());
}

fn outbox_message(id: u128, stream_id: &str, due_in_minutes: i64) -> OutboxMessage {
    OutboxMessage {
        id: Uuid::from_u128(id),
        stream_id: stream_id.to_string(),
        message_type: "Note".to_string(),
        recipient: "partner".to_string(),
        payload: json!({ "id": id }),
        due_at: T0 + time::Duration::minutes(due_in_minutes),
        attempts: 0,
        max_attempts: 3,
        last_error: None,
        created_at: T0,
        caused_by: None,
        correlation_id: None,
        attempt_log: Vec::new(),
    }
}

/// A transaction reads what it wrote, and what reaches the tables is the
/// net result of its writes.
#[test]
fn a_transaction_reads_its_own_writes_and_stores_the_net_result() {
    let (_dir, store) = new_store();
    store
        .write(|w| {
            let mut info = stream("s-1", "order");
            w.append(&mut info, 0, vec![event("Placed", None, None)], T0)?;
            w.put_outbox(outbox_message(1, "s-1", 10))?;
            w.put_outbox(outbox_message(3, "s-1", 30))
        })
        .unwrap();
    store
        .write(|w| {
            // A stream rewritten twice: running → failed → completed.
            let mut info = w.stream("s-1")?.unwrap();
            info.status = StreamStatus::Failed;
            w.append(&mut info, 1, vec![event("Rejected", None, None)], T0)?;
            let mut seen = w.stream("s-1")?.unwrap();
            assert_eq!((seen.version, seen.status), (2, StreamStatus::Failed));
            seen.status = StreamStatus::Completed;
            w.append(&mut seen, 2, vec![event("Closed", None, None)], T0)?;
            let mut new = stream("s-2", "order");
            w.append(&mut new, 0, vec![event("Placed", None, None)], T0)?;

            // New messages come due with stored ones, in due order. Taken
            // out for delivery: two of them delivered, one put back by a retry.
            w.put_outbox(outbox_message(2, "s-1", 20))?;
            w.put_outbox(outbox_message(4, "s-2", 5))?;
            let taken = w.take_due_outbox(T0 + time::Duration::minutes(25), 10)?;
            let ids: Vec<u128> = taken.iter().map(|m| m.id.as_u128()).collect();
            assert_eq!(ids, [4, 1, 2]);
            assert!(w.outbox_message(Uuid::from_u128(1))?.is_none(), "taken out");
            let mut retried = taken.into_iter().nth(1).unwrap();
            retried.due_at = T0 + time::Duration::minutes(40);
            retried.attempts = 1;
            w.put_outbox(retried)?;

            w.record_inbox("dedup-1", 7)?;
            assert_eq!(w.inbox("dedup-1")?, Some(7));
            Ok::<_, StoreError>(())
        })
        .unwrap();

    let reader = store.read().unwrap();
    let outbox = reader.outbox(None, 10).unwrap().items;
    let stored: Vec<(u128, u32)> = outbox
        .iter()
        .map(|m| (m.id.as_u128(), m.attempts))
        .collect();
    assert_eq!(stored, [(3, 0), (1, 1)], "due order after the retry");
    let s1 = reader.stream("s-1").unwrap().unwrap();
    assert_eq!((s1.version, s1.status), (3, StreamStatus::Completed));
    let summary = Summary::read(&reader, T0).unwrap();
    assert_eq!(summary.outbox.pending, 2);
    assert_eq!(summary.streams.total, 2);
    assert_eq!(
        summary
            .streams
            .by_status
            .get("failed")
            .copied()
            .unwrap_or(0),
        0
    );
    assert_eq!(summary.streams.by_status["completed"], 1);
    assert_eq!(summary.streams.by_status["running"], 1);
    assert_eq!(summary.variants, 2);
    store
        .write(|w| {
            assert_eq!(w.inbox("dedup-1")?, Some(7));
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let reader = store.read().unwrap();
    assert!(check(&reader, |_, _| true).unwrap().unwrap().is_ok());
}

/// Queue records rescheduled, removed and taken in one transaction come due
/// once, at their last time, with the stored ones, however the takes are
/// cut by `limit`.
#[test]
fn queue_records_rescheduled_and_taken_in_small_bites_come_due_once_in_order() {
    let (_dir, store) = new_store();
    store
        .write(|w| {
            w.put_outbox(outbox_message(1, "s-1", 10))?;
            w.put_outbox(outbox_message(3, "s-1", 30))
        })
        .unwrap();
    let ids = |messages: Vec<OutboxMessage>| -> Vec<u128> {
        messages.iter().map(|m| m.id.as_u128()).collect()
    };
    let later = T0 + time::Duration::hours(1);
    store
        .write(|w| {
            w.put_outbox(outbox_message(2, "s-1", 20))?;
            w.put_outbox(outbox_message(4, "s-1", 5))?;
            // Rescheduled away and back: one entry, at its last time.
            w.put_outbox(outbox_message(5, "s-1", 12))?;
            w.put_outbox(outbox_message(5, "s-1", 35))?;
            w.put_outbox(outbox_message(5, "s-1", 12))?;
            // Removed and added again later.
            w.remove_outbox(Uuid::from_u128(4))?;
            w.put_outbox(outbox_message(4, "s-1", 25))?;
            // Removed for good.
            w.put_outbox(outbox_message(6, "s-1", 1))?;
            w.remove_outbox(Uuid::from_u128(6))?;

            // The stored 1 comes before the new 5, which stays for the next take.
            assert_eq!(ids(w.take_due_outbox(later, 1)?), [1]);
            assert_eq!(ids(w.take_due_outbox(later, 2)?), [5, 2]);
            assert_eq!(ids(w.take_due_outbox(later, 2)?), [4, 3]);
            assert_eq!(ids(w.take_due_outbox(later, 2)?), Vec::<u128>::new());
            w.put_outbox(outbox_message(7, "s-1", 50))?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let reader = store.read().unwrap();
    assert_eq!(ids(reader.outbox(None, 10).unwrap().items), [7]);
    assert_eq!(Summary::read(&reader, T0).unwrap().outbox.pending, 1);
    assert!(check(&reader, |_, _| true).unwrap().unwrap().is_ok());
}

/// A transaction reads each of its events, and a repeated event id fails
/// it whole.
#[test]
fn a_transaction_reads_its_own_events_and_a_repeated_event_id_fails_it_whole() {
    let (_dir, store) = new_store();
    let conversation = Uuid::now_v7();
    let first_id = store
        .write(|w| {
            let mut info = stream("s-1", "order");
            let events = (0..1200)
                .map(|n| event(&format!("Step{n}"), None, Some(conversation)))
                .collect();
            let stored = w.append(&mut info, 0, events, T0)?;
            let first = w.event_by_id(stored[0].event_id)?.unwrap();
            assert_eq!((first.version, first.event_type.as_str()), (1, "Step0"));
            let last = w.event_by_id(stored[1199].event_id)?.unwrap();
            assert_eq!(last.version, 1200);
            assert_eq!(w.stream("s-1")?.unwrap().version, 1200);
            let mut versions = Vec::new();
            w.visit_stream_event_bytes::<StoreError>("s-1", 1, 1200, |version, _| {
                versions.push(version);
                Ok(())
            })?;
            assert_eq!(versions, (1..=1200).collect::<Vec<u64>>());
            Ok::<_, StoreError>(stored[0].event_id)
        })
        .unwrap();
    let generation = store.generation().unwrap();

    let error = store
        .write(|w| {
            let mut other = stream("s-2", "order");
            let repeated = NewEvent {
                event_id: Some(first_id),
                ..event("Copied", None, None)
            };
            w.append(&mut other, 0, vec![repeated], T0)
        })
        .unwrap_err();
    assert!(
        error.to_string().contains("already in the store"),
        "{error}"
    );
    assert_eq!(
        store.generation().unwrap(),
        generation,
        "nothing was written"
    );
    let reader = store.read().unwrap();
    assert!(reader.stream("s-2").unwrap().is_none());
    assert_eq!(reader.log(1, 2000).unwrap().len(), 1200);
    assert_eq!(
        reader.correlated(conversation, 0, 2000).unwrap().len(),
        1200
    );
    assert!(check(&reader, |_, _| true).unwrap().unwrap().is_ok());
}

#[test]
fn events_appended_one_at_a_time_and_in_batches_to_one_stream_keep_their_order() {
    let (_dir, store) = new_store();
    store
        .write(|w| {
            let mut info = stream("s-1", "order");
            w.append(&mut info, 0, vec![event("Placed", None, None)], T0)?;
            w.append(&mut info, 1, vec![event("Paid", None, None)], T0)?;
            let mut info = w.stream("s-1")?.unwrap();
            let more = vec![event("Packed", None, None), event("Shipped", None, None)];
            w.append(&mut info, 2, more, T0)?;
            let mut info = w.stream("s-1")?.unwrap();
            let delivered = w.append(&mut info, 4, vec![event("Delivered", None, None)], T0)?;
            let last = w.event_by_id(delivered[0].event_id)?.unwrap();
            assert_eq!((last.event_type.as_str(), last.version), ("Delivered", 5));
            let mut versions = Vec::new();
            w.visit_stream_event_bytes::<StoreError>("s-1", 1, 10, |version, _| {
                versions.push(version);
                Ok(())
            })?;
            assert_eq!(versions, [1, 2, 3, 4, 5]);
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let reader = store.read().unwrap();
    let types: Vec<String> = reader
        .stream_events("s-1", 1, 10)
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(types, ["Placed", "Paid", "Packed", "Shipped", "Delivered"]);
    assert!(check(&reader, |_, _| true).unwrap().unwrap().is_ok());
}

#[test]
fn streams_page_through_filters_in_id_order() {
    let (_dir, store) = new_store();
    store
        .write(|w| {
            for index in 0..50 {
                let process_type = if index % 2 == 0 { "even" } else { "odd" };
                let mut info = stream(&format!("s-{index:03}"), process_type);
                if index % 5 == 0 {
                    info.status = StreamStatus::Failed;
                }
                w.append(&mut info, 0, vec![event("E", None, None)], T0)?;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let reader = store.read().unwrap();
    let all = |filter: &StreamFilter| -> Vec<String> {
        let mut ids = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = reader.streams(filter, after.as_deref(), 7).unwrap();
            ids.extend(page.items.into_iter().map(|s| s.stream_id));
            match page.next {
                Some(next) => after = Some(next),
                None => return ids,
            }
        }
    };
    assert_eq!(all(&StreamFilter::default()).len(), 50);
    let even = all(&StreamFilter {
        process_type: Some("even".into()),
        ..Default::default()
    });
    assert_eq!(even.len(), 25);
    assert!(
        even.windows(2).all(|w| w[0] < w[1]),
        "merged runs stay in id order"
    );
    let failed = all(&StreamFilter {
        status: Some(StreamStatus::Failed),
        ..Default::default()
    });
    assert_eq!(failed.len(), 10);
    let failed_even = all(&StreamFilter {
        process_type: Some("even".into()),
        status: Some(StreamStatus::Failed),
        ..Default::default()
    });
    assert_eq!(failed_even.len(), 5);
    let prefixed = all(&StreamFilter {
        id_prefix: Some("s-01".into()),
        ..Default::default()
    });
    assert_eq!(prefixed.len(), 10);
    let summary = Summary::read(&reader, T0).unwrap();
    assert_eq!(summary.streams.by_status["failed"], 10);
    assert_eq!(summary.streams.by_type["odd"], 25);
    assert_eq!(summary.variants, 1);
}

#[test]
fn read_only_open_shares_the_file_and_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    drop(Store::create(&path).unwrap());
    let first = Store::open(&path).unwrap();
    let second = Store::open(&path).unwrap();
    assert!(!first.is_writable());
    assert!(matches!(
        first.write(|_| Ok::<_, StoreError>(())),
        Err(StoreError::ReadOnly)
    ));
    assert_eq!(
        second.read().unwrap().format_version().unwrap().as_deref(),
        Some("1")
    );
}

#[test]
fn every_bad_file_gets_its_own_error_and_stays_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let good = demo_store(dir.path(), 20);
    type Damage<'a> = Box<dyn Fn(&std::path::Path) + 'a>;
    let cases: Vec<(&str, Damage<'_>)> = vec![
        ("empty", Box::new(|p| std::fs::write(p, b"").unwrap())),
        (
            "text",
            Box::new(|p| std::fs::write(p, "just some text\n".repeat(500)).unwrap()),
        ),
        (
            "random",
            Box::new(|p| {
                let bytes: Vec<u8> = (0..65536u32)
                    .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                    .collect();
                std::fs::write(p, bytes).unwrap()
            }),
        ),
        (
            "truncated",
            Box::new(|p| {
                let bytes = std::fs::read(dir.path().join("demo.redb")).unwrap();
                std::fs::write(p, &bytes[..bytes.len() / 3]).unwrap()
            }),
        ),
        (
            "foreign redb",
            Box::new(|p| {
                let db = redb::Database::create(p).unwrap();
                let tx = db.begin_write().unwrap();
                tx.open_table(redb::TableDefinition::<&str, &str>::new("something_else"))
                    .unwrap()
                    .insert("k", "v")
                    .unwrap();
                tx.commit().unwrap();
            }),
        ),
        (
            "newer format",
            Box::new(|p| {
                std::fs::copy(dir.path().join("demo.redb"), p).unwrap();
                let db = redb::Database::open(p).unwrap();
                let tx = db.begin_write().unwrap();
                tx.open_table(schema::META)
                    .unwrap()
                    .insert(schema::META_FORMAT_VERSION, "2")
                    .unwrap();
                tx.commit().unwrap();
            }),
        ),
    ];
    for (name, make) in cases {
        let path = dir.path().join(format!("{}.redb", name.replace(' ', "-")));
        make(&path);
        let before = bytes_of(&path);
        let error = Store::open(&path)
            .err()
            .unwrap_or_else(|| panic!("{name} opened"));
        let expected = match name {
            "empty" => matches!(error, OpenError::Empty(_)),
            "text" | "random" => matches!(error, OpenError::NotRedb(_) | OpenError::Corrupt { .. }),
            "truncated" => matches!(
                error,
                OpenError::Corrupt { .. } | OpenError::NotRedb(_) | OpenError::NeedsRepair(_)
            ),
            "foreign redb" => matches!(error, OpenError::NotAStore(_)),
            "newer format" => matches!(error, OpenError::NewerFormat { .. }),
            _ => false,
        };
        assert!(expected, "{name}: unexpected error {error}");
        assert!(
            Store::open_writable(&path).is_err(),
            "{name} must not open for writing either"
        );
        assert!(bytes_of(&path) == before, "{name}: the file was modified");
    }
    assert!(matches!(
        Store::open(dir.path().join("missing.redb")),
        Err(OpenError::Missing(_))
    ));
    assert!(matches!(
        Store::open(dir.path()),
        Err(OpenError::Directory(_))
    ));

    // Held for writing by another open file description: redb's lock (flock)
    // belongs to the open file, so this process's second open finds it locked,
    // as another process's would.
    let holder = Store::open_writable(&good).unwrap();
    let before = bytes_of(&good);
    assert!(
        matches!(Store::open(&good), Err(OpenError::Locked(_))),
        "a store held for writing elsewhere is locked"
    );
    assert!(
        matches!(Store::open_writable(&good), Err(OpenError::Locked(_))),
        "and cannot be opened for writing either"
    );
    assert!(bytes_of(&good) == before, "the locked file was modified");
    // Its bytes while held are what a writer that crashed leaves: the copy
    // needs repair, which only an explicit repair does.
    let crashed = dir.path().join("crashed.redb");
    std::fs::copy(&good, &crashed).unwrap();
    drop(holder);
    assert!(
        matches!(Store::open(&crashed), Err(OpenError::NeedsRepair(_))),
        "a store left open by a writer needs repair"
    );
    Store::repair(&crashed, "test", time::OffsetDateTime::now_utc()).unwrap();
    assert!(Store::open(&crashed).is_ok());
    assert!(Store::open(&good).is_ok(), "a store closed cleanly opens");
}

/// Opens the raw redb file and lets `damage` change one table behind the store's back.
fn damage(path: &std::path::Path, damage: impl FnOnce(&redb::WriteTransaction)) {
    let db = redb::Database::open(path).unwrap();
    let tx = db.begin_write().unwrap();
    damage(&tx);
    tx.commit().unwrap();
}

#[test]
fn the_check_reports_each_index_corrupted_on_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let pristine = demo_store(dir.path(), 30);
    {
        let store = Store::open(&pristine).unwrap();
        assert!(
            check(&store.read().unwrap(), |_, _| true)
                .unwrap()
                .unwrap()
                .is_ok()
        );
    }
    type Damage = Box<dyn Fn(&redb::WriteTransaction)>;
    let first_key = |tx: &redb::WriteTransaction| -> u128 {
        tx.open_table(schema::EVENT_IDS)
            .unwrap()
            .first()
            .unwrap()
            .unwrap()
            .0
            .value()
    };
    let cases: Vec<(&str, Damage)> = vec![
        (
            "event_ids",
            Box::new(move |tx| {
                let key = first_key(tx);
                tx.open_table(schema::EVENT_IDS)
                    .unwrap()
                    .remove(key)
                    .unwrap();
            }),
        ),
        (
            "stream_events",
            Box::new(|tx| {
                let mut table = tx.open_table(schema::STREAM_EVENTS).unwrap();
                let key = table.first().unwrap().unwrap().0.value().0.to_string();
                table.remove((key.as_str(), 1u64)).unwrap();
            }),
        ),
        (
            "caused_by",
            Box::new(|tx| {
                tx.open_table(schema::CAUSED_BY)
                    .unwrap()
                    .insert((1u128, 2u128), ())
                    .unwrap();
            }),
        ),
        (
            "correlated",
            Box::new(|tx| {
                let mut table = tx.open_table(schema::CORRELATED).unwrap();
                let key = table.first().unwrap().unwrap().0.value();
                table.remove(key).unwrap();
            }),
        ),
        (
            "streams_by_type",
            Box::new(|tx| {
                let mut table = tx.open_table(schema::STREAMS_BY_TYPE).unwrap();
                let (a, b, c) = {
                    let first = table.first().unwrap().unwrap();
                    let (a, b, c) = first.0.value();
                    (a.to_string(), b.to_string(), c.to_string())
                };
                table.remove((a.as_str(), b.as_str(), c.as_str())).unwrap();
            }),
        ),
        (
            "streams_by_status",
            Box::new(|tx| {
                tx.open_table(schema::STREAMS_BY_STATUS)
                    .unwrap()
                    .insert(("running", "no-such-stream"), ())
                    .unwrap();
            }),
        ),
        (
            "variants",
            Box::new(|tx| {
                tx.open_table(schema::VARIANTS)
                    .unwrap()
                    .insert(42u128, 1u64)
                    .unwrap();
            }),
        ),
        (
            "outbox_due",
            Box::new(|tx| {
                tx.open_table(schema::OUTBOX_DUE)
                    .unwrap()
                    .insert((0i64, 7u128), ())
                    .unwrap();
            }),
        ),
        (
            "deadlines_due",
            Box::new(|tx| {
                let mut table = tx.open_table(schema::DEADLINES_DUE).unwrap();
                let key = table.first().unwrap().unwrap().0.value();
                table.remove(key).unwrap();
            }),
        ),
        (
            "dead_letters_by_time",
            Box::new(|tx| {
                let mut table = tx.open_table(schema::DEAD_LETTERS_BY_TIME).unwrap();
                let key = table.first().unwrap().unwrap().0.value();
                table.remove(key).unwrap();
            }),
        ),
        (
            "dead_letters_by_reason",
            Box::new(|tx| {
                tx.open_table(schema::DEAD_LETTERS_BY_REASON)
                    .unwrap()
                    .insert(("made_up", 0i64, 9u128), ())
                    .unwrap();
            }),
        ),
        (
            "counters",
            Box::new(|tx| {
                tx.open_table(schema::COUNTERS)
                    .unwrap()
                    .insert("events.total", 1u64)
                    .unwrap();
            }),
        ),
        (
            "events",
            Box::new(|tx| {
                tx.open_table(schema::EVENTS)
                    .unwrap()
                    .insert(1u64, b"{not json".as_slice())
                    .unwrap();
            }),
        ),
        (
            "streams",
            Box::new(|tx| {
                let mut table = tx.open_table(schema::STREAMS).unwrap();
                let (key, mut info) = {
                    let first = table.first().unwrap().unwrap();
                    (
                        first.0.value().to_string(),
                        serde_json::from_slice::<Value>(first.1.value()).unwrap(),
                    )
                };
                info["version"] = json!(999);
                table
                    .insert(key.as_str(), serde_json::to_vec(&info).unwrap().as_slice())
                    .unwrap();
            }),
        ),
    ];
    for (area, corrupt) in cases {
        let path = dir.path().join(format!("broken-{area}.redb"));
        std::fs::copy(&pristine, &path).unwrap();
        damage(&path, |tx| corrupt(tx));
        let store = Store::open(&path).unwrap();
        let report = check(&store.read().unwrap(), |_, _| true).unwrap().unwrap();
        assert!(!report.is_ok(), "{area}: damage not found");
        assert!(
            report
                .violations
                .iter()
                .any(|v| v.area.starts_with(area) || (area == "events" && v.area == "events")),
            "{area}: reported as {:?}",
            report.violations
        );
    }
}
