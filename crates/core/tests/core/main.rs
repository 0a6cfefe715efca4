//! The core's integration tests, one test binary: the store, engine, replay,
//! graph, queues, importers and demo on real redb files in temporary folders.

mod common;
mod import_common;

mod charts;
mod demo;
mod engine;
mod export_filter;
mod formats;
mod golden;
mod graph_lib;
mod graph_props;
mod import_errors;
mod import_fuzz;
mod import_real_logs;
mod map;
mod model;
mod ocel_forms;
mod process_filter;
mod queues_lib;
mod replay_lib;
mod replay_props;
mod search;
mod store;
