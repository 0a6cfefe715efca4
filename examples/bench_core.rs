//! Speed of the core (issue 2), measured in one run:
//!
//! 1. `demo --processes N` (default 100,000) against two plain redb bulk inserts:
//!    (a) of the same records — every row the demo store holds, in every table
//!    (events, indexes, stream records, queues, dead letters, checkpoints;
//!    about 6.8 per event) with the same keys and values, in key order, one
//!    transaction; (b) of the event records alone (their JSON bytes, one
//!    table, batches of 4,096). The three take turns, `ROUNDS` times
//!    (default 5), and the ratio is that of the median times: on this
//!    machine either side of a single pair moved by 15 % from one minute to
//!    the next.
//! 2. opening a store and reading `inspect`'s summary on a 1,000-process store
//!    and on the large one.
//!
//! Run: `cargo run --release --example bench_core [-- PROCESSES [ROUNDS]]`

/// The allocator of the `process-workbench` binary, so that figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/plain_copy.rs"]
mod plain_copy;

use std::path::Path;
use std::time::{Duration, Instant};

use process_workbench_core::demo::{self, DEMO_NOW, DemoOptions};
use process_workbench_core::store::{BULK_CACHE_BYTES, Store, Summary};

const BATCH: usize = 4096;

/// Times each store is opened and summed up. Its time is tens of µs, where
/// a median of 31 moved by 2 × between runs; the two stores take turns, so
/// that both see the same state of the machine.
const INSPECT_RUNS: usize = 201;

/// The times of one round.
struct Round {
    demo: Duration,
    plain_all: Duration,
    plain_events: Duration,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>());
    let processes = args.next().transpose()?.unwrap_or(100_000);
    let rounds = args.next().transpose()?.unwrap_or(5).max(1);
    let dir = tempfile::tempdir()?;

    // The first demo store stays for the rows, the events and `inspect`;
    // the demo is deterministic, so every round writes the same records.
    let large = dir.path().join("large.redb");
    let first_demo = timed_demo(&large, processes)?;
    let events = plain_copy::event_records(&large)?;
    let bytes: usize = events.iter().map(|(_, json)| json.len()).sum();
    let rows = plain_copy::StoreRows::read(&large)?;

    let mut times = Vec::new();
    for round in 0..rounds {
        let demo = if round == 0 {
            first_demo
        } else {
            let path = dir.path().join("again.redb");
            let time = timed_demo(&path, processes)?;
            std::fs::remove_file(path)?;
            time
        };
        let path = dir.path().join("plain-all.redb");
        let plain_all = rows.insert_into(&path, BULK_CACHE_BYTES)?;
        std::fs::remove_file(&path)?;
        let path = dir.path().join("plain.redb");
        let plain_events = plain_copy::insert_event_records(&events, &path, Some(BATCH))?;
        std::fs::remove_file(&path)?;
        times.push(Round {
            demo,
            plain_all,
            plain_events,
        });
    }

    let small = dir.path().join("small.redb");
    timed_demo(&small, 1000)?;
    let (inspect_small, inspect_large) = median_inspects(&small, &large)?;

    let per_event = |time: Duration| time.as_secs_f64() * 1e6 / events.len() as f64;
    let secs = |time: Duration| time.as_secs_f64();
    println!(
        "demo --processes {processes}: {} events ({:.0} MB of event JSON); \
         (a) is the plain insert of the same {} records ({:.1} per event), \
         (b) of the event records alone",
        events.len(),
        bytes as f64 / 1e6,
        rows.len(),
        rows.len() as f64 / events.len() as f64
    );
    println!("  round     demo      (a)      (b)   (a)/demo");
    for (index, round) in times.iter().enumerate() {
        println!(
            "  {:>5} {:>7.2} s {:>6.2} s {:>6.2} s {:>8.2}",
            index + 1,
            secs(round.demo),
            secs(round.plain_all),
            secs(round.plain_events),
            secs(round.plain_all) / secs(round.demo)
        );
    }
    let demo = median(times.iter().map(|round| round.demo));
    let plain_all = median(times.iter().map(|round| round.plain_all));
    let plain_events = median(times.iter().map(|round| round.plain_events));
    println!(
        "  median{:>7.2} s {:>6.2} s {:>6.2} s",
        secs(demo),
        secs(plain_all),
        secs(plain_events)
    );
    println!(
        "  demo: {:.2} µs/event; speed per record = {:.2} × the plain insert (a) (target >= 0.5), \
         {:.2} × (b)",
        per_event(demo),
        secs(plain_all) / secs(demo),
        secs(plain_events) / secs(demo)
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

/// Makes a demo store of `processes` at `path`; returns the time it took.
fn timed_demo(path: &Path, processes: u64) -> Result<Duration, Box<dyn std::error::Error>> {
    let started = Instant::now();
    demo::generate(
        path,
        DemoOptions {
            processes,
            seed: 42,
        },
        |_, _| true,
    )?;
    Ok(started.elapsed())
}

/// The median of `times` (the mean of the middle two of an even count).
fn median(times: impl Iterator<Item = Duration>) -> Duration {
    let mut times: Vec<Duration> = times.collect();
    times.sort();
    let middle = times.len() / 2;
    if times.len().is_multiple_of(2) {
        (times[middle - 1] + times[middle]) / 2
    } else {
        times[middle]
    }
}

/// The median times of opening `small` and `large` and reading their summaries.
fn median_inspects(
    small: &Path,
    large: &Path,
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
    let [small, large] = times.map(|times| median(times.into_iter()));
    Ok((small, large))
}
