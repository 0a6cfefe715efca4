//! Drop-down pickers of a process type and of a status, each choice with its
//! count, as the stream browser and the filter editor show them.

use std::collections::BTreeMap;

use egui::{ComboBox, Ui};
use process_workbench_core::store::StreamStatus;

use super::time::format_count;

/// What a picker says for "no choice" (`any`) and the name it is found by
/// (`name`: screen readers, tests).
pub struct PickerLabels<'a> {
    pub any: &'a str,
    pub name: &'a str,
}

/// A process type out of `counts` (type → streams), or none.
pub fn process_type_picker(
    ui: &mut Ui,
    id_salt: &str,
    chosen: &mut Option<String>,
    counts: &BTreeMap<String, u64>,
    labels: PickerLabels<'_>,
) {
    let shown = chosen.clone().unwrap_or_else(|| labels.any.to_string());
    ComboBox::from_id_salt(id_salt)
        .selected_text(shown)
        .show_ui(ui, |ui| {
            ui.selectable_value(chosen, None, labels.any);
            for (kind, count) in counts {
                ui.selectable_value(
                    chosen,
                    Some(kind.clone()),
                    format!("{kind} ({})", format_count(*count)),
                );
            }
        })
        .response
        .accessible_name(labels.name);
}

/// A stream status, with the streams of each in `counts` (status → streams), or none.
pub fn status_picker(
    ui: &mut Ui,
    id_salt: &str,
    chosen: &mut Option<StreamStatus>,
    counts: &BTreeMap<String, u64>,
    labels: PickerLabels<'_>,
) {
    ComboBox::from_id_salt(id_salt)
        .selected_text(
            chosen
                .map_or(labels.any, |status| status.as_str())
                .to_string(),
        )
        .show_ui(ui, |ui| {
            ui.selectable_value(chosen, None, labels.any);
            for status in StreamStatus::ALL {
                let count = counts.get(status.as_str()).copied().unwrap_or(0);
                ui.selectable_value(
                    chosen,
                    Some(status),
                    format!("{} ({})", status.as_str(), format_count(count)),
                );
            }
        })
        .response
        .accessible_name(labels.name);
}
