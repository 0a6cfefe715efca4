//! Headless exports of a laid-out graph: PNG (size, scale limit, colours of
//! the boxes) and the view's search over a graph.

use process_workbench::views::graph::search;
use process_workbench_core::graph::raster::{PNG_MAX_SIDE, png_scale, to_image};
use process_workbench_core::graph::{
    self, CausalGraph, Edge, EdgeKind, EventNode, GroupNode, Relation, process_color,
};
use uuid::Uuid;

fn node(n: u128, stream: &str, event_type: &str, process_type: &str) -> EventNode {
    EventNode {
        event_id: Uuid::from_u128(n),
        stream_id: stream.to_string(),
        version: n as u64,
        event_type: event_type.to_string(),
        position: n as u64,
        process_type: Some(process_type.to_string()),
        relation: if n == 1 {
            Relation::Selected
        } else {
            Relation::Descendant
        },
        distance: n as u64 - 1,
    }
}

fn small() -> CausalGraph {
    CausalGraph {
        root: Uuid::from_u128(1),
        nodes: vec![
            node(1, "switch-1", "SwitchRequested", "supplier_switch"),
            node(2, "billing-7", "BillingPeriodOpened", "grid_usage_billing"),
        ],
        groups: vec![GroupNode {
            key: graph::group_key("billing-7"),
            label: "3 more in billing-7".to_string(),
            stream_id: "billing-7".to_string(),
            process_type: Some("grid_usage_billing".to_string()),
            hidden: 3,
            first_position: 3,
        }],
        edges: vec![
            Edge {
                from: 0,
                to: 1,
                kind: EdgeKind::Causation,
                count: 1,
            },
            Edge {
                from: 1,
                to: 2,
                kind: EdgeKind::Causation,
                count: 3,
            },
        ],
        hidden: 3,
        total: 5,
    }
}

#[test]
fn png_draws_every_box_in_its_process_colour() {
    let graph = small();
    let layout = graph::layered(&graph, &|| false, &mut |_, _| {}).unwrap();
    let image = to_image(&graph, &layout).unwrap();
    assert_eq!(image.width(), layout.width.ceil() as u32);
    assert_eq!(image.height(), layout.height.ceil() as u32);
    for (vertex, rect) in graph.vertices().zip(&layout.boxes) {
        // The box is tinted towards its colour (below its labels).
        let [r, g, b] = process_color(vertex.process_type());
        let pixel = image.get_pixel(
            (rect.x + rect.width - 10.0) as u32,
            (rect.y + rect.height - 4.0) as u32,
        );
        let expected = |c: u8| (255.0 + (f32::from(c) - 255.0) * 0.22).round() as u8;
        assert_eq!(pixel.0[..3], [expected(r), expected(g), expected(b)]);
    }
    let bytes = graph::to_png(&graph, &layout).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
}

/// Pixels in [left, top, right, bottom) far darker than any box's tint: text.
fn dark_pixels(image: &image::RgbaImage, [left, top, right, bottom]: [f32; 4]) -> usize {
    let [left, top, right, bottom] = [left, top, right, bottom].map(|v| v as u32);
    (top..bottom)
        .flat_map(|y| (left..right).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let [r, g, b, _] = image.get_pixel(x, y).0;
            u32::from(r) + u32::from(g) + u32::from(b) < 450
        })
        .count()
}

#[test]
fn png_labels_each_box_like_the_svg() {
    let graph = small();
    let layout = graph::layered(&graph, &|| false, &mut |_, _| {}).unwrap();
    let image = to_image(&graph, &layout).unwrap();
    for rect in &layout.boxes {
        let first_line = [
            rect.x + 8.0,
            rect.y + 6.0,
            rect.x + rect.width - 8.0,
            rect.y + 20.0,
        ];
        let dark = dark_pixels(&image, first_line);
        assert!(
            dark > 20,
            "a label is drawn in every box ({dark} dark pixels)"
        );
    }
}

#[test]
fn large_layouts_are_scaled_down_to_fit_the_limits() {
    let mut graph = small();
    graph.nodes = (1..=400)
        .map(|n| node(n, &format!("s-{}", n % 40), "Step", "p"))
        .collect();
    graph.groups.clear();
    graph.edges = (0..399)
        .map(|i| Edge {
            from: i,
            to: i + 1,
            kind: EdgeKind::Causation,
            count: 1,
        })
        .collect();
    graph.hidden = 0;
    let layout = graph::layered(&graph, &|| false, &mut |_, _| {}).unwrap();
    let scale = png_scale(&layout);
    assert!(
        scale < 1.0,
        "a 400-layer chain is taller than {PNG_MAX_SIDE} px"
    );
    let image = to_image(&graph, &layout).unwrap();
    assert!(image.width() as f32 <= PNG_MAX_SIDE + 1.0);
    assert!(image.height() as f32 <= PNG_MAX_SIDE + 1.0);
    if scale * 11.0 < 7.0 {
        // Labels too small to read are left out, so boxes show their colour only.
        let rect = &layout.boxes[1];
        let inside = [
            rect.x * scale + 3.0,
            rect.y * scale + 3.0,
            (rect.x + rect.width) * scale - 3.0,
            (rect.y + rect.height) * scale - 3.0,
        ];
        assert_eq!(dark_pixels(&image, inside), 0);
    }
}

#[test]
fn search_matches_event_type_stream_and_id_prefix() {
    let graph = small();
    assert_eq!(search(&graph, "billing"), vec![false, true, true]);
    assert_eq!(search(&graph, "switchreq"), vec![true, false, false]);
    let id = Uuid::from_u128(2).to_string();
    assert_eq!(search(&graph, &id), vec![false, true, false]);
    assert_eq!(search(&graph, "nothing"), vec![false, false, false]);
}
