//! A seeded generator of a realistic store: runs the engine over simulated
//! time with processes of German energy-market communication.

use std::path::Path;

/// How big a demo store to make, and from which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// Number of top-level processes started.
    pub processes: u64,
    /// The same seed gives the same store.
    pub seed: u64,
}

/// Why the demo could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Open(#[from] crate::store::OpenError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cancelled")]
    Cancelled,
}

/// Creates a new demo store at `out` (which must not exist). `progress` is called
/// with (processes started, processes in total) and returns false to cancel.
pub fn generate(
    out: &Path,
    options: DemoOptions,
    progress: impl FnMut(u64, u64) -> bool,
) -> Result<(), DemoError> {
    let _ = (out, options, progress);
    Err(DemoError::Cancelled)
}
