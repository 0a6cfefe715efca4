//! The left panel: navigation between the views and the store's summary (the
//! same counts `process-workbench inspect` prints).

use egui::{RichText, Ui};

use crate::state::command::Command;
use crate::state::filter::Within;
use crate::widgets::time::format_count;
use process_workbench_core::store::Summary;

use super::ViewContext;
use crate::state::View;
use crate::widgets::style::failure_colour;

/// Shows navigation and summary; `current` is the view shown in the centre.
pub fn navigation_ui(ui: &mut Ui, ctx: &mut ViewContext<'_>, current: View) {
    ui.add_space(4.0);
    for view in View::ALL {
        let label = match view {
            View::DeadLetters => {
                let open = ctx
                    .store
                    .summary
                    .dead_letters
                    .by_status
                    .get("open")
                    .copied()
                    .unwrap_or(0);
                if open > 0 {
                    format!("{} ({})", view.label(), format_count(open))
                } else {
                    view.label().to_string()
                }
            }
            _ => view.label().to_string(),
        };
        let response = ui.selectable_label(current == view, label);
        if response.clicked() {
            ctx.send(Command::ShowView(view));
        }
    }
    ui.separator();
    egui::ScrollArea::vertical()
        .id_salt("summary_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            filtered_ui(ui, ctx);
            summary_ui(ui, &ctx.store.summary);
        });
}

/// The counts of the processes the shared filter keeps, above the store's.
fn filtered_ui(ui: &mut Ui, ctx: &ViewContext<'_>) {
    if !ctx.filter.is_active() {
        return;
    }
    egui::CollapsingHeader::new(RichText::new("Filtered processes").strong())
        .id_salt("summary_filtered")
        .default_open(true)
        .show(ui, |ui| {
            let Within::Only(selection) = ctx.filter.within() else {
                ui.label("applying the filter…");
                return;
            };
            let counts = &selection.counts;
            egui::Grid::new("summary_filtered_grid")
                .num_columns(2)
                .show(ui, |ui| {
                    ui.label("kept");
                    ui.label(format!(
                        "{} of {}",
                        format_count(counts.streams),
                        format_count(ctx.store.summary.streams.total)
                    ));
                    ui.end_row();
                    for (status, count) in &counts.by_status {
                        count_row(ui, status, *count);
                    }
                    count_row(ui, "variants", counts.variants);
                    count_row(ui, "events", counts.events);
                });
            egui::CollapsingHeader::new("kept by process type")
                .id_salt("summary_filtered_by_type")
                .default_open(counts.by_type.len() <= 8)
                .show(ui, |ui| {
                    counts_ui(ui, "summary_filtered_types_grid", &counts.by_type)
                });
        });
}

/// The store's counts.
pub fn summary_ui(ui: &mut Ui, summary: &Summary) {
    let failed = summary
        .streams
        .by_status
        .get("failed")
        .copied()
        .unwrap_or(0);
    egui::CollapsingHeader::new(RichText::new("Stream counts").strong())
        .id_salt("summary_streams")
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("summary_streams_grid")
                .num_columns(2)
                .show(ui, |ui| {
                    count_row(ui, "total", summary.streams.total);
                    for (status, count) in &summary.streams.by_status {
                        if status == "failed" && failed > 0 {
                            ui.colored_label(failure_colour(ui), status);
                            ui.colored_label(failure_colour(ui), format_count(*count));
                            ui.end_row();
                        } else {
                            count_row(ui, status, *count);
                        }
                    }
                    count_row(ui, "variants", summary.variants);
                });
            egui::CollapsingHeader::new("by process type")
                .id_salt("summary_streams_by_type")
                .default_open(summary.streams.by_type.len() <= 8)
                .show(ui, |ui| {
                    counts_ui(ui, "summary_types_grid", &summary.streams.by_type)
                });
        });
    egui::CollapsingHeader::new(RichText::new("Event counts").strong())
        .id_salt("summary_events")
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("summary_events_grid")
                .num_columns(2)
                .show(ui, |ui| count_row(ui, "total", summary.events.total));
            egui::CollapsingHeader::new("by event type")
                .id_salt("summary_events_by_type")
                .default_open(false)
                .show(ui, |ui| {
                    counts_ui(ui, "summary_event_types_grid", &summary.events.by_type)
                });
        });
    egui::CollapsingHeader::new(RichText::new("Queue counts").strong())
        .id_salt("summary_queues")
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("summary_queues_grid")
                .num_columns(2)
                .show(ui, |ui| {
                    count_row(ui, "outbox pending", summary.outbox.pending);
                    count_row(ui, "outbox overdue", summary.outbox.overdue);
                    count_row(ui, "deadlines pending", summary.deadlines.pending);
                    count_row(ui, "deadlines overdue", summary.deadlines.overdue);
                });
        });
    egui::CollapsingHeader::new(RichText::new("Dead letter counts").strong())
        .id_salt("summary_dead_letters")
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("summary_dead_letters_grid")
                .num_columns(2)
                .show(ui, |ui| {
                    count_row(ui, "total", summary.dead_letters.total);
                    for (status, count) in &summary.dead_letters.by_status {
                        count_row(ui, status, *count);
                    }
                });
            if !summary.dead_letters.by_reason.is_empty() {
                egui::CollapsingHeader::new("by reason")
                    .id_salt("summary_dead_letters_by_reason")
                    .default_open(false)
                    .show(ui, |ui| {
                        counts_ui(ui, "summary_reasons_grid", &summary.dead_letters.by_reason)
                    });
            }
        });
    egui::Grid::new("summary_audit_grid")
        .num_columns(2)
        .show(ui, |ui| count_row(ui, "audit entries", summary.audit.total));
}

fn count_row(ui: &mut Ui, name: &str, count: u64) {
    ui.label(name);
    ui.label(format_count(count));
    ui.end_row();
}

fn counts_ui(ui: &mut Ui, id: &str, counts: &std::collections::BTreeMap<String, u64>) {
    egui::Grid::new(id).num_columns(2).show(ui, |ui| {
        for (name, count) in counts {
            count_row(ui, name, *count);
        }
    });
}
