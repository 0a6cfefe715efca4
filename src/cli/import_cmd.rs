//! `import FILE --from jsonl|xes|ocel|mako|batpak INPUT` and `export FILE --jsonl OUT [--stream ID]`.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use super::CliError;
use crate::import::{Format, ImportProgress, export_jsonl, import_file};
use crate::store::Store;

/// Imports a log into a store (created when it does not exist). Progress goes
/// to stderr when it is a terminal; one summary line goes to stdout.
pub fn import(path: &Path, format: &str, input: &Path) -> Result<(), CliError> {
    let Some(format) = Format::parse(format) else {
        let known: Vec<&str> = Format::ALL.iter().map(|format| format.as_str()).collect();
        return Err(CliError::input(format!(
            "unknown format {format:?}: use {}",
            known.join(", ")
        )));
    };
    let started = Instant::now();
    let show = std::io::stderr().is_terminal();
    let mut progress = |step: ImportProgress| {
        if show {
            eprint!(
                "\rimporting {}: {:5.1}% read, {} events",
                input.display(),
                step.fraction() * 100.0,
                step.events
            );
        }
        true
    };
    let result = import_file(path, format, input, &mut progress);
    if show {
        eprintln!();
    }
    let report = result.map_err(|error| CliError::input(error.to_string()))?;
    println!(
        "imported {} from {} ({format}) into {} in {:.2} s",
        report.describe(),
        input.display(),
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Exports events as JSONL to `out` (`-` for stdout). A file is written under
/// a temporary name and moved into place when complete.
pub fn export(path: &Path, out: &Path, stream: Option<&str>) -> Result<(), CliError> {
    let store = Store::open(path)?;
    let reader = store.read()?;
    let failed = |error: &dyn std::fmt::Display| CliError::input(format!("export: {error}"));
    if out == Path::new("-") {
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        export_jsonl(&reader, &mut lock, stream).map_err(|e| failed(&e))?;
        lock.flush().map_err(|e| failed(&e))?;
        return Ok(());
    }
    let directory = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::Builder::new()
        .prefix(".pw-export-")
        .tempfile_in(directory)
        .map_err(|e| CliError::input(format!("{}: {e}", directory.display())))?;
    let count = export_jsonl(&reader, temporary.as_file_mut(), stream).map_err(|e| failed(&e))?;
    temporary
        .persist(out)
        .map_err(|e| CliError::input(format!("{}: {}", out.display(), e.error)))?;
    println!("exported {count} events to {}", out.display());
    Ok(())
}
