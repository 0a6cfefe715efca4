//! Paged reads of a snapshot. Every query reads only the page it returns
//! (plus index entries it skips over when filtering).

use std::ops::Bound;

use redb::{
    ReadOnlyTable, ReadTransaction, ReadableTable, ReadableTableMetadata, TableDefinition,
    TableError,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::records::*;
use super::records::{decode, nanos, parse_json};
use super::schema::{self, counter};
use super::{EventRecord, StoreError};

/// One page of a query and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T, C> {
    pub items: Vec<T>,
    /// Pass back to get the following page; `None` at the end.
    pub next: Option<C>,
}

/// Every item of a paged query, read page by page from the start:
/// `all_pages(|after| reader.outbox(after, 10_000))`.
pub fn all_pages<T, C>(
    mut page: impl FnMut(Option<C>) -> Result<Page<T, C>, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let Page { items, next } = page(after)?;
        all.extend(items);
        match next {
            Some(next) => after = Some(next),
            None => return Ok(all),
        }
    }
}

/// Which streams to list. All parts are optional and combine with "and".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamFilter {
    pub process_type: Option<String>,
    pub status: Option<StreamStatus>,
    /// Stream id starts with this.
    pub id_prefix: Option<String>,
}

/// A read snapshot of the store.
pub struct StoreReader {
    transaction: ReadTransaction,
}

impl StoreReader {
    pub(super) fn new(transaction: ReadTransaction) -> Self {
        StoreReader { transaction }
    }

    /// Opens a table; a table that was never written reads as absent (`None`).
    fn table<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        definition: TableDefinition<K, V>,
    ) -> Result<Option<ReadOnlyTable<K, V>>, StoreError> {
        match self.transaction.open_table(definition) {
            Ok(table) => Ok(Some(table)),
            Err(TableError::TableDoesNotExist(_)) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    fn json_at<K, T>(
        &self,
        definition: TableDefinition<K, &'static [u8]>,
        key: K::SelfType<'_>,
        what: &str,
    ) -> Result<Option<T>, StoreError>
    where
        K: redb::Key + 'static,
        T: DeserializeOwned,
    {
        let Some(table) = self.table(definition)? else {
            return Ok(None);
        };
        decode(table.get(key)?, what)
    }

    /// The `format_version` meta record, if the file has one.
    pub fn format_version(&self) -> Result<Option<String>, StoreError> {
        self.meta(schema::META_FORMAT_VERSION)
    }

    /// A meta record.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let Some(table) = self.table(schema::META)? else {
            return Ok(None);
        };
        Ok(table.get(key)?.map(|value| value.value().to_string()))
    }

    /// A counter (0 when absent).
    pub fn counter(&self, name: &str) -> Result<u64, StoreError> {
        let Some(table) = self.table(schema::COUNTERS)? else {
            return Ok(0);
        };
        Ok(table.get(name)?.map_or(0, |value| value.value()))
    }

    /// All counters whose name starts with `prefix`, with the prefix removed, sorted by name.
    pub fn counters_with_prefix(&self, prefix: &str) -> Result<Vec<(String, u64)>, StoreError> {
        let Some(table) = self.table(schema::COUNTERS)? else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for entry in table.range(prefix..)? {
            let (name, value) = entry?;
            let Some(rest) = name.value().strip_prefix(prefix) else {
                break;
            };
            found.push((rest.to_string(), value.value()));
        }
        Ok(found)
    }

    /// The write generation (bumped by every commit).
    pub fn generation(&self) -> Result<u64, StoreError> {
        self.counter(counter::GENERATION)
    }

    /// Number of distinct event-type sequences over all streams.
    pub fn variant_count(&self) -> Result<u64, StoreError> {
        let Some(table) = self.table(schema::VARIANTS)? else {
            return Ok(0);
        };
        Ok(table.len()?)
    }

    /// Every variant hash with its number of streams, most frequent first.
    pub fn variants(&self) -> Result<Vec<(u128, u64)>, StoreError> {
        let Some(table) = self.table(schema::VARIANTS)? else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for entry in table.iter()? {
            let (variant, count) = entry?;
            found.push((variant.value(), count.value()));
        }
        found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(found)
    }

    // ----- streams ----------------------------------------------------------------------

    /// A stream's record.
    pub fn stream(&self, stream_id: &str) -> Result<Option<StreamInfo>, StoreError> {
        self.json_at(schema::STREAMS, stream_id, "stream")
    }

    /// The records of `ids` through one open table (a reader of many
    /// streams pays for opening the table once): one result per id, `None`
    /// for an id without a record, an error for a damaged one.
    pub fn stream_records(
        &self,
        ids: &[String],
    ) -> Result<Vec<Result<Option<StreamInfo>, StoreError>>, StoreError> {
        let Some(table) = self.table(schema::STREAMS)? else {
            return Ok(ids.iter().map(|_| Ok(None)).collect());
        };
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            found.push(decode(table.get(id.as_str())?, "stream"));
        }
        Ok(found)
    }

    /// Streams matching `filter`, in stream-id order, starting after `after`.
    pub fn streams(
        &self,
        filter: &StreamFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<StreamInfo, String>, StoreError> {
        let ids = self.stream_ids(filter, after, limit + 1)?;
        let mut items = Vec::with_capacity(ids.len().min(limit));
        for id in ids.iter().take(limit) {
            if let Some(info) = self.stream(id)? {
                items.push(info);
            }
        }
        let next = (ids.len() > limit).then(|| ids[limit - 1].clone());
        Ok(Page { items, next })
    }

    /// Stream ids matching `filter`, in id order, after `after`, at most `limit`;
    /// reads only the index of the narrowest filter.
    pub fn stream_ids(
        &self,
        filter: &StreamFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let prefix = filter.id_prefix.as_deref().unwrap_or("");
        let (start, exclusive) = match after {
            Some(after) if after >= prefix => (after, true),
            _ => (prefix, false),
        };
        let mut ids = Vec::new();
        // Adds a matching id; false once the id leaves the prefix or the page is full.
        let keep = |id: &str, ids: &mut Vec<String>| -> bool {
            if !id.starts_with(prefix) {
                return false;
            }
            ids.push(id.to_string());
            ids.len() < limit
        };
        match (&filter.process_type, filter.status) {
            (Some(process_type), status) => {
                let Some(table) = self.table(schema::STREAMS_BY_TYPE)? else {
                    return Ok(ids);
                };
                let statuses = match status {
                    Some(status) => vec![status],
                    None => StreamStatus::ALL.to_vec(),
                };
                // One sorted run per status, merged to keep id order.
                let mut runs = Vec::new();
                for status in statuses {
                    let mut run = Vec::new();
                    let lower =
                        lower_bound((process_type.as_str(), status.as_str(), start), exclusive);
                    for entry in table.range::<(&str, &str, &str)>((lower, Bound::Unbounded))? {
                        let (key, _) = entry?;
                        let (t, s, id) = key.value();
                        if t != process_type || s != status.as_str() || !keep(id, &mut run) {
                            break;
                        }
                    }
                    runs.push(run);
                }
                ids = merge_sorted(runs, limit);
            }
            (None, Some(status)) => {
                let Some(table) = self.table(schema::STREAMS_BY_STATUS)? else {
                    return Ok(ids);
                };
                let lower = lower_bound((status.as_str(), start), exclusive);
                for entry in table.range::<(&str, &str)>((lower, Bound::Unbounded))? {
                    let (key, _) = entry?;
                    let (s, id) = key.value();
                    if s != status.as_str() || !keep(id, &mut ids) {
                        break;
                    }
                }
            }
            (None, None) => {
                let Some(table) = self.table(schema::STREAMS)? else {
                    return Ok(ids);
                };
                for entry in
                    table.range::<&str>((lower_bound(start, exclusive), Bound::Unbounded))?
                {
                    let (key, _) = entry?;
                    if !keep(key.value(), &mut ids) {
                        break;
                    }
                }
            }
        }
        Ok(ids)
    }

    /// Every stream id, in order (for the browser's sort index and the integrity check).
    pub fn all_stream_ids(&self) -> Result<Vec<String>, StoreError> {
        let Some(table) = self.table(schema::STREAMS)? else {
            return Ok(Vec::new());
        };
        let mut ids = Vec::with_capacity(table.len()? as usize);
        for entry in table.iter()? {
            ids.push(entry?.0.value().to_string());
        }
        Ok(ids)
    }

    /// Number of streams.
    pub fn stream_count(&self) -> Result<u64, StoreError> {
        self.counter(counter::STREAMS_TOTAL)
    }

    // ----- events -----------------------------------------------------------------------

    /// The raw bytes of the event at a global position (for damaged records).
    pub fn event_bytes(&self, position: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(table) = self.table(schema::EVENTS)? else {
            return Ok(None);
        };
        Ok(table.get(position)?.map(|bytes| bytes.value().to_vec()))
    }

    /// The event at a global position.
    pub fn event_at(&self, position: u64) -> Result<Option<Event>, StoreError> {
        let Some(table) = self.table(schema::EVENTS)? else {
            return Ok(None);
        };
        let Some(bytes) = table.get(position)? else {
            return Ok(None);
        };
        Ok(Some(
            EventRecord::<Value>::decode(position, bytes.value())?.into_event(),
        ))
    }

    /// An event by id.
    pub fn event_by_id(&self, event_id: Uuid) -> Result<Option<Event>, StoreError> {
        match self.position_of(event_id)? {
            Some(position) => self.event_at(position),
            None => Ok(None),
        }
    }

    /// The global position of an event id.
    pub fn position_of(&self, event_id: Uuid) -> Result<Option<u64>, StoreError> {
        let Some(table) = self.table(schema::EVENT_IDS)? else {
            return Ok(None);
        };
        Ok(table.get(event_id.as_u128())?.map(|value| value.value()))
    }

    /// The highest position in the global log (0 when empty).
    pub fn last_position(&self) -> Result<u64, StoreError> {
        let Some(table) = self.table(schema::EVENTS)? else {
            return Ok(0);
        };
        Ok(table.last()?.map_or(0, |(key, _)| key.value()))
    }

    /// Raw events of the global log from `from` (inclusive), at most `limit`:
    /// position and bytes, so that a damaged record can still be listed.
    pub fn log_raw(&self, from: u64, limit: usize) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let Some(table) = self.table(schema::EVENTS)? else {
            return Ok(Vec::new());
        };
        let mut found = Vec::with_capacity(limit.min(4096));
        for entry in table.range(from..)?.take(limit) {
            let (position, bytes) = entry?;
            found.push((position.value(), bytes.value().to_vec()));
        }
        Ok(found)
    }

    /// Events of the global log from `from` (inclusive), at most `limit`.
    pub fn log(&self, from: u64, limit: usize) -> Result<Vec<Event>, StoreError> {
        self.log_raw(from, limit)?
            .into_iter()
            .map(|(position, bytes)| {
                EventRecord::<Value>::decode(position, &bytes).map(EventRecord::into_event)
            })
            .collect()
    }

    /// Positions of a stream's events from `from_version` (inclusive), at most `limit`.
    pub fn stream_positions(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<(u64, u64)>, StoreError> {
        let Some(table) = self.table(schema::STREAM_EVENTS)? else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for entry in table
            .range((stream_id, from_version)..=(stream_id, u64::MAX))?
            .take(limit)
        {
            let (key, position) = entry?;
            found.push((key.value().1, position.value()));
        }
        Ok(found)
    }

    /// A stream's events from `from_version` (inclusive), at most `limit`. For an
    /// event shared by several streams, `version` is its version in this stream.
    pub fn stream_events(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        let Some(events) = self.table(schema::EVENTS)? else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for (version, position) in self.stream_positions(stream_id, from_version, limit)? {
            let bytes = events.get(position)?.ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "stream {stream_id} version {version} points at missing position {position}"
                ))
            })?;
            let mut event = EventRecord::<Value>::decode(position, bytes.value())?.into_event();
            event.stream_id = stream_id.to_string();
            event.version = version;
            found.push(event);
        }
        Ok(found)
    }

    /// Ids of the events caused by `cause` (direct effects), sorted.
    pub fn effects_of(&self, cause: Uuid) -> Result<Vec<Uuid>, StoreError> {
        let Some(table) = self.table(schema::CAUSED_BY)? else {
            return Ok(Vec::new());
        };
        let key = cause.as_u128();
        let mut found = Vec::new();
        for entry in table.range((key, 0u128)..=(key, u128::MAX))? {
            found.push(Uuid::from_u128(entry?.0.value().1));
        }
        Ok(found)
    }

    /// Positions of the events of one conversation from `from` (inclusive), at most `limit`.
    pub fn correlated(
        &self,
        correlation_id: Uuid,
        from: u64,
        limit: usize,
    ) -> Result<Vec<u64>, StoreError> {
        let Some(table) = self.table(schema::CORRELATED)? else {
            return Ok(Vec::new());
        };
        let key = correlation_id.as_u128();
        let mut found = Vec::new();
        for entry in table.range((key, from)..=(key, u64::MAX))?.take(limit) {
            found.push(entry?.0.value().1);
        }
        Ok(found)
    }

    // ----- queues -----------------------------------------------------------------------

    /// Outbox messages by due time, starting after the cursor, at most `limit`.
    pub fn outbox(
        &self,
        after: Option<(i64, Uuid)>,
        limit: usize,
    ) -> Result<Page<OutboxMessage, (i64, Uuid)>, StoreError> {
        let Some(index) = self.table(schema::OUTBOX_DUE)? else {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        };
        let keys = keys_after(&index, after, limit + 1)?;
        let mut items = Vec::new();
        for (_, id) in keys.iter().take(limit) {
            if let Some(message) = self.outbox_message(*id)? {
                items.push(message);
            }
        }
        let next = (keys.len() > limit).then(|| keys[limit - 1]);
        Ok(Page { items, next })
    }

    /// An outbox message by id.
    pub fn outbox_message(&self, id: Uuid) -> Result<Option<OutboxMessage>, StoreError> {
        self.json_at(schema::OUTBOX, id.as_u128(), "outbox message")
    }

    /// Number of outbox messages due at or before `now`.
    pub fn outbox_overdue(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        count_due(self.table(schema::OUTBOX_DUE)?, now)
    }

    /// Deadlines by due time, starting after the cursor, at most `limit`.
    pub fn deadlines(
        &self,
        after: Option<(i64, Uuid)>,
        limit: usize,
    ) -> Result<Page<Deadline, (i64, Uuid)>, StoreError> {
        let Some(index) = self.table(schema::DEADLINES_DUE)? else {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        };
        let keys = keys_after(&index, after, limit + 1)?;
        let mut items = Vec::new();
        for (_, id) in keys.iter().take(limit) {
            if let Some(deadline) = self.deadline(*id)? {
                items.push(deadline);
            }
        }
        let next = (keys.len() > limit).then(|| keys[limit - 1]);
        Ok(Page { items, next })
    }

    /// A deadline by id.
    pub fn deadline(&self, id: Uuid) -> Result<Option<Deadline>, StoreError> {
        self.json_at(schema::DEADLINES, id.as_u128(), "deadline")
    }

    /// Number of deadlines due at or before `now`.
    pub fn deadlines_overdue(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        count_due(self.table(schema::DEADLINES_DUE)?, now)
    }

    // ----- dead letters -----------------------------------------------------------------

    /// A dead letter by id.
    pub fn dead_letter(&self, id: Uuid) -> Result<Option<DeadLetter>, StoreError> {
        self.json_at(schema::DEAD_LETTERS, id.as_u128(), "dead letter")
    }

    /// Dead letters in recording order, starting after the cursor, at most `limit`.
    pub fn dead_letters(
        &self,
        after: Option<(i64, Uuid)>,
        limit: usize,
    ) -> Result<Page<DeadLetter, (i64, Uuid)>, StoreError> {
        let Some(index) = self.table(schema::DEAD_LETTERS_BY_TIME)? else {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        };
        let keys = keys_after(&index, after, limit + 1)?;
        let mut items = Vec::new();
        for (_, id) in keys.iter().take(limit) {
            if let Some(letter) = self.dead_letter(*id)? {
                items.push(letter);
            }
        }
        let next = (keys.len() > limit).then(|| keys[limit - 1]);
        Ok(Page { items, next })
    }

    /// Dead letters of one reason in recording order, starting after the cursor, at most `limit`.
    pub fn dead_letters_by_reason(
        &self,
        reason: &str,
        after: Option<(i64, Uuid)>,
        limit: usize,
    ) -> Result<Page<DeadLetter, (i64, Uuid)>, StoreError> {
        let Some(index) = self.table(schema::DEAD_LETTERS_BY_REASON)? else {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        };
        let lower = match after {
            Some((at, id)) => Bound::Excluded((reason, at, id.as_u128())),
            None => Bound::Included((reason, i64::MIN, 0u128)),
        };
        let mut keys = Vec::new();
        for entry in index
            .range::<(&str, i64, u128)>((lower, Bound::Included((reason, i64::MAX, u128::MAX))))?
        {
            let (key, _) = entry?;
            let (_, at, id) = key.value();
            keys.push((at, Uuid::from_u128(id)));
            if keys.len() > limit {
                break;
            }
        }
        let mut items = Vec::new();
        for (_, id) in keys.iter().take(limit) {
            if let Some(letter) = self.dead_letter(*id)? {
                items.push(letter);
            }
        }
        let next = (keys.len() > limit).then(|| keys[limit - 1]);
        Ok(Page { items, next })
    }

    // ----- definitions, checkpoints, audit ----------------------------------------------

    /// The definition JSON of a process type.
    pub fn definition(&self, process_type: &str) -> Result<Option<Value>, StoreError> {
        self.json_at(schema::DEFINITIONS, process_type, "definition")
    }

    /// Every definition, by process type.
    pub fn definitions(&self) -> Result<Vec<(String, Value)>, StoreError> {
        let Some(table) = self.table(schema::DEFINITIONS)? else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for entry in table.iter()? {
            let (name, bytes) = entry?;
            found.push((
                name.value().to_string(),
                parse_json(bytes.value(), "definition")?,
            ));
        }
        Ok(found)
    }

    /// The checkpoint of a stream at the highest version at or below `version`.
    pub fn checkpoint_at_or_below(
        &self,
        stream_id: &str,
        version: u64,
    ) -> Result<Option<(u64, Value)>, StoreError> {
        let Some(table) = self.table(schema::CHECKPOINTS)? else {
            return Ok(None);
        };
        let Some(entry) = table
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

    /// Audit entries from `from_seq` (inclusive), at most `limit`.
    pub fn audit(&self, from_seq: u64, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let Some(table) = self.table(schema::AUDIT)? else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for entry in table.range(from_seq..)?.take(limit) {
            let (seq, bytes) = entry?;
            found.push(parse_json(
                bytes.value(),
                &format!("audit entry {}", seq.value()),
            )?);
        }
        Ok(found)
    }

    /// The position recorded for an intake dedup key.
    pub fn inbox(&self, dedup_key: &str) -> Result<Option<u64>, StoreError> {
        let Some(table) = self.table(schema::INBOX)? else {
            return Ok(None);
        };
        Ok(table.get(dedup_key)?.map(|value| value.value()))
    }

    /// Raw access for the integrity check and the analyses (`crate::analysis`),
    /// which read whole tables in bulk: opens any table of the schema.
    pub(crate) fn raw_table<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        definition: TableDefinition<K, V>,
    ) -> Result<Option<ReadOnlyTable<K, V>>, StoreError> {
        self.table(definition)
    }
}

fn lower_bound<T>(key: T, exclusive: bool) -> Bound<T> {
    if exclusive {
        Bound::Excluded(key)
    } else {
        Bound::Included(key)
    }
}

/// Merges sorted runs into one sorted list of at most `limit`.
fn merge_sorted(runs: Vec<Vec<String>>, limit: usize) -> Vec<String> {
    let mut all: Vec<String> = runs.into_iter().flatten().collect();
    all.sort();
    all.truncate(limit);
    all
}

/// Keys of a due/time index after a cursor, at most `limit`.
fn keys_after<T: ReadableTable<(i64, u128), ()>>(
    index: &T,
    after: Option<(i64, Uuid)>,
    limit: usize,
) -> Result<Vec<(i64, Uuid)>, StoreError> {
    let lower = match after {
        Some((at, id)) => Bound::Excluded((at, id.as_u128())),
        None => Bound::Unbounded,
    };
    let mut keys = Vec::new();
    for entry in index
        .range::<(i64, u128)>((lower, Bound::Unbounded))?
        .take(limit)
    {
        let (key, _) = entry?;
        let (at, id) = key.value();
        keys.push((at, Uuid::from_u128(id)));
    }
    Ok(keys)
}

fn count_due(
    index: Option<ReadOnlyTable<(i64, u128), ()>>,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let Some(index) = index else {
        return Ok(0);
    };
    let mut count = 0;
    for entry in index.range(..=(nanos(now), u128::MAX))? {
        entry?;
        count += 1;
    }
    Ok(count)
}
