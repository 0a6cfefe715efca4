//! The parts of the replay view: the failure banner, the validation result,
//! the state tree, the event at N, the step that fired, the diffs.

use egui::{RichText, Ui};

use crate::state::command::Command;
use crate::widgets::fit;
use crate::widgets::time::{format_count, format_rfc3339, short_id};
use process_workbench_core::replay::{FailureCause, FailurePoint, Step, Validation};

use super::loader::{Comparison, Prepared};
use crate::widgets::style::failure_colour;

/// Height of the payload tree of the event at N.
const PAYLOAD_HEIGHT: f32 = 180.0;
/// Most rows of a diff list before it scrolls.
const DIFF_ROWS: usize = 12;

/// The failure banner: where and why the process failed, "Go to failure
/// point", and "Retry failed step" (disabled with the reason on a read-only store).
pub fn failure_ui(
    ui: &mut Ui,
    failure: &FailurePoint,
    version: u64,
    writable: bool,
    go_to: &mut bool,
    retry: &mut bool,
) {
    let colour = failure_colour(ui);
    egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.0, colour))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            let event = failure
                .event_type
                .as_deref()
                .map_or_else(String::new, |event_type| format!(" ({event_type})"));
            ui.label(
                RichText::new(format!(
                    "Failed at version {}{event}",
                    format_count(failure.version)
                ))
                .color(colour)
                .strong(),
            );
            if let Some(reason) = &failure.reason {
                ui.add(egui::Label::new(RichText::new(reason).color(colour)).wrap());
            }
            let cause = match &failure.cause {
                FailureCause::FailedState(state) => {
                    format!("The event at version {} moved the process into the failed state {state:?}.", failure.version)
                }
                FailureCause::Rejected(rejected) => format!(
                    "The current definition refuses event {} ({}) in state {:?}: {} ({}).",
                    rejected.version,
                    rejected.event_type,
                    rejected.state,
                    rejected.detail,
                    rejected.reason
                ),
                FailureCause::AfterLastEvent => {
                    "No event explains the failure under the current definition; it is shown at the last event."
                        .to_string()
                }
            };
            ui.add(egui::Label::new(cause).wrap());
            ui.horizontal_wrapped(|ui| {
                if ui
                    .add_enabled(version != failure.version, egui::Button::new("Go to failure point"))
                    .clicked()
                {
                    *go_to = true;
                }
                let button = ui
                    .add_enabled(writable, egui::Button::new("Retry failed step"))
                    .on_hover_text(
                        "Put the process back into the state before the failure and run the \
                         step again under the current definition (asks first)",
                    )
                    .on_disabled_hover_text(READ_ONLY_RETRY);
                if button.clicked() {
                    *retry = true;
                }
                if !writable {
                    ui.weak(READ_ONLY_RETRY);
                }
            });
        });
}

/// Why "Retry failed step" is disabled on a read-only store.
pub const READ_ONLY_RETRY: &str =
    "The store is open read-only: enable writing (top right) to retry this step.";

/// The validation replay's verdict.
pub fn validation_ui(ui: &mut Ui, validation: &Result<Validation, String>) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Validation replay:").strong());
        match validation {
            Ok(validation) if validation.agrees() => {
                ui.label(format!(
                    "agrees with stored status — {}",
                    validation.summary()
                ));
            }
            Ok(validation) => {
                ui.colored_label(failure_colour(ui), validation.summary());
                if validation.rejections > 1 {
                    ui.weak(format!(
                        "({} events refused in all)",
                        format_count(validation.rejections)
                    ));
                }
            }
            Err(error) => {
                ui.colored_label(failure_colour(ui), format!("failed: {error}"));
            }
        }
    });
}

/// The state at N as a tree, the paths event N changed marked.
pub fn state_ui(ui: &mut Ui, shown: &mut Prepared) {
    let version = shown.request.version;
    ui.label(RichText::new(format!("State at version {}", format_count(version))).strong());
    if version > 0 {
        let text = if shown.changed.is_empty() {
            format!("Event {version} changed nothing.")
        } else {
            format!("Changed by event {version}: {}", shown.changed.join(", "))
        };
        // Wrapped, not justified as the column's layout would have it.
        ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
            ui.add(egui::Label::new(RichText::new(text).weak()).wrap());
        });
    }
    let height = ui.available_height();
    shown
        .tree
        .ui(ui, "replay_state_tree", "state", &shown.state, height);
}

/// The event at N: type, time, id, position, payload; a command when a link is clicked.
pub fn event_ui(ui: &mut Ui, shown: &mut Prepared) -> Option<Command> {
    let Some(event) = &shown.replay.event else {
        ui.label(RichText::new("Version 0").strong());
        ui.weak("Before the first event: the initial state.");
        return None;
    };
    let mut command = None;
    ui.label(
        RichText::new(format!(
            "Event {}: {}",
            format_count(shown.request.version),
            event.event_type
        ))
        .strong(),
    );
    egui::Grid::new("replay_event_grid")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            ui.label("Type");
            ui.label(&event.event_type);
            ui.end_row();
            ui.label("Occurred");
            ui.label(format_rfc3339(event.occurred_at));
            ui.end_row();
            ui.label("Recorded");
            ui.label(format_rfc3339(event.recorded_at));
            ui.end_row();
            ui.label("Id");
            if ui
                .link(RichText::new(short_id(event.event_id)).monospace())
                .on_hover_text(format!("Select event {}", event.event_id))
                .clicked()
            {
                command = Some(Command::SelectEvent(crate::state::EventRef {
                    position: event.position,
                    stream_id: Some(shown.request.stream_id.clone()),
                    version: Some(shown.request.version),
                }));
            }
            ui.end_row();
            ui.label("Position");
            ui.label(format_count(event.position));
            ui.end_row();
        });
    // As high as its rows (and a sideways scroll bar), up to a limit: short
    // payloads leave no gap.
    let rows = shown.payload_tree.row_count(&event.payload) as f32;
    let height = (rows * ui.spacing().interact_size.y + fit::SCROLL_BAR_ROOM).min(PAYLOAD_HEIGHT);
    shown
        .payload_tree
        .ui(ui, "replay_payload_tree", "payload", &event.payload, height);
    command
}

/// The process state and what event N did under the definition.
pub fn step_ui(ui: &mut Ui, shown: &Prepared) {
    let replay = &shown.replay;
    ui.label(RichText::new("Process").strong());
    ui.label(format!(
        "Process state: {}",
        replay
            .state
            .process_state
            .as_deref()
            .unwrap_or("— (no definition)")
    ));
    match &replay.step {
        None => {
            ui.weak("No event yet.");
        }
        Some(Step::Fired(transition)) => {
            ui.label(format!(
                "Transition fired: {} --{}--> {}",
                transition.from, transition.on, transition.to
            ));
            if !transition.emit.is_empty() {
                let sent: Vec<String> = transition
                    .emit
                    .iter()
                    .map(|emit| format!("{} to {}", emit.message_type, emit.recipient))
                    .collect();
                ui.weak(format!("sends {}", sent.join(", ")));
            }
            if let Some(deadline) = &transition.deadline {
                ui.weak(format!(
                    "sets a deadline: {} after {} s",
                    deadline.on_expiry, deadline.after
                ));
            }
            if !transition.start.is_empty() {
                let started: Vec<&str> = transition
                    .start
                    .iter()
                    .map(|start| start.process_type.as_str())
                    .collect();
                ui.weak(format!("starts {}", started.join(", ")));
            }
        }
        Some(Step::Rejected { state, rejection }) => {
            ui.colored_label(
                failure_colour(ui),
                format!(
                    "Refused by the current definition in state {state:?}: {rejection} ({}). \
                     The state stays; the payload is merged because the event happened.",
                    rejection.label()
                ),
            );
        }
        Some(Step::Operator { set_state: None }) => {
            ui.label("Operator action: the process state did not move.");
        }
        Some(Step::Operator {
            set_state: Some(state),
        }) => {
            ui.label(format!(
                "Operator action: the process was put into state {state:?}."
            ));
        }
        Some(Step::NoDefinition) => {
            ui.weak("No definition for this process type: the payload is merged, there is no process state.");
        }
    }
}

/// The diff from N-1 to N.
pub fn diff_ui(ui: &mut Ui, shown: &Prepared) {
    let version = shown.request.version;
    if version == 0 {
        return;
    }
    ui.label(
        RichText::new(format!(
            "Diff from version {} to {} (RFC 6902)",
            format_count(version - 1),
            format_count(version)
        ))
        .strong(),
    );
    lines_ui(ui, "replay_step_diff", &shown.diff_lines);
}

/// "Compare two versions": returns the pair to compare when the user asks.
pub fn compare_ui(
    ui: &mut Ui,
    pair: &mut (u64, u64),
    last: u64,
    running: bool,
    comparison: Option<&Comparison>,
) -> Option<(u64, u64)> {
    let mut asked = None;
    ui.label(RichText::new("Compare two versions").strong());
    ui.horizontal(|ui| {
        ui.label("A");
        ui.add(egui::DragValue::new(&mut pair.0).range(0..=last))
            .accessible_name("Compare version A");
        ui.label("B");
        ui.add(egui::DragValue::new(&mut pair.1).range(0..=last))
            .accessible_name("Compare version B");
        if ui
            .add_enabled(!running, egui::Button::new("Compare"))
            .clicked()
        {
            asked = Some(*pair);
        }
        if running {
            ui.add(egui::Spinner::new());
        }
    });
    if let Some(comparison) = comparison {
        match &comparison.lines {
            Ok(lines) => {
                ui.label(format!(
                    "From version {} to {}: {} operations",
                    format_count(comparison.a),
                    format_count(comparison.b),
                    format_count(lines.len() as u64)
                ));
                lines_ui(ui, "replay_compare_diff", lines);
            }
            Err(error) => {
                ui.colored_label(
                    failure_colour(ui),
                    format!("The versions could not be compared: {error}"),
                );
            }
        }
    }
    asked
}

/// A list of diff lines, only the visible ones laid out.
fn lines_ui(ui: &mut Ui, id_salt: &str, lines: &[String]) {
    if lines.is_empty() {
        ui.weak("No change.");
        return;
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace) + 2.0;
    // Long lines scroll sideways, with a bar in sight.
    ui.scope(|ui| {
        fit::solid_scroll_bars(ui);
        egui::ScrollArea::both()
            .id_salt(id_salt)
            .max_height(row_height * DIFF_ROWS as f32)
            .auto_shrink([false, true])
            .show_rows(ui, row_height, lines.len(), |ui, range| {
                for line in &lines[range] {
                    ui.add(egui::Label::new(RichText::new(line).monospace()).extend());
                }
            });
    });
}
