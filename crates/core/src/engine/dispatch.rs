//! Dispatch of one inbound message: route, validate against the definition,
//! append events, enqueue outbox messages, set deadlines — or dead-letter it.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Engine, InboundMessage};
use crate::definition::{Definition, Rejection, Transition, payload_field, pick_fields};
use crate::store::{
    Attempt, DeadLetter, DeadLetterStatus, Deadline, Direction, Event, NewEvent, OutboxMessage,
    StoreError, StoreWriter, StreamInfo, StreamStatus,
};

/// How deep processes may start processes in one dispatch.
const MAX_START_DEPTH: usize = 8;

/// What became of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum DispatchOutcome {
    /// The message moved its process on.
    Applied {
        stream_id: String,
        event: Box<Event>,
    },
    /// A message with the same dedup key was taken in before (at this position).
    Duplicate { position: u64 },
    /// The message could not be handled and was kept as a dead letter.
    DeadLettered {
        dead_letter_id: Uuid,
        reason: String,
        detail: String,
    },
}

/// A refused message with the stream it was meant for, if that exists.
pub(super) struct Refused {
    pub rejection: Rejection,
    pub stream: Option<StreamInfo>,
    pub message: InboundMessage,
}

impl Engine {
    /// Takes in one message inside an open write transaction.
    pub fn dispatch_in(
        &mut self,
        writer: &mut StoreWriter,
        message: InboundMessage,
        now: OffsetDateTime,
    ) -> Result<DispatchOutcome, StoreError> {
        self.dispatch_at_depth(writer, message, now, 0)
    }

    fn dispatch_at_depth(
        &mut self,
        writer: &mut StoreWriter,
        message: InboundMessage,
        now: OffsetDateTime,
        depth: usize,
    ) -> Result<DispatchOutcome, StoreError> {
        if let Some(key) = &message.dedup_key
            && let Some(position) = writer.inbox(key)?
        {
            return Ok(DispatchOutcome::Duplicate { position });
        }
        match self.try_dispatch(writer, message, now, depth)? {
            Ok(event) => Ok(DispatchOutcome::Applied {
                stream_id: event.stream_id.clone(),
                event: Box::new(event),
            }),
            Err(refused) => {
                let detail = refused.rejection.to_string();
                let reason = refused.rejection.label().to_string();
                let dead_letter_id = self.dead_letter_inbound(writer, &refused, now)?;
                Ok(DispatchOutcome::DeadLettered {
                    dead_letter_id,
                    reason,
                    detail,
                })
            }
        }
    }

    /// Keeps a refused inbound message as a dead letter and notes the error on its stream.
    pub(super) fn dead_letter_inbound(
        &mut self,
        writer: &mut StoreWriter,
        refused: &Refused,
        now: OffsetDateTime,
    ) -> Result<Uuid, StoreError> {
        let message = &refused.message;
        let detail = refused.rejection.to_string();
        let id = self.ids.next(now);
        let letter = DeadLetter {
            id,
            reason: refused.rejection.label().to_string(),
            detail: detail.clone(),
            status: DeadLetterStatus::Open,
            direction: Direction::Inbound,
            stream_id: refused
                .stream
                .as_ref()
                .map(|s| s.stream_id.clone())
                .or_else(|| message.stream_id.clone()),
            process_type: refused
                .stream
                .as_ref()
                .map(|s| s.process_type.clone())
                .or_else(|| message.process_type.clone()),
            message_type: message.message_type.clone(),
            original: serde_json::to_value(message)?,
            attempts: vec![Attempt {
                at: now,
                error: detail.clone(),
                by: "engine".to_string(),
            }],
            recorded_at: now,
            resolution: None,
        };
        writer.put_dead_letter(&letter)?;
        if let Some(stream) = &refused.stream {
            let mut stream = stream.clone();
            stream.last_error = Some(format!("{}: {detail}", message.message_type));
            writer.put_stream(&stream)?;
        }
        Ok(id)
    }

    /// Applies a message if its definition allows it. `Ok(Err(..))` is a refusal:
    /// nothing was written for it, and the message comes back with it. The
    /// message is taken by value so that its payload moves into the event.
    pub(super) fn try_dispatch(
        &mut self,
        writer: &mut StoreWriter,
        mut message: InboundMessage,
        now: OffsetDateTime,
        depth: usize,
    ) -> Result<Result<Event, Refused>, StoreError> {
        let routed_id = match (&message.stream_id, &message.correlation_key) {
            (Some(stream_id), _) => Some(stream_id.clone()),
            (None, Some(key)) => writer.stream_for_key(key)?,
            (None, None) => None,
        };
        let existing = match &routed_id {
            Some(stream_id) => writer.stream(stream_id)?,
            None => None,
        };
        let process_type = existing
            .as_ref()
            .map(|s| s.process_type.as_str())
            .or(message.process_type.as_deref());
        let refuse = |rejection: Rejection, stream: Option<StreamInfo>, message| {
            Ok(Err(Refused {
                rejection,
                stream,
                message,
            }))
        };
        let Some(process_type) = process_type else {
            return refuse(
                Rejection::UnknownProcess("(none given)".to_string()),
                existing,
                message,
            );
        };
        let Some((process_type, definition)) = self.definitions.get_key_value(process_type) else {
            let rejection = Rejection::UnknownProcess(process_type.to_string());
            return refuse(rejection, existing, message);
        };
        let definition = Arc::clone(definition);
        let state = existing
            .as_ref()
            .and_then(|s| s.process_state.as_deref())
            .unwrap_or(&definition.initial);
        let transition = match definition.step(state, &message.message_type, &message.payload) {
            Ok(transition) => transition,
            Err(rejection) => return refuse(rejection, existing, message),
        };

        let stream_id = match (routed_id, &message.correlation_key) {
            (Some(stream_id), _) => stream_id,
            (None, Some(key)) => format!("{}-{key}", definition.stream_prefix()),
            (None, None) => format!(
                "{}-{}",
                definition.stream_prefix(),
                self.ids.next(now).simple()
            ),
        };
        let expected_version = existing.as_ref().map_or(0, |s| s.version);
        let mut stream = existing.unwrap_or_else(|| StreamInfo {
            stream_id: stream_id.clone(),
            process_type: process_type.clone(),
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
        let correlation_id = match stream.correlation_id {
            Some(id) => id,
            None => {
                let id = message.correlation_id.unwrap_or_else(|| self.ids.next(now));
                stream.correlation_id = Some(id);
                id
            }
        };
        // The state the event leaves goes into its metadata.
        let from_state = stream
            .process_state
            .replace(transition.to.clone())
            .unwrap_or_else(|| definition.initial.clone());
        stream.status = definition.status_of(&transition.to);
        stream.last_error = (stream.status == StreamStatus::Failed).then(|| {
            format!(
                "{} moved the process to {}",
                message.message_type, transition.to
            )
        });

        // The message is not needed whole any more: what the event keeps of
        // it is moved, not copied.
        let extra = match std::mem::take(&mut message.metadata) {
            Value::Object(extra) => extra,
            _ => Map::new(),
        };
        let mut metadata = Map::with_capacity(3 + extra.len());
        metadata.insert("message_id".to_string(), json!(message.message_id));
        metadata.insert("from_state".to_string(), Value::String(from_state));
        if let Some(sender) = message.sender.take() {
            metadata.insert("sender".to_string(), Value::String(sender));
        }
        metadata.extend(extra);
        let event = NewEvent {
            event_id: Some(self.ids.next(now)),
            event_type: std::mem::take(&mut message.message_type),
            occurred_at: message.received_at,
            correlation_id: Some(correlation_id),
            causation_id: Some(message.causation_id.unwrap_or(message.message_id)),
            other_causes: Vec::new(),
            payload: std::mem::take(&mut message.payload),
            metadata: Value::Object(metadata),
        };
        let Some(event) = writer
            .append(&mut stream, expected_version, vec![event], now)?
            .pop()
        else {
            return Err(StoreError::NotFound(format!(
                "the event appended to {stream_id}"
            )));
        };
        checkpoint_if_due(writer, &event)?;
        if let Some(key) = &message.correlation_key
            && expected_version == 0
        {
            writer.set_stream_key(key, &stream_id)?;
        }
        if let Some(key) = &message.dedup_key {
            writer.record_inbox(key, event.position)?;
        }
        self.schedule_effects(writer, &definition, transition, &event, now, depth)?;
        Ok(Ok(event))
    }

    /// Outbox messages, the deadline and started processes of a fired transition.
    pub(super) fn schedule_effects(
        &mut self,
        writer: &mut StoreWriter,
        definition: &Definition,
        transition: &Transition,
        event: &Event,
        now: OffsetDateTime,
        depth: usize,
    ) -> Result<(), StoreError> {
        let deadline_id = deadline_id_of(&event.stream_id);
        // A new deadline replaces the stream's pending one in place (one read
        // of the old record instead of a remove and a put).
        if let Some(spec) = &transition.deadline
            && !definition.is_terminal(&transition.to)
        {
            writer.put_deadline(Deadline {
                id: deadline_id,
                stream_id: event.stream_id.clone(),
                on_expiry: spec.on_expiry.clone(),
                due_at: now
                    + time::Duration::seconds(i64::try_from(spec.after).unwrap_or(i64::MAX / 2)),
                created_at: now,
                caused_by: Some(event.event_id),
                correlation_id: event.correlation_id,
            })?;
        } else {
            writer.remove_deadline(deadline_id)?;
        }
        for emit in &transition.emit {
            let recipient = match emit.recipient.strip_prefix('$') {
                Some(field) => payload_field(&event.payload, field)
                    .and_then(Value::as_str)
                    .unwrap_or(field)
                    .to_string(),
                None => emit.recipient.clone(),
            };
            writer.put_outbox(OutboxMessage {
                id: self.ids.next(now),
                stream_id: event.stream_id.clone(),
                message_type: emit.message_type.clone(),
                recipient,
                payload: pick_fields(&event.payload, &emit.fields),
                due_at: now,
                attempts: 0,
                max_attempts: self.policy.max_attempts,
                last_error: None,
                created_at: now,
                caused_by: Some(event.event_id),
                correlation_id: event.correlation_id,
                attempt_log: Vec::new(),
            })?;
        }
        for start in &transition.start {
            let child_prefix = self
                .definitions
                .get(&start.process_type)
                .map_or(start.process_type.as_str(), |d| d.stream_prefix())
                .to_string();
            let suffix = event
                .stream_id
                .strip_prefix(definition.stream_prefix())
                .unwrap_or(&event.stream_id)
                .trim_start_matches('-');
            let child = InboundMessage {
                message_id: self.ids.next(now),
                message_type: start.message_type.clone(),
                process_type: Some(start.process_type.clone()),
                stream_id: Some(format!("{child_prefix}-{suffix}")),
                correlation_key: None,
                dedup_key: None,
                sender: Some(event.stream_id.clone()),
                causation_id: Some(event.event_id),
                correlation_id: event.correlation_id,
                payload: pick_fields(&event.payload, &start.fields),
                received_at: now,
                metadata: json!({ "started_by": event.stream_id }),
            };
            if depth + 1 >= MAX_START_DEPTH {
                let refused = Refused {
                    message: child,
                    rejection: Rejection::TransitionNotAllowed {
                        process_type: start.process_type.clone(),
                        state: "(not started)".to_string(),
                        event_type: format!(
                            "{} (processes start each other more than {MAX_START_DEPTH} deep)",
                            start.message_type
                        ),
                    },
                    stream: None,
                };
                self.dead_letter_inbound(writer, &refused, now)?;
                continue;
            }
            self.dispatch_at_depth(writer, child, now, depth + 1)?;
        }
        Ok(())
    }
}

/// Writes the replay checkpoint when an append reached the checkpoint interval
/// (the engine appends one event at a time, so it lands on the multiple).
pub(super) fn checkpoint_if_due(writer: &mut StoreWriter, event: &Event) -> Result<(), StoreError> {
    if event
        .version
        .is_multiple_of(crate::replay::CHECKPOINT_INTERVAL)
    {
        crate::replay::maintain_checkpoints(writer, &event.stream_id)?;
    }
    Ok(())
}

/// A stream has at most one pending deadline (the response time of its current
/// step); its id is derived from the stream id so it can be found without a scan.
pub fn deadline_id_of(stream_id: &str) -> Uuid {
    let hash = crate::store::xxh3_128_of(&[b"deadline\x1f", stream_id.as_bytes()]);
    uuid::Builder::from_custom_bytes(hash.to_be_bytes()).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_id_is_the_streamed_hash_of_its_stream_for_short_and_long_ids() {
        for stream_id in [
            "switch-000001",
            "",
            &"x".repeat(119),
            &"y".repeat(120),
            &"z".repeat(500),
        ] {
            let mut hasher = xxhash_rust::xxh3::Xxh3::new();
            hasher.update(b"deadline\x1f");
            hasher.update(stream_id.as_bytes());
            let streamed = uuid::Builder::from_custom_bytes(hasher.digest128().to_be_bytes());
            assert_eq!(
                deadline_id_of(stream_id),
                streamed.into_uuid(),
                "{}",
                stream_id.len()
            );
        }
    }
}
