//! `filter`, `filters` and `process-workbench FILE --filter NAME`: the
//! process filter on the command line, its figures against the library's,
//! saved filters in the data folder (`XDG_DATA_HOME`), and bad input refused
//! with exit status 2 and one line.

use std::ops::ControlFlow;

use crate::cli_support::*;
use process_workbench_core::search::{ProcessFilter, select_processes};
use process_workbench_core::store::{Store, StreamStatus};

#[test]
fn filters_are_evaluated_saved_listed_and_opened_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = dir.path().join("demo.redb");
    let file = store.to_str().unwrap();
    let made = run_in(&data, &["demo", file, "--processes", "40"]);
    assert!(made.status.success());

    let found = json_of(&run_in(
        &data,
        &[
            "filter",
            file,
            "--status",
            "failed",
            "--with",
            "GridRejection",
            "--save",
            "rejected",
            "--json",
        ],
    ));
    let filter = ProcessFilter {
        status: Some(StreamStatus::Failed),
        with_activities: ["GridRejection".to_string()].into(),
        ..ProcessFilter::default()
    };
    let opened = Store::open(&store).unwrap();
    let expected = select_processes(&opened.read().unwrap(), &filter, &mut |_| {
        ControlFlow::Continue(())
    })
    .unwrap();
    drop(opened);
    assert_eq!(found["count"], expected.counts.streams);
    assert_eq!(
        found["streams"].as_array().unwrap().len() as u64,
        expected.counts.streams
    );

    // Saved in the data folder; listed; reused with --saved.
    let saved = data.join("process-workbench").join("filters.json");
    assert!(saved.is_file(), "{}", saved.display());
    let listed = json_of(&run_in(&data, &["filters", "--json"]));
    assert_eq!(listed[0]["name"], "rejected");
    let again = json_of(&run_in(
        &data,
        &["filter", file, "--saved", "rejected", "--json"],
    ));
    assert_eq!(again["count"], found["count"]);

    // Bad input: one line, exit 2.
    assert!(refused(&run_in(&data, &[file, "--filter", "nope"])).contains("no saved filter"));
    assert!(refused(&run_in(&data, &["filter", file, "--jsonpath", "x"])).contains("JSONPath"));
    assert!(refused(&run_in(&data, &["filter", file, "--saved", "nope"])).contains("nope"));
    assert!(refused(&run_in(&data, &["filters", "--delete", "nope"])).contains("nope"));

    let deleted = run_in(&data, &["filters", "--delete", "rejected"]);
    assert!(deleted.status.success());
    assert!(
        json_of(&run_in(&data, &["filters", "--json"]))
            .as_array()
            .unwrap()
            .is_empty()
    );
}
