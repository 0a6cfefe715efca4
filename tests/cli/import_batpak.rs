//! batpak data directories, written with batpak's own public API (appends and
//! reactions with correlation and causation across entities), imported, and
//! compared with what batpak reports through its own read API — counts, links,
//! and the ancestors of every event (`walk_ancestors`) against our causal
//! graph. The source directory keeps every byte and modification time.
#![cfg(feature = "batpak")]

use std::collections::BTreeSet;
use std::path::Path;

use crate::engines_common::batpak_writer::*;
use crate::engines_common::*;
use batpak::coordinate::Region;
use batpak::store::{ReadOnly, Store as Batpak, StoreConfig};
use process_workbench_core::graph::{ClosureOptions, Relation, closure};
use process_workbench_core::import::{Format, import_file};
use process_workbench_core::store::{Store, Summary};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

/// A copy for batpak's own read-only open (which takes a lock file in the
/// directory it opens, so it never opens the source itself here).
fn engine_view(source: &Path, dir: &Path) -> Batpak<ReadOnly> {
    let copy = dir.join("engine-view");
    std::fs::create_dir_all(&copy).expect("dir");
    for entry in std::fs::read_dir(source).expect("read dir") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_file() {
            std::fs::copy(entry.path(), copy.join(entry.file_name())).expect("copy");
        }
    }
    Batpak::open_read_only(StoreConfig::new(&copy)).expect("read-only open")
}

/// batpak's ancestry of `id`, closed over causation: `walk_ancestors` of the
/// event, of each event's cause, and so on.
fn batpak_closure(store: &Batpak<ReadOnly>, id: u128) -> BTreeSet<u128> {
    let mut found = BTreeSet::new();
    let mut todo = vec![id];
    while let Some(next) = todo.pop() {
        for ancestor in store.walk_ancestors(next, usize::MAX) {
            let header = &ancestor.event.header;
            if found.insert(header.event_id)
                && let Some(cause) = header.causation_id
            {
                todo.push(cause);
            }
        }
    }
    found
}

/// Our causal graph's ancestors of `id`, with `id` itself.
fn our_ancestors(path: &Path, id: u128) -> BTreeSet<u128> {
    let store = Store::open(path).expect("open imported");
    let reader = store.read().expect("read");
    let options = ClosureOptions {
        max_nodes: usize::MAX,
        ..ClosureOptions::default()
    };
    let graph = closure(&reader, Uuid::from_u128(id), &options).expect("closure");
    assert_eq!(graph.hidden, 0);
    graph
        .nodes
        .iter()
        .filter(|node| matches!(node.relation, Relation::Ancestor | Relation::Selected))
        .map(|node| node.event_id.as_u128())
        .collect()
}

#[test]
fn a_batpak_store_imports_with_batpaks_counts_links_and_ancestors_and_is_not_changed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("batpak-data");
    let ids = write_store(&source);
    let before = fingerprint(&source);
    assert_eq!(Format::detect(&source), Some(Format::Batpak));

    let target = dir.path().join("imported.pwb");
    let report = import_file(
        &target,
        Format::Batpak,
        &source,
        &process_workbench_core::engine::Operator::current(),
        &mut |_| true,
    )
    .expect("import");
    assert_eq!(fingerprint(&source), before, "the source must not change");

    // Counts: batpak's own (its lifecycle events included) against ours.
    let engine = engine_view(&source, dir.path());
    let entries = engine.query(&Region::all());
    let entities: BTreeSet<&str> = entries.iter().map(|entry| entry.coord.entity()).collect();
    let store = Store::open(&target).expect("open imported");
    let reader = store.read().expect("read");
    let summary = Summary::read(&reader, OffsetDateTime::now_utc()).expect("summary");
    assert_eq!(summary.events.total, entries.len() as u64);
    assert_eq!(summary.streams.total, entities.len() as u64);
    assert_eq!(report.events, entries.len() as u64);
    assert!(entities.contains("order:17") && entities.contains("shipment:17"));
    assert_clean(&reader);

    // Every event's links, kind, scope and payload as batpak reads them.
    for entry in &entries {
        let stored = engine.get(entry.event_id).expect("batpak get");
        let event = reader
            .event_by_id(Uuid::from_u128(entry.event_id))
            .expect("read")
            .expect("imported");
        assert_eq!(event.stream_id, entry.coord.entity());
        assert_eq!(event.metadata["scope"], json!(entry.coord.scope()));
        assert!(event.event_type.starts_with(&entry.kind.to_string()));
        assert_eq!(
            event.correlation_id,
            Some(Uuid::from_u128(entry.correlation_id))
        );
        assert_eq!(event.causation_id, entry.causation_id.map(Uuid::from_u128));
        assert_eq!(event.payload, stored.event.payload);
        // The chain parent batpak walks to is one of the causes; no event causes itself.
        let causes: Vec<Uuid> = event.causes().collect();
        assert!(
            !causes.contains(&event.event_id),
            "{} causes itself",
            event.event_id
        );
        if let Some(parent) = engine.walk_ancestors(entry.event_id, 2).get(1) {
            assert!(causes.contains(&Uuid::from_u128(parent.event.header.event_id)));
        }
    }
    let order = reader
        .stream("order:17")
        .expect("read")
        .expect("order stream");
    assert_eq!(order.version, 3);
    assert_eq!(order.process_type, "order");
    assert_eq!(order.metadata["batpak_chain"]["verified"], json!(true));
    assert_eq!(order.metadata["batpak_scopes"], json!(["shop"]));

    // Ancestors: within one entity exactly batpak's walk_ancestors; across
    // reactions, walk_ancestors closed over causation.
    let walk = |id: u128| -> BTreeSet<u128> {
        engine
            .walk_ancestors(id, usize::MAX)
            .iter()
            .map(|ancestor| ancestor.event.header.event_id)
            .collect()
    };
    assert_eq!(our_ancestors(&target, ids["paid"]), walk(ids["paid"]));
    assert_eq!(walk(ids["paid"]).len(), 2);
    for entry in &entries {
        assert_eq!(
            our_ancestors(&target, entry.event_id),
            batpak_closure(&engine, entry.event_id),
            "ancestors of {}",
            Uuid::from_u128(entry.event_id)
        );
    }
    // The shipped order goes back through shipment and payment to the order.
    let shipped = our_ancestors(&target, ids["shipped"]);
    for name in ["placed", "paid", "taken", "settled", "booked"] {
        assert!(shipped.contains(&ids[name]), "{name}");
    }
}

#[test]
fn the_cli_imports_a_batpak_store_and_a_bad_directory_gets_one_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("batpak-data");
    write_store(&source);
    let target = dir.path().join("cli.pwb");
    let output = cli(&["import", path(&target), "--from", "batpak", path(&source)]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("(batpak)"));

    let other = dir.path().join("other");
    std::fs::create_dir(&other).expect("dir");
    std::fs::write(other.join("notes.txt"), "hello").expect("file");
    let before = fingerprint(dir.path());
    let out = dir.path().join("never.pwb");
    let output = cli(&["import", path(&out), "--from", "batpak", path(&other)]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not a batpak data directory"), "{stderr}");
    assert!(!out.exists());
    assert_eq!(fingerprint(dir.path()), before);

    // A batpak directory is not a mako store.
    #[cfg(feature = "mako")]
    {
        let error = import_file(
            &out,
            Format::Mako,
            &source,
            &process_workbench_core::engine::Operator::current(),
            &mut |_| true,
        )
        .expect_err("not mako");
        assert!(
            error.to_string().contains("not a mako-engine store"),
            "{error}"
        );
        assert!(!out.exists());
    }
}
