//! The eframe application: state, commands, background jobs, file opening.
//!
//! [`WorkbenchApp`] is the whole window. Views draw and send [`Command`]s; the
//! app applies them at one place ([`WorkbenchApp::apply`]) after each frame.
//! Opening a file, and anything else that may take longer than a frame, runs
//! as a background [`jobs::Job`]. The app needs no eframe `CreationContext`:
//! tests drive it through `egui_kittest` with a fixed clock and size.

pub mod actions;
pub mod document;
pub mod import_dialog;
pub mod settings;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Key, KeyboardShortcut, Modifiers, RichText, Ui};
use uuid::Uuid;

use crate::state::filter::{FilterState, Within, saved_filters_file};
use crate::state::{Clock, EventRef, OpenMode, OpenStore, Selection, View};
use crate::views::detail::DetailView;
use crate::views::event_log::EventLogView;
use crate::views::filter_bar::FilterBar;
use crate::views::graph::GraphView;
use crate::views::map::MapView;
use crate::views::performance::PerformanceView;
use crate::views::queues::QueuesView;
use crate::views::replay::ReplayView;
use crate::views::rows::EventHeader;
use crate::views::streams::StreamsView;
use crate::views::{ViewContext, summary};
use crate::widgets::dialog;
use crate::widgets::progress::job_progress_ui;
use crate::widgets::style::failure_colour;
use crate::widgets::time::format_count;
use process_workbench_core::actions::{Action, LogFormat, Request};
use process_workbench_core::engine::Operator;
use process_workbench_core::search::{ProcessFilter, SavedFilters};

use crate::state::command::{
    Command, Commands, ExportRequest, ImportTarget, SidePanel, ThemeChoice,
};
use crate::state::jobs::Job;
use actions::{ActionRunner, Finished};
use document::{DEMO_FILE_NAME, FailureText, OpenFailure, OpenOutcome, OpenRequest, start_open};
use import_dialog::{ImportDialog, ImportEnd, RunningImport};
use settings::Settings;

/// The application's name in titles and folders.
pub const APP_NAME: &str = "Process Workbench";
/// The application id (data folder, window class).
pub const APP_ID: &str = "process-workbench";
/// The window icon (256×256 PNG, made by `tests/gui_assets.rs`).
pub const ICON_PNG: &[u8] = include_bytes!("../../assets/icon.png");
/// Environment variable choosing the renderer: `wgpu` or `glow`.
pub const RENDERER_VARIABLE: &str = "PROCESS_WORKBENCH_RENDERER";

/// How often the open store is checked for changes (its write generation).
const REFRESH_EVERY: Duration = Duration::from_secs(1);

/// How the app starts.
#[derive(Debug, Clone, PartialEq)]
pub struct StartOptions {
    /// The store to open; `None` opens the demo store.
    pub file: Option<PathBuf>,
    /// Where the demo store lives (created on first start).
    pub data_dir: PathBuf,
    pub clock: Clock,
    /// The user the audit trail records (`--user`); `None`: the setting, else
    /// the logged-in user.
    pub user: Option<String>,
    /// The saved filter to apply (`--filter NAME`), from `data_dir`'s saved filters.
    pub filter: Option<String>,
}

/// A file being opened.
struct Opening {
    request: OpenRequest,
    job: Job<OpenOutcome>,
    /// Opened instead if this fails (writing could not be enabled: back to read-only).
    fallback: Option<OpenRequest>,
}

/// The whole window.
pub struct WorkbenchApp {
    settings: Settings,
    /// `--user`, over the setting.
    user: Option<String>,
    clock: Clock,
    data_dir: PathBuf,
    repaint: Option<egui::Context>,
    /// Opened on the first frame, when the context for repaints is known.
    initial: Option<OpenRequest>,
    store: Option<OpenStore>,
    opening: Option<Opening>,
    failure: Option<OpenFailure>,
    confirm_writing: bool,
    import_dialog: Option<ImportDialog>,
    /// The file the next export's save dialog answers with, without asking
    /// (see [`WorkbenchApp::answer_next_save_dialog`]).
    save_answer: Option<PathBuf>,
    importing: Option<RunningImport>,
    /// The running action and the outcome of the last one.
    actions: ActionRunner,
    notice: Option<String>,
    selection: Selection,
    commands: Commands,
    streams: StreamsView,
    /// The process filter the browser, the summary and the analysis views share.
    filter: FilterState,
    filter_bar: FilterBar,
    performance: PerformanceView,
    event_log: EventLogView,
    detail: DetailView,
    queues: QueuesView,
    replay: ReplayView,
    graph: GraphView,
    map: MapView,
    jump_text: String,
    applied_theme: Option<ThemeChoice>,
    title: String,
    last_refresh: Option<Instant>,
}

impl WorkbenchApp {
    /// Who the audit trail records for this window's actions: `--user`, else
    /// the setting, else the logged-in user.
    pub fn operator(&self) -> Operator {
        let named = self.user.as_deref().unwrap_or(&self.settings.user).trim();
        if named.is_empty() {
            Operator::current()
        } else {
            Operator::named(named)
        }
    }

    /// Creates the app. `cc` (absent in tests) gives the saved settings.
    pub fn new(cc: Option<&eframe::CreationContext<'_>>, options: StartOptions) -> WorkbenchApp {
        let settings = cc
            .and_then(|cc| cc.storage)
            .and_then(|storage| eframe::get_value(storage, settings::STORAGE_KEY))
            .unwrap_or_default();
        let initial = match options.file {
            Some(path) => OpenRequest {
                path,
                mode: OpenMode::ReadOnly,
                create_demo: false,
                reopening: false,
            },
            None => demo_request(&options.data_dir),
        };
        let mut filter = FilterState::new(&options.data_dir);
        // `run` refuses an unknown name before the window opens; here it
        // can only have gone since (another window deleted it).
        let notice = options
            .filter
            .as_deref()
            .and_then(|name| filter.set_saved(name).err());
        WorkbenchApp {
            settings,
            user: options.user,
            clock: options.clock,
            data_dir: options.data_dir,
            repaint: cc.map(|cc| cc.egui_ctx.clone()),
            initial: Some(initial),
            store: None,
            opening: None,
            failure: None,
            confirm_writing: false,
            import_dialog: None,
            save_answer: None,
            importing: None,
            actions: ActionRunner::default(),
            notice,
            selection: Selection::default(),
            commands: Commands::default(),
            streams: StreamsView::default(),
            filter,
            filter_bar: FilterBar::default(),
            performance: PerformanceView::default(),
            event_log: EventLogView::default(),
            detail: DetailView::default(),
            queues: QueuesView::default(),
            replay: ReplayView::default(),
            graph: GraphView::default(),
            map: MapView::default(),
            jump_text: String::new(),
            applied_theme: None,
            title: String::new(),
            last_refresh: None,
        }
    }

    /// The settings kept between runs.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The open store, if any.
    pub fn store(&self) -> Option<&OpenStore> {
        self.store.as_ref()
    }

    /// What the window says about the file that could not be opened, if any.
    pub fn failure(&self) -> Option<FailureText> {
        self.failure.as_ref().map(OpenFailure::text)
    }

    /// What is selected.
    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    /// The view shown in the centre.
    pub fn view(&self) -> View {
        self.settings.view
    }

    /// The stream browser (tests and the benchmark drive it directly).
    pub fn streams_mut(&mut self) -> &mut StreamsView {
        &mut self.streams
    }

    /// The shared process filter.
    pub fn filter(&self) -> &FilterState {
        &self.filter
    }

    /// The filter bar (tests open its editor directly).
    pub fn filter_bar_mut(&mut self) -> &mut FilterBar {
        &mut self.filter_bar
    }

    /// The performance view (dotted chart, durations, activities).
    pub fn performance_mut(&mut self) -> &mut PerformanceView {
        &mut self.performance
    }

    /// The event log view.
    pub fn event_log_mut(&mut self) -> &mut EventLogView {
        &mut self.event_log
    }

    /// The replay view (tests and the benchmark drive its scrubber directly).
    pub fn replay_mut(&mut self) -> &mut ReplayView {
        &mut self.replay
    }

    /// The causal graph view.
    pub fn graph_mut(&mut self) -> &mut GraphView {
        &mut self.graph
    }

    /// The process map view.
    pub fn map_mut(&mut self) -> &mut MapView {
        &mut self.map
    }

    /// Whether anything is still working in the background (opening, scans).
    pub fn is_busy(&self) -> bool {
        self.initial.is_some()
            || self.opening.is_some()
            || self.importing.is_some()
            || self.actions.is_running()
            || self.streams.is_busy()
            || self.filter.is_busy()
            || self.performance.is_busy()
            || self.event_log.is_busy()
            || self.detail.is_busy()
            || self.queues.is_busy()
            || self.replay.is_busy()
            || self.graph.is_busy()
            || self.map.is_busy()
    }

    /// Asks for `command` as a view would; applied after the next frame.
    pub fn send(&mut self, command: Command) {
        self.commands.send(command);
    }

    /// The whole window: menu, panels, view, dialogs. Same code in the window
    /// and in tests.
    pub fn ui(&mut self, ui: &mut Ui) {
        if self.repaint.is_none() {
            self.repaint = Some(ui.ctx().clone());
        }
        if let Some(request) = self.initial.take() {
            self.start(request, None);
        }
        self.apply_theme(ui.ctx());
        self.poll_opening();
        self.poll_import();
        self.poll_action();
        self.graph.poll();
        self.map.poll();
        self.refresh_store();
        if let Some(store) = &self.store {
            self.filter
                .sync(&store.store, store.generation, self.repaint.as_ref());
        }
        self.streams.poll_job();
        self.performance.poll();
        self.handle_input(ui);

        egui::Panel::top("menu_bar").show(ui, |ui| self.menu_bar_ui(ui));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar_ui(ui));
        if let Some(store) = &self.store {
            let mut context = ViewContext {
                store,
                now: self.clock.now(),
                clock: self.clock,
                selection: &self.selection,
                filter: &self.filter,
                commands: &mut self.commands,
                action_running: self.actions.is_running(),
            };
            if self.settings.show_navigation {
                egui::Panel::left("navigation_panel")
                    .resizable(true)
                    .default_size(230.0)
                    .min_size(160.0)
                    .show(ui, |ui| {
                        summary::navigation_ui(ui, &mut context, self.settings.view);
                    });
            }
            if self.settings.show_detail {
                // A quarter of the window at first: on a wide screen room for
                // a payload's ids, on a small one for the view's tables. Not
                // narrower than an event id with its copy button.
                egui::Panel::right("detail_panel")
                    .resizable(true)
                    .default_size((ui.max_rect().width() * 0.25).clamp(330.0, 480.0))
                    .min_size(330.0)
                    .show(ui, |ui| self.detail.ui(ui, &mut context));
            }
        }
        egui::CentralPanel::default_margins().show(ui, |ui| self.central_ui(ui));
        self.writing_dialog_ui(ui.ctx());
        self.import_dialog_ui(ui.ctx());
        self.update_title(ui.ctx());

        for command in self.commands.take() {
            self.apply(command);
        }
        if self.is_busy() {
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
    }

    fn start(&mut self, request: OpenRequest, fallback: Option<OpenRequest>) {
        let job = start_open(request.clone(), self.clock, self.repaint.clone());
        self.opening = Some(Opening {
            request,
            job,
            fallback,
        });
    }

    fn poll_opening(&mut self) {
        let Some(opening) = &mut self.opening else {
            return;
        };
        let mut outcome = opening.job.poll().pop();
        if outcome.is_none() && opening.job.is_finished() {
            outcome = Some(Err(OpenFailure {
                path: opening.request.path.clone(),
                mode: opening.request.mode,
                problem: document::Problem::Other("opening stopped unexpectedly".to_string()),
            }));
        }
        let Some(outcome) = outcome else {
            return;
        };
        let Some(opening) = self.opening.take() else {
            return;
        };
        match outcome {
            Ok(store) => {
                if !store.is_demo {
                    self.settings.remember(&store.file);
                }
                self.failure = None;
                self.selection = Selection::default();
                self.streams = StreamsView::default();
                self.performance = PerformanceView::default();
                self.event_log = EventLogView::default();
                self.detail = DetailView::default();
                self.queues = QueuesView::default();
                self.replay = ReplayView::default();
                self.graph = GraphView::default();
                self.filter.forget_selection();
                self.map = MapView::default();
                self.store = Some(store);
                self.last_refresh = Some(Instant::now());
            }
            Err(failure) => match opening.fallback {
                Some(fallback) => {
                    let text = failure.text();
                    self.notice = Some(format!(
                        "Writing could not be enabled. {} {}",
                        text.message, text.advice
                    ));
                    self.start(fallback, None);
                }
                None => self.failure = Some(failure),
            },
        }
    }

    fn poll_import(&mut self) {
        let Some(end) = self.importing.as_mut().and_then(RunningImport::poll) else {
            return;
        };
        self.importing = None;
        match end {
            ImportEnd::Done {
                file: Some(file),
                summary,
            } => {
                self.notice = Some(summary);
                self.open(file, OpenMode::ReadOnly);
            }
            ImportEnd::Done {
                file: None,
                summary,
            } => {
                self.notice = Some(summary);
                // Show the new streams now rather than at the next periodic refresh.
                self.last_refresh = None;
            }
            ImportEnd::Failed(message) => self.notice = Some(message),
        }
    }

    /// File > Export: the whole store, the processes the filter shows (when
    /// a filter is applied), the selected stream; each as XES or OCEL. The
    /// processes shown are exported by the filter itself, which the export
    /// evaluates again on the store as `export --filter` does on the command
    /// line, so both write the same file.
    fn export_menu_ui(&mut self, ui: &mut egui::Ui) {
        let mut log =
            |ui: &mut egui::Ui, label: &str, streams: Vec<String>, filter: ProcessFilter| {
                for format in LogFormat::ALL {
                    if ui
                        .button(format!("{label} as {}…", format.label()))
                        .clicked()
                    {
                        self.commands.send(Command::Export(ExportRequest::Log {
                            format,
                            streams: streams.clone(),
                            filter: filter.clone(),
                        }));
                    }
                }
            };
        log(ui, "The whole store", Vec::new(), ProcessFilter::default());
        if self.filter.is_active() {
            ui.separator();
            match self.filter.within() {
                Within::Only(selection) if selection.counts.streams == 0 => {
                    ui.add_enabled(false, egui::Button::new("The filter shows no process"));
                }
                Within::Only(selection) => {
                    let count = selection.counts.streams;
                    let noun = if count == 1 { "process" } else { "processes" };
                    let label = format!("The {} {noun} shown", format_count(count));
                    log(ui, &label, Vec::new(), self.filter.applied().clone());
                }
                Within::All | Within::Pending => {
                    let why = if self.filter.error().is_some() {
                        "The filter could not be applied"
                    } else {
                        "The processes shown (the filter is being applied)"
                    };
                    ui.add_enabled(false, egui::Button::new(why));
                }
            }
        }
        if let Some(stream) = self.selection.stream.clone() {
            ui.separator();
            log(
                ui,
                "The selected stream",
                vec![stream],
                ProcessFilter::default(),
            );
        }
    }

    fn import_dialog_ui(&mut self, ctx: &egui::Context) {
        let Some(dialog) = &mut self.import_dialog else {
            return;
        };
        let can_write = self.store.as_ref().is_some_and(OpenStore::is_writable);
        if !dialog.ui(ctx, can_write, &mut self.commands) {
            self.import_dialog = None;
        }
    }

    /// Answers the next export's save dialog with `out` instead of showing
    /// it: a menu's export can then be driven by its label (the window tests
    /// do; a native dialog cannot be).
    pub fn answer_next_save_dialog(&mut self, out: PathBuf) {
        self.save_answer = Some(out);
    }

    /// Runs an export as if the user had chosen `out` in its save dialog.
    pub fn export_to(&mut self, export: ExportRequest, out: PathBuf) {
        self.run_action(export.into_action(out), String::new());
    }

    /// The last action that finished, until the user dismisses its line.
    pub fn last_action(&self) -> Option<&Finished> {
        self.actions.last()
    }

    /// Starts one of the core's actions on the open store, as the user named
    /// in the audit trail.
    fn run_action(&mut self, action: Action, reason: String) {
        let Some(store) = &self.store else {
            return;
        };
        let request = Request {
            action,
            operator: self.operator(),
            reason,
            now: self.clock.now(),
        };
        self.actions
            .start(Arc::clone(&store.store), request, self.repaint.clone());
    }

    /// Takes in a finished action: reads the store again so that every view
    /// shows what it wrote, and shows an event it appended in the replay.
    fn poll_action(&mut self) {
        let Some(finished) = self.actions.poll() else {
            return;
        };
        let appended = finished
            .result
            .as_ref()
            .ok()
            .and_then(|outcome| outcome.event.as_ref())
            .map(|event| (event.stream_id.clone(), event.version));
        let retried = matches!(finished.action, Action::RetryFailedStep { .. });
        if matches!(
            finished.action,
            Action::SaveFilter { .. } | Action::DeleteFilter { .. }
        ) {
            self.filter.reload_saved();
        }
        self.last_refresh = None;
        self.refresh_store();
        if retried && let Some((stream_id, version)) = appended {
            self.replay.show_version(&stream_id, version);
        }
    }

    /// Reads the summary again when the store was written (its generation moved).
    fn refresh_store(&mut self) {
        let Some(store) = &mut self.store else {
            return;
        };
        if self
            .last_refresh
            .is_some_and(|last| last.elapsed() < REFRESH_EVERY)
        {
            return;
        }
        self.last_refresh = Some(Instant::now());
        if let Err(error) = store.refresh(self.clock.now()) {
            self.notice = Some(format!("The store could not be read again: {error}"));
        }
    }

    fn apply_theme(&mut self, ctx: &egui::Context) {
        if self.applied_theme == Some(self.settings.theme) {
            return;
        }
        self.applied_theme = Some(self.settings.theme);
        ctx.set_theme(match self.settings.theme {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
            ThemeChoice::Light => egui::ThemePreference::Light,
        });
    }

    fn handle_input(&mut self, ui: &mut Ui) {
        let open = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
        if ui.input_mut(|input| input.consume_shortcut(&open)) {
            self.commands.send(Command::ShowOpenDialog);
        }
        if ui.input_mut(|input| input.consume_shortcut(&IMPORT_SHORTCUT)) {
            self.commands.send(Command::ShowImportDialog(None));
        }
        let dropped = ui.input(|input| {
            input
                .raw
                .dropped_files
                .first()
                .map(|file| file.path().to_path_buf())
        });
        if let Some(path) = dropped {
            // A log (or an engine's data folder) is imported; anything else is opened as a store.
            self.commands.send(if is_importable(&path) {
                Command::ShowImportDialog(Some(path))
            } else {
                Command::Open(path)
            });
        }
    }

    fn update_title(&mut self, ctx: &egui::Context) {
        let title = match &self.store {
            Some(store) => {
                let name = store.file.file_name().map_or_else(
                    || store.file.display().to_string(),
                    |name| name.to_string_lossy().into_owned(),
                );
                format!("{name} ({}) — {APP_NAME}", mode_text(store))
            }
            None => APP_NAME.to_string(),
        };
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    fn menu_bar_ui(&mut self, ui: &mut Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                let open = ui.add(
                    egui::Button::new("Open…").shortcut_text(
                        ui.ctx()
                            .format_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::O)),
                    ),
                );
                if open.clicked() {
                    self.commands.send(Command::ShowOpenDialog);
                }
                ui.menu_button("Open recent", |ui| {
                    if self.settings.recent_files.is_empty() {
                        ui.weak("No recent files");
                    }
                    for path in &self.settings.recent_files {
                        if ui.button(path.display().to_string()).clicked() {
                            self.commands.send(Command::Open(path.clone()));
                        }
                    }
                    ui.separator();
                    if ui
                        .add_enabled(
                            !self.settings.recent_files.is_empty(),
                            egui::Button::new("Clear recent files"),
                        )
                        .clicked()
                    {
                        self.commands.send(Command::ClearRecentFiles);
                    }
                });
                let import = ui.add(
                    egui::Button::new("Import…")
                        .shortcut_text(ui.ctx().format_shortcut(&IMPORT_SHORTCUT)),
                );
                if import.clicked() {
                    self.commands.send(Command::ShowImportDialog(None));
                }
                ui.add_enabled_ui(self.store.is_some(), |ui| {
                    ui.menu_button("Export", |ui| self.export_menu_ui(ui));
                });
                if ui.button("Open the demo store").clicked() {
                    self.commands.send(Command::OpenDemo);
                }
                if ui
                    .add_enabled(self.store.is_some(), egui::Button::new("Close"))
                    .clicked()
                {
                    self.commands.send(Command::Close);
                }
                ui.separator();
                if ui.button("Quit").clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            // The View menu holds a text field: it stays open until a click outside.
            let stays_open = egui::containers::menu::MenuConfig::new()
                .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside);
            egui::containers::menu::MenuButton::new("View")
                .config(stays_open)
                .ui(ui, |ui| {
                    let mut navigation = self.settings.show_navigation;
                    if ui.checkbox(&mut navigation, "Navigation panel").changed() {
                        self.commands
                            .send(Command::TogglePanel(SidePanel::Navigation));
                    }
                    let mut detail = self.settings.show_detail;
                    if ui.checkbox(&mut detail, "Detail panel").changed() {
                        self.commands.send(Command::TogglePanel(SidePanel::Detail));
                    }
                    ui.separator();
                    ui.label("Theme");
                    for choice in ThemeChoice::ALL {
                        if ui
                            .radio(self.settings.theme == choice, choice.label())
                            .clicked()
                        {
                            self.commands.send(Command::SetTheme(choice));
                        }
                    }
                    ui.separator();
                    ui.label("User named in the audit trail");
                    let logged_in = Operator::current().user;
                    ui.add_enabled(
                        self.user.is_none(),
                        egui::TextEdit::singleline(&mut self.settings.user)
                            .hint_text(format!("{logged_in} (logged in)"))
                            .desired_width(220.0),
                    )
                    .on_disabled_hover_text("Given by --user on the command line")
                    .accessible_name("Audit trail user");
                });
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if let Some(store) = &self.store {
                    let mut writable = store.is_writable();
                    let response = ui
                        .add_enabled(
                            !store.is_copy(),
                            egui::Checkbox::new(&mut writable, "Enable writing"),
                        )
                        .on_hover_text(if store.is_copy() {
                            "This is a temporary read-only copy; writing is not available"
                        } else {
                            "Files open read-only. Writing must be enabled, and asks first."
                        });
                    if response.changed() {
                        self.commands.send(if writable {
                            Command::AskEnableWriting
                        } else {
                            Command::DisableWriting
                        });
                    }
                    ui.separator();
                    let jump = ui
                        .add(
                            egui::TextEdit::singleline(&mut self.jump_text)
                                .hint_text("Jump to event or stream id")
                                .desired_width(260.0),
                        )
                        .accessible_name("Jump to event or stream id");
                    if jump.lost_focus() && ui.input(|input| input.key_pressed(Key::Enter)) {
                        self.commands
                            .send(Command::JumpTo(self.jump_text.trim().to_string()));
                    }
                }
            });
        });
    }

    fn status_bar_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            match &self.store {
                Some(store) => {
                    ui.label(RichText::new(store.file.display().to_string()).monospace())
                        .on_hover_text("The open store file");
                    ui.separator();
                    let mode = mode_text(store);
                    if store.is_writable() {
                        ui.colored_label(failure_colour(ui), mode);
                    } else {
                        ui.label(mode);
                    }
                    ui.separator();
                    let summary = &store.summary;
                    let failed = summary
                        .streams
                        .by_status
                        .get("failed")
                        .copied()
                        .unwrap_or(0);
                    let open_letters = summary
                        .dead_letters
                        .by_status
                        .get("open")
                        .copied()
                        .unwrap_or(0);
                    ui.label(format!(
                        "{} streams · {} events · {} failed · {} dead letters open",
                        format_count(summary.streams.total),
                        format_count(summary.events.total),
                        format_count(failed),
                        format_count(open_letters),
                    ));
                }
                None => {
                    ui.label("No store is open");
                }
            }
            if let Some(opening) = &self.opening {
                ui.separator();
                ui.label(opening.job.name());
            }
        });
    }

    fn central_ui(&mut self, ui: &mut Ui) {
        let hovering = ui.input(|input| !input.raw.hovered_files.is_empty());
        if hovering {
            ui.heading(
                "Drop a process store file to open it, or a log (XES, OCEL, JSONL) to import it",
            );
            return;
        }
        if let Some(notice) = self.notice.clone() {
            ui.horizontal(|ui| {
                ui.label(RichText::new(notice).color(ui.visuals().warn_fg_color));
                if ui.small_button("OK").clicked() {
                    self.notice = None;
                }
            });
        }
        if self.actions.is_running() || self.actions.last().is_some() {
            self.actions.status_ui(ui);
            ui.separator();
        }
        if let Some(importing) = &self.importing {
            importing.ui(ui);
            return;
        }
        if let Some(opening) = &self.opening {
            opening_ui(ui, opening);
            return;
        }
        if let Some(failure) = &self.failure {
            let text = failure.text();
            let path = failure.path.clone();
            failure_ui(ui, &text, &path, self.store.is_some(), &mut self.commands);
            return;
        }
        let Some(store) = &self.store else {
            self.welcome_ui(ui);
            return;
        };
        let mut context = ViewContext {
            store,
            now: self.clock.now(),
            clock: self.clock,
            selection: &self.selection,
            filter: &self.filter,
            commands: &mut self.commands,
            action_running: self.actions.is_running(),
        };
        if self.settings.view.is_filtered() {
            self.filter_bar.ui(ui, &mut context);
        }
        match self.settings.view {
            View::Streams => self.streams.ui(ui, &mut context),
            View::EventLog => self.event_log.ui(ui, &mut context),
            View::Performance => self.performance.ui(ui, &mut context),
            view @ (View::Outbox | View::Deadlines | View::DeadLetters | View::Audit) => {
                self.queues.ui(ui, &mut context, view);
            }
            View::Replay => self.replay.ui(ui, &mut context),
            View::Graph => self.graph.ui(ui, &mut context),
            View::Map => self.map.ui(ui, &mut context),
        }
    }

    fn welcome_ui(&mut self, ui: &mut Ui) {
        ui.add_space(24.0);
        ui.heading("No store is open");
        ui.label("Open a process store file, drop one onto the window, or open the demo store.");
        ui.horizontal(|ui| {
            if ui.button("Open a file…").clicked() {
                self.commands.send(Command::ShowOpenDialog);
            }
            if ui.button("Import a log…").clicked() {
                self.commands.send(Command::ShowImportDialog(None));
            }
            if ui.button("Open the demo store").clicked() {
                self.commands.send(Command::OpenDemo);
            }
        });
        if !self.settings.recent_files.is_empty() {
            ui.add_space(12.0);
            ui.label(RichText::new("Recent files").strong());
            for path in &self.settings.recent_files {
                if ui.link(path.display().to_string()).clicked() {
                    self.commands.send(Command::Open(path.clone()));
                }
            }
        }
    }

    fn writing_dialog_ui(&mut self, ctx: &egui::Context) {
        if !self.confirm_writing {
            return;
        }
        let Some(store) = &self.store else {
            self.confirm_writing = false;
            return;
        };
        let file = store.file.display().to_string();
        let modal = egui::Modal::new(egui::Id::unique("confirm_writing")).show(ctx, |ui| {
            ui.set_width(420.0);
            ui.heading("Enable writing?");
            ui.label(format!("{file} will be opened for writing."));
            ui.label(
                "Actions in this window can then change the file. Each one asks first and is \
                 recorded in the store's audit trail. No other program can open the file for \
                 writing while it is open here.",
            );
            ui.add_space(8.0);
            dialog::confirm_buttons(ui, "Yes, enable writing", true, None)
        });
        match dialog::answer(&modal) {
            Some(true) => self.commands.send(Command::EnableWriting),
            Some(false) => self.confirm_writing = false,
            None => {}
        }
    }

    /// Applies one command: the only place where the app's state changes in
    /// answer to the user.
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::ShowOpenDialog => {
                let picked = rfd::FileDialog::new()
                    .set_title("Open a process store")
                    .add_filter("Process store", &["redb"])
                    .add_filter("All files", &["*"])
                    .pick_file();
                if let Some(path) = picked {
                    self.apply(Command::Open(path));
                }
            }
            Command::Open(path) => self.open(path, OpenMode::ReadOnly),
            Command::ShowImportDialog(input) => {
                self.import_dialog = Some(ImportDialog::new(input.as_deref()));
            }
            Command::StartImport(request) => {
                let operator = self.operator();
                let open_store = match request.target {
                    ImportTarget::OpenStore => self
                        .store
                        .as_ref()
                        .filter(|store| store.is_writable())
                        .map(|store| Arc::clone(&store.store)),
                    ImportTarget::File(_) => None,
                };
                self.notice = None;
                self.importing = Some(RunningImport::start(
                    request,
                    open_store,
                    operator,
                    self.repaint.clone(),
                ));
            }
            Command::OpenCopy(path) => self.open(path, OpenMode::Copy),
            Command::RepairCopy(path) => self.open(path, OpenMode::RepairCopy),
            Command::OpenDemo => {
                self.failure = None;
                let request = demo_request(&self.data_dir);
                self.start(request, None);
            }
            Command::Close => {
                self.store = None;
                self.selection = Selection::default();
                self.streams = StreamsView::default();
                self.performance = PerformanceView::default();
                self.event_log = EventLogView::default();
                self.detail = DetailView::default();
                self.queues = QueuesView::default();
                self.replay = ReplayView::default();
                self.graph = GraphView::default();
                self.map = MapView::default();
            }
            Command::ClearRecentFiles => self.settings.recent_files.clear(),
            Command::AskEnableWriting => self.confirm_writing = self.store.is_some(),
            Command::EnableWriting => {
                self.confirm_writing = false;
                self.reopen(OpenMode::Writable);
            }
            Command::DisableWriting => self.reopen(OpenMode::ReadOnly),
            Command::DismissOpenError => self.failure = None,
            Command::ShowView(view) => self.settings.view = view,
            Command::TogglePanel(SidePanel::Navigation) => {
                self.settings.show_navigation = !self.settings.show_navigation;
            }
            Command::TogglePanel(SidePanel::Detail) => {
                self.settings.show_detail = !self.settings.show_detail;
            }
            Command::SetTheme(choice) => self.settings.theme = choice,
            Command::SelectStream(stream_id) => {
                if self.selection.stream.as_deref() != Some(stream_id.as_str()) {
                    self.selection.event = None;
                }
                self.selection.stream = Some(stream_id);
            }
            Command::GoToStream(stream_id) => {
                self.streams.reveal(&stream_id);
                self.settings.view = View::Streams;
                self.apply(Command::SelectStream(stream_id));
            }
            Command::SelectEvent(event) => {
                if let Some(stream_id) = &event.stream_id {
                    self.selection.stream = Some(stream_id.clone());
                }
                self.selection.event = Some(event);
            }
            Command::GoToEvent(event_id) => self.go_to_event(event_id),
            Command::ShowConversation(correlation) => {
                self.settings.view = View::EventLog;
                self.event_log.show_conversation(correlation);
            }
            Command::JumpTo(text) => self.jump_to(&text),
            Command::Run { action, reason } => self.run_action(action, reason),
            Command::Export(export) => {
                let (title, file_name, kind, extension) = export.save_dialog();
                let out = self.save_answer.take().or_else(|| {
                    rfd::FileDialog::new()
                        .set_title(title)
                        .set_file_name(file_name)
                        .add_filter(kind, &[extension])
                        .save_file()
                });
                if let Some(out) = out {
                    self.export_to(export, out);
                }
            }
            Command::CancelAction => self.actions.cancel(),
            Command::ShowInReplay { stream_id, version } => {
                self.settings.view = View::Replay;
                self.apply(Command::SelectStream(stream_id.clone()));
                self.replay.show_version(&stream_id, version);
            }
            Command::ShowInGraph(event_id) => self.show_in_graph(event_id),
            Command::SetFilter { filter, name } => self.filter.set(filter, name),
            Command::ApplySavedFilter(name) => {
                if let Err(error) = self.filter.set_saved(&name) {
                    self.notice = Some(error);
                }
            }
            Command::ClearFilter => self.filter.set(Default::default(), None),
            Command::ShowStreamsContaining { label, ids } => {
                self.streams.show_only(label, ids);
                self.settings.view = View::Streams;
            }
        }
    }

    fn open(&mut self, path: PathBuf, mode: OpenMode) {
        self.failure = None;
        let path = std::path::absolute(&path).unwrap_or(path);
        self.start(
            OpenRequest {
                path,
                mode,
                create_demo: false,
                reopening: false,
            },
            None,
        );
    }

    /// Closes the store and opens the same file again in another mode.
    fn reopen(&mut self, mode: OpenMode) {
        let Some(store) = self.store.take() else {
            return;
        };
        let request = OpenRequest {
            path: store.file.clone(),
            mode,
            create_demo: false,
            reopening: true,
        };
        let fallback = (mode == OpenMode::Writable).then(|| OpenRequest {
            mode: OpenMode::ReadOnly,
            ..request.clone()
        });
        // The views hold the store through their jobs; dropping them cancels
        // the jobs so that the file is released for the new mode.
        self.streams = StreamsView::default();
        self.performance = PerformanceView::default();
        self.event_log = EventLogView::default();
        self.detail = DetailView::default();
        self.queues = QueuesView::default();
        self.replay = ReplayView::default();
        self.graph = GraphView::default();
        self.map = MapView::default();
        drop(store);
        self.start(request, fallback);
    }

    fn go_to_event(&mut self, event_id: Uuid) {
        let Some(store) = &self.store else {
            return;
        };
        let found = store.store.read().and_then(|reader| {
            let Some(position) = reader.position_of(event_id)? else {
                return Ok(None);
            };
            Ok(reader
                .event_bytes(position)?
                .map(|bytes| (position, EventHeader::decode(position, &bytes))))
        });
        match found {
            Ok(Some((position, Ok(header)))) => {
                self.settings.view = View::Streams;
                self.streams.reveal(&header.stream_id);
                self.streams.reveal_event(header.version);
                self.selection = Selection {
                    stream: Some(header.stream_id.clone()),
                    event: Some(EventRef {
                        position,
                        stream_id: Some(header.stream_id),
                        version: Some(header.version),
                    }),
                };
            }
            Ok(Some((position, Err(_)))) => {
                self.selection.event = Some(EventRef::at(position));
            }
            Ok(None) => {
                self.notice = Some(format!(
                    "There is no event with id {event_id} in this store. It may be the id of a \
                     message that was not stored as an event."
                ));
            }
            Err(error) => self.notice = Some(format!("The event could not be read: {error}")),
        }
    }

    /// Selects the event and shows its causal graph (the stream browser is
    /// left as it is: revealing a stream there waits until it is shown).
    fn show_in_graph(&mut self, event_id: Uuid) {
        let Some(store) = &self.store else {
            return;
        };
        let found = store.store.read().and_then(|reader| {
            let Some(position) = reader.position_of(event_id)? else {
                return Ok(None);
            };
            let header = reader
                .event_bytes(position)?
                .and_then(|bytes| EventHeader::decode(position, &bytes).ok());
            Ok(Some((position, header)))
        });
        match found {
            Ok(Some((position, header))) => {
                let event = EventRef {
                    position,
                    stream_id: header.as_ref().map(|header| header.stream_id.clone()),
                    version: header.as_ref().map(|header| header.version),
                };
                self.apply(Command::SelectEvent(event));
                self.graph.set_root(position);
                self.settings.view = View::Graph;
            }
            Ok(None) => {
                self.notice = Some(format!(
                    "There is no event with id {event_id} in this store."
                ));
            }
            Err(error) => self.notice = Some(format!("The event could not be read: {error}")),
        }
    }

    fn jump_to(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let Some(store) = &self.store else {
            return;
        };
        let is_stream = store
            .store
            .read()
            .and_then(|reader| reader.stream(text))
            .is_ok_and(|info| info.is_some());
        if is_stream {
            self.apply(Command::GoToStream(text.to_string()));
            return;
        }
        match Uuid::parse_str(text) {
            Ok(event_id) => self.go_to_event(event_id),
            Err(_) => {
                self.notice = Some(format!("There is no event or stream with id {text}."));
            }
        }
    }
}

impl eframe::App for WorkbenchApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        WorkbenchApp::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, settings::STORAGE_KEY, &self.settings);
    }
}

/// Ctrl+I: File > Import….
const IMPORT_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::I);

/// Whether a dropped path is something to import rather than a store to open.
fn is_importable(path: &Path) -> bool {
    path.is_dir() || process_workbench_core::import::Format::detect(path).is_some()
}

/// "read-only", "writing enabled", or what kind of copy is open.
fn mode_text(store: &OpenStore) -> &'static str {
    match store.mode {
        OpenMode::Copy => "read-only copy",
        OpenMode::RepairCopy => "repaired copy, read-only",
        _ if store.is_writable() => "writing enabled",
        _ => "read-only",
    }
}

fn demo_request(data_dir: &Path) -> OpenRequest {
    OpenRequest {
        path: data_dir.join(DEMO_FILE_NAME),
        mode: OpenMode::ReadOnly,
        create_demo: true,
        reopening: false,
    }
}

fn opening_ui(ui: &mut Ui, opening: &Opening) {
    ui.add_space(24.0);
    let (done, total) = opening.job.progress();
    if opening.request.create_demo && total > 0 {
        ui.heading("Creating the demo store");
        ui.label(format!(
            "First start: the demo store is made in {}",
            opening.request.path.display()
        ));
        if job_progress_ui(ui, "Running processes", done, total, "processes") {
            opening.job.cancel();
        }
    } else {
        ui.heading(format!("Opening {}", opening.request.path.display()));
        ui.horizontal(|ui| {
            ui.add(egui::Spinner::new());
            ui.label(format!(
                "Reading the store's summary… {:.1} s",
                opening.job.elapsed().as_secs_f32()
            ));
        });
    }
}

fn failure_ui(
    ui: &mut Ui,
    text: &FailureText,
    path: &Path,
    has_store: bool,
    commands: &mut Commands,
) {
    ui.add_space(24.0);
    ui.heading(RichText::new(text.title).color(failure_colour(ui)));
    ui.add(egui::Label::new(RichText::new(&text.message).monospace()).wrap());
    ui.add_space(6.0);
    ui.label(text.advice);
    ui.label("The file was not changed.");
    ui.add_space(12.0);
    ui.horizontal(|ui| {
        if text.offer_copy && ui.button("Open a copy").clicked() {
            commands.send(Command::OpenCopy(path.to_path_buf()));
        }
        if text.offer_repair_copy && ui.button("Repair a copy").clicked() {
            commands.send(Command::RepairCopy(path.to_path_buf()));
        }
        if ui.button("Try again").clicked() {
            commands.send(Command::Open(path.to_path_buf()));
        }
        if ui.button("Open another file…").clicked() {
            commands.send(Command::ShowOpenDialog);
        }
        if has_store && ui.button("Back to the open store").clicked() {
            commands.send(Command::DismissOpenError);
        }
    });
}

/// The app's data folder: the demo store, the saved filters.
pub fn data_dir() -> Result<PathBuf, String> {
    eframe::storage_dir(APP_ID)
        .ok_or_else(|| "no folder for the app's data could be found (is HOME set?)".to_string())
}

/// Opens the window on `file`, or on the demo store when none is given,
/// with the saved filter `filter` applied (an unknown name is refused before
/// the window opens).
pub fn run(
    file: Option<PathBuf>,
    user: Option<String>,
    filter: Option<String>,
) -> Result<(), String> {
    let data_dir = data_dir()?;
    if let Some(name) = &filter {
        SavedFilters::load(&saved_filters_file(&data_dir))
            .and_then(|saved| saved.get(name).map(|_| ()))
            .map_err(|error| error.to_string())?;
    }
    let file = file.map(|path| std::path::absolute(&path).unwrap_or(path));
    let start = StartOptions {
        file,
        data_dir,
        clock: Clock::System,
        user,
        filter,
    };
    match std::env::var(RENDERER_VARIABLE).ok() {
        Some(name) => {
            let renderer = name
                .parse::<eframe::Renderer>()
                .map_err(|error| format!("{RENDERER_VARIABLE}: {error}"))?;
            run_with(renderer, start)
        }
        // wgpu first; glow (OpenGL) where no wgpu adapter can be made. winit's
        // event loop can't be made twice in one process, so glow runs in a new one.
        None => run_with(eframe::Renderer::Wgpu, start).or_else(|wgpu_error| {
            eprintln!("{wgpu_error}; trying OpenGL");
            run_again_with_glow()
        }),
    }
}

/// Runs this program again, with the same arguments, on the glow renderer.
fn run_again_with_glow() -> Result<(), String> {
    let program = std::env::current_exe()
        .map_err(|error| format!("the program could not be started again: {error}"))?;
    let status = std::process::Command::new(program)
        .args(std::env::args_os().skip(1))
        .env(RENDERER_VARIABLE, "glow")
        .status()
        .map_err(|error| format!("the program could not be started again: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "the window could not be opened with OpenGL either ({status})"
        ))
    }
}

fn run_with(renderer: eframe::Renderer, start: StartOptions) -> Result<(), String> {
    let icon = eframe::icon_data::from_png_bytes(ICON_PNG)
        .map_err(|error| format!("the app icon could not be read: {error}"))?;
    let viewport = egui::ViewportBuilder::default()
        .with_title(APP_NAME)
        .with_app_id(APP_ID)
        .with_icon(Arc::new(icon))
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([640.0, 400.0])
        .with_drag_and_drop(true);
    let options = eframe::NativeOptions {
        viewport,
        renderer,
        persist_window: true,
        ..Default::default()
    };
    eframe::run_native(
        APP_ID,
        options,
        Box::new(move |cc| Ok(Box::new(WorkbenchApp::new(Some(cc), start)))),
    )
    .map_err(|error| format!("the window could not be opened ({renderer}): {error}"))
}
