//! Rows of the virtualized tables, read a page at a time, and the small cache
//! of pages the tables keep. A damaged record becomes a row that says so,
//! never an error for the whole page.

use std::collections::{BTreeMap, VecDeque};

use time::OffsetDateTime;
use uuid::Uuid;

use process_workbench_core::store::{
    EventRecord, Store, StoreError, StoreReader, StreamFilter, StreamInfo,
};

/// Rows per page read from the store.
pub const PAGE_ROWS: usize = 128;

/// The fields of an event a table row shows. Decoded without building the
/// payload (a payload may be megabytes).
#[derive(Debug, Clone, PartialEq)]
pub struct EventHeader {
    pub event_id: Uuid,
    pub stream_id: String,
    pub version: u64,
    pub position: u64,
    pub event_type: String,
    pub occurred_at: OffsetDateTime,
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
}

impl EventHeader {
    /// The header of the event record at `position`.
    pub fn decode(position: u64, bytes: &[u8]) -> Result<EventHeader, StoreError> {
        let record: EventRecord = EventRecord::decode(position, bytes)?;
        Ok(EventHeader {
            event_id: record.event_id,
            stream_id: record.stream_id.into_owned(),
            version: record.version,
            position: record.position,
            event_type: record.event_type.into_owned(),
            occurred_at: record.occurred_at,
            correlation_id: record.correlation_id,
            causation_id: record.causation_id,
        })
    }
}

/// One row of an event table.
#[derive(Debug, Clone, PartialEq)]
pub enum EventRow {
    /// A readable event; `version` is its version in the stream the table shows.
    Event { header: EventHeader, version: u64 },
    /// The record's bytes are not an event.
    Damaged { position: u64, error: String },
    /// An index points at a position with no record.
    Missing { position: u64 },
}

impl EventRow {
    /// The global position of the row's event.
    pub fn position(&self) -> u64 {
        match self {
            EventRow::Event { header, .. } => header.position,
            EventRow::Damaged { position, .. } | EventRow::Missing { position } => *position,
        }
    }
}

/// Reads the row of the event at `position`; `version` overrides the event's own
/// version (its version in the stream a table shows).
pub fn read_event_row(
    reader: &StoreReader,
    position: u64,
    version: Option<u64>,
) -> Result<EventRow, StoreError> {
    let Some(bytes) = reader.event_bytes(position)? else {
        return Ok(EventRow::Missing { position });
    };
    Ok(event_row(position, &bytes, version))
}

/// The row of an event's bytes.
pub fn event_row(position: u64, bytes: &[u8], version: Option<u64>) -> EventRow {
    match EventHeader::decode(position, bytes) {
        Ok(header) => EventRow::Event {
            version: version.unwrap_or(header.version),
            header,
        },
        Err(error) => EventRow::Damaged {
            position,
            error: error.to_string(),
        },
    }
}

/// Reads one page of a stream's events: versions `from_version..` at most `limit`.
pub fn read_stream_event_rows(
    reader: &StoreReader,
    stream_id: &str,
    from_version: u64,
    limit: usize,
) -> Result<Vec<EventRow>, StoreError> {
    let mut rows = Vec::new();
    for (version, position) in reader.stream_positions(stream_id, from_version, limit)? {
        rows.push(read_event_row(reader, position, Some(version))?);
    }
    Ok(rows)
}

/// One row of the stream table.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamRow {
    Stream(Box<StreamInfo>),
    /// The stream's record could not be read.
    Damaged {
        stream_id: String,
        error: String,
    },
}

impl StreamRow {
    /// The row's stream id.
    pub fn stream_id(&self) -> &str {
        match self {
            StreamRow::Stream(info) => &info.stream_id,
            StreamRow::Damaged { stream_id, .. } => stream_id,
        }
    }
}

/// Reads the rows of the given stream ids.
pub fn read_stream_rows(reader: &StoreReader, ids: &[String]) -> Vec<StreamRow> {
    ids.iter()
        .map(|id| match reader.stream(id) {
            Ok(Some(info)) => StreamRow::Stream(Box::new(info)),
            Ok(None) => StreamRow::Damaged {
                stream_id: id.clone(),
                error: "indexed, but the stream record is missing".to_string(),
            },
            Err(error) => StreamRow::Damaged {
                stream_id: id.clone(),
                error: error.to_string(),
            },
        })
        .collect()
}

/// Reads the page of streams matching `filter` that starts after `after`.
pub fn read_stream_page(
    reader: &StoreReader,
    filter: &StreamFilter,
    after: Option<&str>,
) -> Result<Vec<StreamRow>, StoreError> {
    let ids = reader.stream_ids(filter, after, PAGE_ROWS)?;
    Ok(read_stream_rows(reader, &ids))
}

/// A read snapshot begun on first use in a frame: frames whose rows are all
/// cached read nothing.
pub struct LazyReader<'a> {
    store: &'a Store,
    reader: Option<Result<StoreReader, String>>,
}

impl<'a> LazyReader<'a> {
    /// A reader of `store` that begins its snapshot when first asked.
    pub fn new(store: &'a Store) -> Self {
        LazyReader {
            store,
            reader: None,
        }
    }

    /// The snapshot, or why it could not be begun.
    pub fn get(&mut self) -> Result<&StoreReader, String> {
        let store = self.store;
        self.reader
            .get_or_insert_with(|| store.read().map_err(|error| error.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// A few pages of rows, most recently used kept. Keyed on a "source key"
/// (the store generation and what the table shows); a new key empties it.
#[derive(Debug)]
pub struct PageCache<T> {
    key: Option<(u64, u64)>,
    pages: BTreeMap<usize, Vec<T>>,
    order: VecDeque<usize>,
    capacity: usize,
}

impl<T> PageCache<T> {
    /// A cache of at most `capacity` pages.
    pub fn new(capacity: usize) -> Self {
        PageCache {
            key: None,
            pages: BTreeMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    /// Empties the cache unless it was filled for `generation` and `source`.
    pub fn key_on(&mut self, generation: u64, source: u64) {
        if self.key != Some((generation, source)) {
            self.key = Some((generation, source));
            self.pages.clear();
            self.order.clear();
        }
    }

    /// Empties the cache (keeping its key).
    pub fn clear(&mut self) {
        self.pages.clear();
        self.order.clear();
    }

    /// Forgets one page.
    pub fn remove(&mut self, page: usize) {
        self.pages.remove(&page);
        self.order.retain(|cached| *cached != page);
    }

    /// The page if it is cached.
    pub fn get(&self, page: usize) -> Option<&[T]> {
        self.pages.get(&page).map(Vec::as_slice)
    }

    /// The page, loaded with `load` when it is not cached.
    pub fn get_or_load(&mut self, page: usize, load: impl FnOnce() -> Vec<T>) -> &[T] {
        if !self.pages.contains_key(&page) {
            if self.order.len() >= self.capacity
                && let Some(oldest) = self.order.pop_front()
            {
                self.pages.remove(&oldest);
            }
            self.pages.insert(page, load());
            self.order.push_back(page);
        }
        self.pages.get(&page).map(Vec::as_slice).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_page_goes_first() {
        let mut cache = PageCache::new(2);
        cache.key_on(1, 0);
        cache.get_or_load(0, || vec![0]);
        cache.get_or_load(1, || vec![1]);
        cache.get_or_load(2, || vec![2]);
        assert!(cache.get(0).is_none());
        assert_eq!(cache.get(2), Some(&[2][..]));
        cache.key_on(2, 0);
        assert!(cache.get(2).is_none());
    }

    #[test]
    fn bytes_that_are_not_an_event_make_a_damaged_row() {
        assert!(matches!(
            event_row(7, b"{not json", None),
            EventRow::Damaged { position: 7, .. }
        ));
    }
}
