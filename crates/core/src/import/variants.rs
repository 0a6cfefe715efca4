//! Variants: streams grouped by their sequence of event types (process
//! mining's "variants"). The writer keeps a running hash of each stream's
//! sequence in its record and counts streams per hash in the `variants`
//! table; this module names the sequence behind each hash.

use std::collections::HashMap;

use serde::Serialize;

use crate::store::{StoreError, StoreReader, StreamFilter};

/// Streams read at a time while looking for samples.
const PAGE: usize = 1024;

/// One variant: its hash, how many streams follow it, and its sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VariantInfo {
    /// The running hash stored in each stream record's `variant`.
    pub variant: u128,
    /// Streams with this sequence.
    pub streams: u64,
    /// The event types in order, read from `sample_stream`.
    pub event_types: Vec<String>,
    /// The first stream (in id order) with this sequence.
    pub sample_stream: String,
}

/// The `limit` most frequent variants (ties by hash), each with its
/// event-type sequence read from one sample stream. Reads the stream records
/// until every wanted variant has a sample (all of them in the worst case),
/// then the events of one stream per variant.
pub fn variant_sequences(
    reader: &StoreReader,
    limit: usize,
) -> Result<Vec<VariantInfo>, StoreError> {
    let wanted: Vec<(u128, u64)> = reader.variants()?.into_iter().take(limit).collect();
    let mut samples: HashMap<u128, String> = HashMap::with_capacity(wanted.len());
    let mut missing = wanted.len();
    let mut after: Option<String> = None;
    let filter = StreamFilter::default();
    while missing > 0 {
        let page = reader.streams(&filter, after.as_deref(), PAGE)?;
        for info in page.items {
            let is_wanted = wanted.iter().any(|(variant, _)| *variant == info.variant);
            if is_wanted && !samples.contains_key(&info.variant) {
                samples.insert(info.variant, info.stream_id);
                missing -= 1;
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut variants = Vec::with_capacity(wanted.len());
    for (variant, streams) in wanted {
        let Some(sample_stream) = samples.remove(&variant) else {
            continue;
        };
        let mut event_types = Vec::new();
        let mut from = 1;
        loop {
            let page = reader.stream_events(&sample_stream, from, PAGE)?;
            let Some(last) = page.last() else {
                break;
            };
            from = last.version + 1;
            event_types.extend(page.into_iter().map(|event| event.event_type));
        }
        variants.push(VariantInfo {
            variant,
            streams,
            event_types,
            sample_stream,
        });
    }
    Ok(variants)
}
