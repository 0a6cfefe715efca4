//! The shared process filter in the window: set in the filter bar, it
//! changes the stream browser and the summary counts; saved by name, it is
//! what `process-workbench FILE --filter NAME` opens with.

use egui_kittest::kittest::Queryable;
use process_workbench::app::{StartOptions, WorkbenchApp};
use process_workbench::state::Clock;
use process_workbench_core::search::{ProcessFilter, SAVED_FILTERS_FILE, SavedFilters};
use process_workbench_core::store::StreamStatus;

use crate::gui_support::*;

#[test]
fn a_filter_set_in_the_bar_narrows_the_browser_and_the_summary_and_is_saved_by_name() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("orders.redb");
    let sample = sample_store(&path);
    let mut harness = harness(app(Some(path.clone()), dir.path()));
    settle(&mut harness);
    harness.get_by_label(&format!("{} streams", sample.streams));
    harness.get_by_label(&format!("all {} processes", sample.streams));
    assert!(harness.query_by_label("Filtered processes").is_none());

    // Failed processes only, chosen in the filter editor.
    harness.get_by_label("Edit filter").click();
    harness.run_steps(2);
    harness.get_by_label("Filter status").click();
    harness.run_steps(2);
    harness.get_by_label("failed (3)").click();
    harness.run_steps(2);
    harness.get_by_label("Apply filter").click();
    settle(&mut harness);
    harness.get_by_label("3 streams");
    harness.get_by_label(&sample.failed_stream);
    assert!(harness.query_by_label("switch-0001").is_none());
    harness.get_by_label("Filtered processes");
    harness.get_by_label(&format!("3 of {}", sample.streams));
    harness.get_by_label(&format!("3 of {} processes", sample.streams));

    // The browser's own filters work inside the shared one.
    harness.state_mut().streams_mut().set_filter(
        Some("meter_reading".to_string()),
        None,
        "",
        Default::default(),
    );
    settle(&mut harness);
    harness.get_by_label("0 streams");
    harness.get_by_label("Clear filters").click();
    settle(&mut harness);
    harness.get_by_label("3 streams");

    // Saved by name, in the data folder: the store is not written.
    let before = file_bytes(&path);
    harness.get_by_label("Filter name").click();
    harness.get_by_label("Filter name").type_text("failed only");
    harness.run_steps(2);
    harness.get_by_label("Save filter").click();
    settle(&mut harness);
    let saved = SavedFilters::load(&dir.path().join(SAVED_FILTERS_FILE)).expect("saved filters");
    let failed = ProcessFilter {
        status: Some(StreamStatus::Failed),
        ..ProcessFilter::default()
    };
    assert_eq!(saved.get("failed only"), Ok(&failed));
    assert_eq!(harness.state().filter().name(), Some("failed only"));
    harness.get_by_label("\"failed only\": failed");

    // Cleared: every process again.
    harness.get_by_label("Clear filter").click();
    settle(&mut harness);
    harness.get_by_label(&format!("{} streams", sample.streams));
    assert!(harness.query_by_label("Filtered processes").is_none());
    harness.run();
    drop(harness);
    assert_eq!(
        file_bytes(&path),
        before,
        "saving a filter leaves the store alone"
    );

    // `process-workbench FILE --filter "failed only"` opens with it applied.
    let opened = WorkbenchApp::new(
        None,
        StartOptions {
            user: None,
            filter: Some("failed only".to_string()),
            file: Some(path.clone()),
            data_dir: dir.path().to_path_buf(),
            clock: Clock::Fixed(NOW),
        },
    );
    let mut harness = crate::gui_support::harness(opened);
    settle(&mut harness);
    assert_eq!(harness.state().filter().applied(), &failed);
    harness.get_by_label("3 streams");
    harness.get_by_label(&format!("3 of {}", sample.streams));
    harness.get_by_label("\"failed only\": failed");
    harness.run();
}
