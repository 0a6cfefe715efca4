//! JSONL: one event per line in ARCHITECTURE.md's export shape, read line by line.
//!
//! Ids, times, links (causation, other causes, correlation), payload and
//! metadata are kept; an event listing `other_streams` appears in those
//! streams too. Positions and versions are assigned again in file order, so
//! the export of a store imported into a new store gives the same lines.
//! Required per line: `stream_id`, `event_type`, `occurred_at`; a missing
//! `event_id` is generated, a missing `recorded_at` is `occurred_at`. Streams
//! new to the store take the file stem as process type and status completed;
//! streams the store already has are appended to.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;

use serde::Deserialize;
use serde_json::Value;
use time::{OffsetDateTime, UtcOffset};
use uuid::Uuid;

use super::ids::{IdSpace, parse_time_in};
use super::input::{Emitter, Tracker, json_error, pipeline};
use super::{Context, Format, ImportError, ImportReport, InputReader, Location, new_stream};
use crate::store::{NewEvent, StoreReader, StoreWriter, StreamInfo};

/// Lines handed to the writer at a time.
const LINES_PER_BATCH: usize = 256;

/// One line as written by the export (and by other tools: most fields optional).
#[derive(Deserialize)]
struct Line {
    #[serde(default)]
    event_id: Option<Uuid>,
    stream_id: String,
    event_type: String,
    occurred_at: String,
    #[serde(default)]
    recorded_at: Option<String>,
    #[serde(default)]
    correlation_id: Option<Uuid>,
    #[serde(default)]
    causation_id: Option<Uuid>,
    #[serde(default)]
    other_causes: Vec<Uuid>,
    #[serde(default)]
    other_streams: Vec<OtherStream>,
    #[serde(default)]
    payload: Value,
    #[serde(default)]
    metadata: Value,
}

/// A further stream of an event; its version is assigned again.
#[derive(Deserialize)]
struct OtherStream {
    stream_id: String,
}

/// A line, checked.
struct Parsed {
    line: u64,
    event_id: Option<Uuid>,
    /// The event's own stream first.
    streams: Vec<String>,
    event_type: String,
    occurred_at: OffsetDateTime,
    recorded_at: OffsetDateTime,
    correlation_id: Option<Uuid>,
    causation_id: Option<Uuid>,
    other_causes: Vec<Uuid>,
    payload: Value,
    metadata: Value,
}

/// Imports a JSONL file into the transaction of `writer`.
pub(super) fn import(
    writer: &mut StoreWriter,
    context: &Context,
    reader: InputReader,
    tracker: &mut Tracker<'_>,
) -> Result<ImportReport, ImportError> {
    let salt = context.salt.to_le_bytes();
    let mut sink = EventWriter {
        writer,
        context,
        streams: HashMap::new(),
        generated: IdSpace::new(&[b"jsonl", b"event", context.stem.as_bytes(), &salt]),
        report: ImportReport::empty(Format::Jsonl, context.stem.clone()),
    };
    let file = context.file.clone();
    let offset = context.utc_offset;
    pipeline(
        Format::Jsonl,
        LINES_PER_BATCH,
        tracker,
        move |emitter| parse(&file, offset, reader, emitter),
        |parsed, tracker| {
            sink.write(parsed)?;
            tracker.events_written(1)
        },
    )?;
    sink.finish()
}

/// Reads the whole file, making every check [`import`] makes (an event id
/// must be new to the store and to the file), writing nothing.
pub(super) fn check(
    store: &StoreReader,
    context: &Context,
    reader: InputReader,
    tracker: &mut Tracker<'_>,
) -> Result<(), ImportError> {
    let mut seen: HashSet<Uuid> = HashSet::new();
    let file = context.file.clone();
    let offset = context.utc_offset;
    pipeline(
        Format::Jsonl,
        LINES_PER_BATCH,
        tracker,
        move |emitter| parse(&file, offset, reader, emitter),
        |parsed, tracker| {
            if let Some(id) = parsed.event_id
                && (!seen.insert(id) || store.position_of(id)?.is_some())
            {
                return Err(already_stored(context, parsed.line, id));
            }
            tracker.events_written(1)
        },
    )
}

fn already_stored(context: &Context, line: u64, id: Uuid) -> ImportError {
    context.invalid(
        Location::Line { line, column: None },
        format!("event {id} is already in the store"),
    )
}

struct EventWriter<'w, 'txn, 'c> {
    writer: &'w mut StoreWriter<'txn>,
    context: &'c Context,
    /// Every stream this import touched, as it stands.
    streams: HashMap<String, StreamInfo>,
    generated: IdSpace,
    report: ImportReport,
}

impl EventWriter<'_, '_, '_> {
    fn write(&mut self, parsed: Parsed) -> Result<(), ImportError> {
        let event_id = match parsed.event_id {
            Some(id) => {
                // This transaction sees the events written before it, in the store and in this file.
                if self.writer.event_by_id(id)?.is_some() {
                    return Err(already_stored(self.context, parsed.line, id));
                }
                id
            }
            None => self.generated.id(parsed.line),
        };
        let mut infos = Vec::with_capacity(parsed.streams.len());
        for stream_id in &parsed.streams {
            let info = match self.streams.remove(stream_id) {
                Some(info) => info,
                None => self.open_stream(stream_id, parsed.correlation_id)?,
            };
            infos.push(info);
        }
        let new = NewEvent {
            event_id: Some(event_id),
            event_type: parsed.event_type,
            occurred_at: parsed.occurred_at,
            correlation_id: parsed.correlation_id,
            causation_id: parsed.causation_id,
            other_causes: parsed.other_causes,
            payload: parsed.payload,
            metadata: parsed.metadata,
        };
        self.writer
            .insert_event(new, &mut infos, parsed.recorded_at)?;
        self.report.events += 1;
        for info in infos {
            self.streams.insert(info.stream_id.clone(), info);
        }
        Ok(())
    }

    /// The store's record of a stream, or a new one.
    fn open_stream(
        &mut self,
        stream_id: &str,
        correlation_id: Option<Uuid>,
    ) -> Result<StreamInfo, ImportError> {
        if !self.context.is_new
            && let Some(info) = self.writer.stream(stream_id)?
        {
            return Ok(info);
        }
        Ok(new_stream(
            stream_id.to_string(),
            self.context.stem.clone(),
            correlation_id,
            serde_json::json!({
                "source": {"format": "jsonl", "file": self.context.file},
            }),
        ))
    }

    fn finish(mut self) -> Result<ImportReport, ImportError> {
        let mut streams: Vec<StreamInfo> = self.streams.into_values().collect();
        streams.sort_by(|a, b| a.stream_id.cmp(&b.stream_id));
        self.report.streams = streams.len() as u64;
        for info in &streams {
            self.writer.put_stream(info)?;
        }
        Ok(self.report)
    }
}

/// Reads the lines on the parser thread.
fn parse(
    file: &str,
    offset: UtcOffset,
    mut reader: InputReader,
    emitter: &mut Emitter<Parsed>,
) -> Result<(), ImportError> {
    let mut buf = Vec::with_capacity(4096);
    let mut line = 0u64;
    loop {
        buf.clear();
        line += 1;
        let read = reader
            .read_until(b'\n', &mut buf)
            .map_err(|error| ImportError::Invalid {
                file: file.to_string(),
                at: Location::Line { line, column: None },
                message: format!("read error: {error}"),
            })?;
        if read == 0 {
            return Ok(());
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = parse_line(file, offset, line, &buf)?;
        if !emitter.emit(parsed) {
            return Ok(());
        }
    }
}

fn parse_line(
    file: &str,
    offset: UtcOffset,
    line: u64,
    bytes: &[u8],
) -> Result<Parsed, ImportError> {
    let invalid = |message: String| ImportError::Invalid {
        file: file.to_string(),
        at: Location::Line { line, column: None },
        message,
    };
    let parsed: Line = serde_json::from_slice(bytes).map_err(|error| {
        // serde_json counts lines within this one line: put the file's line in.
        match json_error(file, &error, "not an event") {
            ImportError::Invalid { message, at, .. } => ImportError::Invalid {
                file: file.to_string(),
                at: match at {
                    Location::Line { column, .. } => Location::Line { line, column },
                    _ => Location::Line { line, column: None },
                },
                message,
            },
            other => other,
        }
    })?;
    let occurred_at = parse_time_in(&parsed.occurred_at, offset).ok_or_else(|| {
        invalid(format!(
            "occurred_at '{}' is not a date",
            parsed.occurred_at
        ))
    })?;
    let recorded_at = match &parsed.recorded_at {
        Some(text) => parse_time_in(text, offset)
            .ok_or_else(|| invalid(format!("recorded_at '{text}' is not a date")))?,
        None => occurred_at,
    };
    let mut streams = Vec::with_capacity(1 + parsed.other_streams.len());
    streams.push(parsed.stream_id);
    for other in parsed.other_streams {
        if streams.contains(&other.stream_id) {
            return Err(invalid(format!(
                "the event lists stream '{}' twice",
                other.stream_id
            )));
        }
        streams.push(other.stream_id);
    }
    if streams.iter().any(String::is_empty) {
        return Err(invalid("an empty stream_id".to_string()));
    }
    Ok(Parsed {
        line,
        event_id: parsed.event_id,
        streams,
        event_type: parsed.event_type,
        occurred_at,
        recorded_at,
        correlation_id: parsed.correlation_id,
        causation_id: parsed.causation_id,
        other_causes: parsed.other_causes,
        payload: parsed.payload,
        metadata: parsed.metadata,
    })
}
