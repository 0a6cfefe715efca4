//! Reusable egui pieces: the JSON tree, the raw text view, times and figures,
//! job progress, confirmation dialogs, the marks of failure and status.

pub mod dialog;
pub mod json_tree;
pub mod progress;
pub mod raw_text;
pub mod style;
pub mod fit;
pub mod time;
