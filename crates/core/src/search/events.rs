//! The event log's filter and search: which events pass an [`EventFilter`],
//! found by [`scan_events`] page by page.
//!
//! The scan reads the narrowest source there is: a stream's index entries
//! when the filter names a stream, a conversation's index entries when it
//! names a correlation, and otherwise the whole log in position order. Every
//! event it reads is decoded once as an [`Event`] and tested against the rest
//! of the filter. A record that is not an event (damaged) passes no filter
//! and is counted.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use serde_json::Value;
use serde_json_path::JsonPath;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::store::{Event, EventRecord, StoreError, StoreReader};

/// Events (or index entries) read per page of a scan, and between two calls
/// of its callback.
pub const SCAN_PAGE: usize = 1024;

/// Where a filter's JSONPath is looked for in an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JsonPathScope {
    /// The payload or the metadata: an event matches when the path finds at
    /// least one node in either.
    #[default]
    PayloadAndMetadata,
    /// The payload only.
    Payload,
    /// The metadata only.
    Metadata,
}

impl JsonPathScope {
    /// Whether `path` finds at least one node in the parts of `event` this scope names.
    pub fn finds(self, path: &JsonPath, event: &Event) -> bool {
        self.finds_in(path, &event.payload, &event.metadata)
    }

    /// Whether `path` finds at least one node in the parts this scope names,
    /// given an event's payload and metadata.
    pub fn finds_in(self, path: &JsonPath, payload: &Value, metadata: &Value) -> bool {
        let finds_in = |value: &Value| !path.query(value).is_empty();
        match self {
            JsonPathScope::PayloadAndMetadata => finds_in(payload) || finds_in(metadata),
            JsonPathScope::Payload => finds_in(payload),
            JsonPathScope::Metadata => finds_in(metadata),
        }
    }

    /// Whether the scope looks in the payload.
    pub fn reads_payload(self) -> bool {
        self != JsonPathScope::Metadata
    }

    /// Whether the scope looks in the metadata.
    pub fn reads_metadata(self) -> bool {
        self != JsonPathScope::Payload
    }
}

/// A JSONPath that could not be parsed: the text, where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSONPath {text:?}: at position {position}, {message}")]
pub struct InvalidJsonPath {
    /// The text as given (trimmed).
    pub text: String,
    /// Where in `text` the parser found the problem, as it counts.
    pub position: usize,
    /// The parser's message.
    pub message: String,
}

/// Which events to find. Every part that is set must match; an empty filter
/// lets every readable event through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Events of any of these types (none: any type).
    pub event_types: BTreeSet<String>,
    /// Events that appear in this stream (as their own stream or, for
    /// object-centric logs, as one of their other streams). Read from the
    /// stream's index, not scanned.
    pub stream_id: Option<String>,
    /// Events whose own stream (the first they belong to) is of this process type.
    pub process_type: Option<String>,
    /// Events of one conversation. Read from the correlation index, not scanned.
    pub correlation: Option<Uuid>,
    /// Events that occurred at or after this time.
    pub from: Option<OffsetDateTime>,
    /// Events that occurred at or before this time.
    pub to: Option<OffsetDateTime>,
    /// Events where this path (RFC 9535) finds at least one node, looked for
    /// where [`EventFilter::json_path_scope`] says.
    pub json_path: Option<JsonPath>,
    /// Where `json_path` is looked for (default: payload and metadata).
    pub json_path_scope: JsonPathScope,
}

impl EventFilter {
    /// Whether the filter lets every event through.
    pub fn is_empty(&self) -> bool {
        *self == EventFilter::default()
    }

    /// Parses a JSONPath (RFC 9535) for [`EventFilter::json_path`]. The text
    /// is trimmed; the error names the text, the position and the problem on
    /// one line.
    pub fn parse_json_path(text: &str) -> Result<JsonPath, InvalidJsonPath> {
        let text = text.trim();
        JsonPath::parse(text).map_err(|error| {
            // The parser says only "parser error" for a path without its root.
            let message = if text.starts_with('$') {
                error.message().replace('\n', " ")
            } else {
                "a JSONPath starts with $ (e.g. $.amount)".to_string()
            };
            InvalidJsonPath {
                text: text.to_string(),
                position: error.position(),
                message,
            }
        })
    }

    /// Whether `event` passes every part of the filter except the process
    /// type, which needs the stream's record (see [`EventFilter::matches`]).
    pub fn matches_event(&self, event: &Event) -> bool {
        if !self.event_types.is_empty() && !self.event_types.contains(&event.event_type) {
            return false;
        }
        if self.from.is_some_and(|from| event.occurred_at < from)
            || self.to.is_some_and(|to| event.occurred_at > to)
        {
            return false;
        }
        if let Some(stream_id) = &self.stream_id
            && !event.memberships().any(|(stream, _)| stream == stream_id)
        {
            return false;
        }
        if self
            .correlation
            .is_some_and(|correlation| event.correlation_id != Some(correlation))
        {
            return false;
        }
        if let Some(path) = &self.json_path
            && !self.json_path_scope.finds(path, event)
        {
            return false;
        }
        true
    }

    /// Whether `event` passes the whole filter, reading the process type of
    /// its stream from `reader` when the filter names one. A stream record
    /// that cannot be read has no process type.
    pub fn matches(&self, reader: &StoreReader, event: &Event) -> bool {
        Matcher::new(self).matches(reader, event)
    }
}

/// What a scan's callback is told after each page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventScanPage<'a> {
    /// Log entries (or index entries) looked at so far.
    pub scanned: u64,
    /// How many there are to look at, when known beforehand (0 when not:
    /// a conversation's size is not counted).
    pub total: u64,
    /// Positions this page matched, in scan order.
    pub matches: &'a [u64],
}

/// The result of [`scan_events`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventScan {
    /// Positions of the matching events: ascending for the log and a
    /// conversation, in version order for a stream (which is also ascending
    /// position, as a stream's events are appended in log order).
    pub positions: Vec<u64>,
    /// Log entries (or index entries) looked at.
    pub scanned: u64,
    /// Records that are not events, and index entries pointing at no record:
    /// left out.
    pub damaged: u64,
    /// The callback asked the scan to stop; `positions` holds what was found until then.
    pub cancelled: bool,
}

/// A filter with the process types of the streams it looked up.
struct Matcher<'f> {
    filter: &'f EventFilter,
    process_types: BTreeMap<String, Option<String>>,
}

impl<'f> Matcher<'f> {
    fn new(filter: &'f EventFilter) -> Self {
        Matcher {
            filter,
            process_types: BTreeMap::new(),
        }
    }

    fn matches(&mut self, reader: &StoreReader, event: &Event) -> bool {
        if !self.filter.matches_event(event) {
            return false;
        }
        let Some(wanted) = &self.filter.process_type else {
            return true;
        };
        let known = self
            .process_types
            .entry(event.stream_id.clone())
            .or_insert_with(|| {
                reader
                    .stream(&event.stream_id)
                    .ok()
                    .flatten()
                    .map(|info| info.process_type)
            });
        known.as_ref() == Some(wanted)
    }
}

/// Where a scan reads positions from.
enum Source {
    Log,
    Stream(String),
    Conversation(Uuid),
}

/// Finds the events passing `filter` in the snapshot `reader`, page by page
/// ([`SCAN_PAGE`] entries a page). After each page `on_page` is told how far
/// the scan got and what the page matched; returning
/// [`ControlFlow::Break`] stops the scan, which then returns what it found
/// with [`EventScan::cancelled`] set.
///
/// The window's event log runs it in a background job and shows
/// `on_page`'s matches as they come; `process-workbench search` prints the
/// result.
pub fn scan_events(
    reader: &StoreReader,
    filter: &EventFilter,
    on_page: &mut dyn FnMut(&EventScanPage<'_>) -> ControlFlow<()>,
) -> Result<EventScan, StoreError> {
    let source = match (&filter.stream_id, filter.correlation) {
        (Some(stream_id), _) => Source::Stream(stream_id.clone()),
        (None, Some(correlation)) => Source::Conversation(correlation),
        (None, None) => Source::Log,
    };
    let total = match &source {
        Source::Log => reader.last_position()?,
        // A damaged stream record only loses the progress figure.
        Source::Stream(stream_id) => reader
            .stream(stream_id)
            .ok()
            .flatten()
            .map_or(0, |info| info.version),
        Source::Conversation(_) => 0,
    };
    let mut matcher = Matcher::new(filter);
    let mut scan = EventScan::default();
    // The next log position, stream version or conversation position to read.
    let mut from = 1u64;
    loop {
        let first_match = scan.positions.len();
        let read = match &source {
            Source::Log => {
                let page = reader.log_raw(from, SCAN_PAGE)?;
                let read = page.len();
                if let Some((last, _)) = page.last() {
                    from = last.saturating_add(1);
                }
                for (position, bytes) in page {
                    test(&mut matcher, reader, &mut scan, position, Some(&bytes));
                }
                read
            }
            Source::Stream(stream_id) => {
                let page = reader.stream_positions(stream_id, from, SCAN_PAGE)?;
                if let Some((version, _)) = page.last() {
                    from = version.saturating_add(1);
                }
                for (_, position) in &page {
                    let bytes = reader.event_bytes(*position)?;
                    test(&mut matcher, reader, &mut scan, *position, bytes.as_deref());
                }
                page.len()
            }
            Source::Conversation(correlation) => {
                let page = reader.correlated(*correlation, from, SCAN_PAGE)?;
                if let Some(last) = page.last() {
                    from = last.saturating_add(1);
                }
                for position in &page {
                    let bytes = reader.event_bytes(*position)?;
                    test(&mut matcher, reader, &mut scan, *position, bytes.as_deref());
                }
                page.len()
            }
        };
        let page = EventScanPage {
            scanned: scan.scanned,
            total,
            matches: scan.positions.get(first_match..).unwrap_or_default(),
        };
        if on_page(&page).is_break() {
            scan.cancelled = true;
            return Ok(scan);
        }
        if read < SCAN_PAGE {
            return Ok(scan);
        }
    }
}

/// Tests one entry of a scan and records the outcome.
fn test(
    matcher: &mut Matcher<'_>,
    reader: &StoreReader,
    scan: &mut EventScan,
    position: u64,
    bytes: Option<&[u8]>,
) {
    scan.scanned += 1;
    let decoded = bytes
        .map(|bytes| EventRecord::decode(position, bytes).and_then(|record| record.to_event()));
    let Some(Ok(event)) = decoded else {
        scan.damaged += 1;
        return;
    };
    if matcher.matches(reader, &event) {
        scan.positions.push(position);
    }
}
