//! Reads that replay and the causal graph need in bulk: raw event bytes of a
//! stream range, a stream's checkpoints, and the nearest checkpoint — in a read
//! snapshot and inside a write transaction (the engine maintains checkpoints in
//! the transaction that appends, so they must see its uncommitted events).
//!
//! Raw bytes rather than decoded events: a fold needs three fields of each
//! event, and the tables are opened once per call instead of once per event.

use redb::ReadableTable;
use serde_json::Value;
use uuid::Uuid;

use super::query::StoreReader;
use super::records::parse_json;
use super::write::{StoreWriter, open};
use super::{StoreError, schema};

impl StoreReader {
    /// Calls `visit(version, event JSON bytes)` for the events of `stream_id`
    /// at versions `from..=to`, in version order.
    pub fn visit_stream_event_bytes<E: From<StoreError>>(
        &self,
        stream_id: &str,
        from: u64,
        to: u64,
        visit: impl FnMut(u64, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let (Some(index), Some(events)) = (
            self.raw_table(schema::STREAM_EVENTS)?,
            self.raw_table(schema::EVENTS)?,
        ) else {
            return Ok(());
        };
        visit_range(&index, &events, stream_id, from, to, visit)
    }

    /// Calls `visit(version, checkpoint JSON bytes)` for every checkpoint of a
    /// stream, in version order.
    pub fn visit_checkpoints<E: From<StoreError>>(
        &self,
        stream_id: &str,
        mut visit: impl FnMut(u64, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(table) = self.raw_table(schema::CHECKPOINTS)? else {
            return Ok(());
        };
        for entry in table
            .range((stream_id, 0u64)..=(stream_id, u64::MAX))
            .map_err(StoreError::from)?
        {
            let (key, bytes) = entry.map_err(StoreError::from)?;
            visit(key.value().1, bytes.value())?;
        }
        Ok(())
    }

    /// Calls `visit(event id, event JSON bytes)` for each id of `ids` found in
    /// the store (ids that are not events are skipped), opening the tables once.
    pub fn visit_events_by_id<E: From<StoreError>>(
        &self,
        ids: &[Uuid],
        mut visit: impl FnMut(Uuid, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let (Some(index), Some(events)) = (
            self.raw_table(schema::EVENT_IDS)?,
            self.raw_table(schema::EVENTS)?,
        ) else {
            return Ok(());
        };
        for &id in ids {
            let Some(position) = index.get(id.as_u128()).map_err(StoreError::from)? else {
                continue;
            };
            let position = position.value();
            let Some(bytes) = events.get(position).map_err(StoreError::from)? else {
                return Err(StoreError::Corrupt(format!(
                    "event id {id} points at missing position {position}"
                ))
                .into());
            };
            visit(id, bytes.value())?;
        }
        Ok(())
    }

    /// Calls `visit(position, event JSON bytes)` for each global position of
    /// `positions` that holds an event, opening the table once.
    pub fn visit_events_at<E: From<StoreError>>(
        &self,
        positions: &[u64],
        mut visit: impl FnMut(u64, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(events) = self.raw_table(schema::EVENTS)? else {
            return Ok(());
        };
        for &position in positions {
            if let Some(bytes) = events.get(position).map_err(StoreError::from)? {
                visit(position, bytes.value())?;
            }
        }
        Ok(())
    }

    /// Direct effects of each cause in `causes`, as (cause, effect) pairs in
    /// (cause order, effect id) order, opening the cause index once.
    pub fn effects_of_many(&self, causes: &[Uuid]) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        let Some(table) = self.raw_table(schema::CAUSED_BY)? else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for &cause in causes {
            let key = cause.as_u128();
            for entry in table.range((key, 0u128)..=(key, u128::MAX))? {
                found.push((cause, Uuid::from_u128(entry?.0.value().1)));
            }
        }
        Ok(found)
    }
}

impl StoreWriter<'_> {
    /// As [`StoreReader::visit_stream_event_bytes`], seeing this transaction's writes.
    pub fn visit_stream_event_bytes<E: From<StoreError>>(
        &mut self,
        stream_id: &str,
        from: u64,
        to: u64,
        visit: impl FnMut(u64, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let (transaction, tables) = (self.transaction, &mut self.tables);
        let index = open(
            &mut tables.stream_events,
            transaction,
            schema::STREAM_EVENTS,
        )?;
        let events = open(&mut tables.events, transaction, schema::EVENTS)?;
        visit_range(&*index, &*events, stream_id, from, to, visit)
    }

    /// The checkpoint of a stream at the highest version at or below `version`,
    /// as this transaction sees it.
    pub fn checkpoint_at_or_below(
        &mut self,
        stream_id: &str,
        version: u64,
    ) -> Result<Option<(u64, Value)>, StoreError> {
        let checkpoints = open(
            &mut self.tables.checkpoints,
            self.transaction,
            schema::CHECKPOINTS,
        )?;
        let Some(entry) = checkpoints
            .range((stream_id, 0u64)..=(stream_id, version))?
            .next_back()
        else {
            return Ok(None);
        };
        let (key, bytes) = entry?;
        Ok(Some((
            key.value().1,
            parse_json(bytes.value(), "checkpoint")?,
        )))
    }

    /// Removes every checkpoint of a stream (before they are rebuilt under a
    /// changed definition or interval). Returns how many were removed.
    pub fn clear_checkpoints(&mut self, stream_id: &str) -> Result<u64, StoreError> {
        let checkpoints = open(
            &mut self.tables.checkpoints,
            self.transaction,
            schema::CHECKPOINTS,
        )?;
        let mut versions = Vec::new();
        for entry in checkpoints.range((stream_id, 0u64)..=(stream_id, u64::MAX))? {
            versions.push(entry?.0.value().1);
        }
        for &version in &versions {
            checkpoints.remove((stream_id, version))?;
        }
        Ok(versions.len() as u64)
    }
}

fn visit_range<I, T, E>(
    index: &I,
    events: &T,
    stream_id: &str,
    from: u64,
    to: u64,
    mut visit: impl FnMut(u64, &[u8]) -> Result<(), E>,
) -> Result<(), E>
where
    I: ReadableTable<(&'static str, u64), u64>,
    T: ReadableTable<u64, &'static [u8]>,
    E: From<StoreError>,
{
    if from > to {
        return Ok(());
    }
    for entry in index
        .range((stream_id, from)..=(stream_id, to))
        .map_err(StoreError::from)?
    {
        let (key, position) = entry.map_err(StoreError::from)?;
        let version = key.value().1;
        visit(
            version,
            event_bytes(events, stream_id, version, position.value())?.value(),
        )?;
    }
    Ok(())
}

/// The bytes of the event at `position`, which the index says is `version` of `stream_id`.
fn event_bytes<'a, T: ReadableTable<u64, &'static [u8]>>(
    events: &'a T,
    stream_id: &str,
    version: u64,
    position: u64,
) -> Result<redb::AccessGuard<'a, &'static [u8]>, StoreError> {
    events.get(position)?.ok_or_else(|| {
        StoreError::Corrupt(format!(
            "stream {stream_id} version {version} points at missing position {position}"
        ))
    })
}
