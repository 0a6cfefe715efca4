//! Each shared real log imported into a new store: the figures of
//! ../shared/data/README.md (as pm4py reads the logs), the integrity check,
//! OCEL's shared events and multiple causes, variants, re-imports. Without
//! the folder (`PW_SHARED_DATA` names another), the tests that need it report
//! `SKIPPED: …` instead of running.

use crate::import_common::*;
use process_workbench_core::import::{Format, import_file, variant_sequences};
use process_workbench_core::store::Store;

/// file, cases, events, distinct activities, variants (README.md of the data folder).
const FIGURES: [(&str, u64, u64, usize, u64); 4] = [
    ("running-example.xes", 6, 42, 8, 6),
    ("08_receipt.xes.gz", 1_434, 8_577, 27, 116),
    ("helpdesk.xes.gz", 4_580, 21_348, 14, 226),
    ("07_bpic2013_incidents.xes.gz", 7_554, 65_533, 4, 1_511),
];

#[test]
fn shared_xes_logs_match_the_readme_figures() {
    let Some(data) = data_dir("import_real_logs::shared_xes_logs_match_the_readme_figures") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    for (file, cases, events, activities, variants) in FIGURES {
        let input = data.join(file);
        assert_eq!(Format::detect(&input), Some(Format::Xes), "{file}");
        let store = dir.path().join(format!("{file}.pwb"));
        let report = import_file(
            &store,
            Format::Xes,
            &input,
            &process_workbench_core::engine::Operator::current(),
            &mut |_| true,
        )
        .unwrap_or_else(|error| panic!("{file}: {error}"));
        assert_eq!((report.streams, report.events), (cases, events), "{file}");
        assert_eq!(
            figures(&store),
            (cases, events, activities, variants),
            "{file}: streams, events, event types, variants"
        );
        assert_checks(&store);
    }
}

#[test]
fn running_example_maps_traces_and_attributes() {
    let Some(data) = data_dir("import_real_logs::running_example_maps_traces_and_attributes")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("running.pwb");
    import_file(
        &path,
        Format::Xes,
        &data.join("running-example.xes"),
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("import");
    let store = Store::open(&path).expect("open");
    let reader = store.read().expect("read");
    let info = reader
        .stream("3")
        .expect("read")
        .expect("trace 3 is a stream");
    assert_eq!(info.process_type, "running-example");
    assert_eq!(info.version, 9);
    assert_eq!(info.metadata["attributes"]["creator"], "Fluxicon Nitro");
    let events = reader.stream_events("3", 1, 100).expect("events");
    assert_eq!(events[0].event_type, "register request");
    assert_eq!(events[0].payload["org:resource"], "Pete");
    assert_eq!(events[0].payload["Costs"], "50");
    // A log records order, not cause: no links are invented between a trace's events.
    assert!(events.iter().all(|event| event.causation_id.is_none()));
    assert!(events.iter().all(|event| event.correlation_id.is_none()));
    assert_eq!(info.correlation_id, None);
    assert_eq!(
        time::OffsetDateTime::unix_timestamp(events[0].occurred_at),
        1_293_715_920
    );
    let variants = variant_sequences(&reader, 100).expect("variants");
    assert_eq!(variants.len(), 6);
    assert_eq!(variants.iter().map(|v| v.streams).sum::<u64>(), 6);
    for variant in &variants {
        let sample = reader
            .stream(&variant.sample_stream)
            .expect("read")
            .expect("sample");
        assert_eq!(sample.variant, variant.variant);
        assert_eq!(variant.event_types.len() as u64, sample.version);
        assert_eq!(variant.event_types[0], "register request");
    }
}

#[test]
fn imports_are_deterministic_and_reimports_get_new_streams() {
    let Some(data) =
        data_dir("import_real_logs::imports_are_deterministic_and_reimports_get_new_streams")
    else {
        return;
    };
    let input = data.join("running-example.xes");
    let dir = tempfile::tempdir().expect("tempdir");
    let first = dir.path().join("first.pwb");
    let second = dir.path().join("second.pwb");
    import_file(
        &first,
        Format::Xes,
        &input,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("import");
    import_file(
        &second,
        Format::Xes,
        &input,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("import");
    assert_eq!(export_text(&first, None), export_text(&second, None));

    let report = import_file(
        &first,
        Format::Xes,
        &input,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("re-import");
    assert_eq!(report.streams, 6);
    assert_eq!(figures(&first), (12, 84, 8, 6));
    let store = Store::open(&first).expect("open");
    assert!(
        store
            .read()
            .expect("read")
            .stream("3#2")
            .expect("read")
            .is_some()
    );
    drop(store);
    assert_checks(&first);
}

#[test]
fn ocel2_example_spans_objects() {
    let Some(data) = data_dir("import_real_logs::ocel2_example_spans_objects") else {
        return;
    };
    let input = data.join("ocel20_example.jsonocel");
    assert_eq!(Format::detect(&input), Some(Format::Ocel));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ocel.pwb");
    let report = import_file(
        &path,
        Format::Ocel,
        &input,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("import");
    assert_eq!(report.events, 13);
    assert_eq!(report.objects, 9);
    assert_checks(&path);
    let store = Store::open(&path).expect("open");
    let reader = store.read().expect("read");
    let events = reader.log(1, 100).expect("log");
    assert_eq!(events.len(), 13);
    let shared = events
        .iter()
        .filter(|event| !event.other_streams.is_empty())
        .count();
    assert!(shared > 0, "some events appear in several object streams");
    // In this example no event has two distinct previous events (the OCEL 1.0
    // sample test covers several causes), but causes cross objects: e7 (R1, P1)
    // is caused by e5, which created R1 in the stream of PO1.
    let insert_payment = events
        .iter()
        .find(|event| event.metadata["ocel_id"] == "e7")
        .expect("e7");
    let insert_invoice = events
        .iter()
        .find(|event| event.metadata["ocel_id"] == "e5")
        .expect("e5");
    assert_eq!(insert_invoice.stream_id, "PO1");
    assert_eq!(insert_payment.causation_id, Some(insert_invoice.event_id));
    // e3 "Create Purchase Order" relates to PR1 and PO1; PR1's previous event caused it.
    let create_po = events
        .iter()
        .find(|event| event.event_type == "Create Purchase Order")
        .expect("e3");
    assert_eq!(create_po.stream_id, "PR1");
    assert!(create_po.other_streams.iter().any(|m| m.stream_id == "PO1"));
    assert_eq!(create_po.metadata["ocel_id"], "e3");
    let approve = events
        .iter()
        .find(|event| event.event_type == "Approve Purchase Requisition")
        .expect("e2");
    assert_eq!(create_po.causation_id, Some(approve.event_id));
    let po1 = reader.stream("PO1").expect("read").expect("PO1");
    assert_eq!(po1.process_type, "Purchase Order");
    assert_eq!(po1.metadata["attributes"]["po_quantity"], "600");
    assert!(po1.metadata["attribute_history"].is_array());
    let in_po1 = reader.stream_events("PO1", 1, 100).expect("events");
    assert_eq!(in_po1.len() as u64, po1.version);
    assert!(
        in_po1
            .iter()
            .any(|event| event.event_id == create_po.event_id)
    );
}

#[test]
fn small_xes_maps_every_attribute_type() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(dir.path(), "small.xes.gz", &gzip(SMALL_XES.as_bytes()));
    let path = dir.path().join("small.pwb");
    let report = import_file(
        &path,
        Format::Xes,
        &input,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("import");
    assert_eq!(report.process_type, "small log");
    assert_eq!((report.streams, report.events, report.skipped), (3, 5, 1));
    assert_checks(&path);
    let store = Store::open(&path).expect("open");
    let reader = store.read().expect("read");
    let ids = reader.all_stream_ids().expect("ids");
    assert_eq!(ids, vec!["a", "a#2", "trace-3"]);
    let first = &reader.stream_events("a", 1, 10).expect("events")[0];
    let payload = &first.payload;
    assert_eq!(payload["amount"], 42);
    assert_eq!(payload["rate"], 0.5);
    assert_eq!(payload["urgent"], true);
    assert_eq!(payload["ref"], "0b3e");
    assert_eq!(payload["time:timestamp"], "2020-01-01T10:00:00+01:00");
    assert_eq!(payload["tags"], serde_json::json!(["red", "blue"]));
    assert_eq!(
        payload["address"],
        serde_json::json!({"city": "Ghent", "zip": 9000})
    );
    assert_eq!(
        payload["nested"],
        serde_json::json!({"value": "top", "children": {"inner": "deep"}})
    );
    let info = reader.stream("a").expect("read").expect("a");
    assert_eq!(info.metadata["attributes"]["priority"], 3);
}

#[test]
fn ocel1_events_have_several_streams_and_causes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(dir.path(), "small.json", SMALL_OCEL1.as_bytes());
    assert_eq!(Format::detect(&input), Some(Format::Ocel));
    let path = dir.path().join("ocel1.pwb");
    let report = import_file(
        &path,
        Format::Ocel,
        &input,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("import");
    assert_eq!(
        (
            report.events,
            report.objects,
            report.streams,
            report.skipped
        ),
        (3, 3, 2, 1)
    );
    assert_checks(&path);
    let store = Store::open(&path).expect("open");
    let reader = store.read().expect("read");
    let events = reader.log(1, 10).expect("log");
    let ship = &events[2];
    assert_eq!(ship.event_type, "ship");
    assert_eq!(ship.stream_id, "o1");
    assert_eq!(ship.other_streams.len(), 1);
    assert_eq!(ship.causation_id, Some(events[0].event_id));
    assert_eq!(ship.other_causes, vec![events[1].event_id]);
    assert_eq!(
        reader.effects_of(events[1].event_id).expect("effects"),
        vec![ship.event_id]
    );
    let order = reader.stream("o1").expect("read").expect("o1");
    assert_eq!(order.process_type, "order");
    assert_eq!(order.metadata["attributes"]["customer"], "ACME");
}
