//! `import FILE --from jsonl|xes|ocel INPUT` and `export FILE --jsonl OUT [--stream ID]`.

use std::path::Path;

use super::CliError;

/// Imports a log into a store.
pub fn import(_path: &Path, _format: &str, _input: &Path) -> Result<(), CliError> {
    Err(CliError::input("import: not built yet"))
}

/// Exports events as JSONL.
pub fn export(_path: &Path, _out: &Path, _stream: Option<&str>) -> Result<(), CliError> {
    Err(CliError::input("export: not built yet"))
}
