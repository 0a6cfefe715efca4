//! `graph FILE --event ID [--json]`.

use std::path::Path;

use super::CliError;

/// Prints the causal closure of an event.
pub fn graph(_path: &Path, _event: &str, _json: bool) -> Result<(), CliError> {
    Err(CliError::input("graph: not built yet"))
}
