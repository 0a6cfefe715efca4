//! OCEL 1.0 XML logs (as pm4py and the OCEL 1.0 standard write them), read
//! with quick-xml one element at a time: `process_mining` reads OCEL 2.0 XML
//! only.
//!
//! ```xml
//! <log>
//!   <global scope="event">…</global>
//!   <events>
//!     <event>
//!       <string key="id" value="e1"/> <string key="activity" value="place order"/>
//!       <date key="timestamp" value="2020-07-09T08:20:01+01:00"/>
//!       <list key="omap"><string key="object-id" value="o1"/></list>
//!       <list key="vmap"><float key="price" value="5.0"/></list>
//!     </event>
//!   </events>
//!   <objects>
//!     <object>
//!       <string key="id" value="o1"/> <string key="type" value="order"/>
//!       <list key="ovmap"><string key="customer" value="c1"/></list>
//!     </object>
//!   </objects>
//! </log>
//! ```
//!
//! Keys may carry the `ocel:` prefix. The items are those of OCEL 1.0 JSON.

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use serde_json::{Map, Number, Value};

use super::ids::parse_time_in;
use super::input::{Emitter, PositionHandle, Tracked};
use super::ocel::{Item, event_item, object_item};
use super::{ImportError, InputReader, Location};

/// Elements nested deeper than this are refused (a broken or hostile file).
const MAX_DEPTH: usize = 64;

/// An event or object being read.
#[derive(Default)]
struct Element {
    id: Option<String>,
    /// The activity of an event, the type of an object.
    kind: Option<String>,
    timestamp: Option<String>,
    objects: Vec<(String, Option<String>)>,
    values: Map<String, Value>,
}

struct Parser {
    file: String,
    /// The offset of times written without one.
    offset: time::UtcOffset,
    position: PositionHandle,
    /// Local names of the open elements.
    stack: Vec<String>,
    /// The event or object open, and whether it is an event.
    current: Option<(bool, Element)>,
    /// The list open inside it (`omap`, `vmap`, `ovmap`).
    list: Option<String>,
    seen_root: bool,
}

/// Reads an OCEL 1.0 XML document on the parser thread.
pub(super) fn parse(
    file: String,
    offset: time::UtcOffset,
    reader: InputReader,
    emitter: &mut Emitter<Item>,
) -> Result<(), ImportError> {
    let (tracked, position) = Tracked::new(reader);
    let mut xml = Reader::from_reader(tracked);
    let mut parser = Parser {
        file,
        offset,
        position,
        stack: Vec::new(),
        current: None,
        list: None,
        seen_root: false,
    };
    let mut buf = Vec::with_capacity(1024);
    loop {
        buf.clear();
        let event = match xml.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(error) => {
                let at = parser.position.get().at(xml.error_position());
                return Err(ImportError::invalid(
                    &parser.file,
                    at,
                    format!("XML error: {error}"),
                ));
            }
        };
        match event {
            XmlEvent::Start(element) => parser.start(&element, false, emitter)?,
            XmlEvent::Empty(element) => parser.start(&element, true, emitter)?,
            XmlEvent::End(_) => parser.end(emitter)?,
            XmlEvent::Eof => break,
            _ => {}
        }
        if !emitter.is_open() {
            return Ok(());
        }
    }
    if let Some(open) = parser.stack.last() {
        return Err(ImportError::invalid(
            &parser.file,
            parser.position.get().here(),
            format!("unexpected end of input inside <{open}> (is the file cut off?)"),
        ));
    }
    if !parser.seen_root {
        return Err(ImportError::invalid(
            &parser.file,
            Location::Whole,
            "not an OCEL 1.0 XML log: no <log> element",
        ));
    }
    Ok(())
}

impl Parser {
    fn invalid(&self, message: impl Into<String>) -> ImportError {
        ImportError::invalid(&self.file, self.position.get().line(), message)
    }

    fn start(
        &mut self,
        element: &BytesStart<'_>,
        empty: bool,
        emitter: &mut Emitter<Item>,
    ) -> Result<(), ImportError> {
        let name = element.local_name().as_ref().to_string();
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.invalid(format!("elements nested more than {MAX_DEPTH} deep")));
        }
        let parent = self.stack.last().map(String::as_str);
        match (parent, name.as_str()) {
            (None, "log") => self.seen_root = true,
            (None, other) => {
                return Err(self.invalid(format!(
                    "not an OCEL 1.0 XML log: the root element is <{other}>, not <log>"
                )));
            }
            (Some("events"), "event") => self.current = Some((true, Element::default())),
            (Some("objects"), "object") => self.current = Some((false, Element::default())),
            (Some("event" | "object"), kind) => {
                let (key, value) = self.key_value(element)?;
                if kind == "list" {
                    self.list = Some(key);
                } else if let Some((_, current)) = self.current.as_mut() {
                    let text = value.unwrap_or_default();
                    match key.as_str() {
                        "id" => current.id = Some(text),
                        "activity" | "type" => current.kind = Some(text),
                        "timestamp" => current.timestamp = Some(text),
                        _ => {
                            current.values.insert(key, typed(kind, &text));
                        }
                    }
                }
            }
            (Some("list"), kind) if self.current.is_some() => {
                let (key, value) = self.key_value(element)?;
                let text = value.unwrap_or_default();
                let list = self.list.clone().unwrap_or_default();
                if let Some((_, current)) = self.current.as_mut() {
                    if list == "omap" {
                        current.objects.push((text, None));
                    } else {
                        current.values.insert(key, typed(kind, &text));
                    }
                }
            }
            _ => {}
        }
        if empty {
            self.close(&name, emitter)
        } else {
            self.stack.push(name);
            Ok(())
        }
    }

    fn end(&mut self, emitter: &mut Emitter<Item>) -> Result<(), ImportError> {
        let Some(name) = self.stack.pop() else {
            return Ok(());
        };
        self.close(&name, emitter)
    }

    /// An element ends: an event or an object is complete.
    fn close(&mut self, name: &str, emitter: &mut Emitter<Item>) -> Result<(), ImportError> {
        match name {
            "list" => self.list = None,
            "event" | "object"
                if self
                    .stack
                    .last()
                    .is_some_and(|p| p.as_str() == "events" || p.as_str() == "objects") =>
            {
                let Some((is_event, element)) = self.current.take() else {
                    return Ok(());
                };
                let what = if is_event { "event" } else { "object" };
                let Some(id) = element.id else {
                    return Err(self.invalid(format!("an {what} without an id")));
                };
                let Some(kind) = element.kind else {
                    let field = if is_event { "activity" } else { "type" };
                    return Err(self.invalid(format!("{what} '{id}' has no {field}")));
                };
                let item = if is_event {
                    let Some(text) = element.timestamp else {
                        return Err(self.invalid(format!("event '{id}' has no timestamp")));
                    };
                    let Some(occurred_at) = parse_time_in(&text, self.offset) else {
                        return Err(
                            self.invalid(format!("event '{id}': time '{text}' is not a date"))
                        );
                    };
                    event_item(
                        id,
                        kind,
                        occurred_at,
                        element.values,
                        element.objects,
                        self.position.get().line(),
                    )
                } else {
                    let mut metadata = Map::new();
                    metadata.insert("attributes".to_string(), Value::Object(element.values));
                    object_item(
                        &self.file,
                        id,
                        kind,
                        metadata,
                        Vec::new(),
                        self.position.get().line(),
                    )
                };
                emitter.emit(item);
            }
            _ => {}
        }
        Ok(())
    }

    /// The `key` (without an `ocel:` prefix) and `value` of an attribute element.
    fn key_value(&self, element: &BytesStart<'_>) -> Result<(String, Option<String>), ImportError> {
        let mut key = String::new();
        let mut value = None;
        for attribute in element.attributes().with_checks(false) {
            let attribute =
                attribute.map_err(|error| self.invalid(format!("XML error: {error}")))?;
            let text = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|error| self.invalid(format!("XML error: {error}")))?
                .into_owned();
            match attribute.key.local_name().as_ref() {
                "key" => key = text.strip_prefix("ocel:").unwrap_or(&text).to_string(),
                "value" => value = Some(text),
                _ => {}
            }
        }
        Ok((key, value))
    }
}

/// A value as JSON, by its element: numbers and booleans as such, the rest as text.
fn typed(kind: &str, text: &str) -> Value {
    match kind {
        "int" => text
            .trim()
            .parse::<i64>()
            .map_or_else(|_| Value::String(text.to_string()), Value::from),
        "float" => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or_else(|| Value::String(text.to_string()), Value::Number),
        "boolean" => match text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(text.to_string()),
        },
        _ => Value::String(text.to_string()),
    }
}
