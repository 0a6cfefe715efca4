//! Process Workbench's window and command line, over the headless
//! [`process_workbench_core`]: the CLI parses arguments into the core's
//! queries and actions; the window (`app`, `views`, `widgets`) shows what the
//! core reads and hands what the user asks for to background jobs.

pub mod app;
pub mod cli;
pub mod state;
pub mod views;
pub mod widgets;
