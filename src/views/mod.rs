//! One module per view of the window. Views read the store (only what is
//! visible) and send [`Command`]s; they never write, and they know nothing
//! of the app that runs them.

pub mod detail;
pub mod event_log;
pub mod filter_bar;
pub mod graph;
pub mod map;
pub mod performance;
pub mod queues;
pub mod replay;
pub mod rows;
pub mod stream_events;
pub mod streams;
pub mod summary;
pub mod variants;

use time::OffsetDateTime;

use crate::state::command::{Command, Commands};
use crate::state::filter::FilterState;
use crate::state::{Clock, OpenStore, Selection};

/// What every view gets each frame.
pub struct ViewContext<'a> {
    pub store: &'a OpenStore,
    /// The app's clock (fixed in tests).
    pub now: OffsetDateTime,
    /// The clock `now` came from.
    pub clock: Clock,
    pub selection: &'a Selection,
    /// The process filter the stream browser, the summary and the analysis views share.
    pub filter: &'a FilterState,
    pub commands: &'a mut Commands,
    /// An action is running: write buttons wait for it.
    pub action_running: bool,
}

impl ViewContext<'_> {
    /// Asks the app to do `command` after this frame.
    pub fn send(&mut self, command: Command) {
        self.commands.send(command);
    }
}
