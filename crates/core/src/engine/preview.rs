//! What-if preview of a resubmission: the (edited) message is folded through
//! its stream's definition inside a write transaction that is always rolled
//! back, so the preview runs the very code a real resubmission runs and
//! nothing is ever written.

use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::actions::{ActionError, open_dead_letter};
use super::dispatch::deadline_id_of;
use super::{Engine, InboundMessage};
use crate::store::{Deadline, Direction, Event, OutboxMessage, Store, StoreError};

/// What a resubmission would do.
#[derive(Debug, Clone, PartialEq)]
pub enum PreviewOutcome {
    /// The definition accepts the message.
    Accepted,
    /// An outbound message would go back into the outbox for this recipient.
    Requeued { recipient: String },
    /// The message would be refused again: (reason label, detail).
    Rejected { reason: String, detail: String },
}

/// The result of a what-if preview.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub outcome: PreviewOutcome,
    /// Events the message would append.
    pub events: Vec<Event>,
    /// The stream's state after them: `{"process_state", "data"}` (null when rejected).
    pub state: Value,
    /// Outbox messages it would produce.
    pub outbox: Vec<OutboxMessage>,
    /// Deadlines it would set.
    pub deadlines: Vec<Deadline>,
}

/// The rolled-back transaction's way out: the preview, or why there is none.
enum Sandbox {
    Done(Box<Preview>),
    Failed(ActionError),
}

impl From<StoreError> for Sandbox {
    fn from(error: StoreError) -> Self {
        Sandbox::Failed(ActionError::Store(error))
    }
}

impl From<ActionError> for Sandbox {
    fn from(error: ActionError) -> Self {
        Sandbox::Failed(error)
    }
}

impl Engine {
    /// Previews resubmitting dead letter `id` (with `edited_payload` if given):
    /// events, state and outbox messages it would produce, or why it would be
    /// refused. Needs a writable store (the sandbox is a transaction that is
    /// rolled back); writes nothing.
    pub fn preview_resubmit(
        &mut self,
        store: &Store,
        id: Uuid,
        edited_payload: Option<Value>,
        now: OffsetDateTime,
    ) -> Result<Preview, ActionError> {
        let state_before = {
            let reader = store.read()?;
            let letter = reader
                .dead_letter(id)?
                .ok_or_else(|| ActionError::NotFound(format!("dead letter {id}")))?;
            match &letter.stream_id {
                Some(stream_id) => match reader.stream(stream_id)? {
                    Some(info) => crate::replay::state_of(&reader, stream_id, info.version)
                        .map(|state| state.data)
                        .unwrap_or_else(|_| json!({})),
                    None => json!({}),
                },
                None => json!({}),
            }
        };
        let result = store.write(|writer| -> Result<(), Sandbox> {
            let letter = open_dead_letter(writer, id)?;
            let unreadable = |error: serde_json::Error| {
                ActionError::Invalid(format!(
                    "the original message of {id} is unreadable: {error}"
                ))
            };
            let preview = match letter.direction {
                Direction::Outbound => {
                    let message: OutboxMessage =
                        serde_json::from_value(letter.original.clone()).map_err(unreadable)?;
                    Preview {
                        outcome: PreviewOutcome::Requeued {
                            recipient: message.recipient.clone(),
                        },
                        events: Vec::new(),
                        state: Value::Null,
                        outbox: vec![OutboxMessage {
                            payload: edited_payload.unwrap_or(message.payload.clone()),
                            due_at: now,
                            attempts: 0,
                            attempt_log: Vec::new(),
                            last_error: None,
                            ..message
                        }],
                        deadlines: Vec::new(),
                    }
                }
                Direction::Inbound => {
                    let mut message: InboundMessage =
                        serde_json::from_value(letter.original.clone()).map_err(unreadable)?;
                    if let Some(payload) = edited_payload {
                        message.payload = payload;
                    }
                    message.received_at = now;
                    match self.try_dispatch(writer, message, now, 0)? {
                        Err(refused) => Preview {
                            outcome: PreviewOutcome::Rejected {
                                reason: refused.rejection.label().to_string(),
                                detail: refused.rejection.to_string(),
                            },
                            events: Vec::new(),
                            state: Value::Null,
                            outbox: Vec::new(),
                            deadlines: Vec::new(),
                        },
                        Ok(event) => {
                            let mut data = state_before.clone();
                            json_patch::merge(&mut data, &event.payload);
                            let process_state = writer
                                .stream(&event.stream_id)?
                                .and_then(|info| info.process_state);
                            // The messages the event emitted are due now. Taking
                            // them out only looks: the preview is rolled back.
                            let outbox = writer
                                .take_due_outbox(now, usize::MAX)?
                                .into_iter()
                                .filter(|m| m.caused_by == Some(event.event_id))
                                .collect();
                            // A stream has one deadline, under an id of its own.
                            let deadlines = writer
                                .deadline(deadline_id_of(&event.stream_id))?
                                .into_iter()
                                .filter(|d| d.caused_by == Some(event.event_id))
                                .collect();
                            Preview {
                                outcome: PreviewOutcome::Accepted,
                                state: json!({ "process_state": process_state, "data": data }),
                                events: vec![event],
                                outbox,
                                deadlines,
                            }
                        }
                    }
                }
            };
            // Always roll back: the preview leaves the store as it was.
            Err(Sandbox::Done(Box::new(preview)))
        });
        match result {
            Err(Sandbox::Done(preview)) => Ok(*preview),
            Err(Sandbox::Failed(error)) => Err(error),
            Ok(()) => Err(ActionError::Invalid(
                "the preview transaction was not rolled back".to_string(),
            )),
        }
    }
}
