//! Figures of a sweep (PNG, drawn with plotters and the embedded DejaVu font):
//!
//! - `metrics.png` (one factor): each target's value against the factor — median and p05–p95
//!   band over runs, the target's bounds dashed — and the share of runs in which each target
//!   holds; `--metric`s get panels too;
//! - `heatmap.png` (two factors): the share of runs holding each target over the plane;
//! - `morris.png`: μ* against σ for every factor, one panel per target (share holding);
//! - `sobol.png`: first-order and total indices with their 95 % intervals, per target;
//! - `fan.png` (at most [`super::sweep::MAX_CURVE_POINTS`] points): the median curve of the
//!   first target's series at every point, coloured by the first factor's value.
//!
//! Every figure depends only on the sweep's numbers, so merged shards draw the same pixels.

use std::path::Path;

use anyhow::Context;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use super::metric::Reading;
use super::point::PointResult;
use super::sweep::{Index, Sweep};

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

const FONT: &str = "sans-serif";
const BLUE: RGBColor = RGBColor(31, 119, 180);
const ORANGE: RGBColor = RGBColor(230, 120, 20);
const GREY: RGBColor = RGBColor(120, 120, 120);
const RED: RGBColor = RGBColor(200, 40, 40);
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(230, 120, 20),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// Panels per figure at most (more metrics than this: the first ones).
const MAX_PANELS: usize = 12;

fn fonts() -> anyhow::Result<()> {
    static DONE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        let invalid = |_| "the embedded DejaVu Sans font is invalid".to_string();
        register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).map_err(invalid)?;
        register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).map_err(invalid)
    })
    .clone()
    .map_err(anyhow::Error::msg)
}

fn plot_error<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

/// Draws every figure that applies to `sweep` into `folder`.
pub fn write_all(
    folder: &Path,
    sweep: &Sweep,
    results: &[PointResult],
    indices: &[Index],
) -> anyhow::Result<()> {
    fonts()?;
    let d = sweep.factors.len();
    if d == 1 {
        draw(folder, "metrics.png", |a| metrics(a, sweep, results))?;
    }
    if d == 2 {
        draw(folder, "heatmap.png", |a| heatmap(a, sweep, results))?;
    }
    if indices.iter().any(|i| i.method == "morris") {
        draw(folder, "morris.png", |a| morris(a, sweep, indices))?;
    }
    if indices.iter().any(|i| i.method == "sobol") {
        draw(folder, "sobol.png", |a| sobol(a, sweep, indices))?;
    }
    if sweep.keeps_curves() && results.iter().any(|r| !r.curve.is_empty()) {
        draw(folder, "fan.png", |a| fan(a, sweep, results))?;
    }
    Ok(())
}

fn draw(
    folder: &Path,
    file: &str,
    paint: impl FnOnce(&Area) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let path = folder.join(file);
    let root = BitMapBackend::new(&path, (1600, 1000)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    paint(&root).with_context(|| format!("cannot draw {file}"))?;
    root.present().map_err(plot_error)
}

/// Splits `area` under a title into a grid of `n` panels.
fn panels<'a>(
    area: &Area<'a>,
    title: &str,
    subtitle: &str,
    n: usize,
) -> anyhow::Result<Vec<Area<'a>>> {
    let (top, body) = area.split_vertically(70);
    top.draw(&Text::new(
        title,
        (20, 12),
        (FONT, 28).into_font().style(FontStyle::Bold),
    ))
    .map_err(plot_error)?;
    top.draw(&Text::new(
        subtitle,
        (20, 46),
        (FONT, 18).into_font().color(&GREY),
    ))
    .map_err(plot_error)?;
    let n = n.clamp(1, MAX_PANELS);
    let cols = if n <= 2 {
        n
    } else if n <= 6 {
        3
    } else {
        4
    };
    let rows = n.div_ceil(cols);
    Ok(body
        .split_evenly((rows, cols))
        .into_iter()
        .take(n)
        .collect())
}

fn subtitle(sweep: &Sweep) -> String {
    format!(
        "{} design, {} points × {} runs, seed {} (run i of every point shares its random streams)",
        sweep.design.name(),
        sweep.points.len(),
        sweep.runs,
        sweep.seed
    )
}

/// Metrics shown: each target's value, then each `--metric`.
fn value_metrics(sweep: &Sweep) -> Vec<usize> {
    sweep
        .probes
        .probes
        .iter()
        .enumerate()
        .filter(|(_, p)| p.reading == Reading::Value)
        .map(|(i, _)| i)
        .collect()
}

/// The `.holds` metric of each target.
fn holds_metrics(sweep: &Sweep) -> Vec<usize> {
    sweep
        .probes
        .probes
        .iter()
        .enumerate()
        .filter(|(_, p)| p.reading == Reading::Holds)
        .map(|(i, _)| i)
        .collect()
}

fn range_of(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(1e-9);
    (lo - pad, hi + pad)
}

fn short(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

fn metrics(area: &Area, sweep: &Sweep, results: &[PointResult]) -> anyhow::Result<()> {
    let factor = &sweep.factors[0];
    let mut order: Vec<usize> = (0..results.len()).collect();
    order.sort_by(|&a, &b| sweep.values(a)[0].total_cmp(&sweep.values(b)[0]));
    let xs: Vec<f64> = order.iter().map(|&i| sweep.values(i)[0]).collect();
    let shown = value_metrics(sweep);
    let holds = holds_metrics(sweep);
    let count = shown.len() + usize::from(!holds.is_empty());
    let title = format!("Targets and metrics against {}", factor.key);
    let cells = panels(area, &title, &subtitle(sweep), count)?;
    let (x0, x1) = (factor.low, factor.high);
    let mut cells = cells.into_iter();
    if !holds.is_empty() {
        let Some(cell) = cells.next() else {
            return Ok(());
        };
        let mut chart = ChartBuilder::on(&cell)
            .caption("share of runs in which each target holds", (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(x0..x1, -0.02..1.02)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc(factor.key.as_str())
            .label_style((FONT, 14))
            .draw()
            .map_err(plot_error)?;
        for (k, &m) in holds.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let name = sweep.names[m].trim_end_matches(".holds").to_string();
            chart
                .draw_series(LineSeries::new(
                    order
                        .iter()
                        .map(|&i| (sweep.values(i)[0], results[i].rows[m].stats.mean)),
                    color.stroke_width(3),
                ))
                .map_err(plot_error)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
                });
        }
        chart
            .configure_series_labels()
            .label_font((FONT, 14))
            .background_style(WHITE.mix(0.8))
            .border_style(GREY)
            .draw()
            .map_err(plot_error)?;
    }
    for (&m, cell) in shown.iter().zip(cells) {
        let probe = &sweep.probes.probes[m];
        let rows: Vec<_> = order.iter().map(|&i| results[i].rows[m]).collect();
        let mut bounds = Vec::new();
        if let Some((lo, hi)) = probe.bounds {
            bounds.extend(lo.into_iter().chain(hi).filter(|b| b.abs() < 1e300));
        }
        let (y0, y1) = range_of(
            rows.iter()
                .flat_map(|r| [r.stats.quantiles[0], r.stats.quantiles[4], r.ensemble])
                .chain(bounds.iter().copied()),
        );
        let mut chart = ChartBuilder::on(&cell)
            .caption(&sweep.names[m], (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(65)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc(factor.key.as_str())
            .label_style((FONT, 14))
            .draw()
            .map_err(plot_error)?;
        let band: Vec<(f64, f64)> = xs
            .iter()
            .zip(&rows)
            .map(|(&x, r)| (x, r.stats.quantiles[4]))
            .chain(
                xs.iter()
                    .zip(&rows)
                    .rev()
                    .map(|(&x, r)| (x, r.stats.quantiles[0])),
            )
            .filter(|(_, y)| y.is_finite())
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.18).filled())))
            .map_err(plot_error)?;
        chart
            .draw_series(LineSeries::new(
                xs.iter()
                    .zip(&rows)
                    .map(|(&x, r)| (x, r.stats.quantiles[2]))
                    .filter(|(_, y)| y.is_finite()),
                BLUE.stroke_width(3),
            ))
            .map_err(plot_error)?;
        for b in bounds {
            chart
                .draw_series(DashedLineSeries::new(
                    [(x0, b), (x1, b)],
                    10,
                    6,
                    RED.stroke_width(2),
                ))
                .map_err(plot_error)?;
        }
    }
    Ok(())
}

/// Linear blue → orange → red ramp for a value in [0, 1].
fn ramp(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let stops = [
        (49.0, 54.0, 149.0),
        (254.0, 224.0, 144.0),
        (165.0, 0.0, 38.0),
    ];
    let (a, b, s) = if t < 0.5 {
        (stops[0], stops[1], t * 2.0)
    } else {
        (stops[1], stops[2], (t - 0.5) * 2.0)
    };
    let mix = |x: f64, y: f64| (x + (y - x) * s).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn heatmap(area: &Area, sweep: &Sweep, results: &[PointResult]) -> anyhow::Result<()> {
    let (fx, fy) = (&sweep.factors[0], &sweep.factors[1]);
    let mut shown = holds_metrics(sweep);
    shown.extend(
        value_metrics(sweep)
            .into_iter()
            .filter(|&m| sweep.probes.probes[m].bounds.is_none()),
    );
    let title = format!(
        "Share of runs holding each target over {} × {} (blue 0 → red 1; metrics: their own range)",
        fx.key, fy.key
    );
    let cells = panels(area, &title, &subtitle(sweep), shown.len())?;
    // Cell size: the grid's step when the design is a grid, else a small square.
    let side = match sweep.design {
        super::design::Design::Grid { levels } => 1.0 / (levels as f64 - 1.0),
        _ => 1.0 / (results.len() as f64).sqrt().max(1.0),
    };
    for (&m, cell) in shown.iter().zip(cells) {
        let holds = sweep.probes.probes[m].reading == Reading::Holds;
        let values: Vec<f64> = results.iter().map(|r| r.rows[m].stats.mean).collect();
        let (lo, hi) = if holds {
            (0.0, 1.0)
        } else {
            range_of(values.iter().copied())
        };
        let mut chart = ChartBuilder::on(&cell)
            .caption(sweep.names[m].trim_end_matches(".holds"), (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(fx.low..fx.high, fy.low..fy.high)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc(fx.key.as_str())
            .y_desc(fy.key.as_str())
            .disable_mesh()
            .label_style((FONT, 14))
            .draw()
            .map_err(plot_error)?;
        chart
            .draw_series(sweep.points.iter().zip(&values).map(|(u, &v)| {
                let corner = |du: f64, dv: f64| {
                    (
                        fx.value((u[0] + du).clamp(0.0, 1.0)),
                        fy.value((u[1] + dv).clamp(0.0, 1.0)),
                    )
                };
                let h = side / 2.0;
                Rectangle::new(
                    [corner(-h, -h), corner(h, h)],
                    ramp((v - lo) / (hi - lo)).filled(),
                )
            }))
            .map_err(plot_error)?;
    }
    Ok(())
}

fn indices_of<'a>(indices: &'a [Index], metric: &str, index: &str) -> Vec<&'a Index> {
    indices
        .iter()
        .filter(|i| i.metric == metric && i.index == index)
        .collect()
}

/// Metrics shown in the index figures: each target's share holding, then `--metric`s.
fn index_metrics(sweep: &Sweep) -> Vec<usize> {
    let mut shown = holds_metrics(sweep);
    shown.extend(
        value_metrics(sweep)
            .into_iter()
            .filter(|&m| sweep.probes.probes[m].bounds.is_none()),
    );
    shown
}

fn morris(area: &Area, sweep: &Sweep, indices: &[Index]) -> anyhow::Result<()> {
    let shown = index_metrics(sweep);
    let title = "Morris screening: μ* (overall influence) against σ (interactions, non-linearity)";
    let cells = panels(area, title, &subtitle(sweep), shown.len())?;
    for (&m, cell) in shown.iter().zip(cells) {
        let name = &sweep.names[m];
        let stars = indices_of(indices, name, "mu_star");
        let sigmas = indices_of(indices, name, "sigma");
        let (_, xmax) = range_of(stars.iter().map(|i| i.value).chain([0.0]));
        let (_, ymax) = range_of(sigmas.iter().map(|i| i.value).chain([0.0]));
        let mut chart = ChartBuilder::on(&cell)
            .caption(name.trim_end_matches(".holds"), (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..xmax.max(1e-9) * 1.15, 0.0..ymax.max(1e-9))
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("μ*")
            .y_desc("σ")
            .label_style((FONT, 14))
            .draw()
            .map_err(plot_error)?;
        for (k, (s, g)) in stars.iter().zip(&sigmas).enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let (x, y) = (s.value, g.value);
            if !(x.is_finite() && y.is_finite()) {
                continue;
            }
            chart
                .draw_series([Circle::new((x, y), 6, color.filled())])
                .map_err(plot_error)?;
            chart
                .draw_series([Text::new(
                    short(&s.factor).to_string(),
                    (x, y),
                    (FONT, 14).into_font().color(&color),
                )])
                .map_err(plot_error)?;
        }
    }
    Ok(())
}

fn sobol(area: &Area, sweep: &Sweep, indices: &[Index]) -> anyhow::Result<()> {
    let shown = index_metrics(sweep);
    let title =
        "Sobol indices: first order (blue) and total (orange), with 95 % bootstrap intervals";
    let cells = panels(area, title, &subtitle(sweep), shown.len())?;
    let d = sweep.factors.len();
    for (&m, cell) in shown.iter().zip(cells) {
        let name = &sweep.names[m];
        let first = indices_of(indices, name, "S1");
        let total = indices_of(indices, name, "ST");
        let top = first
            .iter()
            .chain(&total)
            .map(|i| i.value + i.conf)
            .filter(|v| v.is_finite())
            .fold(1.0_f64, f64::max);
        let mut chart = ChartBuilder::on(&cell)
            .caption(name.trim_end_matches(".holds"), (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(-0.5..d as f64 - 0.5, -0.1..top)
            .map_err(plot_error)?;
        let labels: Vec<String> = sweep
            .factors
            .iter()
            .map(|f| short(&f.key).to_string())
            .collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(d)
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .label_style((FONT, 13))
            .draw()
            .map_err(plot_error)?;
        for (series, offset, color) in [(&first, -0.18, BLUE), (&total, 0.18, ORANGE)] {
            for (j, i) in series.iter().enumerate() {
                let x = j as f64 + offset;
                if !i.value.is_finite() {
                    continue;
                }
                chart
                    .draw_series([Rectangle::new(
                        [(x - 0.15, 0.0), (x + 0.15, i.value)],
                        color.filled(),
                    )])
                    .map_err(plot_error)?;
                if i.conf.is_finite() {
                    chart
                        .draw_series([PathElement::new(
                            vec![(x, i.value - i.conf), (x, i.value + i.conf)],
                            BLACK.stroke_width(2),
                        )])
                        .map_err(plot_error)?;
                }
            }
        }
    }
    Ok(())
}

fn fan(area: &Area, sweep: &Sweep, results: &[PointResult]) -> anyhow::Result<()> {
    let factor = &sweep.factors[0];
    let title = format!(
        "Median of {} at every point, coloured by {} ({} blue → {} red)",
        sweep.curve_series.join(", "),
        factor.key,
        factor.format(factor.low),
        factor.format(factor.high)
    );
    let cells = panels(area, &title, &subtitle(sweep), 1)?;
    let Some(cell) = cells.into_iter().next() else {
        return Ok(());
    };
    let years: Vec<f64> = sweep.dates.iter().map(|d| d.as_year_fraction()).collect();
    let (x0, x1) = (
        years.first().copied().unwrap_or(0.0),
        years.last().copied().unwrap_or(1.0),
    );
    let (y0, y1) = range_of(results.iter().flat_map(|r| r.curve.iter().copied()));
    let mut chart = ChartBuilder::on(&cell)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1.max(x0 + 1e-9), y0..y1)
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("year")
        .y_desc(sweep.curve_series.join(", "))
        .label_style((FONT, 14))
        .draw()
        .map_err(plot_error)?;
    for (i, r) in results.iter().enumerate() {
        let color = ramp(sweep.points[i][0]);
        chart
            .draw_series(LineSeries::new(
                years
                    .iter()
                    .zip(&r.curve)
                    .map(|(&x, &y)| (x, y))
                    .filter(|(_, y)| y.is_finite()),
                color.mix(0.8).stroke_width(2),
            ))
            .map_err(plot_error)?;
    }
    Ok(())
}
