//! OCEL 2.0 JSON and OCEL 1.0 JSON (`.jsonocel`) object-centric logs.
//!
//! The document is read as a stream: serde visits the `objects` / `events`
//! arrays (OCEL 2.0) or the `ocel:objects` / `ocel:events` maps (OCEL 1.0)
//! one element at a time, so memory holds one event, plus the objects (type
//! and attributes) and one stream record per object, never the event list.
//!
//! Each event is stored once and appears in the stream of every object it
//! relates to (its own stream is the first related object's); the previous
//! event of each related object is one of its causes, so the causal graph
//! spans objects. Object attributes go to the stream's metadata and the object
//! type is the stream's process type. Events keep the order of the file.
//! Objects may come before or after the events: whether every object an
//! event or another object relates to is declared is checked at the end, and
//! the first unknown reference is reported with its line (a relation is never
//! dropped: the log is refused).
//!
//! Times written without an offset are read at the import's offset
//! (`Context::utc_offset`, UTC by default) and stored in UTC.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};
use time::{OffsetDateTime, UtcOffset};
use uuid::Uuid;

use super::ids::{IdSpace, format_time, parse_time_in};
use super::input::{Emitter, PositionHandle, Tracked, Tracker, json_error, pipeline};
use super::{
    Context, Format, ImportError, ImportReport, InputReader, Location, new_stream, unique_stream_id,
};
use crate::store::{NewEvent, StoreWriter, StreamInfo};

/// Items handed to the writer at a time.
const ITEMS_PER_BATCH: usize = 256;

/// What the parser hands to the writer.
pub(super) enum Item {
    Object(Object),
    Event(OcelEvent),
}

/// An object: it becomes a stream if an event relates to it.
pub(super) struct Object {
    id: String,
    object_type: String,
    /// The stream metadata: type, attributes, relationships to other objects.
    metadata: Value,
    /// The objects it relates to (its object-to-object relationships).
    targets: Vec<String>,
    /// Where the object ends in the input.
    at: Location,
}

pub(super) struct OcelEvent {
    /// The event's id in the log.
    id: String,
    event_type: String,
    occurred_at: OffsetDateTime,
    payload: Map<String, Value>,
    /// Related objects, each once, in the order of the log.
    objects: Vec<String>,
    metadata: Value,
    /// Where the event ends in the input.
    at: Location,
}

/// Imports an OCEL log, whose items `read` hands over (in any of its forms,
/// see `ocel_forms::reading`), into the transaction of `writer`.
pub(super) fn import(
    writer: &mut StoreWriter,
    context: &Context,
    read: impl FnOnce(&mut Emitter<Item>) -> Result<(), ImportError> + Send,
    tracker: &mut Tracker<'_>,
) -> Result<ImportReport, ImportError> {
    let salt = context.salt.to_le_bytes();
    let identity = context.stem.as_bytes();
    let mut sink = ObjectWriter {
        writer,
        context,
        objects: HashMap::new(),
        streams: HashMap::new(),
        used: HashSet::new(),
        events: IdSpace::new(&[b"ocel", b"event", identity, &salt]),
        correlations: IdSpace::new(&[b"ocel", b"object", identity, &salt]),
        object_relations: Vec::new(),
        report: ImportReport::empty(Format::Ocel, context.stem.clone()),
    };
    pipeline(
        Format::Ocel,
        ITEMS_PER_BATCH,
        tracker,
        read,
        |item, tracker| sink.write(item, tracker),
    )?;
    sink.finish()
}

/// Reads the whole log, making every check [`import`] makes, writing nothing.
pub(super) fn check(
    context: &Context,
    read: impl FnOnce(&mut Emitter<Item>) -> Result<(), ImportError> + Send,
    tracker: &mut Tracker<'_>,
) -> Result<(), ImportError> {
    let mut declared: HashSet<String> = HashSet::new();
    // Object id → (sequence, id and place of the first event relating to it).
    let mut referenced: HashMap<String, (u64, String, Location)> = HashMap::new();
    let mut object_relations: Vec<ObjectRelation> = Vec::new();
    let mut sequence = 0u64;
    pipeline(
        Format::Ocel,
        ITEMS_PER_BATCH,
        tracker,
        read,
        |item, tracker| match item {
            Item::Object(object) => {
                object_relations.extend(ObjectRelation::of(&object));
                declared.insert(object.id);
                Ok(())
            }
            Item::Event(event) => {
                sequence += 1;
                for object_id in event.objects {
                    referenced
                        .entry(object_id)
                        .or_insert_with(|| (sequence, event.id.clone(), event.at));
                }
                tracker.events_written(1)
            }
        },
    )?;
    let first_unknown = referenced
        .iter()
        .filter(|(object_id, _)| !declared.contains(*object_id))
        .min_by_key(|(_, (sequence, _, _))| *sequence);
    if let Some((object_id, (_, event_id, at))) = first_unknown {
        return Err(unknown_object(context, *at, event_id, object_id));
    }
    check_object_relations(context, &object_relations, |id| declared.contains(id))
}

fn unknown_object(context: &Context, at: Location, event_id: &str, object_id: &str) -> ImportError {
    context.invalid(
        at,
        format!("event '{event_id}' refers to unknown object '{object_id}'"),
    )
}

/// An object-to-object relationship, kept until every object is known.
struct ObjectRelation {
    source: String,
    target: String,
    at: Location,
}

impl ObjectRelation {
    fn of(object: &Object) -> impl Iterator<Item = ObjectRelation> + '_ {
        object.targets.iter().map(|target| ObjectRelation {
            source: object.id.clone(),
            target: target.clone(),
            at: object.at,
        })
    }
}

/// Refuses the log at the first object-to-object relationship (in file
/// order) to an object it does not declare.
fn check_object_relations(
    context: &Context,
    relations: &[ObjectRelation],
    is_declared: impl Fn(&str) -> bool,
) -> Result<(), ImportError> {
    match relations
        .iter()
        .find(|relation| !is_declared(&relation.target))
    {
        Some(relation) => Err(context.invalid(
            relation.at,
            format!(
                "object '{}' refers to unknown object '{}'",
                relation.source, relation.target
            ),
        )),
        None => Ok(()),
    }
}

// ----- writing ----------------------------------------------------------------------------

/// The stream of one object while events are written.
struct ObjectStream {
    info: StreamInfo,
    /// The object's latest event: a cause of its next one.
    last: Option<Uuid>,
    /// The first event that related to the object (for the unknown-object message).
    first_event: u64,
    first_event_id: String,
    first_at: Location,
}

struct ObjectWriter<'w, 'txn, 'c> {
    writer: &'w mut StoreWriter<'txn>,
    context: &'c Context,
    /// Declared objects: type and metadata.
    objects: HashMap<String, (String, Value)>,
    /// Streams of the objects events relate to, by object id.
    streams: HashMap<String, ObjectStream>,
    /// Stream ids given out by this import.
    used: HashSet<String>,
    events: IdSpace,
    correlations: IdSpace,
    /// Object-to-object relationships, checked at the end.
    object_relations: Vec<ObjectRelation>,
    report: ImportReport,
}

impl ObjectWriter<'_, '_, '_> {
    fn write(&mut self, item: Item, tracker: &mut Tracker<'_>) -> Result<(), ImportError> {
        match item {
            Item::Object(object) => {
                self.object_relations.extend(ObjectRelation::of(&object));
                self.objects
                    .insert(object.id, (object.object_type, object.metadata));
                Ok(())
            }
            Item::Event(event) => {
                self.write_event(event)?;
                tracker.events_written(1)
            }
        }
    }

    fn write_event(&mut self, event: OcelEvent) -> Result<(), ImportError> {
        if event.objects.is_empty() {
            self.report.skipped += 1;
            return Ok(());
        }
        self.report.events += 1;
        let sequence = self.report.events;
        let mut taken = Vec::with_capacity(event.objects.len());
        let mut infos = Vec::with_capacity(event.objects.len());
        let mut causes: Vec<Uuid> = Vec::new();
        for object_id in &event.objects {
            let stream = match self.streams.remove(object_id) {
                Some(stream) => stream,
                None => self.new_stream(object_id, sequence, &event)?,
            };
            if let Some(last) = stream.last
                && !causes.contains(&last)
            {
                causes.push(last);
            }
            infos.push(stream.info);
            taken.push((stream.first_event, stream.first_event_id, stream.first_at));
        }
        let event_id = self.events.id(sequence);
        let mut causes = causes.into_iter();
        let new = NewEvent {
            event_id: Some(event_id),
            event_type: event.event_type,
            occurred_at: event.occurred_at,
            correlation_id: infos.first().and_then(|info| info.correlation_id),
            causation_id: causes.next(),
            other_causes: causes.collect(),
            payload: Value::Object(event.payload),
            metadata: event.metadata,
        };
        // A log has no recording time; the event's own time keeps imports reproducible.
        self.writer
            .insert_event(new, &mut infos, event.occurred_at)?;
        for ((object_id, info), (first_event, first_event_id, first_at)) in
            event.objects.into_iter().zip(infos).zip(taken)
        {
            self.streams.insert(
                object_id,
                ObjectStream {
                    info,
                    last: Some(event_id),
                    first_event,
                    first_event_id,
                    first_at,
                },
            );
        }
        Ok(())
    }

    fn new_stream(
        &mut self,
        object_id: &str,
        sequence: u64,
        event: &OcelEvent,
    ) -> Result<ObjectStream, ImportError> {
        // The object id, or `id#2`, `id#3` … when the store already has a stream of that id.
        let (writer, is_new) = (&mut *self.writer, self.context.is_new);
        let stream_id = unique_stream_id(&mut self.used, object_id, |id| {
            Ok::<_, ImportError>(!is_new && writer.stream(id)?.is_some())
        })?;
        let correlation = self.correlations.id(self.used.len() as u64);
        Ok(ObjectStream {
            // The process type is set from the object's declaration at the end.
            info: new_stream(stream_id, String::new(), Some(correlation), Value::Null),
            last: None,
            first_event: sequence,
            first_event_id: event.id.clone(),
            first_at: event.at,
        })
    }

    /// Checks that every related object was declared, then writes the stream records.
    fn finish(mut self) -> Result<ImportReport, ImportError> {
        let streams = std::mem::take(&mut self.streams);
        let mut unknown: Vec<(&String, &ObjectStream)> = streams
            .iter()
            .filter(|(object_id, _)| !self.objects.contains_key(*object_id))
            .collect();
        unknown.sort_by_key(|(_, stream)| stream.first_event);
        if let Some((object_id, stream)) = unknown.first() {
            return Err(unknown_object(
                self.context,
                stream.first_at,
                &stream.first_event_id,
                object_id,
            ));
        }
        check_object_relations(self.context, &self.object_relations, |id| {
            self.objects.contains_key(id)
        })?;
        let mut streams: Vec<(String, ObjectStream)> = streams.into_iter().collect();
        streams.sort_by(|a, b| a.1.info.stream_id.cmp(&b.1.info.stream_id));
        self.report.objects = self.objects.len() as u64;
        self.report.skipped += (self.objects.len() - streams.len()) as u64;
        self.report.streams = streams.len() as u64;
        for (object_id, mut stream) in streams {
            if let Some((object_type, metadata)) = self.objects.remove(&object_id) {
                stream.info.process_type = object_type;
                stream.info.metadata = metadata;
            }
            self.writer.put_stream(&stream.info)?;
        }
        Ok(self.report)
    }
}

// ----- parsing ----------------------------------------------------------------------------

/// Why the visitor stopped early (the real error is kept by the sink).
const STOPPED: &str = "import stopped";

/// Receives the elements serde visits.
struct Sink<'e> {
    file: String,
    /// The offset of times written without one.
    offset: UtcOffset,
    emitter: &'e mut Emitter<Item>,
    position: PositionHandle,
    failure: Option<ImportError>,
    stopped: bool,
    found_events: bool,
}

impl Sink<'_> {
    fn emit<E: de::Error>(&mut self, item: Item) -> Result<(), E> {
        if self.emitter.emit(item) {
            Ok(())
        } else {
            self.stopped = true;
            Err(E::custom(STOPPED))
        }
    }

    fn fail<E: de::Error>(&mut self, message: String) -> E {
        self.failure = Some(ImportError::Invalid {
            file: self.file.clone(),
            at: self.position.get().line(),
            message,
        });
        E::custom(STOPPED)
    }

    fn event<E: de::Error>(
        &mut self,
        id: String,
        event_type: String,
        time: &str,
        payload: Map<String, Value>,
        relationships: Vec<(String, Option<String>)>,
    ) -> Result<(), E> {
        let Some(occurred_at) = parse_time_in(time, self.offset) else {
            return Err(self.fail(format!("event '{id}': time '{time}' is not a date")));
        };
        let at = self.position.get().line();
        self.emit(event_item(
            id,
            event_type,
            occurred_at,
            payload,
            relationships,
            at,
        ))
    }

    fn object<E: de::Error>(
        &mut self,
        id: String,
        object_type: String,
        metadata: Map<String, Value>,
        targets: Vec<String>,
    ) -> Result<(), E> {
        let at = self.position.get().line();
        let item = object_item(&self.file, id, object_type, metadata, targets, at);
        self.emit(item)
    }
}

/// An event as the writer takes it; `relationships` are (object id,
/// qualifier) in the order of the log, an object possibly more than once.
pub(super) fn event_item(
    id: String,
    event_type: String,
    occurred_at: OffsetDateTime,
    payload: Map<String, Value>,
    relationships: Vec<(String, Option<String>)>,
    at: Location,
) -> Item {
    let mut objects: Vec<String> = Vec::with_capacity(relationships.len());
    for (object_id, _) in &relationships {
        if !objects.contains(object_id) {
            objects.push(object_id.clone());
        }
    }
    let qualified = relationships
        .iter()
        .any(|(_, qualifier)| qualifier.as_deref().is_some_and(|q| !q.is_empty()));
    let metadata = if qualified {
        let relationships: Vec<Value> = relationships
            .into_iter()
            .map(|(object_id, qualifier)| json!({"object_id": object_id, "qualifier": qualifier}))
            .collect();
        json!({"ocel_id": id, "relationships": relationships})
    } else {
        json!({"ocel_id": id})
    };
    Item::Event(OcelEvent {
        id,
        event_type,
        occurred_at,
        payload,
        objects,
        metadata,
        at,
    })
}

/// An object as the writer takes it; `metadata` is what [`object_metadata`]
/// made, `targets` the objects it relates to, `at` where it ends in the input.
pub(super) fn object_item(
    file: &str,
    id: String,
    object_type: String,
    mut metadata: Map<String, Value>,
    targets: Vec<String>,
    at: Location,
) -> Item {
    let mut full = Map::new();
    full.insert(
        "source".to_string(),
        json!({"format": "ocel", "file": file}),
    );
    full.insert(
        "object_type".to_string(),
        Value::String(object_type.clone()),
    );
    full.append(&mut metadata);
    Item::Object(Object {
        id,
        object_type,
        metadata: Value::Object(full),
        targets,
        at,
    })
}

/// One value of an OCEL 2.0 object attribute, from the time it holds.
pub(super) struct AttributeValue<'a> {
    pub name: &'a str,
    /// The time as written in the log.
    pub time: Option<&'a str>,
    pub value: &'a Value,
}

/// The stream metadata of an OCEL 2.0 object: attribute values (the latest in
/// time), their history when they changed (times in RFC 3339, those written
/// without an offset read at `offset`), and relationships to other objects.
pub(super) fn object_metadata(
    attributes: &[AttributeValue<'_>],
    relationships: &[(String, Option<String>)],
    offset: UtcOffset,
) -> Map<String, Value> {
    let mut latest: Map<String, Value> = Map::new();
    let mut latest_time: HashMap<&str, Option<OffsetDateTime>> = HashMap::new();
    let times: Vec<Option<OffsetDateTime>> = attributes
        .iter()
        .map(|attribute| attribute.time.and_then(|text| parse_time_in(text, offset)))
        .collect();
    for (attribute, time) in attributes.iter().zip(&times) {
        let time = *time;
        let newer = match latest_time.get(attribute.name) {
            None => true,
            Some(known) => time >= *known,
        };
        if newer {
            latest_time.insert(attribute.name, time);
            latest.insert(attribute.name.to_string(), attribute.value.clone());
        }
    }
    let mut metadata = Map::new();
    let changed = attributes.len() > latest.len();
    metadata.insert("attributes".to_string(), Value::Object(latest));
    if changed {
        // The same instant is the same text whichever form of the log it came from.
        let history = attributes
            .iter()
            .zip(&times)
            .map(|(a, time)| {
                let time = time.map(format_time).or_else(|| a.time.map(str::to_string));
                json!({"name": a.name, "time": time, "value": a.value})
            })
            .collect();
        metadata.insert("attribute_history".to_string(), Value::Array(history));
    }
    if !relationships.is_empty() {
        let relationships = relationships
            .iter()
            .map(|(object_id, qualifier)| json!({"object_id": object_id, "qualifier": qualifier}))
            .collect();
        metadata.insert("relationships".to_string(), Value::Array(relationships));
    }
    metadata
}

/// Reads an OCEL JSON document on the parser thread.
pub(super) fn parse_json(
    file: String,
    offset: UtcOffset,
    reader: InputReader,
    emitter: &mut Emitter<Item>,
) -> Result<(), ImportError> {
    let (tracked, position) = Tracked::new(reader);
    let mut deserializer = serde_json::Deserializer::from_reader(tracked);
    let mut sink = Sink {
        file: file.clone(),
        offset,
        emitter,
        position,
        failure: None,
        stopped: false,
        found_events: false,
    };
    let result = deserializer
        .deserialize_map(Root { sink: &mut sink })
        .and_then(|()| deserializer.end());
    if let Some(failure) = sink.failure {
        return Err(failure);
    }
    if sink.stopped {
        return Ok(());
    }
    if let Err(error) = result {
        return Err(json_error(&file, &error, "not an OCEL log"));
    }
    if !sink.found_events {
        return Err(ImportError::Invalid {
            file,
            at: Location::Whole,
            message: "not an OCEL log: it has neither \"events\" (OCEL 2.0) nor \"ocel:events\" (OCEL 1.0)".to_string(),
        });
    }
    Ok(())
}

/// The top-level object.
struct Root<'s, 'e> {
    sink: &'s mut Sink<'e>,
}

impl<'de> Visitor<'de> for Root<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OCEL log (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let sink = self.sink;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "objects" => map.next_value_seed(Elements {
                    sink: &mut *sink,
                    kind: ElementKind::ObjectsV2,
                })?,
                "events" => {
                    sink.found_events = true;
                    map.next_value_seed(Elements {
                        sink: &mut *sink,
                        kind: ElementKind::EventsV2,
                    })?
                }
                "ocel:objects" => map.next_value_seed(Elements {
                    sink: &mut *sink,
                    kind: ElementKind::ObjectsV1,
                })?,
                "ocel:events" => {
                    sink.found_events = true;
                    map.next_value_seed(Elements {
                        sink: &mut *sink,
                        kind: ElementKind::EventsV1,
                    })?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum ElementKind {
    /// OCEL 2.0: `"objects": [{"id", "type", "attributes", "relationships"}]`.
    ObjectsV2,
    /// OCEL 2.0: `"events": [{"id", "type", "time", "attributes", "relationships"}]`.
    EventsV2,
    /// OCEL 1.0: `"ocel:objects": {id: {"ocel:type", "ocel:ovmap"}}`.
    ObjectsV1,
    /// OCEL 1.0: `"ocel:events": {id: {"ocel:activity", "ocel:timestamp", "ocel:omap", "ocel:vmap"}}`.
    EventsV1,
}

/// One of the four collections, visited element by element.
struct Elements<'s, 'e> {
    sink: &'s mut Sink<'e>,
    kind: ElementKind,
}

impl<'de> DeserializeSeed<'de> for Elements<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.kind {
            ElementKind::ObjectsV2 | ElementKind::EventsV2 => deserializer.deserialize_seq(self),
            ElementKind::ObjectsV1 | ElementKind::EventsV1 => deserializer.deserialize_map(self),
        }
    }
}

impl<'de> Visitor<'de> for Elements<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            ElementKind::ObjectsV2 => "an array of OCEL 2.0 objects",
            ElementKind::EventsV2 => "an array of OCEL 2.0 events",
            ElementKind::ObjectsV1 => "a map of OCEL 1.0 objects",
            ElementKind::EventsV1 => "a map of OCEL 1.0 events",
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match self.kind {
            ElementKind::ObjectsV2 => {
                while let Some(object) = seq.next_element::<ObjectV2>()? {
                    let (object_type, metadata) = object.metadata(self.sink.offset);
                    let targets = object
                        .relationships
                        .unwrap_or_default()
                        .into_iter()
                        .map(|relationship| relationship.object_id)
                        .collect();
                    self.sink
                        .object(object.id, object_type, metadata, targets)?;
                }
            }
            ElementKind::EventsV2 => {
                while let Some(event) = seq.next_element::<EventV2>()? {
                    let payload = event
                        .attributes
                        .unwrap_or_default()
                        .into_iter()
                        .map(|attribute| (attribute.name, attribute.value))
                        .collect();
                    let relationships = event
                        .relationships
                        .unwrap_or_default()
                        .into_iter()
                        .map(|relationship| (relationship.object_id, relationship.qualifier))
                        .collect();
                    self.sink.event(
                        event.id,
                        event.event_type,
                        &event.time,
                        payload,
                        relationships,
                    )?;
                }
            }
            ElementKind::ObjectsV1 | ElementKind::EventsV1 => {
                return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match self.kind {
            ElementKind::ObjectsV1 => {
                while let Some(id) = map.next_key::<String>()? {
                    let object: ObjectV1 = map.next_value()?;
                    let mut metadata = Map::new();
                    metadata.insert("attributes".to_string(), Value::Object(object.ovmap));
                    self.sink
                        .object(id, object.object_type, metadata, Vec::new())?;
                }
            }
            ElementKind::EventsV1 => {
                while let Some(id) = map.next_key::<String>()? {
                    let event: EventV1 = map.next_value()?;
                    let relationships = event
                        .omap
                        .into_iter()
                        .map(|object| (object, None))
                        .collect();
                    self.sink.event(
                        id,
                        event.activity,
                        &event.timestamp,
                        event.vmap,
                        relationships,
                    )?;
                }
            }
            ElementKind::ObjectsV2 | ElementKind::EventsV2 => {
                return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
            }
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct ObjectV2 {
    id: String,
    #[serde(rename = "type")]
    object_type: String,
    #[serde(default)]
    attributes: Option<Vec<ObjectAttributeV2>>,
    #[serde(default)]
    relationships: Option<Vec<RelationshipV2>>,
}

impl ObjectV2 {
    /// The object type and the stream metadata: attribute values (the latest
    /// in time), their history when they changed, and relationships.
    fn metadata(&self, offset: UtcOffset) -> (String, Map<String, Value>) {
        let attributes: Vec<AttributeValue<'_>> = self
            .attributes
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|attribute| AttributeValue {
                name: &attribute.name,
                time: attribute.time.as_deref(),
                value: &attribute.value,
            })
            .collect();
        let relationships: Vec<(String, Option<String>)> = self
            .relationships
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|r| (r.object_id.clone(), r.qualifier.clone()))
            .collect();
        (
            self.object_type.clone(),
            object_metadata(&attributes, &relationships, offset),
        )
    }
}

#[derive(Deserialize)]
struct ObjectAttributeV2 {
    name: String,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize)]
struct RelationshipV2 {
    #[serde(rename = "objectId")]
    object_id: String,
    #[serde(default)]
    qualifier: Option<String>,
}

#[derive(Deserialize)]
struct EventV2 {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    time: String,
    #[serde(default)]
    attributes: Option<Vec<EventAttributeV2>>,
    #[serde(default)]
    relationships: Option<Vec<RelationshipV2>>,
}

#[derive(Deserialize)]
struct EventAttributeV2 {
    name: String,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize)]
struct ObjectV1 {
    #[serde(rename = "ocel:type")]
    object_type: String,
    #[serde(rename = "ocel:ovmap", default)]
    ovmap: Map<String, Value>,
}

#[derive(Deserialize)]
struct EventV1 {
    #[serde(rename = "ocel:activity")]
    activity: String,
    #[serde(rename = "ocel:timestamp")]
    timestamp: String,
    #[serde(rename = "ocel:omap", default)]
    omap: Vec<String>,
    #[serde(rename = "ocel:vmap", default)]
    vmap: Map<String, Value>,
}
