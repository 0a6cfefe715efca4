//! The operator's queue views: outbox, deadlines, dead letters and the audit
//! trail. Each view reads in background jobs and asks for writes with a
//! confirmed [`Command::Run`](crate::state::command::Command::Run) of one of
//! the core's actions; the app runs it.

pub mod audit;
pub mod dead_letters;
pub mod deadlines;
pub mod outbox;
mod shared;

use egui::Ui;

use super::ViewContext;
use crate::state::View;

pub use shared::{READ_ONLY_EXPLANATION, write_enabled};

/// The four queue views.
#[derive(Default)]
pub struct QueuesView {
    pub outbox: outbox::OutboxView,
    pub deadlines: deadlines::DeadlinesView,
    pub dead_letters: dead_letters::DeadLettersView,
    pub audit: audit::AuditView,
}

impl QueuesView {
    /// Whether a read is under way.
    pub fn is_busy(&self) -> bool {
        self.outbox.is_busy()
            || self.deadlines.is_busy()
            || self.dead_letters.is_busy()
            || self.audit.is_busy()
    }

    /// Shows `view` (one of the four queue views).
    pub fn ui(&mut self, ui: &mut Ui, context: &mut ViewContext<'_>, view: View) {
        match view {
            View::Outbox => self.outbox.ui(ui, context),
            View::Deadlines => self.deadlines.ui(ui, context),
            View::DeadLetters => self.dead_letters.ui(ui, context),
            View::Audit => self.audit.ui(ui, context),
            _ => {}
        }
    }
}
