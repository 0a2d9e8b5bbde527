//! Figures of a sweep, built as [`plot::Figure`]s and rendered to PNG and SVG:
//!
//! - `metrics` (one factor): the share of runs in which each target holds against the factor,
//!   then each target's value — median and p05–p95 band over runs, its bounds dashed — and
//!   each `--metric`;
//! - `heatmap` (two factors): the share of runs holding each target over the plane (and each
//!   `--metric`'s mean, on its own range);
//! - `morris`: μ* against σ for every factor, one panel per target (share holding) and metric;
//! - `sobol`: first-order and total indices with their 95 % intervals, per target and metric;
//! - `fan` (at most [`super::sweep::MAX_CURVE_POINTS`] points): the median curve of the first
//!   target's series at every point, coloured by the first factor's value.
//!
//! Every figure depends only on the sweep's numbers, so merged shards draw the same pixels.

use std::path::Path;

use super::design::Design;
use super::metric::Reading;
use super::point::PointResult;
use super::sweep::{Index, Sweep};
use crate::output::plot::{
    self, Band, Cell, Figure, LegendEntry, Line, Panel, Points, Rgb, Shape, Swatch, XAxis, date_x,
    palette,
};

/// Panels per figure at most (more metrics than this: the first ones).
const MAX_PANELS: usize = 16;

/// Bounds drawn on value panels.
const BOUND: Rgb = Rgb(214, 39, 40);

/// Draws every figure that applies to `sweep` into `folder` (PNG and SVG each).
pub fn write_all(
    folder: &Path,
    sweep: &Sweep,
    results: &[PointResult],
    indices: &[Index],
) -> anyhow::Result<()> {
    let d = sweep.factors.len();
    let mut figures = Vec::new();
    if d == 1 {
        figures.push(("metrics", metrics(sweep, results)));
    }
    if d == 2 {
        figures.push(("heatmap", heatmap(sweep, results)));
    }
    if indices.iter().any(|i| i.method == "morris") {
        figures.push(("morris", morris(sweep, indices)));
    }
    if indices.iter().any(|i| i.method == "sobol") {
        figures.push(("sobol", sobol(sweep, indices)));
    }
    if sweep.keeps_curves() && results.iter().any(|r| !r.curve.is_empty()) {
        figures.push(("fan", fan(sweep, results)));
    }
    for (stem, figure) in figures {
        plot::render_png_and_svg(&figure, folder, stem)?;
    }
    Ok(())
}

fn subtitle(sweep: &Sweep) -> String {
    format!(
        "{} design, {} points × {} runs, seed {}; run i of every point uses the same random streams, so differences between points are the factors' effect",
        sweep.design.name(),
        sweep.points.len(),
        sweep.runs,
        sweep.seed
    )
}

fn figure(sweep: &Sweep, title: String, x_axis: XAxis, panels: Vec<Panel>) -> Figure {
    let columns = match panels.len() {
        0..=2 => panels.len().max(1),
        3..=6 => 3,
        _ => 4,
    };
    let rows = panels.len().div_ceil(columns).max(1);
    Figure {
        title,
        subtitle: subtitle(sweep),
        x_axis,
        columns,
        panels,
        height: (260 * rows as u32 + 200).max(500),
        ..Figure::default()
    }
}

/// Probe indices reading `reading`.
fn readings(sweep: &Sweep, reading: Reading) -> Vec<usize> {
    sweep
        .probes
        .probes
        .iter()
        .enumerate()
        .filter(|(_, p)| p.reading == reading)
        .map(|(i, _)| i)
        .collect()
}

/// `--metric`s (value probes that are not targets).
fn custom_metrics(sweep: &Sweep) -> Vec<usize> {
    readings(sweep, Reading::Value)
        .into_iter()
        .filter(|&m| sweep.probes.probes[m].bounds.is_none())
        .collect()
}

/// Each target's share holding, then each `--metric`: what the index figures show.
fn index_metrics(sweep: &Sweep) -> Vec<usize> {
    let mut shown = readings(sweep, Reading::Holds);
    shown.extend(custom_metrics(sweep));
    shown.truncate(MAX_PANELS);
    shown
}

fn title_of(sweep: &Sweep, m: usize) -> String {
    match sweep.names[m].strip_suffix(".holds") {
        Some(id) => id.to_string(),
        None => sweep.names[m].clone(),
    }
}

/// A padded range of the finite values (0–1 if none).
fn range_of(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(1e-6 * hi.abs().max(1.0));
    (lo - pad, hi + pad)
}

fn metrics(sweep: &Sweep, results: &[PointResult]) -> Figure {
    let factor = &sweep.factors[0];
    let mut order: Vec<usize> = (0..results.len()).collect();
    order.sort_by(|&a, &b| sweep.values(a)[0].total_cmp(&sweep.values(b)[0]));
    let x: Vec<f64> = order.iter().map(|&i| sweep.values(i)[0]).collect();
    let column = |m: usize, f: &dyn Fn(&super::point::Row) -> f64| -> Vec<f64> {
        order.iter().map(|&i| f(&results[i].rows[m])).collect()
    };
    let mut panels = Vec::new();
    let mut legend = Vec::new();
    let holds = readings(sweep, Reading::Holds);
    // Only targets whose share moves get a line; the others are listed in a note.
    let share = |m: usize| column(m, &|r| r.stats.mean);
    let moves = |m: usize| {
        let (lo, hi) = range_of_raw(share(m).into_iter());
        hi - lo > 0.02
    };
    let (moving, still): (Vec<usize>, Vec<usize>) = holds.iter().partition(|&&m| moves(m));
    let mut notes = Vec::new();
    if !still.is_empty() {
        notes.push(format!(
            "Share of runs holding, the same at every point: {}.",
            still
                .iter()
                .map(|&m| format!(
                    "{} {:.0}%",
                    sweep.names[m].trim_end_matches(".holds"),
                    100.0 * results[0].rows[m].stats.mean
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !moving.is_empty() {
        let mut lines = Vec::new();
        for (k, &m) in moving.iter().enumerate() {
            let color = palette(k);
            lines.push(Line {
                color,
                x: x.clone(),
                y: share(m),
                steps: false,
                width: 2.5,
                dashed: false,
                end_mark: false,
            });
            legend.push(LegendEntry {
                label: sweep.names[m].trim_end_matches(".holds").to_string(),
                swatch: Swatch::Line(color),
            });
        }
        panels.push(Panel {
            title: "share of runs in which each target holds".into(),
            y_label: "share of runs".into(),
            y_range: (-0.02, 1.02),
            lines,
            ..Panel::default()
        });
    }
    let mut shown = readings(sweep, Reading::Value);
    shown.truncate(MAX_PANELS.saturating_sub(panels.len()));
    for m in shown {
        let probe = &sweep.probes.probes[m];
        let (p05, p50, p95) = (
            column(m, &|r| r.stats.quantiles[0]),
            column(m, &|r| r.stats.quantiles[2]),
            column(m, &|r| r.stats.quantiles[4]),
        );
        let bounds: Vec<f64> = probe
            .bounds
            .map(|(lo, hi)| lo.into_iter().chain(hi).collect())
            .unwrap_or_default();
        let y_range = range_of(p05.iter().chain(&p95).chain(&bounds).copied());
        let mut lines = vec![Line {
            color: palette(0),
            x: x.clone(),
            y: p50,
            steps: false,
            width: 2.5,
            dashed: false,
            end_mark: false,
        }];
        for b in bounds {
            lines.push(Line {
                color: BOUND,
                x: vec![factor.low, factor.high],
                y: vec![b, b],
                steps: false,
                width: 1.5,
                dashed: true,
                end_mark: false,
            });
        }
        panels.push(Panel {
            title: sweep.names[m].clone(),
            y_label: if probe.bounds.is_some() {
                "target value".into()
            } else {
                "metric".into()
            },
            y_range,
            bands: vec![Band {
                color: palette(0),
                x: x.clone(),
                low: p05,
                high: p95,
                steps: false,
            }],
            lines,
            ..Panel::default()
        });
    }
    legend.push(LegendEntry {
        label: "median over runs, p05–p95".into(),
        swatch: Swatch::BandLine(palette(0)),
    });
    legend.push(LegendEntry {
        label: "target bound".into(),
        swatch: Swatch::Dashed(BOUND),
    });
    let mut fig = figure(
        sweep,
        format!("Targets and metrics against {}", factor.key),
        XAxis::Values {
            lo: factor.low,
            hi: factor.high,
            title: factor.key.clone(),
        },
        panels,
    );
    fig.legend = legend;
    fig.notes = notes;
    fig
}

/// The smallest and largest finite value (NaN, NaN if none).
fn range_of_raw(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values
        .filter(|v| v.is_finite())
        .fold((f64::NAN, f64::NAN), |(a, b), v| (a.min(v), b.max(v)))
}

/// Sequential blue → yellow → red ramp for a value in [0, 1].
fn ramp(t: f64) -> Rgb {
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
    Rgb(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn heatmap(sweep: &Sweep, results: &[PointResult]) -> Figure {
    let (fx, fy) = (&sweep.factors[0], &sweep.factors[1]);
    // Cell half-size in unit coordinates: half the grid step, or a square per point.
    let half = match sweep.design {
        Design::Grid { levels } => 0.5 / (levels as f64 - 1.0),
        _ => 0.5 / (results.len() as f64).sqrt().max(1.0),
    };
    let mut panels = Vec::new();
    for m in index_metrics(sweep) {
        let holds = sweep.probes.probes[m].reading == Reading::Holds;
        let values: Vec<f64> = results.iter().map(|r| r.rows[m].stats.mean).collect();
        let (lo, hi) = if holds {
            (0.0, 1.0)
        } else {
            range_of(values.iter().copied())
        };
        let cells = sweep
            .points
            .iter()
            .zip(&values)
            .map(|(u, &v)| {
                let at = |f: &super::factor::Factor, c: f64| f.value(c.clamp(0.0, 1.0));
                Cell {
                    x: (at(fx, u[0] - half), at(fx, u[0] + half)),
                    y: (at(fy, u[1] - half), at(fy, u[1] + half)),
                    color: ramp((v - lo) / (hi - lo)),
                }
            })
            .collect();
        let title = if holds {
            title_of(sweep, m)
        } else {
            format!(
                "{} (mean, {} blue → {} red)",
                sweep.names[m],
                crate::targets::format_value(lo),
                crate::targets::format_value(hi)
            )
        };
        panels.push(Panel {
            title,
            y_label: fy.key.clone(),
            y_range: (fy.low, fy.high),
            cells,
            ..Panel::default()
        });
    }
    let mut fig = figure(
        sweep,
        format!(
            "Share of runs in which each target holds over {} × {}",
            fx.key, fy.key
        ),
        XAxis::Values {
            lo: fx.low,
            hi: fx.high,
            title: fx.key.clone(),
        },
        panels,
    );
    fig.notes = vec!["Colour: share of runs in which the target holds, from 0 (blue) through ½ (yellow) to 1 (red).".into()];
    fig
}

fn of<'a>(indices: &'a [Index], metric: &str, index: &str) -> Vec<&'a Index> {
    indices
        .iter()
        .filter(|i| i.metric == metric && i.index == index)
        .collect()
}

fn factor_legend(sweep: &Sweep) -> Vec<LegendEntry> {
    sweep
        .factors
        .iter()
        .enumerate()
        .map(|(j, f)| LegendEntry {
            label: f.key.clone(),
            swatch: Swatch::Marker(palette(j), Shape::Circle),
        })
        .collect()
}

fn morris(sweep: &Sweep, indices: &[Index]) -> Figure {
    let mut panels = Vec::new();
    for m in index_metrics(sweep) {
        let name = &sweep.names[m];
        let stars = of(indices, name, "mu_star");
        let sigmas = of(indices, name, "sigma");
        // Relative to the largest μ*, so that every panel shares the x axis.
        let scale = stars
            .iter()
            .map(|i| i.value)
            .filter(|v| v.is_finite())
            .fold(0.0_f64, f64::max);
        let constant = scale <= 0.0;
        let scale = if constant { 1.0 } else { scale };
        let points: Vec<Points> = stars
            .iter()
            .zip(&sigmas)
            .enumerate()
            .map(|(j, (s, g))| Points {
                color: palette(j),
                x: vec![s.value / scale],
                y: vec![g.value / scale],
                error: Vec::new(),
            })
            .collect();
        let top = sigmas
            .iter()
            .map(|g| g.value / scale)
            .filter(|v| v.is_finite())
            .fold(0.0_f64, f64::max);
        panels.push(Panel {
            title: if constant {
                format!("{}: no factor changes it", title_of(sweep, m))
            } else {
                format!(
                    "{} (μ* ≤ {})",
                    title_of(sweep, m),
                    crate::targets::format_value(scale)
                )
            },
            y_label: "σ / largest μ*".into(),
            y_range: (0.0, (top * 1.1).max(0.1)),
            points,
            ..Panel::default()
        });
    }
    let mut fig = figure(
        sweep,
        "Morris screening of the share of runs in which each target holds: influence μ* against interactions σ".into(),
        XAxis::Values {
            lo: 0.0,
            hi: 1.05,
            title: "μ* / largest μ*".into(),
        },
        panels,
    );
    fig.legend = factor_legend(sweep);
    fig.notes = vec!["A factor near the origin does not matter for that target; far right matters; high σ means its effect depends on the other factors or is not linear.".into()];
    fig
}

fn sobol(sweep: &Sweep, indices: &[Index]) -> Figure {
    let d = sweep.factors.len();
    let mut panels = Vec::new();
    for m in index_metrics(sweep) {
        let name = &sweep.names[m];
        let series = |index: &str, offset: f64, color: Rgb| -> Points {
            let found = of(indices, name, index);
            Points {
                color,
                x: (0..found.len()).map(|j| j as f64 + offset).collect(),
                y: found.iter().map(|i| i.value).collect(),
                error: found
                    .iter()
                    .map(|i| (i.value - i.conf, i.value + i.conf))
                    .collect(),
            }
        };
        let first = series("S1", -0.12, palette(0));
        let total = series("ST", 0.12, palette(1));
        let (lo, hi) = range_of(
            first
                .error
                .iter()
                .chain(&total.error)
                .flat_map(|&(a, b)| [a, b])
                .chain([0.0, 1.0]),
        );
        let constant = first.y.iter().chain(&total.y).all(|v| !v.is_finite());
        panels.push(Panel {
            title: if constant {
                format!(
                    "{}: the same at every point, no indices",
                    title_of(sweep, m)
                )
            } else {
                title_of(sweep, m)
            },
            y_label: "index".into(),
            y_range: (lo.max(-0.5), hi.min(1.5)),
            points: vec![first, total],
            zero_line: true,
            ..Panel::default()
        });
    }
    let mut fig = figure(
        sweep,
        "Sobol indices of the share of runs in which each target holds: first order and total, 95 % intervals".into(),
        XAxis::Values {
            lo: -0.5,
            hi: d as f64 - 0.5,
            title: "factor (numbered below)".into(),
        },
        panels,
    );
    fig.legend = vec![
        LegendEntry {
            label: "first order S1".into(),
            swatch: Swatch::Marker(palette(0), Shape::Circle),
        },
        LegendEntry {
            label: "total ST".into(),
            swatch: Swatch::Marker(palette(1), Shape::Circle),
        },
    ];
    fig.notes = vec![format!(
        "Factors: {}.",
        sweep
            .factors
            .iter()
            .enumerate()
            .map(|(j, f)| format!("{j} = {}", f.key))
            .collect::<Vec<_>>()
            .join(", ")
    )];
    fig
}

fn fan(sweep: &Sweep, results: &[PointResult]) -> Figure {
    let factor = &sweep.factors[0];
    // A state recorded at the end of day d sits at the start of day d + 1.
    let x: Vec<f64> = sweep.dates.iter().map(|d| date_x(d.plus_days(1))).collect();
    let lines: Vec<Line> = results
        .iter()
        .enumerate()
        .map(|(i, r)| Line {
            color: ramp(sweep.points[i][0]),
            x: x.clone(),
            y: r.curve.clone(),
            steps: true,
            width: 1.5,
            dashed: false,
            end_mark: false,
        })
        .collect();
    let y_range = range_of(results.iter().flat_map(|r| r.curve.iter().copied()));
    let (Some(&from), Some(&to)) = (sweep.dates.first(), sweep.dates.last()) else {
        return Figure::default();
    };
    let mut fig = figure(
        sweep,
        format!(
            "Median of {} at every point, coloured by {}",
            sweep.curve_series.join(" and "),
            factor.key
        ),
        XAxis::Dates { from, to },
        vec![Panel {
            title: sweep.curve_series.join(", "),
            y_label: "median over runs".into(),
            y_range,
            lines,
            ..Panel::default()
        }],
    );
    fig.legend = [0.0, 0.5, 1.0]
        .iter()
        .map(|&u| LegendEntry {
            label: format!("{} = {}", factor.key, factor.format(factor.value(u))),
            swatch: Swatch::Line(ramp(u)),
        })
        .collect();
    fig.height = 700;
    fig
}
