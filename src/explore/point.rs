//! One point of a sweep: the scenario with the point's overrides, its runs simulated one
//! after the other, and every probe measured run by run and on the ensemble's curve.
//!
//! **Common random numbers.** Run `i` of every point uses the streams of run `i` of the
//! sweep's seed: the stream keys depend on the seed and on the names of desks, pairs and
//! events, never on a parameter value. So two points differ only by their parameters, and
//! differences between points are the parameters' effect, not sampling noise.
//!
//! Runs of one point are simulated in order on one worker, and only the curves the probes
//! read are kept: memory holds one point's curves per worker, whatever the number of points.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use super::metric::{MetricSpec, Probes};
use crate::aggregate::{Accumulator, Stats};
use crate::runner::{Prepared, each_run};
use crate::scenario;

/// One metric at one point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    /// Measured on the ensemble's statistic curve (the target's `statistic`, median by
    /// default) — what `liaison run` reports.
    pub ensemble: f64,
    /// Mean and quantiles over runs of the value measured on each run's own curve.
    pub stats: Stats,
}

/// Everything measured at one point, one row per metric in probe order.
#[derive(Debug, Clone, PartialEq)]
pub struct PointResult {
    /// One row per metric.
    pub rows: Vec<Row>,
    /// The median, step by step, of the first probe's curve (for the fan of curves).
    pub curve: Vec<f64>,
}

/// Why a point was not evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum PointError {
    /// The overrides make an invalid scenario, or a metric does not apply.
    Invalid(String),
    /// Ctrl-C.
    Interrupted,
}

/// Runs the scenario at `path` with `sets` (fixed overrides, then the point's) for `runs`
/// runs of seed `seed`, and measures `metrics` and the targets. `names` are the metric names
/// every point must have (the first point's).
pub fn evaluate_point(
    path: &Path,
    sets: &[String],
    metrics: &[MetricSpec],
    seed: u64,
    runs: u32,
    cancel: Option<&AtomicBool>,
) -> Result<(Vec<String>, PointResult), PointError> {
    let loaded = scenario::load_with(path, sets)
        .map_err(|e| PointError::Invalid(format!("at {}: {e}", sets.join(" "))))?;
    let scenario = &loaded.scenario;
    let probes = Probes::new(scenario, metrics).map_err(PointError::Invalid)?;
    let prepared = Prepared::new(scenario, seed);
    let steps = prepared.steps();
    let series = prepared.layout.len();
    let width = probes.columns.len();
    let dates = prepared.dates();
    let mut compact = vec![0.0; steps * width];
    let mut accumulator = Accumulator::new(width, steps, runs as usize);
    let count = probes.probes.len();
    let mut per_run: Vec<Vec<f64>> = vec![Vec::with_capacity(runs as usize); count];
    let mut measured = Vec::with_capacity(count);
    let finished = each_run(&prepared, 0..runs, |_, record| {
        if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return false;
        }
        probes.extract(record, series, &mut compact);
        accumulator.add(&compact);
        probes.measure_all(&dates, &compact, &mut measured);
        for (values, &v) in per_run.iter_mut().zip(&measured) {
            values.push(v);
        }
        true
    });
    if !finished {
        return Err(PointError::Interrupted);
    }
    let names: Vec<String> = (0..width).map(|c| format!("c{c}")).collect();
    let summary = accumulator.finish(names, dates.clone());
    let rows = probes
        .probes
        .iter()
        .zip(per_run.iter_mut())
        .map(|(probe, values)| {
            let statistic = |c: usize| -> Vec<f64> {
                summary
                    .series(c)
                    .iter()
                    .map(|s| s.get(&probe.spec.statistic).unwrap_or(f64::NAN))
                    .collect()
            };
            let m = crate::targets::measure(
                &probe.spec,
                &dates,
                &statistic(probe.curve),
                &statistic(probe.other),
            );
            Row {
                ensemble: probe.read(&m),
                stats: Stats::of(values),
            }
        })
        .collect();
    let curve = if width > 0 {
        summary.series(0).iter().map(|s| s.median()).collect()
    } else {
        Vec::new()
    };
    Ok((probes.names(), PointResult { rows, curve }))
}
