//! Property tests of the causal graph on random DAGs built as real stores:
//! the closure equals a plain breadth-first search over the exported log;
//! in the layered layout every edge points down at least one layer and no
//! two boxes of a layer overlap; the lane layout never overlaps boxes;
//! collapsing never loses an event silently.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use process_workbench_core::graph::{self, ClosureOptions, Vertex};
use process_workbench_core::store::{Event, NewEvent, Store, StreamInfo, StreamStatus};
use proptest::prelude::*;
use serde_json::{Value, json};
use time::macros::datetime;
use uuid::Uuid;

/// One generated event: its stream and the earlier events (by index) it was caused by.
#[derive(Debug, Clone)]
struct Spec {
    stream: usize,
    causes: Vec<prop::sample::Index>,
    /// A cause that is a message id, not an event.
    message_cause: bool,
}

fn dag() -> impl Strategy<Value = Vec<Spec>> {
    prop::collection::vec(
        (
            0usize..5,
            prop::collection::vec(any::<prop::sample::Index>(), 0..3),
            prop::bool::weighted(0.1),
        )
            .prop_map(|(stream, causes, message_cause)| Spec {
                stream,
                causes,
                message_cause,
            }),
        1..50,
    )
}

fn build(dir: &std::path::Path, specs: &[Spec]) -> (Store, Vec<Uuid>) {
    let t0 = datetime!(2026-03-02 09:00 UTC);
    let store = Store::create(dir.join("graph.redb")).unwrap();
    let ids: Vec<Uuid> = (0..specs.len())
        .map(|i| Uuid::from_u128(0x1000 + i as u128))
        .collect();
    let mut streams: BTreeMap<usize, StreamInfo> = BTreeMap::new();
    for (index, spec) in specs.iter().enumerate() {
        let mut causes: Vec<Uuid> = if index == 0 {
            Vec::new()
        } else {
            spec.causes
                .iter()
                .map(|cause| ids[cause.index(index)])
                .collect()
        };
        causes.sort();
        causes.dedup();
        if spec.message_cause {
            causes.insert(0, Uuid::from_u128(0xdead_0000 + index as u128));
        }
        let info = streams.entry(spec.stream).or_insert_with(|| StreamInfo {
            stream_id: format!("stream-{}", spec.stream),
            process_type: format!("type-{}", spec.stream % 2),
            status: StreamStatus::Running,
            process_state: None,
            version: 0,
            created_at: t0,
            updated_at: t0,
            last_error: None,
            correlation_id: None,
            variant: 0,
            metadata: Value::Null,
        });
        let event = NewEvent {
            event_id: Some(ids[index]),
            causation_id: causes.first().copied(),
            other_causes: causes.iter().skip(1).copied().collect(),
            ..NewEvent::new(format!("E{index}"), t0, json!({ "i": index }))
        };
        store
            .write(|w| {
                let expected = info.version;
                w.append(info, expected, vec![event], t0)
            })
            .unwrap();
    }
    (store, ids)
}

/// Ancestors and descendants by a plain breadth-first search over the log.
fn bfs(log: &[Event], root: Uuid) -> (BTreeSet<Uuid>, BTreeSet<(Uuid, Uuid)>) {
    let known: BTreeSet<Uuid> = log.iter().map(|event| event.event_id).collect();
    let mut causes: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    let mut effects: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for event in log {
        for cause in event.causes().filter(|cause| known.contains(cause)) {
            causes.entry(event.event_id).or_default().push(cause);
            effects.entry(cause).or_default().push(event.event_id);
        }
    }
    let mut nodes = BTreeSet::from([root]);
    for links in [&causes, &effects] {
        let mut seen = BTreeSet::from([root]);
        let mut queue = VecDeque::from([root]);
        while let Some(id) = queue.pop_front() {
            for &next in links.get(&id).into_iter().flatten() {
                if seen.insert(next) {
                    nodes.insert(next);
                    queue.push_back(next);
                }
            }
        }
    }
    let edges = causes
        .iter()
        .flat_map(|(&effect, list)| list.iter().map(move |&cause| (cause, effect)))
        .filter(|(cause, effect)| nodes.contains(cause) && nodes.contains(effect))
        .collect();
    (nodes, edges)
}

fn all_shown() -> ClosureOptions {
    ClosureOptions {
        max_nodes: usize::MAX,
        ..ClosureOptions::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn closure_equals_breadth_first_search_and_layouts_hold(
        specs in dag(),
        root in any::<prop::sample::Index>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (store, ids) = build(dir.path(), &specs);
        let reader = store.read().unwrap();
        let log = reader.log(1, usize::MAX).unwrap();
        let root = ids[root.index(ids.len())];

        let graph = graph::closure(&reader, root, &all_shown()).unwrap();
        let (expected_nodes, expected_edges) = bfs(&log, root);
        let nodes: BTreeSet<Uuid> = graph.nodes.iter().map(|node| node.event_id).collect();
        prop_assert_eq!(&nodes, &expected_nodes);
        let edges: BTreeSet<(Uuid, Uuid)> = graph
            .edges
            .iter()
            .map(|edge| (graph.nodes[edge.from].event_id, graph.nodes[edge.to].event_id))
            .collect();
        prop_assert_eq!(&edges, &expected_edges);
        prop_assert_eq!(graph.hidden, 0);
        prop_assert_eq!(graph.total, nodes.len() as u64);
        prop_assert!(graph.nodes.windows(2).all(|pair| pair[0].position < pair[1].position));
        let order: Vec<(u64, u64)> = graph
            .edges
            .iter()
            .map(|edge| (graph.nodes[edge.from].position, graph.nodes[edge.to].position))
            .collect();
        prop_assert!(order.windows(2).all(|pair| pair[0] <= pair[1]));
        prop_assert_eq!(&graph, &graph::closure(&reader, root, &all_shown()).unwrap());

        let layout = graph::layered(&graph, &|| false, &mut |_, _| {}).unwrap();
        prop_assert_eq!(layout.boxes.len(), graph.vertex_count());
        for (edge, route) in graph.edges.iter().zip(&layout.routes) {
            prop_assert!(!route.reversed);
            prop_assert!(
                layout.layers[edge.from] < layout.layers[edge.to],
                "edge {:?} goes from layer {} to {}", edge, layout.layers[edge.from], layout.layers[edge.to]
            );
            prop_assert!(route.points.len() >= 2);
        }
        for a in 0..layout.boxes.len() {
            for b in a + 1..layout.boxes.len() {
                if layout.layers[a] == layout.layers[b] {
                    prop_assert!(!layout.boxes[a].overlaps(&layout.boxes[b]), "{} and {} overlap", a, b);
                }
            }
        }

        let lanes = graph::lanes(&graph, &|| false, &mut |_, _| {}).unwrap();
        for a in 0..lanes.boxes.len() {
            for b in a + 1..lanes.boxes.len() {
                prop_assert!(!lanes.boxes[a].overlaps(&lanes.boxes[b]));
            }
        }
        for edge in &graph.edges {
            prop_assert!(lanes.layers[edge.from] < lanes.layers[edge.to]);
        }
    }

    #[test]
    fn collapsing_hides_nothing_silently(
        specs in dag(),
        root in any::<prop::sample::Index>(),
        max_nodes in 0usize..12,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (store, ids) = build(dir.path(), &specs);
        let reader = store.read().unwrap();
        let root = ids[root.index(ids.len())];
        let full = graph::closure(&reader, root, &all_shown()).unwrap();
        let options = ClosureOptions { max_nodes, ..ClosureOptions::default() };
        let small = graph::closure(&reader, root, &options).unwrap();

        prop_assert_eq!(small.total, full.total);
        prop_assert_eq!(small.nodes.len(), (max_nodes.max(1) as u64).min(full.total) as usize);
        prop_assert_eq!(small.nodes.len() as u64 + small.hidden, small.total);
        prop_assert_eq!(small.groups.iter().map(|group| group.hidden).sum::<u64>(), small.hidden);
        prop_assert!(small.index_of(root).is_some());
        for edge in &small.edges {
            prop_assert!(edge.from < small.vertex_count() && edge.to < small.vertex_count());
            prop_assert!(edge.from != edge.to);
        }
        // Layouts cope with the cycles collapsing can make.
        let layout = graph::layered(&small, &|| false, &mut |_, _| {}).unwrap();
        for (edge, route) in small.edges.iter().zip(&layout.routes) {
            if !route.reversed {
                prop_assert!(layout.layers[edge.from] < layout.layers[edge.to]);
            }
        }

        // Expanding every group shows everything.
        let expanded = ClosureOptions {
            max_nodes,
            expanded: small.groups.iter().map(|group| group.key.clone()).collect(),
            ..ClosureOptions::default()
        };
        let all = graph::closure(&reader, root, &expanded).unwrap();
        prop_assert_eq!(all.hidden, 0);
        prop_assert_eq!(&all.nodes, &full.nodes);
        let shown: Vec<Vertex<'_>> = all.vertices().collect();
        prop_assert_eq!(shown.len(), full.nodes.len());
    }
}
