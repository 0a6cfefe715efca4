//! The process map view driven as a user would: open it from the navigation,
//! see the activities and Start and End, switch to performance, move the
//! sliders, click an activity and an edge and get the processes that contain
//! them in the stream browser; and the README screenshots of the map of a
//! real log (`screenshots/map-frequency.png`, `map-performance.png`).

use crate::gui_support::*;
use egui_kittest::kittest::Queryable;
use process_workbench::state::View;
use process_workbench::state::command::Command;
use process_workbench_core::analysis::{CaseLog, MapElement, ProcessMap, cases_containing};
use process_workbench_core::engine::Operator;
use process_workbench_core::import::{Format, import_file};

#[test]
fn the_map_of_the_demo_shows_its_activities_and_a_click_lists_their_processes() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut harness = harness(app(None, dir.path()));
    settle(&mut harness);
    harness.get_by_label("Map").click();
    settle(&mut harness);
    assert_eq!(harness.state().view(), View::Map);
    let map = harness
        .state_mut()
        .map_mut()
        .map()
        .expect("the map was computed")
        .clone();
    assert!(
        map.activities.len() > 5,
        "{} activities",
        map.activities.len()
    );
    assert_shows(&harness, "Start");
    assert_shows(&harness, "End");
    assert_shows_containing(&harness, "cases \u{00B7}");
    let busiest = map
        .activities
        .iter()
        .max_by_key(|activity| activity.count)
        .expect("an activity");
    assert_shows(&harness, &busiest.name);

    // Performance: the same map, edges by time; the sliders thin it.
    harness.get_by_label("Performance").click();
    settle(&mut harness);
    harness.state_mut().map_mut().set_shares(30, 0);
    settle(&mut harness);
    let drawing = harness
        .state_mut()
        .map_mut()
        .drawing()
        .expect("drawn")
        .clone();
    let shown = drawing.nodes.len() - 2;
    assert!(shown < map.activities.len(), "{shown} activities at 30 %");
    assert_shows(&harness, &busiest.name);

    // A click on the busiest activity lists the processes that contain it.
    let stores = harness.state().store().expect("open").store.clone();
    let reader = stores.read().expect("read");
    let log = CaseLog::load(&reader, None, None).expect("cases");
    let index = map.activity_index(&busiest.name).expect("index");
    let containing = cases_containing(&log, MapElement::Activity(index));
    harness.get_by_label(&busiest.name).click();
    settle(&mut harness);
    assert_eq!(harness.state().view(), View::Streams);
    assert_shows_containing(
        &harness,
        &format!("{} processes containing {}", containing.len(), busiest.name),
    );
    harness.get_by_label("Clear filters").click();
    settle(&mut harness);

    // An edge: the processes in which the two follow each other.
    harness.state_mut().send(Command::ShowView(View::Map));
    settle(&mut harness);
    harness.state_mut().map_mut().set_shares(100, 100);
    settle(&mut harness);
    let edge = map
        .edges
        .iter()
        .filter(|edge| edge.from != edge.to)
        .max_by_key(|edge| edge.count)
        .expect("an edge");
    let (from, to) = (
        &map.activities[edge.from as usize].name,
        &map.activities[edge.to as usize].name,
    );
    let name = format!("{from} then {to}");
    let containing = cases_containing(&log, MapElement::Edge(edge.from, edge.to));
    harness.get_by_label(&name).click();
    settle(&mut harness);
    assert_shows_containing(
        &harness,
        &format!("{} processes containing {name}", containing.len()),
    );
}

#[test]
fn readme_screenshots_of_the_map_of_a_real_log() {
    let data = std::env::var_os("PW_SHARED_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let Some(data) = Some(data).filter(|data| data.is_dir()) else {
        crate::common::report_skipped(
            "gui_map::readme_screenshots_of_the_map_of_a_real_log",
            "the shared real logs folder is absent (set PW_SHARED_DATA)",
        );
        return;
    };
    let folder = fixed_folder("map");
    let store = folder.join("helpdesk.pwb");
    import_file(
        &store,
        Format::Xes,
        &data.join("helpdesk.xes.gz"),
        &Operator::current(),
        &mut |_| true,
    )
    .expect("import the helpdesk log");
    let mut harness = screenshot_harness(app(Some(store.clone()), &folder));
    harness.state_mut().send(Command::ShowView(View::Map));
    settle(&mut harness);
    let map: ProcessMap = harness
        .state_mut()
        .map_mut()
        .map()
        .expect("computed")
        .clone();
    assert_eq!(map.cases, 4_580);
    assert_shows(&harness, "Resolve ticket");
    assert_shows_containing(&harness, "4,580 cases");
    check_screenshot(&mut harness, "map-frequency");
    harness.get_by_label("Performance").click();
    settle(&mut harness);
    check_screenshot(&mut harness, "map-performance");
}

#[test]
fn the_map_follows_the_shared_process_filter() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut harness = harness(app(None, dir.path()));
    settle(&mut harness);
    harness.get_by_label("Map").click();
    settle(&mut harness);
    let whole = harness
        .state_mut()
        .map_mut()
        .map()
        .expect("the map of every process")
        .clone();

    // Failed processes only, chosen in the filter bar as a user does.
    harness.get_by_label("Edit filter").click();
    harness.run_steps(2);
    harness.get_by_label("Filter status").click();
    harness.run_steps(2);
    harness.get_by_label_contains("failed (").click();
    harness.run_steps(2);
    harness.get_by_label("Apply filter").click();
    settle(&mut harness);
    let kept: std::collections::HashSet<String> = harness
        .state()
        .filter()
        .selection()
        .expect("the filter was applied")
        .ids
        .iter()
        .cloned()
        .collect();
    assert!(!kept.is_empty() && (kept.len() as u64) < whole.cases);

    let filtered = harness
        .state_mut()
        .map_mut()
        .map()
        .expect("the map of the kept processes")
        .clone();
    let stores = harness.state().store().expect("open").store.clone();
    let reader = stores.read().expect("read");
    let expected = ProcessMap::compute(&CaseLog::load(&reader, Some(&kept), None).expect("cases"));
    assert_eq!(filtered.cases, kept.len() as u64);
    assert_eq!(filtered, expected);
    assert_shows_containing(&harness, &format!("{} cases \u{00B7}", kept.len()));

    // Cleared: the whole map again.
    harness.get_by_label("Clear filter").click();
    settle(&mut harness);
    let again = harness.state_mut().map_mut().map().expect("map").clone();
    assert_eq!(again, whole);
}
