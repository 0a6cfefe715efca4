//! Helpers shared by the integration tests: small stores built through the
//! engine, a process holding a store's lock, file hashing.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

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

/// A child process (this test binary, re-run) that holds `path` open for
/// writing until dropped.
pub struct LockHolder(Child);

impl LockHolder {
    pub fn hold(path: &Path, test_name: &str) -> LockHolder {
        let mut child = Command::new(std::env::current_exe().expect("exe"))
            .args(["--exact", test_name, "--nocapture", "--test-threads=1"])
            .env("PW_HOLD_LOCK", path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn lock holder");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.contains("LOCKED") => break,
                Some(Ok(_)) => continue,
                _ => panic!("lock holder did not start"),
            }
        }
        LockHolder(child)
    }
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The body of the lock-holding child: call from a `#[test]` named as given to
/// [`LockHolder::hold`]. Does nothing unless run as the child.
pub fn lock_holder_child() {
    let Ok(path) = std::env::var("PW_HOLD_LOCK") else {
        return;
    };
    let _store = Store::open_writable(&path).expect("hold");
    println!("LOCKED");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    std::thread::sleep(std::time::Duration::from_secs(120));
}
