//! The replay view's write action, applied by the app: "Retry failed step"
//! goes through the engine's operator action, the same function as the CLI's
//! `retry`, in one write transaction with an audit entry.

use process_workbench_core::engine::{Engine, Operator};

use super::WorkbenchApp;

impl WorkbenchApp {
    /// Retries the failed step of `stream_id`; says what happened in the notice
    /// line and shows the new event in the replay view.
    pub(super) fn retry_failed_step(&mut self, stream_id: &str, reason: &str) {
        let now = self.clock.now();
        let Some(store) = &mut self.store else {
            return;
        };
        if !store.is_writable() {
            self.notice = Some("Enable writing to retry a failed step.".to_string());
            return;
        }
        let result = Engine::load(&store.store)
            .map_err(|error| error.to_string())
            .and_then(|mut engine| {
                engine
                    .retry_failed_step(&store.store, stream_id, &Operator::current(), reason, now)
                    .map_err(|error| error.to_string())
            });
        match result {
            Ok(event) => {
                // Read the store again now, so that every view shows the new event.
                if let Err(error) = store.refresh(now) {
                    self.notice = Some(format!("The store could not be read again: {error}"));
                } else {
                    self.notice = Some(format!(
                        "The failed step of {stream_id} was retried: {} appended at version {}.",
                        event.event_type, event.version
                    ));
                }
                self.replay.show_version(stream_id, event.version);
            }
            Err(error) => {
                self.notice = Some(format!(
                    "The failed step of {stream_id} could not be retried: {error}"
                ));
            }
        }
    }
}
