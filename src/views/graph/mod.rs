//! The causal graph view: cause and effect of the selected event across
//! streams. The closure and its layout are built in a background job
//! ([`job`]); the canvas (`canvas`) pans, zooms and draws it ([`draw`]).
//!
//! The graph's centre event is the selected event when the view is first
//! shown, or the event of "Show in graph". Selecting a node of the graph keeps
//! the graph (the detail on the right follows); selecting an event that is not
//! in it elsewhere makes that event the new centre.

mod canvas;
pub mod draw;
pub mod job;

use std::sync::Arc;

use egui::{RichText, Ui};

use crate::state::command::{Command, ExportRequest};
use crate::state::jobs::Job;
use crate::widgets::progress::job_progress_ui;
use crate::widgets::time::format_count;
use process_workbench_core::actions::GraphFormat;
use process_workbench_core::graph::{LayoutKind, Vertex, group_key};
use process_workbench_core::store::Store;

use super::ViewContext;
use crate::state::{EventRef, View};
use crate::widgets::style::failure_colour;

use canvas::CanvasState;
use job::{Computed, GraphOptions, LayoutMessage, Request, spawn_layout};

/// What the view shows when no event is chosen.
pub const PICK_AN_EVENT: &str = "Select an event to see its causal graph: pick one in Streams or \
     Event log, or press \"Show in graph\" in an event's detail.";

/// The graph view's state.
#[derive(Default)]
pub struct GraphView {
    options: GraphOptions,
    /// "Show at most" as edited (applied when the edit ends).
    max_nodes_edit: Option<usize>,
    /// Position of the centre event.
    root: Option<u64>,
    computed: Option<Arc<Computed>>,
    job: Option<(Request, Job<LayoutMessage>)>,
    /// A request the user cancelled: not started again until asked.
    cancelled: Option<Request>,
    /// The request that failed: not tried again until something changes.
    failed: Option<Request>,
    error: Option<String>,
    canvas: CanvasState,
    search: String,
    /// Search text and graph the matches were computed for, the matches and their count.
    matches: Option<(String, usize, Vec<bool>, usize)>,
}

impl GraphView {
    /// Whether a layout or an export is running.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// Makes the event at `position` the centre of the graph ("Show in graph").
    pub fn set_root(&mut self, position: u64) {
        if self.root != Some(position) {
            self.root = Some(position);
            self.options.expanded.clear();
            self.options.collapsed.clear();
            self.canvas.request_fit();
        }
    }

    /// The graph shown (with its layout), if any.
    pub fn computed(&self) -> Option<&Computed> {
        self.computed.as_deref()
    }

    /// Sets the search text (as typing in the search box does).
    pub fn set_search(&mut self, text: &str) {
        self.search = text.to_string();
    }

    /// Shows every event of the closure's stream groups and collapsed streams.
    pub fn expand_all(&mut self) {
        if let Some(computed) = &self.computed {
            for group in &computed.graph.groups {
                self.options.expanded.insert(group.key.clone());
            }
        }
        self.options.collapsed.clear();
    }

    /// Sets how many events are shown before the farthest collapse (as the
    /// "Show at most" field does).
    pub fn set_max_nodes(&mut self, max_nodes: usize) {
        self.options.max_nodes = max_nodes;
        self.max_nodes_edit = Some(max_nodes);
    }

    /// Chooses the layout.
    pub fn set_layout(&mut self, kind: LayoutKind) {
        self.options.kind = kind;
    }

    /// The export of the graph on screen in `format`, as the Export menu asks
    /// for it; `None` while there is no graph.
    pub fn export_request(&self, format: GraphFormat) -> Option<ExportRequest> {
        let computed = self.computed.as_ref()?;
        Some(ExportRequest::Graph {
            request: computed.request.options.request(computed.graph.root),
            format,
        })
    }

    /// The whole view.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        self.poll();
        self.follow_selection(ctx);
        let Some(root) = self.root else {
            ui.add_space(12.0);
            ui.label(PICK_AN_EVENT);
            return;
        };
        let request = Request {
            root_position: root,
            generation: ctx.store.generation,
            options: self.options.clone(),
        };
        self.start_if_needed(&ctx.store.store, request, ui.ctx());

        self.toolbar_ui(ui);
        self.search_ui(ui, ctx);
        self.status_ui(ui);
        ui.separator();

        let Some(computed) = self.computed.clone() else {
            if self.job.is_none() && self.error.is_none() {
                ui.label("Nothing to show yet.");
            }
            return;
        };
        let selected = ctx
            .selection
            .event
            .as_ref()
            .and_then(|event| computed.by_position.get(&event.position).copied());
        let matches = self.matches_for(&computed);
        let actions = self.canvas.ui(
            ui,
            &computed,
            &ctx.store.store,
            selected,
            matches.as_deref(),
        );
        for action in actions {
            self.act(action, &computed, ctx);
        }
    }

    /// Takes what the jobs sent (every frame, also while another view is shown).
    pub fn poll(&mut self) {
        if let Some((request, job)) = &mut self.job {
            let messages = job.poll();
            let finished = job.is_finished();
            for message in messages {
                match message {
                    LayoutMessage::Done(computed) => {
                        // A new graph is fitted; a store refresh keeps the view.
                        let same_graph = self.computed.as_ref().is_some_and(|old| {
                            old.request.root_position == computed.request.root_position
                                && old.request.options == computed.request.options
                        });
                        if !same_graph {
                            self.canvas.request_fit();
                        }
                        self.error = None;
                        self.computed = Some(Arc::from(computed));
                    }
                    LayoutMessage::Failed(error) => {
                        self.error = Some(error);
                        self.failed = Some(request.clone());
                    }
                }
            }
            if finished {
                self.job = None;
            }
        }
    }

    /// A selected event outside the graph becomes its new centre.
    fn follow_selection(&mut self, ctx: &ViewContext<'_>) {
        let Some(event) = &ctx.selection.event else {
            return;
        };
        let in_graph = self
            .computed
            .as_ref()
            .is_some_and(|computed| computed.by_position.contains_key(&event.position));
        let pending = self
            .job
            .as_ref()
            .is_some_and(|(request, _)| request.root_position == event.position);
        if self.root.is_none() || !(in_graph || pending || self.root == Some(event.position)) {
            self.set_root(event.position);
        }
    }

    fn start_if_needed(&mut self, store: &Arc<Store>, request: Request, repaint: &egui::Context) {
        let shown = self
            .computed
            .as_ref()
            .is_some_and(|computed| computed.request == request);
        let running = self
            .job
            .as_ref()
            .is_some_and(|(running, _)| *running == request);
        if shown
            || running
            || self.cancelled.as_ref() == Some(&request)
            || self.failed.as_ref() == Some(&request)
        {
            return;
        }
        self.cancelled = None;
        self.failed = None;
        let job = spawn_layout(Arc::clone(store), request.clone(), Some(repaint.clone()));
        self.job = Some((request, job));
    }

    fn toolbar_ui(&mut self, ui: &mut Ui) {
        ui.horizontal_wrapped(|ui| {
            if let Some(computed) = &self.computed
                && let Some(index) = computed.graph.index_of(computed.graph.root)
                && let Some(Vertex::Event(node)) = computed.graph.vertex(index)
            {
                ui.label(RichText::new(format!("Graph of {}", node.event_type)).strong());
                ui.label(format!("{} v{}", node.stream_id, node.version));
                ui.separator();
            }
            ui.checkbox(
                &mut self.options.include_correlation,
                "Include the conversation",
            )
            .on_hover_text("Add every event with the same correlation id");
            ui.separator();
            ui.selectable_value(&mut self.options.kind, LayoutKind::Layered, "Layered")
                .on_hover_text("Layers: causes above their effects");
            ui.selectable_value(&mut self.options.kind, LayoutKind::Lanes, "Lanes")
                .on_hover_text("One column per stream, time downward");
            ui.separator();
            ui.label("Show at most");
            let mut edit = self.max_nodes_edit.unwrap_or(self.options.max_nodes);
            let response = ui
                .add(
                    egui::DragValue::new(&mut edit)
                        .range(1..=1_000_000)
                        .speed(10.0)
                        .suffix(" events"),
                )
                .accessible_name("Show at most")
                .on_hover_text(
                    "Beyond this, the events farthest from the centre are collapsed into \
                     \"N more\" boxes per stream",
                );
            self.max_nodes_edit = Some(edit);
            if response.changed() && !response.dragged() && !response.has_focus()
                || response.drag_stopped()
                || response.lost_focus()
            {
                self.options.max_nodes = edit;
            }
        });
    }

    fn camera_export_ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        ui.separator();
        if ui
            .button("Fit")
            .on_hover_text("Fit the graph to the window")
            .clicked()
        {
            self.canvas.request_fit();
        }
        if ui.button("−").on_hover_text("Zoom out").clicked() {
            self.canvas.zoom_by(1.0 / 1.25);
        }
        ui.label(format!("{:.0} %", self.canvas.zoom() * 100.0));
        if ui.button("+").on_hover_text("Zoom in").clicked() {
            self.canvas.zoom_by(1.25);
        }
        ui.separator();
        ui.add_enabled_ui(self.computed.is_some(), |ui| {
            ui.menu_button("Export", |ui| {
                for (format, label) in [
                    (GraphFormat::Json, "JSON…"),
                    (GraphFormat::Svg, "SVG…"),
                    (GraphFormat::Png, "PNG…"),
                ] {
                    if ui.button(label).clicked()
                        && let Some(export) = self.export_request(format)
                    {
                        ctx.send(Command::Export(export));
                    }
                }
            });
        });
    }

    fn search_ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        ui.horizontal(|ui| {
            let hint = "Search event type, stream or event id";
            ui.add(
                egui::TextEdit::singleline(&mut self.search)
                    .hint_text(hint)
                    .desired_width(260.0),
            )
            .accessible_name("Search the graph");
            if !self.search.trim().is_empty() {
                if let Some((_, _, _, count)) = &self.matches {
                    ui.label(format!("{} matching", format_count(*count as u64)));
                }
                if ui.small_button("Clear").clicked() {
                    self.search.clear();
                }
            }
            self.camera_export_ui(ui, ctx);
        });
    }

    fn status_ui(&mut self, ui: &mut Ui) {
        if let Some((request, job)) = &self.job {
            let (done, total) = job.progress();
            let what = if total == 0 {
                "Reading the causal closure"
            } else {
                "Laying out"
            };
            if job_progress_ui(ui, what, done, total, "steps") {
                self.cancelled = Some(request.clone());
                self.job = None;
            }
        } else if self.cancelled.is_some() && self.error.is_none() {
            ui.horizontal(|ui| {
                ui.label("The layout was cancelled.");
                if ui.button("Lay out again").clicked() {
                    self.cancelled = None;
                }
            });
        }
        if let Some(error) = &self.error {
            ui.colored_label(
                failure_colour(ui),
                format!("The graph could not be built: {error}"),
            );
        }
        let Some(computed) = self.computed.clone() else {
            return;
        };
        let graph = &computed.graph;
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "{} events, {} links; {} in the closure.",
                format_count(graph.nodes.len() as u64),
                format_count(graph.edges.len() as u64),
                format_count(graph.total),
            ));
            if graph.hidden > 0 {
                ui.label(
                    RichText::new(format!(
                        "{} hidden in {} \"more\" boxes: click one to show its events.",
                        format_count(graph.hidden),
                        graph.groups.len()
                    ))
                    .color(ui.visuals().warn_fg_color),
                );
                if ui.small_button("Show all").clicked() {
                    self.expand_all();
                }
            } else {
                ui.label("Nothing hidden.");
            }
        });
        if !self.options.collapsed.is_empty() {
            ui.horizontal_wrapped(|ui| {
                ui.label("Collapsed streams:");
                let mut expand = None;
                for key in &self.options.collapsed {
                    let stream = key.strip_prefix("stream:").unwrap_or(key);
                    if ui
                        .small_button(format!("{stream} ✕"))
                        .on_hover_text("Expand this stream again")
                        .clicked()
                    {
                        expand = Some(key.clone());
                    }
                }
                if let Some(key) = expand {
                    self.options.collapsed.remove(&key);
                }
            });
        }
    }

    /// Which vertices match the search (`None` without a search), cached per text and graph.
    fn matches_for(&mut self, computed: &Arc<Computed>) -> Option<Vec<bool>> {
        let text = self.search.trim().to_lowercase();
        if text.is_empty() {
            self.matches = None;
            return None;
        }
        let identity = Arc::as_ptr(computed) as usize;
        let fresh = self
            .matches
            .as_ref()
            .is_some_and(|(cached, graph, _, _)| *cached == text && *graph == identity);
        if !fresh {
            let matches = search(&computed.graph, &text);
            let count = matches.iter().filter(|hit| **hit).count();
            self.matches = Some((text, identity, matches, count));
        }
        self.matches
            .as_ref()
            .map(|(_, _, matches, _)| matches.clone())
    }

    fn act(&mut self, action: canvas::Action, computed: &Computed, ctx: &mut ViewContext<'_>) {
        use canvas::Action;
        let event_ref = |index: usize| match computed.graph.vertex(index) {
            Some(Vertex::Event(node)) => Some((
                node.event_id,
                EventRef {
                    position: node.position,
                    stream_id: Some(node.stream_id.clone()),
                    version: Some(node.version),
                },
            )),
            _ => None,
        };
        match action {
            Action::Select(index) => {
                if let Some((_, event)) = event_ref(index) {
                    ctx.send(Command::SelectEvent(event));
                }
            }
            Action::OpenStream(index) => {
                if let Some((event_id, _)) = event_ref(index) {
                    ctx.send(Command::GoToEvent(event_id));
                }
            }
            Action::ShowInReplay(index) => {
                if let Some((_, event)) = event_ref(index) {
                    match (event.stream_id.clone(), event.version) {
                        (Some(stream_id), Some(version)) => {
                            ctx.send(Command::ShowInReplay { stream_id, version });
                        }
                        _ => {
                            ctx.send(Command::SelectEvent(event));
                            ctx.send(Command::ShowView(View::Replay));
                        }
                    }
                }
            }
            Action::Centre(index) => {
                if let Some((_, event)) = event_ref(index) {
                    self.set_root(event.position);
                    ctx.send(Command::SelectEvent(event));
                }
            }
            Action::Expand(index) => {
                if let Some(Vertex::Group(group)) = computed.graph.vertex(index) {
                    self.options.collapsed.remove(&group.key);
                    self.options.expanded.insert(group.key.clone());
                }
            }
            Action::CollapseStream(index) => {
                if let Some(vertex) = computed.graph.vertex(index) {
                    let key = group_key(vertex.stream_id());
                    self.options.expanded.remove(&key);
                    self.options.collapsed.insert(key);
                }
            }
        }
    }
}

/// Per vertex: whether its event type or stream id contains `text`, or its
/// event id starts with it (all lower case).
pub fn search(graph: &process_workbench_core::graph::CausalGraph, text: &str) -> Vec<bool> {
    let text = text.to_lowercase();
    graph
        .vertices()
        .map(|vertex| match vertex {
            Vertex::Event(node) => {
                node.event_type.to_lowercase().contains(&text)
                    || node.stream_id.to_lowercase().contains(&text)
                    || node.event_id.to_string().starts_with(&text)
                    || node.event_id.simple().to_string().starts_with(&text)
            }
            Vertex::Group(group) => group.stream_id.to_lowercase().contains(&text),
        })
        .collect()
}
