//! Search and filtering as library functions: the rules the window's lists
//! and the command line share, so that a filter means the same in both.
//!
//! - [`events`]: the event log's filter ([`EventFilter`]: event types, stream,
//!   process type, conversation, time window, a JSONPath over payload and
//!   metadata) and the scan that walks the log page by page
//!   ([`scan_events`]), reporting progress and matches as it goes and
//!   stopping when asked.
//! - [`streams`]: the stream browser's query ([`StreamQuery`]: the indexed
//!   [`StreamFilter`](crate::store::StreamFilter) plus a search inside ids,
//!   a variant and a sort order), its scan ([`scan_streams`]) and the anchor
//!   walk that makes every page of an id-ordered list reachable at once
//!   ([`stream_anchors`]).
//!
//! - [`process`]: the filter of processes that the analysis views share
//!   ([`ProcessFilter`]: time window, process type, status, variant,
//!   activities present or absent, a JSONPath over payload and metadata) and
//!   its evaluation to the matching streams ([`select_processes`]);
//!   [`saved`]: such filters saved by name.
//!
//! Dead-letter triage (its filter and failure groups) lives with the queues:
//! [`crate::queues::triage()`] in [`crate::queues`].
//!
//! Scans are long: each takes a callback that is called once per page read
//! with what the page added, and stops when it returns
//! [`ControlFlow::Break`](std::ops::ControlFlow::Break). Their results come in a
//! deterministic order.

pub mod events;
pub mod process;
pub mod saved;
pub mod streams;

pub use events::{
    EventFilter, EventScan, EventScanPage, InvalidJsonPath, JsonPathScope, SCAN_PAGE, scan_events,
};
pub use process::{
    InvalidFilter, ProcessFilter, ProcessFilterError, ProcessPathScope, ProcessSelection,
    SelectionCounts, SelectionProgress, TimeWindowMode, select_processes, short_variant,
};
pub use saved::{SAVED_FILTERS_FILE, SavedFilters, SavedFiltersError};
pub use streams::{
    SCAN_CHUNK, StreamAnchors, StreamAnchorsPage, StreamQuery, StreamScan, StreamScanPage,
    StreamSort, StreamSortColumn, contains_ignoring_case, estimate_streams, scan_streams,
    stream_anchors,
};
