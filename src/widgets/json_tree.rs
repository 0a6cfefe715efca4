//! A collapsible JSON tree that stays fast on any document: the rows of the
//! expanded nodes are flattened once per change (not per frame), large
//! containers show their children a page at a time, long strings are cut to a
//! preview, and only the rows in view are laid out. Rows can be selected; the
//! value and its JSONPath (RFC 9535) can be copied.

use std::collections::{BTreeMap, BTreeSet};

use egui::text::LayoutJob;
use egui::{Color32, FontId, Sense, TextFormat, Ui, vec2};

use super::fit;
use serde_json::Value;

/// Children shown per container before a "show more" row.
pub const CHILDREN_PAGE: usize = 100;
/// Characters of a string shown in its row.
const PREVIEW_CHARS: usize = 160;
/// Characters of a string shown in its tooltip.
const TOOLTIP_CHARS: usize = 2_000;
/// Indentation per level, in points.
const INDENT: f32 = 14.0;
/// Width of the expand marker, in points.
const MARKER: f32 = 12.0;

/// The state of one tree: what is expanded and selected. Reset it (make a new
/// one) when the document changes.
#[derive(Debug, Clone, Default)]
pub struct JsonTree {
    /// JSON pointers (RFC 6901) of expanded containers; "" is the root.
    expanded: BTreeSet<String>,
    /// Number of children shown, for containers where more than a page was asked for.
    shown: BTreeMap<String, usize>,
    selected: Option<String>,
    /// JSON pointers to mark as changed (their ancestors are marked lightly).
    highlighted: BTreeSet<String>,
    /// Flattened rows of the expanded nodes; rebuilt after a change.
    rows: Option<Vec<Row>>,
}

#[derive(Debug, Clone, PartialEq)]
struct Row {
    pointer: String,
    depth: usize,
    key: Key,
    /// A container whose children follow.
    expanded: bool,
    /// A "show more" row of the container at `pointer`: (shown, total).
    more: Option<(usize, usize)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Key {
    Root,
    Field(String),
    Index(usize),
}

/// What happened in the tree this frame.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TreeResponse {
    /// The user selected a node.
    pub selected: bool,
}

impl JsonTree {
    /// A tree of `value` with the containers of the first `open_levels` levels expanded.
    pub fn new(value: &Value, open_levels: usize) -> JsonTree {
        let mut tree = JsonTree::default();
        let mut pending = vec![(String::new(), value, 0)];
        while let Some((pointer, node, level)) = pending.pop() {
            if level >= open_levels || !is_container(node) {
                continue;
            }
            for (key, child) in children(node).take(CHILDREN_PAGE) {
                pending.push((child_pointer(&pointer, &key), child, level + 1));
            }
            tree.expanded.insert(pointer);
        }
        tree
    }

    /// The JSONPath of the selected node, relative to the tree's document.
    pub fn selected_path(&self, value: &Value) -> Option<String> {
        self.selected
            .as_deref()
            .map(|pointer| json_path(value, pointer))
    }

    /// The selected node's value.
    pub fn selected_value<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        self.selected
            .as_deref()
            .and_then(|pointer| value.pointer(pointer))
    }

    /// Marks the nodes at `pointers` (RFC 6901) as changed and expands their
    /// ancestors so that they are in view; their ancestors get a lighter mark
    /// (a removed node shows on its parent).
    pub fn highlight(&mut self, pointers: &[String]) {
        self.highlighted = pointers.iter().cloned().collect();
        for pointer in pointers {
            let mut end = pointer.len();
            while let Some(slash) = pointer[..end].rfind('/') {
                self.expanded.insert(pointer[..slash].to_string());
                end = slash;
            }
        }
        self.rows = None;
    }

    /// Also expands what `other` has expanded (a tree of the next version of
    /// the same document keeps what the user opened).
    pub fn expand_as(&mut self, other: &JsonTree) {
        self.expanded.extend(other.expanded.iter().cloned());
        self.rows = None;
    }

    /// The mark of the row at `pointer`: changed, or holding a change.
    fn mark(&self, pointer: &str, colour: Color32) -> Option<Color32> {
        if self.highlighted.is_empty() {
            return None;
        }
        if self.highlighted.contains(pointer) {
            return Some(colour);
        }
        let prefix = format!("{pointer}/");
        let holds = self
            .highlighted
            .range(prefix.clone()..)
            .next()
            .is_some_and(|changed| changed.starts_with(&prefix));
        holds.then(|| colour.gamma_multiply(0.4))
    }

    /// Forgets the selection (another tree got it).
    pub fn clear_selection(&mut self) {
        self.selected = None;
    }

    /// Number of rows the tree shows now.
    pub fn row_count(&mut self, value: &Value) -> usize {
        self.rows(value).len()
    }

    /// Expands or collapses the container at `pointer`.
    pub fn toggle(&mut self, pointer: &str) {
        if !self.expanded.remove(pointer) {
            self.expanded.insert(pointer.to_string());
        }
        self.rows = None;
    }

    fn rows(&mut self, value: &Value) -> &[Row] {
        if self.rows.is_none() {
            self.rows = Some(self.build_rows(value));
        }
        self.rows.as_deref().unwrap_or_default()
    }

    fn build_rows(&self, value: &Value) -> Vec<Row> {
        enum Item<'v> {
            Node(String, usize, Key, &'v Value),
            More(String, usize, usize, usize),
        }
        let mut rows = Vec::new();
        let mut stack = vec![Item::Node(String::new(), 0, Key::Root, value)];
        while let Some(item) = stack.pop() {
            let (pointer, depth, key, node) = match item {
                Item::More(pointer, depth, shown, total) => {
                    rows.push(Row {
                        pointer,
                        depth,
                        key: Key::Root,
                        expanded: false,
                        more: Some((shown, total)),
                    });
                    continue;
                }
                Item::Node(pointer, depth, key, node) => (pointer, depth, key, node),
            };
            let expanded = is_container(node) && self.expanded.contains(&pointer);
            rows.push(Row {
                pointer: pointer.clone(),
                depth,
                key,
                expanded,
                more: None,
            });
            if expanded {
                let total = child_count(node);
                let shown = self
                    .shown
                    .get(&pointer)
                    .copied()
                    .unwrap_or(CHILDREN_PAGE)
                    .min(total);
                if shown < total {
                    stack.push(Item::More(pointer.clone(), depth + 1, shown, total));
                }
                let visible: Vec<_> = children(node).take(shown).collect();
                for (child_key, child) in visible.into_iter().rev() {
                    stack.push(Item::Node(
                        child_pointer(&pointer, &child_key),
                        depth + 1,
                        child_key,
                        child,
                    ));
                }
            }
        }
        rows
    }

    /// Shows the tree of `value` in at most `max_height` points (scrolling
    /// beyond); `root_label` names the document (e.g. "payload").
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        id_salt: &str,
        root_label: &str,
        value: &Value,
        max_height: f32,
    ) -> TreeResponse {
        let mut response = TreeResponse::default();
        let row_height = ui.spacing().interact_size.y;
        let font = FontId::monospace(ui.style().text_styles[&egui::TextStyle::Body].size);
        let colours = Colours::of(ui);
        if self.rows.is_none() {
            self.rows = Some(self.build_rows(value));
        }
        // Taken out while drawing (no copy per frame), put back before any change.
        let rows = self.rows.take().unwrap_or_default();
        let mut actions = Vec::new();
        let selected = self.selected.clone();
        let changed = colours.changed;
        // Long values scroll sideways, with a bar in sight.
        ui.scope(|ui| {
            fit::solid_scroll_bars(ui);
            egui::ScrollArea::both()
                .id_salt(id_salt)
                .auto_shrink([false, false])
                .max_height(max_height.max(row_height * 2.0))
                .min_scrolled_height(max_height.max(row_height * 2.0))
                .show_rows(ui, row_height, rows.len(), |ui, range| {
                    for row in &rows[range] {
                        if let Some(action) = row_ui(
                            ui,
                            row,
                            root_label,
                            value,
                            selected.as_deref() == Some(row.pointer.as_str()) && row.more.is_none(),
                            row.more
                                .is_none()
                                .then(|| self.mark(&row.pointer, changed))
                                .flatten(),
                            row_height,
                            &font,
                            &colours,
                        ) {
                            actions.push(action);
                        }
                    }
                });
        });
        self.rows = Some(rows);
        for action in actions {
            match action {
                Action::Select { pointer, toggle } => {
                    if toggle {
                        self.toggle(&pointer);
                    }
                    self.selected = Some(pointer);
                    response.selected = true;
                }
                Action::ShowMore { pointer, shown } => {
                    self.shown.insert(pointer, shown + CHILDREN_PAGE);
                    self.rows = None;
                }
                Action::CopyValue(pointer) => {
                    if let Some(node) = value.pointer(&pointer) {
                        ui.ctx().copy_text(copy_text(node));
                    }
                }
                Action::CopyPath(pointer) => ui.ctx().copy_text(json_path(value, &pointer)),
            }
        }
        response
    }
}

enum Action {
    Select { pointer: String, toggle: bool },
    ShowMore { pointer: String, shown: usize },
    CopyValue(String),
    CopyPath(String),
}

struct Colours {
    key: Color32,
    string: Color32,
    number: Color32,
    literal: Color32,
    muted: Color32,
    /// Background of a changed node.
    changed: Color32,
}

impl Colours {
    fn of(ui: &Ui) -> Colours {
        let dark = ui.visuals().dark_mode;
        let pick = |on_dark: Color32, on_light: Color32| if dark { on_dark } else { on_light };
        Colours {
            key: ui.visuals().strong_text_color(),
            string: pick(
                Color32::from_rgb(152, 195, 121),
                Color32::from_rgb(40, 120, 40),
            ),
            number: pick(
                Color32::from_rgb(97, 175, 239),
                Color32::from_rgb(20, 90, 180),
            ),
            literal: pick(
                Color32::from_rgb(209, 154, 102),
                Color32::from_rgb(170, 80, 0),
            ),
            muted: ui.visuals().weak_text_color(),
            changed: pick(
                Color32::from_rgba_unmultiplied(200, 150, 30, 90),
                Color32::from_rgba_unmultiplied(240, 190, 40, 120),
            ),
        }
    }
}

#[expect(clippy::too_many_arguments, reason = "one row's drawing inputs")]
fn row_ui(
    ui: &mut Ui,
    row: &Row,
    root_label: &str,
    document: &Value,
    selected: bool,
    mark: Option<Color32>,
    row_height: f32,
    font: &FontId,
    colours: &Colours,
) -> Option<Action> {
    let mut job = LayoutJob::default();
    let mut push = |text: &str, colour: Color32| {
        job.append(text, 0.0, TextFormat::simple(font.clone(), colour));
    };
    let node = document.pointer(&row.pointer);
    if let Some((shown, total)) = row.more {
        push(
            &format!(
                "show {} more (of {total})",
                CHILDREN_PAGE.min(total - shown)
            ),
            colours.number,
        );
    } else if let Some(node) = node {
        match &row.key {
            Key::Root => push(root_label, colours.key),
            Key::Field(name) => push(name, colours.key),
            Key::Index(index) => push(&index.to_string(), colours.muted),
        }
        push(": ", colours.muted);
        let (preview, colour) = preview(node, colours);
        push(&preview, colour);
    }
    let galley = ui.painter().layout_job(job);
    // Room for the expand marker, painted (the default fonts have no triangles).
    let indent = row.depth as f32 * INDENT + MARKER;
    let width = ui.available_width().max(indent + galley.size().x + 8.0);
    let (rect, response) = ui.allocate_exact_size(vec2(width, row_height), Sense::click());
    let text = galley.text().to_string();
    response.widget_info(|| {
        egui::WidgetInfo::selected(egui::Role::TreeItem, true, selected, text.trim_start())
    });
    if ui.is_rect_visible(rect) {
        if selected {
            ui.painter()
                .rect_filled(rect, 2.0, ui.visuals().selection.bg_fill);
        } else if response.hovered() {
            ui.painter()
                .rect_filled(rect, 2.0, ui.visuals().widgets.hovered.weak_bg_fill);
        } else if let Some(mark) = mark {
            ui.painter().rect_filled(rect, 2.0, mark);
        }
        if let Some(node) = node
            && row.more.is_none()
            && is_container(node)
            && child_count(node) > 0
        {
            let centre = rect.left_center() + vec2(indent - MARKER / 2.0 + 2.0, 0.0);
            marker_shape(ui, centre, row.expanded, colours.muted);
        }
        let position = rect.left_center() + vec2(indent + 4.0, -galley.size().y / 2.0);
        ui.painter()
            .galley(position, galley, ui.visuals().text_color());
    }
    if let Some((shown, _)) = row.more {
        return response.clicked().then(|| Action::ShowMore {
            pointer: row.pointer.clone(),
            shown,
        });
    }
    let node = node?;
    let mut action = None;
    let response = match node {
        Value::String(text) if text.chars().count() > PREVIEW_CHARS => {
            let mut tip: String = text.chars().take(TOOLTIP_CHARS).collect();
            if text.len() > tip.len() {
                tip.push_str("\n… the whole value is in the Raw view, or use Copy value");
            }
            response.on_hover_text(tip)
        }
        _ => response,
    };
    response.context_menu(|ui| {
        if ui.button("Copy value").clicked() {
            action = Some(Action::CopyValue(row.pointer.clone()));
            ui.close();
        }
        if ui.button("Copy path").clicked() {
            action = Some(Action::CopyPath(row.pointer.clone()));
            ui.close();
        }
    });
    if action.is_some() {
        return action;
    }
    response.clicked().then(|| Action::Select {
        pointer: row.pointer.clone(),
        toggle: is_container(node) && child_count(node) > 0,
    })
}

/// A triangle pointing right (collapsed) or down (expanded).
fn marker_shape(ui: &Ui, centre: egui::Pos2, expanded: bool, colour: Color32) {
    let size = 4.0;
    let points = if expanded {
        vec![
            centre + vec2(-size, -size / 2.0),
            centre + vec2(size, -size / 2.0),
            centre + vec2(0.0, size),
        ]
    } else {
        vec![
            centre + vec2(-size / 2.0, -size),
            centre + vec2(size, 0.0),
            centre + vec2(-size / 2.0, size),
        ]
    };
    ui.painter().add(egui::Shape::convex_polygon(
        points,
        colour,
        egui::Stroke::NONE,
    ));
}

fn preview(node: &Value, colours: &Colours) -> (String, Color32) {
    match node {
        Value::Null => ("null".to_string(), colours.literal),
        Value::Bool(flag) => (flag.to_string(), colours.literal),
        Value::Number(number) => (number.to_string(), colours.number),
        Value::String(text) => {
            let count = text.chars().count();
            if count > PREVIEW_CHARS {
                let shown: String = text.chars().take(PREVIEW_CHARS).collect();
                (
                    format!(
                        "{:?}… ({} characters)",
                        shown,
                        crate::widgets::time::format_count(count as u64)
                    ),
                    colours.string,
                )
            } else {
                (format!("{text:?}"), colours.string)
            }
        }
        Value::Array(items) if items.is_empty() => ("[]".to_string(), colours.muted),
        Value::Array(items) => (format!("[{} items]", items.len()), colours.muted),
        Value::Object(fields) if fields.is_empty() => ("{}".to_string(), colours.muted),
        Value::Object(fields) => (format!("{{{} keys}}", fields.len()), colours.muted),
    }
}

fn is_container(value: &Value) -> bool {
    matches!(value, Value::Array(_) | Value::Object(_))
}

fn child_count(value: &Value) -> usize {
    match value {
        Value::Array(items) => items.len(),
        Value::Object(fields) => fields.len(),
        _ => 0,
    }
}

fn children(value: &Value) -> Box<dyn Iterator<Item = (Key, &Value)> + '_> {
    match value {
        Value::Array(items) => Box::new(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| (Key::Index(index), item)),
        ),
        Value::Object(fields) => Box::new(
            fields
                .iter()
                .map(|(name, field)| (Key::Field(name.clone()), field)),
        ),
        _ => Box::new(std::iter::empty()),
    }
}

fn child_pointer(parent: &str, key: &Key) -> String {
    match key {
        Key::Root => parent.to_string(),
        Key::Index(index) => format!("{parent}/{index}"),
        Key::Field(name) => format!("{parent}/{}", name.replace('~', "~0").replace('/', "~1")),
    }
}

/// The text "Copy value" puts on the clipboard: a string as it is, anything else as JSON.
pub fn copy_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_else(|_| other.to_string()),
    }
}

/// The JSONPath (RFC 9535) of the node at `pointer` in `document`: dot notation
/// for plain names, bracket notation otherwise, `[n]` for array items.
pub fn json_path(document: &Value, pointer: &str) -> String {
    let mut path = String::from("$");
    let mut node = document;
    for token in pointer.split('/').skip(1) {
        let name = token.replace("~1", "/").replace("~0", "~");
        match node {
            Value::Array(items) => {
                let index: usize = name.parse().unwrap_or(usize::MAX);
                path.push_str(&format!("[{index}]"));
                match items.get(index) {
                    Some(item) => node = item,
                    None => break,
                }
            }
            Value::Object(fields) => {
                if is_shorthand_name(&name) {
                    path.push('.');
                    path.push_str(&name);
                } else {
                    path.push_str("['");
                    for character in name.chars() {
                        match character {
                            '\'' => path.push_str("\\'"),
                            '\\' => path.push_str("\\\\"),
                            other if (other as u32) < 0x20 => {
                                path.push_str(&format!("\\u{:04x}", other as u32));
                            }
                            other => path.push(other),
                        }
                    }
                    path.push_str("']");
                }
                match fields.get(&name) {
                    Some(field) => node = field,
                    None => break,
                }
            }
            _ => break,
        }
    }
    path
}

/// RFC 9535 member-name-shorthand: name-first *name-char.
fn is_shorthand_name(name: &str) -> bool {
    let mut characters = name.chars();
    let Some(first) = characters.next() else {
        return false;
    };
    let first_ok = first.is_ascii_alphabetic() || first == '_' || !first.is_ascii();
    first_ok && characters.all(|c| c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_use_dots_for_plain_names_and_brackets_otherwise() {
        let document = json!({"meter": {"readings": [1, {"odd key": 2, "it's": 3}]}});
        assert_eq!(json_path(&document, ""), "$");
        assert_eq!(
            json_path(&document, "/meter/readings/1"),
            "$.meter.readings[1]"
        );
        assert_eq!(
            json_path(&document, "/meter/readings/1/odd key"),
            "$.meter.readings[1]['odd key']"
        );
        assert_eq!(
            json_path(&document, "/meter/readings/1/it's"),
            "$.meter.readings[1]['it\\'s']"
        );
    }

    #[test]
    fn a_copied_path_finds_the_value_again() {
        let document = json!({"a b": [{"c/d": "x"}]});
        let path = json_path(&document, "/a b/0/c~1d");
        let found = serde_json_path::JsonPath::parse(&path)
            .expect("valid path")
            .query(&document)
            .all();
        assert_eq!(found, vec![&json!("x")]);
    }

    #[test]
    fn only_expanded_nodes_become_rows_and_large_containers_are_paged() {
        let document = json!({"items": (0..1000).collect::<Vec<_>>(), "name": "x"});
        let mut tree = JsonTree::new(&document, 1);
        // root, items (collapsed), name
        assert_eq!(tree.row_count(&document), 3);
        tree.toggle("/items");
        // root, items, 100 items, "show more", name
        assert_eq!(tree.row_count(&document), 3 + CHILDREN_PAGE + 1);
    }

    #[test]
    fn a_deeply_nested_document_builds_rows_without_recursion() {
        let mut document = json!(1);
        for _ in 0..100 {
            document = json!({ "deeper": document });
        }
        let mut tree = JsonTree::new(&document, 200);
        assert_eq!(tree.row_count(&document), 101);
    }
}
