//! A store, or some of its streams, written out as a process-mining log:
//! XES (IEEE 1849; a trace per stream) or OCEL 2.0 JSON (an object per
//! stream). Written atomically like every export (see `export`). The streams
//! are listed ones, or those a process filter keeps (evaluated by
//! `search::select_processes`, the window's filter function), or both.
//!
//! XES: the trace's `concept:name` is the stream id, its other attributes the
//! stream's `metadata.attributes`; an event's `concept:name` is its type, its
//! `time:timestamp` its time, its other attributes its payload's top-level
//! fields (strings, integers, floats and booleans as such; nested values as
//! their JSON text), in the stream's version order.
//!
//! OCEL 2.0 JSON: every stream is an object of its process type (attributes
//! from `metadata.attributes`, relationships to other exported objects from
//! `metadata.relationships`); every event relates to each exported stream it
//! appears in (qualifier from `metadata.relationships` when the log had one);
//! the event id is the log's own (`metadata.ocel_id`) where there is one, else
//! the event id. Events in log order.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::ops::ControlFlow;
use std::path::Path;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, Event as XmlEvent};
use serde::Serialize;
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;

use super::export::write_atomically;
use super::{ActionError, Outcome, Progress};
use crate::search::{ProcessFilter, select_processes};
use crate::store::{Event, StoreError, StoreReader, StreamFilter, StreamInfo};

/// Streams read at a time.
const PAGE: usize = 1024;

/// The process-mining formats a store is exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// XES, a trace per stream.
    Xes,
    /// OCEL 2.0 JSON, an object per stream.
    Ocel,
}

impl LogFormat {
    /// Both, in menu order.
    pub const ALL: [LogFormat; 2] = [LogFormat::Xes, LogFormat::Ocel];

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            LogFormat::Xes => "xes",
            LogFormat::Ocel => "jsonocel",
        }
    }

    /// The name in menus and messages.
    pub fn label(self) -> &'static str {
        match self {
            LogFormat::Xes => "XES",
            LogFormat::Ocel => "OCEL 2.0 JSON",
        }
    }
}

/// Which streams an export writes: those of `streams` (every stream when
/// empty) that `filter` keeps (an empty filter keeps every one).
pub(super) struct LogSelection<'a> {
    pub streams: &'a [String],
    pub filter: &'a ProcessFilter,
}

/// `ExportLog`: writes the streams `selection` names as `format` to `out`.
pub(super) fn export_log(
    store: &crate::store::Store,
    format: LogFormat,
    selection: &LogSelection<'_>,
    out: &Path,
    progress: &dyn Progress,
) -> Result<Outcome, ActionError> {
    let reader = store.read()?;
    let (streams, unreadable) = selected_streams(&reader, selection, progress)?;
    let (traces, events) = write_atomically(out, |file| match format {
        LogFormat::Xes => write_xes(&reader, &streams, file, progress),
        LogFormat::Ocel => write_ocel(&reader, &streams, file, progress),
    })?;
    let unit = match format {
        LogFormat::Xes => "traces",
        LogFormat::Ocel => "objects",
    };
    let mut line = format!(
        "{events} events in {traces} {unit} saved to {} ({})",
        out.display(),
        format.label()
    );
    if !selection.filter.is_empty() {
        line.push_str(&format!("; filter: {}", selection.filter.describe()));
    }
    if unreadable > 0 {
        // The filter could not read these streams: say so rather than drop them silently.
        line.push_str(&format!(
            "; {unreadable} streams the filter could not read were left out"
        ));
    }
    Ok(Outcome::line(line))
}

/// The stream records to export, in stream-id order, and how many streams
/// the filter could not read; an unknown id in `selection.streams` is refused.
fn selected_streams(
    reader: &StoreReader,
    selection: &LogSelection<'_>,
    progress: &dyn Progress,
) -> Result<(Vec<StreamInfo>, u64), ActionError> {
    let listed: BTreeSet<&String> = selection.streams.iter().collect();
    let listed = listed
        .into_iter()
        .map(|id| {
            reader
                .stream(id)?
                .ok_or_else(|| ActionError::Export(format!("the store has no stream {id:?}")))
        })
        .collect::<Result<Vec<StreamInfo>, ActionError>>()?;
    if selection.filter.is_empty() {
        if selection.streams.is_empty() {
            return Ok((all_streams(reader)?, 0));
        }
        return Ok((listed, 0));
    }
    let kept = select_processes(reader, selection.filter, &mut |done| {
        progress.progress(done.done, done.total);
        if progress.is_cancelled() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    if kept.cancelled {
        return Err(ActionError::Cancelled);
    }
    if !selection.streams.is_empty() {
        let both = listed
            .into_iter()
            .filter(|stream| kept.contains(&stream.stream_id))
            .collect();
        return Ok((both, kept.unreadable));
    }
    let mut streams = Vec::with_capacity(kept.ids.len());
    for (id, record) in kept.ids.iter().zip(reader.stream_records(&kept.ids)?) {
        let info = record?
            .ok_or_else(|| StoreError::Corrupt(format!("the stream {id:?} has no record")))?;
        streams.push(info);
    }
    Ok((streams, kept.unreadable))
}

/// Every stream record, in stream-id order.
fn all_streams(reader: &StoreReader) -> Result<Vec<StreamInfo>, StoreError> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = reader.streams(&StreamFilter::default(), after.as_deref(), PAGE)?;
        all.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(all)
}

fn step(progress: &dyn Progress, done: u64, total: u64) -> Result<(), ActionError> {
    progress.progress(done, total);
    if progress.is_cancelled() {
        return Err(ActionError::Cancelled);
    }
    Ok(())
}

/// Every event of a stream, in version order.
fn stream_events(reader: &StoreReader, stream_id: &str) -> Result<Vec<Event>, StoreError> {
    let mut events = Vec::new();
    let mut from = 1;
    loop {
        let page = reader.stream_events(stream_id, from, PAGE)?;
        let Some(last) = page.last() else {
            break;
        };
        from = last.version + 1;
        events.extend(page);
    }
    Ok(events)
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

// ----- XES --------------------------------------------------------------------------------

fn xml_error(error: impl std::fmt::Display) -> ActionError {
    ActionError::Export(format!("writing XES: {error}"))
}

fn write_xes(
    reader: &StoreReader,
    streams: &[StreamInfo],
    file: &mut dyn Write,
    progress: &dyn Progress,
) -> Result<(u64, u64), ActionError> {
    let mut xml = Writer::new_with_indent(file, b' ', 2);
    xml.write_event(XmlEvent::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(xml_error)?;
    let mut log = BytesStart::new("log");
    log.push_attribute(("xes.version", "1849-2016"));
    log.push_attribute(("xes.features", "nested-attributes"));
    log.push_attribute(("xmlns", "http://www.xes-standard.org/"));
    xml.write_event(XmlEvent::Start(log)).map_err(xml_error)?;
    for (name, prefix, uri) in [
        (
            "Concept",
            "concept",
            "http://www.xes-standard.org/concept.xesext",
        ),
        ("Time", "time", "http://www.xes-standard.org/time.xesext"),
        (
            "Organizational",
            "org",
            "http://www.xes-standard.org/org.xesext",
        ),
    ] {
        let mut extension = BytesStart::new("extension");
        extension.push_attribute(("name", name));
        extension.push_attribute(("prefix", prefix));
        extension.push_attribute(("uri", uri));
        xml.write_event(XmlEvent::Empty(extension))
            .map_err(xml_error)?;
    }
    let mut events_written = 0u64;
    let total = streams.len() as u64;
    for (index, stream) in streams.iter().enumerate() {
        xml.write_event(XmlEvent::Start(BytesStart::new("trace")))
            .map_err(xml_error)?;
        write_attribute(
            &mut xml,
            "concept:name",
            &Value::String(stream.stream_id.clone()),
        )?;
        if let Some(attributes) = stream.metadata.get("attributes").and_then(Value::as_object) {
            for (key, value) in attributes {
                if key != "concept:name" {
                    write_attribute(&mut xml, key, value)?;
                }
            }
        }
        for event in stream_events(reader, &stream.stream_id)? {
            xml.write_event(XmlEvent::Start(BytesStart::new("event")))
                .map_err(xml_error)?;
            write_attribute(
                &mut xml,
                "concept:name",
                &Value::String(event.event_type.clone()),
            )?;
            write_date(&mut xml, "time:timestamp", &rfc3339(event.occurred_at))?;
            if let Some(payload) = event.payload.as_object() {
                for (key, value) in payload {
                    if key != "concept:name" && key != "time:timestamp" {
                        write_attribute(&mut xml, key, value)?;
                    }
                }
            }
            xml.write_event(XmlEvent::End(BytesEnd::new("event")))
                .map_err(xml_error)?;
            events_written += 1;
        }
        xml.write_event(XmlEvent::End(BytesEnd::new("trace")))
            .map_err(xml_error)?;
        if index % 64 == 0 {
            step(progress, index as u64, total)?;
        }
    }
    xml.write_event(XmlEvent::End(BytesEnd::new("log")))
        .map_err(xml_error)?;
    step(progress, total, total)?;
    Ok((total, events_written))
}

fn write_date<W: Write>(xml: &mut Writer<W>, key: &str, value: &str) -> Result<(), ActionError> {
    let mut element = BytesStart::new("date");
    element.push_attribute(("key", key));
    element.push_attribute(("value", value));
    xml.write_event(XmlEvent::Empty(element)).map_err(xml_error)
}

/// One XES attribute of a JSON value; `null` is left out.
fn write_attribute<W: Write>(
    xml: &mut Writer<W>,
    key: &str,
    value: &Value,
) -> Result<(), ActionError> {
    let (tag, text) = match value {
        Value::Null => return Ok(()),
        Value::Bool(flag) => ("boolean", flag.to_string()),
        Value::Number(number) if number.is_i64() || number.is_u64() => ("int", number.to_string()),
        Value::Number(number) => ("float", number.to_string()),
        Value::String(text) => ("string", text.clone()),
        other => ("string", other.to_string()),
    };
    let mut element = BytesStart::new(tag);
    element.push_attribute(("key", key));
    element.push_attribute(("value", text.as_str()));
    xml.write_event(XmlEvent::Empty(element)).map_err(xml_error)
}

// ----- OCEL 2.0 JSON ----------------------------------------------------------------------

/// The OCEL 2.0 attribute type of a JSON value.
fn ocel_type(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "integer",
        Value::Number(_) => "float",
        _ => "string",
    }
}

/// A value as OCEL 2.0 JSON holds it: primitives as such, nested values as JSON text.
fn ocel_value(value: &Value) -> Value {
    match value {
        Value::Array(_) | Value::Object(_) => Value::String(value.to_string()),
        other => other.clone(),
    }
}

/// Type name → attribute name → attribute type (the first seen).
type Declarations = BTreeMap<String, BTreeMap<String, &'static str>>;

fn declare(declarations: &mut Declarations, type_name: &str, name: &str, value: &Value) {
    let attributes = declarations.entry(type_name.to_string()).or_default();
    if !value.is_null() {
        attributes
            .entry(name.to_string())
            .or_insert_with(|| ocel_type(value));
    }
}

fn declarations_json(declarations: &Declarations) -> Value {
    Value::Array(
        declarations
            .iter()
            .map(|(name, attributes)| {
                let attributes: Vec<Value> = attributes
                    .iter()
                    .map(|(name, kind)| json!({"name": name, "type": kind}))
                    .collect();
                json!({"name": name, "attributes": attributes})
            })
            .collect(),
    )
}

/// The qualifier a log gave the relation of an event to `object_id`.
fn qualifier(event: &Event, object_id: &str) -> String {
    event
        .metadata
        .get("relationships")
        .and_then(Value::as_array)
        .and_then(|relationships| {
            relationships.iter().find(|relationship| {
                relationship.get("object_id").and_then(Value::as_str) == Some(object_id)
            })
        })
        .and_then(|relationship| relationship.get("qualifier"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn write_ocel(
    reader: &StoreReader,
    streams: &[StreamInfo],
    file: &mut dyn Write,
    progress: &dyn Progress,
) -> Result<(u64, u64), ActionError> {
    let exported: HashMap<&str, &StreamInfo> = streams
        .iter()
        .map(|stream| (stream.stream_id.as_str(), stream))
        .collect();
    let mut object_types: Declarations = BTreeMap::new();
    let mut objects = Vec::with_capacity(streams.len());
    for stream in streams {
        object_types.entry(stream.process_type.clone()).or_default();
        let mut attributes = Vec::new();
        if let Some(values) = stream.metadata.get("attributes").and_then(Value::as_object) {
            for (name, value) in values {
                if value.is_null() {
                    continue;
                }
                declare(&mut object_types, &stream.process_type, name, value);
                attributes.push(json!({
                    "name": name,
                    "time": "1970-01-01T00:00:00Z",
                    "value": ocel_value(value),
                }));
            }
        }
        let relationships: Vec<Value> = stream
            .metadata
            .get("relationships")
            .and_then(Value::as_array)
            .map(|relationships| {
                relationships
                    .iter()
                    .filter_map(|relationship| {
                        let target = relationship.get("object_id")?.as_str()?;
                        exported.contains_key(target).then(|| {
                            json!({
                                "objectId": target,
                                "qualifier": relationship.get("qualifier").and_then(Value::as_str).unwrap_or(""),
                            })
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        objects.push(json!({
            "id": stream.stream_id,
            "type": stream.process_type,
            "attributes": attributes,
            "relationships": relationships,
        }));
    }

    // The positions of the events of the exported streams, in log order.
    let mut positions: BTreeSet<u64> = BTreeSet::new();
    for stream in streams {
        let mut from = 1;
        loop {
            let page = reader.stream_positions(&stream.stream_id, from, PAGE)?;
            let Some(&(last, _)) = page.last() else {
                break;
            };
            from = last + 1;
            positions.extend(page.into_iter().map(|(_, position)| position));
        }
    }
    let total = positions.len() as u64;
    let mut event_types: Declarations = BTreeMap::new();
    let mut events = Vec::with_capacity(positions.len());
    for (index, position) in positions.into_iter().enumerate() {
        let event = reader
            .event_at(position)?
            .ok_or_else(|| StoreError::Corrupt(format!("no event at position {position}")))?;
        event_types.entry(event.event_type.clone()).or_default();
        let mut attributes = Vec::new();
        if let Some(payload) = event.payload.as_object() {
            for (name, value) in payload {
                if value.is_null() {
                    continue;
                }
                declare(&mut event_types, &event.event_type, name, value);
                attributes.push(json!({"name": name, "value": ocel_value(value)}));
            }
        }
        let mut related: Vec<&str> = vec![event.stream_id.as_str()];
        related.extend(
            event
                .other_streams
                .iter()
                .map(|other| other.stream_id.as_str()),
        );
        let relationships: Vec<Value> = related
            .into_iter()
            .filter(|object_id| exported.contains_key(object_id))
            .map(|object_id| json!({"objectId": object_id, "qualifier": qualifier(&event, object_id)}))
            .collect();
        let id = event
            .metadata
            .get("ocel_id")
            .and_then(Value::as_str)
            .map_or_else(|| event.event_id.to_string(), str::to_string);
        events.push(json!({
            "id": id,
            "type": event.event_type,
            "time": rfc3339(event.occurred_at),
            "attributes": attributes,
            "relationships": relationships,
        }));
        if index % PAGE == 0 {
            step(progress, index as u64, total)?;
        }
    }
    let mut document = Map::new();
    document.insert("objectTypes".to_string(), declarations_json(&object_types));
    document.insert("eventTypes".to_string(), declarations_json(&event_types));
    document.insert("objects".to_string(), Value::Array(objects));
    document.insert("events".to_string(), Value::Array(events));
    serde_json::to_writer(file, &Value::Object(document))
        .map_err(|error| ActionError::Export(format!("writing OCEL: {error}")))?;
    step(progress, total, total)?;
    Ok((streams.len() as u64, total))
}
