//! Shared by the GUI tests: deterministic test stores made with the store API,
//! files that are not stores, and a harness that runs the real app with a
//! fixed clock and size and waits for its background jobs.

#![allow(dead_code, reason = "each test file uses a part")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use process_workbench::app::{StartOptions, WorkbenchApp};
use process_workbench::state::Clock;
use process_workbench_core::store::{NewEvent, Store, StreamInfo, StreamStatus, schema};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

/// The fixed "now" of every GUI test.
pub const NOW: OffsetDateTime = datetime!(2024-03-01 12:00 UTC);
/// Window size of the tests and snapshots.
pub const SIZE: egui::Vec2 = egui::vec2(1280.0, 800.0);

/// Event id of the event at global position `position` in the sample store.
pub fn event_id(position: u64) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | u128::from(position))
}

/// Correlation id of sample process `n`.
pub fn correlation_id(n: u64) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_9000_0000_0000_0000 | u128::from(n))
}

fn new_stream(stream_id: &str, process_type: &str, correlation: Uuid) -> StreamInfo {
    StreamInfo {
        stream_id: stream_id.to_string(),
        process_type: process_type.to_string(),
        status: StreamStatus::Running,
        process_state: None,
        version: 0,
        created_at: NOW,
        updated_at: NOW,
        last_error: None,
        correlation_id: Some(correlation),
        variant: 0,
        metadata: json!({"origin": "gui test"}),
    }
}

/// Builds events with fixed ids and times; positions are counted here to match the store's.
struct Events {
    next_position: u64,
    clock: OffsetDateTime,
}

impl Events {
    fn event(
        &mut self,
        event_type: &str,
        correlation: Uuid,
        causation: Option<Uuid>,
        payload: Value,
    ) -> (NewEvent, Uuid) {
        let id = event_id(self.next_position);
        self.next_position += 1;
        self.clock += time::Duration::minutes(7);
        let mut event = NewEvent::new(event_type, self.clock, payload);
        event.event_id = Some(id);
        event.correlation_id = Some(correlation);
        event.causation_id = causation;
        event.metadata =
            json!({"source": "edifact", "message_id": format!("MSG-{:05}", id.as_u128() & 0xffff)});
        (event, id)
    }
}

/// Ids of the sample store worth knowing in tests.
#[derive(Debug, Clone)]
pub struct Sample {
    /// A failed stream and its last error.
    pub failed_stream: String,
    pub failed_error: String,
    /// A meter stream whose first event was caused by an event of `cause_stream`.
    pub effect_stream: String,
    pub cause_stream: String,
    pub cause_event: Uuid,
    pub streams: u64,
    pub events: u64,
}

/// Writes the sample store: 12 supplier switches (some completed, some failed,
/// some running), a meter reading stream for each confirmed switch (caused by
/// the confirmation) and invoices for the completed ones.
pub fn sample_store(path: &Path) -> Sample {
    let store = Store::create(path).expect("create the sample store");
    let mut events = Events {
        next_position: 1,
        clock: datetime!(2024-02-01 8:00 UTC),
    };
    let mut streams = 0;
    let mut effect = None;
    for n in 1..=12u64 {
        let correlation = correlation_id(n);
        let switch_id = format!("switch-{n:04}");
        let location = format!("DE00014545768{n:04}");
        let mut switch = new_stream(&switch_id, "supplier_switch", correlation);
        let (requested, requested_id) = events.event(
            "SwitchRequested",
            correlation,
            None,
            json!({
                "market_location": location,
                "supplier": {"old": "Stadtwerke Nord", "new": format!("Grünstrom {n}")},
                "requested_start": "2024-04-01",
                "customer": {"name": format!("Kundin {n}"), "address": {"city": "Köln", "zip": "50667"}},
            }),
        );
        let outcome = n % 4;
        let mut batch = vec![requested];
        let mut confirmed_id = None;
        match outcome {
            0 => {
                let (rejected, _) = events.event(
                    "SwitchRejected",
                    correlation,
                    Some(requested_id),
                    json!({"reason_code": "E17", "market_location": location}),
                );
                batch.push(rejected);
                switch.status = StreamStatus::Failed;
                switch.process_state = Some("rejected".to_string());
                switch.last_error = Some(format!(
                    "grid operator rejected the switch: market location {location} is unknown (E17)"
                ));
            }
            1 => {
                switch.process_state = Some("requested".to_string());
            }
            _ => {
                let (confirmed, id) = events.event(
                    "SwitchConfirmed",
                    correlation,
                    Some(requested_id),
                    json!({"market_location": location, "start": "2024-04-01", "amount": 40.0 + n as f64}),
                );
                batch.push(confirmed);
                confirmed_id = Some(id);
                let (completed, _) = events.event(
                    "SwitchCompleted",
                    correlation,
                    Some(id),
                    json!({"market_location": location}),
                );
                batch.push(completed);
                switch.status = StreamStatus::Completed;
                switch.process_state = Some("completed".to_string());
            }
        }
        store
            .write(|writer| writer.append(&mut switch, 0, batch, NOW))
            .expect("append switch events");
        streams += 1;
        if let Some(cause) = confirmed_id {
            let meter_id = format!("meter-{n:04}");
            let mut meter = new_stream(&meter_id, "meter_reading", correlation);
            let (reading, reading_id) = events.event(
                "MeterReadingReceived",
                correlation,
                Some(cause),
                json!({"market_location": location, "readings": [{"obis": "1-0:1.8.0", "value": 1000 + n * 17, "unit": "kWh"}]}),
            );
            let (validated, _) = events.event(
                "MeterReadingValidated",
                correlation,
                Some(reading_id),
                json!({"plausible": true}),
            );
            meter.status = StreamStatus::Completed;
            store
                .write(|writer| writer.append(&mut meter, 0, vec![reading, validated], NOW))
                .expect("append meter events");
            streams += 1;
            if effect.is_none() {
                effect = Some((meter_id, switch_id.clone(), cause));
            }
        }
    }
    let (effect_stream, cause_stream, cause_event) = effect.expect("a confirmed switch");
    Sample {
        failed_stream: "switch-0004".to_string(),
        failed_error:
            "grid operator rejected the switch: market location DE000145457680004 is unknown (E17)"
                .to_string(),
        effect_stream,
        cause_stream,
        cause_event,
        streams,
        events: events.next_position - 1,
    }
}

/// Positions of the odd events of [`odd_store`].
pub struct Odd {
    pub big: u64,
    pub deep: u64,
    pub damaged: u64,
    pub wide: u64,
}

/// A store with a 5 MB payload, a payload nested 100 levels, an array of
/// 100,000 items and (written behind the store's back) a record that is not JSON.
pub fn odd_store(path: &Path) -> Odd {
    let store = Store::create(path).expect("create the odd store");
    let correlation = correlation_id(99);
    let mut events = Events {
        next_position: 1,
        clock: datetime!(2024-02-01 8:00 UTC),
    };
    let big_text: String = "0123456789abcdef".repeat(5 * 1024 * 1024 / 16);
    let (big, _) = events.event(
        "BigPayload",
        correlation,
        None,
        json!({"blob": big_text, "note": "five megabytes"}),
    );
    let mut deep_value = json!({"bottom": true});
    for level in 0..100 {
        deep_value = json!({ format!("level{level}"): deep_value });
    }
    let (deep, _) = events.event("DeepPayload", correlation, None, deep_value);
    let (wide, _) = events.event(
        "WidePayload",
        correlation,
        None,
        json!({"items": (0..100_000).collect::<Vec<u64>>()}),
    );
    let (damaged, _) = events.event("WillBeDamaged", correlation, None, json!({"x": 1}));
    let mut stream = new_stream("odd-0001", "odd", correlation);
    store
        .write(|writer| writer.append(&mut stream, 0, vec![big, deep, wide, damaged], NOW))
        .expect("append odd events");
    drop(store);
    let database = redb::Database::open(path).expect("open with redb");
    let transaction = database.begin_write().expect("write");
    {
        let mut table = transaction
            .open_table(schema::EVENTS)
            .expect("events table");
        table
            .insert(4u64, b"{\"event_id\": \"0190\x00\xff not json".as_slice())
            .expect("damage record 4");
    }
    transaction.commit().expect("commit");
    Odd {
        big: 1,
        deep: 2,
        wide: 3,
        damaged: 4,
    }
}

/// A store whose format version is newer than this program reads.
pub fn newer_format_store(path: &Path) {
    sample_store(path);
    let store = Store::open_writable(path).expect("open for writing");
    store
        .write(|writer| writer.set_meta(schema::META_FORMAT_VERSION, "2"))
        .expect("set the format version");
}

/// A redb database of another program.
pub fn foreign_redb(path: &Path) {
    let database = redb::Database::create(path).expect("create");
    let transaction = database.begin_write().expect("write");
    {
        let definition: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("inventory");
        let mut table = transaction.open_table(definition).expect("table");
        table.insert("apples", 3).expect("insert");
    }
    transaction.commit().expect("commit");
}

/// Deterministic noise.
pub fn random_bytes(length: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// The app on `file` (None: the demo store in `data_dir`).
pub fn app(file: Option<PathBuf>, data_dir: &Path) -> WorkbenchApp {
    WorkbenchApp::new(
        None,
        StartOptions {
            user: None,
            filter: None,
            file,
            data_dir: data_dir.to_path_buf(),
            clock: Clock::Fixed(NOW),
        },
    )
}

/// A harness running the app at the test size, dark theme.
pub fn harness(app: WorkbenchApp) -> Harness<'static, WorkbenchApp> {
    Harness::builder()
        .with_size(SIZE)
        .with_max_steps(50)
        .build_ui_state(|ui, app: &mut WorkbenchApp| app.ui(ui), app)
}

/// Steps until the app has no background work and the ui has settled: four
/// frames in a row without background work. What a job delivers in one frame
/// (a graph to fit, rows to size) shows a frame or two later, as a toolbar
/// drawn above the canvas shows the zoom the canvas chose in the frame before.
pub fn settle(harness: &mut Harness<'_, WorkbenchApp>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut quiet_frames = 0;
    while quiet_frames < 4 {
        harness.step();
        if harness.state().is_busy() {
            quiet_frames = 0;
            assert!(
                Instant::now() < deadline,
                "the app stayed busy for a minute"
            );
            std::thread::sleep(Duration::from_millis(5));
        } else {
            quiet_frames += 1;
        }
    }
}

/// Steps until a node labelled `label` shows (the app may be busy).
pub fn wait_for_label(harness: &mut Harness<'_, WorkbenchApp>, label: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while harness.query_by_label(label).is_none() {
        assert!(
            Instant::now() < deadline,
            "{label:?} did not show within a minute"
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Steps until a node whose label contains `part` shows.
pub fn wait_for_label_containing(harness: &mut Harness<'_, WorkbenchApp>, part: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while harness.query_by_label_contains(part).is_none() {
        assert!(
            Instant::now() < deadline,
            "nothing with {part:?} showed within a minute"
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Every file's bytes, to prove that opening changed nothing.
pub fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

/// Asserts that at least one node is labelled `label` (a table row and a heading may both be).
pub fn assert_shows(harness: &Harness<'_, WorkbenchApp>, label: &str) {
    assert!(
        harness.query_all_by_label(label).next().is_some(),
        "nothing labelled {label:?} is shown"
    );
}

/// Asserts that at least one node's label contains `part`.
pub fn assert_shows_containing(harness: &Harness<'_, WorkbenchApp>, part: &str) {
    assert!(
        harness.query_all_by_label_contains(part).next().is_some(),
        "no label contains {part:?}"
    );
}

/// A fresh folder at a fixed path (the status bar of a screenshot shows it).
pub fn fixed_folder(name: &str) -> PathBuf {
    let folder = std::env::temp_dir().join("pw-gui-snapshots").join(name);
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).expect("create the snapshot folder");
    folder
}

/// A harness for snapshots and README screenshots: dark theme, no cursor, settled.
pub fn screenshot_harness(mut app: WorkbenchApp) -> Harness<'static, WorkbenchApp> {
    app.send(process_workbench::state::command::Command::SetTheme(
        process_workbench::state::command::ThemeChoice::Dark,
    ));
    let mut harness = Harness::builder()
        .with_size(SIZE)
        .with_max_steps(50)
        .with_render_cursor(false)
        .build_ui_state(|ui, app: &mut WorkbenchApp| app.ui(ui), app);
    settle(&mut harness);
    harness
}

/// The app on the demo store made in `data_dir`, at the demo's "now", as a screenshot harness.
pub fn demo_harness(data_dir: &Path) -> Harness<'static, WorkbenchApp> {
    screenshot_harness(WorkbenchApp::new(
        None,
        StartOptions {
            user: None,
            filter: None,
            file: None,
            data_dir: data_dir.to_path_buf(),
            clock: Clock::Fixed(process_workbench_core::demo::DEMO_NOW),
        },
    ))
}

/// How close a rendered screenshot must be to the committed one.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    /// A pixel whose every channel is within this of the committed pixel's
    /// is the same pixel: the software renderer's rounding moves a channel by
    /// a unit or two now and then from run to run.
    pub channel: u8,
    /// How many pixels may differ by more (in millionths of the image): a
    /// changed label, a moved column or another layout differs by far more.
    pub pixels_per_million: u32,
}

/// A screen drawn from fixed data with a fixed clock: the software
/// renderer's rounding, a few pixels at most (20 of 1,024,000).
pub const STABLE: Tolerance = Tolerance {
    channel: 4,
    pixels_per_million: 20,
};

/// A part of a screenshot, in pixels; `None` in [`check_screenshot_parts`]
/// is the whole image.
#[derive(Debug, Clone, Copy)]
pub struct Region {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Region {
    fn contains(&self, x: u32, y: u32) -> bool {
        (self.x..self.x + self.width).contains(&x) && (self.y..self.y + self.height).contains(&y)
    }
}

/// A README screenshot `screenshots/NAME.png`, compared with the committed
/// image within [`STABLE`]: the test fails on a larger difference and leaves
/// the new image and a picture of the difference in the target folder. With
/// `PW_UPDATE_SCREENSHOTS=1` it rewrites the committed image instead (when it
/// differs beyond the renderer's rounding). The caller asserts what the
/// screen shows (its labels) before.
pub fn check_screenshot(harness: &mut Harness<'_, WorkbenchApp>, name: &str) {
    check_screenshot_parts(harness, name, &[(None, STABLE)]);
}

/// As [`check_screenshot`], each part (a region, or the whole image) within
/// its own tolerance: for a screen of which a known part differs from run to run.
pub fn check_screenshot_parts(
    harness: &mut Harness<'_, WorkbenchApp>,
    name: &str,
    parts: &[(Option<Region>, Tolerance)],
) {
    let image = harness.render().expect("render the window");
    let path = screenshot_path(name);
    let update = std::env::var_os("PW_UPDATE_SCREENSHOTS").is_some_and(|value| value != "0");
    let stored = image::open(&path).ok().map(|stored| stored.to_rgba8());
    let new_path = failure_path(name, "new");
    if update {
        let unchanged = stored.as_ref().is_some_and(|stored| {
            ScreenshotDifference::of(stored, &image, STABLE.channel, None).differing_pixels == 0
        });
        if !unchanged {
            image.save(&path).expect("write the screenshot");
        }
        return;
    }
    let Some(stored) = stored else {
        image.save(&new_path).expect("write the new screenshot");
        panic!(
            "{} is missing; the screen is in {} (PW_UPDATE_SCREENSHOTS=1 writes it)",
            path.display(),
            new_path.display()
        );
    };
    let failures: Vec<String> = parts
        .iter()
        .filter_map(|(region, tolerance)| {
            let difference = ScreenshotDifference::of(&stored, &image, tolerance.channel, *region);
            let allowed = difference.compared_pixels * u64::from(tolerance.pixels_per_million)
                / 1_000_000;
            (!difference.same_size || difference.differing_pixels > allowed).then(|| {
                format!(
                    "{}: {difference:?}, at most {allowed} pixels may differ by more than {} in a channel",
                    region.map_or("the whole image".to_string(), |region| format!("{region:?}")),
                    tolerance.channel
                )
            })
        })
        .collect();
    if !failures.is_empty() {
        image.save(&new_path).expect("write the new screenshot");
        let diff_path = failure_path(name, "diff");
        if stored.dimensions() == image.dimensions() {
            difference_image(&stored, &image, STABLE.channel)
                .save(&diff_path)
                .expect("write the difference");
        }
        panic!(
            "the screen differs from {}:\n{}\nNew: {}; difference (red): {}. If the new screen \
             is right, rewrite it with PW_UPDATE_SCREENSHOTS=1 and look at it before committing.",
            path.display(),
            failures.join("\n"),
            new_path.display(),
            diff_path.display()
        );
    }
}

/// How a rendered image differs from the committed one.
#[derive(Debug, Clone, Copy)]
struct ScreenshotDifference {
    same_size: bool,
    compared_pixels: u64,
    /// Pixels with a channel farther than the tolerance from the stored one.
    differing_pixels: u64,
    /// The largest difference of a channel.
    largest: u8,
}

impl ScreenshotDifference {
    fn of(
        stored: &image::RgbaImage,
        new: &image::RgbaImage,
        channel: u8,
        region: Option<Region>,
    ) -> Self {
        let mut difference = ScreenshotDifference {
            same_size: stored.dimensions() == new.dimensions(),
            compared_pixels: 0,
            differing_pixels: 0,
            largest: 0,
        };
        if !difference.same_size {
            return difference;
        }
        for ((x, y, a), b) in stored.enumerate_pixels().zip(new.pixels()) {
            if region.is_some_and(|region| !region.contains(x, y)) {
                continue;
            }
            difference.compared_pixels += 1;
            let far =
                a.0.iter()
                    .zip(b.0)
                    .map(|(a, b)| a.abs_diff(b))
                    .max()
                    .unwrap_or(0);
            difference.largest = difference.largest.max(far);
            if far > channel {
                difference.differing_pixels += 1;
            }
        }
        difference
    }
}

/// The new image, dimmed, with the pixels that differ beyond `channel` in red.
fn difference_image(
    stored: &image::RgbaImage,
    new: &image::RgbaImage,
    channel: u8,
) -> image::RgbaImage {
    image::RgbaImage::from_fn(new.width(), new.height(), |x, y| {
        let (a, b) = (stored.get_pixel(x, y), new.get_pixel(x, y));
        if a.0.iter().zip(b.0).any(|(a, b)| a.abs_diff(b) > channel) {
            image::Rgba([255, 0, 0, 255])
        } else {
            image::Rgba([b.0[0] / 3, b.0[1] / 3, b.0[2] / 3, 255])
        }
    })
}

/// Where a failed comparison leaves `NAME.KIND.png` (outside the source tree).
fn failure_path(name: &str, kind: &str) -> PathBuf {
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&folder).expect("create the folder of failed screenshots");
    folder.join(format!("{name}.{kind}.png"))
}

fn screenshot_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("screenshots")
        .join(format!("{name}.png"))
}
