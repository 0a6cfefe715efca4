//! Large payloads and bad data are shown, never a crash or a frozen frame: a
//! 5 MB payload, a payload nested 100 levels, an array of 100,000 items, and
//! a record whose bytes are not JSON.

use std::time::{Duration, Instant};

use crate::gui_support::*;
use egui_kittest::kittest::Queryable;
use process_workbench::state::command::Command;
use process_workbench::state::{EventRef, View};

fn select(
    harness: &mut egui_kittest::Harness<'_, process_workbench::app::WorkbenchApp>,
    position: u64,
) {
    harness.state_mut().send(Command::SelectEvent(EventRef {
        position,
        stream_id: Some("odd-0001".to_string()),
        version: Some(position),
    }));
    settle(harness);
}

/// The slowest of a few frames, as a guard against layout of whole megabytes.
fn slowest_frame(
    harness: &mut egui_kittest::Harness<'_, process_workbench::app::WorkbenchApp>,
) -> Duration {
    (0..5)
        .map(|_| {
            let started = Instant::now();
            harness.step();
            started.elapsed()
        })
        .max()
        .unwrap_or_default()
}

/// Scrolls the scroll area under `at` to its end with the mouse wheel.
fn scroll_down_at(
    harness: &mut egui_kittest::Harness<'_, process_workbench::app::WorkbenchApp>,
    at: egui::Pos2,
) {
    harness.hover_at(at);
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, -100_000.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: egui::Modifiers::NONE,
    });
    settle(harness);
}

#[test]
fn odd_events_are_shown() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("odd.redb");
    let odd = odd_store(&path);
    let mut harness = harness(app(Some(path), dir.path()));
    settle(&mut harness);

    // The stream's table lists the damaged record among the others.
    harness.get_by_label("odd-0001").click();
    settle(&mut harness);
    harness.get_by_label("BigPayload");
    harness.get_by_label("damaged record");

    // Five megabytes: a cut preview in the tree, the first part in the raw view.
    select(&mut harness, odd.big);
    assert_shows(&harness, "BigPayload");
    harness.get_by_label_contains("blob: \"0123456789abcdef");
    harness.get_by_label_contains("characters)");
    harness.get_by_label("Raw").click();
    settle(&mut harness);
    harness.get_by_label_contains("Showing the first 64 KB of 5.0 MB");
    harness.get_by_label("Show all").click();
    settle(&mut harness);
    assert!(harness.query_by_label("Show all").is_none());
    let slowest = slowest_frame(&mut harness);
    println!("slowest frame with 5 MB shown raw: {slowest:?}");
    harness.get_by_label("Tree").click();
    settle(&mut harness);

    // A hundred levels: expandable one by one.
    select(&mut harness, odd.deep);
    assert_shows(&harness, "DeepPayload");
    harness.get_by_label_contains("level99: {1 keys}");
    harness.get_by_label_contains("level98: {1 keys}").click();
    settle(&mut harness);
    harness.get_by_label_contains("level97: {1 keys}");

    // 100,000 items: a page at a time.
    select(&mut harness, odd.wide);
    harness.get_by_label_contains("items: [100000 items]");
    let first_item = harness.get_by_label("0: 0").rect().center();
    scroll_down_at(&mut harness, first_item);
    harness.get_by_label_contains("99: 99");
    harness.get_by_label("show 100 more (of 100000)").click();
    settle(&mut harness);
    scroll_down_at(&mut harness, first_item);
    harness.get_by_label_contains("199: 199");
    harness.get_by_label("show 100 more (of 100000)");

    // Not JSON: the error and the raw bytes.
    select(&mut harness, odd.damaged);
    harness.get_by_label_contains("This record is not valid JSON");
    harness.get_by_label_contains("not json");

    // The event log lists every record, the damaged one too.
    harness.state_mut().send(Command::ShowView(View::EventLog));
    settle(&mut harness);
    harness.get_by_label("4 events");
    harness.get_by_label("damaged record");
}
