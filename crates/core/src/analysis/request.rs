//! What a process map is of and how it is drawn, as one value that the CLI
//! and the window build alike ([`MapRequest`]), and the object types a store
//! offers to choose from.

use std::collections::HashSet;

use super::cases::CaseLog;
use super::drawing::{MapDrawing, MapMode, lay_out};
use super::map::ProcessMap;
use crate::store::{StoreError, StoreReader, schema::counter};

/// A process map to compute and draw.
#[derive(Debug, Clone, PartialEq)]
pub struct MapRequest {
    /// Only these streams (`None`: every stream).
    pub streams: Option<Vec<String>>,
    /// Only the streams of this object type (OCEL) or process type.
    pub object_type: Option<String>,
    pub mode: MapMode,
    /// Share of the activities shown, 0 to 1.
    pub activity_share: f32,
    /// Share of the paths shown, 0 to 1.
    pub path_share: f32,
}

impl Default for MapRequest {
    fn default() -> Self {
        MapRequest {
            streams: None,
            object_type: None,
            mode: MapMode::Frequency,
            activity_share: 1.0,
            path_share: 1.0,
        }
    }
}

/// Why a map could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("the store has no streams of object type {object_type:?} (its types: {known})")]
    UnknownObjectType { object_type: String, known: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl MapRequest {
    /// Reads the cases and computes the map.
    pub fn compute(&self, reader: &StoreReader) -> Result<(CaseLog, ProcessMap), MapError> {
        if let Some(object_type) = &self.object_type {
            let types = object_types(reader)?;
            if !types.iter().any(|(name, _)| name == object_type) {
                let known: Vec<&str> = types.iter().map(|(name, _)| name.as_str()).collect();
                return Err(MapError::UnknownObjectType {
                    object_type: object_type.clone(),
                    known: known.join(", "),
                });
            }
        }
        let streams: Option<HashSet<String>> = self
            .streams
            .as_ref()
            .map(|ids| ids.iter().cloned().collect());
        let log = CaseLog::load(reader, streams.as_ref(), self.object_type.as_deref())?;
        let map = ProcessMap::compute(&log);
        Ok((log, map))
    }

    /// The map drawn with this request's mode and sliders.
    pub fn draw(&self, map: &ProcessMap) -> MapDrawing {
        let thinned = map.thin(self.activity_share, self.path_share);
        lay_out(map, &thinned, self.mode)
    }
}

/// The object types (process types) of the store's streams with their
/// number of streams, by name.
pub fn object_types(reader: &StoreReader) -> Result<Vec<(String, u64)>, StoreError> {
    let mut types = reader.counters_with_prefix(counter::STREAMS_TYPE)?;
    types.retain(|(_, count)| *count > 0);
    Ok(types)
}
