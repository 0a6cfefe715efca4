//! Exports to files: events as JSONL, the causal graph as JSON/SVG/PNG, the
//! audit trail as JSON, the saved process filters. One rule for all: the file is written beside its
//! target under a temporary name and renamed into place when complete, so a
//! failed or cancelled export leaves no partial file and an existing file
//! unchanged. A damaged event fails the export with its position: nothing is
//! left out silently.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::{ActionError, Outcome, Progress};
use crate::analysis::{MapRequest, drawing};
use crate::graph::{self, GraphRequest};
use crate::queues::{AuditFilter, audit_entries, export_audit_json};
use crate::search::{ProcessFilter, SavedFilters, SavedFiltersError};
use crate::store::{Event, Store, StoreError, StoreReader};

/// Events read from the store at a time (and between progress reports).
const PAGE: usize = 1024;

/// Which events a JSONL export writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventSelection {
    /// The global log, in position order.
    All,
    /// One stream's events, in version order.
    Stream(String),
    /// These positions, in the order given (e.g. the rows a filter shows).
    Positions(Vec<u64>),
}

/// The formats a graph is exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    Json,
    Svg,
    Png,
}

impl GraphFormat {
    /// Every format, in menu order.
    pub const ALL: [GraphFormat; 3] = [GraphFormat::Json, GraphFormat::Svg, GraphFormat::Png];

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            GraphFormat::Json => "json",
            GraphFormat::Svg => "svg",
            GraphFormat::Png => "png",
        }
    }
}

/// Writes a file atomically: `write` fills a temporary file beside `out`,
/// which replaces `out` only when `write` succeeded.
pub(super) fn write_atomically<T>(
    out: &Path,
    write: impl FnOnce(&mut BufWriter<&mut std::fs::File>) -> Result<T, ActionError>,
) -> Result<T, ActionError> {
    let place = |error: std::io::Error| ActionError::Export(format!("{}: {error}", out.display()));
    let directory = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::Builder::new()
        .prefix(".process-workbench-export")
        .tempfile_in(directory)
        .map_err(place)?;
    let value = {
        let mut buffered = BufWriter::new(temporary.as_file_mut());
        let value = write(&mut buffered)?;
        buffered.flush().map_err(place)?;
        value
    };
    temporary.persist(out).map_err(|error| place(error.error))?;
    Ok(value)
}

/// Writes `bytes` to `out` atomically (see [`write_atomically`]).
fn write_bytes_atomically(out: &Path, bytes: &[u8]) -> Result<(), ActionError> {
    write_atomically(out, |file| {
        file.write_all(bytes)
            .map_err(|error| ActionError::Export(format!("{}: {error}", out.display())))
    })
}

/// `ExportJsonl`: one event per line in the export shape.
pub(super) fn jsonl(
    store: &Store,
    selection: &EventSelection,
    out: &Path,
    progress: &dyn Progress,
) -> Result<Outcome, ActionError> {
    let reader = store.read()?;
    let written = write_atomically(out, |file| write_events(&reader, selection, file, progress))?;
    Ok(Outcome::line(format!(
        "{written} events saved to {}",
        out.display()
    )))
}

/// Writes the events of `selection` to `out`, one JSON event per line in the
/// export shape, and returns how many. `ExportJsonl` writes a file with it;
/// the CLI writes standard output (`export --jsonl -`).
pub fn write_events(
    reader: &StoreReader,
    selection: &EventSelection,
    file: &mut dyn Write,
    progress: &dyn Progress,
) -> Result<u64, ActionError> {
    let mut written = 0u64;
    let mut write = |event: &Event| -> Result<(), ActionError> {
        serde_json::to_writer(&mut *file, event)
            .map_err(|error| ActionError::Export(error.to_string()))?;
        file.write_all(b"\n")
            .map_err(|error| ActionError::Export(error.to_string()))?;
        written += 1;
        Ok(())
    };
    let step = |done: u64, total: u64| -> Result<(), ActionError> {
        progress.progress(done, total);
        if progress.is_cancelled() {
            return Err(ActionError::Cancelled);
        }
        Ok(())
    };
    let event_at = |position: u64| -> Result<Event, ActionError> {
        reader
            .event_at(position)?
            .ok_or_else(|| StoreError::Corrupt(format!("no event at position {position}")).into())
    };
    match selection {
        EventSelection::All => {
            let total = reader.last_position()?;
            let mut from = 1;
            loop {
                let page = reader.log(from, PAGE)?;
                let Some(last) = page.last() else {
                    break;
                };
                from = last.position + 1;
                for event in &page {
                    write(event)?;
                }
                step(from - 1, total)?;
            }
        }
        EventSelection::Stream(stream_id) => {
            let Some(info) = reader.stream(stream_id)? else {
                return Err(ActionError::Export(format!(
                    "the store has no stream {stream_id:?}"
                )));
            };
            let mut from = 1;
            loop {
                let page = reader.stream_positions(stream_id, from, PAGE)?;
                let Some(&(last_version, _)) = page.last() else {
                    break;
                };
                from = last_version + 1;
                for (_, position) in page {
                    write(&event_at(position)?)?;
                }
                step(last_version, info.version)?;
            }
        }
        EventSelection::Positions(positions) => {
            let total = positions.len() as u64;
            for (index, position) in positions.iter().enumerate() {
                write(&event_at(*position)?)?;
                if index % PAGE == 0 {
                    step(index as u64, total)?;
                }
            }
        }
    }
    Ok(written)
}

/// `ExportGraph`: the graph built and laid out as the window shows it.
pub(super) fn graph(
    store: &Store,
    request: &GraphRequest,
    format: GraphFormat,
    out: &Path,
    progress: &dyn Progress,
) -> Result<Outcome, ActionError> {
    let reader = store.read()?;
    let cancelled = || progress.is_cancelled();
    let laid_out = graph::laid_out(&reader, request, &cancelled, &mut |done, total| {
        progress.progress(done, total)
    })?;
    let Some((graph, layout)) = laid_out else {
        return Err(ActionError::Cancelled);
    };
    let bytes = match format {
        GraphFormat::Json => serde_json::to_vec_pretty(&graph.to_json())
            .map_err(|error| ActionError::Export(error.to_string()))?,
        GraphFormat::Svg => graph::to_svg(&graph, &layout).into_bytes(),
        GraphFormat::Png => graph::to_png(&graph, &layout).map_err(|error| {
            ActionError::Export(format!("the picture could not be made: {error}"))
        })?,
    };
    write_bytes_atomically(out, &bytes)?;
    Ok(Outcome::line(format!(
        "The graph ({} events) was saved to {} ({} bytes).",
        graph.nodes.len(),
        out.display(),
        bytes.len()
    )))
}

/// `ExportMap`: the process map as JSON (as `map --json` prints it), or drawn
/// as SVG or PNG with the request's mode and sliders.
pub(super) fn map(
    store: &Store,
    request: &MapRequest,
    format: GraphFormat,
    out: &Path,
) -> Result<Outcome, ActionError> {
    let reader = store.read()?;
    let (_, map) = request
        .compute(&reader)
        .map_err(|error| ActionError::Export(error.to_string()))?;
    let bytes = match format {
        GraphFormat::Json => serde_json::to_vec_pretty(&map.to_json())
            .map_err(|error| ActionError::Export(error.to_string()))?,
        GraphFormat::Svg => drawing::to_svg(&request.draw(&map)).into_bytes(),
        GraphFormat::Png => drawing::to_png(&request.draw(&map)).map_err(|error| {
            ActionError::Export(format!("the picture could not be made: {error}"))
        })?,
    };
    write_bytes_atomically(out, &bytes)?;
    Ok(Outcome::line(format!(
        "The process map ({} activities, {} edges) was saved to {} ({} bytes).",
        map.activities.len(),
        map.edges.len(),
        out.display(),
        bytes.len()
    )))
}

/// `ExportAudit`: the entries passing the filter, as the `audit --json` array.
pub(super) fn audit(
    store: &Store,
    filter: &AuditFilter,
    out: &Path,
) -> Result<Outcome, ActionError> {
    let entries = audit_entries(&store.read()?, filter)?;
    write_atomically(out, |file| {
        export_audit_json(&entries, file)
            .map_err(|error| ActionError::Export(format!("{}: {error}", out.display())))
    })?;
    Ok(Outcome::line(format!(
        "{} audit entries saved to {}",
        entries.len(),
        out.display()
    )))
}

/// `SaveFilter`: the saved filters with `filter` as `name`, written whole.
pub(super) fn save_filter(
    file: &Path,
    name: &str,
    filter: &ProcessFilter,
) -> Result<Outcome, ActionError> {
    filter
        .validate()
        .map_err(|error| ActionError::Export(error.to_string()))?;
    let mut saved = SavedFilters::load(file).map_err(filter_error)?;
    saved.insert(name, filter.clone()).map_err(filter_error)?;
    write_filters(file, &saved)?;
    Ok(Outcome::line(format!(
        "Filter {:?} saved: {}.",
        name.trim(),
        filter.describe()
    )))
}

/// `DeleteFilter`: the saved filters without `name`, written whole.
pub(super) fn delete_filter(file: &Path, name: &str) -> Result<Outcome, ActionError> {
    let mut saved = SavedFilters::load(file).map_err(filter_error)?;
    saved.remove(name).map_err(filter_error)?;
    write_filters(file, &saved)?;
    Ok(Outcome::line(format!("Filter {name:?} deleted.")))
}

fn filter_error(error: SavedFiltersError) -> ActionError {
    ActionError::Export(error.to_string())
}

fn write_filters(file: &Path, saved: &SavedFilters) -> Result<(), ActionError> {
    if let Some(folder) = file
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
    {
        std::fs::create_dir_all(folder)
            .map_err(|error| ActionError::Export(format!("{}: {error}", folder.display())))?;
    }
    write_bytes_atomically(file, saved.to_json().as_bytes())
}
