//! Figures of a comparison: the scenarios' curves side by side, and their paired differences
//! to the first. Up to three curves share a panel; more get small multiples (one panel per
//! scenario and series, the baseline's median repeated as a dashed reference).

use std::collections::BTreeSet;

use super::{
    FigureOptions, Happening, curves, happenings, renumber, series_axis_title, touching, x_bounds,
    y_range,
};
use crate::aggregate::Summary;
use crate::output::plot::{Badges, Figure, LegendEntry, Line, Panel, Rgb, Swatch, XAxis, palette};
use crate::scenario::{Date, Scenario};

/// Curves sharing one panel before small multiples take over.
const MAX_OVERLAID: usize = 3;
/// Series side by side in small multiples.
const MAX_COLUMNS: usize = 3;
const REFERENCE: Rgb = Rgb(110, 110, 110);

/// One compared scenario or variant.
#[derive(Debug, Clone, Copy)]
pub struct Compared<'a> {
    /// Name in legends (file stem or variant name).
    pub name: &'a str,
    /// The scenario as run.
    pub scenario: &'a Scenario,
    /// Its statistics, for the compared series (the same names, in the same order, for all).
    pub summary: &'a Summary,
}

/// The events of every scenario, once each (by id and date), numbered in date order; those in
/// `differing` are highlighted.
fn union_events(entries: &[Compared], differing: &BTreeSet<String>) -> Vec<Happening> {
    let mut out: Vec<Happening> = Vec::new();
    for (k, entry) in entries.iter().enumerate() {
        for mut h in happenings(entry.scenario) {
            if let Some(o) = out
                .iter_mut()
                .find(|o| o.id == h.id && o.mark.date == h.mark.date)
            {
                o.present.push(k);
                continue;
            }
            h.mark.highlight = differing.contains(&h.id);
            h.present = vec![k];
            out.push(h);
        }
    }
    renumber(&mut out);
    out
}

/// One curve set of a figure: a label, a colour, statistics, and how many steps to draw.
struct CurveSet<'a> {
    label: String,
    color: Rgb,
    summary: &'a Summary,
    steps: usize,
    ends_early: bool,
    /// The compared entries this set is about: a panel of its own marks only their events.
    entries: Vec<usize>,
}

/// Panels for `sets` × the series of the summaries: overlaid or small multiples.
fn panels(
    sets: &[CurveSet],
    events: &[Happening],
    options: &FigureOptions,
    bounds: (f64, f64),
    differences: bool,
    reference: Option<&CurveSet>,
) -> (Vec<Panel>, usize) {
    let Some(first) = sets.first() else {
        return (Vec::new(), 1);
    };
    let names = &first.summary.names;
    let axis_title = |name: &str| {
        let axis = series_axis_title(name);
        if differences {
            format!("difference in {axis}")
        } else {
            axis.to_string()
        }
    };
    let make =
        |title: String, name: &str, group: &[&CurveSet], j: usize, refline: Option<&CurveSet>| {
            let series = vec![name.to_string()];
            let mut panel = Panel {
                title,
                y_label: axis_title(name),
                zero_line: differences,
                events: touching(events, &series),
                ..Panel::default()
            };
            for set in group {
                let (band, mut line) = curves(set.summary, j, set.color, options.bands, set.steps);
                line.end_mark = set.ends_early;
                panel.bands.extend(band);
                panel.lines.push(line);
            }
            if let Some(r) = refline {
                let (_, line) = curves(r.summary, j, REFERENCE, options.bands, r.steps);
                panel.lines.insert(
                    0,
                    Line {
                        width: 1.3,
                        dashed: true,
                        ..line
                    },
                );
            }
            panel.y_range = y_range(&series, &panel, bounds, differences);
            panel
        };
    if sets.len() <= MAX_OVERLAID {
        let group: Vec<&CurveSet> = sets.iter().collect();
        let panels = names
            .iter()
            .enumerate()
            .map(|(j, name)| make(name.clone(), name, &group, j, None))
            .collect();
        return (panels, 1);
    }
    // Small multiples: a row per curve set, a column per series, in blocks of columns.
    let columns = names.len().clamp(1, MAX_COLUMNS);
    let mut out = Vec::new();
    for (j, name) in names.iter().enumerate() {
        let (block, column) = (j / columns, j % columns);
        for (s, set) in sets.iter().enumerate() {
            let refline = reference.filter(|r| !std::ptr::eq(*r, set));
            let mut panel = make(format!("{} · {name}", set.label), name, &[set], j, refline);
            panel
                .events
                .retain(|&i| events[i].present.iter().any(|k| set.entries.contains(k)));
            panel.title_color = Some(set.color);
            panel.cell = Some((block * sets.len() + s, column));
            out.push(panel);
        }
    }
    // Every panel of a series shares its y range, so that small multiples compare.
    for j in 0..names.len() {
        let same: Vec<usize> = (0..out.len()).filter(|i| i / sets.len() == j).collect();
        let (lo, hi) = same
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &i| {
                (lo.min(out[i].y_range.0), hi.max(out[i].y_range.1))
            });
        for i in same {
            out[i].y_range = (lo, hi);
        }
    }
    (out, columns)
}

fn legend(sets: &[CurveSet], options: &FigureOptions, reference: Option<&str>) -> Vec<LegendEntry> {
    let mut legend: Vec<LegendEntry> = sets
        .iter()
        .map(|s| LegendEntry {
            label: s.label.clone(),
            swatch: if options.bands == super::BandChoice::None {
                Swatch::Line(s.color)
            } else {
                Swatch::BandLine(s.color)
            },
        })
        .collect();
    if let Some(name) = reference {
        legend.push(LegendEntry {
            label: format!("median of {name}, for reference"),
            swatch: Swatch::Dashed(REFERENCE),
        });
    }
    legend
}

fn last_date(entry: &Compared) -> Option<Date> {
    entry.summary.dates.last().copied()
}

/// Scenarios side by side over the union of their horizons; a curve that stops early ends
/// with a dot, and a note says so.
pub fn compare_figure(
    entries: &[Compared],
    differing: &BTreeSet<String>,
    (runs, seed): (u32, u64),
    options: &FigureOptions,
) -> Figure {
    let Some(first) = entries.first() else {
        return Figure::default();
    };
    let events = union_events(entries, differing);
    let start = entries
        .iter()
        .map(|e| e.scenario.timeline.start)
        .min()
        .unwrap_or(first.scenario.timeline.start);
    let end = entries
        .iter()
        .map(|e| e.scenario.timeline.end)
        .max()
        .unwrap_or(first.scenario.timeline.end);
    let x_axis = options.x_axis(start, end);
    let bounds = x_bounds(&x_axis);
    let latest = entries.iter().filter_map(last_date).max();
    let sets: Vec<CurveSet> = entries
        .iter()
        .enumerate()
        .map(|(k, e)| CurveSet {
            label: e.name.to_string(),
            color: palette(k),
            summary: e.summary,
            steps: usize::MAX,
            ends_early: last_date(e) < latest,
            entries: vec![k],
        })
        .collect();
    let small = sets.len() > MAX_OVERLAID;
    let (panels, columns) = panels(
        &sets,
        &events,
        options,
        bounds,
        false,
        sets.first().filter(|_| small),
    );
    let mut notes = Vec::new();
    let short: Vec<String> = entries
        .iter()
        .filter(|e| last_date(e) < latest)
        .map(|e| format!("{} ends on {}", e.name, e.scenario.timeline.end))
        .collect();
    if !short.is_empty() {
        notes.push(format!(
            "Horizons differ: {}; its curves stop there (●). Paired differences cover the common window only.",
            short.join(", ")
        ));
    }
    let names: Vec<&str> = entries.iter().map(|e| e.name).collect();
    Figure {
        title: format!("Compare: {}", names.join(" vs ")),
        subtitle: subtitle(options, runs, seed, &events, "per scenario"),
        notes,
        x_axis,
        columns,
        panels,
        legend: legend(
            &sets,
            options,
            sets.first().filter(|_| small).map(|s| s.label.as_str()),
        ),
        events: events.into_iter().map(|h| h.mark).collect(),
        badges: if small {
            Badges::PerColumn
        } else {
            Badges::PerPanel
        },
        ..Figure::default()
    }
}

fn subtitle(
    options: &FigureOptions,
    runs: u32,
    seed: u64,
    events: &[Happening],
    what: &str,
) -> String {
    let mut text = format!(
        "{} of {runs} runs {what}, seed {seed}; each value is the state at the end of its step",
        options.bands.describe()
    );
    if events.iter().any(|e| e.mark.highlight) {
        text.push_str(" · events that differ between scenarios are ringed and in bold");
    }
    text
}

/// Paired differences `scenario − baseline`, over the common window (the dates of
/// `differences`).
pub fn difference_figure(
    entries: &[Compared],
    differences: &[Summary],
    differing: &BTreeSet<String>,
    (runs, seed): (u32, u64),
    options: &FigureOptions,
) -> Figure {
    let events = union_events(entries, differing);
    let Some(base) = entries.first() else {
        return Figure::default();
    };
    let start = base.scenario.timeline.start;
    let end = differences
        .first()
        .and_then(|d| d.dates.last().copied())
        .unwrap_or(base.scenario.timeline.end);
    let x_axis = match options.x_axis(start, end) {
        XAxis::Dates { from, to } => XAxis::Dates {
            from,
            to: to.min(end),
        },
        other => other,
    };
    let bounds = x_bounds(&x_axis);
    let sets: Vec<CurveSet> = entries
        .iter()
        .skip(1)
        .zip(differences)
        .enumerate()
        .map(|(k, (e, d))| CurveSet {
            label: format!("{} − {}", e.name, base.name),
            color: palette(k + 1),
            summary: d,
            steps: usize::MAX,
            ends_early: false,
            entries: vec![0, k + 1],
        })
        .collect();
    let (panels, columns) = panels(&sets, &events, options, bounds, true, None);
    let mut notes = Vec::new();
    if entries
        .iter()
        .any(|e| e.scenario.timeline.end != base.scenario.timeline.end)
    {
        notes.push(format!(
            "Horizons differ: differences are shown over the common window, {start} to {end}."
        ));
    }
    Figure {
        title: format!("Paired differences to {}", base.name),
        subtitle: subtitle(options, runs, seed, &events, "(run-by-run differences)"),
        notes,
        x_axis,
        columns,
        panels,
        legend: legend(&sets, options, None),
        events: events.into_iter().map(|h| h.mark).collect(),
        badges: if sets.len() > MAX_OVERLAID {
            Badges::PerColumn
        } else {
            Badges::PerPanel
        },
        ..Figure::default()
    }
}
