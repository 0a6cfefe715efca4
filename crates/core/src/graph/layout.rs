//! Layouts of a causal graph: pure functions over the graph, no store access,
//! cancellable and reporting progress so the GUI can run them as a background job.
//!
//! - [`layered`]: a Sugiyama-style layered DAG layout. Cycles (possible in
//!   imported data, or through collapsed groups) are broken by reversing the
//!   fewest edges a position-ordered topological sort needs; layers by longest
//!   path, then nodes with more effects than causes are pulled down next to
//!   their effects (shorter edges); long edges get dummy points; crossings are
//!   reduced by barycenter sweeps (the best ordering seen is kept); x
//!   coordinates pull each node towards its neighbours' mean while keeping the
//!   order and a minimum gap (isotonic regression), so no two boxes of a layer
//!   overlap. Every edge that is not reversed points down at least one layer.
//! - [`lanes`]: one column per stream (in order of first appearance), time
//!   downward: a node's row is below the previous node of its lane and below
//!   its causes, like a sequence diagram.

use std::collections::{BTreeMap, BTreeSet};

use super::CausalGraph;

/// Width of an event or group box.
pub const NODE_WIDTH: f32 = 180.0;
/// Height of an event or group box.
pub const NODE_HEIGHT: f32 = 44.0;
/// Horizontal gap between two boxes of a layer.
pub const NODE_GAP: f32 = 24.0;
/// Vertical gap between two layers.
pub const LAYER_GAP: f32 = 56.0;
/// Vertical gap between two rows of the lane layout.
pub const ROW_GAP: f32 = 16.0;
/// Horizontal gap between two lanes.
pub const LANE_GAP: f32 = 60.0;
/// Space above the first row of the lane layout for the lane titles.
pub const LANE_HEADER: f32 = 28.0;
/// Margin around the drawing.
pub const MARGIN: f32 = 20.0;
/// Width a dummy point of a long edge takes in its layer.
const DUMMY_WIDTH: f32 = 10.0;
/// Barycenter iterations (each one sweep down and one up).
const SWEEPS: usize = 4;
/// Coordinate passes (alternately towards the upper and the lower neighbours).
const COORDINATE_PASSES: usize = 4;
/// Layers between two cancel checks inside a pass.
const CHECK_EVERY: usize = 256;

/// The layout job was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("layout cancelled")]
pub struct Cancelled;

/// Which layout made a [`Layout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutKind {
    Layered,
    Lanes,
}

/// An axis-aligned box: top-left corner and size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl Rect {
    /// The middle of the top side.
    pub fn top_center(&self) -> [f32; 2] {
        [self.x + self.width / 2.0, self.y]
    }

    /// The middle of the bottom side.
    pub fn bottom_center(&self) -> [f32; 2] {
        [self.x + self.width / 2.0, self.y + self.height]
    }

    /// Whether two boxes share any area.
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x < other.x + other.width
            && other.x < self.x + self.width
            && self.y < other.y + other.height
            && other.y < self.y + self.height
    }
}

/// How one edge is drawn: a polyline from the cause to the effect.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeRoute {
    /// Index into [`CausalGraph::edges`].
    pub edge: usize,
    /// From the cause's box to the effect's box (the arrow head at the last point).
    pub points: Vec<[f32; 2]>,
    /// The effect is drawn above its cause (an edge reversed to break a cycle).
    pub reversed: bool,
}

/// A lane of the lane layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    pub stream_id: String,
    /// Left side of the lane's boxes.
    pub x: f32,
}

/// Positions of a graph's vertices and routes of its edges.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub kind: LayoutKind,
    /// One box per vertex, by vertex index.
    pub boxes: Vec<Rect>,
    /// Per vertex: its layer (layered) or row (lanes), from 0 at the top.
    pub layers: Vec<u32>,
    /// One route per edge, in edge order.
    pub routes: Vec<EdgeRoute>,
    /// The lanes (lane layout only), left to right.
    pub lanes: Vec<Lane>,
    /// Edge crossings between adjacent layers (layered layout; 0 for lanes).
    pub crossings: u64,
    /// Size of the drawing, margins included.
    pub width: f32,
    pub height: f32,
}

/// Reports progress and checks for cancellation.
struct Job<'a> {
    cancel: &'a dyn Fn() -> bool,
    progress: &'a mut dyn FnMut(u64, u64),
    done: u64,
    total: u64,
}

impl Job<'_> {
    fn step(&mut self) -> Result<(), Cancelled> {
        self.done += 1;
        (self.progress)(self.done.min(self.total), self.total);
        self.check()
    }

    fn check(&self) -> Result<(), Cancelled> {
        if (self.cancel)() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }
}

/// Lays the graph out in layers, causes above effects. `cancel` is polled
/// between and within phases; `progress(done, total)` counts phases.
pub fn layered(
    graph: &CausalGraph,
    cancel: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Layout, Cancelled> {
    let keys: Vec<u64> = graph.vertices().map(|vertex| vertex.position()).collect();
    let edges: Vec<(usize, usize)> = graph
        .edges
        .iter()
        .map(|edge| (edge.from, edge.to))
        .collect();
    layered_edges(graph.vertex_count(), &edges, &keys, cancel, progress)
}

/// The layered layout of any directed graph of `n` vertices: `edges` as
/// (from, to) vertex indexes, `keys` one per vertex (cycles are broken so
/// that vertices of smaller keys come first where they can). One route per
/// edge, in the order given; a loop (from = to) or an edge naming a vertex
/// out of range gets an empty route. The process map lays its activities
/// out with it.
pub fn layered_edges(
    n: usize,
    edges: &[(usize, usize)],
    keys: &[u64],
    cancel: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Layout, Cancelled> {
    let mut job = Job {
        cancel,
        progress,
        done: 0,
        total: 4 + 2 * SWEEPS as u64 + COORDINATE_PASSES as u64,
    };
    job.check()?;
    let pairs: Vec<(usize, usize)> = edges
        .iter()
        .copied()
        .filter(|&(from, to)| from != to && from < n && to < n)
        .collect();

    // 1. An order in which as many edges as possible point forward.
    let rank = acyclic_rank(n, &pairs, keys);
    let oriented: Vec<(usize, usize)> = pairs
        .iter()
        .map(|&(from, to)| {
            if rank[from] < rank[to] {
                (from, to)
            } else {
                (to, from)
            }
        })
        .collect();
    job.step()?;

    // 2. Layers: longest path from the sources, then pull-down.
    let layer = assign_layers(n, &oriented, &rank);
    job.step()?;

    // 3. Dummy points on long edges, within a budget.
    let mut grid = Grid::new(&layer, keys);
    let chains: Vec<Vec<usize>> = oriented
        .iter()
        .map(|&(upper, lower)| grid.chain(upper, lower))
        .collect();
    grid.sort_initial();
    job.step()?;

    // 4. Crossing reduction.
    let mut best = grid.order.clone();
    let mut best_crossings = grid.crossings();
    for _ in 0..SWEEPS {
        grid.sweep(true, &job)?;
        job.step()?;
        grid.sweep(false, &job)?;
        job.step()?;
        let crossings = grid.crossings();
        if crossings < best_crossings {
            best_crossings = crossings;
            best = grid.order.clone();
        }
    }
    grid.set_order(best);

    // 5. Coordinates.
    grid.pack();
    for pass in 0..COORDINATE_PASSES {
        grid.place(pass % 2 == 1, &job)?;
        job.step()?;
    }
    let min_left = grid.x.iter().copied().fold(f32::INFINITY, f32::min);
    let shift = if min_left.is_finite() {
        MARGIN - min_left
    } else {
        MARGIN
    };
    for x in &mut grid.x {
        *x += shift;
    }

    let row_height = NODE_HEIGHT + LAYER_GAP;
    let layer_y = |layer: u32| MARGIN + layer as f32 * row_height;
    let boxes: Vec<Rect> = (0..n)
        .map(|vertex| Rect {
            x: grid.x[vertex],
            y: layer_y(layer[vertex]),
            width: NODE_WIDTH,
            height: NODE_HEIGHT,
        })
        .collect();
    let mut routes = Vec::with_capacity(edges.len());
    let mut chain_of = chains.iter().zip(&pairs);
    for (index, &(edge_from, edge_to)) in edges.iter().enumerate() {
        if edge_from == edge_to || edge_from >= n || edge_to >= n {
            routes.push(EdgeRoute {
                edge: index,
                points: Vec::new(),
                reversed: false,
            });
            continue;
        }
        let Some((chain, &(from, _))) = chain_of.next() else {
            break;
        };
        let mut points = Vec::with_capacity(chain.len());
        if let (Some(&first), Some(&last)) = (chain.first(), chain.last()) {
            points.push(boxes[first].bottom_center());
            for &dummy in &chain[1..chain.len() - 1] {
                points.push([
                    grid.x[dummy] + DUMMY_WIDTH / 2.0,
                    layer_y(grid.layer[dummy]) + NODE_HEIGHT / 2.0,
                ]);
            }
            points.push(boxes[last].top_center());
        }
        let reversed = chain.first() != Some(&from);
        if reversed {
            points.reverse();
        }
        routes.push(EdgeRoute {
            edge: index,
            points,
            reversed,
        });
    }
    job.step()?;

    let width = grid
        .x
        .iter()
        .zip(&grid.width)
        .map(|(x, width)| x + width)
        .fold(MARGIN, f32::max)
        + MARGIN;
    let height = extent(&boxes, |rect| rect.y + rect.height);
    Ok(Layout {
        kind: LayoutKind::Layered,
        boxes,
        layers: layer,
        routes,
        lanes: Vec::new(),
        crossings: best_crossings,
        width,
        height,
    })
}

/// The far edge of the drawing along one axis, margin included.
fn extent(boxes: &[Rect], far: impl Fn(&Rect) -> f32) -> f32 {
    boxes.iter().map(far).fold(MARGIN, f32::max) + MARGIN
}

/// A topological rank of the vertices that keeps global-position order where
/// the edges allow; on a cycle the earliest remaining vertex goes first (its
/// remaining incoming edges become reversed).
fn acyclic_rank(n: usize, pairs: &[(usize, usize)], keys: &[u64]) -> Vec<usize> {
    let mut outgoing: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut indegree = vec![0usize; n];
    for &(from, to) in pairs {
        outgoing[from].push(to);
        indegree[to] += 1;
    }
    let mut by_key: Vec<usize> = (0..n).collect();
    by_key.sort_by_key(|&vertex| (keys[vertex], vertex));
    let mut ready: BTreeSet<(u64, usize)> = (0..n)
        .filter(|&vertex| indegree[vertex] == 0)
        .map(|vertex| (keys[vertex], vertex))
        .collect();
    let mut done = vec![false; n];
    let mut rank = vec![0usize; n];
    let mut cursor = 0;
    for next_rank in 0..n {
        let vertex = match ready.pop_first() {
            Some((_, vertex)) => vertex,
            None => {
                while done[by_key[cursor]] {
                    cursor += 1;
                }
                by_key[cursor]
            }
        };
        done[vertex] = true;
        rank[vertex] = next_rank;
        for &target in &outgoing[vertex] {
            if !done[target] {
                indegree[target] -= 1;
                if indegree[target] == 0 {
                    ready.insert((keys[target], target));
                }
            }
        }
    }
    rank
}

/// Longest-path layers, then vertices with more effects than causes moved
/// down next to their nearest effect (it shortens more edges than it lengthens).
fn assign_layers(n: usize, oriented: &[(usize, usize)], rank: &[usize]) -> Vec<u32> {
    let mut below: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut above: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(upper, lower) in oriented {
        below[upper].push(lower);
        above[lower].push(upper);
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&vertex| rank[vertex]);
    let mut layer = vec![0u32; n];
    for &vertex in &order {
        layer[vertex] = above[vertex]
            .iter()
            .map(|&upper| layer[upper] + 1)
            .max()
            .unwrap_or(0);
    }
    for &vertex in order.iter().rev() {
        if below[vertex].len() > above[vertex].len()
            && let Some(nearest) = below[vertex].iter().map(|&lower| layer[lower]).min()
        {
            layer[vertex] = layer[vertex].max(nearest.saturating_sub(1));
        }
    }
    layer
}

/// The layered drawing in progress: real vertices (0..n) and dummy points,
/// their layers, order within layers, neighbours and x coordinates.
struct Grid {
    /// Layer of every grid vertex (real then dummies).
    layer: Vec<u32>,
    /// Sort key of the initial order (global position, a dummy its edge's upper end's).
    key: Vec<u64>,
    width: Vec<f32>,
    /// Neighbours one segment up / down.
    up: Vec<Vec<usize>>,
    down: Vec<Vec<usize>>,
    /// Vertices of each layer, left to right.
    order: Vec<Vec<usize>>,
    /// Index within its layer.
    slot: Vec<usize>,
    /// Left side.
    x: Vec<f32>,
    dummy_budget: usize,
}

impl Grid {
    fn new(layer: &[u32], keys: &[u64]) -> Grid {
        let n = layer.len();
        Grid {
            layer: layer.to_vec(),
            key: keys.to_vec(),
            width: vec![NODE_WIDTH; n],
            up: vec![Vec::new(); n],
            down: vec![Vec::new(); n],
            order: Vec::new(),
            slot: vec![0; n],
            x: vec![0.0; n],
            dummy_budget: 4 * n + 10_000,
        }
    }

    /// Links `upper` to `lower` through dummies on the layers between them;
    /// past the dummy budget a long edge is linked directly (drawn straight).
    fn chain(&mut self, upper: usize, lower: usize) -> Vec<usize> {
        let (top, bottom) = (self.layer[upper], self.layer[lower]);
        let span = bottom.saturating_sub(top) as usize;
        let mut chain = vec![upper];
        if span > 1 && span - 1 <= self.dummy_budget {
            self.dummy_budget -= span - 1;
            for layer in top + 1..bottom {
                let dummy = self.layer.len();
                self.layer.push(layer);
                self.key.push(self.key[upper]);
                self.width.push(DUMMY_WIDTH);
                self.up.push(Vec::new());
                self.down.push(Vec::new());
                self.slot.push(0);
                self.x.push(0.0);
                chain.push(dummy);
            }
        }
        chain.push(lower);
        for pair in chain.windows(2) {
            self.down[pair[0]].push(pair[1]);
            self.up[pair[1]].push(pair[0]);
        }
        chain
    }

    /// Fills the layers in key order.
    fn sort_initial(&mut self) {
        let layers = self
            .layer
            .iter()
            .copied()
            .max()
            .map_or(0, |top| top as usize + 1);
        let mut order: Vec<Vec<usize>> = vec![Vec::new(); layers];
        let mut all: Vec<usize> = (0..self.layer.len()).collect();
        all.sort_by_key(|&vertex| (self.key[vertex], vertex));
        for vertex in all {
            order[self.layer[vertex] as usize].push(vertex);
        }
        self.set_order(order);
    }

    fn set_order(&mut self, order: Vec<Vec<usize>>) {
        for row in &order {
            for (slot, &vertex) in row.iter().enumerate() {
                self.slot[vertex] = slot;
            }
        }
        self.order = order;
    }

    /// One barycenter sweep: downward orders each layer by its upper
    /// neighbours, upward by its lower ones. A vertex without such neighbours
    /// keeps its place as its barycenter.
    fn sweep(&mut self, downward: bool, job: &Job<'_>) -> Result<(), Cancelled> {
        let layers = self.order.len();
        let sequence: Vec<usize> = if downward {
            (1..layers).collect()
        } else {
            (0..layers.saturating_sub(1)).rev().collect()
        };
        for (count, layer) in sequence.into_iter().enumerate() {
            if count % CHECK_EVERY == 0 {
                job.check()?;
            }
            let mut row = std::mem::take(&mut self.order[layer]);
            let mut weighted: Vec<(f64, usize, usize)> = row
                .iter()
                .map(|&vertex| {
                    let neighbours = if downward {
                        &self.up[vertex]
                    } else {
                        &self.down[vertex]
                    };
                    let barycenter = if neighbours.is_empty() {
                        self.slot[vertex] as f64
                    } else {
                        neighbours
                            .iter()
                            .map(|&other| self.slot[other] as f64)
                            .sum::<f64>()
                            / neighbours.len() as f64
                    };
                    (barycenter, self.slot[vertex], vertex)
                })
                .collect();
            weighted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            row.clear();
            row.extend(weighted.into_iter().map(|(_, _, vertex)| vertex));
            for (slot, &vertex) in row.iter().enumerate() {
                self.slot[vertex] = slot;
            }
            self.order[layer] = row;
        }
        Ok(())
    }

    /// Crossings between adjacent layers (long edges linked directly are not counted).
    fn crossings(&self) -> u64 {
        let mut total = 0;
        for layer in 0..self.order.len().saturating_sub(1) {
            let mut segments: Vec<(usize, usize)> = Vec::new();
            for &vertex in &self.order[layer] {
                for &lower in &self.down[vertex] {
                    if self.layer[lower] as usize == layer + 1 {
                        segments.push((self.slot[vertex], self.slot[lower]));
                    }
                }
            }
            segments.sort_unstable();
            total += count_inversions(
                segments.iter().map(|&(_, lower)| lower),
                self.order[layer + 1].len(),
            );
        }
        total
    }

    /// Left-packed start: each layer's boxes side by side.
    fn pack(&mut self) {
        for row in &self.order {
            let mut left = 0.0;
            for &vertex in row {
                self.x[vertex] = left;
                left += self.width[vertex] + NODE_GAP;
            }
        }
    }

    /// Moves each layer's centers towards the mean center of their neighbours
    /// in the layer above (or below), keeping order and gaps: an isotonic
    /// regression (pool adjacent violators) on the centers minus their minimum offsets.
    fn place(&mut self, upward: bool, job: &Job<'_>) -> Result<(), Cancelled> {
        let layers = self.order.len();
        let sequence: Vec<usize> = if upward {
            (0..layers.saturating_sub(1)).rev().collect()
        } else {
            (1..layers).collect()
        };
        for (count, layer) in sequence.into_iter().enumerate() {
            if count % CHECK_EVERY == 0 {
                job.check()?;
            }
            let row = &self.order[layer];
            let mut offsets = Vec::with_capacity(row.len());
            let mut targets = Vec::with_capacity(row.len());
            let mut offset = 0.0f64;
            for (index, &vertex) in row.iter().enumerate() {
                if index > 0 {
                    let previous = row[index - 1];
                    offset +=
                        f64::from((self.width[previous] + self.width[vertex]) / 2.0 + NODE_GAP);
                }
                let neighbours = if upward {
                    &self.down[vertex]
                } else {
                    &self.up[vertex]
                };
                let center = |other: usize| f64::from(self.x[other] + self.width[other] / 2.0);
                let desired = if neighbours.is_empty() {
                    center(vertex)
                } else {
                    neighbours.iter().map(|&other| center(other)).sum::<f64>()
                        / neighbours.len() as f64
                };
                offsets.push(offset);
                targets.push(desired - offset);
            }
            let fitted = isotonic(&targets);
            for (index, &vertex) in row.iter().enumerate() {
                let center = fitted[index] + offsets[index];
                self.x[vertex] = (center - f64::from(self.width[vertex] / 2.0)) as f32;
            }
        }
        Ok(())
    }
}

/// Inversions in a sequence of values below `bound` (Fenwick tree).
fn count_inversions(values: impl Iterator<Item = usize>, bound: usize) -> u64 {
    let mut tree = vec![0u64; bound + 1];
    let mut inversions = 0u64;
    for (seen, value) in (0u64..).zip(values) {
        // Values seen so far that are greater than this one.
        let mut index = value + 1;
        let mut not_greater = 0;
        while index > 0 {
            not_greater += tree[index];
            index &= index - 1;
        }
        inversions += seen - not_greater;
        let mut index = value + 1;
        while index <= bound {
            tree[index] += 1;
            index += index & index.wrapping_neg();
        }
    }
    inversions
}

/// The nondecreasing sequence closest (least squares) to `targets`.
fn isotonic(targets: &[f64]) -> Vec<f64> {
    // Blocks of (sum, count) whose means increase.
    let mut blocks: Vec<(f64, usize)> = Vec::with_capacity(targets.len());
    for &target in targets {
        blocks.push((target, 1));
        while blocks.len() >= 2 {
            let (sum, count) = blocks[blocks.len() - 1];
            let (previous_sum, previous_count) = blocks[blocks.len() - 2];
            if previous_sum / previous_count as f64 <= sum / count as f64 {
                break;
            }
            blocks.pop();
            let last = blocks.len() - 1;
            blocks[last] = (previous_sum + sum, previous_count + count);
        }
    }
    let mut fitted = Vec::with_capacity(targets.len());
    for (sum, count) in blocks {
        fitted.extend(std::iter::repeat_n(sum / count as f64, count));
    }
    fitted
}

/// Lays the graph out in lanes: one column per stream (in order of their
/// first event), rows downward below both the lane's previous node and the
/// node's causes. `cancel` is polled every few thousand vertices.
pub fn lanes(
    graph: &CausalGraph,
    cancel: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Layout, Cancelled> {
    let n = graph.vertex_count();
    let mut job = Job {
        cancel,
        progress,
        done: 0,
        total: 3,
    };
    job.check()?;
    let vertices: Vec<_> = graph.vertices().collect();
    let mut by_position: Vec<usize> = (0..n).collect();
    by_position.sort_by_key(|&vertex| (vertices[vertex].position(), vertex));

    // Lanes in order of their first vertex.
    let mut lane_of_stream: BTreeMap<&str, usize> = BTreeMap::new();
    let mut lanes: Vec<Lane> = Vec::new();
    for &vertex in &by_position {
        let stream_id = vertices[vertex].stream_id();
        if !lane_of_stream.contains_key(stream_id) {
            lane_of_stream.insert(stream_id, lanes.len());
            lanes.push(Lane {
                stream_id: stream_id.to_string(),
                x: MARGIN + lanes.len() as f32 * (NODE_WIDTH + LANE_GAP),
            });
        }
    }
    job.step()?;

    let mut causes: Vec<Vec<usize>> = vec![Vec::new(); n];
    for edge in &graph.edges {
        if edge.from < n && edge.to < n && edge.from != edge.to {
            causes[edge.to].push(edge.from);
        }
    }
    let mut row: Vec<Option<u32>> = vec![None; n];
    let mut lane_next = vec![0u32; lanes.len()];
    let mut lane = vec![0usize; n];
    for (count, &vertex) in by_position.iter().enumerate() {
        if count % 4096 == 0 {
            job.check()?;
        }
        let own = lane_of_stream
            .get(vertices[vertex].stream_id())
            .copied()
            .unwrap_or(0);
        let after_causes = causes[vertex]
            .iter()
            .filter_map(|&cause| row[cause])
            .map(|cause_row| cause_row + 1)
            .max()
            .unwrap_or(0);
        let chosen = lane_next[own].max(after_causes);
        row[vertex] = Some(chosen);
        lane_next[own] = chosen + 1;
        lane[vertex] = own;
    }
    job.step()?;

    let row_height = NODE_HEIGHT + ROW_GAP;
    let rows: Vec<u32> = row.iter().map(|row| row.unwrap_or(0)).collect();
    let boxes: Vec<Rect> = (0..n)
        .map(|vertex| Rect {
            x: lanes[lane[vertex]].x,
            y: MARGIN + LANE_HEADER + rows[vertex] as f32 * row_height,
            width: NODE_WIDTH,
            height: NODE_HEIGHT,
        })
        .collect();
    let routes = graph
        .edges
        .iter()
        .enumerate()
        .map(|(index, edge)| {
            let (Some(from), Some(to)) = (boxes.get(edge.from), boxes.get(edge.to)) else {
                return EdgeRoute {
                    edge: index,
                    points: Vec::new(),
                    reversed: false,
                };
            };
            let reversed = rows[edge.from] >= rows[edge.to];
            let points = if reversed {
                vec![from.top_center(), to.bottom_center()]
            } else {
                vec![from.bottom_center(), to.top_center()]
            };
            EdgeRoute {
                edge: index,
                points,
                reversed,
            }
        })
        .collect();
    job.step()?;
    let width = extent(&boxes, |rect| rect.x + rect.width);
    let height = extent(&boxes, |rect| rect.y + rect.height);
    Ok(Layout {
        kind: LayoutKind::Lanes,
        boxes,
        layers: rows,
        routes,
        width,
        height,
        lanes,
        crossings: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_pools_violators() {
        assert_eq!(isotonic(&[1.0, 3.0, 2.0, 4.0]), vec![1.0, 2.5, 2.5, 4.0]);
        assert_eq!(isotonic(&[3.0, 2.0, 1.0]), vec![2.0, 2.0, 2.0]);
    }

    #[test]
    fn inversions_are_counted() {
        assert_eq!(count_inversions([0, 1, 2].into_iter(), 3), 0);
        assert_eq!(count_inversions([2, 1, 0].into_iter(), 3), 3);
        assert_eq!(count_inversions([1, 0, 1].into_iter(), 2), 1);
    }
}
