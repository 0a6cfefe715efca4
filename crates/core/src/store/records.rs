//! The records kept in the store, as they are serialized to JSON, and the
//! small rules both sides of the store share: how a time is written in a
//! record and in a key, how a record is read back, and the variant hash.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;

/// Timestamps are RFC 3339 text in every record.
pub use time::serde::rfc3339;

/// One event of the global log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// UUID v7 for events written by the engine; imported ids are kept.
    pub event_id: Uuid,
    /// The stream the event belongs to first.
    pub stream_id: String,
    /// 1-based, contiguous within `stream_id`.
    pub version: u64,
    /// Position in the global log, from 1.
    pub position: u64,
    pub event_type: String,
    #[serde(with = "rfc3339")]
    pub occurred_at: OffsetDateTime,
    #[serde(with = "rfc3339")]
    pub recorded_at: OffsetDateTime,
    pub correlation_id: Option<Uuid>,
    /// The event or message that caused this one.
    pub causation_id: Option<Uuid>,
    /// Further causes (object-centric logs: the previous event of every related object).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_causes: Vec<Uuid>,
    /// Further streams this event appears in, with its version in each
    /// (object-centric logs: one stream per related object).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_streams: Vec<StreamVersion>,
    pub payload: Value,
    #[serde(default)]
    pub metadata: Value,
}

impl Event {
    /// Every cause of this event: the causation id first, then the others.
    pub fn causes(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.causation_id
            .into_iter()
            .chain(self.other_causes.iter().copied())
    }

    /// Every (stream, version) this event appears at, its own stream first.
    pub fn memberships(&self) -> impl Iterator<Item = (&str, u64)> + '_ {
        std::iter::once((self.stream_id.as_str(), self.version)).chain(
            self.other_streams
                .iter()
                .map(|membership| (membership.stream_id.as_str(), membership.version)),
        )
    }
}

/// A stream and a version within it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamVersion {
    pub stream_id: String,
    pub version: u64,
}

/// What is known of a process instance (one stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamStatus {
    Running,
    Completed,
    Failed,
}

impl StreamStatus {
    /// Every status, in display order.
    pub const ALL: [StreamStatus; 3] = [Self::Running, Self::Completed, Self::Failed];

    /// The name used in JSON, counters and indexes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    /// Parses the name used in JSON.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// The `streams` table's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamInfo {
    pub stream_id: String,
    pub process_type: String,
    pub status: StreamStatus,
    /// The definition's state after the last event (`None` for imported streams).
    pub process_state: Option<String>,
    /// Number of events in the stream (its last version).
    pub version: u64,
    /// Time of the earliest event.
    #[serde(with = "rfc3339")]
    pub created_at: OffsetDateTime,
    /// Time of the latest event.
    #[serde(with = "rfc3339")]
    pub updated_at: OffsetDateTime,
    pub last_error: Option<String>,
    pub correlation_id: Option<Uuid>,
    /// Running hash of the stream's event-type sequence: streams with the same
    /// sequence share it (process-mining "variant").
    #[serde(with = "hex_u128")]
    pub variant: u128,
    /// Anything else known of the stream (trace attributes, object attributes, origin).
    #[serde(default)]
    pub metadata: Value,
}

/// An outbound message waiting for delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: Uuid,
    pub stream_id: String,
    pub message_type: String,
    pub recipient: String,
    pub payload: Value,
    #[serde(with = "rfc3339")]
    pub due_at: OffsetDateTime,
    pub attempts: u32,
    pub max_attempts: u32,
    pub last_error: Option<String>,
    #[serde(with = "rfc3339")]
    pub created_at: OffsetDateTime,
    /// The event that emitted this message.
    pub caused_by: Option<Uuid>,
    pub correlation_id: Option<Uuid>,
    /// Every failed try so far (becomes the dead letter's history).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempt_log: Vec<Attempt>,
}

/// A timer of a stream: when it expires, `on_expiry` is appended to the stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deadline {
    pub id: Uuid,
    pub stream_id: String,
    /// The event type appended on expiry.
    pub on_expiry: String,
    #[serde(with = "rfc3339")]
    pub due_at: OffsetDateTime,
    #[serde(with = "rfc3339")]
    pub created_at: OffsetDateTime,
    /// The event that set this deadline.
    pub caused_by: Option<Uuid>,
    pub correlation_id: Option<Uuid>,
}

/// Whether a dead letter was coming in or going out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// Where a dead letter stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadLetterStatus {
    Open,
    Resubmitted,
    Discarded,
}

impl DeadLetterStatus {
    /// Every status, in display order.
    pub const ALL: [DeadLetterStatus; 3] = [Self::Open, Self::Resubmitted, Self::Discarded];

    /// The name used in JSON, counters and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resubmitted => "resubmitted",
            Self::Discarded => "discarded",
        }
    }

    /// Parses the name used in JSON and the CLI.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// One failed try at handling or delivering a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    #[serde(with = "rfc3339")]
    pub at: OffsetDateTime,
    pub error: String,
    /// Who made the try: "engine" for automatic tries, else the operator.
    pub by: String,
}

/// A message that could not be handled or delivered, kept with everything needed to retry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub id: Uuid,
    /// Machine-readable reason label, e.g. `transition_not_allowed`.
    pub reason: String,
    /// Human-readable explanation.
    pub detail: String,
    pub status: DeadLetterStatus,
    pub direction: Direction,
    pub stream_id: Option<String>,
    pub process_type: Option<String>,
    pub message_type: String,
    /// The original message, exactly as received or as it sat in the outbox.
    pub original: Value,
    pub attempts: Vec<Attempt>,
    #[serde(with = "rfc3339")]
    pub recorded_at: OffsetDateTime,
    /// How it was resolved, once it was.
    pub resolution: Option<Resolution>,
}

/// The operator action that closed a dead letter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    #[serde(with = "rfc3339")]
    pub at: OffsetDateTime,
    pub user: String,
    pub action: String,
    pub reason: String,
    /// The new message an edited resubmission created (the original is never changed).
    pub new_message_id: Option<Uuid>,
}

/// One operator action, as the audit trail keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    #[serde(with = "rfc3339")]
    pub at: OffsetDateTime,
    pub user: String,
    pub action: String,
    /// What was acted on, e.g. `dead_letter:<id>`.
    pub target: String,
    pub reason: String,
    pub stream_id: Option<String>,
    pub before: Value,
    pub after: Value,
}

impl StreamInfo {
    /// Moves the record on past one more event of `event_type` at `occurred_at`:
    /// version, earliest and latest event time, variant. A log may list a
    /// case's events out of time order; the process's span is still from its
    /// earliest event to its latest (as pm4py's time filters take it).
    pub fn advance(&mut self, event_type: &str, occurred_at: OffsetDateTime) {
        self.version += 1;
        if self.version == 1 {
            self.created_at = occurred_at;
            self.updated_at = occurred_at;
        } else {
            self.created_at = self.created_at.min(occurred_at);
            self.updated_at = self.updated_at.max(occurred_at);
        }
        self.variant = next_variant(self.variant, event_type);
    }
}

/// The variant hash after appending an event of `event_type`.
pub fn next_variant(previous: u128, event_type: &str) -> u128 {
    xxh3_128_of(&[&previous.to_le_bytes(), &[0x1f], event_type.as_bytes()])
}

/// The 128-bit xxh3 hash of `parts` one after another. Joined on the stack
/// unless they are unusually long: every event hashes its stream's variant,
/// and a heap buffer cost more than the hash.
pub fn xxh3_128_of(parts: &[&[u8]]) -> u128 {
    const ON_STACK: usize = 128;
    let length: usize = parts.iter().map(|part| part.len()).sum();
    if length > ON_STACK {
        return xxhash_rust::xxh3::xxh3_128(&parts.concat());
    }
    let mut joined = [0u8; ON_STACK];
    let mut end = 0;
    for part in parts {
        joined[end..end + part.len()].copy_from_slice(part);
        end += part.len();
    }
    xxhash_rust::xxh3::xxh3_128(&joined[..end])
}

/// Unix nanoseconds of a time, as kept in due-time keys (saturating outside i64).
pub fn nanos(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos()).unwrap_or(if at.year() < 1970 {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// RFC 3339 text of a time.
pub fn format_time(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// Decodes an optional JSON record read from a table.
pub(super) fn decode<T: DeserializeOwned>(
    bytes: Option<redb::AccessGuard<'_, &'static [u8]>>,
    what: &str,
) -> Result<Option<T>, StoreError> {
    bytes
        .map(|bytes| parse_json(bytes.value(), what))
        .transpose()
}

/// Decodes a JSON record; a record that does not parse is reported as damaged.
pub(super) fn parse_json<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|error| StoreError::Corrupt(format!("{what}: {error}")))
}

/// Serializes a `u128` as 32 hex digits (JSON numbers can't hold it exactly).
pub(super) mod hex_u128 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(value: &u128, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{value:032x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u128, D::Error> {
        let text = String::deserialize(deserializer)?;
        u128::from_str_radix(&text, 16).map_err(D::Error::custom)
    }
}
