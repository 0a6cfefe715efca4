//! A raw text view for text of any size: the text is cut into rows once (long
//! lines wrapped at a fixed number of characters) and only the rows in view
//! are laid out. Large text shows its first part until the user asks for all.

use std::ops::Range;

use egui::{RichText, Ui};

use super::time::format_bytes;

/// Bytes shown before "Show all".
pub const SHOWN_AT_FIRST: usize = 64 * 1024;
/// Characters per row; longer lines are wrapped.
const ROW_CHARS: usize = 160;

/// Text prepared for the raw view.
#[derive(Debug, Clone, Default)]
pub struct RawText {
    text: String,
    rows: Vec<Range<usize>>,
    show_all: bool,
}

impl RawText {
    /// Prepares `text` (a linear pass; do it off the UI thread for megabytes).
    pub fn new(text: String) -> RawText {
        let mut rows = Vec::new();
        let mut line_start = 0;
        for line in text.split_inclusive('\n') {
            let content = line.strip_suffix('\n').unwrap_or(line);
            let content = content.strip_suffix('\r').unwrap_or(content);
            let mut row_start = line_start;
            let mut characters = 0;
            for (offset, _) in content.char_indices() {
                if characters == ROW_CHARS {
                    rows.push(row_start..line_start + offset);
                    row_start = line_start + offset;
                    characters = 0;
                }
                characters += 1;
            }
            rows.push(row_start..line_start + content.len());
            line_start += line.len();
        }
        RawText {
            text,
            rows,
            show_all: false,
        }
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Number of rows when everything is shown.
    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// Whether only the first part is shown.
    pub fn is_truncated(&self) -> bool {
        !self.show_all && self.text.len() > SHOWN_AT_FIRST
    }

    fn visible_rows(&self) -> &[Range<usize>] {
        if !self.is_truncated() {
            return &self.rows;
        }
        let end = self.rows.partition_point(|row| row.end <= SHOWN_AT_FIRST);
        &self.rows[..end]
    }

    /// Shows the text, with "Show all" when it is cut.
    pub fn ui(&mut self, ui: &mut Ui, id_salt: &str) {
        if self.is_truncated() {
            ui.horizontal(|ui| {
                ui.label(format!(
                    "Showing the first {} of {}.",
                    format_bytes(SHOWN_AT_FIRST),
                    format_bytes(self.text.len())
                ));
                if ui.button("Show all").clicked() {
                    self.show_all = true;
                }
            });
        }
        let row_height = ui.text_style_height(&egui::TextStyle::Monospace);
        let rows = self.visible_rows();
        // Long lines scroll sideways, with a bar in sight.
        ui.scope(|ui| {
            super::fit::solid_scroll_bars(ui);
            egui::ScrollArea::both()
                .id_salt(id_salt)
                .auto_shrink([false, false])
                .show_rows(ui, row_height, rows.len(), |ui, range| {
                    for row in &rows[range] {
                        let text = self.text.get(row.clone()).unwrap_or_default();
                        ui.add(
                            egui::Label::new(RichText::new(text).monospace())
                                .wrap_mode(egui::TextWrapMode::Extend),
                        );
                    }
                });
        });
    }
}

/// Text of bytes that may not be UTF-8: invalid bytes as `\xNN`, control
/// characters other than newline and tab as `\u{NN}`, so that every byte is
/// visible and nothing needs a glyph the fonts lack.
pub fn text_of_bytes(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for character in chunk.valid().chars() {
            match character {
                '\n' | '\t' => text.push(character),
                control if control.is_control() => {
                    text.push_str(&format!("\\u{{{:02x}}}", control as u32));
                }
                other => text.push(other),
            }
        }
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_is_visible() {
        assert_eq!(text_of_bytes(b"a\x00\xffb\n"), "a\\u{00}\\xffb\n");
    }

    #[test]
    fn long_lines_wrap_at_character_boundaries() {
        let line: String = "ä".repeat(ROW_CHARS * 2 + 5);
        let raw = RawText::new(format!("{line}\nshort\n"));
        assert_eq!(raw.row_count(), 3 + 1);
        for row in &raw.rows {
            assert!(raw.text.get(row.clone()).is_some());
        }
    }

    #[test]
    fn megabytes_show_the_first_part_until_asked() {
        let raw = RawText::new("x".repeat(5 * 1024 * 1024));
        assert!(raw.is_truncated());
        assert!(raw.visible_rows().len() < raw.row_count());
        let all = RawText {
            show_all: true,
            ..raw
        };
        assert_eq!(all.visible_rows().len(), all.row_count());
    }
}
