//! Replay: the state of a stream at any version, checkpoints, per-step diffs,
//! validation replay under the current definition. No egui here.
