//! `replay FILE --stream ID [--to N] [--json]`.

use std::path::Path;

use super::CliError;

/// Prints the state of a stream at a version and the diff from the one before.
pub fn replay(_path: &Path, _stream: &str, _to: Option<u64>, _json: bool) -> Result<(), CliError> {
    Err(CliError::input("replay: not built yet"))
}
