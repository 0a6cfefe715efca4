//! The performance view: the dotted chart, the durations histogram and the
//! activity table follow the shared filter; README screenshots of the
//! dotted chart and the histogram on a real log (the helpdesk log).

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use process_workbench::app::WorkbenchApp;
use process_workbench::state::View;
use process_workbench::state::command::Command;
use process_workbench::views::performance::PerformanceTab;
use process_workbench_core::analysis::charts::CaseOrder;
use process_workbench_core::engine::Operator;
use process_workbench_core::import::{Format, import_file};
use process_workbench_core::search::ProcessFilter;
use process_workbench_core::store::StreamStatus;

use crate::gui_support::*;
use crate::import_common::data_dir;

/// How many processes the performance view shows now.
fn cases(harness: &mut Harness<'_, WorkbenchApp>) -> Option<usize> {
    harness
        .state_mut()
        .performance_mut()
        .data()
        .map(|data| data.log.len())
}

#[test]
fn the_charts_show_the_processes_the_filter_keeps() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("orders.redb");
    let sample = sample_store(&path);
    let mut harness = harness(app(Some(path), dir.path()));
    settle(&mut harness);
    harness.get_by_label("Charts").click();
    settle(&mut harness);
    assert_eq!(harness.state().view(), View::Performance);
    assert_eq!(cases(&mut harness), Some(sample.streams as usize));
    harness.get_by_label_contains(&format!(
        "{} processes · {} events",
        sample.streams, sample.events
    ));
    harness.get_by_label("Dotted chart");
    harness.get_by_label("Rows by");

    // The filter bar is here too: failed processes only.
    harness.state_mut().send(Command::SetFilter {
        filter: ProcessFilter {
            status: Some(StreamStatus::Failed),
            ..ProcessFilter::default()
        },
        name: None,
    });
    settle(&mut harness);
    assert_eq!(cases(&mut harness), Some(3));
    harness.get_by_label_contains("3 processes ·");
    harness.get_by_label(&format!("3 of {}", sample.streams));

    harness.get_by_label("duration").click();
    settle(&mut harness);
    harness.get_by_label("Durations").click();
    settle(&mut harness);
    harness.get_by_label_contains("How long the processes took");
    harness.get_by_label("Activities").click();
    settle(&mut harness);
    harness.get_by_label("Median to next");
    harness.run();
}

#[test]
fn readme_screenshots_of_the_dotted_chart_and_durations_of_the_helpdesk_log() {
    let test = "readme_screenshots_of_the_dotted_chart_and_durations_of_the_helpdesk_log";
    let Some(data) = data_dir(test) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = fixed_folder("helpdesk").join("helpdesk.redb");
    let _ = std::fs::remove_file(&path);
    import_file(
        &path,
        Format::Xes,
        &data.join("helpdesk.xes.gz"),
        &Operator::named("analyst"),
        &mut |_| true,
    )
    .expect("import the helpdesk log");
    let mut app = app(Some(path), dir.path());
    app.send(Command::ShowView(View::Performance));
    app.send(Command::TogglePanel(
        process_workbench::state::command::SidePanel::Detail,
    ));
    let mut harness = screenshot_harness(app);
    harness.get_by_label_contains("4,580 processes · 21,348 events · 14 activities");
    harness.get_by_label("Resolve ticket");
    check_screenshot(&mut harness, "dotted-chart");

    harness
        .state_mut()
        .performance_mut()
        .set_order(CaseOrder::Duration);
    harness
        .state_mut()
        .performance_mut()
        .set_tab(PerformanceTab::Durations);
    settle(&mut harness);
    harness.get_by_label_contains("How long the processes took");
    check_screenshot(&mut harness, "durations");
}
