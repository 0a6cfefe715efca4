//! Every table of the process store, in one place.
//!
//! Values are JSON bytes (`&[u8]`) so that any tool can read them and so that a
//! record whose bytes are damaged can still be shown raw instead of failing the
//! whole read. Keys are typed redb keys. Times in keys are Unix nanoseconds
//! (`i64`), which sort in time order.
//!
//! Format version 1:
//!
//! | table | key → value | purpose |
//! |---|---|---|
//! | `meta` | name → text | format version, creator, created_at |
//! | `counters` | name → u64 | O(1)/O(types) figures for `inspect`, the write generation |
//! | `events` | position → event JSON | the global log, append-only, positions from 1 |
//! | `stream_events` | (stream, version) → position | a stream's events; an event of several objects appears in each |
//! | `streams` | stream → stream info JSON | process type, status, version, last error, variant |
//! | `streams_by_type` | (process type, status, stream) → () | filter the stream list without a scan |
//! | `streams_by_status` | (status, stream) → () | filter by status across types |
//! | `variants` | variant hash → number of streams | distinct event-type sequences, counted as they change |
//! | `event_ids` | event id → position | find any event by id |
//! | `caused_by` | (cause id, event id) → () | descendants for the causal graph |
//! | `correlated` | (correlation id, position) → () | all events of one conversation |
//! | `correlation_keys` | business key → stream | routing of inbound messages by key |
//! | `outbox` / `outbox_due` | id → message JSON; (due nanos, id) → () | pending outbound messages |
//! | `deadlines` / `deadlines_due` | id → deadline JSON; (due nanos, id) → () | timers per stream |
//! | `dead_letters` | id → dead letter JSON | failed inbound or outbound messages |
//! | `dead_letters_by_time` | (recorded nanos, id) → () | dead letters in time order |
//! | `dead_letters_by_reason` | (reason, recorded nanos, id) → () | dead letters of one reason in time order |
//! | `inbox` | dedup key → position of the first event it produced (0 if none) | idempotent intake |
//! | `checkpoints` | (stream, version) → state JSON | fast replay to any version |
//! | `definitions` | process type → definition JSON | the store carries its own process rules |
//! | `audit` | seq → audit entry JSON | every operator action |

use redb::{TableDefinition, TableError, WriteTransaction};

/// Format version written by this build; newer files are refused.
pub const FORMAT_VERSION: u32 = 1;

/// Meta key holding the format version.
pub const META_FORMAT_VERSION: &str = "format_version";
/// Meta key holding the program that created the store.
pub const META_CREATOR: &str = "creator";
/// Meta key holding the creation time (RFC 3339).
pub const META_CREATED_AT: &str = "created_at";

pub const META: TableDefinition<&str, &str> = TableDefinition::new("meta");
pub const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");
pub const EVENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("events");
pub const STREAM_EVENTS: TableDefinition<(&str, u64), u64> = TableDefinition::new("stream_events");
pub const STREAMS: TableDefinition<&str, &[u8]> = TableDefinition::new("streams");
pub const STREAMS_BY_TYPE: TableDefinition<(&str, &str, &str), ()> =
    TableDefinition::new("streams_by_type");
pub const STREAMS_BY_STATUS: TableDefinition<(&str, &str), ()> =
    TableDefinition::new("streams_by_status");
pub const VARIANTS: TableDefinition<u128, u64> = TableDefinition::new("variants");
pub const EVENT_IDS: TableDefinition<u128, u64> = TableDefinition::new("event_ids");
pub const CAUSED_BY: TableDefinition<(u128, u128), ()> = TableDefinition::new("caused_by");
pub const CORRELATED: TableDefinition<(u128, u64), ()> = TableDefinition::new("correlated");
pub const CORRELATION_KEYS: TableDefinition<&str, &str> = TableDefinition::new("correlation_keys");
pub const OUTBOX: TableDefinition<u128, &[u8]> = TableDefinition::new("outbox");
pub const OUTBOX_DUE: TableDefinition<(i64, u128), ()> = TableDefinition::new("outbox_due");
pub const DEADLINES: TableDefinition<u128, &[u8]> = TableDefinition::new("deadlines");
pub const DEADLINES_DUE: TableDefinition<(i64, u128), ()> = TableDefinition::new("deadlines_due");
pub const DEAD_LETTERS: TableDefinition<u128, &[u8]> = TableDefinition::new("dead_letters");
pub const DEAD_LETTERS_BY_TIME: TableDefinition<(i64, u128), ()> =
    TableDefinition::new("dead_letters_by_time");
pub const DEAD_LETTERS_BY_REASON: TableDefinition<(&str, i64, u128), ()> =
    TableDefinition::new("dead_letters_by_reason");
pub const INBOX: TableDefinition<&str, u64> = TableDefinition::new("inbox");
pub const CHECKPOINTS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("checkpoints");
pub const DEFINITIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("definitions");
pub const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");

/// Creates every table (a new store has them all, empty, so that any tool
/// reading the file finds the whole schema). A write opens only the tables
/// it needs.
pub(super) fn create_tables(transaction: &WriteTransaction) -> Result<(), TableError> {
    transaction.open_table(META)?;
    transaction.open_table(COUNTERS)?;
    transaction.open_table(EVENTS)?;
    transaction.open_table(STREAM_EVENTS)?;
    transaction.open_table(STREAMS)?;
    transaction.open_table(STREAMS_BY_TYPE)?;
    transaction.open_table(STREAMS_BY_STATUS)?;
    transaction.open_table(VARIANTS)?;
    transaction.open_table(EVENT_IDS)?;
    transaction.open_table(CAUSED_BY)?;
    transaction.open_table(CORRELATED)?;
    transaction.open_table(CORRELATION_KEYS)?;
    transaction.open_table(OUTBOX)?;
    transaction.open_table(OUTBOX_DUE)?;
    transaction.open_table(DEADLINES)?;
    transaction.open_table(DEADLINES_DUE)?;
    transaction.open_table(DEAD_LETTERS)?;
    transaction.open_table(DEAD_LETTERS_BY_TIME)?;
    transaction.open_table(DEAD_LETTERS_BY_REASON)?;
    transaction.open_table(INBOX)?;
    transaction.open_table(CHECKPOINTS)?;
    transaction.open_table(DEFINITIONS)?;
    transaction.open_table(AUDIT)?;
    Ok(())
}

/// Counter names in the `counters` table. Per-type counters append the type
/// after the prefix, e.g. `events.type/MeterReading`.
pub mod counter {
    /// Bumped by every write transaction; caches key on it.
    pub const GENERATION: &str = "generation";
    pub const STREAMS_TOTAL: &str = "streams.total";
    pub const STREAMS_TYPE: &str = "streams.type/";
    pub const STREAMS_STATUS: &str = "streams.status/";
    pub const EVENTS_TOTAL: &str = "events.total";
    pub const EVENTS_TYPE: &str = "events.type/";
    pub const NEXT_POSITION: &str = "events.next_position";
    pub const OUTBOX_PENDING: &str = "outbox.pending";
    pub const DEADLINES_PENDING: &str = "deadlines.pending";
    pub const DEAD_LETTERS_TOTAL: &str = "dead_letters.total";
    pub const DEAD_LETTERS_REASON: &str = "dead_letters.reason/";
    pub const DEAD_LETTERS_STATUS: &str = "dead_letters.status/";
    pub const AUDIT_TOTAL: &str = "audit.total";
}
