//! The right panel: the selected event (a JSON tree of payload and metadata,
//! a raw view, links to its causes, effects, conversation and streams) or,
//! with no event selected, the selected stream. Events of any size and bytes
//! that are not JSON are shown; large ones are prepared in the background.

use std::sync::Arc;

use egui::{RichText, Ui};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::state::command::Command;
use crate::state::jobs::{Job, Worker};
use crate::state::loadable::Loadable;
use crate::widgets::json_tree::{JsonTree, copy_text};
use crate::widgets::raw_text::{RawText, text_of_bytes};
use crate::widgets::time::{format_bytes, format_count, format_rfc3339, short_id};
use process_workbench_core::store::{EventRecord, Store, StreamInfo, StreamVersion};

use super::ViewContext;
use crate::state::EventRef;
use crate::widgets::style::{failure_colour, status_text};

/// Events larger than this are prepared in a background job.
const PREPARE_IN_BACKGROUND: usize = 256 * 1024;
/// Effects listed as links before "and N more".
const EFFECTS_SHOWN: usize = 20;
/// Levels of a JSON tree open at first.
const OPEN_LEVELS: usize = 2;

/// The fields of an event the detail links from.
#[derive(Debug, Clone, PartialEq)]
pub struct EventLinks {
    pub event_id: Uuid,
    pub stream_id: String,
    pub version: u64,
    pub position: u64,
    pub event_type: String,
    pub occurred_at: OffsetDateTime,
    pub recorded_at: OffsetDateTime,
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
    pub other_causes: Vec<Uuid>,
    pub other_streams: Vec<StreamVersion>,
}

impl From<EventRecord<'_>> for EventLinks {
    fn from(record: EventRecord<'_>) -> Self {
        EventLinks {
            event_id: record.event_id,
            stream_id: record.stream_id.into_owned(),
            version: record.version,
            position: record.position,
            event_type: record.event_type.into_owned(),
            occurred_at: record.occurred_at,
            recorded_at: record.recorded_at,
            correlation_id: record.correlation_id,
            causation_id: record.causation_id,
            other_causes: record.other_causes,
            other_streams: record.other_streams,
        }
    }
}

/// A prepared event.
pub struct EventDetail {
    pub position: u64,
    /// Size of the stored record in bytes.
    pub size: usize,
    pub content: Content,
}

/// A record that is JSON, prepared for the tree and raw views.
pub struct ParsedEvent {
    pub document: Value,
    /// The event's fields, when the record has the shape of an event.
    pub links: Option<EventLinks>,
    /// Ids of the events this one caused.
    pub effects: Vec<Uuid>,
    pub payload: JsonTree,
    pub metadata: JsonTree,
    pub raw: RawText,
}

/// What the record holds.
pub enum Content {
    /// A JSON record.
    Event(Box<ParsedEvent>),
    /// Bytes that are not JSON.
    Invalid { error: String, raw: RawText },
    /// No record at this position.
    Missing,
}

/// Which way the event is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Tree,
    Raw,
}

/// The detail panel's state.
#[derive(Default)]
pub struct DetailView {
    /// The event the detail is for, and the generation it was read at.
    event: Option<(u64, u64)>,
    detail: Loadable<EventDetail>,
    job: Option<Job<Result<EventDetail, String>>>,
    tab: Tab,
    stream: Option<StreamDetail>,
}

/// The selected stream's record as read at a generation, with its metadata tree.
struct StreamDetail {
    stream_id: String,
    generation: u64,
    info: Result<Option<StreamInfo>, String>,
    metadata: JsonTree,
}

impl DetailView {
    /// Whether a large event is being prepared.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// Shows the detail of the selection.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        // The panel keeps the width it was given (or dragged to), instead of
        // shrinking to the first thing it shows.
        ui.set_min_width(ui.available_width());
        if let Some(event) = ctx.selection.event.clone() {
            self.sync_event(ui, ctx, &event);
            self.event_ui(ui, ctx);
        } else if let Some(stream_id) = ctx.selection.stream.clone() {
            self.stream_ui(ui, ctx, &stream_id);
        } else {
            ui.weak("Select a stream or an event to see its detail.");
        }
    }

    fn sync_event(&mut self, ui: &Ui, ctx: &ViewContext<'_>, event: &EventRef) {
        let key = (event.position, ctx.store.generation);
        if self.event != Some(key) {
            self.event = Some(key);
            self.detail.start_loading();
            let store = Arc::clone(&ctx.store.store);
            let position = event.position;
            let size = store
                .read()
                .ok()
                .and_then(|reader| reader.event_bytes(position).ok().flatten())
                .map_or(0, |bytes| bytes.len());
            if size > PREPARE_IN_BACKGROUND {
                self.job = Some(Job::spawn(
                    "Preparing the event",
                    Some(ui.ctx().clone()),
                    move |worker: &Worker<Result<EventDetail, String>>| {
                        worker.send(prepare(&store, position));
                    },
                ));
            } else {
                self.job = None;
                self.detail.finish(prepare(&store, position));
            }
        }
        if let Some(job) = &mut self.job {
            for result in job.poll() {
                self.detail.finish(result);
            }
            if job.is_finished() {
                self.job = None;
            }
        }
    }

    fn event_ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        if let Some(job) = &self.job {
            ui.horizontal(|ui| {
                ui.add(egui::Spinner::new());
                ui.label(format!(
                    "Preparing a large event ({:.1} s)",
                    job.elapsed().as_secs_f32()
                ));
            });
        }
        if let Some(error) = self.detail.error() {
            ui.colored_label(
                failure_colour(ui),
                format!("The event could not be read: {error}"),
            );
        }
        let tab = &mut self.tab;
        let Some(detail) = self.detail.current_mut() else {
            return;
        };
        let mut commands = Vec::new();
        match &mut detail.content {
            Content::Missing => {
                ui.colored_label(
                    failure_colour(ui),
                    format!("There is no event at position {}.", detail.position),
                );
            }
            Content::Invalid { error, raw } => {
                ui.heading(format!("Position {}", detail.position));
                ui.colored_label(
                    failure_colour(ui),
                    format!("This record is not valid JSON: {error}"),
                );
                ui.label(format!("{} of raw bytes:", format_bytes(detail.size)));
                raw.ui(ui, "invalid_event_raw");
            }
            Content::Event(parsed) => {
                let ParsedEvent {
                    document,
                    links,
                    effects,
                    payload,
                    metadata,
                    raw,
                } = parsed.as_mut();
                match links {
                    Some(links) => links_ui(ui, links, effects, &mut commands),
                    None => {
                        ui.heading(format!("Position {}", detail.position));
                        ui.colored_label(
                            failure_colour(ui),
                            "This record is JSON but not an event; shown as it is.",
                        );
                    }
                }
                ui.horizontal(|ui| {
                    ui.selectable_value(tab, Tab::Tree, "Tree");
                    ui.selectable_value(tab, Tab::Raw, "Raw");
                    ui.separator();
                    if ui
                        .button("Copy event JSON")
                        .on_hover_text(format!("The whole event ({})", format_bytes(detail.size)))
                        .clicked()
                    {
                        ui.ctx().copy_text(raw.text().to_string());
                    }
                });
                ui.separator();
                match tab {
                    Tab::Raw => raw.ui(ui, "event_raw"),
                    Tab::Tree => trees_ui(ui, document, payload, metadata),
                }
            }
        }
        for command in commands {
            ctx.send(command);
        }
    }

    fn stream_ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>, stream_id: &str) {
        let generation = ctx.store.generation;
        let fresh = self
            .stream
            .as_ref()
            .is_some_and(|detail| detail.stream_id == stream_id && detail.generation == generation);
        if !fresh {
            let info = ctx
                .store
                .store
                .read()
                .and_then(|reader| reader.stream(stream_id))
                .map_err(|error| error.to_string());
            let metadata = info
                .as_ref()
                .ok()
                .and_then(Option::as_ref)
                .map_or(Value::Null, |info| info.metadata.clone());
            let tree = JsonTree::new(&metadata, OPEN_LEVELS);
            self.stream = Some(StreamDetail {
                stream_id: stream_id.to_string(),
                generation,
                info,
                metadata: tree,
            });
        }
        let Some(StreamDetail {
            info,
            metadata: tree,
            ..
        }) = &mut self.stream
        else {
            return;
        };
        let info = match info {
            Ok(Some(info)) => info,
            Ok(None) => {
                ui.label(format!("There is no stream {stream_id}."));
                return;
            }
            Err(error) => {
                ui.colored_label(failure_colour(ui), error.to_string());
                return;
            }
        };
        ui.heading(RichText::new(&info.stream_id).monospace());
        let mut commands = Vec::new();
        egui::Grid::new("stream_detail_grid")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                ui.label("Process type");
                ui.label(&info.process_type);
                ui.end_row();
                ui.label("Status");
                ui.label(status_text(ui, info.status));
                ui.end_row();
                ui.label("State");
                ui.label(info.process_state.as_deref().unwrap_or("—"));
                ui.end_row();
                ui.label("Events");
                ui.label(format_count(info.version));
                ui.end_row();
                ui.label("Started");
                ui.label(format_rfc3339(info.created_at));
                ui.end_row();
                ui.label("Last event");
                ui.label(format_rfc3339(info.updated_at));
                ui.end_row();
                if let Some(correlation) = info.correlation_id {
                    ui.label("Correlation");
                    if ui
                        .link(short_id(correlation))
                        .on_hover_text(format!("Show the conversation {correlation}"))
                        .clicked()
                    {
                        commands.push(Command::ShowConversation(correlation));
                    }
                    ui.end_row();
                }
            });
        if let Some(error) = &info.last_error {
            ui.add_space(6.0);
            ui.label(RichText::new("Last error").strong());
            ui.add(egui::Label::new(RichText::new(error).color(failure_colour(ui))).wrap());
        }
        if !info.metadata.is_null() {
            ui.add_space(6.0);
            ui.label(RichText::new("Metadata").strong());
            let height = ui.available_height();
            tree.ui(
                ui,
                "stream_metadata_tree",
                "metadata",
                &info.metadata,
                height,
            );
        }
        for command in commands {
            ctx.send(command);
        }
    }
}

/// The event's fields, with links to where they lead.
fn links_ui(ui: &mut Ui, links: &EventLinks, effects: &[Uuid], commands: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        ui.heading(&links.event_type);
        if ui
            .button("Show in graph")
            .on_hover_text("Its causes and effects across streams")
            .clicked()
        {
            commands.push(Command::ShowInGraph(links.event_id));
        }
    });
    egui::Grid::new("event_detail_grid")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            ui.label("Stream");
            // A long id (an engine's process/<tenant>/<process>) wraps
            // instead of widening the panel (set on the grid's ui itself: a
            // child ui in a grid cell would be as high as the panel).
            let wrap_mode = ui.style().wrap_mode;
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Wrap);
            if ui.link(&links.stream_id).clicked() {
                commands.push(Command::GoToStream(links.stream_id.clone()));
            }
            ui.style_mut().wrap_mode = wrap_mode;
            ui.end_row();
            ui.label("Version");
            ui.horizontal(|ui| {
                ui.label(links.version.to_string());
                if ui
                    .small_button("Show in replay")
                    .on_hover_text("The stream's state at this version")
                    .clicked()
                {
                    commands.push(Command::ShowInReplay {
                        stream_id: links.stream_id.clone(),
                        version: links.version,
                    });
                }
            });
            ui.end_row();
            ui.label("Position");
            ui.label(links.position.to_string());
            ui.end_row();
            ui.label("Event id");
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(links.event_id.to_string())
                        .monospace()
                        .small(),
                );
                if ui.small_button("Copy id").clicked() {
                    ui.ctx().copy_text(links.event_id.to_string());
                }
            });
            ui.end_row();
            ui.label("Occurred");
            ui.label(format_rfc3339(links.occurred_at));
            ui.end_row();
            ui.label("Recorded");
            ui.label(format_rfc3339(links.recorded_at));
            ui.end_row();
            ui.label("Caused by");
            ui.horizontal_wrapped(|ui| {
                let causes: Vec<Uuid> = links
                    .causation_id
                    .into_iter()
                    .chain(links.other_causes.iter().copied())
                    .collect();
                if causes.is_empty() {
                    ui.weak("—");
                }
                for cause in causes {
                    if ui
                        .link(short_id(cause))
                        .on_hover_text(format!("Go to event {cause}"))
                        .clicked()
                    {
                        commands.push(Command::GoToEvent(cause));
                    }
                }
            });
            ui.end_row();
            ui.label("Caused");
            ui.horizontal_wrapped(|ui| {
                if effects.is_empty() {
                    ui.weak("—");
                }
                for effect in effects.iter().take(EFFECTS_SHOWN) {
                    if ui
                        .link(short_id(*effect))
                        .on_hover_text(format!("Go to event {effect}"))
                        .clicked()
                    {
                        commands.push(Command::GoToEvent(*effect));
                    }
                }
                if effects.len() > EFFECTS_SHOWN {
                    ui.weak(format!("and {} more", effects.len() - EFFECTS_SHOWN));
                }
            });
            ui.end_row();
            ui.label("Correlation");
            match links.correlation_id {
                Some(correlation) => {
                    if ui
                        .link(short_id(correlation))
                        .on_hover_text(format!("Show the conversation {correlation}"))
                        .clicked()
                    {
                        commands.push(Command::ShowConversation(correlation));
                    }
                }
                None => {
                    ui.weak("—");
                }
            }
            ui.end_row();
            if !links.other_streams.is_empty() {
                ui.label("Also in");
                ui.horizontal_wrapped(|ui| {
                    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Wrap);
                    for membership in &links.other_streams {
                        if ui
                            .link(format!("{} v{}", membership.stream_id, membership.version))
                            .clicked()
                        {
                            commands.push(Command::GoToStream(membership.stream_id.clone()));
                        }
                    }
                });
                ui.end_row();
            }
        });
    ui.add_space(4.0);
}

/// Payload and metadata trees, with the selected node's path and copy buttons.
fn trees_ui(ui: &mut Ui, document: &Value, payload: &mut JsonTree, metadata: &mut JsonTree) {
    let null = Value::Null;
    let payload_value = document.get("payload").unwrap_or(&null);
    let metadata_value = document.get("metadata").unwrap_or(&null);
    let selected = payload
        .selected_path(payload_value)
        .map(|path| ("payload", path, payload.selected_value(payload_value)))
        .or_else(|| {
            metadata
                .selected_path(metadata_value)
                .map(|path| ("metadata", path, metadata.selected_value(metadata_value)))
        });
    if let Some((document_name, path, value)) = selected {
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("In {document_name}:"));
            ui.label(RichText::new(&path).monospace());
            if ui.small_button("Copy value").clicked()
                && let Some(value) = value
            {
                ui.ctx().copy_text(copy_text(value));
            }
            if ui.small_button("Copy path").clicked() {
                ui.ctx().copy_text(path.clone());
            }
        });
    }
    // The payload gets the room the metadata (usually a few rows) leaves, or
    // as much as its rows need: a sideways scroll bar stays right under them.
    let row_height = ui.spacing().interact_size.y;
    let metadata_rows = metadata.row_count(metadata_value).min(8) as f32;
    // Room for a horizontal scroll bar under the rows.
    let metadata_height = metadata_rows * row_height + 14.0;
    let heading_height = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
    let payload_rows = payload.row_count(payload_value) as f32;
    let payload_height = (ui.available_height() - metadata_height - 2.0 * heading_height - 16.0)
        .min(payload_rows * row_height + 14.0)
        .max(row_height * 4.0);
    ui.label(RichText::new("Payload").strong());
    if payload
        .ui(ui, "payload_tree", "payload", payload_value, payload_height)
        .selected
    {
        metadata.clear_selection();
    }
    ui.label(RichText::new("Metadata").strong());
    if metadata
        .ui(
            ui,
            "metadata_tree",
            "metadata",
            metadata_value,
            metadata_height,
        )
        .selected
    {
        payload.clear_selection();
    }
}

/// Reads and prepares the event at `position`.
fn prepare(store: &Store, position: u64) -> Result<EventDetail, String> {
    let reader = store.read().map_err(|error| error.to_string())?;
    let Some(bytes) = reader
        .event_bytes(position)
        .map_err(|error| error.to_string())?
    else {
        return Ok(EventDetail {
            position,
            size: 0,
            content: Content::Missing,
        });
    };
    let size = bytes.len();
    let content = match serde_json::from_slice::<Value>(&bytes) {
        Err(error) => Content::Invalid {
            error: error.to_string(),
            raw: RawText::new(text_of_bytes(&bytes)),
        },
        Ok(document) => {
            let record: Option<EventRecord> = EventRecord::decode(position, &bytes).ok();
            let links = record.map(EventLinks::from);
            let effects = match &links {
                Some(links) => reader
                    .effects_of(links.event_id)
                    .map_err(|error| error.to_string())?,
                None => Vec::new(),
            };
            let null = Value::Null;
            let payload = JsonTree::new(document.get("payload").unwrap_or(&null), OPEN_LEVELS);
            let metadata = JsonTree::new(document.get("metadata").unwrap_or(&null), OPEN_LEVELS);
            let pretty = serde_json::to_string_pretty(&document)
                .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned());
            Content::Event(Box::new(ParsedEvent {
                raw: RawText::new(pretty),
                document,
                links,
                effects,
                payload,
                metadata,
            }))
        }
    };
    Ok(EventDetail {
        position,
        size,
        content,
    })
}
