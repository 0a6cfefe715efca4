//! The golden tests: the demo store of a fixed seed, dumped table by table in
//! a canonical form, and its JSONL export equal committed digests; so do the
//! stores that imports of fixed logs (XES, OCEL, JSONL) make.
//!
//! It guards the store format and the engine's behaviour across changes of
//! the writer: the dump holds every key and value of every table, with JSON
//! values parsed and written again with sorted object keys, so that a change
//! of bytes that keeps the content (another JSON writer, another key order)
//! passes and any change of content fails. Only the store's creation time
//! and the time of an import's audit entry are left out: they are the
//! clock's, not the demo's or the log's.
//!
//! On a mismatch the test names the first record that differs. For that it
//! keeps a 16-bit digest of every record in `golden/demo.digests`; the
//! committed constants are what decides. After an intended change of the
//! content, run `UPDATE_GOLDEN=1 cargo test -p process-workbench-core golden`:
//! it rewrites the file and prints the new constants to paste below.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::import_common::{SMALL_OCEL1, SMALL_XES, gzip, write_file};
use process_workbench_core::actions::{EventSelection, Unwatched, write_events};
use process_workbench_core::demo::{self, DemoOptions};
use process_workbench_core::engine::Operator;
use process_workbench_core::import::{Format, import_file};
use process_workbench_core::store::{Store, schema};
use redb::{ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use serde_json::Value;
use uuid::Uuid;
use xxhash_rust::xxh3::{xxh3_64, xxh3_128};

/// The demo of the golden test: big enough for most kinds of record (dead
/// letters of every reason, retries, expired deadlines, operator actions),
/// small enough for a debug build. (Its streams are too short for replay
/// checkpoints; the replay tests cover those.)
const OPTIONS: DemoOptions = DemoOptions {
    processes: 300,
    seed: 7,
};

/// xxh3-128 of the canonical dump of every table.
const DUMP_DIGEST: u128 = 0xe4e419828f48b108d010c7518d39435c;
/// xxh3-128 of `export --jsonl` (every event, the export shape).
const EXPORT_DIGEST: u128 = 0x820e5b7c459ffdfe623761c27bb1af09;
/// xxh3-128 of the canonical dumps of the stores the imports make.
const IMPORT_DIGEST: u128 = 0x42e40f7af3fc9d483aad40ca2aecf81b;

/// One record of the dump: its table (or `export.jsonl`; an import's tables
/// are named after the import), its key and its value as text.
struct Record {
    table: String,
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
    let imports = import_records(&path);

    let dump_digest = digest(&dump);
    let export_digest = digest(&export);
    let import_digest = digest(&imports);
    let golden = golden_file();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        write_golden(&golden, &[&dump, &export, &imports]);
        println!("const DUMP_DIGEST: u128 = 0x{dump_digest:032x};");
        println!("const EXPORT_DIGEST: u128 = 0x{export_digest:032x};");
        println!("const IMPORT_DIGEST: u128 = 0x{import_digest:032x};");
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
    if import_digest != IMPORT_DIGEST {
        problems.push(format!(
            "the stores the imports make differ (digest 0x{import_digest:032x}, golden 0x{IMPORT_DIGEST:032x}): {}",
            first_difference(&golden, &imports)
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
    let dump = |records: &mut Vec<Record>, table: &str, rows: Vec<(String, String)>| {
        records.extend(rows.into_iter().map(|(key, value)| Record {
            table: table.to_string(),
            key,
            value,
        }));
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
            table: "export.jsonl".to_string(),
            key: format!("line {}", index + 1),
            value: line.to_string(),
        })
        .collect()
}

// ----- imports ---------------------------------------------------------------------------

/// The canonical dumps of new stores made by importing fixed logs: the small
/// XES and OCEL logs of the import tests, a generated XES log of some size
/// (with text that JSON must escape), and the first 400 events of the demo's
/// JSONL export. Each table is named after its import, e.g. `xes/events`.
fn import_records(demo: &Path) -> Vec<Record> {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("demo.jsonl");
    let mut bytes = Vec::new();
    let store = Store::open(demo).unwrap();
    write_events(
        &store.read().unwrap(),
        &EventSelection::All,
        &mut bytes,
        &Unwatched,
    )
    .unwrap();
    drop(store);
    let lines: Vec<&str> = std::str::from_utf8(&bytes)
        .unwrap()
        .lines()
        .take(400)
        .collect();
    std::fs::write(&jsonl, lines.join("\n")).unwrap();
    let inputs = [
        (
            "small-xes",
            Format::Xes,
            write_file(dir.path(), "small.xes.gz", &gzip(SMALL_XES.as_bytes())),
        ),
        (
            "xes",
            Format::Xes,
            write_file(dir.path(), "generated.xes", generated_xes().as_bytes()),
        ),
        (
            "ocel",
            Format::Ocel,
            write_file(dir.path(), "small.json", SMALL_OCEL1.as_bytes()),
        ),
        ("jsonl", Format::Jsonl, jsonl),
    ];
    let mut records = Vec::new();
    for (label, format, input) in inputs {
        let out = dir.path().join(format!("{label}.redb"));
        import_file(
            &out,
            format,
            &input,
            &Operator::named("golden"),
            &mut |_| true,
        )
        .unwrap();
        for mut record in dump_tables(&out) {
            if record.table == "audit" {
                // The audit entry of an import is dated by the clock.
                let mut entry: Value = serde_json::from_str(&record.value).unwrap();
                entry["at"] = Value::from("(the time of the import)");
                record.value = entry.to_string();
            }
            record.table = format!("{label}/{}", record.table);
            records.push(record);
        }
    }
    records
}

/// A XES log of 200 traces of 3 to 9 events, with strings, numbers and
/// dates, repeated trace names, and text with quotes, backslashes, tabs,
/// line breaks and non-ASCII letters.
fn generated_xes() -> String {
    let mut xes = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<log xes.version=\"1849-2016\" xmlns=\"http://www.xes-standard.org/\">\n<string key=\"concept:name\" value=\"generated\"/>\n",
    );
    let activities = [
        "Eingang prüfen",
        "say &quot;hi&quot;",
        "back\\slash",
        "tab&#9;bed",
        "two&#10;lines",
        "plain",
    ];
    for trace in 0..200u32 {
        let name = format!("case {}", trace % 170);
        writeln!(xes, "<trace><string key=\"concept:name\" value=\"{name}\"/><int key=\"size\" value=\"{trace}\"/>").unwrap();
        for event in 0..(3 + trace % 7) {
            let activity = activities[((trace + event * 5) % 6) as usize];
            let minute = (trace * 13 + event * 7) % 60;
            writeln!(
                xes,
                "<event><string key=\"concept:name\" value=\"{activity}\"/><date key=\"time:timestamp\" value=\"2024-05-{:02}T10:{minute:02}:00+02:00\"/><float key=\"cost\" value=\"{}.25\"/><string key=\"org:resource\" value=\"Zoë {}\"/></event>",
                1 + trace % 28,
                event * 3,
                event % 4
            )
            .unwrap();
        }
        xes.push_str("</trace>\n");
    }
    xes.push_str("</log>\n");
    xes
}

// ----- the golden file ----------------------------------------------------------------------

fn golden_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/core/golden/demo.digests")
}

/// Records per line of the golden file.
const PER_LINE: usize = 32;

/// Writes, per table, a line with its name and number of records, then the
/// 16-bit digests of its records in key order (4 hex digits each, 32 to a
/// line): enough to find the first record that differs, small enough to commit.
fn write_golden(path: &Path, groups: &[&[Record]]) {
    let mut text = String::from(
        "# The golden test's record digests (tests/core/golden.rs). Regenerate: UPDATE_GOLDEN=1.\n",
    );
    for table in groups.iter().flat_map(|records| tables(records)) {
        writeln!(text, "table {} {}", table[0].table, table.len()).unwrap();
        for line in table.chunks(PER_LINE) {
            let digests: Vec<String> = line
                .iter()
                .map(|record| format!("{:04x}", record.digest()))
                .collect();
            writeln!(text, "{}", digests.concat()).unwrap();
        }
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Whether two tables are of one group of the golden file: the demo's
/// tables, the export, or the imports' tables.
fn same_group(a: &str, b: &str) -> bool {
    let group = |table: &str| (table == "export.jsonl", table.contains('/'));
    group(a) == group(b)
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
                line.as_bytes()
                    .chunks(4)
                    .filter_map(|digest| std::str::from_utf8(digest).ok())
                    .filter_map(|digest| u16::from_str_radix(digest, 16).ok()),
            );
        }
    }
    let actual = tables(records);
    for table in &actual {
        let name = table[0].table.as_str();
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
        .filter(|name| {
            records
                .first()
                .is_some_and(|first| same_group(&first.table, name))
        })
        .collect();
    if !missing.is_empty() {
        return format!("tables missing here: {}", missing.join(", "));
    }
    "every record's digest agrees with the golden file, which is out of date".to_string()
}
