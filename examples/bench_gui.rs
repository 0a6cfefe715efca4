//! Speed of the window on a store with a million streams, headless: the app's
//! own `ui` runs through `egui::Context::run_ui` and is tessellated, exactly
//! as in the window, without a GPU.
//!
//! ```text
//! cargo run --release --example bench_gui [-- --streams 1000000]
//! ```
//!
//! Measures
//! - opening to the first frame with counts, for 1,000 and for N streams;
//! - the UI thread's CPU time per frame (`cpu_time::ThreadTime`: other processes on
//!   the cores do not count) while scrolling the stream table with the wheel
//!   and while dragging through it (a far jump each frame);
//! - jumping to a row: frames until the row is drawn, by row number and by stream id.

/// The allocator of the `process-workbench` binary, so that figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/headless.rs"]
mod headless;

use std::path::Path;
use std::time::{Duration, Instant};

use egui::{Event, MouseWheelSource, MouseWheelUnit, Pos2, TouchPhase, vec2};
use headless::{Headless, Lcg, report};
use process_workbench::state::command::Command;
use process_workbench_core::store::{
    Durability, NewEvent, Store, StoreError, StreamInfo, StreamStatus,
};
use serde_json::json;
use time::macros::datetime;

const TYPES: [&str; 4] = ["supplier_switch", "meter_reading", "invoice", "grid_usage"];

fn build_store(path: &Path, streams: u64) -> Result<(), StoreError> {
    let store = Store::create(path).map_err(StoreError::from)?;
    let base = datetime!(2024-01-01 0:00 UTC);
    let chunk = 20_000u64;
    let mut start = 0;
    while start < streams {
        let end = (start + chunk).min(streams);
        store.write_with(Durability::None, |writer| {
            for n in start..end {
                let (status, error) = match n % 20 {
                    0 => (
                        StreamStatus::Failed,
                        Some(format!(
                            "delivery to grid operator {} failed after 5 attempts",
                            n % 97
                        )),
                    ),
                    1..=5 => (StreamStatus::Running, None),
                    _ => (StreamStatus::Completed, None),
                };
                let at = base + time::Duration::seconds(n as i64 * 7);
                let mut info = StreamInfo {
                    stream_id: format!("stream-{n:07}"),
                    process_type: TYPES[(n % 4) as usize].to_string(),
                    status,
                    process_state: None,
                    version: 0,
                    created_at: at,
                    updated_at: at,
                    last_error: error,
                    correlation_id: None,
                    variant: 0,
                    metadata: serde_json::Value::Null,
                };
                let events = (0..1 + n % 3)
                    .map(|k| {
                        NewEvent::new(
                            format!("Step{k}"),
                            at + time::Duration::minutes(k as i64),
                            json!({"n": n, "k": k}),
                        )
                    })
                    .collect();
                writer.append(&mut info, 0, events, at)?;
            }
            Ok::<_, StoreError>(())
        })?;
        start = end;
    }
    store.write(|writer| writer.set_meta("bench", "complete"))
}

/// Time from creating the app to the first frame that shows the store's counts.
fn time_to_counts(path: &Path, data_dir: &Path) -> Duration {
    let started = Instant::now();
    let mut headless = Headless::new(path, data_dir);
    headless.until("opening", |app| app.store().is_some());
    started.elapsed()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut streams = 1_000_000u64;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        if argument == "--streams" {
            streams = arguments
                .next()
                .ok_or("--streams needs a number")?
                .parse()?;
        }
    }
    let dir = tempfile::tempdir()?;
    let small = dir.path().join("small.redb");
    let large = dir.path().join("large.redb");
    let started = Instant::now();
    build_store(&small, 1_000)?;
    build_store(&large, streams)?;
    println!(
        "built stores of 1,000 and {streams} streams in {:.1} s ({:.0} MB)",
        started.elapsed().as_secs_f64(),
        std::fs::metadata(&large)?.len() as f64 / 1e6
    );

    // Opening to the first frame with counts: median of 5 each, after one warm-up each.
    time_to_counts(&small, dir.path());
    time_to_counts(&large, dir.path());
    let small_open = median((0..5).map(|_| time_to_counts(&small, dir.path())).collect());
    let large_open = median((0..5).map(|_| time_to_counts(&large, dir.path())).collect());
    println!(
        "open to first frame with counts: 1,000 streams {:.1} ms, {streams} streams {:.1} ms, ratio {:.2}",
        small_open.as_secs_f64() * 1e3,
        large_open.as_secs_f64() * 1e3,
        large_open.as_secs_f64() / small_open.as_secs_f64()
    );

    let mut headless = Headless::new(&large, dir.path());
    headless.until("opening", |app| app.store().is_some());
    let indexed = headless.until("indexing rows", |app| !app.is_busy());
    println!(
        "row index of {streams} streams ready in the background after {:.0} ms",
        indexed.as_secs_f64() * 1e3
    );
    for _ in 0..10 {
        headless.frame(Vec::new());
    }

    // Wheel scrolling over the table.
    let pointer = Pos2::new(640.0, 300.0);
    headless.frame(vec![Event::PointerMoved(pointer)]);
    let wheel = |delta: f32| Event::MouseWheel {
        unit: MouseWheelUnit::Point,
        delta: vec2(0.0, delta),
        phase: TouchPhase::Move,
        source: MouseWheelSource::Wheel,
        modifiers: egui::Modifiers::NONE,
    };
    let mut wheel_frames: Vec<Duration> = (0..600)
        .map(|frame| {
            let delta = if frame < 300 { -240.0 } else { -2400.0 };
            headless.frame(vec![wheel(delta)])
        })
        .collect();
    report("scrolling with the wheel", &mut wheel_frames);

    // Dragging the scrollbar: a far jump every frame.
    let mut random = Lcg(42);
    let mut drag_frames: Vec<Duration> = (0..400)
        .map(|_| {
            let row = random.below(streams) as usize;
            headless.app.streams_mut().scroll_to_row(row);
            headless.frame(Vec::new())
        })
        .collect();
    report("far jump every frame (scrollbar drag)", &mut drag_frames);

    // Jump to a row: frames until the row is drawn with its data.
    let mut jumps = Vec::new();
    for _ in 0..100 {
        let row = random.below(streams) as usize;
        headless.app.streams_mut().scroll_to_row(row);
        let started = Instant::now();
        let mut cpu = Duration::ZERO;
        for _ in 0..10 {
            cpu += headless.frame(Vec::new());
            let drawn = headless.app.streams_mut().drawn_rows();
            if drawn.is_some_and(|(first, last, placeholders)| {
                first <= row && row <= last && placeholders == 0
            }) {
                break;
            }
        }
        let _ = started;
        jumps.push(cpu);
    }
    report("jump to a row number (all frames until drawn)", &mut jumps);

    let mut id_jumps = Vec::new();
    for _ in 0..100 {
        let row = random.below(streams);
        let stream_id = format!("stream-{row:07}");
        headless.app.send(Command::JumpTo(stream_id.clone()));
        let mut cpu = Duration::ZERO;
        for _ in 0..10 {
            cpu += headless.frame(Vec::new());
            let selected = headless.app.selection().stream.as_deref() == Some(stream_id.as_str());
            let drawn = headless.app.streams_mut().drawn_rows();
            if selected
                && drawn.is_some_and(|(first, last, placeholders)| {
                    first <= row as usize && row as usize <= last && placeholders == 0
                })
            {
                break;
            }
        }
        id_jumps.push(cpu);
    }
    report(
        "jump to a stream id (all frames until drawn)",
        &mut id_jumps,
    );
    Ok(())
}
