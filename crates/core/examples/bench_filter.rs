//! How long the process filter (`search::select_processes`) takes on a big
//! store, part by part, against two baselines in the same run: reading every
//! stream record (what any filter over records costs at least) and the event
//! log's search with the same JSONPath (`search::scan_events`, a pass over
//! every event).
//!
//! ```sh
//! process-workbench demo /dev/shm/f.redb --processes 100000
//! cargo run --release -p process-workbench-core --example bench_filter -- /dev/shm/f.redb [RUNS]
//! ```

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use process_workbench_core::search::{
    EventFilter, ProcessFilter, ProcessPathScope, TimeWindowMode, scan_events, select_processes,
};
use process_workbench_core::store::{Store, StreamFilter, StreamStatus, all_pages};
use time::macros::datetime;

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn timed<T>(runs: usize, mut work: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        last = Some(work());
        times.push(start.elapsed());
    }
    (median(times), last.expect("at least one run"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut arguments = std::env::args().skip(1);
    let path = arguments
        .next()
        .unwrap_or_else(|| "/dev/shm/f.redb".to_string());
    let runs: usize = arguments.next().map_or(Ok(3), |text| text.parse())?;
    let store = Store::open(&path)?;
    let reader = store.read()?;
    println!(
        "{path}: {} streams, {} events; median of {runs} runs",
        reader.stream_count()?,
        reader.last_position()?
    );

    let (records, count) = timed(runs, || {
        all_pages(|after| reader.streams(&StreamFilter::default(), after.as_deref(), 4096))
            .map(|streams| streams.len())
    });
    println!(
        "baseline: every stream record read         {:>8.1} ms ({} streams)",
        records.as_secs_f64() * 1e3,
        count?
    );
    let search = EventFilter {
        json_path: Some(EventFilter::parse_json_path(
            "$.customer[?@ == 'household']",
        )?),
        ..EventFilter::default()
    };
    let (scan, found) = timed(runs, || {
        scan_events(&reader, &search, &mut |_| ControlFlow::Continue(()))
    });
    println!(
        "baseline: event search, the same JSONPath  {:>8.1} ms ({} events)",
        scan.as_secs_f64() * 1e3,
        found?.positions.len()
    );

    let names =
        |list: &[&str]| -> BTreeSet<String> { list.iter().map(|name| name.to_string()).collect() };
    let filters = [
        ("no filter", ProcessFilter::default()),
        (
            "process type + status (indexes)",
            ProcessFilter {
                process_type: Some("supplier_switch".to_string()),
                status: Some(StreamStatus::Failed),
                ..ProcessFilter::default()
            },
        ),
        (
            "time window (September, intersecting)",
            ProcessFilter {
                from: Some(datetime!(2026-09-01 00:00 UTC)),
                to: Some(datetime!(2026-09-30 23:59 UTC)),
                time_mode: TimeWindowMode::Intersecting,
                ..ProcessFilter::default()
            },
        ),
        (
            "activity present + absent",
            ProcessFilter {
                with_activities: names(&["InvoiceReceived"]),
                without_activities: names(&["InvoiceDisputed"]),
                ..ProcessFilter::default()
            },
        ),
        (
            "JSONPath in payloads (whole log)",
            ProcessFilter {
                json_path: Some("$.customer[?@ == 'household']".to_string()),
                json_path_in: ProcessPathScope::Payload,
                ..ProcessFilter::default()
            },
        ),
        (
            "JSONPath, failed switches (per stream)",
            ProcessFilter {
                process_type: Some("supplier_switch".to_string()),
                status: Some(StreamStatus::Failed),
                json_path: Some("$.customer[?@ == 'household']".to_string()),
                ..ProcessFilter::default()
            },
        ),
    ];
    for (name, filter) in filters {
        let (took, selection) = timed(runs, || {
            select_processes(&reader, &filter, &mut |_| ControlFlow::Continue(()))
        });
        let selection = selection?;
        println!(
            "{name:<42} {:>8.1} ms  {:>7} kept  ({:.2}× the record read, {:.2}× the event search)",
            took.as_secs_f64() * 1e3,
            selection.counts.streams,
            took.as_secs_f64() / records.as_secs_f64(),
            took.as_secs_f64() / scan.as_secs_f64(),
        );
    }
    Ok(())
}
