//! batpak data directories, read through batpak's read-only open
//! (`Store::<ReadOnly>::open_read_only`) on the private copy.
//!
//! Mapping:
//! - entity → stream (events in batpak's global sequence, which is each
//!   entity's chain order); process type = the entity's prefix before its first
//!   `:` (`order:17` → `order`), else `batpak`.
//! - event → event: id, kind (as batpak prints it, `0x1001`, with the name of
//!   batpak's system and effect kinds), payload, `timestamp_us` as occurrence
//!   time and the HLC wall clock as record time, correlation and causation ids.
//!   The previous event of the entity's hash chain is a further cause, so the
//!   causal graph walks the chain as batpak's `walk_ancestors` does.
//!   Scope, kind parts, clock, DAG position, flags and hashes → event metadata.
//! - per stream: its scopes and the result of batpak's chain verification
//!   (`chain_walk_evidence` from the entity's head) → `batpak_chain`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use batpak::coordinate::Region;
use batpak::event::EventKind;
use batpak::store::{
    ChainWalkRequest, ChainWalkStartRef, IndexEntry, ReadOnly, Store, StoreConfig,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Item, Sink, Source};
use crate::import::ImportError;
use crate::store::NewEvent;

/// batpak's lock file: a live engine's lock is not the copy's.
pub(super) const LOCK_FILE: &str = ".batpak.lock";

/// Whether `dir` holds batpak segments (`*.fbat`).
pub(super) fn has_segments(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        entry
            .path()
            .extension()
            .is_some_and(|extension| extension == "fbat")
    })
}

/// Reads every event of the store at `source.dir` into `sink`.
pub(super) fn read(source: &Source, sink: &mut Sink) -> Result<(), ImportError> {
    let store = Store::<ReadOnly>::open_read_only(StoreConfig::new(&source.dir))
        .map_err(|error| source.invalid(format!("batpak cannot open it: {error}")))?;
    let mut entries = store.query(&Region::all());
    entries.sort_by_key(|entry| entry.global_sequence);

    // The hash-chain parent of every event is the entity's FIRST event whose
    // hash is its `prev_hash`: batpak's own `walk_ancestors` rule. The hash
    // covers the content only, so events with equal payloads share it, and
    // the first one is always earlier than the event itself.
    let mut by_hash: HashMap<(&str, [u8; 32]), u128> = HashMap::with_capacity(entries.len());
    for entry in &entries {
        by_hash
            .entry((entry.coord.entity(), entry.hash_chain.event_hash))
            .or_insert(entry.event_id);
    }
    let mut per_entity: BTreeMap<&str, Vec<&IndexEntry>> = BTreeMap::new();
    for entry in &entries {
        per_entity
            .entry(entry.coord.entity())
            .or_default()
            .push(entry);
    }

    for entry in &entries {
        let stored = store.get(entry.event_id).map_err(|error| {
            source.invalid(format!(
                "event {}: {error}",
                Uuid::from_u128(entry.event_id)
            ))
        })?;
        let header = &stored.event.header;
        let parent = (entry.hash_chain.prev_hash != [0; 32])
            .then(|| by_hash.get(&(entry.coord.entity(), entry.hash_chain.prev_hash)))
            .flatten()
            .map(|id| Uuid::from_u128(*id));
        let causation = header.causation_id.map(Uuid::from_u128);
        let other_causes = parent
            .filter(|id| Some(*id) != causation)
            .into_iter()
            .collect();
        let occurred_at = from_micros(header.timestamp_us)
            .ok_or_else(|| source.invalid(format!("event {}: bad timestamp", entry.event_id)))?;
        let recorded_at =
            from_micros(i64::try_from(entry.wall_ms).unwrap_or(i64::MAX / 1000) * 1000)
                .unwrap_or(occurred_at);
        let position = &header.position;
        let metadata = json!({
            "scope": entry.coord.scope(),
            "kind": kind_text(entry.kind),
            "kind_category": entry.kind.category(),
            "kind_type_id": entry.kind.type_id(),
            "clock": entry.clock,
            "global_sequence": entry.global_sequence,
            "dag": {
                "wall_ms": position.wall_ms(),
                "counter": position.counter(),
                "depth": position.depth(),
                "lane": position.lane(),
                "sequence": position.sequence(),
            },
            "flags": header.flags,
            "prev_hash": hex(&entry.hash_chain.prev_hash),
            "event_hash": hex(&entry.hash_chain.event_hash),
            "content_hash": hex(&header.content_hash),
        });
        sink.send(Item::Event {
            stream_id: entry.coord.entity().to_string(),
            process_type: process_type(entry.coord.entity()),
            recorded_at,
            event: NewEvent {
                event_id: Some(Uuid::from_u128(entry.event_id)),
                event_type: kind_text(entry.kind),
                occurred_at,
                correlation_id: Some(Uuid::from_u128(header.correlation_id)),
                causation_id: causation,
                other_causes,
                payload: stored.event.payload,
                metadata,
            },
        })?;
    }

    for (entity, events) in &per_entity {
        let scopes: BTreeSet<&str> = events.iter().map(|entry| entry.coord.scope()).collect();
        sink.send(Item::StreamMeta {
            stream_id: entity.to_string(),
            section: "batpak_scopes",
            entry: None,
            value: json!(scopes),
        })?;
        sink.send(Item::StreamMeta {
            stream_id: entity.to_string(),
            section: "batpak_chain",
            entry: None,
            value: verify_chain(&store, events),
        })?;
    }
    Ok(())
}

/// batpak's own chain verification of an entity, from its head back to genesis.
fn verify_chain(store: &Store<ReadOnly>, events: &[&IndexEntry]) -> Value {
    let Some(head) = events.last() else {
        return Value::Null;
    };
    let request =
        ChainWalkRequest::linear(ChainWalkStartRef::EventId(head.event_id), events.len() + 1);
    match store.chain_walk_evidence(&request) {
        Ok(report) => {
            let findings: Vec<String> = report
                .body
                .findings
                .iter()
                .map(|finding| format!("{finding:?}"))
                .collect();
            json!({
                "verified": findings.is_empty() && report.body.checked_count == events.len() as u64,
                "events": events.len(),
                "checked": report.body.checked_count,
                "findings": findings,
                "walk_digest": hex(&report.body.walk_digest),
            })
        }
        Err(error) => json!({ "verified": false, "error": error.to_string() }),
    }
}

fn from_micros(micros: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).ok()
}

fn process_type(entity: &str) -> String {
    match entity.split_once(':') {
        Some((prefix, _)) if !prefix.is_empty() => prefix.to_string(),
        _ => "batpak".to_string(),
    }
}

/// batpak's rendering of a kind, with the names of its own kinds.
fn kind_text(kind: EventKind) -> String {
    let name = [
        (EventKind::SYSTEM_INIT, "system_init"),
        (EventKind::SYSTEM_SHUTDOWN, "system_shutdown"),
        (EventKind::SYSTEM_HEARTBEAT, "system_heartbeat"),
        (EventKind::SYSTEM_CONFIG_CHANGE, "system_config_change"),
        (EventKind::SYSTEM_CHECKPOINT, "system_checkpoint"),
        (EventKind::SYSTEM_BATCH_BEGIN, "system_batch_begin"),
        (EventKind::SYSTEM_BATCH_COMMIT, "system_batch_commit"),
        (EventKind::SYSTEM_OPEN_COMPLETED, "system_open_completed"),
        (EventKind::SYSTEM_CLOSE_COMPLETED, "system_close_completed"),
        (EventKind::SYSTEM_DENIAL, "system_denial"),
        (EventKind::EFFECT_ERROR, "effect_error"),
        (EventKind::EFFECT_RETRY, "effect_retry"),
        (EventKind::EFFECT_ACK, "effect_ack"),
        (EventKind::EFFECT_BACKPRESSURE, "effect_backpressure"),
        (EventKind::EFFECT_CANCEL, "effect_cancel"),
        (EventKind::EFFECT_CONFLICT, "effect_conflict"),
    ]
    .into_iter()
    .find(|(known, _)| *known == kind)
    .map(|(_, name)| name);
    match name {
        Some(name) => format!("{kind} {name}"),
        None => kind.to_string(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
