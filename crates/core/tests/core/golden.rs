//! The golden test: the demo store of a fixed seed, dumped table by table in
//! a canonical form, and its JSONL export equal committed digests.
//!
//! It guards the store format and the engine's behaviour across changes of
//! the writer: the dump holds every key and value of every table, with JSON
//! values parsed and written again with sorted object keys, so that a change
//! of bytes that keeps the content (another JSON writer, another key order)
//! passes and any change of content fails. Only the store's creation time is
//! left out: it is the clock's, not the demo's.
//!
//! On a mismatch the test names the first record that differs. For that it
//! keeps a 16-bit digest of every record in `golden/demo.digests`; the
//! committed constants are what decides. After an intended change of the
//! content, run `UPDATE_GOLDEN=1 cargo test -p process-workbench-core golden`:
//! it rewrites the file and prints the new constants to paste below.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use process_workbench_core::actions::{EventSelection, Unwatched, write_events};
use process_workbench_core::demo::{self, DemoOptions};
use process_workbench_core::store::{Store, schema};
use redb::{ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use serde_json::Value;
use uuid::Uuid;
use xxhash_rust::xxh3::{xxh3_64, xxh3_128};

/// The demo of the golden test: big enough for every kind of record
/// (dead letters of every reason, retries, expired deadlines, checkpoints,
/// operator actions), small enough for a debug build.
const OPTIONS: DemoOptions = DemoOptions {
    processes: 300,
    seed: 7,
};

/// xxh3-128 of the canonical dump of every table.
const DUMP_DIGEST: u128 = 0xe4e419828f48b108d010c7518d39435c;
/// xxh3-128 of `export --jsonl` (every event, the export shape).
const EXPORT_DIGEST: u128 = 0x820e5b7c459ffdfe623761c27bb1af09;

/// One record of the dump: its table (or `export.jsonl`), its key and its value as text.
struct Record {
    table: &'static str,
    key: String,
    value: String,
}

impl Record {
    fn line(&self) -> String {
        format!("{}\t{}\t{}\n", self.table, self.key, self.value)
    }

    /// The per-record digest kept in the golden file.
    fn digest(&self) -> u16 {
        // 16 bits of a 64-bit hash: enough to find the first difference.
        xxh3_64(self.line().as_bytes()) as u16
    }
}

#[test]
fn the_demo_of_a_fixed_seed_has_the_golden_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("golden.redb");
    demo::generate(&path, OPTIONS, |_, _| true).unwrap();

    let dump = dump_tables(&path);
    let export = export_records(&path);

    let dump_digest = digest(&dump);
    let export_digest = digest(&export);
    let golden = golden_file();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        write_golden(&golden, &dump, &export);
        println!("const DUMP_DIGEST: u128 = 0x{dump_digest:032x};");
        println!("const EXPORT_DIGEST: u128 = 0x{export_digest:032x};");
        return;
    }
    let mut problems = Vec::new();
    if dump_digest != DUMP_DIGEST {
        problems.push(format!(
            "the canonical dump of the tables differs (digest 0x{dump_digest:032x}, golden 0x{DUMP_DIGEST:032x}): {}",
            first_difference(&golden, &dump)
        ));
    }
    if export_digest != EXPORT_DIGEST {
        problems.push(format!(
            "the JSONL export differs (digest 0x{export_digest:032x}, golden 0x{EXPORT_DIGEST:032x}): {}",
            first_difference(&golden, &export)
        ));
    }
    assert!(
        problems.is_empty(),
        "{}\n(after an intended change: UPDATE_GOLDEN=1 cargo test -p process-workbench-core golden)",
        problems.join("\n")
    );
}

/// xxh3-128 of the records' lines, one after another.
fn digest(records: &[Record]) -> u128 {
    let mut text = String::new();
    for record in records {
        text.push_str(&record.line());
    }
    xxh3_128(text.as_bytes())
}

// ----- the canonical dump ------------------------------------------------------------------

/// Every record of every table, tables in name order, records in key order.
fn dump_tables(path: &Path) -> Vec<Record> {
    let database = redb::Database::open(path).unwrap();
    let txn = database.begin_read().unwrap();
    let mut names: Vec<String> = txn
        .list_tables()
        .unwrap()
        .map(|table| table.name().to_string())
        .collect();
    names.sort();
    let mut known = vec![
        schema::META.name(),
        schema::COUNTERS.name(),
        schema::EVENTS.name(),
        schema::STREAM_EVENTS.name(),
        schema::STREAMS.name(),
        schema::STREAMS_BY_TYPE.name(),
        schema::STREAMS_BY_STATUS.name(),
        schema::VARIANTS.name(),
        schema::EVENT_IDS.name(),
        schema::CAUSED_BY.name(),
        schema::CORRELATED.name(),
        schema::CORRELATION_KEYS.name(),
        schema::OUTBOX.name(),
        schema::OUTBOX_DUE.name(),
        schema::DEADLINES.name(),
        schema::DEADLINES_DUE.name(),
        schema::DEAD_LETTERS.name(),
        schema::DEAD_LETTERS_BY_TIME.name(),
        schema::DEAD_LETTERS_BY_REASON.name(),
        schema::INBOX.name(),
        schema::CHECKPOINTS.name(),
        schema::DEFINITIONS.name(),
        schema::AUDIT.name(),
    ];
    known.sort();
    assert_eq!(
        names, known,
        "the store's tables are not the schema's: a table was added or lost"
    );

    let mut records = Vec::new();
    let dump = |records: &mut Vec<Record>, table: &'static str, rows: Vec<(String, String)>| {
        records.extend(
            rows.into_iter()
                .map(|(key, value)| Record { table, key, value }),
        );
    };
    // In table-name order, as `names` is.
    dump(
        &mut records,
        "audit",
        rows(&txn, schema::AUDIT, |k| k.to_string(), json),
    );
    dump(
        &mut records,
        "caused_by",
        rows(
            &txn,
            schema::CAUSED_BY,
            |(c, e)| format!("{} {}", id(c), id(e)),
            |()| String::new(),
        ),
    );
    dump(
        &mut records,
        "checkpoints",
        rows(&txn, schema::CHECKPOINTS, |(s, v)| format!("{s} {v}"), json),
    );
    dump(
        &mut records,
        "correlated",
        rows(
            &txn,
            schema::CORRELATED,
            |(c, p)| format!("{} {p}", id(c)),
            |()| String::new(),
        ),
    );
    dump(
        &mut records,
        "correlation_keys",
        rows(
            &txn,
            schema::CORRELATION_KEYS,
            str::to_string,
            str::to_string,
        ),
    );
    dump(
        &mut records,
        "counters",
        rows(&txn, schema::COUNTERS, str::to_string, |v| v.to_string()),
    );
    dump(
        &mut records,
        "dead_letters",
        rows(&txn, schema::DEAD_LETTERS, id, json),
    );
    dump(
        &mut records,
        "dead_letters_by_reason",
        rows(
            &txn,
            schema::DEAD_LETTERS_BY_REASON,
            |(r, t, i)| format!("{r} {t} {}", id(i)),
            |()| String::new(),
        ),
    );
    dump(
        &mut records,
        "dead_letters_by_time",
        rows(
            &txn,
            schema::DEAD_LETTERS_BY_TIME,
            |(t, i)| format!("{t} {}", id(i)),
            |()| String::new(),
        ),
    );
    dump(
        &mut records,
        "deadlines",
        rows(&txn, schema::DEADLINES, id, json),
    );
    dump(
        &mut records,
        "deadlines_due",
        rows(
            &txn,
            schema::DEADLINES_DUE,
            |(t, i)| format!("{t} {}", id(i)),
            |()| String::new(),
        ),
    );
    dump(
        &mut records,
        "definitions",
        rows(&txn, schema::DEFINITIONS, str::to_string, json),
    );
    dump(
        &mut records,
        "event_ids",
        rows(&txn, schema::EVENT_IDS, id, |p| p.to_string()),
    );
    dump(
        &mut records,
        "events",
        rows(&txn, schema::EVENTS, |k| k.to_string(), json),
    );
    dump(
        &mut records,
        "inbox",
        rows(&txn, schema::INBOX, str::to_string, |p| p.to_string()),
    );
    let mut meta = rows(&txn, schema::META, str::to_string, str::to_string);
    for (key, value) in &mut meta {
        if key == schema::META_CREATED_AT {
            // The wall clock when the file was made: the one value a seed does not decide.
            *value = "(the time of creation)".to_string();
        }
    }
    dump(&mut records, "meta", meta);
    dump(&mut records, "outbox", rows(&txn, schema::OUTBOX, id, json));
    dump(
        &mut records,
        "outbox_due",
        rows(
            &txn,
            schema::OUTBOX_DUE,
            |(t, i)| format!("{t} {}", id(i)),
            |()| String::new(),
        ),
    );
    dump(
        &mut records,
        "stream_events",
        rows(
            &txn,
            schema::STREAM_EVENTS,
            |(s, v)| format!("{s} {v}"),
            |p| p.to_string(),
        ),
    );
    dump(
        &mut records,
        "streams",
        rows(&txn, schema::STREAMS, str::to_string, json),
    );
    dump(
        &mut records,
        "streams_by_status",
        rows(
            &txn,
            schema::STREAMS_BY_STATUS,
            |(s, i)| format!("{s} {i}"),
            |()| String::new(),
        ),
    );
    dump(
        &mut records,
        "streams_by_type",
        rows(
            &txn,
            schema::STREAMS_BY_TYPE,
            |(t, s, i)| format!("{t} {s} {i}"),
            |()| String::new(),
        ),
    );
    dump(
        &mut records,
        "variants",
        rows(
            &txn,
            schema::VARIANTS,
            |v| format!("{v:032x}"),
            |n| n.to_string(),
        ),
    );
    records
}

/// The rows of one table as text, in key order.
fn rows<K, V>(
    txn: &redb::ReadTransaction,
    definition: TableDefinition<K, V>,
    key: impl Fn(K::SelfType<'_>) -> String,
    value: impl Fn(V::SelfType<'_>) -> String,
) -> Vec<(String, String)>
where
    K: redb::Key + 'static,
    V: redb::Value + 'static,
{
    let table = txn.open_table(definition).unwrap();
    table
        .iter()
        .unwrap()
        .map(|entry| {
            let (k, v) = entry.unwrap();
            (key(k.value()), value(v.value()))
        })
        .collect()
}

fn id(value: u128) -> String {
    Uuid::from_u128(value).to_string()
}

/// A JSON record, parsed and written with sorted object keys.
fn json(bytes: &[u8]) -> String {
    let value: Value = serde_json::from_slice(bytes)
        .unwrap_or_else(|error| panic!("a record is not JSON ({error}): {bytes:?}"));
    let mut text = String::new();
    canonical(&value, &mut text);
    text
}

fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (index, key) in keys.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// `export --jsonl` of every event: one record per line, as written.
fn export_records(path: &Path) -> Vec<Record> {
    let store = Store::open(path).unwrap();
    let reader = store.read().unwrap();
    let mut bytes = Vec::new();
    write_events(&reader, &EventSelection::All, &mut bytes, &Unwatched).unwrap();
    String::from_utf8(bytes)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(index, line)| Record {
            table: "export.jsonl",
            key: format!("line {}", index + 1),
            value: line.to_string(),
        })
        .collect()
}

// ----- the golden file ----------------------------------------------------------------------

fn golden_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/core/golden/demo.digests")
}

/// Records per line of the golden file.
const PER_LINE: usize = 32;

/// Writes, per table, a line with its name and number of records, then the
/// 16-bit digests of its records in key order (4 hex digits each): enough to
/// find the first record that differs, small enough to commit.
fn write_golden(path: &Path, dump: &[Record], export: &[Record]) {
    let mut text = String::from(
        "# The golden test's record digests (tests/core/golden.rs). Regenerate: UPDATE_GOLDEN=1.\n",
    );
    for table in tables(dump).into_iter().chain(tables(export)) {
        writeln!(text, "table {} {}", table[0].table, table.len()).unwrap();
        for line in table.chunks(PER_LINE) {
            let digests: Vec<String> = line
                .iter()
                .map(|record| format!("{:04x}", record.digest()))
                .collect();
            writeln!(text, "{}", digests.join(" ")).unwrap();
        }
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The records grouped by table, in their order.
fn tables(records: &[Record]) -> Vec<&[Record]> {
    records.chunk_by(|a, b| a.table == b.table).collect()
}

/// Where `records` first differ from the golden file: the table, and the
/// first record whose digest differs (or that one side lacks).
fn first_difference(golden: &Path, records: &[Record]) -> String {
    let Ok(text) = std::fs::read_to_string(golden) else {
        return format!(
            "{} is missing, so the first difference is unknown",
            golden.display()
        );
    };
    let mut expected: Vec<(String, Vec<u16>)> = Vec::new();
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        if let Some(header) = line.strip_prefix("table ") {
            let name = header.split(' ').next().unwrap_or_default();
            expected.push((name.to_string(), Vec::new()));
        } else if let Some((_, digests)) = expected.last_mut() {
            digests.extend(
                line.split(' ')
                    .filter_map(|digest| u16::from_str_radix(digest, 16).ok()),
            );
        }
    }
    let actual = tables(records);
    for table in &actual {
        let name = table[0].table;
        let Some((_, digests)) = expected.iter().find(|(golden, _)| golden == name) else {
            return format!("table {name} is not in the golden file");
        };
        for (index, record) in table.iter().enumerate() {
            match digests.get(index) {
                Some(&digest) if digest == record.digest() => {}
                Some(_) => {
                    return format!(
                        "first difference in table {name}, record {} of {} (golden: {}): key {} = {}",
                        index + 1,
                        table.len(),
                        digests.len(),
                        record.key,
                        record.value
                    );
                }
                None => {
                    return format!(
                        "table {name} has {} records, the golden file {}: the first new one is key {} = {}",
                        table.len(),
                        digests.len(),
                        record.key,
                        record.value
                    );
                }
            }
        }
        if digests.len() > table.len() {
            return format!(
                "table {name} has {} records, the golden file {}: records after key {} are missing",
                table.len(),
                digests.len(),
                table[table.len() - 1].key
            );
        }
    }
    let missing: Vec<&str> = expected
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| actual.iter().all(|table| table[0].table != *name))
        .collect();
    if !missing.is_empty() {
        return format!("tables missing here: {}", missing.join(", "));
    }
    "every record's digest agrees with the golden file, which is out of date".to_string()
}
