//! Every file that is not a readable store gets a clear message in the window,
//! and the file is never modified. A file locked by another process offers to
//! open a copy; a file that needs repair offers to repair a copy.

use std::path::Path;

use crate::gui_support::*;
use crate::helper_process::Holder;
use egui_kittest::kittest::Queryable;

/// Opens `path` in the app and checks the headline, that the message names the
/// file, and that the file's bytes did not change.
fn shows_failure(
    path: &Path,
    title: &str,
) -> egui_kittest::Harness<'static, process_workbench::app::WorkbenchApp> {
    let before = file_bytes(path);
    let data = tempfile::tempdir().expect("temporary folder");
    let mut harness = harness(app(Some(path.to_path_buf()), data.path()));
    settle(&mut harness);
    let failure = harness.state().failure().expect("a failure is shown");
    assert_eq!(failure.title, title, "{failure:?}");
    harness.get_by_label(title);
    harness.get_by_label(&failure.message);
    assert!(failure.message.contains(&path.display().to_string()));
    harness.get_by_label(failure.advice);
    harness.get_by_label("The file was not changed.");
    assert!(harness.state().store().is_none());
    assert!(
        file_bytes(path) == before,
        "opening changed {}",
        path.display()
    );
    harness
}

#[test]
fn a_missing_file() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("gone.redb");
    shows_failure(&path, "File not found");
    assert!(!path.exists(), "nothing was created");
}

#[test]
fn a_folder() {
    let dir = tempfile::tempdir().expect("temporary folder");
    shows_failure(dir.path(), "This is a folder");
}

#[test]
fn an_empty_file() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("empty.redb");
    std::fs::write(&path, b"").expect("write");
    shows_failure(&path, "The file is empty");
}

#[test]
fn random_bytes_are_not_a_store() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("noise.redb");
    std::fs::write(&path, random_bytes(64 * 1024)).expect("write");
    shows_failure(&path, "Not a process store");
}

#[test]
fn a_text_file_is_not_a_store() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "meter readings, march\n".repeat(200)).expect("write");
    shows_failure(&path, "Not a process store");
}

#[test]
fn a_redb_database_of_another_program() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("inventory.redb");
    foreign_redb(&path);
    let harness = shows_failure(&path, "Not a process store");
    assert!(
        harness
            .state()
            .failure()
            .is_some_and(|failure| failure.message.contains("no format version"))
    );
}

#[test]
fn a_store_of_a_newer_format() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("future.redb");
    newer_format_store(&path);
    shows_failure(&path, "Made by a newer version");
}

#[test]
fn a_truncated_store() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let whole = dir.path().join("whole.redb");
    sample_store(&whole);
    let bytes = std::fs::read(&whole).expect("read");
    let path = dir.path().join("truncated.redb");
    std::fs::write(&path, &bytes[..bytes.len() / 3]).expect("write");
    let before = file_bytes(&path);
    let data = tempfile::tempdir().expect("temporary folder");
    let mut harness = harness(app(Some(path.clone()), data.path()));
    settle(&mut harness);
    let failure = harness
        .state()
        .failure()
        .expect("a truncated store is refused");
    harness.get_by_label(failure.title);
    harness.get_by_label(&failure.message);
    harness.get_by_label("The file was not changed.");
    assert!(file_bytes(&path) == before);
}

#[test]
fn a_locked_store_offers_a_copy_and_the_copy_opens() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("locked.redb");
    let sample = sample_store(&path);
    // Held for writing by another process, as by an engine that is running.
    let holder = Holder::hold(&path);

    let mut harness = shows_failure(&path, "The file is locked");
    harness.get_by_label("Open a copy").click();
    settle(&mut harness);
    if let Some(failure) = harness.state().failure() {
        panic!("the copy did not open: {failure:?}");
    }
    let store = harness.state().store().expect("the copy is open");
    assert_eq!(store.file, path, "the window names the original file");
    assert!(store.is_copy());
    assert_eq!(store.summary.streams.total, sample.streams);
    harness.get_by_label("read-only copy");
    harness.get_by_label(&sample.failed_stream);

    holder.release();
}

#[test]
fn a_store_left_open_by_a_crashed_writer_needs_repair_and_a_copy_is_repaired() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("crashed.redb");
    let sample = sample_store(&path);
    Holder::hold(&path).kill();

    let before = file_bytes(&path);
    let data = tempfile::tempdir().expect("temporary folder");
    let mut harness = harness(app(Some(path.clone()), data.path()));
    settle(&mut harness);
    let failure = harness
        .state()
        .failure()
        .expect("a store left open by a killed writer needs repair");
    assert_eq!(failure.title, "The file needs repair", "{failure:?}");
    harness.get_by_label("Repair a copy").click();
    settle(&mut harness);
    let store = harness.state().store().expect("the repaired copy is open");
    assert_eq!(store.summary.streams.total, sample.streams);
    harness.get_by_label("repaired copy, read-only");
    assert!(
        file_bytes(&path) == before,
        "the original was not repaired in place"
    );
}
