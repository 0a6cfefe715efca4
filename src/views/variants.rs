//! Streams grouped by variant (their sequence of event types), most frequent
//! first. Picking a variant filters the stream table to its streams. The
//! counts come from the store's variant table; each variant's sequence is read
//! from one sample stream, found by a background scan that stops as soon as
//! every variant has a sample.

use std::collections::BTreeMap;
use std::sync::Arc;

use egui::{RichText, Ui};

use crate::app::jobs::{Job, Worker};
use crate::app::loadable::Loadable;
use crate::store::{Store, StreamFilter};
use crate::widgets::progress::job_progress_ui;
use crate::widgets::time::format_count;

use super::ViewContext;
use super::rows::{EventRow, read_stream_event_rows};

/// Event types read from a sample stream; longer sequences are cut.
const SEQUENCE_LIMIT: usize = 40;
/// Ids read per step of the scan.
const SCAN_CHUNK: usize = 4096;

/// One variant.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantInfo {
    pub variant: u128,
    pub streams: u64,
    /// A stream of this variant.
    pub sample: Option<String>,
    /// The event types of the sample, in order (cut at [`SEQUENCE_LIMIT`]).
    pub event_types: Vec<String>,
    /// Number of events of the sample.
    pub length: u64,
}

/// The variants list and its loading job.
#[derive(Default)]
pub struct VariantsPanel {
    variants: Loadable<Vec<VariantInfo>>,
    generation: Option<u64>,
    job: Option<Job<Result<Vec<VariantInfo>, String>>>,
}

impl VariantsPanel {
    /// Whether the list is being loaded.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// Shows the list; returns the user's pick (`Some(None)` = all variants).
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        ctx: &mut ViewContext<'_>,
        current: Option<u128>,
    ) -> Option<Option<u128>> {
        if self.generation != Some(ctx.store.generation) {
            self.generation = Some(ctx.store.generation);
            self.variants.start_loading();
            let store = Arc::clone(&ctx.store.store);
            let total = ctx.store.summary.streams.total;
            self.job = Some(Job::spawn(
                "Reading variants",
                Some(ui.ctx().clone()),
                move |worker: &Worker<Result<Vec<VariantInfo>, String>>| {
                    worker.send(read_variants(&store, total, worker));
                },
            ));
        }
        if let Some(job) = &mut self.job {
            for result in job.poll() {
                self.variants.finish(result);
            }
            if job.is_finished() {
                self.job = None;
            }
        }
        ui.heading("Variants");
        let mut picked = None;
        if let Some(job) = &self.job {
            let (done, total) = job.progress();
            if job_progress_ui(ui, "Finding samples", done, total, "streams") {
                job.cancel();
            }
        }
        if let Some(error) = self.variants.error() {
            ui.colored_label(super::streams::failure_colour(ui), error.to_string());
        }
        let Some(variants) = self.variants.current() else {
            return None;
        };
        let streams_total: u64 = variants.iter().map(|variant| variant.streams).sum();
        ui.label(format!(
            "{} variants over {} streams",
            format_count(variants.len() as u64),
            format_count(streams_total)
        ));
        if ui
            .selectable_label(current.is_none(), "All variants")
            .clicked()
        {
            picked = Some(None);
        }
        egui::ScrollArea::vertical()
            .id_salt("variants_list")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for (rank, variant) in variants.iter().enumerate() {
                    let share = if streams_total == 0 {
                        0.0
                    } else {
                        variant.streams as f64 * 100.0 / streams_total as f64
                    };
                    let title = format!(
                        "Variant {} · {} streams ({share:.1} %) · {} events",
                        rank + 1,
                        format_count(variant.streams),
                        variant.length
                    );
                    let selected = current == Some(variant.variant);
                    if ui
                        .selectable_label(selected, RichText::new(title).strong())
                        .clicked()
                    {
                        picked = Some(Some(variant.variant));
                    }
                    let mut sequence = variant.event_types.join(" \u{203A} ");
                    if variant.length as usize > variant.event_types.len() {
                        sequence.push_str(" \u{203A} …");
                    }
                    ui.add(egui::Label::new(RichText::new(sequence).small()).wrap());
                    ui.separator();
                }
            });
        picked
    }
}

/// Reads every variant's count, finds a sample stream for each, and reads the
/// samples' event types.
fn read_variants(
    store: &Store,
    total_streams: u64,
    worker: &Worker<Result<Vec<VariantInfo>, String>>,
) -> Result<Vec<VariantInfo>, String> {
    let reader = store.read().map_err(|error| error.to_string())?;
    let counts = reader.variants().map_err(|error| error.to_string())?;
    let mut samples: BTreeMap<u128, String> = BTreeMap::new();
    let mut after: Option<String> = None;
    let mut scanned = 0u64;
    let filter = StreamFilter::default();
    while samples.len() < counts.len() {
        let ids = reader
            .stream_ids(&filter, after.as_deref(), SCAN_CHUNK)
            .map_err(|error| error.to_string())?;
        let last_chunk = ids.len() < SCAN_CHUNK;
        for id in &ids {
            scanned += 1;
            if let Ok(Some(info)) = reader.stream(id) {
                samples.entry(info.variant).or_insert_with(|| id.clone());
            }
        }
        worker.progress(scanned, total_streams);
        if worker.is_cancelled() {
            return Err("cancelled".to_string());
        }
        after = ids.into_iter().next_back();
        if last_chunk || after.is_none() {
            break;
        }
    }
    let mut variants = Vec::with_capacity(counts.len());
    for (variant, streams) in counts {
        let sample = samples.get(&variant).cloned();
        let (event_types, length) = match &sample {
            Some(stream_id) => {
                let length = reader
                    .stream(stream_id)
                    .ok()
                    .flatten()
                    .map_or(0, |info| info.version);
                let rows = read_stream_event_rows(&reader, stream_id, 1, SEQUENCE_LIMIT)
                    .map_err(|error| error.to_string())?;
                let types = rows
                    .into_iter()
                    .map(|row| match row {
                        EventRow::Event { header, .. } => header.event_type,
                        EventRow::Damaged { .. } => "(damaged)".to_string(),
                        EventRow::Missing { .. } => "(missing)".to_string(),
                    })
                    .collect();
                (types, length)
            }
            None => (Vec::new(), 0),
        };
        variants.push(VariantInfo {
            variant,
            streams,
            sample,
            event_types,
            length,
        });
    }
    Ok(variants)
}
