//! A timed queue inside one write transaction — the outbox and the deadlines
//! are each one: records by id (JSON) and their due-time index, kept in step.
//!
//! Records created in the transaction stay in memory until it ends
//! ([`DueQueue::flush`]): most outbox messages are delivered, and many
//! deadlines replaced or fired, in the transaction that created them, and
//! then never touch the tables at all. Records that were already stored are
//! changed in the tables directly.

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use foldhash::HashMap;

use redb::{ReadableTable, ReadableTableMetadata, Table};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use uuid::Uuid;

use super::records::{Deadline, OutboxMessage};
use super::write::{decode, encode, nanos, parse_json};
use super::{StoreError, rfc3339};

/// A record kept in a [`DueQueue`].
pub(super) trait Queued: Serialize + DeserializeOwned + Clone {
    /// What such a record is, for messages ("outbox message", "deadline").
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

/// Records by id and their `(due nanos, id)` index, as one write transaction sees them.
pub(super) struct DueQueue<'txn, T> {
    records: Table<'txn, u128, &'static [u8]>,
    due: Table<'txn, (i64, u128), ()>,
    /// Records created in this transaction, not yet in `records`, with the
    /// number of their entry in `fresh_due`. Hashed, not ordered: an ordered
    /// map shifted its large records on every insert.
    fresh: HashMap<u128, (T, u64)>,
    /// The due keys of `fresh`, earliest on top, each with its entry's
    /// number. A record that is removed or replaced leaves its old entry
    /// here until it comes to the top and is dropped there, its number no
    /// longer the record's: an ordered set removed and inserted at the
    /// time of every change, 4 % of the demo's engine thread.
    fresh_due: RefCell<BinaryHeap<Reverse<FreshDue>>>,
    /// The number of the next entry in `fresh_due`.
    next_entry: u64,
    /// Whether `records` (and so `due`, kept in step with it) held nothing
    /// when the transaction began and has been given nothing since: a new
    /// store's bulk write then looks up nothing there.
    stored_none: bool,
    /// No due key is at or before this time (nanos) in this transaction, as far
    /// as known: lets the delivery loop skip its probe when nothing can be due.
    clear_until: Cell<Option<i64>>,
    /// How many records this transaction added, less those it removed: the
    /// change of the queue's pending counter, applied once at its end.
    count_change: i64,
    scratch: Vec<u8>,
}

impl<'txn, T: Queued> DueQueue<'txn, T> {
    pub fn new(
        records: Table<'txn, u128, &'static [u8]>,
        due: Table<'txn, (i64, u128), ()>,
    ) -> Result<Self, StoreError> {
        Ok(DueQueue {
            stored_none: records.is_empty()?,
            records,
            due,
            fresh: HashMap::default(),
            fresh_due: RefCell::new(BinaryHeap::new()),
            next_entry: 0,
            clear_until: Cell::new(None),
            count_change: 0,
            scratch: Vec::new(),
        })
    }

    /// The record with `id`.
    pub fn get(&self, id: Uuid) -> Result<Option<T>, StoreError> {
        let key = id.as_u128();
        if let Some((record, _)) = self.fresh.get(&key) {
            return Ok(Some(record.clone()));
        }
        self.stored(key)
    }

    /// The stored record of `key`.
    fn stored(&self, key: u128) -> Result<Option<T>, StoreError> {
        if self.stored_none {
            return Ok(None);
        }
        decode(self.records.get(key)?, T::WHAT)
    }

    /// Every record, in id order.
    pub fn all(&self) -> Result<Vec<T>, StoreError> {
        let mut found = Vec::with_capacity(self.fresh.len());
        for entry in self.records.iter()? {
            found.push(parse_json::<T>(entry?.1.value(), T::WHAT)?);
        }
        found.extend(self.fresh.values().map(|(record, _)| record.clone()));
        found.sort_by_key(|record| record.id());
        Ok(found)
    }

    /// Inserts or replaces `record`.
    pub fn put(&mut self, record: T) -> Result<(), StoreError> {
        let key = record.id().as_u128();
        if self.stored_none || self.fresh.contains_key(&key) || self.records.get(key)?.is_none() {
            if !self.put_fresh(record) {
                self.count_change += 1;
            }
            return Ok(());
        }
        // A stored record is replaced in place; the insert hands back the old
        // one, whose due time alone is read.
        encode(&mut self.scratch, &record)?;
        let replaced_due = self
            .records
            .insert(key, self.scratch.as_slice())?
            .map(|old| stored_due(old.value(), T::WHAT))
            .transpose()?;
        if let Some(old_due) = replaced_due {
            self.due.remove((old_due, key))?;
        }
        self.index_stored(key, record.due_at())?;
        if replaced_due.is_none() {
            self.count_change += 1;
        }
        Ok(())
    }

    /// Removes the record of `id` and returns it.
    pub fn remove(&mut self, id: Uuid) -> Result<Option<T>, StoreError> {
        let key = id.as_u128();
        let removed = match self.remove_fresh(key) {
            Some(removed) => removed,
            None => {
                if self.stored_none {
                    return Ok(None);
                }
                let Some(removed) = decode::<T>(self.records.remove(key)?, T::WHAT)? else {
                    return Ok(None);
                };
                self.due.remove((nanos(removed.due_at()), key))?;
                removed
            }
        };
        self.count_change -= 1;
        Ok(Some(removed))
    }

    /// Records due at or before `now`, earliest first, at most `limit`.
    pub fn due(&self, now: OffsetDateTime, limit: usize) -> Result<Vec<T>, StoreError> {
        let keys = self.due_keys(now, limit, KeepDue::Yes)?;
        let mut found = Vec::with_capacity(keys.len());
        for (_, key) in keys {
            found.extend(self.get(Uuid::from_u128(key))?);
        }
        Ok(found)
    }

    /// [`DueQueue::due`], removed from the queue.
    pub fn take_due(&mut self, now: OffsetDateTime, limit: usize) -> Result<Vec<T>, StoreError> {
        let keys = self.due_keys(now, limit, KeepDue::No)?;
        let mut taken = Vec::with_capacity(keys.len());
        for (due, key) in keys {
            let record = match self.remove_fresh(key) {
                Some(record) => Some(record),
                None => {
                    self.due.remove((due, key))?;
                    decode(self.records.remove(key)?, T::WHAT)?
                }
            };
            taken.extend(record);
        }
        self.count_change -= i64::try_from(taken.len()).unwrap_or(i64::MAX);
        Ok(taken)
    }

    /// The due keys at or before `now`, earliest first, at most `limit`.
    /// Those of fresh records leave `fresh_due` unless they are to be kept.
    fn due_keys(
        &self,
        now: OffsetDateTime,
        limit: usize,
        keep: KeepDue,
    ) -> Result<Vec<(i64, u128)>, StoreError> {
        let now = nanos(now);
        if self.clear_until.get().is_some_and(|clear| now <= clear) {
            return Ok(Vec::new());
        }
        let mut stored = Vec::new();
        // A bulk write into a new store probes an empty table thousands of
        // times, and each range allocates its bounds.
        if !self.stored_none {
            for entry in self.due.range(..=(now, u128::MAX))?.take(limit) {
                stored.push(entry?.0.value());
            }
        }
        let mut fresh_due = self.fresh_due.borrow_mut();
        let mut fresh = Vec::new();
        while fresh.len() < limit
            && let Some(entry) = self.first_live(&mut fresh_due)
            && entry.due <= now
        {
            fresh.push(entry);
            fresh_due.pop();
        }
        let mut keys: Vec<(i64, u128)> = stored
            .into_iter()
            .chain(fresh.iter().map(|entry| (entry.due, entry.key)))
            .collect();
        if keys.is_empty() {
            // Nothing is due before the first key (later than `now`), so later
            // probes before it can be skipped.
            let first_stored = self.due.first()?.map(|(key, _)| key.value().0);
            let first_fresh = self.first_live(&mut fresh_due).map(|entry| entry.due);
            let first = first_stored.into_iter().chain(first_fresh).min();
            let clear = first.map_or(i64::MAX, |first| first.saturating_sub(1));
            self.clear_until.set(Some(clear.max(now)));
            return Ok(Vec::new());
        }
        keys.sort_unstable();
        keys.truncate(limit);
        // What is not taken goes back: all of it for a look, and for a take
        // the fresh keys that earlier stored ones left out.
        let last = keys[keys.len() - 1];
        fresh_due.extend(
            fresh
                .into_iter()
                .filter(|entry| keep == KeepDue::Yes || (entry.due, entry.key) > last)
                .map(Reverse),
        );
        Ok(keys)
    }

    /// Writes the records created in this transaction to the tables, in key
    /// order; returns how many records the transaction added, less those it removed.
    pub fn flush(&mut self) -> Result<i64, StoreError> {
        let mut fresh: Vec<(u128, T)> = self
            .fresh
            .drain()
            .map(|(key, (record, _))| (key, record))
            .collect();
        fresh.sort_unstable_by_key(|(key, _)| *key);
        let mut due_keys: Vec<(i64, u128)> = fresh
            .iter()
            .map(|(key, record)| (nanos(record.due_at()), *key))
            .collect();
        due_keys.sort_unstable();
        self.fresh_due.get_mut().clear();
        self.stored_none &= fresh.is_empty();
        for (key, record) in fresh {
            encode(&mut self.scratch, &record)?;
            if self.records.insert(key, self.scratch.as_slice())?.is_some() {
                return Err(StoreError::Corrupt(format!(
                    "{} {} was written twice in one transaction",
                    T::WHAT,
                    Uuid::from_u128(key)
                )));
            }
        }
        for due_key in due_keys {
            self.due.insert(due_key, ())?;
        }
        Ok(std::mem::take(&mut self.count_change))
    }

    /// Keeps `record` in memory, replacing an earlier version made in this
    /// transaction; says whether there was one.
    fn put_fresh(&mut self, record: T) -> bool {
        let key = record.id().as_u128();
        let due = nanos(record.due_at());
        let entry = self.next_entry;
        self.next_entry += 1;
        let replaced = self.fresh.insert(key, (record, entry)).is_some();
        self.narrow_clear_span(due);
        self.fresh_due
            .get_mut()
            .push(Reverse(FreshDue { due, key, entry }));
        replaced
    }

    fn remove_fresh(&mut self, key: u128) -> Option<T> {
        self.fresh.remove(&key).map(|(record, _)| record)
    }

    /// The earliest entry of `fresh_due` whose record is still there at its
    /// time; the others on the way are dropped.
    fn first_live(&self, fresh_due: &mut BinaryHeap<Reverse<FreshDue>>) -> Option<FreshDue> {
        while let Some(&Reverse(first)) = fresh_due.peek() {
            if self
                .fresh
                .get(&first.key)
                .is_some_and(|(_, entry)| *entry == first.entry)
            {
                return Some(first);
            }
            fresh_due.pop();
        }
        None
    }

    /// Adds the due key of a stored record.
    fn index_stored(&mut self, key: u128, due_at: OffsetDateTime) -> Result<(), StoreError> {
        let due = nanos(due_at);
        self.narrow_clear_span(due);
        self.due.insert((due, key), ())?;
        Ok(())
    }

    /// A record due at `due` (nanos) ends the known-clear span before it.
    fn narrow_clear_span(&self, due: i64) {
        if let Some(clear) = self.clear_until.get()
            && due <= clear
        {
            self.clear_until.set(due.checked_sub(1));
        }
    }
}

/// The due key of a fresh record and the number of its entry: earliest
/// first, then by key, as the due-time tables order them.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct FreshDue {
    due: i64,
    key: u128,
    entry: u64,
}

/// Whether [`DueQueue::due_keys`] leaves the keys of fresh records it finds
/// in the queue (a look) or not (a take).
#[derive(PartialEq, Eq)]
enum KeepDue {
    Yes,
    No,
}

/// The due time (nanos) of a stored record, read without decoding the rest of
/// it (its payload above all).
fn stored_due(bytes: &[u8], what: &str) -> Result<i64, StoreError> {
    #[derive(serde::Deserialize)]
    struct Due {
        #[serde(with = "rfc3339")]
        due_at: OffsetDateTime,
    }
    parse_json::<Due>(bytes, what).map(|due| nanos(due.due_at))
}
