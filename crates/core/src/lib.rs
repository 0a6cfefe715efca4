//! The core of Process Workbench: everything but the window and the command
//! line. The redb process store, the engine that runs process definitions into
//! it, replay, the causal graph, search and filtering, the operator's queues,
//! importers and the demo generator. No egui here: the CLI, the window and the tests share this
//! library and are thin layers over it.

pub mod actions;
pub mod analysis;
pub mod definition;
pub mod demo;
pub mod engine;
pub mod graph;
pub mod import;
pub mod queues;
pub mod replay;
pub mod search;
pub mod store;
