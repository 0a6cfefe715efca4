//! Reusable egui pieces.
