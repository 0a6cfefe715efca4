//! What one write transaction changes of the counters and of the number of
//! streams per variant: kept in memory and applied once, at its end (bulk
//! writes touch some counters with every event).

use std::collections::BTreeMap;

use foldhash::HashMap;
use redb::{ReadableTable, Table};

use super::StoreError;

/// Counter and variant-count changes of one transaction.
pub(super) struct CounterChanges {
    /// Hashed: every event bumps two counters, and an ordered map compared
    /// the name with several others each time.
    counters: HashMap<String, i64>,
    /// A stream moves to a new variant with every event, and most of the
    /// variants it passes through in one transaction net out to nothing.
    variants: BTreeMap<u128, i64>,
    /// Scratch key for per-name counters, so bumping one does not allocate.
    key: String,
}

impl Default for CounterChanges {
    fn default() -> Self {
        CounterChanges {
            counters: HashMap::default(),
            variants: BTreeMap::new(),
            key: String::with_capacity(64),
        }
    }
}

impl CounterChanges {
    /// Changes the counter `name` by `delta`.
    pub fn bump(&mut self, name: &str, delta: i64) {
        if let Some(value) = self.counters.get_mut(name) {
            *value += delta;
        } else {
            self.counters.insert(name.to_string(), delta);
        }
    }

    /// Changes the counter `prefix` + `name` without building its name unless it is new.
    pub fn bump_named(&mut self, prefix: &str, name: &str, delta: i64) {
        let mut key = std::mem::take(&mut self.key);
        key.clear();
        key.push_str(prefix);
        key.push_str(name);
        self.bump(&key, delta);
        self.key = key;
    }

    /// Changes the number of streams of `variant` by `delta`.
    pub fn change_variant(&mut self, variant: u128, delta: i64) {
        *self.variants.entry(variant).or_insert(0) += delta;
    }

    /// Adds the changes of `other` to these.
    pub fn absorb(&mut self, other: CounterChanges) {
        for (name, delta) in other.counters {
            self.bump(&name, delta);
        }
        for (variant, delta) in other.variants {
            self.change_variant(variant, delta);
        }
    }

    /// Applies the changes to the tables (a count that reaches zero is
    /// removed) and forgets them.
    pub fn apply(
        &mut self,
        counters: &mut Table<'_, &'static str, u64>,
        variants: &mut Table<'_, u128, u64>,
    ) -> Result<(), StoreError> {
        for (variant, delta) in std::mem::take(&mut self.variants) {
            if delta != 0 {
                let current = variants.get(variant)?.map_or(0, |v| v.value());
                match current.saturating_add_signed(delta) {
                    0 => {
                        variants.remove(variant)?;
                    }
                    updated => {
                        variants.insert(variant, updated)?;
                    }
                }
            }
        }
        let mut changed: Vec<(String, i64)> = self.counters.drain().collect();
        changed.sort_unstable();
        for (name, delta) in changed {
            let current = counters.get(name.as_str())?.map_or(0, |v| v.value());
            match current.saturating_add_signed(delta) {
                0 => {
                    counters.remove(name.as_str())?;
                }
                updated => {
                    counters.insert(name.as_str(), updated)?;
                }
            }
        }
        Ok(())
    }
}
