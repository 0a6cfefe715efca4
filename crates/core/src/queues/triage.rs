//! Dead-letter triage: one scan over every dead letter gives the rows that pass
//! a filter and their failure groups (reason label × message type, count, first
//! and last seen). Only the fields a row shows are decoded; the original
//! message is parsed only when a JSONPath filter needs it.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use serde_json_path::JsonPath;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::store::{DeadLetterStatus, StoreError, StoreReader, rfc3339};

/// Which dead letters to show. Every part that is set must match.
#[derive(Debug, Clone, Default)]
pub struct DeadLetterFilter {
    pub status: Option<DeadLetterStatus>,
    /// Recorded at or after.
    pub from: Option<OffsetDateTime>,
    /// Recorded before.
    pub to: Option<OffsetDateTime>,
    /// The process type of the stream the message was meant for.
    pub process_type: Option<String>,
    /// Only dead letters whose original message has a match for this path.
    pub json_path: Option<JsonPath>,
}

impl DeadLetterFilter {
    /// Parses a JSONPath (RFC 9535) for [`DeadLetterFilter::json_path`]; the
    /// error is the parser's message, for the window to show.
    pub fn parse_json_path(text: &str) -> Result<JsonPath, String> {
        JsonPath::parse(text.trim()).map_err(|error| error.to_string())
    }

    fn matches(&self, row: &DeadLetterRow) -> bool {
        self.status.is_none_or(|status| row.status == status)
            && self.from.is_none_or(|from| row.recorded_at >= from)
            && self.to.is_none_or(|to| row.recorded_at < to)
            && self
                .process_type
                .as_ref()
                .is_none_or(|wanted| row.process_type.as_ref() == Some(wanted))
    }
}

/// One dead letter as the lists show it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DeadLetterRow {
    pub id: Uuid,
    pub reason: String,
    pub status: DeadLetterStatus,
    pub stream_id: Option<String>,
    pub process_type: Option<String>,
    pub message_type: String,
    #[serde(with = "rfc3339")]
    pub recorded_at: OffsetDateTime,
}

/// Dead letters that failed the same way: one reason label and message type.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureGroup {
    pub reason: String,
    pub message_type: String,
    pub count: u64,
    /// Of `count`, how many are still open.
    pub open: u64,
    pub first_seen: OffsetDateTime,
    pub last_seen: OffsetDateTime,
}

impl FailureGroup {
    /// Whether a row belongs to this group.
    pub fn contains(&self, row: &DeadLetterRow) -> bool {
        row.reason == self.reason && row.message_type == self.message_type
    }
}

/// The result of a triage scan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Triage {
    /// Rows passing the filter, oldest first (ties by id).
    pub rows: Vec<DeadLetterRow>,
    /// Groups of those rows, largest first (ties by reason, then message type).
    pub groups: Vec<FailureGroup>,
    /// Dead letters looked at (all of them, unless cancelled).
    pub scanned: u64,
    /// The scan stopped early because it was cancelled.
    pub cancelled: bool,
}

/// A dead letter's original message only (for the JSONPath filter).
#[derive(Deserialize)]
struct OriginalOnly {
    original: Value,
}

/// Scans every dead letter: the rows passing `filter` and their failure
/// groups. `cancelled` is asked now and then; a cancelled scan returns what it
/// had with `cancelled` set.
pub fn triage(
    reader: &StoreReader,
    filter: &DeadLetterFilter,
    cancelled: &dyn Fn() -> bool,
) -> Result<Triage, StoreError> {
    let mut result = Triage::default();
    reader.visit_dead_letter_bytes(|bytes| {
        result.scanned += 1;
        if result.scanned % 4096 == 0 && cancelled() {
            result.cancelled = true;
            return Ok(false);
        }
        let row: DeadLetterRow = serde_json::from_slice(bytes)?;
        if !filter.matches(&row) {
            return Ok(true);
        }
        if let Some(path) = &filter.json_path {
            let message: OriginalOnly = serde_json::from_slice(bytes)?;
            if path.query(&message.original).is_empty() {
                return Ok(true);
            }
        }
        result.rows.push(row);
        Ok::<bool, StoreError>(true)
    })?;
    result
        .rows
        .sort_unstable_by_key(|row| (row.recorded_at, row.id));
    result.groups = group(&result.rows);
    Ok(result)
}

/// Failure groups of `rows`, largest first.
pub fn group(rows: &[DeadLetterRow]) -> Vec<FailureGroup> {
    let mut groups: BTreeMap<(&str, &str), FailureGroup> = BTreeMap::new();
    for row in rows {
        let open = u64::from(row.status == DeadLetterStatus::Open);
        groups
            .entry((row.reason.as_str(), row.message_type.as_str()))
            .and_modify(|group| {
                group.count += 1;
                group.open += open;
                group.first_seen = group.first_seen.min(row.recorded_at);
                group.last_seen = group.last_seen.max(row.recorded_at);
            })
            .or_insert_with(|| FailureGroup {
                reason: row.reason.clone(),
                message_type: row.message_type.clone(),
                count: 1,
                open,
                first_seen: row.recorded_at,
                last_seen: row.recorded_at,
            });
    }
    let mut groups: Vec<FailureGroup> = groups.into_values().collect();
    // BTreeMap order already sorts ties by reason and message type; a stable
    // sort by count keeps it.
    groups.sort_by_key(|group| std::cmp::Reverse(group.count));
    groups
}
