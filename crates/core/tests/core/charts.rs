//! The performance figures (`analysis::charts`) of real stores — the demo
//! store filtered by a process filter, and the helpdesk log — against a
//! plain computation from every stream's events.

use std::collections::{BTreeMap, HashSet};
use std::ops::ControlFlow;

use process_workbench_core::analysis::CaseLog;
use process_workbench_core::analysis::charts::{CaseOrder, Performance};
use process_workbench_core::engine::Operator;
use process_workbench_core::import::{Format, import_file};
use process_workbench_core::search::{ProcessFilter, select_processes};
use process_workbench_core::store::{Store, StoreReader, StreamFilter, StreamStatus, all_pages};

use crate::common::demo_store;
use crate::import_common::data_dir;

/// Per stream id: its events' (time in nanoseconds, activity), in time order
/// (ties in version order), read one by one.
fn walked(
    reader: &StoreReader,
    keep: Option<&HashSet<String>>,
) -> BTreeMap<String, Vec<(i64, String)>> {
    all_pages(|after| reader.streams(&StreamFilter::default(), after.as_deref(), 500))
        .unwrap()
        .into_iter()
        .filter(|info| keep.is_none_or(|keep| keep.contains(&info.stream_id)))
        .map(|info| {
            let mut events: Vec<(i64, u64, String)> = reader
                .stream_events(&info.stream_id, 1, usize::MAX)
                .unwrap()
                .into_iter()
                .map(|event| {
                    (
                        event.occurred_at.unix_timestamp_nanos() as i64,
                        event.version,
                        event.event_type,
                    )
                })
                .collect();
            events.sort();
            let events = events
                .into_iter()
                .map(|(time, _, name)| (time, name))
                .collect();
            (info.stream_id, events)
        })
        .filter(|(_, events): &(String, Vec<(i64, String)>)| !events.is_empty())
        .collect()
}

fn median(mut values: Vec<i64>) -> f64 {
    values.sort_unstable();
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle] as f64 / 1e9
    } else {
        (values[middle - 1] + values[middle]) as f64 / 2.0 / 1e9
    }
}

/// Checks every figure of `figures` against the walk.
fn agrees(log: &CaseLog, figures: &Performance, walk: &BTreeMap<String, Vec<(i64, String)>>) {
    assert_eq!(log.len(), walk.len());
    let ids: Vec<&str> = log.cases().map(|case| case.stream_id).collect();
    assert_eq!(ids, walk.keys().map(String::as_str).collect::<Vec<_>>());
    // Durations: histogram, summary, and the two row orders.
    let durations: Vec<i64> = walk
        .values()
        .map(|events| events.last().unwrap().0 - events[0].0)
        .collect();
    assert_eq!(
        figures.histogram.iter().map(|bin| bin.count).sum::<u64>(),
        walk.len() as u64
    );
    let summary = figures.durations.unwrap();
    assert!((summary.median - median(durations.clone())).abs() < 1e-6);
    assert_eq!(summary.max, *durations.iter().max().unwrap() as f64 / 1e9);
    let by_duration: Vec<i64> = figures
        .rows(CaseOrder::Duration)
        .iter()
        .map(|&case| durations[case as usize])
        .collect();
    assert!(
        by_duration.windows(2).all(|pair| pair[0] >= pair[1]),
        "longest first"
    );
    let starts: Vec<i64> = figures
        .rows(CaseOrder::Start)
        .iter()
        .map(|&case| walk[ids[case as usize]][0].0)
        .collect();
    assert!(
        starts.windows(2).all(|pair| pair[0] <= pair[1]),
        "earliest first"
    );
    // Activities: events, cases, time to the next event.
    let mut events: BTreeMap<&str, u64> = BTreeMap::new();
    let mut cases: BTreeMap<&str, u64> = BTreeMap::new();
    let mut to_next: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for case in walk.values() {
        let mut seen = HashSet::new();
        for (at, (time, name)) in case.iter().enumerate() {
            *events.entry(name).or_default() += 1;
            if seen.insert(name) {
                *cases.entry(name).or_default() += 1;
            }
            if let Some((next, _)) = case.get(at + 1) {
                to_next.entry(name).or_default().push(next - time);
            }
        }
    }
    assert_eq!(figures.activities.len(), events.len());
    for stats in &figures.activities {
        let name = stats.activity.as_str();
        assert_eq!(stats.events, events[name], "{name}");
        assert_eq!(stats.cases, cases[name], "{name}");
        match (to_next.get(name), &stats.to_next) {
            (Some(waits), Some(summary)) => {
                let mean =
                    waits.iter().map(|&wait| wait as f64).sum::<f64>() / waits.len() as f64 / 1e9;
                assert!((summary.mean - mean).abs() < 1e-3, "{name}");
                assert!(
                    (summary.median - median(waits.clone())).abs() < 1e-6,
                    "{name}"
                );
            }
            (None, None) => {}
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!(
        figures
            .activities
            .windows(2)
            .all(|pair| pair[0].events >= pair[1].events),
        "most events first"
    );
}

#[test]
fn the_figures_of_the_processes_a_filter_keeps_agree_with_a_walk() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(demo_store(dir.path(), 80)).unwrap();
    let reader = store.read().unwrap();
    for filter in [
        ProcessFilter::default(),
        ProcessFilter {
            process_type: Some("supplier_switch".to_string()),
            status: Some(StreamStatus::Completed),
            ..ProcessFilter::default()
        },
    ] {
        let kept = select_processes(&reader, &filter, &mut |_| ControlFlow::Continue(()))
            .unwrap()
            .to_set();
        let keep = (!filter.is_empty()).then_some(&kept);
        let log = CaseLog::load(&reader, keep, None).unwrap();
        let figures = Performance::of(&log, 30);
        assert_eq!(figures.histogram.len(), 30);
        agrees(&log, &figures, &walked(&reader, keep));
    }
}

#[test]
fn the_figures_of_the_helpdesk_log_agree_with_a_walk() {
    let Some(data) = data_dir("the_figures_of_the_helpdesk_log_agree_with_a_walk") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("helpdesk.redb");
    import_file(
        &path,
        Format::Xes,
        &data.join("helpdesk.xes.gz"),
        &Operator::named("test"),
        &mut |_| true,
    )
    .unwrap();
    let store = Store::open(&path).unwrap();
    let reader = store.read().unwrap();
    let log = CaseLog::load(&reader, None, None).unwrap();
    let figures = Performance::of(&log, 40);
    assert_eq!(log.len(), 4_580);
    assert_eq!(log.event_count(), 21_348);
    agrees(&log, &figures, &walked(&reader, None));
}
