//! Shared helpers of the import tests: small sample logs of each format and
//! the shared real data folder.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use process_workbench_core::actions::{EventSelection, Unwatched, write_events};
use process_workbench_core::store::{Store, Summary};
use time::OffsetDateTime;

/// The folder of the shared real logs, whether it exists or not:
/// `PW_SHARED_DATA` when set, else `../shared/data` beside the checkout.
pub fn shared_data_path() -> PathBuf {
    if let Some(dir) = std::env::var_os("PW_SHARED_DATA") {
        return PathBuf::from(dir);
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .expect("the workspace root holds Cargo.lock");
    checkout.join("../shared/data")
}

/// The shared real logs, or `None` when the folder is absent, reported as a
/// skip of `test` (see [`crate::common::report_skipped`]).
pub fn data_dir(test: &str) -> Option<PathBuf> {
    let dir = shared_data_path();
    if dir.is_dir() {
        Some(dir)
    } else {
        crate::common::report_skipped(
            test,
            &format!(
                "the real logs folder {} is absent (set PW_SHARED_DATA)",
                dir.display()
            ),
        );
        None
    }
}

/// (streams, events, distinct event types, variants) of a store.
pub fn figures(path: &Path) -> (u64, u64, usize, u64) {
    let store = Store::open(path).expect("open");
    let reader = store.read().expect("read");
    let summary = Summary::read(&reader, OffsetDateTime::now_utc()).expect("summary");
    (
        summary.streams.total,
        summary.events.total,
        summary.events.by_type.len(),
        summary.variants,
    )
}

/// Runs the integrity check and fails the test on any violation.
pub fn assert_checks(path: &Path) {
    let store = Store::open(path).expect("open");
    let reader = store.read().expect("read");
    let report = process_workbench_core::store::check::check(&reader, |_, _| true)
        .expect("check runs")
        .expect("not cancelled");
    assert!(
        report.is_ok(),
        "{}: {:?}",
        path.display(),
        report.violations
    );
}

/// A small XES log with every attribute type, nesting, a duplicate trace
/// name and a trace without a name.
pub const SMALL_XES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <global scope="event"><string key="concept:name" value="x"/></global>
  <classifier name="Activity" keys="concept:name"/>
  <string key="concept:name" value="small log"/>
  <trace>
    <string key="concept:name" value="a"/>
    <int key="priority" value="3"/>
    <event>
      <string key="concept:name" value="register"/>
      <date key="time:timestamp" value="2020-01-01T10:00:00.000+01:00"/>
      <int key="amount" value="42"/>
      <float key="rate" value="0.5"/>
      <boolean key="urgent" value="true"/>
      <id key="ref" value="0b3e"/>
      <list key="tags"><values><string key="t" value="red"/><string key="t" value="blue"/></values></list>
      <container key="address"><string key="city" value="Ghent"/><int key="zip" value="9000"/></container>
      <string key="nested" value="top"><string key="inner" value="deep"/></string>
    </event>
    <event>
      <string key="concept:name" value="approve"/>
      <date key="time:timestamp" value="2020-01-01T11:00:00Z"/>
    </event>
  </trace>
  <trace>
    <string key="concept:name" value="a"/>
    <event>
      <string key="concept:name" value="register"/>
      <date key="time:timestamp" value="2020-01-02T10:00:00Z"/>
    </event>
  </trace>
  <trace>
    <event>
      <string key="concept:name" value="register"/>
      <date key="time:timestamp" value="2020-01-03T10:00:00Z"/>
    </event>
    <event>
      <string key="concept:name" value="reject"/>
      <date key="time:timestamp" value="2020-01-03T12:00:00Z"/>
    </event>
  </trace>
  <trace><string key="concept:name" value="empty"/></trace>
</log>
"#;

/// A small OCEL 1.0 log: e2 relates to two objects, each with an earlier event.
pub const SMALL_OCEL1: &str = r#"{
  "ocel:global-log": {"ocel:version": "1.0", "ocel:ordering": "timestamp",
                      "ocel:attribute-names": ["price"], "ocel:object-types": ["order", "item"]},
  "ocel:global-event": {"ocel:activity": "__INVALID__"},
  "ocel:global-object": {"ocel:type": "__INVALID__"},
  "ocel:events": {
    "e1": {"ocel:activity": "place order", "ocel:timestamp": "2021-01-01T09:00:00+00:00",
           "ocel:omap": ["o1"], "ocel:vmap": {"price": 10}},
    "e0": {"ocel:activity": "pick item", "ocel:timestamp": "2021-01-01T09:30:00+00:00",
           "ocel:omap": ["i1"], "ocel:vmap": {}},
    "e2": {"ocel:activity": "ship", "ocel:timestamp": "2021-01-02 10:00:00",
           "ocel:omap": ["o1", "i1", "o1"], "ocel:vmap": {}}
  },
  "ocel:objects": {
    "o1": {"ocel:type": "order", "ocel:ovmap": {"customer": "ACME"}},
    "i1": {"ocel:type": "item", "ocel:ovmap": {}},
    "unused": {"ocel:type": "item", "ocel:ovmap": {}}
  }
}
"#;

/// Writes `text` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write sample");
    path
}

/// Gzip-compresses bytes.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("compress");
    encoder.finish().expect("compress")
}

/// Exports a store's global log as JSONL text.
pub fn export_text(path: &Path, stream: Option<&str>) -> String {
    let store = Store::open(path).expect("open");
    let reader = store.read().expect("read");
    let mut out = Vec::new();
    let selection = match stream {
        Some(stream) => EventSelection::Stream(stream.to_string()),
        None => EventSelection::All,
    };
    write_events(&reader, &selection, &mut out, &Unwatched).expect("export");
    String::from_utf8(out).expect("utf-8")
}
