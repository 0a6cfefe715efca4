//! A timed queue inside one write transaction — the outbox and the deadlines
//! are each one: records by id (JSON) and their due-time index, kept in step.

use std::cell::Cell;

use redb::{ReadableTable, Table};
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use uuid::Uuid;

use super::write::{decode, nanos, parse_json};
use super::{StoreError, query, rfc3339};

/// Records by id and their `(due nanos, id)` index, as one write transaction sees them.
pub(super) struct DueQueue<'txn> {
    records: Table<'txn, u128, &'static [u8]>,
    due: Table<'txn, (i64, u128), ()>,
    /// No due key is at or before this time (nanos) in this transaction, as far
    /// as known: lets the delivery loop skip its probe when nothing can be due.
    clear_until: Cell<Option<i64>>,
    /// What a record is, for messages ("outbox message", "deadline").
    what: &'static str,
}

impl<'txn> DueQueue<'txn> {
    pub fn new(
        records: Table<'txn, u128, &'static [u8]>,
        due: Table<'txn, (i64, u128), ()>,
        what: &'static str,
    ) -> Self {
        DueQueue {
            records,
            due,
            clear_until: Cell::new(None),
            what,
        }
    }

    /// The record with `id`.
    pub fn get<T: DeserializeOwned>(&self, id: Uuid) -> Result<Option<T>, StoreError> {
        decode(self.records.get(id.as_u128())?, self.what)
    }

    /// Every record, in id order.
    pub fn all<T: DeserializeOwned>(&self) -> Result<Vec<T>, StoreError> {
        let mut found = Vec::new();
        for entry in self.records.iter()? {
            found.push(parse_json(entry?.1.value(), self.what)?);
        }
        Ok(found)
    }

    /// Inserts or replaces the record `json` of `id`, due at `due_at`; true if it is new.
    /// One B-tree walk: the insert hands back the record it replaced, whose due
    /// time alone is read.
    pub fn put(
        &mut self,
        id: Uuid,
        due_at: OffsetDateTime,
        json: &[u8],
    ) -> Result<bool, StoreError> {
        let key = id.as_u128();
        let replaced = self.records.insert(key, json)?;
        let replaced_due = replaced
            .map(|old| stored_due(old.value(), self.what))
            .transpose()?;
        if let Some(old_due) = replaced_due {
            self.due.remove((old_due, key))?;
        }
        self.index(key, due_at)?;
        Ok(replaced_due.is_none())
    }

    /// Writes back a record read in this transaction, which was due at
    /// `stored_due_at` then, without reading it again; true if it is new.
    pub fn put_read(
        &mut self,
        id: Uuid,
        stored_due_at: OffsetDateTime,
        due_at: OffsetDateTime,
        json: &[u8],
    ) -> Result<bool, StoreError> {
        let key = id.as_u128();
        self.due.remove((nanos(stored_due_at), key))?;
        self.index(key, due_at)?;
        Ok(self.records.insert(key, json)?.is_none())
    }

    /// Removes the record of `id` and returns it.
    pub fn remove<T: DeserializeOwned>(
        &mut self,
        id: Uuid,
        due_of: impl FnOnce(&T) -> OffsetDateTime,
    ) -> Result<Option<T>, StoreError> {
        let removed: Option<T> = decode(self.records.remove(id.as_u128())?, self.what)?;
        if let Some(old) = &removed {
            self.due.remove((nanos(due_of(old)), id.as_u128()))?;
        }
        Ok(removed)
    }

    /// Removes a record read in this transaction (due at `due_at`) without
    /// reading it again; true if it was there.
    pub fn remove_read(&mut self, id: Uuid, due_at: OffsetDateTime) -> Result<bool, StoreError> {
        let key = id.as_u128();
        let removed = self.records.remove(key)?.is_some();
        if removed {
            self.due.remove((nanos(due_at), key))?;
        }
        Ok(removed)
    }

    /// Records due at or before `now`, earliest first, at most `limit`.
    pub fn due<T: DeserializeOwned>(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<T>, StoreError> {
        if self
            .clear_until
            .get()
            .is_some_and(|clear| nanos(now) <= clear)
        {
            return Ok(Vec::new());
        }
        let ids = query::due_ids(&self.due, now, limit)?;
        if ids.is_empty() {
            // Nothing is due before the index's first key (later than `now`),
            // so later probes before it can be skipped.
            let first = self.due.first()?.map(|(key, _)| key.value().0);
            let clear = first.map_or(i64::MAX, |first| first.saturating_sub(1));
            self.clear_until.set(Some(clear.max(nanos(now))));
        }
        ids.into_iter()
            .filter_map(|id| self.get(id).transpose())
            .collect()
    }

    /// Adds the due key of `key`; the known-clear span ends before it.
    fn index(&mut self, key: u128, due_at: OffsetDateTime) -> Result<(), StoreError> {
        let due = nanos(due_at);
        if let Some(clear) = self.clear_until.get()
            && due <= clear
        {
            self.clear_until.set(due.checked_sub(1));
        }
        self.due.insert((due, key), ())?;
        Ok(())
    }
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
