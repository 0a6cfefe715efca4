//! `process-workbench`: the window, or a headless subcommand.

use std::process::ExitCode;

use clap::Parser;
use process_workbench::cli::{self, Cli};

/// Bulk writes (demo, imports) allocate and free millions of small buffers,
/// which mimalloc serves faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A bug must still end with one clear line, never a backtrace (CLI contract).
    std::panic::set_hook(Box::new(|info| {
        eprintln!("process-workbench: internal error: {info}");
    }));
    let arguments = Cli::parse();
    let result = match arguments.command {
        Some(command) => cli::run(command, arguments.user.as_deref()),
        None => process_workbench::app::run(arguments.file, arguments.user)
            .map_err(cli::CliError::input),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("process-workbench: {}", error.message);
            ExitCode::from(error.code)
        }
    }
}
