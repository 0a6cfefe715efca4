//! The fold: one event at a time, the definition's process state and the
//! RFC 7386 merge of the payloads.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::definition::{Definition, Rejection, Transition, is_operator_event, operator_set_state};
use crate::store::{EventRecord, StoreError, StreamInfo};

use super::ReplayError;

/// The state of a stream at a version (ARCHITECTURE.md's replay `state`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The definition's state; `None` when the stream's process type has no definition.
    pub process_state: Option<String>,
    /// RFC 7386 merge of the payloads so far (operator actions left out).
    pub data: Value,
}

impl State {
    /// The state at version 0.
    pub fn initial(definition: Option<&Definition>) -> State {
        State {
            process_state: definition.map(|definition| definition.initial.clone()),
            data: Value::Object(Map::new()),
        }
    }

    /// `{"process_state": .., "data": ..}`.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert(
            "process_state".to_string(),
            self.process_state
                .clone()
                .map_or(Value::Null, Value::String),
        );
        object.insert("data".to_string(), self.data.clone());
        Value::Object(object)
    }
}

/// What one event did to the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// An operator action: the data did not move; the process state moved only
    /// when the action put the process into a state (retry of a failed step).
    Operator { set_state: Option<String> },
    /// No definition: the payload was merged, there is no process state.
    NoDefinition,
    /// The definition accepted the event with this transition.
    Fired(Transition),
    /// The definition refuses the event in the state it found: the process state
    /// stays where it was; the payload is still merged, because the event happened.
    Rejected {
        /// The process state the event found.
        state: String,
        rejection: Rejection,
    },
}

impl Step {
    /// The step as JSON: `{"kind": "fired"|"rejected"|"operator"|"no_definition", ..}`.
    pub fn to_json(&self) -> Value {
        match self {
            Step::Operator { set_state } => {
                serde_json::json!({"kind": "operator", "set_state": set_state})
            }
            Step::NoDefinition => serde_json::json!({"kind": "no_definition"}),
            Step::Fired(transition) => serde_json::json!({
                "kind": "fired",
                "transition": serde_json::to_value(transition).unwrap_or(Value::Null),
            }),
            Step::Rejected { state, rejection } => serde_json::json!({
                "kind": "rejected",
                "state": state,
                "reason": rejection.label(),
                "detail": rejection.to_string(),
            }),
        }
    }
}

/// The effect of one event, borrowing the definition (no clone per event in long folds).
pub(crate) enum Effect<'d> {
    Operator { set_state: Option<String> },
    NoDefinition,
    Fired(&'d Transition),
    Rejected { state: String, rejection: Rejection },
}

impl Effect<'_> {
    pub(crate) fn to_step(&self) -> Step {
        match self {
            Effect::Operator { set_state } => Step::Operator {
                set_state: set_state.clone(),
            },
            Effect::NoDefinition => Step::NoDefinition,
            Effect::Fired(transition) => Step::Fired((*transition).clone()),
            Effect::Rejected { state, rejection } => Step::Rejected {
                state: state.clone(),
                rejection: rejection.clone(),
            },
        }
    }
}

/// Applies one event to `state`.
pub(crate) fn apply<'d>(
    definition: Option<&'d Definition>,
    state: &mut State,
    event_type: &str,
    payload: &Value,
    metadata: &Value,
) -> Effect<'d> {
    if is_operator_event(metadata) {
        let set_state = operator_set_state(metadata).map(str::to_string);
        if let Some(set) = &set_state
            && definition.is_some()
        {
            state.process_state = Some(set.clone());
        }
        return Effect::Operator { set_state };
    }
    let effect = match definition {
        None => Effect::NoDefinition,
        Some(definition) => {
            let current = state
                .process_state
                .as_deref()
                .unwrap_or(definition.initial.as_str());
            match definition.step(current, event_type, payload) {
                Ok(transition) => {
                    state.process_state = Some(transition.to.clone());
                    Effect::Fired(transition)
                }
                Err(rejection) => Effect::Rejected {
                    state: current.to_string(),
                    rejection,
                },
            }
        }
    };
    json_patch::merge(&mut state.data, payload);
    effect
}

/// A stream with what its fold needs: its record and its current definition.
pub(crate) struct Subject {
    pub info: StreamInfo,
    pub definition: Option<Definition>,
    /// Identifies the definition a checkpoint was computed under.
    pub fingerprint: Option<String>,
}

impl Subject {
    /// Builds the subject from a stream record and its definition JSON (if any).
    pub(crate) fn new(info: StreamInfo, definition: Option<Value>) -> Result<Subject, ReplayError> {
        let Some(json) = definition else {
            return Ok(Subject {
                info,
                definition: None,
                fingerprint: None,
            });
        };
        let parsed = Definition::from_json(&json).map_err(|error| ReplayError::BadDefinition {
            process_type: info.process_type.clone(),
            detail: error.to_string(),
        })?;
        Ok(Subject {
            info,
            definition: Some(parsed),
            fingerprint: Some(fingerprint(&json)),
        })
    }

    /// A folder that expects the events from version `from` on.
    pub(crate) fn folder(&self, from: u64) -> Folder<'_> {
        Folder {
            stream_id: &self.info.stream_id,
            definition: self.definition.as_ref(),
            expected: from,
        }
    }
}

/// Feeds raw events of one stream, in version order, into a state.
pub(crate) struct Folder<'s> {
    stream_id: &'s str,
    definition: Option<&'s Definition>,
    expected: u64,
}

impl<'s> Folder<'s> {
    /// Applies the event at `version` (its JSON bytes) to `state`.
    pub(crate) fn feed(
        &mut self,
        state: &mut State,
        version: u64,
        bytes: &[u8],
    ) -> Result<Effect<'s>, StoreError> {
        self.check(version)?;
        self.expected += 1;
        let stream_id = self.stream_id;
        let event = EventRecord::<Value>::decode_in(bytes, || {
            format!("event {stream_id} version {version}")
        })?;
        let metadata = event.metadata.unwrap_or(Value::Null);
        Ok(apply(
            self.definition,
            state,
            &event.event_type,
            &event.payload,
            &metadata,
        ))
    }

    /// Checks that every version up to `to` was fed (versions are contiguous).
    pub(crate) fn finish(&self, to: u64) -> Result<(), StoreError> {
        if self.expected <= to {
            return Err(self.gap());
        }
        Ok(())
    }

    fn check(&self, version: u64) -> Result<(), StoreError> {
        if version != self.expected {
            return Err(self.gap());
        }
        Ok(())
    }

    fn gap(&self) -> StoreError {
        StoreError::Corrupt(format!(
            "stream {} has no event at version {}",
            self.stream_id, self.expected
        ))
    }
}

/// A short, stable identity of a definition's JSON (xxh3, hex).
pub(crate) fn fingerprint(definition: &Value) -> String {
    let bytes = serde_json::to_vec(definition).unwrap_or_default();
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes))
}
