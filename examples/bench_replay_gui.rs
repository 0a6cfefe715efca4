//! Frame times of the replay view while scrubbing a stream of 100,000 events
//! (issue 4: frames stay <= 16 ms because the fold runs off the UI thread and
//! the view keeps the last state until the new one arrives). Headless: the
//! app's own `ui` runs through `egui::Context::run_ui` and is tessellated, as
//! in the window, without a GPU; frames are paced at 60 Hz.
//!
//! ```text
//! cargo run --release --example bench_replay_gui [-- EVENTS]
//! ```
//!
//! Measures CPU time per frame (ui + tessellation) while
//! - dragging the slider: a far jump to a random version every frame;
//! - stepping one version per frame (holding the arrow key);
//! - standing still at one version (the baseline frame);
//!
//! and how many of the asked-for states arrived (latest request wins, so most
//! far jumps are skipped while one fold runs).

/// The allocator of the `process-workbench` binary, so that figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use std::time::{Duration, Instant};

use egui::{Pos2, RawInput, Rect};
use process_workbench::app::{StartOptions, WorkbenchApp};
use process_workbench::state::Clock;
use process_workbench::state::View;
use process_workbench::state::command::Command;
use process_workbench_core::replay;
use process_workbench_core::store::{Durability, NewEvent, Store, StreamInfo, StreamStatus};
use serde_json::json;
use time::macros::datetime;

const SIZE: egui::Vec2 = egui::vec2(1280.0, 800.0);
const STREAM: &str = "meter-DE0001";
const FRAME: Duration = Duration::from_micros(16_667);

fn build_store(path: &Path, events: u64) -> Result<(), Box<dyn std::error::Error>> {
    let store = Store::create(path)?;
    let t0 = datetime!(2026-03-02 09:00 UTC);
    store.write(|writer| {
        writer.put_definition(
            "metering",
            &json!({
                "process_type": "metering",
                "states": ["new", "active"],
                "initial": "new",
                "terminal": [],
                "transitions": [
                    {"from": "new", "on": "MeterRegistered", "to": "active"},
                    {"from": "active", "on": "MeterReading", "to": "active", "require": ["reading_kwh"]}
                ]
            }),
        )
    })?;
    let mut info = StreamInfo {
        stream_id: STREAM.into(),
        process_type: "metering".into(),
        status: StreamStatus::Running,
        process_state: None,
        version: 0,
        created_at: t0,
        updated_at: t0,
        last_error: None,
        correlation_id: None,
        variant: 0,
        metadata: serde_json::Value::Null,
    };
    let mut next = 0u64;
    while next < events {
        let size = 2_000.min(events - next);
        let batch: Vec<NewEvent> = (next..next + size)
            .map(|i| {
                let at = t0 + time::Duration::minutes(15 * i as i64);
                if i == 0 {
                    NewEvent::new("MeterRegistered", at, json!({"meter_id": "DE0001"}))
                } else {
                    NewEvent::new(
                        "MeterReading",
                        at,
                        json!({
                            "reading_kwh": i as f64 * 0.25,
                            "quality": if i % 7 == 0 { "estimated" } else { "measured" },
                            format!("register_{}", i % 24): i,
                        }),
                    )
                }
            })
            .collect();
        next += size;
        store.write_with(Durability::None, |writer| {
            let expected = info.version;
            writer.append(&mut info, expected, batch, t0).map(|_| ())
        })?;
    }
    store.write(|writer| writer.set_meta("bench", "replay_gui"))?;
    let report = replay::build_checkpoints(&store, &mut |_, _| true)?;
    println!(
        "built a stream of {events} events with {} checkpoints",
        report.checkpoints_written
    );
    Ok(())
}

/// The app driven frame by frame without a window.
struct Headless {
    ctx: egui::Context,
    app: WorkbenchApp,
    time: f64,
}

impl Headless {
    /// Runs one frame; returns its CPU time (ui + tessellation), then waits out the frame.
    fn frame(&mut self) -> Duration {
        self.time += FRAME.as_secs_f64();
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, SIZE)),
            time: Some(self.time),
            predicted_dt: FRAME.as_secs_f32(),
            ..Default::default()
        };
        let started = Instant::now();
        let app = &mut self.app;
        let output = self.ctx.run_ui(input, |ui| app.ui(ui));
        let primitives = self.ctx.tessellate(output.shapes, output.pixels_per_point);
        let elapsed = started.elapsed();
        std::hint::black_box(primitives);
        std::thread::sleep(FRAME.saturating_sub(elapsed));
        elapsed
    }

    fn until(&mut self, what: &str, mut done: impl FnMut(&mut WorkbenchApp) -> bool) {
        let started = Instant::now();
        while !done(&mut self.app) {
            assert!(
                started.elapsed() < Duration::from_secs(600),
                "{what} took too long"
            );
            self.frame();
        }
    }
}

fn report(name: &str, samples: &mut [Duration], shown: usize) {
    samples.sort_unstable();
    let at = |fraction: f64| {
        samples[((samples.len() as f64 - 1.0) * fraction).round() as usize].as_secs_f64() * 1e3
    };
    let max = samples.last().copied().unwrap_or_default().as_secs_f64() * 1e3;
    let over = samples.iter().filter(|frame| **frame > FRAME).count();
    println!(
        "{name:<36} frames {:>4}  p50 {:>6.2} ms  p95 {:>6.2} ms  max {:>6.2} ms  over 16.7 ms: {over}  states shown: {shown}",
        samples.len(),
        at(0.5),
        at(0.95),
        max
    );
}

struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) % bound
    }
}

/// Runs `frames` frames, calling `each` before every one; counts the distinct states shown.
fn scrub(
    headless: &mut Headless,
    frames: usize,
    mut each: impl FnMut(&mut WorkbenchApp, usize),
) -> (Vec<Duration>, usize) {
    let mut samples = Vec::with_capacity(frames);
    let mut shown = 0;
    let mut last_shown = headless.app.replay_mut().shown_version();
    for frame in 0..frames {
        each(&mut headless.app, frame);
        samples.push(headless.frame());
        let now = headless.app.replay_mut().shown_version();
        if now != last_shown {
            shown += 1;
            last_shown = now;
        }
    }
    (samples, shown)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let events: u64 = std::env::args()
        .nth(1)
        .and_then(|text| text.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("replay.redb");
    build_store(&path, events)?;

    let mut headless = Headless {
        ctx: egui::Context::default(),
        app: WorkbenchApp::new(
            None,
            StartOptions {
                user: None,
                filter: None,
                file: Some(path.clone()),
                data_dir: dir.path().to_path_buf(),
                clock: Clock::Fixed(datetime!(2026-11-20 12:00 UTC)),
            },
        ),
        time: 0.0,
    };
    headless.until("opening", |app| app.store().is_some());
    // The stream browser shows first and indexes its rows; let it finish.
    headless.until("the stream browser", |app| !app.is_busy());
    headless.app.send(Command::SelectStream(STREAM.to_string()));
    headless.app.send(Command::ShowView(View::Replay));
    headless.until("the first state", |app| {
        let replay = app.replay_mut();
        !replay.is_busy() && replay.shown_version() == Some(events)
    });
    for _ in 0..10 {
        headless.frame();
    }

    let mut random = Lcg(7);
    let (mut samples, shown) = scrub(&mut headless, 600, |app, _| {
        let version = random.below(events + 1);
        app.replay_mut().scrub_to(version);
    });
    report("slider drag (far jump every frame)", &mut samples, shown);

    let start = events / 2;
    let (mut samples, shown) = scrub(&mut headless, 600, |app, frame| {
        app.replay_mut().scrub_to(start + frame as u64);
    });
    report("one version per frame", &mut samples, shown);

    headless.until("idle", |app| !app.replay_mut().is_busy());
    headless.app.replay_mut().scrub_to(events / 4);
    headless.until("idle", |app| !app.replay_mut().is_busy());
    let (mut samples, shown) = scrub(&mut headless, 600, |_, _| {});
    report("idle at one version", &mut samples, shown);
    Ok(())
}
