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
        require_reason(reason)?;
        // A failed-again resubmission is committed (its attempt is recorded) and
        // only then returned as an error; any other error aborts the transaction.
        let outcome = store.write_with(durability, |writer| {
            self.resubmit_in(writer, id, edited_payload, operator, reason, now)
        })?;
        outcome.map_err(|(reason, detail)| ActionError::FailedAgain { reason, detail })
    }

    fn resubmit_in(
        &mut self,
        writer: &mut StoreWriter,
        id: Uuid,
        edited_payload: Option<Value>,
        operator: &Operator,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<Result<ResubmitOutcome, FailedAgain>, ActionError> {
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
                metadata.insert("resubmitted_by".into(), json!(operator.user));
                message.metadata = Value::Object(metadata);
                message.received_at = now;
                let new_message_id = edited.then_some(message.message_id);
                match self.try_dispatch(writer, message, now, 0)? {
                    Ok(event) => {
                        self.resolve(
                            writer,
                            letter,
                            "resubmit",
                            new_message_id,
                            operator,
                            reason,
                            now,
                            json!({ "event_id": event.event_id }),
                        )?;
                        Ok(Ok(ResubmitOutcome::Dispatched {
                            event: Box::new(event),
                        }))
                    }
                    Err(refused) => {
                        let detail = refused.rejection.to_string();
                        let label = refused.rejection.label().to_string();
                        self.record_failed_resubmit(
                            writer, letter, &label, &detail, operator, reason, now,
                        )?;
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
                    letter,
                    "resubmit",
                    Some(new_message_id),
                    operator,
                    reason,
                    now,
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
        require_reason(reason)?;
        store.write_with(durability, |writer| {
            let letter = open_dead_letter(writer, id)?;
            self.resolve(
                writer,
                letter,
                "discard",
                None,
                operator,
                reason,
                now,
                Value::Null,
            )
        })
    }

    /// Marks a dead letter resolved, appends the operator event and the audit entry.
    #[allow(clippy::too_many_arguments)]
    fn resolve(
        &mut self,
        writer: &mut StoreWriter,
        letter: DeadLetter,
        action: &str,
        new_message_id: Option<Uuid>,
        operator: &Operator,
        reason: &str,
        now: OffsetDateTime,
        result: Value,
    ) -> Result<(), ActionError> {
        let before = serde_json::to_value(&letter).map_err(StoreError::from)?;
        let mut after = letter.clone();
        after.status = if action == "discard" {
            DeadLetterStatus::Discarded
        } else {
            DeadLetterStatus::Resubmitted
        };
        after.resolution = Some(Resolution {
            at: now,
            user: operator.user.clone(),
            action: action.to_string(),
            reason: reason.to_string(),
            new_message_id,
        });
        writer.put_dead_letter(&after)?;
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
                writer,
                stream_id,
                event_type,
                payload,
                Some(letter.id),
                operator,
                action,
                reason,
                None,
                now,
            )?;
        }
        let after_json = serde_json::to_value(&after).map_err(StoreError::from)?;
        audit(
            writer,
            operator,
            &format!("dead_letter.{action}"),
            &format!("dead_letter:{}", letter.id),
            reason,
            letter.stream_id.clone(),
            before,
            after_json,
            now,
        )?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn record_failed_resubmit(
        &mut self,
        writer: &mut StoreWriter,
        letter: DeadLetter,
        label: &str,
        detail: &str,
        operator: &Operator,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<(), ActionError> {
        let before = serde_json::to_value(&letter).map_err(StoreError::from)?;
        let mut after = letter.clone();
        after.attempts.push(Attempt {
            at: now,
            error: format!("{label}: {detail}"),
            by: operator.user.clone(),
        });
        writer.put_dead_letter(&after)?;
        if let Some(stream_id) = &letter.stream_id {
            let payload =
                json!({ "dead_letter_id": letter.id, "reason_label": label, "detail": detail });
            self.operator_event(
                writer,
                stream_id,
                "DeadLetterResubmitFailed",
                payload,
                Some(letter.id),
                operator,
                "resubmit_failed",
                reason,
                None,
                now,
            )?;
        }
        let after_json = serde_json::to_value(&after).map_err(StoreError::from)?;
        audit(
            writer,
            operator,
            "dead_letter.resubmit_failed",
            &format!("dead_letter:{}", letter.id),
            reason,
            letter.stream_id.clone(),
            before,
            after_json,
            now,
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
        self.change_outbox(store, id, operator, reason, now, "deliver_now", |message| {
            message.due_at = now;
            Ok(())
        })
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
        self.change_outbox(store, id, operator, reason, now, "reschedule", |message| {
            message.due_at = at;
            Ok(())
        })
    }

    /// The one write path behind rescheduling and delivering now.
    #[allow(clippy::too_many_arguments)]
    fn change_outbox(
        &mut self,
        store: &Store,
        id: Uuid,
        operator: &Operator,
        reason: &str,
        now: OffsetDateTime,
        action: &str,
        change: impl FnOnce(&mut OutboxMessage) -> Result<(), ActionError>,
    ) -> Result<(), ActionError> {
        require_reason(reason)?;
        store.write(|writer| {
            let message = writer.outbox_message(id)?.ok_or_else(|| ActionError::NotFound(format!("outbox message {id}")))?;
            let mut changed = message.clone();
            change(&mut changed)?;
            let payload = json!({ "message_id": id, "message_type": message.message_type, "due_at": crate::store::format_time(changed.due_at) });
            let after = serde_json::to_value(&changed).map_err(StoreError::from)?;
            writer.put_outbox(changed)?;
            let event_type = if action == "deliver_now" { "OutboxDeliverNow" } else { "OutboxRescheduled" };
            self.operator_event(writer, &message.stream_id, event_type, payload, Some(id), operator, action, reason, None, now)?;
            let before = serde_json::to_value(&message).map_err(StoreError::from)?;
            audit(writer, operator, &format!("outbox.{action}"), &format!("outbox:{id}"), reason, Some(message.stream_id.clone()), before, after, now)?;
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
        require_reason(reason)?;
        store.write(|writer| {
            let message = writer.remove_outbox(id)?.ok_or_else(|| ActionError::NotFound(format!("outbox message {id}")))?;
            let payload = json!({ "message_id": id, "message_type": message.message_type, "recipient": message.recipient });
            self.operator_event(writer, &message.stream_id, "OutboxCancelled", payload, Some(id), operator, "cancel", reason, None, now)?;
            let before = serde_json::to_value(&message).map_err(StoreError::from)?;
            audit(writer, operator, "outbox.cancel", &format!("outbox:{id}"), reason, Some(message.stream_id.clone()), before, Value::Null, now)?;
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
        require_reason(reason)?;
        store.write(|writer| {
            let mut message = writer
                .remove_outbox(id)?
                .ok_or_else(|| ActionError::NotFound(format!("outbox message {id}")))?;
            let before = serde_json::to_value(&message).map_err(StoreError::from)?;
            message.last_error = Some(format!(
                "moved to dead letters by {}: {reason}",
                operator.user
            ));
            let stream_id = message.stream_id.clone();
            let letter_id = self.dead_letter_outbound(writer, message, "moved_by_operator", now)?;
            let payload = json!({ "message_id": id, "dead_letter_id": letter_id });
            self.operator_event(
                writer,
                &stream_id,
                "OutboxMovedToDeadLetters",
                payload,
                Some(id),
                operator,
                "dead_letter",
                reason,
                None,
                now,
            )?;
            audit(
                writer,
                operator,
                "outbox.dead_letter",
                &format!("outbox:{id}"),
                reason,
                Some(stream_id),
                before,
                json!({ "dead_letter_id": letter_id }),
                now,
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
        require_reason(reason)?;
        store.write(|writer| {
            let deadline = writer
                .remove_deadline(id)?
                .ok_or_else(|| ActionError::NotFound(format!("deadline {id}")))?;
            let before = serde_json::to_value(&deadline).map_err(StoreError::from)?;
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
            audit(
                writer,
                operator,
                "deadline.fire",
                &format!("deadline:{id}"),
                reason,
                Some(stream_id),
                before,
                after,
                now,
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
        require_reason(reason)?;
        store.write(|writer| {
            let deadline = writer.deadline(id)?.ok_or_else(|| ActionError::NotFound(format!("deadline {id}")))?;
            let mut changed = deadline.clone();
            changed.due_at = at;
            let after = serde_json::to_value(&changed).map_err(StoreError::from)?;
            writer.put_deadline(changed)?;
            let payload = json!({ "deadline_id": id, "on_expiry": deadline.on_expiry, "due_at": crate::store::format_time(at) });
            self.operator_event(writer, &deadline.stream_id, "DeadlineRescheduled", payload, Some(id), operator, "reschedule", reason, None, now)?;
            let before = serde_json::to_value(&deadline).map_err(StoreError::from)?;
            audit(writer, operator, "deadline.reschedule", &format!("deadline:{id}"), reason, Some(deadline.stream_id.clone()), before, after, now)?;
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
        require_reason(reason)?;
        store.write(|writer| {
            let deadline = writer
                .remove_deadline(id)?
                .ok_or_else(|| ActionError::NotFound(format!("deadline {id}")))?;
            let payload = json!({ "deadline_id": id, "on_expiry": deadline.on_expiry });
            self.operator_event(
                writer,
                &deadline.stream_id,
                "DeadlineCancelled",
                payload,
                Some(id),
                operator,
                "cancel",
                reason,
                None,
                now,
            )?;
            let before = serde_json::to_value(&deadline).map_err(StoreError::from)?;
            audit(
                writer,
                operator,
                "deadline.cancel",
                &format!("deadline:{id}"),
                reason,
                Some(deadline.stream_id.clone()),
                before,
                Value::Null,
                now,
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
        require_reason(reason)?;
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
            let before = serde_json::to_value(&info).map_err(StoreError::from)?;
            let payload = json!({
                "failed_state": info.process_state,
                "restored_state": restored_state,
                "step": step_event.as_ref().map(|event| event.event_type.clone()),
                "last_error": info.last_error,
            });
            let event = self
                .operator_event(
                    writer,
                    stream_id,
                    "FailedStepRetried",
                    payload,
                    step_event.as_ref().map(|event| event.event_id),
                    operator,
                    "retry_failed_step",
                    reason,
                    Some(&restored_state),
                    now,
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
            let after =
                serde_json::to_value(writer.stream(stream_id)?).map_err(StoreError::from)?;
            audit(
                writer,
                operator,
                "stream.retry_failed_step",
                &format!("stream:{stream_id}"),
                reason,
                Some(stream_id.to_string()),
                before,
                after,
                now,
            )?;
            Ok(event)
        })
    }

    /// Appends an operator event to a stream (when it exists). With `set_state`
    /// the process moves into that state and runs again; otherwise its state
    /// and status stay as they are.
    #[allow(clippy::too_many_arguments)]
    fn operator_event(
        &mut self,
        writer: &mut StoreWriter,
        stream_id: &str,
        event_type: &str,
        payload: Value,
        causation_id: Option<Uuid>,
        operator: &Operator,
        action: &str,
        reason: &str,
        set_state: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Option<Event>, StoreError> {
        let Some(mut stream) = writer.stream(stream_id)? else {
            return Ok(None);
        };
        let mut metadata =
            json!({ OPERATOR_MARK: action, "user": operator.user, "reason": reason });
        if let Some(state) = set_state {
            metadata[SET_STATE] = json!(state);
            stream.process_state = Some(state.to_string());
            stream.status = StreamStatus::Running;
            stream.last_error = None;
        }
        let expected = stream.version;
        let event = NewEvent {
            event_id: Some(self.ids.next(now)),
            event_type: event_type.to_string(),
            occurred_at: now,
            correlation_id: stream.correlation_id,
            causation_id,
            other_causes: Vec::new(),
            payload,
            metadata,
        };
        let stored = writer.append(&mut stream, expected, vec![event], now)?;
        let event = stored.into_iter().next();
        if let Some(event) = &event {
            super::dispatch::checkpoint_if_due(writer, event)?;
        }
        Ok(event)
    }
}

fn require_reason(reason: &str) -> Result<(), ActionError> {
    if reason.trim().is_empty() {
        return Err(ActionError::MissingReason);
    }
    Ok(())
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

#[allow(clippy::too_many_arguments)]
fn audit(
    writer: &mut StoreWriter,
    operator: &Operator,
    action: &str,
    target: &str,
    reason: &str,
    stream_id: Option<String>,
    before: Value,
    after: Value,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    writer.append_audit(AuditEntry {
        seq: 0,
        at: now,
        user: operator.user.clone(),
        action: action.to_string(),
        target: target.to_string(),
        reason: reason.to_string(),
        stream_id,
        before,
        after,
    })
}
