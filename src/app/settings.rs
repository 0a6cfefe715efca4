//! What the window remembers between runs (eframe persistence): recent files,
//! theme, open panels and view. eframe itself keeps the window size.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::state::View;
use crate::state::command::ThemeChoice;

/// The key under which the settings are kept in eframe's storage.
pub const STORAGE_KEY: &str = "process-workbench/settings";

/// How many recent files are remembered.
const RECENT_FILES: usize = 10;

/// Settings kept between runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Most recently opened first.
    pub recent_files: Vec<PathBuf>,
    pub theme: ThemeChoice,
    pub show_navigation: bool,
    pub show_detail: bool,
    pub view: View,
    /// The user the audit trail records for this window's actions; empty:
    /// the logged-in user.
    pub user: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            recent_files: Vec::new(),
            theme: ThemeChoice::System,
            show_navigation: true,
            show_detail: true,
            view: View::Streams,
            user: String::new(),
        }
    }
}

impl Settings {
    /// Puts `path` first in the recent files.
    pub fn remember(&mut self, path: &Path) {
        self.recent_files.retain(|known| known != path);
        self.recent_files.insert(0, path.to_path_buf());
        self.recent_files.truncate(RECENT_FILES);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_files_are_most_recent_first_without_duplicates() {
        let mut settings = Settings::default();
        for name in ["a", "b", "a", "c"] {
            settings.remember(Path::new(name));
        }
        let names: Vec<_> = settings
            .recent_files
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        assert_eq!(names, ["c", "a", "b"]);
    }

    #[test]
    fn at_most_ten_are_kept() {
        let mut settings = Settings::default();
        for number in 0..15 {
            settings.remember(Path::new(&number.to_string()));
        }
        assert_eq!(settings.recent_files.len(), RECENT_FILES);
        assert_eq!(settings.recent_files[0], PathBuf::from("14"));
    }
}
