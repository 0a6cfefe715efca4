//! The stream browser's query: which streams, in which order.
//!
//! The parts a [`StreamFilter`] names (process type, status, id prefix) are
//! read from the store's indexes in id order; a search inside ids, a variant
//! and a sort by another column need a scan ([`scan_streams`]). A list in
//! plain id order needs no scan at all: [`stream_anchors`] walks the index
//! once and keeps every n-th id, so that any page can be read with one
//! indexed range read starting after its anchor.

use std::ops::ControlFlow;
use std::sync::Arc;

use super::process::ProcessSelection;

use crate::store::schema::counter;
use crate::store::{StoreError, StoreReader, StreamFilter, StreamInfo, StreamStatus};

/// Ids read per index range read of a scan, and between two calls of its callback.
pub const SCAN_CHUNK: usize = 4096;

/// Columns a stream list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamSortColumn {
    #[default]
    Id,
    ProcessType,
    /// Failed first, then running, then completed (ascending).
    Status,
    Version,
    /// The time of the stream's last event.
    LastEvent,
}

/// A sort order of a stream list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamSort {
    pub column: StreamSortColumn,
    pub descending: bool,
}

/// Everything that decides which streams a list shows, in which order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamQuery {
    /// What the indexes answer: process type, status, id prefix.
    pub filter: StreamFilter,
    /// Ids containing this text anywhere, ignoring ASCII case.
    pub contains: Option<String>,
    /// Streams of this variant (their event-type sequence's hash).
    pub variant: Option<u128>,
    /// Only streams a process filter kept ([`super::select_processes`]).
    pub within: Option<Arc<ProcessSelection>>,
    pub sort: StreamSort,
}

impl StreamQuery {
    /// Whether the streams come straight from an index, in id order (no scan:
    /// use [`stream_anchors`] and [`StoreReader::stream_ids`]).
    pub fn is_indexed(&self) -> bool {
        self.contains.is_none()
            && self.variant.is_none()
            && self.within.is_none()
            && self.sort == StreamSort::default()
    }
}

/// Whether `haystack` contains `needle`, ignoring ASCII case, without allocating.
pub fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
}

/// How many streams `filter` lets through, from the counters (no scan), when
/// they tell: not for an id prefix, nor for a process type and a status together.
pub fn estimate_streams(
    reader: &StoreReader,
    filter: &StreamFilter,
) -> Result<Option<u64>, StoreError> {
    if filter.id_prefix.is_some() {
        return Ok(None);
    }
    Ok(match (&filter.process_type, filter.status) {
        (None, None) => Some(reader.counter(counter::STREAMS_TOTAL)?),
        (Some(kind), None) => Some(reader.counter(&format!("{}{kind}", counter::STREAMS_TYPE))?),
        (None, Some(status)) => {
            Some(reader.counter(&format!("{}{}", counter::STREAMS_STATUS, status.as_str()))?)
        }
        (Some(_), Some(_)) => None,
    })
}

/// What [`stream_anchors`]' callback is told after each chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamAnchorsPage<'a> {
    /// Ids walked so far.
    pub seen: u64,
    /// [`estimate_streams`] of the filter (0 when unknown).
    pub total: u64,
    /// The anchors this chunk added.
    pub anchors: &'a [String],
}

/// The result of [`stream_anchors`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamAnchors {
    /// Every `every`-th id (the `every`-th, the `2 × every`-th, …): page `p`
    /// of `every` rows starts after `anchors[p - 1]`.
    pub anchors: Vec<String>,
    /// Ids walked: the number of streams the filter lets through, unless cancelled.
    pub count: u64,
    /// The callback asked the walk to stop.
    pub cancelled: bool,
}

/// Walks the ids `filter` lets through, in id order, and keeps every
/// `every`-th as an anchor. After each chunk of [`SCAN_CHUNK`] ids
/// `on_chunk` is told how far the walk got and the anchors it added;
/// [`ControlFlow::Break`] stops it.
pub fn stream_anchors(
    reader: &StoreReader,
    filter: &StreamFilter,
    every: usize,
    on_chunk: &mut dyn FnMut(&StreamAnchorsPage<'_>) -> ControlFlow<()>,
) -> Result<StreamAnchors, StoreError> {
    let every = every.max(1) as u64;
    let total = estimate_streams(reader, filter)?.unwrap_or(0);
    let mut walk = StreamAnchors::default();
    let mut after: Option<String> = None;
    loop {
        let ids = reader.stream_ids(filter, after.as_deref(), SCAN_CHUNK)?;
        let first_anchor = walk.anchors.len();
        for id in &ids {
            walk.count += 1;
            if walk.count.is_multiple_of(every) {
                walk.anchors.push(id.clone());
            }
        }
        let last_chunk = ids.len() < SCAN_CHUNK;
        after = ids.into_iter().next_back();
        let page = StreamAnchorsPage {
            seen: walk.count,
            total,
            anchors: walk.anchors.get(first_anchor..).unwrap_or_default(),
        };
        if on_chunk(&page).is_break() {
            walk.cancelled = true;
            return Ok(walk);
        }
        if last_chunk || after.is_none() {
            return Ok(walk);
        }
    }
}

/// What [`scan_streams`]' callback is told after each chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamScanPage<'a> {
    /// Ids looked at so far.
    pub scanned: u64,
    /// [`estimate_streams`] of the query's filter (0 when unknown).
    pub total: u64,
    /// Ids this chunk matched, in id order. For a sorted query these are not
    /// yet in the final order: take the list from [`StreamScan::ids`].
    pub matches: &'a [String],
}

/// The result of [`scan_streams`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamScan {
    /// The matching ids in the query's order. Ties of a sort keep id order
    /// (ascending, whichever way the column is sorted; descending only when
    /// sorting by id itself).
    pub ids: Vec<String>,
    /// Ids looked at.
    pub scanned: u64,
    /// Stream records that could not be read (left out).
    pub unreadable: u64,
    /// The callback asked the scan to stop: `ids` holds what was found until
    /// then, in id order, unsorted.
    pub cancelled: bool,
}

/// What a sorted scan sorts by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    None,
    Text(String),
    Number(u64),
    Time(i128),
}

fn sort_key(info: &StreamInfo, column: StreamSortColumn) -> SortKey {
    match column {
        StreamSortColumn::Id => SortKey::None,
        StreamSortColumn::ProcessType => SortKey::Text(info.process_type.clone()),
        StreamSortColumn::Status => SortKey::Number(match info.status {
            StreamStatus::Failed => 0,
            StreamStatus::Running => 1,
            StreamStatus::Completed => 2,
        }),
        StreamSortColumn::Version => SortKey::Number(info.version),
        StreamSortColumn::LastEvent => SortKey::Time(info.updated_at.unix_timestamp_nanos()),
    }
}

/// Finds the streams `query` lets through: walks the ids its indexed filter
/// names, keeps those containing [`StreamQuery::contains`], kept by
/// [`StreamQuery::within`] and (reading
/// their records) of [`StreamQuery::variant`], and sorts them by
/// [`StreamQuery::sort`]. After each chunk of [`SCAN_CHUNK`] ids `on_chunk`
/// is told how far the scan got and what the chunk matched;
/// [`ControlFlow::Break`] stops it.
pub fn scan_streams(
    reader: &StoreReader,
    query: &StreamQuery,
    on_chunk: &mut dyn FnMut(&StreamScanPage<'_>) -> ControlFlow<()>,
) -> Result<StreamScan, StoreError> {
    let total = estimate_streams(reader, &query.filter)?.unwrap_or(0);
    let sorted = query.sort != StreamSort::default();
    let needs_record = query.variant.is_some() || query.sort.column != StreamSortColumn::Id;
    let mut keys: Vec<SortKey> = Vec::new();
    let mut scan = StreamScan::default();
    let mut after: Option<String> = None;
    loop {
        let ids = reader.stream_ids(&query.filter, after.as_deref(), SCAN_CHUNK)?;
        let last_chunk = ids.len() < SCAN_CHUNK;
        after = ids.last().cloned();
        let first_match = scan.ids.len();
        for id in ids {
            scan.scanned += 1;
            if let Some(needle) = &query.contains
                && !contains_ignoring_case(&id, needle)
            {
                continue;
            }
            if let Some(within) = &query.within
                && !within.contains(&id)
            {
                continue;
            }
            let key = if needs_record {
                let Ok(Some(info)) = reader.stream(&id) else {
                    scan.unreadable += 1;
                    continue;
                };
                if query.variant.is_some_and(|variant| variant != info.variant) {
                    continue;
                }
                sort_key(&info, query.sort.column)
            } else {
                SortKey::None
            };
            if sorted {
                keys.push(key);
            }
            scan.ids.push(id);
        }
        let page = StreamScanPage {
            scanned: scan.scanned,
            total,
            matches: scan.ids.get(first_match..).unwrap_or_default(),
        };
        if on_chunk(&page).is_break() {
            scan.cancelled = true;
            return Ok(scan);
        }
        if last_chunk || after.is_none() {
            break;
        }
    }
    if sorted {
        let mut keyed: Vec<(SortKey, String)> = keys.into_iter().zip(scan.ids).collect();
        let descending = query.sort.descending;
        let by_id_only = query.sort.column == StreamSortColumn::Id;
        keyed.sort_by(|a, b| {
            let by_key = if descending {
                b.0.cmp(&a.0)
            } else {
                a.0.cmp(&b.0)
            };
            let by_id = if descending && by_id_only {
                b.1.cmp(&a.1)
            } else {
                a.1.cmp(&b.1)
            };
            by_key.then(by_id)
        });
        scan.ids = keyed.into_iter().map(|(_, id)| id).collect();
    }
    Ok(scan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_ignores_ascii_case() {
        assert!(contains_ignoring_case("order-ABC-17", "abc"));
        assert!(!contains_ignoring_case("order-17", "abc"));
        assert!(contains_ignoring_case("x", ""));
    }

    #[test]
    fn only_index_filters_keep_the_id_order_query() {
        let mut query = StreamQuery::default();
        assert!(query.is_indexed());
        query.filter.status = Some(StreamStatus::Failed);
        assert!(query.is_indexed());
        query.contains = Some("x".to_string());
        assert!(!query.is_indexed());
    }
}
