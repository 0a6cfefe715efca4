//! `replay FILE --stream ID [--to N] [--json]`.

use std::path::Path;

use serde_json::Value;

use process_workbench_core::replay::{self, Replay, ReplayError, Step};
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
