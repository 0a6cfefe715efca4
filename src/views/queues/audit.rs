//! The audit trail: every operator action (who, when, what, why, before and
//! after), filtered by action, user, stream and time, exported as JSON.

use egui::{RichText, Sense, Ui};
use egui_extras::TableBuilder;
use serde_json::Value;

use crate::state::command::{Command, ExportRequest};
use crate::widgets::fit;
use crate::widgets::json_tree::JsonTree;
use crate::widgets::time::{format_count, format_time, parse_time_input};
use process_workbench_core::queues::{AuditFilter, audit_entries};
use process_workbench_core::store::AuditEntry;

use super::super::ViewContext;
use super::shared::Loader;

const ROW_HEIGHT: f32 = 22.0;

/// The audit view.
#[derive(Default)]
pub struct AuditView {
    entries: Loader<Vec<AuditEntry>>,
    pub action: String,
    pub user: String,
    pub stream: String,
    pub from: String,
    pub to: String,
    time_error: Option<String>,
    selected: Option<u64>,
    before_tree: Option<(u64, JsonTree, JsonTree)>,
}

impl AuditView {
    /// Whether a read is under way.
    pub fn is_busy(&self) -> bool {
        self.entries.is_busy()
    }

    /// The filter as typed; an unreadable time is reported and left out.
    fn filter(&mut self) -> AuditFilter {
        self.time_error = None;
        let mut parse = |text: &str| {
            if text.trim().is_empty() {
                return None;
            }
            match parse_time_input(text) {
                Ok(at) => Some(at),
                Err(error) => {
                    self.time_error = Some(error);
                    None
                }
            }
        };
        let from = parse(&self.from.clone());
        let to = parse(&self.to.clone());
        AuditFilter {
            action: self.action.clone(),
            user: self.user.clone(),
            stream: self.stream.clone(),
            from,
            to,
        }
    }

    /// Shows the view.
    pub fn ui(&mut self, ui: &mut Ui, context: &mut ViewContext<'_>) {
        self.entries.update(ui, context, |store, _| {
            let reader = store.read().map_err(|e| e.to_string())?;
            audit_entries(&reader, &AuditFilter::default()).map_err(|e| e.to_string())
        });
        ui.heading("Audit trail");
        ui.horizontal_wrapped(|ui| {
            ui.label("Filter:");
            ui.add(
                egui::TextEdit::singleline(&mut self.action)
                    .hint_text("action")
                    .desired_width(120.0),
            )
            .accessible_name("Filter by action");
            ui.add(
                egui::TextEdit::singleline(&mut self.user)
                    .hint_text("user")
                    .desired_width(90.0),
            )
            .accessible_name("Filter by user");
            ui.add(
                egui::TextEdit::singleline(&mut self.stream)
                    .hint_text("stream")
                    .desired_width(140.0),
            )
            .accessible_name("Filter by stream");
            ui.add(
                egui::TextEdit::singleline(&mut self.from)
                    .hint_text("from")
                    .desired_width(110.0),
            )
            .accessible_name("Filter by from");
            ui.add(
                egui::TextEdit::singleline(&mut self.to)
                    .hint_text("to")
                    .desired_width(110.0),
            )
            .accessible_name("Filter by to");
        });
        let filter = self.filter();
        if let Some(error) = &self.time_error {
            ui.label(RichText::new(error).color(ui.visuals().warn_fg_color));
        }
        self.entries.status_ui(ui);
        let rows: Vec<AuditEntry> = self
            .entries
            .value
            .current()
            .map(|all| {
                all.iter()
                    .rev()
                    .filter(|e| filter.matches(e))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        ui.horizontal(|ui| {
            ui.label(format!(
                "{} audit entries, newest first",
                format_count(rows.len() as u64)
            ));
            if ui.button("Export JSON…").clicked() {
                context.send(Command::Export(ExportRequest::Audit(filter.clone())));
            }
        });
        ui.separator();
        let selected = self
            .selected
            .and_then(|seq| rows.iter().find(|e| e.seq == seq))
            .cloned();
        if let Some(entry) = &selected {
            egui::Panel::bottom("audit_before_after")
                .resizable(true)
                .default_size(260.0)
                .show(ui, |ui| self.entry_ui(ui, context, entry));
        }
        // Plain labels, so that a click on a cell selects the row.
        ui.style_mut().interaction.selectable_labels = false;
        // The target and the reason are free text: they share the room the
        // other columns leave (every frame, so not resizable) and elide.
        let target_column = fit::free_text_column(ui, "Target").resizable(false);
        let reason_column = fit::free_text_column(ui, "Why");
        // In a scope of its own: the column lines end at the table, not at
        // the bottom of the entry panel below it.
        ui.scope(|ui| {
            TableBuilder::new(ui)
                .id_salt("audit_table")
                .striped(true)
                .resizable(true)
                .sense(Sense::click())
                .auto_shrink([false, false])
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                .columns(fit::column(), 4)
                .column(target_column)
                .column(reason_column)
                .header(ROW_HEIGHT + 4.0, |mut header| {
                    for title in ["Seq", "When", "Who", "What", "Target", "Why"] {
                        header.col(|ui| {
                            ui.label(RichText::new(title).strong());
                        });
                    }
                })
                .body(|body| {
                    body.rows(ROW_HEIGHT, rows.len(), |mut row| {
                        let Some(entry) = rows.get(row.index()) else {
                            return;
                        };
                        row.set_selected(self.selected == Some(entry.seq));
                        row.col(|ui| {
                            ui.label(entry.seq.to_string());
                        });
                        row.col(|ui| {
                            ui.label(format_time(entry.at));
                        });
                        row.col(|ui| {
                            ui.label(&entry.user);
                        });
                        row.col(|ui| {
                            ui.label(&entry.action);
                        });
                        row.col(|ui| {
                            ui.label(&entry.target);
                        });
                        row.col(|ui| {
                            ui.label(&entry.reason);
                        });
                        if row.response().clicked() {
                            self.selected = Some(entry.seq);
                        }
                    });
                });
        });
    }

    fn entry_ui(&mut self, ui: &mut Ui, context: &mut ViewContext<'_>, entry: &AuditEntry) {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!("#{} {} by {}", entry.seq, entry.action, entry.user))
                    .strong(),
            );
            ui.label(format!("— {}", entry.reason));
            if let Some(stream) = &entry.stream_id
                && ui.link(format!("stream {stream}")).clicked()
            {
                context.send(Command::GoToStream(stream.clone()));
            }
        });
        if self
            .before_tree
            .as_ref()
            .is_none_or(|(seq, ..)| *seq != entry.seq)
        {
            self.before_tree = Some((
                entry.seq,
                JsonTree::new(&entry.before, 1),
                JsonTree::new(&entry.after, 1),
            ));
        }
        let Some((_, before, after)) = &mut self.before_tree else {
            return;
        };
        ui.columns(2, |columns| {
            side_ui(
                &mut columns[0],
                before,
                "audit_before",
                "before",
                &entry.before,
            );
            side_ui(&mut columns[1], after, "audit_after", "after", &entry.after);
        });
    }
}

fn side_ui(ui: &mut Ui, tree: &mut JsonTree, salt: &str, label: &str, value: &Value) {
    ui.label(RichText::new(label).strong());
    if value.is_null() {
        ui.weak("(nothing)");
    } else {
        tree.ui(ui, salt, label, value, 220.0);
    }
}
