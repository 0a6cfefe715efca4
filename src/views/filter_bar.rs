//! The filter bar: one line above the stream browser and the analysis views
//! that says which processes they show, and an editor that changes the
//! shared process filter (time window, process type, status, variant,
//! activities present or absent, a JSONPath) or loads, saves and deletes
//! saved filters. The bar only edits a draft; "Apply" sends it to the app,
//! which keeps the filter every view reads (`state::filter`).

use std::collections::BTreeSet;

use egui::{RichText, Ui};

use crate::state::command::Command;
use crate::state::filter::Within;
use crate::widgets::pickers::{PickerLabels, process_type_picker, status_picker};
use crate::widgets::progress::job_progress_ui;
use crate::widgets::style::failure_colour;
use crate::widgets::time::{format_count, format_rfc3339};
use process_workbench_core::actions::{Action, parse_time_input};
use process_workbench_core::search::{
    ProcessFilter, ProcessPathScope, TimeWindowMode, short_variant,
};
use process_workbench_core::store::StreamStatus;

use super::ViewContext;

/// The inputs of the editor, as typed.
#[derive(Debug, Clone, Default, PartialEq)]
struct Draft {
    from: String,
    to: String,
    time_mode: TimeWindowMode,
    process_type: Option<String>,
    status: Option<StreamStatus>,
    variant: String,
    with_activities: BTreeSet<String>,
    without_activities: BTreeSet<String>,
    json_path: String,
    json_path_in: ProcessPathScope,
}

impl Draft {
    fn of(filter: &ProcessFilter) -> Draft {
        Draft {
            from: filter.from.map(format_rfc3339).unwrap_or_default(),
            to: filter.to.map(format_rfc3339).unwrap_or_default(),
            time_mode: filter.time_mode,
            process_type: filter.process_type.clone(),
            status: filter.status,
            variant: filter
                .variant
                .map(|variant| format!("{variant:032x}"))
                .unwrap_or_default(),
            with_activities: filter.with_activities.clone(),
            without_activities: filter.without_activities.clone(),
            json_path: filter.json_path.clone().unwrap_or_default(),
            json_path_in: filter.json_path_in,
        }
    }

    /// The filter the inputs describe, or what is wrong with them.
    fn filter(&self) -> Result<ProcessFilter, String> {
        let time = |text: &str| {
            let text = text.trim();
            (!text.is_empty())
                .then(|| parse_time_input(text))
                .transpose()
        };
        let variant = match self.variant.trim() {
            "" => None,
            text => Some(u128::from_str_radix(text, 16).map_err(|_| {
                format!("{text:?} is not a variant: 32 hex digits, as the stream browser shows")
            })?),
        };
        let json_path = Some(self.json_path.trim().to_string()).filter(|path| !path.is_empty());
        let filter = ProcessFilter {
            from: time(&self.from)?,
            to: time(&self.to)?,
            time_mode: self.time_mode,
            process_type: self.process_type.clone(),
            status: self.status,
            variant,
            with_activities: self.with_activities.clone(),
            without_activities: self.without_activities.clone(),
            json_path,
            json_path_in: self.json_path_in,
        };
        filter.validate().map_err(|error| error.to_string())?;
        Ok(filter)
    }
}

/// The bar's state: the draft and whether the editor is open.
#[derive(Default)]
pub struct FilterBar {
    draft: Draft,
    /// The filter revision the draft was last loaded from.
    loaded: Option<u64>,
    editing: bool,
    problem: Option<String>,
    save_name: String,
}

impl FilterBar {
    /// Opens or closes the editor (tests and the menu).
    pub fn set_editing(&mut self, editing: bool) {
        self.editing = editing;
    }

    /// Shows the bar (and the editor when open).
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        let filter = ctx.filter;
        if self.loaded != Some(filter.revision()) {
            self.loaded = Some(filter.revision());
            self.draft = Draft::of(filter.applied());
            self.problem = None;
        }
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Filter").strong());
            match filter.within() {
                Within::All => {
                    ui.label(format!(
                        "all {} processes",
                        format_count(ctx.store.summary.streams.total)
                    ));
                }
                Within::Pending => {
                    ui.label("applying the filter…");
                }
                Within::Only(selection) => {
                    ui.label(format!(
                        "{} of {} processes",
                        format_count(selection.counts.streams),
                        format_count(ctx.store.summary.streams.total)
                    ));
                }
            }
            if filter.is_active() {
                let description = filter.applied().describe();
                let text = match filter.name() {
                    Some(name) => format!("{name:?}: {description}"),
                    None => description,
                };
                ui.add(egui::Label::new(text).wrap());
            }
            let toggle = if self.editing {
                "Close filter"
            } else {
                "Edit filter"
            };
            if ui.button(toggle).clicked() {
                self.editing = !self.editing;
            }
            self.saved_menu_ui(ui, ctx);
            if ui
                .add_enabled(filter.is_active(), egui::Button::new("Clear filter"))
                .clicked()
            {
                ctx.send(Command::ClearFilter);
            }
        });
        if let Some((done, total)) = filter.progress() {
            job_progress_ui(ui, "Applying the filter", done, total, "");
        }
        if let Some(error) = filter.error() {
            ui.colored_label(
                failure_colour(ui),
                format!("The filter could not be applied: {error}"),
            );
        }
        if let Some(error) = filter.saved_error() {
            ui.colored_label(failure_colour(ui), error.to_string());
        }
        if self.editing {
            self.editor_ui(ui, ctx);
        }
        ui.separator();
    }

    fn saved_menu_ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        let filter_state = ctx.filter;
        let saved = filter_state.saved();
        ui.menu_button("Saved filters", |ui| {
            if saved.is_empty() {
                ui.weak("No saved filters");
            }
            for (name, filter) in saved.iter() {
                ui.horizontal(|ui| {
                    if ui.button(name).on_hover_text(filter.describe()).clicked() {
                        ctx.send(Command::ApplySavedFilter(name.to_string()));
                        ui.close();
                    }
                    if ui
                        .small_button("Delete")
                        .on_hover_text(format!("Forget the saved filter {name:?}"))
                        .clicked()
                    {
                        ctx.send(Command::Run {
                            action: Action::DeleteFilter {
                                file: filter_state.saved_file().to_path_buf(),
                                name: name.to_string(),
                            },
                            reason: String::new(),
                        });
                        ui.close();
                    }
                });
            }
        });
    }

    fn editor_ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        let store = ctx.store;
        let summary = &store.summary;
        let draft = &mut self.draft;
        egui::Grid::new("filter_editor")
            .num_columns(2)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                ui.label("Time window");
                ui.horizontal_wrapped(|ui| {
                    ui.add(
                        egui::TextEdit::singleline(&mut draft.from)
                            .hint_text("from (2026-09-01)")
                            .desired_width(150.0),
                    )
                    .accessible_name("Filter from");
                    ui.add(
                        egui::TextEdit::singleline(&mut draft.to)
                            .hint_text("to")
                            .desired_width(150.0),
                    )
                    .accessible_name("Filter to");
                    egui::ComboBox::from_id_salt("filter_time_mode")
                        .selected_text(draft.time_mode.label())
                        .show_ui(ui, |ui| {
                            for mode in TimeWindowMode::ALL {
                                ui.selectable_value(&mut draft.time_mode, mode, mode.label());
                            }
                        })
                        .response
                        .accessible_name("Filter time mode");
                });
                ui.end_row();

                ui.label("Process");
                ui.horizontal_wrapped(|ui| {
                    process_type_picker(
                        ui,
                        "filter_process_type",
                        &mut draft.process_type,
                        &summary.streams.by_type,
                        PickerLabels {
                            any: "Any process type",
                            name: "Filter process type",
                        },
                    );
                    status_picker(
                        ui,
                        "filter_status",
                        &mut draft.status,
                        &summary.streams.by_status,
                        PickerLabels {
                            any: "Any status",
                            name: "Filter status",
                        },
                    );
                });
                ui.end_row();

                ui.label("Variant");
                ui.horizontal_wrapped(|ui| {
                    ui.add(
                        egui::TextEdit::singleline(&mut draft.variant)
                            .hint_text("any variant")
                            .desired_width(150.0),
                    )
                    .accessible_name("Filter variant");
                    let selected = ctx.selection.stream.as_deref().and_then(|stream_id| {
                        let reader = store.store.read().ok()?;
                        reader.stream(stream_id).ok().flatten()
                    });
                    let button = ui
                        .add_enabled(
                            selected.is_some(),
                            egui::Button::new("Variant of the selected process"),
                        )
                        .on_disabled_hover_text("Select a process in the stream browser first");
                    if button.clicked()
                        && let Some(info) = selected
                    {
                        draft.variant = format!("{:032x}", info.variant);
                    }
                    if let Ok(variant) = u128::from_str_radix(draft.variant.trim(), 16) {
                        ui.weak(short_variant(variant));
                    }
                });
                ui.end_row();

                ui.label("Activities");
                ui.horizontal_wrapped(|ui| {
                    let activities: Vec<&String> = summary.events.by_type.keys().collect();
                    activities_menu_ui(
                        ui,
                        "With activity",
                        &activities,
                        &mut draft.with_activities,
                        &mut draft.without_activities,
                    );
                    activities_menu_ui(
                        ui,
                        "Without activity",
                        &activities,
                        &mut draft.without_activities,
                        &mut draft.with_activities,
                    );
                    let mut chosen: Vec<String> = draft
                        .with_activities
                        .iter()
                        .map(|name| format!("+{name}"))
                        .collect();
                    chosen.extend(
                        draft
                            .without_activities
                            .iter()
                            .map(|name| format!("−{name}")),
                    );
                    if !chosen.is_empty() {
                        ui.add(egui::Label::new(chosen.join(" ")).wrap());
                    }
                });
                ui.end_row();

                ui.label("JSONPath");
                ui.horizontal_wrapped(|ui| {
                    ui.add(
                        egui::TextEdit::singleline(&mut draft.json_path)
                            .hint_text("$.customer[?@ == 'household']")
                            .desired_width(240.0),
                    )
                    .accessible_name("Filter JSONPath");
                    egui::ComboBox::from_id_salt("filter_json_path_in")
                        .selected_text(format!("in {}", draft.json_path_in.label()))
                        .show_ui(ui, |ui| {
                            for scope in ProcessPathScope::ALL {
                                ui.selectable_value(
                                    &mut draft.json_path_in,
                                    scope,
                                    format!("in {}", scope.label()),
                                );
                            }
                        })
                        .response
                        .accessible_name("Filter JSONPath scope");
                });
                ui.end_row();
            });
        ui.horizontal_wrapped(|ui| {
            if ui.button("Apply filter").clicked() {
                match self.draft.filter() {
                    Ok(filter) => {
                        self.problem = None;
                        ctx.send(Command::SetFilter { filter, name: None });
                    }
                    Err(problem) => self.problem = Some(problem),
                }
            }
            if ui.button("Reset").clicked() {
                self.draft = Draft::of(ctx.filter.applied());
                self.problem = None;
            }
            ui.separator();
            ui.add(
                egui::TextEdit::singleline(&mut self.save_name)
                    .hint_text("name")
                    .desired_width(140.0),
            )
            .accessible_name("Filter name");
            let can_save = !self.save_name.trim().is_empty();
            if ui
                .add_enabled(can_save, egui::Button::new("Save filter"))
                .on_hover_text(format!(
                    "Saved for this user in {}",
                    ctx.filter.saved_file().display()
                ))
                .clicked()
            {
                match self.draft.filter() {
                    Ok(filter) => {
                        self.problem = None;
                        let name = self.save_name.trim().to_string();
                        ctx.send(Command::Run {
                            action: Action::SaveFilter {
                                file: ctx.filter.saved_file().to_path_buf(),
                                name: name.clone(),
                                filter: filter.clone(),
                            },
                            reason: String::new(),
                        });
                        ctx.send(Command::SetFilter {
                            filter,
                            name: Some(name),
                        });
                    }
                    Err(problem) => self.problem = Some(problem),
                }
            }
        });
        if let Some(problem) = &self.problem {
            ui.colored_label(failure_colour(ui), problem);
        }
    }
}

/// A menu of checkboxes over the store's activities; ticking one in `chosen`
/// takes it out of `other` (an activity is either required or excluded).
fn activities_menu_ui(
    ui: &mut Ui,
    title: &str,
    activities: &[&String],
    chosen: &mut BTreeSet<String>,
    other: &mut BTreeSet<String>,
) {
    let label = if chosen.is_empty() {
        title.to_string()
    } else {
        format!("{title} ({})", chosen.len())
    };
    ui.menu_button(label, |ui| {
        egui::ScrollArea::vertical()
            .max_height(320.0)
            .show(ui, |ui| {
                for activity in activities {
                    let mut ticked = chosen.contains(*activity);
                    if ui.checkbox(&mut ticked, activity.as_str()).changed() {
                        if ticked {
                            chosen.insert((*activity).clone());
                            other.remove(*activity);
                        } else {
                            chosen.remove(*activity);
                        }
                    }
                }
            });
    });
}
