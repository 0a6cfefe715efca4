//! The integrity check: proves the invariants of the store format and
//! reports every violation it finds (it does not stop at the first).

use std::collections::{BTreeMap, HashMap};

use redb::ReadableTable;
use serde::Serialize;
use uuid::Uuid;

use super::records::*;
use super::records::{nanos, next_variant, parse_json};
use super::schema::{self, counter};
use super::{EventRecord, StoreError, StoreReader};

/// One broken invariant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Which table or invariant, e.g. `event_ids`, `stream_events`, `counters`.
    pub area: String,
    pub detail: String,
}

/// The outcome of a check.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub events_checked: u64,
    pub streams_checked: u64,
    pub violations: Vec<Violation>,
    /// How many violations were found beyond those listed (the list is capped so
    /// that a badly damaged store still gives a readable report).
    pub more_violations: u64,
}

/// Violations listed individually; beyond this they are counted.
const LISTED_VIOLATIONS: usize = 1000;

impl Report {
    /// True when no invariant is broken.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }

    fn violation(&mut self, area: &str, detail: String) {
        if self.violations.len() < LISTED_VIOLATIONS {
            self.violations.push(Violation {
                area: area.to_string(),
                detail,
            });
        } else {
            self.more_violations += 1;
        }
    }
}

/// What the stream-level pass learns from the events, to compare with the stream records.
#[derive(Default)]
struct StreamFacts {
    versions: u64,
    variant: u128,
}

/// Checks every invariant of a snapshot. `progress` is called with
/// (events checked, events in total) and may return false to cancel, in which
/// case `Ok(None)` is returned.
pub fn check(
    reader: &StoreReader,
    mut progress: impl FnMut(u64, u64) -> bool,
) -> Result<Option<Report>, StoreError> {
    let mut report = Report::default();
    let total_events = reader.counter(counter::EVENTS_TOTAL)?;
    let mut event_types: BTreeMap<String, u64> = BTreeMap::new();

    // Pass 1: every event is parseable, at its key, and indexed everywhere.
    let events = reader.raw_table(schema::EVENTS)?;
    let event_ids = reader.raw_table(schema::EVENT_IDS)?;
    let stream_events = reader.raw_table(schema::STREAM_EVENTS)?;
    let caused_by = reader.raw_table(schema::CAUSED_BY)?;
    let correlated = reader.raw_table(schema::CORRELATED)?;
    let mut event_count = 0u64;
    if let Some(events) = &events {
        for entry in events.iter()? {
            let (key, bytes) = entry?;
            let position = key.value();
            event_count += 1;
            if event_count.is_multiple_of(4096) && !progress(event_count, total_events) {
                return Ok(None);
            }
            let event: EventRecord = match EventRecord::decode(position, bytes.value()) {
                Ok(event) => event,
                Err(error) => {
                    report.violation("events", format!("position {position}: {error}"));
                    continue;
                }
            };
            *event_types.entry(event.event_type.to_string()).or_default() += 1;
            if event.position != position {
                report.violation(
                    "events",
                    format!(
                        "position {position} holds an event that says position {}",
                        event.position
                    ),
                );
            }
            let indexed = match &event_ids {
                Some(table) => table.get(event.event_id.as_u128())?.map(|v| v.value()),
                None => None,
            };
            if indexed != Some(position) {
                report.violation(
                    "event_ids",
                    format!(
                        "event {} at position {position} is indexed at {indexed:?}",
                        event.event_id
                    ),
                );
            }
            for (stream_id, version) in event.memberships() {
                let indexed = match &stream_events {
                    Some(table) => table.get((stream_id, version))?.map(|v| v.value()),
                    None => None,
                };
                if indexed != Some(position) {
                    report.violation(
                        "stream_events",
                        format!("event at position {position} ({stream_id} v{version}) is indexed at {indexed:?}"),
                    );
                }
            }
            for cause in event.causes() {
                let present = match &caused_by {
                    Some(table) => table
                        .get((cause.as_u128(), event.event_id.as_u128()))?
                        .is_some(),
                    None => false,
                };
                if !present {
                    report.violation(
                        "caused_by",
                        format!("event {} lacks its entry for cause {cause}", event.event_id),
                    );
                }
            }
            if let Some(correlation) = event.correlation_id {
                let present = match &correlated {
                    Some(table) => table.get((correlation.as_u128(), position))?.is_some(),
                    None => false,
                };
                if !present {
                    report.violation("correlated", format!("event at position {position} lacks its entry for correlation {correlation}"));
                }
            }
        }
    }
    report.events_checked = event_count;

    // Pass 2: every index entry points at a record that agrees with it.
    let event_at = |position: u64| -> Result<Option<Event>, StoreError> {
        let Some(events) = &events else {
            return Ok(None);
        };
        Ok(events.get(position)?.and_then(|bytes| {
            EventRecord::<serde_json::Value>::decode(position, bytes.value())
                .map(EventRecord::into_event)
                .ok()
        }))
    };
    if let Some(table) = &event_ids {
        for entry in table.iter()? {
            let (id, position) = entry?;
            let (id, position) = (Uuid::from_u128(id.value()), position.value());
            if event_at(position)?.is_none_or(|event| event.event_id != id) {
                report.violation(
                    "event_ids",
                    format!("id {id} points at position {position}, which does not hold it"),
                );
            }
        }
    }
    if let Some(table) = &caused_by {
        let positions = event_ids.as_ref();
        for entry in table.iter()? {
            let (key, _) = entry?;
            let (cause, effect) = key.value();
            let (cause, effect) = (Uuid::from_u128(cause), Uuid::from_u128(effect));
            let position = match positions {
                Some(ids) => ids.get(effect.as_u128())?.map(|v| v.value()),
                None => None,
            };
            let agrees = match position {
                Some(position) => {
                    event_at(position)?.is_some_and(|event| event.causes().any(|c| c == cause))
                }
                None => false,
            };
            if !agrees {
                report.violation(
                    "caused_by",
                    format!("entry ({cause} → {effect}) has no event with that cause"),
                );
            }
        }
    }
    if let Some(table) = &correlated {
        for entry in table.iter()? {
            let (key, _) = entry?;
            let (correlation, position) = key.value();
            let correlation = Uuid::from_u128(correlation);
            if event_at(position)?.is_none_or(|event| event.correlation_id != Some(correlation)) {
                report.violation(
                    "correlated",
                    format!("entry ({correlation}, {position}) has no event of that correlation"),
                );
            }
        }
    }

    // Pass 3: stream_events is contiguous per stream and agrees with the stream records.
    let mut facts: HashMap<String, StreamFacts> = HashMap::new();
    if let Some(table) = &stream_events {
        for entry in table.iter()? {
            let (key, position) = entry?;
            let (stream_id, version) = key.value();
            let position = position.value();
            let fact = facts.entry(stream_id.to_string()).or_default();
            if version != fact.versions + 1 {
                report.violation(
                    "stream_events",
                    format!(
                        "stream {stream_id}: version {version} follows version {}",
                        fact.versions
                    ),
                );
            }
            fact.versions = version;
            match event_at(position)? {
                Some(event) if event.memberships().any(|m| m == (stream_id, version)) => {
                    fact.variant = next_variant(fact.variant, &event.event_type);
                }
                _ => report.violation(
                    "stream_events",
                    format!("{stream_id} v{version} points at position {position}, which does not hold it"),
                ),
            }
        }
    }
    check_streams(reader, &facts, &mut report)?;

    // Pass 4: queues and their due-time indexes.
    check_due_index::<OutboxMessage>(
        reader,
        schema::OUTBOX,
        schema::OUTBOX_DUE,
        "outbox",
        |m| (m.id, m.due_at),
        &mut report,
    )?;
    check_due_index::<Deadline>(
        reader,
        schema::DEADLINES,
        schema::DEADLINES_DUE,
        "deadlines",
        |d| (d.id, d.due_at),
        &mut report,
    )?;
    check_dead_letters(reader, &mut report)?;

    // Pass 5: counters agree with what was counted.
    compare_counter(
        &mut report,
        counter::EVENTS_TOTAL,
        reader.counter(counter::EVENTS_TOTAL)?,
        event_count,
    );
    let stored_types: BTreeMap<String, u64> = reader
        .counters_with_prefix(counter::EVENTS_TYPE)?
        .into_iter()
        .collect();
    compare_maps(
        &mut report,
        counter::EVENTS_TYPE,
        &stored_types,
        &event_types,
    );
    let last_position = reader.last_position()?;
    let next_position = reader.counter(counter::NEXT_POSITION)?;
    if last_position >= next_position.max(1) {
        report.violation(
            "counters",
            format!("next position {next_position} is not past the last event at {last_position}"),
        );
    }
    check_audit(reader, &mut report)?;
    Ok(Some(report))
}

fn check_streams(
    reader: &StoreReader,
    facts: &HashMap<String, StreamFacts>,
    report: &mut Report,
) -> Result<(), StoreError> {
    let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    let mut variants: BTreeMap<u128, u64> = BTreeMap::new();
    let by_type_index = reader.raw_table(schema::STREAMS_BY_TYPE)?;
    let by_status_index = reader.raw_table(schema::STREAMS_BY_STATUS)?;
    let mut total = 0u64;
    if let Some(streams) = reader.raw_table(schema::STREAMS)? {
        for entry in streams.iter()? {
            let (key, bytes) = entry?;
            let stream_id = key.value();
            total += 1;
            let info: StreamInfo = match parse_json(bytes.value(), "stream") {
                Ok(info) => info,
                Err(error) => {
                    report.violation("streams", format!("{stream_id}: {error}"));
                    continue;
                }
            };
            if info.stream_id != stream_id {
                report.violation(
                    "streams",
                    format!("key {stream_id} holds the record of {}", info.stream_id),
                );
            }
            let fact = facts.get(stream_id);
            let versions = fact.map_or(0, |f| f.versions);
            if info.version != versions {
                report.violation(
                    "streams",
                    format!(
                        "{stream_id}: record says version {}, its events end at {versions}",
                        info.version
                    ),
                );
            }
            if fact.is_some_and(|f| f.variant != info.variant) {
                report.violation(
                    "variants",
                    format!("{stream_id}: stored variant does not match its event types"),
                );
            }
            *by_type.entry(info.process_type.clone()).or_default() += 1;
            *by_status
                .entry(info.status.as_str().to_string())
                .or_default() += 1;
            *variants.entry(info.variant).or_default() += 1;
            let typed = match &by_type_index {
                Some(t) => t
                    .get((info.process_type.as_str(), info.status.as_str(), stream_id))?
                    .is_some(),
                None => false,
            };
            if !typed {
                report.violation(
                    "streams_by_type",
                    format!(
                        "{stream_id} is not indexed under ({}, {})",
                        info.process_type,
                        info.status.as_str()
                    ),
                );
            }
            let statused = match &by_status_index {
                Some(t) => t.get((info.status.as_str(), stream_id))?.is_some(),
                None => false,
            };
            if !statused {
                report.violation(
                    "streams_by_status",
                    format!("{stream_id} is not indexed under {}", info.status.as_str()),
                );
            }
        }
    }
    report.streams_checked = total;
    for stream_id in facts.keys() {
        if reader.stream(stream_id).ok().flatten().is_none() {
            report.violation(
                "streams",
                format!("{stream_id} has events but no stream record"),
            );
        }
    }
    if let Some(index) = &by_type_index {
        for entry in index.iter()? {
            let (key, _) = entry?;
            let (process_type, status, stream_id) = key.value();
            let agrees = reader.stream(stream_id).ok().flatten().is_some_and(|info| {
                info.process_type == process_type && info.status.as_str() == status
            });
            if !agrees {
                report.violation(
                    "streams_by_type",
                    format!("entry ({process_type}, {status}, {stream_id}) has no such stream"),
                );
            }
        }
    }
    if let Some(index) = &by_status_index {
        for entry in index.iter()? {
            let (key, _) = entry?;
            let (status, stream_id) = key.value();
            let agrees = reader
                .stream(stream_id)
                .ok()
                .flatten()
                .is_some_and(|info| info.status.as_str() == status);
            if !agrees {
                report.violation(
                    "streams_by_status",
                    format!("entry ({status}, {stream_id}) has no such stream"),
                );
            }
        }
    }
    compare_counter(
        report,
        counter::STREAMS_TOTAL,
        reader.counter(counter::STREAMS_TOTAL)?,
        total,
    );
    let stored: BTreeMap<String, u64> = reader
        .counters_with_prefix(counter::STREAMS_TYPE)?
        .into_iter()
        .collect();
    compare_maps(report, counter::STREAMS_TYPE, &stored, &by_type);
    let stored: BTreeMap<String, u64> = reader
        .counters_with_prefix(counter::STREAMS_STATUS)?
        .into_iter()
        .collect();
    compare_maps(report, counter::STREAMS_STATUS, &stored, &by_status);
    let stored: BTreeMap<u128, u64> = reader.variants()?.into_iter().collect();
    if stored != variants {
        report.violation(
            "variants",
            format!(
                "{} variants stored, {} found in the stream records (or their counts differ)",
                stored.len(),
                variants.len()
            ),
        );
    }
    Ok(())
}

fn check_due_index<T: serde::de::DeserializeOwned>(
    reader: &StoreReader,
    records: redb::TableDefinition<u128, &'static [u8]>,
    due: redb::TableDefinition<(i64, u128), ()>,
    area: &str,
    key_of: impl Fn(&T) -> (Uuid, time::OffsetDateTime),
    report: &mut Report,
) -> Result<(), StoreError> {
    let records = reader.raw_table(records)?;
    let due = reader.raw_table(due)?;
    let mut count = 0u64;
    if let Some(records) = &records {
        for entry in records.iter()? {
            let (key, bytes) = entry?;
            count += 1;
            let id = Uuid::from_u128(key.value());
            let record: T = match parse_json(bytes.value(), area) {
                Ok(record) => record,
                Err(error) => {
                    report.violation(area, format!("{id}: {error}"));
                    continue;
                }
            };
            let (record_id, due_at) = key_of(&record);
            if record_id != id {
                report.violation(area, format!("key {id} holds the record of {record_id}"));
            }
            let indexed = match &due {
                Some(due) => due.get((nanos(due_at), id.as_u128()))?.is_some(),
                None => false,
            };
            if !indexed {
                report.violation(
                    &format!("{area}_due"),
                    format!("{id} is not indexed at its due time"),
                );
            }
        }
    }
    let mut index_count = 0u64;
    if let Some(due) = &due {
        for entry in due.iter()? {
            let (key, _) = entry?;
            index_count += 1;
            let (at, id) = key.value();
            let agrees = match &records {
                Some(records) => records
                    .get(id)?
                    .and_then(|bytes| parse_json::<T>(bytes.value(), area).ok())
                    .is_some_and(|record| nanos(key_of(&record).1) == at),
                None => false,
            };
            if !agrees {
                report.violation(
                    &format!("{area}_due"),
                    format!(
                        "entry ({at}, {}) has no record due then",
                        Uuid::from_u128(id)
                    ),
                );
            }
        }
    }
    let pending_counter = if area == "outbox" {
        counter::OUTBOX_PENDING
    } else {
        counter::DEADLINES_PENDING
    };
    compare_counter(
        report,
        pending_counter,
        reader.counter(pending_counter)?,
        count,
    );
    if index_count != count {
        report.violation(
            &format!("{area}_due"),
            format!("{index_count} index entries for {count} records"),
        );
    }
    Ok(())
}

fn check_dead_letters(reader: &StoreReader, report: &mut Report) -> Result<(), StoreError> {
    let by_time = reader.raw_table(schema::DEAD_LETTERS_BY_TIME)?;
    let by_reason = reader.raw_table(schema::DEAD_LETTERS_BY_REASON)?;
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    let mut statuses: BTreeMap<String, u64> = DeadLetterStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    let mut total = 0u64;
    if let Some(letters) = reader.raw_table(schema::DEAD_LETTERS)? {
        for entry in letters.iter()? {
            let (key, bytes) = entry?;
            total += 1;
            let id = Uuid::from_u128(key.value());
            let letter: DeadLetter = match parse_json(bytes.value(), "dead letter") {
                Ok(letter) => letter,
                Err(error) => {
                    report.violation("dead_letters", format!("{id}: {error}"));
                    continue;
                }
            };
            *reasons.entry(letter.reason.clone()).or_default() += 1;
            *statuses
                .entry(letter.status.as_str().to_string())
                .or_default() += 1;
            let at = nanos(letter.recorded_at);
            let timed = match &by_time {
                Some(t) => t.get((at, id.as_u128()))?.is_some(),
                None => false,
            };
            if !timed {
                report.violation(
                    "dead_letters_by_time",
                    format!("{id} is not indexed at its recording time"),
                );
            }
            let reasoned = match &by_reason {
                Some(t) => t.get((letter.reason.as_str(), at, id.as_u128()))?.is_some(),
                None => false,
            };
            if !reasoned {
                report.violation(
                    "dead_letters_by_reason",
                    format!("{id} is not indexed under reason {}", letter.reason),
                );
            }
        }
    }
    if let Some(index) = &by_time {
        for entry in index.iter()? {
            let (key, _) = entry?;
            let (at, id) = key.value();
            let id = Uuid::from_u128(id);
            if reader
                .dead_letter(id)
                .ok()
                .flatten()
                .is_none_or(|l| nanos(l.recorded_at) != at)
            {
                report.violation(
                    "dead_letters_by_time",
                    format!("entry ({at}, {id}) has no dead letter recorded then"),
                );
            }
        }
    }
    if let Some(index) = &by_reason {
        for entry in index.iter()? {
            let (key, _) = entry?;
            let (reason, at, id) = key.value();
            let id = Uuid::from_u128(id);
            if reader
                .dead_letter(id)
                .ok()
                .flatten()
                .is_none_or(|l| l.reason != reason || nanos(l.recorded_at) != at)
            {
                report.violation(
                    "dead_letters_by_reason",
                    format!("entry ({reason}, {at}, {id}) has no such dead letter"),
                );
            }
        }
    }
    compare_counter(
        report,
        counter::DEAD_LETTERS_TOTAL,
        reader.counter(counter::DEAD_LETTERS_TOTAL)?,
        total,
    );
    let stored: BTreeMap<String, u64> = reader
        .counters_with_prefix(counter::DEAD_LETTERS_REASON)?
        .into_iter()
        .collect();
    compare_maps(report, counter::DEAD_LETTERS_REASON, &stored, &reasons);
    let mut stored: BTreeMap<String, u64> = DeadLetterStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    stored.extend(reader.counters_with_prefix(counter::DEAD_LETTERS_STATUS)?);
    compare_maps(report, counter::DEAD_LETTERS_STATUS, &stored, &statuses);
    Ok(())
}

fn check_audit(reader: &StoreReader, report: &mut Report) -> Result<(), StoreError> {
    let mut total = 0u64;
    if let Some(audit) = reader.raw_table(schema::AUDIT)? {
        for entry in audit.iter()? {
            let (seq, bytes) = entry?;
            total += 1;
            match parse_json::<AuditEntry>(bytes.value(), "audit entry") {
                Ok(entry) if entry.seq == seq.value() => {}
                Ok(entry) => report.violation(
                    "audit",
                    format!("key {} holds entry {}", seq.value(), entry.seq),
                ),
                Err(error) => report.violation("audit", format!("{}: {error}", seq.value())),
            }
        }
    }
    compare_counter(
        report,
        counter::AUDIT_TOTAL,
        reader.counter(counter::AUDIT_TOTAL)?,
        total,
    );
    Ok(())
}

fn compare_counter(report: &mut Report, name: &str, stored: u64, counted: u64) {
    if stored != counted {
        report.violation(
            "counters",
            format!("{name} says {stored}, counted {counted}"),
        );
    }
}

fn compare_maps<K: Ord + std::fmt::Display>(
    report: &mut Report,
    prefix: &str,
    stored: &BTreeMap<K, u64>,
    counted: &BTreeMap<K, u64>,
) {
    for (key, &count) in counted {
        let stored = stored.get(key).copied().unwrap_or(0);
        if stored != count {
            report.violation(
                "counters",
                format!("{prefix}{key} says {stored}, counted {count}"),
            );
        }
    }
    for (key, &count) in stored {
        if count != 0 && !counted.contains_key(key) {
            report.violation("counters", format!("{prefix}{key} says {count}, counted 0"));
        }
    }
}
