//! What the command line's tests share: running the real binary and reading
//! what it printed.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// The binary run with `args`.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_process-workbench"))
        .args(args)
        .output()
        .expect("run the binary")
}

/// The binary run with `args` and its data folder (saved filters) in `data`.
pub fn run_in(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_process-workbench"))
        .args(args)
        .env("XDG_DATA_HOME", data)
        .output()
        .expect("run the binary")
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What a run that must succeed printed on standard output.
pub fn stdout_of(output: &Output) -> String {
    assert!(output.status.success(), "failed: {}", text(&output.stderr));
    text(&output.stdout)
}

/// The JSON a run that must succeed printed.
pub fn json_of(output: &Output) -> Value {
    serde_json::from_str(&stdout_of(output)).expect("JSON on stdout")
}

/// Asserts exit status 2 with exactly one line on stderr, and returns it.
pub fn refused(output: &Output) -> String {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
    stderr
}
