//! Bulk reads for the queue views: every dead letter as raw JSON bytes, so a
//! triage scan can decode only the few fields it groups by.

use redb::ReadableTable;

use super::query::StoreReader;
use super::{StoreError, schema};

impl StoreReader {
    /// Calls `visit(dead letter JSON bytes)` for every dead letter, in id order.
    /// Stops early when `visit` returns `Ok(false)`.
    pub fn visit_dead_letter_bytes<E: From<StoreError>>(
        &self,
        mut visit: impl FnMut(&[u8]) -> Result<bool, E>,
    ) -> Result<(), E> {
        let Some(table) = self.raw_table(schema::DEAD_LETTERS)? else {
            return Ok(());
        };
        for entry in table.iter().map_err(StoreError::from)? {
            let (_, value) = entry.map_err(StoreError::from)?;
            if !visit(value.value())? {
                break;
            }
        }
        Ok(())
    }
}
