//! Writes inside one transaction: events with every index, stream records
//! with their indexes, queues, dead letters, audit, counters.
//!
//! What a transaction rewrites or scatters over the trees is kept in memory
//! and written once, in key order, when it ends ([`StoreWriter::finish`]):
//! stream records, the queue records it creates and the `stream_events`
//! entries of its events. Every read through the writer sees those writes.
//!
//! The events, their ids and index entries, the dead letters and the dedup
//! keys are written by a second thread while this one goes on
//! ([`super::table_thread`]); at the end of a transaction a helper writes
//! the stream index entries while this thread writes the stream records.

use std::borrow::Cow;
use std::thread::Scope;

use foldhash::HashMap;
use redb::{ReadableTable, Table, WriteTransaction};
use serde::de::DeserializeOwned;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::counter_changes::CounterChanges;
use super::due_queue::DueQueue;
use super::event_indexes::PendingEventIndexes;
use super::record_json::{write_event, write_stream};
use super::records::*;
use super::schema::{self, counter};
use super::table_thread::TableThread;

/// An event to append; the writer assigns position, version and (unless given) the id.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Kept when given (imports); a fresh UUID v7 otherwise.
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

/// The tables of one write transaction, opened once.
pub struct StoreWriter<'txn> {
    pub(super) meta: Table<'txn, &'static str, &'static str>,
    pub(super) counters: Table<'txn, &'static str, u64>,
    pub(super) streams_by_type: Table<'txn, (&'static str, &'static str, &'static str), ()>,
    pub(super) streams_by_status: Table<'txn, (&'static str, &'static str), ()>,
    pub(super) variants: Table<'txn, u128, u64>,
    /// `events`, `event_ids` and the event indexes, written on a thread of
    /// their own.
    pub(super) table_thread: TableThread<'txn>,
    streams: Table<'txn, &'static str, &'static [u8]>,
    pub(super) correlation_keys: Table<'txn, &'static str, &'static str>,
    /// Entries of `stream_events` for this transaction's events, written at
    /// its end in key order. (Their `caused_by` and `correlated` entries go
    /// to the table thread at once: their keys begin with time-ordered ids.)
    pub(super) pending_indexes: PendingEventIndexes,
    outbox: DueQueue<'txn, OutboxMessage>,
    deadlines: DueQueue<'txn, Deadline>,
    /// Dedup keys taken in during this transaction, to look up; the table
    /// thread writes them.
    fresh_inbox: HashMap<String, u64>,
    /// Stream records written in this transaction, by stream id: written to
    /// `streams` with their indexes and counters once, at its end. A stream
    /// takes several events in most transactions, and each rewrote its record.
    /// Boxed, so that the map moves pointers when it grows, not records.
    dirty_streams: HashMap<String, Box<DirtyStream>>,
    pub(super) checkpoints: Table<'txn, (&'static str, u64), &'static [u8]>,
    pub(super) definitions: Table<'txn, &'static str, &'static [u8]>,
    pub(super) audit: Table<'txn, u64, &'static [u8]>,
    /// Counter and variant-count changes, applied once at its end.
    changes: CounterChanges,
    pub(super) next_position: u64,
    pub(super) next_audit_seq: u64,
    /// Reused JSON encoding buffer (one record at a time).
    scratch: Vec<u8>,
}

impl<'txn> StoreWriter<'txn> {
    /// Opens the tables of `transaction`; the table thread runs in `scope`.
    pub(super) fn new<'scope>(
        transaction: &'txn WriteTransaction,
        scope: &'scope Scope<'scope, '_>,
    ) -> Result<Self, StoreError>
    where
        'txn: 'scope,
    {
        let counters = transaction.open_table(schema::COUNTERS)?;
        let next_position = counters
            .get(counter::NEXT_POSITION)?
            .map_or(1, |value| value.value());
        let audit = transaction.open_table(schema::AUDIT)?;
        let next_audit_seq = audit.last()?.map_or(1, |(key, _)| key.value() + 1);
        Ok(StoreWriter {
            meta: transaction.open_table(schema::META)?,
            counters,
            streams_by_type: transaction.open_table(schema::STREAMS_BY_TYPE)?,
            streams_by_status: transaction.open_table(schema::STREAMS_BY_STATUS)?,
            variants: transaction.open_table(schema::VARIANTS)?,
            table_thread: TableThread::start(transaction, scope)?,
            streams: transaction.open_table(schema::STREAMS)?,
            correlation_keys: transaction.open_table(schema::CORRELATION_KEYS)?,
            pending_indexes: PendingEventIndexes::default(),
            outbox: DueQueue::new(
                transaction.open_table(schema::OUTBOX)?,
                transaction.open_table(schema::OUTBOX_DUE)?,
            )?,
            deadlines: DueQueue::new(
                transaction.open_table(schema::DEADLINES)?,
                transaction.open_table(schema::DEADLINES_DUE)?,
            )?,
            fresh_inbox: HashMap::default(),
            dirty_streams: HashMap::default(),
            checkpoints: transaction.open_table(schema::CHECKPOINTS)?,
            definitions: transaction.open_table(schema::DEFINITIONS)?,
            audit,
            changes: CounterChanges::default(),
            next_position,
            next_audit_seq,
            scratch: Vec::with_capacity(4096),
        })
    }

    /// Writes the meta records of a new store.
    pub(super) fn initialize(&mut self, now: OffsetDateTime) -> Result<(), StoreError> {
        let version = schema::FORMAT_VERSION.to_string();
        self.meta
            .insert(schema::META_FORMAT_VERSION, version.as_str())?;
        let creator = concat!("process-workbench ", env!("CARGO_PKG_VERSION"));
        self.meta.insert(schema::META_CREATOR, creator)?;
        let created_at = format_time(now);
        self.meta
            .insert(schema::META_CREATED_AT, created_at.as_str())?;
        Ok(())
    }

    /// Makes room for a transaction that changes about `streams` streams and
    /// takes in about `dedup_keys` messages with a dedup key: a bulk write
    /// that knows its size saves its in-memory maps from growing step by
    /// step (each step moves every entry into fresh memory).
    pub fn reserve(&mut self, streams: usize, dedup_keys: usize) {
        self.dirty_streams.reserve(streams);
        self.fresh_inbox.reserve(dedup_keys);
    }

    /// Writes what was kept in memory (stream records, new queue records, dedup
    /// keys), applies the counter and variant changes and bumps the generation.
    pub(super) fn finish(mut self) -> Result<(), StoreError> {
        self.flush_held_back()?;
        let outbox_change = self.outbox.flush()?;
        self.changes.bump(counter::OUTBOX_PENDING, outbox_change);
        let deadlines_change = self.deadlines.flush()?;
        self.changes
            .bump(counter::DEADLINES_PENDING, deadlines_change);
        self.changes.bump(counter::GENERATION, 1);
        // The table thread's error, if it met one, fails the transaction.
        let thread_changes = std::mem::take(&mut self.table_thread.settled()?.counter_changes);
        self.changes.absorb(thread_changes);
        self.changes.apply(&mut self.counters, &mut self.variants)?;
        self.counters
            .insert(counter::NEXT_POSITION, self.next_position)?;
        Ok(())
    }

    /// The log position the next event will get.
    pub fn next_position(&self) -> u64 {
        self.next_position
    }

    /// Sets a meta record.
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.meta.insert(key, value)?;
        Ok(())
    }

    // ----- streams and events -------------------------------------------------------------

    /// The stream's record as this transaction sees it.
    pub fn stream(&self, stream_id: &str) -> Result<Option<StreamInfo>, StoreError> {
        Ok(self.stream_view(stream_id)?.map(Cow::into_owned))
    }

    /// The stream's record as this transaction sees it, borrowed where the
    /// transaction changed it already (see [`StoreWriter::take_changed_stream`]).
    pub fn stream_view(&self, stream_id: &str) -> Result<Option<Cow<'_, StreamInfo>>, StoreError> {
        if let Some(dirty) = self.dirty_streams.get(stream_id) {
            return Ok(Some(Cow::Borrowed(&dirty.current)));
        }
        Ok(decode(self.streams.get(stream_id)?, "stream")?.map(Cow::Owned))
    }

    /// Moves the record of a stream this transaction changed already out of
    /// the writer, for [`StoreWriter::append_one_after`] to put back changed:
    /// the engine changes a stream's record with every message, and copying
    /// it out was 3 % of its thread. Until it is put back, the writer holds an
    /// empty record in its place, so nothing may read the stream in between.
    pub fn take_changed_stream(&mut self, stream_id: &str) -> Option<StreamInfo> {
        let dirty = self.dirty_streams.get_mut(stream_id)?;
        Some(std::mem::replace(&mut dirty.current, StreamInfo::empty()))
    }

    /// Writes a stream record; its indexes and counters follow at the end of the transaction.
    pub fn put_stream(&mut self, info: &StreamInfo) -> Result<(), StoreError> {
        let stored = if self.dirty_streams.contains_key(&info.stream_id) {
            None
        } else {
            self.stream(&info.stream_id)?.as_ref().map(StoredStream::of)
        };
        self.put_stream_after(info, stored);
        Ok(())
    }

    /// What [`StoreWriter::append_after`] needs to know of `previous`, a
    /// stream's record as read in this transaction before changing it. It
    /// copies nothing of a record the transaction changed already.
    pub fn before_change(&self, previous: &StreamInfo) -> StreamBefore {
        let stored = (!self.dirty_streams.contains_key(&previous.stream_id))
            .then(|| StoredStream::of(previous));
        StreamBefore {
            version: previous.version,
            stored,
        }
    }

    /// [`StoreWriter::put_stream`] with what the table holds of the record
    /// (`stored`; `None` if nothing or if this transaction changed it already).
    fn put_stream_after(&mut self, info: &StreamInfo, stored: Option<StoredStream>) {
        match self.dirty_streams.get_mut(&info.stream_id) {
            Some(dirty) => dirty.current.clone_from(info),
            None => self.add_dirty(info.clone(), stored, Vec::new()),
        }
    }

    /// Notes `current`, a stream record this transaction has not changed
    /// before, over `stored` (what the table holds of it, if anything), with
    /// the `stream_events` entries of the events it `appended`.
    fn add_dirty(
        &mut self,
        current: StreamInfo,
        stored: Option<StoredStream>,
        appended: Vec<(u64, u64)>,
    ) {
        let stream_id = current.stream_id.clone();
        let dirty = DirtyStream {
            stored,
            current,
            appended,
        };
        self.dirty_streams.insert(stream_id, Box::new(dirty));
    }

    /// The (version, position) of the events appended to `stream_id` in this
    /// transaction, in version order: all after the versions stored before it.
    pub(super) fn held_back_versions(&self, stream_id: &str) -> Vec<(u64, u64)> {
        let pending = self.pending_indexes.stream_versions(stream_id);
        let appended = self
            .dirty_streams
            .get(stream_id)
            .map_or(&[][..], |dirty| dirty.appended.as_slice());
        let mut versions = [pending, appended].concat();
        if !pending.is_empty() && !appended.is_empty() {
            versions.sort_unstable();
        }
        versions
    }

    /// Writes what the transaction held back, on three threads at once: the
    /// table thread its last events and index entries, a helper the stream
    /// index entries once they are known, and this thread the stream records
    /// it changed, in id order.
    fn flush_held_back(&mut self) -> Result<(), StoreError> {
        let StoreWriter {
            streams,
            streams_by_type,
            streams_by_status,
            dirty_streams,
            pending_indexes,
            table_thread,
            changes,
            scratch,
            ..
        } = self;
        let mut dirty: Vec<Box<DirtyStream>> = dirty_streams.drain().map(|(_, d)| d).collect();
        dirty.sort_unstable_by(|a, b| a.current.stream_id.cmp(&b.current.stream_id));
        let mut indexes = std::mem::take(pending_indexes);
        indexes.add_sorted_streams(
            dirty
                .iter_mut()
                .filter(|stream| !stream.appended.is_empty())
                .map(|stream| {
                    let appended = std::mem::take(&mut stream.appended);
                    (stream.current.stream_id.clone(), appended)
                })
                .collect(),
        );
        table_thread.send_last(indexes)?;
        let mut entries = StreamIndexEntries::default();
        for stream in &dirty {
            entries.add_change(stream.stored.as_ref(), &stream.current, changes);
        }
        std::thread::scope(|scope| {
            let index_writer =
                scope.spawn(move || entries.write(streams_by_type, streams_by_status));
            for stream in &dirty {
                scratch.clear();
                write_stream(scratch, &stream.current)?;
                streams.insert(stream.current.stream_id.as_str(), scratch.as_slice())?;
            }
            joined(index_writer)
        })
    }

    /// Writes a stream record over `stored` (what the table holds of it, if
    /// anything), moving its indexes and counters along.
    fn write_stream(
        &mut self,
        stored: Option<StoredStream>,
        current: &StreamInfo,
    ) -> Result<(), StoreError> {
        let mut entries = StreamIndexEntries::default();
        entries.add_change(stored.as_ref(), current, &mut self.changes);
        entries.write(&mut self.streams_by_type, &mut self.streams_by_status)?;
        self.scratch.clear();
        write_stream(&mut self.scratch, current)?;
        self.streams
            .insert(current.stream_id.as_str(), self.scratch.as_slice())?;
        Ok(())
    }

    /// Appends `events` to `stream` if the stored version equals `expected_version`
    /// (0 for a new stream). `stream` carries the caller's new status, state and
    /// error; its version, last-event time and variant are updated here and it is
    /// written with its indexes. Returns the stored events.
    pub fn append(
        &mut self,
        stream: &mut StreamInfo,
        expected_version: u64,
        events: Vec<NewEvent>,
        recorded_at: OffsetDateTime,
    ) -> Result<Vec<Event>, StoreError> {
        let previous = self.stream(&stream.stream_id)?;
        let before = previous.map(|previous| self.before_change(&previous));
        self.append_after(stream, before, expected_version, events, recorded_at)
    }

    /// [`StoreWriter::append`] for a caller that has just read the stream's
    /// record in this transaction (`before`, from [`StoreWriter::before_change`];
    /// `None` if it does not exist yet): the record is not read and parsed again.
    pub fn append_after(
        &mut self,
        stream: &mut StreamInfo,
        before: Option<StreamBefore>,
        expected_version: u64,
        events: Vec<NewEvent>,
        recorded_at: OffsetDateTime,
    ) -> Result<Vec<Event>, StoreError> {
        let record_before = expect_version(stream, before, expected_version)?;
        let mut stored = Vec::with_capacity(events.len());
        for event in events {
            stored.push(self.insert_event(event, std::slice::from_mut(stream), recorded_at)?);
        }
        self.put_stream_after(stream, record_before);
        Ok(stored)
    }

    /// [`StoreWriter::append_after`] of one event, without the vectors in
    /// and out (the engine appends one event per message), keeping `stream`
    /// as the record this transaction wrote instead of a copy of it.
    pub fn append_one_after(
        &mut self,
        mut stream: StreamInfo,
        before: Option<StreamBefore>,
        expected_version: u64,
        event: NewEvent,
        recorded_at: OffsetDateTime,
    ) -> Result<Event, StoreError> {
        let stored = expect_version(&mut stream, before, expected_version).and_then(|before| {
            let stored =
                self.store_new_event(event, std::slice::from_mut(&mut stream), recorded_at)?;
            Ok((before, stored))
        });
        match self.dirty_streams.get_mut(&stream.stream_id) {
            Some(dirty) => {
                // Back into the writer even if the append failed: the record
                // may have come out of it (`take_changed_stream`).
                dirty.current = stream;
                let (_, stored) = stored?;
                dirty.appended.push((stored.version, stored.position));
                Ok(stored)
            }
            None => {
                let (record_before, stored) = stored?;
                self.add_dirty(
                    stream,
                    record_before,
                    vec![(stored.version, stored.position)],
                );
                Ok(stored)
            }
        }
    }

    /// Stores one event in the global log and in every stream of `streams` (the
    /// first is its own stream), at each stream's next version, with every index.
    /// Each `StreamInfo` is advanced in memory (version, last time, variant); the
    /// caller writes them with [`StoreWriter::put_stream`]. Used directly by
    /// importers whose events belong to several streams.
    pub fn insert_event(
        &mut self,
        new: NewEvent,
        streams: &mut [StreamInfo],
        recorded_at: OffsetDateTime,
    ) -> Result<Event, StoreError> {
        let event = self.store_new_event(new, streams, recorded_at)?;
        self.pending_indexes.add_stream_entries(&event);
        Ok(event)
    }

    /// [`StoreWriter::insert_event`] but for its `stream_events` entries,
    /// which the caller holds back.
    fn store_new_event(
        &mut self,
        new: NewEvent,
        streams: &mut [StreamInfo],
        recorded_at: OffsetDateTime,
    ) -> Result<Event, StoreError> {
        let Some((own, others)) = streams.split_first_mut() else {
            return Err(StoreError::NotFound("an event needs a stream".to_string()));
        };
        let position = self.next_position;
        self.next_position += 1;
        let event_id = new.event_id.unwrap_or_else(Uuid::now_v7);
        own.advance(&new.event_type, new.occurred_at);
        let mut other_streams = Vec::with_capacity(others.len());
        for info in others.iter_mut() {
            info.advance(&new.event_type, new.occurred_at);
            other_streams.push(StreamVersion {
                stream_id: info.stream_id.clone(),
                version: info.version,
            });
        }
        let event = Event {
            event_id,
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
        };
        self.store_event(&event, |json| Ok(write_event(json, &event)?))?;
        self.table_thread.index_links(&event);
        Ok(event)
    }

    /// Appends events encoded by the caller ([`EncodedEvent`]) to one stream and
    /// writes `stream`, the stream's record after them. What the caller decided is
    /// checked: the positions continue the log, each event belongs to this stream
    /// alone, and the versions continue the stored version up to `stream.version`.
    pub fn append_encoded(
        &mut self,
        stream: &StreamInfo,
        events: &[EncodedEvent],
    ) -> Result<(), StoreError> {
        let previous = self.stream(&stream.stream_id)?;
        let mut version = previous.as_ref().map_or(0, |info| info.version);
        // An import appends one stream after another in key order: its index
        // entries and stream record are written at once, unless this
        // transaction holds some of the stream's back already.
        let write_now = !self.dirty_streams.contains_key(&stream.stream_id)
            && self
                .pending_indexes
                .stream_versions(&stream.stream_id)
                .is_empty();
        for encoded in events {
            let keys = &encoded.keys;
            version += 1;
            let misfit = if keys.stream_id != stream.stream_id || !keys.other_streams.is_empty() {
                Some(format!(
                    "an event of stream {} came with stream {}",
                    keys.stream_id, stream.stream_id
                ))
            } else if keys.version != version {
                Some(format!(
                    "stream {} continues at version {version}, not {}",
                    stream.stream_id, keys.version
                ))
            } else if keys.position != self.next_position {
                Some(format!(
                    "the log continues at position {}, not {}",
                    self.next_position, keys.position
                ))
            } else {
                None
            };
            if let Some(misfit) = misfit {
                return Err(StoreError::MisfitPreparedEvent(misfit));
            }
            self.next_position += 1;
            self.store_event(keys, |json| {
                json.extend_from_slice(&encoded.json);
                Ok(())
            })?;
            if write_now {
                self.table_thread.index(keys);
            } else {
                self.pending_indexes.add_stream_entries(keys);
                self.table_thread.index_links(keys);
            }
        }
        if stream.version != version {
            return Err(StoreError::MisfitPreparedEvent(format!(
                "stream {} ends at version {version}, not {}",
                stream.stream_id, stream.version
            )));
        }
        if write_now {
            self.write_stream(previous.as_ref().map(StoredStream::of), stream)
        } else {
            self.put_stream_after(stream, previous.as_ref().map(StoredStream::of));
            Ok(())
        }
    }

    /// Writes an event's record (appended by `encode`) at its position, its id
    /// and its counters (the caller adds its other index entries).
    fn store_event(
        &mut self,
        event: &Event,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.table_thread
            .add(event.position, event.event_id, encode)?;
        self.changes.bump(counter::EVENTS_TOTAL, 1);
        self.changes
            .bump_named(counter::EVENTS_TYPE, &event.event_type, 1);
        Ok(())
    }

    /// Looks an event up by id inside this transaction.
    pub fn event_by_id(&mut self, event_id: Uuid) -> Result<Option<Event>, StoreError> {
        let tables = self.table_thread.settled()?;
        let Some(position) = tables.event_ids.get(event_id.as_u128())? else {
            return Ok(None);
        };
        decode(tables.events.get(position.value())?, "event")
    }

    /// The last event of a stream, if it has any.
    pub fn last_event(&mut self, stream_id: &str) -> Result<Option<Event>, StoreError> {
        let Some(info) = self.stream(stream_id)? else {
            return Ok(None);
        };
        let held_back = self.held_back_versions(stream_id).last().copied();
        let tables = self.table_thread.settled()?;
        let position = match held_back {
            Some((version, position)) if version == info.version => position,
            _ => match tables.stream_events.get((stream_id, info.version))? {
                Some(position) => position.value(),
                None => return Ok(None),
            },
        };
        decode(tables.events.get(position)?, "event")
    }

    /// The stream a business key routes to.
    pub fn stream_for_key(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .correlation_keys
            .get(key)?
            .map(|value| value.value().to_string()))
    }

    /// Routes a business key to a stream from now on.
    pub fn set_stream_key(&mut self, key: &str, stream_id: &str) -> Result<(), StoreError> {
        self.correlation_keys.insert(key, stream_id)?;
        Ok(())
    }

    // ----- intake, definitions, checkpoints --------------------------------------------

    /// The position recorded for a dedup key, if a message with it was taken in before.
    pub fn inbox(&mut self, dedup_key: &str) -> Result<Option<u64>, StoreError> {
        if let Some(&position) = self.fresh_inbox.get(dedup_key) {
            return Ok(Some(position));
        }
        if self.table_thread.inbox_was_empty() {
            return Ok(None);
        }
        let tables = self.table_thread.settled()?;
        Ok(tables.inbox.get(dedup_key)?.map(|value| value.value()))
    }

    /// Records that a message with `dedup_key` was taken in.
    pub fn record_inbox(&mut self, dedup_key: String, position: u64) {
        self.table_thread.record_inbox(&dedup_key, position);
        self.fresh_inbox.insert(dedup_key, position);
    }

    /// The definition JSON of a process type.
    pub fn definition(&self, process_type: &str) -> Result<Option<Value>, StoreError> {
        decode(self.definitions.get(process_type)?, "definition")
    }

    /// Stores (or replaces) the definition of a process type.
    pub fn put_definition(
        &mut self,
        process_type: &str,
        definition: &Value,
    ) -> Result<(), StoreError> {
        encode(&mut self.scratch, definition)?;
        self.definitions
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
        self.checkpoints
            .insert((stream_id, version), self.scratch.as_slice())?;
        Ok(())
    }

    // ----- outbox -----------------------------------------------------------------------

    /// An outbox message by id.
    pub fn outbox_message(&self, id: Uuid) -> Result<Option<OutboxMessage>, StoreError> {
        self.outbox.get(id)
    }

    /// Inserts or replaces an outbox message, keeping the due index in step.
    pub fn put_outbox(&mut self, message: OutboxMessage) -> Result<(), StoreError> {
        self.outbox.put(message)
    }

    /// Removes an outbox message (delivered, cancelled, or dead-lettered).
    pub fn remove_outbox(&mut self, id: Uuid) -> Result<Option<OutboxMessage>, StoreError> {
        self.outbox.remove(id)
    }

    /// Outbox messages due at or before `now`, earliest first, at most `limit`.
    pub fn due_outbox(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        self.outbox.due(now, limit)
    }

    /// [`StoreWriter::due_outbox`], taken out of the outbox: for delivery,
    /// which puts back ([`StoreWriter::put_outbox`]) what is to be tried
    /// again. Taking saves copying each message; a caller that fails before
    /// putting one back fails its transaction, which then takes nothing.
    pub fn take_due_outbox(
        &mut self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        self.outbox.take_due(now, limit)
    }

    // ----- deadlines --------------------------------------------------------------------

    /// A deadline by id.
    pub fn deadline(&self, id: Uuid) -> Result<Option<Deadline>, StoreError> {
        self.deadlines.get(id)
    }

    /// Inserts or replaces a deadline, keeping the due index in step.
    pub fn put_deadline(&mut self, deadline: Deadline) -> Result<(), StoreError> {
        self.deadlines.put(deadline)
    }

    /// Removes a deadline (fired or cancelled).
    pub fn remove_deadline(&mut self, id: Uuid) -> Result<Option<Deadline>, StoreError> {
        self.deadlines.remove(id)
    }

    /// Deadlines of a stream (a scan of the pending deadlines; they are few).
    pub fn deadlines_of(&self, stream_id: &str) -> Result<Vec<Deadline>, StoreError> {
        let mut all = self.deadlines.all()?;
        all.retain(|deadline| deadline.stream_id == stream_id);
        Ok(all)
    }

    /// Deadlines due at or before `now`, earliest first, at most `limit`,
    /// taken out of the deadlines: for firing them, as
    /// [`StoreWriter::take_due_outbox`] is for delivery.
    pub fn take_due_deadlines(
        &mut self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<Deadline>, StoreError> {
        self.deadlines.take_due(now, limit)
    }

    // ----- dead letters -----------------------------------------------------------------

    /// A dead letter by id.
    pub fn dead_letter(&mut self, id: Uuid) -> Result<Option<DeadLetter>, StoreError> {
        let tables = self.table_thread.settled()?;
        decode(tables.dead_letters.get(id.as_u128())?, "dead letter")
    }

    /// Inserts or updates a dead letter, keeping its indexes and counters in
    /// step (on the table thread). Reason and recording time of an existing
    /// dead letter never change.
    pub fn put_dead_letter(&mut self, letter: &DeadLetter) -> Result<(), StoreError> {
        self.table_thread
            .put_dead_letter(letter, |json| Ok(serde_json::to_writer(json, letter)?))
    }

    // ----- audit ------------------------------------------------------------------------

    /// Appends an audit entry; its `seq` is assigned here and returned.
    pub fn append_audit(&mut self, mut entry: AuditEntry) -> Result<u64, StoreError> {
        entry.seq = self.next_audit_seq;
        self.next_audit_seq += 1;
        encode(&mut self.scratch, &entry)?;
        self.audit.insert(entry.seq, self.scratch.as_slice())?;
        self.changes.bump(counter::AUDIT_TOTAL, 1);
        Ok(entry.seq)
    }
}

/// An event made ready away from the writer: its position, version and JSON
/// were decided and encoded by the caller (importers do it on their parser
/// thread, so the writer thread only inserts). Written by
/// [`StoreWriter::append_encoded`], which checks what the caller decided.
pub struct EncodedEvent {
    /// The event without payload and metadata (those are in `json`): its keys.
    keys: Event,
    json: Vec<u8>,
}

impl EncodedEvent {
    /// Encodes `event` as the `events` table keeps it.
    pub fn new(mut event: Event) -> Result<Self, StoreError> {
        let mut json = Vec::new();
        write_event(&mut json, &event)?;
        event.payload = Value::Null;
        event.metadata = Value::Null;
        Ok(EncodedEvent { keys: event, json })
    }
}

impl StreamInfo {
    /// Moves the record on past one more event of `event_type` at `occurred_at`:
    /// version, creation and last-event time, variant.
    pub fn advance(&mut self, event_type: &str, occurred_at: OffsetDateTime) {
        self.version += 1;
        if self.version == 1 {
            self.created_at = occurred_at;
        }
        self.updated_at = occurred_at;
        self.variant = next_variant(self.variant, event_type);
    }

    /// A record of no stream, which allocates nothing: the placeholder of a
    /// record taken out of the writer.
    fn empty() -> StreamInfo {
        StreamInfo {
            stream_id: String::new(),
            process_type: String::new(),
            status: StreamStatus::Running,
            process_state: None,
            version: 0,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            last_error: None,
            correlation_id: None,
            variant: 0,
            metadata: Value::Null,
        }
    }
}

/// The variant hash after appending an event of `event_type`.
pub fn next_variant(previous: u128, event_type: &str) -> u128 {
    xxh3_128_of(&[&previous.to_le_bytes(), &[0x1f], event_type.as_bytes()])
}

/// The 128-bit xxh3 hash of `parts` one after another. Joined on the stack
/// unless they are unusually long: every event hashes its stream's variant
/// and deadline id, and a heap buffer (or xxh3's streaming state, half a
/// kilobyte) cost more than the hash.
pub fn xxh3_128_of(parts: &[&[u8]]) -> u128 {
    const ON_STACK: usize = 128;
    let length: usize = parts.iter().map(|part| part.len()).sum();
    if length > ON_STACK {
        return xxhash_rust::xxh3::xxh3_128(&parts.concat());
    }
    let mut joined = [0u8; ON_STACK];
    let mut end = 0;
    for part in parts {
        joined[end..end + part.len()].copy_from_slice(part);
        end += part.len();
    }
    xxhash_rust::xxh3::xxh3_128(&joined[..end])
}

/// Unix nanoseconds of a time, as kept in due-time keys (saturating outside i64).
pub fn nanos(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos()).unwrap_or(if at.year() < 1970 {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// RFC 3339 text of a time.
pub fn format_time(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// Decodes an optional JSON value read from a table.
pub(super) fn decode<T: DeserializeOwned>(
    bytes: Option<redb::AccessGuard<'_, &'static [u8]>>,
    what: &str,
) -> Result<Option<T>, StoreError> {
    bytes
        .map(|bytes| parse_json(bytes.value(), what))
        .transpose()
}

/// Encodes `value` as JSON into `buffer`, replacing its content.
pub(super) fn encode<T: serde::Serialize + ?Sized>(
    buffer: &mut Vec<u8>,
    value: &T,
) -> Result<(), StoreError> {
    buffer.clear();
    serde_json::to_writer(&mut *buffer, value)?;
    Ok(())
}

pub(super) fn parse_json<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|error| StoreError::Corrupt(format!("{what}: {error}")))
}

/// A stream record changed in this transaction: what the tables hold, and what it is now.
struct DirtyStream {
    stored: Option<StoredStream>,
    current: StreamInfo,
    /// The (version, position) of the events the engine appended to it
    /// ([`StoreWriter::append_one_after`]), held back for `stream_events`
    /// here rather than in [`PendingEventIndexes`]: the engine finds this
    /// entry anyway, and a lookup in that map too was 3 % of its thread.
    appended: Vec<(u64, u64)>,
}

/// Checks that `stream` is at `expected_version` (`before` is what was read
/// of it; `None` if it does not exist yet) and sets its version to that; the
/// stored record's index keys come back.
fn expect_version(
    stream: &mut StreamInfo,
    before: Option<StreamBefore>,
    expected_version: u64,
) -> Result<Option<StoredStream>, StoreError> {
    let (actual, record_before) =
        before.map_or((0, None), |before| (before.version, before.stored));
    if actual != expected_version {
        return Err(StoreError::VersionConflict {
            stream_id: stream.stream_id.clone(),
            expected: expected_version,
            actual,
        });
    }
    stream.version = actual;
    Ok(record_before)
}

/// What a scoped helper thread returned; its panic goes on in this thread.
fn joined<T>(helper: std::thread::ScopedJoinHandle<'_, T>) -> T {
    helper
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The entries of `streams_by_type` and `streams_by_status` that stream
/// changes remove and add.
#[derive(Default)]
struct StreamIndexEntries<'a> {
    removed: Vec<StreamIndexKey<'a>>,
    added: Vec<StreamIndexKey<'a>>,
}

/// A stream's place in the type and status indexes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct StreamIndexKey<'a> {
    process_type: &'a str,
    status: &'static str,
    stream_id: &'a str,
}

impl<'a> StreamIndexEntries<'a> {
    /// Adds the entries that change when a stream moves from `stored` (what
    /// the table holds of it, if anything) to `current`, and moves its
    /// counters in `changes`.
    fn add_change(
        &mut self,
        stored: Option<&'a StoredStream>,
        current: &'a StreamInfo,
        changes: &mut CounterChanges,
    ) {
        match stored {
            Some(old) => {
                if old.process_type != current.process_type || old.status != current.status {
                    self.removed.push(StreamIndexKey {
                        process_type: &old.process_type,
                        status: old.status.as_str(),
                        stream_id: &old.stream_id,
                    });
                    changes.bump_named(counter::STREAMS_TYPE, &old.process_type, -1);
                    changes.bump_named(counter::STREAMS_STATUS, old.status.as_str(), -1);
                    self.add(current, changes);
                }
                if old.variant != current.variant {
                    changes.change_variant(old.variant, -1);
                    changes.change_variant(current.variant, 1);
                }
            }
            None => {
                changes.bump(counter::STREAMS_TOTAL, 1);
                self.add(current, changes);
                changes.change_variant(current.variant, 1);
            }
        }
    }

    fn add(&mut self, stream: &'a StreamInfo, changes: &mut CounterChanges) {
        self.added.push(StreamIndexKey {
            process_type: &stream.process_type,
            status: stream.status.as_str(),
            stream_id: &stream.stream_id,
        });
        changes.bump_named(counter::STREAMS_TYPE, &stream.process_type, 1);
        changes.bump_named(counter::STREAMS_STATUS, stream.status.as_str(), 1);
    }

    /// Removes and adds the entries, each table in its key order (a
    /// transaction's streams fall all over both trees).
    fn write(
        mut self,
        by_type: &mut Table<'_, (&'static str, &'static str, &'static str), ()>,
        by_status: &mut Table<'_, (&'static str, &'static str), ()>,
    ) -> Result<(), StoreError> {
        for keys in [&mut self.removed, &mut self.added] {
            keys.sort_unstable();
        }
        for key in &self.removed {
            by_type.remove((key.process_type, key.status, key.stream_id))?;
        }
        for key in &self.added {
            by_type.insert((key.process_type, key.status, key.stream_id), ())?;
        }
        for keys in [&mut self.removed, &mut self.added] {
            keys.sort_unstable_by_key(|key| (key.status, key.stream_id));
        }
        for key in &self.removed {
            by_status.remove((key.status, key.stream_id))?;
        }
        for key in &self.added {
            by_status.insert((key.status, key.stream_id), ())?;
        }
        Ok(())
    }
}

/// What [`StoreWriter::append_after`] needs to know of a stream's record
/// before the change: its version, and what its indexes and counters
/// depended on.
pub struct StreamBefore {
    version: u64,
    stored: Option<StoredStream>,
}

/// What the indexes and counters of a stored stream record depend on.
struct StoredStream {
    stream_id: String,
    process_type: String,
    status: StreamStatus,
    variant: u128,
}

impl StoredStream {
    fn of(info: &StreamInfo) -> Self {
        StoredStream {
            stream_id: info.stream_id.clone(),
            process_type: info.process_type.clone(),
            status: info.status,
            variant: info.variant,
        }
    }
}
