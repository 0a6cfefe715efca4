//! Process map speed: imports an XES log into a store, then measures in the
//! same run:
//! (a) the map from the open store — reading the cases (`CaseLog::load`) and
//!     computing frequencies, mean and median times, starts and ends
//!     (`ProcessMap::compute`) — best and median of RUNS;
//! (b) a slider move: thinning the computed map and laying it out again
//!     (`ProcessMap::thin` + `drawing::lay_out`), on this log and on a
//!     generated log of 50 activities and about 500 edges;
//! (c) pm4py's `discover_dfg` + `discover_performance_dfg` (read excluded)
//!     and rust4pm's frequency-only `discover_dfg` on its in-memory log, each
//!     best of 3, through `examples/support/map_baselines.py`
//!     (`PM4PY_PYTHON`, default /work/venv-pm4py/bin/python; `R4PM_PYTHON`,
//!     default /work/venv-r4pm/bin/python; skipped when missing).
//!
//! Run: `cargo run --release -p process-workbench-core --no-default-features --example bench_map [LOG.xes] [RUNS]`
//! (default /dev/shm/bench/log250k.xes, the log `bench_import` generates;
//! `STORE_OF_LOG=FILE` uses a store already imported from it; `BASELINES=0`
//! leaves out (b) and (c)).

/// The allocator of the `process-workbench` binary, so that figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use process_workbench_core::analysis::drawing::lay_out;
use process_workbench_core::analysis::{CaseLog, MapMode, ProcessMap};
use process_workbench_core::engine::Operator;
use process_workbench_core::import::{Format, import_file};
use process_workbench_core::store::Store;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn import(xes: &Path, store: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let report = import_file(store, Format::Xes, xes, &Operator::current(), &mut |_| true)?;
    println!(
        "imported {} events in {} cases from {} in {:.2} s",
        report.events,
        report.streams,
        xes.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// (best, median) of `runs` timings of `work`.
fn time_runs(runs: usize, mut work: impl FnMut()) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .collect();
    times.sort();
    (times[0], times[times.len() / 2])
}

/// Times a slider move (thin + lay out) at a few settings of the sliders.
fn slider_moves(map: &ProcessMap) {
    for (activities, paths) in [(1.0, 1.0), (1.0, 0.5), (0.5, 0.2), (0.2, 0.0)] {
        let mut shown = (0, 0);
        let (best, median) = time_runs(20, || {
            let thinned = map.thin(activities, paths);
            let drawing = lay_out(map, &thinned, MapMode::Performance);
            shown = (drawing.nodes.len() - 2, drawing.edges.len());
        });
        println!(
            "    activities {:>3.0} %, paths {:>3.0} %: {:>2} activities, {:>3} edges drawn: {:.2} ms (median {:.2} ms)",
            activities * 100.0,
            paths * 100.0,
            shown.0,
            shown.1,
            millis(best),
            millis(median)
        );
    }
}

/// Writes a XES log of 50 activities in which each activity is followed by
/// one of about ten others: a map of about 500 edges.
fn write_wide_log(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let followers: Vec<Vec<usize>> = (0..50)
        .map(|_| (0..10).map(|_| rng.random_range(0..50)).collect())
        .collect();
    let mut text = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n<log xes.version=\"1849-2016\" xmlns=\"http://www.xes-standard.org/\">\n",
    );
    let mut at = 1_349_794_217i64;
    for case in 0..4_000 {
        writeln!(
            text,
            "<trace><string key=\"concept:name\" value=\"Case {case}\"/>"
        )?;
        let mut activity = rng.random_range(0..5);
        for _ in 0..rng.random_range(5..25) {
            let time = time::OffsetDateTime::from_unix_timestamp(at)?
                .format(&time::format_description::well_known::Rfc3339)?;
            writeln!(
                text,
                "<event><string key=\"concept:name\" value=\"Activity {activity:02}\"/><date key=\"time:timestamp\" value=\"{time}\"/></event>"
            )?;
            at += rng.random_range(60..50_000);
            activity = followers[activity][rng.random_range(0..10)];
        }
        text.push_str("</trace>\n");
    }
    text.push_str("</log>\n");
    std::fs::write(path, text)?;
    Ok(())
}

/// Runs the baseline script; its seconds, or why not.
fn baseline(
    python_variable: &str,
    default: &str,
    library: &str,
    xes: &Path,
) -> Result<f64, String> {
    let python = std::env::var(python_variable).unwrap_or_else(|_| default.to_string());
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/support/map_baselines.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(library)
        .arg(xes)
        .output()
        .map_err(|error| format!("{python}: {error}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(line) = stdout.lines().rev().find(|line| line.starts_with('{')) else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "{python}: {}",
            stderr.lines().last().unwrap_or("failed")
        ));
    };
    let value: serde_json::Value = serde_json::from_str(line).map_err(|error| error.to_string())?;
    value["seconds"]
        .as_f64()
        .ok_or_else(|| format!("unexpected output: {line}"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let xes = args
        .next()
        .unwrap_or_else(|| "/dev/shm/bench/log250k.xes".to_string());
    let runs: usize = match args.next() {
        Some(text) => text.parse()?,
        None => 10,
    };
    let xes = Path::new(&xes);
    let dir = tempfile::tempdir()?;
    // A store already imported from the log (`STORE_OF_LOG`) saves the import.
    let store_path = match std::env::var_os("STORE_OF_LOG") {
        Some(store) => std::path::PathBuf::from(store),
        None => {
            let store_path = dir.path().join("log.pwb");
            import(xes, &store_path)?;
            store_path
        }
    };

    // (a) the map from the open store.
    let store = Store::open(&store_path)?;
    let mut map = ProcessMap::default();
    let mut load_times = Vec::new();
    let (best, median) = time_runs(runs, || {
        let started = Instant::now();
        let Ok(reader) = store.read() else { return };
        let Ok(log) = CaseLog::load(&reader, None, None) else {
            return;
        };
        load_times.push(started.elapsed());
        map = ProcessMap::compute(&log);
    });
    load_times.sort();
    println!(
        "(a) map from the open store: {:.1} ms (median {:.1} ms; reading the cases {:.1} ms of it) — {} cases, {} events, {} activities, {} edges",
        millis(best),
        millis(median),
        millis(load_times[0]),
        map.cases,
        map.events,
        map.activities.len(),
        map.edges.len()
    );

    if std::env::var_os("BASELINES").is_some_and(|value| value == "0") {
        return Ok(());
    }

    // (b) slider moves.
    println!("(b) a slider move (thin + lay out), this log:");
    slider_moves(&map);
    let wide_xes = dir.path().join("wide.xes");
    write_wide_log(&wide_xes)?;
    let wide_store = dir.path().join("wide.pwb");
    import_file(
        &wide_store,
        Format::Xes,
        &wide_xes,
        &Operator::current(),
        &mut |_| true,
    )?;
    let wide = Store::open(&wide_store)?;
    let wide_map = ProcessMap::compute(&CaseLog::load(&wide.read()?, None, None)?);
    println!(
        "    a generated log of {} activities and {} edges:",
        wide_map.activities.len(),
        wide_map.edges.len()
    );
    slider_moves(&wide_map);

    // (c) the baselines, one after the other.
    let ours = best.as_secs_f64();
    match baseline("PM4PY_PYTHON", "/work/venv-pm4py/bin/python", "pm4py", xes) {
        Ok(seconds) => println!(
            "(c) pm4py discover_dfg + discover_performance_dfg: {:.3} s — the map is {:.1}x faster (target >= 10x)",
            seconds,
            seconds / ours
        ),
        Err(why) => println!("(c) pm4py: SKIPPED: {why}"),
    }
    match baseline("R4PM_PYTHON", "/work/venv-r4pm/bin/python", "r4pm", xes) {
        Ok(seconds) => println!(
            "    rust4pm discover_dfg (frequencies only): {:.3} s — the map is {:.2}x its speed (target >= 1x)",
            seconds,
            seconds / ours
        ),
        Err(why) => println!("    rust4pm: SKIPPED: {why}"),
    }
    Ok(())
}
