//! The replay view's background work: every fold runs off the UI thread.
//!
//! A state request runs as one job; while it runs, newer requests replace one
//! another and only the latest is started when the job ends ("latest request
//! wins"), so scrubbing never piles up folds and the view keeps showing the
//! last state until the new one arrives.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::state::jobs::{Job, Worker};
use crate::widgets::json_tree::JsonTree;
use process_workbench_core::replay::{self, FailurePoint, Replay, Validation};
use process_workbench_core::store::Store;

/// Levels of the state tree open at first.
const STATE_OPEN_LEVELS: usize = 2;
/// Levels of the event payload tree open at first.
const PAYLOAD_OPEN_LEVELS: usize = 2;

/// A state the view asks for: a stream at a version, as the store was at a generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldRequest {
    pub stream_id: String,
    pub version: u64,
    pub generation: u64,
}

/// A replay prepared for drawing (trees built, diff formatted) off the UI thread.
pub struct Prepared {
    pub request: FoldRequest,
    pub replay: Replay,
    /// `{"process_state", "data"}` at the version: the document of `tree`.
    pub state: Value,
    pub tree: JsonTree,
    /// JSON pointers the event at the version changed.
    pub changed: Vec<String>,
    /// The diff from the version before, one line per RFC 6902 operation.
    pub diff_lines: Vec<String>,
    /// The payload of the event at the version.
    pub payload_tree: JsonTree,
    /// Time the fold and the preparation took.
    pub took: Duration,
}

/// Folds a stream to the versions asked for, one job at a time, latest request wins.
#[derive(Default)]
pub struct Folds {
    running: Option<(FoldRequest, Job<Result<Prepared, String>>)>,
    pending: Option<FoldRequest>,
}

impl Folds {
    /// Asks for the state of `request`; replaces any request not started yet.
    pub fn request(
        &mut self,
        store: &Arc<Store>,
        request: FoldRequest,
        repaint: Option<egui::Context>,
    ) {
        if self.running.is_some() {
            self.pending = Some(request);
        } else {
            self.start(store, request, repaint);
        }
    }

    /// The result of a finished job, if any; starts the latest pending request then.
    pub fn poll(
        &mut self,
        store: &Arc<Store>,
        repaint: Option<egui::Context>,
    ) -> Option<Result<Prepared, String>> {
        let (request, job) = self.running.as_mut()?;
        let mut result = job.poll().pop();
        if result.is_none() && job.is_finished() {
            result = Some(Err(format!(
                "the replay of {} at version {} stopped unexpectedly",
                request.stream_id, request.version
            )));
        }
        if result.is_some() {
            self.running = None;
            if let Some(next) = self.pending.take() {
                self.start(store, next, repaint);
            }
        }
        result
    }

    /// Whether a fold is running or waiting.
    pub fn is_busy(&self) -> bool {
        self.running.is_some() || self.pending.is_some()
    }

    /// The request being folded now.
    pub fn running(&self) -> Option<&FoldRequest> {
        self.running.as_ref().map(|(request, _)| request)
    }

    fn start(&mut self, store: &Arc<Store>, request: FoldRequest, repaint: Option<egui::Context>) {
        let store = Arc::clone(store);
        let job_request = request.clone();
        let job = Job::spawn(
            format!(
                "Replaying {} to version {}",
                request.stream_id, request.version
            ),
            repaint,
            move |worker: &Worker<Result<Prepared, String>>| {
                worker.send(prepare(&store, job_request));
            },
        );
        self.running = Some((request, job));
    }
}

/// Folds and prepares one state (in the worker).
pub fn prepare(store: &Store, request: FoldRequest) -> Result<Prepared, String> {
    let started = Instant::now();
    let reader = store.read().map_err(|error| error.to_string())?;
    let replay = replay::state_at(&reader, &request.stream_id, request.version)
        .map_err(|error| error.to_string())?;
    let state = replay.state.to_json();
    let changed = replay.changed_paths();
    let mut tree = JsonTree::new(&state, STATE_OPEN_LEVELS);
    tree.highlight(&changed);
    let diff_lines = replay.diff.iter().map(op_line).collect();
    let null = Value::Null;
    let payload = replay.event.as_ref().map_or(&null, |event| &event.payload);
    let payload_tree = JsonTree::new(payload, PAYLOAD_OPEN_LEVELS);
    Ok(Prepared {
        request,
        replay,
        state,
        tree,
        changed,
        diff_lines,
        payload_tree,
        took: started.elapsed(),
    })
}

/// One RFC 6902 operation as a line: `replace /data/amount = 12.5`.
pub fn op_line(op: &Value) -> String {
    let name = op.get("op").and_then(Value::as_str).unwrap_or("?");
    let path = op.get("path").and_then(Value::as_str).unwrap_or("");
    let path = if path.is_empty() { "(root)" } else { path };
    match (op.get("value"), op.get("from")) {
        (Some(value), _) => format!("{name} {path} = {}", short_json(value)),
        (None, Some(from)) => format!("{name} {path} from {}", from.as_str().unwrap_or("?")),
        (None, None) => format!("{name} {path}"),
    }
}

/// Characters of a value shown in a diff line.
const VALUE_CHARS: usize = 200;

fn short_json(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= VALUE_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(VALUE_CHARS).collect();
    cut.push('…');
    cut
}

/// What the view shows about a whole stream: where it failed, what the
/// validation replay says, whether checkpoints are missing. Each needs a fold
/// of the whole stream, so it is read in a job.
pub struct Overview {
    pub generation: u64,
    pub failure: Result<Option<FailurePoint>, String>,
    pub validation: Result<Validation, String>,
    pub needs_checkpoints: bool,
}

/// Starts reading the overview of a stream.
pub fn start_overview(
    store: &Arc<Store>,
    stream_id: &str,
    generation: u64,
    repaint: Option<egui::Context>,
) -> Job<Result<Overview, String>> {
    let store = Arc::clone(store);
    let stream_id = stream_id.to_string();
    Job::spawn(
        format!("Validating {stream_id}"),
        repaint,
        move |worker: &Worker<Result<Overview, String>>| {
            worker.send(overview(&store, stream_id, generation));
        },
    )
}

fn overview(store: &Store, stream_id: String, generation: u64) -> Result<Overview, String> {
    let reader = store.read().map_err(|error| error.to_string())?;
    if reader
        .stream(&stream_id)
        .map_err(|error| error.to_string())?
        .is_none()
    {
        return Err(format!("There is no stream {stream_id} in this store."));
    }
    let failure = replay::failure_point(&reader, &stream_id).map_err(|error| error.to_string());
    let validation = replay::validate(&reader, &stream_id).map_err(|error| error.to_string());
    // A store that can't say is treated as having its checkpoints: the offer is an optimisation.
    let needs_checkpoints = replay::stream_needs_checkpoints(&reader, &stream_id).unwrap_or(false);
    Ok(Overview {
        generation,
        failure,
        validation,
        needs_checkpoints,
    })
}

/// The diff between two versions, as lines.
pub struct Comparison {
    pub stream_id: String,
    pub a: u64,
    pub b: u64,
    pub lines: Result<Vec<String>, String>,
}

/// Starts comparing versions `a` and `b` of a stream.
pub fn start_compare(
    store: &Arc<Store>,
    stream_id: &str,
    (a, b): (u64, u64),
    repaint: Option<egui::Context>,
) -> Job<Comparison> {
    let store = Arc::clone(store);
    let stream_id = stream_id.to_string();
    Job::spawn(
        format!("Comparing versions {a} and {b}"),
        repaint,
        move |worker: &Worker<Comparison>| {
            let lines = store
                .read()
                .map_err(|error| error.to_string())
                .and_then(|reader| {
                    replay::diff_versions(&reader, &stream_id, a, b)
                        .map_err(|error| error.to_string())
                })
                .map(|ops| ops.iter().map(op_line).collect());
            worker.send(Comparison {
                stream_id,
                a,
                b,
                lines,
            });
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations_read_as_lines() {
        assert_eq!(
            op_line(&json!({"op": "replace", "path": "/data/amount", "value": 12.5})),
            "replace /data/amount = 12.5"
        );
        assert_eq!(
            op_line(&json!({"op": "remove", "path": "/data/x"})),
            "remove /data/x"
        );
        assert_eq!(
            op_line(&json!({"op": "move", "path": "/a", "from": "/b"})),
            "move /a from /b"
        );
        let long = op_line(&json!({"op": "add", "path": "/s", "value": "x".repeat(500)}));
        assert!(long.ends_with('…') && long.chars().count() < 230);
    }
}
