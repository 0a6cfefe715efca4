//! Starts `pw-test-helper` (`tests/support/test_helper.rs`), the second
//! process of the tests that need one, and waits until it says it is ready.

#![allow(dead_code, reason = "each test binary uses a part")]

use std::io::{BufRead, BufReader, Lines};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

/// The helper program, built by Cargo for this package's tests.
const HELPER: &str = env!("CARGO_BIN_EXE_pw-test-helper");

/// A child process that holds a store open for writing: closes it cleanly on
/// [`Holder::release`], leaves it as a crashed writer does on [`Holder::kill`]
/// (and on drop, so that a failing test leaves no process behind).
pub struct Holder(Child);

impl Holder {
    /// Starts the holder on `path` and returns once it has the store open
    /// and has committed a write.
    pub fn hold(path: &Path) -> Holder {
        let mut child = Command::new(HELPER)
            .arg("hold")
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start pw-test-helper");
        let mut lines = lines_of(&mut child);
        let ready = lines.any(|line| line.is_ok_and(|line| line == "HOLDING"));
        assert!(
            ready,
            "pw-test-helper did not take hold of {}",
            path.display()
        );
        Holder(child)
    }

    /// Closes the store cleanly and waits for the holder to end.
    pub fn release(mut self) {
        drop(self.0.stdin.take());
        let status = self.0.wait().expect("wait for pw-test-helper");
        assert!(status.success(), "pw-test-helper ended with {status}");
    }

    /// Kills the holder with the store open, as a crash would.
    pub fn kill(mut self) {
        self.0.kill().expect("kill pw-test-helper");
        self.0.wait().expect("reap pw-test-helper");
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a bulk resubmission of every dead letter of `path`; returns the
/// child and its output lines ("DONE n" after each item, "FINISHED").
pub fn bulk_resubmit(path: &Path) -> (Child, Lines<BufReader<ChildStdout>>) {
    let mut child = Command::new(HELPER)
        .arg("bulk-resubmit")
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start pw-test-helper");
    let lines = lines_of(&mut child);
    (child, lines)
}

fn lines_of(child: &mut Child) -> Lines<BufReader<ChildStdout>> {
    BufReader::new(child.stdout.take().expect("the helper's stdout")).lines()
}
