//! Which processes (streams) pass a [`ProcessFilter`]: the one filter that
//! the window's stream browser, summary counts, dotted chart and process map
//! share, and that can be saved by name ([`super::saved`]).
//!
//! [`select_processes`] evaluates a filter against a snapshot to the sorted
//! list of matching stream ids and their counts. It reads, in this order,
//! only what the filter needs:
//!
//! 1. the ids of the process type and status from their indexes (no scan);
//! 2. each of those streams' records: variant, first and last event time
//!    (the time window), and the stream's metadata for a JSONPath;
//! 3. for activities present or absent, the activities of one stream per
//!    variant: a variant is the sequence of activities, so streams sharing
//!    it share their activities, and a store of 300,000 streams with 20
//!    variants reads 20 streams' events, not 300,000;
//! 4. for a JSONPath over events, the events of the streams still in
//!    question: each stream's own events, stopping at its first match, when
//!    they are few; the log once, in position order, when they are many.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json_path::JsonPath;
use time::OffsetDateTime;

use super::events::{EventFilter, InvalidJsonPath, JsonPathScope, SCAN_PAGE};
use crate::store::{
    EventRecord, StoreError, StoreReader, StreamFilter, StreamInfo, StreamStatus, format_time,
};

/// Stream ids read at a time while a filter selects: the callback is asked
/// whether to go on after each read.
const IDS_PER_READ: usize = 4096;

/// How a process's life is held against the filter's time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeWindowMode {
    /// The process has events in the window: its first event is at or before
    /// the window's end and its last at or after the window's start.
    #[default]
    Intersecting,
    /// The whole process lies in the window: first and last event.
    Contained,
    /// The process started (its first event) in the window.
    Started,
}

impl TimeWindowMode {
    /// Every mode, in menu order.
    pub const ALL: [TimeWindowMode; 3] = [Self::Intersecting, Self::Contained, Self::Started];

    /// The name in saved filters and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Intersecting => "intersecting",
            Self::Contained => "contained",
            Self::Started => "started",
        }
    }

    /// Parses [`TimeWindowMode::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|mode| mode.as_str() == text)
    }

    /// What the mode means, for menus.
    pub fn label(self) -> &'static str {
        match self {
            Self::Intersecting => "active in the window",
            Self::Contained => "entirely in the window",
            Self::Started => "started in the window",
        }
    }
}

/// Where a process filter's JSONPath is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessPathScope {
    /// Any event's payload or metadata, or the stream's own metadata.
    #[default]
    Anywhere,
    /// Any event's payload.
    Payload,
    /// Any event's metadata.
    EventMetadata,
    /// The stream's metadata (trace or object attributes, origin).
    StreamMetadata,
}

impl ProcessPathScope {
    /// Every scope, in menu order.
    pub const ALL: [ProcessPathScope; 4] = [
        Self::Anywhere,
        Self::Payload,
        Self::EventMetadata,
        Self::StreamMetadata,
    ];

    /// The name in saved filters and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anywhere => "anywhere",
            Self::Payload => "payload",
            Self::EventMetadata => "event_metadata",
            Self::StreamMetadata => "stream_metadata",
        }
    }

    /// Parses [`ProcessPathScope::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == text)
    }

    /// What the scope means, for menus.
    pub fn label(self) -> &'static str {
        match self {
            Self::Anywhere => "payload, event or stream metadata",
            Self::Payload => "event payload",
            Self::EventMetadata => "event metadata",
            Self::StreamMetadata => "stream metadata",
        }
    }

    /// Where among events the path is looked for (`None`: not in events).
    fn in_events(self) -> Option<JsonPathScope> {
        match self {
            Self::Anywhere => Some(JsonPathScope::PayloadAndMetadata),
            Self::Payload => Some(JsonPathScope::Payload),
            Self::EventMetadata => Some(JsonPathScope::Metadata),
            Self::StreamMetadata => None,
        }
    }

    fn in_stream(self) -> bool {
        matches!(self, Self::Anywhere | Self::StreamMetadata)
    }
}

/// Which processes to keep. Every part that is set must hold; an empty
/// filter keeps every process. Saved as JSON by name (the field names are
/// the saved file's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProcessFilter {
    /// The window's start (with `to`, see [`ProcessFilter::time_mode`]).
    #[serde(with = "time::serde::rfc3339::option")]
    pub from: Option<OffsetDateTime>,
    /// The window's end (included).
    #[serde(with = "time::serde::rfc3339::option")]
    pub to: Option<OffsetDateTime>,
    /// How a process's first and last event are held against the window.
    #[serde(rename = "time")]
    pub time_mode: TimeWindowMode,
    pub process_type: Option<String>,
    pub status: Option<StreamStatus>,
    /// Processes of this variant (the hash of their activity sequence).
    #[serde(with = "hex_u128_option")]
    pub variant: Option<u128>,
    /// Activities (event types) each of which the process has.
    pub with_activities: BTreeSet<String>,
    /// Activities (event types) none of which the process has.
    pub without_activities: BTreeSet<String>,
    /// A JSONPath (RFC 9535) that must find a node where `json_path_in` says.
    pub json_path: Option<String>,
    pub json_path_in: ProcessPathScope,
}

/// A filter that cannot be evaluated: the reason on one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidFilter {
    #[error(transparent)]
    JsonPath(#[from] InvalidJsonPath),
    #[error("the time window ends ({to}) before it starts ({from})")]
    EmptyWindow { from: String, to: String },
    #[error("an activity cannot be both required and excluded: {0}")]
    Contradiction(String),
}

/// Why [`select_processes`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ProcessFilterError {
    #[error(transparent)]
    Invalid(#[from] InvalidFilter),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ProcessFilter {
    /// Whether the filter keeps every process.
    pub fn is_empty(&self) -> bool {
        *self == ProcessFilter::default()
    }

    /// Checks what can be checked without a store, and parses the JSONPath.
    pub fn validate(&self) -> Result<Option<JsonPath>, InvalidFilter> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && to < from
        {
            return Err(InvalidFilter::EmptyWindow {
                from: format_time(from),
                to: format_time(to),
            });
        }
        if let Some(both) = self
            .with_activities
            .intersection(&self.without_activities)
            .next()
        {
            return Err(InvalidFilter::Contradiction(both.clone()));
        }
        match self.json_path.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => Ok(Some(EventFilter::parse_json_path(text)?)),
        }
    }

    /// The filter in a few words, one part after another ("no filter" when empty).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.from.is_some() || self.to.is_some() {
            let day = |at: Option<OffsetDateTime>| at.map_or_else(|| "…".to_string(), format_time);
            parts.push(format!(
                "{} {} – {}",
                self.time_mode.label(),
                day(self.from),
                day(self.to)
            ));
        }
        if let Some(kind) = &self.process_type {
            parts.push(kind.clone());
        }
        if let Some(status) = self.status {
            parts.push(status.as_str().to_string());
        }
        if let Some(variant) = self.variant {
            parts.push(format!("variant {}", short_variant(variant)));
        }
        for activity in &self.with_activities {
            parts.push(format!("with {activity}"));
        }
        for activity in &self.without_activities {
            parts.push(format!("without {activity}"));
        }
        if let Some(path) = self
            .json_path
            .as_deref()
            .filter(|path| !path.trim().is_empty())
        {
            parts.push(format!("{} in {}", path.trim(), self.json_path_in.label()));
        }
        if parts.is_empty() {
            "no filter".to_string()
        } else {
            parts.join(" · ")
        }
    }

    /// Whether a stream's record passes the parts that need nothing more:
    /// process type, status, variant and time window.
    fn keeps_record(&self, info: &StreamInfo) -> bool {
        if self
            .process_type
            .as_ref()
            .is_some_and(|kind| *kind != info.process_type)
            || self.status.is_some_and(|status| status != info.status)
            || self.variant.is_some_and(|variant| variant != info.variant)
        {
            return false;
        }
        let (first, last) = (info.created_at, info.updated_at);
        match self.time_mode {
            TimeWindowMode::Intersecting => {
                self.to.is_none_or(|to| first <= to) && self.from.is_none_or(|from| last >= from)
            }
            TimeWindowMode::Contained => {
                self.from.is_none_or(|from| first >= from) && self.to.is_none_or(|to| last <= to)
            }
            TimeWindowMode::Started => {
                self.from.is_none_or(|from| first >= from) && self.to.is_none_or(|to| first <= to)
            }
        }
    }
}

/// The first 8 hex digits of a variant, as the window shows it.
pub fn short_variant(variant: u128) -> String {
    format!("{variant:032x}").chars().take(8).collect()
}

/// Counts of the processes a filter kept, as the summary shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SelectionCounts {
    pub streams: u64,
    /// By status name (every status, zero included).
    pub by_status: BTreeMap<String, u64>,
    pub by_type: BTreeMap<String, u64>,
    /// Distinct variants among them.
    pub variants: u64,
    /// Their events (an event of several streams counts in each).
    pub events: u64,
}

/// What [`select_processes`]' callback is told as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectionProgress {
    /// Streams (then events, see `reading_events`) looked at so far.
    pub done: u64,
    /// How many there are (0 when unknown).
    pub total: u64,
    /// Whether the JSONPath is being looked for in events.
    pub reading_events: bool,
}

/// The processes a filter kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessSelection {
    /// Matching stream ids, in id order.
    pub ids: Vec<String>,
    pub counts: SelectionCounts,
    /// Streams looked at (those of the filter's process type and status).
    pub scanned: u64,
    /// Stream records, or events, that could not be read: their streams are left out.
    pub unreadable: u64,
    /// The callback asked to stop: `ids` is empty then.
    pub cancelled: bool,
}

impl ProcessSelection {
    /// Whether `stream_id` is kept.
    pub fn contains(&self, stream_id: &str) -> bool {
        self.ids
            .binary_search_by(|id| id.as_str().cmp(stream_id))
            .is_ok()
    }

    /// The kept ids as a set (what [`crate::search`]'s and the analyses'
    /// loaders take as a selection).
    pub fn to_set(&self) -> HashSet<String> {
        self.ids.iter().cloned().collect()
    }
}

/// A stream still in question, and what the counts need of it.
struct Candidate {
    id: String,
    process_type: String,
    status: StreamStatus,
    variant: u128,
    version: u64,
    /// Kept already by its own metadata (no event needs to match).
    found: bool,
}

/// Evaluates `filter` against the snapshot `reader`: the streams it keeps,
/// in id order, with their counts. `on_progress` is called after each chunk
/// of streams or page of events; [`ControlFlow::Break`] stops the
/// evaluation (the result is then empty, marked cancelled).
pub fn select_processes(
    reader: &StoreReader,
    filter: &ProcessFilter,
    on_progress: &mut dyn FnMut(&SelectionProgress) -> ControlFlow<()>,
) -> Result<ProcessSelection, ProcessFilterError> {
    let path = filter.validate()?;
    let indexed = StreamFilter {
        process_type: filter.process_type.clone(),
        status: filter.status,
        id_prefix: None,
    };
    let total = super::estimate_streams(reader, &indexed)?.unwrap_or(0);
    let mut selection = ProcessSelection::default();
    let mut activities = ActivitiesByVariant::default();
    let mut candidates = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let ids = reader.stream_ids(&indexed, after.as_deref(), IDS_PER_READ)?;
        let last_chunk = ids.len() < IDS_PER_READ;
        after = ids.last().cloned();
        let records = reader.stream_records(&ids)?;
        for record in records {
            selection.scanned += 1;
            let Ok(Some(info)) = record else {
                selection.unreadable += 1;
                continue;
            };
            if !filter.keeps_record(&info) {
                continue;
            }
            if !(filter.with_activities.is_empty() && filter.without_activities.is_empty()) {
                let Some(has) = activities.of(reader, &info) else {
                    selection.unreadable += 1;
                    continue;
                };
                if !filter.with_activities.iter().all(|name| has.contains(name))
                    || filter
                        .without_activities
                        .iter()
                        .any(|name| has.contains(name))
                {
                    continue;
                }
            }
            let found = match &path {
                Some(path) => {
                    filter.json_path_in.in_stream() && !path.query(&info.metadata).is_empty()
                }
                None => true,
            };
            if !found && filter.json_path_in.in_events().is_none() {
                continue;
            }
            candidates.push(Candidate {
                id: info.stream_id,
                process_type: info.process_type,
                status: info.status,
                variant: info.variant,
                version: info.version,
                found,
            });
        }
        let progress = SelectionProgress {
            done: selection.scanned,
            total,
            reading_events: false,
        };
        if on_progress(&progress).is_break() {
            selection.cancelled = true;
            return Ok(selection);
        }
        if last_chunk || after.is_none() {
            break;
        }
    }
    if let (Some(path), Some(scope)) = (&path, filter.json_path_in.in_events()) {
        let search = EventSearch { path, scope };
        let stopped = search.run(reader, &mut candidates, &mut selection, on_progress)?;
        if stopped {
            selection.cancelled = true;
            return Ok(selection);
        }
    }
    let mut variants = HashSet::new();
    let counts = &mut selection.counts;
    for status in StreamStatus::ALL {
        counts.by_status.insert(status.as_str().to_string(), 0);
    }
    for candidate in candidates.into_iter().filter(|candidate| candidate.found) {
        counts.streams += 1;
        counts.events += candidate.version;
        *counts
            .by_status
            .entry(candidate.status.as_str().to_string())
            .or_default() += 1;
        *counts.by_type.entry(candidate.process_type).or_default() += 1;
        variants.insert(candidate.variant);
        selection.ids.push(candidate.id);
    }
    counts.variants = variants.len() as u64;
    Ok(selection)
}

/// The activities of each variant, read from one stream of it.
#[derive(Default)]
struct ActivitiesByVariant {
    known: HashMap<u128, BTreeSet<String>>,
}

impl ActivitiesByVariant {
    /// The activities of `info`'s stream; `None` when its events cannot be read.
    fn of(&mut self, reader: &StoreReader, info: &StreamInfo) -> Option<&BTreeSet<String>> {
        let known = match self.known.entry(info.variant) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(entry) => entry.insert(activities_of(reader, &info.stream_id).ok()?),
        };
        Some(known)
    }
}

/// The event types of one stream's events.
fn activities_of(reader: &StoreReader, stream_id: &str) -> Result<BTreeSet<String>, StoreError> {
    let mut found = BTreeSet::new();
    let mut from = 1;
    loop {
        let page = reader.stream_positions(stream_id, from, SCAN_PAGE)?;
        for (_, position) in &page {
            let bytes = reader.event_bytes(*position)?.ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "stream {stream_id} points at missing position {position}"
                ))
            })?;
            let record = decode_raw(*position, &bytes)?;
            if !found.contains(record.event_type.as_ref()) {
                found.insert(record.event_type.into_owned());
            }
        }
        match page.last() {
            Some((version, _)) if page.len() == SCAN_PAGE => from = version + 1,
            _ => return Ok(found),
        }
    }
}

/// An event's record with its payload and metadata kept raw.
fn decode_raw(position: u64, bytes: &[u8]) -> Result<EventRecord<'_>, StoreError> {
    EventRecord::decode(position, bytes)
}

/// A JSONPath looked for in the events of the candidates.
struct EventSearch<'p> {
    path: &'p JsonPath,
    scope: JsonPathScope,
}

impl EventSearch<'_> {
    /// Marks the candidates with an event the path finds a node in.
    /// Returns whether the callback stopped it.
    fn run(
        &self,
        reader: &StoreReader,
        candidates: &mut [Candidate],
        selection: &mut ProcessSelection,
        on_progress: &mut dyn FnMut(&SelectionProgress) -> ControlFlow<()>,
    ) -> Result<bool, StoreError> {
        let pending_events: u64 = candidates
            .iter()
            .filter(|candidate| !candidate.found)
            .map(|candidate| candidate.version)
            .sum();
        let log_size = reader.last_position()?;
        // Reading a stream's events costs an index read and a random read
        // each; the log is read in order. Per stream pays while the streams
        // in question hold well under a quarter of the log.
        if pending_events.saturating_mul(4) < log_size {
            self.per_stream(reader, candidates, selection, pending_events, on_progress)
        } else {
            self.over_the_log(reader, candidates, selection, log_size, on_progress)
        }
    }

    fn finds(&self, payload: &Value, metadata: &Value) -> bool {
        self.scope.finds_in(self.path, payload, metadata)
    }

    fn per_stream(
        &self,
        reader: &StoreReader,
        candidates: &mut [Candidate],
        selection: &mut ProcessSelection,
        total: u64,
        on_progress: &mut dyn FnMut(&SelectionProgress) -> ControlFlow<()>,
    ) -> Result<bool, StoreError> {
        let mut done = 0u64;
        let mut since_report = 0u64;
        for candidate in candidates.iter_mut().filter(|candidate| !candidate.found) {
            let mut from = 1;
            loop {
                let Ok(page) = reader.stream_events(&candidate.id, from, SCAN_PAGE) else {
                    selection.unreadable += 1;
                    break;
                };
                done += page.len() as u64;
                since_report += page.len() as u64;
                if page
                    .iter()
                    .any(|event| self.finds(&event.payload, &event.metadata))
                {
                    candidate.found = true;
                    break;
                }
                match page.last() {
                    Some(event) if page.len() == SCAN_PAGE => from = event.version + 1,
                    _ => break,
                }
            }
            if since_report >= SCAN_PAGE as u64 {
                since_report = 0;
                let progress = SelectionProgress {
                    done,
                    total,
                    reading_events: true,
                };
                if on_progress(&progress).is_break() {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    fn over_the_log(
        &self,
        reader: &StoreReader,
        candidates: &mut [Candidate],
        selection: &mut ProcessSelection,
        total: u64,
        on_progress: &mut dyn FnMut(&SelectionProgress) -> ControlFlow<()>,
    ) -> Result<bool, StoreError> {
        let mut pending: HashMap<String, usize> = candidates
            .iter()
            .enumerate()
            .filter(|(_, candidate)| !candidate.found)
            .map(|(index, candidate)| (candidate.id.clone(), index))
            .collect();
        let mut from = 1u64;
        let mut done = 0u64;
        let mut hits = Vec::new();
        while !pending.is_empty() {
            let page = reader.log_raw(from, SCAN_PAGE)?;
            let read = page.len();
            if let Some((last, _)) = page.last() {
                from = last.saturating_add(1);
            }
            for (position, bytes) in &page {
                done += 1;
                let Ok(record) = decode_raw(*position, bytes) else {
                    selection.unreadable += 1;
                    continue;
                };
                hits.clear();
                hits.extend(
                    record
                        .memberships()
                        .filter_map(|(stream, _)| pending.get(stream).copied()),
                );
                if hits.is_empty() {
                    continue;
                }
                let parts = (
                    self.scope
                        .reads_payload()
                        .then(|| record.payload())
                        .transpose(),
                    self.scope
                        .reads_metadata()
                        .then(|| record.metadata())
                        .transpose(),
                );
                let (Ok(payload), Ok(metadata)) = parts else {
                    selection.unreadable += 1;
                    continue;
                };
                let payload = payload.unwrap_or(Value::Null);
                let metadata = metadata.unwrap_or(Value::Null);
                if self.finds(&payload, &metadata) {
                    for &index in &hits {
                        if let Some(candidate) = candidates.get_mut(index) {
                            candidate.found = true;
                            pending.remove(&candidate.id);
                        }
                    }
                }
            }
            let progress = SelectionProgress {
                done,
                total,
                reading_events: true,
            };
            if on_progress(&progress).is_break() {
                return Ok(true);
            }
            if read < SCAN_PAGE {
                break;
            }
        }
        Ok(false)
    }
}

/// Serializes an optional `u128` as 32 hex digits, as the store does variants.
mod hex_u128_option {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(
        value: &Option<u128>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.serialize_str(&format!("{value:032x}")),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<u128>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            Some(text) => u128::from_str_radix(text.trim(), 16)
                .map(Some)
                .map_err(D::Error::custom),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_filter_is_saved_as_json_and_read_back() {
        let filter = ProcessFilter {
            from: Some(datetime!(2026-09-01 00:00 UTC)),
            to: None,
            time_mode: TimeWindowMode::Started,
            process_type: Some("supplier_switch".to_string()),
            status: Some(StreamStatus::Failed),
            variant: Some(0xab),
            with_activities: BTreeSet::from(["GridRejection".to_string()]),
            without_activities: BTreeSet::new(),
            json_path: Some("$.malo_id".to_string()),
            json_path_in: ProcessPathScope::Payload,
        };
        let json = serde_json::to_value(&filter).expect("json");
        assert_eq!(json["time"], "started");
        assert_eq!(json["variant"], format!("{:032x}", 0xab));
        assert_eq!(json["from"], "2026-09-01T00:00:00Z");
        let back: ProcessFilter = serde_json::from_value(json).expect("read back");
        assert_eq!(back, filter);
        let empty: ProcessFilter = serde_json::from_str("{}").expect("empty");
        assert!(empty.is_empty());
        assert!(serde_json::from_str::<ProcessFilter>(r#"{"colour": 1}"#).is_err());
    }

    #[test]
    fn contradictions_and_bad_paths_are_refused_before_any_read() {
        let mut filter = ProcessFilter {
            json_path: Some("malo_id".to_string()),
            ..ProcessFilter::default()
        };
        assert!(matches!(filter.validate(), Err(InvalidFilter::JsonPath(_))));
        filter.json_path = None;
        filter.from = Some(datetime!(2026-09-02 00:00 UTC));
        filter.to = Some(datetime!(2026-09-01 00:00 UTC));
        assert!(matches!(
            filter.validate(),
            Err(InvalidFilter::EmptyWindow { .. })
        ));
        filter.to = None;
        filter.with_activities.insert("A".to_string());
        filter.without_activities.insert("A".to_string());
        assert_eq!(
            filter.validate(),
            Err(InvalidFilter::Contradiction("A".to_string()))
        );
    }
}
