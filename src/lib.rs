//! Process Workbench: see and repair what event-sourced business processes did.
//!
//! The library holds everything but the window: the redb process store, the
//! engine that runs process definitions into it, replay, the causal graph,
//! importers and the demo generator. The GUI (`app`, `views`, `widgets`) and
//! the CLI are thin layers over it.

pub mod allocator;
pub mod app;
pub mod cli;
pub mod demo;
pub mod engine;
pub mod graph;
pub mod import;
pub mod queues;
pub mod replay;
pub mod store;
pub mod views;
pub mod widgets;
