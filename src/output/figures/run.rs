//! The figure of one scenario's ensemble: one panel per channel's trust by default, or one
//! panel per `--series` pattern; events numbered on the panels they touch; target windows.

use globset::Glob;

use super::{
    BandChoice, FigureOptions, curves, happenings, series_axis_title, series_channel, touching,
    x_bounds, y_range,
};
use crate::aggregate::Summary;
use crate::output::plot::{self, Figure, LegendEntry, Panel, Swatch, Window, date_x, palette};
use crate::scenario::Scenario;
use crate::targets::Outcome;

/// What one panel shows: a title and the series (indices into the names given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelSeries {
    /// Panel title.
    pub title: String,
    /// Series indices.
    pub series: Vec<usize>,
}

/// The panels for `patterns` (one panel per glob, with every series it matches) among series
/// `names`; with no pattern, trust per channel of `scenario`. An error names a pattern that
/// is not a glob or matches nothing.
pub fn panel_series(
    scenario: &Scenario,
    names: &[String],
    patterns: &[String],
) -> Result<Vec<PanelSeries>, String> {
    let matching = |pattern: &str| -> Result<Vec<usize>, String> {
        let matcher = Glob::new(pattern)
            .map_err(|e| format!("`{pattern}` is not a valid glob: {e}"))?
            .compile_matcher();
        Ok((0..names.len())
            .filter(|&i| matcher.is_match(&names[i]))
            .collect())
    };
    if patterns.is_empty() {
        let mut panels = Vec::new();
        for channel in &scenario.channels {
            let series = matching(&format!("trust.{}.*", channel.name))?;
            if !series.is_empty() {
                panels.push(PanelSeries {
                    title: format!("{} ({})", channel.label, channel.name),
                    series,
                });
            }
        }
        return Ok(panels);
    }
    patterns
        .iter()
        .map(|pattern| {
            let series = matching(pattern)?;
            match series.as_slice() {
                [] => Err(format!(
                    "no series matches `{pattern}`, expected a series of summary.csv such as {}",
                    names.iter().take(4).cloned().collect::<Vec<_>>().join(", ")
                )),
                [one] => Ok(PanelSeries {
                    title: names[*one].clone(),
                    series,
                }),
                _ => Ok(PanelSeries {
                    title: pattern.clone(),
                    series,
                }),
            }
        })
        .collect()
}

/// The legend label of a series: `us trusts ru` for trust, otherwise its name.
fn legend_label(name: &str) -> String {
    let parts: Vec<&str> = name.split('.').collect();
    match parts.as_slice() {
        ["trust", _, from, to] => format!("{from} trusts {to}"),
        _ => name.to_string(),
    }
}

/// The figure of a run: `panels` (see [`panel_series`]) of `summary`'s series, events of
/// `scenario`, windows of `outcomes`.
pub fn run_figure(
    scenario: &Scenario,
    summary: &Summary,
    outcomes: &[Outcome],
    panels: &[PanelSeries],
    (runs, seed): (u32, u64),
    options: &FigureOptions,
) -> Figure {
    let events = happenings(scenario);
    let x_axis = options.x_axis(scenario.timeline.start, scenario.timeline.end);
    let bounds = x_bounds(&x_axis);
    // One colour per legend label, the same on every panel.
    let mut labels: Vec<String> = Vec::new();
    let mut built = Vec::new();
    let mut any_window = (false, false);
    for (p, spec) in panels.iter().enumerate() {
        let names: Vec<String> = spec
            .series
            .iter()
            .filter_map(|&i| summary.names.get(i).cloned())
            .collect();
        let mut panel = Panel {
            title: spec.title.clone(),
            events: touching(&events, &names),
            ..Panel::default()
        };
        for (&index, name) in spec.series.iter().zip(&names) {
            let label = legend_label(name);
            let k = labels.iter().position(|l| *l == label).unwrap_or_else(|| {
                labels.push(label);
                labels.len() - 1
            });
            let (band, line) = curves(summary, index, palette(k), options.bands, usize::MAX);
            panel.bands.extend(band);
            panel.lines.push(line);
        }
        let kinds: Vec<&str> = names
            .iter()
            .map(|n| n.split('.').next().unwrap_or(""))
            .collect();
        panel.y_label = if kinds.iter().all(|k| *k == "trust") {
            "institutional trust (0–1)".into()
        } else if kinds.windows(2).all(|w| w[0] == w[1]) {
            series_axis_title(&names[0]).into()
        } else {
            "value".into()
        };
        let channels: Vec<&str> = names.iter().filter_map(|n| series_channel(n)).collect();
        panel.windows = outcomes
            .iter()
            .filter(|o| {
                let target: Vec<&str> = o.series.iter().filter_map(|s| series_channel(s)).collect();
                let named = o.series.iter().any(|s| names.contains(s));
                named
                    || target.iter().any(|c| channels.contains(c))
                    || (target.is_empty() && p == 0)
            })
            .map(|o| {
                if o.pass {
                    any_window.0 = true;
                } else {
                    any_window.1 = true;
                }
                Window {
                    from: date_x(o.window.0),
                    to: date_x(o.window.1.plus_days(1)),
                    label: o.id.clone(),
                    pass: o.pass,
                }
            })
            .collect();
        panel.y_range = y_range(&names, &panel, bounds, false);
        built.push(panel);
    }
    let mut legend: Vec<LegendEntry> = labels
        .iter()
        .enumerate()
        .map(|(k, label)| LegendEntry {
            label: label.clone(),
            swatch: if options.bands == BandChoice::None {
                Swatch::Line(palette(k))
            } else {
                Swatch::BandLine(palette(k))
            },
        })
        .collect();
    if any_window.0 {
        legend.push(LegendEntry {
            label: "target window, holds".into(),
            swatch: Swatch::Area(plot::Rgb(44, 160, 44)),
        });
    }
    if any_window.1 {
        legend.push(LegendEntry {
            label: "target window, fails".into(),
            swatch: Swatch::Area(plot::Rgb(214, 39, 40)),
        });
    }
    let passed = outcomes.iter().filter(|o| o.pass).count();
    let targets = if outcomes.is_empty() {
        String::new()
    } else {
        format!(" · targets: {passed}/{} hold", outcomes.len())
    };
    let all_trust = panels.iter().all(|p| {
        p.series.iter().all(|&i| {
            summary
                .names
                .get(i)
                .is_some_and(|n| n.starts_with("trust."))
        })
    });
    Figure {
        title: if all_trust {
            format!("{} — trust between services", scenario.name)
        } else {
            scenario.name.clone()
        },
        subtitle: format!(
            "{} of {runs} runs, seed {seed}; each value is the state at the end of its {}-day step{targets}",
            options.bands.describe(),
            scenario.timeline.step_days
        ),
        x_axis,
        panels: built,
        legend,
        events: events.into_iter().map(|h| h.mark).collect(),
        ..Figure::default()
    }
}
