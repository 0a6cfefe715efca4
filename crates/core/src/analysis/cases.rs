//! The cases of a set of streams, as process mining sees them: each stream
//! (a process, a trace, an object) is a case, its events in time order, each
//! event reduced to its activity (event type) and time.
//!
//! Order within a case is pm4py's: by `occurred_at`, events of the same time
//! in store order (version), which for an imported log is the order of the
//! file. The log is read once, with only the header fields decoded
//! ([`super::header`]), in one of two ways:
//!
//! - **by scan**: the `events` table in position order, split across two
//!   threads. Used when every event belongs to one stream only (no shared
//!   events, as after an XES import or in an engine's store) and most
//!   streams are wanted.
//! - **by stream**: each wanted stream's index range, then its events. Used
//!   for a few streams, for an object type, and in stores where an event
//!   appears in several streams (an OCEL import: the event of an order and
//!   its items is in each of their streams).

use std::collections::{HashMap, HashSet};

use foldhash::fast::RandomState;
use redb::{ReadOnlyTable, ReadableTable, ReadableTableMetadata};

use crate::store::event_header as header;
use crate::store::{StoreError, StoreReader, StreamFilter, schema};

/// One event of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseEvent {
    /// When it occurred, Unix nanoseconds.
    pub time: i64,
    /// Its version in the case's stream.
    pub version: u64,
    /// Index into [`CaseLog::activities`].
    pub activity: u32,
}

/// One case: its stream and its events in time order.
#[derive(Debug, Clone, Copy)]
pub struct CaseRef<'a> {
    /// Index of the case in [`CaseLog`] (cases are in stream-id order).
    pub index: usize,
    pub stream_id: &'a str,
    pub events: &'a [CaseEvent],
}

/// The cases of a set of streams, each its events in time order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseLog {
    /// Activity names (event types), sorted; [`CaseEvent::activity`] indexes it.
    activities: Vec<String>,
    /// Stream ids of the cases, sorted.
    stream_ids: Vec<String>,
    /// Case `i`'s events are `events[bounds[i]..bounds[i + 1]]`.
    bounds: Vec<usize>,
    events: Vec<CaseEvent>,
}

/// Below this share of the store's streams, a selection is read stream by
/// stream rather than by a scan of every event.
const BY_STREAM_SHARE: f64 = 0.125;

impl CaseLog {
    /// Reads the cases of `streams` (every stream when `None`), or of the
    /// streams of `object_type` (the process type of a stream; for an OCEL
    /// import, its object type), or of both (their intersection). A stream
    /// named in `streams` that does not exist, or has no events, is no case.
    pub fn load(
        reader: &StoreReader,
        streams: Option<&HashSet<String>>,
        object_type: Option<&str>,
    ) -> Result<CaseLog, StoreError> {
        let (Some(events), Some(index)) = (
            reader.raw_table(schema::EVENTS)?,
            reader.raw_table(schema::STREAM_EVENTS)?,
        ) else {
            return Ok(CaseLog::default());
        };
        // Every event in one stream: the index has one entry per event.
        let shared_events = index.len()? != events.len()?;
        let wanted: Option<Vec<String>> = match object_type {
            Some(object_type) => {
                let filter = StreamFilter {
                    process_type: Some(object_type.to_string()),
                    ..StreamFilter::default()
                };
                let mut ids = reader.stream_ids(&filter, None, usize::MAX)?;
                if let Some(streams) = streams {
                    ids.retain(|id| streams.contains(id));
                }
                Some(ids)
            }
            None => match streams {
                Some(streams) => {
                    let total = reader.stream_count()? as f64;
                    if shared_events || (streams.len() as f64) < total * BY_STREAM_SHARE {
                        let mut ids: Vec<String> = streams.iter().cloned().collect();
                        ids.sort_unstable();
                        Some(ids)
                    } else {
                        None
                    }
                }
                None if shared_events => Some(reader.all_stream_ids()?),
                None => None,
            },
        };
        match wanted {
            Some(ids) => by_stream(&events, &index, &ids),
            None => by_scan(&events, streams),
        }
    }

    /// Activity names (event types), sorted.
    pub fn activities(&self) -> &[String] {
        &self.activities
    }

    /// Number of cases.
    pub fn len(&self) -> usize {
        self.stream_ids.len()
    }

    /// True when there is no case.
    pub fn is_empty(&self) -> bool {
        self.stream_ids.is_empty()
    }

    /// Number of events over all cases.
    pub fn event_count(&self) -> usize {
        self.events.len()
    }

    /// Case `index` (cases are in stream-id order).
    pub fn case(&self, index: usize) -> CaseRef<'_> {
        CaseRef {
            index,
            stream_id: &self.stream_ids[index],
            events: &self.events[self.bounds[index]..self.bounds[index + 1]],
        }
    }

    /// Every case, in stream-id order.
    pub fn cases(&self) -> impl ExactSizeIterator<Item = CaseRef<'_>> + '_ {
        (0..self.len()).map(|index| self.case(index))
    }

    /// The index of an activity name.
    pub fn activity_index(&self, name: &str) -> Option<u32> {
        self.activities
            .binary_search_by(|activity| activity.as_str().cmp(name))
            .ok()
            .map(|index| index as u32)
    }
}

/// What one reader of the log collects before the cases are put together:
/// names interned in the order first seen.
#[derive(Default)]
struct Partial {
    activities: Vec<String>,
    activity_index: HashMap<Box<[u8]>, u32, RandomState>,
    stream_ids: Vec<String>,
    /// (case, event) in the order read.
    events: Vec<(u32, CaseEvent)>,
}

impl Partial {
    /// The index of an activity name (as stored: UTF-8, checked when new).
    fn activity(&mut self, name: &[u8], position: u64) -> Result<u32, StoreError> {
        if let Some(&index) = self.activity_index.get(name) {
            return Ok(index);
        }
        let index = self.activities.len() as u32;
        self.activities.push(text(name, position)?);
        self.activity_index.insert(name.into(), index);
        Ok(index)
    }
}

/// Stored text as a string; bytes that are not UTF-8 are a damaged record.
fn text(bytes: &[u8], position: u64) -> Result<String, StoreError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        StoreError::Corrupt(format!(
            "the event at position {position}: a name that is not UTF-8"
        ))
    })
}

/// Reads the events of the given streams through the stream index.
fn by_stream(
    events: &ReadOnlyTable<u64, &'static [u8]>,
    index: &ReadOnlyTable<(&'static str, u64), u64>,
    stream_ids: &[String],
) -> Result<CaseLog, StoreError> {
    let mut partial = Partial::default();
    for stream_id in stream_ids {
        let case = partial.stream_ids.len() as u32;
        let mut found = false;
        for entry in index.range((stream_id.as_str(), 0)..=(stream_id.as_str(), u64::MAX))? {
            let (key, position) = entry?;
            let (_, version) = key.value();
            let position = position.value();
            found = true;
            let bytes = events.get(position)?.ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "stream {stream_id} version {version} points at missing position {position}"
                ))
            })?;
            let header = header::decode(bytes.value(), false, || {
                format!("the event at position {position}")
            })?;
            let activity = partial.activity(&header.event_type, position)?;
            partial.events.push((
                case,
                CaseEvent {
                    time: header.occurred_at,
                    version,
                    activity,
                },
            ));
        }
        // (a stream without events has no case, as in a scan)
        if found {
            partial.stream_ids.push(stream_id.clone());
        }
    }
    Ok(assemble(vec![partial]))
}

/// Reads every event in position order (two threads, each half the log),
/// keeping those of the wanted streams.
fn by_scan(
    events: &ReadOnlyTable<u64, &'static [u8]>,
    streams: Option<&HashSet<String>>,
) -> Result<CaseLog, StoreError> {
    let (Some(first), Some(last)) = (events.first()?, events.last()?) else {
        return Ok(CaseLog::default());
    };
    let (first, last) = (first.0.value(), last.0.value());
    let middle = first + (last - first) / 2;
    let (left, right) = std::thread::scope(|scope| {
        let right = scope.spawn(|| scan_range(events, middle + 1, last, streams));
        let left = scan_range(events, first, middle, streams);
        (left, right.join())
    });
    let right = right.map_err(|_| StoreError::Corrupt("a reader of the log failed".into()))?;
    Ok(assemble(vec![left?, right?]))
}

fn scan_range(
    events: &ReadOnlyTable<u64, &'static [u8]>,
    from: u64,
    to: u64,
    streams: Option<&HashSet<String>>,
) -> Result<Partial, StoreError> {
    let mut partial = Partial {
        events: Vec::with_capacity((to.saturating_sub(from) as usize).saturating_add(1)),
        ..Partial::default()
    };
    let mut case_index: HashMap<Box<[u8]>, Option<u32>, RandomState> = HashMap::default();
    // Events of one stream usually come together: the last stream's case
    // (or that it is not wanted) saves a lookup.
    let mut last: Option<(Box<[u8]>, Option<u32>)> = None;
    for entry in events.range(from..=to)? {
        let (position, bytes) = entry?;
        let position = position.value();
        let header = header::decode(bytes.value(), true, || {
            format!("the event at position {position}")
        })?;
        let case = match &last {
            Some((stream_id, case)) if **stream_id == *header.stream_id => *case,
            _ => {
                let case = match case_index.get(&*header.stream_id) {
                    Some(case) => *case,
                    None => {
                        let stream_id = text(&header.stream_id, position)?;
                        let case = if streams.is_some_and(|streams| !streams.contains(&stream_id)) {
                            None
                        } else {
                            partial.stream_ids.push(stream_id);
                            Some(partial.stream_ids.len() as u32 - 1)
                        };
                        case_index.insert(header.stream_id.as_ref().into(), case);
                        case
                    }
                };
                last = Some((header.stream_id.as_ref().into(), case));
                case
            }
        };
        let Some(case) = case else {
            continue;
        };
        let activity = partial.activity(&header.event_type, position)?;
        partial.events.push((
            case,
            CaseEvent {
                time: header.occurred_at,
                version: header.version,
                activity,
            },
        ));
    }
    Ok(partial)
}

/// Puts the partials together: activities and cases sorted by name, each
/// case's events in time order (ties by version).
fn assemble(partials: Vec<Partial>) -> CaseLog {
    // Names over all partials, sorted; each partial's indexes mapped to them.
    let mut activities: Vec<String> = partials
        .iter()
        .flat_map(|partial| partial.activities.iter().cloned())
        .collect();
    activities.sort_unstable();
    activities.dedup();
    let mut stream_ids: Vec<String> = partials
        .iter()
        .flat_map(|partial| partial.stream_ids.iter().cloned())
        .collect();
    stream_ids.sort_unstable();
    stream_ids.dedup();
    let stream_index: HashMap<&str, u32, RandomState> = {
        let mut map = HashMap::with_capacity_and_hasher(stream_ids.len(), RandomState::default());
        for (index, id) in stream_ids.iter().enumerate() {
            map.insert(id.as_str(), index as u32);
        }
        map
    };
    let maps: Vec<(Vec<u32>, Vec<u32>)> = partials
        .iter()
        .map(|partial| {
            let activity_map = partial
                .activities
                .iter()
                .map(|name| activities.binary_search(name).unwrap_or(0) as u32)
                .collect();
            let case_map = partial
                .stream_ids
                .iter()
                .map(|id| stream_index.get(id.as_str()).copied().unwrap_or(0))
                .collect();
            (activity_map, case_map)
        })
        .collect();

    // Counting sort by case, stable: read order within a case is kept.
    let mut bounds = vec![0usize; stream_ids.len() + 1];
    for (partial, (_, case_map)) in partials.iter().zip(&maps) {
        for (case, _) in &partial.events {
            bounds[case_map[*case as usize] as usize + 1] += 1;
        }
    }
    for index in 1..bounds.len() {
        bounds[index] += bounds[index - 1];
    }
    let total = bounds[stream_ids.len()];
    let mut next = bounds.clone();
    let mut events = vec![
        CaseEvent {
            time: 0,
            version: 0,
            activity: 0
        };
        total
    ];
    for (partial, (activity_map, case_map)) in partials.iter().zip(&maps) {
        for (case, event) in &partial.events {
            let case = case_map[*case as usize] as usize;
            events[next[case]] = CaseEvent {
                activity: activity_map[event.activity as usize],
                ..*event
            };
            next[case] += 1;
        }
    }
    for case in 0..stream_ids.len() {
        let slice = &mut events[bounds[case]..bounds[case + 1]];
        let in_order = slice
            .windows(2)
            .all(|pair| (pair[0].time, pair[0].version) <= (pair[1].time, pair[1].version));
        if !in_order {
            slice.sort_unstable_by_key(|event| (event.time, event.version));
        }
    }
    CaseLog {
        activities,
        stream_ids,
        bounds,
        events,
    }
}
