//! The formats of the field, in and out (the three OCEL 2.0 forms of one log
//! giving identical stores is `ocel_forms`): every shared log gives pm4py's figures
//! (`data/pm4py_figures.json`, made by `examples/support/pm4py_figures.py`);
//! CSV with a column mapping; and the round trip through XES and OCEL 2.0
//! JSON exports gives the same figures again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use process_workbench_core::actions::{Action, LogFormat, Request, Unwatched, execute};
use process_workbench_core::engine::Operator;
use process_workbench_core::import::{
    CsvMapping, Format, ImportOptions, csv_preview, import_file, import_file_with,
};
use process_workbench_core::search::ProcessFilter;
use process_workbench_core::store::{Store, StreamFilter};
use serde_json::Value;

use crate::import_common::*;

/// pm4py's figures of the shared logs.
fn pm4py_figures() -> BTreeMap<String, Value> {
    let text = include_str!("data/pm4py_figures.json");
    serde_json::from_str(text).expect("pm4py_figures.json parses")
}

fn import(store: &Path, format: Format, input: &Path) {
    import_file(store, format, input, &Operator::current(), &mut |_| true)
        .unwrap_or_else(|error| panic!("{}: {error}", input.display()));
}

/// The figures pm4py gives a log, read from a store: cases (objects with
/// events) = streams, events, activities = event types, variants; for OCEL
/// also object types (process types) and event-to-object relations.
#[derive(Debug, PartialEq, Eq)]
struct StoreFigures {
    streams: u64,
    events: u64,
    activities: usize,
    variants: u64,
    process_types: usize,
    relations: u64,
}

fn store_figures(path: &Path) -> StoreFigures {
    let (streams, events, activities, variants) = figures(path);
    let store = Store::open(path).expect("open");
    let reader = store.read().expect("read");
    let mut process_types = std::collections::BTreeSet::new();
    let mut after: Option<String> = None;
    loop {
        let page = reader
            .streams(&StreamFilter::default(), after.as_deref(), 1024)
            .expect("streams");
        for info in &page.items {
            process_types.insert(info.process_type.clone());
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut relations = 0u64;
    let mut from = 1;
    loop {
        let page = reader.log(from, 1024).expect("log");
        let Some(last) = page.last() else { break };
        from = last.position + 1;
        relations += page
            .iter()
            .map(|event| 1 + event.other_streams.len() as u64)
            .sum::<u64>();
    }
    StoreFigures {
        streams,
        events,
        activities,
        variants,
        process_types: process_types.len(),
        relations,
    }
}

fn figure(values: &Value, name: &str) -> u64 {
    values[name]
        .as_u64()
        .unwrap_or_else(|| panic!("{name} in {values}"))
}

/// Asserts that a store has the figures pm4py read from `file`.
fn assert_pm4py_figures(file: &str, expected: &Value, store: &Path) {
    let found = store_figures(store);
    if expected["kind"] == "ocel" {
        // Every object of the shared OCEL log has events, so objects = streams.
        assert_eq!(
            found.streams,
            figure(expected, "objects"),
            "{file}: objects"
        );
        assert_eq!(found.events, figure(expected, "events"), "{file}: events");
        assert_eq!(
            found.activities as u64,
            figure(expected, "activities"),
            "{file}: activities"
        );
        assert_eq!(
            found.process_types as u64,
            figure(expected, "object_types"),
            "{file}: object types"
        );
        assert_eq!(
            found.relations,
            figure(expected, "relations"),
            "{file}: event-to-object relations"
        );
    } else {
        assert_eq!(
            (
                found.streams,
                found.events,
                found.activities as u64,
                found.variants
            ),
            (
                figure(expected, "cases"),
                figure(expected, "events"),
                figure(expected, "activities"),
                figure(expected, "variants")
            ),
            "{file}: cases, events, activities, variants"
        );
    }
}

#[test]
fn every_shared_log_gives_pm4pys_figures() {
    let Some(data) = data_dir("formats::every_shared_log_gives_pm4pys_figures") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let expected = pm4py_figures();
    assert!(expected.len() >= 8, "figures of every shared log");
    for (file, values) in &expected {
        let input = data.join(file);
        let format = Format::detect(&input).unwrap_or_else(|| panic!("{file}: detected"));
        let store = dir.path().join(format!("{file}.redb"));
        import(&store, format, &input);
        assert_pm4py_figures(file, values, &store);
        assert_checks(&store);
    }
}

/// The same name with the content of another form: the form comes from the content.
#[test]
fn the_ocel_form_is_found_from_the_content() {
    let Some(data) = data_dir("formats::the_ocel_form_is_found_from_the_content") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    for file in ["ocel20_example.xmlocel", "ocel20_example.sqlite"] {
        let disguised = dir.path().join(format!("{file}.data"));
        std::fs::copy(data.join(file), &disguised).expect("copy");
        assert_eq!(Format::detect(&disguised), Some(Format::Ocel), "{file}");
        let store = dir.path().join(format!("{file}.redb"));
        import(&store, Format::Ocel, &disguised);
        assert_eq!(figures(&store).1, 13, "{file}");
    }
}

/// OCEL 1.0 XML (the form pm4py writes), read by the workbench's own reader.
#[test]
fn ocel1_xml_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(dir.path(), "orders.xmlocel", SMALL_OCEL1_XML.as_bytes());
    assert_eq!(Format::detect(&input), Some(Format::Ocel));
    let store = dir.path().join("orders.redb");
    import(&store, Format::Ocel, &input);
    let found = store_figures(&store);
    assert_eq!((found.streams, found.events, found.relations), (2, 3, 4));
    let opened = Store::open(&store).expect("open");
    let reader = opened.read().expect("read");
    let events = reader.log(1, 10).expect("log");
    assert_eq!(events[0].event_type, "place order");
    assert_eq!(events[0].payload["price"], 10.5);
    assert_eq!(events[2].other_streams.len(), 1);
    let order = reader.stream("o1").expect("read").expect("o1");
    assert_eq!(order.process_type, "order");
    assert_eq!(order.metadata["attributes"]["customer"], "ACME");
    assert_checks(&store);
}

const SMALL_OCEL1_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<log>
  <global scope="event"><list key="attribute-names"><string key="attribute-name" value="price"/></list></global>
  <global scope="log"><string key="version" value="1.0"/></global>
  <events>
    <event>
      <string key="id" value="e1"/>
      <string key="activity" value="place order"/>
      <date key="timestamp" value="2021-01-01T09:00:00+00:00"/>
      <list key="omap"><string key="object-id" value="o1"/></list>
      <list key="vmap"><float key="price" value="10.5"/></list>
    </event>
    <event>
      <string key="id" value="e0"/>
      <string key="activity" value="pick item"/>
      <date key="timestamp" value="2021-01-01T09:30:00+00:00"/>
      <list key="omap"><string key="object-id" value="i1"/></list>
      <list key="vmap"/>
    </event>
    <event>
      <string key="ocel:id" value="e2"/>
      <string key="ocel:activity" value="ship"/>
      <date key="ocel:timestamp" value="2021-01-02 10:00:00"/>
      <list key="ocel:omap"><string key="object-id" value="o1"/><string key="object-id" value="i1"/></list>
    </event>
  </events>
  <objects>
    <object>
      <string key="id" value="o1"/>
      <string key="type" value="order"/>
      <list key="ovmap"><string key="customer" value="ACME"/></list>
    </object>
    <object>
      <string key="id" value="i1"/>
      <string key="type" value="item"/>
    </object>
  </objects>
</log>
"#;

#[test]
fn csv_with_the_xes_names_is_the_running_example() {
    let Some(data) = data_dir("formats::csv_with_the_xes_names_is_the_running_example") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let input = data.join("running-example.csv");
    assert_eq!(Format::detect(&input), Some(Format::Csv));
    let preview = csv_preview(&input, 3).expect("preview");
    assert_eq!(preview.rows.len(), 3);
    assert_eq!(CsvMapping::guess(&preview.headers), CsvMapping::default());
    let csv_store = dir.path().join("csv.redb");
    import(&csv_store, Format::Csv, &input);
    let xes_store = dir.path().join("xes.redb");
    import(&xes_store, Format::Xes, &data.join("running-example.xes"));
    assert_eq!(figures(&csv_store), figures(&xes_store));
    let store = Store::open(&csv_store).expect("open");
    let reader = store.read().expect("read");
    let case = reader.stream("3").expect("read").expect("case 3");
    assert_eq!(case.metadata["attributes"]["creator"], "Fluxicon Nitro");
    let events = reader.stream_events("3", 1, 100).expect("events");
    assert_eq!(events[0].event_type, "register request");
    assert_eq!(events[0].payload["org:resource"], "Pete");
    // Costs holds only integers: a number, as pandas reads it.
    assert_eq!(events[0].payload["Costs"], 50);
    assert_eq!(
        events[0].occurred_at,
        time::macros::datetime!(2010-12-30 14:32:00 +01:00)
    );
    assert_checks(&csv_store);
}

#[test]
fn csv_columns_are_mapped_and_times_read_as_pandas_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "Case ID;Activity;When;Resource;case:region\n\
                c2;approve;2024-03-01 10:00:00;Ann;north\n\
                c1;register;2024-03-01T08:00:00+01:00;Bob;south\n\
                c1;approve;2024-03-01T08:30:00Z;Ann;south\n\
                c1;check;2024-03-01 07:45:00.250;Cy;south\n\
                c2;register;2024-02-29;Bob;north\n";
    let input = write_file(dir.path(), "claims.csv", text.as_bytes());
    let options = ImportOptions {
        csv: CsvMapping {
            case: "Case ID".to_string(),
            activity: "Activity".to_string(),
            timestamp: "When".to_string(),
        },
        ..ImportOptions::default()
    };
    let store = dir.path().join("claims.redb");
    import_file_with(
        &store,
        Format::Csv,
        &input,
        &options,
        &Operator::current(),
        &mut |_| true,
    )
    .expect("import");
    assert_eq!(figures(&store), (2, 5, 3, 2));
    let opened = Store::open(&store).expect("open");
    let reader = opened.read().expect("read");
    let c1: Vec<String> = reader
        .stream_events("c1", 1, 10)
        .expect("events")
        .into_iter()
        .map(|event| event.event_type)
        .collect();
    // 07:00Z (08:00+01:00), 07:45:00.250Z (no offset: UTC), 08:30Z.
    assert_eq!(c1, ["register", "check", "approve"]);
    let c2 = reader.stream("c2").expect("read").expect("c2");
    assert_eq!(c2.metadata["attributes"]["region"], "north");
    let first = &reader.stream_events("c2", 1, 1).expect("events")[0];
    assert_eq!(first.event_type, "register");
    assert_eq!(first.payload["Resource"], "Bob");
    assert!(first.payload.get("case:region").is_none());
    assert_checks(&store);
}

/// Exports every shared log's store as XES and as OCEL 2.0 JSON, imports the
/// exports again, and finds the same figures.
#[test]
fn exports_round_trip_with_the_same_figures() {
    let Some(data) = data_dir("formats::exports_round_trip_with_the_same_figures") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    for file in pm4py_figures().keys() {
        let input = data.join(file);
        let format = Format::detect(&input).expect("detected");
        let store = dir.path().join(format!("{file}.redb"));
        import(&store, format, &input);
        let original = store_figures(&store);
        let opened = Store::open(&store).expect("open");
        for log_format in LogFormat::ALL {
            let out = dir
                .path()
                .join(format!("{file}.export.{}", log_format.extension()));
            let request = Request::now(
                Action::ExportLog {
                    format: log_format,
                    streams: Vec::new(),
                    filter: ProcessFilter::default(),
                    out: out.clone(),
                },
                "",
            );
            execute(&opened, &request, &Unwatched).expect("export");
            let again = dir
                .path()
                .join(format!("{file}.again.{}.redb", log_format.extension()));
            let again_format = Format::detect(&out).expect("export detected");
            import(&again, again_format, &out);
            let found = store_figures(&again);
            let is_xes = log_format == LogFormat::Xes;
            assert_eq!(
                (found.streams, found.activities),
                (original.streams, original.activities),
                "{file} via {log_format:?}"
            );
            if is_xes {
                // A trace per stream: an event of several objects is in each.
                assert_eq!(found.events, original.relations, "{file} via XES");
                assert_eq!(found.variants, original.variants, "{file} via XES");
            } else {
                assert_eq!(found.events, original.events, "{file} via OCEL");
                assert_eq!(found.relations, original.relations, "{file} via OCEL");
                assert_eq!(found.variants, original.variants, "{file} via OCEL");
                assert_eq!(
                    found.process_types, original.process_types,
                    "{file} via OCEL"
                );
            }
        }
    }
}

#[test]
fn an_export_of_some_streams_holds_only_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(dir.path(), "small.xes", SMALL_XES.as_bytes());
    let store = dir.path().join("small.redb");
    import(&store, Format::Xes, &input);
    let opened = Store::open(&store).expect("open");
    let out: PathBuf = dir.path().join("one.xes");
    let request = Request::now(
        Action::ExportLog {
            format: LogFormat::Xes,
            streams: vec!["a#2".to_string()],
            filter: ProcessFilter::default(),
            out: out.clone(),
        },
        "",
    );
    execute(&opened, &request, &Unwatched).expect("export");
    let again = dir.path().join("one.redb");
    import(&again, Format::Xes, &out);
    assert_eq!(figures(&again), (1, 1, 1, 1));
    let unknown = Request::now(
        Action::ExportLog {
            format: LogFormat::Ocel,
            streams: vec!["nope".to_string()],
            filter: ProcessFilter::default(),
            out: dir.path().join("none.jsonocel"),
        },
        "",
    );
    let error = execute(&opened, &unknown, &Unwatched).expect_err("unknown stream");
    assert!(error.to_string().contains("nope"), "{error}");
    assert!(!dir.path().join("none.jsonocel").exists());
}
