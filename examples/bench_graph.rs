//! Causal graph speed (issue 5): building a 10,000-node closure from a redb
//! store, laying it out (layered and lanes) and exporting it as SVG.
//!
//! The store: one hub event that starts 100 processes of 100 events each; a
//! process's events form a chain, every 10th also caused by the same step of
//! the previous process (cross-stream links), every process started by the hub
//! or by an event of an earlier process.
//!
//! `cargo run --release --example bench_graph [STREAMS] [EVENTS_PER_STREAM]`

/// The allocator of the `process-workbench` binary, so that figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use process_workbench::views::graph::draw::{self, Camera, DrawStats, Scene};
use process_workbench_core::graph::{self, ClosureOptions};
use process_workbench_core::store::{Durability, NewEvent, Store, StreamInfo, StreamStatus};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

const T0: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

fn info(stream_id: String, process_type: &str) -> StreamInfo {
    StreamInfo {
        stream_id,
        process_type: process_type.to_string(),
        status: StreamStatus::Running,
        process_state: None,
        version: 0,
        created_at: T0,
        updated_at: T0,
        last_error: None,
        correlation_id: None,
        variant: 0,
        metadata: Value::Null,
    }
}

fn id(stream: u64, index: u64) -> Uuid {
    Uuid::from_u128((u128::from(stream + 1) << 32) | u128::from(index))
}

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1000.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let streams: u64 = args.next().and_then(|t| t.parse().ok()).unwrap_or(100);
    let per_stream: u64 = args.next().and_then(|t| t.parse().ok()).unwrap_or(100);
    let dir = tempfile::tempdir()?;
    let store = Store::create(dir.path().join("graph.redb"))?;
    let hub = Uuid::from_u128(1);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let started = Instant::now();
    store.write_with(Durability::None, |w| {
        let mut root = info("hub".into(), "hub");
        let mut first = NewEvent::new("CampaignStarted", T0, json!({"campaign": "switch-2026"}));
        first.event_id = Some(hub);
        w.append(&mut root, 0, vec![first], T0).map(|_| ())
    })?;
    for stream in 0..streams {
        let starter = if stream == 0 || rng.random_bool(0.3) {
            hub
        } else {
            id(rng.random_range(0..stream), rng.random_range(0..per_stream))
        };
        let events: Vec<NewEvent> = (0..per_stream)
            .map(|index| {
                let mut event = NewEvent::new(
                    if index == 0 {
                        "SupplyStartRequested"
                    } else {
                        "StepCompleted"
                    },
                    T0,
                    json!({"step": index, "meter": format!("DE{stream:06}")}),
                );
                event.event_id = Some(id(stream, index));
                event.causation_id = Some(if index == 0 {
                    starter
                } else {
                    id(stream, index - 1)
                });
                if stream > 0 && index > 0 && index % 10 == 0 {
                    event.other_causes = vec![id(stream - 1, index)];
                }
                event
            })
            .collect();
        store.write_with(Durability::None, |w| {
            let mut stream_info = info(
                format!("supply-{stream:04}"),
                ["supply", "grid", "billing"][stream as usize % 3],
            );
            w.append(&mut stream_info, 0, events, T0).map(|_| ())
        })?;
    }
    store.write(|w| w.set_meta("bench", "graph"))?;
    println!(
        "loaded {} events in {:.1} s",
        streams * per_stream + 1,
        started.elapsed().as_secs_f64()
    );

    let reader = store.read()?;
    let everything = ClosureOptions {
        max_nodes: usize::MAX,
        ..ClosureOptions::default()
    };
    let mut times = Vec::new();
    let mut graph = graph::closure(&reader, hub, &everything)?;
    for _ in 0..5 {
        let started = Instant::now();
        graph = graph::closure(&reader, hub, &everything)?;
        times.push(started.elapsed());
    }
    println!(
        "closure of the hub: {} nodes, {} edges, built in {:.1} ms (median of 5)",
        graph.nodes.len(),
        graph.edges.len(),
        median(times)
    );

    let middle = id(streams / 2, per_stream / 2);
    let mut times = Vec::new();
    let mut partial = graph::closure(&reader, middle, &everything)?;
    for _ in 0..5 {
        let started = Instant::now();
        partial = graph::closure(&reader, middle, &everything)?;
        times.push(started.elapsed());
    }
    println!(
        "closure of a middle event (ancestors + descendants): {} nodes, built in {:.1} ms",
        partial.nodes.len(),
        median(times)
    );

    let mut times = Vec::new();
    let mut grouped = graph::closure(&reader, hub, &ClosureOptions::default())?;
    for _ in 0..5 {
        let started = Instant::now();
        grouped = graph::closure(&reader, hub, &ClosureOptions::default())?;
        times.push(started.elapsed());
    }
    println!(
        "closure with the default max_nodes ({}): {} shown, {} groups, {} hidden, in {:.1} ms",
        graph::DEFAULT_MAX_NODES,
        grouped.nodes.len(),
        grouped.groups.len(),
        grouped.hidden,
        median(times)
    );

    let mut times = Vec::new();
    let mut layout = graph::layered(&graph, &|| false, &mut |_, _| {})?;
    for _ in 0..3 {
        let started = Instant::now();
        layout = graph::layered(&graph, &|| false, &mut |_, _| {})?;
        times.push(started.elapsed());
    }
    let layers = layout.layers.iter().max().map_or(0, |top| top + 1);
    println!(
        "layered layout of {} nodes: {:.0} ms (median of 3), {} layers, {} crossings, {:.0} x {:.0} px",
        graph.vertex_count(),
        median(times),
        layers,
        layout.crossings,
        layout.width,
        layout.height
    );

    let mut times = Vec::new();
    let mut lanes = graph::lanes(&graph, &|| false, &mut |_, _| {})?;
    for _ in 0..3 {
        let started = Instant::now();
        lanes = graph::lanes(&graph, &|| false, &mut |_, _| {})?;
        times.push(started.elapsed());
    }
    println!(
        "lane layout: {:.1} ms, {} lanes, {:.0} x {:.0} px",
        median(times),
        lanes.lanes.len(),
        lanes.width,
        lanes.height
    );

    let started = Instant::now();
    let svg = graph::to_svg(&graph, &layout);
    println!(
        "SVG export: {:.1} ms, {:.1} MiB",
        started.elapsed().as_secs_f64() * 1000.0,
        svg.len() as f64 / (1024.0 * 1024.0)
    );

    let started = Instant::now();
    let png = graph::to_png(&graph, &layout)?;
    println!(
        "PNG export: {:.0} ms, {:.1} MiB",
        started.elapsed().as_secs_f64() * 1000.0,
        png.len() as f64 / (1024.0 * 1024.0)
    );

    draw_frames(&graph, &layout, "layered");
    draw_frames(&graph, &lanes, "lanes");
    Ok(())
}

/// Draws the whole graph in view (fitted into a 1280 × 800 canvas) through the
/// view's draw function, as the window does each frame: building the shapes,
/// and tessellating them into triangles for the GPU.
fn draw_frames(graph: &graph::CausalGraph, layout: &graph::Layout, name: &str) {
    let context = egui::Context::default();
    let canvas = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1280.0, 800.0));
    let camera = Camera::fit(layout, canvas);
    let mut build = Vec::new();
    let mut tessellate = Vec::new();
    let mut stats = DrawStats::default();
    for frame in 0..12 {
        let input = egui::RawInput {
            screen_rect: Some(canvas),
            ..Default::default()
        };
        let mut built = Duration::ZERO;
        let output = context.run_ui(input, |ui| {
            let painter = ui.painter_at(canvas);
            let started = Instant::now();
            stats = draw::draw(
                &painter,
                &Scene {
                    graph,
                    layout,
                    camera,
                    selected: None,
                    hovered: None,
                    matches: None,
                    dark: true,
                },
            );
            built = started.elapsed();
        });
        let started = Instant::now();
        let meshes = context.tessellate(output.shapes, output.pixels_per_point);
        let tessellated = started.elapsed();
        std::hint::black_box(meshes);
        // The first frames load fonts.
        if frame >= 2 {
            build.push(built);
            tessellate.push(tessellated);
        }
    }
    let total: Vec<Duration> = build
        .iter()
        .zip(&tessellate)
        .map(|(a, b)| *a + *b)
        .collect();
    println!(
        "drawing a frame of the {name} layout, all {} vertices and {} edges in view (zoom {:.3}): \
         shapes {:.2} ms + tessellation {:.2} ms = {:.2} ms (median of 10)",
        stats.vertices,
        stats.edges,
        camera.zoom,
        median(build),
        median(tessellate),
        median(total)
    );
}
