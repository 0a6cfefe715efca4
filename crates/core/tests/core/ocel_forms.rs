//! The forms of one OCEL log give identical stores once the zone of the
//! times written without an offset is said (`ImportOptions::utc_offset`);
//! that offset applies to every reader of such times (OCEL, CSV, JSONL) and
//! never to a time that names its own; and a relation to an event or object
//! the log does not have is refused, in every form, with the place.

use std::path::{Path, PathBuf};

use process_workbench_core::engine::Operator;
use process_workbench_core::import::{
    Format, ImportError, ImportOptions, import_file_with, parse_utc_offset,
};
use process_workbench_core::store::{Store, StreamFilter};
use serde_json::Value;
use time::UtcOffset;

use crate::import_common::*;

fn plus_one() -> UtcOffset {
    parse_utc_offset("+01:00").expect("offset")
}

fn import_at(store: &Path, input: &Path, offset: UtcOffset) -> Result<(), ImportError> {
    let options = ImportOptions {
        utc_offset: offset,
        ..ImportOptions::default()
    };
    let format = Format::detect(input).unwrap_or_else(|| panic!("{}: format", input.display()));
    import_file_with(
        store,
        format,
        input,
        &options,
        &Operator::current(),
        &mut |_| true,
    )
    .map(|_| ())
}

/// Everything a store holds of its events and streams, as JSON: every event
/// (id, stream, version, position, type, times, links, causes, payload,
/// metadata) in log order, and every stream record (type, status, version,
/// times, variant, metadata). Only the source file's name is left out: it
/// is the one thing the forms of a log do not share.
fn everything(path: &Path) -> (Vec<Value>, Vec<Value>) {
    let store = Store::open(path).expect("open");
    let reader = store.read().expect("read");
    let events: Vec<Value> = reader
        .log(1, 1_000_000)
        .expect("log")
        .iter()
        .map(|event| serde_json::to_value(event).expect("event json"))
        .collect();
    let page = reader
        .streams(&StreamFilter::default(), None, 1_000_000)
        .expect("streams");
    assert!(page.next.is_none(), "one page holds every stream");
    let streams = page
        .items
        .into_iter()
        .map(|info| {
            let mut value = serde_json::to_value(&info).expect("stream json");
            let source = &mut value["metadata"]["source"];
            assert!(source["file"].is_string(), "{source}");
            source["file"] = Value::Null;
            value
        })
        .collect();
    (events, streams)
}

/// A store with the log `file` of the shared data imported at `offset`.
fn shared_store(dir: &Path, data: &Path, file: &str, offset: UtcOffset) -> PathBuf {
    let store = dir.join(format!("{file}.redb"));
    import_at(&store, &data.join(file), offset).unwrap_or_else(|error| panic!("{file}: {error}"));
    assert_checks(&store);
    store
}

/// The JSON form writes UTC times with an offset; the XML and SQLite forms
/// the same instants as local times (UTC+01:00) without one. Read at that
/// offset, the three give identical stores: every event with its type, time,
/// payload, objects and causes, every stream with its attributes, history
/// and relationships.
#[test]
fn the_three_ocel_forms_give_identical_stores() {
    let Some(data) = data_dir("ocel_forms::the_three_ocel_forms_give_identical_stores") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let json = shared_store(dir.path(), &data, "ocel20_example.jsonocel", UtcOffset::UTC);
    let (json_events, json_streams) = everything(&json);
    assert_eq!((json_events.len(), json_streams.len()), (13, 9));
    assert_eq!(json_events[10]["event_type"], "Set Payment Block");
    assert_eq!(json_events[10]["occurred_at"], "2022-02-03T06:30:00Z");
    for file in ["ocel20_example.xmlocel", "ocel20_example.sqlite"] {
        let store = shared_store(dir.path(), &data, file, plus_one());
        let (events, streams) = everything(&store);
        assert_eq!(events.len(), json_events.len(), "{file}: events");
        for (event, json_event) in events.iter().zip(&json_events) {
            assert_eq!(event, json_event, "{file}: event");
        }
        assert_eq!(streams.len(), json_streams.len(), "{file}: streams");
        for (stream, json_stream) in streams.iter().zip(&json_streams) {
            assert_eq!(stream, json_stream, "{file}: stream");
        }
        // The JSONL export, the product's own view of the log, agrees too.
        assert_eq!(
            export_text(&store, None),
            export_text(&json, None),
            "{file}"
        );
    }
}

/// Read as UTC (the default, as pm4py reads them), the local times of the
/// XML and SQLite forms are one hour after the JSON form's; the offset of
/// the JSON form's own times never moves them.
#[test]
fn the_default_reads_times_without_offset_as_utc() {
    let Some(data) = data_dir("ocel_forms::the_default_reads_times_without_offset_as_utc") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let time_of = |store: &Path| everything(store).0[10]["occurred_at"].clone();
    let xml = shared_store(dir.path(), &data, "ocel20_example.xmlocel", UtcOffset::UTC);
    assert_eq!(time_of(&xml), "2022-02-03T07:30:00Z");
    let sqlite = shared_store(dir.path(), &data, "ocel20_example.sqlite", UtcOffset::UTC);
    assert_eq!(time_of(&sqlite), "2022-02-03T07:30:00Z");
    let json_dir = tempfile::tempdir().expect("tempdir");
    let json = shared_store(
        json_dir.path(),
        &data,
        "ocel20_example.jsonocel",
        plus_one(),
    );
    assert_eq!(time_of(&json), "2022-02-03T06:30:00Z");
}

// ----- times without an offset in the other readers ---------------------------------------

fn first_time(store: &Path) -> Value {
    everything(store).0[0]["occurred_at"].clone()
}

#[test]
fn csv_and_jsonl_read_times_without_offset_at_the_offset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = write_file(
        dir.path(),
        "log.csv",
        b"case:concept:name,concept:name,time:timestamp\n\
          1,register,2024-01-01 10:00:00\n\
          1,decide,2024-01-01T12:00:00+02:00\n",
    );
    let store = dir.path().join("csv.redb");
    import_at(&store, &csv, plus_one()).expect("csv");
    let (events, _) = everything(&store);
    assert_eq!(events[0]["occurred_at"], "2024-01-01T09:00:00Z");
    assert_eq!(
        events[0]["payload"]["time:timestamp"],
        "2024-01-01T09:00:00Z"
    );
    assert_eq!(events[1]["occurred_at"], "2024-01-01T12:00:00+02:00");

    let jsonl = write_file(
        dir.path(),
        "log.jsonl",
        br#"{"stream_id":"s1","event_type":"opened","occurred_at":"2024-01-01T10:00:00","payload":{}}
"#,
    );
    let store = dir.path().join("jsonl.redb");
    import_at(&store, &jsonl, parse_utc_offset("-05:30").expect("offset")).expect("jsonl");
    assert_eq!(first_time(&store), "2024-01-01T15:30:00Z");
}

#[test]
fn ocel_json_and_xml_read_times_without_offset_at_the_offset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = write_file(dir.path(), "small.jsonocel", SMALL_OCEL2.as_bytes());
    let store = dir.path().join("json.redb");
    import_at(&store, &json, plus_one()).expect("ocel json");
    let (events, streams) = everything(&store);
    assert_eq!(events[0]["occurred_at"], "2024-01-01T09:00:00Z");
    // Times with an offset are never shifted.
    assert_eq!(events[1]["occurred_at"], "2024-01-01T11:00:00+02:00");
    let order = &streams[1];
    assert_eq!(order["stream_id"], "o1");
    assert_eq!(
        order["metadata"]["attribute_history"][1]["time"],
        "2024-01-01T09:30:00Z"
    );
    assert_eq!(order["metadata"]["attributes"]["status"], "paid");

    let xml = write_file(dir.path(), "small.xmlocel", SMALL_OCEL2_XML.as_bytes());
    let store = dir.path().join("xml.redb");
    import_at(&store, &xml, plus_one()).expect("ocel xml");
    let (xml_events, xml_streams) = everything(&store);
    assert_eq!(xml_events[0]["occurred_at"], "2024-01-01T09:00:00Z");
    assert_eq!(xml_events[1]["occurred_at"], "2024-01-01T09:00:00Z");
    assert_eq!(
        xml_streams[1]["metadata"]["attribute_history"],
        order["metadata"]["attribute_history"]
    );
}

#[test]
fn the_xes_reader_takes_times_without_an_offset_at_the_given_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = r#"<log>
  <trace>
    <string key="concept:name" value="a"/>
    <event><string key="concept:name" value="local"/><date key="time:timestamp" value="2024-01-01T10:00:00"/></event>
    <event><string key="concept:name" value="zoned"/><date key="time:timestamp" value="2024-01-01T10:00:00+02:00"/><date key="due" value="2024-01-02T12:00:00"/></event>
  </trace>
</log>
"#;
    let xes = write_file(dir.path(), "log.xes", log.as_bytes());
    let store = dir.path().join("xes.redb");
    import_at(&store, &xes, plus_one()).expect("xes");
    let (events, _) = everything(&store);
    assert_eq!(events[0]["occurred_at"], "2024-01-01T09:00:00Z");
    // A time that names its offset is never shifted.
    assert_eq!(events[1]["occurred_at"], "2024-01-01T10:00:00+02:00");
    assert_eq!(events[1]["payload"]["due"], "2024-01-02T11:00:00Z");
}

// ----- relations to what the log does not have --------------------------------------------

/// A small OCEL 2.0 JSON log: an order object (whose status changed at a
/// local time) and an item, two events.
const SMALL_OCEL2: &str = r#"{
  "objectTypes": [{"name": "order", "attributes": [{"name": "status", "type": "string"}]},
                  {"name": "item", "attributes": []}],
  "eventTypes": [{"name": "place", "attributes": []}, {"name": "pay", "attributes": []}],
  "objects": [
    {"id": "o1", "type": "order",
     "attributes": [{"name": "status", "time": "1970-01-01T00:00:00Z", "value": "open"},
                    {"name": "status", "time": "2024-01-01T10:30:00", "value": "paid"}],
     "relationships": [{"objectId": "i1", "qualifier": "contains"}]},
    {"id": "i1", "type": "item"}
  ],
  "events": [
    {"id": "e1", "type": "place", "time": "2024-01-01T10:00:00",
     "relationships": [{"objectId": "o1", "qualifier": "placed"}, {"objectId": "i1", "qualifier": "of"}]},
    {"id": "e2", "type": "pay", "time": "2024-01-01T11:00:00+02:00",
     "relationships": [{"objectId": "o1", "qualifier": "paid"}]}
  ]
}"#;

/// The same log as OCEL 2.0 XML, every time local except the initial value's.
const SMALL_OCEL2_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<log>
  <object-types>
    <object-type name="order"><attributes><attribute name="status" type="string"/></attributes></object-type>
    <object-type name="item"><attributes/></object-type>
  </object-types>
  <event-types>
    <event-type name="place"><attributes/></event-type>
    <event-type name="pay"><attributes/></event-type>
  </event-types>
  <objects>
    <object id="o1" type="order">
      <attributes>
        <attribute name="status" time="1970-01-01T00:00:00Z">open</attribute>
        <attribute name="status" time="2024-01-01T10:30:00">paid</attribute>
      </attributes>
      <objects><relationship object-id="i1" qualifier="contains"/></objects>
    </object>
    <object id="i1" type="item"><attributes/></object>
  </objects>
  <events>
    <event id="e1" type="place" time="2024-01-01T10:00:00">
      <objects>
        <relationship object-id="o1" qualifier="placed"/>
        <relationship object-id="i1" qualifier="of"/>
      </objects>
    </event>
    <event id="e2" type="pay" time="2024-01-01T10:00:00">
      <objects><relationship object-id="o1" qualifier="paid"/></objects>
    </event>
  </events>
</log>
"#;

/// Imports `bytes` saved as `name`; it must be refused with a message
/// holding each of `expected`, and leave no store behind.
fn refused(name: &str, bytes: &[u8], expected: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(dir.path(), name, bytes);
    let store = dir.path().join("store.redb");
    let error = import_at(&store, &input, UtcOffset::UTC).expect_err("refused");
    let message = error.to_string();
    assert!(matches!(error, ImportError::Invalid { .. }), "{message}");
    assert!(!message.contains('\n'), "one line: {message}");
    for part in expected {
        assert!(message.contains(part), "{name}: {message:?} lacks {part:?}");
    }
    assert!(!store.exists(), "{name}: no store is left behind");
}

#[test]
fn the_small_logs_import() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in [
        ("small.jsonocel", SMALL_OCEL2),
        ("small.xmlocel", SMALL_OCEL2_XML),
    ] {
        let input = write_file(dir.path(), name, text.as_bytes());
        let store = dir.path().join(format!("{name}.redb"));
        import_at(&store, &input, UtcOffset::UTC).expect(name);
        assert_checks(&store);
        assert_eq!(figures(&store).0, 2, "{name}: streams");
    }
    let sqlite = small_sqlite(dir.path(), "");
    let store = dir.path().join("sqlite.redb");
    import_at(&store, &sqlite, UtcOffset::UTC).expect("sqlite");
    assert_eq!(figures(&store).0, 2, "sqlite: streams");
}

#[test]
fn ocel_json_relations_to_unknown_objects_are_refused() {
    refused(
        "event.jsonocel",
        SMALL_OCEL2
            .replacen(
                r#""objectId": "i1", "qualifier": "of""#,
                r#""objectId": "i9", "qualifier": "of""#,
                1,
            )
            .as_bytes(),
        &[
            "event.jsonocel: line ",
            "event 'e1' refers to unknown object 'i9'",
        ],
    );
    refused(
        "object.jsonocel",
        SMALL_OCEL2
            .replacen(
                r#""objectId": "i1", "qualifier": "contains""#,
                r#""objectId": "i9", "qualifier": "contains""#,
                1,
            )
            .as_bytes(),
        &[
            "object.jsonocel: line ",
            "object 'o1' refers to unknown object 'i9'",
        ],
    );
}

#[test]
fn ocel_xml_relations_to_unknown_objects_are_refused() {
    refused(
        "event.xmlocel",
        SMALL_OCEL2_XML
            .replacen(
                r#"object-id="i1" qualifier="of""#,
                r#"object-id="i9" qualifier="of""#,
                1,
            )
            .as_bytes(),
        &[
            "event.xmlocel: line ",
            "event 'e1' refers to unknown object 'i9'",
        ],
    );
    refused(
        "object.xmlocel",
        SMALL_OCEL2_XML
            .replacen(
                r#"object-id="i1" qualifier="contains""#,
                r#"object-id="i9" qualifier="contains""#,
                1,
            )
            .as_bytes(),
        &[
            "object.xmlocel: line ",
            "object 'o1' refers to unknown object 'i9'",
        ],
    );
}

#[test]
fn an_ocel_xml_attribute_with_an_unreadable_time_is_refused() {
    refused(
        "time.xmlocel",
        SMALL_OCEL2_XML
            .replacen("2024-01-01T10:30:00", "yesterday", 1)
            .as_bytes(),
        &[
            "time.xmlocel: line ",
            "object 'o1': attribute 'status' (time 'yesterday') could not be read",
        ],
    );
}

/// The small log as an OCEL 2.0 SQLite database `dir/small.sqlite`, then `change` (SQL).
fn small_sqlite(dir: &Path, change: &str) -> PathBuf {
    let path = dir.join("small.sqlite");
    let connection = rusqlite::Connection::open(&path).expect("create");
    connection
        .execute_batch(
            "CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
             CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
             CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT, ocel_qualifier TEXT);
             CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT, ocel_qualifier TEXT);
             CREATE TABLE event_map_type (ocel_type TEXT, ocel_type_map TEXT);
             CREATE TABLE object_map_type (ocel_type TEXT, ocel_type_map TEXT);
             CREATE TABLE event_place (ocel_id TEXT, ocel_time TIMESTAMP);
             CREATE TABLE event_pay (ocel_id TEXT, ocel_time TIMESTAMP);
             CREATE TABLE object_order (ocel_id TEXT, ocel_time TIMESTAMP, status TEXT, ocel_changed_field TEXT);
             CREATE TABLE object_item (ocel_id TEXT, ocel_time TIMESTAMP, ocel_changed_field TEXT);
             INSERT INTO event_map_type VALUES ('place', 'place'), ('pay', 'pay');
             INSERT INTO object_map_type VALUES ('order', 'order'), ('item', 'item');
             INSERT INTO event VALUES ('e1', 'place'), ('e2', 'pay');
             INSERT INTO object VALUES ('o1', 'order'), ('i1', 'item');
             INSERT INTO event_place VALUES ('e1', '2024-01-01 10:00:00');
             INSERT INTO event_pay VALUES ('e2', '2024-01-01 10:00:00');
             INSERT INTO object_order VALUES ('o1', '1970-01-01 01:00:00', 'open', NULL),
                                             ('o1', '2024-01-01 10:30:00', 'paid', 'status');
             INSERT INTO object_item VALUES ('i1', '1970-01-01 01:00:00', NULL);
             INSERT INTO event_object VALUES ('e1', 'o1', 'placed'), ('e1', 'i1', 'of'), ('e2', 'o1', 'paid');
             INSERT INTO object_object VALUES ('o1', 'i1', 'contains');",
        )
        .expect("small log");
    connection.execute_batch(change).expect("change");
    path
}

#[test]
fn ocel_sqlite_relations_to_what_the_log_does_not_have_are_refused() {
    for (change, expected) in [
        (
            "INSERT INTO event_object VALUES ('e9', 'o1', 'ghost');",
            "table event_object: the relation of event 'e9' to object 'o1' names an event the log does not have",
        ),
        (
            "INSERT INTO event_object VALUES ('e2', 'i9', 'ghost');",
            "event 'e2' refers to unknown object 'i9'",
        ),
        (
            "INSERT INTO object_object VALUES ('o9', 'i1', 'ghost');",
            "table object_object: the relation of object 'o9' to object 'i1' names an object the log does not have",
        ),
        (
            "INSERT INTO object_object VALUES ('o1', 'i9', 'ghost');",
            "object 'o1' refers to unknown object 'i9'",
        ),
        (
            "UPDATE event_pay SET ocel_time = 'yesterday';",
            "table event_pay: event 'e2' could not be read",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = small_sqlite(dir.path(), change);
        let bytes = std::fs::read(&path).expect("read");
        refused("broken.sqlite", &bytes, &["broken.sqlite: ", expected]);
    }
}

#[test]
fn ocel_sqlite_reads_times_without_offset_at_the_offset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = small_sqlite(dir.path(), "");
    let store = dir.path().join("sqlite.redb");
    import_at(&store, &sqlite, plus_one()).expect("sqlite");
    let xml = write_file(dir.path(), "small.xmlocel", SMALL_OCEL2_XML.as_bytes());
    let xml_store = dir.path().join("xml.redb");
    import_at(&xml_store, &xml, plus_one()).expect("xml");
    let (events, streams) = everything(&store);
    assert_eq!(events[0]["occurred_at"], "2024-01-01T09:00:00Z");
    assert_eq!(everything(&xml_store), (events, streams));
}

#[test]
fn an_ocel_xml_value_not_of_its_declared_type_is_refused() {
    let typed = SMALL_OCEL2_XML
        .replace(
            r#"<event-type name="pay"><attributes/></event-type>"#,
            r#"<event-type name="pay"><attributes><attribute name="amount" type="float"/></attributes></event-type>"#,
        )
        .replace(
            r#"<object-type name="item"><attributes/></object-type>"#,
            r#"<object-type name="item"><attributes><attribute name="weight" type="integer"/></attributes></object-type>"#,
        );
    let paid = |amount: &str| {
        typed.replace(
            r#"<event id="e2" type="pay" time="2024-01-01T10:00:00">"#,
            &format!(
                r#"<event id="e2" type="pay" time="2024-01-01T10:00:00"><attributes><attribute name="amount">{amount}</attribute></attributes>"#
            ),
        )
    };
    // Read as declared: kept as a number.
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_file(dir.path(), "typed.xmlocel", paid("12.5").as_bytes());
    let store = dir.path().join("typed.redb");
    import_at(&store, &input, UtcOffset::UTC).expect("typed");
    let (events, _) = everything(&store);
    assert!(
        events
            .iter()
            .any(|event| event["payload"]["amount"] == serde_json::json!(12.5)),
        "{events:?}"
    );
    refused(
        "event.xmlocel",
        paid("twelve").as_bytes(),
        &[
            "event.xmlocel: line ",
            "event 'e2': attribute 'amount' has the value 'twelve', which is not of the type the log declares for it",
        ],
    );
    let heavy = typed.replace(
        r#"<object id="i1" type="item"><attributes/></object>"#,
        r#"<object id="i1" type="item"><attributes><attribute name="weight" time="1970-01-01T00:00:00Z">heavy</attribute></attributes></object>"#,
    );
    refused(
        "object.xmlocel",
        heavy.as_bytes(),
        &["object 'i1': attribute 'weight' has the value 'heavy'"],
    );
}

#[test]
fn an_ocel_sqlite_value_not_of_its_column_type_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = small_sqlite(
        dir.path(),
        "ALTER TABLE event_pay ADD COLUMN amount REAL; UPDATE event_pay SET amount = 12.5;",
    );
    let store = dir.path().join("typed.redb");
    import_at(&store, &sqlite, UtcOffset::UTC).expect("typed");
    let (events, _) = everything(&store);
    assert!(
        events
            .iter()
            .any(|event| event["payload"]["amount"] == serde_json::json!(12.5)),
        "{events:?}"
    );
    for (change, expected) in [
        (
            "ALTER TABLE event_pay ADD COLUMN amount REAL; UPDATE event_pay SET amount = 'twelve';",
            "table event_pay: event 'e2' has 'twelve' in column amount, which is declared REAL and takes a number",
        ),
        (
            "ALTER TABLE object_item ADD COLUMN weight INTEGER; UPDATE object_item SET weight = 'heavy';",
            "table object_item: object 'i1' has 'heavy' in column weight, which is declared INTEGER and takes an integer",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let bytes = std::fs::read(small_sqlite(dir.path(), change)).expect("read");
        refused("typed.sqlite", &bytes, &["typed.sqlite: ", expected]);
    }
}
