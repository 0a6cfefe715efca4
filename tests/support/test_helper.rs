//! `pw-test-helper`: the second process of the tests that need one. It is a
//! test-support program, not part of the product (the product's command line
//! is `process-workbench`); the tests of this package find it through
//! `env!("CARGO_BIN_EXE_pw-test-helper")`, and Cargo builds it for them.
//!
//! ```text
//! pw-test-helper hold FILE            open FILE for writing, write one record,
//!                                     print "HOLDING", keep it open until stdin
//!                                     closes, then close it cleanly
//! pw-test-helper bulk-resubmit FILE   resubmit every dead letter of FILE,
//!                                     printing "DONE n" after each and
//!                                     "FINISHED" at the end
//! ```
//!
//! A test kills it to leave a store as a crashed writer leaves it
//! (`tests/gui/gui_open_errors.rs`, `tests/cli/cli_queues.rs`). The harness
//! side is `tests/support/helper_process.rs`.

use std::io::{Read, Write};
use std::process::ExitCode;

use process_workbench_core::engine::{Engine, Operator};
use process_workbench_core::queues::{BulkAction, run_bulk};
use process_workbench_core::store::Store;
use time::macros::datetime;
use uuid::Uuid;

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    match arguments.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["hold", path] => hold(path),
        ["bulk-resubmit", path] => bulk_resubmit(path),
        _ => {
            eprintln!("usage: pw-test-helper (hold | bulk-resubmit) FILE");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

/// Holds `path` open for writing, with a committed write, until stdin closes.
fn hold(path: &str) {
    let store = Store::open_writable(path).expect("open for writing");
    store
        .write(|writer| writer.set_meta("held_by", "pw-test-helper"))
        .expect("write");
    println!("HOLDING");
    std::io::stdout().flush().expect("flush");
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(store);
}

/// Resubmits every dead letter of `path`, one at a time, saying how far it got.
fn bulk_resubmit(path: &str) {
    let store = Store::open_writable(path).expect("open for writing");
    let mut engine = Engine::load(&store).expect("engine");
    let ids: Vec<Uuid> = store
        .read()
        .expect("read")
        .dead_letters(None, 100_000)
        .expect("dead letters")
        .items
        .iter()
        .map(|letter| letter.id)
        .collect();
    run_bulk(
        &mut engine,
        &store,
        BulkAction::Resubmit,
        &ids,
        &Operator::named("child"),
        "crash test",
        // The tests' clock (`common::T0`).
        datetime!(2026-03-02 09:00 UTC),
        &mut |done, _| {
            println!("DONE {done}");
        },
        &|| false,
    );
    println!("FINISHED");
}
