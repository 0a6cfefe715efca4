//! The process map: pm4py's figures on every shared real log (computed by
//! `examples/support/pm4py_map.py` into `data/map/`), the case loader's order
//! (time, ties in store order) and its two ways of reading, the sliders'
//! thinning, and the cases behind a node or an edge.

use std::collections::HashSet;
use std::path::Path;

use crate::import_common::*;
use process_workbench_core::analysis::{CaseLog, MapElement, ProcessMap, cases_containing};
use process_workbench_core::engine::Operator;
use process_workbench_core::import::{Format, import_file};
use process_workbench_core::store::Store;
use serde_json::Value;

/// The expected figures of a shared log, as pm4py computed them.
fn expected(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/core/data/map")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).expect("expected figures are JSON")
}

fn import(dir: &Path, input: &Path, format: Format) -> Store {
    let name = input
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("log");
    let path = dir.join(format!("{name}.pwb"));
    import_file(&path, format, input, &Operator::current(), &mut |_| true)
        .unwrap_or_else(|error| panic!("{name}: {error}"));
    Store::open(&path).expect("open")
}

/// Compares a map with pm4py's: counts exactly, times to the millisecond.
fn assert_same(what: &str, map: &ProcessMap, pm4py: &Value) {
    let ours = map.to_json();
    for key in ["activities", "start", "end"] {
        assert_eq!(ours[key], pm4py[key], "{what}: {key}");
    }
    let (ours, theirs) = (
        ours["edges"].as_array().expect("edges"),
        pm4py["edges"].as_array().expect("edges"),
    );
    assert_eq!(ours.len(), theirs.len(), "{what}: number of edges");
    for (ours, theirs) in ours.iter().zip(theirs) {
        let edge = format!("{what}: {} -> {}", theirs["from"], theirs["to"]);
        assert_eq!(
            (&ours["from"], &ours["to"], &ours["count"]),
            (&theirs["from"], &theirs["to"], &theirs["count"]),
            "{edge}"
        );
        for key in ["mean_s", "median_s"] {
            let (a, b) = (
                ours[key].as_f64().expect("seconds"),
                theirs[key].as_f64().expect("seconds"),
            );
            assert!((a - b).abs() < 1e-3, "{edge}: {key} {a} (pm4py {b})");
        }
    }
}

#[test]
fn maps_of_the_shared_logs_equal_pm4py() {
    let Some(data) = data_dir("map::maps_of_the_shared_logs_equal_pm4py") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut checked = 0;
    let mut names: Vec<_> = std::fs::read_dir(&data)
        .expect("data folder")
        .map(|entry| entry.expect("entry").path())
        .collect();
    names.sort();
    for input in names {
        let name = input
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        // The OCEL XML and SQLite forms are the JSON one's log (its times an
        // hour later, the same durations), the CSV the XES running example's.
        let stem = name.split('.').next().unwrap_or_default();
        let (format, figures) = match Format::detect(&input) {
            Some(Format::Xes) => (Format::Xes, name.to_string()),
            Some(Format::Ocel) => (Format::Ocel, format!("{stem}.jsonocel")),
            Some(Format::Csv) => (Format::Csv, format!("{stem}.xes")),
            _ => continue,
        };
        let store = import(dir.path(), &input, format);
        let reader = store.read().expect("read");
        let pm4py = expected(&figures);
        match format {
            Format::Ocel => {
                let types = pm4py["object_types"].as_object().expect("object types");
                assert!(!types.is_empty(), "{name}");
                for (object_type, figures) in types {
                    let log = CaseLog::load(&reader, None, Some(object_type)).expect("load");
                    let map = ProcessMap::compute(&log);
                    assert_same(&format!("{name} {object_type}"), &map, figures);
                }
            }
            _ => {
                let log = CaseLog::load(&reader, None, None).expect("load");
                assert_same(name, &ProcessMap::compute(&log), &pm4py);
            }
        }
        checked += 1;
    }
    assert_eq!(
        checked, 8,
        "four XES logs, one OCEL log in three forms, one CSV"
    );
}

/// A log whose times tie and go back: pm4py orders by time, ties in file order.
const TIES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0">
 <trace><string key="concept:name" value="a"/>
  <event><string key="concept:name" value="register"/><date key="time:timestamp" value="2024-01-01T10:00:00.000+00:00"/></event>
  <event><string key="concept:name" value="check"/><date key="time:timestamp" value="2024-01-01T12:00:00.000+00:00"/></event>
  <event><string key="concept:name" value="decide"/><date key="time:timestamp" value="2024-01-01T11:00:00.000+01:00"/></event>
  <event><string key="concept:name" value="pay"/><date key="time:timestamp" value="2024-01-01T12:00:00.000+00:00"/></event>
 </trace>
 <trace><string key="concept:name" value="b"/>
  <event><string key="concept:name" value="register"/><date key="time:timestamp" value="2024-01-02T10:00:00.000+00:00"/></event>
  <event><string key="concept:name" value="check"/><date key="time:timestamp" value="2024-01-02T10:00:30.500+00:00"/></event>
  <event><string key="concept:name" value="pay"/><date key="time:timestamp" value="2024-01-02T10:01:00.000+00:00"/></event>
 </trace>
 <trace><string key="concept:name" value="c"/>
  <event><string key="concept:name" value="register"/><date key="time:timestamp" value="2024-01-03T10:00:00.000+00:00"/></event>
  <event><string key="concept:name" value="check"/><date key="time:timestamp" value="2024-01-03T10:01:00.000+00:00"/></event>
 </trace>
</log>
"#;

fn ties_store(dir: &Path) -> Store {
    let input = write_file(dir, "ties.xes", TIES.as_bytes());
    import(dir, &input, Format::Xes)
}

fn sequence(log: &CaseLog, case: usize) -> Vec<&str> {
    log.case(case)
        .events
        .iter()
        .map(|event| log.activities()[event.activity as usize].as_str())
        .collect()
}

#[test]
fn cases_are_in_time_order_with_ties_in_store_order_whichever_way_they_are_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ties_store(dir.path());
    let reader = store.read().expect("read");
    let log = CaseLog::load(&reader, None, None).expect("load");
    assert_eq!(log.len(), 3);
    assert_eq!(log.event_count(), 9);
    assert_eq!(log.activities(), ["check", "decide", "pay", "register"]);
    // decide (10:00 UTC) ties with register: file order; check and pay tie too.
    assert_eq!(log.case(0).stream_id, "a");
    assert_eq!(sequence(&log, 0), ["register", "decide", "check", "pay"]);
    assert_eq!(sequence(&log, 1), ["register", "check", "pay"]);

    // Every stream named (read by a scan) and one stream (read by its index).
    let all: HashSet<String> = ["a", "b", "c", "nobody"].map(String::from).into();
    assert_eq!(CaseLog::load(&reader, Some(&all), None).expect("load"), log);
    let one: HashSet<String> = ["b".to_string()].into();
    let b = CaseLog::load(&reader, Some(&one), None).expect("load");
    assert_eq!(b.len(), 1);
    assert_eq!(sequence(&b, 0), ["register", "check", "pay"]);
    // The object type of an XES import is the log's name: every trace.
    let by_type = CaseLog::load(&reader, None, Some("ties")).expect("load");
    assert_eq!(by_type, log);
    assert!(
        CaseLog::load(&reader, None, Some("no such type"))
            .expect("load")
            .is_empty()
    );
}

#[test]
fn the_map_counts_edges_times_starts_and_ends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ties_store(dir.path());
    let reader = store.read().expect("read");
    let log = CaseLog::load(&reader, None, None).expect("load");
    let map = ProcessMap::compute(&log);
    let json = map.to_json();
    assert_eq!(json["cases"], 3);
    assert_eq!(json["start"], serde_json::json!({"register": 3}));
    assert_eq!(json["end"], serde_json::json!({"check": 1, "pay": 2}));
    let edges = json["edges"].as_array().expect("edges");
    let edge = |from: &str, to: &str| {
        edges
            .iter()
            .find(|edge| edge["from"] == from && edge["to"] == to)
            .unwrap_or_else(|| panic!("{from} -> {to}"))
            .clone()
    };
    // register -> check: 30.5 s (b) and 60 s (c): median the mean of the two.
    let register_check = edge("register", "check");
    assert_eq!(register_check["count"], 2);
    assert_eq!(register_check["mean_s"], 45.25);
    assert_eq!(register_check["median_s"], 45.25);
    assert_eq!(edge("register", "decide")["mean_s"], 0.0);
    assert_eq!(edge("decide", "check")["mean_s"], 7200.0);
    assert_eq!(edges.len(), 4);

    let register = map.activity_index("register").expect("register");
    let pay = map.activity_index("pay").expect("pay");
    let check = map.activity_index("check").expect("check");
    assert_eq!(
        cases_containing(&log, MapElement::Activity(pay)),
        ["a", "b"]
    );
    assert_eq!(
        cases_containing(&log, MapElement::Edge(register, check)),
        ["b", "c"]
    );
}

#[test]
fn the_sliders_keep_the_most_frequent_and_leave_nothing_dangling() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ties_store(dir.path());
    let reader = store.read().expect("read");
    let map = ProcessMap::compute(&CaseLog::load(&reader, None, None).expect("load"));
    let all = map.thin(1.0, 1.0);
    assert!(all.activities.iter().all(|shown| *shown));
    assert!(all.edges.iter().all(|shown| *shown));
    // Half the activities: register (3) and check (3), the most frequent.
    let half = map.thin(0.5, 0.0);
    let shown: Vec<&str> = map
        .activities
        .iter()
        .zip(&half.activities)
        .filter(|(_, shown)| **shown)
        .map(|(activity, _)| activity.name.as_str())
        .collect();
    assert_eq!(shown, ["check", "register"]);
    // No path share, yet register -> check stays: it is check's only way in.
    let kept: Vec<(u32, u32)> = map
        .edges
        .iter()
        .zip(&half.edges)
        .filter(|(_, shown)| **shown)
        .map(|(edge, _)| (edge.from, edge.to))
        .collect();
    let (register, check) = (
        map.activity_index("register").expect("register"),
        map.activity_index("check").expect("check"),
    );
    assert_eq!(kept, [(register, check)]);
    // At least one activity always.
    assert_eq!(
        map.thin(0.0, 0.0).activities.iter().filter(|s| **s).count(),
        1
    );
}
