//! mako-engine store import speed: writes a mako-engine store of 100,000
//! events (10,000 processes of 10 events, a tenth of them with an outbox
//! message and a deadline) with mako-engine's own API, then measures in the
//! same run:
//! (a) the baseline: mako-engine's own read of everything — `open_local`,
//!     `list_streams`, and `load` of every stream — on a copy of the store,
//! (b) `import_file` of the store into a new workbench store (private copy,
//!     SlateDB scan, mapping, one redb write transaction);
//! and prints the ratio of their speeds (b / a; the goal is at least 0.5).
//!
//! Run: `cargo run --release --example bench_mako [EVENTS]`

/// The allocator of the `process-workbench` binary, so that figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use std::time::Instant;

use mako_engine::deadline::Deadline;
use mako_engine::envelope::NewEvent;
use mako_engine::event_store::{AppendBatch, AtomicAppend, EventStore, ExpectedVersion};
use mako_engine::ids::{ConversationId, CorrelationId, ProcessId, StreamId, TenantId};
use mako_engine::outbox::PendingOutbox;
use mako_engine::store_slatedb::SlateDbStore;
use mako_engine::version::WorkflowId;
use process_workbench_core::import::{Format, import_file};
use serde_json::json;
use time::macros::datetime;

const EVENTS_PER_PROCESS: u64 = 10;
/// Appends in flight at once: SlateDB commits wait for a WAL flush, which
/// concurrent appends share.
const CONCURRENT: usize = 500;

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let events: u64 = match std::env::args().nth(1) {
        Some(text) => text.parse()?,
        None => 100_000,
    };
    let processes = events.div_ceil(EVENTS_PER_PROCESS);
    let dir = tempfile::tempdir()?;
    let source = dir.path().join("makod-data");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;

    let started = Instant::now();
    runtime.block_on(write(&source, processes))?;
    println!(
        "wrote a mako-engine store of {} events in {} streams in {:.1} s ({:.1} MiB)",
        processes * EVENTS_PER_PROCESS,
        processes,
        started.elapsed().as_secs_f64(),
        tree_bytes(&source)? as f64 / (1024.0 * 1024.0)
    );

    let mut best_load = f64::MAX;
    let mut best_import = f64::MAX;
    for round in 1..=3 {
        let copy = dir.path().join(format!("baseline-{round}"));
        copy_tree(&source, &copy)?;
        let started = Instant::now();
        let loaded = runtime.block_on(load_all(&copy))?;
        let load = started.elapsed().as_secs_f64();
        let target = dir.path().join(format!("imported-{round}.pwb"));
        let started = Instant::now();
        let report = import_file(
            &target,
            Format::Mako,
            &source,
            &process_workbench_core::engine::Operator::current(),
            &mut |_| true,
        )?;
        let import = started.elapsed().as_secs_f64();
        assert_eq!(report.events, loaded, "the import must see every event");
        println!(
            "round {round}: (a) mako-engine load of every stream {load:.2} s ({:.0} events/s), \
             (b) import_file {import:.2} s ({:.0} events/s)",
            loaded as f64 / load,
            report.events as f64 / import
        );
        best_load = best_load.min(load);
        best_import = best_import.min(import);
    }
    println!(
        "best: (a) {best_load:.2} s, (b) {best_import:.2} s; import speed / load speed = {:.2} (goal >= 0.5)",
        best_load / best_import
    );
    Ok(())
}

async fn write(dir: &Path, processes: u64) -> Result<(), Error> {
    let store = SlateDbStore::open_local(dir).await?;
    let tenant = TenantId::new();
    let workflows = [
        WorkflowId::new("gpke.lieferbeginn", "FV2025-04-04"),
        WorkflowId::new("gpke.lieferende", "FV2025-04-04"),
        WorkflowId::new("mabis.abrechnung", "FV2025-04-04"),
    ];
    let mut index = 0;
    while index < processes {
        let mut tasks = tokio::task::JoinSet::new();
        for process_index in index..(index + CONCURRENT as u64).min(processes) {
            let store = store.clone();
            let workflow = workflows[(process_index % 3) as usize].clone();
            tasks.spawn(
                async move { append_process(&store, tenant, workflow, process_index).await },
            );
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
        index += CONCURRENT as u64;
    }
    store.close().await?;
    Ok(())
}

async fn append_process(
    store: &SlateDbStore,
    tenant: TenantId,
    workflow: WorkflowId,
    index: u64,
) -> Result<(), mako_engine::error::EngineError> {
    let process = ProcessId::new();
    let stream = StreamId::for_process(tenant, &process);
    let correlation = CorrelationId::new();
    let conversation = ConversationId::new();
    let events: Vec<NewEvent> = (0..EVENTS_PER_PROCESS)
        .map(|step| {
            NewEvent::new(
                correlation,
                None,
                conversation,
                process,
                tenant,
                workflow.clone(),
                format!("Schritt{step}"),
                1,
                json!({
                    "malo": format!("5123869{index:05}"),
                    "step": step,
                    "sender": "9900000000002",
                    "receiver": "9900000000003",
                    "valid_from": "2026-01-01T00:00:00Z",
                }),
            )
        })
        .collect();
    let outbox = if index.is_multiple_of(10) {
        vec![PendingOutbox::new(
            "APERAK",
            "9900000000003",
            json!({ "ack": index }),
        )]
    } else {
        Vec::new()
    };
    let deadlines = if index.is_multiple_of(10) {
        vec![Deadline::new(
            stream.clone(),
            process,
            tenant,
            workflow.clone(),
            "AntwortFrist",
            datetime!(2030-01-01 0:00 UTC),
        )]
    } else {
        Vec::new()
    };
    // Concurrent appends with outbox messages or deadlines all update the same
    // counters, which SlateDB's serializable transactions report as a conflict:
    // the append did not happen and is tried again.
    loop {
        let appended = store
            .append(
                AppendBatch::new(&stream, ExpectedVersion::NoStream, &events)
                    .outbox(&outbox)
                    .deadlines(&deadlines),
            )
            .await;
        match appended {
            Err(error) if error.is_version_conflict() => continue,
            other => return other.map(|_| ()),
        }
    }
}

/// mako-engine's own read of every event: every stream listed and loaded.
async fn load_all(dir: &Path) -> Result<u64, Error> {
    let store = SlateDbStore::open_local(dir).await?;
    let mut events = 0;
    for stream in store.list_streams(None).await? {
        events += store.load(&stream).await?.len() as u64;
    }
    store.close().await?;
    Ok(events)
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn tree_bytes(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        total += if entry.file_type()?.is_dir() {
            tree_bytes(&entry.path())?
        } else {
            entry.metadata()?.len()
        };
    }
    Ok(total)
}
