//! The page's figures, drawn by the same code that writes `trust.svg` (and `difference.svg`
//! of `liaison compare`): the trust figure of the current settings, and the paired
//! differences to the pinned baseline.

use super::error::UiError;
use super::evaluate::{Evaluation, Paired};
use crate::output::figures::{band, trust_figure};
use crate::output::plot::{self, DEFAULT_SIZE, Figure, Marker, Panel};
use crate::scenario::Scenario;

/// The trust figure of `evaluation`, as SVG text whose fonts the page serves.
pub fn trust_svg(evaluation: &Evaluation) -> Result<String, UiError> {
    let figure = trust_figure(
        &evaluation.loaded.scenario,
        &evaluation.result.summary,
        &evaluation.result.outcomes,
        evaluation.runs,
        evaluation.seed,
    );
    svg(&figure)
}

/// The paired-difference figure: one panel per channel, one band per direction, differing
/// events highlighted.
pub fn difference_svg(evaluation: &Evaluation, paired: &Paired) -> Result<String, UiError> {
    let scenario = &evaluation.loaded.scenario;
    let differences = &paired.differences;
    let mut directions: Vec<String> = Vec::new();
    let panels: Vec<Panel> = scenario
        .channels
        .iter()
        .filter_map(|channel| {
            let prefix = format!("trust.{}.", channel.name);
            let bands: Vec<_> = differences
                .names
                .iter()
                .enumerate()
                .filter_map(|(i, name)| {
                    let direction = name.strip_prefix(&prefix)?.to_string();
                    let color = directions
                        .iter()
                        .position(|d| *d == direction)
                        .unwrap_or_else(|| {
                            directions.push(direction.clone());
                            directions.len() - 1
                        });
                    let (from, to) = direction.split_once('.').unwrap_or((&direction, ""));
                    Some(band(differences, i, format!("{from} trusts {to}"), color))
                })
                .collect();
            if bands.is_empty() {
                return None;
            }
            let extreme = bands
                .iter()
                .flat_map(|b| b.low.iter().chain(&b.high))
                .filter(|v| v.is_finite())
                .fold(0.0f64, |m, v| m.max(v.abs()));
            let m = extreme.max(1e-3) * 1.1;
            Some(Panel {
                title: format!("{} ({}): current − pinned", channel.label, channel.name),
                y_label: "difference in trust".into(),
                y_range: (-m, m),
                bands,
                windows: Vec::new(),
                zero_line: true,
            })
        })
        .collect();
    let figure = Figure {
        title: format!(
            "Paired differences to the pinned baseline — {}",
            scenario.name
        ),
        subtitle: format!(
            "median and p05–p95 band of run-by-run differences, {} runs, seed {} (common random numbers)",
            evaluation.runs, evaluation.seed
        ),
        x_range: (
            scenario.timeline.start,
            differences
                .dates
                .last()
                .copied()
                .unwrap_or(scenario.timeline.end),
        ),
        panels,
        markers: markers(&[&paired.baseline.scenario, scenario], paired),
        width: DEFAULT_SIZE.0,
        height: DEFAULT_SIZE.1,
    };
    svg(&figure)
}

/// Every event of both scenarios once; those that differ highlighted.
fn markers(scenarios: &[&Scenario], paired: &Paired) -> Vec<Marker> {
    let mut markers: Vec<Marker> = Vec::new();
    for s in scenarios {
        for e in &s.events {
            if markers
                .iter()
                .any(|m| m.date == e.date && m.label == e.label)
            {
                continue;
            }
            markers.push(Marker {
                date: e.date,
                label: e.label.clone(),
                highlight: paired.differing_events.contains(&e.id),
            });
        }
    }
    markers.sort_by_key(|m| m.date);
    markers
}

fn svg(figure: &Figure) -> Result<String, UiError> {
    plot::svg_string(figure, false).map_err(|e| UiError::internal(format!("{e:#}")))
}
