//! Headless PNG export of a laid-out graph with the `image` crate: boxes
//! coloured by process type (as in the SVG and the window), arrows from cause
//! to effect, the selected event outlined thicker, "N more" groups dashed,
//! and the SVG's labels drawn with `ab_glyph` in the window's own font —
//! when a picture scaled down to fit makes them too small to read, they are
//! left out, as the window does.

use std::io::Cursor;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::{ImageFormat, Rgba, RgbaImage};

use super::export::{
    FIRST_BASELINE, LABEL_CHARS, LABEL_INSET, LANE_TITLE_BASELINE, SECOND_BASELINE, VertexLabels,
    process_color, truncate,
};
use super::layout::{Layout, LayoutKind};
use super::{CausalGraph, Vertex};

/// Longest side of the picture in pixels; larger layouts are scaled down.
pub const PNG_MAX_SIDE: f32 = 8192.0;
/// Most pixels in the picture (about 160 MB of RGBA while it is encoded).
const PNG_MAX_PIXELS: f32 = 40_000_000.0;
const WHITE: Rgba<u8> = Rgba([255, 255, 255, 255]);
const EDGE: [u8; 3] = [110, 110, 110];
const ROOT: [u8; 3] = [20, 20, 20];
const TEXT: [u8; 3] = [34, 34, 34];
const SECONDARY_TEXT: [u8; 3] = [85, 85, 85];
/// Label size in layout units (the SVG's font size).
const LABEL_SIZE: f32 = 11.0;
/// Labels drawn smaller than this many pixels would not be readable.
const MIN_LABEL_PIXELS: f32 = 7.0;

/// Why a PNG could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PngError {
    #[error("the layout is empty")]
    Empty,
    #[error("the picture could not be encoded: {0}")]
    Encode(#[from] image::ImageError),
}

/// The scale the picture is drawn at: 1, or less so that it fits the limits.
pub fn png_scale(layout: &Layout) -> f32 {
    png_scale_of(layout.width, layout.height)
}

/// The scale a picture of `width` × `height` layout units is drawn at.
pub fn png_scale_of(width: f32, height: f32) -> f32 {
    let (width, height) = (width.max(1.0), height.max(1.0));
    let by_side = PNG_MAX_SIDE / width.max(height);
    let by_area = (PNG_MAX_PIXELS / (width * height)).sqrt();
    by_side.min(by_area).min(1.0)
}

/// The graph drawn as an RGBA picture (see [`png_scale`] for its size).
pub fn to_image(graph: &CausalGraph, layout: &Layout) -> Result<RgbaImage, PngError> {
    if layout.width <= 0.0 || layout.height <= 0.0 {
        return Err(PngError::Empty);
    }
    let scale = png_scale(layout);
    let width = (layout.width * scale).ceil().max(1.0) as u32;
    let height = (layout.height * scale).ceil().max(1.0) as u32;
    let mut canvas = Canvas {
        image: RgbaImage::from_pixel(width, height, WHITE),
        scale,
    };
    for route in &layout.routes {
        let dashed = route.reversed;
        for pair in route.points.windows(2) {
            canvas.line(pair[0], pair[1], EDGE, dashed);
        }
        if let [.., before, last] = route.points.as_slice() {
            canvas.arrow_head(*before, *last, EDGE);
        }
    }
    for (index, vertex) in graph.vertices().enumerate() {
        let Some(rect) = layout.boxes.get(index) else {
            continue;
        };
        let colour = process_color(vertex.process_type());
        let corners = [rect.x, rect.y, rect.x + rect.width, rect.y + rect.height];
        canvas.fill(corners, colour, 0.22);
        match vertex {
            Vertex::Event(node) if node.event_id == graph.root => {
                canvas.outline(corners, ROOT, 3.0, false);
            }
            Vertex::Event(_) => canvas.outline(corners, colour, 1.5, false),
            Vertex::Group(_) => canvas.outline(corners, colour, 1.5, true),
        }
    }
    let font = FontRef::try_from_slice(epaint_default_fonts::UBUNTU_LIGHT).ok();
    if let Some(font) = font.filter(|_| LABEL_SIZE * scale >= MIN_LABEL_PIXELS) {
        if layout.kind == LayoutKind::Lanes {
            for lane in &layout.lanes {
                let title = truncate(&lane.stream_id, LABEL_CHARS);
                canvas.text(&font, [lane.x, LANE_TITLE_BASELINE], &title, TEXT);
            }
        }
        for (index, vertex) in graph.vertices().enumerate() {
            let Some(rect) = layout.boxes.get(index) else {
                continue;
            };
            let labels = VertexLabels::of(&vertex);
            let x = rect.x + LABEL_INSET;
            canvas.text(&font, [x, rect.y + FIRST_BASELINE], &labels.first, TEXT);
            let second = [x, rect.y + SECOND_BASELINE];
            canvas.text(&font, second, &labels.second, SECONDARY_TEXT);
        }
    }
    Ok(canvas.image)
}

/// The graph as PNG bytes.
pub fn to_png(graph: &CausalGraph, layout: &Layout) -> Result<Vec<u8>, PngError> {
    let image = to_image(graph, layout)?;
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, ImageFormat::Png)?;
    Ok(bytes.into_inner())
}

/// A picture drawn in layout coordinates (the process map's PNG draws with
/// it too).
pub(crate) struct Canvas {
    pub(crate) image: RgbaImage,
    scale: f32,
}

impl Canvas {
    /// A white picture of `width` × `height` layout units drawn at `scale`
    /// pixels per unit.
    pub(crate) fn new(width: f32, height: f32, scale: f32) -> Canvas {
        let width = (width * scale).ceil().max(1.0) as u32;
        let height = (height * scale).ceil().max(1.0) as u32;
        Canvas {
            image: RgbaImage::from_pixel(width, height, WHITE),
            scale,
        }
    }

    /// Whether labels drawn at this scale are large enough to read.
    pub(crate) fn labels_readable(&self) -> bool {
        LABEL_SIZE * self.scale >= MIN_LABEL_PIXELS
    }

    /// Blends `colour` at `alpha` into the pixel at (x, y), if it is inside.
    fn blend(&mut self, x: i64, y: i64, colour: [u8; 3], alpha: f32) {
        if x < 0
            || y < 0
            || x >= i64::from(self.image.width())
            || y >= i64::from(self.image.height())
        {
            return;
        }
        let pixel = self.image.get_pixel_mut(x as u32, y as u32);
        for (channel, new) in pixel.0.iter_mut().zip(colour) {
            let old = f32::from(*channel);
            *channel = (old + (f32::from(new) - old) * alpha).round() as u8;
        }
    }

    /// Fills a box given as [left, top, right, bottom] in layout coordinates.
    pub(crate) fn fill(&mut self, corners: [f32; 4], colour: [u8; 3], alpha: f32) {
        let [left, top, right, bottom] = corners.map(|value| (value * self.scale).round() as i64);
        for y in top..bottom {
            for x in left..right {
                self.blend(x, y, colour, alpha);
            }
        }
    }

    /// Outlines a box `width` layout units thick (at least one pixel).
    pub(crate) fn outline(&mut self, corners: [f32; 4], colour: [u8; 3], width: f32, dashed: bool) {
        let [left, top, right, bottom] = corners;
        let thickness = (width * self.scale).round().max(1.0) as i64;
        for offset in 0..thickness {
            let inset = offset as f32 / self.scale;
            let (l, t, r, b) = (left + inset, top + inset, right - inset, bottom - inset);
            self.line([l, t], [r, t], colour, dashed);
            self.line([r, t], [r, b], colour, dashed);
            self.line([r, b], [l, b], colour, dashed);
            self.line([l, b], [l, t], colour, dashed);
        }
    }

    /// Writes `text` with its baseline starting at `at` (layout coordinates).
    pub(crate) fn text(&mut self, font: &FontRef<'_>, at: [f32; 2], text: &str, colour: [u8; 3]) {
        let size = PxScale::from(LABEL_SIZE * self.scale);
        let scaled = font.as_scaled(size);
        let mut caret = point(at[0] * self.scale, at[1] * self.scale);
        let mut previous = None;
        for character in text.chars() {
            let id = font.glyph_id(character);
            if let Some(previous) = previous {
                caret.x += scaled.kern(previous, id);
            }
            previous = Some(id);
            let glyph = id.with_scale_and_position(size, caret);
            caret.x += scaled.h_advance(id);
            if let Some(outline) = font.outline_glyph(glyph) {
                let origin = outline.px_bounds().min;
                outline.draw(|x, y, coverage| {
                    let x = origin.x as i64 + i64::from(x);
                    let y = origin.y as i64 + i64::from(y);
                    self.blend(x, y, colour, coverage);
                });
            }
        }
    }

    /// A one-pixel line (dashed: 4 on, 3 off, in pixels).
    pub(crate) fn line(&mut self, from: [f32; 2], to: [f32; 2], colour: [u8; 3], dashed: bool) {
        let (x0, y0) = (from[0] * self.scale, from[1] * self.scale);
        let (x1, y1) = (to[0] * self.scale, to[1] * self.scale);
        let steps = (x1 - x0).abs().max((y1 - y0).abs()).ceil().max(1.0) as i64;
        for step in 0..=steps {
            if dashed && step % 7 >= 4 {
                continue;
            }
            let t = step as f32 / steps as f32;
            let x = (x0 + (x1 - x0) * t).round() as i64;
            let y = (y0 + (y1 - y0) * t).round() as i64;
            self.blend(x, y, colour, 1.0);
        }
    }

    /// A filled triangle pointing at `tip`, along the direction from `before`.
    pub(crate) fn arrow_head(&mut self, before: [f32; 2], tip: [f32; 2], colour: [u8; 3]) {
        let (dx, dy) = (tip[0] - before[0], tip[1] - before[1]);
        let length = (dx * dx + dy * dy).sqrt();
        if length <= f32::EPSILON {
            return;
        }
        let (ux, uy) = (dx / length, dy / length);
        let (size, half) = (9.0, 4.5);
        let base = [tip[0] - ux * size, tip[1] - uy * size];
        let left = [base[0] - uy * half, base[1] + ux * half];
        let right = [base[0] + uy * half, base[1] - ux * half];
        let points = [tip, left, right].map(|[x, y]| [x * self.scale, y * self.scale]);
        let min_x = points
            .iter()
            .map(|p| p[0])
            .fold(f32::INFINITY, f32::min)
            .floor() as i64;
        let max_x = points
            .iter()
            .map(|p| p[0])
            .fold(f32::NEG_INFINITY, f32::max)
            .ceil() as i64;
        let min_y = points
            .iter()
            .map(|p| p[1])
            .fold(f32::INFINITY, f32::min)
            .floor() as i64;
        let max_y = points
            .iter()
            .map(|p| p[1])
            .fold(f32::NEG_INFINITY, f32::max)
            .ceil() as i64;
        let side = |a: [f32; 2], b: [f32; 2], p: [f32; 2]| {
            (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])
        };
        for y in min_y..=max_y {
            for x in min_x..=max_x {
                let p = [x as f32 + 0.5, y as f32 + 0.5];
                let s = [
                    side(points[0], points[1], p),
                    side(points[1], points[2], p),
                    side(points[2], points[0], p),
                ];
                if s.iter().all(|v| *v >= 0.0) || s.iter().all(|v| *v <= 0.0) {
                    self.blend(x, y, colour, 1.0);
                }
            }
        }
    }
}
