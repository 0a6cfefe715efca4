//! The forms of an OCEL log, told apart by their content (not their name):
//! OCEL 2.0 and 1.0 JSON (read by `ocel`), OCEL 2.0 XML and SQLite (read
//! through `process_mining`, the field's library), and OCEL 1.0 XML (which
//! that library does not read: a small reader of its own, `ocel1_xml`).
//!
//! Every form is turned into the same items (`ocel::Item`) that the JSON
//! reader makes, so the writer and its checks are the same for all of them.
//!
//! The library reads a time written without an offset as UTC and does not
//! say which times were so written; the import reads them at its own offset
//! (`Context::utc_offset`). So the text of each time is read here too — the
//! XML the library consumed for each record, the SQLite columns — and a time
//! written without an offset is read again at the import's offset.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Read};
use std::path::Path;
use std::rc::Rc;

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
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Number, Value};
use time::{Duration, OffsetDateTime, UtcOffset};

use super::ids::{WrittenTime, format_time, read_time};
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

/// What reads `reader`, an OCEL log in any form, into items for
/// `ocel::import` and `ocel::check` (on their parser thread).
pub(super) fn reading(
    context: &super::Context,
    reader: InputReader,
) -> impl FnOnce(&mut Emitter<Item>) -> Result<(), ImportError> + Send + use<> {
    let (file, path, offset) = (
        context.file.clone(),
        context.path.clone(),
        context.utc_offset,
    );
    move |emitter| parse(file, path, offset, reader, emitter)
}

/// Reads an OCEL log of any form: the form is found from its first bytes.
fn parse(
    file: String,
    path: std::path::PathBuf,
    offset: UtcOffset,
    mut reader: InputReader,
    emitter: &mut Emitter<Item>,
) -> Result<(), ImportError> {
    let head = reader.fill_buf().map_err(|source| ImportError::Io {
        path: path.clone(),
        source,
    })?;
    let is_xml = head.trim_ascii_start().starts_with(b"<");
    match sniff(head) {
        Some(Form::Json) => ocel::parse_json(file, offset, reader, emitter),
        Some(Form::Xml2) => parse_xml2(file, offset, reader, emitter),
        Some(Form::Xml1) => ocel1_xml::parse(file, offset, reader, emitter),
        Some(Form::Sqlite) => parse_sqlite(file, &path, offset, emitter),
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

/// The bytes the XML reader consumed since the last record was handed over.
type Consumed = Rc<RefCell<Vec<u8>>>;

/// Receives what `process_mining`'s XML reader appends, and hands it on as items.
struct XmlSink<'f, 'e> {
    file: &'f str,
    offset: UtcOffset,
    emitter: &'e mut Emitter<Item>,
    position: PositionHandle,
    /// The XML of the record being handed over (and what came before it since
    /// the last one), to read the text of its times.
    consumed: Consumed,
    stopped: bool,
}

impl XmlSink<'_, '_> {
    /// The times written in the XML of the record the library hands over now.
    fn written(&self) -> WrittenXml {
        let xml = std::mem::take(&mut *self.consumed.borrow_mut());
        written_xml(&xml)
    }

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
        self.consumed.borrow_mut().clear();
        Ok(())
    }

    fn declare_object_type(&mut self, _object_type: OCELType) -> Result<(), Self::Error> {
        self.consumed.borrow_mut().clear();
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
        let written = self.written();
        written.check_values(
            &format!("event '{id}'"),
            attributes
                .iter()
                .map(|attribute| (attribute.name.as_str(), &attribute.value)),
        )?;
        let item = library_event(
            id,
            event_type,
            time,
            attributes,
            relationships,
            (written.event_time.as_deref(), self.offset),
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
        let written = self.written();
        let at = self.position.get().line();
        // The library leaves out an attribute whose time it cannot read.
        if written.attributes.len() > attributes.len() {
            let unread = written
                .attributes
                .iter()
                .find(|(_, time)| read_time(time).is_none())
                .map_or_else(
                    || "an attribute".to_string(),
                    |(name, time)| format!("attribute '{name}' (time '{time}')"),
                );
            return Err(OCELIOError::Other(format!(
                "object '{id}': {unread} could not be read"
            )));
        }
        written.check_values(
            &format!("object '{id}'"),
            attributes
                .iter()
                .map(|attribute| (attribute.name.as_str(), &attribute.value)),
        )?;
        let item = library_object(
            self.file,
            id,
            object_type,
            &attributes,
            &relationships,
            (&written.attributes, self.offset),
            at,
        );
        self.emit(item)
    }
}

/// The times and values written in the XML of one record.
#[derive(Default)]
struct WrittenXml {
    /// The `time` of an `<event>`.
    event_time: Option<String>,
    /// The `name` and `time` of each `<attribute>` of an `<object>`, in order.
    attributes: Vec<(String, String)>,
    /// The `name` and text of each `<attribute>` of the record that has a
    /// value, in order.
    values: Vec<(String, String)>,
}

impl WrittenXml {
    /// Refuses a value the library read as nothing although the log writes
    /// one: it did not read as the type its attribute declares (the library
    /// would keep it as null, and say so only on stderr).
    fn check_values<'a>(
        &self,
        record: &str,
        read: impl Iterator<Item = (&'a str, &'a OCELAttributeValue)>,
    ) -> Result<(), OCELIOError> {
        let mut written = self.values.iter();
        for (name, value) in read {
            let text = written
                .by_ref()
                .find(|(written_name, _)| written_name == name)
                .map(|(_, text)| text.trim());
            if let (OCELAttributeValue::Null, Some(text)) = (value, text)
                && !text.is_empty()
            {
                return Err(OCELIOError::Other(format!(
                    "{record}: attribute '{name}' has the value '{text}', which is not of the type the log declares for it"
                )));
            }
        }
        Ok(())
    }
}

/// Reads the times of the record in `xml`: the bytes the library consumed
/// since the record before, which end with this record's closing tag.
fn written_xml(xml: &[u8]) -> WrittenXml {
    let mut written = WrittenXml::default();
    // The bytes start after the record before: end tags of what encloses it
    // may come first, which a reader of XML refuses. So from its start tag on.
    let record_start = (0..xml.len()).find(|&start| {
        ["<event", "<object"].iter().any(|tag| {
            xml[start..].starts_with(tag.as_bytes())
                && xml
                    .get(start + tag.len())
                    .is_some_and(|next| next.is_ascii_whitespace() || b"/>".contains(next))
        })
    });
    let Some(record_start) = record_start else {
        return written;
    };
    let mut reader = quick_xml::Reader::from_reader(&xml[record_start..]);
    let mut in_object = false;
    // The name of the `<attribute>` whose text comes next.
    let mut open_attribute: Option<String> = None;
    let mut buf = Vec::new();
    loop {
        let (element, empty) = match reader.read_event_into(&mut buf) {
            Ok(XmlEvent::Start(element)) => (element, false),
            Ok(XmlEvent::Empty(element)) => (element, true),
            Ok(XmlEvent::Text(text)) => {
                if let Some(name) = open_attribute.take() {
                    written
                        .values
                        .push((name, text.xml10_content().into_owned()));
                }
                buf.clear();
                continue;
            }
            Ok(XmlEvent::Eof) | Err(_) => break,
            Ok(_) => {
                open_attribute = None;
                buf.clear();
                continue;
            }
        };
        if element.name().as_ref() == "attribute" && !empty {
            open_attribute = xml_attribute(&element, "name");
        }
        match element.name().as_ref() {
            "event" if written.event_time.is_none() && !in_object => {
                written.event_time = xml_attribute(&element, "time");
            }
            "object" if !in_object => in_object = true,
            "attribute" if in_object => {
                if let Some(time) = xml_attribute(&element, "time") {
                    let name = xml_attribute(&element, "name").unwrap_or_default();
                    written.attributes.push((name, time));
                }
            }
            _ => {}
        }
        buf.clear();
    }
    written
}

/// The value of the attribute `key` of an XML element.
fn xml_attribute(element: &BytesStart<'_>, key: &str) -> Option<String> {
    element
        .attributes()
        .with_checks(false)
        .flatten()
        .find(|attribute| attribute.key.local_name().as_ref() == key)
        .and_then(|attribute| {
            attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(|value| value.into_owned())
        })
}

/// Remembers the last bytes read, to see whether a document was cut off, and
/// every byte consumed since the sink last took them ([`Consumed`]).
struct Tail<R> {
    inner: R,
    last: Vec<u8>,
    consumed: Consumed,
}

const TAIL_BYTES: usize = 64;

impl<R: Read> Read for Tail<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buf)?;
        keep_tail(&mut self.last, &buf[..count]);
        self.consumed.borrow_mut().extend_from_slice(&buf[..count]);
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
            let taken = &buffered[..amount.min(buffered.len())];
            keep_tail(&mut self.last, taken);
            self.consumed.borrow_mut().extend_from_slice(taken);
        }
        self.inner.consume(amount);
    }
}

fn parse_xml2(
    file: String,
    offset: UtcOffset,
    reader: InputReader,
    emitter: &mut Emitter<Item>,
) -> Result<(), ImportError> {
    let consumed = Consumed::default();
    let (tracked, position) = Tracked::new(Tail {
        inner: reader,
        last: Vec::new(),
        consumed: consumed.clone(),
    });
    let mut xml = process_mining::XmlReader::from_reader(tracked);
    let mut sink = XmlSink {
        file: &file,
        offset,
        emitter,
        position: position.clone(),
        consumed,
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
        // The sink's own refusals.
        Ok(Err(OCELIOError::Other(message))) => {
            return Err(ImportError::invalid(&file, here.here(), message));
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

fn parse_sqlite(
    file: String,
    path: &Path,
    offset: UtcOffset,
    emitter: &mut Emitter<Item>,
) -> Result<(), ImportError> {
    let invalid = |message: String| ImportError::invalid(&file, Location::Whole, message);
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|error| invalid(format!("SQLite: {error}")))?;
    check_sqlite_schema(&connection).map_err(&invalid)?;
    let written = SqliteWritten::read(&connection).map_err(&invalid)?;
    // The library leaves such relations out with a line on stderr: refuse them first.
    written.check_relations(&connection).map_err(&invalid)?;
    written.check_value_types(&connection).map_err(&invalid)?;
    let ocel = import_ocel_sqlite_from_con(connection)
        .map_err(|error| invalid(format!("not an OCEL 2.0 SQLite log: {error}")))?;
    written.check_all_read(&ocel).map_err(&invalid)?;
    // The library gives objects and events in no fixed order: the log's
    // order is that of the `object` and `event` tables.
    let mut objects = ocel.objects;
    objects.sort_by(|a, b| {
        (written.object_rank(&a.id), &a.id).cmp(&(written.object_rank(&b.id), &b.id))
    });
    for object in &objects {
        let no_times = Vec::new();
        let times = written.attribute_times.get(&object.id).unwrap_or(&no_times);
        let item = library_object(
            &file,
            object.id.clone(),
            &object.object_type,
            &object.attributes,
            &object.relationships,
            (times, offset),
            Location::Whole,
        );
        if !emitter.emit(item) {
            return Ok(());
        }
    }
    // Events in time order (as read at the import's offset), ties in the order of the `event` table.
    let mut events: Vec<(OffsetDateTime, usize, _)> = Vec::with_capacity(ocel.events.len());
    for event in ocel.events {
        let Some(library_time) = offset_time(&event.time) else {
            return Err(invalid(format!(
                "event '{}': time {} is out of range",
                event.id, event.time
            )));
        };
        let written_time = written.event_times.get(&event.id).map(String::as_str);
        let time = as_written(library_time, written_time, offset);
        events.push((time, written.event_rank(&event.id), event));
    }
    events.sort_by(|a, b| (a.0, a.1, &a.2.id).cmp(&(b.0, b.1, &b.2.id)));
    for (time, _, event) in events {
        let item = event_item(
            event.id,
            event.event_type,
            time,
            event_payload(event.attributes),
            event_relationships(event.relationships),
            Location::Whole,
        );
        if !emitter.emit(item) {
            return Ok(());
        }
    }
    Ok(())
}

/// What an OCEL 2.0 SQLite database holds that the library does not tell:
/// the text of its times, the order of its tables, which rows there are.
#[derive(Default)]
struct SqliteWritten {
    /// Event id → the table it is in (an `event_<type>` table).
    events: HashMap<String, String>,
    /// Object id → the table it is in (an `object_<type>` table).
    objects: HashMap<String, String>,
    /// Event id → its time as text (when the database holds text).
    event_times: HashMap<String, String>,
    /// Object id → (changed attribute, its time as text), in table order.
    attribute_times: HashMap<String, Vec<(String, String)>>,
    /// Event ids and object ids in the order of the `event` and `object` tables.
    event_order: HashMap<String, usize>,
    object_order: HashMap<String, usize>,
}

impl SqliteWritten {
    fn read(connection: &Connection) -> Result<Self, String> {
        let mut written = SqliteWritten::default();
        for suffix in type_suffixes(connection, "event_map_type")? {
            let table = format!("event_{suffix}");
            let query = format!("SELECT ocel_id, ocel_time FROM {}", quoted(&table));
            for_each_row(connection, &table, &query, |row| {
                let Some(id) = text_at(row, 0) else {
                    return;
                };
                if let Ok(ValueRef::Text(time)) = row.get_ref(1) {
                    let time = String::from_utf8_lossy(time).into_owned();
                    written.event_times.insert(id.clone(), time);
                }
                written.events.insert(id, table.clone());
            })?;
        }
        for suffix in type_suffixes(connection, "object_map_type")? {
            let table = format!("object_{suffix}");
            let columns =
                table_columns(connection, &table).map_err(|error| format!("SQLite: {error}"))?;
            let query = format!("SELECT ocel_id FROM {}", quoted(&table));
            for_each_row(connection, &table, &query, |row| {
                if let Some(id) = text_at(row, 0) {
                    written.objects.insert(id, table.clone());
                }
            })?;
            if !["ocel_time", "ocel_changed_field"]
                .iter()
                .all(|column| columns.iter().any(|name| name == column))
            {
                continue;
            }
            let query = format!(
                "SELECT ocel_id, ocel_changed_field, ocel_time FROM {} \
                 WHERE ocel_changed_field IS NOT NULL",
                quoted(&table)
            );
            for_each_row(connection, &table, &query, |row| {
                let (Some(id), Some(field)) = (text_at(row, 0), text_at(row, 1)) else {
                    return;
                };
                if let Ok(ValueRef::Text(time)) = row.get_ref(2) {
                    let time = String::from_utf8_lossy(time).into_owned();
                    written
                        .attribute_times
                        .entry(id)
                        .or_default()
                        .push((field, time));
                }
            })?;
        }
        for_each_row(connection, "event", "SELECT ocel_id FROM event", |row| {
            if let Some(id) = text_at(row, 0) {
                let rank = written.event_order.len();
                written.event_order.entry(id).or_insert(rank);
            }
        })?;
        for_each_row(connection, "object", "SELECT ocel_id FROM object", |row| {
            if let Some(id) = text_at(row, 0) {
                let rank = written.object_order.len();
                written.object_order.entry(id).or_insert(rank);
            }
        })?;
        Ok(written)
    }

    fn event_rank(&self, id: &str) -> usize {
        self.event_order.get(id).copied().unwrap_or(usize::MAX)
    }

    fn object_rank(&self, id: &str) -> usize {
        self.object_order.get(id).copied().unwrap_or(usize::MAX)
    }

    /// Refuses a relation that names an event, or a source object, the log
    /// does not have (the library would leave it out).
    fn check_relations(&self, connection: &Connection) -> Result<(), String> {
        let mut first: Option<String> = None;
        let query = "SELECT ocel_event_id, ocel_object_id FROM event_object";
        for_each_row(connection, "event_object", query, |row| {
            if first.is_some() {
                return;
            }
            let event = text_at(row, 0).unwrap_or_default();
            if !self.events.contains_key(&event) {
                let object = text_at(row, 1).unwrap_or_default();
                first = Some(format!(
                    "table event_object: the relation of event '{event}' to object '{object}' \
                     names an event the log does not have"
                ));
            }
        })?;
        let query = "SELECT ocel_source_id, ocel_target_id FROM object_object";
        for_each_row(connection, "object_object", query, |row| {
            if first.is_some() {
                return;
            }
            let source = text_at(row, 0).unwrap_or_default();
            if !self.objects.contains_key(&source) {
                let target = text_at(row, 1).unwrap_or_default();
                first = Some(format!(
                    "table object_object: the relation of object '{source}' to object '{target}' \
                     names an object the log does not have"
                ));
            }
        })?;
        first.map_or(Ok(()), Err)
    }

    /// Refuses a value stored in a form its column's declared type does not
    /// take (text in a REAL column, say): the library would leave the
    /// attribute out of its event or object without a word. The types are
    /// the ones `process_mining` reads each declared column type as.
    fn check_value_types(&self, connection: &Connection) -> Result<(), String> {
        let mut tables: Vec<(&str, &String)> = self
            .events
            .values()
            .map(|table| ("event", table))
            .chain(self.objects.values().map(|table| ("object", table)))
            .collect();
        tables.sort();
        tables.dedup();
        for (record, table) in tables {
            let mut statement = connection
                .prepare("SELECT name, type FROM pragma_table_info(?1)")
                .map_err(|error| format!("table {table}: {error}"))?;
            let columns: Vec<(String, String)> = statement
                .query_map([table], |row| Ok((row.get(0)?, row.get(1)?)))
                .and_then(|rows| rows.collect())
                .map_err(|error| format!("table {table}: {error}"))?;
            for (column, declared) in columns {
                if ["ocel_id", "ocel_time", "ocel_changed_field"].contains(&column.as_str()) {
                    continue;
                }
                let (taken, what) = match declared.to_ascii_uppercase().as_str() {
                    "REAL" | "FLOAT" | "DOUBLE" | "DOUBLE PRECISION" => {
                        ("'integer', 'real'", "a number")
                    }
                    "INTEGER" | "BOOLEAN" => ("'integer'", "an integer"),
                    // Times are read from their text, checked with the event's own.
                    "TIMESTAMP" => continue,
                    _ => ("'text'", "text"),
                };
                let query = format!(
                    "SELECT ocel_id, {column} FROM {table} \
                     WHERE {column} IS NOT NULL AND typeof({column}) NOT IN ({taken}) LIMIT 1",
                    column = quoted(&column),
                    table = quoted(table),
                );
                let mut first = None;
                for_each_row(connection, table, &query, |row| {
                    first = Some((
                        text_at(row, 0).unwrap_or_default(),
                        text_at(row, 1).unwrap_or_default(),
                    ));
                })?;
                if let Some((id, value)) = first {
                    return Err(format!(
                        "table {table}: {record} '{id}' has '{value}' in column {column}, \
                         which is declared {declared} and takes {what}"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Refuses the log when the library left out an event or object of its
    /// tables (a row it could not read).
    fn check_all_read(
        &self,
        ocel: &process_mining::core::event_data::object_centric::OCEL,
    ) -> Result<(), String> {
        let read: HashSet<&str> = ocel.events.iter().map(|event| event.id.as_str()).collect();
        let mut missing: Vec<(&String, &String)> = self
            .events
            .iter()
            .filter(|(id, _)| !read.contains(id.as_str()))
            .collect();
        missing.sort_by_key(|(id, _)| (self.event_rank(id), *id));
        if let Some((id, table)) = missing.first() {
            return Err(format!(
                "table {table}: event '{id}' could not be read (its time or an attribute)"
            ));
        }
        let read: HashSet<&str> = ocel
            .objects
            .iter()
            .map(|object| object.id.as_str())
            .collect();
        let mut missing: Vec<(&String, &String)> = self
            .objects
            .iter()
            .filter(|(id, _)| !read.contains(id.as_str()))
            .collect();
        missing.sort_by_key(|(id, _)| (self.object_rank(id), *id));
        if let Some((id, table)) = missing.first() {
            return Err(format!(
                "table {table}: object '{id}' could not be read (an attribute)"
            ));
        }
        Ok(())
    }
}

/// The table name suffixes a map table (`event_map_type`, `object_map_type`) lists.
fn type_suffixes(connection: &Connection, map_table: &str) -> Result<Vec<String>, String> {
    let mut suffixes = Vec::new();
    let query = format!("SELECT ocel_type_map FROM {map_table}");
    for_each_row(connection, map_table, &query, |row| {
        if let Some(suffix) = text_at(row, 0) {
            suffixes.push(suffix);
        }
    })?;
    Ok(suffixes)
}

/// Runs `query` and hands each row to `each`; errors name `table`.
fn for_each_row(
    connection: &Connection,
    table: &str,
    query: &str,
    mut each: impl FnMut(&rusqlite::Row<'_>),
) -> Result<(), String> {
    let error = |error: rusqlite::Error| format!("table {table}: {error}");
    let mut statement = connection.prepare(query).map_err(error)?;
    let mut rows = statement.query([]).map_err(error)?;
    while let Some(row) = rows.next().map_err(error)? {
        each(row);
    }
    Ok(())
}

/// A column of a row as text: text as it is, numbers written out, NULL as none.
fn text_at(row: &rusqlite::Row<'_>, index: usize) -> Option<String> {
    match row.get_ref(index).ok()? {
        ValueRef::Text(text) => Some(String::from_utf8_lossy(text).into_owned()),
        ValueRef::Integer(number) => Some(number.to_string()),
        ValueRef::Real(number) => Some(number.to_string()),
        ValueRef::Null | ValueRef::Blob(_) => None,
    }
}

/// A table name as an SQL identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
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

/// `library` is the time the library read from `written` (the text in the
/// log, when known): a time written without an offset, which the library
/// reads as UTC, is read again at `offset`; any other is kept.
fn as_written(library: OffsetDateTime, written: Option<&str>, offset: UtcOffset) -> OffsetDateTime {
    match written.and_then(read_time) {
        Some(WrittenTime::Local(local)) if local.assume_utc() == library => {
            WrittenTime::Local(local).at(offset)
        }
        _ => library,
    }
}

/// An event's attributes as its payload.
fn event_payload(attributes: Vec<OCELEventAttribute>) -> Map<String, Value> {
    attributes
        .into_iter()
        .map(|attribute| (attribute.name, json_value(&attribute.value)))
        .collect()
}

/// Relationships as (object id, qualifier).
fn event_relationships(relationships: Vec<OCELRelationship>) -> Vec<(String, Option<String>)> {
    relationships
        .into_iter()
        .map(|relationship| (relationship.object_id, Some(relationship.qualifier)))
        .collect()
}

/// An event the library read; `written` is the text of its time in the log
/// (when known) and the offset of times written without one.
fn library_event(
    id: String,
    event_type: &str,
    time: DateTime<FixedOffset>,
    attributes: Vec<OCELEventAttribute>,
    relationships: Vec<OCELRelationship>,
    written: (Option<&str>, UtcOffset),
    at: Location,
) -> Result<Item, OCELIOError> {
    let Some(library_time) = offset_time(&time) else {
        return Err(OCELIOError::Other(format!(
            "event '{id}': time {time} is out of range"
        )));
    };
    let (written_time, offset) = written;
    let occurred_at = as_written(library_time, written_time, offset);
    Ok(event_item(
        id,
        event_type.to_string(),
        occurred_at,
        event_payload(attributes),
        event_relationships(relationships),
        at,
    ))
}

/// An object the library read; `written` holds the name and the text of the
/// time of its attributes in the log (as far as known) and the offset of
/// times written without one.
fn library_object(
    file: &str,
    id: String,
    object_type: &str,
    attributes: &[OCELObjectAttribute],
    relationships: &[OCELRelationship],
    written: (&[(String, String)], UtcOffset),
    at: Location,
) -> Item {
    let (written_times, offset) = written;
    let values: Vec<(Value, String)> = attributes
        .iter()
        .map(|attribute| {
            let time = offset_time(&attribute.time).map_or_else(
                || attribute.time.to_rfc3339(),
                |library| {
                    // The first time of this attribute, written without an
                    // offset, that the library read as this one.
                    let time = written_times
                        .iter()
                        .filter(|(name, _)| *name == attribute.name)
                        .map(|(_, text)| as_written(library, Some(text), offset))
                        .find(|time| *time != library)
                        .unwrap_or(library);
                    format_time(time)
                },
            );
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
    let metadata = object_metadata(&changes, &relationships, offset);
    let targets = relationships
        .iter()
        .map(|(object_id, _)| object_id.clone())
        .collect();
    object_item(file, id, object_type.to_string(), metadata, targets, at)
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
