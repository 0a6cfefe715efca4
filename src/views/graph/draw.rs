//! Drawing a laid-out graph into a painter: fast enough for 10,000 vertices
//! in view. What is off screen is culled; when boxes are too small to read,
//! labels are skipped and vertices and edges go into one mesh (no per-shape
//! tessellation); zoomed in, boxes are rounded, outlined and labelled.

use egui::epaint::{Mesh, Vertex as MeshVertex, WHITE_UV};
use egui::{
    Align2, Color32, CornerRadius, FontId, Painter, Pos2, Rect, Stroke, StrokeKind, Vec2, pos2,
    vec2,
};

use process_workbench_core::graph::layout::{Layout, LayoutKind, MARGIN};
use process_workbench_core::graph::{CausalGraph, Vertex, process_color};

/// Zoom from which labels are drawn (the label font is then at least ~6 px).
pub const LABEL_ZOOM: f32 = 0.5;
/// Zoom from which arrow heads are drawn.
const ARROW_ZOOM: f32 = 0.2;
/// Font size of labels at zoom 1.
const FONT_SIZE: f32 = 12.5;

/// Where the graph is on screen: screen = origin + world × zoom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    /// Screen position of the world origin.
    pub origin: Pos2,
    pub zoom: f32,
}

impl Camera {
    /// Smallest and largest zoom.
    pub const MIN_ZOOM: f32 = 0.005;
    pub const MAX_ZOOM: f32 = 4.0;

    /// The camera that shows the whole layout inside `rect`, centred.
    pub fn fit(layout: &Layout, rect: Rect) -> Camera {
        let width = layout.width.max(1.0);
        let height = layout.height.max(1.0);
        let zoom = (rect.width() / width)
            .min(rect.height() / height)
            .clamp(Self::MIN_ZOOM, 1.5);
        let origin = rect.center() - vec2(width, height) * zoom / 2.0;
        Camera { origin, zoom }
    }

    /// A layout point on screen.
    pub fn to_screen(&self, point: [f32; 2]) -> Pos2 {
        self.origin + vec2(point[0], point[1]) * self.zoom
    }

    /// A screen point in layout coordinates.
    pub fn to_world(&self, point: Pos2) -> [f32; 2] {
        let world = (point - self.origin) / self.zoom;
        [world.x, world.y]
    }

    /// A layout box on screen.
    pub fn rect(&self, rect: &process_workbench_core::graph::Rect) -> Rect {
        Rect::from_min_size(
            self.to_screen([rect.x, rect.y]),
            vec2(rect.width, rect.height) * self.zoom,
        )
    }

    /// Zooms by `factor` keeping the layout point under `anchor` in place.
    pub fn zoom_at(&mut self, anchor: Pos2, factor: f32) {
        let zoom = (self.zoom * factor).clamp(Self::MIN_ZOOM, Self::MAX_ZOOM);
        let world = (anchor - self.origin) / self.zoom;
        self.origin = anchor - world * zoom;
        self.zoom = zoom;
    }
}

/// Everything one frame of the graph depends on.
pub struct Scene<'a> {
    pub graph: &'a CausalGraph,
    pub layout: &'a Layout,
    pub camera: Camera,
    /// The selected vertex (outlined).
    pub selected: Option<usize>,
    /// The vertex under the pointer (its edges highlighted).
    pub hovered: Option<usize>,
    /// Per vertex: matches the search; `None` when there is no search.
    pub matches: Option<&'a [bool]>,
    pub dark: bool,
}

/// What a frame drew (tests and the benchmark look at it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrawStats {
    pub vertices: usize,
    pub edges: usize,
    pub labels: usize,
}

/// The vertex whose box contains a layout point, topmost (last drawn) first.
pub fn vertex_at(layout: &Layout, point: [f32; 2]) -> Option<usize> {
    layout.boxes.iter().rposition(|rect| {
        point[0] >= rect.x
            && point[0] <= rect.x + rect.width
            && point[1] >= rect.y
            && point[1] <= rect.y + rect.height
    })
}

/// The colour of a vertex's process type.
pub fn vertex_colour(vertex: Vertex<'_>) -> Color32 {
    let [r, g, b] = process_color(vertex.process_type());
    Color32::from_rgb(r, g, b)
}

/// Draws the scene into `painter` (its clip rect is the visible area).
pub fn draw(painter: &Painter, scene: &Scene<'_>) -> DrawStats {
    let clip = painter.clip_rect();
    let zoom = scene.camera.zoom;
    let detailed = zoom >= LABEL_ZOOM;
    let mut stats = DrawStats::default();
    let text_colour = if scene.dark {
        Color32::from_gray(225)
    } else {
        Color32::from_gray(25)
    };
    let edge_colour = if scene.dark {
        Color32::from_gray(120)
    } else {
        Color32::from_gray(130)
    };
    let accent = if scene.dark {
        Color32::from_rgb(255, 214, 10)
    } else {
        Color32::from_rgb(200, 120, 0)
    };
    let search_active = scene.matches.is_some();
    let is_match = |index: usize| {
        scene
            .matches
            .is_none_or(|m| m.get(index).copied().unwrap_or(false))
    };

    let mut mesh = Mesh::default();
    let width = (1.3 * zoom.sqrt()).clamp(0.6, 2.0);

    // Edges first, under the boxes.
    for (route, edge) in scene.layout.routes.iter().zip(&scene.graph.edges) {
        let Some(bounds) = bounds_of(&route.points, &scene.camera) else {
            continue;
        };
        if !clip.intersects(bounds.expand(6.0)) {
            continue;
        }
        stats.edges += 1;
        let touches =
            |vertex: Option<usize>| vertex.is_some_and(|v| v == edge.from || v == edge.to);
        let (colour, line_width) = if touches(scene.hovered) || touches(scene.selected) {
            (accent, width * 1.6)
        } else if search_active && !(is_match(edge.from) || is_match(edge.to)) {
            (edge_colour.gamma_multiply(0.35), width)
        } else {
            (edge_colour, width)
        };
        // Points closer than a pixel to the last one drawn are skipped: zoomed
        // out, long edges have hundreds of bends that would all fall in one pixel.
        let mut previous: Option<Pos2> = None;
        let last = route.points.len().saturating_sub(1);
        for (index, point) in route.points.iter().enumerate() {
            let screen = scene.camera.to_screen(*point);
            match previous {
                None => previous = Some(screen),
                Some(from) if index == last || from.distance_sq(screen) >= 2.0 => {
                    line(&mut mesh, from, screen, line_width, colour);
                    previous = Some(screen);
                }
                Some(_) => {}
            }
        }
        if zoom >= ARROW_ZOOM
            && let [.., before, last] = route.points.as_slice()
        {
            let tip = scene.camera.to_screen(*last);
            let before = scene.camera.to_screen(*before);
            arrow_head(
                &mut mesh,
                before,
                tip,
                (9.0 * zoom.sqrt()).clamp(3.0, 12.0),
                colour,
            );
        }
    }

    // Boxes: in the mesh when small; rounded, outlined and labelled when readable.
    let mut labelled = Vec::new();
    for (index, (vertex, rect)) in scene.graph.vertices().zip(&scene.layout.boxes).enumerate() {
        let screen = scene.camera.rect(rect);
        if !clip.intersects(screen) {
            continue;
        }
        stats.vertices += 1;
        let colour = vertex_colour(vertex);
        let dimmed = search_active && !is_match(index);
        let is_root = matches!(vertex, Vertex::Event(node) if node.event_id == scene.graph.root);
        if detailed {
            labelled.push((index, vertex, screen, colour, dimmed, is_root));
            continue;
        }
        let fill = if dimmed {
            colour.gamma_multiply(0.25)
        } else {
            colour
        };
        // At least a pixel, so that every vertex in view is visible.
        let screen = Rect::from_min_size(screen.min, screen.size().max(vec2(1.0, 1.0)));
        let emphasised = Some(index) == scene.selected
            || Some(index) == scene.hovered
            || is_root
            || (search_active && !dimmed);
        if emphasised {
            mesh.add_colored_rect(screen.expand(2.0), accent);
        }
        mesh.add_colored_rect(screen, fill);
    }
    painter.add(mesh);

    let radius = CornerRadius::same((6.0 * zoom).clamp(1.0, 12.0) as u8);
    let font = FontId::proportional(FONT_SIZE * zoom);
    for (index, vertex, screen, colour, dimmed, is_root) in labelled {
        let factor = if dimmed { 0.3 } else { 1.0 };
        let fill = colour.gamma_multiply(0.28 * factor);
        let group = matches!(vertex, Vertex::Group(_));
        let stroke = if Some(index) == scene.selected || (search_active && !dimmed) {
            Stroke::new(3.0, accent)
        } else if is_root {
            Stroke::new(3.0, text_colour)
        } else if Some(index) == scene.hovered {
            Stroke::new(2.0, accent)
        } else {
            Stroke::new(1.2, colour.gamma_multiply(factor))
        };
        painter.rect_filled(screen, radius, fill);
        if group {
            let dashes = egui::Shape::dashed_line(
                &[
                    screen.left_top(),
                    screen.right_top(),
                    screen.right_bottom(),
                    screen.left_bottom(),
                    screen.left_top(),
                ],
                stroke,
                6.0,
                4.0,
            );
            painter.extend(dashes);
        } else {
            painter.rect_stroke(screen, radius, stroke, StrokeKind::Inside);
        }
        let (first, second) = labels(vertex);
        let chars = ((screen.width() - 14.0 * zoom) / (FONT_SIZE * zoom * 0.56)).max(1.0) as usize;
        let text = text_colour.gamma_multiply(if dimmed { 0.45 } else { 1.0 });
        painter.text(
            screen.left_top() + vec2(8.0, 6.0) * zoom,
            Align2::LEFT_TOP,
            truncate(&first, chars),
            font.clone(),
            text,
        );
        painter.text(
            screen.left_top() + vec2(8.0, 24.0) * zoom,
            Align2::LEFT_TOP,
            truncate(&second, chars),
            font.clone(),
            text.gamma_multiply(0.7),
        );
        stats.labels += 1;
    }

    if scene.layout.kind == LayoutKind::Lanes && zoom >= LABEL_ZOOM * 0.6 {
        let font = FontId::proportional((FONT_SIZE + 1.0) * zoom);
        for lane in &scene.layout.lanes {
            let at = scene.camera.to_screen([lane.x, MARGIN]);
            if clip.x_range().contains(at.x) || clip.x_range().contains(at.x + 100.0) {
                painter.text(
                    at,
                    Align2::LEFT_TOP,
                    &lane.stream_id,
                    font.clone(),
                    text_colour,
                );
            }
        }
    }
    stats
}

/// The two label lines of a vertex: event type, and stream with version.
pub fn labels(vertex: Vertex<'_>) -> (String, String) {
    match vertex {
        Vertex::Event(node) => (
            node.event_type.clone(),
            format!("{} v{}", node.stream_id, node.version),
        ),
        Vertex::Group(group) => (group.label.clone(), "click to expand".to_string()),
    }
}

/// Shortens text to `max` characters, marking the cut with an ellipsis.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// Screen bounds of a polyline, `None` when it has no points.
fn bounds_of(points: &[[f32; 2]], camera: &Camera) -> Option<Rect> {
    let (first, rest) = points.split_first()?;
    let mut min = *first;
    let mut max = *first;
    for point in rest {
        min = [min[0].min(point[0]), min[1].min(point[1])];
        max = [max[0].max(point[0]), max[1].max(point[1])];
    }
    Some(Rect::from_min_max(
        camera.to_screen(min),
        camera.to_screen(max),
    ))
}

/// An anti-aliased line segment as mesh triangles: a solid core and a
/// one-pixel feather on each side that fades out.
fn line(mesh: &mut Mesh, from: Pos2, to: Pos2, width: f32, colour: Color32) {
    let direction = to - from;
    let length = direction.length();
    if length <= f32::EPSILON {
        return;
    }
    let normal = Vec2::new(-direction.y, direction.x) / length;
    let core = normal * (width / 2.0 - 0.5).max(0.0);
    let outer = normal * (width / 2.0 + 0.5);
    let clear = Color32::TRANSPARENT;
    let base = mesh.vertices.len() as u32;
    for (offset, colour) in [
        (outer, clear),
        (core, colour),
        (-core, colour),
        (-outer, clear),
    ] {
        push(mesh, from + offset, colour);
        push(mesh, to + offset, colour);
    }
    // Strips between the four parallel lines: 0-1 | 2-3 | 4-5 | 6-7.
    for strip in 0..3 {
        let a = base + strip * 2;
        mesh.add_triangle(a, a + 1, a + 2);
        mesh.add_triangle(a + 1, a + 3, a + 2);
    }
}

/// A filled triangle pointing at `tip` from the direction of `before`.
fn arrow_head(mesh: &mut Mesh, before: Pos2, tip: Pos2, size: f32, colour: Color32) {
    let direction = tip - before;
    let length = direction.length();
    if length <= f32::EPSILON {
        return;
    }
    let unit = direction / length;
    let normal = vec2(-unit.y, unit.x);
    let base = tip - unit * size;
    let first = mesh.vertices.len() as u32;
    push(mesh, tip, colour);
    push(mesh, base + normal * size * 0.5, colour);
    push(mesh, base - normal * size * 0.5, colour);
    mesh.add_triangle(first, first + 1, first + 2);
}

fn push(mesh: &mut Mesh, pos: Pos2, color: Color32) {
    mesh.vertices.push(MeshVertex {
        pos,
        uv: WHITE_UV,
        color,
    });
}

/// Where an empty canvas says what to do.
pub fn hint(painter: &Painter, rect: Rect, text: &str, colour: Color32) {
    painter.text(
        pos2(rect.center().x, rect.top() + 40.0),
        Align2::CENTER_TOP,
        text,
        FontId::proportional(14.0),
        colour,
    );
}
