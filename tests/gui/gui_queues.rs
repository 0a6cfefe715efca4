//! The queue views driven as a user would (egui_kittest, real redb files):
//! edit a dead letter into invalid JSON and see the refusal, fix it, preview,
//! resubmit and find the audit entry; bulk-discard a group; reschedule an
//! outbox message; fire a deadline; a read-only store with disabled actions.
//! Also writes `screenshots/dead-letters.png` from the demo store.

use crate::common;
use std::path::{Path, PathBuf};

use crate::gui_support::*;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use process_workbench::app::WorkbenchApp;
use process_workbench::state::View;
use process_workbench::state::command::Command;
use process_workbench::views::queues::READ_ONLY_EXPLANATION;
use process_workbench_core::engine::{DispatchOutcome, Engine};
use process_workbench_core::queues::{DeadLetterFilter, triage};
use process_workbench_core::store::{DeadLetterStatus, Store};
use serde_json::{Value, json};
use uuid::Uuid;

/// A store with one placed order (an outbox message and a deadline), `missing`
/// OrderPlaced without a partner and `confirmed` OrderConfirmed to new streams.
fn queue_store(dir: &Path, missing: usize, confirmed: usize) -> (PathBuf, Vec<Uuid>) {
    let (store, mut engine) = common::order_store(dir);
    let dispatch =
        |engine: &mut Engine, store: &Store, kind: &str, stream: &str, payload: Value| {
            engine
                .dispatch(store, common::message(kind, stream, payload), common::T0)
                .unwrap()
        };
    dispatch(
        &mut engine,
        &store,
        "OrderPlaced",
        "order-1",
        json!({"customer": "C-1", "partner": "P-7"}),
    );
    let mut ids = Vec::new();
    for n in 0..missing {
        let outcome = dispatch(
            &mut engine,
            &store,
            "OrderPlaced",
            &format!("order-m{n}"),
            json!({"customer": format!("C-{n}")}),
        );
        let DispatchOutcome::DeadLettered { dead_letter_id, .. } = outcome else {
            panic!("not dead-lettered")
        };
        ids.push(dead_letter_id);
    }
    for n in 0..confirmed {
        dispatch(
            &mut engine,
            &store,
            "OrderConfirmed",
            &format!("order-c{n}"),
            json!({"confirmation": "K"}),
        );
    }
    (dir.join("orders.redb"), ids)
}

/// The app on `path`, opened, with writing enabled when asked, showing `view`.
fn open(path: PathBuf, dir: &Path, writable: bool, view: View) -> Harness<'static, WorkbenchApp> {
    let mut harness = harness(app(Some(path), dir));
    settle(&mut harness);
    if writable {
        harness.state_mut().send(Command::EnableWriting);
        settle(&mut harness);
        assert!(harness.state().store().expect("open").is_writable());
    }
    harness.state_mut().send(Command::ShowView(view));
    settle(&mut harness);
    harness
}

/// Types a reason into the open confirmation and confirms with `button`.
fn confirm(harness: &mut Harness<'_, WorkbenchApp>, reason: &str, button: &str) {
    harness.get_by_label("Reason for the audit trail").click();
    harness.run_steps(2);
    harness
        .get_by_label("Reason for the audit trail")
        .type_text(reason);
    harness.run_steps(2);
    harness.get_by_label(button).click();
    settle(harness);
}

fn replace_editor_text(harness: &mut Harness<'_, WorkbenchApp>, text: &str) {
    let editor = harness.get_by_label("Edited payload");
    editor.click();
    harness.run_steps(2);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.run_steps(1);
    harness.get_by_label("Edited payload").type_text(text);
    harness.run_steps(3);
}

#[test]
fn edit_a_dead_letter_preview_and_resubmit_it() {
    let dir = tempfile::tempdir().unwrap();
    let (path, ids) = queue_store(dir.path(), 1, 0);
    let mut harness = open(path, dir.path(), true, View::DeadLetters);
    harness.get_by_label("order-m0").click();
    settle(&mut harness);
    harness.get_by_label("Edit & resubmit…").click();
    settle(&mut harness);

    // Invalid JSON is refused with the parser's message and position.
    replace_editor_text(&mut harness, "{\"customer\": \"C-0\",}");
    wait_for_label_containing(&mut harness, "Invalid JSON at line 1, column 20");
    assert!(
        harness
            .get_by_label("Preview")
            .accesskit_node()
            .is_disabled()
    );

    // Fixed: the diff names the change, the preview shows what would happen.
    replace_editor_text(
        &mut harness,
        "{\"customer\": \"C-0\", \"partner\": \"P-7\"}",
    );
    wait_for_label_containing(&mut harness, "Valid JSON, 1 changes");
    assert!(
        harness
            .get_by_label("Resubmit edited…")
            .accesskit_node()
            .is_disabled()
    );
    harness.get_by_label("Preview").click();
    settle(&mut harness);
    assert_shows(&harness, "Accepted: the definition takes this message.");
    assert_shows(&harness, "Event: OrderPlaced in order-m0 at version 1");
    assert_shows(&harness, "Outbox: OrderRequest to P-7");
    {
        let reader = harness.state().store().unwrap().store.read().unwrap();
        assert!(
            reader.stream("order-m0").unwrap().is_none(),
            "the preview wrote nothing"
        );
    }

    harness.get_by_label("Resubmit edited…").click();
    harness.run_steps(2);
    confirm(&mut harness, "partner was missing", "Yes, resubmit edited");
    wait_for_label_containing(
        &mut harness,
        "Dead letter resubmitted: OrderPlaced appended to order-m0 at version 1",
    );
    {
        let reader = harness.state().store().unwrap().store.read().unwrap();
        let letter = reader.dead_letter(ids[0]).unwrap().unwrap();
        assert_eq!(letter.status, DeadLetterStatus::Resubmitted);
        // The original is never changed; the edited message is a new one linked to it.
        assert!(letter.original["payload"].get("partner").is_none());
        let resolution = letter.resolution.unwrap();
        assert!(resolution.new_message_id.is_some());
        let events = reader.stream_events("order-m0", 1, 10).unwrap();
        let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(types, ["OrderPlaced", "DeadLetterResubmitted"]);
        assert_eq!(events[0].metadata["resubmitted_from"], json!(ids[0]));
    }
    assert_shows(&harness, "resubmitted");

    harness.state_mut().send(Command::ShowView(View::Audit));
    settle(&mut harness);
    assert_shows(&harness, "dead_letter.resubmit");
    assert_shows(&harness, "partner was missing");
}

#[test]
fn bulk_discard_a_failure_group() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = queue_store(dir.path(), 3, 2);
    let mut harness = open(path, dir.path(), true, View::DeadLetters);
    assert_shows(&harness, "5 dead letters in 2 failure groups");
    let group = harness
        .get_all_by_label("transition_not_allowed")
        .next()
        .unwrap();
    group.click();
    settle(&mut harness);
    harness.get_by_label("Discard group…").click();
    harness.run_steps(2);
    assert_shows(
        &harness,
        "Discard 2 dead letters of group transition_not_allowed × OrderConfirmed?",
    );
    wait_for_label_containing(
        &mut harness,
        "Dry run: 2 open dead letters will be discarded; 0 already closed will be skipped.",
    );
    confirm(&mut harness, "partner sent them twice", "Yes, discard 2");
    wait_for_label_containing(
        &mut harness,
        "Bulk discard: 2 discarded, 0 failed again, 0 skipped",
    );
    let reader = harness.state().store().unwrap().store.read().unwrap();
    let discarded = reader
        .dead_letters(None, 100)
        .unwrap()
        .items
        .iter()
        .filter(|l| l.status == DeadLetterStatus::Discarded)
        .count();
    assert_eq!(discarded, 2);
    assert_eq!(reader.audit(1, 100).unwrap().len(), 2);
}

#[test]
fn reschedule_an_outbox_message() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = queue_store(dir.path(), 0, 0);
    let mut harness = open(path, dir.path(), true, View::Outbox);
    harness.get_by_label("P-7").click();
    settle(&mut harness);
    harness.get_by_label("New due time").click();
    harness
        .get_by_label("New due time")
        .type_text("2026-03-05 08:00");
    harness.run_steps(2);
    harness.get_by_label("Reschedule…").click();
    harness.run_steps(2);
    confirm(
        &mut harness,
        "partner asked for Thursday",
        "Yes, reschedule",
    );
    wait_for_label(&mut harness, "The message was rescheduled.");
    assert_shows(&harness, "2026-03-05 08:00:00");
    let reader = harness.state().store().unwrap().store.read().unwrap();
    let message = &reader.outbox(None, 10).unwrap().items[0];
    assert_eq!(
        message.due_at,
        time::macros::datetime!(2026-03-05 08:00 UTC)
    );
    let entry = &reader.audit(1, 10).unwrap()[0];
    assert_eq!(entry.action, "outbox.reschedule");
}

#[test]
fn fire_a_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = queue_store(dir.path(), 0, 0);
    let mut harness = open(path, dir.path(), true, View::Deadlines);
    harness.get_by_label("appends ConfirmationOverdue").click();
    settle(&mut harness);
    harness.get_by_label("Fire now…").click();
    harness.run_steps(2);
    confirm(
        &mut harness,
        "partner confirmed by phone: no",
        "Yes, fire now",
    );
    wait_for_label(
        &mut harness,
        "Deadline fired: ConfirmationOverdue appended to order-1.",
    );
    assert_shows(&harness, "0 pending deadlines shown, 0 overdue");
    let reader = harness.state().store().unwrap().store.read().unwrap();
    let info = reader.stream("order-1").unwrap().unwrap();
    assert_eq!(info.process_state.as_deref(), Some("failed"));
}

#[test]
fn a_read_only_store_shows_disabled_actions_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = queue_store(dir.path(), 1, 0);
    let before = file_bytes(&path);
    let mut harness = open(path.clone(), dir.path(), false, View::DeadLetters);
    assert_shows(&harness, READ_ONLY_EXPLANATION);
    harness.get_by_label("order-m0").click();
    settle(&mut harness);
    for button in ["Resubmit as is…", "Edit & resubmit…", "Discard…"] {
        assert!(
            harness.get_by_label(button).accesskit_node().is_disabled(),
            "{button}"
        );
    }
    harness.state_mut().send(Command::ShowView(View::Outbox));
    settle(&mut harness);
    assert_shows(&harness, READ_ONLY_EXPLANATION);
    harness.get_by_label("P-7").click();
    settle(&mut harness);
    for button in [
        "Deliver now…",
        "Reschedule…",
        "Cancel message…",
        "Move to dead letters…",
    ] {
        assert!(
            harness.get_by_label(button).accesskit_node().is_disabled(),
            "{button}"
        );
    }
    drop(harness);
    assert_eq!(
        file_bytes(&path),
        before,
        "a read-only store is never modified"
    );
}

/// The README screenshot: the dead letters of the demo store, first group and
/// item open; checked by its labels, then compared with the committed image.
#[test]
fn readme_screenshot_of_the_dead_letters() {
    let mut harness = demo_harness(&fixed_folder("dead-letters"));
    harness
        .state_mut()
        .send(Command::ShowView(View::DeadLetters));
    settle(&mut harness);
    let first_row = harness
        .query_all_by_label_contains("dead letters in")
        .next()
        .is_some();
    assert!(first_row, "the demo store has dead letters");
    harness.state_mut().send(Command::TogglePanel(
        process_workbench::state::command::SidePanel::Detail,
    ));
    settle(&mut harness);
    // The largest failure group, and the stream of its oldest dead letter.
    let (reason, stream) = {
        let store = &harness
            .state()
            .store()
            .expect("the demo store is open")
            .store;
        let reader = store.read().unwrap();
        let result = triage(&reader, &DeadLetterFilter::default(), &|| false).unwrap();
        let group = result.groups[0].clone();
        let row = result
            .rows
            .iter()
            .find(|row| group.contains(row))
            .unwrap()
            .clone();
        (group.reason, row.stream_id.expect("routed to a stream"))
    };
    harness.get_all_by_label(&reason).next().unwrap().click();
    settle(&mut harness);
    harness.get_all_by_label(&stream).next().unwrap().click();
    settle(&mut harness);
    // The failure groups, the group's dead letters, the detail of the one selected.
    assert_shows_containing(&harness, "failure groups");
    assert_shows(&harness, &reason);
    assert_shows(&harness, &stream);
    for label in [
        "Failure groups",
        "Original message",
        "Resubmit as is…",
        "Discard…",
    ] {
        assert_shows(&harness, label);
    }
    check_screenshot(&mut harness, "dead-letters");
}

#[test]
fn the_outbox_filters_by_due_time_and_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = queue_store(dir.path(), 0, 0);
    let mut harness = open(path, dir.path(), false, View::Outbox);
    harness.get_by_label_contains("1 of 1 pending messages shown");

    harness.get_by_label("Due from").click();
    harness.run_steps(2);
    harness.get_by_label("Due from").type_text("2099-01-01");
    settle(&mut harness);
    harness.get_by_label_contains("0 of 1 pending messages shown");

    harness.get_by_label("At least attempts").click();
    harness.run_steps(2);
    harness.get_by_label("At least attempts").type_text("x");
    settle(&mut harness);
    harness.get_by_label("Attempts: \"x\" is not a whole number");
}
