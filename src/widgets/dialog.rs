//! Confirmation dialogs: an `egui::Modal` that ends with a confirm and a
//! cancel button.

use egui::{ModalResponse, Ui, WidgetText};

/// The confirm button (greyed out unless `enabled`, `disabled_hint` on hover
/// then) and Cancel, side by side: `Some(true)` when confirm was clicked,
/// `Some(false)` for Cancel, `None` otherwise.
pub fn confirm_buttons(
    ui: &mut Ui,
    confirm: impl Into<WidgetText>,
    enabled: bool,
    disabled_hint: Option<&str>,
) -> Option<bool> {
    let mut answer = None;
    ui.horizontal(|ui| {
        let mut button = ui.add_enabled(enabled, egui::Button::new(confirm));
        if let Some(hint) = disabled_hint {
            button = button.on_disabled_hover_text(hint);
        }
        if button.clicked() {
            answer = Some(true);
        }
        if ui.button("Cancel").clicked() {
            answer = Some(false);
        }
    });
    answer
}

/// What the user answered a confirmation modal this frame: `Some(true)`
/// confirmed, `Some(false)` cancelled (Cancel, Escape or a click outside),
/// `None` still open.
pub fn answer(modal: &ModalResponse<Option<bool>>) -> Option<bool> {
    match modal.inner {
        Some(answer) => Some(answer),
        None if modal.should_close() => Some(false),
        None => None,
    }
}
