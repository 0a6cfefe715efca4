//! The process filter that the stream browser, the summary counts and the
//! analysis views share: the filter applied now, the processes it keeps
//! (evaluated by the core's [`select_processes`] in a background job,
//! again whenever the store changes), and the filters saved by name.
//!
//! The app owns it and changes it (commands `SetFilter`, `ClearFilter`);
//! views read [`FilterState::within`] and show only what it keeps.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use process_workbench_core::search::{
    ProcessFilter, ProcessSelection, SAVED_FILTERS_FILE, SavedFilters, select_processes,
};
use process_workbench_core::store::Store;

use super::jobs::{Job, Worker};
use super::loadable::Loadable;

/// Which processes the views show.
#[derive(Debug, Clone)]
pub enum Within<'a> {
    /// No filter: every process.
    All,
    /// A filter is applied but its processes are not known yet.
    Pending,
    /// The processes the filter keeps.
    Only(&'a Arc<ProcessSelection>),
}

/// What the evaluation job sends: the filter it evaluated and what it kept.
struct SelectionMessage(ProcessFilter, Result<ProcessSelection, String>);

/// The shared process filter.
pub struct FilterState {
    applied: ProcessFilter,
    /// The saved filter `applied` was loaded from, while unchanged.
    name: Option<String>,
    /// Bumped whenever `applied` changes (the filter bar reloads its inputs).
    revision: u64,
    /// The (generation, filter) the selection is being or was evaluated for.
    evaluated: Option<(u64, ProcessFilter)>,
    selection: Loadable<Arc<ProcessSelection>>,
    /// The filter the selection shown was evaluated for (the store may have
    /// moved on since: it is shown until the next evaluation ends).
    shown_for: Option<ProcessFilter>,
    job: Option<Job<SelectionMessage>>,
    saved: SavedFilters,
    saved_file: PathBuf,
    saved_error: Option<String>,
}

impl FilterState {
    /// No filter applied; the saved filters read from `data_dir`.
    pub fn new(data_dir: &Path) -> FilterState {
        let mut state = FilterState {
            applied: ProcessFilter::default(),
            name: None,
            revision: 0,
            evaluated: None,
            selection: Loadable::Idle,
            shown_for: None,
            job: None,
            saved: SavedFilters::default(),
            saved_file: saved_filters_file(data_dir),
            saved_error: None,
        };
        state.reload_saved();
        state
    }

    /// The filter applied now (empty: none).
    pub fn applied(&self) -> &ProcessFilter {
        &self.applied
    }

    /// The name of the saved filter applied, while it is unchanged.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Changes with every new filter applied.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Whether a filter is applied.
    pub fn is_active(&self) -> bool {
        !self.applied.is_empty()
    }

    /// Applies `filter` (from the saved filter `name`, if any).
    pub fn set(&mut self, filter: ProcessFilter, name: Option<String>) {
        if filter != self.applied || name != self.name {
            self.applied = filter;
            self.name = name;
            self.revision += 1;
        }
    }

    /// Applies the saved filter `name`; the error says which names there are.
    pub fn set_saved(&mut self, name: &str) -> Result<(), String> {
        let filter = self.saved.get(name).map_err(|error| error.to_string())?;
        self.set(filter.clone(), Some(name.to_string()));
        Ok(())
    }

    /// Which processes the views show now.
    pub fn within(&self) -> Within<'_> {
        if !self.is_active() {
            return Within::All;
        }
        match self.selection.current() {
            Some(selection) if self.shown_for.as_ref() == Some(&self.applied) => {
                Within::Only(selection)
            }
            _ => Within::Pending,
        }
    }

    /// The processes the applied filter keeps, once evaluated (kept while
    /// the store's next generation is evaluated).
    pub fn selection(&self) -> Option<&Arc<ProcessSelection>> {
        match self.within() {
            Within::Only(selection) => Some(selection),
            Within::All | Within::Pending => None,
        }
    }

    /// Why the filter could not be evaluated, if it could not.
    pub fn error(&self) -> Option<&str> {
        self.selection.error()
    }

    /// Whether the evaluation job runs.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// (done, total) of the running evaluation.
    pub fn progress(&self) -> Option<(u64, u64)> {
        self.job.as_ref().map(Job::progress)
    }

    /// The filters saved by name.
    pub fn saved(&self) -> &SavedFilters {
        &self.saved
    }

    /// The file the saved filters are kept in.
    pub fn saved_file(&self) -> &Path {
        &self.saved_file
    }

    /// Why the saved filters could not be read, if they could not.
    pub fn saved_error(&self) -> Option<&str> {
        self.saved_error.as_deref()
    }

    /// Reads the saved filters again (after a save or a delete).
    pub fn reload_saved(&mut self) {
        match SavedFilters::load(&self.saved_file) {
            Ok(saved) => {
                self.saved = saved;
                self.saved_error = None;
            }
            Err(error) => self.saved_error = Some(error.to_string()),
        }
    }

    /// Forgets the evaluation (another store was opened).
    pub fn forget_selection(&mut self) {
        self.job = None;
        self.evaluated = None;
        self.selection = Loadable::Idle;
        self.shown_for = None;
    }

    /// Starts evaluating the filter when it or the store (its generation)
    /// changed, and takes in what the job found. Called every frame.
    pub fn sync(&mut self, store: &Arc<Store>, generation: u64, repaint: Option<&egui::Context>) {
        self.poll();
        if !self.is_active() {
            self.job = None;
            self.evaluated = None;
            return;
        }
        let wanted = (generation, self.applied.clone());
        if self.evaluated.as_ref() == Some(&wanted) {
            return;
        }
        self.evaluated = Some(wanted);
        self.selection.start_loading();
        let store = Arc::clone(store);
        let filter = self.applied.clone();
        self.job = Some(Job::spawn(
            "Applying the filter",
            repaint.cloned(),
            move |worker: &Worker<SelectionMessage>| {
                let result = evaluate(&store, &filter, worker);
                worker.send(SelectionMessage(filter, result));
            },
        ));
    }

    fn poll(&mut self) {
        let Some(job) = &mut self.job else {
            return;
        };
        let messages = job.poll();
        let finished = job.is_finished();
        for SelectionMessage(filter, result) in messages {
            if result.is_ok() {
                self.shown_for = Some(filter);
            }
            self.selection.finish(result.map(Arc::new));
        }
        if finished {
            self.job = None;
            if self.selection.is_loading() {
                self.selection
                    .finish(Err("the filter stopped unexpectedly".to_string()));
            }
        }
    }
}

/// The saved-filters file in the app's data folder.
pub fn saved_filters_file(data_dir: &Path) -> PathBuf {
    data_dir.join(SAVED_FILTERS_FILE)
}

fn evaluate(
    store: &Store,
    filter: &ProcessFilter,
    worker: &Worker<SelectionMessage>,
) -> Result<ProcessSelection, String> {
    let reader = store.read().map_err(|error| error.to_string())?;
    let selection = select_processes(&reader, filter, &mut |progress| {
        worker.progress(progress.done, progress.total);
        if worker.is_cancelled() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .map_err(|error| error.to_string())?;
    if selection.cancelled {
        return Err("cancelled".to_string());
    }
    Ok(selection)
}
