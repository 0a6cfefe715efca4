//! `export --xes | --ocel` with a process filter: `--filter NAME` (a saved
//! filter) or the filter's parts inline write exactly the processes `filter`
//! lists, and the same bytes either way; with `--stream`, the listed streams
//! the filter keeps; importing the export gives the filtered figures. An
//! unknown filter name exits 2 with one line and writes nothing.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// The binary with its data folder (saved filters) in `data`.
fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_process-workbench"))
        .args(args)
        .env("XDG_DATA_HOME", data)
        .output()
        .expect("run the binary")
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn refused(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
    stderr
}

fn json(output: &Output) -> Value {
    serde_json::from_str(&ok(output)).expect("JSON on stdout")
}

fn path(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

#[test]
fn export_with_a_filter_writes_the_processes_it_keeps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let store = dir.path().join("demo.redb");
    let file = path(&store);
    ok(&run(&data, &["demo", file, "--processes", "60"]));
    let kept = json(&run(
        &data,
        &[
            "filter", file, "--status", "failed", "--save", "failed", "--json",
        ],
    ));
    let ids: Vec<&str> = kept["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .map(|id| id.as_str().expect("id"))
        .collect();
    let (count, events) = (kept["count"].as_u64(), kept["counts"]["events"].as_u64());
    assert!(ids.len() > 1 && kept["of"].as_u64() > count, "{kept}");

    for (flag, from, name) in [
        ("--xes", "xes", "failed.xes"),
        ("--ocel", "ocel", "failed.jsonocel"),
    ] {
        let by_name = dir.path().join(name);
        let line = ok(&run(
            &data,
            &["export", file, flag, path(&by_name), "--filter", "failed"],
        ));
        assert!(line.contains("filter: "), "{line}");
        let inline = dir.path().join(format!("inline.{name}"));
        ok(&run(
            &data,
            &["export", file, flag, path(&inline), "--status", "failed"],
        ));
        assert_eq!(
            std::fs::read(&by_name).expect("read"),
            std::fs::read(&inline).expect("read"),
            "{flag}: a saved filter and the same filter inline write the same bytes"
        );
        let again = dir.path().join(format!("{name}.redb"));
        ok(&run(
            &data,
            &["import", path(&again), "--from", from, path(&by_name)],
        ));
        let figures = json(&run(&data, &["inspect", path(&again), "--json"]));
        assert_eq!(figures["streams"]["total"].as_u64(), count, "{flag}");
        assert_eq!(figures["events"]["total"].as_u64(), events, "{flag}");
        let exported = json(&run(&data, &["filter", path(&again), "--json"]));
        assert_eq!(
            exported["streams"], kept["streams"],
            "{flag}: the same processes"
        );
    }

    // --stream with --filter: the listed streams the filter keeps.
    let all = json(&run(&data, &["filter", file, "--json"]));
    let other = all["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .filter_map(Value::as_str)
        .find(|id| !ids.contains(id))
        .expect("a process that did not fail");
    let both = dir.path().join("both.xes");
    ok(&run(
        &data,
        &[
            "export",
            file,
            "--xes",
            path(&both),
            "--filter",
            "failed",
            "--stream",
            ids[0],
            "--stream",
            other,
        ],
    ));
    let text = std::fs::read_to_string(&both).expect("read");
    assert_eq!(text.matches("<trace>").count(), 1, "{text}");
    assert!(text.contains(&format!("value=\"{}\"", ids[0])));
}

#[test]
fn export_with_an_unknown_filter_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let store = dir.path().join("demo.redb");
    let file = path(&store);
    ok(&run(&data, &["demo", file, "--processes", "20"]));
    ok(&run(
        &data,
        &["filter", file, "--status", "failed", "--save", "failed"],
    ));
    for flag in ["--xes", "--ocel"] {
        let out = dir.path().join("out.log");
        let message = refused(&run(
            &data,
            &["export", file, flag, path(&out), "--filter", "nope"],
        ));
        assert!(message.contains("nope"), "{message}");
        assert!(!out.exists(), "{flag}: nothing written");
        let message = refused(&run(
            &data,
            &["export", file, flag, path(&out), "--jsonpath", "$["],
        ));
        assert!(message.contains("JSONPath"), "{message}");
        assert!(!out.exists(), "{flag}: nothing written");
    }
    let out = dir.path().join("out.jsonl");
    let message = refused(&run(
        &data,
        &["export", file, "--jsonl", path(&out), "--filter", "failed"],
    ));
    assert!(message.contains("--xes and --ocel"), "{message}");
    assert!(!out.exists());
}
