//! mako-engine stores, written with mako-engine's own public API (appends with
//! and without outbox, deadlines, correlations, snapshots, registry entries,
//! projection cursors, dead letters through its dead-letter sink), imported,
//! and compared with what mako-engine reports through its own read API. The
//! source directory keeps every byte and modification time.
#![cfg(feature = "mako")]

use crate::engines_common::mako_writer::*;
use crate::engines_common::*;
use process_workbench_core::import::{Format, import_file};
use process_workbench_core::store::{Store, Summary};
use serde_json::json;
use time::OffsetDateTime;
use time::macros::datetime;

#[test]
fn a_mako_store_imports_with_the_counts_mako_engine_reports_and_is_not_changed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("makod-data");
    let written = runtime().block_on(write_store(&source));
    assert_eq!(
        written.counts,
        EngineCounts {
            streams: 3,
            events: 8,
            outbox: 2,
            deadlines: 2,
            dead_letters: 2
        }
    );
    let before = fingerprint(&source);
    assert_eq!(Format::detect(&source), Some(Format::Mako));

    let target = dir.path().join("imported.pwb");
    let report = import_file(
        &target,
        Format::Mako,
        &source,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("import");
    assert_eq!(fingerprint(&source), before, "the source must not change");
    assert_eq!(report.streams, written.counts.streams);
    assert_eq!(report.events, written.counts.events);

    let store = Store::open(&target).expect("open imported");
    let reader = store.read().expect("read");
    let summary = Summary::read(&reader, OffsetDateTime::now_utc()).expect("summary");
    assert_eq!(summary.streams.total, written.counts.streams);
    assert_eq!(summary.events.total, written.counts.events);
    assert_eq!(summary.outbox.pending, written.counts.outbox);
    assert_eq!(summary.deadlines.pending, written.counts.deadlines);
    assert_eq!(summary.dead_letters.total, written.counts.dead_letters);
    assert_eq!(summary.streams.by_type.get("gpke.lieferbeginn"), Some(&2));
    assert_eq!(summary.dead_letters.by_reason.len(), 2);
    assert_clean(&reader);

    // The envelope of an event caused across streams.
    let caused = &written.caused_event;
    let event = reader
        .event_by_id(caused.event_id.as_uuid())
        .expect("read event")
        .expect("event imported");
    assert_eq!(event.stream_id, caused.stream_id.as_str());
    assert_eq!(event.version, caused.sequence_number);
    assert_eq!(event.event_type, &*caused.event_type);
    assert_eq!(event.occurred_at, caused.timestamp);
    assert_eq!(event.correlation_id, Some(caused.correlation_id.as_uuid()));
    assert_eq!(
        event.causation_id,
        caused.causation_id.map(|id| id.as_uuid())
    );
    assert_eq!(event.payload, caused.payload);
    assert_eq!(
        event.metadata["process_id"],
        json!(caused.process_id.as_uuid())
    );
    assert_eq!(
        event.metadata["tenant_id"],
        json!(caused.tenant_id.as_uuid())
    );
    assert_eq!(
        event.metadata["conversation_id"],
        json!(caused.conversation_id.as_uuid())
    );
    assert_eq!(
        event.metadata["workflow_id"]["name"],
        json!("mabis.abrechnung")
    );
    assert_eq!(event.metadata["sequence_number"], json!(1));
    // Its cause is an event of another stream: the causal graph crosses over.
    let cause = reader
        .event_by_id(event.causation_id.expect("cause"))
        .expect("read cause")
        .expect("cause imported");
    assert_ne!(cause.stream_id, event.stream_id);

    // Outbox due times and attempts, deadlines' labels, dead letters' reasons.
    let outbox = reader.outbox(None, 100).expect("outbox").items;
    assert_eq!(outbox.len(), 2);
    assert!(outbox.iter().any(|message| message.message_type == "APERAK"
        && message.due_at == datetime!(2030-01-01 0:00 UTC)
        && message.attempts == 0));
    let deadlines = reader.deadlines(None, 100).expect("deadlines").items;
    let labels: Vec<&str> = deadlines.iter().map(|d| d.on_expiry.as_str()).collect();
    assert!(labels.contains(&"AntwortFristAbgelaufen") && labels.contains(&"RechnungFaellig"));
    let letters = reader.dead_letters(None, 100).expect("dead letters").items;
    assert!(letters.iter().all(|letter| !letter.detail.is_empty()));

    // Snapshot, registry, correlation index → the stream's metadata.
    let stream_b = reader
        .stream(&outbox[0].stream_id)
        .expect("read stream")
        .expect("stream b");
    assert_eq!(stream_b.version, 3);
    assert_eq!(
        stream_b.metadata["mako_snapshot"]["state"],
        json!({ "state": "Angemeldet" })
    );
    assert_eq!(
        stream_b.metadata["mako_registry"]
            .as_object()
            .map(|m| m.len()),
        Some(1)
    );
    assert_eq!(
        stream_b.metadata["mako_correlated"]
            .as_object()
            .map(|m| m.len()),
        Some(1)
    );
    assert_eq!(stream_b.metadata["mako_stream_version"], json!(3));
    assert_eq!(
        stream_b.metadata["mako_outbox"]
            .as_object()
            .map(|m| m.len()),
        Some(2)
    );
    assert_eq!(stream_b.metadata["source"], json!("mako"));
    assert_eq!(
        stream_b.metadata["mako_projection_cursors"],
        json!({ "lieferstellen": 2 })
    );
    // Counters and index keys → the store's meta record.
    let meta: serde_json::Value = serde_json::from_str(
        &reader
            .meta("import.mako")
            .expect("meta")
            .expect("import.mako"),
    )
    .expect("json");
    assert_eq!(meta["counters"]["om"], json!(2));
    assert_eq!(meta["index_keys"]["si"], json!(3));
}

#[test]
fn the_cli_imports_a_mako_store_and_a_bad_directory_gets_one_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("makod-data");
    runtime().block_on(write_store(&source));
    let target = dir.path().join("cli.pwb");
    let output = cli(&["import", path(&target), "--from", "mako", path(&source)]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("imported 8 events in 3 streams"),
        "{stdout}"
    );

    // Not a mako store: an empty directory, a directory of other files, a file.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("dir");
    let other = dir.path().join("other");
    std::fs::create_dir(&other).expect("dir");
    std::fs::write(other.join("notes.txt"), "hello").expect("file");
    let file = dir.path().join("file.txt");
    std::fs::write(&file, "hello").expect("file");
    for bad in [&empty, &other, &file] {
        let before = fingerprint(dir.path());
        let out = dir.path().join("never.pwb");
        let output = cli(&["import", path(&out), "--from", "mako", path(bad)]);
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains("mako"), "{stderr}");
        assert!(!out.exists());
        assert_eq!(fingerprint(dir.path()), before);
        assert_eq!(Format::detect(bad), None);
    }
}

#[test]
fn importing_a_mako_store_twice_into_one_store_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("makod-data");
    runtime().block_on(write_store(&source));
    let target = dir.path().join("twice.pwb");
    import_file(
        &target,
        Format::Mako,
        &source,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("first import");
    let before = fingerprint(&target);
    let error = import_file(
        &target,
        Format::Mako,
        &source,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect_err("second import clashes");
    assert!(
        error.to_string().contains("already in the store"),
        "{error}"
    );
    assert_eq!(fingerprint(&target), before);
}
