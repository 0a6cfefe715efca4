//! Process definitions: data, not code. Stored as JSON in the `definitions`
//! table so that a store carries its own rules.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The rules of one process type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    pub process_type: String,
    #[serde(default)]
    pub description: String,
    /// Start of the ids of new streams of this type (`<prefix>-<number>`); the process type when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_prefix: Option<String>,
    pub states: Vec<String>,
    pub initial: String,
    /// States in which the process has ended well.
    pub terminal: Vec<String>,
    /// Terminal states in which the process has failed.
    #[serde(default)]
    pub failed: Vec<String>,
    pub transitions: Vec<Transition>,
}

/// `from` + `on` → `to`, with what the step sends, schedules and needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// The state the process must be in; `"*"` matches any state that is not terminal.
    pub from: String,
    /// The event type (= inbound message type) that fires it.
    pub on: String,
    pub to: String,
    /// Outbound messages sent when it fires.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emit: Vec<Emit>,
    /// A timer set when it fires; pending timers of the stream are cleared first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DeadlineSpec>,
    /// Payload fields the message must carry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub require: Vec<String>,
    /// Processes of other types started by this step (cross-stream causation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub start: Vec<Start>,
}

/// An outbound message a transition sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Emit {
    pub message_type: String,
    /// A fixed recipient, or `$field` to take it from the payload.
    pub recipient: String,
    /// Payload fields copied into the message (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// A timer a transition sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadlineSpec {
    /// Seconds after the event.
    pub after: u64,
    /// The event type appended when it expires.
    pub on_expiry: String,
}

/// A process of another type a transition starts, with the message that starts it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Start {
    pub process_type: String,
    pub message_type: String,
    /// Payload fields copied into the starting message (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// Why a definition refuses a message, with the reason label dead letters carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("no process definition for type {0:?}")]
    UnknownProcess(String),
    #[error("{process_type} in state {state:?} does not accept {event_type}")]
    TransitionNotAllowed {
        process_type: String,
        state: String,
        event_type: String,
    },
    #[error("{event_type} lacks required field(s) {}", missing.join(", "))]
    MissingField {
        event_type: String,
        missing: Vec<String>,
    },
    #[error("payload must be a JSON object, got {0}")]
    MalformedPayload(String),
}

impl Rejection {
    /// The reason label used in dead letters.
    pub fn label(&self) -> &'static str {
        match self {
            Self::UnknownProcess(_) => "unknown_process",
            Self::TransitionNotAllowed { .. } => "transition_not_allowed",
            Self::MissingField { .. } => "missing_field",
            Self::MalformedPayload(_) => "malformed_payload",
        }
    }
}

/// Metadata key that marks an event appended by an operator action or by the
/// engine's own bookkeeping: such events do not move the process state.
pub const OPERATOR_MARK: &str = "operator_action";

/// Metadata key of an operator event that puts the process into a named state
/// (retry of a failed step). Replay applies it like a transition.
pub const SET_STATE: &str = "set_state";

/// True when an event's metadata marks it as an operator action.
pub fn is_operator_event(metadata: &Value) -> bool {
    metadata.get(OPERATOR_MARK).is_some()
}

/// The state an operator event puts the process into, if it does.
pub fn operator_set_state(metadata: &Value) -> Option<&str> {
    metadata.get(SET_STATE).and_then(Value::as_str)
}

impl Definition {
    /// Parses a definition from JSON.
    pub fn from_json(value: &Value) -> Result<Definition, serde_json::Error> {
        Definition::deserialize(value)
    }

    /// The definition as JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The start of new stream ids of this type.
    pub fn stream_prefix(&self) -> &str {
        self.stream_prefix.as_deref().unwrap_or(&self.process_type)
    }

    /// The stream status that goes with a state.
    pub fn status_of(&self, state: &str) -> crate::store::StreamStatus {
        if self.is_failed(state) {
            crate::store::StreamStatus::Failed
        } else if self.is_terminal(state) {
            crate::store::StreamStatus::Completed
        } else {
            crate::store::StreamStatus::Running
        }
    }

    /// Whether a state ends the process.
    pub fn is_terminal(&self, state: &str) -> bool {
        self.terminal.iter().any(|s| s == state) || self.is_failed(state)
    }

    /// Whether a state is a failed end.
    pub fn is_failed(&self, state: &str) -> bool {
        self.failed.iter().any(|s| s == state)
    }

    /// The transition that `event_type` fires in `state`, or why there is none.
    /// A missing field is reported before a forbidden transition only when the
    /// transition exists.
    pub fn step(
        &self,
        state: &str,
        event_type: &str,
        payload: &Value,
    ) -> Result<&Transition, Rejection> {
        let Some(fields) = payload.as_object() else {
            return Err(Rejection::MalformedPayload(json_kind(payload).to_string()));
        };
        let transition = self
            .transitions
            .iter()
            .find(|t| t.on == event_type && t.from == state)
            .or_else(|| {
                self.transitions
                    .iter()
                    .find(|t| t.on == event_type && t.from == "*" && !self.is_terminal(state))
            })
            .ok_or_else(|| Rejection::TransitionNotAllowed {
                process_type: self.process_type.clone(),
                state: state.to_string(),
                event_type: event_type.to_string(),
            })?;
        let missing: Vec<String> = transition
            .require
            .iter()
            .filter(|field| object_field(fields, field).is_none_or(Value::is_null))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(Rejection::MissingField {
                event_type: event_type.to_string(),
                missing,
            });
        }
        Ok(transition)
    }
}

/// The fields of `payload` named in `fields` (all of them when `fields` is empty).
pub fn pick_fields(payload: &Value, fields: &[String]) -> Value {
    if fields.is_empty() {
        return payload.clone();
    }
    // Room for every field at once: serde_json's ordered map otherwise grows
    // its table and entries twice on the way to five fields.
    let mut picked = Map::with_capacity(fields.len());
    if let Some(object) = payload.as_object() {
        for field in fields {
            if let Some(value) = object_field(object, field) {
                picked.insert(field.clone(), value.clone());
            }
        }
    }
    Value::Object(picked)
}

/// The field `name` of `payload`, if it is an object that has it.
pub fn payload_field<'a>(payload: &'a Value, name: &str) -> Option<&'a Value> {
    object_field(payload.as_object()?, name)
}

/// The field `name` of `object`. A message's payload has a handful of
/// fields, and comparing their names one by one is cheaper than hashing the
/// name (serde_json's ordered map hashes with SipHash): `perf` put 4 % of
/// the demo's engine thread in those hashes.
fn object_field<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    const SCAN_UP_TO: usize = 16;
    if object.len() <= SCAN_UP_TO {
        object
            .iter()
            .find_map(|(key, value)| (key == name).then_some(value))
    } else {
        object.get(name)
    }
}

/// A short name of a JSON value's kind, for messages.
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
