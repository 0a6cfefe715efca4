//! Process filters saved by name.
//!
//! They live in one JSON file of the user's (`filters.json` in the app's
//! data folder, beside the demo store), not in a store: a store opens
//! read-only and is often someone else's file, and a saved filter is a way
//! of looking, not a change to the processes — it would need writing
//! enabled and an audit entry for no process's sake. A filter names
//! process types, statuses and activities, so the same saved filter serves
//! every store of those processes (the demo store today and tomorrow's).
//! The window and the command line read the file here and write it through
//! the actions [`crate::actions::Action::SaveFilter`] and
//! [`crate::actions::Action::DeleteFilter`].

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::process::ProcessFilter;

/// The name of the file in the app's data folder.
pub const SAVED_FILTERS_FILE: &str = "filters.json";

/// The file's format version.
const FORMAT: u32 = 1;

/// The longest name a saved filter may have, in characters.
pub const MAX_NAME_CHARS: usize = 80;

/// Filters by name, in name order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedFilters {
    format: u32,
    filters: BTreeMap<String, ProcessFilter>,
}

impl Default for SavedFilters {
    fn default() -> Self {
        SavedFilters {
            format: FORMAT,
            filters: BTreeMap::new(),
        }
    }
}

/// Why the saved filters could not be read, or a name not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SavedFiltersError {
    #[error("the saved filters in {file} could not be read: {detail}")]
    Unreadable { file: String, detail: String },
    #[error("no saved filter is named {name:?} ({known})")]
    Unknown { name: String, known: String },
    #[error("{0}")]
    BadName(String),
}

impl SavedFilters {
    /// Reads the file; a file that is not there holds no filters.
    pub fn load(file: &Path) -> Result<SavedFilters, SavedFiltersError> {
        let unreadable = |detail: String| SavedFiltersError::Unreadable {
            file: file.display().to_string(),
            detail,
        };
        let bytes = match std::fs::read(file) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(SavedFilters::default());
            }
            Err(error) => return Err(unreadable(error.to_string())),
        };
        let saved: SavedFilters =
            serde_json::from_slice(&bytes).map_err(|error| unreadable(error.to_string()))?;
        if saved.format > FORMAT {
            return Err(unreadable(format!(
                "format {} is newer than this program's ({FORMAT})",
                saved.format
            )));
        }
        Ok(saved)
    }

    /// The filter saved as `name`; the error lists the names there are.
    pub fn get(&self, name: &str) -> Result<&ProcessFilter, SavedFiltersError> {
        self.filters
            .get(name)
            .ok_or_else(|| SavedFiltersError::Unknown {
                name: name.to_string(),
                known: if self.filters.is_empty() {
                    "none are saved".to_string()
                } else {
                    format!(
                        "saved: {}",
                        self.filters.keys().cloned().collect::<Vec<_>>().join(", ")
                    )
                },
            })
    }

    /// Every saved filter, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ProcessFilter)> {
        self.filters
            .iter()
            .map(|(name, filter)| (name.as_str(), filter))
    }

    /// How many filters are saved.
    pub fn len(&self) -> usize {
        self.filters.len()
    }

    /// Whether none are saved.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// Saves `filter` as `name` (replacing a filter of that name).
    pub fn insert(&mut self, name: &str, filter: ProcessFilter) -> Result<(), SavedFiltersError> {
        let name = check_name(name)?;
        self.filters.insert(name, filter);
        Ok(())
    }

    /// Forgets the filter `name`.
    pub fn remove(&mut self, name: &str) -> Result<ProcessFilter, SavedFiltersError> {
        self.get(name)?;
        self.filters
            .remove(name)
            .ok_or_else(|| SavedFiltersError::BadName(name.to_string()))
    }

    /// The file's text.
    pub fn to_json(&self) -> String {
        // A map of plain values: serializing cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// A name as saved: trimmed, not empty, not too long, no control characters.
pub fn check_name(name: &str) -> Result<String, SavedFiltersError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(SavedFiltersError::BadName(
            "a saved filter needs a name".to_string(),
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(SavedFiltersError::BadName(format!(
            "a filter's name has at most {MAX_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(SavedFiltersError::BadName(
            "a filter's name cannot hold control characters".to_string(),
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StreamStatus;

    #[test]
    fn filters_are_saved_by_name_and_an_unknown_name_lists_the_known() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join(SAVED_FILTERS_FILE);
        let mut saved = SavedFilters::load(&file).expect("no file: none saved");
        assert!(saved.is_empty());
        let failed = ProcessFilter {
            status: Some(StreamStatus::Failed),
            ..ProcessFilter::default()
        };
        saved.insert(" failed ", failed.clone()).expect("insert");
        std::fs::write(&file, saved.to_json()).expect("write");
        let read = SavedFilters::load(&file).expect("read");
        assert_eq!(read.get("failed"), Ok(&failed));
        let unknown = read.get("stuck").expect_err("unknown").to_string();
        assert_eq!(
            unknown,
            "no saved filter is named \"stuck\" (saved: failed)"
        );
        assert!(saved.insert("  ", failed).is_err());
        std::fs::write(&file, "{").expect("write");
        assert!(SavedFilters::load(&file).is_err());
    }
}
