//! Operator actions. Each runs in one write transaction, appends an event to
//! the affected stream (so it shows in the causal graph) and an audit entry.
//! The GUI and the CLI call these same functions.

use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Engine, InboundMessage};
use crate::definition::{OPERATOR_MARK, SET_STATE};
use crate::replay;
use crate::store::{
    Attempt, AuditEntry, DeadLetter, DeadLetterStatus, Direction, Durability, Event, NewEvent,
    OutboxMessage, Resolution, Store, StoreError, StoreWriter, StreamStatus,
};

/// Who acts: the OS user unless told otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub user: String,
}

impl Operator {
    /// The user logged in to this machine (USER, LOGNAME or USERNAME), else "unknown".
    pub fn current() -> Operator {
        let user = ["USER", "LOGNAME", "USERNAME"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
            .unwrap_or_else(|| "unknown".to_string());
        Operator { user }
    }

    /// A named operator (tests, the demo).
    pub fn named(user: impl Into<String>) -> Operator {
        Operator { user: user.into() }
    }
}

/// Why an operator action was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0} not found")]
    NotFound(String),
    #[error(
        "dead letter {id} is already {status}; only open dead letters can be resubmitted or discarded"
    )]
    NotOpen { id: Uuid, status: &'static str },
    #[error("resubmission failed again ({reason}): {detail}")]
    FailedAgain { reason: String, detail: String },
    #[error("{0}")]
    Invalid(String),
    #[error("a reason is required for every operator action")]
    MissingReason,
}

/// What a successful resubmission produced.
#[derive(Debug, Clone, PartialEq)]
pub enum ResubmitOutcome {
    /// An inbound message was dispatched again and appended this event.
    Dispatched { event: Box<Event> },
    /// An outbound message is back in the outbox under this id.
    Requeued { message_id: Uuid },
}

/// A resubmission that was refused again: (reason label, detail).
type FailedAgain = (String, String);

impl Engine {
    /// Resubmits an open dead letter, as it is or with an edited payload.
    /// Inbound messages are dispatched again now; outbound ones go back into
    /// the outbox. The original message is never changed: an edited one is a
    /// new message linked to it. A resubmission that fails again is recorded on
    /// the dead letter's attempt history and returned as an error.
    pub fn resubmit_dead_letter(
        &mut self,
        store: &Store,
        id: Uuid,
        edited_payload: Option<Value>,
        operator: &Operator,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<ResubmitOutcome, ActionError> {
        self.resubmit_dead_letter_with(
            store,
            id,
            edited_payload,
            operator,
            reason,
            now,
            Durability::Immediate,
        )
    }

    /// As [`Engine::resubmit_dead_letter`], committed with `durability`. Bulk
    /// runs commit each item atomically with `Durability::None` and make them
    /// durable together now and then (`queues::bulk`): a crash loses whole
    /// items since the last durable commit, never part of one.
    #[allow(clippy::too_many_arguments)]
    pub fn resubmit_dead_letter_with(
        &mut self,
        store: &Store,
        id: Uuid,
        edited_payload: Option<Value>,
        operator: &Operator,
        reason: &str,
        now: OffsetDateTime,
        durability: Durability,
    ) -> Result<ResubmitOutcome, ActionError> {
        let act = Act::new(operator, reason, now)?;
        // A failed-again resubmission is committed (its attempt is recorded) and
        // only then returned as an error; any other error aborts the transaction.
        let outcome = store.write_with(durability, |writer| {
            self.resubmit_in(writer, &act, id, edited_payload)
        })?;
        outcome.map_err(|(reason, detail)| ActionError::FailedAgain { reason, detail })
    }

    fn resubmit_in(
        &mut self,
        writer: &mut StoreWriter,
        act: &Act,
        id: Uuid,
        edited_payload: Option<Value>,
    ) -> Result<Result<ResubmitOutcome, FailedAgain>, ActionError> {
        let now = act.now;
        let letter = open_dead_letter(writer, id)?;
        let edited = edited_payload.is_some();
        match letter.direction {
            Direction::Inbound => {
                let mut message: InboundMessage = serde_json::from_value(letter.original.clone())
                    .map_err(|error| {
                    ActionError::Invalid(format!(
                        "the original message of {id} is unreadable: {error}"
                    ))
                })?;
                if let Some(payload) = edited_payload {
                    message.message_id = self.ids.next(now);
                    message.payload = payload;
                }
                let mut metadata = message.metadata.as_object().cloned().unwrap_or_default();
                metadata.insert("resubmitted_from".into(), json!(id));
                metadata.insert("resubmitted_by".into(), json!(act.operator.user));
                message.metadata = Value::Object(metadata);
                message.received_at = now;
                let new_message_id = edited.then_some(message.message_id);
                match self.try_dispatch(writer, message, now, 0)? {
                    Ok(event) => {
                        self.resolve(
                            writer,
                            act,
                            letter,
                            "resubmit",
                            new_message_id,
                            json!({ "event_id": event.event_id }),
                        )?;
                        Ok(Ok(ResubmitOutcome::Dispatched {
                            event: Box::new(event),
                        }))
                    }
                    Err(refused) => {
                        let detail = refused.rejection.to_string();
                        let label = refused.rejection.label().to_string();
                        self.record_failed_resubmit(writer, act, letter, &label, &detail)?;
                        Ok(Err((label, detail)))
                    }
                }
            }
            Direction::Outbound => {
                let mut message: OutboxMessage = serde_json::from_value(letter.original.clone())
                    .map_err(|error| {
                        ActionError::Invalid(format!(
                            "the original message of {id} is unreadable: {error}"
                        ))
                    })?;
                message.id = self.ids.next(now);
                if let Some(payload) = edited_payload {
                    message.payload = payload;
                }
                message.attempts = 0;
                message.attempt_log.clear();
                message.last_error = None;
                message.due_at = now;
                message.created_at = now;
                let new_message_id = message.id;
                writer.put_outbox(message)?;
                self.resolve(
                    writer,
                    act,
                    letter,
                    "resubmit",
                    Some(new_message_id),
                    json!({ "outbox_message_id": new_message_id }),
                )?;
                Ok(Ok(ResubmitOutcome::Requeued {
                    message_id: new_message_id,
                }))
            }
        }
    }

    /// Closes an open dead letter without resubmitting it.
    pub fn discard_dead_letter(
        &mut self,
        store: &Store,
        id: Uuid,
        operator: &Operator,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<(), ActionError> {
        self.discard_dead_letter_with(store, id, operator, reason, now, Durability::Immediate)
    }

    /// As [`Engine::discard_dead_letter`], committed with `durability` (see
    /// [`Engine::resubmit_dead_letter_with`]).
    pub fn discard_dead_letter_with(
        &mut self,
        store: &Store,
        id: Uuid,
        operator: &Operator,
        reason: &str,
        now: OffsetDateTime,
        durability: Durability,
    ) -> Result<(), ActionError> {
        let act = Act::new(operator, reason, now)?;
        store.write_with(durability, |writer| {
            let letter = open_dead_letter(writer, id)?;
            self.resolve(writer, &act, letter, "discard", None, Value::Null)
        })
    }

    /// Marks a dead letter resolved and records it.
    fn resolve(
        &mut self,
        writer: &mut StoreWriter,
        act: &Act,
        letter: DeadLetter,
        action: &str,
        new_message_id: Option<Uuid>,
        result: Value,
    ) -> Result<(), ActionError> {
        let discard = action == "discard";
        let mut after = letter.clone();
        after.status = if discard {
            DeadLetterStatus::Discarded
        } else {
            DeadLetterStatus::Resubmitted
        };
        after.resolution = Some(Resolution {
            at: act.now,
            user: act.operator.user.clone(),
            action: action.to_string(),
            reason: act.reason.to_string(),
            new_message_id,
        });
        writer.put_dead_letter(&after)?;
        let mut payload = json!({ "dead_letter_id": letter.id, "reason_label": letter.reason, "message_type": letter.message_type });
        if let (Some(object), Some(extra)) = (payload.as_object_mut(), result.as_object()) {
            object.extend(extra.clone());
        }
        self.record(
            writer,
            act,
            Record {
                kind: "dead_letter",
                target: letter.id.to_string(),
                action,
                stream_id: letter.stream_id.as_deref(),
                event_type: if discard {
                    "DeadLetterDiscarded"
                } else {
                    "DeadLetterResubmitted"
                },
                payload,
                causation_id: Some(letter.id),
                before: to_json(&letter)?,
                after: to_json(&after)?,
            },
        )?;
        Ok(())
    }

    fn record_failed_resubmit(
        &mut self,
        writer: &mut StoreWriter,
        act: &Act,
        letter: DeadLetter,
        label: &str,
        detail: &str,
    ) -> Result<(), ActionError> {
        let mut after = letter.clone();
        after.attempts.push(Attempt {
            at: act.now,
            error: format!("{label}: {detail}"),
            by: act.operator.user.clone(),
        });
        writer.put_dead_letter(&after)?;
        self.record(
            writer,
            act,
            Record {
                kind: "dead_letter",
                target: letter.id.to_string(),
                action: "resubmit_failed",
                stream_id: letter.stream_id.as_deref(),
                event_type: "DeadLetterResubmitFailed",
                payload: json!({ "dead_letter_id": letter.id, "reason_label": label, "detail": detail }),
                causation_id: Some(letter.id),
                before: to_json(&letter)?,
                after: to_json(&after)?,
            },
        )?;
        Ok(())
    }

    // ----- outbox ------------------------------------------------------------------------

    /// Makes an outbox message due now (the next delivery run sends it) and resets its backoff.
    pub fn outbox_deliver_now(
        &mut self,
        store: &Store,
        id: Uuid,
        operator: &Operator,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<(), ActionError> {
        let act = Act::new(operator, reason, now)?;
        self.change_outbox(store, &act, id, "deliver_now", "OutboxDeliverNow", now)
    }

    /// Sets a new due time for an outbox message.
    pub fn outbox_reschedule(
        &mut self,
        store: &Store,
        id: Uuid,
        at: OffsetDateTime,
        operator: &Operator,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<(), ActionError> {
        let act = Act::new(operator, reason, now)?;
        self.change_outbox(store, &act, id, "reschedule", "OutboxRescheduled", at)
    }

    /// The one write path behind rescheduling and delivering now: the message
    /// becomes due at `due_at`.
    fn change_outbox(
        &mut self,
        store: &Store,
        act: &Act,
        id: Uuid,
        action: &str,
        event_type: &str,
        due_at: OffsetDateTime,
    ) -> Result<(), ActionError> {
        store.write(|writer| {
            let message = writer
                .outbox_message(id)?
                .ok_or_else(|| ActionError::NotFound(format!("outbox message {id}")))?;
            let mut changed = message.clone();
            changed.due_at = due_at;
            let after = to_json(&changed)?;
            writer.put_outbox(changed)?;
            let payload = json!({ "message_id": id, "message_type": message.message_type, "due_at": crate::store::format_time(due_at) });
            self.record(
                writer,
                act,
                Record {
                    kind: "outbox",
                    target: id.to_string(),
                    action,
                    stream_id: Some(&message.stream_id),
                    event_type,
                    payload,
                    causation_id: Some(id),
                    before: to_json(&message)?,
                    after,
                },
            )?;
            Ok(())
        })
    }

    /// Removes an outbox message without sending it.
    pub fn outbox_cancel(
        &mut self,
        store: &Store,
        id: Uuid,
        operator: &Operator,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<(), ActionError> {
        let act = Act::new(operator, reason, now)?;
        store.write(|writer| {
            let message = writer
                .remove_outbox(id)?
                .ok_or_else(|| ActionError::NotFound(format!("outbox message {id}")))?;
            let payload = json!({ "message_id": id, "message_type": message.message_type, "recipient": message.recipient });
            self.record(
                writer,
                &act,
                Record {
                    kind: "outbox",
                    target: id.to_string(),
                    action: "cancel",
                    stream_id: Some(&message.stream_id),
                    event_type: "OutboxCancelled",
                    payload,
                    causation_id: Some(id),
                    before: to_json(&message)?,
                    after: Value::Null,
                },
            )?;
            Ok(())
        })
    }

    /// Moves an outbox message to the dead letters (reason `moved_by_operator`).
    pub fn outbox_to_dead_letter(
        &mut self,
        store: &Store,
        id: Uuid,
        operator: &Operator,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<Uuid, ActionError> {
        let act = Act::new(operator, reason, now)?;
        store.write(|writer| {
            let mut message = writer
                .remove_outbox(id)?
                .ok_or_else(|| ActionError::NotFound(format!("outbox message {id}")))?;
            let before = to_json(&message)?;
            message.last_error = Some(format!(
                "moved to dead letters by {}: {reason}",
                operator.user
            ));
            let stream_id = message.stream_id.clone();
            let letter_id = self.dead_letter_outbound(writer, message, "moved_by_operator", now)?;
            self.record(
                writer,
                &act,
                Record {
                    kind: "outbox",
                    target: id.to_string(),
                    action: "dead_letter",
                    stream_id: Some(&stream_id),
                    event_type: "OutboxMovedToDeadLetters",
                    payload: json!({ "message_id": id, "dead_letter_id": letter_id }),
                    causation_id: Some(id),
                    before,
                    after: json!({ "dead_letter_id": letter_id }),
                },
            )?;
            Ok(letter_id)
        })
    }

    // ----- deadlines ---------------------------------------------------------------------

    /// Expires a deadline now: its expiry event is dispatched to its stream.
    pub fn deadline_fire_now(
        &mut self,
        store: &Store,
        id: Uuid,
        operator: &Operator,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<super::DispatchOutcome, ActionError> {
        let act = Act::new(operator, reason, now)?;
        store.write(|writer| {
            let deadline = writer
                .remove_deadline(id)?
                .ok_or_else(|| ActionError::NotFound(format!("deadline {id}")))?;
            let before = to_json(&deadline)?;
            let stream_id = deadline.stream_id.clone();
            let metadata = json!({ "fired_by": operator.user, "fire_reason": reason });
            let outcome = self.fire_deadline_in(writer, deadline, now, metadata)?;
            let after = match &outcome {
                super::DispatchOutcome::Applied { event, .. } => {
                    json!({ "event_id": event.event_id, "event_type": event.event_type })
                }
                super::DispatchOutcome::DeadLettered {
                    dead_letter_id,
                    reason,
                    ..
                } => json!({ "dead_letter_id": dead_letter_id, "reason": reason }),
                super::DispatchOutcome::Duplicate { position } => {
                    json!({ "duplicate_of": position })
                }
            };
            act.audit(
                writer,
                "deadline.fire",
                format!("deadline:{id}"),
                Some(stream_id),
                before,
                after,
            )?;
            Ok(outcome)
        })
    }

    /// Sets a new due time for a deadline.
    pub fn deadline_reschedule(
        &mut self,
        store: &Store,
        id: Uuid,
        at: OffsetDateTime,
        operator: &Operator,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<(), ActionError> {
        let act = Act::new(operator, reason, now)?;
        store.write(|writer| {
            let deadline = writer
                .deadline(id)?
                .ok_or_else(|| ActionError::NotFound(format!("deadline {id}")))?;
            let mut changed = deadline.clone();
            changed.due_at = at;
            let after = to_json(&changed)?;
            writer.put_deadline(changed)?;
            let payload = json!({ "deadline_id": id, "on_expiry": deadline.on_expiry, "due_at": crate::store::format_time(at) });
            self.record(
                writer,
                &act,
                Record {
                    kind: "deadline",
                    target: id.to_string(),
                    action: "reschedule",
                    stream_id: Some(&deadline.stream_id),
                    event_type: "DeadlineRescheduled",
                    payload,
                    causation_id: Some(id),
                    before: to_json(&deadline)?,
                    after,
                },
            )?;
            Ok(())
        })
    }

    /// Removes a deadline without firing it.
    pub fn deadline_cancel(
        &mut self,
        store: &Store,
        id: Uuid,
        operator: &Operator,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<(), ActionError> {
        let act = Act::new(operator, reason, now)?;
        store.write(|writer| {
            let deadline = writer
                .remove_deadline(id)?
                .ok_or_else(|| ActionError::NotFound(format!("deadline {id}")))?;
            self.record(
                writer,
                &act,
                Record {
                    kind: "deadline",
                    target: id.to_string(),
                    action: "cancel",
                    stream_id: Some(&deadline.stream_id),
                    event_type: "DeadlineCancelled",
                    payload: json!({ "deadline_id": id, "on_expiry": deadline.on_expiry }),
                    causation_id: Some(id),
                    before: to_json(&deadline)?,
                    after: Value::Null,
                },
            )?;
            Ok(())
        })
    }

    // ----- failed processes --------------------------------------------------------------

    /// Re-runs the step a failed process failed in: puts it back into the state
    /// it had before the failure and sends the messages of the step that
    /// entered that state again, setting its deadline again (under the
    /// definition stored now). Where it failed is [`replay::failure_point`]'s
    /// answer, the same that the replay view shows.
    pub fn retry_failed_step(
        &mut self,
        store: &Store,
        stream_id: &str,
        operator: &Operator,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<Event, ActionError> {
        let act = Act::new(operator, reason, now)?;
        let reader = store.read()?;
        let info = reader
            .stream(stream_id)?
            .ok_or_else(|| ActionError::NotFound(format!("stream {stream_id}")))?;
        let point = replay::failure_point(&reader, stream_id)
            .map_err(|error| ActionError::Invalid(error.to_string()))?
            .ok_or_else(|| {
                ActionError::Invalid(format!(
                    "stream {stream_id} is {}, not failed",
                    info.status.as_str()
                ))
            })?;
        let process_type = info.process_type;
        let definition = self.definition(&process_type).cloned().ok_or_else(|| {
            ActionError::Invalid(format!(
                "no definition for {process_type}; nothing to retry under"
            ))
        })?;
        let Some(restored_state) = point.retry_state else {
            return Err(ActionError::Invalid(format!(
                "no state of {stream_id} to retry from under the current definition"
            )));
        };
        let step_event = match point.retry_step {
            Some(version) => reader
                .stream_events(stream_id, version, 1)?
                .into_iter()
                .next(),
            None => None,
        };
        drop(reader);
        store.write(|writer| {
            let info = writer
                .stream(stream_id)?
                .ok_or_else(|| ActionError::NotFound(format!("stream {stream_id}")))?;
            let before = to_json(&info)?;
            let payload = json!({
                "failed_state": info.process_state,
                "restored_state": restored_state,
                "step": step_event.as_ref().map(|event| event.event_type.clone()),
                "last_error": info.last_error,
            });
            let event = self
                .operator_event(
                    writer,
                    &act,
                    OperatorEvent {
                        stream_id,
                        event_type: "FailedStepRetried",
                        payload,
                        causation_id: step_event.as_ref().map(|event| event.event_id),
                        action: "retry_failed_step",
                    },
                    Some(&restored_state),
                )?
                .ok_or_else(|| ActionError::NotFound(format!("stream {stream_id}")))?;
            if let Some(step_event) = &step_event {
                let transition = definition
                    .transitions
                    .iter()
                    .find(|t| t.on == step_event.event_type && t.to == restored_state)
                    .cloned();
                if let Some(transition) = transition {
                    let mut replayed = event.clone();
                    replayed.payload = step_event.payload.clone();
                    self.schedule_effects(writer, &definition, &transition, &replayed, now, 0)?;
                }
            }
            let after = to_json(&writer.stream(stream_id)?)?;
            act.audit(
                writer,
                "stream.retry_failed_step",
                format!("stream:{stream_id}"),
                Some(stream_id.to_string()),
                before,
                after,
            )?;
            Ok(event)
        })
    }

    /// Records an operator action: its event on the affected stream (when
    /// the stream exists) and its audit entry `{kind}.{action}` on
    /// `{kind}:{target}`.
    fn record(
        &mut self,
        writer: &mut StoreWriter,
        act: &Act,
        record: Record,
    ) -> Result<Option<Event>, StoreError> {
        let event = match record.stream_id {
            Some(stream_id) => self.operator_event(
                writer,
                act,
                OperatorEvent {
                    stream_id,
                    event_type: record.event_type,
                    payload: record.payload,
                    causation_id: record.causation_id,
                    action: record.action,
                },
                None,
            )?,
            None => None,
        };
        act.audit(
            writer,
            &format!("{}.{}", record.kind, record.action),
            format!("{}:{}", record.kind, record.target),
            record.stream_id.map(str::to_string),
            record.before,
            record.after,
        )?;
        Ok(event)
    }

    /// Appends an operator event to a stream (when it exists). With `set_state`
    /// the process moves into that state and runs again; otherwise its state
    /// and status stay as they are.
    fn operator_event(
        &mut self,
        writer: &mut StoreWriter,
        act: &Act,
        event: OperatorEvent,
        set_state: Option<&str>,
    ) -> Result<Option<Event>, StoreError> {
        let Some(mut stream) = writer.stream(event.stream_id)? else {
            return Ok(None);
        };
        let mut metadata =
            json!({ OPERATOR_MARK: event.action, "user": act.operator.user, "reason": act.reason });
        if let Some(state) = set_state {
            metadata[SET_STATE] = json!(state);
            stream.process_state = Some(state.to_string());
            stream.status = StreamStatus::Running;
            stream.last_error = None;
        }
        let expected = stream.version;
        let new_event = NewEvent {
            event_id: Some(self.ids.next(act.now)),
            event_type: event.event_type.to_string(),
            occurred_at: act.now,
            correlation_id: stream.correlation_id,
            causation_id: event.causation_id,
            other_causes: Vec::new(),
            payload: event.payload,
            metadata,
        };
        let stored = writer.append(&mut stream, expected, vec![new_event], act.now)?;
        let event = stored.into_iter().next();
        if let Some(event) = &event {
            super::dispatch::checkpoint_if_due(writer, event)?;
        }
        Ok(event)
    }
}

/// Who acts, why and when: what every operator action carries.
struct Act<'a> {
    operator: &'a Operator,
    reason: &'a str,
    now: OffsetDateTime,
}

impl<'a> Act<'a> {
    /// An action by `operator`, refused without a reason.
    fn new(
        operator: &'a Operator,
        reason: &'a str,
        now: OffsetDateTime,
    ) -> Result<Self, ActionError> {
        if reason.trim().is_empty() {
            return Err(ActionError::MissingReason);
        }
        Ok(Act {
            operator,
            reason,
            now,
        })
    }

    /// Appends the audit entry of this action.
    fn audit(
        &self,
        writer: &mut StoreWriter,
        action: &str,
        target: String,
        stream_id: Option<String>,
        before: Value,
        after: Value,
    ) -> Result<u64, StoreError> {
        writer.append_audit(AuditEntry {
            seq: 0,
            at: self.now,
            user: self.operator.user.clone(),
            action: action.to_string(),
            target,
            reason: self.reason.to_string(),
            stream_id,
            before,
            after,
        })
    }
}

/// The event an operator action appends to a stream; `action` is its
/// operator mark (`cancel`, `reschedule`, …).
struct OperatorEvent<'a> {
    stream_id: &'a str,
    event_type: &'a str,
    payload: Value,
    causation_id: Option<Uuid>,
    action: &'a str,
}

/// What an operator action records besides its own change (see
/// [`Engine::record`]): the record of `kind` (`outbox`, `deadline`,
/// `dead_letter`) it changed, named by `target`, before and after.
struct Record<'a> {
    kind: &'a str,
    target: String,
    action: &'a str,
    stream_id: Option<&'a str>,
    event_type: &'a str,
    payload: Value,
    causation_id: Option<Uuid>,
    before: Value,
    after: Value,
}

/// A record as JSON, for the audit trail.
fn to_json(record: &impl serde::Serialize) -> Result<Value, StoreError> {
    Ok(serde_json::to_value(record)?)
}

/// The dead letter `id`, if it is still open.
pub(super) fn open_dead_letter(
    writer: &mut StoreWriter,
    id: Uuid,
) -> Result<DeadLetter, ActionError> {
    let letter = writer
        .dead_letter(id)?
        .ok_or_else(|| ActionError::NotFound(format!("dead letter {id}")))?;
    if letter.status != DeadLetterStatus::Open {
        return Err(ActionError::NotOpen {
            id,
            status: letter.status.as_str(),
        });
    }
    Ok(letter)
}
