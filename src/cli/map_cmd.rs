//! `map FILE [--json] [--object-type T] [--stream ID]... [--svg OUT] [--png OUT]
//! [--mode frequency|performance] [--activities SHARE] [--paths SHARE]`.

use std::path::Path;

use process_workbench_core::analysis::drawing::{duration_text, thousands};
use process_workbench_core::analysis::{MapError, MapMode, MapRequest, ProcessMap};
use process_workbench_core::store::{Store, StoreError};

use super::CliError;

/// The map the arguments ask for.
pub fn request(
    object_type: Option<String>,
    streams: Vec<String>,
    mode: &str,
    activity_share: f32,
    path_share: f32,
) -> Result<MapRequest, CliError> {
    for (name, share) in [("--activities", activity_share), ("--paths", path_share)] {
        if !(0.0..=1.0).contains(&share) {
            return Err(CliError::input(format!(
                "{name} {share} is not a share (expected 0 to 1, e.g. 0.5)"
            )));
        }
    }
    let mode = MapMode::parse(mode)
        .ok_or_else(|| CliError::input(format!("{mode:?} is not a map mode")))?;
    Ok(MapRequest {
        streams: (!streams.is_empty()).then_some(streams),
        object_type,
        mode,
        activity_share,
        path_share,
    })
}

/// Prints the map: as JSON, or as readable text.
pub fn map(path: &Path, request: &MapRequest, json: bool) -> Result<(), CliError> {
    let store = Store::open(path)?;
    let reader = store.read()?;
    let (_, map) = request.compute(&reader).map_err(|error| match error {
        MapError::Store(error) => CliError::from(error),
        other => CliError::input(format!("{}: {other}", path.display())),
    })?;
    if json {
        let text = serde_json::to_string_pretty(&map.to_json())
            .map_err(|error| CliError::from(StoreError::from(error)))?;
        println!("{text}");
    } else {
        print!("{}", text(&map));
    }
    Ok(())
}

/// The map as text: activities with their counts, then the edges.
fn text(map: &ProcessMap) -> String {
    let mut out = format!(
        "process map: {} cases, {} events, {} activities, {} edges\n",
        thousands(map.cases),
        thousands(map.events),
        map.activities.len(),
        map.edges.len()
    );
    out += "activities (events, starts, ends):\n";
    for activity in &map.activities {
        out += &format!(
            "  {:>10} {:>8} {:>8}  {}\n",
            thousands(activity.count),
            thousands(activity.start),
            thousands(activity.end),
            activity.name
        );
    }
    out += "edges (count, mean, median):\n";
    for edge in &map.edges {
        out += &format!(
            "  {:>10} {:>9} {:>9}  {} -> {}\n",
            thousands(edge.count),
            duration_text(edge.mean_s),
            duration_text(edge.median_s),
            map.activities[edge.from as usize].name,
            map.activities[edge.to as usize].name
        );
    }
    out
}
