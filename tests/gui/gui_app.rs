//! The real app driven by labels: open a store, browse, filter, search, sort,
//! select, follow links, the event log, export, the writing switch, recent
//! files, drag and drop.

use crate::gui_support;
use std::sync::Arc;

use crate::gui_support::*;
use egui_kittest::kittest::{NodeT, Queryable};
use process_workbench::state::View;
use process_workbench::state::command::Command;
use process_workbench::widgets::time::short_id;

fn opened(sample_name: &str) -> (tempfile::TempDir, std::path::PathBuf, Sample) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join(sample_name);
    let sample = sample_store(&path);
    (dir, path, sample)
}

#[test]
fn a_store_opens_with_its_summary_streams_and_status_bar() {
    let (dir, path, sample) = opened("orders.redb");
    let mut harness = harness(app(Some(path.clone()), dir.path()));
    settle(&mut harness);

    let store = harness.state().store().expect("the store is open");
    assert!(!store.is_writable(), "files open read-only");
    assert_eq!(store.summary.streams.total, sample.streams);

    // Navigation, summary, table, status bar.
    for label in [
        "Streams",
        "Event log",
        "Graph",
        "Replay",
        "Outbox",
        "Deadlines",
        "Dead letters",
        "Audit",
    ] {
        harness.get_by_label(label);
    }
    harness.get_by_label("switch-0001");
    harness.get_by_label(&sample.failed_stream);
    harness.get_by_label(&sample.failed_error);
    harness.get_by_label("read-only");
    harness.get_by_label(&path.display().to_string());
    harness.get_by_label_contains(&format!("{} streams ·", sample.streams));
    harness.get_by_label(&format!("{} streams", sample.streams));
    assert_eq!(harness.state().settings().recent_files, vec![path]);
    harness.run();
}

#[test]
fn filters_search_and_sort_change_the_rows() {
    let (dir, path, sample) = opened("orders.redb");
    let mut harness = harness(app(Some(path), dir.path()));
    settle(&mut harness);

    // Status filter: only failed streams.
    harness.get_by_label("Status filter").click();
    harness.run_steps(2);
    harness.get_by_label("failed (3)").click();
    settle(&mut harness);
    harness.get_by_label("3 streams");
    harness.get_by_label(&sample.failed_stream);
    assert!(harness.query_by_label("switch-0001").is_none());

    // Process type filter on top: failed meter readings do not exist.
    harness.get_by_label("Process type filter").click();
    harness.run_steps(2);
    harness.get_by_label_contains("meter_reading (").click();
    settle(&mut harness);
    harness.get_by_label("0 streams");

    harness.get_by_label("Clear filters").click();
    settle(&mut harness);
    harness.get_by_label(&format!("{} streams", sample.streams));

    // Prefix search uses the index.
    harness.get_by_label("Search stream id").click();
    harness
        .get_by_label("Search stream id")
        .type_text("meter-000");
    settle(&mut harness);
    harness.get_by_label("meter-0002");
    assert!(harness.query_by_label("switch-0002").is_none());

    // Substring search scans, ignoring case.
    harness.state_mut().streams_mut().set_filter(
        None,
        None,
        "ITCH-001",
        process_workbench::views::streams::SearchMode::Contains,
    );
    settle(&mut harness);
    harness.get_by_label("3 streams");
    harness.get_by_label("switch-0010");

    // Sort by version, largest first: completed switches (3 events) lead.
    harness.get_by_label("Clear filters").click();
    settle(&mut harness);
    harness.get_by_label("Version").click();
    settle(&mut harness);
    assert_eq!(
        harness.state_mut().streams_mut().sort(),
        process_workbench_core::search::StreamSort {
            column: process_workbench_core::search::StreamSortColumn::Version,
            descending: true
        }
    );
    let first_row = harness
        .query_all_by_role(egui::accesskit::Role::Button)
        .find(|node| {
            node.accesskit_node()
                .label()
                .is_some_and(|label| label.starts_with("switch-") || label.starts_with("meter-"))
        })
        .and_then(|node| node.accesskit_node().label())
        .expect("a stream row");
    assert_eq!(first_row, "switch-0002", "3-event switches first, by id");
}

#[test]
fn selecting_a_stream_and_an_event_shows_the_detail_and_links_lead_to_the_cause() {
    let (dir, path, sample) = opened("orders.redb");
    let mut harness = harness(app(Some(path), dir.path()));
    settle(&mut harness);

    harness.get_by_label(&sample.effect_stream).click();
    settle(&mut harness);
    assert_eq!(
        harness.state().selection().stream.as_deref(),
        Some(sample.effect_stream.as_str())
    );
    // The events table: version, type, cause and correlation links.
    harness.get_by_label("MeterReadingReceived");
    harness.get_by_label("MeterReadingValidated");

    harness.get_by_label("MeterReadingReceived").click();
    settle(&mut harness);
    // The detail: heading, fields, JSON tree of the payload.
    harness.get_by_label_contains("readings: [1 items]");
    harness.get_by_label_contains("market_location: \"DE000145457680002\"");
    harness.get_by_label("Copy event JSON");

    // Select a node: its path and value can be copied.
    harness
        .get_by_label_contains("market_location: \"DE000145457680002\"")
        .click();
    settle(&mut harness);
    harness.get_by_label("$.market_location");
    harness.get_by_label("Copy path").click();
    harness.step();
    let copied = copied_texts(&harness);
    assert!(
        copied.contains(&"$.market_location".to_string()),
        "{copied:?}"
    );

    // Follow the causation link to the switch that caused the reading.
    let cause = short_id(sample.cause_event);
    harness
        .get_all_by_label(&cause)
        .next()
        .expect("a cause link")
        .click();
    settle(&mut harness);
    let selection = harness.state().selection().clone();
    assert_eq!(
        selection.stream.as_deref(),
        Some(sample.cause_stream.as_str())
    );
    assert_eq!(selection.event.and_then(|event| event.version), Some(2));
    assert!(
        harness.query_all_by_label("SwitchConfirmed").count() >= 2,
        "row and heading"
    );
    harness.get_by_label_contains("amount: 42.0");
}

fn copied_texts(
    harness: &egui_kittest::Harness<'_, process_workbench::app::WorkbenchApp>,
) -> Vec<String> {
    harness
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|command| match command {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_correlation_link_shows_the_conversation_in_the_event_log() {
    let (dir, path, sample) = opened("orders.redb");
    let mut harness = harness(app(Some(path), dir.path()));
    settle(&mut harness);
    harness.get_by_label(&sample.effect_stream).click();
    settle(&mut harness);
    let conversation = correlation_id(2);
    harness
        .get_all_by_label(&short_id(conversation))
        .next()
        .expect("a correlation link")
        .click();
    settle(&mut harness);
    assert_eq!(harness.state().view(), View::EventLog);
    harness.get_by_label(&format!("Conversation {conversation}"));
    // switch-0002 (3 events) and meter-0002 (2 events).
    harness.get_by_label(&format!("5 of {} events match", sample.events));
}

#[test]
fn the_event_log_filters_by_json_path_and_exports_jsonl() {
    let (dir, path, sample) = opened("orders.redb");
    let mut harness = harness(app(Some(path), dir.path()));
    settle(&mut harness);
    harness.get_by_label("Event log").click();
    settle(&mut harness);
    harness.get_by_label(&format!("{} events", sample.events));

    // A JSONPath filter over payloads (RFC 9535 filter expression).
    harness
        .get_by_label("JSONPath over payload and metadata, e.g. $.amount")
        .click();
    harness
        .get_by_label("JSONPath over payload and metadata, e.g. $.amount")
        .type_text("$.readings[?@.value > 1100]");
    harness.get_by_label("Filter").click();
    settle(&mut harness);
    // Readings are 1000 + n·17 for confirmed switches n = 2, 3, 6, 7, 10, 11: above 1100 for n ≥ 6.
    harness.get_by_label(&format!("4 of {} events match", sample.events));

    // A bad JSONPath says so and keeps the last filter.
    harness.state_mut().event_log_mut().set_json_path("$.[");
    harness.step();
    harness.get_by_label_contains("JSONPath:");

    // Export the filtered events.
    harness
        .state_mut()
        .event_log_mut()
        .set_json_path("$.readings[?@.value > 1100]");
    settle(&mut harness);
    let out = dir.path().join("readings.jsonl");
    let export = harness.state_mut().event_log_mut().export_request();
    harness.state_mut().export_to(export, out.clone());
    settle(&mut harness);
    let line = harness
        .state()
        .last_action()
        .map(|finished| finished.line());
    assert_eq!(line, Some(format!("4 events saved to {}", out.display())));
    harness.get_by_label(&format!("4 events saved to {}", out.display()));
    let text = std::fs::read_to_string(&out).expect("the export");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON event per line"))
        .collect();
    assert_eq!(lines.len(), 4);
    for line in &lines {
        assert_eq!(line["event_type"], "MeterReadingReceived");
        assert!(line["event_id"].as_str().is_some_and(|id| id.len() == 36));
    }
}

#[test]
fn the_jump_box_finds_events_and_streams() {
    let (dir, path, sample) = opened("orders.redb");
    let mut harness = harness(app(Some(path), dir.path()));
    settle(&mut harness);
    harness
        .state_mut()
        .send(Command::JumpTo(sample.cause_event.to_string()));
    settle(&mut harness);
    assert_eq!(
        harness.state().selection().stream.as_deref(),
        Some(sample.cause_stream.as_str())
    );
    assert!(
        harness.query_all_by_label("SwitchConfirmed").count() >= 2,
        "row and heading"
    );

    harness.get_by_label("Jump to event or stream id").click();
    harness
        .get_by_label("Jump to event or stream id")
        .type_text("meter-0011");
    harness.key_press(egui::Key::Enter);
    settle(&mut harness);
    assert_eq!(
        harness.state().selection().stream.as_deref(),
        Some("meter-0011")
    );

    harness
        .state_mut()
        .send(Command::JumpTo("nothing-like-it".to_string()));
    settle(&mut harness);
    harness.get_by_label("There is no event or stream with id nothing-like-it.");
}

#[test]
fn group_by_variant_lists_variants_and_filters_by_one() {
    let (dir, path, _) = opened("orders.redb");
    let mut harness = harness(app(Some(path), dir.path()));
    settle(&mut harness);
    harness.get_by_label("Group by variant").click();
    settle(&mut harness);
    // Completed switch (6), meter readings (6), failed (3), running (3).
    harness.get_by_label("4 variants over 18 streams");
    harness.get_by_label_contains("SwitchRequested \u{203A} SwitchRejected");
    harness
        .get_by_label_contains("Variant 3 · 3 streams")
        .click();
    settle(&mut harness);
    harness.get_by_label("3 streams");
}

#[test]
fn every_view_opens_from_the_navigation() {
    let (dir, path, _) = opened("orders.redb");
    let mut harness = harness(app(Some(path), dir.path()));
    settle(&mut harness);
    for view in View::ALL {
        // The navigation comes first; a view may repeat its name as a heading.
        harness
            .get_all_by_label(view.label())
            .next()
            .expect("the view is in the navigation")
            .click();
        settle(&mut harness);
        assert_eq!(harness.state().view(), view);
    }
}

#[test]
fn writing_is_enabled_only_after_confirmation() {
    let (dir, path, _) = opened("orders.redb");
    let mut harness = harness(app(Some(path), dir.path()));
    settle(&mut harness);
    harness.get_by_label("Enable writing").click();
    settle(&mut harness);
    harness.get_by_label("Enable writing?");
    harness.get_by_label("Cancel").click();
    settle(&mut harness);
    assert!(!harness.state().store().expect("open").is_writable());

    harness.get_by_label("Enable writing").click();
    settle(&mut harness);
    harness.get_by_label("Yes, enable writing").click();
    settle(&mut harness);
    assert!(harness.state().store().expect("open").is_writable());
    harness.get_by_label("writing enabled");

    harness.get_by_label("Enable writing").click();
    settle(&mut harness);
    assert!(!harness.state().store().expect("open").is_writable());
    harness.get_by_label("read-only");
}

#[test]
fn a_dropped_file_opens() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let first = dir.path().join("first.redb");
    let second = dir.path().join("second.redb");
    sample_store(&first);
    sample_store(&second);
    let mut harness = harness(app(Some(first), dir.path()));
    settle(&mut harness);

    #[derive(Debug)]
    struct Dropped(std::path::PathBuf);
    impl egui::DroppedFile for Dropped {
        fn path(&self) -> &std::path::Path {
            &self.0
        }
        fn bytes(&self) -> Result<Vec<u8>, String> {
            std::fs::read(&self.0).map_err(|error| error.to_string())
        }
    }
    harness
        .input_mut()
        .dropped_files
        .push(Arc::new(Dropped(second.clone())));
    settle(&mut harness);
    assert_eq!(harness.state().store().expect("open").file, second);
    harness.get_by_label(&second.display().to_string());
}

#[test]
fn the_panels_and_theme_are_settings() {
    let (dir, path, _) = opened("orders.redb");
    let mut harness = harness(app(Some(path), dir.path()));
    settle(&mut harness);
    harness.get_by_label("View").click();
    harness.run_steps(2);
    harness.get_by_label("Detail panel").click();
    harness.run_steps(2);
    if harness.query_by_label("Light").is_none() {
        harness.get_by_label("View").click();
        harness.run_steps(2);
    }
    harness.get_by_label("Light").click();
    settle(&mut harness);
    let settings = harness.state().settings().clone();
    assert!(!settings.show_detail);
    assert_eq!(
        settings.theme,
        process_workbench::state::command::ThemeChoice::Light
    );
}

#[test]
fn without_a_file_the_demo_store_is_made_on_first_start_and_reused() {
    let data = tempfile::tempdir().expect("temporary folder");
    let mut harness = harness(app(None, data.path()));
    settle(&mut harness);
    let store = harness.state().store().expect("the demo store is open");
    assert!(store.is_demo);
    assert_eq!(store.file, data.path().join("demo.redb"));
    assert!(store.summary.streams.total > 0);
    assert!(!store.is_writable());
    let streams = store.summary.streams.total;
    assert!(
        harness.state().settings().recent_files.is_empty(),
        "the demo store is not a recent file"
    );
    drop(harness);

    // The second start opens the same file.
    let mut again = gui_support::harness(app(None, data.path()));
    settle(&mut again);
    assert_eq!(
        again
            .state()
            .store()
            .expect("open again")
            .summary
            .streams
            .total,
        streams
    );
}

#[test]
fn the_event_log_filters_by_time_range_and_event_type() {
    let (dir, path, sample) = opened("orders.redb");
    let mut harness = harness(app(Some(path), dir.path()));
    settle(&mut harness);
    harness.get_by_label("Event log").click();
    settle(&mut harness);

    // Event p happened at 08:00 + 7p minutes: 09:00–10:00 holds positions 9 to 17.
    harness.get_by_label("From 2024-03-01").click();
    harness
        .get_by_label("From 2024-03-01")
        .type_text("2024-02-01 09:00");
    harness.get_by_label("To 2024-03-31").click();
    harness
        .get_by_label("To 2024-03-31")
        .type_text("2024-02-01 10:00");
    harness.get_by_label("Filter").click();
    settle(&mut harness);
    harness.get_by_label(&format!("9 of {} events match", sample.events));

    // And of those, the one rejection (switch-0004 at 09:31).
    harness.get_by_label("Event type filter").click();
    harness.run_steps(2);
    harness.get_by_label("SwitchRejected (3)").click();
    settle(&mut harness);
    harness.get_by_label(&format!("1 of {} events match", sample.events));
    harness.get_by_label("switch-0004");

    // A time that is not one says so.
    harness.get_by_label("To 2024-03-31").click();
    harness.get_by_label("To 2024-03-31").type_text(" tomorrow");
    harness.get_by_label("Filter").click();
    settle(&mut harness);
    harness.get_by_label_contains("is not a time");
}
