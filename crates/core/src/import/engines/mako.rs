//! mako-engine stores: a SlateDB database on the local filesystem, read with
//! `slatedb` and decoded with `mako-engine`'s own record types along its
//! documented key schema (`mako_engine::store_slatedb`).
//!
//! Mapping, key by key (one scan of the whole key space, in key order; so
//! global positions follow the streams one after the other, as mako-engine
//! keeps no global order of its own):
//! - `e/{stream}/{seq}` → an event of `stream` (id, `timestamp` as occurrence and
//!   record time, correlation, causation, type, payload); sequence number,
//!   conversation, process, tenant, workflow and schema version go into the
//!   event's metadata; the stream's process type is the workflow's name.
//! - `om/` → outbox (due = `deliver_after`, else `created_at`; attempts =
//!   `attempt_count`); its other fields → stream metadata `mako_outbox`.
//! - `dl/` → deadlines (`label` becomes the expiry event type); process, tenant,
//!   workflow → stream metadata `mako_deadlines`.
//! - `dr/` → open inbound dead letters (reason label, detail; the id and time
//!   come from the key); mako-engine keeps no original message.
//! - `sn/` → stream metadata `mako_snapshot`; `pr/` → `mako_registry`; `ci/` →
//!   `mako_correlated`; `cp/{projection}/{stream}` → `mako_projection_cursors`;
//!   `sv/` → `mako_stream_version`.
//! - Not tied to a stream, into the store's `import.mako` meta record: inbox
//!   keys (`ib/`, with their receive time from `it/`), trading partners (`pt/`),
//!   counters (`_count/`), the number of index keys (`ot/`, `dt/`, `ds/`, `si/`,
//!   `it/`: derived data), and any key outside the schema, raw.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use mako_engine::deadline::Deadline as MakoDeadline;
use mako_engine::envelope::EventEnvelope;
use mako_engine::ids::ProcessIdentity;
use mako_engine::outbox::OutboxMessage as MakoOutbox;
use mako_engine::snapshot::Snapshot;
use mako_engine::store_slatedb::DeadLetterRecord;
use serde_json::{Value, json};
use slatedb::object_store::local::LocalFileSystem;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Item, Sink, Source};
use crate::engine::RetryPolicy;
use crate::import::ImportError;
use crate::store::{DeadLetter, DeadLetterStatus, Deadline, Direction, NewEvent, OutboxMessage};

/// The database's path inside the directory: `db` (mako-engine's
/// `SlateDbStore::open_local` layout) or the directory itself.
pub(super) fn database_path(dir: &Path) -> Option<&'static str> {
    if dir.join("db").join("manifest").is_dir() {
        Some("db")
    } else if dir.join("manifest").is_dir() {
        Some("")
    } else {
        None
    }
}

/// Reads every key of the store at `source.dir` into `sink`.
pub(super) fn read(source: &Source, sink: &mut Sink) -> Result<(), ImportError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| ImportError::Io {
            path: source.dir.clone(),
            source: error,
        })?;
    runtime.block_on(read_database(source, sink))
}

async fn read_database(source: &Source, sink: &mut Sink) -> Result<(), ImportError> {
    let Some(path) = database_path(&source.dir) else {
        return Err(source.invalid("not a mako-engine store: no SlateDB manifest in it"));
    };
    let local = LocalFileSystem::new_with_prefix(&source.dir)
        .map_err(|error| source.invalid(format!("cannot open the directory: {error}")))?;
    // The copy is opened as the only writer; no compaction or garbage
    // collection is wanted while it is read once.
    let settings = slatedb::Settings {
        compactor_options: None,
        garbage_collector_options: None,
        ..slatedb::Settings::default()
    };
    let db = slatedb::Db::builder(path, Arc::new(local))
        .with_settings(settings)
        .build()
        .await
        .map_err(|error| source.invalid(format!("SlateDB cannot open it: {error}")))?;
    let scanned = scan(&db, source, sink).await;
    let closed = db.close().await;
    scanned?;
    closed.map_err(|error| source.invalid(format!("SlateDB: {error}")))
}

async fn scan(db: &slatedb::Db, source: &Source, sink: &mut Sink) -> Result<(), ImportError> {
    let storage = |error: slatedb::Error| source.invalid(format!("SlateDB: {error}"));
    let mut iterator = db.scan::<std::ops::RangeFull>(..).await.map_err(storage)?;
    let mut index_keys: BTreeMap<&'static str, u64> = BTreeMap::new();
    while let Some(entry) = iterator.next().await.map_err(storage)? {
        let key = String::from_utf8_lossy(&entry.key);
        let value: &[u8] = &entry.value;
        let Some((prefix, rest)) = key.split_once('/') else {
            sink.send(raw_key(&key, value))?;
            continue;
        };
        let record = Record {
            source,
            key: &key,
            rest,
            value,
        };
        match prefix {
            "e" => sink.send(record.event()?)?,
            "om" => record.outbox(sink)?,
            "dl" => record.deadline(sink)?,
            "dr" => sink.send(record.dead_letter()?)?,
            "sn" => {
                let snapshot: Snapshot = record.decode()?;
                sink.send(Item::StreamMeta {
                    stream_id: snapshot.stream_id.as_str().to_string(),
                    section: "mako_snapshot",
                    entry: None,
                    value: record.json()?,
                })?;
            }
            "pr" | "ci" => {
                let identity: ProcessIdentity = record.decode()?;
                sink.send(Item::StreamMeta {
                    stream_id: identity.stream_id().as_str().to_string(),
                    section: if prefix == "pr" {
                        "mako_registry"
                    } else {
                        "mako_correlated"
                    },
                    entry: Some(rest.to_string()),
                    value: record.json()?,
                })?;
            }
            "cp" => {
                let Some((projection, stream_id)) = rest.split_once('/') else {
                    return Err(record.invalid("a projection cursor key is cp/{name}/{stream}"));
                };
                sink.send(Item::StreamMeta {
                    stream_id: stream_id.to_string(),
                    section: "mako_projection_cursors",
                    entry: Some(projection.to_string()),
                    value: json!(record.counter()?),
                })?;
            }
            "sv" => {
                sink.send(Item::StreamMeta {
                    stream_id: rest.to_string(),
                    section: "mako_stream_version",
                    entry: None,
                    value: json!(record.counter()?),
                })?;
                *index_keys.entry("sv").or_default() += 1;
            }
            "ib" => sink.send(Item::StoreMeta {
                section: "inbox",
                entry: Some(rest.to_string()),
                value: raw(value),
            })?,
            "it" => {
                let received = rest
                    .split_once('/')
                    .and_then(|(nanos, _)| key_time(nanos))
                    .map_or(Value::Null, |at| json!(crate::store::format_time(at)));
                sink.send(Item::StoreMeta {
                    section: "inbox_received",
                    entry: Some(String::from_utf8_lossy(value).into_owned()),
                    value: received,
                })?;
                *index_keys.entry("it").or_default() += 1;
            }
            "pt" => sink.send(Item::StoreMeta {
                section: "partners",
                entry: Some(rest.to_string()),
                value: raw(value),
            })?,
            "_count" => sink.send(Item::StoreMeta {
                section: "counters",
                entry: Some(rest.to_string()),
                value: json!(record.counter()?),
            })?,
            // Indexes mako-engine derives from the records above.
            "ot" => *index_keys.entry("ot").or_default() += 1,
            "dt" => *index_keys.entry("dt").or_default() += 1,
            "ds" => *index_keys.entry("ds").or_default() += 1,
            "si" => *index_keys.entry("si").or_default() += 1,
            _ => sink.send(raw_key(&key, value))?,
        }
    }
    for (prefix, count) in index_keys {
        sink.send(Item::StoreMeta {
            section: "index_keys",
            entry: Some(prefix.to_string()),
            value: json!(count),
        })?;
    }
    Ok(())
}

/// A key outside mako-engine's schema, kept as it is.
fn raw_key(key: &str, value: &[u8]) -> Item {
    Item::StoreMeta {
        section: "other_keys",
        entry: Some(key.to_string()),
        value: raw(value),
    }
}

/// A value as JSON when it is JSON, as text when it is UTF-8, else as hex.
fn raw(value: &[u8]) -> Value {
    if let Ok(parsed) = serde_json::from_slice::<Value>(value) {
        return parsed;
    }
    match std::str::from_utf8(value) {
        Ok(text) => Value::String(text.to_string()),
        Err(_) => {
            json!({ "hex": value.iter().map(|byte| format!("{byte:02x}")).collect::<String>() })
        }
    }
}

/// The time in a key's `{nanos:016x}` segment.
fn key_time(hex: &str) -> Option<OffsetDateTime> {
    let nanos = u64::from_str_radix(hex, 16).ok()?;
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos)).ok()
}

/// One key and its value.
struct Record<'a> {
    source: &'a Source,
    key: &'a str,
    /// The key after its prefix and `/`.
    rest: &'a str,
    value: &'a [u8],
}

impl Record<'_> {
    fn invalid(&self, message: impl std::fmt::Display) -> ImportError {
        self.source.invalid(format!("key {}: {message}", self.key))
    }

    fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, ImportError> {
        serde_json::from_slice(self.value).map_err(|error| self.invalid(error))
    }

    fn json(&self) -> Result<Value, ImportError> {
        self.decode()
    }

    /// An 8-byte little-endian counter.
    fn counter(&self) -> Result<u64, ImportError> {
        let bytes: [u8; 8] = self
            .value
            .try_into()
            .map_err(|_| self.invalid(format!("{} bytes, not a u64", self.value.len())))?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn event(&self) -> Result<Item, ImportError> {
        let envelope: EventEnvelope = self.decode()?;
        let workflow =
            serde_json::to_value(&envelope.workflow_id).map_err(|error| self.invalid(error))?;
        let metadata = json!({
            "sequence_number": envelope.sequence_number,
            "conversation_id": envelope.conversation_id.as_uuid(),
            "process_id": envelope.process_id.as_uuid(),
            "tenant_id": envelope.tenant_id.as_uuid(),
            "workflow_id": workflow,
            "schema_version": envelope.schema_version,
        });
        Ok(Item::Event {
            stream_id: envelope.stream_id.as_str().to_string(),
            process_type: envelope.workflow_id.name.to_string(),
            recorded_at: envelope.timestamp,
            event: NewEvent {
                event_id: Some(envelope.event_id.as_uuid()),
                event_type: envelope.event_type.to_string(),
                occurred_at: envelope.timestamp,
                correlation_id: Some(envelope.correlation_id.as_uuid()),
                causation_id: envelope.causation_id.map(|cause| cause.as_uuid()),
                other_causes: Vec::new(),
                payload: envelope.payload,
                metadata,
            },
        })
    }

    fn outbox(&self, sink: &mut Sink) -> Result<(), ImportError> {
        let message: MakoOutbox = self.decode()?;
        let id = message.message_id.as_uuid();
        let stream_id = message.stream_id.as_str().to_string();
        let extra = json!({
            "process_id": message.process_id.as_uuid(),
            "tenant_id": message.tenant_id.as_uuid(),
            "conversation_id": message.conversation_id.as_uuid(),
            "payload_schema": message.payload_schema.as_deref(),
            "deliver_after": message.deliver_after.map(crate::store::format_time),
            "first_attempt_at": message.first_attempt_at.map(crate::store::format_time),
            "workflow_name": &*message.workflow_name,
            "trace_context": message.trace_context.as_deref(),
        });
        sink.send(Item::Outbox(OutboxMessage {
            id,
            stream_id: stream_id.clone(),
            message_type: message.message_type.to_string(),
            recipient: message.recipient.to_string(),
            payload: message.payload,
            due_at: message.deliver_after.unwrap_or(message.created_at),
            attempts: message.attempt_count,
            // mako-engine keeps its retry limit in the worker's configuration,
            // not in the store: the workbench's own limit applies here.
            max_attempts: RetryPolicy::default()
                .max_attempts
                .max(message.attempt_count + 1),
            last_error: None,
            created_at: message.created_at,
            caused_by: Some(message.causation_event_id.as_uuid()),
            correlation_id: Some(message.correlation_id.as_uuid()),
            attempt_log: Vec::new(),
        }))?;
        sink.send(Item::StreamMeta {
            stream_id,
            section: "mako_outbox",
            entry: Some(id.to_string()),
            value: extra,
        })
    }

    fn deadline(&self, sink: &mut Sink) -> Result<(), ImportError> {
        let deadline: MakoDeadline = self.decode()?;
        let id = deadline.deadline_id().as_uuid();
        let stream_id = deadline.stream_id().as_str().to_string();
        let workflow =
            serde_json::to_value(deadline.workflow_id()).map_err(|error| self.invalid(error))?;
        sink.send(Item::Deadline(Deadline {
            id,
            stream_id: stream_id.clone(),
            on_expiry: deadline.label().to_string(),
            due_at: deadline.due_at(),
            created_at: deadline.created_at(),
            caused_by: None,
            correlation_id: None,
        }))?;
        sink.send(Item::StreamMeta {
            stream_id,
            section: "mako_deadlines",
            entry: Some(id.to_string()),
            value: json!({
                "process_id": deadline.process_id().as_uuid(),
                "tenant_id": deadline.tenant_id().as_uuid(),
                "workflow_id": workflow,
            }),
        })
    }

    /// `dr/{nanos:016x}/{uuid}`: the key holds the exact time and the id.
    fn dead_letter(&self) -> Result<Item, ImportError> {
        let record: DeadLetterRecord = self.decode()?;
        let (nanos, id) = self
            .rest
            .split_once('/')
            .ok_or_else(|| self.invalid("a dead-letter key is dr/{time}/{uuid}"))?;
        let recorded_at = key_time(nanos).ok_or_else(|| self.invalid("bad time"))?;
        let id = Uuid::parse_str(id).map_err(|error| self.invalid(error))?;
        Ok(Item::DeadLetter(DeadLetter {
            id,
            reason: record.reason_label.clone(),
            detail: record.reason_detail.clone(),
            status: DeadLetterStatus::Open,
            direction: Direction::Inbound,
            stream_id: None,
            process_type: None,
            // mako-engine's durable dead-letter queue keeps reason and detail only.
            message_type: "unknown".to_string(),
            original: json!({
                "mako_key": self.key,
                "rejected_at": record.rejected_at,
                "reason_label": record.reason_label,
                "reason_detail": record.reason_detail,
            }),
            attempts: Vec::new(),
            recorded_at,
            resolution: None,
        }))
    }
}
