//! Writes inside one redb write transaction: [`StoreWriter`].
//!
//! Every write goes to its tables at once, so the transaction reads what it
//! wrote; a table is opened the first time the transaction needs it.
//! Records are JSON written by serde_json; a stream record moves its index
//! entries along as it is written, a queue record its due-time entry. Events
//! that come together (an append of several, a trace of an import) are
//! written table by table: the path through a tree stays in the processor's
//! cache from one insert to the next.
//!
//! Counts wait for the end of the transaction ([`StoreWriter::finish`]), in
//! every transaction alike: what it changes of the counters and of the number
//! of streams per variant is kept as deltas and written once. Every event
//! bumps two counters and moves its stream to another variant; written
//! through, a bulk load would rewrite the same few entries with every event.
//!
//! Bulk loads have one mechanism of their own, [`PreparedEvent`]: an
//! importer places its events (log position, stream version) and writes
//! their JSON on its parser thread, and the writer thread only checks and
//! inserts them ([`StoreWriter::insert_prepared`]). The writer thread bounds
//! the time of an import, and writing the JSON and freeing the payloads was
//! a quarter of it (PERFORMANCE.md, "Core"). Besides that, a bulk caller
//! only chooses how much to put in one transaction.

use std::collections::BTreeMap;

use redb::{ReadableTable, Table, TableDefinition, WriteTransaction};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::records::*;
use super::schema::{self, counter};

/// An event to append; the writer assigns position, version and (unless given) the id.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Kept when given (imports, the engine's seeded ids); a fresh UUID v7 otherwise.
    pub event_id: Option<Uuid>,
    pub event_type: String,
    pub occurred_at: OffsetDateTime,
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
    pub other_causes: Vec<Uuid>,
    pub payload: Value,
    pub metadata: Value,
}

impl NewEvent {
    /// An event of `event_type` with `payload`, occurring at `occurred_at`, no links.
    pub fn new(event_type: impl Into<String>, occurred_at: OffsetDateTime, payload: Value) -> Self {
        NewEvent {
            event_id: None,
            event_type: event_type.into(),
            occurred_at,
            correlation_id: None,
            causation_id: None,
            other_causes: Vec::new(),
            payload,
            metadata: Value::Null,
        }
    }
}

/// An event placed and encoded off the writer's thread: an importer's
/// parser thread decides its position and version and writes its JSON, so
/// that the writer thread only inserts it ([`StoreWriter::insert_prepared`]).
pub struct PreparedEvent {
    /// The event without payload and metadata (those are in `json`).
    event: Event,
    json: Vec<u8>,
}

impl PreparedEvent {
    /// Encodes `event` as the `events` table keeps it.
    pub fn new(mut event: Event) -> Result<Self, StoreError> {
        // Room for a typical event, so that the buffer does not grow step by step.
        let mut json = Vec::with_capacity(1024);
        serde_json::to_writer(&mut json, &event)?;
        // Dropped here, on the preparing thread that allocated them: freeing
        // them on the writer's thread cost both threads.
        event.payload = Value::Null;
        event.metadata = Value::Null;
        Ok(PreparedEvent { event, json })
    }
}

/// The writes of one transaction ([`super::Store::write`]).
pub struct StoreWriter<'txn> {
    pub(super) transaction: &'txn WriteTransaction,
    pub(super) tables: Tables<'txn>,
    deltas: Deltas,
    /// The next log position, read when the first event needs it, and the
    /// one the transaction began with.
    positions: Option<(u64, u64)>,
    /// The next audit sequence number, read when the first entry needs it.
    next_audit_seq: Option<u64>,
    /// JSON of the record being written, kept to save an allocation per record.
    scratch: Vec<u8>,
}

/// The tables a transaction has opened so far ([`open`]).
#[derive(Default)]
pub(super) struct Tables<'txn> {
    meta: Option<Table<'txn, &'static str, &'static str>>,
    counters: Option<Table<'txn, &'static str, u64>>,
    pub(super) events: Option<Table<'txn, u64, &'static [u8]>>,
    pub(super) stream_events: Option<Table<'txn, (&'static str, u64), u64>>,
    streams: Option<Table<'txn, &'static str, &'static [u8]>>,
    streams_by_type: Option<Table<'txn, (&'static str, &'static str, &'static str), ()>>,
    streams_by_status: Option<Table<'txn, (&'static str, &'static str), ()>>,
    variants: Option<Table<'txn, u128, u64>>,
    event_ids: Option<Table<'txn, u128, u64>>,
    caused_by: Option<Table<'txn, (u128, u128), ()>>,
    correlated: Option<Table<'txn, (u128, u64), ()>>,
    correlation_keys: Option<Table<'txn, &'static str, &'static str>>,
    outbox: Option<Table<'txn, u128, &'static [u8]>>,
    outbox_due: Option<Table<'txn, (i64, u128), ()>>,
    deadlines: Option<Table<'txn, u128, &'static [u8]>>,
    deadlines_due: Option<Table<'txn, (i64, u128), ()>>,
    dead_letters: Option<Table<'txn, u128, &'static [u8]>>,
    dead_letters_by_time: Option<Table<'txn, (i64, u128), ()>>,
    dead_letters_by_reason: Option<Table<'txn, (&'static str, i64, u128), ()>>,
    inbox: Option<Table<'txn, &'static str, u64>>,
    pub(super) checkpoints: Option<Table<'txn, (&'static str, u64), &'static [u8]>>,
    definitions: Option<Table<'txn, &'static str, &'static [u8]>>,
    audit: Option<Table<'txn, u64, &'static [u8]>>,
}

/// The table of `definition` held in `slot`, opened in `transaction` the
/// first time it is asked for. Taking the slot, not the writer, lets a write
/// hold several tables at once.
pub(super) fn open<'s, 'txn, K, V>(
    slot: &'s mut Option<Table<'txn, K, V>>,
    transaction: &'txn WriteTransaction,
    definition: TableDefinition<K, V>,
) -> Result<&'s mut Table<'txn, K, V>, StoreError>
where
    K: redb::Key + 'static,
    V: redb::Value + 'static,
{
    match slot {
        Some(table) => Ok(table),
        None => Ok(slot.insert(transaction.open_table(definition)?)),
    }
}

impl<'txn> StoreWriter<'txn> {
    pub(super) fn new(transaction: &'txn WriteTransaction) -> Self {
        StoreWriter {
            transaction,
            tables: Tables::default(),
            deltas: Deltas::default(),
            positions: None,
            next_audit_seq: None,
            scratch: Vec::new(),
        }
    }

    /// Creates the tables of a new store and writes its meta records and
    /// its first log position (imports derive their ids from it).
    pub(super) fn initialize(&mut self, now: OffsetDateTime) -> Result<(), StoreError> {
        schema::create_tables(self.transaction)?;
        let next = self.next_position()?;
        open(
            &mut self.tables.counters,
            self.transaction,
            schema::COUNTERS,
        )?
        .insert(counter::NEXT_POSITION, next)?;
        self.set_meta(
            schema::META_FORMAT_VERSION,
            &schema::FORMAT_VERSION.to_string(),
        )?;
        self.set_meta(
            schema::META_CREATOR,
            concat!("process-workbench ", env!("CARGO_PKG_VERSION")),
        )?;
        self.set_meta(schema::META_CREATED_AT, &format_time(now))
    }

    /// Ends the transaction's writes: the counter and variant changes, the
    /// next log position and the bumped generation.
    pub(super) fn finish(mut self) -> Result<(), StoreError> {
        self.deltas.bump(counter::GENERATION, 1);
        let transaction = self.transaction;
        let counters = open(&mut self.tables.counters, transaction, schema::COUNTERS)?;
        if let Some((first, next)) = self.positions
            && next != first
        {
            counters.insert(counter::NEXT_POSITION, next)?;
        }
        for (name, delta) in &self.deltas.counters {
            let current = counters.get(name.as_str())?.map_or(0, |v| v.value());
            match current.saturating_add_signed(*delta) {
                0 => counters.remove(name.as_str())?,
                updated => counters.insert(name.as_str(), updated)?,
            };
        }
        if !self.deltas.variants.is_empty() {
            let variants = open(&mut self.tables.variants, transaction, schema::VARIANTS)?;
            for (variant, delta) in &self.deltas.variants {
                let current = variants.get(*variant)?.map_or(0, |v| v.value());
                match current.saturating_add_signed(*delta) {
                    0 => variants.remove(*variant)?,
                    updated => variants.insert(*variant, updated)?,
                };
            }
        }
        Ok(())
    }

    /// Sets a meta record.
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        open(&mut self.tables.meta, self.transaction, schema::META)?.insert(key, value)?;
        Ok(())
    }

    // ----- streams and events -------------------------------------------------------------

    /// A stream's record.
    pub fn stream(&mut self, stream_id: &str) -> Result<Option<StreamInfo>, StoreError> {
        let streams = open(&mut self.tables.streams, self.transaction, schema::STREAMS)?;
        decode(streams.get(stream_id)?, "stream")
    }

    /// Writes a stream record, with its index entries and counts.
    pub fn put_stream(&mut self, info: &StreamInfo) -> Result<(), StoreError> {
        let stored = self.placed(&info.stream_id)?;
        self.write_stream(stored.as_ref(), info)
    }

    /// What the indexes and counts of a stored stream record depend on: read
    /// without decoding the rest of it, the state and metadata above all.
    fn placed(&mut self, stream_id: &str) -> Result<Option<Placed>, StoreError> {
        let streams = open(&mut self.tables.streams, self.transaction, schema::STREAMS)?;
        decode(streams.get(stream_id)?, "stream")
    }

    /// Appends `events` to `stream` if the stored version equals
    /// `expected_version` (0 for a new stream): optimistic concurrency.
    /// `stream` carries the caller's new status, state and error; its version,
    /// last-event time and variant move on here, and it is written with its
    /// indexes. Returns the stored events.
    pub fn append(
        &mut self,
        stream: &mut StreamInfo,
        expected_version: u64,
        events: Vec<NewEvent>,
        recorded_at: OffsetDateTime,
    ) -> Result<Vec<Event>, StoreError> {
        let stored_record = self.placed(&stream.stream_id)?;
        let actual = stored_record.as_ref().map_or(0, |placed| placed.version);
        if actual != expected_version {
            return Err(StoreError::VersionConflict {
                stream_id: stream.stream_id.clone(),
                expected: expected_version,
                actual,
            });
        }
        stream.version = actual;
        let mut appended = Vec::with_capacity(events.len());
        for event in events {
            appended.push(self.place(event, std::slice::from_mut(stream), recorded_at)?);
        }
        let encoded = appended
            .iter()
            .map(serde_json::to_vec)
            .collect::<Result<Vec<_>, _>>()?;
        let records: Vec<(&Event, &[u8])> = appended
            .iter()
            .zip(&encoded)
            .map(|(event, json)| (event, json.as_slice()))
            .collect();
        self.store_records(&records)?;
        self.write_stream(stored_record.as_ref(), stream)?;
        Ok(appended)
    }

    /// Stores one event in the global log and in every stream of `streams`
    /// (its own first), at each one's next version, with every index. The
    /// records move on in memory (version, last time, variant); the caller
    /// writes them with [`StoreWriter::put_stream`]. For imports, whose
    /// events may belong to several streams and whose streams are written
    /// once, when complete.
    pub fn insert_event(
        &mut self,
        new: NewEvent,
        streams: &mut [StreamInfo],
        recorded_at: OffsetDateTime,
    ) -> Result<Event, StoreError> {
        let event = self.place(new, streams, recorded_at)?;
        encode(&mut self.scratch, &event)?;
        let json = std::mem::take(&mut self.scratch);
        let stored = self.store_records(&[(&event, &json)]);
        self.scratch = json;
        stored?;
        Ok(event)
    }

    /// Stores the events of one stream prepared off the writer's thread
    /// ([`PreparedEvent`]) in the log and in the stream, whose record
    /// `stream` moves on past them (the caller writes it with
    /// [`StoreWriter::put_stream`]). What the preparer decided is checked:
    /// the events continue the log and the stream, and belong to it alone.
    pub fn insert_prepared(
        &mut self,
        stream: &mut StreamInfo,
        events: &[PreparedEvent],
    ) -> Result<(), StoreError> {
        let first = self.next_position()?;
        for (position, PreparedEvent { event, .. }) in (first..).zip(events) {
            let misfit = if event.stream_id != stream.stream_id || !event.other_streams.is_empty() {
                Some(format!(
                    "an event of stream {} came with stream {}",
                    event.stream_id, stream.stream_id
                ))
            } else if event.version != stream.version + 1 {
                Some(format!(
                    "stream {} continues at version {}, not {}",
                    stream.stream_id,
                    stream.version + 1,
                    event.version
                ))
            } else if event.position != position {
                Some(format!(
                    "the log continues at position {position}, not {}",
                    event.position
                ))
            } else {
                None
            };
            if let Some(misfit) = misfit {
                return Err(StoreError::MisfitPreparedEvent(misfit));
            }
            stream.advance(&event.event_type, event.occurred_at);
        }
        let next = first + events.len() as u64;
        self.positions = self.positions.map(|(start, _)| (start, next));
        let records: Vec<(&Event, &[u8])> = events
            .iter()
            .map(|prepared| (&prepared.event, prepared.json.as_slice()))
            .collect();
        self.store_records(&records)
    }

    /// Gives `new` its place: the next log position, and in every stream of
    /// `streams` (its own first) the next version; the streams' records move
    /// on past it (version, last time, variant).
    fn place(
        &mut self,
        new: NewEvent,
        streams: &mut [StreamInfo],
        recorded_at: OffsetDateTime,
    ) -> Result<Event, StoreError> {
        let Some((own, others)) = streams.split_first_mut() else {
            return Err(StoreError::NotFound("an event needs a stream".to_string()));
        };
        let position = self.next_position()?;
        self.positions = self.positions.map(|(start, _)| (start, position + 1));
        own.advance(&new.event_type, new.occurred_at);
        let other_streams = others
            .iter_mut()
            .map(|info| {
                info.advance(&new.event_type, new.occurred_at);
                StreamVersion {
                    stream_id: info.stream_id.clone(),
                    version: info.version,
                }
            })
            .collect();
        Ok(Event {
            event_id: new.event_id.unwrap_or_else(Uuid::now_v7),
            stream_id: own.stream_id.clone(),
            version: own.version,
            position,
            event_type: new.event_type,
            occurred_at: new.occurred_at,
            recorded_at,
            correlation_id: new.correlation_id,
            causation_id: new.causation_id,
            other_causes: new.other_causes,
            other_streams,
            payload: new.payload,
            metadata: new.metadata,
        })
    }

    /// Writes the records of placed events (each with its JSON) at their
    /// positions, with their ids, stream, cause and correlation entries and
    /// counts. Table by table: the path through a tree stays in the
    /// processor's cache from one event's insert to the next.
    fn store_records(&mut self, records: &[(&Event, &[u8])]) -> Result<(), StoreError> {
        let (transaction, tables) = (self.transaction, &mut self.tables);
        let events = open(&mut tables.events, transaction, schema::EVENTS)?;
        for (event, json) in records {
            events.insert(event.position, *json)?;
        }
        let ids = open(&mut tables.event_ids, transaction, schema::EVENT_IDS)?;
        for (event, _) in records {
            if ids
                .insert(event.event_id.as_u128(), event.position)?
                .is_some()
            {
                return Err(StoreError::Corrupt(format!(
                    "event id {} is already in the store",
                    event.event_id
                )));
            }
        }
        let stream_events = open(
            &mut tables.stream_events,
            transaction,
            schema::STREAM_EVENTS,
        )?;
        for (event, _) in records {
            for membership in event.memberships() {
                stream_events.insert(membership, event.position)?;
            }
        }
        let caused_by = open(&mut tables.caused_by, transaction, schema::CAUSED_BY)?;
        for (event, _) in records {
            for cause in event.causes() {
                caused_by.insert((cause.as_u128(), event.event_id.as_u128()), ())?;
            }
        }
        let correlated = open(&mut tables.correlated, transaction, schema::CORRELATED)?;
        for (event, _) in records {
            if let Some(correlation) = event.correlation_id {
                correlated.insert((correlation.as_u128(), event.position), ())?;
            }
        }
        for (event, _) in records {
            self.deltas.bump(counter::EVENTS_TOTAL, 1);
            self.deltas
                .bump_named(counter::EVENTS_TYPE, &event.event_type, 1);
        }
        Ok(())
    }

    /// The log position the next event gets.
    pub fn next_position(&mut self) -> Result<u64, StoreError> {
        if let Some((_, next)) = self.positions {
            return Ok(next);
        }
        let counters = open(
            &mut self.tables.counters,
            self.transaction,
            schema::COUNTERS,
        )?;
        let next = counters
            .get(counter::NEXT_POSITION)?
            .map_or(1, |value| value.value());
        self.positions = Some((next, next));
        Ok(next)
    }

    /// Writes `current` over `stored` (the record the table holds, if any),
    /// moving its index entries and counts along.
    fn write_stream(
        &mut self,
        stored: Option<&Placed>,
        current: &StreamInfo,
    ) -> Result<(), StoreError> {
        let (transaction, tables) = (self.transaction, &mut self.tables);
        let id = current.stream_id.as_str();
        let moved = match stored {
            Some(old)
                if old.process_type == current.process_type && old.status == current.status =>
            {
                false
            }
            Some(old) => {
                let status = old.status.as_str();
                open(
                    &mut tables.streams_by_type,
                    transaction,
                    schema::STREAMS_BY_TYPE,
                )?
                .remove((old.process_type.as_str(), status, id))?;
                open(
                    &mut tables.streams_by_status,
                    transaction,
                    schema::STREAMS_BY_STATUS,
                )?
                .remove((status, id))?;
                self.deltas
                    .bump_named(counter::STREAMS_TYPE, &old.process_type, -1);
                self.deltas.bump_named(counter::STREAMS_STATUS, status, -1);
                true
            }
            None => {
                self.deltas.bump(counter::STREAMS_TOTAL, 1);
                true
            }
        };
        if moved {
            let status = current.status.as_str();
            open(
                &mut tables.streams_by_type,
                transaction,
                schema::STREAMS_BY_TYPE,
            )?
            .insert((current.process_type.as_str(), status, id), ())?;
            open(
                &mut tables.streams_by_status,
                transaction,
                schema::STREAMS_BY_STATUS,
            )?
            .insert((status, id), ())?;
            self.deltas
                .bump_named(counter::STREAMS_TYPE, &current.process_type, 1);
            self.deltas.bump_named(counter::STREAMS_STATUS, status, 1);
        }
        match stored {
            Some(old) if old.variant == current.variant => {}
            Some(old) => {
                self.deltas.change_variant(old.variant, -1);
                self.deltas.change_variant(current.variant, 1);
            }
            None => self.deltas.change_variant(current.variant, 1),
        }
        encode(&mut self.scratch, current)?;
        open(&mut tables.streams, transaction, schema::STREAMS)?
            .insert(id, self.scratch.as_slice())?;
        Ok(())
    }

    /// An event by id.
    pub fn event_by_id(&mut self, event_id: Uuid) -> Result<Option<Event>, StoreError> {
        let (transaction, tables) = (self.transaction, &mut self.tables);
        let Some(position) = open(&mut tables.event_ids, transaction, schema::EVENT_IDS)?
            .get(event_id.as_u128())?
            .map(|position| position.value())
        else {
            return Ok(None);
        };
        decode(
            open(&mut tables.events, transaction, schema::EVENTS)?.get(position)?,
            "event",
        )
    }

    /// The stream a business key routes to.
    pub fn stream_for_key(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        let keys = open(
            &mut self.tables.correlation_keys,
            self.transaction,
            schema::CORRELATION_KEYS,
        )?;
        Ok(keys.get(key)?.map(|value| value.value().to_string()))
    }

    /// Routes a business key to a stream from now on.
    pub fn set_stream_key(&mut self, key: &str, stream_id: &str) -> Result<(), StoreError> {
        open(
            &mut self.tables.correlation_keys,
            self.transaction,
            schema::CORRELATION_KEYS,
        )?
        .insert(key, stream_id)?;
        Ok(())
    }

    // ----- intake, definitions, checkpoints --------------------------------------------

    /// The position recorded for a dedup key, if a message with it was taken in before.
    pub fn inbox(&mut self, dedup_key: &str) -> Result<Option<u64>, StoreError> {
        let inbox = open(&mut self.tables.inbox, self.transaction, schema::INBOX)?;
        Ok(inbox.get(dedup_key)?.map(|value| value.value()))
    }

    /// Records that a message with `dedup_key` was taken in, producing the event at `position`.
    pub fn record_inbox(&mut self, dedup_key: &str, position: u64) -> Result<(), StoreError> {
        open(&mut self.tables.inbox, self.transaction, schema::INBOX)?
            .insert(dedup_key, position)?;
        Ok(())
    }

    /// The definition JSON of a process type.
    pub fn definition(&mut self, process_type: &str) -> Result<Option<Value>, StoreError> {
        let definitions = open(
            &mut self.tables.definitions,
            self.transaction,
            schema::DEFINITIONS,
        )?;
        decode(definitions.get(process_type)?, "definition")
    }

    /// Stores (or replaces) the definition of a process type.
    pub fn put_definition(
        &mut self,
        process_type: &str,
        definition: &Value,
    ) -> Result<(), StoreError> {
        encode(&mut self.scratch, definition)?;
        open(
            &mut self.tables.definitions,
            self.transaction,
            schema::DEFINITIONS,
        )?
        .insert(process_type, self.scratch.as_slice())?;
        Ok(())
    }

    /// Stores the replay state of a stream at a version.
    pub fn put_checkpoint(
        &mut self,
        stream_id: &str,
        version: u64,
        state: &Value,
    ) -> Result<(), StoreError> {
        encode(&mut self.scratch, state)?;
        open(
            &mut self.tables.checkpoints,
            self.transaction,
            schema::CHECKPOINTS,
        )?
        .insert((stream_id, version), self.scratch.as_slice())?;
        Ok(())
    }

    // ----- outbox and deadlines -----------------------------------------------------------

    /// An outbox message by id.
    pub fn outbox_message(&mut self, id: Uuid) -> Result<Option<OutboxMessage>, StoreError> {
        let outbox = open(&mut self.tables.outbox, self.transaction, schema::OUTBOX)?;
        decode(outbox.get(id.as_u128())?, "outbox message")
    }

    /// Inserts or replaces an outbox message, keeping its due-time entry in step.
    pub fn put_outbox(&mut self, message: OutboxMessage) -> Result<(), StoreError> {
        let queue = self.outbox_queue()?;
        let added = queue.put(&message)?;
        self.deltas.bump(counter::OUTBOX_PENDING, i64::from(added));
        Ok(())
    }

    /// Removes an outbox message (delivered, cancelled, or dead-lettered).
    pub fn remove_outbox(&mut self, id: Uuid) -> Result<Option<OutboxMessage>, StoreError> {
        let removed = self.outbox_queue()?.remove(id)?;
        if removed.is_some() {
            self.deltas.bump(counter::OUTBOX_PENDING, -1);
        }
        Ok(removed)
    }

    /// Outbox messages due at or before `now`, earliest first, at most
    /// `limit`, taken out of the outbox: delivery puts back
    /// ([`StoreWriter::put_outbox`]) what it tries again.
    pub fn take_due_outbox(
        &mut self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let taken = self.outbox_queue()?.take_due(now, limit)?;
        self.deltas
            .bump(counter::OUTBOX_PENDING, -(taken.len() as i64));
        Ok(taken)
    }

    /// A deadline by id.
    pub fn deadline(&mut self, id: Uuid) -> Result<Option<Deadline>, StoreError> {
        let deadlines = open(
            &mut self.tables.deadlines,
            self.transaction,
            schema::DEADLINES,
        )?;
        decode(deadlines.get(id.as_u128())?, "deadline")
    }

    /// Inserts or replaces a deadline, keeping its due-time entry in step.
    pub fn put_deadline(&mut self, deadline: Deadline) -> Result<(), StoreError> {
        let added = self.deadline_queue()?.put(&deadline)?;
        self.deltas
            .bump(counter::DEADLINES_PENDING, i64::from(added));
        Ok(())
    }

    /// Removes a deadline (fired or cancelled).
    pub fn remove_deadline(&mut self, id: Uuid) -> Result<Option<Deadline>, StoreError> {
        let removed = self.deadline_queue()?.remove(id)?;
        if removed.is_some() {
            self.deltas.bump(counter::DEADLINES_PENDING, -1);
        }
        Ok(removed)
    }

    /// Deadlines due at or before `now`, earliest first, at most `limit`,
    /// taken out of the deadlines: for firing them.
    pub fn take_due_deadlines(
        &mut self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<Deadline>, StoreError> {
        let taken = self.deadline_queue()?.take_due(now, limit)?;
        self.deltas
            .bump(counter::DEADLINES_PENDING, -(taken.len() as i64));
        Ok(taken)
    }

    fn outbox_queue(&mut self) -> Result<Queue<'_, 'txn, OutboxMessage>, StoreError> {
        let (transaction, tables) = (self.transaction, &mut self.tables);
        Ok(Queue {
            records: open(&mut tables.outbox, transaction, schema::OUTBOX)?,
            due: open(&mut tables.outbox_due, transaction, schema::OUTBOX_DUE)?,
            scratch: &mut self.scratch,
            kind: std::marker::PhantomData,
        })
    }

    fn deadline_queue(&mut self) -> Result<Queue<'_, 'txn, Deadline>, StoreError> {
        let (transaction, tables) = (self.transaction, &mut self.tables);
        Ok(Queue {
            records: open(&mut tables.deadlines, transaction, schema::DEADLINES)?,
            due: open(
                &mut tables.deadlines_due,
                transaction,
                schema::DEADLINES_DUE,
            )?,
            scratch: &mut self.scratch,
            kind: std::marker::PhantomData,
        })
    }

    // ----- dead letters -----------------------------------------------------------------

    /// A dead letter by id.
    pub fn dead_letter(&mut self, id: Uuid) -> Result<Option<DeadLetter>, StoreError> {
        let letters = open(
            &mut self.tables.dead_letters,
            self.transaction,
            schema::DEAD_LETTERS,
        )?;
        decode(letters.get(id.as_u128())?, "dead letter")
    }

    /// Inserts or updates a dead letter, keeping its indexes and counts in
    /// step. Reason and recording time of an existing dead letter never change.
    pub fn put_dead_letter(&mut self, letter: &DeadLetter) -> Result<(), StoreError> {
        /// What a replaced record's counts depend on.
        #[derive(serde::Deserialize)]
        struct Counted {
            status: DeadLetterStatus,
        }
        let (transaction, tables) = (self.transaction, &mut self.tables);
        encode(&mut self.scratch, letter)?;
        let key = letter.id.as_u128();
        let replaced = match open(&mut tables.dead_letters, transaction, schema::DEAD_LETTERS)?
            .insert(key, self.scratch.as_slice())?
        {
            Some(old) => Some(parse_json::<Counted>(old.value(), "dead letter")?.status),
            None => None,
        };
        let status = letter.status.as_str();
        match replaced {
            Some(old) if old == letter.status => {}
            Some(old) => {
                self.deltas
                    .bump_named(counter::DEAD_LETTERS_STATUS, old.as_str(), -1);
                self.deltas
                    .bump_named(counter::DEAD_LETTERS_STATUS, status, 1);
            }
            None => {
                let recorded_at = nanos(letter.recorded_at);
                open(
                    &mut tables.dead_letters_by_time,
                    transaction,
                    schema::DEAD_LETTERS_BY_TIME,
                )?
                .insert((recorded_at, key), ())?;
                open(
                    &mut tables.dead_letters_by_reason,
                    transaction,
                    schema::DEAD_LETTERS_BY_REASON,
                )?
                .insert((letter.reason.as_str(), recorded_at, key), ())?;
                self.deltas.bump(counter::DEAD_LETTERS_TOTAL, 1);
                self.deltas
                    .bump_named(counter::DEAD_LETTERS_REASON, &letter.reason, 1);
                self.deltas
                    .bump_named(counter::DEAD_LETTERS_STATUS, status, 1);
            }
        }
        Ok(())
    }

    // ----- audit ------------------------------------------------------------------------

    /// Appends an audit entry; its `seq` is assigned here and returned.
    pub fn append_audit(&mut self, mut entry: AuditEntry) -> Result<u64, StoreError> {
        let audit = open(&mut self.tables.audit, self.transaction, schema::AUDIT)?;
        let seq = match self.next_audit_seq {
            Some(seq) => seq,
            None => audit.last()?.map_or(1, |(key, _)| key.value() + 1),
        };
        entry.seq = seq;
        encode(&mut self.scratch, &entry)?;
        audit.insert(seq, self.scratch.as_slice())?;
        self.next_audit_seq = Some(seq + 1);
        self.deltas.bump(counter::AUDIT_TOTAL, 1);
        Ok(seq)
    }
}

/// Encodes `value` as JSON into `buffer`, replacing its content.
fn encode<T: Serialize + ?Sized>(buffer: &mut Vec<u8>, value: &T) -> Result<(), StoreError> {
    buffer.clear();
    serde_json::to_writer(&mut *buffer, value)?;
    Ok(())
}

/// The fields of a stored stream record that its index entries and counts
/// depend on, and its version.
#[derive(serde::Deserialize)]
struct Placed {
    version: u64,
    process_type: String,
    status: StreamStatus,
    #[serde(with = "hex_u128")]
    variant: u128,
}

/// The changes of one transaction to the counters and to the number of
/// streams per variant (see the module docs).
#[derive(Default)]
struct Deltas {
    counters: BTreeMap<String, i64>,
    variants: BTreeMap<u128, i64>,
    /// Where [`Deltas::bump_named`] builds a counter's name.
    key: String,
}

impl Deltas {
    /// Changes the counter `name` by `delta`.
    fn bump(&mut self, name: &str, delta: i64) {
        match self.counters.get_mut(name) {
            Some(value) => *value += delta,
            None => {
                self.counters.insert(name.to_string(), delta);
            }
        }
    }

    /// Changes the counter `prefix` + `name` by `delta`.
    fn bump_named(&mut self, prefix: &str, name: &str, delta: i64) {
        // Built in a kept buffer: every event bumps its type's counter.
        let mut key = std::mem::take(&mut self.key);
        key.clear();
        key.push_str(prefix);
        key.push_str(name);
        self.bump(&key, delta);
        self.key = key;
    }

    /// Changes the number of streams of `variant` by `delta`. A stream passes
    /// through a new variant with every event, so changes that cancel out are
    /// dropped at once: the map holds only what will be written.
    fn change_variant(&mut self, variant: u128, delta: i64) {
        let entry = self.variants.entry(variant).or_insert(0);
        *entry += delta;
        if *entry == 0 {
            self.variants.remove(&variant);
        }
    }
}

/// What the outbox and the deadlines have in common: records by id, with
/// an index of (due time, id).
trait Queued: Serialize + DeserializeOwned {
    /// What a record is called in messages.
    const WHAT: &'static str;
    fn id(&self) -> Uuid;
    fn due_at(&self) -> OffsetDateTime;
}

impl Queued for OutboxMessage {
    const WHAT: &'static str = "outbox message";
    fn id(&self) -> Uuid {
        self.id
    }
    fn due_at(&self) -> OffsetDateTime {
        self.due_at
    }
}

impl Queued for Deadline {
    const WHAT: &'static str = "deadline";
    fn id(&self) -> Uuid {
        self.id
    }
    fn due_at(&self) -> OffsetDateTime {
        self.due_at
    }
}

/// The two tables of a queue, opened.
struct Queue<'a, 'txn, T> {
    records: &'a mut Table<'txn, u128, &'static [u8]>,
    due: &'a mut Table<'txn, (i64, u128), ()>,
    scratch: &'a mut Vec<u8>,
    kind: std::marker::PhantomData<T>,
}

impl<T: Queued> Queue<'_, '_, T> {
    /// Inserts or replaces `record` and its due-time entry; true if it is new.
    fn put(self, record: &T) -> Result<bool, StoreError> {
        let key = record.id().as_u128();
        encode(self.scratch, record)?;
        let replaced_due = match self.records.insert(key, self.scratch.as_slice())? {
            Some(old) => Some(stored_due(old.value(), T::WHAT)?),
            None => None,
        };
        let due = nanos(record.due_at());
        if replaced_due != Some(due) {
            if let Some(old) = replaced_due {
                self.due.remove((old, key))?;
            }
            self.due.insert((due, key), ())?;
        }
        Ok(replaced_due.is_none())
    }

    /// Removes the record of `id` and its due-time entry.
    fn remove(self, id: Uuid) -> Result<Option<T>, StoreError> {
        let Some(bytes) = self.records.remove(id.as_u128())? else {
            return Ok(None);
        };
        let record: T = parse_json(bytes.value(), T::WHAT)?;
        drop(bytes);
        self.due.remove((nanos(record.due_at()), id.as_u128()))?;
        Ok(Some(record))
    }

    /// Takes out the records due at or before `now`, earliest first, at most `limit`.
    fn take_due(self, now: OffsetDateTime, limit: usize) -> Result<Vec<T>, StoreError> {
        let mut keys = Vec::new();
        for entry in self.due.range(..=(nanos(now), u128::MAX))?.take(limit) {
            keys.push(entry?.0.value());
        }
        let mut taken = Vec::with_capacity(keys.len());
        for key in keys {
            self.due.remove(key)?;
            let Some(bytes) = self.records.remove(key.1)? else {
                return Err(StoreError::Corrupt(format!(
                    "the due index names {} {}, which is not there",
                    T::WHAT,
                    Uuid::from_u128(key.1)
                )));
            };
            taken.push(parse_json(bytes.value(), T::WHAT)?);
        }
        Ok(taken)
    }
}

/// The due time (nanos) of a stored record, read without decoding the rest
/// of it (its payload above all).
fn stored_due(bytes: &[u8], what: &str) -> Result<i64, StoreError> {
    #[derive(serde::Deserialize)]
    struct Due {
        #[serde(with = "rfc3339")]
        due_at: OffsetDateTime,
    }
    parse_json::<Due>(bytes, what).map(|due| nanos(due.due_at))
}
