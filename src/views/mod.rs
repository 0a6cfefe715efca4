//! One module per view of the window. Views read the store (only what is
//! visible) and send [`Command`]s; they never write.

pub mod detail;
pub mod event_log;
pub mod graph;
pub mod queues;
pub mod replay;
pub mod rows;
pub mod stream_events;
pub mod streams;
pub mod summary;
pub mod variants;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::app::command::{Command, Commands};
use crate::app::document::OpenStore;

/// The views of the centre, in navigation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum View {
    Streams,
    EventLog,
    Graph,
    Replay,
    Outbox,
    Deadlines,
    DeadLetters,
    Audit,
}

impl View {
    /// Every view, in navigation order.
    pub const ALL: [View; 8] = [
        View::Streams,
        View::EventLog,
        View::Graph,
        View::Replay,
        View::Outbox,
        View::Deadlines,
        View::DeadLetters,
        View::Audit,
    ];

    /// The navigation label.
    pub fn label(self) -> &'static str {
        match self {
            View::Streams => "Streams",
            View::EventLog => "Event log",
            View::Graph => "Graph",
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

/// What every view gets each frame.
pub struct ViewContext<'a> {
    pub store: &'a OpenStore,
    /// The app's clock (fixed in tests).
    pub now: OffsetDateTime,
    /// The clock `now` came from.
    pub clock: crate::app::Clock,
    pub selection: &'a Selection,
    pub commands: &'a mut Commands,
}

impl ViewContext<'_> {
    /// Asks the app to do `command` after this frame.
    pub fn send(&mut self, command: Command) {
        self.commands.send(command);
    }
}
