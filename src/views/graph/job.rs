//! The graph view's background work: building the closure and its layout
//! (the core's [`graph::laid_out`], as exports do) as a [`Job`], so the
//! window never waits.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use uuid::Uuid;

use crate::state::jobs::{Job, Worker};
use process_workbench_core::graph::{
    self, CausalGraph, ClosureOptions, GraphError, GraphRequest, Layout, LayoutKind,
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

impl GraphOptions {
    /// The graph these options ask for around the event `root`: what the
    /// view lays out and what an export writes.
    pub fn request(&self, root: Uuid) -> GraphRequest {
        GraphRequest {
            root,
            options: ClosureOptions {
                max_nodes: self.max_nodes,
                include_correlation: self.include_correlation,
                expanded: self.expanded.clone(),
                collapsed: self.collapsed.clone(),
            },
            kind: self.kind,
        }
    }
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
    let root = reader
        .event_at(request.root_position)
        .map_err(|error| format!("the event could not be read: {error}"))?
        .ok_or_else(|| format!("there is no event at position {}", request.root_position))?;
    let graph_request = request.options.request(root.event_id);
    let cancel = || worker.is_cancelled();
    let mut progress = |done: u64, total: u64| worker.progress(done, total);
    let laid_out =
        graph::laid_out(&reader, &graph_request, &cancel, &mut progress).map_err(|error| {
            match error {
                GraphError::UnknownEvent(id) => format!("no event with id {id} in the store"),
                GraphError::Store(error) => format!("the store could not be read: {error}"),
            }
        })?;
    let Some((graph, layout)) = laid_out else {
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
