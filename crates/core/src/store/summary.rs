//! The figures `inspect` prints, read from the counters: O(types), not O(events).

use std::collections::BTreeMap;

use serde::Serialize;
use time::OffsetDateTime;

use super::records::{DeadLetterStatus, StreamStatus};
use super::schema::counter;
use super::{StoreError, StoreReader};

/// Counts of everything in a store (ARCHITECTURE.md's `inspect` shape).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub format_version: u32,
    pub streams: StreamCounts,
    pub events: EventCounts,
    /// Distinct event-type sequences over all streams.
    pub variants: u64,
    pub outbox: QueueCounts,
    pub deadlines: QueueCounts,
    pub dead_letters: DeadLetterCounts,
    pub audit: AuditCounts,
}

/// Streams by process type and by status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamCounts {
    pub total: u64,
    pub by_type: BTreeMap<String, u64>,
    pub by_status: BTreeMap<String, u64>,
}

/// Events by type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventCounts {
    pub total: u64,
    pub by_type: BTreeMap<String, u64>,
}

/// Pending items of a queue, and how many are past due.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueCounts {
    pub pending: u64,
    pub overdue: u64,
}

/// Dead letters by reason label and by status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetterCounts {
    pub total: u64,
    pub by_reason: BTreeMap<String, u64>,
    pub by_status: BTreeMap<String, u64>,
}

/// Size of the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditCounts {
    pub total: u64,
}

impl Summary {
    /// Reads the summary of a snapshot; `now` decides what is overdue.
    pub fn read(reader: &StoreReader, now: OffsetDateTime) -> Result<Summary, StoreError> {
        let format_version = reader
            .format_version()?
            .and_then(|text| text.parse().ok())
            .unwrap_or(0);
        let by_status =
            |prefix: &str, names: &[&str]| -> Result<BTreeMap<String, u64>, StoreError> {
                let mut counts: BTreeMap<String, u64> =
                    names.iter().map(|name| (name.to_string(), 0)).collect();
                counts.extend(reader.counters_with_prefix(prefix)?);
                Ok(counts)
            };
        let stream_statuses = StreamStatus::ALL.map(StreamStatus::as_str);
        let letter_statuses = DeadLetterStatus::ALL.map(DeadLetterStatus::as_str);
        Ok(Summary {
            format_version,
            streams: StreamCounts {
                total: reader.counter(counter::STREAMS_TOTAL)?,
                by_type: reader
                    .counters_with_prefix(counter::STREAMS_TYPE)?
                    .into_iter()
                    .collect(),
                by_status: by_status(counter::STREAMS_STATUS, &stream_statuses)?,
            },
            events: EventCounts {
                total: reader.counter(counter::EVENTS_TOTAL)?,
                by_type: reader
                    .counters_with_prefix(counter::EVENTS_TYPE)?
                    .into_iter()
                    .collect(),
            },
            variants: reader.variant_count()?,
            outbox: QueueCounts {
                pending: reader.counter(counter::OUTBOX_PENDING)?,
                overdue: reader.outbox_overdue(now)?,
            },
            deadlines: QueueCounts {
                pending: reader.counter(counter::DEADLINES_PENDING)?,
                overdue: reader.deadlines_overdue(now)?,
            },
            dead_letters: DeadLetterCounts {
                total: reader.counter(counter::DEAD_LETTERS_TOTAL)?,
                by_reason: reader
                    .counters_with_prefix(counter::DEAD_LETTERS_REASON)?
                    .into_iter()
                    .collect(),
                by_status: by_status(counter::DEAD_LETTERS_STATUS, &letter_statuses)?,
            },
            audit: AuditCounts {
                total: reader.counter(counter::AUDIT_TOTAL)?,
            },
        })
    }
}
