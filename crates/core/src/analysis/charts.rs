//! The numbers behind the window's performance charts, computed from a
//! [`CaseLog`]: each case's start, end and duration with the orders the
//! dotted chart sorts its rows in, a histogram of case durations, and per
//! activity its events, its cases and the time to the next event of the
//! same case (mean and median).
//!
//! A case's duration is the time from its first to its last event; a case
//! of one event lasts zero. "Time to the next event" of an event is the time
//! until the event that follows it in its case (the last event of a case has
//! none), as pm4py's performance DFG measures an arc's waiting time.

use serde::Serialize;

use super::cases::{CaseEvent, CaseLog};

/// Nanoseconds in a second.
const NANOS: f64 = 1e9;

/// How the dotted chart orders its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseOrder {
    /// By the first event's time, earliest first.
    #[default]
    Start,
    /// By duration, longest first.
    Duration,
}

/// One bin of a histogram: durations from `from` (included) to `to`
/// (excluded, but the last bin includes its end), in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bin {
    pub from: f64,
    pub to: f64,
    pub count: u64,
}

/// Mean and median of a set of durations, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DurationSummary {
    /// How many durations.
    pub count: u64,
    pub mean: f64,
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl DurationSummary {
    /// The summary of `nanos` (sorted here); `None` when empty.
    pub fn of(nanos: &mut [i64]) -> Option<DurationSummary> {
        if nanos.is_empty() {
            return None;
        }
        nanos.sort_unstable();
        let count = nanos.len();
        let sum: f64 = nanos.iter().map(|&value| value as f64).sum();
        let middle = count / 2;
        let median = if count % 2 == 1 {
            nanos[middle] as f64
        } else {
            (nanos[middle - 1] as f64 + nanos[middle] as f64) / 2.0
        };
        Some(DurationSummary {
            count: count as u64,
            mean: sum / count as f64 / NANOS,
            median: median / NANOS,
            min: nanos[0] as f64 / NANOS,
            max: nanos[count - 1] as f64 / NANOS,
        })
    }
}

/// What one activity does across the cases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityStats {
    pub activity: String,
    /// Its events.
    pub events: u64,
    /// The cases with at least one of its events.
    pub cases: u64,
    /// Time from each of its events to the next event of the same case
    /// (`None` when every one of its events ends its case).
    pub to_next: Option<DurationSummary>,
}

/// One event of the dotted chart: when, and which activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dot {
    /// Unix nanoseconds.
    pub time: i64,
    /// Index into [`CaseLog::activities`].
    pub activity: u32,
}

/// The events of the dotted chart's rows in one order, laid out row after
/// row: drawing a view of many rows reads them in sequence, instead of
/// jumping through the log case by case (several times slower when the rows
/// are ordered by duration, whose neighbours lie anywhere in the log).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowDots {
    /// Row `i`'s events are `dots[bounds[i]..bounds[i + 1]]`.
    bounds: Vec<usize>,
    dots: Vec<Dot>,
}

impl RowDots {
    fn of(log: &CaseLog, rows: &[u32]) -> RowDots {
        let mut bounds = Vec::with_capacity(rows.len() + 1);
        let mut dots = Vec::new();
        bounds.push(0);
        for &case in rows {
            dots.extend(log.case(case as usize).events.iter().map(|event| Dot {
                time: event.time,
                activity: event.activity,
            }));
            bounds.push(dots.len());
        }
        RowDots { bounds, dots }
    }

    /// The events of row `row`, in time order (empty past the last row).
    pub fn row(&self, row: usize) -> &[Dot] {
        match (self.bounds.get(row), self.bounds.get(row + 1)) {
            (Some(&start), Some(&end)) => &self.dots[start..end],
            _ => &[],
        }
    }
}

/// The performance figures of a set of cases.
#[derive(Debug, Clone, PartialEq)]
pub struct Performance {
    /// First and last event time of each case (Unix nanoseconds), by case index.
    pub spans: Vec<(i64, i64)>,
    /// The earliest and latest event over all cases (0, 0 when none).
    pub first: i64,
    pub last: i64,
    /// Case indices by start (ties by stream id).
    pub by_start: Vec<u32>,
    /// Case indices by duration, longest first (ties by start, then stream id).
    pub by_duration: Vec<u32>,
    /// The events of the rows in each order, row after row.
    pub start_dots: RowDots,
    pub duration_dots: RowDots,
    /// Case durations over all cases.
    pub durations: Option<DurationSummary>,
    /// The histogram of case durations.
    pub histogram: Vec<Bin>,
    /// Per activity, most events first (ties by name).
    pub activities: Vec<ActivityStats>,
}

impl Performance {
    /// Computes the figures of `log`, with a histogram of `bins` bins.
    pub fn of(log: &CaseLog, bins: usize) -> Performance {
        let activity_count = log.activities().len();
        let mut events = vec![0u64; activity_count];
        let mut cases = vec![0u64; activity_count];
        let mut to_next: Vec<Vec<i64>> = vec![Vec::new(); activity_count];
        let mut seen = vec![usize::MAX; activity_count];
        let mut spans = Vec::with_capacity(log.len());
        for case in log.cases() {
            let (Some(first), Some(last)) = (case.events.first(), case.events.last()) else {
                spans.push((0, 0));
                continue;
            };
            spans.push((first.time, last.time));
            for (at, event) in case.events.iter().enumerate() {
                let activity = event.activity as usize;
                events[activity] += 1;
                if seen[activity] != case.index {
                    seen[activity] = case.index;
                    cases[activity] += 1;
                }
                if let Some(next) = case.events.get(at + 1) {
                    to_next[activity].push(next.time.saturating_sub(event.time));
                }
            }
        }
        let first = spans.iter().map(|span| span.0).min().unwrap_or(0);
        let last = spans.iter().map(|span| span.1).max().unwrap_or(0);
        let by_id = |a: &u32, b: &u32| a.cmp(b);
        let mut by_start: Vec<u32> = (0..spans.len() as u32).collect();
        by_start.sort_by(|a, b| {
            spans[*a as usize]
                .0
                .cmp(&spans[*b as usize].0)
                .then_with(|| by_id(a, b))
        });
        let duration = |index: u32| {
            let (start, end) = spans[index as usize];
            end.saturating_sub(start)
        };
        let mut by_duration = by_start.clone();
        // A stable sort keeps the start order among equal durations.
        by_duration.sort_by_key(|index| std::cmp::Reverse(duration(*index)));
        let mut durations: Vec<i64> = (0..spans.len() as u32).map(duration).collect();
        let histogram = histogram(&durations, bins);
        let durations = DurationSummary::of(&mut durations);
        let mut activities: Vec<ActivityStats> = log
            .activities()
            .iter()
            .enumerate()
            .map(|(index, name)| ActivityStats {
                activity: name.clone(),
                events: events[index],
                cases: cases[index],
                to_next: DurationSummary::of(&mut to_next[index]),
            })
            .collect();
        activities.sort_by(|a, b| {
            b.events
                .cmp(&a.events)
                .then_with(|| a.activity.cmp(&b.activity))
        });
        Performance {
            start_dots: RowDots::of(log, &by_start),
            duration_dots: RowDots::of(log, &by_duration),
            spans,
            first,
            last,
            by_start,
            by_duration,
            durations,
            histogram,
            activities,
        }
    }

    /// The case indices in `order`, one a row of the dotted chart.
    pub fn rows(&self, order: CaseOrder) -> &[u32] {
        match order {
            CaseOrder::Start => &self.by_start,
            CaseOrder::Duration => &self.by_duration,
        }
    }

    /// The events of the rows in `order`, row after row.
    pub fn dots(&self, order: CaseOrder) -> &RowDots {
        match order {
            CaseOrder::Start => &self.start_dots,
            CaseOrder::Duration => &self.duration_dots,
        }
    }

    /// The duration of case `index`, in seconds.
    pub fn duration(&self, index: usize) -> f64 {
        self.spans.get(index).map_or(0.0, |(start, end)| {
            end.saturating_sub(*start) as f64 / NANOS
        })
    }
}

/// Equal bins from zero to the longest duration (`nanos`), in seconds; no
/// bins when there is nothing to count.
pub fn histogram(nanos: &[i64], bins: usize) -> Vec<Bin> {
    let bins = bins.max(1);
    let Some(max) = nanos.iter().copied().max() else {
        return Vec::new();
    };
    let max = max.max(0) as f64 / NANOS;
    // All zero: one bin of width one second.
    let width = if max > 0.0 { max / bins as f64 } else { 1.0 };
    let mut counts = vec![0u64; bins];
    for &value in nanos {
        let seconds = value.max(0) as f64 / NANOS;
        let bin = ((seconds / width) as usize).min(bins - 1);
        counts[bin] += 1;
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(index, count)| Bin {
            from: index as f64 * width,
            to: (index + 1) as f64 * width,
            count,
        })
        .collect()
}

/// The index in `events` (a case's, in time order) of the event nearest
/// the time `at` (Unix nanoseconds).
pub fn nearest_event(events: &[CaseEvent], at: i64) -> Option<usize> {
    let after = events.partition_point(|event| event.time < at);
    let before = after.checked_sub(1);
    let after = (after < events.len()).then_some(after);
    let distance = |index: usize| events[index].time.abs_diff(at);
    match (before, after) {
        (Some(before), Some(after)) if distance(after) < distance(before) => Some(after),
        (Some(before), _) => Some(before),
        (None, after) => after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_counts_every_duration_once_and_the_longest_in_the_last_bin() {
        let nanos: Vec<i64> = [0, 1, 2, 3, 10].iter().map(|s| s * 1_000_000_000).collect();
        let bins = histogram(&nanos, 5);
        assert_eq!(bins.len(), 5);
        assert_eq!(bins.iter().map(|bin| bin.count).sum::<u64>(), 5);
        assert_eq!(bins[0].count, 2, "0 s and 1 s in [0, 2)");
        assert_eq!(bins[4].count, 1, "10 s in the last bin");
        assert_eq!(bins[4].to, 10.0);
        assert!(histogram(&[], 5).is_empty());
        assert_eq!(histogram(&[0, 0], 3)[0].count, 2);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let mut nanos = vec![4_000_000_000, 1_000_000_000, 3_000_000_000, 2_000_000_000];
        let summary = DurationSummary::of(&mut nanos).expect("four");
        assert_eq!(summary.median, 2.5);
        assert_eq!(summary.mean, 2.5);
        assert_eq!((summary.min, summary.max), (1.0, 4.0));
        assert!(DurationSummary::of(&mut []).is_none());
    }

    #[test]
    fn the_nearest_event_is_found_on_either_side() {
        let events: Vec<CaseEvent> = [10i64, 20, 30]
            .iter()
            .zip(1..)
            .map(|(&time, version)| CaseEvent {
                time,
                version,
                activity: 0,
            })
            .collect();
        assert_eq!(nearest_event(&events, 0), Some(0));
        assert_eq!(nearest_event(&events, 24), Some(1));
        assert_eq!(nearest_event(&events, 26), Some(2));
        assert_eq!(nearest_event(&events, 99), Some(2));
        assert_eq!(nearest_event(&[], 5), None);
    }
}
