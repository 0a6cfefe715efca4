//! Outbox delivery with retries and backoff, and expiry of deadlines.

use serde_json::json;
use time::OffsetDateTime;

use super::dispatch::Refused;
use super::{Engine, InboundMessage};
use crate::store::{
    Attempt, DeadLetter, DeadLetterStatus, Direction, OutboxMessage, StoreError, StoreWriter,
    format_time,
};

/// Sends outbound messages to market partners.
pub trait Transport {
    /// Delivers one message; an error text is kept as the attempt's error.
    fn deliver(&mut self, message: &OutboxMessage, now: OffsetDateTime) -> Result<(), String>;

    /// Takes a message [`Transport::deliver`] accepted, once the engine is
    /// done with it: a transport that keeps what it delivered keeps it from
    /// here instead of copying it.
    fn delivered(&mut self, message: OutboxMessage) {
        drop(message);
    }
}

/// What one delivery run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: usize,
    /// Failed, and will be tried again later.
    pub retried: usize,
    /// Failed for the last time and became dead letters.
    pub dead_lettered: usize,
}

/// The internal message type that tells a process one of its messages could not be delivered.
pub const DELIVERY_FAILED: &str = "DeliveryFailed";

impl Engine {
    /// Delivers due outbox messages inside an open write transaction.
    pub fn deliver_due_in(
        &mut self,
        writer: &mut StoreWriter,
        transport: &mut dyn Transport,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<DeliveryReport, StoreError> {
        let mut report = DeliveryReport::default();
        for mut message in writer.take_due_outbox(now, limit)? {
            match transport.deliver(&message, now) {
                Ok(()) => {
                    report.delivered += 1;
                    transport.delivered(message);
                }
                Err(error) => {
                    message.attempts += 1;
                    message.last_error = Some(error.clone());
                    message.attempt_log.push(Attempt {
                        at: now,
                        error,
                        by: "engine".to_string(),
                    });
                    if message.attempts >= message.max_attempts {
                        self.dead_letter_outbound(writer, message, "delivery_failed", now)?;
                        report.dead_lettered += 1;
                    } else {
                        message.due_at = now + self.policy.backoff(message.attempts);
                        writer.put_outbox(message)?;
                        report.retried += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    /// Moves an outbox message, already taken out of the outbox, to the dead
    /// letters and tells its process (a `DeliveryFailed` message, which its
    /// definition may turn into a failure).
    pub(super) fn dead_letter_outbound(
        &mut self,
        writer: &mut StoreWriter,
        message: OutboxMessage,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<uuid::Uuid, StoreError> {
        let detail = format!(
            "{} to {} failed after {} attempt(s): {}",
            message.message_type,
            message.recipient,
            message.attempts,
            message.last_error.as_deref().unwrap_or("no error given")
        );
        let stream = writer.stream(&message.stream_id)?;
        let id = self.ids.next(now);
        writer.put_dead_letter(&DeadLetter {
            id,
            reason: reason.to_string(),
            detail: detail.clone(),
            status: DeadLetterStatus::Open,
            direction: Direction::Outbound,
            stream_id: Some(message.stream_id.clone()),
            process_type: stream.as_ref().map(|s| s.process_type.clone()),
            message_type: message.message_type.clone(),
            original: serde_json::to_value(&message)?,
            attempts: message.attempt_log.clone(),
            recorded_at: now,
            resolution: None,
        })?;
        let notice = InboundMessage {
            message_id: self.ids.next(now),
            message_type: DELIVERY_FAILED.to_string(),
            process_type: None,
            stream_id: Some(message.stream_id.clone()),
            correlation_key: None,
            dedup_key: None,
            sender: Some("outbox".to_string()),
            causation_id: message.caused_by,
            correlation_id: message.correlation_id,
            payload: json!({
                "message_id": message.id,
                "message_type": message.message_type,
                "recipient": message.recipient,
                "attempts": message.attempts,
                "error": message.last_error,
                "dead_letter_id": id,
            }),
            received_at: now,
            metadata: serde_json::Value::Null,
        };
        // A definition without a DeliveryFailed step keeps going; the dead letter
        // already records the failure, so the refusal only marks the stream.
        if let Err(Refused {
            stream: Some(mut stream),
            ..
        }) = self.try_dispatch(writer, notice, now, 0)?
        {
            stream.last_error = Some(detail);
            writer.put_stream(&stream)?;
        }
        Ok(id)
    }

    /// Fires due deadlines inside an open write transaction; returns how many fired.
    pub fn fire_due_in(
        &mut self,
        writer: &mut StoreWriter,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<usize, StoreError> {
        let due = writer.take_due_deadlines(now, limit)?;
        let fired = due.len();
        for deadline in due {
            self.fire_deadline_in(writer, deadline, now, serde_json::Value::Null)?;
        }
        Ok(fired)
    }

    /// Dispatches the expiry event of a deadline, already taken out of the
    /// deadlines, to its stream.
    pub(super) fn fire_deadline_in(
        &mut self,
        writer: &mut StoreWriter,
        deadline: crate::store::Deadline,
        now: OffsetDateTime,
        metadata: serde_json::Value,
    ) -> Result<super::DispatchOutcome, StoreError> {
        let expiry = InboundMessage {
            message_id: self.ids.next(now),
            message_type: deadline.on_expiry.clone(),
            process_type: None,
            stream_id: Some(deadline.stream_id.clone()),
            correlation_key: None,
            dedup_key: None,
            sender: Some("deadline".to_string()),
            causation_id: deadline.caused_by,
            correlation_id: deadline.correlation_id,
            payload: json!({
                "deadline_id": deadline.id,
                "due_at": format_time(deadline.due_at),
            }),
            received_at: now,
            metadata,
        };
        self.dispatch_in(writer, expiry, now)
    }
}
