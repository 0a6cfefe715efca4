//! Headless export of a causal graph: JSON (see [`CausalGraph::to_json`]) and
//! SVG positioned by a [`Layout`], plus the colour of a process type that the
//! GUI uses too.

use std::fmt::Write as _;

use super::layout::{Layout, LayoutKind};
use super::{CausalGraph, Vertex};

/// Colours by process type (Tableau 10): distinguishable, also when printed.
const PALETTE: [[u8; 3]; 10] = [
    [78, 121, 167],
    [242, 142, 43],
    [225, 87, 89],
    [118, 183, 178],
    [89, 161, 79],
    [237, 201, 72],
    [176, 122, 161],
    [255, 157, 167],
    [156, 117, 95],
    [186, 176, 172],
];
/// Colour of a vertex whose stream has no known process type.
const UNKNOWN: [u8; 3] = [140, 140, 140];
/// Characters of a label that fit in a box.
pub(super) const LABEL_CHARS: usize = 26;

/// The colour of a process type (RGB), the same in every run and store.
pub fn process_color(process_type: Option<&str>) -> [u8; 3] {
    match process_type {
        Some(name) => {
            let hash = xxhash_rust::xxh3::xxh3_64(name.as_bytes());
            PALETTE[(hash % PALETTE.len() as u64) as usize]
        }
        None => UNKNOWN,
    }
}

/// The graph drawn as SVG text: boxes coloured by process type with the event
/// type and stream, "N more" groups dashed, the selected event outlined
/// thicker, arrows from cause to effect, lane titles for the lane layout.
pub fn to_svg(graph: &CausalGraph, layout: &Layout) -> String {
    let mut svg = String::new();
    let (width, height) = (layout.width.ceil(), layout.height.ceil());
    let _ = writeln!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"##
    );
    svg.push_str(
        r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>"##,
    );
    svg.push('\n');
    let _ = writeln!(
        svg,
        r##"<rect width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    if layout.kind == LayoutKind::Lanes {
        svg.push_str("<g class=\"lanes\">\n");
        for lane in &layout.lanes {
            let _ = writeln!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" font-weight="bold">{}</text>"##,
                lane.x,
                LANE_TITLE_BASELINE,
                escape(&truncate(&lane.stream_id, LABEL_CHARS))
            );
        }
        svg.push_str("</g>\n");
    }
    svg.push_str("<g class=\"edges\" fill=\"none\" stroke=\"#777\" stroke-width=\"1.2\">\n");
    for route in &layout.routes {
        let Some((first, rest)) = route.points.split_first() else {
            continue;
        };
        let mut path = format!("M {:.1} {:.1}", first[0], first[1]);
        for point in rest {
            let _ = write!(path, " L {:.1} {:.1}", point[0], point[1]);
        }
        let dash = if route.reversed {
            r#" stroke-dasharray="4 3""#
        } else {
            ""
        };
        let _ = writeln!(svg, r#"<path d="{path}" marker-end="url(#arrow)"{dash}/>"#);
    }
    svg.push_str("</g>\n<g class=\"nodes\">\n");
    for (index, vertex) in graph.vertices().enumerate() {
        let Some(rect) = layout.boxes.get(index) else {
            continue;
        };
        let [r, g, b] = process_color(vertex.process_type());
        let labels = VertexLabels::of(&vertex);
        let selected = matches!(vertex, Vertex::Event(node) if node.event_id == graph.root);
        let extra = match vertex {
            Vertex::Event(_) if selected => r#" stroke-width="3""#,
            Vertex::Event(_) => r#" stroke-width="1.2""#,
            Vertex::Group(_) => r#" stroke-width="1.2" stroke-dasharray="5 3""#,
        };
        let _ = writeln!(
            svg,
            r##"<g><title>{}</title><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="6" fill="rgb({r},{g},{b})" fill-opacity="0.22" stroke="rgb({r},{g},{b})"{extra}/><text x="{:.1}" y="{:.1}">{}</text><text x="{:.1}" y="{:.1}" fill="#555">{}</text></g>"##,
            escape(&labels.title),
            rect.x,
            rect.y,
            rect.width,
            rect.height,
            rect.x + LABEL_INSET,
            rect.y + FIRST_BASELINE,
            escape(&labels.first),
            rect.x + LABEL_INSET,
            rect.y + SECOND_BASELINE,
            escape(&labels.second),
        );
    }
    svg.push_str("</g>\n</svg>\n");
    svg
}

/// Where labels sit in a box, in layout units (shared by the SVG and the PNG).
pub(super) const LABEL_INSET: f32 = 8.0;
pub(super) const FIRST_BASELINE: f32 = 18.0;
pub(super) const SECOND_BASELINE: f32 = 34.0;
/// Baseline of the lane titles of the lane layout.
pub(super) const LANE_TITLE_BASELINE: f32 = super::layout::MARGIN + 14.0;

/// What a box says: a tooltip title and two lines (event type, then stream
/// and version; or a group's label and key), the lines shortened to fit.
pub(super) struct VertexLabels {
    pub title: String,
    pub first: String,
    pub second: String,
}

impl VertexLabels {
    pub(super) fn of(vertex: &Vertex) -> Self {
        let (title, first, second) = match vertex {
            Vertex::Event(node) => (
                format!(
                    "{} {} v{} (position {})",
                    node.event_type, node.stream_id, node.version, node.position
                ),
                node.event_type.clone(),
                format!("{} v{}", node.stream_id, node.version),
            ),
            Vertex::Group(group) => (group.label.clone(), group.label.clone(), group.key.clone()),
        };
        VertexLabels {
            title,
            first: truncate(&first, LABEL_CHARS),
            second: truncate(&second, LABEL_CHARS),
        }
    }
}

/// Shortens text to `max` characters, marking the cut with an ellipsis.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// Escapes text for SVG (XML) content and attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_shortened() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }

    #[test]
    fn colours_are_stable() {
        assert_eq!(process_color(Some("x")), process_color(Some("x")));
        assert_eq!(process_color(None), UNKNOWN);
    }
}
