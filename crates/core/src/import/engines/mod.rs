//! Readers of the stores of the two engines this workbench grew from:
//! mako-engine (a SlateDB directory, feature `mako`) and batpak (a data
//! directory of `.fbat` segments, feature `batpak`).
//!
//! Both are read through the engines' own crates, never in place: the source
//! directory is first copied into a private temporary directory and the copy
//! is opened (opening a SlateDB database writes a new manifest, and even a
//! read-only batpak open takes a lock file), so the source keeps every byte
//! and every modification time.
//!
//! A reader thread turns the copy into engine-neutral [`Item`]s and hands them
//! over a bounded channel to the writing thread, which stores them in one write
//! transaction, as the file importers do. What has no field of its own in our
//! store is kept in stream metadata (per stream) or in a meta record of the
//! store (`import.<engine>`, per store): nothing is dropped.

#[cfg(feature = "batpak")]
mod batpak;
#[cfg(feature = "mako")]
mod mako;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::{Format, ImportError, ImportProgress, ImportReport, Location};
use crate::engine::Operator;
use crate::store::{
    DeadLetter, Deadline, NewEvent, OutboxMessage, Store, StoreReader, StoreWriter, StreamInfo,
    StreamStatus,
};

/// Items sent at once from the reader thread to the writer.
const BATCH: usize = 1024;
/// Batches in flight between the reader and the writer: bounds memory.
const BATCHES_IN_FLIGHT: usize = 8;
/// How often the progress callback is called at most.
const PROGRESS_EVERY: Duration = Duration::from_millis(50);

/// Whether `format` reads a directory written by an engine.
pub(super) fn is_engine(format: Format) -> bool {
    match format {
        #[cfg(feature = "mako")]
        Format::Mako => true,
        #[cfg(feature = "batpak")]
        Format::Batpak => true,
        _ => false,
    }
}

/// Recognises an engine's directory by its files: a SlateDB manifest
/// (`db/manifest/`, as mako-engine's `open_local` lays it out, or `manifest/`
/// at the top) for mako-engine, `.fbat` segments for batpak.
pub(super) fn detect(path: &Path) -> Option<Format> {
    if !path.is_dir() {
        return None;
    }
    #[cfg(feature = "mako")]
    if mako::database_path(path).is_some() {
        return Some(Format::Mako);
    }
    #[cfg(feature = "batpak")]
    if batpak::has_segments(path) {
        return Some(Format::Batpak);
    }
    None
}

/// One thing read from an engine's store, in the order the writer needs.
#[derive(Debug)]
// batpak has no queues: built with it alone, those variants are never made.
#[cfg_attr(not(feature = "mako"), allow(dead_code))]
pub(crate) enum Item {
    /// The next event of `stream_id` (events of one stream arrive in order).
    Event {
        stream_id: String,
        /// Process type of the stream when this event is its first.
        process_type: String,
        event: NewEvent,
        recorded_at: OffsetDateTime,
    },
    Outbox(OutboxMessage),
    Deadline(Deadline),
    DeadLetter(DeadLetter),
    /// `metadata[section][entry] = value` of a stream (`metadata[section] =
    /// value` without an entry). Kept for streams without events too.
    StreamMeta {
        stream_id: String,
        section: &'static str,
        entry: Option<String>,
        value: Value,
    },
    /// `summary[section][entry] = value` of the store's `import.<engine>` record.
    StoreMeta {
        section: &'static str,
        entry: Option<String>,
        value: Value,
    },
}

/// Hands items to the writer in batches; fails once the writer has stopped.
pub(crate) struct Sink {
    sender: SyncSender<Vec<Item>>,
    batch: Vec<Item>,
}

impl Sink {
    /// Queues one item.
    pub(crate) fn send(&mut self, item: Item) -> Result<(), ImportError> {
        self.batch.push(item);
        if self.batch.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ImportError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        // The writer hung up: it failed or was cancelled and reports why itself.
        self.sender.send(batch).map_err(|_| ImportError::Cancelled)
    }
}

/// The source as the reader thread sees it.
pub(crate) struct Source {
    /// The private copy to open.
    pub dir: PathBuf,
    /// The source directory's name, for messages.
    pub name: String,
}

impl Source {
    pub(crate) fn invalid(&self, message: impl Into<String>) -> ImportError {
        ImportError::invalid(&self.name, Location::Whole, message)
    }
}

/// Imports an engine's directory `dir` into the store at `store_path`; see
/// [`super::import_file`] (same guarantees: a new store appears only on
/// success, an existing one is left as it was on any failure).
pub(super) fn import_file(
    store_path: &Path,
    format: Format,
    dir: &Path,
    operator: &Operator,
    progress: &mut dyn FnMut(ImportProgress) -> bool,
) -> Result<ImportReport, ImportError> {
    let mut tracker = Tracker::new(progress);
    let copy = private_copy(format, dir, &mut tracker)?;
    if store_path.exists() {
        // Opening the target for writing rewrites its header: read the whole
        // source first, against a read-only snapshot, so a bad source or a
        // clash leaves the target's bytes as they were.
        match Store::open(store_path) {
            Ok(store) => {
                let reader = store.read()?;
                tracker.checking = true;
                consume(
                    format,
                    &copy,
                    &mut tracker,
                    &mut Checker {
                        reader: &reader,
                        seen: HashSet::new(),
                    },
                )?;
                tracker.checking = false;
            }
            Err(crate::store::OpenError::NeedsRepair(_)) => {}
            Err(other) => return Err(other.into()),
        }
        let store = Store::open_writable(store_path)?;
        return write(&store, format, &copy, operator, &mut tracker);
    }
    super::into_new_store(store_path, |store| {
        write(store, format, &copy, operator, &mut tracker)
    })
}

/// Imports an engine's directory into a store already open for writing.
pub(super) fn import_into(
    store: &Store,
    format: Format,
    dir: &Path,
    operator: &Operator,
    progress: &mut dyn FnMut(ImportProgress) -> bool,
) -> Result<ImportReport, ImportError> {
    let mut tracker = Tracker::new(progress);
    let copy = private_copy(format, dir, &mut tracker)?;
    write(store, format, &copy, operator, &mut tracker)
}

/// A copy of the source in a private temporary directory (removed on drop).
struct Copy {
    _temporary: tempfile::TempDir,
    source: Source,
}

/// Copies `dir` after checking it is a directory of `format`'s engine.
fn private_copy(
    format: Format,
    dir: &Path,
    tracker: &mut Tracker<'_>,
) -> Result<Copy, ImportError> {
    let name = dir.file_name().map_or_else(
        || dir.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ImportError::Io { path, source }
    };
    let metadata = fs::metadata(dir).map_err(io_error(dir))?;
    if !metadata.is_dir() {
        return Err(ImportError::invalid(
            &name,
            Location::Whole,
            format!("a {format} store is a directory; this is a file"),
        ));
    }
    if detect(dir) != Some(format) {
        return Err(ImportError::invalid(
            &name,
            Location::Whole,
            not_a_store(format),
        ));
    }
    tracker.bytes_total = tree_size(dir).map_err(io_error(dir))?;
    let temporary = tempfile::Builder::new()
        .prefix(".pw-engine-")
        .tempdir()
        .map_err(io_error(&std::env::temp_dir()))?;
    let target = temporary.path().join("source");
    copy_tree(dir, &target, skipped(format), tracker)?;
    Ok(Copy {
        _temporary: temporary,
        source: Source { dir: target, name },
    })
}

fn not_a_store(format: Format) -> String {
    match format {
        #[cfg(feature = "mako")]
        Format::Mako => "not a mako-engine store: no SlateDB manifest (db/manifest/) in it".into(),
        #[cfg(feature = "batpak")]
        Format::Batpak => "not a batpak data directory: no .fbat segment in it".into(),
        other => format!("not a {other} store"),
    }
}

/// Files of the source that are not copied.
fn skipped(format: Format) -> &'static [&'static str] {
    match format {
        // A running engine's lock, not part of the data (the copy takes its own).
        #[cfg(feature = "batpak")]
        Format::Batpak => &[batpak::LOCK_FILE],
        _ => &[],
    }
}

fn tree_size(dir: &Path) -> io::Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            total += tree_size(&entry.path())?;
        } else if kind.is_file() {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

/// Copies regular files and directories (links are followed; nothing else exists
/// in either engine's layout). Only reads the source.
fn copy_tree(
    from: &Path,
    to: &Path,
    skip: &[&str],
    tracker: &mut Tracker<'_>,
) -> Result<(), ImportError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ImportError::Io { path, source }
    };
    fs::create_dir_all(to).map_err(io_error(to))?;
    let mut entries: Vec<_> = fs::read_dir(from)
        .map_err(io_error(from))?
        .collect::<Result<_, _>>()
        .map_err(io_error(from))?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        if skip.iter().any(|name| entry.file_name() == *name) {
            continue;
        }
        let path = entry.path();
        let target = to.join(entry.file_name());
        let metadata = fs::metadata(&path).map_err(io_error(&path))?;
        if metadata.is_dir() {
            copy_tree(&path, &target, skip, tracker)?;
        } else if metadata.is_file() {
            let copied = fs::copy(&path, &target).map_err(io_error(&path))?;
            tracker.bytes_read += copied;
            tracker.tick()?;
        }
    }
    Ok(())
}

/// Progress and cancel.
pub(crate) struct Tracker<'p> {
    progress: &'p mut dyn FnMut(ImportProgress) -> bool,
    bytes_total: u64,
    bytes_read: u64,
    events: u64,
    checking: bool,
    last: Option<Instant>,
}

impl<'p> Tracker<'p> {
    fn new(progress: &'p mut dyn FnMut(ImportProgress) -> bool) -> Self {
        Tracker {
            progress,
            bytes_total: 0,
            bytes_read: 0,
            events: 0,
            checking: false,
            last: None,
        }
    }

    fn report(&mut self) -> Result<(), ImportError> {
        self.last = Some(Instant::now());
        let keep_going = (self.progress)(ImportProgress {
            bytes_read: self.bytes_read,
            bytes_total: self.bytes_total,
            events: self.events,
            checking: self.checking,
        });
        if keep_going {
            Ok(())
        } else {
            Err(ImportError::Cancelled)
        }
    }

    fn tick(&mut self) -> Result<(), ImportError> {
        match self.last {
            Some(last) if last.elapsed() < PROGRESS_EVERY => Ok(()),
            _ => self.report(),
        }
    }
}

/// What is done with the items: checked against a snapshot, or written.
trait Consumer {
    fn item(&mut self, item: Item, source: &Source) -> Result<(), ImportError>;
}

/// Runs the engine's reader on a thread and feeds `consumer` with its items.
fn consume(
    format: Format,
    copy: &Copy,
    tracker: &mut Tracker<'_>,
    consumer: &mut dyn Consumer,
) -> Result<(), ImportError> {
    let (sender, receiver): (SyncSender<Vec<Item>>, Receiver<Vec<Item>>) =
        mpsc::sync_channel(BATCHES_IN_FLIGHT);
    let dir = copy.source.dir.clone();
    let name = copy.source.name.clone();
    let reader = std::thread::Builder::new()
        .name(format!("{format} reader"))
        .spawn(move || {
            let source = Source { dir, name };
            let mut sink = Sink {
                sender,
                batch: Vec::with_capacity(BATCH),
            };
            read(format, &source, &mut sink)?;
            sink.flush()
        })
        .map_err(|source| ImportError::Io {
            path: copy.source.dir.clone(),
            source,
        })?;
    tracker.events = 0;
    let mut outcome = Ok(());
    for batch in &receiver {
        for item in batch {
            if matches!(item, Item::Event { .. }) {
                tracker.events += 1;
            }
            if let Err(error) = consumer.item(item, &copy.source) {
                outcome = Err(error);
                break;
            }
        }
        if outcome.is_ok() {
            outcome = tracker.tick();
        }
        if outcome.is_err() {
            break;
        }
    }
    // Hanging up stops the reader at its next send.
    drop(receiver);
    let read_outcome = reader
        .join()
        .unwrap_or(Err(ImportError::ReaderFailed(format)));
    outcome?;
    read_outcome?;
    tracker.report()
}

fn read(format: Format, source: &Source, sink: &mut Sink) -> Result<(), ImportError> {
    match format {
        #[cfg(feature = "mako")]
        Format::Mako => mako::read(source, sink),
        #[cfg(feature = "batpak")]
        Format::Batpak => batpak::read(source, sink),
        other => Err(source.invalid(format!("{other} is not an engine's store"))),
    }
}

/// Checks what the writer would refuse: streams or events already in the store.
struct Checker<'r> {
    reader: &'r StoreReader,
    /// Streams found to be new already.
    seen: HashSet<String>,
}

impl Consumer for Checker<'_> {
    fn item(&mut self, item: Item, source: &Source) -> Result<(), ImportError> {
        if let Item::Event {
            stream_id, event, ..
        } = item
        {
            if !self.seen.contains(&stream_id) {
                if self.reader.stream(&stream_id)?.is_some() {
                    return Err(stream_clash(source, &stream_id));
                }
                self.seen.insert(stream_id);
            }
            if let Some(id) = event.event_id
                && self.reader.position_of(id)?.is_some()
            {
                return Err(source.invalid(format!("event {id} is already in the store")));
            }
        }
        Ok(())
    }
}

fn stream_clash(source: &Source, stream_id: &str) -> ImportError {
    source.invalid(format!(
        "stream {stream_id:?} is already in the store (was this store imported before?)"
    ))
}

/// Writes items into one write transaction.
struct Writer<'w, 'txn> {
    writer: &'w mut StoreWriter<'txn>,
    streams: HashMap<String, StreamInfo>,
    stream_meta: BTreeMap<String, Map<String, Value>>,
    store_meta: Map<String, Value>,
}

impl Consumer for Writer<'_, '_> {
    fn item(&mut self, item: Item, source: &Source) -> Result<(), ImportError> {
        match item {
            Item::Event {
                stream_id,
                process_type,
                event,
                recorded_at,
            } => {
                if !self.streams.contains_key(&stream_id) {
                    if self.writer.stream(&stream_id)?.is_some() {
                        return Err(stream_clash(source, &stream_id));
                    }
                    let info = new_stream(&stream_id, process_type, &event);
                    self.streams.insert(stream_id.clone(), info);
                }
                let Some(info) = self.streams.get_mut(&stream_id) else {
                    return Ok(());
                };
                self.writer
                    .insert_event(event, std::slice::from_mut(info), recorded_at)?;
            }
            Item::Outbox(message) => self.writer.put_outbox(message)?,
            Item::Deadline(deadline) => self.writer.put_deadline(deadline)?,
            Item::DeadLetter(letter) => self.writer.put_dead_letter(&letter)?,
            Item::StreamMeta {
                stream_id,
                section,
                entry,
                value,
            } => {
                let meta = self.stream_meta.entry(stream_id).or_default();
                set(meta, section, entry, value);
            }
            Item::StoreMeta {
                section,
                entry,
                value,
            } => set(&mut self.store_meta, section, entry, value),
        }
        Ok(())
    }
}

fn set(map: &mut Map<String, Value>, section: &str, entry: Option<String>, value: Value) {
    match entry {
        None => {
            map.insert(section.to_string(), value);
        }
        Some(entry) => {
            let slot = map
                .entry(section.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(inner) = slot {
                inner.insert(entry, value);
            }
        }
    }
}

fn new_stream(stream_id: &str, process_type: String, first: &NewEvent) -> StreamInfo {
    StreamInfo {
        stream_id: stream_id.to_string(),
        process_type,
        // Neither engine records whether a process ended.
        status: StreamStatus::Running,
        process_state: None,
        version: 0,
        created_at: first.occurred_at,
        updated_at: first.occurred_at,
        last_error: None,
        correlation_id: first.correlation_id,
        variant: 0,
        metadata: Value::Object(Map::new()),
    }
}

/// Reads the copy and writes everything in one write transaction.
fn write(
    store: &Store,
    format: Format,
    copy: &Copy,
    operator: &Operator,
    tracker: &mut Tracker<'_>,
) -> Result<ImportReport, ImportError> {
    store.write(|writer: &mut StoreWriter| {
        let mut state = Writer {
            writer,
            streams: HashMap::new(),
            stream_meta: BTreeMap::new(),
            store_meta: Map::new(),
        };
        consume(format, copy, tracker, &mut state)?;
        let Writer {
            writer,
            mut streams,
            stream_meta,
            mut store_meta,
        } = state;
        let events = tracker.events;
        let mut without_events = Map::new();
        for (stream_id, meta) in stream_meta {
            match streams.get_mut(&stream_id) {
                Some(info) => {
                    if let Value::Object(target) = &mut info.metadata {
                        target.extend(meta);
                    }
                }
                None => {
                    without_events.insert(stream_id, Value::Object(meta));
                }
            }
        }
        if !without_events.is_empty() {
            // Registry entries, cursors or snapshots of streams that have no
            // event: there is no stream to hang them on.
            store_meta.insert(
                "streams_without_events".to_string(),
                Value::Object(without_events),
            );
        }
        let mut ids: Vec<&String> = streams.keys().collect();
        ids.sort();
        let ids: Vec<String> = ids.into_iter().cloned().collect();
        for stream_id in &ids {
            if let Some(info) = streams.get_mut(stream_id) {
                if let Value::Object(target) = &mut info.metadata {
                    target.insert("source".to_string(), Value::String(format.to_string()));
                }
                writer.put_stream(info)?;
            }
        }
        store_meta.insert(
            "source".to_string(),
            Value::String(copy.source.name.clone()),
        );
        let summary = serde_json::to_string(&Value::Object(store_meta))
            .map_err(crate::store::StoreError::from)?;
        writer.set_meta(&format!("import.{format}"), &summary)?;
        let report = ImportReport {
            format,
            streams: streams.len() as u64,
            events,
            objects: 0,
            process_type: format.to_string(),
            skipped: 0,
        };
        super::audit_import(writer, operator, &copy.source.name, &report)?;
        Ok(report)
    })
}
