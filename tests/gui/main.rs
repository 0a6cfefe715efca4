//! The window's tests, one test binary: egui_kittest drives the real app by
//! its labels, and one test starts the real binary in a window under Xvfb.

#[path = "../../crates/core/tests/core/common.rs"]
mod common;
#[path = "../support/engines_common.rs"]
mod engines_common;
mod gui_support;
#[path = "../support/helper_process.rs"]
mod helper_process;
#[path = "../../crates/core/tests/core/import_common.rs"]
mod import_common;

mod gui_app;
mod gui_assets;
mod gui_bad_data;
mod gui_engines;
mod gui_filters;
mod gui_graph;
mod gui_import;
mod gui_layout;
mod gui_map;
mod gui_open_errors;
mod gui_parity;
mod gui_performance;
mod gui_queues;
mod gui_replay;
mod gui_snapshots;
mod window_xvfb;
