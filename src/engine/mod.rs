//! The engine: runs process definitions into the store. Dispatch of inbound
//! messages, outbox delivery, deadlines, dead letters and operator actions —
//! each one write transaction. No egui here.

pub mod definition;

pub use definition::{Definition, Rejection, Transition};
