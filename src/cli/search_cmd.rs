//! `search FILE [--jsonpath EXPR] [--in payload|metadata|both] [--type T]...
//! [--stream ID] [--process-type P] [--correlation ID] [--from TIME] [--to TIME] [--json]`:
//! the event log's filter, through the same scan as the window's event log
//! (`process_workbench_core::search`).

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::Path;

use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use process_workbench_core::actions::parse_time_input;
use process_workbench_core::search::{EventFilter, JsonPathScope, scan_events};
use process_workbench_core::store::{Event, Store, StoreError, format_time};

use super::CliError;

/// The arguments of `search`, as typed.
#[derive(Debug, Default)]
pub struct SearchArgs<'a> {
    pub json_path: Option<&'a str>,
    /// `payload`, `metadata` or `both`.
    pub scope: &'a str,
    pub event_types: &'a [String],
    pub stream: Option<&'a str>,
    pub process_type: Option<&'a str>,
    pub correlation: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
}

impl SearchArgs<'_> {
    /// The filter the arguments describe; exit 2 with one line for a bad part.
    pub fn filter(&self) -> Result<EventFilter, CliError> {
        let time = |flag: &str, text: Option<&str>| -> Result<Option<OffsetDateTime>, CliError> {
            text.map(|text| {
                parse_time_input(text).map_err(|error| CliError::input(format!("{flag}: {error}")))
            })
            .transpose()
        };
        let json_path = self
            .json_path
            .map(|text| {
                EventFilter::parse_json_path(text)
                    .map_err(|error| CliError::input(format!("--jsonpath: {error}")))
            })
            .transpose()?;
        let json_path_scope = match self.scope {
            "payload" => JsonPathScope::Payload,
            "metadata" => JsonPathScope::Metadata,
            "both" | "" => JsonPathScope::PayloadAndMetadata,
            other => {
                return Err(CliError::input(format!(
                    "--in: {other:?} is not payload, metadata or both"
                )));
            }
        };
        let correlation = self
            .correlation
            .map(|text| {
                Uuid::parse_str(text.trim()).map_err(|_| {
                    CliError::input(format!(
                        "--correlation: {text:?} is not a correlation id (a UUID)"
                    ))
                })
            })
            .transpose()?;
        let filter = EventFilter {
            event_types: self.event_types.iter().cloned().collect::<BTreeSet<_>>(),
            stream_id: self.stream.map(str::to_string),
            process_type: self.process_type.map(str::to_string),
            correlation,
            from: time("--from", self.from)?,
            to: time("--to", self.to)?,
            json_path,
            json_path_scope,
        };
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && from > to
        {
            return Err(CliError::input(format!(
                "--from {} is after --to {}",
                format_time(from),
                format_time(to)
            )));
        }
        Ok(filter)
    }
}

/// Prints the events passing the filter, in log order: a count line and one
/// line per event, or JSON (ARCHITECTURE.md, `search`).
pub fn search(path: &Path, args: &SearchArgs<'_>, json: bool) -> Result<(), CliError> {
    let filter = args.filter()?;
    let store = Store::open(path)?;
    let reader = store.read()?;
    if let Some(stream_id) = &filter.stream_id
        && reader.stream(stream_id)?.is_none()
    {
        return Err(CliError::input(format!(
            "{}: no stream {stream_id:?} in the store",
            path.display()
        )));
    }
    let interactive = std::io::stderr().is_terminal();
    let scan = scan_events(&reader, &filter, &mut |page| {
        if interactive {
            eprint!("\rsearching: {} of {} events", page.scanned, page.total);
        }
        ControlFlow::Continue(())
    })?;
    if interactive {
        eprintln!();
    }
    let mut events = Vec::with_capacity(scan.positions.len());
    for position in &scan.positions {
        let event = reader.event_at(*position)?.ok_or_else(|| {
            CliError::from(StoreError::Corrupt(format!(
                "no event at position {position}"
            )))
        })?;
        events.push(event);
    }
    if json {
        let value = json!({
            "count": events.len(),
            "scanned": scan.scanned,
            "damaged": scan.damaged,
            "events": events,
        });
        return print_json(&value);
    }
    let mut out = std::io::stdout().lock();
    let mut head = format!("{} events match ({} looked at)", events.len(), scan.scanned);
    if scan.damaged > 0 {
        head += &format!("; {} damaged records left out", scan.damaged);
    }
    write_line(&mut out, &head)?;
    for event in &events {
        write_line(&mut out, &event_line(event))?;
    }
    Ok(())
}

/// One event as a line: position, time, stream and version, type, id.
fn event_line(event: &Event) -> String {
    format!(
        "{:>8}  {}  {} v{}  {}  {}",
        event.position,
        format_time(event.occurred_at),
        event.stream_id,
        event.version,
        event.event_type,
        event.event_id
    )
}

fn write_line(out: &mut impl Write, line: &str) -> Result<(), CliError> {
    writeln!(out, "{line}").map_err(|error| CliError::input(format!("stdout: {error}")))
}

fn print_json(value: &Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|error| CliError::from(StoreError::from(error)))?;
    println!("{text}");
    Ok(())
}
