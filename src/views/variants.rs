//! Streams grouped by variant (their sequence of event types), most frequent
//! first. Picking a variant filters the stream table to its streams. The
//! counts and sequences come from `import::variant_sequences` (the same as
//! the importer's report), read in a background job.

use std::sync::Arc;

use egui::{RichText, Ui};

use crate::state::jobs::{Job, Worker};
use crate::state::loadable::Loadable;
use crate::widgets::time::format_count;
use process_workbench_core::import::{VariantInfo, variant_sequences};

use super::ViewContext;

/// Variants listed (the most frequent); the rest are counted, not listed.
const VARIANTS_LISTED: usize = 1_000;
/// Event types shown per sequence before it is cut.
const SEQUENCE_SHOWN: usize = 40;

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
            self.job = Some(Job::spawn(
                "Reading variants",
                Some(ui.ctx().clone()),
                move |worker: &Worker<Result<Vec<VariantInfo>, String>>| {
                    let result = store
                        .read()
                        .and_then(|reader| variant_sequences(&reader, VARIANTS_LISTED))
                        .map_err(|error| error.to_string());
                    worker.send(result);
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
        if self.job.is_some() {
            ui.horizontal(|ui| {
                ui.add(egui::Spinner::new());
                ui.label("Reading the variants…");
            });
        }
        if let Some(error) = self.variants.error() {
            ui.colored_label(crate::widgets::style::failure_colour(ui), error.to_string());
        }
        let variants = self.variants.current()?;
        let listed: u64 = variants.iter().map(|variant| variant.streams).sum();
        let total = ctx.store.summary.streams.total.max(listed);
        let mut heading = format!(
            "{} variants over {} streams",
            format_count(ctx.store.summary.variants),
            format_count(total)
        );
        if (variants.len() as u64) < ctx.store.summary.variants {
            heading.push_str(&format!(" (the {} most frequent listed)", variants.len()));
        }
        ui.label(heading);
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
                    let share = if total == 0 {
                        0.0
                    } else {
                        variant.streams as f64 * 100.0 / total as f64
                    };
                    let title = format!(
                        "Variant {} \u{00B7} {} streams ({share:.1} %) \u{00B7} {} events",
                        rank + 1,
                        format_count(variant.streams),
                        variant.event_types.len()
                    );
                    let selected = current == Some(variant.variant);
                    if ui
                        .selectable_label(selected, RichText::new(title).strong())
                        .on_hover_text(format!("For example {}", variant.sample_stream))
                        .clicked()
                    {
                        picked = Some(Some(variant.variant));
                    }
                    let shown =
                        &variant.event_types[..variant.event_types.len().min(SEQUENCE_SHOWN)];
                    let mut sequence = shown.join(" \u{203A} ");
                    if variant.event_types.len() > shown.len() {
                        sequence.push_str(" \u{203A} \u{2026}");
                    }
                    ui.add(egui::Label::new(RichText::new(sequence).small()).wrap());
                    ui.separator();
                }
            });
        picked
    }
}
