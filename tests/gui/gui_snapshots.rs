//! Image snapshots of stable screens at a fixed size with a fixed clock
//! (`tests/snapshots/gui_*.png`; `UPDATE_SNAPSHOTS=1` rewrites them), and the
//! README screenshots of the demo store (`screenshots/*.png`, compared with
//! what is drawn; `PW_UPDATE_SCREENSHOTS=1` rewrites them).
//!
//! The stores live at fixed paths so that the status bar, which shows the
//! file's path, is the same on every run.

use std::path::{Path, PathBuf};

use crate::gui_support::*;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use process_workbench::app::WorkbenchApp;
use process_workbench::state::EventRef;
use process_workbench::state::command::Command;
use process_workbench_core::store::StreamStatus;

fn snapshot_harness(file: PathBuf, data_dir: &Path) -> Harness<'static, WorkbenchApp> {
    screenshot_harness(app(Some(file), data_dir))
}

/// The README's screenshots show what a newcomer sees first: the demo store.
/// The failed billing process with the longest history is selected, then the
/// event that failed it. Each screen is checked by its labels, then compared
/// with the committed image (`check_screenshot`).
#[test]
fn readme_screenshots_of_the_demo_store() {
    let folder = fixed_folder("demo");
    let mut harness = demo_harness(&folder);

    let (failed, events, streams) = {
        let store = &harness
            .state()
            .store()
            .expect("the demo store is open")
            .store;
        let reader = store.read().expect("read the demo store");
        let ids = reader.all_stream_ids().expect("list the streams");
        let streams = ids.len();
        let failed = ids
            .into_iter()
            .filter_map(|id| reader.stream(&id).ok().flatten())
            .filter(|info| {
                info.process_type == "grid_usage_billing" && info.status == StreamStatus::Failed
            })
            .max_by_key(|info| (info.version, std::cmp::Reverse(info.stream_id.clone())))
            .expect("the demo has a failed billing process");
        let events = reader
            .stream_events(&failed.stream_id, 1, 1000)
            .expect("read its events");
        (failed, events, streams)
    };
    let stream_id = failed.stream_id.clone();
    let last = events.last().expect("the stream has events").clone();
    harness
        .state_mut()
        .send(Command::GoToStream(stream_id.clone()));
    settle(&mut harness);
    // The stream list, the stream selected with its events, its failure, the status bar.
    assert_shows(&harness, &stream_id);
    assert_shows_containing(&harness, &format!("{streams} streams"));
    for event in &events {
        assert_shows(&harness, &event.event_type);
    }
    let last_error = failed
        .last_error
        .as_deref()
        .expect("a failed stream has an error");
    harness.get_by_label(&format!("Last error: {last_error}"));
    for view in [
        "Streams",
        "Event log",
        "Graph",
        "Replay",
        "Outbox",
        "Deadlines",
        "Audit",
    ] {
        assert_shows(&harness, view);
    }
    check_screenshot(&mut harness, "main-window");

    harness.state_mut().send(Command::SelectEvent(EventRef {
        position: last.position,
        stream_id: Some(stream_id),
        version: Some(last.version),
    }));
    settle(&mut harness);
    // The event's detail: its id, its buttons, its payload and metadata.
    assert_shows(&harness, &last.event_id.to_string());
    for label in [
        "Show in graph",
        "Show in replay",
        "Copy event JSON",
        "Payload",
        "Metadata",
    ] {
        assert_shows(&harness, label);
    }
    check_screenshot(&mut harness, "event-detail");
}

#[test]
fn the_stream_browser() {
    let folder = fixed_folder("streams");
    let path = folder.join("orders.redb");
    let sample = sample_store(&path);
    let mut harness = snapshot_harness(path, &folder);
    harness.get_by_label(&sample.failed_stream).click();
    settle(&mut harness);
    harness.get_by_label("SwitchRejected");
    harness.snapshot("gui_streams");
}

#[test]
fn an_event_in_detail() {
    let folder = fixed_folder("detail");
    let path = folder.join("orders.redb");
    let sample = sample_store(&path);
    let mut harness = snapshot_harness(path, &folder);
    harness.get_by_label(&sample.effect_stream).click();
    settle(&mut harness);
    harness.state_mut().send(Command::SelectEvent(EventRef {
        position: 5,
        stream_id: Some(sample.effect_stream.clone()),
        version: Some(1),
    }));
    settle(&mut harness);
    harness.get_by_label_contains("readings: [1 items]");
    harness.get_by_label_contains("0: {3 keys}").click();
    settle(&mut harness);
    harness.get_by_label_contains("value: 1034").click();
    settle(&mut harness);
    harness.get_by_label("$.readings[0].value");
    harness.snapshot("gui_event_detail");
}

#[test]
fn the_event_log() {
    let folder = fixed_folder("log");
    let path = folder.join("orders.redb");
    sample_store(&path);
    let mut harness = snapshot_harness(path, &folder);
    harness.get_by_label("Event log").click();
    settle(&mut harness);
    harness.snapshot("gui_event_log");
}

#[test]
fn a_file_that_is_not_a_store() {
    let folder = fixed_folder("not-a-store");
    let path = folder.join("inventory.redb");
    foreign_redb(&path);
    let mut harness = snapshot_harness(path, &folder);
    harness.get_by_label("Not a process store");
    harness.snapshot("gui_not_a_store");
}
