//! The process map laid out and styled: what the window draws and the SVG
//! and PNG exports write, from one [`MapDrawing`].
//!
//! The shown activities (see [`ProcessMap::thin`]) plus a Start and an End
//! node are laid out in layers by the causal graph's layered layout
//! ([`crate::graph::layered_edges`]), early activities (by their mean place
//! in a case) on top. An edge's width and colour say its count (frequency
//! mode) or its mean time (performance mode), on a square-root scale from the
//! smallest to the largest shown, so that the busiest path or the slowest
//! step — the bottleneck — stands out.

use std::fmt::Write as _;
use std::io::Cursor;

use ab_glyph::FontRef;
use image::ImageFormat;

use super::map::{MapElement, ProcessMap, Thinned};
use crate::graph::export::{escape, truncate};
use crate::graph::layout::Rect;
use crate::graph::raster::{Canvas, PngError, png_scale_of};
use crate::graph::{Layout, layered_edges};

/// What the edges of a map show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MapMode {
    /// Width and colour by count.
    #[default]
    Frequency,
    /// Width and colour by mean time.
    Performance,
}

impl MapMode {
    pub const ALL: [MapMode; 2] = [MapMode::Frequency, MapMode::Performance];

    /// The mode's name as the CLI spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            MapMode::Frequency => "frequency",
            MapMode::Performance => "performance",
        }
    }

    /// The mode of a CLI name.
    pub fn parse(name: &str) -> Option<MapMode> {
        MapMode::ALL.into_iter().find(|mode| mode.as_str() == name)
    }
}

/// A node of the drawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Start,
    End,
    Activity(u32),
}

/// An edge of the drawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// From Start to an activity that begins cases.
    Start(u32),
    /// From an activity that ends cases to End.
    End(u32),
    /// An edge of the map, by index into [`ProcessMap::edges`].
    Path(usize),
}

/// A node placed.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnNode {
    pub kind: NodeKind,
    pub rect: Rect,
    /// The activity's name (or "Start", "End").
    pub label: String,
    /// The name shortened to fit the box.
    pub short_label: String,
    /// Its count, e.g. "1,234" (cases for Start and End).
    pub detail: String,
    /// Fill colour (RGB).
    pub fill: [u8; 3],
}

/// An edge routed.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnEdge {
    pub kind: EdgeKind,
    /// What a click on it selects: the map edge, or for a Start or End edge
    /// its activity.
    pub element: MapElement,
    /// "A → B".
    pub name: String,
    /// The polyline, arrow head at the last point; for a loop (an activity
    /// followed by itself) a small arc on the node's right side.
    pub points: Vec<[f32; 2]>,
    /// Width in layout units.
    pub width: f32,
    /// Colour (RGB).
    pub colour: [u8; 3],
    /// Count or time, as shown beside the edge.
    pub label: String,
    /// Where the label goes.
    pub label_at: [f32; 2],
}

/// The map laid out for one mode and one setting of the sliders.
#[derive(Debug, Clone, PartialEq)]
pub struct MapDrawing {
    pub nodes: Vec<DrawnNode>,
    pub edges: Vec<DrawnEdge>,
    pub width: f32,
    pub height: f32,
}

impl MapDrawing {
    /// The map element under a node (Start and End are none).
    pub fn node_element(&self, node: usize) -> Option<MapElement> {
        match self.nodes.get(node)?.kind {
            NodeKind::Activity(activity) => Some(MapElement::Activity(activity)),
            NodeKind::Start | NodeKind::End => None,
        }
    }
}

const START_COLOUR: [u8; 3] = [89, 161, 79];
const END_COLOUR: [u8; 3] = [225, 87, 89];
/// Thinnest and thickest edge.
const MIN_WIDTH: f32 = 1.0;
const MAX_WIDTH: f32 = 8.0;

/// Lays out the shown part of `map` and styles it for `mode`.
pub fn lay_out(map: &ProcessMap, thinned: &Thinned, mode: MapMode) -> MapDrawing {
    // Vertices: Start, End, then the shown activities.
    let shown: Vec<u32> = (0..map.activities.len() as u32)
        .filter(|&activity| thinned.activities.get(activity as usize) == Some(&true))
        .collect();
    let mut vertex_of = vec![usize::MAX; map.activities.len()];
    for (index, &activity) in shown.iter().enumerate() {
        vertex_of[activity as usize] = index + 2;
    }
    let mut kinds = Vec::new();
    let mut pairs = Vec::new();
    for &activity in &shown {
        if map.activities[activity as usize].start > 0 {
            kinds.push(EdgeKind::Start(activity));
            pairs.push((0, vertex_of[activity as usize]));
        }
    }
    for (index, edge) in map.edges.iter().enumerate() {
        if thinned.edges.get(index) == Some(&true) {
            kinds.push(EdgeKind::Path(index));
            pairs.push((vertex_of[edge.from as usize], vertex_of[edge.to as usize]));
        }
    }
    for &activity in &shown {
        if map.activities[activity as usize].end > 0 {
            kinds.push(EdgeKind::End(activity));
            pairs.push((vertex_of[activity as usize], 1));
        }
    }
    let mut keys = vec![0u64, u64::MAX];
    keys.extend(shown.iter().map(|&activity| {
        // (mean place in a case, in thousandths, then the index: distinct keys)
        let place = map.activities[activity as usize].mean_position;
        ((place * 1000.0) as u64 + 1) * 65_536 + u64::from(activity)
    }));
    let layout: Layout =
        match layered_edges(shown.len() + 2, &pairs, &keys, &|| false, &mut |_, _| {}) {
            Ok(layout) => layout,
            Err(_) => return empty(),
        };

    // Styles: on the range of what is shown.
    let measure = |kind: &EdgeKind| -> f64 {
        match (*kind, mode) {
            (EdgeKind::Start(activity), _) => map.activities[activity as usize].start as f64,
            (EdgeKind::End(activity), _) => map.activities[activity as usize].end as f64,
            (EdgeKind::Path(index), MapMode::Frequency) => map.edges[index].count as f64,
            (EdgeKind::Path(index), MapMode::Performance) => map.edges[index].mean_s,
        }
    };
    let paths: Vec<f64> = kinds
        .iter()
        .filter(|kind| matches!(kind, EdgeKind::Path(_)) || mode == MapMode::Frequency)
        .map(&measure)
        .collect();
    let top = paths.iter().copied().fold(0.0, f64::max);
    let most = map
        .activities
        .iter()
        .map(|activity| activity.count)
        .max()
        .unwrap_or(1)
        .max(1);

    let mut nodes = Vec::with_capacity(shown.len() + 2);
    for (vertex, rect) in layout.boxes.iter().enumerate() {
        let node = match vertex {
            0 => DrawnNode {
                kind: NodeKind::Start,
                rect: *rect,
                label: "Start".to_string(),
                short_label: "Start".to_string(),
                detail: format!("{} cases", thousands(map.cases)),
                fill: START_COLOUR,
            },
            1 => DrawnNode {
                kind: NodeKind::End,
                rect: *rect,
                label: "End".to_string(),
                short_label: "End".to_string(),
                detail: format!("{} cases", thousands(map.cases)),
                fill: END_COLOUR,
            },
            _ => {
                let activity = shown[vertex - 2];
                let stats = &map.activities[activity as usize];
                let share = (stats.count as f64 / most as f64).sqrt() as f32;
                DrawnNode {
                    kind: NodeKind::Activity(activity),
                    rect: *rect,
                    label: stats.name.clone(),
                    short_label: truncate(&stats.name, LABEL_CHARS),
                    detail: thousands(stats.count),
                    fill: mix([222, 235, 247], [33, 102, 172], share),
                }
            }
        };
        nodes.push(node);
    }

    let mut edges = Vec::with_capacity(kinds.len());
    for (route, kind) in layout.routes.iter().zip(&kinds) {
        let value = measure(kind);
        let share = if top > 0.0 {
            (value / top).clamp(0.0, 1.0).sqrt() as f32
        } else {
            0.0
        };
        let (width, colour, label) = match (*kind, mode) {
            (EdgeKind::Path(index), MapMode::Performance) => (
                MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * share,
                mix([190, 160, 120], [200, 30, 30], share),
                duration_text(map.edges[index].mean_s),
            ),
            (EdgeKind::Start(_) | EdgeKind::End(_), MapMode::Performance) => {
                (MIN_WIDTH, [150, 150, 150], String::new())
            }
            _ => (
                MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * share,
                mix([160, 170, 185], [30, 60, 120], share),
                thousands(value as u64),
            ),
        };
        let points = match *kind {
            EdgeKind::Path(index) if map.edges[index].from == map.edges[index].to => {
                let node = vertex_of[map.edges[index].from as usize];
                loop_points(&layout.boxes[node])
            }
            _ => route.points.clone(),
        };
        let label_at = middle(&points);
        let name_of = |activity: u32| map.activities[activity as usize].name.as_str();
        let (element, name) = match *kind {
            EdgeKind::Path(index) => {
                let edge = &map.edges[index];
                (
                    MapElement::Edge(edge.from, edge.to),
                    format!("{} then {}", name_of(edge.from), name_of(edge.to)),
                )
            }
            EdgeKind::Start(activity) => (
                MapElement::Activity(activity),
                format!("Start then {}", name_of(activity)),
            ),
            EdgeKind::End(activity) => (
                MapElement::Activity(activity),
                format!("{} then End", name_of(activity)),
            ),
        };
        edges.push(DrawnEdge {
            kind: *kind,
            element,
            name,
            points,
            width,
            colour,
            label,
            label_at,
        });
    }
    MapDrawing {
        nodes,
        edges,
        width: layout.width + LOOP_SPACE,
        height: layout.height,
    }
}

/// Room on the right for the loops of the rightmost boxes.
const LOOP_SPACE: f32 = 30.0;

fn empty() -> MapDrawing {
    MapDrawing {
        nodes: Vec::new(),
        edges: Vec::new(),
        width: 0.0,
        height: 0.0,
    }
}

/// A loop on the right side of a box, from its upper to its lower half.
fn loop_points(rect: &Rect) -> Vec<[f32; 2]> {
    let right = rect.x + rect.width;
    let (top, bottom) = (rect.y + rect.height * 0.25, rect.y + rect.height * 0.75);
    vec![
        [right, top],
        [right + 18.0, top - 4.0],
        [right + 24.0, (top + bottom) / 2.0],
        [right + 18.0, bottom + 4.0],
        [right, bottom],
    ]
}

/// The point halfway along a polyline.
fn middle(points: &[[f32; 2]]) -> [f32; 2] {
    let length: f32 = points
        .windows(2)
        .map(|pair| distance(pair[0], pair[1]))
        .sum();
    let mut left = length / 2.0;
    for pair in points.windows(2) {
        let step = distance(pair[0], pair[1]);
        if step >= left && step > 0.0 {
            let t = left / step;
            return [
                pair[0][0] + (pair[1][0] - pair[0][0]) * t,
                pair[0][1] + (pair[1][1] - pair[0][1]) * t,
            ];
        }
        left -= step;
    }
    points.first().copied().unwrap_or([0.0, 0.0])
}

fn distance(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt()
}

/// A colour between `low` (share 0) and `high` (share 1).
fn mix(low: [u8; 3], high: [u8; 3], share: f32) -> [u8; 3] {
    let share = share.clamp(0.0, 1.0);
    [0, 1, 2].map(|channel| {
        let (a, b) = (f32::from(low[channel]), f32::from(high[channel]));
        (a + (b - a) * share).round() as u8
    })
}

/// A count with thousands separators: 1,234,567.
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A time in seconds as people read it: "45 s", "12 min", "3.5 h", "2.1 d".
pub fn duration_text(seconds: f64) -> String {
    let seconds = seconds.max(0.0);
    if seconds < 1.0 {
        format!("{:.0} ms", seconds * 1000.0)
    } else if seconds < 60.0 {
        format!("{seconds:.0} s")
    } else if seconds < 3600.0 {
        format!("{:.0} min", seconds / 60.0)
    } else if seconds < 86_400.0 {
        format!("{:.1} h", seconds / 3600.0)
    } else {
        format!("{:.1} d", seconds / 86_400.0)
    }
}

/// Characters of a node label.
const LABEL_CHARS: usize = 26;

/// The drawing as SVG text.
pub fn to_svg(drawing: &MapDrawing) -> String {
    let mut svg = String::new();
    let (width, height) = (drawing.width.ceil(), drawing.height.ceil());
    let _ = writeln!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"##
    );
    let _ = writeln!(
        svg,
        r##"<rect width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    svg.push_str("<g class=\"edges\" fill=\"none\">\n");
    for edge in &drawing.edges {
        let [r, g, b] = edge.colour;
        let points: Vec<String> = edge
            .points
            .iter()
            .map(|[x, y]| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = writeln!(
            svg,
            r##"<polyline points="{}" stroke="rgb({r},{g},{b})" stroke-width="{:.1}"/>"##,
            points.join(" "),
            edge.width
        );
        if let Some(head) = arrow_head(&edge.points, edge.width) {
            let head: Vec<String> = head.iter().map(|[x, y]| format!("{x:.1},{y:.1}")).collect();
            let _ = writeln!(
                svg,
                r##"<polygon points="{}" fill="rgb({r},{g},{b})"/>"##,
                head.join(" ")
            );
        }
    }
    svg.push_str("</g>\n<g class=\"labels\" fill=\"#333333\">\n");
    for edge in &drawing.edges {
        if !edge.label.is_empty() {
            let [x, y] = edge.label_at;
            let _ = writeln!(
                svg,
                r##"<text x="{:.1}" y="{:.1}">{}</text>"##,
                x + 4.0,
                y - 3.0,
                escape(&edge.label)
            );
        }
    }
    svg.push_str("</g>\n<g class=\"nodes\">\n");
    for node in &drawing.nodes {
        let Rect {
            x,
            y,
            width,
            height,
        } = node.rect;
        let [r, g, b] = node.fill;
        let text = if luminance(node.fill) < 140.0 {
            "#ffffff"
        } else {
            "#222222"
        };
        let _ = writeln!(
            svg,
            r##"<g><title>{}</title><rect x="{x:.1}" y="{y:.1}" width="{width:.1}" height="{height:.1}" rx="6" fill="rgb({r},{g},{b})" stroke="#555555"/><text x="{:.1}" y="{:.1}" fill="{text}">{}</text><text x="{:.1}" y="{:.1}" fill="{text}" font-weight="bold">{}</text></g>"##,
            escape(&node.label),
            x + 8.0,
            y + 18.0,
            escape(&node.short_label),
            x + 8.0,
            y + 34.0,
            escape(&node.detail)
        );
    }
    svg.push_str("</g>\n</svg>\n");
    svg
}

/// The drawing as PNG bytes (scaled down to fit the graph export's limits).
pub fn to_png(drawing: &MapDrawing) -> Result<Vec<u8>, PngError> {
    if drawing.width <= 0.0 || drawing.height <= 0.0 {
        return Err(PngError::Empty);
    }
    let scale = png_scale_of(drawing.width, drawing.height);
    let mut canvas = Canvas::new(drawing.width, drawing.height, scale);
    for edge in &drawing.edges {
        // A wide edge: parallel one-pixel lines across its width.
        let strokes = (edge.width * scale).round().max(1.0) as i32;
        for stroke in 0..strokes {
            let offset = (stroke as f32 - (strokes - 1) as f32 / 2.0) / scale;
            for pair in edge.points.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                let length = distance(a, b).max(f32::EPSILON);
                let (nx, ny) = (-(b[1] - a[1]) / length, (b[0] - a[0]) / length);
                canvas.line(
                    [a[0] + nx * offset, a[1] + ny * offset],
                    [b[0] + nx * offset, b[1] + ny * offset],
                    edge.colour,
                    false,
                );
            }
        }
        if let [.., before, last] = edge.points.as_slice() {
            canvas.arrow_head(*before, *last, edge.colour);
        }
    }
    for node in &drawing.nodes {
        let Rect {
            x,
            y,
            width,
            height,
        } = node.rect;
        let corners = [x, y, x + width, y + height];
        canvas.fill(corners, node.fill, 1.0);
        canvas.outline(corners, [85, 85, 85], 1.0, false);
    }
    let font = FontRef::try_from_slice(epaint_default_fonts::UBUNTU_LIGHT).ok();
    if let Some(font) = font.filter(|_| canvas.labels_readable()) {
        for edge in &drawing.edges {
            let [x, y] = edge.label_at;
            canvas.text(&font, [x + 4.0, y - 3.0], &edge.label, [51, 51, 51]);
        }
        for node in &drawing.nodes {
            let text = if luminance(node.fill) < 140.0 {
                [255, 255, 255]
            } else {
                [34, 34, 34]
            };
            let Rect { x, y, .. } = node.rect;
            canvas.text(&font, [x + 8.0, y + 18.0], &node.short_label, text);
            canvas.text(&font, [x + 8.0, y + 34.0], &node.detail, text);
        }
    }
    let mut bytes = Cursor::new(Vec::new());
    canvas.image.write_to(&mut bytes, ImageFormat::Png)?;
    Ok(bytes.into_inner())
}

/// Perceived brightness of a colour (0 to 255): dark fills get white text.
pub fn luminance([r, g, b]: [u8; 3]) -> f32 {
    0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b)
}

/// The corners of an arrow head at the end of a polyline.
fn arrow_head(points: &[[f32; 2]], width: f32) -> Option<[[f32; 2]; 3]> {
    let [.., before, tip] = points else {
        return None;
    };
    let (dx, dy) = (tip[0] - before[0], tip[1] - before[1]);
    let length = (dx * dx + dy * dy).sqrt();
    if length <= f32::EPSILON {
        return None;
    }
    let (ux, uy) = (dx / length, dy / length);
    let (size, half) = (8.0 + width, 4.0 + width / 2.0);
    let base = [tip[0] - ux * size, tip[1] - uy * size];
    Some([
        *tip,
        [base[0] - uy * half, base[1] + ux * half],
        [base[0] + uy * half, base[1] - ux * half],
    ])
}
