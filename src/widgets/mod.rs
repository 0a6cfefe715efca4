//! Reusable egui pieces: the JSON tree, the raw text view, times and figures,
//! job progress, confirmation dialogs, process type and status pickers, the marks of failure and status, and
//! sizes that fit the text they hold.

pub mod dialog;
pub mod fit;
pub mod json_tree;
pub mod pickers;
pub mod progress;
pub mod raw_text;
pub mod style;
pub mod time;
