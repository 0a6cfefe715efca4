//! The command line's tests, one test binary: the real `process-workbench`
//! binary run on real files, and the library calls it shares with the window.

#[path = "../../crates/core/tests/core/common.rs"]
mod common;
#[path = "../support/engines_common.rs"]
mod engines_common;
#[path = "../support/helper_process.rs"]
mod helper_process;
#[path = "../../crates/core/tests/core/import_common.rs"]
mod import_common;

mod cli;
mod cli_export_filter;
mod cli_filter;
mod cli_formats;
mod cli_pipe;
mod cli_queues;
mod cli_search;
mod cli_support;
mod graph_cli;
mod graph_export;
mod import_batpak;
mod import_mako;
mod import_roundtrip;
mod map_cli;
mod replay_cli;
