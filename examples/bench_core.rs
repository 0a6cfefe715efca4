//! Speed of the core (issue 2), measured in one run:
//!
//! 1. `demo --processes N` (default 100,000) against two plain redb bulk inserts:
//!    (a) of the same records — every row the demo store holds, in every table
//!    (events, indexes, stream records, queues, dead letters, checkpoints;
//!    about 6.8 per event) with the same keys and values, in key order, one
//!    transaction; (b) of the event records alone (their JSON bytes, one
//!    table, batches of 4,096);
//! 2. opening a store and reading `inspect`'s summary on a 1,000-process store
//!    and on the large one.
//!
//! Run: `cargo run --release --example bench_core [-- PROCESSES]`

#[path = "support/plain_copy.rs"]
mod plain_copy;

use std::time::{Duration, Instant};

use process_workbench::demo::{self, DEMO_NOW, DemoOptions};
use process_workbench::store::{BULK_CACHE_BYTES, Store, Summary};

const BATCH: usize = 4096;

/// Times each store is opened and summed up. Its time is tens of µs, where
/// a median of 31 moved by 2 × between runs; the two stores take turns, so
/// that both see the same state of the machine.
const INSPECT_RUNS: usize = 201;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    process_workbench::allocator::configure();
    let processes: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir()?;

    let large = dir.path().join("large.redb");
    let started = Instant::now();
    demo::generate(
        &large,
        DemoOptions {
            processes,
            seed: 42,
        },
        |_, _| true,
    )?;
    let demo_time = started.elapsed();
    let events = plain_copy::event_records(&large)?;
    let bytes: usize = events.iter().map(|(_, json)| json.len()).sum();

    let rows = plain_copy::StoreRows::read(&large)?;
    let plain_all_time = rows.insert_into(&dir.path().join("plain-all.redb"), BULK_CACHE_BYTES)?;
    let rows = rows.len();

    let plain_path = dir.path().join("plain.redb");
    let plain_time = plain_copy::insert_event_records(&events, &plain_path, Some(BATCH))?;
    let per_record = |time: Duration| time.as_secs_f64() * 1e6 / events.len() as f64;

    let small = dir.path().join("small.redb");
    demo::generate(
        &small,
        DemoOptions {
            processes: 1000,
            seed: 42,
        },
        |_, _| true,
    )?;
    let (inspect_small, inspect_large) = median_inspects(&small, &large)?;

    println!(
        "demo --processes {processes}: {} events ({:.0} MB of event JSON)",
        events.len(),
        bytes as f64 / 1e6
    );
    println!(
        "  demo:                               {:>8.2} s  {:>6.2} µs/event",
        demo_time.as_secs_f64(),
        per_record(demo_time)
    );
    println!(
        "  (a) plain insert of the same {rows} records ({:.1} per event): {:.2} s",
        rows as f64 / events.len() as f64,
        plain_all_time.as_secs_f64()
    );
    println!(
        "      demo speed per record = {:.2} × the plain insert (target >= 0.5)",
        plain_all_time.as_secs_f64() / demo_time.as_secs_f64()
    );
    println!(
        "  (b) plain insert of the event records alone: {:.2} s  {:>6.2} µs/event",
        plain_time.as_secs_f64(),
        per_record(plain_time)
    );
    println!(
        "      demo speed per event = {:.2} × that insert",
        plain_time.as_secs_f64() / demo_time.as_secs_f64()
    );
    println!("inspect (open + summary, median of {INSPECT_RUNS}, taking turns):");
    println!(
        "  1,000 processes:   {:>8.2} ms",
        inspect_small.as_secs_f64() * 1e3
    );
    println!(
        "  {processes} processes: {:>8.2} ms  ({:.2} × the small store)",
        inspect_large.as_secs_f64() * 1e3,
        inspect_large.as_secs_f64() / inspect_small.as_secs_f64()
    );
    Ok(())
}

/// The median times of opening `small` and `large` and reading their summaries.
fn median_inspects(
    small: &std::path::Path,
    large: &std::path::Path,
) -> Result<(Duration, Duration), Box<dyn std::error::Error>> {
    let mut times = [Vec::new(), Vec::new()];
    for _ in 0..INSPECT_RUNS {
        for (path, times) in [small, large].into_iter().zip(&mut times) {
            let started = Instant::now();
            let store = Store::open(path)?;
            let summary = Summary::read(&store.read()?, DEMO_NOW)?;
            std::hint::black_box(summary);
            times.push(started.elapsed());
        }
    }
    let [small, large] = times.map(|mut times| {
        times.sort();
        times[times.len() / 2]
    });
    Ok((small, large))
}
