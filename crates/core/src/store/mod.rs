//! The process store: one redb file. Opening modes, reads, writes, the
//! integrity check and the summary that `inspect` prints. No egui here.

pub mod check;
mod error;
pub(crate) mod event_header;
mod event_record;
mod query;
mod queue_reads;
pub mod records;
mod replay_reads;
pub mod schema;
mod summary;
mod write;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use redb::{Database, DatabaseError, ReadOnlyDatabase, ReadableDatabase, StorageError};
use time::OffsetDateTime;

pub use error::{OpenError, StoreError};
pub use event_record::EventRecord;
pub use query::{Page, StoreReader, StreamFilter, all_pages};
pub use records::*;
pub use summary::Summary;
pub use write::{NewEvent, PreparedEvent, StoreWriter};

/// Durability of a write transaction.
pub use redb::Durability;

/// Read cache of an open store. redb's default (1 GiB) is more than a
/// desktop tool that may hold several stores should reserve.
const CACHE_BYTES: usize = 256 * 1024 * 1024;

/// Cache for building a store in bulk (demo, imports into a new file): a
/// million events touch index pages all over the file, and redb flushes dirty
/// pages early (some of them twice) once they pass half of its cache. Half of
/// redb's default: a larger cache is fresh memory the kernel must zero, and
/// on this project's machine the 100,000-process demo took 6 % longer and
/// 1.17 GB instead of 0.83 GB with 1 GiB, and the plain insert it is
/// measured against was slower too.
pub const BULK_CACHE_BYTES: usize = 512 * 1024 * 1024;

/// Cache for importing a log into a new store. An import appends: the pages
/// it fills are not touched again, so a small write buffer that flushes them
/// early lets their memory be used again instead of growing with fresh memory
/// the kernel must zero (the 250,000-event import took 1.41 s instead of
/// 1.58 s, medians of five, against [`BULK_CACHE_BYTES`]; see PERFORMANCE.md).
pub const IMPORT_CACHE_BYTES: usize = 128 * 1024 * 1024;

/// An open process store.
pub struct Store {
    path: PathBuf,
    handle: Handle,
}

enum Handle {
    ReadOnly(ReadOnlyDatabase),
    ReadWrite(Database),
}

impl Store {
    /// Opens an existing store read-only. Several readers may share the file;
    /// the file is never modified.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, OpenError> {
        let path = path.as_ref().to_path_buf();
        check_file(&path)?;
        let database = guarded_open(&path, || {
            redb::Builder::new()
                .set_cache_size(CACHE_BYTES)
                .open_read_only(&path)
        })?;
        let store = Store {
            path,
            handle: Handle::ReadOnly(database),
        };
        store.check_format()?;
        Ok(store)
    }

    /// Opens an existing store for writing. A file that was not closed cleanly
    /// is refused with [`OpenError::NeedsRepair`]: repairing rewrites it, which
    /// only [`Store::repair`] does, when asked.
    pub fn open_writable(path: impl AsRef<Path>) -> Result<Store, OpenError> {
        let path = path.as_ref().to_path_buf();
        // Refuse what is not a healthy store before opening it for writing, so
        // that a foreign or damaged file is never touched.
        drop(Store::open(&path)?);
        Store::open_writable_unchecked(path)
    }

    /// Repairs a store that was not closed cleanly (redb rebuilds its
    /// allocator state), records the repair in the audit trail as done by
    /// `user` at `at`, and leaves it closed. Refuses what is not a store.
    pub fn repair(path: impl AsRef<Path>, user: &str, at: OffsetDateTime) -> Result<(), OpenError> {
        let path = path.as_ref().to_path_buf();
        let needed = match Store::open(&path) {
            Ok(_) => false,
            Err(OpenError::NeedsRepair(_)) => true,
            Err(other) => return Err(other),
        };
        let store = Store::open_writable_unchecked(path.clone())?;
        store
            .write(|writer| {
                writer.append_audit(AuditEntry {
                    seq: 0,
                    at,
                    user: user.to_string(),
                    action: "store.repair".to_string(),
                    target: "store".to_string(),
                    reason: "repair of a store that was not closed cleanly".to_string(),
                    stream_id: None,
                    before: serde_json::json!({ "needed_repair": needed }),
                    after: serde_json::Value::Null,
                })
            })
            .map_err(|error| OpenError::Corrupt {
                path,
                detail: error.to_string(),
            })?;
        Ok(())
    }

    fn open_writable_unchecked(path: PathBuf) -> Result<Store, OpenError> {
        let database = guarded_open(&path, || {
            redb::Builder::new().set_cache_size(CACHE_BYTES).open(&path)
        })?;
        let store = Store {
            path,
            handle: Handle::ReadWrite(database),
        };
        store.check_format()?;
        Ok(store)
    }

    /// Creates a new, empty store at a path where no file exists yet, open for writing.
    pub fn create(path: impl AsRef<Path>) -> Result<Store, OpenError> {
        Store::create_with_cache(path, CACHE_BYTES)
    }

    /// [`Store::create`] with a cache of `cache_bytes` (e.g. [`BULK_CACHE_BYTES`]).
    pub fn create_with_cache(
        path: impl AsRef<Path>,
        cache_bytes: usize,
    ) -> Result<Store, OpenError> {
        let path = path.as_ref().to_path_buf();
        if path.exists() {
            return Err(OpenError::AlreadyExists(path));
        }
        let database = guarded_open(&path, || {
            redb::Builder::new()
                .set_cache_size(cache_bytes)
                .create(&path)
        })?;
        let store = Store {
            path,
            handle: Handle::ReadWrite(database),
        };
        let now = OffsetDateTime::now_utc();
        store
            .write(|writer| writer.initialize(now))
            .map_err(|error| OpenError::Corrupt {
                path: store.path.clone(),
                detail: error.to_string(),
            })?;
        Ok(store)
    }

    /// The file this store was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether writes are allowed.
    pub fn is_writable(&self) -> bool {
        matches!(self.handle, Handle::ReadWrite(_))
    }

    /// Begins a read snapshot: everything committed before this call, nothing after.
    pub fn read(&self) -> Result<StoreReader, StoreError> {
        let transaction = match &self.handle {
            Handle::ReadOnly(database) => database.begin_read()?,
            Handle::ReadWrite(database) => database.begin_read()?,
        };
        Ok(StoreReader::new(transaction))
    }

    /// Runs `work` in one durable write transaction: everything it wrote is
    /// committed together, or nothing is when it returns an error.
    pub fn write<T, E>(&self, work: impl FnOnce(&mut StoreWriter) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.write_with(Durability::Immediate, work)
    }

    /// As [`Store::write`], with a chosen durability. `Durability::None` is for
    /// bulk loads that end with one durable commit.
    pub fn write_with<T, E>(
        &self,
        durability: Durability,
        work: impl FnOnce(&mut StoreWriter) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let Handle::ReadWrite(database) = &self.handle else {
            return Err(StoreError::ReadOnly.into());
        };
        let mut transaction = database.begin_write().map_err(StoreError::from)?;
        transaction
            .set_durability(durability)
            .map_err(StoreError::from)?;
        let mut writer = StoreWriter::new(&transaction);
        // An error drops the transaction uncommitted: nothing it wrote stays.
        let result = work(&mut writer)?;
        writer.finish().map_err(E::from)?;
        transaction.commit().map_err(StoreError::from)?;
        Ok(result)
    }

    /// The write generation: bumped by every committed write; caches key on it.
    pub fn generation(&self) -> Result<u64, StoreError> {
        self.read()?.generation()
    }

    fn check_format(&self) -> Result<(), OpenError> {
        let corrupt = |error: StoreError| OpenError::Corrupt {
            path: self.path.clone(),
            detail: error.to_string(),
        };
        let reader = self.read().map_err(corrupt)?;
        let version = guarded(&self.path, || reader.format_version())?.map_err(corrupt)?;
        let Some(version) = version else {
            return Err(OpenError::NotAStore(self.path.clone()));
        };
        match version.parse::<u32>() {
            Ok(found) if found <= schema::FORMAT_VERSION => Ok(()),
            _ => Err(OpenError::NewerFormat {
                path: self.path.clone(),
                found: version,
                supported: schema::FORMAT_VERSION,
            }),
        }
    }
}

/// Tells missing, directory and empty files apart before redb sees them.
fn check_file(path: &Path) -> Result<(), OpenError> {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(OpenError::Missing(path.to_path_buf()));
        }
        Err(source) => {
            return Err(OpenError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if metadata.is_dir() {
        return Err(OpenError::Directory(path.to_path_buf()));
    }
    if metadata.len() == 0 {
        return Err(OpenError::Empty(path.to_path_buf()));
    }
    Ok(())
}

/// Opens with redb, turning its errors (and, as a last guard, a panic on a
/// damaged file) into [`OpenError`]s.
fn guarded_open<D>(
    path: &Path,
    open: impl FnOnce() -> Result<D, DatabaseError>,
) -> Result<D, OpenError> {
    guarded(path, open)?.map_err(|error| classify(path, error))
}

/// Runs `work`, reporting a panic inside redb as a damaged file.
fn guarded<T>(path: &Path, work: impl FnOnce() -> T) -> Result<T, OpenError> {
    catch_unwind(AssertUnwindSafe(work)).map_err(|panic| OpenError::Corrupt {
        path: path.to_path_buf(),
        detail: panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|text| text.to_string()))
            .unwrap_or_else(|| "unreadable structure".to_string()),
    })
}

fn classify(path: &Path, error: DatabaseError) -> OpenError {
    let path = path.to_path_buf();
    match error {
        DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch => {
            OpenError::Locked(path)
        }
        DatabaseError::RepairAborted => OpenError::NeedsRepair(path),
        DatabaseError::UpgradeRequired(version) => OpenError::Corrupt {
            path,
            detail: format!("written by an old redb file format ({version}) that must be upgraded"),
        },
        DatabaseError::Storage(StorageError::Io(source)) => match source.kind() {
            std::io::ErrorKind::InvalidData => OpenError::NotRedb(path),
            std::io::ErrorKind::UnexpectedEof => OpenError::Corrupt {
                path,
                detail: "the file is truncated".to_string(),
            },
            std::io::ErrorKind::WouldBlock => OpenError::Locked(path),
            _ => OpenError::Io { path, source },
        },
        other => OpenError::Corrupt {
            path,
            detail: other.to_string(),
        },
    }
}
