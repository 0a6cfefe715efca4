//! The causal graph: closure of an event across streams and its layouts. No egui here.
