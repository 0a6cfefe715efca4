//! `map`: the process map of an imported log as pm4py computes it, the text
//! form, the pictures, and bad input (exit 2, one line, nothing written).

use std::path::{Path, PathBuf};

use crate::cli_support::{run, text};
use crate::import_common::{data_dir, write_file};
use serde_json::Value;

/// The running example imported into a new store in `dir`.
fn running_example(dir: &Path) -> Option<PathBuf> {
    let data = data_dir("map_cli: the running example")?;
    let store = dir.join("running.pwb");
    let input = data.join("running-example.xes");
    let output = run(&["import", store.to_str()?, "--from", "xes", input.to_str()?]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    Some(store)
}

#[test]
fn map_json_of_the_running_example_is_pm4py_s() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(store) = running_example(dir.path()) else {
        return;
    };
    let output = run(&["map", store.to_str().expect("path"), "--json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let ours: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let expected: Value = serde_json::from_str(include_str!(
        "../../crates/core/tests/core/data/map/running-example.xes.json"
    ))
    .expect("expected figures");
    for key in ["activities", "start", "end"] {
        assert_eq!(ours[key], expected[key], "{key}");
    }
    assert_eq!(ours["cases"], 6);
    let (ours, theirs) = (
        ours["edges"].as_array().expect("edges"),
        expected["edges"].as_array().expect("edges"),
    );
    assert_eq!(ours.len(), theirs.len());
    for (ours, theirs) in ours.iter().zip(theirs) {
        assert_eq!(
            (&ours["from"], &ours["to"], &ours["count"]),
            (&theirs["from"], &theirs["to"], &theirs["count"])
        );
        for key in ["mean_s", "median_s"] {
            let (a, b) = (
                ours[key].as_f64().expect("s"),
                theirs[key].as_f64().expect("s"),
            );
            assert!((a - b).abs() < 1e-3, "{key}: {a} vs {b}");
        }
    }

    // The text form names every activity; the pictures are written.
    let output = run(&["map", store.to_str().expect("path")]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let printed = text(&output.stdout);
    assert!(
        printed.starts_with("process map: 6 cases, 42 events, 8 activities"),
        "{printed}"
    );
    assert!(
        printed.contains("register request -> examine casually"),
        "{printed}"
    );
    let svg = dir.path().join("map.svg");
    let png = dir.path().join("map.png");
    let output = run(&[
        "map",
        store.to_str().expect("path"),
        "--svg",
        svg.to_str().expect("path"),
        "--png",
        png.to_str().expect("path"),
        "--mode",
        "performance",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let svg = std::fs::read_to_string(&svg).expect("the SVG");
    assert!(
        svg.starts_with("<svg") && svg.contains("register request"),
        "{svg}"
    );
    let png = std::fs::read(&png).expect("the PNG");
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
fn map_refuses_an_unknown_object_type_and_a_bad_share() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(
        dir.path(),
        "tiny.xes",
        br#"<log><trace><string key="concept:name" value="1"/><event><string key="concept:name" value="a"/><date key="time:timestamp" value="2024-01-01T00:00:00Z"/></event></trace></log>"#,
    );
    let store = dir.path().join("tiny.pwb");
    let output = run(&[
        "import",
        store.to_str().expect("path"),
        "--from",
        "xes",
        input.to_str().expect("path"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = run(&[
        "map",
        store.to_str().expect("path"),
        "--object-type",
        "order",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("no streams of object type \"order\"") && stderr.contains("tiny"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    let output = run(&[
        "map",
        store.to_str().expect("path"),
        "--svg",
        "x.svg",
        "--paths",
        "1.5",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!Path::new("x.svg").exists());
}
