//! Every importer is fed random and mutated inputs (bytes flipped, cut,
//! inserted into small real logs): it returns an error or a store, and never
//! panics or hangs. The store it writes into must pass the integrity check
//! after every case.

use std::path::PathBuf;

use crate::import_common::*;
use process_workbench_core::import::{Format, import_into};
use process_workbench_core::store::Store;
use proptest::prelude::*;

/// Seeds per format: the embedded samples, plus a small shared real log;
/// without the shared folder, the test runs on the samples alone and reports
/// the real log's part as skipped.
fn seeds(format: Format, test: &str) -> Vec<Vec<u8>> {
    let mut seeds = match format {
        Format::Xes => vec![SMALL_XES.as_bytes().to_vec(), gzip(SMALL_XES.as_bytes())],
        Format::Ocel => vec![SMALL_OCEL1.as_bytes().to_vec()],
        Format::Jsonl => vec![JSONL.as_bytes().to_vec()],
        // Engine data folders are not byte streams; tests/import_{mako,batpak}.rs damage them.
        _ => Vec::new(),
    };
    let name = match format {
        Format::Xes => "running-example.xes",
        Format::Ocel => "ocel20_example.jsonocel",
        _ => return seeds,
    };
    let test = format!("import_fuzz::{test} (seeded with the real log {name})");
    if let Some(shared) = data_dir(&test) {
        let path = shared.join(name);
        let bytes =
            std::fs::read(&path).unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
        seeds.push(bytes);
    }
    seeds
}

const JSONL: &str = concat!(
    r#"{"event_id":"0190a5b2-0000-7000-8000-000000000001","stream_id":"s","version":1,"position":1,"event_type":"a","occurred_at":"2020-01-01T00:00:00Z","recorded_at":"2020-01-01T00:00:01Z","correlation_id":null,"causation_id":null,"payload":{"x":[1,2,{"y":null}]},"metadata":{}}"#,
    "\n",
    r#"{"event_id":"0190a5b2-0000-7000-8000-000000000002","stream_id":"t","other_streams":[{"stream_id":"s","version":2}],"event_type":"b","occurred_at":"2020-01-02T00:00:00+01:00","causation_id":"0190a5b2-0000-7000-8000-000000000001","other_causes":["0190a5b2-0000-7000-8000-000000000009"],"payload":"text"}"#,
    "\n",
    r#"{"stream_id":"u","event_type":"c","occurred_at":"2020-01-03 00:00:00"}"#,
    "\n"
);

/// How to damage a seed.
#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, mask: u8 },
    Cut { at: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Remove { at: usize, len: usize },
    Random(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Vec<Mutation>> {
    let one = prop_oneof![
        4 => (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        1 => any::<usize>().prop_map(|at| Mutation::Cut { at }),
        2 => (any::<usize>(), prop::collection::vec(
            prop_oneof![any::<u8>(), Just(b'<'), Just(b'>'), Just(b'"'), Just(b'{'), Just(b'}'), Just(b'\n')], 1..8))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        2 => (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Remove { at, len }),
        1 => prop::collection::vec(any::<u8>(), 0..256).prop_map(Mutation::Random),
    ];
    prop::collection::vec(one, 1..4)
}

fn apply(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for mutation in mutations {
        let len = bytes.len().max(1);
        match mutation {
            Mutation::Flip { at, mask } => {
                if !bytes.is_empty() {
                    let at = at % bytes.len();
                    bytes[at] ^= mask;
                }
            }
            Mutation::Cut { at } => bytes.truncate(at % len),
            Mutation::Insert { at, bytes: new } => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, new.iter().copied());
            }
            Mutation::Remove { at, len: count } => {
                let at = at % len;
                let end = (at + count).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
            Mutation::Random(random) => bytes = random.clone(),
        }
    }
    bytes
}

/// Imports each case into one store (failures roll back, successes commit).
struct Harness {
    _dir: tempfile::TempDir,
    input: PathBuf,
    store: Store,
    format: Format,
    seeds: Vec<Vec<u8>>,
}

impl Harness {
    fn new(format: Format, test: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::create(dir.path().join("fuzz.pwb")).expect("store");
        Harness {
            input: dir.path().join("input"),
            _dir: dir,
            store,
            format,
            seeds: seeds(format, test),
        }
    }

    fn run(&self, seed: usize, mutations: &[Mutation]) {
        let bytes = apply(&self.seeds[seed % self.seeds.len()], mutations);
        std::fs::write(&self.input, &bytes).expect("write input");
        let result = import_into(
            &self.store,
            self.format,
            &self.input,
            &process_workbench_core::engine::Operator::current(),
            &mut |_| true,
        );
        if let Err(error) = &result {
            let message = error.to_string();
            assert!(
                !message.is_empty() && !message.contains('\n'),
                "{message:?}"
            );
        }
    }

    fn assert_consistent(&self) {
        let reader = self.store.read().expect("read");
        let report = process_workbench_core::store::check::check(&reader, |_, _| true)
            .expect("check")
            .expect("not cancelled");
        assert!(report.is_ok(), "{:?}", report.violations);
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

#[test]
fn xes_importer_survives_mutations() {
    let harness = Harness::new(Format::Xes, "xes_importer_survives_mutations");
    proptest!(config(), |(seed in any::<usize>(), mutations in mutation())| {
        harness.run(seed, &mutations);
    });
    harness.assert_consistent();
}

#[test]
fn ocel_importer_survives_mutations() {
    let harness = Harness::new(Format::Ocel, "ocel_importer_survives_mutations");
    proptest!(config(), |(seed in any::<usize>(), mutations in mutation())| {
        harness.run(seed, &mutations);
    });
    harness.assert_consistent();
}

#[test]
fn jsonl_importer_survives_mutations() {
    let harness = Harness::new(Format::Jsonl, "jsonl_importer_survives_mutations");
    proptest!(config(), |(seed in any::<usize>(), mutations in mutation())| {
        harness.run(seed, &mutations);
    });
    harness.assert_consistent();
}
