//! Handlers of the store, engine and queue subcommands.

use std::path::Path;

use super::{CliError, DeadlineActionArg, OutboxActionArg};

pub fn demo(_out: &Path, _processes: u64, _seed: u64) -> Result<(), CliError> {
    Err(CliError::input("later"))
}
pub fn inspect(_path: &Path, _json: bool) -> Result<(), CliError> {
    Err(CliError::input("later"))
}
pub fn check(_path: &Path) -> Result<(), CliError> {
    Err(CliError::input("later"))
}
pub fn dead_letters(_path: &Path, _status: Option<&str>, _json: bool) -> Result<(), CliError> {
    Err(CliError::input("later"))
}
pub fn resubmit(
    _path: &Path,
    _id: &str,
    _payload: Option<&Path>,
    _reason: &str,
) -> Result<(), CliError> {
    Err(CliError::input("later"))
}
pub fn discard(_path: &Path, _id: &str, _reason: &str) -> Result<(), CliError> {
    Err(CliError::input("later"))
}
pub fn audit(_path: &Path, _json: bool) -> Result<(), CliError> {
    Err(CliError::input("later"))
}
pub fn outbox(_path: &Path, _json: bool) -> Result<(), CliError> {
    Err(CliError::input("later"))
}
pub fn outbox_action(_path: &Path, _id: &str, _action: OutboxActionArg) -> Result<(), CliError> {
    Err(CliError::input("later"))
}
pub fn deadlines(_path: &Path, _json: bool) -> Result<(), CliError> {
    Err(CliError::input("later"))
}
pub fn deadline_action(
    _path: &Path,
    _id: &str,
    _action: DeadlineActionArg,
) -> Result<(), CliError> {
    Err(CliError::input("later"))
}
