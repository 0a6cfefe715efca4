//! Search and filtering (`process_workbench_core::search`) on a real demo
//! store: every scan agrees with a plain walk over everything, reports its
//! progress page by page, stops when asked, and leaves damaged records out.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use process_workbench_core::search::{
    EventFilter, EventScan, JsonPathScope, SCAN_PAGE, StreamQuery, StreamSort, StreamSortColumn,
    estimate_streams, scan_events, scan_streams, stream_anchors,
};
use process_workbench_core::store::{
    Event, Store, StoreReader, StreamFilter, StreamInfo, StreamStatus, all_pages, schema,
};
use serde_json::Value;
use serde_json_path::JsonPath;

use crate::common::demo_store;

/// Every event of the log, decoded.
fn all_events(reader: &StoreReader) -> Vec<Event> {
    reader.log(1, usize::MAX).unwrap()
}

/// Every stream record, in id order.
fn all_streams(reader: &StoreReader) -> Vec<StreamInfo> {
    all_pages(|after| reader.streams(&StreamFilter::default(), after.as_deref(), 500)).unwrap()
}

/// The scan of `filter`, never stopped.
fn scan(reader: &StoreReader, filter: &EventFilter) -> EventScan {
    scan_events(reader, filter, &mut |_| ControlFlow::Continue(())).unwrap()
}

fn path(text: &str) -> JsonPath {
    EventFilter::parse_json_path(text).unwrap()
}

fn finds(path: &JsonPath, value: &Value) -> bool {
    !path.query(value).is_empty()
}

/// Positions of the events `keep` keeps, walked one by one.
fn expected(events: &[Event], keep: impl Fn(&Event) -> bool) -> Vec<u64> {
    events
        .iter()
        .filter(|event| keep(event))
        .map(|event| event.position)
        .collect()
}

#[test]
fn a_json_path_is_looked_for_in_the_payload_and_the_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(demo_store(dir.path(), 60)).unwrap();
    let reader = store.read().unwrap();
    let events = all_events(&reader);

    // The engine keeps the state an event left in its metadata; payloads
    // carry business fields.
    let in_metadata = path("$.from_state");
    let in_payload = path("$.grid_operator");
    for (json_path, scope) in [
        (&in_metadata, JsonPathScope::PayloadAndMetadata),
        (&in_metadata, JsonPathScope::Payload),
        (&in_metadata, JsonPathScope::Metadata),
        (&in_payload, JsonPathScope::PayloadAndMetadata),
        (&in_payload, JsonPathScope::Payload),
        (&in_payload, JsonPathScope::Metadata),
    ] {
        let filter = EventFilter {
            json_path: Some(json_path.clone()),
            json_path_scope: scope,
            ..EventFilter::default()
        };
        let want = expected(&events, |event| match scope {
            JsonPathScope::PayloadAndMetadata => {
                finds(json_path, &event.payload) || finds(json_path, &event.metadata)
            }
            JsonPathScope::Payload => finds(json_path, &event.payload),
            JsonPathScope::Metadata => finds(json_path, &event.metadata),
        });
        let found = scan(&reader, &filter);
        assert_eq!(found.positions, want, "{json_path} in {scope:?}");
        assert_eq!(found.scanned, events.len() as u64);
        assert_eq!(found.damaged, 0);
        assert!(!found.cancelled);
    }
    let metadata_only = scan(
        &reader,
        &EventFilter {
            json_path: Some(in_metadata.clone()),
            ..EventFilter::default()
        },
    );
    assert!(
        !metadata_only.positions.is_empty(),
        "the demo's events carry from_state in their metadata"
    );
    let payload_only = scan(
        &reader,
        &EventFilter {
            json_path: Some(in_payload.clone()),
            ..EventFilter::default()
        },
    );
    assert!(
        !payload_only.positions.is_empty(),
        "the demo's payloads name grid operators"
    );
    assert!(payload_only.positions.len() < events.len());

    // A filter expression: nodes that satisfy it, not just a field that exists.
    let household = path("$.customer[?@.type == 'household']");
    let found = scan(
        &reader,
        &EventFilter {
            json_path: Some(household.clone()),
            ..EventFilter::default()
        },
    );
    assert_eq!(
        found.positions,
        expected(&events, |event| finds(&household, &event.payload)
            || finds(&household, &event.metadata))
    );
}

#[test]
fn every_part_of_the_filter_narrows_as_a_walk_over_the_log_does() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(demo_store(dir.path(), 60)).unwrap();
    let reader = store.read().unwrap();
    let events = all_events(&reader);
    let streams = all_streams(&reader);
    let process_type_of = |stream_id: &str| {
        streams
            .iter()
            .find(|info| info.stream_id == stream_id)
            .map(|info| info.process_type.clone())
    };

    // Two event types, the most common ones.
    let mut by_type: std::collections::BTreeMap<&str, u64> = Default::default();
    for event in &events {
        *by_type.entry(event.event_type.as_str()).or_default() += 1;
    }
    let mut common: Vec<(&str, u64)> = by_type.into_iter().collect();
    common.sort_by_key(|(kind, count)| (std::cmp::Reverse(*count), *kind));
    let types: BTreeSet<String> = common
        .iter()
        .take(2)
        .map(|(kind, _)| kind.to_string())
        .collect();
    let filter = EventFilter {
        event_types: types.clone(),
        ..EventFilter::default()
    };
    let want = expected(&events, |event| types.contains(&event.event_type));
    assert!(!want.is_empty());
    assert_eq!(scan(&reader, &filter).positions, want);

    // A time window, both ends included.
    let middle = &events[events.len() / 2];
    let late = &events[events.len() * 3 / 4];
    let (from, to) = (middle.occurred_at, late.occurred_at.max(middle.occurred_at));
    let filter = EventFilter {
        from: Some(from),
        to: Some(to),
        ..EventFilter::default()
    };
    let want = expected(&events, |event| {
        event.occurred_at >= from && event.occurred_at <= to
    });
    let found = scan(&reader, &filter).positions;
    assert_eq!(found, want);
    assert!(found.contains(&middle.position) && found.contains(&late.position));

    // One stream: read from its index, the same events as a walk.
    let busiest = streams.iter().max_by_key(|info| info.version).unwrap();
    let filter = EventFilter {
        stream_id: Some(busiest.stream_id.clone()),
        ..EventFilter::default()
    };
    let found = scan(&reader, &filter);
    let want = expected(&events, |event| {
        event
            .memberships()
            .any(|(stream, _)| stream == busiest.stream_id)
    });
    assert_eq!(found.positions, want);
    assert_eq!(found.positions.len() as u64, busiest.version);
    assert_eq!(
        found.scanned, busiest.version,
        "only the stream's entries are read"
    );

    // A conversation: read from the correlation index.
    let correlation = events
        .iter()
        .find_map(|event| event.correlation_id)
        .unwrap();
    let filter = EventFilter {
        correlation: Some(correlation),
        ..EventFilter::default()
    };
    let found = scan(&reader, &filter);
    let want = expected(&events, |event| event.correlation_id == Some(correlation));
    assert_eq!(found.positions, want);
    assert_eq!(found.scanned, want.len() as u64);

    // A process type: the type of the event's own stream.
    let kind = streams[0].process_type.clone();
    let filter = EventFilter {
        process_type: Some(kind.clone()),
        ..EventFilter::default()
    };
    let want = expected(&events, |event| {
        process_type_of(&event.stream_id).as_ref() == Some(&kind)
    });
    assert!(!want.is_empty() && want.len() < events.len());
    assert_eq!(scan(&reader, &filter).positions, want);

    // Everything at once.
    let json_path = path("$.from_state");
    let filter = EventFilter {
        event_types: types.clone(),
        process_type: Some(kind.clone()),
        from: Some(events[0].occurred_at),
        to: Some(late.occurred_at),
        json_path: Some(json_path.clone()),
        ..EventFilter::default()
    };
    let want = expected(&events, |event| {
        types.contains(&event.event_type)
            && process_type_of(&event.stream_id).as_ref() == Some(&kind)
            && event.occurred_at <= late.occurred_at
            && (finds(&json_path, &event.payload) || finds(&json_path, &event.metadata))
    });
    assert_eq!(scan(&reader, &filter).positions, want);

    // The empty filter lets every event through; one event tested alone agrees.
    assert!(EventFilter::default().is_empty());
    assert_eq!(
        scan(&reader, &EventFilter::default()).positions,
        expected(&events, |_| true)
    );
    for event in &events {
        assert_eq!(
            filter.matches(&reader, event),
            want.contains(&event.position),
            "event at {}",
            event.position
        );
    }
}

#[test]
fn a_scan_reports_each_page_and_stops_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(demo_store(dir.path(), 250)).unwrap();
    let reader = store.read().unwrap();
    let last = reader.last_position().unwrap();
    assert!(
        last > 2 * SCAN_PAGE as u64,
        "the demo has several pages of events ({last})"
    );
    let filter = EventFilter {
        json_path: Some(path("$.from_state")),
        ..EventFilter::default()
    };

    let mut pages = Vec::new();
    let mut streamed = Vec::new();
    let whole = scan_events(&reader, &filter, &mut |page| {
        pages.push((page.scanned, page.total));
        streamed.extend_from_slice(page.matches);
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(
        streamed, whole.positions,
        "the pages' matches add up to the result"
    );
    assert_eq!(pages.len() as u64, last / SCAN_PAGE as u64 + 1);
    assert!(pages.iter().all(|(_, total)| *total == last));
    assert!(pages.windows(2).all(|pair| pair[0].0 < pair[1].0));
    assert_eq!(pages.last().map(|(scanned, _)| *scanned), Some(last));

    // Cancelled after the first page: what that page found, and no more.
    let mut calls = 0;
    let stopped = scan_events(&reader, &filter, &mut |_| {
        calls += 1;
        ControlFlow::Break(())
    })
    .unwrap();
    assert_eq!(calls, 1);
    assert!(stopped.cancelled);
    assert_eq!(stopped.scanned, SCAN_PAGE as u64);
    let first_page: Vec<u64> = whole
        .positions
        .iter()
        .copied()
        .filter(|position| *position <= SCAN_PAGE as u64)
        .collect();
    assert_eq!(stopped.positions, first_page);
}

#[test]
fn a_bad_json_path_is_named_on_one_line() {
    let error = EventFilter::parse_json_path("  $.amount[  ").unwrap_err();
    assert_eq!(error.text, "$.amount[");
    let line = error.to_string();
    assert!(line.contains("\"$.amount[\""), "{line}");
    assert!(!line.contains('\n'), "{line}");
    let error = EventFilter::parse_json_path("amount").unwrap_err();
    assert!(error.message.contains("starts with $"), "{error}");
    assert!(EventFilter::parse_json_path("$..amount").is_ok());
}

#[test]
fn damaged_records_pass_no_filter_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path_ = demo_store(dir.path(), 20);
    let damaged_at = 5u64;
    {
        let db = redb::Database::open(&path_).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let mut table = tx.open_table(schema::EVENTS).unwrap();
            table.insert(damaged_at, b"{not json".as_slice()).unwrap();
        }
        tx.commit().unwrap();
    }
    let store = Store::open(&path_).unwrap();
    let reader = store.read().unwrap();
    let last = reader.last_position().unwrap();
    let found = scan(&reader, &EventFilter::default());
    assert_eq!(found.damaged, 1);
    assert_eq!(found.scanned, last);
    assert_eq!(found.positions.len() as u64, last - 1);
    assert!(!found.positions.contains(&damaged_at));
}

#[test]
fn stream_scans_agree_with_a_walk_over_every_stream() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(demo_store(dir.path(), 60)).unwrap();
    let reader = store.read().unwrap();
    let streams = all_streams(&reader);
    let run = |query: &StreamQuery| {
        scan_streams(&reader, query, &mut |_| ControlFlow::Continue(()))
            .unwrap()
            .ids
    };
    let ids = |infos: Vec<&StreamInfo>| -> Vec<String> {
        infos
            .into_iter()
            .map(|info| info.stream_id.clone())
            .collect()
    };

    // A search inside ids ignores case.
    let needle = streams[0].stream_id[..3].to_ascii_uppercase();
    let query = StreamQuery {
        contains: Some(needle.clone()),
        ..StreamQuery::default()
    };
    let want = ids(streams
        .iter()
        .filter(|info| {
            info.stream_id
                .to_ascii_lowercase()
                .contains(&needle.to_ascii_lowercase())
        })
        .collect());
    assert!(!want.is_empty());
    assert_eq!(run(&query), want);

    // A variant, within a status.
    let variant = streams[streams.len() / 2].variant;
    let status = streams[streams.len() / 2].status;
    let query = StreamQuery {
        filter: StreamFilter {
            status: Some(status),
            ..StreamFilter::default()
        },
        variant: Some(variant),
        ..StreamQuery::default()
    };
    let want = ids(streams
        .iter()
        .filter(|info| info.variant == variant && info.status == status)
        .collect());
    assert!(!want.is_empty());
    assert_eq!(run(&query), want);

    // Sorted by version, largest first; ties in id order.
    let query = StreamQuery {
        sort: StreamSort {
            column: StreamSortColumn::Version,
            descending: true,
        },
        ..StreamQuery::default()
    };
    let mut sorted: Vec<&StreamInfo> = streams.iter().collect();
    sorted.sort_by(|a, b| {
        b.version
            .cmp(&a.version)
            .then(a.stream_id.cmp(&b.stream_id))
    });
    assert_eq!(run(&query), ids(sorted));

    // Sorted by status: failed first.
    let query = StreamQuery {
        sort: StreamSort {
            column: StreamSortColumn::Status,
            descending: false,
        },
        ..StreamQuery::default()
    };
    let rank = |status: StreamStatus| match status {
        StreamStatus::Failed => 0,
        StreamStatus::Running => 1,
        StreamStatus::Completed => 2,
    };
    let mut sorted: Vec<&StreamInfo> = streams.iter().collect();
    sorted.sort_by_key(|info| (rank(info.status), info.stream_id.clone()));
    assert_eq!(run(&query), ids(sorted));

    // By id, descending.
    let query = StreamQuery {
        sort: StreamSort {
            column: StreamSortColumn::Id,
            descending: true,
        },
        ..StreamQuery::default()
    };
    let mut reversed = ids(streams.iter().collect());
    reversed.reverse();
    assert_eq!(run(&query), reversed);
}

#[test]
fn anchors_make_every_page_of_a_filtered_list_reachable() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(demo_store(dir.path(), 60)).unwrap();
    let reader = store.read().unwrap();
    let streams = all_streams(&reader);
    let kind = streams[0].process_type.clone();
    let filter = StreamFilter {
        process_type: Some(kind.clone()),
        ..StreamFilter::default()
    };
    let of_kind: Vec<String> = streams
        .iter()
        .filter(|info| info.process_type == kind)
        .map(|info| info.stream_id.clone())
        .collect();
    assert_eq!(
        estimate_streams(&reader, &filter).unwrap(),
        Some(of_kind.len() as u64)
    );
    let every = 7;
    let mut told = Vec::new();
    let walk = stream_anchors(&reader, &filter, every, &mut |page| {
        told.extend_from_slice(page.anchors);
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(walk.count, of_kind.len() as u64);
    assert_eq!(walk.anchors, told);
    let want: Vec<String> = of_kind
        .iter()
        .skip(every - 1)
        .step_by(every)
        .cloned()
        .collect();
    assert_eq!(walk.anchors, want);
    // Page 2 starts right after its anchor.
    let page = reader
        .stream_ids(&filter, walk.anchors.first().map(String::as_str), every)
        .unwrap();
    assert_eq!(page, of_kind[every..(2 * every).min(of_kind.len())]);
}
