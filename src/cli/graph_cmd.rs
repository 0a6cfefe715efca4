//! `graph FILE --event ID [--json] [--max-nodes N] [--correlation] [--svg OUT] [--png OUT]`.

use std::path::Path;

use uuid::Uuid;

use process_workbench_core::graph::{
    self, CausalGraph, ClosureOptions, GraphError, GraphRequest, LayoutKind, Vertex,
};
use process_workbench_core::store::{Store, StoreError};

use super::CliError;

/// The graph an `ExportGraph` action lays out: the event, its options and layout.
pub fn request(
    event: &str,
    max_nodes: usize,
    correlation: bool,
    layout: &str,
) -> Result<GraphRequest, CliError> {
    Ok(GraphRequest {
        root: event_id(event)?,
        options: ClosureOptions {
            max_nodes,
            include_correlation: correlation,
            ..ClosureOptions::default()
        },
        kind: if layout == "lanes" {
            LayoutKind::Lanes
        } else {
            LayoutKind::Layered
        },
    })
}

fn event_id(event: &str) -> Result<Uuid, CliError> {
    Uuid::parse_str(event.trim()).map_err(|_| {
        CliError::input(format!(
            "{event:?} is not an event id (expected a UUID such as 0191e4b6-7c3a-7d2e-9f10-2b4c6d8e0a12)"
        ))
    })
}

/// Prints the causal closure of an event: nodes and edges, sorted.
pub fn graph(
    path: &Path,
    event: &str,
    json: bool,
    max_nodes: usize,
    correlation: bool,
) -> Result<(), CliError> {
    let event_id = event_id(event)?;
    let store = Store::open(path)?;
    let reader = store.read()?;
    let options = ClosureOptions {
        max_nodes,
        include_correlation: correlation,
        ..ClosureOptions::default()
    };
    let graph = graph::closure(&reader, event_id, &options).map_err(|error| match error {
        GraphError::UnknownEvent(_) => CliError::input(format!("{}: {error}", path.display())),
        GraphError::Store(error) => CliError::from(error),
    })?;
    if json {
        let text = serde_json::to_string_pretty(&graph.to_json())
            .map_err(|error| CliError::from(StoreError::from(error)))?;
        println!("{text}");
    } else {
        print!("{}", text(&graph));
    }
    Ok(())
}

/// The graph as readable text: one line per vertex, then one per edge.
fn text(graph: &CausalGraph) -> String {
    let mut out = format!(
        "causal closure of {}: {} events, {} shown, {} hidden\n",
        graph.root,
        graph.total,
        graph.nodes.len(),
        graph.hidden
    );
    for vertex in graph.vertices() {
        match vertex {
            Vertex::Event(node) => {
                out += &format!(
                    "  {:>8}  {} v{}  {}  {}  [{}]\n",
                    node.position,
                    node.stream_id,
                    node.version,
                    node.event_type,
                    node.event_id,
                    node.relation.as_str()
                );
            }
            Vertex::Group(group) => {
                out += &format!("  {:>8}  {} ({})\n", "…", group.label, group.key);
            }
        }
    }
    out += "edges (cause -> effect):\n";
    let name = |index: usize| match graph.vertex(index) {
        Some(Vertex::Event(node)) => {
            format!("{} v{} {}", node.stream_id, node.version, node.event_type)
        }
        Some(Vertex::Group(group)) => group.label.clone(),
        None => String::from("?"),
    };
    for edge in &graph.edges {
        out += &format!("  {} -> {}\n", name(edge.from), name(edge.to));
    }
    out
}
