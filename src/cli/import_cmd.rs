//! `import FILE --from xes|ocel|csv|jsonl|mako|batpak INPUT [--case C --activity A --timestamp T]
//! [--utc-offset OFFSET]`
//! and `export FILE --jsonl - [--stream ID]`.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use super::CliError;
use process_workbench_core::actions::{EventSelection, Unwatched, write_events};
use process_workbench_core::import::{
    CsvMapping, Format, ImportOptions, ImportProgress, import_file_with, parse_utc_offset,
};
use process_workbench_core::store::Store;

/// The CSV column mapping as given on the command line (unset: the XES names).
pub struct CsvColumns {
    pub case: Option<String>,
    pub activity: Option<String>,
    pub timestamp: Option<String>,
}

impl CsvColumns {
    fn is_empty(&self) -> bool {
        self.case.is_none() && self.activity.is_none() && self.timestamp.is_none()
    }

    fn mapping(&self) -> CsvMapping {
        let defaults = CsvMapping::default();
        CsvMapping {
            case: self.case.clone().unwrap_or(defaults.case),
            activity: self.activity.clone().unwrap_or(defaults.activity),
            timestamp: self.timestamp.clone().unwrap_or(defaults.timestamp),
        }
    }
}

/// Imports a log into a store (created when it does not exist). Progress goes
/// to stderr when it is a terminal; one summary line goes to stdout.
pub fn import(
    path: &Path,
    format: &str,
    input: &Path,
    columns: &CsvColumns,
    utc_offset: Option<&str>,
    user: Option<&str>,
) -> Result<(), CliError> {
    let operator = super::actions_cmd::operator(user);
    let Some(format) = Format::parse(format) else {
        let known: Vec<&str> = Format::ALL.iter().map(|format| format.as_str()).collect();
        return Err(CliError::input(format!(
            "unknown format {format:?}: use {}",
            known.join(", ")
        )));
    };
    if format != Format::Csv && !columns.is_empty() {
        return Err(CliError::input(
            "--case, --activity and --timestamp are for --from csv",
        ));
    }
    let utc_offset = match utc_offset {
        Some(text) => parse_utc_offset(text)
            .map_err(|error| CliError::input(format!("--utc-offset: {error}")))?,
        None => time::UtcOffset::UTC,
    };
    let options = ImportOptions {
        csv: columns.mapping(),
        utc_offset,
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
    let result = import_file_with(path, format, input, &options, &operator, &mut progress);
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

/// `export FILE --jsonl - [--stream ID]`: the events on standard output.
/// (A file goes through the `ExportJsonl` action.)
pub fn export_to_stdout(path: &Path, selection: &EventSelection) -> Result<(), CliError> {
    let store = Store::open(path)?;
    let reader = store.read()?;
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    write_events(&reader, selection, &mut lock, &Unwatched)?;
    lock.flush()
        .map_err(|error| CliError::input(format!("export: {error}")))?;
    Ok(())
}
