//! The XES readers on one log, taking turns, medians of `ROUNDS` (default 3):
//! (a) the workbench's own XES reader, parsing alone (the check pass an
//!     import into an existing store makes before it writes);
//! (b) `process_mining`'s streaming XES reader (`stream_xes_from_path`),
//!     every trace parsed and its events counted;
//! (c) rust4pm from Python (`r4pm.import_item('EventLog', F)`, in-memory),
//!     when `R4PM_PYTHON` (default `/work/venv-r4pm/bin/python`) has r4pm;
//! (d) `import_file` of the log into a new store (the whole import).
//!
//! The log is the generated 250,000-event one:
//! `python3 examples/support/generate_xes.py /dev/shm/bench/log250k.xes`
//! (in the repository root).
//!
//! Run: `cargo run --release -p process-workbench-core --no-default-features --example bench_readers -- LOG.xes [ROUNDS]`

/// The allocator of the `process-workbench` binary, so that figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use process_mining::core::event_data::case_centric::xes::{XESImportOptions, stream_xes_from_path};
use process_workbench_core::engine::Operator;
use process_workbench_core::import::{Format, ImportError, import_file};
use process_workbench_core::store::Store;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut arguments = std::env::args().skip(1);
    let log = arguments
        .next()
        .ok_or("usage: bench_readers LOG.xes [ROUNDS]")?;
    let rounds: usize = arguments.next().map_or(Ok(3), |text| text.parse())?;
    let log = Path::new(&log);
    let dir = tempfile::tempdir_in(log.parent().unwrap_or(Path::new(".")))?;
    let python = std::env::var("R4PM_PYTHON").unwrap_or("/work/venv-r4pm/bin/python".to_string());

    let mut ours = Vec::new();
    let mut library = Vec::new();
    let mut r4pm = Vec::new();
    let mut imports = Vec::new();
    let mut events = (0u64, 0u64);
    for round in 0..rounds {
        // (a) our reader, parsing alone: cancelled as soon as the check pass ends.
        let existing = dir.path().join(format!("existing-{round}.redb"));
        drop(Store::create(&existing)?);
        let started = Instant::now();
        let mut parsed = None;
        let mut counted = 0;
        let result = import_file(
            &existing,
            Format::Xes,
            log,
            &Operator::current(),
            &mut |step| {
                if step.checking {
                    counted = step.events;
                    return true;
                }
                parsed.get_or_insert(started.elapsed().as_secs_f64());
                false
            },
        );
        assert!(matches!(result, Err(ImportError::Cancelled)));
        ours.push(parsed.ok_or("the check pass did not end")?);
        events.0 = counted;

        // (b) process_mining's streaming reader.
        let started = Instant::now();
        let options = XESImportOptions {
            verbose: false,
            ..XESImportOptions::default()
        };
        let (mut stream, _) = stream_xes_from_path(log, options)?;
        let mut count = 0u64;
        for trace in &mut stream {
            count += trace.events.len() as u64;
        }
        if let Some(error) = stream.check_for_errors() {
            return Err(format!("process_mining: {error:?}").into());
        }
        library.push(started.elapsed().as_secs_f64());
        events.1 = count;

        // (c) rust4pm from Python.
        let script = "import sys, time, r4pm\n\
                      started = time.perf_counter()\n\
                      r4pm.import_item('EventLog', sys.argv[1])\n\
                      print(time.perf_counter() - started)";
        match Command::new(&python).args(["-c", script]).arg(log).output() {
            Ok(output) if output.status.success() => {
                let text = String::from_utf8_lossy(&output.stdout);
                if let Ok(seconds) = text.trim().parse::<f64>() {
                    r4pm.push(seconds);
                }
            }
            _ => {}
        }

        // (d) the whole import into a new store.
        let store = dir.path().join(format!("new-{round}.redb"));
        let started = Instant::now();
        import_file(&store, Format::Xes, log, &Operator::current(), &mut |_| {
            true
        })?;
        imports.push(started.elapsed().as_secs_f64());
        std::fs::remove_file(&store)?;
        println!(
            "round {}: ours {:.3} s, process_mining {:.3} s, r4pm {}, import {:.3} s",
            round + 1,
            ours[round],
            library[round],
            r4pm.get(round)
                .map_or("-".to_string(), |seconds| format!("{seconds:.3} s")),
            imports[round]
        );
    }
    let ours = median(&mut ours);
    let library = median(&mut library);
    let import = median(&mut imports);
    println!("events: ours {} / process_mining {}", events.0, events.1);
    println!("(a) workbench XES reader, parse only: {ours:.3} s (median of {rounds})");
    println!(
        "(b) process_mining stream_xes:        {library:.3} s; ours / theirs = {:.2}",
        ours / library
    );
    if r4pm.len() == rounds {
        let r4pm = median(&mut r4pm);
        println!(
            "(c) r4pm import_item('EventLog'):    {r4pm:.3} s; ours / r4pm = {:.2}",
            ours / r4pm
        );
        println!(
            "(d) import into a new store:          {import:.3} s; speed against r4pm's import = {:.2} (target >= 0.5)",
            r4pm / import
        );
    } else {
        println!("(c) r4pm: not run ({python} without r4pm)");
        println!("(d) import into a new store:          {import:.3} s");
    }
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
