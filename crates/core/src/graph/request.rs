//! A graph as the user asked for it — which event, what to include, which
//! layout — and the one function that builds and lays it out, for the
//! window's graph view and for exports alike.

use uuid::Uuid;

use super::{CausalGraph, ClosureOptions, GraphError, Layout, LayoutKind, closure, lanes, layered};
use crate::store::StoreReader;

/// Everything a laid-out graph depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphRequest {
    /// The selected event.
    pub root: Uuid,
    pub options: ClosureOptions,
    pub kind: LayoutKind,
}

/// Builds the closure of `request.root` and lays it out; `None` when
/// `cancelled` says so before the layout is done. `progress(done, total)`
/// follows the layout's passes.
pub fn laid_out(
    reader: &StoreReader,
    request: &GraphRequest,
    cancelled: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Option<(CausalGraph, Layout)>, GraphError> {
    let graph = closure(reader, request.root, &request.options)?;
    if cancelled() {
        return Ok(None);
    }
    let layout = match request.kind {
        LayoutKind::Layered => layered(&graph, cancelled, progress),
        LayoutKind::Lanes => lanes(&graph, cancelled, progress),
    };
    Ok(layout.ok().map(|layout| (graph, layout)))
}
