//! Lays out a [`Figure`] and draws it on a [`Canvas`].
//!
//! From top to bottom: title, subtitle, the shared legend (outside every data area), the
//! grid of panels — each with its title row, a strip of numbered event markers, the plotting
//! area and, under the bottom panel of a column, the x tick labels — then notes, then the
//! event key (kinds legend and one entry per event: number, date, full label, wrapped, never
//! cut). Everything grows rather than overlaps: the canvas gets taller for a long key or many
//! panels, and wider when a strip of markers needs more room.

use super::axis::{Tick, date_ticks, format_value, value_ticks};
use super::figure::{Badges, EventMark, Figure, Panel, Swatch, XAxis, date_x};
use super::geom::runs;
use super::labels::{dodge, fit_text, place_labels, wrap_text};
use super::layout::{balance_columns, flow, grid_cells};
use super::style::{
    FAIL, FAIL_TEXT, FAINT, FRAME, GRID, GRID_LIGHT, INK, MUTED, PASS, PASS_TEXT, Rgb, Shape, WHITE,
};
use super::svg::{Anchor, Canvas, Font, Paint, num};

/// Outer margin.
const MARGIN: f64 = 20.0;
const TITLE: Font = Font {
    size: 22.0,
    bold: true,
    color: INK,
};
const SUBTITLE: Font = Font {
    size: 14.0,
    bold: false,
    color: MUTED,
};
const LEGEND: Font = Font {
    size: 13.0,
    bold: false,
    color: INK,
};
const PANEL_TITLE: Font = Font {
    size: 14.0,
    bold: true,
    color: INK,
};
const TICK: Font = Font {
    size: 12.0,
    bold: false,
    color: MUTED,
};
const AXIS_TITLE: Font = Font {
    size: 13.0,
    bold: false,
    color: INK,
};
const KEY: Font = Font {
    size: 13.0,
    bold: false,
    color: INK,
};
const KEY_DATE: Font = Font {
    size: 13.0,
    bold: false,
    color: MUTED,
};
const WINDOW_LABEL: Font = Font {
    size: 12.0,
    bold: false,
    color: INK,
};
const BADGE_NUMBER: Font = Font {
    size: 11.0,
    bold: true,
    color: WHITE,
};

const TITLE_ROW: f64 = 28.0;
const STRIP: f64 = 38.0;
const LEADER_ZONE: f64 = 12.0;
const X_LABELS: f64 = 24.0;
const ROW_GAP: f64 = 14.0;
const COLUMN_GAP: f64 = 30.0;
/// Smallest plotting height: generous for a few stacked panels, less for small multiples.
fn min_plot(rows: usize) -> f64 {
    if rows <= 4 { 150.0 } else { 95.0 }
}
const LINE: f64 = 17.0;
const KEY_COLUMN: f64 = 360.0;
const KEY_GAP: f64 = 26.0;
const MIN_KEY_LABEL: f64 = 250.0;

/// Baseline of text whose capitals are centred on `cy`.
fn baseline(cy: f64, font: Font) -> f64 {
    cy + 0.36 * font.size
}

/// The x axis, resolved to numbers.
struct XScale {
    lo: f64,
    hi: f64,
    ticks: Vec<Tick>,
    light: Vec<f64>,
    title: String,
    dates: bool,
}

fn x_scale(axis: &XAxis, max_labels: usize) -> XScale {
    match axis {
        XAxis::Dates { from, to } => {
            let (from, to) = if from <= to {
                (*from, *to)
            } else {
                (*to, *from)
            };
            let end = to.plus_days(1);
            let (ticks, light) = date_ticks(from, end, max_labels);
            XScale {
                lo: date_x(from),
                hi: date_x(end),
                ticks,
                light,
                title: String::new(),
                dates: true,
            }
        }
        XAxis::Values { lo, hi, title } => {
            let (lo, hi) = span(*lo, *hi);
            let (values, decimals) = value_ticks(lo, hi, max_labels.min(8));
            XScale {
                lo,
                hi,
                ticks: values
                    .into_iter()
                    .map(|x| Tick {
                        x,
                        label: format_value(x, decimals),
                    })
                    .collect(),
                light: Vec::new(),
                title: title.clone(),
                dates: false,
            }
        }
    }
}

/// An ordered, finite, non-empty range.
fn span(a: f64, b: f64) -> (f64, f64) {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    match (lo.is_finite(), hi.is_finite()) {
        (true, true) if hi > lo => (lo, hi),
        (true, _) => (lo - 0.5, lo + 0.5),
        (false, true) => (hi - 0.5, hi + 0.5),
        (false, false) => (0.0, 1.0),
    }
}

/// Data to pixels for one panel.
#[derive(Debug, Clone, Copy)]
struct Map {
    x: (f64, f64),
    y: (f64, f64),
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Map {
    fn px(&self, x: f64) -> f64 {
        self.left + (x - self.x.0) / (self.x.1 - self.x.0) * (self.right - self.left)
    }

    fn py(&self, y: f64) -> f64 {
        self.bottom - (y - self.y.0) / (self.y.1 - self.y.0) * (self.bottom - self.top)
    }

    fn rect(&self) -> (f64, f64, f64, f64) {
        (
            self.left,
            self.top,
            self.right - self.left,
            self.bottom - self.top,
        )
    }
}

/// Where one panel goes.
struct PanelBox {
    map: Map,
    title_baseline: f64,
    strip: Vec<usize>,
    x_labels: bool,
    y_ticks: (Vec<f64>, usize),
    y_title: Vec<String>,
    label_left: f64,
}

/// The shared legend, flowed into rows.
struct LegendLayout {
    places: Vec<(usize, f64)>,
    rows: usize,
}

const SWATCH: f64 = 28.0;
const LEGEND_ROW: f64 = 22.0;

fn legend_layout(figure: &Figure, width: f64) -> LegendLayout {
    let widths: Vec<f64> = figure
        .legend
        .iter()
        .map(|e| SWATCH + 7.0 + LEGEND.width(e.label.trim()))
        .collect();
    let places = flow(&widths, width, 22.0);
    let rows = places.last().map_or(0, |p| p.0 + 1);
    LegendLayout { places, rows }
}

/// One entry of the event key.
struct KeyEntry {
    event: usize,
    x: f64,
    y: f64,
    date: String,
    lines: Vec<String>,
}

struct KeyLayout {
    kinds: Vec<(String, Rgb, Shape)>,
    kind_places: Vec<(usize, f64)>,
    kind_rows: usize,
    entries: Vec<KeyEntry>,
    height: f64,
    badge_r: f64,
    /// Offset of the labels from an entry's left edge.
    label_dx: f64,
}

fn key_date(event: &EventMark) -> String {
    match event.until {
        Some(until) if until > event.date => {
            if until.0.year() == event.date.0.year() {
                format!(
                    "{} – {:02}-{:02}",
                    event.date,
                    until.0.month(),
                    until.0.day()
                )
            } else {
                format!("{} – {until}", event.date)
            }
        }
        _ => event.date.to_string(),
    }
}

/// The key of the `shown` events (indices into `figure.events`), `width` pixels wide.
fn key_layout(figure: &Figure, shown: &[usize], width: f64) -> KeyLayout {
    let mut kinds: Vec<(String, Rgb, Shape)> = Vec::new();
    for &i in shown {
        let e = &figure.events[i];
        if !kinds.iter().any(|k| k.0 == e.kind) {
            kinds.push((e.kind.clone(), e.color, e.shape));
        }
    }
    let title_w = PANEL_TITLE.width("Events") + 24.0;
    let kind_widths: Vec<f64> = kinds.iter().map(|k| 22.0 + LEGEND.width(&k.0)).collect();
    let kind_places = flow(&kind_widths, (width - title_w).max(100.0), 16.0);
    let kind_rows = kind_places.last().map_or(1, |p| p.0 + 1);
    let badge_r = 9.0;
    let dates: Vec<String> = shown.iter().map(|&i| key_date(&figure.events[i])).collect();
    let date_w = dates.iter().map(|d| KEY_DATE.width(d)).fold(0.0, f64::max);
    let label_x = 2.0 * badge_r + 8.0 + date_w + 10.0;
    // As many columns as fit while labels keep room for a few words a line.
    let column_width = |c: usize| (width - KEY_GAP * (c - 1) as f64) / c as f64;
    let mut columns = (((width + KEY_GAP) / (KEY_COLUMN + KEY_GAP)).floor() as usize)
        .clamp(1, 4)
        .min(shown.len().max(1));
    while columns > 1 && column_width(columns) - label_x < MIN_KEY_LABEL {
        columns -= 1;
    }
    let column_w = column_width(columns);
    let label_w = (column_w - label_x).max(60.0);
    let lines: Vec<Vec<String>> = shown
        .iter()
        .map(|&i| {
            let e = &figure.events[i];
            let font = Font {
                bold: e.highlight,
                ..KEY
            };
            wrap_text(e.label.trim(), label_w, |t| font.width(t))
        })
        .collect();
    let heights: Vec<f64> = lines.iter().map(|l| l.len() as f64 * LINE + 5.0).collect();
    let starts = balance_columns(&heights, columns);
    let top = LINE * kind_rows as f64 + 14.0;
    let mut entries = Vec::new();
    let mut height: f64 = top;
    for (c, &start) in starts.iter().enumerate() {
        let end = starts.get(c + 1).copied().unwrap_or(shown.len());
        let mut y = top;
        for k in start..end {
            entries.push(KeyEntry {
                event: shown[k],
                x: c as f64 * (column_w + KEY_GAP),
                y,
                date: dates[k].clone(),
                lines: lines[k].clone(),
            });
            y += heights[k];
        }
        height = height.max(y);
    }
    KeyLayout {
        kinds,
        kind_places,
        kind_rows,
        entries,
        height,
        badge_r,
        label_dx: label_x,
    }
}

/// Radius of the numbered markers: large enough for the longest number.
fn badge_radius(figure: &Figure) -> f64 {
    let widest = figure
        .events
        .iter()
        .map(|e| BADGE_NUMBER.width(&e.number.to_string()))
        .fold(0.0, f64::max);
    (widest / 2.0 + 4.0).max(10.0)
}

/// Whether an event shows in the x range.
fn visible(event: &EventMark, x: &XScale) -> bool {
    if !x.dates {
        return false;
    }
    let start = date_x(event.date);
    let end = date_x(event.until.unwrap_or(event.date).plus_days(1));
    start <= x.hi && end >= x.lo && start.is_finite()
}

/// Lays out and draws `figure`.
pub(super) fn draw(figure: &Figure) -> Canvas {
    let nominal_w = f64::from(figure.width.clamp(320, 16_000));
    let nominal_h = f64::from(figure.height.clamp(200, 16_000));
    let x_probe = x_scale(&figure.x_axis, 12);
    let shown: Vec<usize> = (0..figure.events.len())
        .filter(|&i| visible(&figure.events[i], &x_probe))
        .collect();

    let cells = grid_cells(&figure.panels, figure.columns);
    let rows = cells.iter().map(|c| c.0 + 1).max().unwrap_or(0);
    let columns = cells.iter().map(|c| c.1 + 1).max().unwrap_or(1);
    let below = |i: usize| {
        let (r, c) = cells[i];
        cells.contains(&(r + 1, c))
    };
    // Strip contents per panel.
    let strips: Vec<Vec<usize>> = (0..figure.panels.len())
        .map(|i| {
            let mut events: Vec<usize> = match figure.badges {
                Badges::PerPanel => figure.panels[i]
                    .events
                    .iter()
                    .copied()
                    .filter(|e| shown.contains(e))
                    .collect(),
                Badges::PerColumn => {
                    let (r, c) = cells[i];
                    let top = !cells.iter().any(|&(r2, c2)| c2 == c && r2 < r);
                    if top { shown.clone() } else { Vec::new() }
                }
            };
            events.sort_unstable();
            events.dedup();
            events
        })
        .collect();
    let y_ticks: Vec<(Vec<f64>, usize)> = figure
        .panels
        .iter()
        .map(|p| {
            let (lo, hi) = span(p.y_range.0, p.y_range.1);
            value_ticks(lo, hi, 5)
        })
        .collect();
    let tick_w: Vec<f64> = (0..columns)
        .map(|c| {
            (0..figure.panels.len())
                .filter(|&i| cells[i].1 == c)
                .flat_map(|i| {
                    let (values, decimals) = &y_ticks[i];
                    values
                        .iter()
                        .map(|v| TICK.width(&format_value(*v, *decimals)))
                })
                .fold(0.0, f64::max)
        })
        .collect();
    let badge_r = badge_radius(figure);
    let pitch = 2.0 * badge_r + 3.0;

    // Settle the width (markers may need more) and the plot height together.
    let mut width = nominal_w;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let inner = width - 2.0 * MARGIN;
        let header = header_height(figure, inner);
        let key = key_layout(figure, &shown, inner);
        let notes = notes_lines(figure, inner);
        let row_extra: Vec<f64> = (0..rows)
            .map(|r| {
                let in_row: Vec<usize> = (0..figure.panels.len())
                    .filter(|&i| cells[i].0 == r)
                    .collect();
                let strip = in_row.iter().any(|&i| !strips[i].is_empty());
                let labels = in_row.iter().any(|&i| !below(i));
                TITLE_ROW
                    + if strip { STRIP } else { 0.0 }
                    + if labels {
                        X_LABELS + if x_probe.title.is_empty() { 0.0 } else { 20.0 }
                    } else {
                        0.0
                    }
                    + ROW_GAP
            })
            .collect();
        let key_h = if shown.is_empty() {
            0.0
        } else {
            key.height + 16.0
        };
        let fixed = MARGIN * 2.0
            + header
            + row_extra.iter().sum::<f64>()
            + notes.len() as f64 * LINE
            + key_h;
        let plot_h = if rows == 0 {
            0.0
        } else {
            ((nominal_h - fixed) / rows as f64).max(min_plot(rows))
        };
        let titles: Vec<Vec<String>> = figure
            .panels
            .iter()
            .map(|p| wrap_text(p.y_label.trim(), plot_h - 6.0, |t| AXIS_TITLE.width(t)))
            .collect();
        let label_area: Vec<f64> = (0..columns)
            .map(|c| {
                let lines = (0..figure.panels.len())
                    .filter(|&i| cells[i].1 == c && !figure.panels[i].y_label.trim().is_empty())
                    .map(|i| titles[i].len())
                    .max()
                    .unwrap_or(0);
                lines as f64 * 16.0 + tick_w[c] + 16.0
            })
            .collect();
        let column_w = (inner - COLUMN_GAP * (columns - 1) as f64) / columns as f64;
        // The narrowest plot each column can have for its strips of markers.
        let shortfall = (0..columns)
            .map(|c| {
                let need = (0..figure.panels.len())
                    .filter(|&i| cells[i].1 == c)
                    .map(|i| strips[i].len())
                    .max()
                    .unwrap_or(0);
                let need_w = if need == 0 {
                    0.0
                } else {
                    pitch * (need - 1) as f64 + 2.0 * badge_r + 8.0
                };
                need_w - (column_w - label_area[c])
            })
            .fold(0.0, f64::max);
        if shortfall > 0.0 && attempt < 4 {
            width = (width + shortfall * columns as f64 + 1.0).ceil();
            continue;
        }

        // Final geometry.
        let height = fixed + plot_h * rows as f64;
        let mut canvas = Canvas::new(width.ceil() as u32, height.ceil() as u32);
        let mut y = MARGIN;
        y = draw_header(&mut canvas, figure, inner, y);
        let x_axis = x_scale(
            &figure.x_axis,
            ((column_w - label_area[0]) / 95.0).floor().max(2.0) as usize,
        );
        let mut row_top = vec![0.0; rows];
        for r in 0..rows {
            row_top[r] = y;
            y += row_extra[r] + plot_h;
        }
        let boxes: Vec<PanelBox> = (0..figure.panels.len())
            .map(|i| {
                let (r, c) = cells[i];
                let left = MARGIN + c as f64 * (column_w + COLUMN_GAP);
                let in_row_strip =
                    (0..figure.panels.len()).any(|j| cells[j].0 == r && !strips[j].is_empty());
                let top = row_top[r] + TITLE_ROW + if in_row_strip { STRIP } else { 0.0 };
                let (lo, hi) = span(figure.panels[i].y_range.0, figure.panels[i].y_range.1);
                PanelBox {
                    map: Map {
                        x: (x_axis.lo, x_axis.hi),
                        y: (lo, hi),
                        left: left + label_area[c],
                        right: left + column_w,
                        top,
                        bottom: top + plot_h,
                    },
                    title_baseline: row_top[r] + 17.0,
                    strip: strips[i].clone(),
                    x_labels: !below(i),
                    y_ticks: y_ticks[i].clone(),
                    y_title: titles[i].clone(),
                    label_left: left,
                }
            })
            .collect();
        for (panel, b) in figure.panels.iter().zip(&boxes) {
            draw_panel(&mut canvas, figure, panel, b, &x_axis, &shown);
        }
        canvas.open("event-badges", "");
        for b in &boxes {
            draw_strip(&mut canvas, figure, b, badge_r, pitch);
        }
        canvas.close();
        y += 4.0;
        if !notes.is_empty() {
            canvas.open("notes", "");
            for line in &notes {
                canvas.text((MARGIN, y + 12.0), line, SUBTITLE, Anchor::Start, "note");
                y += LINE;
            }
            canvas.close();
        }
        if !shown.is_empty() {
            draw_key(&mut canvas, figure, &key, (MARGIN, y + 12.0));
        }
        return canvas;
    }
}

fn wrap(font: Font, text: &str, width: f64) -> Vec<String> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    text.lines()
        .flat_map(|l| wrap_text(l.trim(), width, |t| font.width(t)))
        .collect()
}

fn notes_lines(figure: &Figure, width: f64) -> Vec<String> {
    figure
        .notes
        .iter()
        .flat_map(|n| wrap(SUBTITLE, n, width))
        .collect()
}

fn header_height(figure: &Figure, width: f64) -> f64 {
    let title = wrap(TITLE, &figure.title, width).len() as f64 * 28.0;
    let subtitle = wrap(SUBTITLE, &figure.subtitle, width).len() as f64 * 19.0;
    let legend = legend_layout(figure, width).rows as f64 * LEGEND_ROW;
    title + subtitle + if legend > 0.0 { legend + 8.0 } else { 0.0 } + 10.0
}

/// Title, subtitle and legend; returns the y below them.
fn draw_header(canvas: &mut Canvas, figure: &Figure, width: f64, mut y: f64) -> f64 {
    for line in wrap(TITLE, &figure.title, width) {
        canvas.text((MARGIN, y + 20.0), &line, TITLE, Anchor::Start, "title");
        y += 28.0;
    }
    for line in wrap(SUBTITLE, &figure.subtitle, width) {
        canvas.text(
            (MARGIN, y + 14.0),
            &line,
            SUBTITLE,
            Anchor::Start,
            "subtitle",
        );
        y += 19.0;
    }
    let legend = legend_layout(figure, width);
    if legend.rows > 0 {
        y += 8.0;
        let height = legend.rows as f64 * LEGEND_ROW;
        canvas.open(
            "legend",
            &format!(
                "data-box=\"{} {} {} {}\"",
                num(MARGIN),
                num(y),
                num(MARGIN + width),
                num(y + height)
            ),
        );
        for (entry, &(row, dx)) in figure.legend.iter().zip(&legend.places) {
            let cy = y + row as f64 * LEGEND_ROW + LEGEND_ROW / 2.0;
            let x = MARGIN + dx;
            draw_swatch(canvas, entry.swatch, (x, cy));
            canvas.text(
                (x + SWATCH + 7.0, baseline(cy, LEGEND)),
                entry.label.trim(),
                LEGEND,
                Anchor::Start,
                "legend-label",
            );
        }
        canvas.close();
        y += height;
    }
    y + 10.0
}

fn draw_swatch(canvas: &mut Canvas, swatch: Swatch, (x, cy): (f64, f64)) {
    match swatch {
        Swatch::BandLine(color) => {
            canvas.rect(
                (x, cy - 7.0, SWATCH, 14.0),
                Paint::fill(color, 0.15).with_stroke(color, 0.8, 0.6),
                "",
            );
            canvas.line((x, cy), (x + SWATCH, cy), Paint::stroke(color, 2.2, 1.0));
        }
        Swatch::Line(color) => {
            canvas.line((x, cy), (x + SWATCH, cy), Paint::stroke(color, 2.2, 1.0));
        }
        Swatch::Dashed(color) => {
            canvas.line(
                (x, cy),
                (x + SWATCH, cy),
                Paint::stroke(color, 1.6, 1.0).dashed(5.0, 3.0),
            );
        }
        Swatch::Area(color) => {
            canvas.rect(
                (x, cy - 7.0, SWATCH, 14.0),
                Paint::fill(color, 0.18).with_stroke(color, 1.0, 0.45),
                "",
            );
        }
        Swatch::Marker(color, shape) => {
            marker(canvas, shape, (x + SWATCH / 2.0, cy), 7.0, color, false);
        }
    }
}

fn marker(canvas: &mut Canvas, shape: Shape, at: (f64, f64), r: f64, color: Rgb, ring: bool) {
    let mut paint = Paint::fill(color, 1.0);
    if ring {
        paint = paint.with_stroke(INK, 2.0, 1.0);
    }
    match shape.outline(at, r) {
        Some(points) => canvas.polygon(&points, paint),
        None => canvas.circle(at, r, paint),
    }
}

/// Path data of a curve through `(x, y)` pixels, compact: axis-parallel runs use `H`/`V`
/// and points in the middle of straight runs are dropped.
fn path_data(points: &[(f64, f64)], d: &mut String) {
    let round = |v: f64| (v * 10.0).round() / 10.0;
    let mut kept: Vec<(f64, f64)> = Vec::with_capacity(points.len());
    for &(x, y) in points {
        let p = (round(x), round(y));
        if kept.last() == Some(&p) {
            continue;
        }
        if kept.len() >= 2 {
            let (a, b) = (kept[kept.len() - 2], kept[kept.len() - 1]);
            let horizontal = a.1 == b.1 && b.1 == p.1;
            let vertical = a.0 == b.0 && b.0 == p.0;
            if horizontal || vertical {
                let last = kept.len() - 1;
                kept[last] = p;
                continue;
            }
        }
        kept.push(p);
    }
    for (i, &(x, y)) in kept.iter().enumerate() {
        if i == 0 {
            d.push_str(&format!("M{} {}", num(x), num(y)));
            continue;
        }
        let prev = kept[i - 1];
        if prev.1 == y {
            d.push_str(&format!("H{}", num(x)));
        } else if prev.0 == x {
            d.push_str(&format!("V{}", num(y)));
        } else {
            d.push_str(&format!("L{} {}", num(x), num(y)));
        }
    }
}

/// Indices of the points worth drawing in the x range: those inside and one beyond each side.
fn in_range(xs: &[f64], (lo, hi): (f64, f64)) -> std::ops::Range<usize> {
    let start = xs
        .iter()
        .position(|&x| x >= lo)
        .unwrap_or(xs.len())
        .saturating_sub(1);
    let end = xs
        .iter()
        .rposition(|&x| x <= hi)
        .map_or(0, |i| (i + 2).min(xs.len()));
    start..end.max(start)
}

/// Pixel points of a curve over indices `range`, as steps or straight.
fn curve(
    map: &Map,
    xs: &[f64],
    ys: &[f64],
    steps: bool,
    range: std::ops::Range<usize>,
) -> Vec<(f64, f64)> {
    let mut points = Vec::with_capacity(range.len() * 2);
    let idx: Vec<usize> = range.collect();
    for (k, &i) in idx.iter().enumerate() {
        let p = (map.px(xs[i]), map.py(ys[i]));
        if steps && k > 0 {
            points.push((p.0, map.py(ys[idx[k - 1]])));
        }
        points.push(p);
    }
    points
}

fn draw_panel(
    canvas: &mut Canvas,
    figure: &Figure,
    panel: &Panel,
    b: &PanelBox,
    x: &XScale,
    shown: &[usize],
) {
    let map = b.map;
    let (left, right, top, bottom) = (map.left, map.right, map.top, map.bottom);
    canvas.open("panel", "");

    // Grid.
    for &lx in &x.light {
        let px = map.px(lx);
        canvas.line((px, top), (px, bottom), Paint::stroke(GRID_LIGHT, 1.0, 1.0));
    }
    for tick in &x.ticks {
        let px = map.px(tick.x);
        canvas.line((px, top), (px, bottom), Paint::stroke(GRID, 1.0, 1.0));
    }
    let (values, decimals) = &b.y_ticks;
    for &v in values {
        let py = map.py(v);
        canvas.line((left, py), (right, py), Paint::stroke(GRID, 1.0, 1.0));
    }

    canvas.open_clipped("data", map.rect());
    // Target windows.
    for w in &panel.windows {
        let (a, z) = (map.px(w.from.max(x.lo)), map.px(w.to.min(x.hi)));
        if z > a {
            let color = if w.pass { PASS } else { FAIL };
            canvas.rect(
                (a, top, z - a, bottom - top),
                Paint::fill(color, 0.12).with_stroke(color, 1.0, 0.35),
                "window",
            );
        }
    }
    // Events: those touching the panel in their colour (sustained ones as spans), the others
    // faintly.
    for &i in shown {
        let e = &figure.events[i];
        let touches = panel.events.contains(&i);
        let px = map.px(date_x(e.date));
        if touches {
            if let Some(until) = e.until.filter(|u| *u > e.date) {
                let end = map.px(date_x(until.plus_days(1)));
                canvas.rect(
                    (px, top, end - px, bottom - top),
                    Paint::fill(e.color, 0.1),
                    "span",
                );
            }
            let (w, o) = if e.highlight { (2.4, 1.0) } else { (1.2, 0.75) };
            canvas.line((px, top), (px, bottom), Paint::stroke(e.color, w, o));
        } else {
            canvas.line(
                (px, top),
                (px, bottom),
                Paint::stroke(FAINT, 1.0, 0.8).dashed(2.0, 3.0),
            );
        }
    }
    if panel.zero_line && map.y.0 < 0.0 && map.y.1 > 0.0 {
        let py = map.py(0.0);
        canvas.line((left, py), (right, py), Paint::stroke(INK, 1.0, 0.8));
    }
    for cell in &panel.cells {
        let (x0, x1) = (map.px(cell.x.0), map.px(cell.x.1));
        let (y0, y1) = (map.py(cell.y.0), map.py(cell.y.1));
        if [x0, x1, y0, y1].iter().all(|v| v.is_finite()) {
            let rect = (x0.min(x1), y0.min(y1), (x1 - x0).abs(), (y1 - y0).abs());
            canvas.rect(rect, Paint::fill(cell.color, 1.0), "cell");
        }
    }
    // Bands: a light fill with thin edges, so that overlapping bands stay apart.
    for band in &panel.bands {
        let n = band.x.len().min(band.low.len()).min(band.high.len());
        let range = in_range(&band.x[..n], map.x);
        let mut d = String::new();
        for run in runs(n, |i| {
            range.contains(&i)
                && band.low[i].is_finite()
                && band.high[i].is_finite()
                && band.x[i].is_finite()
        }) {
            let mut points = curve(&map, &band.x, &band.high, band.steps, run.clone());
            let mut lower = curve(&map, &band.x, &band.low, band.steps, run);
            lower.reverse();
            points.extend(lower);
            path_data(&points, &mut d);
            d.push('Z');
        }
        canvas.path(
            &d,
            Paint::fill(band.color, 0.13).with_stroke(band.color, 0.8, 0.55),
            "band",
        );
    }
    for line in &panel.lines {
        let n = line.x.len().min(line.y.len());
        let range = in_range(&line.x[..n], map.x);
        let mut d = String::new();
        let mut last = None;
        for run in runs(n, |i| {
            range.contains(&i) && line.y[i].is_finite() && line.x[i].is_finite()
        }) {
            let points = curve(&map, &line.x, &line.y, line.steps, run);
            last = points.last().copied();
            path_data(&points, &mut d);
        }
        let mut paint = Paint::stroke(line.color, line.width.max(0.5), 1.0);
        if line.dashed {
            paint = paint.dashed(6.0, 4.0);
        }
        canvas.path(&d, paint, "line");
        if line.end_mark
            && let Some(end) = last
        {
            canvas.circle(
                end,
                3.5,
                Paint::fill(line.color, 1.0).with_stroke(WHITE, 1.0, 1.0),
            );
        }
    }
    for points in &panel.points {
        let n = points.x.len().min(points.y.len());
        for i in 0..n {
            if !(points.x[i].is_finite() && points.y[i].is_finite()) {
                continue;
            }
            let p = (map.px(points.x[i]), map.py(points.y[i]));
            if let Some(&(lo, hi)) = points.error.get(i)
                && lo.is_finite()
                && hi.is_finite()
            {
                canvas.line(
                    (p.0, map.py(lo)),
                    (p.0, map.py(hi)),
                    Paint::stroke(points.color, 1.2, 1.0),
                );
            }
            canvas.circle(p, 3.5, Paint::fill(points.color, 1.0));
        }
    }
    canvas.close();

    canvas.rect(map.rect(), Paint::stroke(FRAME, 1.0, 1.0), "plot-area");
    draw_window_labels(canvas, panel, &map, x);

    // Axes.
    canvas.open("axis", "");
    for &v in values {
        let py = map.py(v);
        canvas.line((left - 5.0, py), (left, py), Paint::stroke(FRAME, 1.0, 1.0));
        canvas.text(
            (left - 8.0, baseline(py, TICK)),
            &format_value(v, *decimals),
            TICK,
            Anchor::End,
            "tick",
        );
    }
    if b.x_labels {
        let mut last_end = f64::NEG_INFINITY;
        for tick in &x.ticks {
            let px = map.px(tick.x);
            canvas.line(
                (px, bottom),
                (px, bottom + 5.0),
                Paint::stroke(FRAME, 1.0, 1.0),
            );
            let w = TICK.width(&tick.label);
            // Centred under the tick, kept inside the panel and clear of the previous label.
            let start = (px - w / 2.0).clamp(left - 6.0, right + 6.0 - w);
            if start < last_end + 6.0 {
                continue;
            }
            last_end = start + w;
            canvas.text(
                (start, bottom + 19.0),
                &tick.label,
                TICK,
                Anchor::Start,
                "tick",
            );
        }
        if !x.title.is_empty() {
            canvas.text(
                ((left + right) / 2.0, bottom + X_LABELS + 14.0),
                &x.title,
                AXIS_TITLE,
                Anchor::Middle,
                "axis-title",
            );
        }
    }
    if !b.y_title.is_empty() {
        // Turned to read upwards, its ascenders point left: the first line's baseline sits
        // one ascent in from the column's edge, and the lines stack rightwards, clear of the
        // tick labels (the label area was sized for the column's longest title).
        canvas.text_lines(
            (b.label_left + 11.0, (top + bottom) / 2.0),
            &b.y_title,
            16.0,
            AXIS_TITLE,
            Anchor::Middle,
            "axis-title",
            true,
        );
    }
    canvas.close();

    // Title.
    let font = Font {
        color: panel.title_color.unwrap_or(INK),
        ..PANEL_TITLE
    };
    if let Some(title) = fit_text(panel.title.trim(), right - b.label_left, |t| font.width(t)) {
        canvas.text(
            (b.label_left, b.title_baseline),
            &title,
            font,
            Anchor::Start,
            "panel-title",
        );
    }
    canvas.close();
}

/// Target window labels, in rows at the top of the panel, never overlapping.
fn draw_window_labels(canvas: &mut Canvas, panel: &Panel, map: &Map, x: &XScale) {
    let mut extents = Vec::new();
    let mut windows = Vec::new();
    for w in &panel.windows {
        let (a, z) = (map.px(w.from.max(x.lo)), map.px(w.to.min(x.hi)));
        if z <= a || w.label.trim().is_empty() {
            continue;
        }
        let width = WINDOW_LABEL.width(w.label.trim()) + 6.0;
        let left = (a + 3.0).min(map.right - 3.0 - width).max(map.left + 2.0);
        extents.push((left, width));
        windows.push(w);
    }
    let rows = (((map.bottom - map.top) / 3.0 / 16.0).floor() as usize).clamp(1, 4);
    let slots = place_labels(&extents, rows, 8.0);
    for ((w, &(left, _)), slot) in windows.iter().zip(&extents).zip(&slots) {
        let font = Font {
            color: if w.pass { PASS_TEXT } else { FAIL_TEXT },
            ..WINDOW_LABEL
        };
        let Some(text) = fit_text(w.label.trim(), slot.width - 6.0, |t| font.width(t)) else {
            continue;
        };
        let cy = map.top + 4.0 + slot.row as f64 * 16.0 + 8.0;
        let tw = font.width(&text);
        canvas.rect(
            (left, cy - 7.5, tw + 6.0, 15.0),
            Paint::fill(WHITE, 0.8),
            "",
        );
        canvas.text(
            (left + 3.0, baseline(cy, font)),
            &text,
            font,
            Anchor::Start,
            "window-label",
        );
    }
}

/// The numbered markers above a panel, fanned out where they crowd, each with a leader to its
/// date on the panel's top edge.
fn draw_strip(canvas: &mut Canvas, figure: &Figure, b: &PanelBox, r: f64, pitch: f64) {
    if b.strip.is_empty() {
        return;
    }
    let map = b.map;
    let wanted: Vec<f64> = b
        .strip
        .iter()
        .map(|&i| {
            map.px(date_x(figure.events[i].date))
                .clamp(map.left, map.right)
        })
        .collect();
    let bounds = (map.left + r + 1.0, map.right - r - 1.0);
    // The layout widened the canvas until every strip fits; squeezing is a last resort.
    let places = dodge(&wanted, pitch, bounds).unwrap_or_else(|| {
        let n = wanted.len().max(2) as f64;
        (0..wanted.len())
            .map(|k| bounds.0 + (bounds.1 - bounds.0) * k as f64 / (n - 1.0))
            .collect()
    });
    let cy = map.top - LEADER_ZONE - r - 2.0;
    for ((&i, &c), &p) in b.strip.iter().zip(&wanted).zip(&places) {
        let e = &figure.events[i];
        canvas.line(
            (p, cy + r),
            (c, map.top),
            Paint::stroke(e.color, if e.highlight { 2.0 } else { 1.0 }, 0.85),
        );
        if let Some(until) = e.until.filter(|u| *u > e.date) {
            let end = map.px(date_x(until.plus_days(1))).min(map.right);
            canvas.rect(
                (c, map.top - 4.0, (end - c).max(1.0), 4.0),
                Paint::fill(e.color, 0.9),
                "",
            );
        }
    }
    for (&i, &p) in b.strip.iter().zip(&places) {
        let e = &figure.events[i];
        marker(canvas, e.shape, (p, cy), r, e.color, e.highlight);
        canvas.text(
            (p, baseline(cy, BADGE_NUMBER)),
            &e.number.to_string(),
            BADGE_NUMBER,
            Anchor::Middle,
            "badge-number",
        );
    }
}

/// The event key: a kinds legend, then one entry per event in balanced columns.
fn draw_key(canvas: &mut Canvas, figure: &Figure, key: &KeyLayout, (x, y): (f64, f64)) {
    canvas.open("event-key", "");
    canvas.text(
        (x, baseline(y, PANEL_TITLE)),
        "Events",
        PANEL_TITLE,
        Anchor::Start,
        "key-title",
    );
    let kinds_x = x + PANEL_TITLE.width("Events") + 24.0;
    for ((name, color, shape), &(row, dx)) in key.kinds.iter().zip(&key.kind_places) {
        let cy = y + row as f64 * LINE;
        marker(canvas, *shape, (kinds_x + dx + 8.0, cy), 7.0, *color, false);
        canvas.text(
            (kinds_x + dx + 22.0, baseline(cy, LEGEND)),
            name,
            LEGEND,
            Anchor::Start,
            "key-kind",
        );
    }
    let _ = key.kind_rows;
    for entry in &key.entries {
        let e = &figure.events[entry.event];
        let cy = y + entry.y + LINE / 2.0;
        let bx = x + entry.x + key.badge_r;
        marker(canvas, e.shape, (bx, cy), key.badge_r, e.color, e.highlight);
        let number = Font {
            size: 10.5,
            ..BADGE_NUMBER
        };
        canvas.text(
            (bx, baseline(cy, number)),
            &e.number.to_string(),
            number,
            Anchor::Middle,
            "badge-number",
        );
        let date_x0 = x + entry.x + 2.0 * key.badge_r + 8.0;
        canvas.text(
            (date_x0, baseline(cy, KEY_DATE)),
            &entry.date,
            KEY_DATE,
            Anchor::Start,
            "key-date",
        );
        let label_x = x + entry.x + key.label_dx;
        let font = Font {
            bold: e.highlight,
            ..KEY
        };
        canvas.text_lines(
            (label_x, baseline(cy, font)),
            &entry.lines,
            LINE,
            font,
            Anchor::Start,
            "key-label",
            false,
        );
    }
    canvas.close();
}
