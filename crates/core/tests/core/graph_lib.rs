//! The causal graph against real temporary stores: a cross-stream process,
//! message-id causes, several causes per event, correlation, grouping and
//! expanding, cycles in imported data, cancel, exports, and the demo store's
//! cross-stream processes.

use std::collections::BTreeSet;

use process_workbench_core::demo::{self, DemoOptions};
use process_workbench_core::graph::{
    self, ClosureOptions, GraphError, Relation, Vertex, group_key, to_svg,
};
use process_workbench_core::store::{NewEvent, Store, StreamInfo, StreamStatus};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

const T0: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

fn info(id: &str, process_type: &str) -> StreamInfo {
    StreamInfo {
        stream_id: id.to_string(),
        process_type: process_type.to_string(),
        status: StreamStatus::Running,
        process_state: None,
        version: 0,
        created_at: T0,
        updated_at: T0,
        last_error: None,
        correlation_id: None,
        variant: 0,
        metadata: Value::Null,
    }
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn event(n: u128, event_type: &str, causes: &[Uuid], correlation: Option<Uuid>) -> NewEvent {
    NewEvent {
        event_id: Some(id(n)),
        causation_id: causes.first().copied(),
        other_causes: causes.iter().skip(1).copied().collect(),
        correlation_id: correlation,
        ..NewEvent::new(event_type, T0, json!({}))
    }
}

/// order-1: Placed(1) ← message, Confirmed(2) ← 1
/// shipment-1: Requested(3) ← 2, Shipped(4) ← 3
/// invoice-1: Issued(5) ← 2 and 4 (two causes)
/// order-2: Placed(6), unrelated but in the same conversation as order-1
fn cross_stream(dir: &tempfile::TempDir) -> Store {
    let store = Store::create(dir.path().join("g.redb")).unwrap();
    let conversation = id(0xc0);
    let message = id(0xfeed);
    let mut order = info("order-1", "order");
    let mut shipment = info("shipment-1", "shipment");
    let mut invoice = info("invoice-1", "invoice");
    let mut other = info("order-2", "order");
    store
        .write(|w| {
            w.append(
                &mut order,
                0,
                vec![event(1, "OrderPlaced", &[message], Some(conversation))],
                T0,
            )?;
            w.append(
                &mut order,
                1,
                vec![event(2, "OrderConfirmed", &[id(1)], Some(conversation))],
                T0,
            )?;
            w.append(
                &mut shipment,
                0,
                vec![event(3, "ShipmentRequested", &[id(2)], Some(conversation))],
                T0,
            )?;
            w.append(
                &mut shipment,
                1,
                vec![event(4, "Shipped", &[id(3)], Some(conversation))],
                T0,
            )?;
            w.append(
                &mut invoice,
                0,
                vec![event(
                    5,
                    "InvoiceIssued",
                    &[id(2), id(4)],
                    Some(conversation),
                )],
                T0,
            )?;
            w.append(
                &mut other,
                0,
                vec![event(6, "OrderPlaced", &[], Some(conversation))],
                T0,
            )
        })
        .unwrap();
    store
}

fn edge_ids(graph: &graph::CausalGraph) -> Vec<(String, String)> {
    graph
        .edges
        .iter()
        .map(|edge| {
            (
                graph.vertex(edge.from).unwrap().id(),
                graph.vertex(edge.to).unwrap().id(),
            )
        })
        .collect()
}

#[test]
fn closure_follows_causes_and_effects_across_streams() {
    let dir = tempfile::tempdir().unwrap();
    let store = cross_stream(&dir);
    let reader = store.read().unwrap();
    let graph = graph::closure(&reader, id(3), &ClosureOptions::default()).unwrap();

    let nodes: Vec<(u128, &str, u64, Relation)> = graph
        .nodes
        .iter()
        .map(|node| {
            (
                node.event_id.as_u128(),
                node.stream_id.as_str(),
                node.version,
                node.relation,
            )
        })
        .collect();
    assert_eq!(
        nodes,
        vec![
            (1, "order-1", 1, Relation::Ancestor),
            (2, "order-1", 2, Relation::Ancestor),
            (3, "shipment-1", 1, Relation::Selected),
            (4, "shipment-1", 2, Relation::Descendant),
            (5, "invoice-1", 1, Relation::Descendant),
        ]
    );
    assert_eq!(graph.nodes[0].process_type.as_deref(), Some("order"));
    let s = |n: u128| id(n).to_string();
    assert_eq!(
        edge_ids(&graph),
        vec![
            (s(1), s(2)),
            (s(2), s(3)),
            (s(2), s(5)),
            (s(3), s(4)),
            (s(4), s(5))
        ]
    );
    assert_eq!((graph.hidden, graph.total), (0, 5));

    let json = graph.to_json();
    assert_eq!(json["hidden"], 0);
    assert_eq!(json["nodes"].as_array().unwrap().len(), 5);
    for key in ["event_id", "stream_id", "version", "event_type", "position"] {
        assert!(json["nodes"][0].get(key).is_some(), "node lacks {key}");
    }
    assert_eq!(
        json["edges"][0],
        json!({"from": s(1), "to": s(2), "kind": "causation"})
    );

    // The conversation adds order-2, which no causation reaches.
    let with_correlation = ClosureOptions {
        include_correlation: true,
        ..ClosureOptions::default()
    };
    let graph = graph::closure(&reader, id(3), &with_correlation).unwrap();
    assert_eq!(graph.nodes.len(), 6);
    assert_eq!(graph.nodes[5].relation, Relation::Correlated);
}

#[test]
fn unknown_event_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = cross_stream(&dir);
    let error = graph::closure(
        &store.read().unwrap(),
        id(0xfeed),
        &ClosureOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(error, GraphError::UnknownEvent(_)));
    assert!(error.to_string().contains("no event with id"), "{error}");
}

#[test]
fn beyond_max_nodes_streams_collapse_into_groups_that_expand() {
    let dir = tempfile::tempdir().unwrap();
    let store = cross_stream(&dir);
    let reader = store.read().unwrap();
    let options = ClosureOptions {
        max_nodes: 2,
        ..ClosureOptions::default()
    };
    let graph = graph::closure(&reader, id(2), &options).unwrap();
    // The selected event and its nearest (order-1 v1 at distance 1, earliest first).
    assert_eq!(
        graph
            .nodes
            .iter()
            .map(|node| node.event_id.as_u128())
            .collect::<Vec<_>>(),
        vec![1, 2]
    );
    let groups: Vec<(&str, u64)> = graph
        .groups
        .iter()
        .map(|group| (group.key.as_str(), group.hidden))
        .collect();
    assert_eq!(
        groups,
        vec![("stream:shipment-1", 2), ("stream:invoice-1", 1)]
    );
    assert_eq!(graph.groups[0].label, "2 more in shipment-1");
    assert_eq!(graph.hidden, 3);
    let json = graph.to_json();
    assert_eq!(json["hidden"], 3);
    assert_eq!(json["groups"][0]["group"], "stream:shipment-1");
    assert!(edge_ids(&graph).contains(&(
        "stream:shipment-1".to_string(),
        "stream:invoice-1".to_string()
    )));

    let expanded = ClosureOptions {
        max_nodes: 2,
        expanded: BTreeSet::from([group_key("shipment-1")]),
        ..ClosureOptions::default()
    };
    let graph = graph::closure(&reader, id(2), &expanded).unwrap();
    assert_eq!(graph.nodes.len(), 4);
    assert_eq!(graph.hidden, 1);

    // A stream the user collapses hides even when there is room.
    let collapsed = ClosureOptions {
        collapsed: BTreeSet::from([group_key("order-1")]),
        ..ClosureOptions::default()
    };
    let graph = graph::closure(&reader, id(2), &collapsed).unwrap();
    assert!(graph.index_of(id(2)).is_some(), "the selected event stays");
    assert!(graph.index_of(id(1)).is_none());
    assert_eq!(graph.groups[0].key, "stream:order-1");
}

#[test]
fn layouts_svg_cancel_and_cycles() {
    let dir = tempfile::tempdir().unwrap();
    let store = cross_stream(&dir);
    let reader = store.read().unwrap();
    let graph = graph::closure(&reader, id(3), &ClosureOptions::default()).unwrap();

    let mut steps = Vec::new();
    let layout = graph::layered(&graph, &|| false, &mut |done, total| {
        steps.push((done, total))
    })
    .unwrap();
    assert!(steps.last().is_some_and(|&(done, total)| done == total));
    assert_eq!(layout.crossings, 0);
    // Invoice (two causes, the latest via the shipment) is below the shipment.
    assert!(layout.layers[4] > layout.layers[3]);
    let svg = to_svg(&graph, &layout);
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<rect x=").count(), graph.vertex_count());
    assert_eq!(svg.matches("marker-end").count(), graph.edges.len());
    assert!(svg.contains("ShipmentRequested"));

    let lanes = graph::lanes(&graph, &|| false, &mut |_, _| {}).unwrap();
    let lane_names: Vec<&str> = lanes
        .lanes
        .iter()
        .map(|lane| lane.stream_id.as_str())
        .collect();
    assert_eq!(lane_names, vec!["order-1", "shipment-1", "invoice-1"]);
    assert!(to_svg(&graph, &lanes).contains("invoice-1"));

    assert!(graph::layered(&graph, &|| true, &mut |_, _| {}).is_err());
    assert!(graph::lanes(&graph, &|| true, &mut |_, _| {}).is_err());

    // Imported data may hold a cycle: a ← b ← a. The layout still succeeds,
    // with one edge drawn reversed.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path().join("cycle.redb")).unwrap();
    let mut a = info("a", "x");
    let mut b = info("b", "y");
    store
        .write(|w| {
            w.append(&mut a, 0, vec![event(10, "A", &[id(11)], None)], T0)?;
            w.append(&mut b, 0, vec![event(11, "B", &[id(10)], None)], T0)
        })
        .unwrap();
    let graph = graph::closure(&store.read().unwrap(), id(10), &ClosureOptions::default()).unwrap();
    assert_eq!((graph.nodes.len(), graph.edges.len()), (2, 2));
    let layout = graph::layered(&graph, &|| false, &mut |_, _| {}).unwrap();
    assert_eq!(
        layout.routes.iter().filter(|route| route.reversed).count(),
        1
    );
    assert_ne!(layout.layers[0], layout.layers[1]);
}

#[test]
fn demo_cross_stream_processes_give_their_nodes_and_edges() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.redb");
    demo::generate(
        &path,
        DemoOptions {
            processes: 30,
            seed: 7,
        },
        |_, _| true,
    )
    .unwrap();
    let store = Store::open(&path).unwrap();
    let reader = store.read().unwrap();
    let log = reader.log(1, usize::MAX).unwrap();
    let stream_of = |id: Uuid| {
        log.iter()
            .find(|event| event.event_id == id)
            .map(|event| event.stream_id.clone())
    };
    // Events started by an event of another stream (a process starting another).
    let crossings: Vec<_> = log
        .iter()
        .filter_map(|event| {
            let cause = event.causation_id?;
            let cause_stream = stream_of(cause)?;
            (cause_stream != event.stream_id).then_some((cause, event.event_id))
        })
        .collect();
    assert!(
        !crossings.is_empty(),
        "the demo has no cross-stream causation"
    );
    for (cause, effect) in crossings.iter().take(10) {
        let graph = graph::closure(&reader, *cause, &ClosureOptions::default()).unwrap();
        let from = graph.index_of(*cause).unwrap();
        let to = graph
            .index_of(*effect)
            .expect("the effect in another stream is a node");
        assert!(
            graph
                .edges
                .iter()
                .any(|edge| edge.from == from && edge.to == to)
        );
        let streams: BTreeSet<&str> = graph
            .vertices()
            .map(|vertex| match vertex {
                Vertex::Event(node) => node.stream_id.as_str(),
                Vertex::Group(group) => group.stream_id.as_str(),
            })
            .collect();
        assert!(streams.len() >= 2);
        for node in &graph.nodes {
            let stored = reader.event_by_id(node.event_id).unwrap().unwrap();
            assert_eq!(
                (node.stream_id.as_str(), node.version),
                (stored.stream_id.as_str(), stored.version)
            );
            assert!(node.process_type.is_some());
        }
        let layout = graph::layered(&graph, &|| false, &mut |_, _| {}).unwrap();
        for (edge, route) in graph.edges.iter().zip(&layout.routes) {
            assert!(route.reversed || layout.layers[edge.from] < layout.layers[edge.to]);
        }
    }
}
