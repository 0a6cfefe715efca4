//! The subcommands that act: each parses its arguments into one
//! [`Action`] of the core and runs it through [`actions::execute`], the
//! function the window's buttons run too.

use std::io::IsTerminal;
use std::path::Path;

use serde_json::Value;
use uuid::Uuid;

use super::{CliError, DeadlineActionArg, OutboxActionArg};
use process_workbench_core::actions::{
    self, Action, ActionError, Operator, Progress, Request, parse_time_input,
};
use process_workbench_core::store::Store;

impl From<ActionError> for CliError {
    fn from(error: ActionError) -> Self {
        CliError::input(error.to_string())
    }
}

/// Progress on stderr when it is a terminal; never cancelled.
struct StderrProgress {
    interactive: bool,
}

impl Progress for StderrProgress {
    fn progress(&self, done: u64, total: u64) {
        if self.interactive && total > 0 {
            eprint!("\r{done} / {total}");
        }
    }

    fn is_cancelled(&self) -> bool {
        false
    }
}

/// Who the audit entries name: `--user`, else the logged-in user.
pub fn operator(user: Option<&str>) -> Operator {
    match user {
        Some(user) if !user.trim().is_empty() => Operator::named(user.trim()),
        _ => Operator::current(),
    }
}

/// Opens the store as the action needs it and runs the action; prints its line.
pub fn run(path: &Path, action: Action, reason: &str, user: Option<&str>) -> Result<(), CliError> {
    let mut request = Request::now(action, reason);
    request.operator = operator(user);
    actions::validate(&request)?;
    let store = if request.action.writes_store() {
        Store::open_writable(path)?
    } else {
        Store::open(path)?
    };
    let progress = StderrProgress {
        interactive: std::io::stderr().is_terminal(),
    };
    let outcome = actions::execute(&store, &request, &progress);
    if progress.interactive {
        eprint!("\r");
    }
    let outcome = outcome?;
    println!("{}", outcome.line);
    if let Some(bulk) = &outcome.bulk {
        for (id, error) in &bulk.errors {
            eprintln!("{id}: {error}");
        }
    }
    Ok(())
}

/// Runs an action that writes a file of the user's, not a store (saving or
/// deleting a filter); prints its line.
pub fn run_without_store(action: Action, user: Option<&str>) -> Result<(), CliError> {
    let mut request = Request::now(action, "");
    request.operator = operator(user);
    let outcome = actions::execute_without_store(&request)?;
    println!("{}", outcome.line);
    Ok(())
}

/// A UUID argument.
pub fn parse_id(text: &str, what: &str) -> Result<Uuid, CliError> {
    Uuid::parse_str(text.trim())
        .map_err(|_| CliError::input(format!("{text:?} is not a valid {what} id (a UUID)")))
}

/// A time argument, read as the window reads typed times.
fn parse_time(text: &str) -> Result<time::OffsetDateTime, CliError> {
    parse_time_input(text).map_err(CliError::input)
}

/// A JSON file argument (an edited payload).
pub fn read_json(file: &Path) -> Result<Value, CliError> {
    let text = std::fs::read_to_string(file)
        .map_err(|error| CliError::input(format!("{}: {error}", file.display())))?;
    serde_json::from_str::<Value>(&text).map_err(|error| {
        CliError::input(format!(
            "{}: invalid JSON at line {}, column {}: {error}",
            file.display(),
            error.line(),
            error.column()
        ))
    })
}

/// `outbox-action`'s subcommand as an action and its reason.
pub fn outbox_action(message: &str, action: OutboxActionArg) -> Result<(Action, String), CliError> {
    let message = parse_id(message, "outbox message")?;
    Ok(match action {
        OutboxActionArg::DeliverNow { reason } => (Action::OutboxDeliverNow { message }, reason),
        OutboxActionArg::Reschedule { at, reason } => (
            Action::OutboxReschedule {
                message,
                at: parse_time(&at)?,
            },
            reason,
        ),
        OutboxActionArg::Cancel { reason } => (Action::OutboxCancel { message }, reason),
        OutboxActionArg::DeadLetter { reason } => (Action::OutboxToDeadLetter { message }, reason),
    })
}

/// `deadline-action`'s subcommand as an action and its reason.
pub fn deadline_action(
    deadline: &str,
    action: DeadlineActionArg,
) -> Result<(Action, String), CliError> {
    let deadline = parse_id(deadline, "deadline")?;
    Ok(match action {
        DeadlineActionArg::Fire { reason } => (Action::DeadlineFire { deadline }, reason),
        DeadlineActionArg::Reschedule { at, reason } => (
            Action::DeadlineReschedule {
                deadline,
                at: parse_time(&at)?,
            },
            reason,
        ),
        DeadlineActionArg::Cancel { reason } => (Action::DeadlineCancel { deadline }, reason),
    })
}
