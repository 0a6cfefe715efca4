//! The graph canvas: pan by dragging, zoom with the wheel, a pinch or the
//! buttons, fit to the window; hover shows an event's summary, a click
//! selects, a double click opens the stream at that version, the context menu
//! offers the rest. Painting is in [`super::draw`].

use egui::{Rect, RichText, Sense, Ui, Vec2};

use crate::widgets::time::format_rfc3339;
use process_workbench_core::graph::{Relation, Vertex};
use process_workbench_core::store::{EventRecord, Store};

use super::draw::{self, Camera, LABEL_ZOOM, Scene};
use super::job::Computed;

/// Zoom when a graph is too large to fit readably: the centre event at this zoom.
const READABLE_ZOOM: f32 = 0.8;
/// Fitting below this zoom would make labels unreadable: centre on the event instead.
const SMALLEST_FIT: f32 = 0.35;
/// Most vertices given an accessibility node per frame (they are labelled boxes).
const ACCESSIBLE_MAX: usize = 400;

/// What the user did on the canvas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Select(usize),
    OpenStream(usize),
    ShowInReplay(usize),
    Centre(usize),
    Expand(usize),
    CollapseStream(usize),
}

/// Pan and zoom, kept relative to the canvas so that resizing keeps the view.
#[derive(Debug, Clone)]
pub struct CanvasState {
    /// The world origin's offset from the canvas' top-left corner.
    offset: Vec2,
    zoom: f32,
    /// Zoom asked for by the buttons, applied around the canvas centre.
    pending_zoom: f32,
    /// Fit (or centre) on the next frame, when the canvas size is known.
    fit: bool,
    /// The canvas size of the last fit, while the user has not panned or
    /// zoomed since: a fitted graph is fitted again when the canvas changes
    /// size (the window is resized, the toolbar above it wraps).
    fitted_size: Option<Vec2>,
    /// The vertex the context menu is for.
    context: Option<usize>,
    /// The hovered event's time, read once per event: (position, text).
    hover_time: Option<(u64, String)>,
}

impl Default for CanvasState {
    fn default() -> Self {
        CanvasState {
            offset: Vec2::ZERO,
            zoom: 1.0,
            pending_zoom: 1.0,
            fit: true,
            fitted_size: None,
            context: None,
            hover_time: None,
        }
    }
}

impl CanvasState {
    /// Fits the graph to the window on the next frame.
    pub fn request_fit(&mut self) {
        self.fit = true;
    }

    /// The current zoom (1 = layout units are points).
    pub fn zoom(&self) -> f32 {
        self.zoom
    }

    /// Zooms around the canvas centre (applied with the next frame's size).
    pub fn zoom_by(&mut self, factor: f32) {
        self.pending_zoom *= factor;
    }

    /// Draws the graph and handles the pointer; returns what the user asked for.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        computed: &Computed,
        store: &Store,
        selected: Option<usize>,
        matches: Option<&[bool]>,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
        let layout = &computed.layout;
        let graph = &computed.graph;
        if self.fit || self.fitted_size.is_some_and(|size| size != rect.size()) {
            self.fit = false;
            self.fit_to(computed, rect);
            self.fitted_size = Some(rect.size());
        }
        let mut camera = Camera {
            origin: rect.min + self.offset,
            zoom: self.zoom,
        };
        let before_input = (camera.origin, camera.zoom);
        if self.pending_zoom != 1.0 {
            camera.zoom_at(rect.center(), self.pending_zoom);
            self.pending_zoom = 1.0;
        }

        // Pan and zoom.
        if response.dragged() {
            camera.origin += response.drag_delta();
        }
        if response.hovered() {
            let (zoom, scroll, pointer) = ui.input(|input| {
                (
                    input.zoom_delta(),
                    input.smooth_scroll_delta,
                    input.pointer.hover_pos(),
                )
            });
            let anchor = pointer.unwrap_or(rect.center());
            if zoom != 1.0 {
                camera.zoom_at(anchor, zoom);
            } else if scroll.y != 0.0 {
                camera.zoom_at(anchor, (scroll.y / 300.0).exp());
            }
            if scroll.x != 0.0 {
                camera.origin.x += scroll.x;
            }
        }
        if (camera.origin, camera.zoom) != before_input {
            self.fitted_size = None;
        }

        let pointer_vertex = |position: Option<egui::Pos2>| {
            position
                .filter(|position| rect.contains(*position))
                .and_then(|position| draw::vertex_at(layout, camera.to_world(position)))
        };
        let hovered = if response.hovered() {
            pointer_vertex(response.hover_pos())
        } else {
            None
        };
        if response.double_clicked() {
            if let Some(index) = pointer_vertex(response.interact_pointer_pos()) {
                actions.push(Action::OpenStream(index));
            }
        } else if response.clicked()
            && let Some(index) = pointer_vertex(response.interact_pointer_pos())
        {
            match graph.vertex(index) {
                Some(Vertex::Group(_)) => actions.push(Action::Expand(index)),
                Some(Vertex::Event(_)) => actions.push(Action::Select(index)),
                None => {}
            }
        }
        if response.secondary_clicked() {
            self.context = pointer_vertex(response.interact_pointer_pos());
        }

        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
        draw::draw(
            &painter,
            &Scene {
                graph,
                layout,
                camera,
                selected,
                hovered,
                matches,
                dark: ui.visuals().dark_mode,
            },
        );
        self.accessibility_ui(ui, computed, &camera, rect);

        if let Some(index) = hovered {
            let time = self.hover_time(computed, store, index);
            response.clone().on_hover_ui_at_pointer(|ui| {
                summary_ui(ui, computed, index, time.as_deref());
            });
        }
        let context = self.context;
        response.context_menu(|ui| {
            let Some(index) = context else {
                ui.label("Right-click an event for its actions.");
                return;
            };
            context_menu_ui(ui, computed, index, &mut actions);
        });

        self.offset = camera.origin - rect.min;
        self.zoom = camera.zoom;
        actions
    }

    /// Fits the whole graph, or centres on the centre event when fitting
    /// would make the labels unreadable.
    fn fit_to(&mut self, computed: &Computed, rect: Rect) {
        let fitted = Camera::fit(&computed.layout, rect);
        let camera = if fitted.zoom >= SMALLEST_FIT {
            fitted
        } else {
            let root = computed
                .graph
                .index_of(computed.graph.root)
                .and_then(|index| computed.layout.boxes.get(index));
            match root {
                Some(rect_of_root) => {
                    let centre = [
                        rect_of_root.x + rect_of_root.width / 2.0,
                        rect_of_root.y + rect_of_root.height / 2.0,
                    ];
                    Camera {
                        origin: rect.center() - egui::vec2(centre[0], centre[1]) * READABLE_ZOOM,
                        zoom: READABLE_ZOOM,
                    }
                }
                None => fitted,
            }
        };
        self.offset = camera.origin - rect.min;
        self.zoom = camera.zoom;
    }

    /// The hovered event's occurred time, read from the store once per event.
    fn hover_time(&mut self, computed: &Computed, store: &Store, index: usize) -> Option<String> {
        let Some(Vertex::Event(node)) = computed.graph.vertex(index) else {
            return None;
        };
        if let Some((position, text)) = &self.hover_time
            && *position == node.position
        {
            return Some(text.clone());
        }
        let text = store
            .read()
            .ok()
            .and_then(|reader| reader.event_bytes(node.position).ok().flatten())
            .and_then(|bytes| {
                let record: Option<EventRecord> = EventRecord::decode(node.position, &bytes).ok();
                record.map(|event| event.occurred_at)
            })
            .map(format_rfc3339)
            .unwrap_or_else(|| "time unknown".to_string());
        self.hover_time = Some((node.position, text.clone()));
        Some(text)
    }

    /// Labelled boxes become accessibility nodes (screen readers, tests),
    /// when they are readable and not too many.
    fn accessibility_ui(&self, ui: &mut Ui, computed: &Computed, camera: &Camera, rect: Rect) {
        if camera.zoom < LABEL_ZOOM {
            return;
        }
        let visible: Vec<(usize, Rect)> = computed
            .layout
            .boxes
            .iter()
            .enumerate()
            .map(|(index, layout_rect)| (index, camera.rect(layout_rect)))
            .filter(|(_, screen)| rect.contains_rect(*screen))
            .take(ACCESSIBLE_MAX + 1)
            .collect();
        if visible.len() > ACCESSIBLE_MAX {
            return;
        }
        for (index, screen) in visible {
            let Some(vertex) = computed.graph.vertex(index) else {
                continue;
            };
            let label = accessible_label(vertex);
            let response = ui.interact(
                screen,
                egui::Id::unique(("graph_vertex", index)),
                Sense::hover(),
            );
            response
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, label.clone()));
        }
    }
}

/// The text an accessibility node of a vertex carries.
pub fn accessible_label(vertex: Vertex<'_>) -> String {
    match vertex {
        Vertex::Event(node) => format!(
            "{} in {} v{}",
            node.event_type, node.stream_id, node.version
        ),
        Vertex::Group(group) => group.label.clone(),
    }
}

/// The tooltip of a vertex.
fn summary_ui(ui: &mut Ui, computed: &Computed, index: usize, time: Option<&str>) {
    match computed.graph.vertex(index) {
        Some(Vertex::Event(node)) => {
            ui.label(RichText::new(&node.event_type).strong());
            ui.label(format!("{} v{}", node.stream_id, node.version));
            if let Some(process_type) = &node.process_type {
                ui.label(format!("Process: {process_type}"));
            }
            if let Some(time) = time {
                ui.label(format!("Occurred {time}"));
            }
            ui.label(format!("Position {}", node.position));
            ui.label(RichText::new(node.event_id.to_string()).monospace().small());
            let steps = |n: u64| {
                if n == 1 {
                    "1 step".to_string()
                } else {
                    format!("{n} steps")
                }
            };
            ui.weak(match node.relation {
                Relation::Selected => "The centre of this graph".to_string(),
                Relation::Ancestor => {
                    format!("A cause, {} before the centre", steps(node.distance))
                }
                Relation::Descendant => {
                    format!("An effect, {} after the centre", steps(node.distance))
                }
                Relation::Correlated => "In the same conversation".to_string(),
            });
            ui.weak("Click: detail · double-click: open the stream · right-click: more");
        }
        Some(Vertex::Group(group)) => {
            ui.label(RichText::new(&group.label).strong());
            ui.label("Events left out to keep the graph small.");
            ui.weak("Click to show them.");
        }
        None => {}
    }
}

fn context_menu_ui(ui: &mut Ui, computed: &Computed, index: usize, actions: &mut Vec<Action>) {
    match computed.graph.vertex(index) {
        Some(Vertex::Event(node)) => {
            ui.label(RichText::new(accessible_label(Vertex::Event(node))).strong());
            let mut item = |ui: &mut Ui, text: &str, action: Action| {
                if ui.button(text).clicked() {
                    actions.push(action);
                    ui.close();
                }
            };
            item(ui, "Select", Action::Select(index));
            item(
                ui,
                "Open the stream at this version",
                Action::OpenStream(index),
            );
            item(ui, "Show in replay", Action::ShowInReplay(index));
            item(ui, "Make this the centre", Action::Centre(index));
            item(
                ui,
                &format!("Collapse stream {}", node.stream_id),
                Action::CollapseStream(index),
            );
        }
        Some(Vertex::Group(group)) => {
            ui.label(RichText::new(&group.label).strong());
            if ui.button("Show these events").clicked() {
                actions.push(Action::Expand(index));
                ui.close();
            }
        }
        None => {}
    }
}
