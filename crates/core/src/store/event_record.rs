//! The one decoder of a stored event record. Every reader of events — tables,
//! the detail panel, the causal graph, the fold, search, exports — decodes
//! the bytes of the `events` table with [`EventRecord::decode`].
//!
//! The record borrows its text from the stored bytes and keeps the payload
//! and the metadata as raw JSON: a reader that needs only the header (a table
//! row, a graph node) pays nothing for a payload of megabytes, and one that
//! needs the payload parses it once ([`EventRecord::payload`]).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Event, StoreError, StreamVersion, rfc3339};

/// An event as stored, borrowed from its record's bytes. `P` is how the
/// payload and the metadata are read: raw JSON by default (parsed when asked
/// for), or a [`Value`] in the same pass for a reader that needs every
/// payload (the fold).
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "'de: 'a, P: Deserialize<'de>"))]
pub struct EventRecord<'a, P = &'a RawValue> {
    pub event_id: Uuid,
    #[serde(borrow)]
    pub stream_id: Cow<'a, str>,
    pub version: u64,
    pub position: u64,
    #[serde(borrow)]
    pub event_type: Cow<'a, str>,
    #[serde(with = "rfc3339")]
    pub occurred_at: OffsetDateTime,
    #[serde(with = "rfc3339")]
    pub recorded_at: OffsetDateTime,
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
    #[serde(default)]
    pub other_causes: Vec<Uuid>,
    #[serde(default)]
    pub other_streams: Vec<StreamVersion>,
    pub payload: P,
    #[serde(default)]
    pub metadata: Option<P>,
}

impl<'a, P: Deserialize<'a>> EventRecord<'a, P> {
    /// Decodes a record of the `events` table; a record that is not an event
    /// is [`StoreError::Corrupt`], named by `position`.
    pub fn decode(position: u64, bytes: &'a [u8]) -> Result<EventRecord<'a, P>, StoreError> {
        Self::decode_in(bytes, || format!("the event at position {position}"))
    }

    /// As [`EventRecord::decode`], for a reader that knows the record by
    /// another name (`place`, e.g. a stream and version).
    pub fn decode_in(
        bytes: &'a [u8],
        place: impl FnOnce() -> String,
    ) -> Result<EventRecord<'a, P>, StoreError> {
        serde_json::from_slice(bytes)
            .map_err(|error| StoreError::Corrupt(format!("{}: {error}", place())))
    }

    /// Every cause of the event: the causation id first, then the others.
    pub fn causes(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.causation_id
            .into_iter()
            .chain(self.other_causes.iter().copied())
    }

    /// Every (stream, version) the event appears at, its own stream first.
    pub fn memberships(&self) -> impl Iterator<Item = (&str, u64)> + '_ {
        std::iter::once((self.stream_id.as_ref(), self.version)).chain(
            self.other_streams
                .iter()
                .map(|membership| (membership.stream_id.as_str(), membership.version)),
        )
    }
}

impl<'a> EventRecord<'a> {
    /// The payload, parsed.
    pub fn payload(&self) -> Result<Value, StoreError> {
        self.parse(self.payload, "payload")
    }

    /// The payload as stored (JSON text).
    pub fn payload_json(&self) -> &'a str {
        self.payload.get()
    }

    /// The metadata, parsed (`null` when the record has none).
    pub fn metadata(&self) -> Result<Value, StoreError> {
        match self.metadata {
            Some(raw) => self.parse(raw, "metadata"),
            None => Ok(Value::Null),
        }
    }

    /// The event, owned, with its payload and metadata parsed.
    pub fn to_event(&self) -> Result<Event, StoreError> {
        Ok(Event {
            event_id: self.event_id,
            stream_id: self.stream_id.to_string(),
            version: self.version,
            position: self.position,
            event_type: self.event_type.to_string(),
            occurred_at: self.occurred_at,
            recorded_at: self.recorded_at,
            correlation_id: self.correlation_id,
            causation_id: self.causation_id,
            other_causes: self.other_causes.clone(),
            other_streams: self.other_streams.clone(),
            payload: self.payload()?,
            metadata: self.metadata()?,
        })
    }

    fn parse(&self, raw: &RawValue, part: &str) -> Result<Value, StoreError> {
        // (parsing a payload kept raw: a reader that needs it in any case
        // decodes an `EventRecord<Value>` instead, in one pass)
        serde_json::from_str(raw.get()).map_err(|error| {
            StoreError::Corrupt(format!(
                "the {part} of the event at position {}: {error}",
                self.position
            ))
        })
    }
}

impl EventRecord<'_, Value> {
    /// The event, owned (its payload and metadata were read in the one pass).
    pub fn into_event(self) -> Event {
        Event {
            event_id: self.event_id,
            stream_id: self.stream_id.into_owned(),
            version: self.version,
            position: self.position,
            event_type: self.event_type.into_owned(),
            occurred_at: self.occurred_at,
            recorded_at: self.recorded_at,
            correlation_id: self.correlation_id,
            causation_id: self.causation_id,
            other_causes: self.other_causes,
            other_streams: self.other_streams,
            payload: self.payload,
            metadata: self.metadata.unwrap_or(Value::Null),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    fn event() -> Event {
        Event {
            event_id: Uuid::from_u128(7),
            stream_id: "order-1".to_string(),
            version: 2,
            position: 9,
            event_type: "OrderShipped".to_string(),
            occurred_at: datetime!(2026-11-20 12:00 UTC),
            recorded_at: datetime!(2026-11-20 12:00:01 UTC),
            correlation_id: Some(Uuid::from_u128(3)),
            causation_id: Some(Uuid::from_u128(5)),
            other_causes: vec![Uuid::from_u128(6)],
            other_streams: vec![StreamVersion {
                stream_id: "item-1".to_string(),
                version: 4,
            }],
            payload: json!({"parcel": {"weight_kg": 2.5}, "items": [1, 2]}),
            metadata: json!({"sender": "warehouse"}),
        }
    }

    #[test]
    fn a_record_decodes_to_the_event_it_was_written_from() {
        let bytes = serde_json::to_vec(&event()).expect("encode");
        let record: EventRecord = EventRecord::decode(9, &bytes).expect("decode");
        assert_eq!(record.event_type, "OrderShipped");
        assert_eq!(
            record.payload_json(),
            r#"{"parcel":{"weight_kg":2.5},"items":[1,2]}"#
        );
        assert_eq!(
            record.causes().collect::<Vec<_>>(),
            [Uuid::from_u128(5), Uuid::from_u128(6)]
        );
        assert_eq!(record.to_event().expect("owned"), event());
        let parsed = EventRecord::<Value>::decode(9, &bytes).expect("decode in one pass");
        assert_eq!(parsed.into_event(), event());
    }

    #[test]
    fn a_record_without_metadata_has_null_metadata_and_bad_bytes_say_where() {
        let mut value = serde_json::to_value(event()).expect("encode");
        value.as_object_mut().expect("object").remove("metadata");
        let bytes = serde_json::to_vec(&value).expect("encode");
        let record: EventRecord = EventRecord::decode(9, &bytes).expect("decode");
        assert_eq!(record.metadata().expect("metadata"), Value::Null);

        let error =
            EventRecord::<Value>::decode(12, b"{\"event_id\": 1").expect_err("not an event");
        assert!(error.to_string().contains("position 12"), "{error}");
    }
}
