//! Errors of the store: one enum for opening, one umbrella for everything else.

use std::path::PathBuf;

/// Why a file could not be opened as a process store. Opening never changes the file.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{}: no such file", .0.display())]
    Missing(PathBuf),
    #[error("{}: is a directory, not a process store file", .0.display())]
    Directory(PathBuf),
    #[error("{}: the file is empty, not a process store", .0.display())]
    Empty(PathBuf),
    #[error("{}: not a redb database (another kind of file, or its header is damaged)", .0.display())]
    NotRedb(PathBuf),
    #[error("{}: a redb database, but not a process store (it has no format version)", .0.display())]
    NotAStore(PathBuf),
    #[error(
        "{}: store format version {found} is newer than this program can read (up to {supported})",
        path.display()
    )]
    NewerFormat {
        path: PathBuf,
        found: String,
        supported: u32,
    },
    #[error("{}: locked by another process that has it open for writing (close it there, or open a copy)", .0.display())]
    Locked(PathBuf),
    #[error("{}: the file was not closed cleanly and needs repair (run `process-workbench repair FILE`; it rewrites the file)", .0.display())]
    NeedsRepair(PathBuf),
    #[error("{}: the file is damaged: {detail}", path.display())]
    Corrupt { path: PathBuf, detail: String },
    #[error("{}: already exists; a new store needs a new file", .0.display())]
    AlreadyExists(PathBuf),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Everything that can go wrong once a store is open.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("the store is open read-only; enable writing first")]
    ReadOnly,
    #[error("version conflict on stream {stream_id}: expected version {expected}, found {actual}")]
    VersionConflict {
        stream_id: String,
        expected: u64,
        actual: u64,
    },
    /// Events prepared off the writer's thread ([`crate::store::PreparedEvent`])
    /// do not fit the store: another position, stream or version than it gives.
    #[error("events prepared ahead of the writer do not fit: {0}")]
    MisfitPreparedEvent(String),
    #[error("{0}")]
    NotFound(String),
    #[error("damaged record: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] redb::Error),
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
}

macro_rules! redb_error_into_store_error {
    ($($error:ty),*) => {$(
        impl From<$error> for StoreError {
            fn from(error: $error) -> Self {
                StoreError::Database(redb::Error::from(error))
            }
        }
    )*};
}

redb_error_into_store_error!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::DatabaseError,
    redb::SetDurabilityError
);
