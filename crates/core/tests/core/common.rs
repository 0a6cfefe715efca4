//! Helpers shared by the integration tests: small stores built through the
//! engine, file hashing, the report of a test that could not run.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use process_workbench_core::demo::{self, DemoOptions};
use process_workbench_core::engine::{Definition, Engine, InboundMessage};
use process_workbench_core::store::Store;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

/// The clock the engine tests run on.
pub const T0: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

/// A demo store of `processes` processes in `dir`.
pub fn demo_store(dir: &Path, processes: u64) -> PathBuf {
    let path = dir.join("demo.redb");
    demo::generate(&path, DemoOptions { processes, seed: 7 }, |_, _| true).expect("demo");
    path
}

/// A small definition: order → (confirm | reject) with a deadline and an outbound message.
pub fn order_definition() -> Definition {
    Definition::from_json(&json!({
        "process_type": "order",
        "stream_prefix": "order",
        "states": ["new", "placed", "confirmed", "rejected", "failed"],
        "initial": "new",
        "terminal": ["confirmed", "rejected"],
        "failed": ["failed"],
        "transitions": [
            {"from": "new", "on": "OrderPlaced", "to": "placed", "require": ["customer", "partner"],
             "emit": [{"message_type": "OrderRequest", "recipient": "$partner"}],
             "deadline": {"after": 3600, "on_expiry": "ConfirmationOverdue"}},
            {"from": "placed", "on": "OrderConfirmed", "to": "confirmed", "require": ["confirmation"],
             "start": [{"process_type": "shipment", "message_type": "ShipmentRequested", "fields": ["customer"]}]},
            {"from": "placed", "on": "OrderRejected", "to": "rejected"},
            {"from": "*", "on": "ConfirmationOverdue", "to": "failed"},
            {"from": "*", "on": "DeliveryFailed", "to": "failed"}
        ]
    }))
    .expect("definition")
}

/// The process the order starts in another stream.
pub fn shipment_definition() -> Definition {
    Definition::from_json(&json!({
        "process_type": "shipment",
        "stream_prefix": "shipment",
        "states": ["new", "requested", "shipped"],
        "initial": "new",
        "terminal": ["shipped"],
        "transitions": [
            {"from": "new", "on": "ShipmentRequested", "to": "requested"},
            {"from": "requested", "on": "Shipped", "to": "shipped"}
        ]
    }))
    .expect("definition")
}

/// A new writable store with the order and shipment definitions, and its engine.
pub fn order_store(dir: &Path) -> (Store, Engine) {
    let store = Store::create(dir.join("orders.redb")).expect("create");
    let mut engine = Engine::load(&store).expect("engine");
    engine
        .install_definition(&store, order_definition())
        .expect("install");
    engine
        .install_definition(&store, shipment_definition())
        .expect("install");
    (store, engine)
}

/// An inbound message to a stream.
pub fn message(message_type: &str, stream_id: &str, payload: Value) -> InboundMessage {
    InboundMessage {
        message_id: Uuid::now_v7(),
        message_type: message_type.to_string(),
        process_type: Some("order".to_string()),
        stream_id: Some(stream_id.to_string()),
        correlation_key: None,
        dedup_key: None,
        sender: Some("test".to_string()),
        causation_id: None,
        correlation_id: None,
        payload,
        received_at: T0,
        metadata: Value::Null,
    }
}

/// The bytes of a file, to compare before and after.
pub fn bytes_of(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

/// Reports that `test` (or a part of it) could not run, and why: a line
/// `SKIPPED: <test>: <why>` on stderr, written past the test harness's output
/// capture so that it shows for a test that passes. `.ci/test.sh` counts these
/// lines, lists them at the end, and fails when `CI_REQUIRE_ALL=1`.
pub fn report_skipped(test: &str, why: &str) {
    use std::io::Write;
    // `eprintln!` would be captured (and shown only on failure); a write to
    // the stderr handle is not. A line of its own, whatever the harness printed.
    let line = format!("\nSKIPPED: {test}: {why}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}
