//! `ExportLog` with a process filter: a XES or OCEL 2.0 JSON export holds
//! exactly the processes `search::select_processes` keeps (with listed
//! streams: those of them it keeps), and importing the export again gives
//! the filtered figures. A filter that cannot be evaluated writes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::path::Path;

use process_workbench_core::actions::{Action, LogFormat, Request, Unwatched, execute};
use process_workbench_core::engine::Operator;
use process_workbench_core::import::{Format, import_file};
use process_workbench_core::search::{ProcessFilter, ProcessSelection, select_processes};
use process_workbench_core::store::{Store, StoreReader, StreamStatus};

use crate::common::demo_store;
use crate::import_common::{data_dir, figures};

fn select(reader: &StoreReader, filter: &ProcessFilter) -> ProcessSelection {
    select_processes(reader, filter, &mut |_| ControlFlow::Continue(())).expect("select")
}

fn export(store: &Store, format: LogFormat, streams: &[&str], filter: &ProcessFilter, out: &Path) {
    let request = Request::now(
        Action::ExportLog {
            format,
            streams: streams.iter().map(|id| id.to_string()).collect(),
            filter: filter.clone(),
            out: out.to_path_buf(),
        },
        "",
    );
    execute(store, &request, &Unwatched).expect("export");
}

fn import(store: &Path, format: Format, input: &Path) {
    import_file(store, format, input, &Operator::named("test"), &mut |_| {
        true
    })
    .unwrap_or_else(|error| panic!("{}: {error}", input.display()));
}

/// Each stream's event types in version order.
fn activities(path: &Path) -> BTreeMap<String, Vec<String>> {
    let store = Store::open(path).expect("open");
    let reader = store.read().expect("read");
    reader
        .all_stream_ids()
        .expect("streams")
        .into_iter()
        .map(|id| {
            let types = reader
                .stream_events(&id, 1, usize::MAX)
                .expect("events")
                .into_iter()
                .map(|event| event.event_type)
                .collect();
            (id, types)
        })
        .collect()
}

/// The distinct events of `ids` (an event of several streams once).
fn distinct_events(reader: &StoreReader, ids: &[String]) -> u64 {
    let mut positions = BTreeSet::new();
    for id in ids {
        let page = reader
            .stream_positions(id, 1, usize::MAX)
            .expect("positions");
        positions.extend(page.into_iter().map(|(_, position)| position));
    }
    positions.len() as u64
}

#[test]
fn a_filtered_export_holds_exactly_the_processes_the_filter_keeps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = demo_store(dir.path(), 120);
    let store = Store::open(&path).expect("open");
    let filter = ProcessFilter {
        status: Some(StreamStatus::Failed),
        ..ProcessFilter::default()
    };
    let reader = store.read().expect("read");
    let kept = select(&reader, &filter);
    let total = reader.all_stream_ids().expect("streams").len() as u64;
    drop(reader);
    assert!(
        kept.counts.streams > 1 && kept.counts.streams < total,
        "the demo store has some failed processes and others: {} of {total}",
        kept.counts.streams
    );
    let original = activities(&path);
    let expected: BTreeMap<String, Vec<String>> = kept
        .ids
        .iter()
        .map(|id| (id.clone(), original[id].clone()))
        .collect();

    for (format, import_as) in [
        (LogFormat::Xes, Format::Xes),
        (LogFormat::Ocel, Format::Ocel),
    ] {
        let out = dir.path().join(format!("failed.{}", format.extension()));
        export(&store, format, &[], &filter, &out);
        let again = dir
            .path()
            .join(format!("failed.{}.redb", format.extension()));
        import(&again, import_as, &out);
        assert_eq!(activities(&again), expected, "{format:?}");
        let (streams, events, _, _) = figures(&again);
        assert_eq!(
            (streams, events),
            (kept.counts.streams, kept.counts.events),
            "{format:?}: the filtered figures"
        );
    }

    // Listed streams and a filter: the listed ones the filter keeps.
    let failed = kept.ids[0].as_str();
    let other = original
        .keys()
        .find(|id| !kept.contains(id))
        .expect("a process the filter leaves out")
        .as_str();
    let both = dir.path().join("both.xes");
    export(&store, LogFormat::Xes, &[failed, other], &filter, &both);
    let again = dir.path().join("both.redb");
    import(&again, Format::Xes, &both);
    let found: Vec<String> = activities(&again).into_keys().collect();
    assert_eq!(found, [failed]);

    // A filter that cannot be evaluated is refused and writes nothing.
    let broken = ProcessFilter {
        json_path: Some("$[".to_string()),
        ..ProcessFilter::default()
    };
    let out = dir.path().join("broken.xes");
    let request = Request::now(
        Action::ExportLog {
            format: LogFormat::Xes,
            streams: Vec::new(),
            filter: broken,
            out: out.clone(),
        },
        "",
    );
    let error = execute(&store, &request, &Unwatched).expect_err("a broken JSONPath");
    assert_eq!(error.to_string().lines().count(), 1, "{error}");
    assert!(!out.exists(), "nothing written");
}

/// An OCEL log filtered by object type (invoices): the export holds the kept objects,
/// every event of theirs once, related only to exported objects.
#[test]
fn a_filtered_ocel_export_of_the_ocel_example_round_trips() {
    let test = "export_filter::a_filtered_ocel_export_of_the_ocel_example_round_trips";
    let Some(data) = data_dir(test) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ocel.redb");
    import(&path, Format::Ocel, &data.join("ocel20_example.jsonocel"));
    let store = Store::open(&path).expect("open");
    let filter = ProcessFilter {
        process_type: Some("Invoice".to_string()),
        ..ProcessFilter::default()
    };
    let reader = store.read().expect("read");
    let kept = select(&reader, &filter);
    assert!(kept.counts.streams > 0, "the example has invoices");
    let events = distinct_events(&reader, &kept.ids);
    drop(reader);
    let out = dir.path().join("invoices.jsonocel");
    export(&store, LogFormat::Ocel, &[], &filter, &out);
    let again = dir.path().join("invoices.redb");
    import(&again, Format::Ocel, &out);
    let (streams, found_events, _, _) = figures(&again);
    assert_eq!(
        (streams, found_events),
        (kept.counts.streams, events),
        "invoices and their events"
    );
    let imported = Store::open(&again).expect("open");
    let reader = imported.read().expect("read");
    let ids = reader.all_stream_ids().expect("streams");
    assert_eq!(ids, kept.ids);
    // Each event relates to invoices only: its relations are the invoices' events.
    let relations: u64 = ids
        .iter()
        .map(|id| reader.stream(id).expect("read").expect("stream").version)
        .sum();
    assert_eq!(relations, kept.counts.events);
}
