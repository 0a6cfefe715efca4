//! The command line in a pipe whose reader goes away early, as in
//! `process-workbench export FILE --jsonl - | head -1`: the command ends
//! quietly (nothing on stderr, no "internal error: panicked … Broken pipe")
//! with the status a shell gives a command ended by SIGPIPE (141), or 0 when
//! it had written everything before the reader left.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};

use crate::common::*;

fn start(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_process-workbench"))
        .args(args)
        .env("USER", "cli.tester")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the binary")
}

/// Waits for the child; returns its status and what it wrote on stderr.
fn finish(child: Child) -> (ExitStatus, String) {
    let output = child.wait_with_output().expect("wait for the binary");
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// A failed demo stream with some history (replay's `--stream`).
fn failed_stream(store: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_process-workbench"))
        .args(["dead-letters", path_str(store), "--json"])
        .output()
        .expect("run the binary");
    let letters: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    letters
        .as_array()
        .expect("a list")
        .iter()
        .find_map(|letter| letter["stream_id"].as_str())
        .expect("a dead letter routed to a stream")
        .to_string()
}

/// `| head -1`: the reader takes one line and leaves while the command is
/// still writing (the export is far larger than a pipe's buffer).
#[test]
fn a_reader_that_leaves_after_one_line_ends_the_command_quietly() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let store = demo_store(dir.path(), 200);
    let mut child = start(&["export", path_str(&store), "--jsonl", "-"]);
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read the first line");
    assert!(first.starts_with('{'), "a JSON line: {first:?}");
    // The reader is dropped here: the pipe is closed with most of the export unread.
    let (status, stderr) = finish(child);
    assert_eq!(stderr, "", "nothing on stderr");
    assert_eq!(
        status.code(),
        Some(141),
        "the status of a command ended by SIGPIPE"
    );
}

/// Every printing command, its reader gone before it writes: quiet, and
/// SIGPIPE's status (or 0 when a command's small output fit in the pipe first).
#[test]
fn every_printing_command_ends_quietly_when_its_reader_is_gone() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let store = demo_store(dir.path(), 60);
    let file = path_str(&store);
    let stream = failed_stream(&store);
    let before = bytes_of(&store);
    let commands: Vec<Vec<&str>> = vec![
        vec!["replay", file, "--stream", &stream, "--json"],
        vec!["replay", file, "--stream", &stream],
        vec!["export", file, "--jsonl", "-"],
        vec!["inspect", file],
        vec!["inspect", file, "--json"],
        vec!["audit", file],
        vec!["audit", file, "--json"],
        vec!["dead-letters", file],
        vec!["dead-letters", file, "--json"],
        vec!["outbox", file, "--json"],
        vec!["deadlines", file, "--json"],
        vec!["check", file],
    ];
    for args in commands {
        let mut child = start(&args);
        drop(child.stdout.take());
        let (status, stderr) = finish(child);
        assert_eq!(stderr, "", "{args:?}: nothing on stderr");
        assert!(
            matches!(status.code(), Some(0 | 141)),
            "{args:?}: ended with {status}"
        );
    }
    assert!(bytes_of(&store) == before, "reading changed the store");
}
