//! The app icon (`assets/icon.png`) is drawn here with the `image` crate: three
//! process streams of events, with causal links between them and one failed
//! event. The test checks that the committed file is what this code draws;
//! `UPDATE_ASSETS=1 cargo test --test gui_assets` writes it.

use std::path::Path;

use image::{Rgba, RgbaImage};

const SIZE: u32 = 256;

fn mix(under: Rgba<u8>, over: [f32; 3], alpha: f32) -> Rgba<u8> {
    let alpha = alpha.clamp(0.0, 1.0);
    let under_alpha = f32::from(under[3]) / 255.0;
    let out_alpha = alpha + under_alpha * (1.0 - alpha);
    if out_alpha <= 0.0 {
        return Rgba([0, 0, 0, 0]);
    }
    let channel = |index: usize| {
        let below = f32::from(under[index]) / 255.0;
        let value = (over[index] * alpha + below * under_alpha * (1.0 - alpha)) / out_alpha;
        (value * 255.0).round().clamp(0.0, 255.0) as u8
    };
    Rgba([
        channel(0),
        channel(1),
        channel(2),
        (out_alpha * 255.0).round() as u8,
    ])
}

fn colour(hex: u32) -> [f32; 3] {
    [
        ((hex >> 16) & 0xff) as f32 / 255.0,
        ((hex >> 8) & 0xff) as f32 / 255.0,
        (hex & 0xff) as f32 / 255.0,
    ]
}

/// Coverage of a pixel by a shape with signed distance `distance` (antialiased edge).
fn coverage(distance: f32) -> f32 {
    (0.5 - distance).clamp(0.0, 1.0)
}

fn rounded_square(x: f32, y: f32, inset: f32, radius: f32) -> f32 {
    let half = SIZE as f32 / 2.0 - inset;
    let centre = SIZE as f32 / 2.0;
    let qx = (x - centre).abs() - (half - radius);
    let qy = (y - centre).abs() - (half - radius);
    let outside = (qx.max(0.0).powi(2) + qy.max(0.0).powi(2)).sqrt();
    outside + qx.max(qy).min(0.0) - radius
}

fn segment(x: f32, y: f32, from: (f32, f32), to: (f32, f32), width: f32) -> f32 {
    let (px, py) = (x - from.0, y - from.1);
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let t = ((px * dx + py * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
    let (cx, cy) = (px - dx * t, py - dy * t);
    (cx * cx + cy * cy).sqrt() - width / 2.0
}

fn circle(x: f32, y: f32, centre: (f32, f32), radius: f32) -> f32 {
    ((x - centre.0).powi(2) + (y - centre.1).powi(2)).sqrt() - radius
}

fn draw_icon() -> RgbaImage {
    let lanes = [80.0, 128.0, 176.0];
    let events: [(f32, f32, u32); 8] = [
        (72.0, lanes[0], 0x4fd1c5),
        (128.0, lanes[0], 0x4fd1c5),
        (184.0, lanes[0], 0x4fd1c5),
        (100.0, lanes[1], 0x63b3ed),
        (156.0, lanes[1], 0x63b3ed),
        (72.0, lanes[2], 0x4fd1c5),
        (128.0, lanes[2], 0x4fd1c5),
        (184.0, lanes[2], 0xf56565),
    ];
    let links = [
        ((128.0, lanes[0]), (156.0, lanes[1])),
        ((100.0, lanes[1]), (128.0, lanes[2])),
        ((156.0, lanes[1]), (184.0, lanes[2])),
    ];
    RgbaImage::from_fn(SIZE, SIZE, |px, py| {
        let (x, y) = (px as f32 + 0.5, py as f32 + 0.5);
        let mut pixel = Rgba([0, 0, 0, 0]);
        let shade = y / SIZE as f32;
        let top = colour(0x23446b);
        let bottom = colour(0x12233a);
        let background = [
            top[0] + (bottom[0] - top[0]) * shade,
            top[1] + (bottom[1] - top[1]) * shade,
            top[2] + (bottom[2] - top[2]) * shade,
        ];
        pixel = mix(pixel, background, coverage(rounded_square(x, y, 8.0, 48.0)));
        for lane in lanes {
            let distance = segment(x, y, (48.0, lane), (208.0, lane), 6.0);
            pixel = mix(pixel, colour(0x8fa8c8), coverage(distance) * 0.8);
        }
        for (from, to) in links {
            let distance = segment(x, y, from, to, 5.0);
            pixel = mix(pixel, colour(0xf6e05e), coverage(distance));
        }
        for (cx, cy, hex) in events {
            let ring = circle(x, y, (cx, cy), 15.0);
            pixel = mix(pixel, colour(0x12233a), coverage(ring));
            let dot = circle(x, y, (cx, cy), 12.0);
            pixel = mix(pixel, colour(hex), coverage(dot));
        }
        pixel
    })
}

#[test]
fn the_committed_icon_is_the_drawn_one() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/icon.png");
    let drawn = draw_icon();
    if std::env::var_os("UPDATE_ASSETS").is_some() {
        drawn.save(&path).expect("write assets/icon.png");
        return;
    }
    let committed = image::open(&path)
        .expect("assets/icon.png can be read (UPDATE_ASSETS=1 makes it)")
        .to_rgba8();
    assert_eq!(committed.dimensions(), (SIZE, SIZE));
    assert!(
        committed == drawn,
        "assets/icon.png differs from the drawing; run UPDATE_ASSETS=1 cargo test --test gui_assets"
    );
}

#[test]
fn the_icon_loads_as_window_icon() {
    let icon = eframe::icon_data::from_png_bytes(process_workbench::app::ICON_PNG)
        .expect("the icon is a PNG eframe can use");
    assert_eq!((icon.width, icon.height), (SIZE, SIZE));
}
