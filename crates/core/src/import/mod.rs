//! Readers into a store: JSONL, XES, OCEL and the engines' stores.
//!
//! Every importer reads its input as a stream with bounded memory: a parser
//! thread turns the input into records (one XES trace, one OCEL event or
//! object, one JSONL line at a time) and hands them over a bounded channel to
//! the caller's thread, which writes them into ONE write transaction. A failure
//! or a cancel anywhere aborts that transaction, so the store is left exactly
//! as it was; a new store is built in a temporary file beside the target and
//! moved into place only on success.
//!
//! Mapping of the process-mining formats:
//! - XES: a trace is a stream (id = the trace's `concept:name`, `#2`, `#3` …
//!   appended on a clash), an event is an event (type = `concept:name`, time =
//!   `time:timestamp`, payload = every attribute as JSON). Events keep the
//!   order of the file, as pm4py's `read_xes` does, so variants match pm4py's.
//!   A log records order, not cause: XES and CSV events get no causation or
//!   correlation (their stream is all the log says of them).
//! - OCEL 1.0 / 2.0 (JSON, XML; 2.0 also SQLite): an event is stored once and appears in the stream of
//!   every object it relates to; the previous event of each related object is
//!   one of its causes.
//!   OCEL 2.0 XML and SQLite are read through `process_mining` (the field's
//!   library), OCEL 1.0 XML by a small reader of its own; the form is found
//!   from the content (`ocel_forms`).
//! - CSV: one event a row; a column mapping names the case, activity and
//!   timestamp columns, every other column is kept (see `csv`).
//! - JSONL: ARCHITECTURE.md's export shape, one event per line; ids, links and
//!   streams are kept, positions and versions are assigned again.
//! - mako-engine and batpak stores (features `mako`, `batpak`): directories,
//!   read from a private copy through the engines' crates; see `engines`.

mod csv;
#[cfg(any(feature = "mako", feature = "batpak"))]
mod engines;
mod ids;
mod input;
mod jsonl;
mod ocel;
mod ocel1_xml;
mod ocel_forms;
pub mod variants;
mod xes;

use std::fmt;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;
use time::{OffsetDateTime, UtcOffset};

use crate::engine::Operator;
use crate::store::schema::counter;
use crate::store::{AuditEntry, OpenError, Store, StoreError, StoreReader, StoreWriter};

pub use self::csv::{CsvMapping, CsvPreview, csv_preview};
pub use ids::{format_utc_offset, parse_utc_offset};
pub use variants::{VariantInfo, variant_sequences};

/// The input formats an import understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// One event per line, ARCHITECTURE.md's export shape.
    Jsonl,
    /// IEEE 1849 XES, plain or gzip-compressed.
    Xes,
    /// OCEL 2.0 as JSON, XML or SQLite, OCEL 1.0 as JSON or XML (the form
    /// is found from the content).
    Ocel,
    /// CSV, one event a row, with a column mapping ([`CsvMapping`]).
    Csv,
    /// A mako-engine store directory (SlateDB on the local filesystem).
    #[cfg(feature = "mako")]
    Mako,
    /// A batpak data directory.
    #[cfg(feature = "batpak")]
    Batpak,
}

impl Format {
    /// Every format, in display order.
    pub const ALL: [Format;
        4 + cfg!(feature = "mako") as usize + cfg!(feature = "batpak") as usize] = [
        Format::Xes,
        Format::Ocel,
        Format::Csv,
        Format::Jsonl,
        #[cfg(feature = "mako")]
        Format::Mako,
        #[cfg(feature = "batpak")]
        Format::Batpak,
    ];

    /// The name used by the CLI (`--from`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Xes => "xes",
            Format::Ocel => "ocel",
            Format::Csv => "csv",
            #[cfg(feature = "mako")]
            Format::Mako => "mako",
            #[cfg(feature = "batpak")]
            Format::Batpak => "batpak",
        }
    }

    /// Whether its importer reads times written without an offset at
    /// [`ImportOptions::utc_offset`]: every log format; not the engines'
    /// stores, whose times are instants.
    pub fn takes_utc_offset(self) -> bool {
        matches!(
            self,
            Format::Xes | Format::Ocel | Format::Csv | Format::Jsonl
        )
    }

    /// Parses the CLI name: `jsonl`, `xes`, `ocel`, `csv`, `mako` or `batpak`.
    pub fn parse(text: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|format| format.as_str() == text)
    }

    /// Guesses the format of a file from its name (`.jsonl`, `.ndjson`,
    /// `.xes`, `.jsonocel`, `.xmlocel`, `.sqlite`, `.csv`, each optionally
    /// `.gz`), and for `.json`, `.xml`, `.db` or any other name from its first
    /// bytes (OCEL's top-level keys or elements, SQLite's header, XES's
    /// `<log>`). A directory is recognised as a
    /// mako-engine store or a batpak data directory by the files in it.
    pub fn detect(path: &Path) -> Option<Format> {
        #[cfg(any(feature = "mako", feature = "batpak"))]
        if path.is_dir() {
            return engines::detect(path);
        }
        let name = path.file_name()?.to_string_lossy().to_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let extension = name.rsplit_once('.').map_or("", |(_, extension)| extension);
        match extension {
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "xes" => Some(Format::Xes),
            "jsonocel" | "xmlocel" | "sqlite" | "sqlite3" => Some(Format::Ocel),
            "csv" | "tsv" => Some(Format::Csv),
            "json" => looks_like_ocel(path).then_some(Format::Ocel),
            _ => Format::sniff(path),
        }
    }

    /// The format from the first bytes of a file: an OCEL form, or XES.
    fn sniff(path: &Path) -> Option<Format> {
        let head = head_of(path)?;
        if ocel_forms::sniff(&head).is_some() {
            return Some(Format::Ocel);
        }
        let text = String::from_utf8_lossy(&head);
        (text.contains("<log") && (text.contains("<trace") || text.contains("xes.version")))
            .then_some(Format::Xes)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first 64 KiB of a file (decompressed).
fn head_of(path: &Path) -> Option<Vec<u8>> {
    const PEEK: u64 = 64 * 1024;
    let opened = input::open(path).ok()?;
    let mut head = Vec::new();
    if opened.reader.take(PEEK).read_to_end(&mut head).is_err() && head.is_empty() {
        return None;
    }
    Some(head)
}

/// Whether the start of a JSON file names OCEL's top-level keys.
fn looks_like_ocel(path: &Path) -> bool {
    let Some(head) = head_of(path) else {
        return false;
    };
    let text = String::from_utf8_lossy(&head);
    [
        "\"ocel:events\"",
        "\"ocel:global-log\"",
        "\"objectTypes\"",
        "\"eventTypes\"",
    ]
    .iter()
    .any(|key| text.contains(key))
}

/// How far an import has come, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportProgress {
    /// Bytes of the input file read so far (compressed bytes for `.gz`).
    pub bytes_read: u64,
    /// Size of the input file.
    pub bytes_total: u64,
    /// Events written so far (read so far while checking).
    pub events: u64,
    /// True while the input is read a first time to check it, before an
    /// existing store is opened for writing; the import then reads it again.
    pub checking: bool,
}

impl ImportProgress {
    /// Share of the input read, from 0 to 1.
    pub fn fraction(&self) -> f32 {
        if self.bytes_total == 0 {
            return 1.0;
        }
        (self.bytes_read as f64 / self.bytes_total as f64).clamp(0.0, 1.0) as f32
    }
}

/// What an import wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub format: Format,
    /// Streams created or extended.
    pub streams: u64,
    /// Events written (an OCEL event shared by several objects counts once).
    pub events: u64,
    /// Objects declared by an OCEL log (0 for other formats).
    pub objects: u64,
    /// Process type given to new streams (the log's name or the file stem;
    /// OCEL streams take their object type).
    pub process_type: String,
    /// Input records left out: XES traces without events and events outside a
    /// trace, OCEL events related to no object, OCEL objects without events.
    pub skipped: u64,
}

impl ImportReport {
    /// The report of an import of `format` that has written nothing yet,
    /// giving new streams `process_type`.
    pub(crate) fn empty(format: Format, process_type: String) -> ImportReport {
        ImportReport {
            format,
            streams: 0,
            events: 0,
            objects: 0,
            process_type,
            skipped: 0,
        }
    }

    /// "1,234 events in 56 streams, 7 objects, 2 skipped" (objects and skipped only when there are any).
    pub fn describe(&self) -> String {
        let mut text = format!("{} events in {} streams", self.events, self.streams);
        if self.objects > 0 {
            text.push_str(&format!(", {} objects", self.objects));
        }
        if self.skipped > 0 {
            text.push_str(&format!(", {} skipped", self.skipped));
        }
        text
    }
}

/// Where in the input a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A line (1-based) and, when known, a column (1-based, in bytes).
    Line { line: u64, column: Option<u64> },
    /// A byte offset in the (decompressed) input.
    Byte(u64),
    /// The input as a whole.
    Whole,
}

impl Location {
    /// `"line 12, column 5: "`, `"line 12: "`, `"byte 100: "` or nothing.
    fn prefix(&self) -> String {
        match self {
            Location::Line {
                line,
                column: Some(column),
            } => format!("line {line}, column {column}: "),
            Location::Line { line, column: None } => format!("line {line}: "),
            Location::Byte(offset) => format!("byte {offset}: "),
            Location::Whole => String::new(),
        }
    }
}

/// Why an import failed. In every case the target store is unchanged (and
/// no file is left behind when it did not exist before).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input is not a valid log of the chosen format.
    #[error("{file}: {}{}", at.prefix(), one_line(message))]
    Invalid {
        file: String,
        at: Location,
        message: String,
    },
    /// The progress callback asked to stop.
    #[error("import cancelled; the store was left as it was")]
    Cancelled,
    /// The input or the temporary store could not be read or written.
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The parser thread stopped without an answer (a bug, reported instead of a crash).
    #[error("the {0} reader stopped unexpectedly")]
    ReaderFailed(Format),
}

/// Messages quote pieces of the input: keep them on one line and short.
fn one_line(message: &str) -> String {
    const MAX_CHARS: usize = 400;
    let mut line = String::with_capacity(message.len().min(MAX_CHARS + 1));
    for (count, character) in message.chars().enumerate() {
        if count == MAX_CHARS {
            line.push('…');
            break;
        }
        if character.is_control() {
            line.extend(character.escape_default());
        } else {
            line.push(character);
        }
    }
    line
}

impl ImportError {
    fn invalid(file: &str, at: Location, message: impl Into<String>) -> Self {
        ImportError::Invalid {
            file: file.to_string(),
            at,
            message: message.into(),
        }
    }
}

/// What an import may be told besides its input: the column mapping of a
/// CSV log, and the offset of times written without one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// Which CSV columns are the case, the activity and the timestamp.
    pub csv: CsvMapping,
    /// The UTC offset at which times written without an offset are read
    /// (`2022-02-03T07:30:00`); they are stored in UTC. A reader cannot know
    /// their zone: the default, UTC, is how pm4py and `process_mining` read
    /// them. Times written with an offset are never shifted.
    pub utc_offset: UtcOffset,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            csv: CsvMapping::default(),
            utc_offset: UtcOffset::UTC,
        }
    }
}

/// Imports `input` (of `format`) into the store at `store_path`, with the
/// default [`ImportOptions`]; see [`import_file_with`].
pub fn import_file(
    store_path: &Path,
    format: Format,
    input: &Path,
    operator: &Operator,
    progress: &mut dyn FnMut(ImportProgress) -> bool,
) -> Result<ImportReport, ImportError> {
    import_file_with(
        store_path,
        format,
        input,
        &ImportOptions::default(),
        operator,
        progress,
    )
}

/// Imports `input` (of `format`) into the store at `store_path`.
///
/// When `store_path` does not exist, a new store is built in a temporary file
/// in the same directory and moved into place only on success. When it exists,
/// it is opened for writing and everything is written in one transaction.
/// `progress` is called now and then; returning false cancels the import
/// ([`ImportError::Cancelled`]), leaving the store as it was.
pub fn import_file_with(
    store_path: &Path,
    format: Format,
    input: &Path,
    options: &ImportOptions,
    operator: &Operator,
    progress: &mut dyn FnMut(ImportProgress) -> bool,
) -> Result<ImportReport, ImportError> {
    check_options(format, input, options)?;
    #[cfg(any(feature = "mako", feature = "batpak"))]
    if engines::is_engine(format) {
        return engines::import_file(store_path, format, input, operator, progress);
    }
    let opened = input::open(input)?;
    if store_path.exists() {
        // redb rewrites its header whenever a file is opened for writing, even
        // if nothing is committed: so the input is checked first against a
        // read-only snapshot, and a bad input leaves the file's bytes as they were.
        match Store::open(store_path) {
            Ok(store) => check(&store, format, opened, options, progress)?,
            // Opening for writing repairs it; there is nothing to keep byte for byte.
            Err(OpenError::NeedsRepair(_)) => {}
            Err(other) => return Err(other.into()),
        }
        let store = Store::open_writable(store_path)?;
        return run(
            &store,
            false,
            format,
            input::open(input)?,
            options,
            operator,
            progress,
        );
    }
    into_new_store(store_path, |store| {
        run(store, true, format, opened, options, operator, progress)
    })
}

/// Refuses options the importer of `format` would not apply: an offset for
/// times without one means nothing to an engine's store (its times are
/// instants).
fn check_options(format: Format, input: &Path, options: &ImportOptions) -> Result<(), ImportError> {
    if options.utc_offset == UtcOffset::UTC || format.takes_utc_offset() {
        return Ok(());
    }
    let file = input.file_name().map_or_else(
        || input.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    Err(ImportError::invalid(
        &file,
        Location::Whole,
        format!(
            "an offset for times without one ({}) is not applied to {format} input: import it without",
            format_utc_offset(options.utc_offset)
        ),
    ))
}

/// Builds a new store at `store_path` (which does not exist) with `build`, in a
/// temporary file in the same directory that is moved into place only on success.
fn into_new_store(
    store_path: &Path,
    build: impl FnOnce(&Store) -> Result<ImportReport, ImportError>,
) -> Result<ImportReport, ImportError> {
    let parent = match store_path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ImportError::Io { path, source }
    };
    let staging = tempfile::Builder::new()
        .prefix(".pw-import-")
        .tempdir_in(&parent)
        .map_err(io_error(&parent))?;
    let temporary = staging.path().join("store.redb");
    let report = {
        let store = Store::create_with_cache(&temporary, crate::store::IMPORT_CACHE_BYTES)?;
        build(&store)?
    };
    // A hard link never replaces a file that appeared meanwhile; the staging
    // directory (and its name for the file) is removed when it is dropped.
    match std::fs::hard_link(&temporary, store_path) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            return Err(ImportError::Open(OpenError::AlreadyExists(
                store_path.to_path_buf(),
            )));
        }
        Err(_) => std::fs::rename(&temporary, store_path).map_err(io_error(store_path))?,
    }
    Ok(report)
}

/// Imports `input` into a store that is already open for writing, with the
/// default [`ImportOptions`]; see [`import_into_with`].
pub fn import_into(
    store: &Store,
    format: Format,
    input: &Path,
    operator: &Operator,
    progress: &mut dyn FnMut(ImportProgress) -> bool,
) -> Result<ImportReport, ImportError> {
    import_into_with(
        store,
        format,
        input,
        &ImportOptions::default(),
        operator,
        progress,
    )
}

/// Imports `input` into a store that is already open for writing (the app's
/// File > Import…), in one write transaction; see [`import_file_with`].
pub fn import_into_with(
    store: &Store,
    format: Format,
    input: &Path,
    options: &ImportOptions,
    operator: &Operator,
    progress: &mut dyn FnMut(ImportProgress) -> bool,
) -> Result<ImportReport, ImportError> {
    check_options(format, input, options)?;
    #[cfg(any(feature = "mako", feature = "batpak"))]
    if engines::is_engine(format) {
        return engines::import_into(store, format, input, operator, progress);
    }
    let opened = input::open(input)?;
    run(store, false, format, opened, options, operator, progress)
}

/// Reads the whole input and makes every check the import would make, against
/// a read-only snapshot, without writing anything.
fn check(
    store: &Store,
    format: Format,
    opened: input::OpenedInput,
    options: &ImportOptions,
    progress: &mut dyn FnMut(ImportProgress) -> bool,
) -> Result<(), ImportError> {
    let reader = store.read()?;
    let input::OpenedInput {
        path,
        name,
        stem,
        reader: input,
        total,
        read,
    } = opened;
    let mut tracker = input::Tracker::new(read, total, progress);
    tracker.checking = true;
    let context = Context {
        path,
        file: name,
        stem,
        is_new: false,
        salt: 0,
        csv: options.csv.clone(),
        utc_offset: options.utc_offset,
    };
    match format {
        Format::Xes => xes::check(&context, input, &mut tracker)?,
        Format::Ocel => ocel::check(&context, ocel_forms::reading(&context, input), &mut tracker)?,
        Format::Csv => csv::check(&context, input, &mut tracker)?,
        Format::Jsonl => jsonl::check(&reader, &context, input, &mut tracker)?,
        // Engines' directories are read by `engines`, never as a file.
        #[cfg(any(feature = "mako", feature = "batpak"))]
        other => return Err(ImportError::ReaderFailed(other)),
    }
    // A cancel asked for now still finds the store untouched.
    tracker.report()
}

/// Imports into an open, writable store in one write transaction. `is_new`
/// says the store was just created (no stream can clash with an existing one).
fn run(
    store: &Store,
    is_new: bool,
    format: Format,
    opened: input::OpenedInput,
    options: &ImportOptions,
    operator: &Operator,
    progress: &mut dyn FnMut(ImportProgress) -> bool,
) -> Result<ImportReport, ImportError> {
    // Generated ids depend on where the import starts, so that the same log
    // imported twice into one store gets fresh ids, and a new store always the same.
    let salt = store.read()?.counter(counter::NEXT_POSITION)?;
    let input::OpenedInput {
        path,
        name,
        stem,
        reader,
        total,
        read,
    } = opened;
    let mut tracker = input::Tracker::new(read, total, progress);
    let context = Context {
        path,
        file: name,
        stem,
        is_new,
        salt,
        csv: options.csv.clone(),
        utc_offset: options.utc_offset,
    };
    // The store as it was, for importers that decide stream ids off the writer's thread.
    let before = if is_new { None } else { Some(store.read()?) };
    store.write(|writer: &mut StoreWriter| {
        let report = match format {
            Format::Xes => xes::import(writer, before.as_ref(), &context, reader, &mut tracker)?,
            Format::Ocel => ocel::import(
                writer,
                &context,
                ocel_forms::reading(&context, reader),
                &mut tracker,
            )?,
            Format::Csv => csv::import(writer, before.as_ref(), &context, reader, &mut tracker)?,
            Format::Jsonl => jsonl::import(writer, &context, reader, &mut tracker)?,
            #[cfg(any(feature = "mako", feature = "batpak"))]
            other => return Err(ImportError::ReaderFailed(other)),
        };
        tracker.finish(report.events)?;
        audit_import(writer, operator, &context.file, &report)?;
        Ok(report)
    })
}

/// The audit entry of an import, written in the import's transaction.
pub(crate) fn audit_import(
    writer: &mut StoreWriter,
    operator: &Operator,
    input_name: &str,
    report: &ImportReport,
) -> Result<u64, StoreError> {
    writer.append_audit(AuditEntry {
        seq: 0,
        at: OffsetDateTime::now_utc(),
        user: operator.user.clone(),
        action: "store.import".to_string(),
        target: format!("{}:{input_name}", report.format),
        reason: format!("import of {input_name} ({})", report.format),
        stream_id: None,
        before: Value::Null,
        after: serde_json::to_value(report)?,
    })
}

/// What every importer needs to know about its run.
pub(crate) struct Context {
    /// The input file.
    pub path: PathBuf,
    /// The input's file name, for messages.
    pub file: String,
    /// The input's file name without `.gz` and its format extension.
    pub stem: String,
    /// The store was created for this import.
    pub is_new: bool,
    /// The store's next position before the import (seeds generated ids).
    pub salt: u64,
    /// The column mapping of a CSV log.
    pub csv: CsvMapping,
    /// The offset of times written without one ([`ImportOptions::utc_offset`]);
    /// readers of times use `ids::parse_time_in(text, context.utc_offset)`.
    pub utc_offset: UtcOffset,
}

impl Context {
    pub(crate) fn invalid(&self, at: Location, message: impl Into<String>) -> ImportError {
        ImportError::invalid(&self.file, at, message)
    }
}

/// A reader of any input (decompressed), as the importers take it.
pub(crate) type InputReader = Box<dyn BufRead + Send>;

/// `base`, or `base#2`, `base#3` …: the first stream id that neither this
/// import gave out (`used`, which it joins) nor the store has (`in_store`).
fn unique_stream_id<E>(
    used: &mut std::collections::HashSet<String>,
    base: &str,
    mut in_store: impl FnMut(&str) -> Result<bool, E>,
) -> Result<String, E> {
    let mut candidate = base.to_string();
    let mut suffix = 1u64;
    while used.contains(&candidate) || in_store(&candidate)? {
        suffix += 1;
        candidate = format!("{base}#{suffix}");
    }
    used.insert(candidate.clone());
    Ok(candidate)
}

/// Whether the store as it was before the import (`None` for a new store)
/// has stream `id`.
fn existing_has(existing: Option<&StoreReader>, id: &str) -> Result<bool, StoreError> {
    existing.map_or(Ok(false), |store| Ok(store.stream(id)?.is_some()))
}

/// The record of a stream an import creates, before its events are appended:
/// a completed process of `process_type`, known by `metadata` (its source and
/// attributes), with the correlation the input gives it (JSONL's own, one per
/// OCEL object; none for a XES or CSV case).
fn new_stream(
    stream_id: String,
    process_type: String,
    correlation_id: Option<uuid::Uuid>,
    metadata: serde_json::Value,
) -> crate::store::StreamInfo {
    crate::store::StreamInfo {
        stream_id,
        process_type,
        status: crate::store::StreamStatus::Completed,
        process_state: None,
        version: 0,
        created_at: time::OffsetDateTime::UNIX_EPOCH,
        updated_at: time::OffsetDateTime::UNIX_EPOCH,
        last_error: None,
        correlation_id,
        variant: 0,
        metadata,
    }
}
