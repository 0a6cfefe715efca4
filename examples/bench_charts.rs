//! Speed of the analysis views on a large imported log, headless (see
//! `support/headless.rs`): the dotted chart and the process map of the
//! generated 250,000-event XES log (25,000 processes), at 1280×800.
//!
//! ```text
//! python3 examples/support/generate_xes.py /dev/shm/bench/log250k.xes
//! cargo run --release --example bench_charts -- /dev/shm/bench/log250k.xes
//! ```
//!
//! Measures the UI thread's CPU time per frame while the dotted chart is
//! shown still, hovered (a dot's details), zoomed and panned, with rows by
//! start and by duration; and while the process map is hovered and zoomed.

/// The allocator of the `process-workbench` binary, so that figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/headless.rs"]
mod headless;

use std::path::Path;
use std::time::{Duration, Instant};

use egui::{Event, MouseWheelSource, MouseWheelUnit, Pos2, TouchPhase, vec2};
use headless::{Headless, Lcg, SIZE, report};
use process_workbench::state::View;
use process_workbench::state::command::Command;
use process_workbench_core::analysis::charts::CaseOrder;
use process_workbench_core::engine::Operator;
use process_workbench_core::import::{Format, import_file};

/// Frames of each kind.
const FRAMES: usize = 300;

/// A pointer event somewhere over the view (the centre of the window, where
/// the chart and the map are drawn).
fn somewhere(random: &mut Lcg) -> Pos2 {
    Pos2::new(
        300.0 + random.below((SIZE.x - 600.0) as u64) as f32,
        200.0 + random.below((SIZE.y - 350.0) as u64) as f32,
    )
}

fn wheel(delta: f32) -> Event {
    Event::MouseWheel {
        unit: MouseWheelUnit::Point,
        delta: vec2(0.0, delta),
        phase: TouchPhase::Move,
        source: MouseWheelSource::Wheel,
        modifiers: egui::Modifiers::NONE,
    }
}

/// Still, hovered, zoomed in and out, panned: the frames of the view on screen.
fn interact(headless: &mut Headless, name: &str, random: &mut Lcg) {
    let mut still: Vec<Duration> = (0..FRAMES).map(|_| headless.frame(Vec::new())).collect();
    report(&format!("{name}: still"), &mut still);
    let mut hover: Vec<Duration> = (0..FRAMES)
        .map(|_| headless.frame(vec![Event::PointerMoved(somewhere(random))]))
        .collect();
    report(&format!("{name}: hover"), &mut hover);
    let centre = Pos2::new(SIZE.x / 2.0, SIZE.y / 2.0);
    headless.frame(vec![Event::PointerMoved(centre)]);
    // In and out again every 30 frames (up to 1.05^15, about 2×), and back
    // and forth every 20: the view keeps changing and stays as full as a user sees it.
    let mut zoom: Vec<Duration> = (0..FRAMES)
        .map(|frame| {
            let factor = if frame % 30 < 15 { 1.05 } else { 1.0 / 1.05 };
            headless.frame(vec![Event::Zoom(factor)])
        })
        .collect();
    report(&format!("{name}: zoom (pinch)"), &mut zoom);
    let mut pan: Vec<Duration> = (0..FRAMES)
        .map(|frame| {
            let delta = if frame % 20 < 10 { -30.0 } else { 30.0 };
            headless.frame(vec![wheel(delta)])
        })
        .collect();
    report(&format!("{name}: scroll"), &mut pan);
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let log = std::env::args()
        .nth(1)
        .ok_or("usage: bench_charts LOG.xes (e.g. from examples/support/generate_xes.py)")?;
    let dir = tempfile::tempdir()?;
    let store = dir.path().join("log.redb");
    let started = Instant::now();
    let report_of_import = import_file(
        &store,
        Format::Xes,
        Path::new(&log),
        &Operator::named("bench"),
        &mut |_| true,
    )?;
    println!(
        "imported {} events in {} processes in {:.1} s",
        report_of_import.events,
        report_of_import.streams,
        started.elapsed().as_secs_f64()
    );

    let mut headless = Headless::new(&store, dir.path());
    headless.until("opening", |app| app.store().is_some());
    let mut random = Lcg(7);

    headless.app.send(Command::ShowView(View::Performance));
    let computed = headless.until("the charts' figures", |app| {
        app.performance_mut().data().is_some() && !app.performance_mut().is_busy()
    });
    println!(
        "charts' figures ready in the background after {:.0} ms",
        computed.as_secs_f64() * 1e3
    );
    interact(&mut headless, "dotted chart, rows by start", &mut random);
    headless
        .app
        .performance_mut()
        .set_order(CaseOrder::Duration);
    interact(&mut headless, "dotted chart, rows by duration", &mut random);

    headless.app.send(Command::ShowView(View::Map));
    let computed = headless.until("the map", |app| app.map_mut().drawing().is_some());
    println!(
        "map ready in the background after {:.0} ms",
        computed.as_secs_f64() * 1e3
    );
    interact(&mut headless, "process map", &mut random);
    Ok(())
}
