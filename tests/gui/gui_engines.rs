//! The window on what the engines wrote: a mako-engine store and a batpak data
//! directory imported into one store (the second into the existing store), then
//! browsed as a user would: the batpak entity's stream is clicked, the
//! reaction's causes are shown. Compares the README's `screenshots/engines.png`
//! (a mako-engine process and its event) and `screenshots/engines-batpak.png`
//! with what it draws (`PW_UPDATE_SCREENSHOTS=1` rewrites them); the engines
//! stamp their own times and random ids, so only a part is compared closely
//! ([`ENGINE_SCREENSHOT`]).
#![cfg(all(feature = "mako", feature = "batpak"))]

use std::path::Path;

use crate::engines_common::{batpak_writer, mako_writer};
use crate::gui_support::*;
use egui_kittest::kittest::Queryable;
use process_workbench::state::EventRef;
use process_workbench::state::command::Command;
use process_workbench_core::import::{Format, import_file};
use process_workbench_core::store::Store;

/// How the engine screenshots are compared with the committed ones. The
/// engines stamp their own times and random ids into what they write, so each
/// run draws the right of the window differently: other times and ids, rows in
/// another order, a detail panel as wide as the id it shows. Compared are the
/// stable part within [`STABLE`] — the navigation and the counts on the left,
/// which follow from what the engines wrote — and the whole image loosely:
/// over five runs at most 5.6 % of its pixels differed by more than 4 in a
/// channel; another view, theme or layout differs in far more.
const ENGINE_SCREENSHOT: [(Option<Region>, Tolerance); 2] = [
    (
        Some(Region {
            x: 0,
            y: 0,
            width: 236,
            height: 760,
        }),
        STABLE,
    ),
    (
        None,
        Tolerance {
            channel: 4,
            pixels_per_million: 100_000,
        },
    ),
];

#[test]
fn imported_engine_stores_are_browsed_in_the_window() {
    // A fixed path: the status bar shows it.
    let folder = std::env::temp_dir().join("pw-gui-engines");
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).expect("folder");
    let mako = folder.join("makod-data");
    let written = mako_writer::runtime().block_on(mako_writer::write_store(&mako));
    let batpak = folder.join("batpak-data");
    let ids = batpak_writer::write_store(&batpak);
    let path = folder.join("engines.redb");
    import_file(
        &path,
        Format::Mako,
        &mako,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("import mako");
    import_file(
        &path,
        Format::Batpak,
        &batpak,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("import batpak");

    // The mako-engine event caused by an event of another process.
    let caused = {
        let store = Store::open(&path).expect("open");
        let reader = store.read().expect("read");
        reader
            .event_by_id(written.caused_event.event_id.as_uuid())
            .expect("read")
            .expect("imported")
    };

    let mut harness = screenshot_harness(app(Some(path), &folder));

    // The batpak entity, clicked by its name; its events by their kinds.
    harness.get_by_label("order:17").click();
    settle(&mut harness);
    assert_shows(&harness, "0x1003");
    assert_shows(&harness, "0x1001");
    let shipped = {
        let store = Store::open(folder.join("engines.redb")).expect("open");
        let reader = store.read().expect("read");
        reader
            .event_by_id(uuid::Uuid::from_u128(ids["shipped"]))
            .expect("read")
            .expect("shipped")
    };
    harness.state_mut().send(Command::SelectEvent(EventRef {
        position: shipped.position,
        stream_id: Some(shipped.stream_id.clone()),
        version: Some(shipped.version),
    }));
    settle(&mut harness);
    // The batpak event's detail: its kind, stream and id; the counts of what was imported.
    assert_shows(&harness, &shipped.event_type);
    assert_shows(&harness, &shipped.event_id.to_string());
    assert_shows(&harness, "order:17");
    assert_shows_containing(&harness, "7 streams");
    check_screenshot_parts(&mut harness, "engines-batpak", &ENGINE_SCREENSHOT);

    harness
        .state_mut()
        .send(Command::GoToStream(caused.stream_id.clone()));
    settle(&mut harness);
    assert_shows(&harness, "mabis.abrechnung");
    harness.state_mut().send(Command::SelectEvent(EventRef {
        position: caused.position,
        stream_id: Some(caused.stream_id.clone()),
        version: Some(caused.version),
    }));
    settle(&mut harness);
    // The mako-engine event's detail: its type, process, id and its cause in another process.
    assert_shows(&harness, &caused.event_type);
    assert_shows(&harness, &caused.stream_id);
    assert_shows(&harness, &caused.event_id.to_string());
    assert!(caused.causation_id.is_some(), "the event has a cause");
    check_screenshot_parts(&mut harness, "engines", &ENGINE_SCREENSHOT);
}

#[test]
fn a_dropped_mako_engine_folder_is_imported_through_the_dialog() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mako = dir.path().join("makod-data");
    mako_writer::runtime().block_on(mako_writer::write_store(&mako));
    let sample = dir.path().join("orders.redb");
    sample_store(&sample);
    let mut harness = harness(app(Some(sample), dir.path()));
    settle(&mut harness);

    #[derive(Debug)]
    struct Dropped(std::path::PathBuf);
    impl egui::DroppedFile for Dropped {
        fn path(&self) -> &Path {
            &self.0
        }
        fn bytes(&self) -> Result<Vec<u8>, String> {
            Err("a folder".to_string())
        }
    }
    harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(mako.clone())));
    settle(&mut harness);
    harness.get_by_label("Import a process log");
    harness.get_by_label("Import").click();
    settle(&mut harness);

    let imported = dir.path().join("makod-data.redb");
    harness.get_by_label_contains("Imported ");
    let store = harness.state().store().expect("the imported store is open");
    assert_eq!(store.file, imported);
    assert!(store.summary.events.total > 0);
}
