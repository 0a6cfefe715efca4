//! The map canvas: pan by dragging, zoom with the wheel or a pinch, fit on
//! request; activities and edges are buttons (a click asks for the processes
//! that contain them), with their figures on hover.

use egui::{Color32, FontId, Pos2, Rect, Sense, Shape, Stroke, Ui, Vec2, vec2};

use process_workbench_core::analysis::MapElement;
use process_workbench_core::analysis::drawing::{MapDrawing, NodeKind, luminance};

/// What a click on the canvas meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clicked {
    Element(MapElement),
    /// The background: clears the selection.
    Nothing,
}

/// Smallest and largest zoom.
const MIN_ZOOM: f32 = 0.05;
const MAX_ZOOM: f32 = 3.0;
/// Below this zoom, labels are not drawn (they would be unreadable).
const LABEL_ZOOM: f32 = 0.45;
/// Size of an edge's clickable label area, in points.
const EDGE_TARGET: Vec2 = vec2(44.0, 16.0);

/// Pan and zoom.
#[derive(Debug, Clone)]
pub struct CanvasState {
    offset: Vec2,
    zoom: f32,
    fit: bool,
}

impl Default for CanvasState {
    fn default() -> Self {
        CanvasState {
            offset: Vec2::ZERO,
            zoom: 1.0,
            fit: true,
        }
    }
}

impl CanvasState {
    /// Fits the map to the canvas on the next frame.
    pub fn request_fit(&mut self) {
        self.fit = true;
    }

    /// Draws the map; returns what a click asked for.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        drawing: &MapDrawing,
        selected: Option<MapElement>,
    ) -> Option<Clicked> {
        let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
        if self.fit {
            self.fit = false;
            let width = drawing.width.max(1.0);
            let height = drawing.height.max(1.0);
            self.zoom = (rect.width() / width)
                .min(rect.height() / height)
                .clamp(MIN_ZOOM, 1.2);
            self.offset = (rect.size() - vec2(width, height) * self.zoom) / 2.0;
        }
        if response.dragged() {
            self.offset += response.drag_delta();
        }
        if response.hovered() {
            let (zoom, scroll, pointer) = ui.input(|input| {
                (
                    input.zoom_delta(),
                    input.smooth_scroll_delta,
                    input.pointer.hover_pos(),
                )
            });
            let factor = if zoom != 1.0 {
                zoom
            } else {
                (scroll.y / 300.0).exp()
            };
            if factor != 1.0 {
                let anchor = pointer.unwrap_or(rect.center()) - rect.min;
                let new_zoom = (self.zoom * factor).clamp(MIN_ZOOM, MAX_ZOOM);
                let world = (anchor - self.offset) / self.zoom;
                self.zoom = new_zoom;
                self.offset = anchor - world * new_zoom;
            }
        }
        let origin = rect.min + self.offset;
        let zoom = self.zoom;
        let to_screen = |[x, y]: [f32; 2]| origin + vec2(x, y) * zoom;

        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
        let dark = ui.visuals().dark_mode;
        let text_colour = if dark {
            Color32::from_gray(220)
        } else {
            Color32::from_gray(40)
        };
        let font = FontId::proportional(11.0 * zoom.min(1.5));
        let mut clicked = None;

        for (index, edge) in drawing.edges.iter().enumerate() {
            let element = edge.element;
            let highlighted = Some(element) == selected;
            let colour = colour_of(edge.colour);
            let stroke = Stroke::new(
                (edge.width * zoom).max(1.0) + if highlighted { 2.0 } else { 0.0 },
                if highlighted {
                    ui.visuals().selection.stroke.color
                } else {
                    colour
                },
            );
            let points: Vec<Pos2> = edge.points.iter().map(|point| to_screen(*point)).collect();
            if points.len() >= 2 {
                painter.add(Shape::line(points.clone(), stroke));
                arrow_head(&painter, &points, stroke.color, (6.0 + edge.width) * zoom);
            }
            if zoom >= LABEL_ZOOM && !edge.label.is_empty() {
                let at = to_screen(edge.label_at) + vec2(4.0, -2.0);
                text_inside(
                    &painter,
                    rect,
                    at,
                    egui::Align2::LEFT_BOTTOM,
                    &edge.label,
                    &font,
                    text_colour,
                );
            }
            // The label area is the edge's button (kittest clicks it by name).
            let target = Rect::from_center_size(to_screen(edge.label_at), EDGE_TARGET);
            if rect.contains_rect(target) {
                let response = ui.interact(
                    target,
                    ui.scope_id().with(("map_edge", index)),
                    Sense::click(),
                );
                let name = edge.name.clone();
                response.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::Button, true, name.clone())
                });
                if response.clicked() {
                    clicked = Some(Clicked::Element(element));
                }
                response.on_hover_text(format!("{}: {}", edge.name, edge.label));
            }
        }

        for (index, node) in drawing.nodes.iter().enumerate() {
            let screen = Rect::from_min_size(
                to_screen([node.rect.x, node.rect.y]),
                vec2(node.rect.width, node.rect.height) * zoom,
            );
            let element = match node.kind {
                NodeKind::Activity(activity) => Some(MapElement::Activity(activity)),
                NodeKind::Start | NodeKind::End => None,
            };
            let highlighted = element.is_some() && element == selected;
            let fill = colour_of(node.fill);
            painter.rect_filled(screen, 6.0 * zoom, fill);
            let outline = if highlighted {
                Stroke::new(3.0, ui.visuals().selection.stroke.color)
            } else {
                Stroke::new(1.0, Color32::from_gray(90))
            };
            painter.rect_stroke(screen, 6.0 * zoom, outline, egui::StrokeKind::Inside);
            if zoom >= LABEL_ZOOM {
                let ink = if luminance(node.fill) < 140.0 {
                    Color32::WHITE
                } else {
                    Color32::from_gray(30)
                };
                let inset = 8.0 * zoom;
                let at = screen.min + vec2(inset, 18.0 * zoom);
                text_inside(
                    &painter,
                    rect,
                    at,
                    egui::Align2::LEFT_BOTTOM,
                    &node.short_label,
                    &font,
                    ink,
                );
                let at = screen.min + vec2(inset, 34.0 * zoom);
                text_inside(
                    &painter,
                    rect,
                    at,
                    egui::Align2::LEFT_BOTTOM,
                    &node.detail,
                    &font,
                    ink,
                );
            }
            if rect.intersects(screen) {
                let sense = if element.is_some() {
                    Sense::click()
                } else {
                    Sense::hover()
                };
                let response = ui.interact(
                    screen.intersect(rect),
                    ui.scope_id().with(("map_node", index)),
                    sense,
                );
                let name = node.label.clone();
                response.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::Button, true, name.clone())
                });
                if response.clicked()
                    && let Some(element) = element
                {
                    clicked = Some(Clicked::Element(element));
                }
                response.on_hover_text(format!("{}: {}", node.label, node.detail));
            }
        }
        if clicked.is_none() && response.clicked() {
            clicked = Some(Clicked::Nothing);
        }
        clicked
    }
}

/// Paints `text` only when all of it is inside `canvas`: a label cut by the
/// canvas' edge is left out rather than shown in part.
fn text_inside(
    painter: &egui::Painter,
    canvas: Rect,
    at: Pos2,
    align: egui::Align2,
    text: &str,
    font: &FontId,
    colour: Color32,
) {
    let galley = painter.layout_no_wrap(text.to_string(), font.clone(), colour);
    let place = align.anchor_size(at, galley.size());
    if canvas.contains_rect(place) {
        painter.galley(place.min, galley, colour);
    }
}

fn colour_of([r, g, b]: [u8; 3]) -> Color32 {
    Color32::from_rgb(r, g, b)
}

/// A filled arrow head at the last point of a polyline.
fn arrow_head(painter: &egui::Painter, points: &[Pos2], colour: Color32, size: f32) {
    let [.., before, tip] = points else {
        return;
    };
    let direction = (*tip - *before).normalized();
    if !direction.is_finite() {
        return;
    }
    let normal = vec2(-direction.y, direction.x);
    let base = *tip - direction * size;
    painter.add(Shape::convex_polygon(
        vec![*tip, base + normal * size * 0.5, base - normal * size * 0.5],
        colour,
        Stroke::NONE,
    ));
}
