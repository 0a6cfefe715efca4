//! What the views ask the app to do. Views never change the app's state or the
//! store themselves: they push a [`Command`], and the app applies every command
//! at one place after the frame (egui demo `wrap_app.rs`, rerun `command_sender.rs`).

use std::path::PathBuf;
use std::sync::Arc;

use uuid::Uuid;

use process_workbench_core::actions::{Action, EventSelection, GraphFormat, LogFormat};
use process_workbench_core::analysis::MapRequest;
use process_workbench_core::graph::GraphRequest;
use process_workbench_core::import::{Format, ImportOptions};
use process_workbench_core::queues::AuditFilter;
use process_workbench_core::search::ProcessFilter;

use super::{EventRef, View};

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
    /// Run one of the core's actions (confirmed; `reason` goes into the audit
    /// trail) as a background job: the same action the CLI runs.
    Run { action: Action, reason: String },
    /// Ask where to save an export, then run it.
    Export(ExportRequest),
    /// Stop the running action (a bulk run keeps the items done so far).
    CancelAction,
    /// Show the replay view on a stream at a version.
    ShowInReplay { stream_id: String, version: u64 },
    /// Show the causal graph centred on an event.
    ShowInGraph(Uuid),
    /// Apply a process filter to the stream browser, the summary and the
    /// analysis views (`name`: the saved filter it is, if it is one).
    SetFilter {
        filter: ProcessFilter,
        name: Option<String>,
    },
    /// Apply the saved filter of this name.
    ApplySavedFilter(String),
    /// Show every process again.
    ClearFilter,
    /// Show only these streams in the stream browser (the processes that
    /// contain a node or an edge of the process map), named by `label`.
    ShowStreamsContaining {
        label: String,
        ids: Arc<Vec<String>>,
    },
}

/// Where imported events go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportTarget {
    /// A store file, created by the import (or extended, if it exists).
    File(PathBuf),
    /// The store open in the window (writing must be enabled).
    OpenStore,
}

/// One import the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRequest {
    pub input: PathBuf,
    pub format: Format,
    /// The CSV column mapping.
    pub options: ImportOptions,
    pub target: ImportTarget,
}

/// An export the user asked for, before the file to write is chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportRequest {
    /// Events as JSONL.
    Events(EventSelection),
    /// The causal graph as the graph view shows it.
    Graph {
        request: GraphRequest,
        format: GraphFormat,
    },
    /// The process map as the map view shows it.
    Map {
        request: MapRequest,
        format: GraphFormat,
    },
    /// The audit entries passing a filter, as JSON.
    Audit(AuditFilter),
    /// Streams as a XES or OCEL 2.0 JSON log: those of `streams` (every
    /// stream when empty) that `filter` keeps (an empty filter keeps all).
    Log {
        format: LogFormat,
        streams: Vec<String>,
        filter: ProcessFilter,
    },
}

impl ExportRequest {
    /// The action that writes the export to `out`.
    pub fn into_action(self, out: PathBuf) -> Action {
        match self {
            ExportRequest::Events(selection) => Action::ExportJsonl { selection, out },
            ExportRequest::Graph { request, format } => Action::ExportGraph {
                request,
                format,
                out,
            },
            ExportRequest::Map { request, format } => Action::ExportMap {
                request,
                format,
                out,
            },
            ExportRequest::Audit(filter) => Action::ExportAudit { filter, out },
            ExportRequest::Log {
                format,
                streams,
                filter,
            } => Action::ExportLog {
                format,
                streams,
                filter,
                out,
            },
        }
    }

    /// (dialog title, suggested file name, file type name, extension).
    pub fn save_dialog(&self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            ExportRequest::Events(_) => (
                "Export events as JSONL",
                "events.jsonl",
                "JSON Lines",
                "jsonl",
            ),
            ExportRequest::Graph { format, .. } => match format {
                GraphFormat::Json => ("Export the graph", "graph.json", "JSON", "json"),
                GraphFormat::Svg => ("Export the graph", "graph.svg", "SVG", "svg"),
                GraphFormat::Png => ("Export the graph", "graph.png", "PNG", "png"),
            },
            ExportRequest::Map { format, .. } => match format {
                GraphFormat::Json => ("Export the process map", "map.json", "JSON", "json"),
                GraphFormat::Svg => ("Export the process map", "map.svg", "SVG", "svg"),
                GraphFormat::Png => ("Export the process map", "map.png", "PNG", "png"),
            },
            ExportRequest::Audit(_) => ("Export the audit trail", "audit.json", "JSON", "json"),
            ExportRequest::Log { format, .. } => match format {
                LogFormat::Xes => ("Export as XES", "log.xes", "XES", "xes"),
                LogFormat::Ocel => (
                    "Export as OCEL 2.0 JSON",
                    "log.jsonocel",
                    "OCEL 2.0 JSON",
                    "jsonocel",
                ),
            },
        }
    }
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
