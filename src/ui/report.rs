//! The answer to a page's run request: the figures as SVG, the targets table, and, with a
//! pinned baseline, the paired-difference figure, what differs and how large the
//! differences are.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::differences::Change;
use super::error::UiError;
use super::evaluate::{Evaluation, Paired};
use super::figures::{difference_svg, trust_svg};
use crate::aggregate::Summary;
use crate::output::csv;

/// One row of the targets table.
#[derive(Debug, Clone, Serialize)]
pub struct TargetRow {
    /// Target id.
    pub id: String,
    /// What the stylized fact says.
    pub description: String,
    /// The measured value (`0.184`, `2013-10-04 (0.610)`).
    pub observed: String,
    /// The condition (`≤ 0.3`).
    pub condition: String,
    /// Whether it holds on the ensemble's statistic curve.
    pub pass: bool,
    /// Share of runs in which it holds, 0–1.
    pub share_holding: f64,
    /// The window it looks at.
    pub window: [String; 2],
}

/// The largest paired difference of one series.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesDelta {
    /// Series name.
    pub series: String,
    /// Median difference where its absolute value is largest.
    pub median: f64,
    /// The date of that step.
    pub date: String,
    /// 5th percentile of the differences there.
    pub p05: f64,
    /// 95th percentile of the differences there.
    pub p95: f64,
}

/// The comparison with the pinned baseline.
#[derive(Debug, Clone, Serialize)]
pub struct PairedReport {
    /// The paired-difference figure (SVG).
    pub figure: String,
    /// What differs.
    pub changes: Vec<Change>,
    /// The first differing event's date, when only events differ.
    pub first_change: Option<String>,
    /// The largest absolute statistic of any difference before that date (exactly 0 with
    /// common random numbers).
    pub max_abs_before: Option<f64>,
    /// Steps before that date.
    pub steps_before: usize,
    /// Per series, the largest median difference.
    pub series: Vec<SeriesDelta>,
}

/// The body answered to `POST /api/run`.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Scenario name.
    pub scenario: String,
    /// Runs.
    pub runs: u32,
    /// Master seed.
    pub seed: u64,
    /// Recorded steps.
    pub steps: usize,
    /// Server time spent, in milliseconds.
    pub elapsed_ms: f64,
    /// Of which running the ensemble (the rest: loading, figures, tables).
    pub ensemble_ms: f64,
    /// The trust figure (SVG).
    pub figure: String,
    /// The targets table.
    pub targets: Vec<TargetRow>,
    /// Targets that hold.
    pub passed: usize,
    /// SHA-256 of the `summary.csv` these settings give (as `liaison run` writes it).
    pub summary_sha256: String,
    /// The comparison, when a baseline is pinned.
    pub paired: Option<PairedReport>,
}

/// The report of a finished evaluation; the timings are filled in by the caller.
pub fn report(evaluation: &Evaluation) -> Result<RunReport, UiError> {
    let outcomes = &evaluation.result.outcomes;
    let csv_text = summary_csv(&evaluation.result.summary)?;
    Ok(RunReport {
        scenario: evaluation.loaded.scenario.name.clone(),
        runs: evaluation.runs,
        seed: evaluation.seed,
        steps: evaluation.result.summary.steps(),
        elapsed_ms: 0.0,
        ensemble_ms: 0.0,
        figure: trust_svg(evaluation)?,
        targets: outcomes
            .iter()
            .map(|o| TargetRow {
                id: o.id.clone(),
                description: o.description.clone(),
                observed: o.observed(),
                condition: o.bound.clone(),
                pass: o.pass,
                share_holding: o.share_holding,
                window: [o.window.0.to_string(), o.window.1.to_string()],
            })
            .collect(),
        passed: outcomes.iter().filter(|o| o.pass).count(),
        summary_sha256: Sha256::digest(csv_text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        paired: evaluation
            .paired
            .as_ref()
            .map(|p| paired_report(evaluation, p))
            .transpose()?,
    })
}

fn paired_report(evaluation: &Evaluation, paired: &Paired) -> Result<PairedReport, UiError> {
    let d = &paired.differences;
    let steps_before = paired
        .first_change
        .map_or(0, |date| evaluation.loaded.scenario.timeline.step_of(date));
    let max_abs_before = paired.first_change.map(|_| {
        (0..d.names.len())
            .flat_map(|s| d.series(s)[..steps_before.min(d.steps())].iter())
            .flat_map(|stats| stats.columns())
            .fold(0.0f64, |m, v| m.max(v.abs()))
    });
    let series = (0..d.names.len())
        .filter_map(|s| {
            let (step, stats) = d
                .series(s)
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.median().abs().total_cmp(&b.1.median().abs()))?;
            Some(SeriesDelta {
                series: d.names[s].clone(),
                median: stats.median(),
                date: d.dates[step].to_string(),
                p05: stats.quantiles[0],
                p95: stats.quantiles[4],
            })
        })
        .collect();
    Ok(PairedReport {
        figure: difference_svg(evaluation, paired)?,
        changes: paired.changes.clone(),
        first_change: paired.first_change.map(|d| d.to_string()),
        max_abs_before,
        steps_before,
        series,
    })
}

/// `summary.csv` as `liaison run` writes it, in memory.
pub fn summary_csv(summary: &Summary) -> Result<String, UiError> {
    let failed =
        |e: &dyn std::fmt::Display| UiError::internal(format!("cannot write summary.csv: {e}"));
    let mut out = ::csv::Writer::from_writer(Vec::new());
    out.write_record(csv::summary_header(&[]))
        .map_err(|e| failed(&e))?;
    let all: Vec<usize> = (0..summary.names.len()).collect();
    csv::write_summary(&mut out, summary, &[], &all).map_err(|e| failed(&e))?;
    let bytes = out.into_inner().map_err(|e| failed(&e))?;
    String::from_utf8(bytes).map_err(|e| failed(&e))
}
