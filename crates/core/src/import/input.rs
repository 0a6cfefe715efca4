//! Reading an input: gzip recognised by its magic bytes, bytes counted for
//! progress, line positions for messages, cancel, and the parser thread that
//! feeds the writing thread through a bounded channel.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use flate2::read::MultiGzDecoder;

use super::{Format, ImportError, ImportProgress, InputReader, Location};

/// Read buffer of the raw file and of the decompressed stream.
const BUFFER_BYTES: usize = 256 * 1024;
/// Batches in flight between the parser and the writer: bounds memory.
const BATCHES_IN_FLIGHT: usize = 8;
/// How often the progress callback is called at most.
const PROGRESS_EVERY: Duration = Duration::from_millis(50);

/// An input file, opened and ready to be parsed.
pub(crate) struct OpenedInput {
    /// The file's path (readers that need the file itself, such as SQLite, open it again).
    pub path: PathBuf,
    /// The file name, for messages.
    pub name: String,
    /// The file name without `.gz` and its format extension.
    pub stem: String,
    /// The decompressed content.
    pub reader: InputReader,
    /// Size of the file on disk.
    pub total: u64,
    /// Bytes of the file read so far (shared with the parser thread).
    pub read: Arc<AtomicU64>,
}

/// Opens `path`; gzip content (magic bytes `1f 8b`) is decompressed whatever the name.
pub(crate) fn open(path: &Path) -> Result<OpenedInput, ImportError> {
    let io_error = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_error)?;
    let metadata = file.metadata().map_err(io_error)?;
    if metadata.is_dir() {
        return Err(io_error(io::Error::other("is a directory, not a log file")));
    }
    let read = Arc::new(AtomicU64::new(0));
    let mut raw = BufReader::with_capacity(
        BUFFER_BYTES,
        Counted {
            inner: file,
            read: Arc::clone(&read),
        },
    );
    let is_gzip = raw.fill_buf().map_err(io_error)?.starts_with(&[0x1f, 0x8b]);
    let reader: InputReader = if is_gzip {
        Box::new(BufReader::with_capacity(
            BUFFER_BYTES,
            MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    };
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    Ok(OpenedInput {
        path: path.to_path_buf(),
        stem: stem_of(&name),
        name,
        reader,
        total: metadata.len(),
        read,
    })
}

/// `08_receipt.xes.gz` → `08_receipt`.
fn stem_of(name: &str) -> String {
    let name = name.strip_suffix(".gz").unwrap_or(name);
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => name.to_string(),
    }
}

/// Counts the bytes read from the file, for progress.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let count = self.inner.read(buf)?;
        self.read.fetch_add(count as u64, Ordering::Relaxed);
        Ok(count)
    }
}

/// Where a parser is in its (decompressed) input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    /// Bytes consumed.
    pub offset: u64,
    /// Line of the next byte, from 1.
    pub line: u64,
    /// Offset at which that line starts.
    pub line_start: u64,
}

impl Position {
    /// The line and column of the next byte.
    pub fn here(&self) -> Location {
        self.at(self.offset)
    }

    /// The line and column of an earlier offset when it is on the current line,
    /// else the offset itself.
    pub fn at(&self, offset: u64) -> Location {
        if offset >= self.line_start && offset <= self.offset {
            Location::Line {
                line: self.line,
                column: Some(offset - self.line_start + 1),
            }
        } else {
            Location::Byte(offset)
        }
    }

    /// The current line, without a column.
    pub fn line(&self) -> Location {
        Location::Line {
            line: self.line,
            column: None,
        }
    }
}

/// A shared view of a [`Tracked`] reader's position (the reader itself is
/// moved into the parser).
pub(crate) type PositionHandle = Rc<Cell<Position>>;

/// Counts lines of what the parser consumed.
pub(crate) struct Tracked<R> {
    inner: R,
    position: PositionHandle,
}

impl<R> Tracked<R> {
    pub fn new(inner: R) -> (Self, PositionHandle) {
        let position = Rc::new(Cell::new(Position {
            offset: 0,
            line: 1,
            line_start: 0,
        }));
        (
            Tracked {
                inner,
                position: Rc::clone(&position),
            },
            position,
        )
    }

    /// The reader it wraps.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

/// Moves a position over consumed bytes.
fn advance(position: &Cell<Position>, bytes: &[u8]) {
    let mut moved = position.get();
    // Every byte of the input passes here: counted a machine word at a time.
    let newlines = bytecount::count(bytes, b'\n') as u64;
    if newlines > 0 {
        let last = bytes.iter().rposition(|&byte| byte == b'\n').unwrap_or(0) as u64;
        moved.line += newlines;
        moved.line_start = moved.offset + last + 1;
    }
    moved.offset += bytes.len() as u64;
    position.set(moved);
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let count = self.inner.read(buf)?;
        advance(&self.position, &buf[..count]);
        Ok(count)
    }
}

impl<R: BufRead> BufRead for Tracked<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if amount > 0 {
            // The caller saw at least `amount` buffered bytes, so this reads nothing.
            if let Ok(buffered) = self.inner.fill_buf() {
                let counted = amount.min(buffered.len());
                advance(&self.position, &buffered[..counted]);
            }
        }
        self.inner.consume(amount);
    }
}

/// Reports progress to the caller's callback now and then, and turns its
/// "stop" into [`ImportError::Cancelled`].
pub(crate) struct Tracker<'a> {
    read: Arc<AtomicU64>,
    total: u64,
    progress: &'a mut dyn FnMut(ImportProgress) -> bool,
    events: u64,
    last_report: Instant,
    /// The input is being checked, not yet written.
    pub checking: bool,
}

impl<'a> Tracker<'a> {
    pub fn new(
        read: Arc<AtomicU64>,
        total: u64,
        progress: &'a mut dyn FnMut(ImportProgress) -> bool,
    ) -> Self {
        Tracker {
            read,
            total,
            progress,
            events: 0,
            last_report: Instant::now(),
            checking: false,
        }
    }

    /// Counts written events; reports when it is time.
    pub fn events_written(&mut self, count: u64) -> Result<(), ImportError> {
        self.events += count;
        self.tick()
    }

    /// Reports when it is time (also while waiting for the parser).
    pub fn tick(&mut self) -> Result<(), ImportError> {
        if self.last_report.elapsed() >= PROGRESS_EVERY {
            self.report()?;
        }
        Ok(())
    }

    /// The last report, before the commit: a cancel here still leaves the store unchanged.
    pub fn finish(&mut self, events: u64) -> Result<(), ImportError> {
        self.events = events;
        self.report()
    }

    /// Reports now.
    pub fn report(&mut self) -> Result<(), ImportError> {
        self.last_report = Instant::now();
        let progress = ImportProgress {
            bytes_read: self.read.load(Ordering::Relaxed).min(self.total),
            bytes_total: self.total,
            events: self.events,
            checking: self.checking,
        };
        if (self.progress)(progress) {
            Ok(())
        } else {
            Err(ImportError::Cancelled)
        }
    }
}

/// The parser's end of the channel: collects items into batches.
pub(crate) struct Emitter<T> {
    sender: SyncSender<Vec<T>>,
    batch: Vec<T>,
    batch_size: usize,
    stopped: Arc<AtomicBool>,
}

impl<T> Emitter<T> {
    /// Hands an item to the writer; false once the writer has stopped (error
    /// or cancel), in which case the parser should return at once.
    pub fn emit(&mut self, item: T) -> bool {
        self.batch.push(item);
        if self.batch.len() >= self.batch_size {
            return self.flush();
        }
        self.is_open()
    }

    /// False once the writer has stopped.
    pub fn is_open(&self) -> bool {
        !self.stopped.load(Ordering::Relaxed)
    }

    fn flush(&mut self) -> bool {
        if self.batch.is_empty() {
            return self.is_open();
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.batch_size));
        if self.sender.send(batch).is_err() {
            self.stopped.store(true, Ordering::Relaxed);
        }
        self.is_open()
    }
}

/// Runs `produce` (the parser) on its own thread and `consume` (the writer) on
/// this one, connected by a bounded channel of batches of `batch_size` items.
/// The first error wins: the writer's, else the parser's.
pub(crate) fn pipeline<T: Send>(
    format: Format,
    batch_size: usize,
    tracker: &mut Tracker<'_>,
    produce: impl FnOnce(&mut Emitter<T>) -> Result<(), ImportError> + Send,
    mut consume: impl FnMut(T, &mut Tracker<'_>) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let (sender, receiver) = mpsc::sync_channel::<Vec<T>>(BATCHES_IN_FLIGHT);
    let stopped = Arc::new(AtomicBool::new(false));
    let parser_stopped = Arc::clone(&stopped);
    std::thread::scope(|scope| {
        let parser = std::thread::Builder::new()
            .name(format!("{format} import parser"))
            .spawn_scoped(scope, move || {
                let mut emitter = Emitter {
                    sender,
                    batch: Vec::with_capacity(batch_size),
                    batch_size,
                    stopped: parser_stopped,
                };
                let result = produce(&mut emitter);
                if result.is_ok() {
                    emitter.flush();
                }
                result
            })
            .map_err(|_| ImportError::ReaderFailed(format))?;
        let consumed = (|| loop {
            match receiver.recv_timeout(PROGRESS_EVERY) {
                Ok(batch) => {
                    for item in batch {
                        consume(item, tracker)?;
                    }
                }
                Err(RecvTimeoutError::Timeout) => tracker.tick()?,
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
        })();
        // Unblocks a parser waiting to send, and tells it to stop.
        stopped.store(true, Ordering::Relaxed);
        drop(receiver);
        let parsed = parser
            .join()
            .unwrap_or(Err(ImportError::ReaderFailed(format)));
        consumed.and(parsed)
    })
}

/// A serde_json error as one message with its position; `data_problem` says
/// what a well-formed document of the wrong shape is not (e.g. "not an OCEL log").
pub(crate) fn json_error(file: &str, error: &serde_json::Error, data_problem: &str) -> ImportError {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let detail = text.strip_suffix(&suffix).unwrap_or(&text);
    let message = match error.classify() {
        serde_json::error::Category::Io => format!("read error: {detail}"),
        serde_json::error::Category::Eof => {
            "unexpected end of input (is the file cut off?)".to_string()
        }
        serde_json::error::Category::Syntax => format!("JSON error: {detail}"),
        serde_json::error::Category::Data => format!("{data_problem}: {detail}"),
    };
    let at = if error.line() == 0 {
        Location::Whole
    } else {
        Location::Line {
            line: error.line() as u64,
            column: Some(error.column() as u64),
        }
    };
    ImportError::Invalid {
        file: file.to_string(),
        at,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_drop_compression_and_format() {
        assert_eq!(stem_of("08_receipt.xes.gz"), "08_receipt");
        assert_eq!(stem_of("log.jsonl"), "log");
        assert_eq!(stem_of("plain"), "plain");
        assert_eq!(stem_of(".hidden"), ".hidden");
    }

    #[test]
    fn tracked_counts_lines_of_consumed_bytes() {
        let (mut tracked, position) = Tracked::new(io::Cursor::new(b"ab\ncd\nef".to_vec()));
        let available = tracked.fill_buf().map(|buf| buf.len()).unwrap_or(0);
        assert_eq!(available, 8);
        tracked.consume(4);
        let here = position.get();
        assert_eq!((here.offset, here.line, here.line_start), (4, 2, 3));
        assert_eq!(
            here.here(),
            Location::Line {
                line: 2,
                column: Some(2)
            }
        );
        let mut rest = Vec::new();
        tracked.read_to_end(&mut rest).ok();
        assert_eq!(position.get().line, 3);
    }
}
