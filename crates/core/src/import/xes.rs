//! XES (IEEE 1849) logs, plain or gzip-compressed, read with quick-xml one
//! trace at a time: memory is bounded by the largest trace.
//!
//! A trace becomes a stream whose id is the trace's `concept:name` (`#2`,
//! `#3` … appended on a clash, `trace-N` when it has none); its attributes go
//! to the stream's metadata. An event's type is its `concept:name`, its time
//! its `time:timestamp`, its payload every attribute as JSON: string and id as
//! strings, date as RFC 3339 text, int and float as numbers, boolean as a
//! boolean, list as an array of its values, container as an object, and an
//! attribute with nested attributes as `{"value": …, "children": {…}}`.
//! Events keep the order of the file (pm4py's `read_xes` keeps it too, so
//! variants agree with pm4py). A log records order, not cause: the import
//! invents no causation or correlation between a trace's events, whose stream
//! already says all the log knows of them.

use std::collections::HashSet;

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use serde_json::{Map, Number, Value, json};
use time::{OffsetDateTime, UtcOffset};

use super::ids::{IdSpace, format_time, parse_time_in};
use super::input::{Emitter, PositionHandle, Tracked, Tracker, pipeline};
use super::{
    Context, Format, ImportError, ImportReport, InputReader, Location, existing_has, new_stream,
    unique_stream_id,
};
use crate::store::{Event, PreparedEvent, StoreError, StoreReader, StoreWriter, StreamInfo};

/// Attributes nested deeper than this are refused (they would only come from
/// a broken or hostile file, and deep JSON is slow to write and to drop).
const MAX_DEPTH: usize = 64;
/// Traces handed to the writer at a time.
const TRACES_PER_BATCH: usize = 64;

/// What the parser hands to the writer.
enum Item {
    /// A trace as read (when only checking the log).
    Trace(Trace),
    /// A trace made ready for the store (when importing).
    Prepared(PreparedTrace),
    /// Traces without events and events outside any trace (left out, counted).
    Skipped(u64),
}

/// One trace, complete.
struct Trace {
    /// 1-based position of the trace in the file.
    index: u64,
    name: Option<String>,
    attributes: Map<String, Value>,
    events: Vec<TraceEvent>,
}

struct TraceEvent {
    event_type: String,
    occurred_at: OffsetDateTime,
    payload: Map<String, Value>,
}

/// A trace ready for the store: its stream record (before its events) and its events.
struct PreparedTrace {
    stream: StreamInfo,
    events: Vec<PreparedEvent>,
}

/// Imports a XES log into the transaction of `writer`. `existing` is a snapshot
/// of the store before the import (`None` for a new store): new stream ids
/// are kept apart from the ones in it.
pub(super) fn import(
    writer: &mut StoreWriter,
    existing: Option<&StoreReader>,
    context: &Context,
    reader: InputReader,
    tracker: &mut Tracker<'_>,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::empty(Format::Xes, context.stem.clone());
    let preparer = TracePreparer {
        context,
        existing,
        log_name: None,
        event_ids: None,
        used: HashSet::new(),
        next_position: writer.next_position()?,
        events: 0,
    };
    pipeline(
        Format::Xes,
        TRACES_PER_BATCH,
        tracker,
        move |emitter| {
            Parser::new(
                context.file.clone(),
                context.utc_offset,
                reader,
                Some(preparer),
            )
            .run(emitter)
        },
        |item, tracker| match item {
            Item::Prepared(PreparedTrace { mut stream, events }) => {
                let count = events.len() as u64;
                writer.insert_prepared(&mut stream, &events)?;
                writer.put_stream(&stream)?;
                report.streams += 1;
                report.events += count;
                if report.streams == 1 {
                    report.process_type = stream.process_type;
                }
                tracker.events_written(count)
            }
            Item::Skipped(count) => {
                report.skipped += count;
                Ok(())
            }
            Item::Trace(_) => Err(ImportError::ReaderFailed(Format::Xes)),
        },
    )?;
    Ok(report)
}

/// Reads the whole log, making every check [`import`] makes, writing nothing.
pub(super) fn check(
    context: &Context,
    reader: InputReader,
    tracker: &mut Tracker<'_>,
) -> Result<(), ImportError> {
    let (file, utc_offset) = (context.file.clone(), context.utc_offset);
    pipeline(
        Format::Xes,
        TRACES_PER_BATCH,
        tracker,
        move |emitter| Parser::new(file, utc_offset, reader, None).run(emitter),
        |item, tracker| match item {
            Item::Trace(trace) => tracker.events_written(trace.events.len() as u64),
            Item::Prepared(_) | Item::Skipped(_) => Ok(()),
        },
    )
}

// ----- preparing --------------------------------------------------------------------------

/// Makes traces ready for the store on the parser thread: stream ids, event
/// ids, positions, versions and the events' JSON, so that the writer thread
/// only inserts (the store's bulk path, see `store::write`).
struct TracePreparer<'a> {
    context: &'a Context,
    existing: Option<&'a StoreReader>,
    /// The log's `concept:name`, when it came before the first trace.
    log_name: Option<String>,
    /// The event ids of this import, fixed at the first trace with the
    /// process type of the streams.
    event_ids: Option<(IdSpace, String)>,
    /// Stream ids given out by this import.
    used: HashSet<String>,
    next_position: u64,
    events: u64,
}

impl TracePreparer<'_> {
    fn event_ids(&mut self) -> (IdSpace, String) {
        if let Some(event_ids) = &self.event_ids {
            return event_ids.clone();
        }
        let process_type = match &self.log_name {
            Some(name) if !name.trim().is_empty() => name.clone(),
            _ => self.context.stem.clone(),
        };
        let salt = self.context.salt.to_le_bytes();
        let event_ids = IdSpace::new(&[b"xes", b"event", process_type.as_bytes(), &salt]);
        self.event_ids = Some((event_ids, process_type.clone()));
        (event_ids, process_type)
    }

    /// The trace as the store keeps it; `None` for a trace without events.
    fn prepare(&mut self, trace: Trace) -> Result<Option<PreparedTrace>, StoreError> {
        if trace.events.is_empty() {
            return Ok(None);
        }
        let (event_ids, process_type) = self.event_ids();
        let base = match trace.name {
            Some(name) if !name.is_empty() => name,
            _ => format!("trace-{}", trace.index),
        };
        let existing = self.existing;
        let stream_id = unique_stream_id(&mut self.used, &base, |id| existing_has(existing, id))?;
        let stream = new_stream(
            stream_id,
            process_type,
            None,
            json!({
                "source": {"format": "xes", "file": self.context.file},
                "attributes": Value::Object(trace.attributes),
            }),
        );
        let mut events = Vec::with_capacity(trace.events.len());
        for (version, event) in (1..).zip(trace.events) {
            self.events += 1;
            events.push(PreparedEvent::new(Event {
                event_id: event_ids.id(self.events),
                stream_id: stream.stream_id.clone(),
                version,
                position: self.next_position,
                event_type: event.event_type,
                occurred_at: event.occurred_at,
                // A log has no recording time; the event's own time keeps imports reproducible.
                recorded_at: event.occurred_at,
                correlation_id: None,
                causation_id: None,
                other_causes: Vec::new(),
                other_streams: Vec::new(),
                payload: Value::Object(event.payload),
                metadata: Value::Null,
            })?);
            self.next_position += 1;
        }
        Ok(Some(PreparedTrace { stream, events }))
    }
}

// ----- parsing ----------------------------------------------------------------------------

/// XES attribute types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Date,
    Int,
    Float,
    Boolean,
    Id,
    List,
    Container,
}

impl Kind {
    fn of(element: &str) -> Option<Kind> {
        Some(match element {
            "string" => Kind::String,
            "date" => Kind::Date,
            "int" => Kind::Int,
            "float" => Kind::Float,
            "boolean" => Kind::Boolean,
            "id" => Kind::Id,
            "list" => Kind::List,
            "container" => Kind::Container,
            _ => return None,
        })
    }
}

/// An attribute being read.
struct Frame {
    kind: Kind,
    key: Option<String>,
    raw: Option<String>,
    children: Vec<(String, Value)>,
}

/// A finished attribute.
struct Attribute {
    key: String,
    value: Value,
    /// The raw text of its value (for `concept:name` and `time:timestamp`).
    raw: Option<String>,
    /// Its time, when it is a date that could be read.
    date: Option<OffsetDateTime>,
}

/// An event being read.
struct EventBuilder {
    line: Location,
    payload: Map<String, Value>,
    event_type: Option<String>,
    timestamp: Option<String>,
    time: Option<OffsetDateTime>,
}

/// Open elements.
enum Node {
    Log,
    Trace,
    Event,
    Attribute(Frame),
    /// `<values>` of a list (XES 2.0 writes list items inside it).
    Values,
    /// An element whose content is not needed.
    Skip,
}

struct Parser<'a> {
    file: String,
    /// The offset of times written without one.
    utc_offset: UtcOffset,
    /// Present when importing: traces are handed over ready for the store.
    preparer: Option<TracePreparer<'a>>,
    reader: Reader<Tracked<InputReader>>,
    position: PositionHandle,
    stack: Vec<Node>,
    seen_root: bool,
    traces: u64,
    trace: Option<Trace>,
    event: Option<EventBuilder>,
    events_in_trace: u64,
    /// The number of attributes of the last event.
    payload_size: usize,
}

impl<'a> Parser<'a> {
    fn new(
        file: String,
        utc_offset: UtcOffset,
        reader: InputReader,
        preparer: Option<TracePreparer<'a>>,
    ) -> Self {
        let (tracked, position) = Tracked::new(reader);
        let mut reader = Reader::from_reader(tracked);
        reader.config_mut().trim_text(true);
        Parser {
            file,
            utc_offset,
            preparer,
            reader,
            position,
            stack: Vec::new(),
            seen_root: false,
            traces: 0,
            trace: None,
            event: None,
            events_in_trace: 0,
            payload_size: 0,
        }
    }

    fn invalid(&self, at: Location, message: impl Into<String>) -> ImportError {
        ImportError::Invalid {
            file: self.file.clone(),
            at,
            message: message.into(),
        }
    }

    fn here(&self) -> Location {
        self.position.get().line()
    }

    fn run(mut self, emitter: &mut Emitter<Item>) -> Result<(), ImportError> {
        let mut buf = Vec::with_capacity(1024);
        loop {
            buf.clear();
            let event = match self.reader.read_event_into(&mut buf) {
                Ok(event) => event,
                Err(error) => {
                    let at = self.position.get().at(self.reader.error_position());
                    let message = match error {
                        quick_xml::Error::Io(source) => format!("read error: {source}"),
                        other => format!("XML error: {other}"),
                    };
                    return Err(self.invalid(at, message));
                }
            };
            match event {
                XmlEvent::Start(element) => self.start(&element, false, emitter)?,
                XmlEvent::Empty(element) => self.start(&element, true, emitter)?,
                XmlEvent::End(_) => self.end(emitter)?,
                XmlEvent::Text(text) if !self.seen_root && !text.trim_ascii().is_empty() => {
                    return Err(self.invalid(
                        self.here(),
                        "not a XES log: text before the <log> element (is this XML?)",
                    ));
                }
                XmlEvent::Eof => break,
                _ => {}
            }
            if !emitter.is_open() {
                return Ok(());
            }
        }
        if let Some(open) = self.stack.last() {
            let name = match open {
                Node::Log => "log",
                Node::Trace => "trace",
                Node::Event => "event",
                Node::Attribute(_) | Node::Values => "attribute",
                Node::Skip => "element",
            };
            return Err(self.invalid(
                self.position.get().here(),
                format!("unexpected end of input inside <{name}> (is the file cut off?)"),
            ));
        }
        if !self.seen_root {
            return Err(self.invalid(Location::Whole, "not a XES log: no <log> element"));
        }
        Ok(())
    }

    fn start(
        &mut self,
        element: &BytesStart<'_>,
        empty: bool,
        emitter: &mut Emitter<Item>,
    ) -> Result<(), ImportError> {
        let name = element.local_name();
        let name = name.as_ref();
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.invalid(
                self.here(),
                format!("elements nested more than {MAX_DEPTH} deep"),
            ));
        }
        let node = match self.stack.last() {
            None if self.seen_root => Node::Skip,
            None => {
                if name != "log" {
                    return Err(self.invalid(
                        self.here(),
                        format!("not a XES log: the root element is <{name}>, not <log>"),
                    ));
                }
                self.seen_root = true;
                Node::Log
            }
            Some(Node::Log) => match name {
                "trace" => {
                    self.traces += 1;
                    self.events_in_trace = 0;
                    self.trace = Some(Trace {
                        index: self.traces,
                        name: None,
                        attributes: Map::new(),
                        events: Vec::new(),
                    });
                    Node::Trace
                }
                "event" => {
                    if !emitter.emit(Item::Skipped(1)) {
                        return Ok(());
                    }
                    Node::Skip
                }
                // Of the log's own attributes only its name is kept.
                _ => match Kind::of(name) {
                    Some(kind) => {
                        let frame = self.frame(kind, element)?;
                        if frame.key.as_deref() == Some("concept:name") {
                            Node::Attribute(frame)
                        } else {
                            Node::Skip
                        }
                    }
                    None => Node::Skip,
                },
            },
            Some(Node::Trace) => match name {
                "event" => {
                    self.events_in_trace += 1;
                    self.event = Some(EventBuilder {
                        line: self.here(),
                        // Events of a log have about as many attributes as
                        // the one before: the map is made that big at once.
                        payload: Map::with_capacity(self.payload_size),
                        event_type: None,
                        timestamp: None,
                        time: None,
                    });
                    Node::Event
                }
                _ => self.attribute_or_skip(name, element)?,
            },
            Some(Node::Event) | Some(Node::Values) => self.attribute_or_skip(name, element)?,
            Some(Node::Attribute(frame)) => {
                if name == "values" && frame.kind == Kind::List {
                    Node::Values
                } else {
                    self.attribute_or_skip(name, element)?
                }
            }
            Some(Node::Skip) => Node::Skip,
        };
        self.stack.push(node);
        if empty {
            self.end(emitter)?;
        }
        Ok(())
    }

    fn attribute_or_skip(&self, name: &str, element: &BytesStart<'_>) -> Result<Node, ImportError> {
        Ok(match Kind::of(name) {
            Some(kind) => Node::Attribute(self.frame(kind, element)?),
            None => Node::Skip,
        })
    }

    /// Reads the `key` and `value` of an attribute element.
    fn frame(&self, kind: Kind, element: &BytesStart<'_>) -> Result<Frame, ImportError> {
        let mut frame = Frame {
            kind,
            key: None,
            raw: None,
            children: Vec::new(),
        };
        // Duplicate `key`/`value` attributes are not worth a check per element:
        // the last one wins.
        for attribute in element.attributes().with_checks(false) {
            let attribute = attribute
                .map_err(|error| self.invalid(self.here(), format!("XML error: {error}")))?;
            let target = match attribute.key.local_name().as_ref() {
                "key" => &mut frame.key,
                "value" => &mut frame.raw,
                _ => continue,
            };
            let value = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|error| self.invalid(self.here(), format!("XML error: {error}")))?;
            *target = Some(value.into_owned());
        }
        Ok(frame)
    }

    fn end(&mut self, emitter: &mut Emitter<Item>) -> Result<(), ImportError> {
        let Some(node) = self.stack.pop() else {
            return Ok(());
        };
        match node {
            Node::Attribute(frame) => {
                let in_list = matches!(self.stack.last(), Some(Node::Values))
                    || matches!(self.stack.last(), Some(Node::Attribute(parent)) if parent.kind == Kind::List);
                let attribute = self.finish_attribute(frame, in_list)?;
                self.attach(attribute);
            }
            Node::Event => self.finish_event()?,
            Node::Trace => {
                if let Some(trace) = self.trace.take() {
                    let item = match &mut self.preparer {
                        None => Item::Trace(trace),
                        Some(preparer) => match preparer.prepare(trace)? {
                            Some(prepared) => Item::Prepared(prepared),
                            None => Item::Skipped(1),
                        },
                    };
                    emitter.emit(item);
                }
            }
            Node::Log | Node::Values | Node::Skip => {}
        }
        Ok(())
    }

    fn finish_attribute(&self, frame: Frame, in_list: bool) -> Result<Attribute, ImportError> {
        let key = match frame.key {
            Some(key) => key,
            // List items are positional; their keys carry nothing.
            None if in_list => String::new(),
            None => {
                return Err(self.invalid(self.here(), "an attribute has no key"));
            }
        };
        let mut date = None;
        let mut raw = frame.raw;
        let value = match frame.kind {
            Kind::List => Value::Array(frame.children.into_iter().map(|(_, v)| v).collect()),
            Kind::Container => Value::Object(frame.children.into_iter().collect()),
            kind => {
                let value = match kind {
                    // Text that is needed only as the value moves into it
                    // (most of a log's attributes) instead of being copied.
                    Kind::String | Kind::Id if !is_read_raw(&key) => {
                        raw.take().map_or(Value::Null, Value::String)
                    }
                    kind => match &raw {
                        None => Value::Null,
                        Some(raw) => {
                            let (value, parsed) = typed(kind, raw, self.utc_offset);
                            date = parsed;
                            value
                        }
                    },
                };
                if frame.children.is_empty() {
                    value
                } else {
                    json!({
                        "value": value,
                        "children": Value::Object(frame.children.into_iter().collect()),
                    })
                }
            }
        };
        Ok(Attribute {
            key,
            value,
            raw,
            date,
        })
    }

    /// Hands a finished attribute to the element it belongs to.
    fn attach(&mut self, attribute: Attribute) {
        let depth = self.stack.len();
        let owner = match self.stack.last() {
            Some(Node::Values) if depth >= 2 => depth - 2,
            _ if depth >= 1 => depth - 1,
            _ => return,
        };
        match &mut self.stack[owner] {
            Node::Log => {
                if attribute.key == "concept:name"
                    && self.traces == 0
                    && let Some(preparer) = &mut self.preparer
                {
                    preparer.log_name = attribute.raw;
                }
            }
            Node::Trace => {
                if let Some(trace) = &mut self.trace {
                    if attribute.key == "concept:name" {
                        trace.name = attribute.raw;
                    }
                    trace.attributes.insert(attribute.key, attribute.value);
                }
            }
            Node::Event => {
                if let Some(event) = &mut self.event {
                    match attribute.key.as_str() {
                        "concept:name" => event.event_type = attribute.raw,
                        "time:timestamp" => {
                            event.timestamp = attribute.raw;
                            event.time = attribute.date;
                        }
                        _ => {}
                    }
                    event.payload.insert(attribute.key, attribute.value);
                }
            }
            Node::Attribute(parent) => parent.children.push((attribute.key, attribute.value)),
            Node::Values | Node::Skip => {}
        }
    }

    fn finish_event(&mut self) -> Result<(), ImportError> {
        let Some(event) = self.event.take() else {
            return Ok(());
        };
        let Some(trace) = &self.trace else {
            return Ok(());
        };
        // Made only for a message: every event passes here.
        let label = || match &trace.name {
            Some(name) => format!("trace '{name}'"),
            None => format!("trace {}", trace.index),
        };
        let ordinal = self.events_in_trace;
        let Some(event_type) = event.event_type else {
            return Err(self.invalid(
                event.line,
                format!("missing concept:name in event {ordinal} of {}", label()),
            ));
        };
        let occurred_at = match (event.time, &event.timestamp) {
            (Some(time), _) => time,
            (None, Some(raw)) => parse_time_in(raw, self.utc_offset).ok_or_else(|| {
                self.invalid(
                    event.line,
                    format!(
                        "time:timestamp '{raw}' of event {ordinal} of {} is not a date",
                        label()
                    ),
                )
            })?,
            (None, None) => {
                return Err(self.invalid(
                    event.line,
                    format!("missing time:timestamp in event {ordinal} of {}", label()),
                ));
            }
        };
        self.payload_size = event.payload.len();
        if let Some(trace) = &mut self.trace {
            trace.events.push(TraceEvent {
                event_type,
                occurred_at,
                payload: event.payload,
            });
        }
        Ok(())
    }
}

/// Whether the raw text of an attribute of this key is read (besides its
/// value): the names of logs, traces and events, and the events' times.
fn is_read_raw(key: &str) -> bool {
    matches!(key, "concept:name" | "time:timestamp")
}

/// The JSON value of a scalar XES attribute, and its time when it is a date
/// (one written without an offset taken at `utc_offset`). A value that does
/// not read as its declared type is kept as text.
fn typed(kind: Kind, raw: &str, utc_offset: UtcOffset) -> (Value, Option<OffsetDateTime>) {
    let text = || Value::String(raw.to_string());
    let value = match kind {
        Kind::Int => raw
            .trim()
            .parse::<i64>()
            .map_or_else(|_| text(), Value::from),
        Kind::Float => raw
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or_else(text, Value::Number),
        Kind::Boolean => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => text(),
        },
        Kind::Date => {
            return match parse_time_in(raw, utc_offset) {
                Some(at) => (Value::String(format_time(at)), Some(at)),
                None => (text(), None),
            };
        }
        Kind::String | Kind::Id | Kind::List | Kind::Container => text(),
    };
    (value, None)
}
