//! The causal closure of an event: its ancestors (following each event's
//! causes), its descendants (following the cause index), optionally every
//! event of its conversation — and, beyond a size the user sets, the events
//! farthest from it collapsed into one "N more" group per stream.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use uuid::Uuid;

use crate::store::{EventRecord, StoreError, StoreReader};

use super::{CausalGraph, Edge, EdgeKind, EventNode, GraphError, GroupNode, Relation, group_key};

/// Default number of events shown before the farthest are collapsed.
pub const DEFAULT_MAX_NODES: usize = 2000;

/// What the closure includes and how much of it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosureOptions {
    /// Events shown at most (besides those of expanded groups); the rest,
    /// farthest from the event first, are collapsed into one group per stream.
    pub max_nodes: usize,
    /// Add every event of the event's correlation (conversation).
    pub include_correlation: bool,
    /// Group keys (see [`group_key`]) the user expanded: all their events are shown.
    pub expanded: BTreeSet<String>,
    /// Group keys the user collapsed: their events are hidden in the group
    /// (the selected event itself always stays visible).
    pub collapsed: BTreeSet<String>,
}

impl Default for ClosureOptions {
    fn default() -> Self {
        ClosureOptions {
            max_nodes: DEFAULT_MAX_NODES,
            include_correlation: false,
            expanded: BTreeSet::new(),
            collapsed: BTreeSet::new(),
        }
    }
}

/// What the graph keeps of an event found (payload and metadata are never parsed).
struct Light {
    event_id: Uuid,
    stream_id: String,
    version: u64,
    position: u64,
    event_type: String,
    correlation_id: Option<Uuid>,
    causation_id: Option<Uuid>,
    other_causes: Vec<Uuid>,
}

impl Light {
    fn causes(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.causation_id
            .into_iter()
            .chain(self.other_causes.iter().copied())
    }
}

fn parse(bytes: &[u8]) -> Result<Light, StoreError> {
    let record: EventRecord =
        EventRecord::decode_in(bytes, || "an event of the graph".to_string())?;
    Ok(Light {
        event_id: record.event_id,
        stream_id: record.stream_id.into_owned(),
        version: record.version,
        position: record.position,
        event_type: record.event_type.into_owned(),
        correlation_id: record.correlation_id,
        causation_id: record.causation_id,
        other_causes: record.other_causes,
    })
}

/// One event found by the traversal.
struct Found {
    light: Light,
    relation: Relation,
    /// Causal steps from the selected event (correlated-only events: after all causal ones).
    distance: u64,
}

/// The causal closure of `event_id`: ancestors, descendants, and (optionally)
/// the events of its correlation, across streams. Causes that are not events
/// (message ids) end the walk. Edges are the causation links between any two
/// events of the closure. Nothing is cut silently: events beyond
/// `options.max_nodes` are collapsed into groups that say how many they hold.
pub fn closure(
    reader: &StoreReader,
    event_id: Uuid,
    options: &ClosureOptions,
) -> Result<CausalGraph, GraphError> {
    let mut found: HashMap<Uuid, Found> = HashMap::new();
    let mut root_light = None;
    reader.visit_events_by_id::<StoreError>(&[event_id], |_, bytes| {
        root_light = Some(parse(bytes)?);
        Ok(())
    })?;
    let Some(root) = root_light else {
        return Err(GraphError::UnknownEvent(event_id));
    };
    let root_position = root.position;
    let root_correlation = root.correlation_id;
    found.insert(
        event_id,
        Found {
            light: root,
            relation: Relation::Selected,
            distance: 0,
        },
    );

    // Ancestors, breadth first: the causes of the last level that are events.
    let mut seen_up: HashSet<Uuid> = HashSet::from([event_id]);
    let mut level = vec![event_id];
    let mut distance = 0;
    while !level.is_empty() {
        distance += 1;
        let mut next: Vec<Uuid> = Vec::new();
        for id in &level {
            if let Some(entry) = found.get(id) {
                next.extend(entry.light.causes().filter(|cause| seen_up.insert(*cause)));
            }
        }
        next.sort();
        level = fetch(reader, &mut found, &next, Relation::Ancestor, distance)?;
    }

    // Descendants, breadth first through the cause index.
    let mut seen_down: HashSet<Uuid> = HashSet::from([event_id]);
    let mut level = vec![event_id];
    let mut distance = 0;
    while !level.is_empty() {
        distance += 1;
        let mut next: Vec<Uuid> = reader
            .effects_of_many(&level)?
            .into_iter()
            .map(|(_, effect)| effect)
            .filter(|effect| seen_down.insert(*effect))
            .collect();
        next.sort();
        level = fetch(reader, &mut found, &next, Relation::Descendant, distance)?;
    }

    if options.include_correlation
        && let Some(correlation) = root_correlation
    {
        let positions = reader.correlated(correlation, 0, usize::MAX)?;
        let far = found
            .values()
            .map(|entry| entry.distance)
            .max()
            .unwrap_or(0)
            + 1;
        reader.visit_events_at::<StoreError>(&positions, |_, bytes| {
            let light = parse(bytes)?;
            found.entry(light.event_id).or_insert(Found {
                light,
                relation: Relation::Correlated,
                distance: far,
            });
            Ok(())
        })?;
    }

    assemble(reader, event_id, root_position, found, options)
}

/// Reads the events among `ids` not found yet; returns the ids that are events.
fn fetch(
    reader: &StoreReader,
    found: &mut HashMap<Uuid, Found>,
    ids: &[Uuid],
    relation: Relation,
    distance: u64,
) -> Result<Vec<Uuid>, StoreError> {
    let mut events = Vec::with_capacity(ids.len());
    let (known, unknown): (Vec<Uuid>, Vec<Uuid>) =
        ids.iter().partition(|id| found.contains_key(id));
    events.extend(known);
    reader.visit_events_by_id::<StoreError>(&unknown, |id, bytes| {
        found.insert(
            id,
            Found {
                light: parse(bytes)?,
                relation,
                distance,
            },
        );
        events.push(id);
        Ok(())
    })?;
    Ok(events)
}

/// Chooses what is shown, groups the rest, and builds the sorted graph.
fn assemble(
    reader: &StoreReader,
    root: Uuid,
    root_position: u64,
    found: HashMap<Uuid, Found>,
    options: &ClosureOptions,
) -> Result<CausalGraph, GraphError> {
    let total = found.len() as u64;
    let mut all: Vec<Found> = found.into_values().collect();
    all.sort_by_key(|entry| entry.light.position);

    // Who is shown: the selected event, expanded groups, then the nearest
    // events up to the budget; a collapsed group hides its events.
    let mut shown = vec![false; all.len()];
    let mut candidates = Vec::new();
    let mut used = 0usize;
    for (index, entry) in all.iter().enumerate() {
        let key = group_key(&entry.light.stream_id);
        if entry.light.event_id == root {
            shown[index] = true;
            used += 1;
        } else if options.expanded.contains(&key) && !options.collapsed.contains(&key) {
            shown[index] = true;
        } else if !options.collapsed.contains(&key) {
            candidates.push(index);
        }
    }
    candidates.sort_by_key(|&index| {
        let entry = &all[index];
        (
            entry.distance,
            entry.light.position.abs_diff(root_position),
            entry.light.position,
        )
    });
    let budget = options.max_nodes.saturating_sub(used);
    for &index in candidates.iter().take(budget) {
        shown[index] = true;
    }

    // Process types of the streams involved, each read once.
    let mut process_types: BTreeMap<String, Option<String>> = BTreeMap::new();
    for entry in &all {
        if !process_types.contains_key(&entry.light.stream_id) {
            let process_type = reader
                .stream(&entry.light.stream_id)?
                .map(|info| info.process_type);
            process_types.insert(entry.light.stream_id.clone(), process_type);
        }
    }

    // Vertices: shown events by position, then groups by first position.
    let mut nodes = Vec::new();
    let mut vertex_of: HashMap<Uuid, VertexRef> = HashMap::with_capacity(all.len());
    let mut hidden_by_stream: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (index, entry) in all.iter().enumerate() {
        let light = &entry.light;
        if shown[index] {
            vertex_of.insert(light.event_id, VertexRef::Node(nodes.len()));
            nodes.push(EventNode {
                event_id: light.event_id,
                stream_id: light.stream_id.clone(),
                version: light.version,
                event_type: light.event_type.clone(),
                position: light.position,
                process_type: process_types.get(&light.stream_id).cloned().flatten(),
                relation: entry.relation,
                distance: entry.distance,
            });
        } else {
            let slot = hidden_by_stream
                .entry(light.stream_id.clone())
                .or_insert((0, light.position));
            slot.0 += 1;
            slot.1 = slot.1.min(light.position);
            vertex_of.insert(light.event_id, VertexRef::Group(light.stream_id.clone()));
        }
    }
    let mut groups: Vec<GroupNode> = hidden_by_stream
        .into_iter()
        .map(|(stream_id, (hidden, first_position))| GroupNode {
            key: group_key(&stream_id),
            label: format!("{hidden} more in {stream_id}"),
            process_type: process_types.get(&stream_id).cloned().flatten(),
            stream_id,
            hidden,
            first_position,
        })
        .collect();
    groups.sort_by(|a, b| {
        a.first_position
            .cmp(&b.first_position)
            .then_with(|| a.key.cmp(&b.key))
    });
    let group_index: HashMap<String, usize> = groups
        .iter()
        .enumerate()
        .map(|(index, group)| (group.stream_id.clone(), nodes.len() + index))
        .collect();
    let vertex = |reference: &VertexRef| -> Option<usize> {
        match reference {
            VertexRef::Node(index) => Some(*index),
            VertexRef::Group(stream_id) => group_index.get(stream_id).copied(),
        }
    };

    // Edges: every causation link inside the closure, mapped onto vertices;
    // links inside one group disappear, parallel links are counted once.
    let mut counted: BTreeMap<(usize, usize), u32> = BTreeMap::new();
    for entry in &all {
        let Some(to) = vertex_of.get(&entry.light.event_id).and_then(vertex) else {
            continue;
        };
        for cause in entry.light.causes() {
            let Some(from) = vertex_of.get(&cause).and_then(vertex) else {
                continue;
            };
            if from != to {
                *counted.entry((from, to)).or_insert(0) += 1;
            }
        }
    }
    let order = |index: usize| -> u64 {
        match nodes.get(index) {
            Some(node) => node.position,
            None => groups[index - nodes.len()].first_position,
        }
    };
    let mut edges: Vec<Edge> = counted
        .into_iter()
        .map(|((from, to), count)| Edge {
            from,
            to,
            kind: EdgeKind::Causation,
            count,
        })
        .collect();
    edges.sort_by_key(|edge| (order(edge.from), order(edge.to), edge.from, edge.to));

    let hidden = groups.iter().map(|group| group.hidden).sum();
    Ok(CausalGraph {
        root,
        nodes,
        groups,
        edges,
        hidden,
        total,
    })
}

/// Where an event of the closure ended up.
enum VertexRef {
    Node(usize),
    Group(String),
}
