//! The forms of an OCEL log, told apart by their content (not their name):
//! OCEL 2.0 and 1.0 JSON (read by `ocel`), OCEL 2.0 XML and SQLite (read
//! through `process_mining`, the field's library), and OCEL 1.0 XML (which
//! that library does not read: a small reader of its own, `ocel1_xml`).
//!
//! Every form is turned into the same items (`ocel::Item`) that the JSON
//! reader makes, so the writer and its checks are the same for all of them.

use std::io::{BufRead, Read};
use std::path::Path;

use process_mining::core::chrono::{DateTime, FixedOffset};
use process_mining::core::event_data::object_centric::appendable::AppendableOCEL;
use process_mining::core::event_data::object_centric::io::OCELIOError;
use process_mining::core::event_data::object_centric::ocel_sql::import_ocel_sqlite_from_con;
use process_mining::core::event_data::object_centric::ocel_xml::{
    OCELImportOptions, import_ocel_xml_into,
};
use process_mining::core::event_data::object_centric::{
    OCELAttributeValue, OCELEventAttribute, OCELObjectAttribute, OCELRelationship, OCELType,
};
use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Number, Value};
use time::{Duration, OffsetDateTime, UtcOffset};

use super::ids::format_time;
use super::input::{Emitter, PositionHandle, Tracked};
use super::ocel::{self, AttributeValue, Item, event_item, object_item, object_metadata};
use super::{ImportError, InputReader, Location, ocel1_xml};

/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// A form of OCEL log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// OCEL 2.0 or 1.0 JSON.
    Json,
    /// OCEL 2.0 XML.
    Xml2,
    /// OCEL 1.0 XML.
    Xml1,
    /// OCEL 2.0 SQLite.
    Sqlite,
}

/// The form of an OCEL log from its first bytes; `None` when they are none of them.
pub(crate) fn sniff(head: &[u8]) -> Option<Form> {
    if head.starts_with(SQLITE_MAGIC) {
        return Some(Form::Sqlite);
    }
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head.iter().position(|byte| !byte.is_ascii_whitespace())?;
    match head[start] {
        b'{' => Some(Form::Json),
        b'<' => {
            let text = String::from_utf8_lossy(head);
            if ["<object-types", "<event-types", "<objects", "<events"]
                .iter()
                .any(|tag| text.contains(tag))
                && !text.contains("<global")
            {
                Some(Form::Xml2)
            } else if text.contains("<global") && text.contains("<events")
                || text.contains("ocel.version")
            {
                Some(Form::Xml1)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Reads an OCEL log of any form on the parser thread.
pub(super) fn parse(
    file: String,
    path: std::path::PathBuf,
    mut reader: InputReader,
    emitter: &mut Emitter<Item>,
) -> Result<(), ImportError> {
    let head = reader.fill_buf().map_err(|source| ImportError::Io {
        path: path.clone(),
        source,
    })?;
    let is_xml = head.trim_ascii_start().starts_with(b"<");
    match sniff(head) {
        Some(Form::Json) => ocel::parse_json(file, reader, emitter),
        Some(Form::Xml2) => parse_xml2(file, reader, emitter),
        Some(Form::Xml1) => ocel1_xml::parse(file, reader, emitter),
        Some(Form::Sqlite) => parse_sqlite(file, &path, emitter),
        None if is_xml => Err(ImportError::invalid(
            &file,
            Location::Whole,
            "not an OCEL log: XML without OCEL's elements (a XES log? import it as XES)",
        )),
        None => Err(ImportError::invalid(
            &file,
            Location::Whole,
            "not an OCEL log: neither OCEL JSON, OCEL XML nor an OCEL SQLite database",
        )),
    }
}

// ----- OCEL 2.0 XML -----------------------------------------------------------------------

/// Why the library's reader was stopped (the real error is the writer's).
const STOPPED: &str = "import stopped";

/// Receives what `process_mining`'s XML reader appends, and hands it on as items.
struct XmlSink<'f, 'e> {
    file: &'f str,
    emitter: &'e mut Emitter<Item>,
    position: PositionHandle,
    stopped: bool,
}

impl XmlSink<'_, '_> {
    fn emit(&mut self, item: Item) -> Result<(), OCELIOError> {
        if self.emitter.emit(item) {
            Ok(())
        } else {
            self.stopped = true;
            Err(OCELIOError::Other(STOPPED.to_string()))
        }
    }
}

impl AppendableOCEL for XmlSink<'_, '_> {
    type Error = OCELIOError;

    fn declare_event_type(&mut self, _event_type: OCELType) -> Result<(), Self::Error> {
        Ok(())
    }

    fn declare_object_type(&mut self, _object_type: OCELType) -> Result<(), Self::Error> {
        Ok(())
    }

    fn append_event(
        &mut self,
        id: String,
        event_type: &str,
        time: DateTime<FixedOffset>,
        attributes: Vec<OCELEventAttribute>,
        relationships: Vec<OCELRelationship>,
    ) -> Result<(), Self::Error> {
        let item = library_event(
            id,
            event_type,
            time,
            attributes,
            relationships,
            self.position.get().line(),
        )?;
        self.emit(item)
    }

    fn append_object(
        &mut self,
        id: String,
        object_type: &str,
        attributes: Vec<OCELObjectAttribute>,
        relationships: Vec<OCELRelationship>,
    ) -> Result<(), Self::Error> {
        let item = library_object(self.file, id, object_type, &attributes, &relationships);
        self.emit(item)
    }
}

/// Remembers the last bytes read, to see whether a document was cut off.
struct Tail<R> {
    inner: R,
    last: Vec<u8>,
}

const TAIL_BYTES: usize = 64;

impl<R: Read> Read for Tail<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buf)?;
        keep_tail(&mut self.last, &buf[..count]);
        Ok(count)
    }
}

/// Appends the non-blank bytes at the end of `bytes` to `last`, keeping its last [`TAIL_BYTES`].
fn keep_tail(last: &mut Vec<u8>, bytes: &[u8]) {
    let mut kept: Vec<u8> = bytes
        .iter()
        .rev()
        .filter(|byte| !byte.is_ascii_whitespace())
        .take(TAIL_BYTES)
        .copied()
        .collect();
    if kept.is_empty() {
        return;
    }
    kept.reverse();
    last.extend_from_slice(&kept);
    let excess = last.len().saturating_sub(TAIL_BYTES);
    last.drain(..excess);
}

impl<R: BufRead> BufRead for Tail<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if amount > 0
            && let Ok(buffered) = self.inner.fill_buf()
        {
            keep_tail(&mut self.last, &buffered[..amount.min(buffered.len())]);
        }
        self.inner.consume(amount);
    }
}

fn parse_xml2(
    file: String,
    reader: InputReader,
    emitter: &mut Emitter<Item>,
) -> Result<(), ImportError> {
    let (tracked, position) = Tracked::new(Tail {
        inner: reader,
        last: Vec::new(),
    });
    let mut xml = process_mining::XmlReader::from_reader(tracked);
    let mut sink = XmlSink {
        file: &file,
        emitter,
        position: position.clone(),
        stopped: false,
    };
    let options = OCELImportOptions {
        verbose: false,
        date_format: None,
    };
    // The library unwraps on some malformed structures (text where no
    // attribute is open); that is bad input, not a crash of the workbench.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        import_ocel_xml_into(&mut xml, &mut sink, options)
    }));
    if sink.stopped {
        return Ok(());
    }
    let here = position.get();
    match result {
        Ok(Ok(())) => {}
        Ok(Err(OCELIOError::Xml(error))) => {
            let at = here.at(xml.error_position());
            return Err(ImportError::invalid(
                &file,
                at,
                format!("XML error: {error}"),
            ));
        }
        Ok(Err(OCELIOError::Other(message))) if message == "No object or event types" => {
            return Err(ImportError::invalid(
                &file,
                Location::Whole,
                "not an OCEL 2.0 XML log: it declares no object or event types",
            ));
        }
        Ok(Err(error)) => {
            return Err(ImportError::invalid(&file, here.here(), error.to_string()));
        }
        Err(_) => {
            return Err(ImportError::invalid(
                &file,
                here.here(),
                "not a valid OCEL 2.0 XML log (an element where it cannot be)",
            ));
        }
    }
    // quick-xml ends quietly at the end of the input, even inside an element.
    let tail = xml.into_inner().into_inner().last;
    if !tail.ends_with(b"</log>") {
        return Err(ImportError::invalid(
            &file,
            here.here(),
            "unexpected end of input before </log> (is the file cut off?)",
        ));
    }
    Ok(())
}

// ----- OCEL 2.0 SQLite --------------------------------------------------------------------

/// Tables every OCEL 2.0 SQLite database has, with the columns the reader needs.
const REQUIRED_TABLES: [(&str, &[&str]); 6] = [
    ("event", &["ocel_id", "ocel_type"]),
    ("object", &["ocel_id", "ocel_type"]),
    (
        "event_object",
        &["ocel_event_id", "ocel_object_id", "ocel_qualifier"],
    ),
    (
        "object_object",
        &["ocel_source_id", "ocel_target_id", "ocel_qualifier"],
    ),
    ("event_map_type", &["ocel_type", "ocel_type_map"]),
    ("object_map_type", &["ocel_type", "ocel_type_map"]),
];

fn parse_sqlite(file: String, path: &Path, emitter: &mut Emitter<Item>) -> Result<(), ImportError> {
    let invalid = |message: String| ImportError::invalid(&file, Location::Whole, message);
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|error| invalid(format!("SQLite: {error}")))?;
    check_sqlite_schema(&connection).map_err(&invalid)?;
    let ocel = import_ocel_sqlite_from_con(connection)
        .map_err(|error| invalid(format!("not an OCEL 2.0 SQLite log: {error}")))?;
    for object in &ocel.objects {
        let item = library_object(
            &file,
            object.id.clone(),
            &object.object_type,
            &object.attributes,
            &object.relationships,
        );
        if !emitter.emit(item) {
            return Ok(());
        }
    }
    // The library reads events table by table (one per event type); the log's
    // order is their time order, ties in the order of the `event` table.
    let mut events = ocel.events;
    events.sort_by_key(|event| event.time);
    for event in events {
        let item = library_event(
            event.id,
            &event.event_type,
            event.time,
            event.attributes,
            event.relationships,
            Location::Whole,
        )
        .map_err(|error| invalid(error.to_string()))?;
        if !emitter.emit(item) {
            return Ok(());
        }
    }
    Ok(())
}

/// Names the first table or column an OCEL 2.0 SQLite database lacks.
fn check_sqlite_schema(connection: &Connection) -> Result<(), String> {
    for (table, columns) in REQUIRED_TABLES {
        let present =
            table_columns(connection, table).map_err(|error| format!("SQLite: {error}"))?;
        if present.is_empty() {
            return Err(format!(
                "not an OCEL 2.0 SQLite log: table {table} is missing"
            ));
        }
        if let Some(column) = columns
            .iter()
            .find(|column| !present.iter().any(|name| name == *column))
        {
            return Err(format!("table {table}: column {column} is missing"));
        }
    }
    for (map_table, prefix, time_needed) in [
        ("event_map_type", "event_", true),
        ("object_map_type", "object_", false),
    ] {
        let suffixes: Vec<String> = {
            let query = format!("SELECT ocel_type_map FROM {map_table}");
            let mut statement = connection
                .prepare(&query)
                .map_err(|error| format!("table {map_table}: {error}"))?;
            let rows = statement
                .query_map([], |row| row.get::<_, String>(0))
                .map_err(|error| format!("table {map_table}: {error}"))?;
            rows.collect::<Result<_, _>>()
                .map_err(|error| format!("table {map_table}: {error}"))?
        };
        for suffix in suffixes {
            let table = format!("{prefix}{suffix}");
            let present =
                table_columns(connection, &table).map_err(|error| format!("SQLite: {error}"))?;
            if present.is_empty() {
                return Err(format!("table {table} is missing ({map_table} names it)"));
            }
            let needed: &[&str] = if time_needed {
                &["ocel_id", "ocel_time"]
            } else {
                &["ocel_id"]
            };
            if let Some(column) = needed
                .iter()
                .find(|column| !present.iter().any(|name| name == *column))
            {
                return Err(format!("table {table}: column {column} is missing"));
            }
        }
    }
    Ok(())
}

/// The columns of a table (none when there is no such table).
fn table_columns(connection: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut statement = connection.prepare("SELECT name FROM pragma_table_info(?1)")?;
    let rows = statement.query_map([table], |row| row.get::<_, String>(0))?;
    rows.collect()
}

// ----- from the library's records ---------------------------------------------------------

fn library_event(
    id: String,
    event_type: &str,
    time: DateTime<FixedOffset>,
    attributes: Vec<OCELEventAttribute>,
    relationships: Vec<OCELRelationship>,
    at: Location,
) -> Result<Item, OCELIOError> {
    let Some(occurred_at) = offset_time(&time) else {
        return Err(OCELIOError::Other(format!(
            "event '{id}': time {time} is out of range"
        )));
    };
    let payload: Map<String, Value> = attributes
        .into_iter()
        .map(|attribute| (attribute.name, json_value(&attribute.value)))
        .collect();
    let relationships = relationships
        .into_iter()
        .map(|relationship| (relationship.object_id, Some(relationship.qualifier)))
        .collect();
    Ok(event_item(
        id,
        event_type.to_string(),
        occurred_at,
        payload,
        relationships,
        at,
    ))
}

fn library_object(
    file: &str,
    id: String,
    object_type: &str,
    attributes: &[OCELObjectAttribute],
    relationships: &[OCELRelationship],
) -> Item {
    let values: Vec<(Value, String)> = attributes
        .iter()
        .map(|attribute| {
            let time = offset_time(&attribute.time)
                .map_or_else(|| attribute.time.to_rfc3339(), format_time);
            (json_value(&attribute.value), time)
        })
        .collect();
    let changes: Vec<AttributeValue<'_>> = attributes
        .iter()
        .zip(&values)
        .map(|(attribute, (value, time))| AttributeValue {
            name: &attribute.name,
            time: Some(time),
            value,
        })
        .collect();
    let relationships: Vec<(String, Option<String>)> = relationships
        .iter()
        .map(|relationship| {
            (
                relationship.object_id.clone(),
                Some(relationship.qualifier.clone()),
            )
        })
        .collect();
    let metadata = object_metadata(&changes, &relationships);
    object_item(file, id, object_type.to_string(), metadata)
}

/// A chrono time as a `time` one, keeping its offset.
fn offset_time(time: &DateTime<FixedOffset>) -> Option<OffsetDateTime> {
    let utc = OffsetDateTime::from_unix_timestamp(time.timestamp()).ok()?
        + Duration::nanoseconds(i64::from(time.timestamp_subsec_nanos()));
    let offset = UtcOffset::from_whole_seconds(time.offset().local_minus_utc()).ok()?;
    Some(utc.to_offset(offset))
}

/// An OCEL attribute value as JSON: numbers, booleans and strings as such,
/// times as RFC 3339 text.
fn json_value(value: &OCELAttributeValue) -> Value {
    match value {
        OCELAttributeValue::Integer(number) => Value::from(*number),
        OCELAttributeValue::Float(number) => {
            Number::from_f64(*number).map_or(Value::Null, Value::Number)
        }
        OCELAttributeValue::Boolean(flag) => Value::Bool(*flag),
        OCELAttributeValue::Time(time) => {
            Value::String(offset_time(time).map_or_else(|| time.to_rfc3339(), format_time))
        }
        OCELAttributeValue::String(text) => Value::String(text.clone()),
        OCELAttributeValue::Null => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_told_apart_by_content() {
        assert_eq!(sniff(b"  {\"objectTypes\": []"), Some(Form::Json));
        assert_eq!(sniff(b"SQLite format 3\0rest"), Some(Form::Sqlite));
        assert_eq!(
            sniff(b"<?xml version='1.0'?>\n<log>\n<object-types>"),
            Some(Form::Xml2)
        );
        assert_eq!(
            sniff(b"<?xml version='1.0'?>\n<log>\n<global scope=\"event\"></global><events>"),
            Some(Form::Xml1)
        );
        assert_eq!(sniff(b"<log xes.version=\"1.0\"><trace>"), None);
        assert_eq!(sniff(b"case,activity"), None);
    }
}
