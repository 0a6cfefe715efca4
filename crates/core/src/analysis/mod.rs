//! Process-mining analyses over the store: the cases of a set of streams as
//! activity sequences in time order ([`cases`]), and the directly-follows
//! process map computed from them ([`map`]), and the performance figures
//! behind the dotted chart, the durations histogram and the activity table
//! ([`charts`]).
//!
//! An analysis reads the store once into a compact [`cases::CaseLog`] (each
//! event reduced to its activity and time) and computes from that; the
//! window keeps the computed result and redraws from it.

pub mod cases;
pub mod charts;
pub mod drawing;
pub mod map;
mod request;

pub use cases::{CaseEvent, CaseLog, CaseRef};
pub use drawing::{MapDrawing, MapMode};
pub use map::{MapActivity, MapEdge, MapElement, ProcessMap, Thinned, cases_containing};
pub use request::{MapError, MapRequest, object_types};
