//! The replay view, driven as a user would: scrub a demo process and see its
//! state change, open a failed process at its failure point, retry its failed
//! step (disabled while read-only), build missing checkpoints. Also writes the
//! README screenshot `screenshots/replay.png`.

use std::path::Path;

use crate::gui_support::*;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use process_workbench::app::WorkbenchApp;
use process_workbench::state::View;
use process_workbench::state::command::Command;
use process_workbench_core::replay;
use process_workbench_core::store::{NewEvent, Store, StreamInfo, StreamStatus};
use serde_json::json;

fn open_store(harness: &Harness<'_, WorkbenchApp>) -> std::sync::Arc<Store> {
    std::sync::Arc::clone(&harness.state().store().expect("a store is open").store)
}

/// The failed billing process with the longest history (as the README screenshots pick it).
fn failed_billing(store: &Store) -> StreamInfo {
    let reader = store.read().expect("read");
    reader
        .all_stream_ids()
        .expect("list the streams")
        .into_iter()
        .filter_map(|id| reader.stream(&id).ok().flatten())
        .filter(|info| {
            info.process_type == "grid_usage_billing" && info.status == StreamStatus::Failed
        })
        .max_by_key(|info| (info.version, std::cmp::Reverse(info.stream_id.clone())))
        .expect("the demo has a failed billing process")
}

fn show_in_replay(harness: &mut Harness<'_, WorkbenchApp>, stream_id: &str) {
    harness
        .state_mut()
        .send(Command::SelectStream(stream_id.to_string()));
    harness.state_mut().send(Command::ShowView(View::Replay));
    settle(harness);
}

#[test]
fn scrubbing_a_demo_process_changes_the_state_shown() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path());
    let store = open_store(&harness);
    let (stream_id, last) = {
        let reader = store.read().unwrap();
        let info = reader
            .all_stream_ids()
            .unwrap()
            .into_iter()
            .filter_map(|id| reader.stream(&id).ok().flatten())
            .find(|info| info.status == StreamStatus::Completed && info.version >= 4)
            .expect("a completed demo process with four events");
        (info.stream_id, info.version)
    };
    show_in_replay(&mut harness, &stream_id);
    assert_eq!(harness.state().view(), View::Replay);
    assert_shows(&harness, &format!("Version {last} of {last}"));

    let reader = store.read().unwrap();
    let at = |version: u64| replay::state_at(&reader, &stream_id, version).unwrap();
    let event_label = |version: u64| {
        format!(
            "Event {version}: {}",
            at(version).event.expect("an event").event_type
        )
    };
    assert_shows(&harness, &event_label(last));
    assert_shows(&harness, &format!("State at version {last}"));

    // Step back with the button: the state, the event and the diff follow.
    harness.get_by_label("< Back").click();
    settle(&mut harness);
    assert_eq!(
        harness.state_mut().replay_mut().shown_version(),
        Some(last - 1)
    );
    assert_shows(&harness, &format!("Version {} of {last}", last - 1));
    assert_shows(&harness, &event_label(last - 1));
    assert_shows(
        &harness,
        &format!("Diff from version {} to {} (RFC 6902)", last - 2, last - 1),
    );
    let before = at(last - 1);
    for op in &before.diff {
        assert_shows(&harness, &process_workbench::views::replay::op_line(op));
    }
    if let Some(state) = &before.state.process_state {
        assert_shows(&harness, &format!("Process state: {state}"));
    }

    // The left arrow steps too (nothing has the keyboard).
    harness.key_press(egui::Key::ArrowLeft);
    settle(&mut harness);
    assert_eq!(harness.state_mut().replay_mut().version(), last - 2);
    assert_shows(&harness, &event_label(last - 2));

    // Jump to version 1, then compare 0 and the last version.
    harness.get_by_label("Jump to version").click();
    harness.get_by_label("Jump to version").type_text("1");
    harness.key_press(egui::Key::Enter);
    settle(&mut harness);
    assert_shows(&harness, &format!("Version 1 of {last}"));
    assert_shows(&harness, &event_label(1));
    harness.state_mut().replay_mut().scrub_to(last);
    settle(&mut harness);
    assert_shows(&harness, &event_label(last));

    // Play from version 0 at 2 versions a second (egui's clock moves a step each frame).
    harness.state_mut().replay_mut().scrub_to(0);
    settle(&mut harness);
    harness.get_by_label("Play").click();
    for _ in 0..70 {
        harness.step();
    }
    let played = harness.state_mut().replay_mut().version();
    assert!(played >= 1, "playing moved the scrubber");
    if played < last {
        harness.get_by_label("Pause").click();
        harness.run_steps(60);
        assert_eq!(harness.state_mut().replay_mut().version(), played);
    }
    settle(&mut harness);
    harness.state_mut().replay_mut().scrub_to(last);
    settle(&mut harness);

    // "Show in replay" from the event detail opens the replay at that version.
    let second = reader.stream_events(&stream_id, 2, 1).unwrap().remove(0);
    harness.state_mut().send(Command::ShowView(View::Streams));
    harness
        .state_mut()
        .send(Command::SelectEvent(process_workbench::state::EventRef {
            position: second.position,
            stream_id: Some(stream_id.clone()),
            version: Some(2),
        }));
    settle(&mut harness);
    harness.get_by_label("Show in replay").click();
    settle(&mut harness);
    assert_eq!(harness.state().view(), View::Replay);
    assert_shows(&harness, &format!("Version 2 of {last}"));
    assert_shows(&harness, &event_label(2));
}

/// The fixed folder of the README screenshot (the status bar shows the path).
#[test]
fn a_failed_process_opens_at_its_failure_point_and_retry_needs_writing() {
    let folder = fixed_folder("replay");
    let mut harness = demo_harness(&folder);
    let store = open_store(&harness);
    let failed = failed_billing(&store);
    let failure = replay::failure_point(&store.read().unwrap(), &failed.stream_id)
        .unwrap()
        .expect("a failure point");
    show_in_replay(&mut harness, &failed.stream_id);

    assert_eq!(harness.state_mut().replay_mut().version(), failure.version);
    assert_shows(
        &harness,
        &format!("Version {} of {}", failure.version, failed.version),
    );
    let event_type = failure.event_type.clone().expect("the failing event");
    assert_shows(
        &harness,
        &format!("Failed at version {} ({event_type})", failure.version),
    );
    assert_shows(
        &harness,
        failed.last_error.as_deref().expect("a last error"),
    );
    harness.get_by_label_contains("Validation replay:");

    // Read-only: the retry is offered but disabled, and says why.
    let retry = harness.get_by_label("Retry failed step");
    assert!(
        retry.accesskit_node().is_disabled(),
        "retry must be disabled"
    );
    assert_shows(
        &harness,
        "The store is open read-only: enable writing (top right) to retry this step.",
    );
    check_screenshot(&mut harness, "replay");
}

#[test]
fn retrying_on_a_writable_store_appends_an_event_and_refreshes() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path());
    harness.state_mut().send(Command::EnableWriting);
    settle(&mut harness);
    assert!(harness.state().store().expect("reopened").is_writable());
    let store = open_store(&harness);
    let failed = failed_billing(&store);
    show_in_replay(&mut harness, &failed.stream_id);

    harness.get_by_label("Retry failed step").click();
    settle(&mut harness);
    harness.get_by_label("Retry the failed step?");
    // No reason, no retry.
    assert!(
        harness
            .get_by_label("Retry now")
            .accesskit_node()
            .is_disabled()
    );
    harness.get_by_label("Reason for the retry").click();
    harness
        .get_by_label("Reason for the retry")
        .type_text("partner resent the invoice");
    settle(&mut harness);
    harness.get_by_label("Retry now").click();
    settle(&mut harness);

    let reader = store.read().unwrap();
    let info = reader.stream(&failed.stream_id).unwrap().unwrap();
    assert_eq!(info.version, failed.version + 1);
    assert_ne!(info.status, StreamStatus::Failed);
    let last = reader
        .stream_events(&failed.stream_id, info.version, 1)
        .unwrap()
        .remove(0);
    assert_eq!(last.event_type, "FailedStepRetried");
    let audit = reader.audit(0, 1000).unwrap();
    let entry = audit.last().expect("an audit entry");
    assert_eq!(entry.action, "stream.retry_failed_step");
    assert_eq!(entry.reason, "partner resent the invoice");
    drop(reader);

    // The view follows: the new event, the process no longer failed.
    assert_shows(
        &harness,
        &format!("Version {} of {}", info.version, info.version),
    );
    assert_shows(
        &harness,
        &format!("Event {}: FailedStepRetried", info.version),
    );
    assert!(
        harness
            .query_by_label_contains("Failed at version")
            .is_none(),
        "the failure banner is gone"
    );
}

/// A store written without the engine: one stream long enough for
/// checkpoints and none written, as an imported store.
fn store_without_checkpoints(path: &Path, events: u64) {
    let store = Store::create(path).unwrap();
    let mut info = StreamInfo {
        stream_id: "long-0001".to_string(),
        process_type: "imported".to_string(),
        status: StreamStatus::Running,
        process_state: None,
        version: 0,
        created_at: NOW,
        updated_at: NOW,
        last_error: None,
        correlation_id: None,
        variant: 0,
        metadata: json!({}),
    };
    let batch: Vec<NewEvent> = (1..=events)
        .map(|n| NewEvent::new("Measured", NOW, json!({"n": n, format!("k{}", n % 5): n})))
        .collect();
    store
        .write(|writer| writer.append(&mut info, 0, batch, NOW))
        .unwrap();
}

#[test]
fn a_stream_without_checkpoints_gets_them_built_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("imported.redb");
    store_without_checkpoints(&path, 600);
    let mut harness = harness(app(Some(path), dir.path()));
    settle(&mut harness);

    // No stream selected: the view asks for one.
    harness.get_by_label("Replay").click();
    settle(&mut harness);
    harness.get_by_label("Replay stream id").click();
    harness
        .get_by_label("Replay stream id")
        .type_text("long-0001");
    harness.key_press(egui::Key::Enter);
    settle(&mut harness);
    assert_shows(&harness, "Version 600 of 600");
    harness.get_by_label("Replay stream id").click();
    harness.get_by_label("Replay stream id").type_text("nope");
    harness.key_press(egui::Key::Enter);
    settle(&mut harness);
    assert_shows(&harness, "There is no stream \"nope\" in this store.");
    assert_shows(&harness, "Process state: — (no definition)");
    harness.get_by_label_contains("This stream has no checkpoints");

    // Read-only: building is offered but needs writing.
    assert!(
        harness
            .get_by_label("Build checkpoints")
            .accesskit_node()
            .is_disabled()
    );
    harness.state_mut().send(Command::EnableWriting);
    settle(&mut harness);
    harness
        .state_mut()
        .send(Command::SelectStream("long-0001".to_string()));
    settle(&mut harness);
    harness.get_by_label("Build checkpoints").click();
    settle(&mut harness);
    harness.get_by_label("Yes, build them").click();
    settle(&mut harness);
    assert_shows(&harness, "Checkpoints built: 2 written for 1 streams.");
    assert!(
        harness
            .query_by_label_contains("This stream has no checkpoints")
            .is_none()
    );
    let store = open_store(&harness);
    assert!(!replay::stream_needs_checkpoints(&store.read().unwrap(), "long-0001").unwrap());
}
