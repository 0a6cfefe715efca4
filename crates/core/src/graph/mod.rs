//! The causal graph: closure of an event across streams and its layouts. No egui here.
//!
//! A graph has vertices — the events shown ([`CausalGraph::nodes`], by global
//! position) followed by the "N more" groups ([`CausalGraph::groups`]) — and
//! causation edges between them, addressed by vertex index. Every edge points
//! from a cause to its effect. Correlation is not drawn as edges: with
//! [`ClosureOptions::include_correlation`] the events of the conversation are
//! added as nodes (relation [`Relation::Correlated`]).

mod closure;
pub mod export;
pub mod layout;
pub mod raster;
mod request;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::store::StoreError;

pub use closure::{ClosureOptions, DEFAULT_MAX_NODES, closure};
pub use export::{process_color, to_svg};
pub use layout::{Cancelled, EdgeRoute, Layout, LayoutKind, Rect, lanes, layered, layered_edges};
pub use raster::{PngError, to_png};
pub use request::{GraphRequest, laid_out};

/// Why a graph could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("no event with id {0} in the store")]
    UnknownEvent(Uuid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How an event of the graph relates to the selected one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relation {
    Selected,
    /// It caused the selected event, directly or through others.
    Ancestor,
    /// The selected event caused it, directly or through others.
    Descendant,
    /// Only in the same conversation (correlation).
    Correlated,
}

impl Relation {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Selected => "selected",
            Relation::Ancestor => "ancestor",
            Relation::Descendant => "descendant",
            Relation::Correlated => "correlated",
        }
    }
}

/// An event shown in the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventNode {
    pub event_id: Uuid,
    pub stream_id: String,
    pub version: u64,
    pub event_type: String,
    pub position: u64,
    /// The stream's process type (for colour); `None` if the stream record is missing.
    pub process_type: Option<String>,
    pub relation: Relation,
    /// Causal steps from the selected event.
    pub distance: u64,
}

/// Events of one stream left out of the graph, shown as one "N more" vertex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupNode {
    /// What to put in [`ClosureOptions::expanded`] to show them: `stream:<id>`.
    pub key: String,
    /// "N more in `<stream>`".
    pub label: String,
    pub stream_id: String,
    pub process_type: Option<String>,
    /// Number of events left out.
    pub hidden: u64,
    /// The lowest global position among them (orders the group among vertices).
    pub first_position: u64,
}

/// What an edge means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeKind {
    /// The `from` event (or an event of the `from` group) is a cause of the `to` one.
    Causation,
}

impl EdgeKind {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Causation => "causation",
        }
    }
}

/// A cause → effect link between two vertices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// Vertex index of the cause.
    pub from: usize,
    /// Vertex index of the effect.
    pub to: usize,
    pub kind: EdgeKind,
    /// Links it stands for (more than one where groups are involved).
    pub count: u32,
}

/// A vertex: an event or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vertex<'g> {
    Event(&'g EventNode),
    Group(&'g GroupNode),
}

impl Vertex<'_> {
    /// The id used in JSON and SVG: the event id, or the group key.
    pub fn id(&self) -> String {
        match self {
            Vertex::Event(node) => node.event_id.to_string(),
            Vertex::Group(group) => group.key.clone(),
        }
    }

    /// Global position that orders the vertex (a group: its first event's).
    pub fn position(&self) -> u64 {
        match self {
            Vertex::Event(node) => node.position,
            Vertex::Group(group) => group.first_position,
        }
    }

    /// The stream it belongs to.
    pub fn stream_id(&self) -> &str {
        match self {
            Vertex::Event(node) => &node.stream_id,
            Vertex::Group(group) => &group.stream_id,
        }
    }

    /// The process type of its stream.
    pub fn process_type(&self) -> Option<&str> {
        match self {
            Vertex::Event(node) => node.process_type.as_deref(),
            Vertex::Group(group) => group.process_type.as_deref(),
        }
    }
}

/// The causal closure of one event, ready to lay out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CausalGraph {
    /// The selected event.
    pub root: Uuid,
    /// Events shown, by global position.
    pub nodes: Vec<EventNode>,
    /// Groups of events left out, by first position; vertex index = nodes.len() + index.
    pub groups: Vec<GroupNode>,
    /// Sorted by (position of `from`, position of `to`).
    pub edges: Vec<Edge>,
    /// Events left out (the sum of the groups' `hidden`), 0 if none.
    pub hidden: u64,
    /// Events in the closure, shown or not.
    pub total: u64,
}

/// The group key of a stream: what [`ClosureOptions::expanded`] and
/// [`ClosureOptions::collapsed`] hold.
pub fn group_key(stream_id: &str) -> String {
    format!("stream:{stream_id}")
}

impl CausalGraph {
    /// Number of vertices (events shown plus groups).
    pub fn vertex_count(&self) -> usize {
        self.nodes.len() + self.groups.len()
    }

    /// The vertex at an index (see the module documentation).
    pub fn vertex(&self, index: usize) -> Option<Vertex<'_>> {
        match self.nodes.get(index) {
            Some(node) => Some(Vertex::Event(node)),
            None => self
                .groups
                .get(index.checked_sub(self.nodes.len())?)
                .map(Vertex::Group),
        }
    }

    /// Every vertex in index order.
    pub fn vertices(&self) -> impl Iterator<Item = Vertex<'_>> {
        self.nodes
            .iter()
            .map(Vertex::Event)
            .chain(self.groups.iter().map(Vertex::Group))
    }

    /// The vertex index of a shown event.
    pub fn index_of(&self, event_id: Uuid) -> Option<usize> {
        self.nodes.iter().position(|node| node.event_id == event_id)
    }

    /// The graph as JSON: ARCHITECTURE.md's shape (`nodes` with `event_id`,
    /// `stream_id`, `version`, `event_type`, `position`; `edges` with `from`,
    /// `to`, `kind`; `hidden`) plus `root`, `total`, `groups` (`group`,
    /// `label`, `hidden`, `stream_id`), and per node `process_type`,
    /// `relation`, `distance`. An edge touching a group names the group key.
    pub fn to_json(&self) -> Value {
        let nodes: Vec<Value> = self
            .nodes
            .iter()
            .map(|node| {
                json!({
                    "event_id": node.event_id.to_string(),
                    "stream_id": node.stream_id,
                    "version": node.version,
                    "event_type": node.event_type,
                    "position": node.position,
                    "process_type": node.process_type,
                    "relation": node.relation.as_str(),
                    "distance": node.distance,
                })
            })
            .collect();
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|group| {
                json!({
                    "group": group.key,
                    "label": group.label,
                    "hidden": group.hidden,
                    "stream_id": group.stream_id,
                    "process_type": group.process_type,
                    "first_position": group.first_position,
                })
            })
            .collect();
        let id = |index: usize| {
            self.vertex(index)
                .map_or(Value::Null, |v| Value::String(v.id()))
        };
        let edges: Vec<Value> = self
            .edges
            .iter()
            .map(|edge| {
                let mut object = Map::new();
                object.insert("from".into(), id(edge.from));
                object.insert("to".into(), id(edge.to));
                object.insert("kind".into(), Value::String(edge.kind.as_str().into()));
                if edge.count > 1 {
                    object.insert("count".into(), Value::from(edge.count));
                }
                Value::Object(object)
            })
            .collect();
        json!({
            "root": self.root.to_string(),
            "nodes": nodes,
            "edges": edges,
            "hidden": self.hidden,
            "total": self.total,
            "groups": groups,
        })
    }
}
