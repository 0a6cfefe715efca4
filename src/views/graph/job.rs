//! The graph view's background work: building the closure and its layout,
//! and writing exports. Both run as [`Job`]s so the window never waits.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;
use uuid::Uuid;

use crate::app::jobs::{Job, Worker};
use process_workbench_core::graph::{
    self, CausalGraph, ClosureOptions, GraphError, Layout, LayoutKind,
};
use process_workbench_core::store::Store;

/// What the user chose for the graph (everything a new layout depends on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphOptions {
    /// Add every event of the root's conversation (correlation).
    pub include_correlation: bool,
    pub kind: LayoutKind,
    /// Events shown before the farthest collapse into "N more" groups.
    pub max_nodes: usize,
    /// Group keys expanded by the user.
    pub expanded: BTreeSet<String>,
    /// Group keys collapsed by the user.
    pub collapsed: BTreeSet<String>,
}

impl Default for GraphOptions {
    fn default() -> Self {
        GraphOptions {
            include_correlation: false,
            kind: LayoutKind::Layered,
            max_nodes: graph::DEFAULT_MAX_NODES,
            expanded: BTreeSet::new(),
            collapsed: BTreeSet::new(),
        }
    }
}

/// What a computed graph was made from: the root event's position, the
/// store generation and the options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub root_position: u64,
    pub generation: u64,
    pub options: GraphOptions,
}

/// A graph with its layout, ready to draw.
pub struct Computed {
    pub request: Request,
    pub graph: CausalGraph,
    pub layout: Layout,
    /// Vertex index of each shown event, by global position.
    pub by_position: HashMap<u64, usize>,
}

/// What the layout job sends back.
pub enum LayoutMessage {
    Done(Box<Computed>),
    Failed(String),
}

/// Which phase the job is in, for the progress line (0: reading, 1: layout).
pub const PHASE_READING: u64 = 0;

/// The fields of the root event needed to start the closure.
#[derive(Deserialize)]
struct RootId {
    event_id: Uuid,
}

/// Starts building and laying out the graph of the event at `request.root_position`.
pub fn spawn_layout(
    store: Arc<Store>,
    request: Request,
    repaint: Option<egui::Context>,
) -> Job<LayoutMessage> {
    Job::spawn(
        "Laying out the causal graph",
        repaint,
        move |worker| match compute(&store, request, worker) {
            Ok(Some(computed)) => {
                worker.send(LayoutMessage::Done(Box::new(computed)));
            }
            Ok(None) => {}
            Err(error) => {
                worker.send(LayoutMessage::Failed(error));
            }
        },
    )
}

/// The closure and layout; `None` when cancelled.
pub fn compute(
    store: &Store,
    request: Request,
    worker: &Worker<LayoutMessage>,
) -> Result<Option<Computed>, String> {
    worker.progress(PHASE_READING, 0);
    let reader = store
        .read()
        .map_err(|error| format!("the store could not be read: {error}"))?;
    let bytes = reader
        .event_bytes(request.root_position)
        .map_err(|error| format!("the event could not be read: {error}"))?
        .ok_or_else(|| format!("there is no event at position {}", request.root_position))?;
    let root: RootId = serde_json::from_slice(&bytes).map_err(|error| {
        format!(
            "the record at position {} is not an event: {error}",
            request.root_position
        )
    })?;
    let options = ClosureOptions {
        max_nodes: request.options.max_nodes,
        include_correlation: request.options.include_correlation,
        expanded: request.options.expanded.clone(),
        collapsed: request.options.collapsed.clone(),
    };
    let graph = graph::closure(&reader, root.event_id, &options).map_err(|error| match error {
        GraphError::UnknownEvent(id) => format!("no event with id {id} in the store"),
        GraphError::Store(error) => format!("the store could not be read: {error}"),
    })?;
    drop(reader);
    if worker.is_cancelled() {
        return Ok(None);
    }
    let cancel = || worker.is_cancelled();
    let mut progress = |done: u64, total: u64| worker.progress(done, total);
    let laid_out = match request.options.kind {
        LayoutKind::Layered => graph::layered(&graph, &cancel, &mut progress),
        LayoutKind::Lanes => graph::lanes(&graph, &cancel, &mut progress),
    };
    let Ok(layout) = laid_out else {
        return Ok(None);
    };
    let by_position = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(index, node)| (node.position, index))
        .collect();
    Ok(Some(Computed {
        request,
        graph,
        layout,
        by_position,
    }))
}

/// The formats the graph can be saved in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Svg,
    Png,
}

impl ExportFormat {
    /// Every format, in menu order.
    pub const ALL: [ExportFormat; 3] = [ExportFormat::Json, ExportFormat::Svg, ExportFormat::Png];

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Json => "json",
            ExportFormat::Svg => "svg",
            ExportFormat::Png => "png",
        }
    }

    /// The menu label.
    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Json => "JSON…",
            ExportFormat::Svg => "SVG…",
            ExportFormat::Png => "PNG…",
        }
    }
}

/// How an export ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportOutcome {
    Written { path: PathBuf, bytes: usize },
    Failed(String),
}

/// The bytes of the graph in a format.
pub fn export_bytes(computed: &Computed, format: ExportFormat) -> Result<Vec<u8>, String> {
    match format {
        ExportFormat::Json => serde_json::to_vec_pretty(&computed.graph.to_json())
            .map_err(|error| format!("the graph could not be written as JSON: {error}")),
        ExportFormat::Svg => Ok(graph::to_svg(&computed.graph, &computed.layout).into_bytes()),
        ExportFormat::Png => graph::to_png(&computed.graph, &computed.layout)
            .map_err(|error| format!("the picture could not be made: {error}")),
    }
}

/// Starts writing the graph to `path`.
pub fn spawn_export(
    computed: Arc<Computed>,
    format: ExportFormat,
    path: PathBuf,
    repaint: Option<egui::Context>,
) -> Job<ExportOutcome> {
    Job::spawn("Exporting the graph", repaint, move |worker| {
        let outcome = export_bytes(&computed, format).and_then(|bytes| {
            std::fs::write(&path, &bytes)
                .map_err(|error| format!("{} could not be written: {error}", path.display()))?;
            Ok(bytes.len())
        });
        worker.send(match outcome {
            Ok(bytes) => ExportOutcome::Written { path, bytes },
            Err(error) => ExportOutcome::Failed(error),
        });
    })
}
