//! File > Import…: the dialog that chooses a process log (XES, OCEL, CSV,
//! JSONL), its format (for CSV: which columns are the case, the activity and
//! the timestamp, above the file's first rows), the UTC offset of times
//! written without one, and where it goes (a new store file, or the open store when
//! writing is enabled), and the background job that imports it with progress
//! and cancel. The import itself is the library's ([`process_workbench_core::import`]), the
//! same code path as the CLI's `import`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::{RichText, Ui};

use crate::state::command::{Command, Commands, ImportRequest, ImportTarget};
use crate::state::jobs::Job;
use crate::widgets::progress::job_progress_ui;
use process_workbench_core::engine::Operator;
use process_workbench_core::import::{
    CsvMapping, CsvPreview, Format, ImportOptions, ImportProgress, ImportReport, csv_preview,
    import_file_with, import_into_with, parse_utc_offset,
};
use process_workbench_core::store::Store;

/// The width of the dialog.
const DIALOG_WIDTH: f32 = 560.0;
/// The width of the path fields: with their label and buttons, a row as wide
/// as the dialog, so that the dialog does not grow past its text.
const FIELD_WIDTH: f32 = 280.0;

/// The dialog's fields, kept while it is open.
#[derive(Debug, Clone)]
pub struct ImportDialog {
    input: String,
    /// `None`: detect from the input's name (and first bytes).
    format: Option<Format>,
    into_open_store: bool,
    new_file: String,
    /// What `input` names, looked at once per change of the text, not every
    /// frame (telling OCEL JSON or an engine folder apart reads the file).
    looked_at: Option<LookedAt>,
    /// A CSV input's first rows and the columns chosen, read once per input.
    csv: Option<CsvColumns>,
    /// The UTC offset of times written without one, as typed (`+01:00`, `Z`).
    utc_offset: String,
}

/// The offset field's text when the dialog opens: UTC, as pm4py reads such times.
const DEFAULT_UTC_OFFSET: &str = "+00:00";

/// Rows of a CSV file shown in the dialog.
const PREVIEW_ROWS: usize = 5;

/// The CSV part of the dialog: the file's first rows and the column mapping.
#[derive(Debug, Clone)]
struct CsvColumns {
    input: String,
    preview: Result<CsvPreview, String>,
    mapping: CsvMapping,
}

/// What the dialog found at the typed input path.
#[derive(Debug, Clone)]
struct LookedAt {
    input: String,
    exists: bool,
    format: Option<Format>,
}

impl ImportDialog {
    /// A dialog for `input` (a dropped file, or empty when opened from the menu).
    pub fn new(input: Option<&Path>) -> ImportDialog {
        let mut dialog = ImportDialog {
            input: String::new(),
            format: None,
            into_open_store: false,
            new_file: String::new(),
            looked_at: None,
            csv: None,
            utc_offset: DEFAULT_UTC_OFFSET.to_string(),
        };
        if let Some(input) = input {
            dialog.set_input(input);
        }
        dialog
    }

    fn set_input(&mut self, input: &Path) {
        self.input = input.display().to_string();
        self.new_file = default_store_path(input).display().to_string();
    }

    /// What the input path names; looked at again only when its text changed.
    fn look_at_input(&mut self) -> LookedAt {
        let input = self.input.trim();
        match &self.looked_at {
            Some(looked) if looked.input == input => looked.clone(),
            _ => {
                let path = Path::new(input);
                let looked = LookedAt {
                    input: input.to_string(),
                    exists: !input.is_empty() && path.exists(),
                    format: Format::detect(path),
                };
                self.looked_at = Some(looked.clone());
                looked
            }
        }
    }

    /// The CSV preview and mapping of the input, read when the input changed.
    fn csv_columns(&mut self) -> &mut CsvColumns {
        let input = self.input.trim().to_string();
        if self.csv.as_ref().is_none_or(|csv| csv.input != input) {
            let preview =
                csv_preview(Path::new(&input), PREVIEW_ROWS).map_err(|error| error.to_string());
            let mapping = preview
                .as_ref()
                .map(|preview| CsvMapping::guess(&preview.headers))
                .unwrap_or_default();
            self.csv = Some(CsvColumns {
                input,
                preview,
                mapping,
            });
        }
        self.csv.get_or_insert_with(|| CsvColumns {
            input: String::new(),
            preview: Err(String::new()),
            mapping: CsvMapping::default(),
        })
    }

    /// The request the fields describe, or why they do not describe one yet.
    fn request(&mut self, can_write_open_store: bool) -> Result<ImportRequest, String> {
        let looked = self.look_at_input();
        let input = self.input.trim();
        if input.is_empty() {
            return Err("Choose the log or folder to import.".to_string());
        }
        let input = PathBuf::from(input);
        if !looked.exists {
            return Err(format!("{} does not exist.", input.display()));
        }
        let format = match self.format.or(looked.format) {
            Some(format) => format,
            None => {
                return Err(
                    "The format could not be told from the file's name: choose it.".to_string(),
                );
            }
        };
        let mut options = ImportOptions::default();
        if format == Format::Csv {
            let csv = self.csv_columns();
            let headers = match &csv.preview {
                Ok(preview) => &preview.headers,
                Err(error) => return Err(format!("The CSV file cannot be read: {error}")),
            };
            for (role, column) in [
                ("case", &csv.mapping.case),
                ("activity", &csv.mapping.activity),
                ("timestamp", &csv.mapping.timestamp),
            ] {
                if !headers.contains(column) {
                    return Err(format!("Choose the {role} column."));
                }
            }
            options.csv = csv.mapping.clone();
        }
        if format.takes_utc_offset() {
            options.utc_offset = parse_utc_offset(&self.utc_offset)
                .map_err(|error| format!("Times without an offset: {error}."))?;
        }
        let target = if self.into_open_store {
            if !can_write_open_store {
                return Err(
                    "Importing into the open store needs writing enabled (top right).".to_string(),
                );
            }
            ImportTarget::OpenStore
        } else {
            // Left empty, the store goes beside the log (the field's hint says where).
            let file = self.new_file.trim();
            ImportTarget::File(if file.is_empty() {
                default_store_path(&input)
            } else {
                PathBuf::from(file)
            })
        };
        Ok(ImportRequest {
            input,
            format,
            options,
            target,
        })
    }

    /// Shows the dialog; returns false when it was closed.
    pub fn ui(
        &mut self,
        ctx: &egui::Context,
        can_write_open_store: bool,
        commands: &mut Commands,
    ) -> bool {
        let modal = egui::Modal::new(egui::Id::unique("import_dialog")).show(ctx, |ui| {
            ui.set_width(DIALOG_WIDTH);
            ui.heading("Import a process log");
            ui.label(
                "XES (.xes, .xes.gz), OCEL 2.0 (JSON, XML, SQLite), OCEL 1.0 (JSON, XML), CSV, \
                 JSONL exports and the data folders of mako-engine and batpak become streams \
                 and events of a process store. The input is only read.",
            );
            ui.add_space(8.0);
            self.fields_ui(ui, can_write_open_store);
            if self.is_csv() {
                self.csv_preview_ui(ui);
            }
            ui.add_space(8.0);
            let request = self.request(can_write_open_store);
            if let Err(missing) = &request {
                ui.label(RichText::new(missing).color(ui.visuals().warn_fg_color));
            }
            let mut keep_open = true;
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(request.is_ok(), egui::Button::new("Import"))
                    .clicked()
                    && let Ok(request) = request
                {
                    commands.send(Command::StartImport(request));
                    keep_open = false;
                }
                if ui.button("Cancel").clicked() {
                    keep_open = false;
                }
            });
            keep_open
        });
        modal.inner && !modal.should_close()
    }

    fn fields_ui(&mut self, ui: &mut Ui, can_write_open_store: bool) {
        egui::Grid::new("import_fields")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                ui.label("Log");
                ui.horizontal(|ui| {
                    ui.add(
                        egui::TextEdit::singleline(&mut self.input)
                            .hint_text("path of the log to import")
                            .desired_width(FIELD_WIDTH),
                    )
                    .accessible_name("Input file");
                    if ui.button("Choose…").clicked()
                        && let Some(path) = rfd::FileDialog::new()
                            .set_title("Import a process log")
                            .add_filter(
                                "Process logs",
                                &[
                                    "xes", "gz", "jsonocel", "json", "xmlocel", "xml", "sqlite",
                                    "csv", "jsonl",
                                ],
                            )
                            .add_filter("All files", &["*"])
                            .pick_file()
                    {
                        self.set_input(&path);
                    }
                    if ui
                        .button("Choose folder…")
                        .on_hover_text("An engine's data folder (mako-engine, batpak)")
                        .clicked()
                        && let Some(path) = rfd::FileDialog::new()
                            .set_title("Import an engine's data folder")
                            .pick_folder()
                    {
                        self.set_input(&path);
                    }
                });
                ui.end_row();

                ui.label("Format");
                let detected = self.look_at_input().format;
                let automatic = match detected {
                    Some(format) => format!("Detect ({})", format_label(format)),
                    None => "Detect from the file".to_string(),
                };
                egui::ComboBox::from_id_salt("import_format")
                    .selected_text(self.format.map_or(automatic.clone(), format_label))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.format, None, automatic);
                        for format in Format::ALL {
                            ui.selectable_value(
                                &mut self.format,
                                Some(format),
                                format_label(format),
                            );
                        }
                    });
                ui.end_row();

                if self.is_csv() {
                    self.csv_mapping_ui(ui);
                }

                if self
                    .format
                    .or(detected)
                    .is_some_and(Format::takes_utc_offset)
                {
                    ui.label("UTC offset");
                    ui.horizontal(|ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut self.utc_offset)
                                .hint_text(DEFAULT_UTC_OFFSET)
                                .desired_width(64.0),
                        )
                        .accessible_name("Offset of times without one");
                        ui.label("of times written without one: +HH:MM, -HH:MM or Z")
                            .on_hover_text(
                                "A log that writes local times without an offset does not \
                                 say their zone; times with an offset keep it",
                            );
                    });
                    ui.end_row();
                }

                ui.label("Import into");
                ui.vertical(|ui| {
                    ui.radio_value(&mut self.into_open_store, false, "A store file");
                    ui.add_enabled_ui(!self.into_open_store, |ui| {
                        ui.horizontal(|ui| {
                            let proposed = match self.input.trim() {
                                "" => "new or existing .redb file".to_string(),
                                input => default_store_path(Path::new(input)).display().to_string(),
                            };
                            ui.add(
                                egui::TextEdit::singleline(&mut self.new_file)
                                    .hint_text(proposed)
                                    .desired_width(FIELD_WIDTH),
                            )
                            .accessible_name("Store file");
                            if ui.button("Choose…").clicked()
                                && let Some(path) = rfd::FileDialog::new()
                                    .set_title("Import into a store file")
                                    .add_filter("Process store", &["redb"])
                                    .save_file()
                            {
                                self.new_file = path.display().to_string();
                            }
                        });
                    });
                    let open_store = ui
                        .add_enabled(
                            can_write_open_store,
                            egui::RadioButton::new(self.into_open_store, "The open store"),
                        )
                        .on_disabled_hover_text(
                            "Enable writing (top right) to import into the open store",
                        );
                    if open_store.clicked() {
                        self.into_open_store = true;
                    }
                });
                ui.end_row();
            });
    }
}

impl ImportDialog {
    /// Whether the input is imported as CSV (chosen, or detected).
    fn is_csv(&mut self) -> bool {
        self.format.or(self.look_at_input().format) == Some(Format::Csv)
    }

    /// The column pickers of a CSV log: rows of the fields grid.
    fn csv_mapping_ui(&mut self, ui: &mut Ui) {
        let csv = self.csv_columns();
        let headers = match &csv.preview {
            Ok(preview) => preview.headers.clone(),
            Err(error) => {
                ui.label("Columns");
                ui.label(RichText::new(error.as_str()).color(ui.visuals().warn_fg_color));
                ui.end_row();
                return;
            }
        };
        for (label, column) in [
            ("Case column", &mut csv.mapping.case),
            ("Activity column", &mut csv.mapping.activity),
            ("Timestamp column", &mut csv.mapping.timestamp),
        ] {
            ui.label(label);
            egui::ComboBox::from_id_salt(label)
                .selected_text(column.as_str())
                .width(FIELD_WIDTH)
                .show_ui(ui, |ui| {
                    for header in &headers {
                        ui.selectable_value(column, header.clone(), header.as_str());
                    }
                });
            ui.end_row();
        }
    }

    /// The first rows of a CSV log, below the fields: a table as wide as
    /// the file's columns, scrolled sideways within the dialog (inside the
    /// fields grid it would spill over the rows below it).
    fn csv_preview_ui(&mut self, ui: &mut Ui) {
        if let Ok(preview) = &self.csv_columns().preview {
            ui.add_space(8.0);
            ui.label("First rows");
            egui::ScrollArea::horizontal()
                .max_width(DIALOG_WIDTH)
                .show(ui, |ui| {
                    egui::Grid::new("csv_preview")
                        .striped(true)
                        .spacing([12.0, 2.0])
                        .show(ui, |ui| {
                            for header in &preview.headers {
                                ui.strong(header);
                            }
                            ui.end_row();
                            for row in &preview.rows {
                                for cell in row {
                                    ui.label(cell);
                                }
                                ui.end_row();
                            }
                        });
                });
        }
    }
}

/// How a format is named in the window.
fn format_label(format: Format) -> String {
    match format.as_str() {
        "ocel" => "OCEL (JSON, XML, SQLite)".to_string(),
        "mako" => "mako-engine store folder".to_string(),
        "batpak" => "batpak data folder".to_string(),
        other => other.to_uppercase(),
    }
}

/// `log.xes.gz` → `log.redb` beside it.
fn default_store_path(input: &Path) -> PathBuf {
    let name = input
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let stem = if stem.is_empty() { "imported" } else { stem };
    input.with_file_name(format!("{stem}.redb"))
}

/// An import running in the background.
pub struct RunningImport {
    pub request: ImportRequest,
    job: Job<Result<ImportReport, String>>,
}

/// How an import ended.
pub enum ImportEnd {
    /// Done; open `file` (a new store) or refresh the open store (`None`).
    Done {
        file: Option<PathBuf>,
        summary: String,
    },
    Failed(String),
}

impl RunningImport {
    /// Starts the import; `open_store` is the window's store when the request
    /// targets it; `operator` is recorded in the import's audit entry.
    pub fn start(
        request: ImportRequest,
        open_store: Option<Arc<Store>>,
        operator: Operator,
        repaint: Option<egui::Context>,
    ) -> RunningImport {
        let name = format!("Importing {}", request.input.display());
        let work = request.clone();
        let job = Job::spawn(name, repaint, move |worker| {
            let mut progress = |step: ImportProgress| {
                worker.progress(step.bytes_read, step.bytes_total);
                !worker.is_cancelled()
            };
            let result = match (&work.target, open_store) {
                (ImportTarget::File(file), _) => import_file_with(
                    file,
                    work.format,
                    &work.input,
                    &work.options,
                    &operator,
                    &mut progress,
                ),
                (ImportTarget::OpenStore, Some(store)) => import_into_with(
                    &store,
                    work.format,
                    &work.input,
                    &work.options,
                    &operator,
                    &mut progress,
                ),
                (ImportTarget::OpenStore, None) => {
                    worker.send(Err("no store is open for writing".to_string()));
                    return;
                }
            };
            worker.send(result.map_err(|error| error.to_string()));
        });
        RunningImport { request, job }
    }

    /// How the import ended, once it has.
    pub fn poll(&mut self) -> Option<ImportEnd> {
        let outcome = match self.job.poll().pop() {
            Some(outcome) => outcome,
            None if self.job.is_finished() => Err("the import stopped unexpectedly".to_string()),
            None => return None,
        };
        let input = self.request.input.display();
        Some(match outcome {
            Ok(report) => ImportEnd::Done {
                file: match &self.request.target {
                    ImportTarget::File(file) => Some(file.clone()),
                    ImportTarget::OpenStore => None,
                },
                summary: format!("Imported {} from {input}.", report.describe()),
            },
            Err(message) => ImportEnd::Failed(format!(
                "The import of {input} failed, and nothing was changed: {message}"
            )),
        })
    }

    /// The progress line with its Cancel button.
    pub fn ui(&self, ui: &mut Ui) {
        ui.add_space(24.0);
        ui.heading(self.job.name());
        let (done, total) = self.job.progress();
        if job_progress_ui(ui, "Reading", done / 1024, total / 1024, "KiB") {
            self.job.cancel();
        }
        if self.job.is_cancelled() {
            ui.label("Cancelling: the store is left as it was.");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_store_file_sits_beside_the_log() {
        assert_eq!(
            default_store_path(Path::new("/logs/helpdesk.xes.gz")),
            PathBuf::from("/logs/helpdesk.redb")
        );
        assert_eq!(
            default_store_path(Path::new("orders.jsonocel")),
            PathBuf::from("orders.redb")
        );
    }

    #[test]
    fn an_empty_store_file_means_beside_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("claims.xes");
        std::fs::write(&log, "<log/>").unwrap();
        let mut dialog = ImportDialog::new(None);
        dialog.input = log.display().to_string();
        let request = dialog.request(false).unwrap();
        assert_eq!(request.format, Format::Xes);
        assert_eq!(
            request.target,
            ImportTarget::File(dir.path().join("claims.redb"))
        );
    }

    #[test]
    fn the_offset_of_times_without_one_goes_into_the_options() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("orders.jsonocel");
        std::fs::write(&log, "{\"objectTypes\": []}").unwrap();
        let mut dialog = ImportDialog::new(Some(&log));
        assert_eq!(
            dialog.request(false).unwrap().options.utc_offset,
            time::UtcOffset::UTC
        );
        dialog.utc_offset = "+01:00".to_string();
        assert_eq!(
            dialog.request(false).unwrap().options.utc_offset,
            time::UtcOffset::from_hms(1, 0, 0).unwrap()
        );
        dialog.utc_offset = "CET".to_string();
        let error = dialog.request(false).unwrap_err();
        assert!(
            error.starts_with("Times without an offset: 'CET'"),
            "{error}"
        );
    }

    #[test]
    fn an_incomplete_dialog_says_what_is_missing() {
        let mut dialog = ImportDialog::new(None);
        assert_eq!(
            dialog.request(false),
            Err("Choose the log or folder to import.".to_string())
        );
    }
}
