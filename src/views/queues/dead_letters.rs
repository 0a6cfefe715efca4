//! Dead letters: failure groups (reason × message type) → the list of a group
//! (filters above) → one item (original message, reason detail, stream link,
//! attempt history). Resubmit as is, edit and resubmit (a JSON editor that
//! refuses invalid JSON with the parser's position, a side-by-side diff and a
//! what-if preview), discard, and bulk actions over a selection or a group.

use std::collections::BTreeSet;
use std::sync::Arc;

use egui::{Color32, RichText, Sense, Ui};
use egui_extras::{Column, TableBuilder};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::state::command::Command;
use crate::state::jobs::{Job, Worker};
use crate::widgets::fit;
use crate::widgets::json_tree::JsonTree;
use crate::widgets::time::{format_count, format_time, parse_time_input, short_id};
use process_workbench_core::engine::{Engine, Preview, PreviewOutcome};
use process_workbench_core::queues::{
    BulkAction, DeadLetterFilter, DeadLetterRow, FailureGroup, Triage, triage,
};
use process_workbench_core::store::{DeadLetter, DeadLetterStatus, Store};

use super::super::ViewContext;
use super::shared::{Confirm, Loader, READ_ONLY_EXPLANATION, confirm_ui, write_enabled};
use process_workbench_core::actions::Action;

const ROW_HEIGHT: f32 = 22.0;
/// The width of the list's checkbox column.
const CHECKBOX_WIDTH: f32 = 24.0;
/// The narrowest the open item gets beside the lists: its field names and
/// values, the attempt history, the original message.
const ITEM_MIN_WIDTH: f32 = 440.0;
/// Rows whose stream ids are measured for the width of the compact list.
const MEASURED_ROWS: usize = 1_000;

/// The JSON editor of an edited resubmission.
struct Editor {
    id: Uuid,
    original: Value,
    original_text: String,
    text: String,
    parsed: Result<Value, String>,
    preview: Option<Job<Result<Preview, String>>>,
    /// The preview and the text it was made of.
    previewed: Option<(String, Result<Preview, String>)>,
}

impl Editor {
    fn new(id: Uuid, original: Value) -> Editor {
        let original_text = serde_json::to_string_pretty(&original).unwrap_or_default();
        Editor {
            id,
            parsed: Ok(original.clone()),
            text: original_text.clone(),
            original,
            original_text,
            preview: None,
            previewed: None,
        }
    }

    fn reparse(&mut self) {
        self.parsed = parse_payload(&self.text);
    }
}

/// Parses an edited payload; the error names the parser's message, line and column.
pub fn parse_payload(text: &str) -> Result<Value, String> {
    serde_json::from_str::<Value>(text).map_err(|error| {
        format!(
            "Invalid JSON at line {}, column {}: {error}",
            error.line(),
            error.column()
        )
    })
}

/// The open item as read: (id, generation) it was read at, the record, its tree.
type ItemRecord = ((Uuid, u64), Option<DeadLetter>, JsonTree);

/// The dead letters view.
#[derive(Default)]
pub struct DeadLettersView {
    triage: Loader<Triage>,
    /// The filter being typed.
    pub status: Option<DeadLetterStatus>,
    pub from: String,
    pub to: String,
    pub process_type: String,
    pub json_path: String,
    /// The filter of the shown triage.
    applied: DeadLetterFilter,
    filter_error: Option<String>,
    group: Option<(String, String)>,
    selected: BTreeSet<Uuid>,
    item: Option<Uuid>,
    /// The open item as read, with the key it was read at.
    item_record: Option<ItemRecord>,
    editor: Option<Editor>,
    confirm: Option<Confirm>,
}

impl DeadLettersView {
    /// Whether a read or a preview is under way.
    pub fn is_busy(&self) -> bool {
        self.triage.is_busy() || self.editor.as_ref().is_some_and(|e| e.preview.is_some())
    }

    /// The failure groups shown (tests).
    pub fn groups(&self) -> Vec<FailureGroup> {
        self.triage
            .value
            .current()
            .map(|t| t.groups.clone())
            .unwrap_or_default()
    }

    /// Parses the typed filter into the one applied; false (with a message) when a part is unreadable.
    fn apply_filter(&mut self) -> bool {
        let time = |text: &str| -> Result<Option<OffsetDateTime>, String> {
            if text.trim().is_empty() {
                Ok(None)
            } else {
                parse_time_input(text).map(Some)
            }
        };
        let json_path = if self.json_path.trim().is_empty() {
            Ok(None)
        } else {
            DeadLetterFilter::parse_json_path(&self.json_path)
                .map(Some)
                .map_err(|error| format!("JSONPath {}: {error}", self.json_path.trim()))
        };
        match (time(&self.from), time(&self.to), json_path) {
            (Ok(from), Ok(to), Ok(json_path)) => {
                self.applied = DeadLetterFilter {
                    status: self.status,
                    from,
                    to,
                    process_type: Some(self.process_type.trim().to_string())
                        .filter(|t| !t.is_empty()),
                    json_path,
                };
                self.filter_error = None;
                self.triage.invalidate();
                true
            }
            (Err(error), ..) | (_, Err(error), _) | (.., Err(error)) => {
                self.filter_error = Some(error);
                false
            }
        }
    }

    /// Shows the view.
    pub fn ui(&mut self, ui: &mut Ui, context: &mut ViewContext<'_>) {
        let filter = self.applied.clone();
        self.triage.update(ui, context, move |store, worker| {
            let reader = store.read().map_err(|e| e.to_string())?;
            triage(&reader, &filter, &|| worker.is_cancelled()).map_err(|e| e.to_string())
        });
        self.poll_preview();
        ui.heading("Dead letters");
        let can_write = write_enabled(ui, context);
        self.filter_ui(ui);
        self.triage.status_ui(ui);
        if self.item.is_none() {
            self.lists_ui(ui, can_write, false);
        } else {
            // The lists beside the item when both fit: the lists compact
            // (without the columns the open item repeats), the item with room
            // for its fields and editor. Else the item alone; its Close button
            // leads back to the lists.
            let lists_width = self.compact_lists_width(ui);
            let spacing = ui.spacing().item_spacing.x;
            if lists_width + spacing + ITEM_MIN_WIDTH <= ui.available_width() {
                // Strip cells clip, so a list never draws over the item.
                egui_extras::StripBuilder::new(ui)
                    .clip(true)
                    .size(egui_extras::Size::exact(lists_width))
                    .size(egui_extras::Size::remainder().at_least(ITEM_MIN_WIDTH))
                    .horizontal(|mut strip| {
                        strip.cell(|ui| self.lists_ui(ui, can_write, true));
                        strip.cell(|ui| self.item_scroll_ui(ui, context, can_write));
                    });
            } else {
                self.item_scroll_ui(ui, context, can_write);
            }
        }
        confirm_ui(ui, &mut self.confirm, context);
    }

    /// The open item, scrolling at full height.
    fn item_scroll_ui(&mut self, ui: &mut Ui, context: &mut ViewContext<'_>, can_write: bool) {
        egui::ScrollArea::vertical()
            .id_salt("dead_letter_item_scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                // A strip cell truncates text; the item's texts wrap instead.
                ui.style_mut().wrap_mode = None;
                self.item_ui(ui, context, can_write);
            });
    }

    /// The width of the compact lists (the failure groups without their
    /// times, the dead letters without the reason and message type of the
    /// chosen group): every column as wide as its header and widest cell.
    fn compact_lists_width(&self, ui: &Ui) -> f32 {
        let Some(result) = self.triage.value.current() else {
            return 0.0;
        };
        let widest = |title: &str, cells: &mut dyn Iterator<Item = String>| {
            cells
                .map(|cell| fit::text_width(ui, cell))
                .fold(fit::header_width(ui, title), f32::max)
        };
        let groups = &result.groups;
        let reasons = widest("Reason", &mut groups.iter().map(|g| g.reason.clone()));
        let types = widest(
            "Message type",
            &mut groups.iter().map(|g| g.message_type.clone()),
        );
        let group_columns = [
            reasons,
            types,
            widest("Count", &mut groups.iter().map(|g| format_count(g.count))),
            widest("Open", &mut groups.iter().map(|g| format_count(g.open))),
        ];
        let rows = result.rows.iter().filter(|row| {
            self.group
                .as_ref()
                .is_none_or(|(reason, kind)| &row.reason == reason && &row.message_type == kind)
        });
        // Stream ids are alike in length; a sample is enough for a long list.
        let streams = widest(
            "Stream",
            &mut rows.take(MEASURED_ROWS).map(|row| {
                let stream = row.stream_id.as_deref().unwrap_or("—");
                fit::shortened(stream, fit::ID_CHARS).into_owned()
            }),
        );
        let recorded = widest(
            "Recorded",
            &mut result
                .rows
                .first()
                .map(|row| format_time(row.recorded_at))
                .into_iter(),
        );
        let statuses = widest(
            "Status",
            &mut DeadLetterStatus::ALL.iter().map(|s| s.as_str().to_string()),
        );
        let mut list_columns = vec![CHECKBOX_WIDTH, recorded, statuses];
        if self.group.is_none() {
            list_columns.extend([reasons, types]);
        }
        list_columns.push(streams);
        let spacing = ui.spacing().item_spacing.x;
        let width = |columns: &[f32]| {
            columns.iter().sum::<f32>() + spacing * columns.len().saturating_sub(1) as f32
        };
        // Room for the tables' scroll bars, too.
        width(&group_columns).max(width(&list_columns)) + ui.spacing().scroll.allocated_width()
    }

    /// Counts, failure groups, bulk actions and the list of the chosen group;
    /// `compact` leaves out the columns an open item repeats.
    fn lists_ui(&mut self, ui: &mut Ui, can_write: bool, compact: bool) {
        let Some(result) = self.triage.value.current() else {
            return;
        };
        // Texts wrap (a strip cell would truncate them).
        ui.style_mut().wrap_mode = None;
        let groups = result.groups.clone();
        let rows: Vec<DeadLetterRow> = result
            .rows
            .iter()
            .filter(|row| {
                self.group.as_ref().is_none_or(|(reason, message_type)| {
                    &row.reason == reason && &row.message_type == message_type
                })
            })
            .cloned()
            .collect();
        ui.label(format!(
            "{} dead letters in {} failure groups",
            format_count(result.rows.len() as u64),
            format_count(groups.len() as u64)
        ));
        // The button row wraps at the lists' width, however wide a table is.
        let width = ui.available_width();
        self.groups_ui(ui, &groups, compact);
        ui.allocate_ui_with_layout(
            egui::vec2(width, 0.0),
            egui::Layout::left_to_right(egui::Align::Center).with_main_wrap(true),
            |ui| self.bulk_ui(ui, &rows, can_write),
        );
        ui.separator();
        self.list_ui(ui, &rows, compact);
    }

    fn filter_ui(&mut self, ui: &mut Ui) {
        let mut apply = false;
        ui.horizontal_wrapped(|ui| {
            ui.label("Status");
            let label = self.status.map_or("any", DeadLetterStatus::as_str);
            egui::ComboBox::from_id_salt("dead_letter_status")
                .selected_text(label)
                .show_ui(ui, |ui| {
                    apply |= ui.selectable_value(&mut self.status, None, "any").clicked();
                    for status in DeadLetterStatus::ALL {
                        apply |= ui
                            .selectable_value(&mut self.status, Some(status), status.as_str())
                            .clicked();
                    }
                });
            for (hint, text, width) in [
                ("from", &mut self.from, 110.0),
                ("to", &mut self.to, 110.0),
                ("stream type", &mut self.process_type, 110.0),
                (
                    "JSONPath over the message, e.g. $.payload.amount",
                    &mut self.json_path,
                    260.0,
                ),
            ] {
                let response = ui
                    .add(
                        egui::TextEdit::singleline(text)
                            .hint_text(hint)
                            .desired_width(fit::field_width(ui, hint, width)),
                    )
                    .accessible_name(hint);
                apply |= response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            }
            apply |= ui.button("Apply filters").clicked();
        });
        if apply {
            self.apply_filter();
        }
        if let Some(error) = &self.filter_error {
            ui.label(RichText::new(error).color(ui.visuals().warn_fg_color));
        }
    }

    /// The failure groups; `compact` leaves out when they were first and last seen.
    fn groups_ui(&mut self, ui: &mut Ui, groups: &[FailureGroup], compact: bool) {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Failure groups").strong());
            if self.group.is_some() && ui.button("Show all groups").clicked() {
                self.group = None;
            }
        });
        ui.push_id("dead_letter_groups", |ui| {
            // Plain labels, so that a click on a cell selects the row.
            ui.style_mut().interaction.selectable_labels = false;
            let titles = [
                "Reason",
                "Message type",
                "Count",
                "Open",
                "First seen",
                "Last seen",
            ];
            let titles = if compact { &titles[..4] } else { &titles[..] };
            // Every column as wide as its header and cells: nothing is cut.
            let mut builder = TableBuilder::new(ui)
                .id_salt("dead_letter_groups_table")
                .striped(true)
                .resizable(true)
                .sense(Sense::click())
                .max_scroll_height(150.0)
                .auto_shrink([false, true])
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                .columns(fit::column(), titles.len() - 1);
            builder = builder.column(if compact {
                fit::column()
            } else {
                Column::remainder()
            });
            builder
                .header(ROW_HEIGHT + 4.0, |mut header| {
                    for title in titles {
                        header.col(|ui| {
                            ui.label(RichText::new(*title).strong());
                        });
                    }
                })
                .body(|body| {
                    body.rows(ROW_HEIGHT, groups.len(), |mut row| {
                        let Some(group) = groups.get(row.index()) else {
                            return;
                        };
                        let key = (group.reason.clone(), group.message_type.clone());
                        row.set_selected(self.group.as_ref() == Some(&key));
                        row.col(|ui| {
                            ui.label(&group.reason);
                        });
                        row.col(|ui| {
                            ui.label(&group.message_type);
                        });
                        row.col(|ui| {
                            ui.label(format_count(group.count));
                        });
                        row.col(|ui| {
                            ui.label(format_count(group.open));
                        });
                        if !compact {
                            row.col(|ui| {
                                ui.label(format_time(group.first_seen));
                            });
                            row.col(|ui| {
                                ui.label(format_time(group.last_seen));
                            });
                        }
                        if row.response().clicked() {
                            self.group = Some(key);
                            self.selected.clear();
                        }
                    });
                });
        });
    }

    fn bulk_ui(&mut self, ui: &mut Ui, rows: &[DeadLetterRow], can_write: bool) {
        let hint =
            |response: egui::Response| response.on_disabled_hover_text(READ_ONLY_EXPLANATION);
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "{} selected",
                format_count(self.selected.len() as u64)
            ));
            if ui.button("Select all shown").clicked() {
                self.selected.extend(rows.iter().map(|row| row.id));
            }
            if ui
                .add_enabled(
                    !self.selected.is_empty(),
                    egui::Button::new("Clear selection"),
                )
                .clicked()
            {
                self.selected.clear();
            }
            let selection: Vec<&DeadLetterRow> = rows
                .iter()
                .filter(|row| self.selected.contains(&row.id))
                .collect();
            for action in [BulkAction::Resubmit, BulkAction::Discard] {
                let label = format!("{} selected…", capitalized(action.verb()));
                if hint(
                    ui.add_enabled(can_write && !selection.is_empty(), egui::Button::new(label)),
                )
                .clicked()
                {
                    self.confirm = Some(bulk_confirm(
                        action,
                        &selection,
                        "the selected dead letters",
                    ));
                }
            }
            if let Some((reason, message_type)) = self.group.clone() {
                let all: Vec<&DeadLetterRow> = rows.iter().collect();
                let name = format!("group {reason} × {message_type}");
                for action in [BulkAction::Resubmit, BulkAction::Discard] {
                    let label = format!("{} group…", capitalized(action.verb()));
                    if hint(ui.add_enabled(can_write && !all.is_empty(), egui::Button::new(label)))
                        .clicked()
                    {
                        self.confirm = Some(bulk_confirm(action, &all, &name));
                    }
                }
            }
        });
    }

    /// The dead letters shown; `compact` leaves out the reason and message
    /// type when a group is chosen (they are the group's).
    fn list_ui(&mut self, ui: &mut Ui, rows: &[DeadLetterRow], compact: bool) {
        let kinds = !(compact && self.group.is_some());
        // Plain labels, so that a click on a cell selects the row.
        ui.style_mut().interaction.selectable_labels = false;
        let titles: &[&str] = if kinds {
            &["", "Recorded", "Status", "Reason", "Message type", "Stream"]
        } else {
            &["", "Recorded", "Status", "Stream"]
        };
        // Every column as wide as its header and cells: nothing is cut.
        TableBuilder::new(ui)
            .id_salt("dead_letter_list")
            .striped(true)
            .resizable(true)
            .sense(Sense::click())
            .auto_shrink([false, false])
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::exact(CHECKBOX_WIDTH))
            .columns(fit::column(), titles.len() - 2)
            .column(Column::remainder())
            .header(ROW_HEIGHT + 4.0, |mut header| {
                for title in titles {
                    header.col(|ui| {
                        ui.label(RichText::new(*title).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(ROW_HEIGHT, rows.len(), |mut row| {
                    let Some(letter) = rows.get(row.index()) else {
                        return;
                    };
                    row.set_selected(self.item == Some(letter.id));
                    row.col(|ui| {
                        let mut checked = self.selected.contains(&letter.id);
                        if ui.checkbox(&mut checked, "").changed() {
                            if checked {
                                self.selected.insert(letter.id);
                            } else {
                                self.selected.remove(&letter.id);
                            }
                        }
                    });
                    row.col(|ui| {
                        ui.label(format_time(letter.recorded_at));
                    });
                    row.col(|ui| {
                        ui.label(letter.status.as_str());
                    });
                    if kinds {
                        row.col(|ui| {
                            ui.label(&letter.reason);
                        });
                        row.col(|ui| {
                            ui.label(&letter.message_type);
                        });
                    }
                    row.col(|ui| {
                        let stream = letter.stream_id.as_deref().unwrap_or("—");
                        ui.label(fit::shortened(stream, fit::ID_CHARS))
                            .on_hover_text(stream);
                    });
                    if row.response().clicked() {
                        self.open_item(letter.id);
                    }
                });
            });
    }

    /// Opens one dead letter in the item panel.
    pub fn open_item(&mut self, id: Uuid) {
        if self.item != Some(id) {
            self.item = Some(id);
            self.editor = None;
        }
    }

    fn item_ui(&mut self, ui: &mut Ui, context: &mut ViewContext<'_>, can_write: bool) {
        let Some(id) = self.item else {
            return;
        };
        let key = (id, context.store.generation);
        if self.item_record.as_ref().is_none_or(|(k, ..)| *k != key) {
            let letter = context
                .store
                .store
                .read()
                .and_then(|r| r.dead_letter(id))
                .ok()
                .flatten();
            let tree = JsonTree::new(letter.as_ref().map_or(&Value::Null, |l| &l.original), 2);
            self.item_record = Some((key, letter, tree));
        }
        let Some((_, Some(letter), tree)) = &mut self.item_record else {
            ui.label("This dead letter is not in the store (any more).");
            return;
        };
        let letter = letter.clone();
        ui.horizontal_wrapped(|ui| {
            ui.heading(format!("Dead letter {}", short_id(letter.id)));
            if ui.small_button("Close").clicked() {
                self.item = None;
            }
        });
        egui::Grid::new("dead_letter_fields")
            .min_col_width(100.0)
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                let field = |ui: &mut Ui, name: &str, value: String| {
                    // Names never shrink to "Reas…"; the values wrap instead.
                    ui.add(egui::Label::new(RichText::new(name).strong()).extend());
                    ui.add(egui::Label::new(value).wrap());
                    ui.end_row();
                };
                field(ui, "Id", letter.id.to_string());
                field(ui, "Status", letter.status.as_str().to_string());
                field(ui, "Reason", letter.reason.clone());
                field(ui, "Detail", letter.detail.clone());
                field(ui, "Message type", letter.message_type.clone());
                field(
                    ui,
                    "Direction",
                    format!("{:?}", letter.direction).to_lowercase(),
                );
                field(
                    ui,
                    "Process type",
                    letter.process_type.clone().unwrap_or_else(|| "—".into()),
                );
                field(ui, "Recorded", format_time(letter.recorded_at));
                ui.label(RichText::new("Stream").strong());
                match &letter.stream_id {
                    Some(stream) => {
                        if ui.link(stream).clicked() {
                            context.send(Command::GoToStream(stream.clone()));
                        }
                    }
                    None => {
                        ui.label("— (no stream: the message could not be routed)");
                    }
                }
                ui.end_row();
                if let Some(resolution) = &letter.resolution {
                    field(
                        ui,
                        "Resolved",
                        format!(
                            "{} by {} at {}: {}",
                            resolution.action,
                            resolution.user,
                            format_time(resolution.at),
                            resolution.reason
                        ),
                    );
                    if let Some(new_id) = resolution.new_message_id {
                        field(ui, "New message", new_id.to_string());
                    }
                }
            });
        // While editing, the editor shows the original side by side instead.
        let editing = self.editor.as_ref().is_some_and(|e| e.id == letter.id);
        if !editing {
            ui.add_space(4.0);
            ui.label(
                RichText::new(format!("Attempt history ({})", letter.attempts.len())).strong(),
            );
            egui::Grid::new("dead_letter_attempts")
                .num_columns(3)
                .striped(true)
                .show(ui, |ui| {
                    for attempt in &letter.attempts {
                        ui.add(egui::Label::new(format_time(attempt.at)).extend());
                        ui.add(egui::Label::new(&attempt.by).extend());
                        ui.add(egui::Label::new(&attempt.error).wrap());
                        ui.end_row();
                    }
                });
            ui.add_space(4.0);
            ui.label(RichText::new("Original message").strong());
            tree.ui(
                ui,
                "dead_letter_original",
                "message",
                &letter.original,
                220.0,
            );
        }
        ui.add_space(6.0);
        let open = letter.status == DeadLetterStatus::Open;
        let why = if open {
            READ_ONLY_EXPLANATION
        } else {
            "Only open dead letters can be resubmitted or discarded."
        };
        let enabled = can_write && open;
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(enabled, egui::Button::new("Resubmit as is…"))
                .on_disabled_hover_text(why)
                .clicked()
            {
                self.confirm = Some(
                    Confirm::new(
                        Action::Resubmit {
                            dead_letter: letter.id,
                            payload: None,
                        },
                        format!("Resubmit dead letter {} as it is?", short_id(letter.id)),
                        "Yes, resubmit",
                    )
                    .line(format!(
                        "{} is handled again now, unchanged.",
                        letter.message_type
                    )),
                );
            }
            if ui
                .add_enabled(enabled, egui::Button::new("Edit & resubmit…"))
                .on_disabled_hover_text(why)
                .clicked()
            {
                let payload = letter
                    .original
                    .get("payload")
                    .cloned()
                    .unwrap_or(Value::Null);
                self.editor = Some(Editor::new(letter.id, payload));
            }
            if ui
                .add_enabled(enabled, egui::Button::new("Discard…"))
                .on_disabled_hover_text(why)
                .clicked()
            {
                self.confirm = Some(
                    Confirm::new(
                        Action::Discard {
                            dead_letter: letter.id,
                        },
                        format!("Discard dead letter {}?", short_id(letter.id)),
                        "Yes, discard",
                    )
                    .line(
                        "It is closed without being handled; it stays in the store as discarded.",
                    ),
                );
            }
        });
        if !open {
            ui.weak(why);
        }
        if self.editor.as_ref().is_some_and(|e| e.id == letter.id) {
            ui.separator();
            self.editor_ui(ui, context, can_write && open);
        }
    }

    fn editor_ui(&mut self, ui: &mut Ui, context: &mut ViewContext<'_>, can_write: bool) {
        let Some(editor) = &mut self.editor else {
            return;
        };
        ui.label(RichText::new("Edit the payload").strong());
        ui.weak("The original is never changed: the edited message is a new one, linked to it.");
        let mut changed = false;
        ui.columns(2, |columns| {
            columns[0].label("Original");
            // Compare against the edit pretty-printed like the original, so
            // that only real changes are marked, not a different layout.
            let edited = match &editor.parsed {
                Ok(value) => serde_json::to_string_pretty(value).unwrap_or_default(),
                Err(_) => editor.text.clone(),
            };
            let removed = lines_not_in(&editor.original_text, &edited);
            diff_text_ui(&mut columns[0], &editor.original_text, &removed, false);
            columns[1].label("Edited");
            let response = columns[1]
                .add(
                    egui::TextEdit::multiline(&mut editor.text)
                        .id_salt("dead_letter_editor")
                        .code_editor()
                        .desired_rows(10)
                        .desired_width(f32::INFINITY),
                )
                .accessible_name("Edited payload");
            changed = response.changed();
        });
        if changed {
            editor.reparse();
        }
        match &editor.parsed {
            Err(error) => {
                ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
            }
            Ok(value) => {
                let ops = json_patch::diff(&editor.original, value);
                if ops.0.is_empty() {
                    ui.label("Valid JSON, unchanged.");
                } else {
                    ui.label(format!("Valid JSON, {} changes:", ops.0.len()));
                    for op in &ops.0 {
                        ui.monospace(serde_json::to_string(op).unwrap_or_default());
                    }
                }
            }
        }
        let valid = editor.parsed.is_ok();
        let previewed_current = editor
            .previewed
            .as_ref()
            .is_some_and(|(text, result)| *text == editor.text && result.is_ok());
        let mut confirm = None;
        let mut close = false;
        ui.horizontal_wrapped(|ui| {
            let preview = ui
                .add_enabled(can_write && valid && editor.preview.is_none(), egui::Button::new("Preview"))
                .on_disabled_hover_text(if valid {
                    "The preview runs in a transaction that is rolled back; it needs writing enabled."
                } else {
                    "Fix the JSON first."
                });
            if preview.clicked()
                && let Ok(payload) = &editor.parsed
            {
                editor.preview = Some(start_preview(
                    Arc::clone(&context.store.store),
                    editor.id,
                    payload.clone(),
                    context.now,
                    ui.ctx().clone(),
                ));
                editor.previewed = None;
            }
            let resubmit = ui
                .add_enabled(can_write && valid && previewed_current, egui::Button::new("Resubmit edited…"))
                .on_disabled_hover_text("Preview the edited message first.");
            if resubmit.clicked()
                && let Ok(payload) = &editor.parsed
            {
                let rejected = matches!(
                    editor.previewed.as_ref().map(|(_, r)| r),
                    Some(Ok(Preview { outcome: PreviewOutcome::Rejected { .. }, .. }))
                );
                let mut pending = Confirm::new(
                    Action::Resubmit { dead_letter: editor.id, payload: Some(payload.clone()) },
                    format!("Resubmit dead letter {} with the edited payload?", short_id(editor.id)),
                    "Yes, resubmit edited",
                )
                .line("A new message with the edited payload is handled now; the original stays as it was.");
                if rejected {
                    pending = pending.line("The preview says it will be refused again.");
                }
                confirm = Some(pending);
            }
            close = ui.button("Close editor").clicked();
        });
        if confirm.is_some() {
            self.confirm = confirm;
        }
        if close {
            self.editor = None;
        }
        let Some(editor) = &self.editor else {
            return;
        };
        if editor.preview.is_some() {
            ui.horizontal(|ui| {
                ui.add(egui::Spinner::new());
                ui.label("Previewing…");
            });
        }
        if let Some((text, result)) = &editor.previewed {
            if *text != editor.text {
                ui.weak("The text changed since this preview; preview again.");
            }
            preview_ui(ui, result);
        }
    }

    fn poll_preview(&mut self) {
        let Some(editor) = &mut self.editor else {
            return;
        };
        let Some(job) = &mut editor.preview else {
            return;
        };
        let mut results = job.poll();
        let finished = job.is_finished();
        let result = match results.pop() {
            Some(result) => result,
            None if finished => Err("the preview stopped unexpectedly".to_string()),
            None => return,
        };
        editor.previewed = Some((editor.text.clone(), result));
        editor.preview = None;
    }
}

fn start_preview(
    store: Arc<Store>,
    id: Uuid,
    payload: Value,
    now: OffsetDateTime,
    repaint: egui::Context,
) -> Job<Result<Preview, String>> {
    Job::spawn(
        "what-if preview",
        Some(repaint),
        move |worker: &Worker<Result<Preview, String>>| {
            let result = Engine::load(&store)
                .map_err(|e| e.to_string())
                .and_then(|mut engine| {
                    engine
                        .preview_resubmit(&store, id, Some(payload), now)
                        .map_err(|e| e.to_string())
                });
            worker.send(result);
        },
    )
}

fn preview_ui(ui: &mut Ui, result: &Result<Preview, String>) {
    ui.label(RichText::new("What-if preview (nothing was written)").strong());
    let preview = match result {
        Ok(preview) => preview,
        Err(error) => {
            ui.label(
                RichText::new(format!("No preview: {error}")).color(ui.visuals().warn_fg_color),
            );
            return;
        }
    };
    match &preview.outcome {
        PreviewOutcome::Accepted => {
            ui.label(
                RichText::new("Accepted: the definition takes this message.").color(ok_colour(ui)),
            );
        }
        PreviewOutcome::Requeued { recipient } => {
            ui.label(format!("Back into the outbox for {recipient}."));
        }
        PreviewOutcome::Rejected { reason, detail } => {
            ui.label(
                RichText::new(format!("Would be refused again ({reason}): {detail}"))
                    .color(ui.visuals().error_fg_color),
            );
        }
    }
    for event in &preview.events {
        ui.label(format!(
            "Event: {} in {} at version {}",
            event.event_type, event.stream_id, event.version
        ));
    }
    if !preview.state.is_null() {
        ui.label("State after:");
        let state = serde_json::to_string_pretty(&preview.state).unwrap_or_default();
        ui.add(egui::Label::new(RichText::new(state).monospace()).wrap());
    }
    for message in &preview.outbox {
        ui.label(format!(
            "Outbox: {} to {}",
            message.message_type, message.recipient
        ));
    }
    for deadline in &preview.deadlines {
        ui.label(format!(
            "Deadline: {} at {}",
            deadline.on_expiry,
            format_time(deadline.due_at)
        ));
    }
}

fn ok_colour(ui: &Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(120, 210, 120)
    } else {
        Color32::from_rgb(20, 120, 20)
    }
}

/// Lines of `theirs` that `ours` does not have (a line-level mark for the side-by-side diff).
fn lines_not_in(ours: &str, theirs: &str) -> BTreeSet<usize> {
    let theirs: BTreeSet<&str> = theirs.lines().map(str::trim).collect();
    ours.lines()
        .enumerate()
        .filter(|(_, line)| !theirs.contains(line.trim()))
        .map(|(index, _)| index)
        .collect()
}

fn diff_text_ui(ui: &mut Ui, text: &str, marked: &BTreeSet<usize>, added: bool) {
    let colour = if added {
        ok_colour(ui)
    } else {
        ui.visuals().error_fg_color
    };
    egui::ScrollArea::vertical()
        .id_salt("dead_letter_original_text")
        .max_height(200.0)
        .show(ui, |ui| {
            // Long lines wrap as in the editor beside it; not justified (the
            // column's layout would spread a wrapped line's words apart).
            ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                for (index, line) in text.lines().enumerate() {
                    let text = RichText::new(line).monospace();
                    ui.add(
                        egui::Label::new(if marked.contains(&index) {
                            text.color(colour).strong()
                        } else {
                            text
                        })
                        .wrap(),
                    );
                }
            });
        });
}

fn capitalized(verb: &str) -> String {
    let mut chars = verb.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

/// The confirmation of a bulk action, with its dry-run count.
fn bulk_confirm(action: BulkAction, rows: &[&DeadLetterRow], name: &str) -> Confirm {
    let open = rows
        .iter()
        .filter(|row| row.status == DeadLetterStatus::Open)
        .count();
    let skip = rows.len() - open;
    let ids = rows.iter().map(|row| row.id).collect();
    let verb = action.verb();
    Confirm::new(
        Action::Bulk { action, dead_letters: ids },
        format!("{} {open} dead letters of {name}?", capitalized(verb)),
        format!("Yes, {verb} {open}"),
    )
    .line(format!(
        "Dry run: {open} open dead letters will be {}; {skip} already closed will be skipped.",
        if action == BulkAction::Resubmit { "resubmitted as they are" } else { "discarded" }
    ))
    .line("Each one is its own transaction with an audit entry; cancelling keeps what is done, and running it again does the rest.")
}
