//! The app driven frame by frame without a window, for the window's
//! benchmarks (`bench_gui`, `bench_charts`): the app's own `ui` runs through
//! `egui::Context::run_ui` and is tessellated, exactly as in the window,
//! without a GPU. A frame's cost is the UI thread's CPU time
//! (`cpu_time::ThreadTime`), which other processes on the cores do not inflate.

use std::path::Path;
use std::time::{Duration, Instant};

use egui::{Event, Pos2, RawInput, Rect};
use process_workbench::app::{StartOptions, WorkbenchApp};
use process_workbench::state::Clock;
use time::macros::datetime;

/// The window size the benchmarks draw at.
pub const SIZE: egui::Vec2 = egui::vec2(1280.0, 800.0);

pub struct Headless {
    ctx: egui::Context,
    pub app: WorkbenchApp,
    time: f64,
}

impl Headless {
    pub fn new(file: &Path, data_dir: &Path) -> Headless {
        let ctx = egui::Context::default();
        let app = WorkbenchApp::new(
            None,
            StartOptions {
                user: None,
                filter: None,
                file: Some(file.to_path_buf()),
                data_dir: data_dir.to_path_buf(),
                clock: Clock::Fixed(datetime!(2024-06-01 0:00 UTC)),
            },
        );
        Headless {
            ctx,
            app,
            time: 0.0,
        }
    }

    /// Runs one frame with `events`; returns its CPU time (ui + tessellation).
    pub fn frame(&mut self, events: Vec<Event>) -> Duration {
        self.time += 1.0 / 60.0;
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, SIZE)),
            time: Some(self.time),
            predicted_dt: 1.0 / 60.0,
            events,
            ..Default::default()
        };
        let started = cpu_time::ThreadTime::now();
        let app = &mut self.app;
        let output = self.ctx.run_ui(input, |ui| app.ui(ui));
        let primitives = self.ctx.tessellate(output.shapes, output.pixels_per_point);
        let elapsed = started.elapsed();
        std::hint::black_box(primitives);
        elapsed
    }

    /// Runs frames until `done` holds (background jobs finish meanwhile);
    /// returns the wall time it took.
    pub fn until(
        &mut self,
        what: &str,
        mut done: impl FnMut(&mut WorkbenchApp) -> bool,
    ) -> Duration {
        let started = Instant::now();
        while !done(&mut self.app) {
            assert!(
                started.elapsed() < Duration::from_secs(600),
                "{what} took too long"
            );
            self.frame(Vec::new());
            std::thread::sleep(Duration::from_micros(200));
        }
        started.elapsed()
    }
}

pub fn percentile(samples: &mut [Duration], fraction: f64) -> Duration {
    samples.sort_unstable();
    let index = ((samples.len() as f64 - 1.0) * fraction).round() as usize;
    samples[index]
}

/// Prints the frames' p50, p99 and maximum CPU time.
pub fn report(name: &str, samples: &mut [Duration]) {
    let p50 = percentile(samples, 0.5);
    let p99 = percentile(samples, 0.99);
    let max = samples.iter().max().copied().unwrap_or_default();
    println!(
        "{name:<44} frames {:>5}  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms",
        samples.len(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
}

/// A small deterministic random sequence (no dependency for a benchmark's jumps).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) % bound
    }
}
