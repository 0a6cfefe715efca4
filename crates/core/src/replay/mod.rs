//! Replay: the state of a stream at any version, checkpoints, per-step diffs,
//! validation replay under the current definition. No egui here.
//!
//! The state at version N is `{"process_state": <the definition's state after N
//! events, or null when the stream's process type has no definition>, "data":
//! <RFC 7386 merge of the payloads 1..N>}`. Events marked as operator actions
//! (`definition::is_operator_event`) move neither, except that an
//! operator action carrying `set_state` (retry of a failed step) puts the
//! process into that state. An event the
//! definition rejects leaves the process state where it was (the rejection is
//! reported) and its payload is still merged: the event happened.
//!
//! The definition is the one stored now. Checkpoints carry a fingerprint of
//! the definition they were computed under; one computed under another
//! definition is not used (the fold starts earlier instead).

mod checkpoint;
mod fold;
mod validate;

use serde_json::{Map, Value};

use crate::store::{Event, StoreError, StoreReader};

pub use checkpoint::{
    BuildReport, CHECKPOINT_INTERVAL, build_checkpoints, build_checkpoints_with_interval,
    maintain_checkpoints, maintain_checkpoints_with_interval, stream_needs_checkpoints,
};
pub use fold::{State, Step};
pub use validate::{
    FailureCause, FailurePoint, RejectedEvent, Validation, failure_point, validate,
};

use fold::{Effect, Subject};

/// Why a replay could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("no stream {0:?} in the store")]
    UnknownStream(String),
    #[error("version {version} is out of range: the stream has versions 0 to {last}")]
    VersionOutOfRange { version: u64, last: u64 },
    #[error("the definition of process type {process_type:?} is unreadable: {detail}")]
    BadDefinition {
        process_type: String,
        detail: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A stream's state at one version, with what the event at that version did.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    pub stream_id: String,
    pub process_type: String,
    pub version: u64,
    /// The stream's last version.
    pub last_version: u64,
    pub state: State,
    /// RFC 6902 operations turning the state at `version - 1` into this one
    /// (empty at version 0).
    pub diff: Vec<Value>,
    /// The event at `version` (`None` at version 0); for an event shared by
    /// several streams, `stream_id` and `version` are this stream's.
    pub event: Option<Event>,
    /// What that event did: the transition that fired, a rejection, or neither.
    pub step: Option<Step>,
    /// The checkpoint the fold started from (`None`: from version 0).
    pub checkpoint: Option<u64>,
}

impl Replay {
    /// ARCHITECTURE.md's replay shape (`stream_id`, `version`, `state`, `diff`) plus
    /// `process_type`, `last_version`, `event`, `step`.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("stream_id".into(), Value::String(self.stream_id.clone()));
        object.insert("version".into(), Value::from(self.version));
        object.insert("state".into(), self.state.to_json());
        object.insert("diff".into(), Value::Array(self.diff.clone()));
        object.insert(
            "process_type".into(),
            Value::String(self.process_type.clone()),
        );
        object.insert("last_version".into(), Value::from(self.last_version));
        object.insert(
            "event".into(),
            self.event
                .as_ref()
                .and_then(|event| serde_json::to_value(event).ok())
                .unwrap_or(Value::Null),
        );
        object.insert(
            "step".into(),
            self.step.as_ref().map_or(Value::Null, Step::to_json),
        );
        Value::Object(object)
    }

    /// The JSON pointers the event at this version changed (from the diff), sorted.
    pub fn changed_paths(&self) -> Vec<String> {
        changed_paths(&self.diff)
    }
}

/// The JSON pointers named by RFC 6902 operations, sorted and without repeats.
pub fn changed_paths(diff: &[Value]) -> Vec<String> {
    let mut paths: Vec<String> = diff
        .iter()
        .filter_map(|op| op.get("path").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// The state of `stream_id` at `version`, the diff from `version - 1`, the
/// event at `version` and what it did. Served from the nearest usable
/// checkpoint at or below `version - 1`.
pub fn state_at(
    reader: &StoreReader,
    stream_id: &str,
    version: u64,
) -> Result<Replay, ReplayError> {
    let subject = subject(reader, stream_id)?;
    check_version(&subject, version)?;
    let mut replay = Replay {
        stream_id: subject.info.stream_id.clone(),
        process_type: subject.info.process_type.clone(),
        version,
        last_version: subject.info.version,
        state: State::initial(subject.definition.as_ref()),
        diff: Vec::new(),
        event: None,
        step: None,
        checkpoint: None,
    };
    if version == 0 {
        return Ok(replay);
    }
    let (checkpoint, before) = fold_to(reader, &subject, version - 1, true)?;
    let Some(event) = reader
        .stream_events(stream_id, version, 1)?
        .into_iter()
        .next()
    else {
        return Err(StoreError::Corrupt(format!(
            "stream {stream_id} has no event at version {version}"
        ))
        .into());
    };
    let mut after = before.clone();
    let effect = fold::apply(
        subject.definition.as_ref(),
        &mut after,
        &event.event_type,
        &event.payload,
        &event.metadata,
    );
    replay.diff = diff(&before, &after);
    replay.step = Some(effect.to_step());
    replay.state = after;
    replay.event = Some(event);
    replay.checkpoint = checkpoint;
    Ok(replay)
}

/// Only the state of `stream_id` at `version` (from the nearest usable checkpoint).
pub fn state_of(reader: &StoreReader, stream_id: &str, version: u64) -> Result<State, ReplayError> {
    let subject = subject(reader, stream_id)?;
    check_version(&subject, version)?;
    Ok(fold_to(reader, &subject, version, true)?.1)
}

/// The state at `version` by a plain fold from version 1, ignoring checkpoints
/// (the reference the checkpointed replay is tested and measured against).
pub fn fold_from_start(
    reader: &StoreReader,
    stream_id: &str,
    version: u64,
) -> Result<State, ReplayError> {
    let subject = subject(reader, stream_id)?;
    check_version(&subject, version)?;
    Ok(fold_to(reader, &subject, version, false)?.1)
}

/// RFC 6902 operations turning the state at version `a` into the state at
/// version `b` (either may be the larger).
pub fn diff_versions(
    reader: &StoreReader,
    stream_id: &str,
    a: u64,
    b: u64,
) -> Result<Vec<Value>, ReplayError> {
    let subject = subject(reader, stream_id)?;
    check_version(&subject, a)?;
    check_version(&subject, b)?;
    let (low, high) = (a.min(b), a.max(b));
    let (_, low_state) = fold_to(reader, &subject, low, true)?;
    // Continue from the lower state unless a checkpoint between them is closer.
    let high_state = match usable_checkpoint(reader, &subject, high)? {
        Some((version, state)) if version > low => {
            fold_from(reader, &subject, version, state, high)?
        }
        _ => fold_from(reader, &subject, low, low_state.clone(), high)?,
    };
    Ok(if a <= b {
        diff(&low_state, &high_state)
    } else {
        diff(&high_state, &low_state)
    })
}

/// RFC 6902 operations (as JSON) from one state to another.
pub fn diff(from: &State, to: &State) -> Vec<Value> {
    json_patch::diff(&from.to_json(), &to.to_json())
        .0
        .iter()
        .filter_map(|op| serde_json::to_value(op).ok())
        .collect()
}

fn subject(reader: &StoreReader, stream_id: &str) -> Result<Subject, ReplayError> {
    let Some(info) = reader.stream(stream_id)? else {
        return Err(ReplayError::UnknownStream(stream_id.to_string()));
    };
    let definition = reader.definition(&info.process_type)?;
    Subject::new(info, definition)
}

fn check_version(subject: &Subject, version: u64) -> Result<(), ReplayError> {
    if version > subject.info.version {
        return Err(ReplayError::VersionOutOfRange {
            version,
            last: subject.info.version,
        });
    }
    Ok(())
}

/// The state at `version`, from a usable checkpoint when `use_checkpoints`;
/// also says which checkpoint it started from.
fn fold_to(
    reader: &StoreReader,
    subject: &Subject,
    version: u64,
    use_checkpoints: bool,
) -> Result<(Option<u64>, State), ReplayError> {
    let start = if use_checkpoints {
        usable_checkpoint(reader, subject, version)?
    } else {
        None
    };
    let (from, state) = match start {
        Some((at, state)) => (Some(at), state),
        None => (None, State::initial(subject.definition.as_ref())),
    };
    let state = fold_from(reader, subject, from.unwrap_or(0), state, version)?;
    Ok((from, state))
}

/// Folds the events after `at` up to `to` onto `state` (the state at `at`).
fn fold_from(
    reader: &StoreReader,
    subject: &Subject,
    at: u64,
    mut state: State,
    to: u64,
) -> Result<State, ReplayError> {
    if to <= at {
        return Ok(state);
    }
    let mut folder = subject.folder(at + 1);
    reader.visit_stream_event_bytes::<StoreError>(
        &subject.info.stream_id,
        at + 1,
        to,
        |version, bytes| {
            folder
                .feed(&mut state, version, bytes)
                .map(|_: Effect<'_>| ())
        },
    )?;
    folder.finish(to)?;
    Ok(state)
}

/// The nearest checkpoint at or below `version` computed under the current definition.
fn usable_checkpoint(
    reader: &StoreReader,
    subject: &Subject,
    version: u64,
) -> Result<Option<(u64, State)>, ReplayError> {
    let Some((at, json)) = reader.checkpoint_at_or_below(&subject.info.stream_id, version)? else {
        return Ok(None);
    };
    Ok(checkpoint::usable(subject, json).map(|state| (at, state)))
}
