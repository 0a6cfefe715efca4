//! A second thread that writes part of a write transaction while the first
//! goes on: the tables its events fill (the log, the id index, the stream,
//! cause and correlation indexes), as the events come; the dead letters
//! with their indexes; and the dedup keys of the messages taken in.
//!
//! Nothing that runs inside a transaction reads the event tables as often as
//! it writes them (the engine keeps a stream's state in its record, not in
//! its events), and inserting into them is most of what storing an event
//! costs: without those inserts a 30,000-process demo took 4.0–5.5 s instead
//! of 6.9–9.7 s. So the writer hands the events over in batches and goes on;
//! a read that needs those tables ([`TableThread::settled`]) first waits
//! until every batch sent before it is in. At the end of a transaction the
//! index entries the writer held back to write them in key order are written
//! here, while the writer and a helper write the stream records and their
//! indexes. redb lets the tables of one transaction be written from
//! different threads at once (`Table` is `Send`).
//!
//! Dead letters come here for the same reason: a bulk write makes many (the
//! 100,000-process demo 26,000, each about a kilobyte and three inserts),
//! and inserting them took 3 % of the engine thread, which reads them back
//! only in operator actions. So do the dedup keys (866,409 in that demo):
//! the writer looks them up in memory and in the table only if the table
//! held any when the transaction began; written at its end they took a
//! thread of their own for a second while every other thread was busy too.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::Scope;

use redb::{ReadableTableMetadata, Table, WriteTransaction};
use serde::Deserialize;
use uuid::Uuid;

use super::StoreError;
use super::counter_changes::CounterChanges;
use super::event_indexes::PendingEventIndexes;
use super::records::{DeadLetter, DeadLetterStatus, Event};
use super::schema::{self, counter};
use super::write::{nanos, parse_json};

/// Events per batch handed to the thread: enough that handing over costs
/// little next to the inserts, few enough to keep both threads busy.
const BATCH_EVENTS: usize = 512;

/// Batches sent and not yet written before the writer waits: bounds the
/// memory the events in flight take.
const BATCHES_IN_FLIGHT: usize = 8;

/// The tables the thread writes, as it and (after [`TableThread::settled`])
/// the writer see them.
pub(super) struct ThreadTables<'txn> {
    pub events: Table<'txn, u64, &'static [u8]>,
    pub event_ids: Table<'txn, u128, u64>,
    pub stream_events: Table<'txn, (&'static str, u64), u64>,
    pub caused_by: Table<'txn, (u128, u128), ()>,
    pub correlated: Table<'txn, (u128, u64), ()>,
    pub dead_letters: Table<'txn, u128, &'static [u8]>,
    dead_letters_by_time: Table<'txn, (i64, u128), ()>,
    dead_letters_by_reason: Table<'txn, (&'static str, i64, u128), ()>,
    pub inbox: Table<'txn, &'static str, u64>,
    /// What the dead letters written here change of the counters; the
    /// writer applies it with its own at the end of the transaction.
    pub counter_changes: CounterChanges,
}

/// What both threads reach.
struct Shared<'txn> {
    tables: Mutex<ThreadTables<'txn>>,
    /// The first error the thread met: it writes nothing after it, and the
    /// writer returns it at the next settle, which fails the transaction.
    failure: Mutex<Option<StoreError>>,
}

impl ThreadTables<'_> {
    /// Writes `batch` and empties it (keeping its buffers for the next).
    fn write(&mut self, batch: &mut Batch) -> Result<(), StoreError> {
        let mut start = 0;
        for &(position, event_id, end) in &batch.records {
            self.events.insert(position, &batch.json[start..end])?;
            if self.event_ids.insert(event_id, position)?.is_some() {
                return Err(StoreError::Corrupt(format!(
                    "event id {} is already in the store",
                    Uuid::from_u128(event_id)
                )));
            }
            start = end;
        }
        batch.records.clear();
        batch.json.clear();
        batch.indexes.flush(
            &mut self.stream_events,
            &mut self.caused_by,
            &mut self.correlated,
        )?;
        let mut start = 0;
        for letter in &batch.letters {
            let reason = std::str::from_utf8(&batch.letter_bytes[start..letter.reason_end])
                .map_err(|_| StoreError::Corrupt("a dead letter's reason is not UTF-8".into()))?;
            let json = &batch.letter_bytes[letter.reason_end..letter.end];
            self.put_dead_letter(letter, reason, json)?;
            start = letter.end;
        }
        batch.letters.clear();
        batch.letter_bytes.clear();
        let mut start = 0;
        for &(end, position) in &batch.dedup {
            let key = std::str::from_utf8(&batch.dedup_keys[start..end])
                .map_err(|_| StoreError::Corrupt("a dedup key is not UTF-8".into()))?;
            self.inbox.insert(key, position)?;
            start = end;
        }
        batch.dedup.clear();
        batch.dedup_keys.clear();
        Ok(())
    }

    /// Inserts or replaces a dead letter; a new one is indexed by time and
    /// reason. Counts it by reason and status, or moves its status count.
    fn put_dead_letter(
        &mut self,
        letter: &LetterRecord,
        reason: &str,
        json: &[u8],
    ) -> Result<(), StoreError> {
        /// What a replaced record's counts depend on.
        #[derive(Deserialize)]
        struct Counted {
            status: DeadLetterStatus,
        }
        let replaced = self.dead_letters.insert(letter.key, json)?;
        let changes = &mut self.counter_changes;
        match replaced {
            Some(old) => {
                let old = parse_json::<Counted>(old.value(), "dead letter")?.status;
                if old != letter.status {
                    changes.bump_named(counter::DEAD_LETTERS_STATUS, old.as_str(), -1);
                    changes.bump_named(counter::DEAD_LETTERS_STATUS, letter.status.as_str(), 1);
                }
            }
            None => {
                self.dead_letters_by_time
                    .insert((letter.recorded_at, letter.key), ())?;
                self.dead_letters_by_reason
                    .insert((reason, letter.recorded_at, letter.key), ())?;
                changes.bump(counter::DEAD_LETTERS_TOTAL, 1);
                changes.bump_named(counter::DEAD_LETTERS_REASON, reason, 1);
                changes.bump_named(counter::DEAD_LETTERS_STATUS, letter.status.as_str(), 1);
            }
        }
        Ok(())
    }
}

/// Events, dead letters and dedup keys on their way to the tables.
#[derive(Default)]
struct Batch {
    /// (position, event id, end of its record in `json`), in position order.
    records: Vec<(u64, u128, usize)>,
    /// The events' records, one after another.
    json: Vec<u8>,
    /// Index entries, written after the records.
    indexes: PendingEventIndexes,
    /// Dead letters, in the order they were put.
    letters: Vec<LetterRecord>,
    /// Each dead letter's reason followed by its record, one after another.
    letter_bytes: Vec<u8>,
    /// (end of its key in `dedup_keys`, position) of each message taken in.
    dedup: Vec<(usize, u64)>,
    /// The dedup keys, one after another.
    dedup_keys: Vec<u8>,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.records.is_empty()
            && self.indexes.is_empty()
            && self.letters.is_empty()
            && self.dedup.is_empty()
    }
}

/// A dead letter in a [`Batch`]: its reason and record end at `reason_end`
/// and `end` in `letter_bytes`.
struct LetterRecord {
    key: u128,
    /// Nanoseconds, as in the time index.
    recorded_at: i64,
    status: DeadLetterStatus,
    reason_end: usize,
    end: usize,
}

enum Job {
    Write(Box<Batch>),
    /// Answered once every job sent before it is done.
    Settle(SyncSender<()>),
}

/// The writer's side: collects events into batches and sends them to the
/// thread, which ends when this is dropped.
pub(super) struct TableThread<'txn> {
    shared: Arc<Shared<'txn>>,
    jobs: SyncSender<Job>,
    /// Batches the thread has written and emptied, to fill again: a new
    /// batch's buffers were fresh memory that the kernel zeroed page by page
    /// (8 % of the engine thread's time in the 30,000-process demo).
    emptied: Receiver<Box<Batch>>,
    batch: Box<Batch>,
    /// Whether `inbox` was empty when the transaction began.
    inbox_was_empty: bool,
}

impl<'txn> TableThread<'txn> {
    /// Opens the tables in `transaction` and starts their thread in `scope`.
    pub fn start<'scope>(
        transaction: &'txn WriteTransaction,
        scope: &'scope Scope<'scope, '_>,
    ) -> Result<Self, StoreError>
    where
        'txn: 'scope,
    {
        let inbox = transaction.open_table(schema::INBOX)?;
        let inbox_was_empty = inbox.is_empty()?;
        let shared = Arc::new(Shared {
            tables: Mutex::new(ThreadTables {
                events: transaction.open_table(schema::EVENTS)?,
                event_ids: transaction.open_table(schema::EVENT_IDS)?,
                stream_events: transaction.open_table(schema::STREAM_EVENTS)?,
                caused_by: transaction.open_table(schema::CAUSED_BY)?,
                correlated: transaction.open_table(schema::CORRELATED)?,
                dead_letters: transaction.open_table(schema::DEAD_LETTERS)?,
                dead_letters_by_time: transaction.open_table(schema::DEAD_LETTERS_BY_TIME)?,
                dead_letters_by_reason: transaction.open_table(schema::DEAD_LETTERS_BY_REASON)?,
                inbox,
                counter_changes: CounterChanges::default(),
            }),
            failure: Mutex::new(None),
        });
        let (jobs, received) = sync_channel(BATCHES_IN_FLIGHT);
        let (give_back, emptied) = sync_channel(BATCHES_IN_FLIGHT + 1);
        let thread_shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("store tables".to_string())
            .spawn_scoped(scope, move || run(&thread_shared, received, give_back))
            .map_err(|error| StoreError::Database(redb::StorageError::Io(error).into()))?;
        Ok(TableThread {
            shared,
            jobs,
            emptied,
            batch: Box::default(),
            inbox_was_empty,
        })
    }

    /// Whether the `inbox` table held no dedup key when the transaction
    /// began: then a key taken in by none of its messages is not there.
    pub fn inbox_was_empty(&self) -> bool {
        self.inbox_was_empty
    }

    /// Adds `letter` (new, or a new version of one in the store) to the
    /// current batch, encoded by `encode`.
    pub fn put_dead_letter(
        &mut self,
        letter: &DeadLetter,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let bytes = &mut self.batch.letter_bytes;
        let start = bytes.len();
        bytes.extend_from_slice(letter.reason.as_bytes());
        let reason_end = bytes.len();
        if let Err(error) = encode(bytes) {
            bytes.truncate(start);
            return Err(error);
        }
        let end = bytes.len();
        self.batch.letters.push(LetterRecord {
            key: letter.id.as_u128(),
            recorded_at: nanos(letter.recorded_at),
            status: letter.status,
            reason_end,
            end,
        });
        Ok(())
    }

    /// Adds the record of the event at `position` with `event_id`, written
    /// by `encode` (which appends it to the buffer it is given).
    pub fn add(
        &mut self,
        position: u64,
        event_id: Uuid,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let start = self.batch.json.len();
        if let Err(error) = encode(&mut self.batch.json) {
            self.batch.json.truncate(start);
            return Err(error);
        }
        let end = self.batch.json.len();
        self.batch.records.push((position, event_id.as_u128(), end));
        if self.batch.records.len() >= BATCH_EVENTS {
            self.send_batch()?;
        }
        Ok(())
    }

    /// Adds the dedup key of a message taken in at `position` to the current batch.
    pub fn record_inbox(&mut self, dedup_key: &str, position: u64) {
        self.batch
            .dedup_keys
            .extend_from_slice(dedup_key.as_bytes());
        self.batch
            .dedup
            .push((self.batch.dedup_keys.len(), position));
    }

    /// Adds the index entries of `event` to the current batch: for events
    /// whose streams hold nothing back in this transaction.
    pub fn index(&mut self, event: &Event) {
        self.batch.indexes.add(event);
    }

    /// Adds the cause and correlation entries of `event` to the current
    /// batch. Their keys begin with ids that grow with time (UUID v7), so
    /// in arrival order they already land near the end of their trees.
    pub fn index_links(&mut self, event: &Event) {
        self.batch.indexes.add_links(event);
    }

    /// Sends the current batch with the index entries the transaction held
    /// back (`indexes`), and returns at once.
    pub fn send_last(&mut self, indexes: PendingEventIndexes) -> Result<(), StoreError> {
        self.batch.indexes.append(indexes);
        self.send_batch()
    }

    /// Waits until everything sent so far is written, and returns the
    /// thread's tables, or the error the thread met. Hold them only to read: the
    /// thread waits for them before it writes the next batch.
    pub fn settled(&mut self) -> Result<MutexGuard<'_, ThreadTables<'txn>>, StoreError> {
        self.send_batch()?;
        let (done, answer) = sync_channel(1);
        self.send(Job::Settle(done))?;
        answer.recv().map_err(|_| gone())?;
        match lock(&self.shared.failure).take() {
            Some(error) => Err(error),
            None => Ok(lock(&self.shared.tables)),
        }
    }

    fn send_batch(&mut self) -> Result<(), StoreError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let next = self.emptied.try_recv().unwrap_or_default();
        let batch = std::mem::replace(&mut self.batch, next);
        self.send(Job::Write(batch))
    }

    fn send(&self, job: Job) -> Result<(), StoreError> {
        self.jobs.send(job).map_err(|_| gone())
    }
}

/// The thread: does each job as it comes, until the writer is dropped, and
/// gives the emptied batches back.
fn run(shared: &Shared, jobs: Receiver<Job>, give_back: SyncSender<Box<Batch>>) {
    for job in jobs {
        let done = match job {
            Job::Settle(answer) => {
                // The writer waits for this answer and holds the other end.
                let _ = answer.send(());
                continue;
            }
            _ if lock(&shared.failure).is_some() => continue,
            Job::Write(mut batch) => {
                let written = lock(&shared.tables).write(&mut batch);
                if written.is_ok() {
                    // The writer takes it back when it needs a new batch; if
                    // enough wait already, this one is dropped.
                    let _ = give_back.try_send(batch);
                }
                written
            }
        };
        if let Err(error) = done {
            *lock(&shared.failure) = Some(error);
        }
    }
}

/// A lock that a panic on the other thread does not make unusable: such a
/// panic surfaces when the transaction's scope ends.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The thread ended before the writer: it can only have panicked, and the
/// panic surfaces when the transaction's scope ends.
fn gone() -> StoreError {
    StoreError::Corrupt("the thread writing the store's tables stopped".to_string())
}
