//! Sizes that fit the text they hold, so that no header, cell or hint is cut:
//! table columns as wide as their widest cell (header included), a free-text
//! column that takes the room the others leave and elides what does not fit
//! (the whole text shows on hover), text fields as wide as their hint.

use egui::{RichText, TextStyle, TextWrapMode, Ui, WidgetText};
use egui_extras::Column;

/// The width of `text` on one line, in points.
pub fn text_width(ui: &Ui, text: impl Into<WidgetText>) -> f32 {
    text.into()
        .into_galley(ui, Some(TextWrapMode::Extend), f32::INFINITY, TextStyle::Body)
        .size()
        .x
}

/// The width a column header `title` needs (strong text, with room for the
/// padding of a header that is a button).
pub fn header_width(ui: &Ui, title: &str) -> f32 {
    text_width(ui, RichText::new(title).strong()) + 2.0 * ui.spacing().button_padding.x
}

/// A column as wide as its widest cell, header included: ids, names, times,
/// counts. It never clips (so its cells must not elide either), and the user
/// may widen it. Only the rows in view are measured: it grows when a wider
/// cell scrolls into view.
pub fn column() -> Column {
    Column::auto().resizable(true)
}

/// The last column of a table, for free text (an error, a reason): the room
/// the other columns leave, never less than its header `title`. Its cells
/// elide what does not fit; egui shows the whole text on hover.
pub fn free_text_column(ui: &Ui, title: &str) -> Column {
    Column::remainder()
        .at_least(header_width(ui, title))
        .clip(true)
}

/// The desired width of a single-line text field with the hint `hint`: at
/// least `width`, and wide enough that the hint is not cut.
pub fn field_width(ui: &Ui, hint: &str, width: f32) -> f32 {
    // The field's inner margin on both sides, its frame and the cursor.
    const FIELD_PADDING: f32 = 16.0;
    width.max(text_width(ui, hint) + FIELD_PADDING)
}
