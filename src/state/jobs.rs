//! Background jobs: work that can take longer than a frame runs on its own
//! thread, reports progress, can be cancelled, and asks for a repaint whenever
//! it has something new, so the window stays responsive.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::time::{Duration, Instant};

/// Progress and cancellation shared between a job and its worker.
#[derive(Debug, Default)]
struct Shared {
    done: AtomicU64,
    total: AtomicU64,
    cancelled: AtomicBool,
}

/// A named background job that sends messages of type `M` as it works.
///
/// Dropping the job cancels it: a view that starts a new search simply
/// replaces the old job.
pub struct Job<M> {
    name: String,
    shared: Arc<Shared>,
    receiver: Receiver<M>,
    started: Instant,
    finished: bool,
}

/// The worker's side of a job: send results, report progress, notice cancellation.
pub struct Worker<M> {
    sender: Sender<M>,
    shared: Arc<Shared>,
    repaint: Option<egui::Context>,
}

impl<M: Send + 'static> Job<M> {
    /// Starts `work` on a new thread. `repaint` (the window's context) is asked
    /// to repaint whenever the worker sends a message or ends.
    pub fn spawn(
        name: impl Into<String>,
        repaint: Option<egui::Context>,
        work: impl FnOnce(&Worker<M>) + Send + 'static,
    ) -> Job<M> {
        let name = name.into();
        let shared = Arc::new(Shared::default());
        let (sender, receiver) = channel();
        let worker = Worker {
            sender,
            shared: Arc::clone(&shared),
            repaint,
        };
        // A thread that cannot be started drops the worker at once: the job then
        // reads as finished without a result, which every caller reports.
        let _ = std::thread::Builder::new()
            .name(format!("job: {name}"))
            .spawn(move || work(&worker));
        Job {
            name,
            shared,
            receiver,
            started: Instant::now(),
            finished: false,
        }
    }
}

impl<M> Job<M> {
    /// Takes every message sent since the last call; notes when the worker has ended.
    pub fn poll(&mut self) -> Vec<M> {
        let mut messages = Vec::new();
        loop {
            match self.receiver.try_recv() {
                Ok(message) => messages.push(message),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.finished = true;
                    break;
                }
            }
        }
        messages
    }

    /// Whether the worker has ended (known after a [`Job::poll`] that drained it).
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// (done, total) as last reported by the worker; total 0 when unknown.
    pub fn progress(&self) -> (u64, u64) {
        (
            self.shared.done.load(Ordering::Relaxed),
            self.shared.total.load(Ordering::Relaxed),
        )
    }

    /// Asks the worker to stop at its next check.
    pub fn cancel(&self) {
        self.shared.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether [`Job::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.shared.cancelled.load(Ordering::Relaxed)
    }

    /// The job's name, as shown in the window.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Time since the job started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

impl<M> Drop for Job<M> {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl<M> Worker<M> {
    /// Sends a message to the window; false when nobody listens any more
    /// (the job was dropped), which a worker treats like a cancellation.
    pub fn send(&self, message: M) -> bool {
        let delivered = self.sender.send(message).is_ok();
        self.repaint();
        delivered
    }

    /// Reports progress: `done` of `total` units (total 0 when unknown).
    pub fn progress(&self, done: u64, total: u64) {
        self.shared.done.store(done, Ordering::Relaxed);
        self.shared.total.store(total, Ordering::Relaxed);
    }

    /// Whether the window asked the job to stop.
    pub fn is_cancelled(&self) -> bool {
        self.shared.cancelled.load(Ordering::Relaxed)
    }

    fn repaint(&self) {
        if let Some(context) = &self.repaint {
            context.request_repaint();
        }
    }
}

/// A worker follows a core action's progress and cancellation directly.
impl<M> process_workbench_core::actions::Progress for Worker<M> {
    fn progress(&self, done: u64, total: u64) {
        Worker::progress(self, done, total);
    }

    fn is_cancelled(&self) -> bool {
        Worker::is_cancelled(self)
    }
}

impl<M> Drop for Worker<M> {
    fn drop(&mut self) {
        // The end of a job is news too: the window shows the final state.
        self.repaint();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait_until_finished<M>(job: &mut Job<M>) -> Vec<M> {
        let mut all = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !job.is_finished() && Instant::now() < deadline {
            all.extend(job.poll());
            std::thread::sleep(Duration::from_millis(1));
        }
        all
    }

    #[test]
    fn messages_arrive_and_the_job_finishes() {
        let mut job = Job::spawn("count", None, |worker: &Worker<u64>| {
            for number in 0..5 {
                worker.progress(number + 1, 5);
                worker.send(number);
            }
        });
        assert_eq!(wait_until_finished(&mut job), vec![0, 1, 2, 3, 4]);
        assert_eq!(job.progress(), (5, 5));
    }

    #[test]
    fn a_cancelled_job_stops() {
        let mut job = Job::spawn("forever", None, |worker: &Worker<()>| {
            while !worker.is_cancelled() {
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        job.cancel();
        wait_until_finished(&mut job);
        assert!(job.is_finished());
    }

    #[test]
    fn a_panicking_worker_reads_as_finished() {
        let mut job = Job::spawn("panics", None, |_: &Worker<()>| panic!("on purpose"));
        wait_until_finished(&mut job);
        assert!(job.is_finished());
    }
}
