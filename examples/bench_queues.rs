//! Queue speed (issue 6):
//! - grouping 100,000 dead letters into failure groups (the triage scan the
//!   dead letters view runs off the UI thread), with and without a JSONPath filter;
//! - bulk resubmit of 10,000 dead letters, each in its own write transaction
//!   through the engine's operator action (event + audit entry), made durable
//!   every 100 ms and at the end, in items per second; bulk discard for comparison.
//!
//! `cargo run --release --example bench_queues [DEAD_LETTERS] [BULK]`

/// The allocator of the `process-workbench` binary, so that figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use process_workbench_core::engine::{Definition, Engine, IdSource, InboundMessage, Operator};
use process_workbench_core::queues::{BulkAction, DeadLetterFilter, run_bulk, triage};
use process_workbench_core::store::{Durability, Store, StoreError};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

const T0: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);
const MESSAGE_TYPES: [&str; 8] = [
    "OrderPlaced",
    "OrderConfirmed",
    "OrderRejected",
    "ShipmentRequested",
    "InvoiceReceived",
    "MeterReadingReceived",
    "GridConfirmation",
    "ConnectionRequested",
];

fn order_definition() -> Definition {
    let json = json!({
        "process_type": "order",
        "stream_prefix": "order",
        "states": ["new", "placed", "confirmed", "rejected"],
        "initial": "new",
        "terminal": ["confirmed", "rejected"],
        "transitions": [
            {"from": "new", "on": "OrderPlaced", "to": "placed", "require": ["customer", "partner"],
             "emit": [{"message_type": "OrderRequest", "recipient": "$partner"}],
             "deadline": {"after": 3600, "on_expiry": "ConfirmationOverdue"}},
            {"from": "placed", "on": "OrderConfirmed", "to": "confirmed"},
            {"from": "placed", "on": "OrderRejected", "to": "rejected"}
        ]
    });
    match Definition::from_json(&json) {
        Ok(definition) => definition,
        Err(error) => panic!("the benchmark's definition is invalid: {error}"),
    }
}

fn message(index: u64, process_type: &str, message_type: &str, payload: Value) -> InboundMessage {
    InboundMessage {
        message_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | u128::from(index)),
        message_type: message_type.to_string(),
        process_type: Some(process_type.to_string()),
        stream_id: Some(format!("order-{index:07}")),
        correlation_key: None,
        dedup_key: None,
        sender: Some("bench".to_string()),
        causation_id: None,
        correlation_id: None,
        payload,
        received_at: T0 + time::Duration::seconds(index as i64),
        metadata: Value::Null,
    }
}

/// Dead-letters `count` messages made by `make`, 10,000 per transaction.
fn fill(
    store: &Store,
    engine: &mut Engine,
    count: u64,
    make: impl Fn(u64) -> InboundMessage,
) -> Result<(), StoreError> {
    let mut index = 0;
    while index < count {
        let end = (index + 10_000).min(count);
        store.write_with(Durability::None, |writer| {
            for n in index..end {
                let at = T0 + time::Duration::seconds(n as i64);
                engine.dispatch_in(writer, make(n), at)?;
            }
            Ok::<(), StoreError>(())
        })?;
        index = end;
    }
    store.write(|_| Ok::<(), StoreError>(()))
}

fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let letters: u64 = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let bulk: u64 = args.next().map_or(Ok(10_000), |a| a.parse())?;
    let dir = tempfile::tempdir()?;

    // ----- grouping ------------------------------------------------------------------
    let store = Store::create(dir.path().join("groups.redb"))?;
    let mut engine = Engine::load(&store)?.with_ids(IdSource::seeded(1));
    engine.install_definition(&store, order_definition())?;
    let started = Instant::now();
    fill(&store, &mut engine, letters, |n| {
        let message_type = MESSAGE_TYPES[(n % 8) as usize];
        match n % 3 {
            // No partner: missing_field (OrderPlaced) or transition_not_allowed.
            0 => message(
                n,
                "order",
                message_type,
                json!({"customer": format!("C-{n}"), "amount": n % 1000}),
            ),
            // A process nobody defined: unknown_process.
            1 => message(n, "billing", message_type, json!({"amount": n % 1000})),
            _ => message(n, "order", "OrderConfirmed", json!({"confirmation": n})),
        }
    })?;
    println!(
        "made {letters} dead letters in {:.2} s",
        seconds(started.elapsed())
    );
    let reader = store.read()?;
    let mut best = Duration::MAX;
    let mut groups = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let result = triage(&reader, &DeadLetterFilter::default(), &|| false)?;
        best = best.min(started.elapsed());
        groups = result.groups.len();
        assert_eq!(result.rows.len() as u64, letters);
    }
    println!(
        "grouping {letters} dead letters into {groups} failure groups: {:.3} s (best of 3; goal <= 0.5 s)",
        seconds(best)
    );
    let filter = DeadLetterFilter {
        json_path: Some(DeadLetterFilter::parse_json_path("$[?@.amount > 500]")?),
        ..Default::default()
    };
    let started = Instant::now();
    let filtered = triage(&reader, &filter, &|| false)?;
    println!(
        "grouping with a JSONPath filter over the original messages ({} match): {:.3} s",
        filtered.rows.len(),
        seconds(started.elapsed())
    );
    drop(reader);
    drop(store);

    // ----- bulk resubmit ---------------------------------------------------------------
    // Orders that arrived before their definition was installed: unknown_process
    // dead letters that a resubmission takes in (stream, event, outbox message, deadline).
    let store = Store::create(dir.path().join("bulk.redb"))?;
    let mut engine = Engine::load(&store)?.with_ids(IdSource::seeded(2));
    fill(&store, &mut engine, bulk * 2, |n| {
        message(
            n,
            "order",
            "OrderPlaced",
            json!({"customer": format!("C-{n}"), "partner": "P-7"}),
        )
    })?;
    engine.install_definition(&store, order_definition())?;
    let mut ids = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.read()?.dead_letters(cursor, 4096)?;
        ids.extend(page.items.iter().map(|letter| letter.id));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let (resubmit_ids, discard_ids) = ids.split_at(bulk as usize);
    let operator = Operator::named("bench");
    for (action, ids) in [
        (BulkAction::Resubmit, resubmit_ids),
        (BulkAction::Discard, discard_ids),
    ] {
        let mut reports = 0u64;
        let started = Instant::now();
        let summary = run_bulk(
            &mut engine,
            &store,
            action,
            ids,
            &operator,
            "bench",
            T0,
            &mut |_, _| reports += 1,
            &|| false,
        );
        let elapsed = started.elapsed();
        assert_eq!(summary.done, ids.len() as u64, "{summary:?}");
        println!(
            "bulk {} of {} dead letters, one transaction each (durable every 100 ms): {:.2} s, {:.0} items/s ({} progress reports){}",
            action.verb(),
            ids.len(),
            seconds(elapsed),
            ids.len() as f64 / seconds(elapsed),
            reports,
            if action == BulkAction::Resubmit {
                " (goal >= 1,000 items/s)"
            } else {
                ""
            }
        );
    }
    Ok(())
}
