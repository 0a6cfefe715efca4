//! Sizes that fit the text they hold, so that no header, cell or hint is cut:
//! table columns as wide as their widest cell (header included), a free-text
//! column that takes the room the others leave and elides what does not fit
//! (the whole text shows on hover), text fields as wide as their hint.

use egui::{RichText, TextStyle, TextWrapMode, Ui, WidgetText};
use egui_extras::Column;

/// The width of `text` on one line, in points.
pub fn text_width(ui: &Ui, text: impl Into<WidgetText>) -> f32 {
    text.into()
        .into_galley(
            ui,
            Some(TextWrapMode::Extend),
            f32::INFINITY,
            TextStyle::Body,
        )
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

/// The room a solid scroll bar takes beside or under its area (its width and
/// inner margin), in points.
pub const SCROLL_BAR_ROOM: f32 = 10.0;

/// Scroll bars that stay in sight: a view of code or data (a JSON tree, raw
/// text, a diff) scrolls sideways instead of wrapping, and a line cut at its
/// edge must show that there is more. Applies to the scroll areas `ui` makes.
pub fn solid_scroll_bars(ui: &mut Ui) {
    ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
}

/// Characters of an id shown in a table cell: longer ids (an engine's
/// `process/<tenant>/<process>`) are shortened in the middle, so that a
/// fitted column stays narrower than the table.
pub const ID_CHARS: usize = 28;

/// `text`, or its first and last characters around "…" when it has more than
/// `max_chars`: a third from the start (what kind of id), the rest from the
/// end (what tells ids of a kind apart).
pub fn shortened(text: &str, max_chars: usize) -> std::borrow::Cow<'_, str> {
    let count = text.chars().count();
    if count <= max_chars || max_chars < 3 {
        return std::borrow::Cow::Borrowed(text);
    }
    let head = (max_chars - 1) / 3;
    let tail = max_chars - 1 - head;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    std::borrow::Cow::Owned(format!("{start}…{end}"))
}

#[cfg(test)]
mod tests {
    use super::shortened;

    #[test]
    fn short_text_stays_and_long_text_keeps_both_ends() {
        assert_eq!(shortened("billing-000028-p2", 28), "billing-000028-p2");
        let id =
            "process/3ba6ea91-10ab-48f1-9eb1-ef25963baf22/32979bd6-b111-4f09-9bc4-46a88fde1cce";
        let short = shortened(id, 28);
        assert_eq!(short.chars().count(), 28);
        assert_eq!(short, "process/3…-9bc4-46a88fde1cce");
    }
}
