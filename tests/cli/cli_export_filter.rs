//! `export --xes | --ocel` with a process filter: `--filter NAME` (a saved
//! filter) or the filter's parts inline write exactly the processes `filter`
//! lists, and the same bytes either way; with `--stream`, the listed streams
//! the filter keeps; importing the export gives the filtered figures. An
//! unknown filter name exits 2 with one line and writes nothing.

use serde_json::Value;

use crate::cli_support::*;

#[test]
fn export_with_a_filter_writes_the_processes_it_keeps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let store = dir.path().join("demo.redb");
    let file = path_str(&store);
    stdout_of(&run_in(&data, &["demo", file, "--processes", "60"]));
    let kept = json_of(&run_in(
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
        let line = stdout_of(&run_in(
            &data,
            &[
                "export",
                file,
                flag,
                path_str(&by_name),
                "--filter",
                "failed",
            ],
        ));
        assert!(line.contains("filter: "), "{line}");
        let inline = dir.path().join(format!("inline.{name}"));
        stdout_of(&run_in(
            &data,
            &[
                "export",
                file,
                flag,
                path_str(&inline),
                "--status",
                "failed",
            ],
        ));
        assert_eq!(
            std::fs::read(&by_name).expect("read"),
            std::fs::read(&inline).expect("read"),
            "{flag}: a saved filter and the same filter inline write the same bytes"
        );
        let again = dir.path().join(format!("{name}.redb"));
        stdout_of(&run_in(
            &data,
            &[
                "import",
                path_str(&again),
                "--from",
                from,
                path_str(&by_name),
            ],
        ));
        let figures = json_of(&run_in(&data, &["inspect", path_str(&again), "--json"]));
        assert_eq!(figures["streams"]["total"].as_u64(), count, "{flag}");
        assert_eq!(figures["events"]["total"].as_u64(), events, "{flag}");
        let exported = json_of(&run_in(&data, &["filter", path_str(&again), "--json"]));
        assert_eq!(
            exported["streams"], kept["streams"],
            "{flag}: the same processes"
        );
    }

    // --stream with --filter: the listed streams the filter keeps.
    let all = json_of(&run_in(&data, &["filter", file, "--json"]));
    let other = all["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .filter_map(Value::as_str)
        .find(|id| !ids.contains(id))
        .expect("a process that did not fail");
    let both = dir.path().join("both.xes");
    stdout_of(&run_in(
        &data,
        &[
            "export",
            file,
            "--xes",
            path_str(&both),
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
    let file = path_str(&store);
    stdout_of(&run_in(&data, &["demo", file, "--processes", "20"]));
    stdout_of(&run_in(
        &data,
        &["filter", file, "--status", "failed", "--save", "failed"],
    ));
    for flag in ["--xes", "--ocel"] {
        let out = dir.path().join("out.log");
        let message = refused(&run_in(
            &data,
            &["export", file, flag, path_str(&out), "--filter", "nope"],
        ));
        assert!(message.contains("nope"), "{message}");
        assert!(!out.exists(), "{flag}: nothing written");
        let message = refused(&run_in(
            &data,
            &["export", file, flag, path_str(&out), "--jsonpath", "$["],
        ));
        assert!(message.contains("JSONPath"), "{message}");
        assert!(!out.exists(), "{flag}: nothing written");
    }
    let out = dir.path().join("out.jsonl");
    let message = refused(&run_in(
        &data,
        &[
            "export",
            file,
            "--jsonl",
            path_str(&out),
            "--filter",
            "failed",
        ],
    ));
    assert!(message.contains("--xes and --ocel"), "{message}");
    assert!(!out.exists());
}
