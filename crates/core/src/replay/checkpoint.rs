//! Checkpoints: the state of a stream every [`CHECKPOINT_INTERVAL`] events,
//! kept by the engine as it appends and built by a background job for stores
//! that have none (imported, older, or written under another definition).
//!
//! A checkpoint's JSON is the state (`process_state`, `data`) plus
//! `definition`: the fingerprint of the definition it was computed under
//! (null without one), so that a checkpoint made stale by a definition update
//! is recognised and not used.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::store::{Store, StoreError, StoreReader, StoreWriter, StreamInfo};

use super::ReplayError;
use super::fold::{Folder, State, Subject};

/// Events between two checkpoints of a stream. Chosen by measurement
/// (`cargo run --release --example bench_replay`, figures in README.md): the
/// p95 of a state at a random version in a 100,000-event stream stays far under
/// the 50 ms budget up to an interval of 1024, while checkpoints cost storage
/// and a fold in the append that crosses a multiple. 256 keeps the worst replay
/// to a fold of 255 events (about a millisecond) for a checkpoint every 256.
pub const CHECKPOINT_INTERVAL: u64 = 256;

/// Checkpoints written in one transaction of [`build_checkpoints`] before it commits.
const BATCH_CHECKPOINTS: usize = 2048;
/// Events folded between two progress reports (and cancel checks).
const PROGRESS_EVERY: u64 = 4096;

/// What [`build_checkpoints`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildReport {
    /// Streams long enough to have checkpoints.
    pub streams: u64,
    /// Streams whose checkpoints were (re)written.
    pub streams_rebuilt: u64,
    pub checkpoints_written: u64,
    /// Streams left alone because their definition is unreadable, with why.
    pub skipped: Vec<(String, String)>,
    /// The job was cancelled; the streams committed before stay done.
    pub cancelled: bool,
}

/// The checkpoint record: the state plus the definition fingerprint.
#[derive(Deserialize)]
struct Record {
    process_state: Option<String>,
    data: Value,
    #[serde(default)]
    definition: Option<String>,
}

/// Only the fingerprint of a checkpoint, to check freshness without building its data.
#[derive(Deserialize)]
struct Fingerprint {
    #[serde(default)]
    definition: Option<String>,
}

/// The state of a checkpoint if it was computed under the subject's current definition.
pub(super) fn usable(subject: &Subject, json: Value) -> Option<State> {
    let record: Record = serde_json::from_value(json).ok()?;
    (record.definition == subject.fingerprint).then_some(State {
        process_state: record.process_state,
        data: record.data,
    })
}

fn record_json(subject: &Subject, state: &State) -> Value {
    let mut object = Map::new();
    object.insert(
        "process_state".to_string(),
        state
            .process_state
            .clone()
            .map_or(Value::Null, Value::String),
    );
    object.insert("data".to_string(), state.data.clone());
    object.insert(
        "definition".to_string(),
        subject
            .fingerprint
            .clone()
            .map_or(Value::Null, Value::String),
    );
    Value::Object(object)
}

/// Folds events and keeps the checkpoint records at multiples of the interval.
struct Collector<'s> {
    subject: &'s Subject,
    folder: Folder<'s>,
    state: State,
    interval: u64,
    records: Vec<(u64, Value)>,
}

impl<'s> Collector<'s> {
    fn new(subject: &'s Subject, at: u64, state: State, interval: u64) -> Self {
        Collector {
            subject,
            folder: subject.folder(at + 1),
            state,
            interval,
            records: Vec::new(),
        }
    }

    fn feed(&mut self, version: u64, bytes: &[u8]) -> Result<(), StoreError> {
        self.folder.feed(&mut self.state, version, bytes)?;
        if version.is_multiple_of(self.interval) {
            self.records
                .push((version, record_json(self.subject, &self.state)));
        }
        Ok(())
    }
}

/// Writes the checkpoints a stream is due, inside the engine's append
/// transaction: when the stream's version passed a multiple of
/// [`CHECKPOINT_INTERVAL`] since its last usable checkpoint, the state at each
/// such multiple is folded from that checkpoint and written.
///
/// A checkpoint is an optimisation: a stream whose definition or events can't
/// be read gets none (replay reports the problem), and its append goes on.
pub fn maintain_checkpoints(writer: &mut StoreWriter, stream_id: &str) -> Result<(), StoreError> {
    maintain_checkpoints_with_interval(writer, stream_id, CHECKPOINT_INTERVAL)
}

/// [`maintain_checkpoints`] with another interval (the benchmark compares intervals).
pub fn maintain_checkpoints_with_interval(
    writer: &mut StoreWriter,
    stream_id: &str,
    interval: u64,
) -> Result<(), StoreError> {
    let interval = interval.max(1);
    let Some(info) = writer.stream(stream_id)? else {
        return Ok(());
    };
    let target = info.version / interval * interval;
    if target == 0 {
        return Ok(());
    }
    let definition = writer.definition(&info.process_type)?;
    let Ok(subject) = Subject::new(info, definition) else {
        return Ok(());
    };
    let start = match writer.checkpoint_at_or_below(stream_id, target)? {
        Some((at, json)) => usable(&subject, json).map(|state| (at, state)),
        None => None,
    };
    let (at, state) = start.unwrap_or_else(|| (0, State::initial(subject.definition.as_ref())));
    if at >= target {
        return Ok(());
    }
    let mut collector = Collector::new(&subject, at, state, interval);
    let folded = writer
        .visit_stream_event_bytes(stream_id, at + 1, target, |version, bytes| {
            collector.feed(version, bytes)
        })
        .and_then(|()| collector.folder.finish(target));
    match folded {
        Ok(()) => {}
        Err(StoreError::Corrupt(_)) => return Ok(()),
        Err(other) => return Err(other),
    }
    for (version, record) in &collector.records {
        writer.put_checkpoint(stream_id, *version, record)?;
    }
    Ok(())
}

/// Builds the checkpoints of every stream that lacks them or whose
/// checkpoints were computed under another definition: a background job for
/// imported and older stores. `progress(events done, events in total)` is
/// called as it goes; returning false cancels. Streams are committed in
/// batches, each its own transaction, so a cancelled job leaves a consistent
/// store with the finished streams done.
pub fn build_checkpoints(
    store: &Store,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> Result<BuildReport, ReplayError> {
    build_checkpoints_with_interval(store, CHECKPOINT_INTERVAL, progress)
}

/// Why a fold inside the job stopped.
enum Halt {
    Store(StoreError),
    Cancelled,
}

impl From<StoreError> for Halt {
    fn from(error: StoreError) -> Self {
        Halt::Store(error)
    }
}

/// [`build_checkpoints`] with another interval (the benchmark compares intervals).
pub fn build_checkpoints_with_interval(
    store: &Store,
    interval: u64,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> Result<BuildReport, ReplayError> {
    if !store.is_writable() {
        return Err(StoreError::ReadOnly.into());
    }
    let interval = interval.max(1);
    let reader = store.read()?;
    let mut candidates: Vec<StreamInfo> = Vec::new();
    for id in reader.all_stream_ids()? {
        if let Some(info) = reader.stream(&id)?
            && info.version >= interval
        {
            candidates.push(info);
        }
    }
    let total: u64 = candidates.iter().map(|info| info.version).sum();
    let mut report = BuildReport {
        streams: candidates.len() as u64,
        ..BuildReport::default()
    };
    let mut batch: Vec<(String, Vec<(u64, Value)>)> = Vec::new();
    let mut done = 0u64;
    if !progress(done, total) {
        report.cancelled = true;
        return Ok(report);
    }
    for info in candidates {
        let length = info.version;
        let stream_id = info.stream_id.clone();
        let definition = reader.definition(&info.process_type)?;
        let subject = match Subject::new(info, definition) {
            Ok(subject) => subject,
            Err(error) => {
                report.skipped.push((stream_id, error.to_string()));
                done += length;
                continue;
            }
        };
        if up_to_date(&reader, &subject, interval)? {
            done += length;
            if !progress(done, total) {
                report.cancelled = true;
                break;
            }
            continue;
        }
        let target = length / interval * interval;
        let mut collector = Collector::new(
            &subject,
            0,
            State::initial(subject.definition.as_ref()),
            interval,
        );
        let folded = reader
            .visit_stream_event_bytes::<Halt>(&stream_id, 1, target, |version, bytes| {
                collector.feed(version, bytes)?;
                if version % PROGRESS_EVERY == 0 && !progress(done + version, total) {
                    return Err(Halt::Cancelled);
                }
                Ok(())
            })
            .and_then(|()| Ok(collector.folder.finish(target)?));
        match folded {
            Ok(()) => {}
            Err(Halt::Cancelled) => {
                report.cancelled = true;
                break;
            }
            Err(Halt::Store(StoreError::Corrupt(detail))) => {
                report.skipped.push((stream_id, detail));
                done += length;
                continue;
            }
            Err(Halt::Store(error)) => return Err(error.into()),
        }
        done += length;
        batch.push((stream_id, collector.records));
        if batch
            .iter()
            .map(|(_, records)| records.len())
            .sum::<usize>()
            >= BATCH_CHECKPOINTS
        {
            flush(store, &mut batch, &mut report)?;
        }
        if !progress(done, total) {
            report.cancelled = true;
            break;
        }
    }
    flush(store, &mut batch, &mut report)?;
    Ok(report)
}

/// Whether `stream_id` is long enough for checkpoints but lacks some of them,
/// or has ones computed under another definition (an imported or older store):
/// then [`build_checkpoints`] would make its replays faster.
pub fn stream_needs_checkpoints(
    reader: &StoreReader,
    stream_id: &str,
) -> Result<bool, ReplayError> {
    let subject = super::subject(reader, stream_id)?;
    if subject.info.version < CHECKPOINT_INTERVAL {
        return Ok(false);
    }
    Ok(!up_to_date(reader, &subject, CHECKPOINT_INTERVAL)?)
}

/// Whether a stream has exactly the checkpoints the interval asks for, all
/// computed under its current definition.
fn up_to_date(reader: &StoreReader, subject: &Subject, interval: u64) -> Result<bool, StoreError> {
    let mut expected = interval;
    let target = subject.info.version / interval * interval;
    let mut fresh = true;
    reader.visit_checkpoints::<StoreError>(&subject.info.stream_id, |version, bytes| {
        let fingerprint: Option<Fingerprint> = serde_json::from_slice(bytes).ok();
        let matches = fingerprint.is_some_and(|found| found.definition == subject.fingerprint);
        fresh &= matches && version == expected;
        expected += interval;
        Ok(())
    })?;
    Ok(fresh && expected == target + interval)
}

/// Writes the finished streams of a batch in one transaction, replacing their old checkpoints.
fn flush(
    store: &Store,
    batch: &mut Vec<(String, Vec<(u64, Value)>)>,
    report: &mut BuildReport,
) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let written = store.write(|writer| {
        let mut written = 0u64;
        for (stream_id, records) in batch.iter() {
            writer.clear_checkpoints(stream_id)?;
            for (version, record) in records {
                writer.put_checkpoint(stream_id, *version, record)?;
                written += 1;
            }
        }
        Ok::<u64, StoreError>(written)
    })?;
    report.streams_rebuilt += batch.len() as u64;
    report.checkpoints_written += written;
    batch.clear();
    Ok(())
}
