//! The window's state that the app and the views share: what is open and
//! selected, which view shows, the commands the views send, and the plumbing
//! of background work. The app owns and changes it; views read it and send
//! [`command::Command`]s. Nothing here draws, and nothing here names a view.

pub mod command;
pub mod filter;
pub mod jobs;
pub mod loadable;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use process_workbench_core::store::{Store, StoreError, Summary};

/// Where "now" comes from: the system, or a fixed time (tests, snapshots).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    System,
    Fixed(OffsetDateTime),
}

impl Clock {
    /// The current time.
    pub fn now(self) -> OffsetDateTime {
        match self {
            Clock::System => OffsetDateTime::now_utc(),
            Clock::Fixed(at) => at,
        }
    }

    /// How long something took, as measured; zero under a fixed clock, so that
    /// what a test draws does not depend on how busy the machine was.
    pub fn took(self, measured: std::time::Duration) -> std::time::Duration {
        match self {
            Clock::System => measured,
            Clock::Fixed(_) => std::time::Duration::ZERO,
        }
    }
}

/// The views of the centre, in navigation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum View {
    Streams,
    EventLog,
    /// The process map (directly-follows graph) of the processes the filter keeps.
    Map,
    /// The dotted chart, the durations histogram and the activity table.
    Performance,
    Graph,
    Replay,
    Outbox,
    Deadlines,
    DeadLetters,
    Audit,
}

impl View {
    /// Every view, in navigation order.
    pub const ALL: [View; 10] = [
        View::Streams,
        View::EventLog,
        View::Map,
        View::Performance,
        View::Graph,
        View::Replay,
        View::Outbox,
        View::Deadlines,
        View::DeadLetters,
        View::Audit,
    ];

    /// Whether the view shows the processes the shared filter keeps (and the filter bar).
    pub fn is_filtered(self) -> bool {
        matches!(self, View::Streams | View::Performance | View::Map)
    }

    /// The navigation label.
    pub fn label(self) -> &'static str {
        match self {
            View::Streams => "Streams",
            View::EventLog => "Event log",
            View::Performance => "Charts",
            View::Graph => "Graph",
            View::Map => "Map",
            View::Replay => "Replay",
            View::Outbox => "Outbox",
            View::Deadlines => "Deadlines",
            View::DeadLetters => "Dead letters",
            View::Audit => "Audit",
        }
    }
}

/// An event as selected somewhere: its global position, and the stream and
/// version it was selected at (an event of several streams has a version in each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRef {
    pub position: u64,
    pub stream_id: Option<String>,
    pub version: Option<u64>,
}

impl EventRef {
    /// An event selected by position only (e.g. in the event log).
    pub fn at(position: u64) -> EventRef {
        EventRef {
            position,
            stream_id: None,
            version: None,
        }
    }
}

/// What is selected in the window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub stream: Option<String>,
    pub event: Option<EventRef>,
}

/// How a file is to be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Read-only (the default): the file is never modified.
    ReadOnly,
    /// For writing (after the user confirmed).
    Writable,
    /// A copy in a temporary place, read-only (for a file locked by another process).
    Copy,
    /// A copy in a temporary place, repaired, then read-only (for a file that needs repair).
    RepairCopy,
}

/// An open store and what the window shows of it.
pub struct OpenStore {
    pub store: Arc<Store>,
    /// The file the user opened (the original, when a copy is open).
    pub file: PathBuf,
    pub mode: OpenMode,
    pub is_demo: bool,
    /// The write generation the summary was read at.
    pub generation: u64,
    pub summary: Summary,
    /// Time from the request to the first summary.
    pub opened_in: Duration,
    /// Keeps a temporary copy alive as long as the store is open.
    pub(crate) _copy: Option<tempfile::TempDir>,
}

impl OpenStore {
    /// Whether the store accepts writes.
    pub fn is_writable(&self) -> bool {
        self.store.is_writable()
    }

    /// Whether this is a temporary copy of `file`.
    pub fn is_copy(&self) -> bool {
        matches!(self.mode, OpenMode::Copy | OpenMode::RepairCopy)
    }

    /// Reads the summary again if the store changed since it was read.
    pub fn refresh(&mut self, now: time::OffsetDateTime) -> Result<bool, StoreError> {
        let reader = self.store.read()?;
        let generation = reader.generation()?;
        if generation == self.generation {
            return Ok(false);
        }
        self.summary = Summary::read(&reader, now)?;
        self.generation = generation;
        Ok(true)
    }
}
