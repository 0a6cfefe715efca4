//! File > Import… driven by labels: a log imported into a new store file that
//! then opens, a broken log refused with its position and nothing written, a
//! dropped log filling in the dialog, importing into the open store only
//! once writing is enabled, the offset of times written without one, and a
//! CSV log's first rows with its columns picked.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::gui_support::*;
use egui_kittest::kittest::{NodeT, Queryable};

const LOG: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0">
  <trace>
    <string key="concept:name" value="case-1"/>
    <event><string key="concept:name" value="register"/><date key="time:timestamp" value="2026-03-02T09:00:00+00:00"/></event>
    <event><string key="concept:name" value="decide"/><date key="time:timestamp" value="2026-03-02T10:00:00+00:00"/></event>
  </trace>
  <trace>
    <string key="concept:name" value="case-2"/>
    <event><string key="concept:name" value="register"/><date key="time:timestamp" value="2026-03-03T09:00:00+00:00"/></event>
  </trace>
</log>
"#;

fn write_log(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("log written");
    path
}

fn open_import_dialog(
    harness: &mut egui_kittest::Harness<'_, process_workbench::app::WorkbenchApp>,
) {
    harness.get_by_label("File").click();
    settle(harness);
    harness.get_by_label_contains("Import…").click();
    settle(harness);
    harness.get_by_label("Import a process log");
}

fn type_into(
    harness: &mut egui_kittest::Harness<'_, process_workbench::app::WorkbenchApp>,
    label: &str,
    text: &str,
) {
    harness.get_by_label(label).click();
    settle(harness);
    harness.get_by_label(label).type_text(text);
    settle(harness);
}

#[test]
fn a_log_imports_into_a_new_store_that_then_opens() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let sample = dir.path().join("orders.redb");
    sample_store(&sample);
    let log = write_log(dir.path(), "claims.xes", LOG);
    let target = dir.path().join("claims-store.redb");
    let mut harness = harness(app(Some(sample), dir.path()));
    settle(&mut harness);

    open_import_dialog(&mut harness);
    harness.get_by_label("Choose the log or folder to import.");
    type_into(&mut harness, "Input file", &log.display().to_string());
    type_into(&mut harness, "Store file", &target.display().to_string());
    harness.get_by_label("Import").click();
    settle(&mut harness);

    harness.get_by_label_contains("Imported 3 events in 2 streams from");
    let store = harness.state().store().expect("the imported store is open");
    assert_eq!(store.file, target);
    assert_eq!(store.summary.streams.total, 2);
    assert_eq!(store.summary.events.total, 3);
    harness.get_by_label("case-1");
    harness.get_by_label("case-2");
}

#[test]
fn a_broken_log_is_refused_with_its_position_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let sample = dir.path().join("orders.redb");
    sample_store(&sample);
    let before = file_bytes(&sample);
    let log = write_log(dir.path(), "broken.xes", "<log>\n<trace>\n</log>\n");
    let target = dir.path().join("broken.redb");
    let mut harness = harness(app(Some(sample.clone()), dir.path()));
    settle(&mut harness);

    open_import_dialog(&mut harness);
    type_into(&mut harness, "Input file", &log.display().to_string());
    type_into(&mut harness, "Store file", &target.display().to_string());
    harness.get_by_label("Import").click();
    settle(&mut harness);

    harness.get_by_label_contains("failed, and nothing was changed: broken.xes: line 3");
    assert!(!target.exists(), "no store file is left behind");
    assert_eq!(harness.state().store().expect("still open").file, sample);
    assert_eq!(file_bytes(&sample), before, "the open store is untouched");
}

#[test]
fn a_dropped_log_fills_in_the_dialog() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let sample = dir.path().join("orders.redb");
    sample_store(&sample);
    let log = write_log(dir.path(), "claims.xes", LOG);
    let mut harness = harness(app(Some(sample.clone()), dir.path()));
    settle(&mut harness);

    #[derive(Debug)]
    struct Dropped(PathBuf);
    impl egui::DroppedFile for Dropped {
        fn path(&self) -> &Path {
            &self.0
        }
        fn bytes(&self) -> Result<Vec<u8>, String> {
            std::fs::read(&self.0).map_err(|error| error.to_string())
        }
    }
    harness
        .input_mut()
        .dropped_files
        .push(Arc::new(Dropped(log.clone())));
    settle(&mut harness);

    harness.get_by_label("Import a process log");
    assert_eq!(
        harness.state().store().expect("the store stays open").file,
        sample
    );
    // The store file is proposed beside the log.
    harness.get_by_label("Import").click();
    settle(&mut harness);
    let proposed = dir.path().join("claims.redb");
    assert!(proposed.exists(), "imported into {}", proposed.display());
    assert_eq!(harness.state().store().expect("open").file, proposed);
}

#[test]
fn importing_into_the_open_store_needs_writing() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let sample = dir.path().join("orders.redb");
    let streams = sample_store(&sample).streams;
    let log = write_log(dir.path(), "claims.xes", LOG);
    let mut harness = harness(app(Some(sample.clone()), dir.path()));
    settle(&mut harness);

    harness.get_by_label("Enable writing").click();
    settle(&mut harness);
    harness.get_by_label("Yes, enable writing").click();
    settle(&mut harness);
    assert!(harness.state().store().expect("open").is_writable());

    open_import_dialog(&mut harness);
    type_into(&mut harness, "Input file", &log.display().to_string());
    harness.get_by_label("The open store").click();
    settle(&mut harness);
    harness.get_by_label("Import").click();
    settle(&mut harness);
    harness.get_by_label_contains("Imported 3 events in 2 streams");
    // The summary is read again at once.
    harness.run_steps(4);
    let store = harness.state().store().expect("open");
    assert_eq!(store.file, sample);
    assert_eq!(store.summary.streams.total, streams + 2);
}

/// An OCEL log whose times are local (UTC+01:00) and written without an offset.
const LOCAL_OCEL: &str = r#"{"objectTypes": [{"name": "order", "attributes": []}],
 "eventTypes": [{"name": "place", "attributes": []}],
 "objects": [{"id": "o1", "type": "order"}],
 "events": [{"id": "e1", "type": "place", "time": "2024-01-01T10:00:00", "relationships": [{"objectId": "o1"}]}]}"#;

#[test]
fn times_without_offset_are_read_at_the_offset_typed() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let sample = dir.path().join("orders.redb");
    sample_store(&sample);
    let log = write_log(dir.path(), "local.jsonocel", LOCAL_OCEL);
    let target = dir.path().join("local.redb");
    let mut harness = harness(app(Some(sample), dir.path()));
    settle(&mut harness);

    open_import_dialog(&mut harness);
    type_into(&mut harness, "Input file", &log.display().to_string());
    type_into(&mut harness, "Store file", &target.display().to_string());
    harness.get_by_label("Offset of times without one").click();
    harness.run_steps(2);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.run_steps(1);
    harness
        .get_by_label("Offset of times without one")
        .type_text("CET");
    settle(&mut harness);
    harness.get_by_label_contains("Times without an offset: 'CET' is not a UTC offset");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.run_steps(1);
    harness
        .get_by_label("Offset of times without one")
        .type_text("+01:00");
    settle(&mut harness);
    harness.get_by_label("Import").click();
    settle(&mut harness);

    harness.get_by_label_contains("Imported 1 events in 1 streams");
    let open = harness.state().store().expect("the imported store is open");
    assert_eq!(open.file, target);
    let reader = open.store.read().expect("read");
    let events = reader.log(1, 10).expect("log");
    assert_eq!(
        events[0].occurred_at,
        time::macros::datetime!(2024-01-01 09:00 UTC)
    );
}

#[test]
fn a_csv_log_shows_its_first_rows_and_imports_with_the_columns_picked() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let sample = dir.path().join("orders.redb");
    sample_store(&sample);
    // Column names the dialog cannot guess: the user picks them.
    let log = write_log(
        dir.path(),
        "tickets.csv",
        "ticket;step;at;agent\nT-1;open;2026-03-02 09:00:00;ann\nT-1;close;2026-03-02 11:30:00;bob\nT-2;open;2026-03-03 08:00:00;ann\n",
    );
    let target = dir.path().join("tickets.redb");
    let mut harness = harness(app(Some(sample), dir.path()));
    settle(&mut harness);

    open_import_dialog(&mut harness);
    type_into(&mut harness, "Input file", &log.display().to_string());
    type_into(&mut harness, "Store file", &target.display().to_string());
    harness.get_by_label("First rows");
    harness.get_by_label("2026-03-02 11:30:00");
    assert!(
        harness.query_by_label("Import").is_some(),
        "the Import button shows"
    );
    for (shown, column) in [
        ("case:concept:name", "ticket"),
        ("concept:name", "step"),
        ("time:timestamp", "at"),
    ] {
        harness.get_by_value(shown).click();
        settle(&mut harness);
        // The column's name is both a header of the first rows and an option of the list.
        harness
            .get_all_by_label(column)
            .find(|node| node.accesskit_node().role() != egui::accesskit::Role::Label)
            .unwrap_or_else(|| panic!("{column} is offered for {shown}"))
            .click();
        settle(&mut harness);
    }
    harness.get_by_label("Import").click();
    settle(&mut harness);

    harness.get_by_label_contains("Imported 3 events in 2 streams from");
    let store = harness.state().store().expect("the imported store is open");
    assert_eq!(store.file, target);
    let reader = store.store.read().expect("read");
    let events = reader.stream_events("T-1", 1, 10).expect("events");
    let types: Vec<&str> = events
        .iter()
        .map(|event| event.event_type.as_str())
        .collect();
    assert_eq!(types, ["open", "close"]);
    assert_eq!(events[1].payload["agent"], "bob");
}
