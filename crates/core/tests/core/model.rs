//! The model-based test of the store: random sequences of appends (through
//! the writer, and through the engine's dispatch), dead letters, queue
//! records and every operator action run on a real store in a temporary
//! folder and on a plain in-memory model (maps and lists) that predicts what
//! each one writes. Afterwards every read of `StoreReader` agrees with the
//! model, and the integrity check finds nothing.
//!
//! Ids the engine draws at random (the events, messages and dead letters it
//! makes) are learned from the store right after the step that made them;
//! everything else the model predicts on its own. Whether a message fits a
//! process definition is asked of `Definition::step`: the model is of the
//! store and of the engine's writes, not of the definition language.

use std::collections::{BTreeMap, BTreeSet};

use process_workbench_core::actions::{self, Action, Request, Unwatched};
use process_workbench_core::definition::{OPERATOR_MARK, Rejection};
use process_workbench_core::engine::{
    Definition, DispatchOutcome, Engine, InboundMessage, Operator, deadline_id_of,
};
use process_workbench_core::store::check::check;
use process_workbench_core::store::{
    Attempt, AuditEntry, DeadLetter, DeadLetterStatus, Deadline, Direction, Event, NewEvent,
    OutboxMessage, Resolution, Store, StoreError, StoreReader, StreamFilter, StreamInfo,
    StreamStatus, StreamVersion, Summary, all_pages, format_time, nanos, next_variant,
};
use proptest::prelude::*;
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

const T0: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

/// Streams the operations pick from: `s-*` are of a process type without a
/// definition, `lamp-*` of the `lamp` definition. Neither exists before an
/// operation creates it.
const STREAMS: [&str; 6] = ["s-0", "s-1", "s-2", "lamp-0", "lamp-1", "lamp-2"];
/// Message types sent to lamps: allowed, refused, and needing a field.
const MESSAGES: [&str; 4] = ["TurnOn", "TurnOff", "Break", "Unknown"];
/// What deadlines append when they expire.
const EXPIRIES: [&str; 3] = ["TurnOff", "Break", "Expired"];
/// Reasons of dead letters put by the writer directly.
const REASONS: [&str; 3] = ["delivery_failed", "malformed_payload", "manual"];
/// Stands for an id the engine draws, until it is learned from the store.
const PENDING: Uuid = Uuid::max();

const USER: &str = "tester";
const REASON: &str = "model test";

fn lamp() -> Definition {
    Definition::from_json(&json!({
        "process_type": "lamp",
        "stream_prefix": "lamp",
        "states": ["off", "on", "broken"],
        "initial": "off",
        "terminal": ["broken"],
        "failed": ["broken"],
        "transitions": [
            {"from": "off", "on": "TurnOn", "to": "on"},
            {"from": "on", "on": "TurnOff", "to": "off"},
            {"from": "*", "on": "Break", "to": "broken", "require": ["why"]}
        ]
    }))
    .expect("definition")
}

/// The correlation id of the conversation of stream `index`.
fn correlation(index: usize) -> Uuid {
    Uuid::from_u128(0xC0 << 64 | index as u128)
}

/// An id that names no record.
fn stranger() -> Uuid {
    Uuid::from_u128(0x5742_4e47_4552)
}

// ----- operations ----------------------------------------------------------------------------

/// One step. Indexes into lists the model holds (events, queue records, dead
/// letters) are taken modulo their length, so that a step may also aim at a
/// record that is gone or closed.
#[derive(Debug, Clone)]
enum Op {
    /// `StoreWriter::append` of `count` events to one stream, optionally
    /// changing its status, or with a stale expected version.
    Append {
        stream: usize,
        count: usize,
        cause: usize,
        correlated: bool,
        status: Option<StreamStatus>,
        stale: bool,
        kind: u8,
    },
    /// `StoreWriter::insert_event` of one event that belongs to several streams.
    AppendShared {
        streams: Vec<usize>,
        cause: usize,
        other_cause: usize,
        kind: u8,
    },
    /// The engine's dispatch of a message to a stream.
    Dispatch {
        stream: usize,
        message: usize,
        why: bool,
        dedup: Option<u8>,
        malformed: bool,
    },
    /// The engine's dispatch of a message for no process.
    DispatchUnrouted,
    PutOutbox {
        stream: usize,
        due: i64,
        cause: usize,
    },
    PutDeadline {
        stream: usize,
        due: i64,
        derived: bool,
        expiry: usize,
    },
    /// `StoreWriter::put_dead_letter` of an inbound or outbound dead letter.
    PutDeadLetter {
        stream: Option<usize>,
        target: usize,
        reason: usize,
        outbound: bool,
        message: usize,
        why: bool,
    },
    Resubmit {
        letter: usize,
        edit: bool,
    },
    Discard {
        letter: usize,
    },
    DeliverNow {
        message: usize,
    },
    RescheduleOutbox {
        message: usize,
        minutes: i64,
    },
    CancelOutbox {
        message: usize,
    },
    OutboxToDeadLetter {
        message: usize,
    },
    FireDeadline {
        deadline: usize,
    },
    RescheduleDeadline {
        deadline: usize,
        minutes: i64,
    },
    CancelDeadline {
        deadline: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let stream = 0..STREAMS.len();
    let status = prop_oneof![
        3 => Just(None),
        1 => Just(Some(StreamStatus::Completed)),
        1 => Just(Some(StreamStatus::Failed)),
        1 => Just(Some(StreamStatus::Running)),
    ];
    prop_oneof![
        4 => (stream.clone(), 1..4usize, 0..12usize, any::<bool>(), status, prop::bool::weighted(0.1), any::<u8>())
            .prop_map(|(stream, count, cause, correlated, status, stale, kind)| Op::Append {
                stream, count, cause, correlated, status, stale, kind
            }),
        1 => (prop::sample::subsequence((0..STREAMS.len()).collect::<Vec<_>>(), 2..=3).prop_shuffle(), 0..12usize, 0..12usize, any::<u8>())
            .prop_map(|(streams, cause, other_cause, kind)| Op::AppendShared { streams, cause, other_cause, kind }),
        4 => (3..STREAMS.len(), 0..MESSAGES.len(), prop::bool::weighted(0.7), prop::option::weighted(0.3, 0..3u8), prop::bool::weighted(0.1))
            .prop_map(|(stream, message, why, dedup, malformed)| Op::Dispatch { stream, message, why, dedup, malformed }),
        1 => (0..STREAMS.len(), 0..3usize, any::<bool>(), any::<bool>())
            .prop_map(|(stream, message, why, _)| Op::Dispatch { stream, message, why, dedup: None, malformed: false }),
        1 => Just(Op::DispatchUnrouted),
        2 => (stream.clone(), -30..90i64, 0..12usize).prop_map(|(stream, due, cause)| Op::PutOutbox { stream, due, cause }),
        2 => (stream.clone(), -30..90i64, any::<bool>(), 0..EXPIRIES.len())
            .prop_map(|(stream, due, derived, expiry)| Op::PutDeadline { stream, due, derived, expiry }),
        2 => (prop::option::weighted(0.8, stream.clone()), stream.clone(), 0..REASONS.len(), any::<bool>(), 0..MESSAGES.len(), any::<bool>())
            .prop_map(|(stream, target, reason, outbound, message, why)| Op::PutDeadLetter { stream, target, reason, outbound, message, why }),
        2 => (0..8usize, any::<bool>()).prop_map(|(letter, edit)| Op::Resubmit { letter, edit }),
        1 => (0..8usize).prop_map(|letter| Op::Discard { letter }),
        1 => (0..8usize).prop_map(|message| Op::DeliverNow { message }),
        1 => (0..8usize, -60..600i64).prop_map(|(message, minutes)| Op::RescheduleOutbox { message, minutes }),
        1 => (0..8usize).prop_map(|message| Op::CancelOutbox { message }),
        1 => (0..8usize).prop_map(|message| Op::OutboxToDeadLetter { message }),
        1 => (0..8usize).prop_map(|deadline| Op::FireDeadline { deadline }),
        1 => (0..8usize, -60..600i64).prop_map(|(deadline, minutes)| Op::RescheduleDeadline { deadline, minutes }),
        1 => (0..8usize).prop_map(|deadline| Op::CancelDeadline { deadline }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_read_agrees_with_a_plain_model(ops in prop::collection::vec(op(), 1..=40)) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path().join("model.redb")).unwrap();
        Engine::load(&store).unwrap().install_definition(&store, lamp()).unwrap();
        // Two write transactions so far: the new store's meta, the definition.
        let mut model = Model::new(2);
        for op in &ops {
            model.now += Duration::minutes(1);
            run(op, &store, &mut model)?;
        }
        verify(&store, &model)?;
    }
}

// ----- the model -----------------------------------------------------------------------------

/// What the store should hold.
struct Model {
    now: OffsetDateTime,
    generation: u64,
    /// The global log; position `n` is at index `n - 1`.
    log: Vec<Event>,
    streams: BTreeMap<String, StreamInfo>,
    /// Each stream's events: their positions in version order.
    members: BTreeMap<String, Vec<u64>>,
    outbox: BTreeMap<Uuid, OutboxMessage>,
    deadlines: BTreeMap<Uuid, Deadline>,
    letters: BTreeMap<Uuid, DeadLetter>,
    audit: Vec<AuditEntry>,
    inbox: BTreeMap<String, u64>,
    /// Every id an outbox message, deadline or dead letter ever had (the
    /// targets of actions, gone ones too), in the order they came.
    outbox_ids: Vec<Uuid>,
    deadline_ids: Vec<Uuid>,
    letter_ids: Vec<Uuid>,
    next_id: u128,
    lamp: Definition,
}

impl Model {
    fn new(generation: u64) -> Model {
        Model {
            now: T0,
            generation,
            log: Vec::new(),
            streams: BTreeMap::new(),
            members: BTreeMap::new(),
            outbox: BTreeMap::new(),
            deadlines: BTreeMap::new(),
            letters: BTreeMap::new(),
            audit: Vec::new(),
            inbox: BTreeMap::new(),
            outbox_ids: Vec::new(),
            deadline_ids: Vec::new(),
            letter_ids: Vec::new(),
            next_id: 0,
            lamp: lamp(),
        }
    }

    /// An id of the test's own (for records the test makes).
    fn fresh_id(&mut self) -> Uuid {
        self.next_id += 1;
        Uuid::from_u128(0x7e57 << 112 | self.next_id)
    }

    /// The cause an index picks: none, an id that is no event, or an event of the log.
    fn cause(&self, index: usize) -> Option<Uuid> {
        match index {
            0 => None,
            1 => Some(stranger()),
            _ if self.log.is_empty() => None,
            _ => Some(self.log[index % self.log.len()].event_id),
        }
    }

    /// A new stream's record as the test makes it.
    fn new_stream(&self, index: usize) -> StreamInfo {
        let id = STREAMS[index];
        StreamInfo {
            stream_id: id.to_string(),
            process_type: if id.starts_with("lamp") {
                "lamp"
            } else {
                "plain"
            }
            .to_string(),
            status: StreamStatus::Running,
            process_state: None,
            version: 0,
            created_at: self.now,
            updated_at: self.now,
            last_error: None,
            correlation_id: Some(correlation(index)),
            variant: 0,
            metadata: json!({"made_by": "model test"}),
        }
    }

    /// Stores `new` in the log and in `streams` (its own first), each at its
    /// next version, and returns its position. The streams' records must be in
    /// the model; they move on past the event.
    fn append(&mut self, streams: &[String], new: NewEvent, recorded_at: OffsetDateTime) -> u64 {
        let position = self.log.len() as u64 + 1;
        let mut versions = Vec::new();
        for stream_id in streams {
            let info = self
                .streams
                .get_mut(stream_id)
                .expect("stream in the model");
            info.version += 1;
            // A stream spans its earliest to its latest event, in whatever order they came.
            if info.version == 1 || new.occurred_at < info.created_at {
                info.created_at = new.occurred_at;
            }
            if info.version == 1 || new.occurred_at > info.updated_at {
                info.updated_at = new.occurred_at;
            }
            info.variant = next_variant(info.variant, &new.event_type);
            versions.push(info.version);
            self.members
                .entry(stream_id.clone())
                .or_default()
                .push(position);
        }
        self.log.push(Event {
            event_id: new.event_id.unwrap_or(PENDING),
            stream_id: streams[0].clone(),
            version: versions[0],
            position,
            event_type: new.event_type,
            occurred_at: new.occurred_at,
            recorded_at,
            correlation_id: new.correlation_id,
            causation_id: new.causation_id,
            other_causes: new.other_causes,
            other_streams: streams[1..]
                .iter()
                .zip(&versions[1..])
                .map(|(stream_id, version)| StreamVersion {
                    stream_id: stream_id.clone(),
                    version: *version,
                })
                .collect(),
            payload: new.payload,
            metadata: new.metadata,
        });
        position
    }

    /// Fills in the engine's ids of the event at `position` from the store.
    fn learn_event(&mut self, snapshot: &StoreReader, position: u64) -> Result<(), TestCaseError> {
        let actual = snapshot
            .event_at(position)
            .unwrap()
            .ok_or_else(|| TestCaseError::fail(format!("no event at {position}")))?;
        let predicted = &mut self.log[position as usize - 1];
        if predicted.event_id == PENDING {
            predicted.event_id = actual.event_id;
        }
        if predicted.causation_id == Some(PENDING) {
            predicted.causation_id = actual.causation_id;
        }
        if predicted.metadata.get("message_id") == Some(&json!(PENDING)) {
            predicted.metadata["message_id"] = actual.metadata["message_id"].clone();
        }
        Ok(())
    }

    /// The one dead letter in the store that the model does not know.
    fn learn_letter(&self, snapshot: &StoreReader) -> Result<DeadLetter, TestCaseError> {
        let all = all_pages(|after| snapshot.dead_letters(after, 100)).unwrap();
        let mut new = all
            .into_iter()
            .filter(|letter| !self.letters.contains_key(&letter.id));
        match (new.next(), new.next()) {
            (Some(letter), None) => Ok(letter),
            other => Err(TestCaseError::fail(format!(
                "expected one new dead letter, found {other:?}"
            ))),
        }
    }

    /// The id of the one outbox message in the store that the model does not know.
    fn learn_outbox(&self, snapshot: &StoreReader) -> Result<Uuid, TestCaseError> {
        let all = all_pages(|after| snapshot.outbox(after, 100)).unwrap();
        let new: Vec<Uuid> = all
            .iter()
            .map(|message| message.id)
            .filter(|id| !self.outbox.contains_key(id))
            .collect();
        match new.as_slice() {
            [id] => Ok(*id),
            other => Err(TestCaseError::fail(format!(
                "expected one new outbox message, found {other:?}"
            ))),
        }
    }

    /// The engine's `try_dispatch`: the position of the event the message
    /// appended, or why it was refused and the stream it was meant for.
    fn try_dispatch(
        &mut self,
        snapshot: &StoreReader,
        message: &InboundMessage,
    ) -> Result<Result<u64, (Rejection, Option<String>)>, TestCaseError> {
        let existing = message
            .stream_id
            .as_ref()
            .and_then(|id| self.streams.get(id))
            .cloned();
        let process_type = existing
            .as_ref()
            .map(|info| info.process_type.clone())
            .or(message.process_type.clone());
        let stream_of = existing.as_ref().map(|info| info.stream_id.clone());
        let Some(process_type) = process_type else {
            return Ok(Err((
                Rejection::UnknownProcess("(none given)".to_string()),
                stream_of,
            )));
        };
        if process_type != "lamp" {
            return Ok(Err((Rejection::UnknownProcess(process_type), stream_of)));
        }
        let state = existing
            .as_ref()
            .and_then(|info| info.process_state.clone())
            .unwrap_or_else(|| self.lamp.initial.clone());
        let transition = match self
            .lamp
            .step(&state, &message.message_type, &message.payload)
        {
            Ok(transition) => transition.clone(),
            Err(rejection) => return Ok(Err((rejection, stream_of))),
        };
        let stream_id = message
            .stream_id
            .clone()
            .expect("the test routes by stream id");
        let mut info = existing.unwrap_or_else(|| StreamInfo {
            stream_id: stream_id.clone(),
            process_type: "lamp".to_string(),
            status: StreamStatus::Running,
            process_state: None,
            version: 0,
            created_at: message.received_at,
            updated_at: message.received_at,
            last_error: None,
            correlation_id: message.correlation_id,
            variant: 0,
            metadata: Value::Null,
        });
        let correlation_id = info.correlation_id.or(message.correlation_id);
        info.correlation_id = correlation_id;
        let from_state = info
            .process_state
            .replace(transition.to.clone())
            .unwrap_or_else(|| self.lamp.initial.clone());
        info.status = self.lamp.status_of(&transition.to);
        info.last_error = (info.status == StreamStatus::Failed).then(|| {
            format!(
                "{} moved the process to {}",
                message.message_type, transition.to
            )
        });
        let mut metadata = serde_json::Map::new();
        metadata.insert("message_id".into(), json!(message.message_id));
        metadata.insert("from_state".into(), json!(from_state));
        if let Some(sender) = &message.sender {
            metadata.insert("sender".into(), json!(sender));
        }
        if let Value::Object(extra) = &message.metadata {
            metadata.extend(extra.clone());
        }
        self.streams.insert(stream_id.clone(), info);
        let position = self.append(
            std::slice::from_ref(&stream_id),
            NewEvent {
                event_id: None,
                event_type: message.message_type.clone(),
                occurred_at: message.received_at,
                correlation_id,
                causation_id: Some(message.causation_id.unwrap_or(message.message_id)),
                other_causes: Vec::new(),
                payload: message.payload.clone(),
                metadata: Value::Object(metadata),
            },
            self.now,
        );
        self.learn_event(snapshot, position)?;
        if let Some(key) = &message.dedup_key {
            self.inbox.insert(key.clone(), position);
        }
        // A transition without a deadline clears the stream's pending one.
        self.deadlines.remove(&deadline_id_of(&stream_id));
        Ok(Ok(position))
    }

    /// The engine's `dead_letter_inbound`: returns the new dead letter.
    fn dead_letter_inbound(
        &mut self,
        snapshot: &StoreReader,
        message: &InboundMessage,
        rejection: &Rejection,
        stream: Option<String>,
    ) -> Result<DeadLetter, TestCaseError> {
        let detail = rejection.to_string();
        let actual = self.learn_letter(snapshot)?;
        let mut original = serde_json::to_value(message).unwrap();
        if original["message_id"] == json!(PENDING) {
            original["message_id"] = actual.original["message_id"].clone();
        }
        let stream_info = stream.as_ref().and_then(|id| self.streams.get(id));
        let letter = DeadLetter {
            id: actual.id,
            reason: rejection.label().to_string(),
            detail: detail.clone(),
            status: DeadLetterStatus::Open,
            direction: Direction::Inbound,
            stream_id: stream_info
                .map(|info| info.stream_id.clone())
                .or(message.stream_id.clone()),
            process_type: stream_info
                .map(|info| info.process_type.clone())
                .or(message.process_type.clone()),
            message_type: message.message_type.clone(),
            original,
            attempts: vec![Attempt {
                at: self.now,
                error: detail.clone(),
                by: "engine".to_string(),
            }],
            recorded_at: self.now,
            resolution: None,
        };
        self.letters.insert(letter.id, letter.clone());
        self.letter_ids.push(letter.id);
        if let Some(info) = stream.and_then(|id| self.streams.get_mut(&id)) {
            info.last_error = Some(format!("{}: {detail}", message.message_type));
        }
        Ok(letter)
    }

    /// The engine's `operator_event`: an event of the action on the stream,
    /// when the stream exists.
    #[allow(clippy::too_many_arguments)]
    fn operator_event(
        &mut self,
        snapshot: &StoreReader,
        stream_id: &str,
        event_type: &str,
        payload: Value,
        causation_id: Option<Uuid>,
        action: &str,
    ) -> Result<Option<u64>, TestCaseError> {
        let Some(info) = self.streams.get(stream_id) else {
            return Ok(None);
        };
        let correlation_id = info.correlation_id;
        let position = self.append(
            &[stream_id.to_string()],
            NewEvent {
                event_id: None,
                event_type: event_type.to_string(),
                occurred_at: self.now,
                correlation_id,
                causation_id,
                other_causes: Vec::new(),
                payload,
                metadata: json!({ OPERATOR_MARK: action, "user": USER, "reason": REASON }),
            },
            self.now,
        );
        self.learn_event(snapshot, position)?;
        Ok(Some(position))
    }

    fn audit(
        &mut self,
        action: &str,
        target: String,
        stream_id: Option<String>,
        before: Value,
        after: Value,
    ) {
        self.audit.push(AuditEntry {
            seq: self.audit.len() as u64 + 1,
            at: self.now,
            user: USER.to_string(),
            action: action.to_string(),
            target,
            reason: REASON.to_string(),
            stream_id,
            before,
            after,
        });
    }

    /// The engine's `resolve`: closes a dead letter by `action`.
    fn resolve(
        &mut self,
        snapshot: &StoreReader,
        letter: DeadLetter,
        action: &str,
        new_message_id: Option<Uuid>,
        result: Value,
    ) -> Result<(), TestCaseError> {
        let before = serde_json::to_value(&letter).unwrap();
        let mut after = letter.clone();
        after.status = if action == "discard" {
            DeadLetterStatus::Discarded
        } else {
            DeadLetterStatus::Resubmitted
        };
        after.resolution = Some(Resolution {
            at: self.now,
            user: USER.to_string(),
            action: action.to_string(),
            reason: REASON.to_string(),
            new_message_id,
        });
        self.letters.insert(after.id, after.clone());
        let event_type = if action == "discard" {
            "DeadLetterDiscarded"
        } else {
            "DeadLetterResubmitted"
        };
        let mut payload = json!({ "dead_letter_id": letter.id, "reason_label": letter.reason, "message_type": letter.message_type });
        if let (Some(object), Some(extra)) = (payload.as_object_mut(), result.as_object()) {
            object.extend(extra.clone());
        }
        if let Some(stream_id) = &letter.stream_id {
            self.operator_event(
                snapshot,
                stream_id,
                event_type,
                payload,
                Some(letter.id),
                action,
            )?;
        }
        self.audit(
            &format!("dead_letter.{action}"),
            format!("dead_letter:{}", letter.id),
            letter.stream_id.clone(),
            before,
            serde_json::to_value(&after).unwrap(),
        );
        Ok(())
    }

    /// The open dead letter an index picks, or why an action on it is refused.
    fn open_letter(&self, index: usize) -> Option<(Uuid, Option<DeadLetter>)> {
        if self.letter_ids.is_empty() {
            return None;
        }
        let id = self.letter_ids[index % self.letter_ids.len()];
        let letter = self.letters.get(&id).cloned();
        Some((
            id,
            letter.filter(|letter| letter.status == DeadLetterStatus::Open),
        ))
    }
}

/// The id an index picks from `ids`, or a stranger when there are none.
fn pick(ids: &[Uuid], index: usize) -> Uuid {
    if ids.is_empty() {
        stranger()
    } else {
        ids[index % ids.len()]
    }
}

// ----- running a step on both --------------------------------------------------------------

fn run(op: &Op, store: &Store, model: &mut Model) -> Result<(), TestCaseError> {
    let now = model.now;
    match op {
        Op::Append {
            stream,
            count,
            cause,
            correlated,
            status,
            stale,
            kind,
        } => {
            let stream_id = STREAMS[*stream].to_string();
            let mut events = Vec::new();
            for n in 0..*count {
                let kind = kind.wrapping_add(n as u8);
                events.push(NewEvent {
                    event_id: Some(model.fresh_id()),
                    event_type: ["A", "B", "C"][usize::from(kind % 3)].to_string(),
                    occurred_at: now - Duration::seconds(i64::from(kind % 7)),
                    correlation_id: correlated.then(|| correlation(*stream)),
                    causation_id: model.cause(cause + n),
                    other_causes: Vec::new(),
                    payload: json!({ "n": kind, "text": format!("x\"{kind}\u{e9}") }),
                    metadata: if kind % 2 == 0 {
                        Value::Null
                    } else {
                        json!({"k": kind})
                    },
                });
            }
            let fresh = model.new_stream(*stream);
            let written = events.clone();
            let result = store.write(|w| {
                let mut info = w.stream(&stream_id)?.unwrap_or(fresh.clone());
                if let Some(status) = status {
                    info.status = *status;
                }
                let expected = info.version + u64::from(*stale);
                w.append(&mut info, expected, written, now)
            });
            if *stale {
                prop_assert!(
                    matches!(result, Err(StoreError::VersionConflict { .. })),
                    "{result:?}"
                );
                return Ok(());
            }
            result.unwrap();
            model.generation += 1;
            let info = model.streams.entry(stream_id.clone()).or_insert(fresh);
            if let Some(status) = status {
                info.status = *status;
            }
            for event in events {
                model.append(std::slice::from_ref(&stream_id), event, now);
            }
        }
        Op::AppendShared {
            streams,
            cause,
            other_cause,
            kind,
        } => {
            let ids: Vec<String> = streams.iter().map(|s| STREAMS[*s].to_string()).collect();
            let causation_id = model.cause(*cause);
            let other = model
                .cause(*other_cause + 2)
                .filter(|id| Some(*id) != causation_id);
            let event = NewEvent {
                event_id: Some(model.fresh_id()),
                event_type: format!("Shared{}", kind % 2),
                occurred_at: now,
                correlation_id: Some(correlation(streams[0])),
                causation_id,
                other_causes: other.into_iter().collect(),
                payload: json!({ "objects": ids.len() }),
                metadata: Value::Null,
            };
            let fresh: Vec<StreamInfo> = streams.iter().map(|s| model.new_stream(*s)).collect();
            let written = event.clone();
            store
                .write(|w| {
                    let mut infos = Vec::new();
                    for info in &fresh {
                        infos.push(w.stream(&info.stream_id)?.unwrap_or(info.clone()));
                    }
                    w.insert_event(written, &mut infos, now)?;
                    for info in &infos {
                        w.put_stream(info)?;
                    }
                    Ok::<(), StoreError>(())
                })
                .unwrap();
            model.generation += 1;
            for info in fresh {
                model.streams.entry(info.stream_id.clone()).or_insert(info);
            }
            model.append(&ids, event, now);
        }
        Op::Dispatch {
            stream,
            message,
            why,
            dedup,
            malformed,
        } => {
            let payload = if *malformed {
                json!("raw")
            } else if *why {
                json!({ "why": "worn out", "level": stream })
            } else {
                json!({ "level": stream })
            };
            let message = InboundMessage {
                message_id: model.fresh_id(),
                message_type: MESSAGES[*message].to_string(),
                process_type: Some("lamp".to_string()),
                stream_id: Some(STREAMS[*stream].to_string()),
                correlation_key: None,
                dedup_key: dedup.map(|key| format!("key-{key}")),
                sender: Some(USER.to_string()),
                causation_id: None,
                correlation_id: Some(correlation(*stream)),
                payload,
                received_at: now,
                metadata: Value::Null,
            };
            dispatch(store, model, message)?;
        }
        Op::DispatchUnrouted => {
            let message = InboundMessage {
                message_id: model.fresh_id(),
                message_type: "Hello".to_string(),
                process_type: None,
                stream_id: None,
                correlation_key: None,
                dedup_key: None,
                sender: None,
                causation_id: None,
                correlation_id: None,
                payload: json!({}),
                received_at: now,
                metadata: json!({"via": "nowhere"}),
            };
            dispatch(store, model, message)?;
        }
        Op::PutOutbox { stream, due, cause } => {
            let message = OutboxMessage {
                id: model.fresh_id(),
                stream_id: STREAMS[*stream].to_string(),
                message_type: "Notice".to_string(),
                recipient: "partner".to_string(),
                payload: json!({ "due": due }),
                due_at: now + Duration::minutes(*due),
                attempts: 0,
                max_attempts: 3,
                last_error: None,
                created_at: now,
                caused_by: model.cause(*cause).or(Some(stranger())),
                correlation_id: Some(correlation(*stream)),
                attempt_log: Vec::new(),
            };
            store.write(|w| w.put_outbox(message.clone())).unwrap();
            model.generation += 1;
            model.outbox_ids.push(message.id);
            model.outbox.insert(message.id, message);
        }
        Op::PutDeadline {
            stream,
            due,
            derived,
            expiry,
        } => {
            let stream_id = STREAMS[*stream].to_string();
            let deadline = Deadline {
                id: if *derived {
                    deadline_id_of(&stream_id)
                } else {
                    model.fresh_id()
                },
                stream_id,
                on_expiry: EXPIRIES[*expiry].to_string(),
                due_at: now + Duration::minutes(*due),
                created_at: now,
                caused_by: Some(stranger()),
                correlation_id: Some(correlation(*stream)),
            };
            store.write(|w| w.put_deadline(deadline.clone())).unwrap();
            model.generation += 1;
            if !model.deadline_ids.contains(&deadline.id) {
                model.deadline_ids.push(deadline.id);
            }
            model.deadlines.insert(deadline.id, deadline);
        }
        Op::PutDeadLetter {
            stream,
            target,
            reason,
            outbound,
            message,
            why,
        } => {
            let target_id = STREAMS[*target].to_string();
            let original = if *outbound {
                serde_json::to_value(OutboxMessage {
                    id: model.fresh_id(),
                    stream_id: target_id,
                    message_type: "Notice".to_string(),
                    recipient: "partner".to_string(),
                    payload: json!({ "why": why }),
                    due_at: now,
                    attempts: 3,
                    max_attempts: 3,
                    last_error: Some("down".to_string()),
                    created_at: now,
                    caused_by: Some(stranger()),
                    correlation_id: Some(correlation(*target)),
                    attempt_log: Vec::new(),
                })
                .unwrap()
            } else {
                serde_json::to_value(InboundMessage {
                    message_id: model.fresh_id(),
                    message_type: MESSAGES[*message].to_string(),
                    process_type: Some("lamp".to_string()),
                    stream_id: Some(target_id),
                    correlation_key: None,
                    dedup_key: None,
                    sender: Some(USER.to_string()),
                    causation_id: None,
                    correlation_id: Some(correlation(*target)),
                    payload: if *why {
                        json!({"why": "test"})
                    } else {
                        json!({})
                    },
                    received_at: now,
                    metadata: Value::Null,
                })
                .unwrap()
            };
            let letter = DeadLetter {
                id: model.fresh_id(),
                reason: REASONS[*reason].to_string(),
                detail: format!("put by the test ({reason})"),
                status: DeadLetterStatus::Open,
                direction: if *outbound {
                    Direction::Outbound
                } else {
                    Direction::Inbound
                },
                stream_id: stream.map(|s| STREAMS[s].to_string()),
                process_type: Some("lamp".to_string()),
                message_type: "Whatever".to_string(),
                original,
                attempts: vec![Attempt {
                    at: now,
                    error: "it failed".to_string(),
                    by: "engine".to_string(),
                }],
                recorded_at: now,
                resolution: None,
            };
            store.write(|w| w.put_dead_letter(&letter)).unwrap();
            model.generation += 1;
            model.letter_ids.push(letter.id);
            model.letters.insert(letter.id, letter);
        }
        Op::Resubmit { letter, edit } => {
            let Some((id, open)) = model.open_letter(*letter) else {
                return expect_refused(
                    store,
                    model,
                    Action::Resubmit {
                        dead_letter: stranger(),
                        payload: None,
                    },
                );
            };
            let payload = edit.then(|| json!({ "why": "edited", "fixed": true }));
            let action = Action::Resubmit {
                dead_letter: id,
                payload: payload.clone(),
            };
            let Some(letter) = open else {
                return expect_refused(store, model, action);
            };
            let result = execute(store, model, action);
            let snapshot = store.read().unwrap();
            match letter.direction {
                Direction::Inbound => {
                    let mut message: InboundMessage =
                        serde_json::from_value(letter.original.clone()).unwrap();
                    if let Some(payload) = payload {
                        message.message_id = PENDING;
                        message.payload = payload;
                    }
                    let mut metadata = message.metadata.as_object().cloned().unwrap_or_default();
                    metadata.insert("resubmitted_from".into(), json!(id));
                    metadata.insert("resubmitted_by".into(), json!(USER));
                    message.metadata = Value::Object(metadata);
                    message.received_at = now;
                    match model.try_dispatch(&snapshot, &message)? {
                        Ok(position) => {
                            prop_assert!(result.is_ok(), "{result:?}");
                            let event = model.log[position as usize - 1].clone();
                            let new_message_id = edit.then(|| {
                                serde_json::from_value(event.metadata["message_id"].clone())
                                    .unwrap()
                            });
                            model.resolve(
                                &snapshot,
                                letter,
                                "resubmit",
                                new_message_id,
                                json!({ "event_id": event.event_id }),
                            )?;
                        }
                        Err((rejection, _)) => {
                            prop_assert!(result.is_err(), "a refused resubmission succeeded");
                            let label = rejection.label();
                            let detail = rejection.to_string();
                            let before = serde_json::to_value(&letter).unwrap();
                            let mut after = letter.clone();
                            after.attempts.push(Attempt {
                                at: now,
                                error: format!("{label}: {detail}"),
                                by: USER.to_string(),
                            });
                            model.letters.insert(id, after.clone());
                            if let Some(stream_id) = &letter.stream_id {
                                let payload = json!({ "dead_letter_id": id, "reason_label": label, "detail": detail });
                                model.operator_event(
                                    &snapshot,
                                    stream_id,
                                    "DeadLetterResubmitFailed",
                                    payload,
                                    Some(id),
                                    "resubmit_failed",
                                )?;
                            }
                            model.audit(
                                "dead_letter.resubmit_failed",
                                format!("dead_letter:{id}"),
                                letter.stream_id.clone(),
                                before,
                                serde_json::to_value(&after).unwrap(),
                            );
                        }
                    }
                }
                Direction::Outbound => {
                    prop_assert!(result.is_ok(), "{result:?}");
                    let mut message: OutboxMessage =
                        serde_json::from_value(letter.original.clone()).unwrap();
                    message.id = model.learn_outbox(&snapshot)?;
                    if let Some(payload) = payload {
                        message.payload = payload;
                    }
                    message.attempts = 0;
                    message.attempt_log.clear();
                    message.last_error = None;
                    message.due_at = now;
                    message.created_at = now;
                    let new_id = message.id;
                    model.outbox_ids.push(new_id);
                    model.outbox.insert(new_id, message);
                    model.resolve(
                        &snapshot,
                        letter,
                        "resubmit",
                        Some(new_id),
                        json!({ "outbox_message_id": new_id }),
                    )?;
                }
            }
            model.generation += 1;
        }
        Op::Discard { letter } => {
            let Some((id, open)) = model.open_letter(*letter) else {
                return expect_refused(
                    store,
                    model,
                    Action::Discard {
                        dead_letter: stranger(),
                    },
                );
            };
            let action = Action::Discard { dead_letter: id };
            let Some(letter) = open else {
                return expect_refused(store, model, action);
            };
            execute(store, model, action).unwrap();
            let snapshot = store.read().unwrap();
            model.resolve(&snapshot, letter, "discard", None, Value::Null)?;
            model.generation += 1;
        }
        Op::DeliverNow { message } | Op::RescheduleOutbox { message, .. } => {
            let id = pick(&model.outbox_ids, *message);
            let (action, due_at, name, event_type) = match op {
                Op::RescheduleOutbox { minutes, .. } => {
                    let at = now + Duration::minutes(*minutes);
                    (
                        Action::OutboxReschedule { message: id, at },
                        at,
                        "reschedule",
                        "OutboxRescheduled",
                    )
                }
                _ => (
                    Action::OutboxDeliverNow { message: id },
                    now,
                    "deliver_now",
                    "OutboxDeliverNow",
                ),
            };
            let Some(message) = model.outbox.get(&id).cloned() else {
                return expect_refused(store, model, action);
            };
            execute(store, model, action).unwrap();
            let snapshot = store.read().unwrap();
            let mut changed = message.clone();
            changed.due_at = due_at;
            model.outbox.insert(id, changed.clone());
            let payload = json!({ "message_id": id, "message_type": message.message_type, "due_at": format_time(due_at) });
            model.operator_event(
                &snapshot,
                &message.stream_id,
                event_type,
                payload,
                Some(id),
                name,
            )?;
            model.audit(
                &format!("outbox.{name}"),
                format!("outbox:{id}"),
                Some(message.stream_id.clone()),
                serde_json::to_value(&message).unwrap(),
                serde_json::to_value(&changed).unwrap(),
            );
            model.generation += 1;
        }
        Op::CancelOutbox { message } => {
            let id = pick(&model.outbox_ids, *message);
            let action = Action::OutboxCancel { message: id };
            let Some(message) = model.outbox.get(&id).cloned() else {
                return expect_refused(store, model, action);
            };
            execute(store, model, action).unwrap();
            let snapshot = store.read().unwrap();
            model.outbox.remove(&id);
            let payload = json!({ "message_id": id, "message_type": message.message_type, "recipient": message.recipient });
            model.operator_event(
                &snapshot,
                &message.stream_id,
                "OutboxCancelled",
                payload,
                Some(id),
                "cancel",
            )?;
            model.audit(
                "outbox.cancel",
                format!("outbox:{id}"),
                Some(message.stream_id.clone()),
                serde_json::to_value(&message).unwrap(),
                Value::Null,
            );
            model.generation += 1;
        }
        Op::OutboxToDeadLetter { message } => {
            let id = pick(&model.outbox_ids, *message);
            let action = Action::OutboxToDeadLetter { message: id };
            let Some(mut message) = model.outbox.get(&id).cloned() else {
                return expect_refused(store, model, action);
            };
            execute(store, model, action).unwrap();
            let snapshot = store.read().unwrap();
            model.outbox.remove(&id);
            let before = serde_json::to_value(&message).unwrap();
            message.last_error = Some(format!("moved to dead letters by {USER}: {REASON}"));
            let detail = format!(
                "{} to {} failed after {} attempt(s): {}",
                message.message_type,
                message.recipient,
                message.attempts,
                message.last_error.as_deref().unwrap_or("no error given")
            );
            let stream_id = message.stream_id.clone();
            let letter = DeadLetter {
                id: model.learn_letter(&snapshot)?.id,
                reason: "moved_by_operator".to_string(),
                detail: detail.clone(),
                status: DeadLetterStatus::Open,
                direction: Direction::Outbound,
                stream_id: Some(stream_id.clone()),
                process_type: model
                    .streams
                    .get(&stream_id)
                    .map(|info| info.process_type.clone()),
                message_type: message.message_type.clone(),
                original: serde_json::to_value(&message).unwrap(),
                attempts: message.attempt_log.clone(),
                recorded_at: now,
                resolution: None,
            };
            let letter_id = letter.id;
            model.letters.insert(letter_id, letter);
            model.letter_ids.push(letter_id);
            // The process hears of it (DeliveryFailed), which no process here
            // accepts: the refusal only marks the stream.
            if let Some(info) = model.streams.get_mut(&stream_id) {
                info.last_error = Some(detail);
            }
            let payload = json!({ "message_id": id, "dead_letter_id": letter_id });
            model.operator_event(
                &snapshot,
                &stream_id,
                "OutboxMovedToDeadLetters",
                payload,
                Some(id),
                "dead_letter",
            )?;
            model.audit(
                "outbox.dead_letter",
                format!("outbox:{id}"),
                Some(stream_id),
                before,
                json!({ "dead_letter_id": letter_id }),
            );
            model.generation += 1;
        }
        Op::FireDeadline { deadline } => {
            let id = pick(&model.deadline_ids, *deadline);
            let action = Action::DeadlineFire { deadline: id };
            let Some(deadline) = model.deadlines.get(&id).cloned() else {
                return expect_refused(store, model, action);
            };
            execute(store, model, action).unwrap();
            let snapshot = store.read().unwrap();
            model.deadlines.remove(&id);
            let message = InboundMessage {
                message_id: PENDING,
                message_type: deadline.on_expiry.clone(),
                process_type: None,
                stream_id: Some(deadline.stream_id.clone()),
                correlation_key: None,
                dedup_key: None,
                sender: Some("deadline".to_string()),
                causation_id: deadline.caused_by,
                correlation_id: deadline.correlation_id,
                payload: json!({ "deadline_id": id, "due_at": format_time(deadline.due_at) }),
                received_at: now,
                metadata: json!({ "fired_by": USER, "fire_reason": REASON }),
            };
            let after = match model.try_dispatch(&snapshot, &message)? {
                Ok(position) => {
                    let event = &model.log[position as usize - 1];
                    json!({ "event_id": event.event_id, "event_type": event.event_type })
                }
                Err((rejection, stream)) => {
                    let letter =
                        model.dead_letter_inbound(&snapshot, &message, &rejection, stream)?;
                    json!({ "dead_letter_id": letter.id, "reason": letter.reason })
                }
            };
            model.audit(
                "deadline.fire",
                format!("deadline:{id}"),
                Some(deadline.stream_id.clone()),
                serde_json::to_value(&deadline).unwrap(),
                after,
            );
            model.generation += 1;
        }
        Op::RescheduleDeadline { deadline, minutes } => {
            let id = pick(&model.deadline_ids, *deadline);
            let at = now + Duration::minutes(*minutes);
            let action = Action::DeadlineReschedule { deadline: id, at };
            let Some(deadline) = model.deadlines.get(&id).cloned() else {
                return expect_refused(store, model, action);
            };
            execute(store, model, action).unwrap();
            let snapshot = store.read().unwrap();
            let mut changed = deadline.clone();
            changed.due_at = at;
            model.deadlines.insert(id, changed.clone());
            let payload = json!({ "deadline_id": id, "on_expiry": deadline.on_expiry, "due_at": format_time(at) });
            model.operator_event(
                &snapshot,
                &deadline.stream_id,
                "DeadlineRescheduled",
                payload,
                Some(id),
                "reschedule",
            )?;
            model.audit(
                "deadline.reschedule",
                format!("deadline:{id}"),
                Some(deadline.stream_id.clone()),
                serde_json::to_value(&deadline).unwrap(),
                serde_json::to_value(&changed).unwrap(),
            );
            model.generation += 1;
        }
        Op::CancelDeadline { deadline } => {
            let id = pick(&model.deadline_ids, *deadline);
            let action = Action::DeadlineCancel { deadline: id };
            let Some(deadline) = model.deadlines.get(&id).cloned() else {
                return expect_refused(store, model, action);
            };
            execute(store, model, action).unwrap();
            let snapshot = store.read().unwrap();
            model.deadlines.remove(&id);
            let payload = json!({ "deadline_id": id, "on_expiry": deadline.on_expiry });
            model.operator_event(
                &snapshot,
                &deadline.stream_id,
                "DeadlineCancelled",
                payload,
                Some(id),
                "cancel",
            )?;
            model.audit(
                "deadline.cancel",
                format!("deadline:{id}"),
                Some(deadline.stream_id.clone()),
                serde_json::to_value(&deadline).unwrap(),
                Value::Null,
            );
            model.generation += 1;
        }
    }
    Ok(())
}

/// Runs an operator action as the window and the CLI do.
fn execute(
    store: &Store,
    model: &Model,
    action: Action,
) -> Result<actions::Outcome, actions::ActionError> {
    let request = Request {
        action,
        operator: Operator::named(USER),
        reason: REASON.to_string(),
        now: model.now,
    };
    actions::execute(store, &request, &Unwatched)
}

/// An action on a record that is gone or closed: refused, and nothing is written.
fn expect_refused(store: &Store, model: &Model, action: Action) -> Result<(), TestCaseError> {
    let before = store.generation().unwrap();
    let result = execute(store, model, action);
    prop_assert!(
        result.is_err(),
        "an action on a missing or closed record: {result:?}"
    );
    prop_assert_eq!(
        store.generation().unwrap(),
        before,
        "a refused action wrote"
    );
    Ok(())
}

/// The engine's dispatch of `message`, on the store and on the model.
fn dispatch(
    store: &Store,
    model: &mut Model,
    message: InboundMessage,
) -> Result<(), TestCaseError> {
    let outcome = Engine::load(store)
        .unwrap()
        .dispatch(store, message.clone(), model.now)
        .unwrap();
    model.generation += 1;
    let snapshot = store.read().unwrap();
    if let Some(position) = message
        .dedup_key
        .as_ref()
        .and_then(|key| model.inbox.get(key))
    {
        prop_assert_eq!(
            outcome,
            DispatchOutcome::Duplicate {
                position: *position
            }
        );
        return Ok(());
    }
    match model.try_dispatch(&snapshot, &message)? {
        Ok(position) => {
            let DispatchOutcome::Applied { event, .. } = outcome else {
                return Err(TestCaseError::fail(format!(
                    "the model applied, the engine: {outcome:?}"
                )));
            };
            prop_assert_eq!(&*event, &model.log[position as usize - 1]);
        }
        Err((rejection, stream)) => {
            let letter = model.dead_letter_inbound(&snapshot, &message, &rejection, stream)?;
            prop_assert_eq!(
                outcome,
                DispatchOutcome::DeadLettered {
                    dead_letter_id: letter.id,
                    reason: letter.reason,
                    detail: letter.detail,
                }
            );
        }
    }
    Ok(())
}

// ----- comparing every read with the model ---------------------------------------------------

fn verify(store: &Store, model: &Model) -> Result<(), TestCaseError> {
    let reader = store.read().unwrap();
    let now = model.now;

    // The log, by position and by id.
    prop_assert_eq!(&reader.log(1, usize::MAX).unwrap(), &model.log);
    prop_assert_eq!(reader.last_position().unwrap(), model.log.len() as u64);
    for event in &model.log {
        prop_assert_eq!(
            reader.event_by_id(event.event_id).unwrap(),
            Some(event.clone())
        );
        prop_assert_eq!(
            reader.position_of(event.event_id).unwrap(),
            Some(event.position)
        );
    }
    prop_assert_eq!(reader.event_by_id(stranger()).unwrap(), None);
    if model.log.len() > 2 {
        prop_assert_eq!(&reader.log(2, 2).unwrap()[..], &model.log[1..3]);
    }

    // Streams: records, their events, and the filtered, paged list.
    for stream_id in STREAMS {
        prop_assert_eq!(
            reader.stream(stream_id).unwrap(),
            model.streams.get(stream_id).cloned()
        );
        let expected: Vec<Event> = model
            .members
            .get(stream_id)
            .map(|positions| {
                positions
                    .iter()
                    .enumerate()
                    .map(|(index, position)| Event {
                        stream_id: stream_id.to_string(),
                        version: index as u64 + 1,
                        ..model.log[*position as usize - 1].clone()
                    })
                    .collect()
            })
            .unwrap_or_default();
        prop_assert_eq!(
            &reader.stream_events(stream_id, 1, usize::MAX).unwrap(),
            &expected
        );
        let from_two: Vec<Event> = expected.iter().skip(1).take(2).cloned().collect();
        prop_assert_eq!(reader.stream_events(stream_id, 2, 2).unwrap(), from_two);
    }
    let mut filters = vec![
        StreamFilter::default(),
        StreamFilter {
            id_prefix: Some("lamp-".into()),
            ..StreamFilter::default()
        },
        StreamFilter {
            id_prefix: Some("s-1".into()),
            ..StreamFilter::default()
        },
    ];
    for process_type in [None, Some("plain"), Some("lamp"), Some("nothing")] {
        for status in [
            None,
            Some(StreamStatus::Running),
            Some(StreamStatus::Completed),
            Some(StreamStatus::Failed),
        ] {
            filters.push(StreamFilter {
                process_type: process_type.map(str::to_string),
                status,
                id_prefix: None,
            });
        }
    }
    for filter in &filters {
        let expected: Vec<StreamInfo> = model
            .streams
            .values()
            .filter(|info| {
                filter
                    .process_type
                    .as_ref()
                    .is_none_or(|t| *t == info.process_type)
            })
            .filter(|info| filter.status.is_none_or(|s| s == info.status))
            .filter(|info| {
                filter
                    .id_prefix
                    .as_ref()
                    .is_none_or(|p| info.stream_id.starts_with(p.as_str()))
            })
            .cloned()
            .collect();
        let paged =
            all_pages(|after: Option<String>| reader.streams(filter, after.as_deref(), 2)).unwrap();
        prop_assert_eq!(&paged, &expected, "streams of {:?}", filter);
    }
    prop_assert_eq!(
        reader.all_stream_ids().unwrap(),
        model.streams.keys().cloned().collect::<Vec<_>>()
    );
    prop_assert_eq!(reader.stream_count().unwrap(), model.streams.len() as u64);

    // Causes and conversations.
    let mut causes: BTreeSet<Uuid> = model.log.iter().map(|event| event.event_id).collect();
    causes.extend(model.log.iter().flat_map(|event| event.causes()));
    causes.extend(model.letter_ids.iter().copied());
    causes.insert(stranger());
    for cause in causes {
        let expected: Vec<Uuid> = model
            .log
            .iter()
            .filter(|event| event.causes().any(|c| c == cause))
            .map(|event| event.event_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        prop_assert_eq!(
            reader.effects_of(cause).unwrap(),
            expected,
            "effects of {}",
            cause
        );
    }
    let correlations: BTreeSet<Uuid> = model
        .log
        .iter()
        .filter_map(|e| e.correlation_id)
        .chain([stranger()])
        .collect();
    for id in correlations {
        let expected: Vec<u64> = model
            .log
            .iter()
            .filter(|event| event.correlation_id == Some(id))
            .map(|event| event.position)
            .collect();
        prop_assert_eq!(reader.correlated(id, 0, usize::MAX).unwrap(), expected);
    }

    // Queues, by due time, paged; and each record by id.
    let mut outbox: Vec<&OutboxMessage> = model.outbox.values().collect();
    outbox.sort_by_key(|message| (nanos(message.due_at), message.id));
    let paged = all_pages(|after| reader.outbox(after, 2)).unwrap();
    prop_assert_eq!(paged.iter().collect::<Vec<_>>(), outbox);
    for id in &model.outbox_ids {
        prop_assert_eq!(
            reader.outbox_message(*id).unwrap(),
            model.outbox.get(id).cloned()
        );
    }
    let mut deadlines: Vec<&Deadline> = model.deadlines.values().collect();
    deadlines.sort_by_key(|deadline| (nanos(deadline.due_at), deadline.id));
    let paged = all_pages(|after| reader.deadlines(after, 2)).unwrap();
    prop_assert_eq!(paged.iter().collect::<Vec<_>>(), deadlines);
    for id in &model.deadline_ids {
        prop_assert_eq!(
            reader.deadline(*id).unwrap(),
            model.deadlines.get(id).cloned()
        );
    }

    // Dead letters by time, by reason, and by id.
    let mut letters: Vec<&DeadLetter> = model.letters.values().collect();
    letters.sort_by_key(|letter| (nanos(letter.recorded_at), letter.id));
    let paged = all_pages(|after| reader.dead_letters(after, 2)).unwrap();
    prop_assert_eq!(paged.iter().collect::<Vec<_>>(), letters.clone());
    let reasons: BTreeSet<&str> = letters
        .iter()
        .map(|letter| letter.reason.as_str())
        .chain(["none_such"])
        .collect();
    for reason in reasons {
        let expected: Vec<&DeadLetter> = letters
            .iter()
            .copied()
            .filter(|letter| letter.reason == reason)
            .collect();
        let paged = all_pages(|after| reader.dead_letters_by_reason(reason, after, 2)).unwrap();
        prop_assert_eq!(
            paged.iter().collect::<Vec<_>>(),
            expected,
            "dead letters of {}",
            reason
        );
    }
    for id in &model.letter_ids {
        prop_assert_eq!(
            reader.dead_letter(*id).unwrap(),
            model.letters.get(id).cloned()
        );
    }

    // Audit, intake, counters and the summary.
    prop_assert_eq!(&reader.audit(1, usize::MAX).unwrap(), &model.audit);
    if model.audit.len() > 1 {
        prop_assert_eq!(&reader.audit(2, 1).unwrap()[..], &model.audit[1..2]);
    }
    for key in 0..3 {
        let key = format!("key-{key}");
        prop_assert_eq!(reader.inbox(&key).unwrap(), model.inbox.get(&key).copied());
    }
    prop_assert_eq!(reader.generation().unwrap(), model.generation);
    let mut variants: BTreeMap<u128, u64> = BTreeMap::new();
    for info in model.streams.values() {
        *variants.entry(info.variant).or_default() += 1;
    }
    let mut expected_variants: Vec<(u128, u64)> = variants.into_iter().collect();
    expected_variants.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    prop_assert_eq!(reader.variants().unwrap(), expected_variants.clone());
    prop_assert_eq!(
        reader.variant_count().unwrap(),
        expected_variants.len() as u64
    );
    prop_assert_eq!(
        serde_json::to_value(Summary::read(&reader, now).unwrap()).unwrap(),
        summary(model)
    );

    let report = check(&reader, |_, _| true).unwrap().unwrap();
    prop_assert!(report.is_ok(), "{:?}", report.violations);
    prop_assert_eq!(report.events_checked, model.log.len() as u64);
    Ok(())
}

/// The summary `inspect` prints (as JSON), counted from the model.
fn summary(model: &Model) -> Value {
    fn count<'a>(names: impl Iterator<Item = &'a str>, all: &[&str]) -> BTreeMap<String, u64> {
        let mut counts: BTreeMap<String, u64> =
            all.iter().map(|name| (name.to_string(), 0)).collect();
        for name in names {
            *counts.entry(name.to_string()).or_default() += 1;
        }
        counts
    }
    let statuses = StreamStatus::ALL.map(StreamStatus::as_str);
    let letter_statuses = DeadLetterStatus::ALL.map(DeadLetterStatus::as_str);
    let variants: BTreeSet<u128> = model.streams.values().map(|info| info.variant).collect();
    let overdue =
        |due: &mut dyn Iterator<Item = OffsetDateTime>| due.filter(|at| *at <= model.now).count();
    json!({
        "format_version": 1,
        "streams": {
            "total": model.streams.len(),
            "by_type": count(model.streams.values().map(|info| info.process_type.as_str()), &[]),
            "by_status": count(model.streams.values().map(|info| info.status.as_str()), &statuses),
        },
        "events": {
            "total": model.log.len(),
            "by_type": count(model.log.iter().map(|event| event.event_type.as_str()), &[]),
        },
        "variants": variants.len(),
        "outbox": {
            "pending": model.outbox.len(),
            "overdue": overdue(&mut model.outbox.values().map(|m| m.due_at)),
        },
        "deadlines": {
            "pending": model.deadlines.len(),
            "overdue": overdue(&mut model.deadlines.values().map(|d| d.due_at)),
        },
        "dead_letters": {
            "total": model.letters.len(),
            "by_reason": count(model.letters.values().map(|l| l.reason.as_str()), &[]),
            "by_status": count(model.letters.values().map(|l| l.status.as_str()), &letter_statuses),
        },
        "audit": { "total": model.audit.len() },
    })
}
