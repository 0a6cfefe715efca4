//! How the window marks what matters, the same in every view: failure in
//! red, a stream's status, the height of a table row.

use egui::{Color32, RichText, Ui};

use process_workbench_core::store::StreamStatus;

/// Height of a table row.
pub const ROW_HEIGHT: f32 = 20.0;

/// The colour of failure, readable on dark and light backgrounds.
pub fn failure_colour(ui: &Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(255, 110, 100)
    } else {
        Color32::from_rgb(190, 20, 20)
    }
}

/// How a stream's status is shown: failed ones stand out with colour and a mark.
pub fn status_text(ui: &Ui, status: StreamStatus) -> RichText {
    match status {
        StreamStatus::Failed => RichText::new("\u{00D7} failed")
            .color(failure_colour(ui))
            .strong(),
        StreamStatus::Running => RichText::new("running"),
        StreamStatus::Completed => RichText::new("completed").weak(),
    }
}
