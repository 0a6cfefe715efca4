//! What the views ask the app to do. Views never change the app's state or the
//! store themselves: they push a [`Command`], and the app applies every command
//! at one place after the frame (egui demo `wrap_app.rs`, rerun `command_sender.rs`).

use std::path::PathBuf;

use uuid::Uuid;

use super::import_dialog::ImportRequest;
use crate::views::queues::QueueCommand;
use crate::views::{EventRef, View};

/// The app's colour scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ThemeChoice {
    /// Follow the operating system.
    #[default]
    System,
    Dark,
    Light,
}

impl ThemeChoice {
    /// Every choice, in menu order.
    pub const ALL: [ThemeChoice; 3] = [Self::System, Self::Dark, Self::Light];

    /// The menu label.
    pub fn label(self) -> &'static str {
        match self {
            Self::System => "Follow the system",
            Self::Dark => "Dark",
            Self::Light => "Light",
        }
    }
}

/// The side panels the user can show or hide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SidePanel {
    /// Store summary and navigation.
    Navigation,
    /// Detail of the selection.
    Detail,
}

/// One thing the user asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Show the native file dialog and open the chosen file.
    ShowOpenDialog,
    /// Open a file read-only.
    Open(PathBuf),
    /// Copy a file (locked by another process) to a temporary place and open the copy read-only.
    OpenCopy(PathBuf),
    /// Copy a file that needs repair, and repair and open the copy; the original is not touched.
    RepairCopy(PathBuf),
    /// Open the demo store, creating it first if needed.
    OpenDemo,
    /// Close the open store.
    Close,
    /// Forget the list of recent files.
    ClearRecentFiles,
    /// Ask whether to enable writing (the confirmation dialog).
    AskEnableWriting,
    /// Reopen the store for writing (confirmed by the user).
    EnableWriting,
    /// Reopen the store read-only.
    DisableWriting,
    /// Dismiss the message about a file that could not be opened.
    DismissOpenError,
    /// Show a view in the centre.
    ShowView(View),
    /// Show or hide a side panel.
    TogglePanel(SidePanel),
    /// Change the colour scheme.
    SetTheme(ThemeChoice),
    /// Select a stream (and show its events).
    SelectStream(String),
    /// Show a stream in the stream browser (scrolled to, filters cleared if they hide it) and select it.
    GoToStream(String),
    /// Select an event (and show its detail).
    SelectEvent(EventRef),
    /// Go to an event by id: select its stream and the event (a causation link).
    GoToEvent(Uuid),
    /// Show the events of one conversation (a correlation link).
    ShowConversation(Uuid),
    /// Go to what the user typed in the "Jump to" box: an event id or a stream id.
    JumpTo(String),
    /// Show File > Import…, with the input filled in when a log was dropped.
    ShowImportDialog(Option<PathBuf>),
    /// Run an import in the background (from the import dialog).
    StartImport(ImportRequest),
    /// An operator action or export of the queue views (outbox, deadlines, dead letters, audit).
    Queues(QueueCommand),
    /// Show the replay view on a stream at a version.
    ShowInReplay { stream_id: String, version: u64 },
    /// Re-run the step a failed process failed in (confirmed, with a reason):
    /// the engine's operator action `retry_failed_step`, as the CLI's `retry`.
    RetryFailedStep { stream_id: String, reason: String },
    /// Build the replay checkpoints the store lacks, as a background job (confirmed).
    BuildCheckpoints,
    /// Show the causal graph centred on an event.
    ShowInGraph(Uuid),
}

/// Where views put their commands during a frame.
#[derive(Debug, Default)]
pub struct Commands {
    queue: Vec<Command>,
}

impl Commands {
    /// Asks the app to do `command` after this frame.
    pub fn send(&mut self, command: Command) {
        self.queue.push(command);
    }

    /// Takes every command sent so far, in the order they were sent.
    pub fn take(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.queue)
    }
}
