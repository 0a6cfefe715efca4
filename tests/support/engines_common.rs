//! Shared helpers of the engine import tests: a fingerprint of a directory
//! (every file's bytes and modification time), the CLI, the integrity check.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

use process_workbench_core::store::StoreReader;

/// Every file under `path` (or `path` itself) with its bytes and modification time.
pub fn fingerprint(path: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    let mut found = BTreeMap::new();
    collect(path, &mut found);
    found
}

fn collect(path: &Path, found: &mut BTreeMap<PathBuf, (Vec<u8>, SystemTime)>) {
    let metadata = std::fs::metadata(path).expect("metadata");
    if metadata.is_dir() {
        for entry in std::fs::read_dir(path).expect("read dir") {
            collect(&entry.expect("entry").path(), found);
        }
    } else {
        let bytes = std::fs::read(path).expect("read file");
        let modified = metadata.modified().expect("mtime");
        found.insert(path.to_path_buf(), (bytes, modified));
    }
}

/// Runs the CLI.
pub fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_process-workbench"))
        .args(args)
        .output()
        .expect("run the CLI")
}

/// A path as a CLI argument.
pub fn path(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Runs the integrity check and fails the test on any violation.
pub fn assert_clean(reader: &StoreReader) {
    let report = process_workbench_core::store::check::check(reader, |_, _| true)
        .expect("check runs")
        .expect("not cancelled");
    assert!(report.is_ok(), "{:?}", report.violations);
}

/// Writes mako-engine stores with mako-engine's own API.
#[cfg(feature = "mako")]
pub mod mako_writer {
    use mako_engine::dead_letter::{AuditContext, DeadLetterReason, DeadLetterSink};
    use mako_engine::deadline::{Deadline, DeadlineStore};
    use mako_engine::envelope::NewEvent;
    use mako_engine::event_store::{
        AppendBatch, AtomicAppend, CorrelationEntry, EventStore, ExpectedVersion,
    };
    use mako_engine::ids::{
        CausationId, ConversationId, CorrelationId, ProcessId, ProcessIdentity, StreamId, TenantId,
    };
    use mako_engine::outbox::{OutboxStore, PendingOutbox};
    use mako_engine::projection::{GlobalProjectionCheckpoint, ProjectionCheckpointStore};
    use mako_engine::registry::{ProcessRegistry, RegistryKey};
    use mako_engine::snapshot::{Snapshot, SnapshotStore};
    use mako_engine::store_slatedb::SlateDbStore;
    use mako_engine::version::WorkflowId;
    use serde_json::json;
    use time::macros::datetime;

    pub fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    /// What mako-engine itself reports about a store.
    #[derive(Debug, PartialEq)]
    pub struct EngineCounts {
        pub streams: u64,
        pub events: u64,
        pub outbox: u64,
        pub deadlines: u64,
        pub dead_letters: u64,
    }

    /// The ids of a few written things, to look them up after the import.
    pub struct Written {
        pub caused_event: mako_engine::envelope::EventEnvelope,
        pub counts: EngineCounts,
    }

    /// One process (stream) of a workflow: `count` events, the later ones caused
    /// by the one before, optionally caused by an event of another stream.
    pub fn process_events(
        tenant: TenantId,
        process: ProcessId,
        workflow: &WorkflowId,
        count: usize,
        first_cause: Option<CausationId>,
    ) -> Vec<NewEvent> {
        let correlation = CorrelationId::new();
        let conversation = ConversationId::new();
        (0..count)
            .map(|index| {
                NewEvent::new(
                    correlation,
                    if index == 0 { first_cause } else { None },
                    conversation,
                    process,
                    tenant,
                    workflow.clone(),
                    format!("Step{index}"),
                    1,
                    json!({ "step": index, "malo": "51238696781" }),
                )
            })
            .collect()
    }

    pub async fn write_store(dir: &std::path::Path) -> Written {
        let store = SlateDbStore::open_local(dir)
            .await
            .expect("open mako store");
        let tenant = TenantId::new();
        let lieferbeginn = WorkflowId::new("gpke.lieferbeginn", "FV2025-04-04");
        let abrechnung = WorkflowId::new("mabis.abrechnung", "FV2025-04-04");

        // A: three events, nothing else.
        let process_a = ProcessId::new();
        let stream_a = StreamId::for_process(tenant, &process_a);
        let events_a = process_events(tenant, process_a, &lieferbeginn, 3, None);
        let appended_a = store
            .append(AppendBatch::new(
                &stream_a,
                ExpectedVersion::NoStream,
                &events_a,
            ))
            .await
            .expect("append a");

        // B: two events with two outbox messages (one deferred), a deadline and a
        // correlation entry, in one append.
        let process_b = ProcessId::new();
        let stream_b = StreamId::for_process(tenant, &process_b);
        let events_b = process_events(tenant, process_b, &lieferbeginn, 2, None);
        let outbox = [
            PendingOutbox::new("UTILMD", "9900000000002", json!({ "answer": "ok" })),
            PendingOutbox::new("APERAK", "9900000000003", json!({ "ack": true }))
                .caused_by(1)
                .with_deliver_after(datetime!(2030-01-01 0:00 UTC)),
        ];
        let deadlines = [Deadline::new(
            stream_b.clone(),
            process_b,
            tenant,
            lieferbeginn.clone(),
            "AntwortFristAbgelaufen",
            datetime!(2030-02-01 12:00 UTC),
        )];
        let identity_b = ProcessIdentity::new(process_b, tenant, lieferbeginn.clone());
        let correlations = [CorrelationEntry {
            tenant_id: tenant,
            tag: "malo-51238696781".to_string(),
            process_id: process_b,
            identity: identity_b.clone(),
        }];
        store
            .append(
                AppendBatch::new(&stream_b, ExpectedVersion::NoStream, &events_b)
                    .outbox(&outbox)
                    .deadlines(&deadlines)
                    .correlations(&correlations),
            )
            .await
            .expect("append b");
        // B again: one more event, expected version 2.
        let more_b = process_events(tenant, process_b, &lieferbeginn, 1, None);
        store
            .append(AppendBatch::new(
                &stream_b,
                ExpectedVersion::Exact(2),
                &more_b,
            ))
            .await
            .expect("append b again");

        // C: caused by A's last event (across streams), another workflow, a
        // deadline registered on its own.
        let process_c = ProcessId::new();
        let stream_c = StreamId::for_process(tenant, &process_c);
        let cause = CausationId::from(appended_a.events[2].event_id);
        let events_c = process_events(tenant, process_c, &abrechnung, 2, Some(cause));
        let appended_c = store
            .append(AppendBatch::new(
                &stream_c,
                ExpectedVersion::NoStream,
                &events_c,
            ))
            .await
            .expect("append c");
        store
            .as_deadline_store()
            .register(&Deadline::new(
                stream_c.clone(),
                process_c,
                tenant,
                abrechnung.clone(),
                "RechnungFaellig",
                datetime!(2020-01-01 0:00 UTC),
            ))
            .await
            .expect("deadline");

        // Registry entry and snapshot of B.
        store
            .as_process_registry()
            .register(tenant, &RegistryKey::from_process(process_b), identity_b)
            .await
            .expect("register");
        store
            .as_snapshot_store()
            .save(&Snapshot::new(
                stream_b.clone(),
                2,
                1,
                json!({ "state": "Angemeldet" }),
            ))
            .await
            .expect("snapshot");

        // A projection's cursors over A and B.
        let mut checkpoint = GlobalProjectionCheckpoint::new();
        checkpoint.advance(&stream_a, 3);
        checkpoint.advance(&stream_b, 2);
        store
            .save_projection_checkpoint("lieferstellen", &checkpoint)
            .await
            .expect("projection checkpoint");

        // Dead letters through the engine's durable dead-letter sink.
        let sink = store.as_dead_letter_sink();
        sink.reject(&DeadLetterReason::UnknownConversation {
            conversation_id: "CONV-404".to_string(),
            context: AuditContext::now(),
        })
        .await
        .expect("dead letter 1");
        sink.reject(&DeadLetterReason::VersionMismatch {
            expected: "FV2025-04-04".to_string(),
            received: "FV2023-10-01".to_string(),
            context: AuditContext::now(),
        })
        .await
        .expect("dead letter 2");

        let counts = engine_counts(&store).await;
        store.close().await.expect("close");
        Written {
            caused_event: appended_c.events[0].clone(),
            counts,
        }
    }

    /// Counts through mako-engine's read API.
    pub async fn engine_counts(store: &SlateDbStore) -> EngineCounts {
        let streams = store.list_streams(None).await.expect("streams");
        let mut events = 0;
        for stream in &streams {
            events += store.load(stream).await.expect("load").len() as u64;
        }
        EngineCounts {
            streams: streams.len() as u64,
            events,
            outbox: OutboxStore::len(store).await.expect("outbox") as u64,
            deadlines: store.as_deadline_store().len().await.expect("deadlines") as u64,
            dead_letters: store
                .list_dead_letters(usize::MAX)
                .await
                .expect("dlq")
                .len() as u64,
        }
    }
}

/// Writes batpak stores with batpak's own API.
#[cfg(feature = "batpak")]
pub mod batpak_writer {
    use std::collections::HashMap;
    use std::path::Path;

    use batpak::coordinate::Coordinate;
    use batpak::event::EventKind;
    use batpak::store::{Store as Batpak, StoreConfig};
    use serde_json::json;

    pub const ORDER_PLACED: EventKind = EventKind::custom(1, 1);
    pub const ORDER_PAID: EventKind = EventKind::custom(1, 2);
    pub const ORDER_SHIPPED: EventKind = EventKind::custom(1, 3);
    pub const PAYMENT_TAKEN: EventKind = EventKind::custom(2, 1);
    pub const PAYMENT_SETTLED: EventKind = EventKind::custom(2, 2);
    pub const SHIPMENT_BOOKED: EventKind = EventKind::custom(3, 1);

    /// Ids of the events written, by name.
    pub type Written = HashMap<&'static str, u128>;

    /// Three entities in two scopes; the payment reacts to the order, the
    /// shipment to the payment, the order's last event to the shipment.
    pub fn write_store(dir: &Path) -> Written {
        let store = Batpak::open(StoreConfig::new(dir)).expect("open batpak store");
        let order = Coordinate::new("order:17", "shop").expect("coordinate");
        let payment = Coordinate::new("payment:17", "shop").expect("coordinate");
        let shipment = Coordinate::new("shipment:17", "logistics").expect("coordinate");
        let mut ids = Written::new();
        let placed = store
            .append(&order, ORDER_PLACED, &json!({ "order": 17, "total": 99.5 }))
            .expect("append");
        ids.insert("placed", placed.event_id);
        let paid = store
            // The same payload as the shipped order below: batpak's event hash
            // covers the content only, so both have the same hash.
            .append(&order, ORDER_PAID, &json!({ "order": 17 }))
            .expect("append");
        ids.insert("paid", paid.event_id);
        let taken = store
            .append_reaction(
                &payment,
                PAYMENT_TAKEN,
                &json!({ "amount": 99.5 }),
                placed.event_id,
                paid.event_id,
            )
            .expect("reaction");
        ids.insert("taken", taken.event_id);
        let settled = store
            .append(&payment, PAYMENT_SETTLED, &json!({ "settled": true }))
            .expect("append");
        ids.insert("settled", settled.event_id);
        let booked = store
            .append_reaction(
                &shipment,
                SHIPMENT_BOOKED,
                &json!({ "carrier": "DHL" }),
                placed.event_id,
                settled.event_id,
            )
            .expect("reaction");
        ids.insert("booked", booked.event_id);
        let shipped = store
            .append_reaction(
                &order,
                ORDER_SHIPPED,
                &json!({ "order": 17 }),
                placed.event_id,
                booked.event_id,
            )
            .expect("reaction");
        ids.insert("shipped", shipped.event_id);
        store.close().expect("close");
        ids
    }
}
