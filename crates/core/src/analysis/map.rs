//! The process map: the directly-follows graph of a [`CaseLog`].
//!
//! The figures are pm4py's (`discover_dfg`, `discover_performance_dfg`,
//! `get_start_activities`, `get_end_activities` and the activity counts of
//! `get_event_attribute_values`), on cases ordered as pm4py orders them (by
//! time, ties in store order, see [`super::cases`]):
//!
//! - an activity's count: its events;
//! - an edge `a → b`: event `b` right after event `a` in the same case; its
//!   count, and the mean and median of the time from `a` to `b` in seconds
//!   (pandas' median: the middle one, or the mean of the two middle ones);
//! - start and end activities: the first and last event of each case, counted.
//!
//! The window thins the map without computing it again ([`ProcessMap::thin`],
//! Disco's two sliders: the share of activities and the share of paths shown).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::cases::CaseLog;

/// An activity of the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapActivity {
    pub name: String,
    /// Its events.
    pub count: u64,
    /// Cases that start with it.
    pub start: u64,
    /// Cases that end with it.
    pub end: u64,
    /// Where it tends to be in a case: the mean of its events' indexes
    /// within their case (0 = first). The layout puts early activities on top.
    pub mean_position: f64,
}

/// A directly-follows edge of the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapEdge {
    /// Index into [`ProcessMap::activities`].
    pub from: u32,
    pub to: u32,
    /// How often `to` came right after `from` in a case.
    pub count: u64,
    /// Mean time from `from` to `to`, seconds.
    pub mean_s: f64,
    /// Median time from `from` to `to`, seconds.
    pub median_s: f64,
    /// Longest time from `from` to `to`, seconds.
    pub max_s: f64,
}

/// The directly-follows map of a set of cases.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProcessMap {
    /// Sorted by name (the [`CaseLog`]'s activity order).
    pub activities: Vec<MapActivity>,
    /// Sorted by (from, to).
    pub edges: Vec<MapEdge>,
    /// Cases with at least one event.
    pub cases: u64,
    pub events: u64,
}

/// A node or an edge of the map, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MapElement {
    Activity(u32),
    /// `from → to`, activity indexes.
    Edge(u32, u32),
}

/// What the sliders leave visible.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Thinned {
    /// Per activity: shown.
    pub activities: Vec<bool>,
    /// Per edge (in [`ProcessMap::edges`] order): shown.
    pub edges: Vec<bool>,
}

impl ProcessMap {
    /// Computes the map of `log`.
    pub fn compute(log: &CaseLog) -> ProcessMap {
        let names = log.activities();
        let n = names.len();
        let mut activities: Vec<MapActivity> = names
            .iter()
            .map(|name| MapActivity {
                name: name.clone(),
                count: 0,
                start: 0,
                end: 0,
                mean_position: 0.0,
            })
            .collect();
        let mut position_sums = vec![0f64; n];
        let mut edges = EdgeIndex::new(n);
        // The edge of each directly-follows pair, in case order.
        let mut pair_edges: Vec<u32> = Vec::with_capacity(log.event_count());
        let mut counts: Vec<u64> = Vec::new();
        let mut cases = 0u64;
        for case in log.cases() {
            let events = case.events;
            let (Some(first), Some(last)) = (events.first(), events.last()) else {
                continue;
            };
            cases += 1;
            activities[first.activity as usize].start += 1;
            activities[last.activity as usize].end += 1;
            for (index, event) in events.iter().enumerate() {
                let activity = &mut activities[event.activity as usize];
                activity.count += 1;
                position_sums[event.activity as usize] += index as f64;
            }
            for pair in events.windows(2) {
                let edge = edges.get_or_insert(pair[0].activity, pair[1].activity);
                if edge as usize == counts.len() {
                    counts.push(0);
                }
                counts[edge as usize] += 1;
                pair_edges.push(edge);
            }
        }
        for (activity, sum) in activities.iter_mut().zip(&position_sums) {
            if activity.count > 0 {
                activity.mean_position = sum / activity.count as f64;
            }
        }

        // The durations of each edge side by side, in one buffer.
        let mut offsets = Vec::with_capacity(counts.len() + 1);
        offsets.push(0usize);
        for count in &counts {
            offsets.push(offsets[offsets.len() - 1] + *count as usize);
        }
        let mut durations = vec![0i64; pair_edges.len()];
        let mut next = offsets.clone();
        let mut pair = 0;
        for case in log.cases() {
            for events in case.events.windows(2) {
                let edge = pair_edges[pair] as usize;
                pair += 1;
                durations[next[edge]] = events[1].time.saturating_sub(events[0].time);
                next[edge] += 1;
            }
        }

        let mut map_edges: Vec<MapEdge> = edges
            .pairs
            .iter()
            .enumerate()
            .map(|(edge, &(from, to))| {
                let values = &mut durations[offsets[edge]..offsets[edge + 1]];
                let (mean_s, median_s, max_s) = statistics(values);
                MapEdge {
                    from,
                    to,
                    count: counts[edge],
                    mean_s,
                    median_s,
                    max_s,
                }
            })
            .collect();
        map_edges.sort_unstable_by_key(|edge| (edge.from, edge.to));
        ProcessMap {
            activities,
            edges: map_edges,
            cases,
            events: log.event_count() as u64,
        }
    }

    /// The index of an activity by name.
    pub fn activity_index(&self, name: &str) -> Option<u32> {
        self.activities
            .binary_search_by(|activity| activity.name.as_str().cmp(name))
            .ok()
            .map(|index| index as u32)
    }

    /// The map as `map --json` prints it: `activities`, `start` and `end`
    /// (activity → count, by name), `edges` (`from`, `to`, `count`, `mean_s`,
    /// `median_s`, `max_s`; by from, then to), `cases`, `events`.
    pub fn to_json(&self) -> Value {
        let counts = |pick: fn(&MapActivity) -> u64| -> Value {
            Value::Object(
                self.activities
                    .iter()
                    .filter(|activity| pick(activity) > 0)
                    .map(|activity| (activity.name.clone(), json!(pick(activity))))
                    .collect::<Map<String, Value>>(),
            )
        };
        let edges: Vec<Value> = self
            .edges
            .iter()
            .map(|edge| {
                json!({
                    "from": self.activities[edge.from as usize].name,
                    "to": self.activities[edge.to as usize].name,
                    "count": edge.count,
                    "mean_s": seconds(edge.mean_s),
                    "median_s": seconds(edge.median_s),
                    "max_s": seconds(edge.max_s),
                })
            })
            .collect();
        json!({
            "cases": self.cases,
            "events": self.events,
            "activities": counts(|activity| activity.count),
            "start": counts(|activity| activity.start),
            "end": counts(|activity| activity.end),
            "edges": edges,
        })
    }

    /// What stays visible with `activity_share` of the activities (the most
    /// frequent; at least one) and `path_share` of the paths between them
    /// (the most frequent), both from 0 to 1. As in Disco, nothing is left
    /// dangling: every shown activity keeps its most frequent incoming and
    /// outgoing edge among the shown activities, whatever the path share.
    pub fn thin(&self, activity_share: f32, path_share: f32) -> Thinned {
        let n = self.activities.len();
        let mut by_count: Vec<usize> = (0..n).collect();
        // Most frequent first; ties by name for a stable picture.
        by_count.sort_by(|&a, &b| {
            self.activities[b]
                .count
                .cmp(&self.activities[a].count)
                .then(a.cmp(&b))
        });
        let keep = share_of(n, activity_share);
        let mut shown = vec![false; n];
        for &activity in by_count.iter().take(keep) {
            shown[activity] = true;
        }
        let candidates: Vec<usize> = (0..self.edges.len())
            .filter(|&edge| {
                let edge = &self.edges[edge];
                shown[edge.from as usize] && shown[edge.to as usize]
            })
            .collect();
        let mut edges = vec![false; self.edges.len()];
        let mut ranked = candidates.clone();
        ranked.sort_by(|&a, &b| {
            self.edges[b]
                .count
                .cmp(&self.edges[a].count)
                .then(a.cmp(&b))
        });
        for &edge in ranked.iter().take(share_of(ranked.len(), path_share)) {
            edges[edge] = true;
        }
        // The strongest way in and out of every shown activity.
        let mut best_in: HashMap<u32, usize> = HashMap::new();
        let mut best_out: HashMap<u32, usize> = HashMap::new();
        for &index in &candidates {
            let edge = &self.edges[index];
            if edge.from == edge.to {
                continue;
            }
            for (activity, best) in [(edge.to, &mut best_in), (edge.from, &mut best_out)] {
                let entry = best.entry(activity).or_insert(index);
                if self.edges[*entry].count < edge.count {
                    *entry = index;
                }
            }
        }
        for index in best_in.values().chain(best_out.values()) {
            edges[*index] = true;
        }
        Thinned {
            activities: shown,
            edges,
        }
    }
}

/// The stream ids of the cases in which `element` occurs (an activity: any
/// of its events; an edge: the two activities right after each other), sorted.
pub fn cases_containing(log: &CaseLog, element: MapElement) -> Vec<String> {
    let mut found = Vec::new();
    for case in log.cases() {
        let hit = match element {
            MapElement::Activity(activity) => {
                case.events.iter().any(|event| event.activity == activity)
            }
            MapElement::Edge(from, to) => case
                .events
                .windows(2)
                .any(|pair| pair[0].activity == from && pair[1].activity == to),
        };
        if hit {
            found.push(case.stream_id.to_string());
        }
    }
    found
}

/// `ceil(share × total)`, at least 1 of a non-empty set.
fn share_of(total: usize, share: f32) -> usize {
    if total == 0 {
        return 0;
    }
    let share = share.clamp(0.0, 1.0) as f64;
    ((share * total as f64).ceil() as usize).clamp(1, total)
}

/// Seconds rounded to the microsecond (the JSON prints no float noise).
fn seconds(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

/// Mean, median and max of durations in nanoseconds, as seconds. Reorders
/// `values`.
fn statistics(values: &mut [i64]) -> (f64, f64, f64) {
    let count = values.len();
    if count == 0 {
        return (0.0, 0.0, 0.0);
    }
    let sum: i128 = values.iter().map(|&value| i128::from(value)).sum();
    let max = values.iter().copied().max().unwrap_or(0);
    let middle = count / 2;
    let (lower_half, upper, _) = values.select_nth_unstable(middle);
    let upper = *upper;
    let median = if count % 2 == 1 {
        upper as f64
    } else {
        let lower = lower_half.iter().copied().max().unwrap_or(upper);
        (lower as f64 + upper as f64) / 2.0
    };
    (
        sum as f64 / count as f64 / 1e9,
        median / 1e9,
        max as f64 / 1e9,
    )
}

/// Edge ids by (from, to): a dense table for up to 2,048 activities, a hash
/// map beyond.
struct EdgeIndex {
    n: usize,
    dense: Vec<u32>,
    sparse: HashMap<(u32, u32), u32>,
    pairs: Vec<(u32, u32)>,
}

impl EdgeIndex {
    const DENSE_UP_TO: usize = 2048;

    fn new(n: usize) -> EdgeIndex {
        let dense = if n <= Self::DENSE_UP_TO {
            vec![u32::MAX; n * n]
        } else {
            Vec::new()
        };
        EdgeIndex {
            n,
            dense,
            sparse: HashMap::new(),
            pairs: Vec::new(),
        }
    }

    fn get_or_insert(&mut self, from: u32, to: u32) -> u32 {
        let next = self.pairs.len() as u32;
        let slot = if self.dense.is_empty() {
            self.sparse.entry((from, to)).or_insert(next)
        } else {
            &mut self.dense[from as usize * self.n + to as usize]
        };
        if *slot == u32::MAX {
            *slot = next;
        }
        if *slot == next {
            self.pairs.push((from, to));
        }
        *slot
    }
}
