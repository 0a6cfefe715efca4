//! How a running background job looks: what it does, how far it is, and a
//! way to cancel it.

use egui::Ui;

use super::time::format_count;

/// Shows a job's progress line; returns true when the user clicked "Cancel".
pub fn job_progress_ui(ui: &mut Ui, what: &str, done: u64, total: u64, unit: &str) -> bool {
    let mut cancel = false;
    ui.horizontal(|ui| {
        ui.add(egui::Spinner::new());
        let text = if total > 0 {
            format!(
                "{what}: {} of {} {unit}",
                format_count(done.min(total)),
                format_count(total)
            )
        } else {
            format!("{what}: {} {unit}", format_count(done))
        };
        ui.label(text);
        if total > 0 {
            ui.add(
                egui::ProgressBar::new(done.min(total) as f32 / total as f32)
                    .desired_width(160.0)
                    .show_percentage(),
            );
        }
        cancel = ui.button("Cancel").clicked();
    });
    cancel
}
