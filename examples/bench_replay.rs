//! Replay speed on a stream of 100,000 events (issue 4):
//! - the state at random versions with checkpoints, for several intervals K
//!   (p50 / p95 / max, checkpoint storage, time to build them);
//! - a full fold against the floor of reading and parsing the same events
//!   (read from redb in the same run and parsed with serde_json);
//! - what maintaining checkpoints adds to the engine's single-event appends.
//!
//! `cargo run --release --example bench_replay [EVENTS]`

/// The allocator of the `process-workbench` binary, so that figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use process_workbench_core::replay::{self, CHECKPOINT_INTERVAL};
use process_workbench_core::store::{
    Durability, NewEvent, Store, StoreError, StreamInfo, StreamStatus,
};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

const STREAM: &str = "meter-DE0001";
const T0: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

fn definition() -> Value {
    json!({
        "process_type": "metering",
        "states": ["new", "active", "disputed", "closed"],
        "initial": "new",
        "terminal": ["closed"],
        "transitions": [
            {"from": "new", "on": "MeterRegistered", "to": "active", "require": ["meter_id"]},
            {"from": "active", "on": "MeterReading", "to": "active", "require": ["reading_kwh"]},
            {"from": "active", "on": "ReadingDisputed", "to": "disputed"},
            {"from": "disputed", "on": "ReadingCorrected", "to": "active", "require": ["reading_kwh"]}
        ]
    })
}

fn event(index: u64) -> NewEvent {
    let at = T0 + time::Duration::minutes(15 * index as i64);
    let (event_type, payload) = match index {
        0 => (
            "MeterRegistered",
            json!({"meter_id": "DE0001", "market_location": "51238696781", "supplier": "9900357000004", "unit": "kWh"}),
        ),
        i if i % 500 == 499 => (
            "ReadingDisputed",
            json!({"dispute": {"by": "9900357000004", "case": format!("C-{i}")}}),
        ),
        i if i % 500 == 0 => (
            "ReadingCorrected",
            json!({"reading_kwh": i as f64 * 0.25, "dispute": null, "correction": {"of": i - 1}}),
        ),
        i => (
            "MeterReading",
            json!({
                "reading_kwh": i as f64 * 0.25,
                "period": {"from": (at - time::Duration::minutes(15)).unix_timestamp(), "to": at.unix_timestamp()},
                "quality": if i % 7 == 0 { "estimated" } else { "measured" },
                format!("register_{}", i % 24): i,
            }),
        ),
    };
    NewEvent::new(event_type, at, payload)
}

fn stream_info() -> StreamInfo {
    StreamInfo {
        stream_id: STREAM.into(),
        process_type: "metering".into(),
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let events: u64 = std::env::args()
        .nth(1)
        .and_then(|text| text.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.redb");
    let store = Store::create(&path)?;
    store.write(|w| w.put_definition("metering", &definition()))?;

    let started = Instant::now();
    let mut info = stream_info();
    let mut next = 0;
    while next < events {
        let size = 2_000.min(events - next);
        let batch: Vec<NewEvent> = (next..next + size).map(event).collect();
        next += size;
        store.write_with(Durability::None, |w| {
            let expected = info.version;
            w.append(&mut info, expected, batch, T0).map(|_| ())
        })?;
    }
    store.write(|w| w.set_meta("bench", "replay"))?;
    println!(
        "loaded {events} events in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Full fold against the floor of reading + parsing the same events.
    let reader = store.read()?;
    let mut fold_times = Vec::new();
    let mut floor_times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let mut parsed = 0u64;
        reader.visit_stream_event_bytes::<StoreError>(STREAM, 1, events, |_, bytes| {
            let value: Value = serde_json::from_slice(bytes)?;
            parsed += u64::from(value.is_object());
            Ok(())
        })?;
        floor_times.push(started.elapsed());
        assert_eq!(parsed, events);
        let started = Instant::now();
        let state = replay::fold_from_start(&reader, STREAM, events)?;
        fold_times.push(started.elapsed());
        assert!(state.process_state.is_some());
    }
    fold_times.sort();
    floor_times.sort();
    let (fold, floor) = (fold_times[1], floor_times[1]);
    println!(
        "full fold of {events} events: {:.1} ms; floor (read + serde_json parse): {:.1} ms; fold speed = {:.0}% of the floor",
        ms(fold),
        ms(floor),
        100.0 * floor.as_secs_f64() / fold.as_secs_f64()
    );
    drop(reader);

    // State at random versions, per checkpoint interval.
    println!(
        "interval K | build ms | checkpoints | checkpoint KiB | state_at p50 ms | p95 ms | max ms"
    );
    for interval in [64u64, 128, 256, 512, 1024, 4096] {
        let started = Instant::now();
        let report = replay::build_checkpoints_with_interval(&store, interval, &mut |_, _| true)?;
        let build = started.elapsed();
        let reader = store.read()?;
        let mut bytes = 0usize;
        reader.visit_checkpoints::<StoreError>(STREAM, |_, json| {
            bytes += json.len();
            Ok(())
        })?;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(interval);
        let mut times = Vec::new();
        for _ in 0..300 {
            let version = rng.random_range(0..=events);
            let started = Instant::now();
            let replay = replay::state_at(&reader, STREAM, version)?;
            times.push(started.elapsed());
            assert_eq!(replay.version, version);
        }
        times.sort();
        println!(
            "{interval:>10} | {:>8.0} | {:>11} | {:>14.0} | {:>15.2} | {:>6.2} | {:>6.2}",
            ms(build),
            report.checkpoints_written,
            bytes as f64 / 1024.0,
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.95)),
            ms(percentile(&times, 1.0)),
        );
    }

    // The chosen interval, and what the engine's hook adds to single-event appends.
    let report = replay::build_checkpoints(&store, &mut |_, _| true)?;
    println!(
        "CHECKPOINT_INTERVAL = {CHECKPOINT_INTERVAL}: {} checkpoints",
        report.checkpoints_written
    );
    let appends = 2 * CHECKPOINT_INTERVAL;
    for maintain in [false, true] {
        let mut times = Vec::new();
        for index in 0..appends {
            let new = event(events + index + 1);
            let started = Instant::now();
            store.write_with(Durability::None, |w| {
                let expected = info.version;
                w.append(&mut info, expected, vec![new], T0)?;
                if maintain {
                    replay::maintain_checkpoints(w, STREAM)?;
                }
                Ok::<(), StoreError>(())
            })?;
            times.push(started.elapsed());
        }
        times.sort();
        let mean = times.iter().sum::<Duration>() / times.len() as u32;
        println!(
            "{appends} single-event appends {} checkpoint maintenance: mean {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            if maintain { "with" } else { "without" },
            ms(mean),
            ms(percentile(&times, 0.99)),
            ms(percentile(&times, 1.0)),
        );
    }
    Ok(())
}
