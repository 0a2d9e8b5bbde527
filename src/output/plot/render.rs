//! Rendering a [`Figure`] with plotters, the same way to PNG and to SVG.
//!
//! Only plotters' mesh (grid, ticks, axis titles) is drawn through a chart; everything else
//! is clipped here in data space and drawn in pixels, because plotters neither clips series
//! to the plotting area nor places text so that it never overlaps.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::Context;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

use super::axis::{Tick, date_ticks, format_value, value_ticks};
use super::geom::{Rect, clip_polygon, clip_polyline, clip_segment, runs};
use super::labels::{fit_text, place_labels};
use super::{Band, DEFAULT_SIZE, Figure, Panel};
use crate::scenario::Date;

/// The only family used: registered from the embedded DejaVu fonts, so output never depends
/// on what the machine has installed.
const FAMILY: &str = "sans-serif";

/// Colour-blind-safe (Okabe–Ito, without yellow, which vanishes on white). Vermillion is left
/// out because highlighted markers use an orange of their own.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(0, 158, 115),
    RGBColor(90, 90, 90),
    RGBColor(140, 86, 75),
];

const INK: RGBColor = RGBColor(34, 34, 34);
const MUTED: RGBColor = RGBColor(90, 90, 90);
const GRID: RGBColor = RGBColor(224, 224, 224);
const GRID_LIGHT: RGBColor = RGBColor(243, 243, 243);
const FRAME: RGBColor = RGBColor(150, 150, 150);
const MARKER: RGBColor = RGBColor(140, 140, 140);
const HIGHLIGHT: RGBColor = RGBColor(214, 96, 0);
const HIGHLIGHT_TEXT: RGBColor = RGBColor(166, 70, 0);
const PASS: RGBColor = RGBColor(44, 160, 44);
const PASS_TEXT: RGBColor = RGBColor(20, 90, 30);
const FAIL: RGBColor = RGBColor(214, 39, 40);
const FAIL_TEXT: RGBColor = RGBColor(140, 20, 20);

/// Rows of marker labels above the top panel.
const MARKER_ROWS: usize = 4;
/// Rows for window labels inside a panel.
const WINDOW_ROWS: usize = 3;

/// Renders `figure` to a PNG file of `figure.width` × `figure.height` pixels.
pub fn render_png(figure: &Figure, path: &Path) -> anyhow::Result<()> {
    ensure_fonts()?;
    let (w, h) = pixel_size(figure);
    let context = || format!("cannot render the plot {}", path.display());
    // plotters draws lines without anti-aliasing and places glyphs to the whole pixel: drawing
    // at a multiple of the size and averaging gives smooth lines and evenly spaced text.
    let k = supersampling(w, h);
    let mut big = vec![0u8; (w * k) as usize * (h * k) as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut big, (w * k, h * k)).into_drawing_area();
        draw(&root, figure)
            .and_then(|()| root.present().map_err(plot_error))
            .with_context(context)?;
    }
    let pixels = downsample(&big, (w, h), k);

    // plotters picks the image format from the file extension: write a `.png` sibling, then
    // rename it.
    let partial = partial_path(path);
    let written = (|| {
        let mut file = BitMapBackend::new(&partial, (w, h));
        file.blit_bitmap((0, 0), (w, h), &pixels)
            .map_err(plot_error)?;
        file.present().map_err(plot_error)?;
        drop(file);
        std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))
    })();
    if written.is_err() {
        // Best effort: the error worth reporting is the one above.
        let _ = std::fs::remove_file(&partial);
    }
    written.with_context(context)
}

/// 2× in each direction, unless the canvas is so large that memory would be a concern.
fn supersampling(w: u32, h: u32) -> u32 {
    if u64::from(w) * u64::from(h) <= 12_000_000 {
        2
    } else {
        1
    }
}

/// Averages `k` × `k` blocks of an RGB image of `(w·k) × (h·k)` pixels.
fn downsample(big: &[u8], (w, h): (u32, u32), k: u32) -> Vec<u8> {
    let (w, h, k) = (w as usize, h as usize, k as usize);
    if k == 1 {
        return big.to_vec();
    }
    let stride = w * k * 3;
    let n = (k * k) as u32;
    let mut out = vec![0u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                let mut sum = 0u32;
                for dy in 0..k {
                    let row = (y * k + dy) * stride;
                    for dx in 0..k {
                        sum += u32::from(big[row + (x * k + dx) * 3 + c]);
                    }
                }
                out[(y * w + x) * 3 + c] = ((sum + n / 2) / n) as u8;
            }
        }
    }
    out
}

/// Renders `figure` to an SVG file; text refers to the "sans-serif" family, laid out with
/// DejaVu Sans metrics.
pub fn render_svg(figure: &Figure, path: &Path) -> anyhow::Result<()> {
    let svg = svg_string(figure, true)
        .with_context(|| format!("cannot render the plot {}", path.display()))?;
    std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))
}

/// `figure` as SVG text in memory: what [`render_svg`] writes, or, without `embed_fonts`, the
/// same drawing whose text names the embedded family only, for a page that serves the
/// fonts once ([`EMBEDDED_FAMILY`]) instead of receiving them with every figure.
pub fn svg_string(figure: &Figure, embed_fonts: bool) -> anyhow::Result<String> {
    ensure_fonts()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, pixel_size(figure)).into_drawing_area();
        draw(&root, figure).and_then(|()| root.present().map_err(plot_error))?;
    }
    Ok(if embed_fonts {
        self::embed_fonts(&svg)
    } else {
        svg.replace("font-family=\"sans-serif\"", &family_attribute())
    })
}

fn family_attribute() -> String {
    format!("font-family=\"{EMBEDDED_FAMILY}, DejaVu Sans, sans-serif\"")
}

/// Font family name of the fonts embedded in SVG files.
pub const EMBEDDED_FAMILY: &str = "LiaisonDejaVuSans";

/// Embeds the DejaVu Sans faces the PNG uses into the SVG as `@font-face` data, so the text
/// renders with the same font in every viewer instead of whatever "sans-serif" is there.
fn embed_fonts(svg: &str) -> String {
    use base64::Engine as _;
    let face = |bytes: &[u8], weight: &str| {
        format!(
            "@font-face{{font-family:\"{EMBEDDED_FAMILY}\";font-weight:{weight};src:url(data:font/ttf;base64,{}) format(\"truetype\");}}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    };
    let style = format!(
        "<defs><style>{}{}</style></defs>",
        face(dejavu::sans::regular(), "normal"),
        face(dejavu::sans::bold(), "bold")
    );
    let svg = svg.replace("font-family=\"sans-serif\"", &family_attribute());
    // The style goes right after the opening <svg ...> tag.
    match svg
        .find("<svg")
        .and_then(|start| svg[start..].find('>').map(|end| start + end + 1))
    {
        Some(at) => format!("{}\n{style}{}", &svg[..at], &svg[at..]),
        None => svg,
    }
}

fn ensure_fonts() -> anyhow::Result<()> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let invalid = |_| "the embedded DejaVu Sans font is invalid".to_string();
            register_font(FAMILY, FontStyle::Normal, dejavu::sans::regular()).map_err(invalid)?;
            register_font(FAMILY, FontStyle::Bold, dejavu::sans::bold()).map_err(invalid)
        })
        .clone()
        .map_err(anyhow::Error::msg)
}

fn pixel_size(figure: &Figure) -> (u32, u32) {
    let pick = |v: u32, default: u32| if v == 0 { default } else { v.clamp(64, 16_384) };
    (
        pick(figure.width, DEFAULT_SIZE.0),
        pick(figure.height, DEFAULT_SIZE.1),
    )
}

fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.partial.png", std::process::id()))
}

/// plotters' errors carry the backend's error type, which is not always `Send`; only their
/// message is kept.
fn plot_error(error: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("drawing failed: {error}")
}

/// Sizes in pixels for a 1600 × 900 figure, scaled with the figure so that a larger canvas
/// gives the same picture at a higher resolution.
#[derive(Debug, Clone, Copy)]
struct Scale(f64);

impl Scale {
    fn of(width: u32, height: u32) -> Scale {
        let k = (f64::from(width) / f64::from(DEFAULT_SIZE.0))
            .min(f64::from(height) / f64::from(DEFAULT_SIZE.1));
        // Text stops shrinking before it becomes unreadable on small canvases.
        Scale(k.clamp(0.8, 4.0))
    }

    fn px(self, v: f64) -> i32 {
        (v * self.0).round().max(1.0) as i32
    }

    /// A stroke width.
    fn w(self, v: f64) -> u32 {
        self.px(v) as u32
    }

    fn f(self, v: f64) -> f64 {
        v * self.0
    }

    fn font(self, size: f64, bold: bool) -> FontDesc<'static> {
        let style = if bold {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        };
        FontDesc::new(FontFamily::Name(FAMILY), self.f(size), style)
    }
}

/// A font with its colour, and a way to measure text in it.
#[derive(Clone)]
struct Type {
    font: FontDesc<'static>,
    color: RGBColor,
}

impl Type {
    fn new(scale: Scale, size: f64, bold: bool, color: RGBColor) -> Type {
        Type {
            font: scale.font(size, bold),
            color,
        }
    }

    fn size(&self) -> f64 {
        self.font.get_size()
    }

    fn width(&self, text: &str) -> anyhow::Result<f64> {
        let (w, _) = self.font.box_size(text).map_err(plot_error)?;
        Ok(f64::from(w))
    }

    /// `text` cut with "…" to fit in `max_width`.
    fn fit(&self, text: &str, max_width: f64) -> Option<String> {
        fit_text(text, max_width, |t| self.width(t).unwrap_or(f64::INFINITY))
    }

    fn style(&self, h: HPos, v: VPos) -> TextStyle<'static> {
        self.font.clone().color(&self.color).pos(Pos::new(h, v))
    }
}

/// Draws `text` with its left edge at `x` and its capitals centred on `y`.
fn text_left<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    (x, y): (i32, i32),
    face: &Type,
) -> anyhow::Result<()> {
    // plotters centres the layout box, which sits lower than the capitals; nudge it down so
    // that text lines up with swatches and leader lines.
    let y = y + (face.size() * 0.12).round() as i32;
    area.draw(&Text::new(
        text.to_string(),
        (x, y),
        face.style(HPos::Left, VPos::Center),
    ))
    .map_err(plot_error)
}

fn line<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: Vec<(i32, i32)>,
    style: ShapeStyle,
) -> anyhow::Result<()> {
    area.draw(&PathElement::new(points, style))
        .map_err(plot_error)
}

fn rect<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    style: ShapeStyle,
) -> anyhow::Result<()> {
    area.draw(&Rectangle::new([(x0, y0), (x1, y1)], style))
        .map_err(plot_error)
}

/// The outline of a rectangle; plotters' own ignores the stroke width in bitmaps.
fn frame<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    style: ShapeStyle,
) -> anyhow::Result<()> {
    line(
        area,
        vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)],
        style,
    )
}

/// Vertical placement of everything, and the horizontal extent shared by all panels.
struct Layout {
    scale: Scale,
    width: i32,
    /// Left and right pixel of every plotting area.
    plot_x: (i32, i32),
    left_margin: i32,
    right_margin: i32,
    y_label_area: i32,
    title_y: i32,
    subtitle_y: Option<i32>,
    /// Top and bottom of the marker label strip.
    strip: Option<(i32, i32)>,
    /// Per panel: top of its area, height of its title row, height of its plotting area,
    /// height of its x label area.
    panels: Vec<(i32, i32, i32, i32)>,
}

impl Layout {
    /// `strip_rows` rows of marker labels are reserved above the top panel.
    fn new(
        figure: &Figure,
        (width, height): (u32, u32),
        y_tick_width: f64,
        strip_rows: usize,
    ) -> Self {
        let scale = Scale::of(width, height);
        let s = |v| scale.px(v);
        let (width, height) = (width as i32, height as i32);

        let title_y = s(16.0);
        let mut y = title_y + s(30.0);
        let subtitle_y = (!figure.subtitle.trim().is_empty()).then(|| {
            let at = y + s(2.0);
            y = at + s(20.0);
            at
        });
        y += s(10.0);
        let strip = (strip_rows > 0).then(|| {
            let top = y;
            y += s(18.0) * strip_rows as i32 + s(10.0);
            (top, y)
        });

        let n = figure.panels.len().max(1) as i32;
        let title_row = s(28.0);
        let gap = s(14.0);
        let x_area = s(50.0);
        let bottom = s(10.0);
        let fixed = n * title_row + (n - 1) * gap + x_area + bottom;
        let plot_h = ((height - y - fixed) / n).max(s(24.0));
        let panels = (0..n)
            .map(|i| {
                let top = y + i * (title_row + plot_h + gap);
                (top, title_row, plot_h, if i == n - 1 { x_area } else { 0 })
            })
            .collect();

        let left_margin = s(12.0);
        let right_margin = s(34.0);
        // Tick labels, tick marks, the rotated axis title and the space between them.
        let y_label_area = y_tick_width.ceil() as i32 + s(38.0);
        let plot_x = (left_margin + y_label_area, width - right_margin);
        Layout {
            scale,
            width,
            plot_x,
            left_margin,
            right_margin,
            y_label_area,
            title_y,
            subtitle_y,
            strip,
            panels,
        }
    }
}

/// A linear axis with ticks and labels chosen in [`super::axis`] (plotters' fixed-tick
/// combinator cannot format `f64` labels).
struct Ticked {
    lo: f64,
    hi: f64,
    bold: Vec<(f64, String)>,
    light: Vec<f64>,
}

/// The pixel of `v` on an axis from `lo` to `hi` spanning pixels `a` to `b`; shared by the
/// mesh and by everything drawn in pixels, so that both agree to the pixel.
fn map_linear(v: f64, (lo, hi): (f64, f64), (a, b): (i32, i32)) -> i32 {
    let t = ((v - lo) / (hi - lo)).clamp(-10.0, 10.0);
    if t.is_nan() {
        return a;
    }
    a + (f64::from(b - a) * t + 1e-3).floor() as i32
}

impl Ranged for Ticked {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        map_linear(*value, (self.lo, self.hi), limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.iter().map(|(v, _)| *v).collect()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for Ticked {
    fn format(value: &f64) -> String {
        value.to_string()
    }

    fn format_ext(&self, value: &f64) -> String {
        self.bold
            .iter()
            .find(|(v, _)| v == value)
            .map_or_else(|| Self::format(value), |(_, label)| label.clone())
    }
}

/// Maps data coordinates to pixels exactly as plotters' mesh does.
#[derive(Debug, Clone, Copy)]
struct Mapper {
    data: Rect,
    /// Left, right, top, bottom pixels of the plotting area (inclusive).
    px: (i32, i32, i32, i32),
}

impl Mapper {
    fn x(&self, x: f64) -> i32 {
        let (l, r, _, _) = self.px;
        map_linear(x, (self.data.x0, self.data.x1), (l, r))
    }

    fn y(&self, y: f64) -> i32 {
        let (_, _, t, b) = self.px;
        map_linear(y, (self.data.y0, self.data.y1), (b, t))
    }

    fn point(&self, (x, y): (f64, f64)) -> (i32, i32) {
        (self.x(x), self.y(y))
    }
}

/// The figure's x range as fractional years, never empty.
fn x_span(figure: &Figure) -> (Date, Date, f64, f64) {
    let (mut from, mut to) = figure.x_range;
    if to < from {
        std::mem::swap(&mut from, &mut to);
    }
    if to == from {
        to = from.plus_days(1);
    }
    (from, to, from.as_year_fraction(), to.as_year_fraction())
}

/// A panel's y range, never empty nor infinite.
fn y_span(panel: &Panel) -> (f64, f64) {
    let (a, b) = panel.y_range;
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    match (lo.is_finite(), hi.is_finite()) {
        (true, true) if hi > lo => (lo, hi),
        (true, _) => (lo - 0.5, lo + 0.5),
        (false, true) => (hi - 0.5, hi + 0.5),
        (false, false) => (0.0, 1.0),
    }
}

/// Draws the whole figure on `root`.
fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, figure: &Figure) -> anyhow::Result<()> {
    root.fill(&WHITE).map_err(plot_error)?;
    let (w, h) = root.dim_in_pixel();
    let scale = Scale::of(w, h);

    let (from, to, x0, x1) = x_span(figure);
    let markers: Vec<(f64, &super::Marker)> = figure
        .markers
        .iter()
        .map(|m| (m.date.as_year_fraction(), m))
        .filter(|(x, _)| (x0..=x1).contains(x))
        .collect();

    let tick_face = Type::new(scale, 13.0, false, MUTED);
    let y_ticks: Vec<(Vec<f64>, usize)> = figure
        .panels
        .iter()
        .map(|p| {
            let (lo, hi) = y_span(p);
            value_ticks(lo, hi, 5)
        })
        .collect();
    let mut y_tick_width: f64 = 0.0;
    for (values, decimals) in &y_ticks {
        for v in values {
            y_tick_width = y_tick_width.max(tick_face.width(&format_value(*v, *decimals))?);
        }
    }
    // The horizontal layout does not depend on the strip, whose height depends on how many
    // rows the marker labels take.
    let (pl, pr) = Layout::new(figure, (w, h), y_tick_width, 0).plot_x;
    let s = |v| scale.px(v);
    let marker_face = Type::new(scale, 13.0, false, INK);
    let marker_bold = Type::new(scale, 13.0, true, HIGHLIGHT_TEXT);
    let marker_pad = scale.f(4.0);
    // The plotting areas span pixels `pl..pr`, as `draw_mesh` builds them.
    let marker_x = |x: f64| map_linear(x, (x0, x1), (pl, pr - 1));
    let mut order: Vec<usize> = (0..markers.len()).collect();
    order.sort_by(|&a, &b| markers[a].0.total_cmp(&markers[b].0).then(a.cmp(&b)));
    let mut extents = Vec::new();
    let (min_left, max_right) = (f64::from(s(6.0)), f64::from(w as i32 - s(6.0)));
    for &i in &order {
        let (x, marker) = markers[i];
        let face = if marker.highlight {
            &marker_bold
        } else {
            &marker_face
        };
        let text_w = face.width(marker.label.trim())?;
        let width = (text_w + 2.0 * marker_pad).min(max_right - min_left);
        // Flag style: the label starts at its leader line, or ends there if it would otherwise
        // run off the page, so that every label touches its own leader.
        let anchor = f64::from(marker_x(x));
        let left = if anchor + 1.0 + width <= max_right {
            anchor + 1.0
        } else {
            anchor - 1.0 - width
        };
        let left = left.max(min_left);
        extents.push((left, width));
    }
    let slots = place_labels(&extents, MARKER_ROWS, scale.f(6.0));
    let rows_used = slots.iter().map(|slot| slot.row + 1).max().unwrap_or(0);
    let layout = Layout::new(figure, (w, h), y_tick_width, rows_used);

    // Header.
    let title_face = Type::new(scale, 28.0, true, INK);
    let text_room = f64::from(layout.width - pl - s(8.0));
    if let Some(title) = title_face.fit(figure.title.trim(), text_room) {
        let at = (pl, layout.title_y + s(12.0));
        text_left(root, &title, at, &title_face)?;
    }
    if let Some(y) = layout.subtitle_y {
        let face = Type::new(scale, 16.0, false, MUTED);
        if let Some(sub) = face.fit(figure.subtitle.trim(), text_room) {
            text_left(root, &sub, (pl, y + s(8.0)), &face)?;
        }
    }

    if figure.panels.is_empty() {
        return Ok(());
    }

    let (x_ticks, x_light) = date_ticks(from, to, ((pr - pl) / s(90.0)).max(2) as usize);
    let top_plot = layout.panels[0].0 + layout.panels[0].1;

    // Leader lines now, so that they pass under the panels' titles and the labels drawn last.
    let mut marker_labels = Vec::new();
    if let Some((_, strip_bottom)) = layout.strip {
        let row_h = s(18.0);
        let rows_bottom = strip_bottom - s(10.0);
        for (k, &i) in order.iter().enumerate() {
            let (x, marker) = markers[i];
            let px = marker_x(x);
            let row = slots[k].row as i32;
            let cy = rows_bottom - row * row_h - row_h / 2;
            let style = if marker.highlight {
                HIGHLIGHT.mix(0.9).stroke_width(scale.w(1.5))
            } else {
                MARKER.stroke_width(scale.w(1.0))
            };
            line(
                root,
                vec![(px, cy - row_h / 2 + s(3.0)), (px, top_plot)],
                style,
            )?;
            marker_labels.push((extents[k].0, slots[k].width, cy, row_h, marker));
        }
    }

    let mut plot_frames = Vec::new();
    for (index, panel) in figure.panels.iter().enumerate() {
        let (top, title_row, plot_h, x_area) = layout.panels[index];
        let area = root
            .clone()
            .shrink((0, top), (layout.width, title_row + plot_h + x_area));
        let (ticks, decimals) = &y_ticks[index];
        let mapper = draw_mesh(
            &area,
            &layout,
            (title_row, x_area),
            panel,
            (x0, x1),
            (&x_ticks, &x_light),
            (ticks, *decimals),
        )?;
        draw_panel(root, scale, panel, &mapper, &markers)?;
        plot_frames.push((mapper, top, title_row));
    }
    // Panel titles last, on a white ground, so that leader lines pass behind them.
    let panel_face = Type::new(scale, 15.0, true, INK);
    for (panel, (mapper, top, title_row)) in figure.panels.iter().zip(&plot_frames) {
        let (l, r, _, _) = mapper.px;
        if let Some(title) = panel_face.fit(panel.title.trim(), f64::from(r - l)) {
            let cy = top + title_row / 2 + s(2.0);
            let tw = panel_face.width(&title)? as i32;
            rect(
                root,
                (l - s(2.0), cy - title_row / 2 + s(3.0)),
                (l + tw + s(6.0), cy + title_row / 2 - s(3.0)),
                WHITE.filled(),
            )?;
            text_left(root, &title, (l, cy), &panel_face)?;
        }
    }

    for (left, width, cy, row_h, marker) in marker_labels {
        let face = if marker.highlight {
            &marker_bold
        } else {
            &marker_face
        };
        let pad = scale.f(4.0);
        let Some(text) = face.fit(marker.label.trim(), width - 2.0 * pad) else {
            continue;
        };
        let text_w = face.width(&text)?;
        let l = left.round() as i32;
        // Opaque, so that leaders of labels further up pass behind, not through, the text.
        let right = (left + text_w + 2.0 * pad).round() as i32;
        rect(
            root,
            (l, cy - row_h / 2 + s(1.0)),
            (right, cy + row_h / 2 - s(1.0)),
            WHITE.filled(),
        )?;
        text_left(root, &text, ((left + pad).round() as i32, cy), face)?;
    }
    Ok(())
}

/// Builds the chart of one panel and draws its grid, ticks and axis titles; returns the
/// mapping of its plotting area.
fn draw_mesh<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    layout: &Layout,
    (title_row, x_area): (i32, i32),
    panel: &Panel,
    (x0, x1): (f64, f64),
    (x_ticks, x_light): (&[Tick], &[f64]),
    (y_ticks, decimals): (&[f64], usize),
) -> anyhow::Result<Mapper> {
    let scale = layout.scale;
    let bottom = x_area > 0;
    let (y0, y1) = y_span(panel);
    let mut chart = ChartBuilder::on(area)
        .margin_left(layout.left_margin)
        .margin_right(layout.right_margin)
        .margin_top(title_row)
        .margin_bottom(0)
        .set_label_area_size(LabelAreaPosition::Left, layout.y_label_area)
        .set_label_area_size(LabelAreaPosition::Bottom, x_area)
        .build_cartesian_2d(
            Ticked {
                lo: x0,
                hi: x1,
                bold: x_ticks.iter().map(|t| (t.x, t.label.clone())).collect(),
                light: x_light.to_vec(),
            },
            Ticked {
                lo: y0,
                hi: y1,
                bold: y_ticks
                    .iter()
                    .map(|&y| (y, format_value(y, decimals)))
                    .collect(),
                light: Vec::new(),
            },
        )
        .map_err(plot_error)?;

    let tick_style = scale.font(13.0, false).color(&MUTED);
    let desc_style = scale.font(14.0, false).color(&INK);
    let mut mesh = chart.configure_mesh();
    mesh.bold_line_style(GRID.stroke_width(scale.w(1.0)))
        .light_line_style(GRID_LIGHT.stroke_width(scale.w(1.0)))
        .axis_style(FRAME.stroke_width(scale.w(1.0)))
        .x_labels(x_ticks.len().max(1))
        .y_labels(y_ticks.len().max(1))
        .label_style(tick_style)
        .axis_desc_style(desc_style)
        .set_tick_mark_size(LabelAreaPosition::Left, scale.px(5.0))
        .set_tick_mark_size(LabelAreaPosition::Bottom, scale.px(5.0))
        .y_desc(panel.y_label.trim());
    if bottom {
        mesh.x_desc("Date");
    }
    mesh.draw().map_err(plot_error)?;

    let (xs, ys) = chart.plotting_area().get_pixel_range();
    Ok(Mapper {
        data: Rect::new((x0, x1), (y0, y1)),
        px: (xs.start, xs.end - 1, ys.start, ys.end - 1),
    })
}

/// Everything inside one plotting area: windows, markers, bands, frame and legend.
fn draw_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scale: Scale,
    panel: &Panel,
    map: &Mapper,
    markers: &[(f64, &super::Marker)],
) -> anyhow::Result<()> {
    let s = |v| scale.px(v);
    let (l, r, t, b) = map.px;
    let data = map.data;

    // Windows: shading first, labels later so that curves do not hide them.
    let mut window_labels = Vec::new();
    for window in &panel.windows {
        let xa = window.from.as_year_fraction().max(data.x0);
        // `to` is the window's last day, so it ends at the next midnight.
        let xb = window.to.plus_days(1).as_year_fraction().min(data.x1);
        if xb <= xa {
            continue;
        }
        let color = if window.pass { PASS } else { FAIL };
        let (pa, pb) = (map.x(xa), map.x(xb).max(map.x(xa) + 1));
        rect(root, (pa, t), (pb, b), color.mix(0.15).filled())?;
        for x in [pa, pb] {
            line(
                root,
                vec![(x, t), (x, b)],
                color.mix(0.35).stroke_width(scale.w(1.0)),
            )?;
        }
        window_labels.push((pa, window));
    }

    if panel.zero_line && data.y0 < 0.0 && data.y1 > 0.0 {
        line(
            root,
            vec![(l, map.y(0.0)), (r, map.y(0.0))],
            BLACK.mix(0.8).stroke_width(scale.w(1.0)),
        )?;
    }

    for &(x, marker) in markers {
        let px = map.x(x);
        if marker.highlight {
            line(
                root,
                vec![(px, t), (px, b)],
                HIGHLIGHT.mix(0.85).stroke_width(scale.w(2.0)),
            )?;
        } else {
            let (dash, gap) = (s(5.0), s(4.0));
            let mut y = t;
            while y < b {
                line(
                    root,
                    vec![(px, y), (px, (y + dash).min(b))],
                    MARKER.stroke_width(scale.w(1.0)),
                )?;
                y += dash + gap;
            }
        }
    }

    let curves: Vec<BandPixels> = panel
        .bands
        .iter()
        .map(|band| band_pixels(band, map))
        .collect();
    for (band, curve) in panel.bands.iter().zip(&curves) {
        let color = PALETTE[band.color % PALETTE.len()];
        for polygon in &curve.fill {
            root.draw(&Polygon::new(polygon.clone(), color.mix(0.2).filled()))
                .map_err(plot_error)?;
        }
    }
    for (band, curve) in panel.bands.iter().zip(&curves) {
        let color = PALETTE[band.color % PALETTE.len()];
        for piece in &curve.mid {
            line(root, piece.clone(), color.stroke_width(scale.w(2.0)))?;
        }
    }

    // Window labels, stacked so that they never overlap.
    let face = Type::new(scale, 12.0, false, INK);
    let mut extents = Vec::new();
    for (pa, window) in &window_labels {
        let width = face.width(window.label.trim())?;
        let left = (f64::from(pa + s(4.0)))
            .min(f64::from(r - s(4.0)) - width)
            .max(f64::from(l + s(2.0)));
        extents.push((left, width));
    }
    let slots = place_labels(&extents, WINDOW_ROWS, scale.f(12.0));
    let row_h = s(16.0);
    let mut obstacles = Vec::new();
    for ((window_label, &(left, _)), slot) in window_labels.iter().zip(&extents).zip(&slots) {
        let window = window_label.1;
        let face = Type {
            color: if window.pass { PASS_TEXT } else { FAIL_TEXT },
            ..face.clone()
        };
        let Some(text) = face.fit(window.label.trim(), slot.width) else {
            continue;
        };
        let cy = t + s(4.0) + slot.row as i32 * row_h + row_h / 2;
        let x = left.round() as i32;
        let x_end = x + face.width(&text)?.ceil() as i32;
        // A light ground keeps the label readable over curves and marker lines.
        let (gx0, gy0, gx1, gy1) = (
            x - s(3.0),
            cy - row_h / 2 + 1,
            x_end + s(3.0),
            cy + row_h / 2 - 1,
        );
        rect(root, (gx0, gy0), (gx1, gy1), WHITE.mix(0.7).filled())?;
        text_left(root, &text, (x, cy), &face)?;
        obstacles.push(Rect::new(
            (f64::from(gx0), f64::from(gx1)),
            (f64::from(gy0), f64::from(gy1)),
        ));
    }

    frame(root, (l, t), (r, b), FRAME.stroke_width(scale.w(1.0)))?;
    draw_legend(root, scale, panel, map, &curves, &obstacles)
}

/// A band in pixels: fill polygons and median polylines, already clipped.
struct BandPixels {
    fill: Vec<Vec<(i32, i32)>>,
    mid: Vec<Vec<(i32, i32)>>,
    low_high: Vec<Vec<(i32, i32)>>,
}

fn band_pixels(band: &Band, map: &Mapper) -> BandPixels {
    let n = band
        .dates
        .len()
        .min(band.low.len())
        .min(band.mid.len())
        .min(band.high.len());
    let xs: Vec<f64> = band.dates[..n]
        .iter()
        .map(|d| d.as_year_fraction())
        .collect();
    let to_px =
        |points: Vec<(f64, f64)>| points.into_iter().map(|p| map.point(p)).collect::<Vec<_>>();

    let mut fill = Vec::new();
    let mut low_high = Vec::new();
    for run in runs(n, |i| band.low[i].is_finite() && band.high[i].is_finite()) {
        if run.len() < 2 {
            continue;
        }
        let mut outline: Vec<(f64, f64)> = run.clone().map(|i| (xs[i], band.low[i])).collect();
        outline.extend(run.clone().rev().map(|i| (xs[i], band.high[i])));
        let clipped = clip_polygon(&outline, &map.data);
        if !clipped.is_empty() {
            fill.push(to_px(clipped));
        }
        for edge in [&band.low, &band.high] {
            let points: Vec<(f64, f64)> = run.clone().map(|i| (xs[i], edge[i])).collect();
            low_high.extend(clip_polyline(&points, &map.data).into_iter().map(to_px));
        }
    }
    let mut mid = Vec::new();
    for run in runs(n, |i| band.mid[i].is_finite()) {
        let points: Vec<(f64, f64)> = run.map(|i| (xs[i], band.mid[i])).collect();
        mid.extend(clip_polyline(&points, &map.data).into_iter().map(to_px));
    }
    BandPixels {
        fill,
        mid,
        low_high,
    }
}

/// The legend of a panel, in whichever inner corner hides the least of the curves.
fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scale: Scale,
    panel: &Panel,
    map: &Mapper,
    curves: &[BandPixels],
    obstacles: &[Rect],
) -> anyhow::Result<()> {
    let s = |v| scale.px(v);
    let (l, r, t, b) = map.px;
    let face = Type::new(scale, 13.0, false, INK);
    let max_text = f64::from(r - l) * 0.4;
    let mut entries = Vec::new();
    for band in &panel.bands {
        if let Some(text) = face
            .fit(band.label.trim(), max_text)
            .filter(|t| !t.is_empty())
        {
            let width = face.width(&text)?;
            entries.push((text, width, PALETTE[band.color % PALETTE.len()]));
        }
    }
    if entries.is_empty() {
        return Ok(());
    }
    let (pad, row_h, swatch) = (s(8.0), s(20.0), s(26.0));
    let text_w = entries.iter().map(|e| e.1).fold(0.0, f64::max).ceil() as i32;
    let box_w = pad + swatch + s(8.0) + text_w + pad;
    let box_h = s(5.0) * 2 + row_h * entries.len() as i32;
    let inset = s(10.0);
    let corners = [
        (r - inset - box_w, t + inset),
        (l + inset, t + inset),
        (r - inset - box_w, b - inset - box_h),
        (l + inset, b - inset - box_h),
    ];
    let cost = |&(x, y): &(i32, i32)| -> f64 {
        let area = Rect::new(
            (f64::from(x), f64::from(x + box_w)),
            (f64::from(y), f64::from(y + box_h)),
        );
        let crossings = |pieces: &[Vec<(i32, i32)>]| {
            pieces
                .iter()
                .flat_map(|p| p.windows(2))
                .filter(|w| {
                    let a = (f64::from(w[0].0), f64::from(w[0].1));
                    let b = (f64::from(w[1].0), f64::from(w[1].1));
                    clip_segment(a, b, &area).is_some()
                })
                .count() as f64
        };
        let curves: f64 = curves
            .iter()
            .map(|c| 3.0 * crossings(&c.mid) + crossings(&c.low_high))
            .sum();
        let covered = obstacles
            .iter()
            .filter(|o| o.x0 < area.x1 && o.x1 > area.x0 && o.y0 < area.y1 && o.y1 > area.y0)
            .count() as f64;
        curves + 1000.0 * covered
    };
    // The first corner wins ties, so an empty panel gets its legend at the upper right.
    let (x, y) = corners
        .iter()
        .copied()
        .min_by(|a, b| cost(a).total_cmp(&cost(b)))
        .unwrap_or(corners[0]);

    rect(
        root,
        (x, y),
        (x + box_w, y + box_h),
        WHITE.mix(0.88).filled(),
    )?;
    let border = RGBColor(190, 190, 190).stroke_width(scale.w(1.0));
    frame(root, (x, y), (x + box_w, y + box_h), border)?;
    for (i, (text, _, color)) in entries.iter().enumerate() {
        let cy = y + s(5.0) + row_h * i as i32 + row_h / 2;
        let sx = x + pad;
        rect(
            root,
            (sx, cy - s(6.0)),
            (sx + swatch, cy + s(6.0)),
            color.mix(0.2).filled(),
        )?;
        line(
            root,
            vec![(sx, cy), (sx + swatch, cy)],
            color.stroke_width(scale.w(2.0)),
        )?;
        text_left(root, text, (sx + swatch + s(8.0), cy), &face)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Marker, Window};
    use super::*;

    fn date(y: i16, m: i8, d: i8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    /// Two panels of two bands, three crowded markers, a passing and a failing window.
    fn sample_figure() -> Figure {
        let start = date(2013, 1, 1);
        let dates: Vec<Date> = (0..420).map(|w| start.plus_days(7 * w)).collect();
        let band = |label: &str, color: usize, level: f64, phase: f64| {
            let mid: Vec<f64> = dates
                .iter()
                .enumerate()
                .map(|(i, _)| level + 0.15 * ((i as f64) / 40.0 + phase).sin())
                .collect();
            let mut low: Vec<f64> = mid.iter().map(|m| m - 0.1).collect();
            let high: Vec<f64> = mid.iter().map(|m| m + 0.1).collect();
            low[100] = f64::NAN;
            Band {
                label: label.into(),
                color,
                dates: dates.clone(),
                low,
                mid,
                high,
            }
        };
        let mut diff = band("A − B", 2, 0.0, 1.0);
        diff.mid[200] = f64::INFINITY;
        Figure {
            title: "Trust between services".into(),
            subtitle: "200 runs · seed 42 · median and 5–95 % band".into(),
            x_range: (start, date(2021, 1, 1)),
            panels: vec![
                Panel {
                    title: "Channel trust".into(),
                    y_label: "Trust".into(),
                    y_range: (0.0, 1.0),
                    bands: vec![
                        band("Service A → B", 0, 0.6, 0.0),
                        band("Service B → A", 1, 0.45, 2.0),
                    ],
                    windows: vec![
                        Window {
                            from: date(2013, 6, 1),
                            to: date(2014, 3, 1),
                            label: "T1 collapse after scandal".into(),
                            pass: true,
                        },
                        Window {
                            from: date(2013, 9, 1),
                            to: date(2015, 1, 1),
                            label: "T2 recovery".into(),
                            pass: false,
                        },
                    ],
                    zero_line: false,
                },
                Panel {
                    title: "Paired difference".into(),
                    y_label: "Δ trust".into(),
                    y_range: (-0.5, 0.5),
                    bands: vec![diff, band("B − A (lagged)", 3, 0.1, 3.0)],
                    windows: vec![],
                    zero_line: true,
                },
            ],
            markers: vec![
                Marker {
                    date: date(2013, 6, 6),
                    label: "Snowden revelations begin".into(),
                    highlight: true,
                },
                Marker {
                    date: date(2013, 7, 1),
                    label: "Joint counter-terrorism operation".into(),
                    highlight: false,
                },
                Marker {
                    date: date(2013, 10, 23),
                    label: "Merkel phone tapping report".into(),
                    highlight: false,
                },
            ],
            width: 1600,
            height: 900,
        }
    }

    fn png_size(bytes: &[u8]) -> (u32, u32) {
        let be = |r: std::ops::Range<usize>| u32::from_be_bytes(bytes[r].try_into().unwrap());
        (be(16..20), be(20..24))
    }

    #[test]
    fn renders_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let figure = sample_figure();
        let png = dir.path().join("trust.png");
        let svg = dir.path().join("trust.svg");
        render_png(&figure, &png).unwrap();
        render_svg(&figure, &svg).unwrap();

        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(png_size(&bytes), (1600, 900));
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.contains("<svg"));
        for label in [
            "Trust between services",
            "Snowden revelations begin",
            "T2 recovery",
            "Service A → B",
            "2015",
        ] {
            assert!(text.contains(label), "{label} missing from the SVG");
        }
        // No leftover partial file.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn same_figure_same_bytes_and_other_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let mut figure = sample_figure();
        figure.width = 800;
        figure.height = 600;
        figure.panels.truncate(1);
        let (a, b) = (dir.path().join("a.png"), dir.path().join("b.png"));
        render_png(&figure, &a).unwrap();
        render_png(&figure, &b).unwrap();
        let bytes = std::fs::read(&a).unwrap();
        assert_eq!(png_size(&bytes), (800, 600));
        assert_eq!(bytes, std::fs::read(&b).unwrap());
        let (c, d) = (dir.path().join("c.svg"), dir.path().join("d.svg"));
        render_svg(&figure, &c).unwrap();
        render_svg(&figure, &d).unwrap();
        assert_eq!(std::fs::read(&c).unwrap(), std::fs::read(&d).unwrap());
    }

    #[test]
    fn odd_input_does_not_panic() {
        let dir = tempfile::tempdir().unwrap();
        let mut figure = sample_figure();
        figure.x_range = (date(2014, 1, 1), date(2014, 1, 1));
        figure.panels[0].y_range = (f64::NAN, 1.0);
        figure.panels[1].y_range = (0.3, 0.3);
        figure.panels[1].bands[0].low.clear();
        figure.markers.push(Marker {
            date: date(1990, 1, 1),
            label: "outside".into(),
            highlight: false,
        });
        figure.title = "x".repeat(500);
        render_png(&figure, &dir.path().join("odd.png")).unwrap();
        figure.panels.clear();
        figure.markers.clear();
        render_svg(&figure, &dir.path().join("empty.svg")).unwrap();
        // A path in a missing folder is an error, not a panic.
        assert!(render_png(&figure, &dir.path().join("missing/x.png")).is_err());
    }
}
