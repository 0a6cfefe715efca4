//! No text is cut short on any screen: every view of the demo store, the
//! event detail panel, the dead-letter editor, the import dialog, the
//! open-error and welcome screens, at 1280×800 and 1920×1080, light and dark.
//!
//! A text is cut short when egui elided it ("…", a label that had to
//! truncate) or when its glyphs reach past the clip rectangle it was painted
//! in, sideways (a table column narrower than its header, a button row that
//! runs off its panel). Text cut at the top or bottom of a scroll area is
//! scrolled, not clipped, and is not counted.
//!
//! `PW_LAYOUT_SHOTS=1` saves every screen as a PNG in the test target folder
//! (`target/tmp/layout/`) to look at; a screen that fails is saved anyway.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::gui_support::*;
use egui::accesskit::Role;
use egui::epaint::{ClippedShape, Shape};
use egui::{Rect, Vec2, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use process_workbench::app::{StartOptions, WorkbenchApp};
use process_workbench::state::command::{Command, ThemeChoice};
use process_workbench::state::{Clock, EventRef, View};
use process_workbench::views::performance::PerformanceTab;
use process_workbench_core::demo::DEMO_NOW;
use process_workbench_core::queues::{AuditFilter, DeadLetterFilter, audit_entries, triage};
use process_workbench_core::search::ProcessFilter;
use process_workbench_core::store::{
    DeadLetterStatus, Event, NewEvent, Store, StreamInfo, StreamStatus,
};

/// The window sizes every screen must fit.
const SIZES: [Vec2; 2] = [vec2(1280.0, 800.0), vec2(1920.0, 1080.0)];
const THEMES: [ThemeChoice; 2] = [ThemeChoice::Light, ThemeChoice::Dark];

/// Glyphs may touch the clip edge by this much (antialiasing, rounding).
const SLACK: f32 = 1.0;

/// Columns of free text (an error message, a reason) that take the room the
/// other columns leave and elide what does not fit, with the whole text on
/// hover: the only texts that may end in "…".
const FREE_TEXT_COLUMNS: [&str; 3] = ["Last error", "Target", "Why"];

/// A text that the user cannot read whole.
#[derive(Debug)]
struct CutText {
    text: String,
    how: &'static str,
    glyphs: Rect,
    clip: Rect,
}

/// A text of the last frame: what it says, where its glyphs are, what it was clipped to.
struct PaintedText {
    text: String,
    elided: bool,
    glyphs: Rect,
    clip: Rect,
}

/// Every text of the last frame that was elided or reaches sideways past its
/// clip rectangle, but for the cells of free-text columns and the content of
/// horizontally scrolling areas (a JSON tree, a diff: a long line is scrolled
/// to, not cut). `scroll_bars` are the rectangles of the visible scroll bars.
fn cut_texts(shapes: &[ClippedShape], scroll_bars: &[Rect]) -> Vec<CutText> {
    let mut texts = Vec::new();
    for clipped in shapes {
        collect_texts(&clipped.shape, clipped.clip_rect, &mut texts);
    }
    let free_text_columns: Vec<Rect> = texts
        .iter()
        .filter(|text| {
            FREE_TEXT_COLUMNS
                .iter()
                .any(|header| text.text.starts_with(header))
        })
        .map(|header| header.clip)
        .collect();
    let in_free_text_column = |clip: Rect| {
        free_text_columns.iter().any(|column| {
            (column.left() - clip.left()).abs() < SLACK
                && (column.right() - clip.right()).abs() < SLACK
        })
    };
    // A horizontal bar along the bottom of the clip rectangle: the area scrolls sideways.
    let scrolls_sideways = |clip: Rect| {
        scroll_bars.iter().any(|bar| {
            bar.width() > bar.height()
                && bar.left() <= clip.left() + 2.0 * SLACK
                && bar.right() >= clip.right() - 2.0 * SLACK
                && bar.top() >= clip.top()
                && bar.top() <= clip.bottom() + 20.0
        })
    };
    texts
        .into_iter()
        .filter_map(|text| {
            let sideways = text.glyphs.left() < text.clip.left() - SLACK
                || text.glyphs.right() > text.clip.right() + SLACK;
            let how = if sideways && !scrolls_sideways(text.clip) {
                "clipped sideways"
            } else if text.elided && !in_free_text_column(text.clip) {
                "elided"
            } else {
                return None;
            };
            Some(CutText {
                text: text.text,
                how,
                glyphs: text.glyphs,
                clip: text.clip,
            })
        })
        .collect()
}

fn collect_texts(shape: &Shape, clip: Rect, found: &mut Vec<PaintedText>) {
    match shape {
        Shape::Vec(shapes) => {
            for shape in shapes {
                collect_texts(shape, clip, found);
            }
        }
        Shape::Text(text) => {
            let galley = &text.galley;
            let glyphs = galley.mesh_bounds.translate(text.pos.to_vec2());
            // Blank, or wholly outside: scrolled away or not on screen at all.
            if galley.text().trim().is_empty() || !glyphs.intersects(clip) {
                return;
            }
            found.push(PaintedText {
                text: galley.text().to_string(),
                elided: galley.elided,
                glyphs,
                clip,
            });
        }
        _ => {}
    }
}

/// Where the screens are saved.
fn shots_folder() -> PathBuf {
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join("layout");
    std::fs::create_dir_all(&folder).expect("create the layout screenshot folder");
    folder
}

/// What is cut short, by text and how, with the screens it is cut on.
type Problems = BTreeMap<(String, &'static str), Vec<String>>;

/// Checks the screen now shown; records what is cut short in `problems`.
fn check(harness: &mut Harness<'_, WorkbenchApp>, screen: &str, problems: &mut Problems) {
    settle(harness);
    let scroll_bars: Vec<Rect> = harness
        .query_all_by_role(Role::ScrollBar)
        .map(|bar| bar.rect())
        .collect();
    let cut = cut_texts(&harness.output().shapes, &scroll_bars);
    let save = std::env::var_os("PW_LAYOUT_SHOTS").is_some_and(|value| value != "0");
    if save || !cut.is_empty() {
        let image = harness.render().expect("render the window");
        image
            .save(shots_folder().join(format!("{screen}.png")))
            .expect("save the screen");
    }
    for text in cut {
        problems
            .entry((text.text, text.how))
            .or_default()
            .push(format!(
                "{screen} (glyphs {:?}, clip {:?})",
                text.glyphs, text.clip
            ));
    }
}

fn theme_name(theme: ThemeChoice) -> &'static str {
    match theme {
        ThemeChoice::Light => "light",
        ThemeChoice::Dark => "dark",
        ThemeChoice::System => "system",
    }
}

/// Sets the window size and theme; returns the name suffix of the screens.
fn set_look(harness: &mut Harness<'_, WorkbenchApp>, size: Vec2, theme: ThemeChoice) -> String {
    harness.set_size(size);
    harness.state_mut().send(Command::SetTheme(theme));
    settle(harness);
    format!("{}x{}-{}", size.x, size.y, theme_name(theme))
}

/// Clicks the first node labelled `label` (a table cell shown in two tables, say).
fn click_first(harness: &mut Harness<'_, WorkbenchApp>, label: &str) {
    harness
        .query_all_by_label(label)
        .next()
        .unwrap_or_else(|| panic!("nothing labelled {label:?}"))
        .click();
    settle(harness);
}

fn fail_on(problems: &Problems) {
    let report: Vec<String> = problems
        .iter()
        .map(|((text, how), screens)| format!("{text:?} {how} on {}", screens.join(", ")))
        .collect();
    assert!(
        problems.is_empty(),
        "{} texts are cut short (the screens are in {}):\n{}",
        problems.len(),
        shots_folder().display(),
        report.join("\n")
    );
}

/// The app on the demo store in `data_dir`, in a window of `size` from the
/// start (the side panels take their first widths from the window's).
fn demo_at(data_dir: &Path, size: Vec2) -> Harness<'static, WorkbenchApp> {
    let app = WorkbenchApp::new(
        None,
        StartOptions {
            user: None,
            filter: None,
            file: None,
            data_dir: data_dir.to_path_buf(),
            clock: Clock::Fixed(DEMO_NOW),
        },
    );
    harness_at(app, size)
}

/// `app` in a window of `size` from the start, settled.
fn harness_at(app: WorkbenchApp, size: Vec2) -> Harness<'static, WorkbenchApp> {
    let mut harness = Harness::builder()
        .with_size(size)
        .with_max_steps(50)
        .with_render_cursor(false)
        .build_ui_state(|ui, app: &mut WorkbenchApp| app.ui(ui), app);
    settle(&mut harness);
    harness
}

/// What the screens of the demo store select.
struct DemoFacts {
    /// The failed billing process with the longest history, and its last event.
    stream_id: String,
    last: Event,
    /// The outbox's first message type and the first audit entry's action
    /// (any row of the same text will do).
    outbox_type: String,
    audit_action: String,
    /// The first failure group's message type and the stream of its first
    /// open dead letter.
    group_type: String,
    letter_stream: String,
}

impl DemoFacts {
    fn read(harness: &Harness<'_, WorkbenchApp>) -> DemoFacts {
        let store = &harness
            .state()
            .store()
            .expect("the demo store is open")
            .store;
        let reader = store.read().expect("read the demo store");
        let failed = reader
            .all_stream_ids()
            .expect("list the streams")
            .into_iter()
            .filter_map(|id| reader.stream(&id).ok().flatten())
            .filter(|info| {
                info.process_type == "grid_usage_billing" && info.status == StreamStatus::Failed
            })
            .max_by_key(|info| (info.version, std::cmp::Reverse(info.stream_id.clone())))
            .expect("the demo has a failed billing process");
        let events = reader
            .stream_events(&failed.stream_id, 1, 1000)
            .expect("read its events");
        let last = events.last().expect("the stream has events").clone();
        let message = reader.outbox(None, 1).expect("read the outbox").items;
        let entries = audit_entries(&reader, &AuditFilter::default()).expect("read the audit");
        let triage = triage(&reader, &DeadLetterFilter::default(), &|| false).expect("triage");
        let group = triage.groups.first().expect("the demo has dead letters");
        let letter = triage
            .rows
            .iter()
            .filter(|row| group.contains(row))
            .find(|row| row.status == DeadLetterStatus::Open && row.stream_id.is_some())
            .expect("an open dead letter of a stream in the first group");
        DemoFacts {
            stream_id: failed.stream_id,
            last,
            outbox_type: message
                .first()
                .expect("the demo has outbox messages")
                .message_type
                .clone(),
            audit_action: entries
                .first()
                .expect("the demo has audit entries")
                .action
                .clone(),
            group_type: group.message_type.clone(),
            letter_stream: letter.stream_id.clone().unwrap_or_default(),
        }
    }
}

#[test]
fn no_text_is_cut_short_in_the_views_of_the_demo_store() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let missing = folder.path().join("moved away").join("orders.redb");
    let mut problems = Problems::new();
    for size in SIZES {
        let mut harness = demo_at(folder.path(), size);
        // Writing enabled: every action button is enabled, the editor opens.
        harness.state_mut().send(Command::EnableWriting);
        settle(&mut harness);
        let demo = DemoFacts::read(&harness);
        for theme in THEMES {
            let look = set_look(&mut harness, size, theme);
            demo_screens(&mut harness, &demo, &missing, &look, &mut problems);
        }
    }
    fail_on(&problems);
}

/// Every view of the demo store with the event detail beside it, the queues
/// with a row selected, a dead letter and its editor, an open error and the
/// import dialog.
fn demo_screens(
    harness: &mut Harness<'_, WorkbenchApp>,
    demo: &DemoFacts,
    missing: &Path,
    look: &str,
    problems: &mut Problems,
) {
    let app = harness.state_mut();
    app.send(Command::GoToStream(demo.stream_id.clone()));
    app.send(Command::SelectEvent(EventRef {
        position: demo.last.position,
        stream_id: Some(demo.stream_id.clone()),
        version: Some(demo.last.version),
    }));
    check(harness, &format!("streams-{look}"), problems);

    harness.state_mut().send(Command::ShowView(View::EventLog));
    check(harness, &format!("event-log-{look}"), problems);

    // The shared filter's editor, a filter applied, and the performance
    // view's tabs under it.
    harness.state_mut().send(Command::ShowView(View::Streams));
    harness.state_mut().filter_bar_mut().set_editing(true);
    check(harness, &format!("filter-editor-{look}"), problems);
    harness.state_mut().send(Command::SetFilter {
        filter: ProcessFilter {
            process_type: Some("grid_usage_billing".to_string()),
            status: Some(StreamStatus::Failed),
            with_activities: ["BillingPeriodOpened".to_string()].into(),
            json_path: Some("$.from_state".to_string()),
            ..ProcessFilter::default()
        },
        name: Some("failed billing".to_string()),
    });
    check(harness, &format!("filter-applied-{look}"), problems);
    assert!(
        harness
            .state()
            .filter()
            .selection()
            .is_some_and(|selection| selection.counts.streams > 0),
        "the filter keeps some processes, for the charts to show them"
    );
    // File > Export with the filter applied: the whole store or the processes shown.
    harness.get_by_label("File").click();
    settle(harness);
    harness.get_by_label("Export").click();
    check(harness, &format!("export-menu-{look}"), problems);
    harness.key_press(egui::Key::Escape);
    settle(harness);
    harness.key_press(egui::Key::Escape);
    settle(harness);
    assert!(
        harness
            .query_by_label_contains("processes shown as XES")
            .is_none(),
        "the export menu closed"
    );
    harness.state_mut().filter_bar_mut().set_editing(false);
    harness
        .state_mut()
        .send(Command::ShowView(View::Performance));
    for (tab, name) in [
        (PerformanceTab::DottedChart, "dotted-chart"),
        (PerformanceTab::Durations, "durations"),
        (PerformanceTab::Activities, "activities"),
    ] {
        harness.state_mut().performance_mut().set_tab(tab);
        check(harness, &format!("{name}-{look}"), problems);
    }
    harness.state_mut().send(Command::ClearFilter);
    harness
        .state_mut()
        .performance_mut()
        .set_tab(PerformanceTab::DottedChart);
    check(harness, &format!("dotted-chart-all-{look}"), problems);
    harness.state_mut().send(Command::ShowView(View::Streams));

    if let Some(correlation) = demo.last.correlation_id {
        harness
            .state_mut()
            .send(Command::ShowConversation(correlation));
        check(harness, &format!("conversation-{look}"), problems);
    }

    harness
        .state_mut()
        .send(Command::ShowInGraph(demo.last.event_id));
    check(harness, &format!("graph-{look}"), problems);

    harness.state_mut().send(Command::ShowInReplay {
        stream_id: demo.stream_id.clone(),
        version: demo.last.version,
    });
    check(harness, &format!("replay-{look}"), problems);

    // The process map, by frequency and by performance.
    harness.state_mut().send(Command::ShowView(View::Map));
    check(harness, &format!("map-{look}"), problems);
    harness.get_by_label("Performance").click();
    check(harness, &format!("map-performance-{look}"), problems);
    harness.get_by_label("Frequency").click();
    settle(harness);

    // Each queue, then with a row selected (its actions or detail show).
    for (view, name, row) in [
        (View::Outbox, "outbox", demo.outbox_type.as_str()),
        (View::Deadlines, "deadlines", "appends "),
        (View::Audit, "audit", demo.audit_action.as_str()),
    ] {
        harness.state_mut().send(Command::ShowView(view));
        check(harness, &format!("{name}-{look}"), problems);
        harness
            .query_all_by_label_contains(row)
            .next()
            .unwrap_or_else(|| panic!("no row {row:?} in {name}"))
            .click();
        check(harness, &format!("{name}-selected-{look}"), problems);
    }

    // The dead letters; a group, one of its dead letters, its editor.
    harness
        .state_mut()
        .send(Command::ShowView(View::DeadLetters));
    check(harness, &format!("dead-letters-{look}"), problems);
    click_first(harness, &demo.group_type);
    click_first(harness, &demo.letter_stream);
    check(harness, &format!("dead-letter-{look}"), problems);
    harness.get_by_label("Edit & resubmit…").click();
    check(harness, &format!("dead-letter-editor-{look}"), problems);
    harness.get_by_label("Close editor").click();
    settle(harness);
    harness.get_by_label("Close").click();
    check(harness, &format!("dead-letter-group-{look}"), problems);
    harness.get_by_label("Show all groups").click();
    settle(harness);

    // A file that cannot be opened, while the demo stays open.
    harness
        .state_mut()
        .send(Command::Open(missing.to_path_buf()));
    check(harness, &format!("open-error-{look}"), problems);
    harness.get_by_label("Back to the open store").click();
    settle(harness);

    harness.state_mut().send(Command::ShowImportDialog(None));
    check(harness, &format!("import-{look}"), problems);
    harness.get_by_label("Cancel").click();
    settle(harness);
    // A dropped log: the store file's hint proposes a path beside it.
    let log = missing.with_file_name("claims.xes");
    harness
        .state_mut()
        .send(Command::ShowImportDialog(Some(log)));
    check(harness, &format!("import-log-{look}"), problems);
    harness.get_by_label("Cancel").click();
    settle(harness);
    // An OCEL log: the offset of its times without one is asked for too.
    let log = missing.with_file_name("po.jsonocel");
    harness
        .state_mut()
        .send(Command::ShowImportDialog(Some(log)));
    check(harness, &format!("import-ocel-{look}"), problems);
    harness.get_by_label("Cancel").click();
    settle(harness);
    // A CSV log: its column pickers and first rows, wider than the dialog.
    let folder = missing
        .parent()
        .and_then(Path::parent)
        .expect("the test's folder");
    let log = folder.join("claims.csv");
    std::fs::write(
        &log,
        "case:concept:name,concept:name,time:timestamp,org:resource,costs,case:creator,remarks\n\
         3,register request,2010-12-30 14:32:00+01:00,Pete,50,Fluxicon Nitro,a long free-text remark that the preview must not let push the dialog wider\n\
         3,examine casually,2010-12-30 15:06:00+01:00,Mike,400,Fluxicon Nitro,\n",
    )
    .expect("write the CSV log");
    harness
        .state_mut()
        .send(Command::ShowImportDialog(Some(log)));
    check(harness, &format!("import-csv-{look}"), problems);
    harness.get_by_label("Cancel").click();
    settle(harness);
}

/// An engine's stream id: `process/<tenant>/<process>`.
const LONG_ID: &str =
    "process/3ba6ea91-10ab-48f1-9eb1-ef25963baf22/32979bd6-b111-4f09-9bc4-46a88fde1cce";

/// The sample store and a failed process as an engine names it: a long id, a
/// long error, ids in its payload. Returns the id of its event.
fn long_id_store(path: &Path) -> uuid::Uuid {
    sample_store(path);
    let store = Store::open_writable(path).expect("open the sample store for writing");
    let event_id = uuid::Uuid::from_u128(0x0190_0000_0000_7000_a000_0000_0000_0001);
    let correlation = uuid::Uuid::from_u128(0x0190_0000_0000_7000_a000_0000_0000_0002);
    let mut info = StreamInfo {
        stream_id: LONG_ID.to_string(),
        process_type: "mabis.abrechnung".to_string(),
        status: StreamStatus::Failed,
        process_state: Some("failed".to_string()),
        version: 0,
        created_at: NOW,
        updated_at: NOW,
        last_error: Some(
            "the clearing of the billing period was refused by the market partner's \
             message gateway after three attempts (APERAK Z29)"
                .to_string(),
        ),
        correlation_id: Some(correlation),
        variant: 0,
        metadata: serde_json::json!({"tenant_id": "3ba6ea91-10ab-48f1-9eb1-ef25963baf22"}),
    };
    let mut event = NewEvent::new(
        "AbrechnungsabgleichFehlgeschlagen",
        NOW,
        serde_json::json!({
            "process_id": "32979bd6-b111-4f09-9bc4-46a88fde1cce",
            "melo_id": "DE9927727425882191694321814236059",
        }),
    );
    event.event_id = Some(event_id);
    event.correlation_id = Some(correlation);
    store
        .write(|writer| writer.append(&mut info, 0, vec![event], NOW))
        .expect("append the engine's process");
    event_id
}

/// An engine's long ids, types and errors do not push a table past its
/// panel or the detail panel past its width.
#[test]
fn no_text_is_cut_short_with_an_engines_long_ids() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let path = folder.path().join("engine.redb");
    let event_id = long_id_store(&path);
    let mut problems = Problems::new();
    for size in SIZES {
        let mut harness = harness_at(app(Some(path.clone()), folder.path()), size);
        let look = set_look(&mut harness, size, ThemeChoice::Dark);
        harness
            .state_mut()
            .send(Command::GoToStream(LONG_ID.to_string()));
        let position = event_position(&harness, event_id);
        harness.state_mut().send(Command::SelectEvent(EventRef {
            position,
            stream_id: Some(LONG_ID.to_string()),
            version: Some(1),
        }));
        check(
            &mut harness,
            &format!("long-ids-streams-{look}"),
            &mut problems,
        );
        harness.state_mut().send(Command::ShowView(View::EventLog));
        check(
            &mut harness,
            &format!("long-ids-event-log-{look}"),
            &mut problems,
        );
        harness.state_mut().send(Command::ShowInReplay {
            stream_id: LONG_ID.to_string(),
            version: 1,
        });
        check(
            &mut harness,
            &format!("long-ids-replay-{look}"),
            &mut problems,
        );
    }
    fail_on(&problems);
}

/// The global position of the event `id`.
fn event_position(harness: &Harness<'_, WorkbenchApp>, id: uuid::Uuid) -> u64 {
    let store = &harness.state().store().expect("a store is open").store;
    let reader = store.read().expect("read the store");
    reader
        .event_by_id(id)
        .expect("look the event up")
        .expect("the event is in the store")
        .position
}

#[test]
fn no_text_is_cut_short_on_the_open_error_and_welcome_screens_without_a_store() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let missing = folder
        .path()
        .join("a folder with a long name")
        .join("gone.redb");
    let mut harness = harness(app(Some(missing), folder.path()));
    settle(&mut harness);
    harness.get_by_label("File not found");
    let mut problems = Problems::new();
    for size in SIZES {
        for theme in THEMES {
            let look = set_look(&mut harness, size, theme);
            check(&mut harness, &format!("not-found-{look}"), &mut problems);
        }
    }
    harness.state_mut().send(Command::DismissOpenError);
    settle(&mut harness);
    assert_shows(&harness, "No store is open");
    for size in SIZES {
        for theme in THEMES {
            let look = set_look(&mut harness, size, theme);
            check(&mut harness, &format!("welcome-{look}"), &mut problems);
        }
    }
    fail_on(&problems);
}

/// The check itself finds what it looks for: a label wider than its clip
/// rectangle, and a label that had to elide.
#[test]
fn the_check_finds_clipped_and_elided_text() {
    let context = egui::Context::default();
    let mut output = context.run_ui(egui::RawInput::default(), |ui| {
        let narrow_ui = |ui: &mut egui::Ui, top: f32| {
            let clip = Rect::from_min_size(egui::pos2(10.0, top), vec2(60.0, 30.0));
            let mut narrow = ui.new_child(egui::UiBuilder::new().max_rect(clip));
            narrow.set_clip_rect(clip);
            narrow
        };
        narrow_ui(ui, 10.0).add(egui::Label::new("a label much wider than sixty points").extend());
        narrow_ui(ui, 50.0)
            .add(egui::Label::new("another label wider than sixty points").truncate());
    });
    output.textures_delta.clear();
    let cut = cut_texts(&output.shapes, &[]);
    let hows: Vec<(&str, &str)> = cut.iter().map(|c| (c.text.as_str(), c.how)).collect();
    assert!(
        hows.contains(&("a label much wider than sixty points", "clipped sideways")),
        "{hows:?}"
    );
    assert!(
        hows.iter()
            .any(|(text, how)| text.starts_with("another") && *how == "elided"),
        "{hows:?}"
    );
}
