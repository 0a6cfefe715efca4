//! The window on what the engines wrote: a mako-engine store and a batpak data
//! directory imported into one store (the second into the existing store), then
//! browsed as a user would: the batpak entity's stream is clicked, the
//! reaction's causes are shown. Writes `screenshots/engines.png` (a mako-engine
//! process and its event) and `screenshots/engines-batpak.png` for the README
//! (only when missing or `PW_UPDATE_SCREENSHOTS` is set: the engines stamp
//! their own times and random ids, so every run draws a slightly different window).
#![cfg(all(feature = "mako", feature = "batpak"))]

use std::path::Path;

use crate::engines_common::{batpak_writer, mako_writer};
use crate::gui_support::*;
use egui_kittest::kittest::Queryable;
use process_workbench::app::command::Command;
use process_workbench::views::EventRef;
use process_workbench_core::import::{Format, import_file};
use process_workbench_core::store::Store;

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
    save_varying_screenshot(&mut harness, "engines-batpak");

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
    save_varying_screenshot(&mut harness, "engines");
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
