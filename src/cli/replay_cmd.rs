//! `replay FILE --stream ID [--to N] [--json]` and
//! `replay FILE --stream ID --validate [--json]`.

use std::path::Path;

use serde_json::{Value, json};

use process_workbench_core::replay::{
    self, FailureCause, FailurePoint, Replay, ReplayError, Step, Validation,
};
use process_workbench_core::store::{Store, StoreError};

use super::CliError;

/// Prints the state of a stream at a version (default: its last) and the diff
/// from the one before.
pub fn replay(path: &Path, stream: &str, to: Option<u64>, json: bool) -> Result<(), CliError> {
    let store = Store::open(path)?;
    let reader = store.read()?;
    let failed = |error: ReplayError| CliError::input(format!("{}: {error}", path.display()));
    let version = match to {
        Some(version) => version,
        None => reader
            .stream(stream)?
            .map(|info| info.version)
            .ok_or_else(|| failed(ReplayError::UnknownStream(stream.to_string())))?,
    };
    let replay = replay::state_at(&reader, stream, version).map_err(failed)?;
    if json {
        println!("{}", pretty(&replay.to_json())?);
    } else {
        print!("{}", text(&replay)?);
    }
    Ok(())
}

/// The validation replay of a stream: replays it under the definition stored
/// now and prints whether that agrees with the stored state and status, the
/// first event the definition refuses, and for a failed process its failure
/// point (the version, the cause, and where a retry starts). Exit 1 (after
/// the output) when the replay does not agree.
pub fn validate(path: &Path, stream: &str, json: bool) -> Result<(), CliError> {
    let store = Store::open(path)?;
    let reader = store.read()?;
    let failed = |error: ReplayError| CliError::input(format!("{}: {error}", path.display()));
    let validation = replay::validate(&reader, stream).map_err(failed)?;
    let failure = replay::failure_point(&reader, stream).map_err(failed)?;
    if json {
        let value = json!({
            "validation": validation.to_json(),
            "failure_point": failure.as_ref().map(FailurePoint::to_json),
        });
        println!("{}", pretty(&value)?);
    } else {
        print!("{}", validation_text(&validation, failure.as_ref()));
    }
    if validation.agrees() {
        Ok(())
    } else {
        Err(CliError::problems(format!(
            "stream {stream}: {}",
            validation.summary()
        )))
    }
}

/// The validation as readable text.
fn validation_text(validation: &Validation, failure: Option<&FailurePoint>) -> String {
    let mut out = format!(
        "stream {} ({}): {} events replayed under the {}\n",
        validation.stream_id,
        validation.process_type,
        validation.events,
        if validation.has_definition {
            "definition stored now"
        } else {
            "payloads only (no definition stored)"
        }
    );
    out += &format!(
        "agrees: {}: {}\n",
        if validation.agrees() { "yes" } else { "no" },
        validation.summary()
    );
    out += &format!(
        "stored: state {}, status {}\n",
        validation.stored_state.as_deref().unwrap_or("(none)"),
        validation.stored_status.as_str()
    );
    if validation.has_definition {
        out += &format!(
            "replayed: state {}, status {}\n",
            validation.replayed_state.as_deref().unwrap_or("(none)"),
            validation
                .replayed_status
                .map_or("(none)", |status| status.as_str())
        );
    }
    match &validation.first_rejection {
        Some(rejected) => {
            out += &format!(
                "first refused event: version {} {} ({}) in state {:?}: {} ({}); {} refused in all\n",
                rejected.version,
                rejected.event_type,
                rejected.event_id,
                rejected.state,
                rejected.detail,
                rejected.reason,
                validation.rejections
            );
        }
        None => out += "first refused event: none\n",
    }
    for disagreement in &validation.disagreements {
        out += &format!("disagreement: {disagreement}\n");
    }
    match failure {
        None => out += "failure point: none (the process is not failed)\n",
        Some(point) => {
            let cause = match &point.cause {
                FailureCause::FailedState(state) => format!("moved into failed state {state:?}"),
                FailureCause::Rejected(rejected) => format!(
                    "refused by the definition in state {:?}: {} ({})",
                    rejected.state, rejected.detail, rejected.reason
                ),
                FailureCause::AfterLastEvent => "failed after its last event".to_string(),
            };
            out += &format!(
                "failure point: version {} {}: {cause}\n",
                point.version,
                point.event_type.as_deref().unwrap_or("(no event)")
            );
            if let Some(reason) = &point.reason {
                out += &format!("last error: {reason}\n");
            }
            match (&point.retry_state, point.retry_step) {
                (Some(state), Some(step)) => {
                    out += &format!(
                        "retry: back into state {state:?}, repeating the step of version {step}\n"
                    );
                }
                (Some(state), None) => out += &format!("retry: back into state {state:?}\n"),
                (None, _) => out += "retry: not possible without a definition\n",
            }
        }
    }
    out
}

fn pretty(value: &Value) -> Result<String, CliError> {
    serde_json::to_string_pretty(value).map_err(|error| CliError::from(StoreError::from(error)))
}

/// The replay as readable text: where, what happened, the state, the diff.
fn text(replay: &Replay) -> Result<String, CliError> {
    let mut out = format!(
        "stream {} ({}) at version {} of {}\n",
        replay.stream_id, replay.process_type, replay.version, replay.last_version
    );
    if let Some(event) = &replay.event {
        out += &format!(
            "event {}: {} (id {}, position {}, occurred {})\n",
            replay.version,
            event.event_type,
            event.event_id,
            event.position,
            process_workbench_core::store::format_time(event.occurred_at)
        );
    }
    match &replay.step {
        Some(Step::Fired(transition)) => {
            out += &format!(
                "transition: {} --{}--> {}\n",
                transition.from, transition.on, transition.to
            );
        }
        Some(Step::Rejected { state, rejection }) => {
            out += &format!(
                "rejected by the current definition in state {state:?}: {rejection} ({})\n",
                rejection.label()
            );
        }
        Some(Step::Operator { set_state: None }) => {
            out += "operator action: the state did not move\n";
        }
        Some(Step::Operator {
            set_state: Some(state),
        }) => out += &format!("operator action: the process was put into state {state:?}\n"),
        Some(Step::NoDefinition) => out += "no definition: payload merged only\n",
        None => out += "version 0: the empty state\n",
    }
    out += &format!(
        "process state: {}\n",
        replay.state.process_state.as_deref().unwrap_or("(none)")
    );
    out += &format!("data:\n{}\n", pretty(&replay.state.data)?);
    if replay.version > 0 {
        out += &format!("diff from version {}:\n", replay.version - 1);
        if replay.diff.is_empty() {
            out += "  (no change)\n";
        }
        for op in &replay.diff {
            let name = op.get("op").and_then(Value::as_str).unwrap_or("?");
            let path = op.get("path").and_then(Value::as_str).unwrap_or("");
            match op.get("value") {
                Some(value) => out += &format!("  {name} {path} = {value}\n"),
                None => out += &format!("  {name} {path}\n"),
            }
        }
    }
    Ok(out)
}
