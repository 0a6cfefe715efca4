//! The process filter (`search::select_processes`) on real stores — the demo
//! store, the helpdesk log and the OCEL 2.0 example imported — against a
//! plain walk over every stream and its events; and filters saved by name.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use process_workbench_core::actions::{Action, Request, Unwatched, execute};
use process_workbench_core::engine::Operator;
use process_workbench_core::import::{Format, import_file};
use process_workbench_core::search::{
    ProcessFilter, ProcessFilterError, ProcessPathScope, ProcessSelection, SAVED_FILTERS_FILE,
    SavedFilters, TimeWindowMode, select_processes,
};
use process_workbench_core::store::{
    Event, Store, StoreReader, StreamFilter, StreamInfo, StreamStatus, all_pages,
};
use serde_json::Value;
use serde_json_path::JsonPath;
use time::Duration;

use crate::common::{bytes_of, demo_store};
use crate::import_common::data_dir;

/// Every stream with its events.
fn every_stream(reader: &StoreReader) -> Vec<(StreamInfo, Vec<Event>)> {
    all_pages(|after| reader.streams(&StreamFilter::default(), after.as_deref(), 500))
        .unwrap()
        .into_iter()
        .map(|info| {
            let events = reader
                .stream_events(&info.stream_id, 1, usize::MAX)
                .unwrap();
            (info, events)
        })
        .collect()
}

fn select(reader: &StoreReader, filter: &ProcessFilter) -> ProcessSelection {
    select_processes(reader, filter, &mut |_| ControlFlow::Continue(())).unwrap()
}

fn finds(path: &JsonPath, value: &Value) -> bool {
    !path.query(value).is_empty()
}

/// What the filter keeps, decided stream by stream from everything.
fn walked(streams: &[(StreamInfo, Vec<Event>)], filter: &ProcessFilter) -> Vec<String> {
    let path = filter
        .json_path
        .as_deref()
        .map(|text| JsonPath::parse(text).unwrap());
    streams
        .iter()
        .filter(|(info, events)| {
            let first = events.first().map(|event| event.occurred_at);
            let last = events.last().map(|event| event.occurred_at);
            let (Some(first), Some(last)) = (first, last) else {
                return false;
            };
            let window = match filter.time_mode {
                TimeWindowMode::Intersecting => {
                    filter.to.is_none_or(|to| first <= to)
                        && filter.from.is_none_or(|from| last >= from)
                }
                TimeWindowMode::Contained => {
                    filter.from.is_none_or(|from| first >= from)
                        && filter.to.is_none_or(|to| last <= to)
                }
                TimeWindowMode::Started => {
                    filter.from.is_none_or(|from| first >= from)
                        && filter.to.is_none_or(|to| first <= to)
                }
            };
            let types: BTreeSet<&str> = events
                .iter()
                .map(|event| event.event_type.as_str())
                .collect();
            let found = path.as_ref().is_none_or(|path| {
                let in_stream = finds(path, &info.metadata);
                let in_payload = events.iter().any(|event| finds(path, &event.payload));
                let in_metadata = events.iter().any(|event| finds(path, &event.metadata));
                match filter.json_path_in {
                    ProcessPathScope::Anywhere => in_stream || in_payload || in_metadata,
                    ProcessPathScope::Payload => in_payload,
                    ProcessPathScope::EventMetadata => in_metadata,
                    ProcessPathScope::StreamMetadata => in_stream,
                }
            });
            window
                && found
                && filter
                    .process_type
                    .as_ref()
                    .is_none_or(|kind| *kind == info.process_type)
                && filter.status.is_none_or(|status| status == info.status)
                && filter.variant.is_none_or(|variant| variant == info.variant)
                && filter
                    .with_activities
                    .iter()
                    .all(|name| types.contains(name.as_str()))
                && !filter
                    .without_activities
                    .iter()
                    .any(|name| types.contains(name.as_str()))
        })
        .map(|(info, _)| info.stream_id.clone())
        .collect()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|name| name.to_string()).collect()
}

/// Checks `filter` against the walk and returns how many it kept.
fn agrees(
    reader: &StoreReader,
    streams: &[(StreamInfo, Vec<Event>)],
    filter: &ProcessFilter,
) -> usize {
    let selection = select(reader, filter);
    let want = walked(streams, filter);
    assert_eq!(selection.ids, want, "{}", filter.describe());
    assert_eq!(selection.counts.streams, want.len() as u64);
    assert_eq!(selection.unreadable, 0);
    assert!(!selection.cancelled);
    let kept: Vec<&(StreamInfo, Vec<Event>)> = streams
        .iter()
        .filter(|(info, _)| selection.contains(&info.stream_id))
        .collect();
    let events: u64 = kept.iter().map(|(info, _)| info.version).sum();
    assert_eq!(selection.counts.events, events);
    let variants: BTreeSet<u128> = kept.iter().map(|(info, _)| info.variant).collect();
    assert_eq!(selection.counts.variants, variants.len() as u64);
    let failed = kept
        .iter()
        .filter(|(info, _)| info.status == StreamStatus::Failed)
        .count() as u64;
    assert_eq!(selection.counts.by_status["failed"], failed);
    want.len()
}

#[test]
fn every_part_of_a_process_filter_agrees_with_a_walk_over_the_demo_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(demo_store(dir.path(), 150)).unwrap();
    let reader = store.read().unwrap();
    let streams = every_stream(&reader);
    let total = streams.len();

    assert_eq!(agrees(&reader, &streams, &ProcessFilter::default()), total);

    let failed_switches = ProcessFilter {
        process_type: Some("supplier_switch".to_string()),
        status: Some(StreamStatus::Failed),
        ..ProcessFilter::default()
    };
    let kept = agrees(&reader, &streams, &failed_switches);
    assert!(0 < kept && kept < total, "some switches fail: {kept}");

    // The time window, each way, around the middle of the simulation.
    let mut times: Vec<_> = streams.iter().map(|(info, _)| info.created_at).collect();
    times.sort();
    let middle = times[times.len() / 2];
    for time_mode in TimeWindowMode::ALL {
        let window = ProcessFilter {
            from: Some(middle),
            to: Some(middle + Duration::days(7)),
            time_mode,
            ..ProcessFilter::default()
        };
        let kept = agrees(&reader, &streams, &window);
        assert!(0 < kept && kept < total, "{time_mode:?}: {kept}");
    }

    // A variant: the most common one.
    let variant = reader.variants().unwrap()[0].0;
    let one_variant = ProcessFilter {
        variant: Some(variant),
        ..ProcessFilter::default()
    };
    assert_eq!(
        agrees(&reader, &streams, &one_variant) as u64,
        reader.variants().unwrap()[0].1
    );

    // Activities present and absent (read once per variant).
    let rejected = ProcessFilter {
        with_activities: names(&["SwitchRequested", "GridRejection"]),
        ..ProcessFilter::default()
    };
    assert!(agrees(&reader, &streams, &rejected) > 0);
    let not_overdue = ProcessFilter {
        process_type: Some("meter_reading".to_string()),
        without_activities: names(&["ReadingOverdue", "ReadingImplausible"]),
        ..ProcessFilter::default()
    };
    assert!(agrees(&reader, &streams, &not_overdue) > 0);

    // A JSONPath in each place: over the whole log (many streams in
    // question) and stream by stream (few: one process type, failed).
    for json_path in [
        "$.grid_operator",
        "$.from_state",
        "$.customer[?@ == 'household']",
    ] {
        for json_path_in in ProcessPathScope::ALL {
            let everywhere = ProcessFilter {
                json_path: Some(json_path.to_string()),
                json_path_in,
                ..ProcessFilter::default()
            };
            agrees(&reader, &streams, &everywhere);
            let narrow = ProcessFilter {
                status: Some(StreamStatus::Failed),
                process_type: Some("grid_usage_billing".to_string()),
                ..everywhere
            };
            agrees(&reader, &streams, &narrow);
        }
    }
    let household = ProcessFilter {
        json_path: Some("$.customer[?@ == 'household']".to_string()),
        ..ProcessFilter::default()
    };
    let kept = agrees(&reader, &streams, &household);
    assert!(
        0 < kept && kept < total,
        "some customers are households: {kept}"
    );

    // Everything at once.
    let all_parts = ProcessFilter {
        from: Some(times[0]),
        to: Some(middle),
        process_type: Some("supplier_switch".to_string()),
        with_activities: names(&["GridConfirmation"]),
        without_activities: names(&["GridResponseOverdue"]),
        json_path: Some("$.grid_operator".to_string()),
        ..ProcessFilter::default()
    };
    assert!(agrees(&reader, &streams, &all_parts) > 0);
}

#[test]
fn a_stopped_evaluation_keeps_nothing_and_a_bad_filter_reads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(demo_store(dir.path(), 40)).unwrap();
    let reader = store.read().unwrap();
    let stopped = select_processes(&reader, &ProcessFilter::default(), &mut |_| {
        ControlFlow::Break(())
    })
    .unwrap();
    assert!(stopped.cancelled);
    assert!(stopped.ids.is_empty());
    let bad = ProcessFilter {
        json_path: Some("grid_operator".to_string()),
        ..ProcessFilter::default()
    };
    let error = select_processes(&reader, &bad, &mut |_| panic!("nothing is read"))
        .expect_err("not a JSONPath");
    assert!(matches!(error, ProcessFilterError::Invalid(_)), "{error}");
    assert!(error.to_string().contains("starts with $"), "{error}");
}

#[test]
fn process_filters_on_the_helpdesk_log_and_the_ocel_example() {
    let test = "process_filters_on_the_helpdesk_log_and_the_ocel_example";
    let Some(data) = data_dir(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (file, format) in [
        ("helpdesk.xes.gz", Format::Xes),
        ("ocel20_example.jsonocel", Format::Ocel),
    ] {
        let path = dir.path().join(format!("{file}.redb"));
        import_file(
            &path,
            format,
            &data.join(file),
            &Operator::named("test"),
            &mut |_| true,
        )
        .unwrap_or_else(|error| panic!("{file}: {error}"));
        let store = Store::open(&path).unwrap();
        let reader = store.read().unwrap();
        let streams = every_stream(&reader);
        assert_eq!(
            agrees(&reader, &streams, &ProcessFilter::default()),
            streams.len()
        );
        // The most common activity present, then absent: the two split the log.
        let mut counts = std::collections::BTreeMap::<&str, usize>::new();
        for (_, events) in &streams {
            let types: BTreeSet<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
            for name in types {
                *counts.entry(name).or_default() += 1;
            }
        }
        let (common, _) = counts
            .iter()
            .max_by_key(|(name, count)| (**count, std::cmp::Reverse(**name)))
            .unwrap();
        let with = ProcessFilter {
            with_activities: names(&[common]),
            ..ProcessFilter::default()
        };
        let without = ProcessFilter {
            without_activities: names(&[common]),
            ..ProcessFilter::default()
        };
        assert_eq!(
            agrees(&reader, &streams, &with) + agrees(&reader, &streams, &without),
            streams.len(),
            "{file}"
        );
        // Trace attributes are the stream's metadata; event attributes its payload.
        for json_path in ["$.attributes", "$.source", "$['org:resource']", "$.*"] {
            for json_path_in in ProcessPathScope::ALL {
                let filter = ProcessFilter {
                    json_path: Some(json_path.to_string()),
                    json_path_in,
                    ..ProcessFilter::default()
                };
                agrees(&reader, &streams, &filter);
            }
        }
    }
}

#[test]
fn filters_are_saved_and_deleted_by_name_without_touching_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo_store(dir.path(), 20);
    let before = bytes_of(&path);
    let store = Store::open(&path).unwrap();
    let file = dir.path().join("settings").join(SAVED_FILTERS_FILE);
    let failed = ProcessFilter {
        status: Some(StreamStatus::Failed),
        with_activities: names(&["GridRejection"]),
        ..ProcessFilter::default()
    };
    let run = |action: Action| {
        let request = Request {
            action,
            operator: Operator::named("test"),
            reason: String::new(),
            now: time::OffsetDateTime::UNIX_EPOCH,
        };
        execute(&store, &request, &Unwatched)
    };
    let saved = run(Action::SaveFilter {
        file: file.clone(),
        name: "rejected".to_string(),
        filter: failed.clone(),
    })
    .expect("saved on a read-only store: the store is not written");
    assert!(saved.line.contains("rejected"), "{}", saved.line);
    assert_eq!(
        SavedFilters::load(&file).unwrap().get("rejected"),
        Ok(&failed)
    );

    let bad = run(Action::SaveFilter {
        file: file.clone(),
        name: "bad".to_string(),
        filter: ProcessFilter {
            json_path: Some("$[".to_string()),
            ..ProcessFilter::default()
        },
    });
    assert!(bad.is_err(), "a filter that cannot run is not saved");
    assert!(
        run(Action::DeleteFilter {
            file: file.clone(),
            name: "missing".to_string(),
        })
        .is_err()
    );
    run(Action::DeleteFilter {
        file: file.clone(),
        name: "rejected".to_string(),
    })
    .expect("deleted");
    assert!(SavedFilters::load(&file).unwrap().is_empty());
    drop(store);
    assert_eq!(bytes_of(&path), before, "the store was not written");
}

#[test]
fn a_case_listed_out_of_time_order_spans_its_earliest_to_its_latest_event() {
    // XES keeps a trace's events in file order; here the later one comes first.
    let log = r#"<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0">
  <trace>
    <string key="concept:name" value="late-first"/>
    <event><string key="concept:name" value="b"/><date key="time:timestamp" value="2020-01-05T00:00:00Z"/></event>
    <event><string key="concept:name" value="a"/><date key="time:timestamp" value="2020-01-01T00:00:00Z"/></event>
    <event><string key="concept:name" value="c"/><date key="time:timestamp" value="2020-01-03T00:00:00Z"/></event>
  </trace>
</log>
"#;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("order.xes");
    std::fs::write(&input, log).unwrap();
    let path = dir.path().join("order.redb");
    import_file(
        &path,
        Format::Xes,
        &input,
        &Operator::named("test"),
        &mut |_| true,
    )
    .unwrap();
    let store = Store::open(&path).unwrap();
    let reader = store.read().unwrap();
    let info = reader.stream("late-first").unwrap().unwrap();
    let day = |day: u8| {
        time::Date::from_calendar_date(2020, time::Month::January, day)
            .unwrap()
            .midnight()
            .assume_utc()
    };
    assert_eq!((info.created_at, info.updated_at), (day(1), day(5)));
    let window = |mode, from, to| ProcessFilter {
        time_mode: mode,
        from: Some(day(from)),
        to: Some(day(to)),
        ..ProcessFilter::default()
    };
    let kept = |filter: &ProcessFilter| select(&reader, filter).ids.len();
    assert_eq!(kept(&window(TimeWindowMode::Started, 1, 2)), 1);
    assert_eq!(kept(&window(TimeWindowMode::Started, 4, 6)), 0);
    assert_eq!(kept(&window(TimeWindowMode::Contained, 1, 5)), 1);
    assert_eq!(kept(&window(TimeWindowMode::Contained, 2, 6)), 0);
    assert_eq!(kept(&window(TimeWindowMode::Intersecting, 6, 9)), 0);
}
