//! The baselines the speed figures compare with: a plain redb bulk insert of
//! exactly the records a store holds — every table, with the store's own key
//! and value types, rows in key order (redb's fastest insert order), one
//! transaction — and of its event records alone, into one table. Shared by
//! the benchmarks through `#[path]`.

use std::path::Path;
use std::time::{Duration, Instant};

use process_workbench_core::store::Store;
use process_workbench_core::store::schema::*;
use redb::{Key, ReadableDatabase, ReadableTableMetadata, TableDefinition, Value};

type Rows = Vec<(Vec<u8>, Vec<u8>)>;

/// Every row of every table of a store, as bytes, table by table.
pub struct StoreRows {
    tables: Vec<Rows>,
}

impl StoreRows {
    /// Reads every row of the store at `path`.
    pub fn read(path: &Path) -> Result<StoreRows> {
        let database = redb::ReadOnlyDatabase::open(path)?;
        let transaction = database.begin_read()?;
        let mut reader = Reader {
            transaction: &transaction,
            tables: Vec::new(),
        };
        every_table(&mut reader)?;
        Ok(StoreRows {
            tables: reader.tables,
        })
    }

    /// Rows in all tables.
    pub fn len(&self) -> usize {
        self.tables.iter().map(Vec::len).sum()
    }

    /// Inserts every row into a new redb file at `path` (with a cache of
    /// `cache_bytes`) in one transaction; returns the time it took.
    pub fn insert_into(&self, path: &Path, cache_bytes: usize) -> Result<Duration> {
        let started = Instant::now();
        let database = redb::Builder::new()
            .set_cache_size(cache_bytes)
            .create(path)?;
        let transaction = database.begin_write()?;
        let mut writer = Writer {
            transaction: &transaction,
            tables: self.tables.iter(),
        };
        every_table(&mut writer)?;
        transaction.commit()?;
        drop(database);
        Ok(started.elapsed())
    }
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The event records of a store: (position, stored JSON), in log order.
pub fn event_records(path: &Path) -> Result<Vec<(u64, Vec<u8>)>> {
    let store = Store::open(path)?;
    let reader = store.read()?;
    let mut records = Vec::with_capacity(usize::try_from(reader.last_position()?)?);
    let mut from = 1;
    loop {
        let page = reader.log_raw(from, 65_536)?;
        let Some((last, _)) = page.last() else {
            break;
        };
        from = last + 1;
        records.extend(page);
    }
    Ok(records)
}

/// Inserts event records (position → JSON) into one table of a new redb file
/// at `path`: in one transaction, or `batch` records per transaction that are
/// made durable by a last commit. Returns the time it took.
pub fn insert_event_records(
    records: &[(u64, Vec<u8>)],
    path: &Path,
    batch: Option<usize>,
) -> Result<Duration> {
    const EVENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("events");
    let started = Instant::now();
    let database = redb::Database::create(path)?;
    for chunk in records.chunks(batch.unwrap_or(records.len()).max(1)) {
        let mut transaction = database.begin_write()?;
        if batch.is_some() {
            transaction.set_durability(redb::Durability::None)?;
        }
        {
            let mut table = transaction.open_table(EVENTS)?;
            for (position, json) in chunk {
                table.insert(*position, json.as_slice())?;
            }
        }
        transaction.commit()?;
    }
    if batch.is_some() {
        database.begin_write()?.commit()?;
    }
    drop(database);
    Ok(started.elapsed())
}

/// Something done to each table, with its types.
trait TableVisitor {
    fn visit<K: Key + 'static, V: Value + 'static>(
        &mut self,
        table: TableDefinition<K, V>,
    ) -> Result<()>;
}

/// Visits every table of the store format, always in the same order.
fn every_table(visitor: &mut impl TableVisitor) -> Result<()> {
    visitor.visit(META)?;
    visitor.visit(COUNTERS)?;
    visitor.visit(EVENTS)?;
    visitor.visit(STREAM_EVENTS)?;
    visitor.visit(STREAMS)?;
    visitor.visit(STREAMS_BY_TYPE)?;
    visitor.visit(STREAMS_BY_STATUS)?;
    visitor.visit(VARIANTS)?;
    visitor.visit(EVENT_IDS)?;
    visitor.visit(CAUSED_BY)?;
    visitor.visit(CORRELATED)?;
    visitor.visit(CORRELATION_KEYS)?;
    visitor.visit(OUTBOX)?;
    visitor.visit(OUTBOX_DUE)?;
    visitor.visit(DEADLINES)?;
    visitor.visit(DEADLINES_DUE)?;
    visitor.visit(DEAD_LETTERS)?;
    visitor.visit(DEAD_LETTERS_BY_TIME)?;
    visitor.visit(DEAD_LETTERS_BY_REASON)?;
    visitor.visit(INBOX)?;
    visitor.visit(CHECKPOINTS)?;
    visitor.visit(DEFINITIONS)?;
    visitor.visit(AUDIT)?;
    Ok(())
}

struct Reader<'t> {
    transaction: &'t redb::ReadTransaction,
    tables: Vec<Rows>,
}

impl TableVisitor for Reader<'_> {
    fn visit<K: Key + 'static, V: Value + 'static>(
        &mut self,
        table: TableDefinition<K, V>,
    ) -> Result<()> {
        let mut rows = Vec::new();
        match self.transaction.open_table(table) {
            Ok(table) => {
                rows.reserve(usize::try_from(table.len()?)?);
                for row in redb::ReadableTable::iter(&table)? {
                    let (key, value) = row?;
                    rows.push((
                        K::as_bytes(&key.value()).as_ref().to_vec(),
                        V::as_bytes(&value.value()).as_ref().to_vec(),
                    ));
                }
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(error) => return Err(error.into()),
        }
        self.tables.push(rows);
        Ok(())
    }
}

struct Writer<'t, 'r> {
    transaction: &'t redb::WriteTransaction,
    tables: std::slice::Iter<'r, Rows>,
}

impl TableVisitor for Writer<'_, '_> {
    fn visit<K: Key + 'static, V: Value + 'static>(
        &mut self,
        table: TableDefinition<K, V>,
    ) -> Result<()> {
        let rows = self.tables.next().ok_or("fewer tables read than written")?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut table = self.transaction.open_table(table)?;
        for (key, value) in rows {
            table.insert(K::from_bytes(key), V::from_bytes(value))?;
        }
        Ok(())
    }
}
