//! Index entries of events on their way to their tables, written in key
//! order: those of a batch on the table thread, and the `stream_events`
//! entries a write transaction holds back until it ends.
//!
//! `stream_events` is keyed by stream: the events of a transaction land all
//! over that tree, and each insert in arrival order walks to a different
//! leaf. Sorted at the end, they walk the tree once from left to right.
//! `caused_by` and `correlated` begin with time-ordered ids (UUID v7), so
//! they come nearly in key order anyway.

use foldhash::HashMap;

use redb::Table;

use super::StoreError;
use super::records::Event;

/// Index entries of this transaction's events, not yet in their tables.
#[derive(Default)]
pub(super) struct PendingEventIndexes {
    /// (version, position) per stream, in version order.
    stream_events: HashMap<String, Vec<(u64, u64)>>,
    /// More of them, in stream order (a stream may be in both).
    sorted_streams: Vec<(String, Vec<(u64, u64)>)>,
    /// (cause id, event id).
    caused_by: Vec<(u128, u128)>,
    /// (correlation id, position).
    correlated: Vec<(u128, u64)>,
}

impl PendingEventIndexes {
    /// Adds the index entries of `event`.
    pub fn add(&mut self, event: &Event) {
        self.add_stream_entries(event);
        self.add_links(event);
    }

    /// Adds the `stream_events` entries of `event`, one per stream it is in.
    pub fn add_stream_entries(&mut self, event: &Event) {
        let position = event.position;
        for (stream_id, version) in event.memberships() {
            match self.stream_events.get_mut(stream_id) {
                Some(versions) => versions.push((version, position)),
                None => {
                    self.stream_events
                        .insert(stream_id.to_string(), vec![(version, position)]);
                }
            }
        }
    }

    /// Adds the `caused_by` and `correlated` entries of `event`.
    pub fn add_links(&mut self, event: &Event) {
        let event_id = event.event_id.as_u128();
        self.caused_by
            .extend(event.causes().map(|cause| (cause.as_u128(), event_id)));
        if let Some(correlation) = event.correlation_id {
            self.correlated
                .push((correlation.as_u128(), event.position));
        }
    }

    /// Adds the `stream_events` entries of `streams`, given in stream order
    /// with their (version, position) in version order.
    pub fn add_sorted_streams(&mut self, mut streams: Vec<(String, Vec<(u64, u64)>)>) {
        if self.sorted_streams.is_empty() {
            self.sorted_streams = streams;
        } else {
            self.sorted_streams.append(&mut streams);
            self.sorted_streams.sort_by(|a, b| a.0.cmp(&b.0));
        }
    }

    /// Moves the entries of `later` in after these (their events came after).
    /// Each table's entries are taken whole where these have none: a
    /// transaction's held-back `stream_events` entries (hundreds of thousands
    /// of streams) join a last batch that has only link entries.
    pub fn append(&mut self, later: PendingEventIndexes) {
        if self.stream_events.is_empty() {
            self.stream_events = later.stream_events;
        } else {
            for (stream_id, versions) in later.stream_events {
                self.stream_events
                    .entry(stream_id)
                    .or_default()
                    .extend(versions);
            }
        }
        self.add_sorted_streams(later.sorted_streams);
        self.caused_by.extend(later.caused_by);
        self.correlated.extend(later.correlated);
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.stream_events.is_empty()
            && self.sorted_streams.is_empty()
            && self.caused_by.is_empty()
            && self.correlated.is_empty()
    }

    /// The (version, position) of the events appended to `stream_id` in this
    /// transaction, in version order: all after the versions stored before it.
    pub fn stream_versions(&self, stream_id: &str) -> &[(u64, u64)] {
        self.stream_events
            .get(stream_id)
            .map_or(&[], |versions| versions.as_slice())
    }

    /// Writes every entry to its table, each table in key order.
    pub fn flush(
        &mut self,
        stream_events: &mut Table<'_, (&'static str, u64), u64>,
        caused_by: &mut Table<'_, (u128, u128), ()>,
        correlated: &mut Table<'_, (u128, u64), ()>,
    ) -> Result<(), StoreError> {
        let mut streams: Vec<(String, Vec<(u64, u64)>)> = self.stream_events.drain().collect();
        streams.append(&mut self.sorted_streams);
        streams.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        // A stream held back in both the map and the sorted list is in two
        // neighbouring entries, whose versions are merged.
        for group in streams.chunk_by(|a, b| a.0 == b.0) {
            let stream_id = group[0].0.as_str();
            let mut merged;
            let versions = if let [(_, versions)] = group {
                versions.as_slice()
            } else {
                merged = group
                    .iter()
                    .flat_map(|(_, v)| v.iter().copied())
                    .collect::<Vec<_>>();
                merged.sort_unstable();
                merged.as_slice()
            };
            for &(version, position) in versions {
                stream_events.insert((stream_id, version), position)?;
            }
        }
        self.caused_by.sort_unstable();
        for key in self.caused_by.drain(..) {
            caused_by.insert(key, ())?;
        }
        self.correlated.sort_unstable();
        for key in self.correlated.drain(..) {
            correlated.insert(key, ())?;
        }
        Ok(())
    }
}
