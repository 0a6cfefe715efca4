//! The causal graph view driven as a user would: open the graph of a demo
//! event from its detail, see its nodes, click one and see its detail on the
//! right, search, expand a "more" box, export; and the README screenshot
//! `screenshots/graph.png` of the demo store.

use crate::gui_support::*;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use process_workbench::app::WorkbenchApp;
use process_workbench::state::command::{Command, ThemeChoice};
use process_workbench::state::{EventRef, View};
use process_workbench::views::graph::PICK_AN_EVENT;
use process_workbench_core::actions::GraphFormat;
use process_workbench_core::graph::{self, ClosureOptions};
use process_workbench_core::store::Event;

/// A demo billing event caused by an event of another stream, and that cause.
fn cross_stream_billing_event(harness: &Harness<'_, WorkbenchApp>) -> (Event, Event) {
    let store = &harness
        .state()
        .store()
        .expect("the demo store is open")
        .store;
    let reader = store.read().expect("read the demo store");
    let log = reader.log(1, 100_000).expect("read the log");
    // Of the first few, the one with the largest closure (a richer picture).
    let candidates: Vec<(Event, Event)> = log
        .iter()
        .filter(|event| {
            reader
                .stream(&event.stream_id)
                .ok()
                .flatten()
                .is_some_and(|info| info.process_type == "grid_usage_billing")
        })
        .filter_map(|event| {
            let cause = reader.event_by_id(event.causation_id?).ok().flatten()?;
            (cause.stream_id != event.stream_id).then(|| (event.clone(), cause))
        })
        .take(40)
        .collect();
    candidates
        .into_iter()
        .max_by_key(|(event, _)| {
            let graph = graph::closure(&reader, event.event_id, &ClosureOptions::default())
                .expect("the closure of a demo event");
            (graph.total, std::cmp::Reverse(event.position))
        })
        .expect("the demo has a billing event caused from another stream")
}

fn event_ref(event: &Event) -> EventRef {
    EventRef {
        position: event.position,
        stream_id: Some(event.stream_id.clone()),
        version: Some(event.version),
    }
}

fn label(event: &Event) -> String {
    format!(
        "{} in {} v{}",
        event.event_type, event.stream_id, event.version
    )
}

/// The shared harness, with frames 1/60 s apart so that two clicks make a double click.
fn quick_harness(app: WorkbenchApp) -> Harness<'static, WorkbenchApp> {
    Harness::builder()
        .with_size(SIZE)
        .with_max_steps(50)
        .with_step_dt(1.0 / 60.0)
        .build_ui_state(|ui, app: &mut WorkbenchApp| app.ui(ui), app)
}

#[test]
fn the_graph_of_a_demo_event_shows_its_nodes_and_a_click_selects() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut harness = quick_harness(app(None, dir.path()));
    settle(&mut harness);

    // Without a selected event the view says how to pick one.
    harness.state_mut().send(Command::ShowView(View::Graph));
    settle(&mut harness);
    harness.get_by_label(PICK_AN_EVENT);

    // Select a billing event, then "Show in graph" in its detail.
    let (effect, cause) = cross_stream_billing_event(&harness);
    harness
        .state_mut()
        .send(Command::SelectEvent(event_ref(&effect)));
    settle(&mut harness);
    harness.get_by_label("Show in graph").click();
    settle(&mut harness);
    assert_eq!(harness.state().view(), View::Graph);
    wait_for_label(&mut harness, &label(&effect));
    wait_for_label(&mut harness, &label(&cause));
    harness.get_by_label_contains("in the closure.");
    let graph = harness
        .state_mut()
        .graph_mut()
        .computed()
        .expect("a graph is shown")
        .graph
        .clone();
    assert_eq!(graph.root, effect.event_id);
    let from = graph.index_of(cause.event_id).expect("the cause is a node");
    let to = graph
        .index_of(effect.event_id)
        .expect("the event is a node");
    assert!(
        graph
            .edges
            .iter()
            .any(|edge| edge.from == from && edge.to == to)
    );

    // Click the cause in the other stream: its detail shows on the right, the graph stays.
    harness.get_by_label(&label(&cause)).click();
    settle(&mut harness);
    let selected = harness
        .state()
        .selection()
        .event
        .clone()
        .expect("an event is selected");
    assert_eq!(selected.position, cause.position);
    assert_shows(&harness, &cause.event_id.to_string());
    assert_eq!(
        harness
            .state_mut()
            .graph_mut()
            .computed()
            .map(|c| c.graph.root),
        Some(effect.event_id),
        "selecting a node keeps the graph"
    );

    // Search highlights by stream id, with a count.
    harness.get_by_label("Search the graph").click();
    harness
        .get_by_label("Search the graph")
        .type_text(&cause.stream_id);
    settle(&mut harness);
    let in_stream = graph
        .nodes
        .iter()
        .filter(|node| node.stream_id.contains(&cause.stream_id))
        .count();
    harness.get_by_label(&format!("{in_stream} matching"));

    // The context menu opens the stream at that version (as a double click does).
    harness.get_by_label(&label(&effect)).click_secondary();
    settle(&mut harness);
    harness
        .get_by_label("Open the stream at this version")
        .click();
    settle(&mut harness);
    assert_eq!(harness.state().view(), View::Streams);
    assert_eq!(
        harness.state().selection().stream.as_deref(),
        Some(effect.stream_id.as_str())
    );

    // Back in the graph, a double click on the cause opens its stream at its version.
    harness.state_mut().send(Command::ShowView(View::Graph));
    settle(&mut harness);
    // Frames are 1/60 s apart: half a second on, the menu click before is too
    // long ago to turn the double click into a triple click.
    for _ in 0..30 {
        harness.step();
    }
    let cause_label = label(&cause);
    harness.get_by_label(&cause_label).click();
    harness.get_by_label(&cause_label).click();
    settle(&mut harness);
    assert_eq!(harness.state().view(), View::Streams);
    assert_eq!(
        harness.state().selection().stream.as_deref(),
        Some(cause.stream_id.as_str())
    );
    let opened = harness.state().selection().event.clone();
    assert_eq!(opened.map(|event| event.position), Some(cause.position));
}

#[test]
fn more_boxes_expand_on_click_and_exports_are_written() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut harness = harness(app(None, dir.path()));
    settle(&mut harness);
    let (effect, _) = cross_stream_billing_event(&harness);
    harness
        .state_mut()
        .send(Command::ShowInGraph(effect.event_id));
    settle(&mut harness);
    let total = harness
        .state_mut()
        .graph_mut()
        .computed()
        .expect("a graph")
        .graph
        .total;
    assert!(total >= 3, "the demo event has a closure of a few events");

    // Show at most 2 events: the rest collapse into "more" boxes, said in the status line.
    harness.state_mut().graph_mut().set_max_nodes(2);
    settle(&mut harness);
    harness.get_by_label_contains("\"more\" boxes: click one to show its events.");
    let group = {
        let computed = harness.state_mut().graph_mut().computed().expect("a graph");
        assert_eq!(computed.graph.nodes.len(), 2);
        assert_eq!(computed.graph.hidden, total - 2);
        computed.graph.groups[0].label.clone()
    };
    harness
        .state_mut()
        .send(Command::SetTheme(ThemeChoice::Dark));
    harness.get_by_label("Fit").click();
    settle(&mut harness);
    harness.get_by_label(&group).click();
    settle(&mut harness);
    let computed = harness.state_mut().graph_mut().computed().expect("a graph");
    assert!(computed.graph.groups.iter().all(|g| g.label != group));

    if harness.query_by_label("Show all").is_some() {
        harness.get_by_label("Show all").click();
        settle(&mut harness);
    }
    harness.get_by_label("Nothing hidden.");

    for format in GraphFormat::ALL {
        let path = dir.path().join(format!("graph.{}", format.extension()));
        let export = harness
            .state_mut()
            .graph_mut()
            .export_request(format)
            .expect("a graph to export");
        harness.state_mut().export_to(export, path.clone());
        settle(&mut harness);
        let finished = harness.state().last_action().expect("the export ended");
        assert!(finished.result.is_ok(), "{}", finished.line());
        let bytes = std::fs::read(&path).expect("the export is written");
        match format {
            GraphFormat::Json => {
                let json: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
                assert_eq!(json["nodes"].as_array().map(Vec::len), Some(total as usize));
                assert_eq!(json["hidden"], 0);
            }
            GraphFormat::Svg => assert!(String::from_utf8_lossy(&bytes).starts_with("<svg")),
            GraphFormat::Png => assert_eq!(&bytes[..4], b"\x89PNG"),
        }
    }
    harness.get_by_label_contains("The graph (");
}

/// Shows the graph of a demo billing event caused from another stream, with
/// its whole conversation; returns the event and its cause.
fn show_billing_conversation(harness: &mut Harness<'_, WorkbenchApp>) -> (Event, Event) {
    let (effect, cause) = cross_stream_billing_event(harness);
    harness
        .state_mut()
        .send(Command::ShowInGraph(effect.event_id));
    settle(harness);
    harness.get_by_label("Include the conversation").click();
    settle(harness);
    (effect, cause)
}

/// The README screenshot: the graph of a demo billing event with its
/// conversation, the cause selected, dark theme. Checked by its labels, then
/// compared with the committed image.
#[test]
fn readme_screenshot_of_the_graph() {
    let mut harness = demo_harness(&fixed_folder("graph"));
    let (effect, cause) = show_billing_conversation(&mut harness);
    harness
        .state_mut()
        .send(Command::SelectEvent(event_ref(&cause)));
    settle(&mut harness);
    assert_eq!(harness.state().view(), View::Graph);
    // The graph of the event, its whole conversation, the nodes of the event and its cause.
    let computed = harness
        .state_mut()
        .graph_mut()
        .computed()
        .expect("a graph is shown")
        .graph
        .clone();
    assert_eq!(computed.root, effect.event_id);
    assert_eq!(
        harness
            .get_by_label("Include the conversation")
            .accesskit_node()
            .toggled(),
        Some(egui::accesskit::Toggled::True),
        "the conversation is included"
    );
    assert_shows(&harness, &label(&effect));
    assert_shows(&harness, &label(&cause));
    assert_shows_containing(&harness, "in the closure.");
    for control in ["Include the conversation", "Fit", "+", "Search the graph"] {
        assert_shows(&harness, control);
    }
    // The cause is selected: its detail on the right.
    assert_shows(&harness, &cause.event_id.to_string());
    check_screenshot(&mut harness, "graph");
}

/// The zoom the graph's toolbar shows ("110 %").
fn shown_zoom(harness: &Harness<'_, WorkbenchApp>) -> String {
    harness
        .query_all_by_label_contains(" %")
        .filter_map(|node| node.accesskit_node().value())
        .find(|label| label.trim_end_matches(" %").parse::<u32>().is_ok())
        .expect("the zoom is shown")
}

#[test]
fn a_fitted_graph_is_fitted_again_when_the_window_changes_size_until_the_user_zooms() {
    let data = tempfile::tempdir().expect("temporary folder");
    let mut harness = demo_harness(data.path());
    show_billing_conversation(&mut harness);
    let fitted = shown_zoom(&harness);

    harness.set_size(egui::vec2(1200.0, 680.0));
    settle(&mut harness);
    let refitted = shown_zoom(&harness);
    assert_ne!(refitted, fitted, "a smaller window fits the graph again");

    harness.get_by_label("+").click();
    settle(&mut harness);
    let zoomed = shown_zoom(&harness);
    assert_ne!(zoomed, refitted);
    harness.set_size(egui::vec2(1280.0, 800.0));
    settle(&mut harness);
    assert_eq!(shown_zoom(&harness), zoomed, "the user's zoom is kept");

    harness.get_by_label("Fit").click();
    settle(&mut harness);
    assert_eq!(shown_zoom(&harness), fitted, "Fit fits the graph again");
}
