//! Validation replay (fold a stream under the definition stored now and
//! compare with what the store says) and the failure point of a failed process.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::store::{StoreError, StoreReader, StreamStatus};

use super::fold::{Effect, State, Subject};
use super::{ReplayError, subject};

/// An event the current definition refuses.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedEvent {
    pub version: u64,
    pub event_id: Uuid,
    pub event_type: String,
    /// The process state the event found.
    pub state: String,
    /// Reason label, as dead letters carry it (e.g. `transition_not_allowed`).
    pub reason: String,
    /// Human-readable explanation.
    pub detail: String,
}

impl RejectedEvent {
    /// The rejected event as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "version": self.version,
            "event_id": self.event_id.to_string(),
            "event_type": self.event_type,
            "state": self.state,
            "reason": self.reason,
            "detail": self.detail,
        })
    }
}

/// The result of replaying a stream under the definition stored now.
#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    pub stream_id: String,
    pub process_type: String,
    /// Events replayed (the stream's last version).
    pub events: u64,
    /// Whether the store has a definition of the stream's process type.
    pub has_definition: bool,
    /// The first event the definition refuses.
    pub first_rejection: Option<RejectedEvent>,
    /// How many events the definition refuses in all.
    pub rejections: u64,
    /// The process state the replay ends in (`None` without a definition).
    pub replayed_state: Option<String>,
    /// The status that state means (`None` without a definition).
    pub replayed_status: Option<StreamStatus>,
    pub stored_state: Option<String>,
    pub stored_status: StreamStatus,
    /// How the replay and the stored stream record disagree, one sentence each.
    pub disagreements: Vec<String>,
}

impl Validation {
    /// True when no event is refused and the replay agrees with the stored record.
    pub fn agrees(&self) -> bool {
        self.first_rejection.is_none() && self.disagreements.is_empty()
    }

    /// One line saying the outcome.
    pub fn summary(&self) -> String {
        if let Some(rejected) = &self.first_rejection {
            return format!(
                "version {} ({}) is refused by the current definition: {} ({})",
                rejected.version, rejected.event_type, rejected.detail, rejected.reason
            );
        }
        if !self.disagreements.is_empty() {
            return self.disagreements.join("; ");
        }
        if self.has_definition {
            format!(
                "the replay of {} events agrees with the stored state {:?} and status {}",
                self.events,
                self.stored_state.as_deref().unwrap_or(""),
                self.stored_status.as_str()
            )
        } else {
            format!(
                "no definition of {:?}: the {} events replay as data only",
                self.process_type, self.events
            )
        }
    }

    /// The validation as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "stream_id": self.stream_id,
            "process_type": self.process_type,
            "events": self.events,
            "has_definition": self.has_definition,
            "agrees": self.agrees(),
            "first_rejection": self.first_rejection.as_ref().map(RejectedEvent::to_json),
            "rejections": self.rejections,
            "replayed_state": self.replayed_state,
            "replayed_status": self.replayed_status.map(StreamStatus::as_str),
            "stored_state": self.stored_state,
            "stored_status": self.stored_status.as_str(),
            "disagreements": self.disagreements,
            "summary": self.summary(),
        })
    }
}

/// Why a process stands failed.
#[derive(Debug, Clone, PartialEq)]
pub enum FailureCause {
    /// The event at the failure point moved the process into this failed state.
    FailedState(String),
    /// The current definition refuses the event at the failure point.
    Rejected(RejectedEvent),
    /// No event explains it (e.g. a message the process sent could not be
    /// delivered): the process failed after its last event.
    AfterLastEvent,
}

/// Where and why a failed process failed.
#[derive(Debug, Clone, PartialEq)]
pub struct FailurePoint {
    pub stream_id: String,
    /// The version to open the replay at.
    pub version: u64,
    /// The event type at that version (`None` for a stream without events).
    pub event_type: Option<String>,
    pub cause: FailureCause,
    /// The stream record's last error.
    pub reason: Option<String>,
    /// The definition state a retry puts the process back into: the state
    /// before the failing step (`None` without a definition).
    pub retry_state: Option<String>,
    /// The version of the event whose transition entered `retry_state`: a
    /// retry sends that step's messages and sets its deadline again.
    pub retry_step: Option<u64>,
}

impl FailurePoint {
    /// The failure point as JSON.
    pub fn to_json(&self) -> Value {
        let cause = match &self.cause {
            FailureCause::FailedState(state) => json!({"kind": "failed_state", "state": state}),
            FailureCause::Rejected(rejected) => {
                json!({"kind": "rejected", "event": rejected.to_json()})
            }
            FailureCause::AfterLastEvent => json!({"kind": "after_last_event"}),
        };
        json!({
            "stream_id": self.stream_id,
            "version": self.version,
            "event_type": self.event_type,
            "cause": cause,
            "reason": self.reason,
            "retry_state": self.retry_state,
            "retry_step": self.retry_step,
        })
    }
}

/// Folds the whole stream, reporting what `watch` asks for at each effect.
fn fold_all(
    reader: &StoreReader,
    subject: &Subject,
    mut watch: impl FnMut(u64, &Effect<'_>),
) -> Result<State, ReplayError> {
    let last = subject.info.version;
    let mut state = State::initial(subject.definition.as_ref());
    let mut folder = subject.folder(1);
    reader.visit_stream_event_bytes::<StoreError>(
        &subject.info.stream_id,
        1,
        last,
        |version, bytes| {
            let effect = folder.feed(&mut state, version, bytes)?;
            watch(version, &effect);
            Ok(())
        },
    )?;
    folder.finish(last)?;
    Ok(state)
}

/// The rejected event at `version`, read in full for its id and type.
fn rejected_event(
    reader: &StoreReader,
    stream_id: &str,
    version: u64,
    state: String,
    reason: &str,
    detail: String,
) -> Result<RejectedEvent, ReplayError> {
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
    Ok(RejectedEvent {
        version,
        event_id: event.event_id,
        event_type: event.event_type,
        state,
        reason: reason.to_string(),
        detail,
    })
}

/// Replays `stream_id` under the definition stored now: the first event it
/// refuses, or whether the replay agrees with the stored state and status.
pub fn validate(reader: &StoreReader, stream_id: &str) -> Result<Validation, ReplayError> {
    let subject = subject(reader, stream_id)?;
    let mut first: Option<(u64, String, &'static str, String)> = None;
    let mut rejections = 0u64;
    let state = fold_all(reader, &subject, |version, effect| {
        if let Effect::Rejected { state, rejection } = effect {
            rejections += 1;
            if first.is_none() {
                first = Some((
                    version,
                    state.clone(),
                    rejection.label(),
                    rejection.to_string(),
                ));
            }
        }
    })?;
    let first_rejection = match first {
        Some((version, state, reason, detail)) => Some(rejected_event(
            reader, stream_id, version, state, reason, detail,
        )?),
        None => None,
    };
    let info = &subject.info;
    let replayed_status = subject
        .definition
        .as_ref()
        .zip(state.process_state.as_deref())
        .map(|(definition, state)| definition.status_of(state));
    let mut disagreements = Vec::new();
    match &subject.definition {
        Some(_) => {
            if state.process_state != info.process_state {
                disagreements.push(format!(
                    "the stored process state is {}, the replay under the current definition ends in {}",
                    describe(info.process_state.as_deref()),
                    describe(state.process_state.as_deref())
                ));
            }
            if let Some(status) = replayed_status
                && status != info.status
            {
                disagreements.push(format!(
                    "the stored status is {}, the replayed state means {}",
                    info.status.as_str(),
                    status.as_str()
                ));
            }
        }
        None => {
            if let Some(stored) = &info.process_state {
                disagreements.push(format!(
                    "the stored process state is {stored:?}, but the store has no definition of {:?} to replay it",
                    info.process_type
                ));
            }
        }
    }
    Ok(Validation {
        stream_id: info.stream_id.clone(),
        process_type: info.process_type.clone(),
        events: info.version,
        has_definition: subject.definition.is_some(),
        first_rejection,
        rejections,
        replayed_state: state.process_state,
        replayed_status,
        stored_state: info.process_state.clone(),
        stored_status: info.status,
        disagreements,
    })
}

fn describe(state: Option<&str>) -> String {
    state.map_or_else(|| "none".to_string(), |state| format!("{state:?}"))
}

/// Why a process stands failed, as the fold found it.
enum Found {
    Failed(u64, String),
    Rejected(u64, String, &'static str, String),
}

/// The definition's state as the fold moves it, and the step that entered it.
struct Tracked {
    state: Option<String>,
    /// The version whose transition entered `state`.
    entered_by: Option<u64>,
}

/// Where a failed process failed: the event that last moved it into a failed
/// state, or else the first event the current definition refuses, both
/// counted since the last retry (an operator action that set the state);
/// otherwise its last event. `None` when the stream is not failed.
///
/// The same fold finds where a retry starts again ([`FailurePoint::retry_state`]):
/// the state before the failing step (the state the refused event found, or
/// the state after the last event), and the step that entered that state.
pub fn failure_point(
    reader: &StoreReader,
    stream_id: &str,
) -> Result<Option<FailurePoint>, ReplayError> {
    let subject = subject(reader, stream_id)?;
    if subject.info.status != StreamStatus::Failed {
        return Ok(None);
    }
    let definition = subject.definition.as_ref();
    let mut tracked = Tracked {
        state: definition.map(|definition| definition.initial.clone()),
        entered_by: None,
    };
    let mut failed: Option<(u64, String)> = None;
    let mut rejected: Option<(u64, String, &'static str, String)> = None;
    // The state and entering step as they were at the failure found so far.
    let mut at_failure: Option<(Option<String>, Option<u64>)> = None;
    fold_all(reader, &subject, |version, effect| match effect {
        Effect::Operator {
            set_state: Some(state),
        } => {
            failed = None;
            rejected = None;
            at_failure = None;
            tracked.state = Some(state.clone());
        }
        Effect::Fired(transition) => {
            if definition.is_some_and(|definition| definition.is_failed(&transition.to)) {
                failed = Some((version, transition.to.clone()));
                at_failure = Some((tracked.state.clone(), tracked.entered_by));
            }
            tracked.state = Some(transition.to.clone());
            tracked.entered_by = Some(version);
        }
        Effect::Rejected { state, rejection } if rejected.is_none() => {
            rejected = Some((
                version,
                state.clone(),
                rejection.label(),
                rejection.to_string(),
            ));
            if failed.is_none() {
                at_failure = Some((tracked.state.clone(), tracked.entered_by));
            }
        }
        _ => {}
    })?;
    let found = match (failed, rejected) {
        (Some((version, state)), _) => Some(Found::Failed(version, state)),
        (None, Some((version, state, reason, detail))) => {
            Some(Found::Rejected(version, state, reason, detail))
        }
        (None, None) => None,
    };
    let (retry_state, retry_step) =
        at_failure.unwrap_or((tracked.state.clone(), tracked.entered_by));
    let info = &subject.info;
    let (version, cause) = match found {
        Some(Found::Failed(version, state)) => (version, FailureCause::FailedState(state)),
        Some(Found::Rejected(version, state, reason, detail)) => {
            let rejected = rejected_event(reader, stream_id, version, state, reason, detail)?;
            (version, FailureCause::Rejected(rejected))
        }
        None => (info.version, FailureCause::AfterLastEvent),
    };
    let event_type = match &cause {
        FailureCause::Rejected(rejected) => Some(rejected.event_type.clone()),
        _ if version == 0 => None,
        _ => reader
            .stream_events(stream_id, version, 1)?
            .into_iter()
            .next()
            .map(|event| event.event_type),
    };
    Ok(Some(FailurePoint {
        stream_id: info.stream_id.clone(),
        version,
        event_type,
        cause,
        reason: info.last_error.clone(),
        retry_state,
        retry_step,
    }))
}
