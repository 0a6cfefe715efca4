//! The replay view: a stream's state at any version. A scrubber (slider, step
//! back and forward, jump to N, play) picks the version; the fold runs in the
//! background (`loader`) and the view shows the last state until the new one
//! arrives. Beside the state (changed paths marked): the event at N, the
//! transition that fired, the diff from N-1, and a diff between any two
//! versions. A failed process opens at its failure point with the reason and
//! offers "Retry failed step" (an engine operator action, applied by the app).

mod loader;
mod panels;

use std::sync::Arc;
use std::time::Duration;

use egui::{Key, RichText, Ui};

use crate::state::Clock;
use crate::state::command::Command;
use crate::state::jobs::Job;
use crate::widgets::dialog;
use crate::widgets::fit;
use crate::widgets::time::{format_count, format_took};
use process_workbench_core::actions::Action;
use process_workbench_core::store::{Store, StreamFilter, StreamInfo, StreamStatus};

use super::ViewContext;
use crate::widgets::style::{failure_colour, status_text};
use loader::{Comparison, FoldRequest, Folds, Overview, Prepared};

pub use loader::op_line;

/// Failed streams offered as links when no stream is selected.
const FAILED_OFFERED: usize = 8;
/// Play speeds, in versions per second.
const PLAY_RATES: [f64; 5] = [1.0, 2.0, 5.0, 20.0, 100.0];
/// The width of the "Replay stream id" field.
const STREAM_FIELD_WIDTH: f32 = 220.0;

/// The replay view's state.
pub struct ReplayView {
    /// The stream on screen and its record as read at `info_generation`.
    stream_id: Option<String>,
    info: Option<StreamInfo>,
    info_generation: u64,
    /// The version the scrubber is at.
    version: u64,
    /// Open the stream at its failure point when the overview arrives
    /// (until the user moves the scrubber).
    await_failure_point: bool,
    folds: Folds,
    last_request: Option<FoldRequest>,
    shown: Option<Prepared>,
    fold_error: Option<String>,
    overview: Option<Overview>,
    overview_job: Option<(u64, Job<Result<Overview, String>>)>,
    overview_error: Option<String>,
    compare: (u64, u64),
    compare_job: Option<Job<Comparison>>,
    comparison: Option<Comparison>,
    jump_text: String,
    jump_error: Option<String>,
    stream_text: String,
    stream_error: Option<String>,
    playing: bool,
    play_rate: f64,
    play_anchor: Option<f64>,
    confirm_build: bool,
    /// The reason being typed in the retry confirmation, while it is open.
    retry_reason: Option<String>,
    /// The scrubber slider's id (it handles the arrow keys itself when focused).
    slider_id: Option<egui::Id>,
    /// Failed streams offered when none is selected, read at a generation.
    failed_offered: Option<(u64, Vec<String>)>,
}

impl Default for ReplayView {
    fn default() -> Self {
        ReplayView {
            stream_id: None,
            info: None,
            info_generation: 0,
            version: 0,
            await_failure_point: false,
            folds: Folds::default(),
            last_request: None,
            shown: None,
            fold_error: None,
            overview: None,
            overview_job: None,
            overview_error: None,
            compare: (0, 0),
            compare_job: None,
            comparison: None,
            jump_text: String::new(),
            jump_error: None,
            stream_text: String::new(),
            stream_error: None,
            playing: false,
            play_rate: PLAY_RATES[1],
            play_anchor: None,
            confirm_build: false,
            retry_reason: None,
            slider_id: None,
            failed_offered: None,
        }
    }
}

impl ReplayView {
    /// Whether a fold, a validation, a comparison or a checkpoint build is running
    /// (playing is not work: it only moves the scrubber).
    pub fn is_busy(&self) -> bool {
        self.folds.is_busy() || self.overview_job.is_some() || self.compare_job.is_some()
    }

    /// The version the scrubber is at.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The version whose state is on screen (it lags the scrubber while a fold runs).
    pub fn shown_version(&self) -> Option<u64> {
        self.shown.as_ref().map(|shown| shown.request.version)
    }

    /// Moves the scrubber (the benchmark and tests drive it directly, as dragging does).
    pub fn scrub_to(&mut self, version: u64) {
        self.move_to(version);
    }

    /// Opens `stream_id` at `version` (the app, for "Show in replay").
    pub fn show_version(&mut self, stream_id: &str, version: u64) {
        if self.stream_id.as_deref() != Some(stream_id) {
            self.reset_stream(Some(stream_id.to_string()));
        }
        self.await_failure_point = false;
        self.version = version;
    }

    /// Shows the view.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        let repaint = Some(ui.ctx().clone());
        let store = Arc::clone(&ctx.store.store);
        let generation = ctx.store.generation;
        if ctx.selection.stream != self.stream_id && ctx.selection.stream.is_some() {
            self.reset_stream(ctx.selection.stream.clone());
        }
        let Some(stream_id) = self.stream_id.clone() else {
            self.picker_ui(ui, ctx);
            return;
        };
        self.sync_info(&store, &stream_id, generation);
        let Some(info) = self.info.clone() else {
            ui.heading("Replay");
            ui.label(format!("There is no stream {stream_id} in this store."));
            self.picker_ui(ui, ctx);
            return;
        };
        self.poll_overview(&store, &stream_id, generation, repaint.clone());
        self.handle_keys(ui, info.version);
        self.play(ui, info.version);
        self.version = self.version.min(info.version);
        let wanted = FoldRequest {
            stream_id: stream_id.clone(),
            version: self.version,
            generation,
        };
        if self.last_request.as_ref() != Some(&wanted) {
            self.folds.request(&store, wanted.clone(), repaint.clone());
            self.last_request = Some(wanted);
        }
        self.poll_folds(&store, &stream_id, repaint.clone());
        self.poll_compare(&stream_id);

        self.header_ui(ui, ctx, &info);
        self.scrubber_ui(ui, info.version, ctx.clock);
        self.failure_ui(ui, ctx, &info);
        self.checkpoints_ui(ui, ctx);
        ui.separator();
        self.body_ui(ui, ctx, &store, &info, repaint);
        self.retry_dialog_ui(ui.ctx(), ctx, &stream_id);
        self.build_dialog_ui(ui.ctx(), ctx);
    }

    fn reset_stream(&mut self, stream_id: Option<String>) {
        let play_rate = self.play_rate;
        *self = ReplayView {
            stream_id,
            play_rate,
            ..ReplayView::default()
        };
        // Opens at the last version, or at the failure point once it is known.
        self.version = u64::MAX;
        self.await_failure_point = true;
    }

    /// Reads the stream's record again when the store changed (one key lookup).
    fn sync_info(&mut self, store: &Store, stream_id: &str, generation: u64) {
        if self.info.is_some() && self.info_generation == generation {
            return;
        }
        self.info_generation = generation;
        match store.read().and_then(|reader| reader.stream(stream_id)) {
            Ok(info) => {
                if self.compare == (0, 0)
                    && let Some(info) = &info
                {
                    self.compare = (0, info.version);
                }
                self.info = info;
                self.stream_error = None;
            }
            Err(error) => {
                self.stream_error = Some(format!("The stream could not be read: {error}"));
            }
        }
    }

    fn poll_overview(
        &mut self,
        store: &Arc<Store>,
        stream_id: &str,
        generation: u64,
        repaint: Option<egui::Context>,
    ) {
        let fresh = self
            .overview
            .as_ref()
            .is_some_and(|overview| overview.generation == generation)
            || self
                .overview_job
                .as_ref()
                .is_some_and(|(asked, _)| *asked == generation);
        if !fresh {
            let job = loader::start_overview(store, stream_id, generation, repaint);
            self.overview_job = Some((generation, job));
        }
        let Some((_, job)) = &mut self.overview_job else {
            return;
        };
        let mut result = job.poll().pop();
        if result.is_none() && job.is_finished() {
            result = Some(Err("the validation replay stopped unexpectedly".to_string()));
        }
        let Some(result) = result else {
            return;
        };
        self.overview_job = None;
        match result {
            Ok(overview) => {
                if self.await_failure_point {
                    self.await_failure_point = false;
                    if let Ok(Some(failure)) = &overview.failure {
                        self.version = failure.version;
                    }
                }
                self.overview_error = None;
                self.overview = Some(overview);
            }
            Err(error) => self.overview_error = Some(error),
        }
    }

    fn poll_folds(&mut self, store: &Arc<Store>, stream_id: &str, repaint: Option<egui::Context>) {
        let Some(result) = self.folds.poll(store, repaint) else {
            return;
        };
        match result {
            Ok(mut prepared) if prepared.request.stream_id == stream_id => {
                self.fold_error = None;
                if let Some(previous) = &self.shown {
                    prepared.tree.expand_as(&previous.tree);
                }
                self.shown = Some(prepared);
            }
            Ok(_) => {}
            Err(error) => self.fold_error = Some(error),
        }
    }

    fn poll_compare(&mut self, stream_id: &str) {
        let Some(job) = &mut self.compare_job else {
            return;
        };
        let result = job.poll().pop();
        let finished = job.is_finished();
        if let Some(comparison) = result {
            if comparison.stream_id == stream_id {
                self.comparison = Some(comparison);
            }
            self.compare_job = None;
        } else if finished {
            self.compare_job = None;
        }
    }

    /// Moves the scrubber; the user took over, so no jump to the failure point follows.
    fn move_to(&mut self, version: u64) {
        self.version = version;
        self.await_failure_point = false;
    }

    /// Left and right arrows step, unless a text field has the keyboard or the
    /// slider has it (the slider steps itself).
    fn handle_keys(&mut self, ui: &Ui, last: u64) {
        let slider_focused = self
            .slider_id
            .is_some_and(|id| ui.memory(|memory| memory.has_focus(id)));
        if slider_focused || ui.ctx().text_edit_focused() {
            return;
        }
        let (left, right) = ui.input_mut(|input| {
            (
                input.consume_key(egui::Modifiers::NONE, Key::ArrowLeft),
                input.consume_key(egui::Modifiers::NONE, Key::ArrowRight),
            )
        });
        if left {
            self.move_to(self.version.min(last).saturating_sub(1));
        }
        if right {
            self.move_to((self.version + 1).min(last));
        }
    }

    /// Advances the scrubber at the play rate, however fast the folds come back
    /// (the view shows the latest state that arrived).
    fn play(&mut self, ui: &Ui, last: u64) {
        if !self.playing {
            self.play_anchor = None;
            return;
        }
        let now = ui.input(|input| input.time);
        let anchor = *self.play_anchor.get_or_insert(now);
        let due = ((now - anchor) * self.play_rate).floor();
        if due >= 1.0 {
            self.version = (self.version.min(last) + due as u64).min(last);
            self.play_anchor = Some(anchor + due / self.play_rate);
        }
        if self.version >= last {
            self.playing = false;
        } else {
            ui.ctx()
                .request_repaint_after(Duration::from_secs_f64(1.0 / self.play_rate));
        }
    }

    /// With no stream: a field to type a stream id and the first failed streams.
    fn picker_ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        if self.stream_id.is_none() {
            ui.heading("Replay");
            ui.label(
                "See a process's state at any version. Select a stream in the Streams view, \
                 or type its id:",
            );
        }
        self.stream_field_ui(ui, ctx);
        let generation = ctx.store.generation;
        if self
            .failed_offered
            .as_ref()
            .is_none_or(|(at, _)| *at != generation)
        {
            // One short index range, read again only when the store changed.
            let failed = ctx.store.store.read().and_then(|reader| {
                reader.stream_ids(
                    &StreamFilter {
                        status: Some(StreamStatus::Failed),
                        ..StreamFilter::default()
                    },
                    None,
                    FAILED_OFFERED,
                )
            });
            self.failed_offered = Some((generation, failed.unwrap_or_default()));
        }
        let Some((_, failed)) = &self.failed_offered else {
            return;
        };
        if !failed.is_empty() {
            ui.add_space(8.0);
            ui.label(RichText::new("Failed processes").strong());
            for id in failed {
                if ui.link(RichText::new(id).monospace()).clicked() {
                    ctx.send(Command::SelectStream(id.clone()));
                }
            }
        }
    }

    fn stream_field_ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        ui.horizontal(|ui| {
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.stream_text)
                        .hint_text("Replay stream id")
                        .desired_width(STREAM_FIELD_WIDTH),
                )
                .accessible_name("Replay stream id");
            if field.lost_focus() && ui.input(|input| input.key_pressed(Key::Enter)) {
                let id = self.stream_text.trim().to_string();
                let exists = ctx
                    .store
                    .store
                    .read()
                    .and_then(|reader| reader.stream(&id))
                    .is_ok_and(|info| info.is_some());
                if exists {
                    self.stream_error = None;
                    self.stream_text.clear();
                    ctx.send(Command::SelectStream(id));
                } else {
                    self.stream_error = Some(format!("There is no stream {id:?} in this store."));
                }
            }
            if let Some(error) = &self.stream_error {
                ui.colored_label(failure_colour(ui), error);
            }
        });
    }

    fn header_ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>, info: &StreamInfo) {
        ui.horizontal_wrapped(|ui| {
            // An engine's long id is shortened in the middle (whole on hover).
            let id = fit::shortened(&info.stream_id, fit::ID_CHARS);
            ui.heading(RichText::new(format!("Replay of {id}")).monospace())
                .on_hover_text(&info.stream_id);
            ui.label(&info.process_type);
            ui.label(status_text(ui, info.status));
            // At the right when it fits there, else on the next line.
            if ui.available_width() >= STREAM_FIELD_WIDTH + 2.0 * ui.spacing().item_spacing.x {
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    self.stream_field_ui(ui, ctx);
                });
            } else {
                self.stream_field_ui(ui, ctx);
            }
        });
    }

    fn scrubber_ui(&mut self, ui: &mut Ui, last: u64, clock: Clock) {
        ui.horizontal(|ui| {
            let back = ui
                .add_enabled(self.version > 0, egui::Button::new("< Back"))
                .on_hover_text("One version back (left arrow)");
            if back.clicked() {
                self.move_to(self.version.saturating_sub(1));
            }
            let mut version = self.version;
            let slider_width = (ui.available_width() - 430.0).max(120.0);
            ui.spacing_mut().slider_width = slider_width;
            let slider = ui
                .add(egui::Slider::new(&mut version, 0..=last).integer())
                .accessible_name("Version");
            self.slider_id = Some(slider.id);
            if slider.changed() {
                self.move_to(version);
            }
            let next = ui
                .add_enabled(self.version < last, egui::Button::new("Next >"))
                .on_hover_text("One version forward (right arrow)");
            if next.clicked() {
                self.move_to(self.version + 1);
            }
            let play_label = if self.playing { "Pause" } else { "Play" };
            if ui
                .button(play_label)
                .on_hover_text("Step through the versions at the chosen speed")
                .clicked()
            {
                self.playing = !self.playing;
                if self.playing && self.version >= last {
                    self.version = 0;
                }
                self.await_failure_point = false;
            }
            egui::ComboBox::from_id_salt("replay_play_rate")
                .width(70.0)
                .selected_text(format!("{}/s", self.play_rate))
                .show_ui(ui, |ui| {
                    for rate in PLAY_RATES {
                        ui.selectable_value(&mut self.play_rate, rate, format!("{rate}/s"));
                    }
                });
            let jump = ui
                .add(
                    egui::TextEdit::singleline(&mut self.jump_text)
                        .hint_text("Jump to N")
                        .desired_width(80.0),
                )
                .accessible_name("Jump to version");
            if jump.lost_focus() && ui.input(|input| input.key_pressed(Key::Enter)) {
                match self.jump_text.trim().parse::<u64>() {
                    Ok(target) if target <= last => {
                        self.jump_error = None;
                        self.jump_text.clear();
                        self.move_to(target);
                    }
                    _ => {
                        self.jump_error = Some(format!(
                            "{:?} is not a version of this stream (0 to {last}).",
                            self.jump_text.trim()
                        ));
                    }
                }
            }
        });
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!(
                    "Version {} of {}",
                    format_count(self.version),
                    format_count(last)
                ))
                .strong(),
            );
            if let Some(error) = &self.jump_error {
                ui.colored_label(failure_colour(ui), error);
            }
            if let Some(request) = self.folds.running() {
                ui.add(egui::Spinner::new());
                ui.weak(format!("replaying to version {}…", request.version));
            } else if let Some(shown) = &self.shown {
                let from = match shown.replay.checkpoint {
                    Some(at) => format!("from the checkpoint at version {}", format_count(at)),
                    None => "from the start".to_string(),
                };
                let took = clock.took(shown.took);
                ui.weak(format!("replayed {from} in {}", format_took(took)));
            }
            if let Some(error) = &self.fold_error {
                ui.colored_label(failure_colour(ui), format!("The replay failed: {error}"));
            }
        });
    }

    /// Where a failed process failed, why, the retry action, and the validation replay.
    fn failure_ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>, info: &StreamInfo) {
        if let Some(error) = &self.overview_error {
            ui.colored_label(
                failure_colour(ui),
                format!("The validation replay failed: {error}"),
            );
        }
        let Some(overview) = &self.overview else {
            if self.overview_job.is_some() {
                ui.horizontal(|ui| {
                    ui.add(egui::Spinner::new());
                    ui.weak("Validating the stream under the current definition…");
                });
            }
            return;
        };
        let mut go_to = None;
        let mut retry = false;
        match &overview.failure {
            Ok(Some(failure)) => {
                let mut go = false;
                panels::failure_ui(
                    ui,
                    failure,
                    self.version,
                    ctx.store.is_writable(),
                    &mut go,
                    &mut retry,
                );
                go_to = go.then_some(failure.version);
            }
            Ok(None) => {}
            Err(error) => {
                ui.colored_label(
                    failure_colour(ui),
                    format!("The failure point could not be found: {error}"),
                );
            }
        }
        panels::validation_ui(ui, &overview.validation);
        if let Some(version) = go_to {
            self.move_to(version);
        }
        if retry && info.status == StreamStatus::Failed {
            self.retry_reason = Some(String::new());
        }
    }

    fn checkpoints_ui(&mut self, ui: &mut Ui, ctx: &mut ViewContext<'_>) {
        if !self
            .overview
            .as_ref()
            .is_some_and(|overview| overview.needs_checkpoints)
        {
            return;
        }
        ui.horizontal_wrapped(|ui| {
            ui.label(
                "This stream has no checkpoints (an imported or older store): every version is \
                 replayed from the start.",
            );
            let writable = ctx.store.is_writable();
            let build = ui
                .add_enabled(writable, egui::Button::new("Build checkpoints"))
                .on_hover_text("A background job; it can be cancelled");
            if build.clicked() {
                self.confirm_build = true;
            }
            if !writable {
                ui.weak("Enable writing (top right) to build them.");
            }
        });
    }

    fn body_ui(
        &mut self,
        ui: &mut Ui,
        ctx: &mut ViewContext<'_>,
        store: &Arc<Store>,
        info: &StreamInfo,
        repaint: Option<egui::Context>,
    ) {
        let Some(shown) = &mut self.shown else {
            ui.horizontal(|ui| {
                ui.add(egui::Spinner::new());
                ui.label("Replaying…");
            });
            return;
        };
        let mut compare_asked = None;
        ui.columns(2, |columns| {
            panels::state_ui(&mut columns[0], shown);
            egui::ScrollArea::vertical()
                .id_salt("replay_side")
                .auto_shrink([false, false])
                .show(&mut columns[1], |ui| {
                    if let Some(command) = panels::event_ui(ui, shown) {
                        ctx.send(command);
                    }
                    ui.add_space(8.0);
                    panels::step_ui(ui, shown);
                    ui.add_space(8.0);
                    panels::diff_ui(ui, shown);
                    ui.add_space(8.0);
                    compare_asked = panels::compare_ui(
                        ui,
                        &mut self.compare,
                        info.version,
                        self.compare_job.is_some(),
                        self.comparison.as_ref(),
                    );
                });
        });
        if let Some(pair) = compare_asked {
            self.comparison = None;
            self.compare_job = Some(loader::start_compare(store, &info.stream_id, pair, repaint));
        }
    }

    fn retry_dialog_ui(
        &mut self,
        egui_ctx: &egui::Context,
        ctx: &mut ViewContext<'_>,
        stream_id: &str,
    ) {
        let Some(reason) = &mut self.retry_reason else {
            return;
        };
        let writable = ctx.store.is_writable();
        let modal =
            egui::Modal::new(egui::Id::unique("confirm_retry_failed_step")).show(egui_ctx, |ui| {
                ui.set_width(460.0);
                ui.heading("Retry the failed step?");
                ui.label(format!(
                    "{stream_id} goes back to the state it had before the failure, under the \
                 definition stored now; the step's messages are sent again and its deadline is \
                 set again. One event is appended to the stream and the action is recorded in \
                 the audit trail."
                ));
                ui.add_space(6.0);
                ui.label("Reason (required, kept in the audit trail)");
                ui.add(
                    egui::TextEdit::singleline(reason)
                        .hint_text("e.g. definition fixed, partner resent the message")
                        .desired_width(f32::INFINITY),
                )
                .accessible_name("Reason for the retry");
                ui.add_space(8.0);
                let ready = writable && !reason.trim().is_empty();
                dialog::confirm_buttons(ui, "Retry now", ready, None)
            });
        match dialog::answer(&modal) {
            Some(true) => {
                let reason = reason.trim().to_string();
                self.retry_reason = None;
                ctx.send(Command::Run {
                    action: Action::RetryFailedStep {
                        stream: stream_id.to_string(),
                    },
                    reason,
                });
            }
            Some(false) => self.retry_reason = None,
            None => {}
        }
    }

    fn build_dialog_ui(&mut self, egui_ctx: &egui::Context, ctx: &mut ViewContext<'_>) {
        if !self.confirm_build {
            return;
        }
        let modal =
            egui::Modal::new(egui::Id::unique("confirm_build_checkpoints")).show(egui_ctx, |ui| {
                ui.set_width(440.0);
                ui.heading("Build replay checkpoints?");
                ui.label(
                    "The state of every long stream is written every few hundred events, so that \
                 any version replays fast. Only replay checkpoints are written: events, streams \
                 and queues stay as they are. The job runs in the background and can be \
                 cancelled.",
                );
                ui.add_space(8.0);
                dialog::confirm_buttons(ui, "Yes, build them", true, None)
            });
        match dialog::answer(&modal) {
            Some(true) => {
                self.confirm_build = false;
                ctx.send(Command::Run {
                    action: Action::BuildCheckpoints,
                    reason: "build replay checkpoints".to_string(),
                });
            }
            Some(false) => self.confirm_build = false,
            None => {}
        }
    }
}
