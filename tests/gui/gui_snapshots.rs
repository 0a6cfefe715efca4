//! Image snapshots of stable screens at a fixed size with a fixed clock
//! (`tests/snapshots/gui_*.png`; `UPDATE_SNAPSHOTS=1` rewrites them), and the
//! README screenshots of the demo store (`screenshots/*.png`, rewritten when
//! the screen changed).
//!
//! The stores live at fixed paths so that the status bar, which shows the
//! file's path, is the same on every run.

use std::path::{Path, PathBuf};

use crate::gui_support::*;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use process_workbench::app::WorkbenchApp;
use process_workbench::app::command::Command;
use process_workbench::views::EventRef;
use process_workbench_core::store::StreamStatus;

fn snapshot_harness(file: PathBuf, data_dir: &Path) -> Harness<'static, WorkbenchApp> {
    screenshot_harness(app(Some(file), data_dir))
}

/// The README's screenshots show what a newcomer sees first: the demo store.
/// The failed billing process with the longest history is selected, then the
/// event that failed it.
#[test]
fn readme_screenshots_of_the_demo_store() {
    let folder = fixed_folder("demo");
    let mut harness = demo_harness(&folder);

    let (stream_id, last) = {
        let store = &harness
            .state()
            .store()
            .expect("the demo store is open")
            .store;
        let reader = store.read().expect("read the demo store");
        let failed = reader
            .all_stream_ids()
            .expect("list the streams")
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
        let last = events.last().expect("the stream has events").clone();
        (failed.stream_id, last)
    };
    harness
        .state_mut()
        .send(Command::GoToStream(stream_id.clone()));
    settle(&mut harness);
    save_screenshot(&mut harness, "main-window");

    harness.state_mut().send(Command::SelectEvent(EventRef {
        position: last.position,
        stream_id: Some(stream_id),
        version: Some(last.version),
    }));
    settle(&mut harness);
    save_screenshot(&mut harness, "event-detail");
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
