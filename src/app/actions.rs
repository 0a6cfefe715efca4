//! Running the core's actions for the window: one at a time, as a named
//! background job with progress and cancel, through the same
//! [`actions::execute`] the CLI calls. The app starts them from the views'
//! [`Command::Run`](crate::state::command::Command::Run) and shows their
//! progress and outcome in one line above the centre view.

use std::sync::Arc;

use egui::{RichText, Ui};

use crate::state::jobs::{Job, Worker};
use crate::widgets::progress::job_progress_ui;
use process_workbench_core::actions::{self, Action, Outcome, Request};
use process_workbench_core::store::Store;

/// What a finished action said.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub action: Action,
    /// The outcome, or why the action was refused or failed.
    pub result: Result<Outcome, String>,
}

impl Finished {
    /// The line the window shows.
    pub fn line(&self) -> String {
        match &self.result {
            Ok(outcome) => outcome.line.clone(),
            Err(error) => format!("{}: not done: {error}", self.action.describe()),
        }
    }

    /// Whether any part of it failed.
    pub fn failed(&self) -> bool {
        self.result
            .as_ref()
            .map_or(true, |outcome| outcome.partly_failed)
    }
}

/// The running action, if any, and the last one that finished.
#[derive(Default)]
pub struct ActionRunner {
    running: Option<(Action, Job<Result<Outcome, String>>)>,
    last: Option<Finished>,
}

impl ActionRunner {
    /// Whether an action is running.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// The last finished action, until the user dismisses it.
    pub fn last(&self) -> Option<&Finished> {
        self.last.as_ref()
    }

    /// Starts `request` on `store` in the background. Refused (with a line
    /// saying so) while another action runs: they would race for the store.
    pub fn start(&mut self, store: Arc<Store>, request: Request, repaint: Option<egui::Context>) {
        let action = request.action.clone();
        if self.running.is_some() {
            self.last = Some(Finished {
                action,
                result: Err("another action is still running; wait for it to finish".to_string()),
            });
            return;
        }
        self.last = None;
        let job = Job::spawn(action.describe(), repaint, move |worker: &Worker<_>| {
            let result =
                actions::execute(&store, &request, worker).map_err(|error| error.to_string());
            worker.send(result);
        });
        self.running = Some((action, job));
    }

    /// Asks the running action to stop.
    pub fn cancel(&self) {
        if let Some((_, job)) = &self.running {
            job.cancel();
        }
    }

    /// Takes in a finished action; returns it once, when it has just finished.
    pub fn poll(&mut self) -> Option<&Finished> {
        let (_, job) = self.running.as_mut()?;
        let result = job.poll().pop();
        if result.is_none() && !job.is_finished() {
            return None;
        }
        let result = result.unwrap_or_else(|| Err("the action stopped unexpectedly".to_string()));
        let (action, _) = self.running.take()?;
        self.last = Some(Finished { action, result });
        self.last.as_ref()
    }

    /// The progress of the running action (with Cancel) or the last outcome
    /// (with OK to dismiss it); nothing when there is neither.
    pub fn status_ui(&mut self, ui: &mut Ui) {
        if let Some((action, job)) = &self.running {
            let (done, total) = job.progress();
            if job_progress_ui(ui, &action.describe(), done, total, "") {
                job.cancel();
            }
            return;
        }
        let Some(finished) = &self.last else {
            return;
        };
        let mut dismiss = false;
        ui.horizontal_wrapped(|ui| {
            let colour = if finished.failed() {
                ui.visuals().warn_fg_color
            } else {
                ui.visuals().strong_text_color()
            };
            ui.label(RichText::new(finished.line()).color(colour));
            dismiss = ui.small_button("OK").clicked();
        });
        if dismiss {
            self.last = None;
        }
    }
}
