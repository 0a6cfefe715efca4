//! `process-workbench`: the window, or a headless subcommand.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;

use clap::Parser;
use process_workbench::cli::{self, Cli};

/// Bulk writes (demo, imports) allocate and free millions of small buffers,
/// which mimalloc serves faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The status a shell gives a command ended by SIGPIPE (128 + 13): what
/// `process-workbench … | head -1` ends with, as `cat` or `grep` would.
const BROKEN_PIPE_STATUS: u8 = 141;

/// The panic status of a Rust program, kept for a bug.
const PANIC_STATUS: u8 = 101;

fn main() -> ExitCode {
    // A bug must still end with one clear line, never a backtrace (CLI contract).
    // A reader that went away (`| head`) is no bug: `println!` panics on it,
    // and the program ends quietly, as a program killed by SIGPIPE does.
    // Rust ignores SIGPIPE, and restoring it would take `unsafe`.
    panic::set_hook(Box::new(|info| {
        if !info.payload_as_str().is_some_and(is_broken_pipe) {
            eprintln!("process-workbench: internal error: {info}");
        }
    }));
    // Unwinding, not exiting in the hook: a store open for writing is closed
    // cleanly on the way out.
    match panic::catch_unwind(AssertUnwindSafe(run)) {
        Ok(code) => code,
        Err(payload) if payload_text(&*payload).is_some_and(is_broken_pipe) => {
            ExitCode::from(BROKEN_PIPE_STATUS)
        }
        Err(_) => ExitCode::from(PANIC_STATUS),
    }
}

fn run() -> ExitCode {
    let arguments = Cli::parse();
    let result = match (arguments.command, arguments.filter) {
        (Some(_), Some(_)) => Err(cli::CliError::input(
            "--filter opens the window with a saved filter: give it without a subcommand",
        )),
        (Some(command), None) => cli::run(command, arguments.user.as_deref()),
        (None, filter) => process_workbench::app::run(arguments.file, arguments.user, filter)
            .map_err(cli::CliError::input),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A command that writes its output itself reports a closed pipe as an error.
        Err(error) if is_broken_pipe(&error.message) => ExitCode::from(BROKEN_PIPE_STATUS),
        Err(error) => {
            eprintln!("process-workbench: {}", error.message);
            ExitCode::from(error.code)
        }
    }
}

/// Whether a panic message or an error names a write to a closed pipe
/// (`EPIPE`, "Broken pipe (os error 32)" on Linux and macOS), as `println!`'s
/// panic ("failed printing to stdout: …") and an export's error do.
fn is_broken_pipe(text: &str) -> bool {
    const EPIPE: i32 = 32;
    text.contains(&std::io::Error::from_raw_os_error(EPIPE).to_string())
}

fn payload_text(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}
