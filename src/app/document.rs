//! Opening a store: read-only by default, for writing when asked, or a copy of
//! a file that is locked or needs repair. Opening runs as a background job;
//! every way it can fail becomes a message for the window.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use process_workbench_core::demo::{self, DemoOptions};
use process_workbench_core::engine::Operator;
use process_workbench_core::store::{OpenError, Store, Summary};

use crate::state::jobs::{Job, Worker};
use crate::state::{Clock, OpenMode, OpenStore};

/// Processes in the demo store made on first start.
pub const DEMO_PROCESSES: u64 = 200;
/// Seed of the demo store made on first start.
pub const DEMO_SEED: u64 = 42;
/// File name of the demo store in the data directory.
pub const DEMO_FILE_NAME: &str = "demo.redb";

/// What to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRequest {
    pub path: PathBuf,
    pub mode: OpenMode,
    /// Create the demo store at `path` first if it does not exist.
    pub create_demo: bool,
    /// Wait a moment for a lock to go away: the app itself just closed this
    /// file and a background job may still hold it.
    pub reopening: bool,
}

/// Why a file could not be opened.
#[derive(Debug)]
pub enum Problem {
    /// The store refused the file.
    Open(OpenError),
    /// Anything else: copying, creating the demo store, reading the summary.
    Other(String),
}

/// A file that could not be opened, and why.
#[derive(Debug)]
pub struct OpenFailure {
    pub path: PathBuf,
    pub mode: OpenMode,
    pub problem: Problem,
}

/// What the window says about a failure, and what it offers to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureText {
    /// A short headline, e.g. "The file is locked".
    pub title: &'static str,
    /// The store's own one-line message (with the path).
    pub message: String,
    /// What the user can do about it.
    pub advice: &'static str,
    /// Offer to open a copy.
    pub offer_copy: bool,
    /// Offer to repair a copy.
    pub offer_repair_copy: bool,
}

impl OpenFailure {
    /// The text shown in the window.
    pub fn text(&self) -> FailureText {
        let plain = |title, message: String, advice| FailureText {
            title,
            message,
            advice,
            offer_copy: false,
            offer_repair_copy: false,
        };
        let error = match &self.problem {
            Problem::Other(message) => {
                return plain(
                    "The store could not be opened",
                    message.clone(),
                    "Check that the file can be read and try again.",
                );
            }
            Problem::Open(error) => error,
        };
        let message = error.to_string();
        match error {
            OpenError::Missing(_) => plain(
                "File not found",
                message,
                "It may have been moved or deleted. Choose another file.",
            ),
            OpenError::Directory(_) => plain(
                "This is a folder",
                message,
                "Choose the store file itself (a .redb file).",
            ),
            OpenError::Empty(_) => plain(
                "The file is empty",
                message,
                "A process store is never empty. Choose another file.",
            ),
            OpenError::NotRedb(_) => plain(
                "Not a process store",
                message,
                "Process Workbench opens redb process stores, made by it or by `process-workbench import`.",
            ),
            OpenError::NotAStore(_) => plain(
                "Not a process store",
                message,
                "This redb database belongs to another program. Import its events with `process-workbench import`.",
            ),
            OpenError::NewerFormat { .. } => plain(
                "Made by a newer version",
                message,
                "Open it with a newer Process Workbench.",
            ),
            OpenError::Locked(_) => FailureText {
                title: "The file is locked",
                message,
                advice: "Another program has this store open for writing. Close it there, or open a copy of the file as it is now (read-only).",
                offer_copy: self.mode != OpenMode::Copy,
                offer_repair_copy: false,
            },
            OpenError::NeedsRepair(_) => FailureText {
                title: "The file needs repair",
                message,
                advice: "It was not closed cleanly. Repairing rewrites the file, so the workbench only repairs a copy and leaves the original as it is (`process-workbench repair FILE` repairs the original).",
                offer_copy: false,
                offer_repair_copy: self.mode != OpenMode::RepairCopy,
            },
            OpenError::Corrupt { .. } => plain(
                "The file is damaged",
                message,
                "Run `process-workbench check FILE` for the details.",
            ),
            OpenError::AlreadyExists(_) => {
                plain("The file already exists", message, "Choose another name.")
            }
            OpenError::Io { .. } => plain(
                "The file could not be read",
                message,
                "Check the file's permissions and try again.",
            ),
        }
    }
}

/// What an open job sends when it is done.
pub type OpenOutcome = Result<OpenStore, OpenFailure>;

/// Starts opening `request` in the background.
pub fn start_open(
    request: OpenRequest,
    clock: Clock,
    repaint: Option<egui::Context>,
) -> Job<OpenOutcome> {
    let name = format!("Opening {}", request.path.display());
    Job::spawn(name, repaint, move |worker: &Worker<OpenOutcome>| {
        let outcome = open_now(&request, clock, worker);
        worker.send(outcome);
    })
}

/// Opens as [`start_open`] does, on the calling thread.
fn open_now(
    request: &OpenRequest,
    clock: Clock,
    worker: &Worker<OpenOutcome>,
) -> Result<OpenStore, OpenFailure> {
    let started = Instant::now();
    let fail = |problem| OpenFailure {
        path: request.path.clone(),
        mode: request.mode,
        problem,
    };
    if request.create_demo && !request.path.exists() {
        create_demo(&request.path, worker).map_err(|message| fail(Problem::Other(message)))?;
    }
    let (store, copy) = match request.mode {
        OpenMode::ReadOnly => (
            open_waiting(request, |path| Store::open(path)).map_err(|e| fail(Problem::Open(e)))?,
            None,
        ),
        OpenMode::Writable => (
            open_waiting(request, |path| Store::open_writable(path))
                .map_err(|e| fail(Problem::Open(e)))?,
            None,
        ),
        OpenMode::Copy | OpenMode::RepairCopy => {
            let (directory, copy_path) = copy_to_temporary(&request.path).map_err(&fail)?;
            // A copy of a file that is open for writing elsewhere looks like one
            // that was not closed cleanly; the copy is ours to repair. The
            // repaired copy is then opened read-only.
            let needs_repair = request.mode == OpenMode::RepairCopy
                || matches!(Store::open(&copy_path), Err(OpenError::NeedsRepair(_)));
            if needs_repair {
                Store::repair(
                    &copy_path,
                    &Operator::current().user,
                    time::OffsetDateTime::now_utc(),
                )
                .map_err(|e| fail(Problem::Open(e)))?;
            }
            let store = Store::open(&copy_path).map_err(|e| fail(Problem::Open(e)))?;
            (store, Some(directory))
        }
    };
    let now = clock.now();
    let reader = store
        .read()
        .map_err(|error| fail(Problem::Other(error.to_string())))?;
    let summary = Summary::read(&reader, now).map_err(|error| {
        fail(Problem::Other(format!(
            "{}: the store's counts could not be read: {error}",
            request.path.display()
        )))
    })?;
    let generation = reader
        .generation()
        .map_err(|error| fail(Problem::Other(error.to_string())))?;
    drop(reader);
    Ok(OpenStore {
        store: Arc::new(store),
        file: request.path.clone(),
        mode: request.mode,
        is_demo: request.create_demo,
        generation,
        summary,
        opened_in: started.elapsed(),
        _copy: copy,
    })
}

/// Opens with `open`, waiting up to two seconds for a lock held by this app's
/// own closing handle when reopening.
fn open_waiting(
    request: &OpenRequest,
    open: impl Fn(&Path) -> Result<Store, OpenError>,
) -> Result<Store, OpenError> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        match open(&request.path) {
            Err(OpenError::Locked(_)) if request.reopening && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(25));
            }
            other => return other,
        }
    }
}

/// Copies `path` into a new temporary directory; returns the directory and the copy.
fn copy_to_temporary(path: &Path) -> Result<(tempfile::TempDir, PathBuf), Problem> {
    // Refuse what the store would refuse anyway before copying gigabytes.
    match std::fs::metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(Problem::Open(OpenError::Missing(path.to_path_buf())));
        }
        Err(source) => {
            return Err(Problem::Open(OpenError::Io {
                path: path.to_path_buf(),
                source,
            }));
        }
        Ok(metadata) if metadata.is_dir() => {
            return Err(Problem::Open(OpenError::Directory(path.to_path_buf())));
        }
        Ok(_) => {}
    }
    let directory = tempfile::Builder::new()
        .prefix("process-workbench-copy-")
        .tempdir()
        .map_err(|error| Problem::Other(format!("could not make a temporary folder: {error}")))?;
    let name = path
        .file_name()
        .map_or_else(|| "store.redb".into(), |name| name.to_os_string());
    let copy = directory.path().join(name);
    std::fs::copy(path, &copy).map_err(|error| {
        Problem::Other(format!(
            "{}: could not copy the file: {error}",
            path.display()
        ))
    })?;
    Ok((directory, copy))
}

/// Generates the demo store at `path`, via a partial file renamed at the end so
/// that an interrupted first start never leaves half a store behind.
fn create_demo(path: &Path, worker: &Worker<OpenOutcome>) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|error| {
            format!("{}: could not create the folder: {error}", parent.display())
        })?;
    }
    let partial = path.with_extension("redb.partial");
    if partial.exists() {
        std::fs::remove_file(&partial)
            .map_err(|error| format!("{}: could not remove: {error}", partial.display()))?;
    }
    let options = DemoOptions {
        processes: DEMO_PROCESSES,
        seed: DEMO_SEED,
    };
    let generated = demo::generate(&partial, options, |done, total| {
        worker.progress(done, total);
        !worker.is_cancelled()
    });
    if let Err(error) = generated {
        // The partial file is worthless; removing it is best effort.
        let _ = std::fs::remove_file(&partial);
        return Err(format!("the demo store could not be created: {error}"));
    }
    std::fs::rename(&partial, path).map_err(|error| {
        format!(
            "{}: could not move the new demo store into place: {error}",
            path.display()
        )
    })
}
