//! A sweep: a design of points over factors, each point an ensemble measured by the probes,
//! run whole or shard by shard, and written as tidy tables with sensitivity indices.
//!
//! Points are evaluated in parallel, one point per worker (its runs in order), in chunks so
//! that results reach the caller in point order and memory stays bounded. Results depend on
//! the seed and the design only, never on threads or sharding: shard `I` of `N` runs points
//! `⌊I·P/N⌋ … ⌊(I+1)·P/N⌋ − 1` and writes their numbers with full precision, so merging shards
//! rebuilds exactly the numbers of an unsharded run.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use rayon::prelude::*;

use super::design::Design;
use super::factor::{Factor, assignments, check_factors};
use super::metric::{MetricSpec, Probes};
use super::point::{PointError, PointResult, Row, evaluate_point};
use super::sensitivity;
use crate::aggregate::Stats;
use crate::output::csv::number;

/// A sweep, ready to run.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// Scenario file.
    pub scenario: PathBuf,
    /// Fixed overrides applied before each point's.
    pub sets: Vec<String>,
    /// The factors.
    pub factors: Vec<Factor>,
    /// The design.
    pub design: Design,
    /// Master seed of the runs (and of the design's random choices).
    pub seed: u64,
    /// Runs per point.
    pub runs: u32,
    /// Extra metrics.
    pub metrics: Vec<MetricSpec>,
    /// Every point in unit coordinates.
    pub points: Vec<Vec<f64>>,
    /// Metric names, in `points.csv` order.
    pub names: Vec<String>,
    /// The probes of the scenario as given (for figures: target bounds).
    pub probes: Probes,
    /// The date of each step.
    pub dates: Vec<crate::scenario::Date>,
    /// The series averaged into the first probe's curve (the fan of curves).
    pub curve_series: Vec<String>,
}

/// Sweeps with at most this many points keep each point's median curve (`curves.csv`, the
/// fan figure); larger ones do not, so memory and files stay small.
pub const MAX_CURVE_POINTS: usize = 500;

impl Sweep {
    /// Checks the factors against the scenario and the metrics against its series, and lays
    /// out the design's points.
    pub fn new(
        scenario: &Path,
        sets: &[String],
        factors: Vec<Factor>,
        design: Design,
        seed: u64,
        runs: u32,
        metrics: Vec<MetricSpec>,
    ) -> Result<Sweep, String> {
        check_factors(scenario, sets, &factors)?;
        let loaded = crate::scenario::load_with(scenario, sets).map_err(|e| e.to_string())?;
        let probes = Probes::new(&loaded.scenario, &metrics)?;
        if probes.probes.is_empty() {
            return Err(format!(
                "`{}` has no [[target]] and no --metric is given: nothing to measure",
                scenario.display()
            ));
        }
        let points = design.points(factors.len(), seed);
        let prepared = crate::runner::Prepared::new(&loaded.scenario, seed);
        let curve_series = probes.columns[0]
            .iter()
            .map(|&s| prepared.layout.names[s].clone())
            .collect();
        Ok(Sweep {
            dates: prepared.dates(),
            curve_series,
            scenario: scenario.to_path_buf(),
            sets: sets.to_vec(),
            factors,
            design,
            seed,
            runs,
            metrics,
            points,
            names: probes.names(),
            probes,
        })
    }

    /// The overrides of point `index`: fixed ones, then the factors'.
    pub fn overrides(&self, index: usize) -> Vec<String> {
        let mut all = self.sets.clone();
        all.extend(assignments(&self.factors, &self.points[index]));
        all
    }

    /// Whether each point's median curve is kept.
    pub fn keeps_curves(&self) -> bool {
        self.points.len() <= MAX_CURVE_POINTS
    }

    /// The factors' values at point `index`.
    pub fn values(&self, index: usize) -> Vec<f64> {
        self.factors
            .iter()
            .zip(&self.points[index])
            .map(|(f, &u)| f.value(u))
            .collect()
    }

    /// Evaluates the points of `range` with `threads` workers, handing each result to `sink`
    /// in point order; `on_point` is called as each point finishes (progress).
    pub fn run(
        &self,
        range: Range<usize>,
        threads: usize,
        cancel: Option<&AtomicBool>,
        on_point: &(dyn Fn() + Sync),
        mut sink: impl FnMut(usize, PointResult),
    ) -> Result<(), PointError> {
        let pool = crate::runner::pool(threads).map_err(|e| PointError::Invalid(e.to_string()))?;
        // Results are small; a long chunk keeps the workers busy across points of unequal cost.
        let chunk = (pool.current_num_threads().max(1) * 16).max(1);
        let indices: Vec<usize> = range.collect();
        for block in indices.chunks(chunk) {
            let results: Vec<Result<PointResult, PointError>> = pool.install(|| {
                block
                    .par_iter()
                    .map(|&i| {
                        let result = evaluate_point(
                            &self.scenario,
                            &self.overrides(i),
                            &self.metrics,
                            self.seed,
                            self.runs,
                            cancel,
                        );
                        on_point();
                        match result {
                            Ok((names, mut point)) if names == self.names => {
                                if !self.keeps_curves() {
                                    point.curve = Vec::new();
                                }
                                Ok(point)
                            }
                            Ok(_) => Err(PointError::Invalid(format!(
                                "point {i} measures other metrics than the scenario as given"
                            ))),
                            Err(e) => Err(e),
                        }
                    })
                    .collect()
            });
            for (&i, result) in block.iter().zip(results) {
                sink(i, result?);
            }
        }
        Ok(())
    }
}

/// The points of shard `shard` (0-based) of `shards` among `points`.
pub fn shard_range(points: usize, shard: usize, shards: usize) -> Range<usize> {
    let at = |i: usize| (i as u128 * points as u128 / shards as u128) as usize;
    at(shard)..at(shard + 1)
}

/// Parses `I/N` (0 ≤ I < N).
pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let expected = "expected I/N with 0 ≤ I < N, like 0/16";
    let (i, n) = text
        .split_once('/')
        .ok_or_else(|| format!("--shard {text}: {expected}"))?;
    match (i.trim().parse::<usize>(), n.trim().parse::<usize>()) {
        (Ok(i), Ok(n)) if i < n => Ok((i, n)),
        _ => Err(format!("--shard {text}: {expected}")),
    }
}

/// Full-precision text of a number: the shortest decimal that parses back to it exactly.
fn exact(value: f64) -> String {
    format!("{value:?}")
}

/// The header of a shard file.
const SHARD_HEADER: [&str; 9] = [
    "point", "metric", "ensemble", "mean", "p05", "p25", "p50", "p75", "p95",
];

/// Writes the results of a shard, with full precision, to `path` (via a temporary file
/// renamed into place, so a shard file is complete or absent).
pub fn write_shard(
    path: &Path,
    names: &[String],
    results: &[(usize, PointResult)],
) -> anyhow::Result<()> {
    let partial = path.with_extension("csv.partial");
    {
        let mut out = csv::Writer::from_path(&partial)?;
        out.write_record(SHARD_HEADER)?;
        for (point, result) in results {
            for (name, row) in names.iter().zip(&result.rows) {
                let mut record = vec![point.to_string(), name.clone(), exact(row.ensemble)];
                record.extend(row.stats.columns().map(exact));
                out.write_record(&record)?;
            }
        }
        out.flush()?;
    }
    let curves = path.with_extension("curves.csv");
    let curves_partial = path.with_extension("curves.csv.partial");
    {
        let mut out = csv::Writer::from_path(&curves_partial)?;
        out.write_record(["point", "step", "p50"])?;
        for (point, result) in results {
            for (step, v) in result.curve.iter().enumerate() {
                out.write_record([point.to_string(), step.to_string(), exact(*v)])?;
            }
        }
        out.flush()?;
    }
    // The curves first: a shard counts as complete once its main file is in place.
    std::fs::rename(&curves_partial, &curves)?;
    std::fs::rename(&partial, path)?;
    Ok(())
}

/// Reads the complete shards `0 … shards−1` from `dir` (`<I>.csv`) for a sweep of `points`
/// points measuring `names`. Missing shards are listed in the error.
pub fn read_shards(
    dir: &Path,
    shards: usize,
    points: usize,
    names: &[String],
) -> Result<Vec<PointResult>, String> {
    let missing: Vec<String> = (0..shards)
        .filter(|i| !dir.join(format!("{i}.csv")).is_file())
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{} of {shards} shards missing in `{}`: {} (run them with --shard I/{shards}, or resubmit those array tasks)",
            missing.len(),
            dir.display(),
            missing.join(", ")
        ));
    }
    let mut results = Vec::with_capacity(points);
    for shard in 0..shards {
        let path = dir.join(format!("{shard}.csv"));
        let bad = |m: String| format!("`{}`: {m}", path.display());
        let mut reader = csv::Reader::from_path(&path).map_err(|e| bad(e.to_string()))?;
        let range = shard_range(points, shard, shards);
        let mut rows: Vec<Vec<Row>> = vec![Vec::new(); range.len()];
        for record in reader.records() {
            let record = record.map_err(|e| bad(e.to_string()))?;
            let field = |i: usize| record.get(i).unwrap_or("");
            let point: usize = field(0)
                .parse()
                .map_err(|_| bad(format!("`{}` is not a point number", field(0))))?;
            if !range.contains(&point) {
                return Err(bad(format!(
                    "point {point} does not belong to shard {shard}/{shards} (points {}…{}): shards of another sweep?",
                    range.start,
                    range.end.saturating_sub(1)
                )));
            }
            let slot = &mut rows[point - range.start];
            if names.get(slot.len()).map(String::as_str) != Some(field(1)) {
                return Err(bad(format!(
                    "unexpected metric `{}` at point {point}: shards of another sweep?",
                    field(1)
                )));
            }
            let mut numbers = [0.0; 7];
            for (k, n) in numbers.iter_mut().enumerate() {
                *n = field(2 + k)
                    .parse()
                    .map_err(|_| bad(format!("`{}` is not a number", field(2 + k))))?;
            }
            slot.push(Row {
                ensemble: numbers[0],
                stats: Stats {
                    mean: numbers[1],
                    quantiles: [numbers[2], numbers[3], numbers[4], numbers[5], numbers[6]],
                },
            });
        }
        for (offset, point_rows) in rows.into_iter().enumerate() {
            if point_rows.len() != names.len() {
                return Err(bad(format!(
                    "point {} is incomplete ({} of {} metrics)",
                    range.start + offset,
                    point_rows.len(),
                    names.len()
                )));
            }
            results.push(PointResult {
                rows: point_rows,
                curve: Vec::new(),
            });
        }
        let curves = dir.join(format!("{shard}.curves.csv"));
        let bad = |m: String| format!("`{}`: {m}", curves.display());
        let mut reader = csv::Reader::from_path(&curves).map_err(|e| bad(e.to_string()))?;
        for record in reader.records() {
            let record = record.map_err(|e| bad(e.to_string()))?;
            let point: Option<usize> = record.get(0).and_then(|p| p.parse().ok());
            let value: Option<f64> = record.get(2).and_then(|v| v.parse().ok());
            match (point, value) {
                (Some(p), Some(v)) if range.contains(&p) => results[p].curve.push(v),
                _ => return Err(bad(format!("bad row {:?}", record.as_slice()))),
            }
        }
    }
    Ok(results)
}

/// Writes `design.csv`: one row per point, one column per factor.
pub fn write_design(path: &Path, sweep: &Sweep) -> anyhow::Result<()> {
    let mut out = csv::Writer::from_path(path)?;
    let mut header = vec!["point".to_string()];
    header.extend(sweep.factors.iter().map(|f| f.key.clone()));
    out.write_record(&header)?;
    for i in 0..sweep.points.len() {
        let mut row = vec![i.to_string()];
        row.extend(
            sweep
                .factors
                .iter()
                .zip(sweep.values(i))
                .map(|(f, v)| f.format(v)),
        );
        out.write_record(&row)?;
    }
    out.flush()?;
    Ok(())
}

/// Writes `curves.csv`: the median of the first probe's curve at every point and step.
pub fn write_curves(path: &Path, sweep: &Sweep, results: &[PointResult]) -> anyhow::Result<()> {
    let mut out = csv::Writer::from_path(path)?;
    out.write_record(["point", "step", "date", "series", "p50"])?;
    let series = sweep.curve_series.join(";");
    for (point, result) in results.iter().enumerate() {
        for (step, (v, date)) in result.curve.iter().zip(&sweep.dates).enumerate() {
            out.write_record([
                point.to_string(),
                step.to_string(),
                date.to_string(),
                series.clone(),
                number(*v),
            ])?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Writes `points.csv`: tidy, one row per point and metric.
pub fn write_points(path: &Path, names: &[String], results: &[PointResult]) -> anyhow::Result<()> {
    let mut out = csv::Writer::from_path(path)?;
    out.write_record(SHARD_HEADER)?;
    for (point, result) in results.iter().enumerate() {
        for (name, row) in names.iter().zip(&result.rows) {
            let mut record = vec![point.to_string(), name.clone(), number(row.ensemble)];
            record.extend(row.stats.columns().map(number));
            out.write_record(&record)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// One sensitivity index of one metric to one factor.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    /// Metric name.
    pub metric: String,
    /// Factor key.
    pub factor: String,
    /// `morris` or `sobol`.
    pub method: &'static str,
    /// `mu_star`, `mu`, `sigma`, `S1` or `ST`.
    pub index: &'static str,
    /// Estimate.
    pub value: f64,
    /// Half-width of the 95 % interval (NaN when none).
    pub conf: f64,
}

/// Sensitivity indices of every metric's per-point mean, for Morris and Sobol designs
/// (empty for the others).
pub fn sensitivity(sweep: &Sweep, results: &[PointResult]) -> Vec<Index> {
    let d = sweep.factors.len();
    let mut indices = Vec::new();
    for (m, name) in sweep.names.iter().enumerate() {
        let y: Vec<f64> = results.iter().map(|r| r.rows[m].stats.mean).collect();
        match sweep.design {
            Design::Morris { .. } => {
                for (f, e) in sweep.factors.iter().zip(sensitivity::morris(
                    &sweep.points,
                    &y,
                    d,
                    sweep.seed,
                    name,
                )) {
                    for (index, value, conf) in [
                        ("mu_star", e.mu_star.value, e.mu_star.conf),
                        ("mu", e.mu, f64::NAN),
                        ("sigma", e.sigma, f64::NAN),
                    ] {
                        indices.push(Index {
                            metric: name.clone(),
                            factor: f.key.clone(),
                            method: "morris",
                            index,
                            value,
                            conf,
                        });
                    }
                }
            }
            Design::Sobol { .. } => {
                for (f, e) in sweep
                    .factors
                    .iter()
                    .zip(sensitivity::sobol(&y, d, sweep.seed, name))
                {
                    for (index, estimate) in [("S1", e.first), ("ST", e.total)] {
                        indices.push(Index {
                            metric: name.clone(),
                            factor: f.key.clone(),
                            method: "sobol",
                            index,
                            value: estimate.value,
                            conf: estimate.conf,
                        });
                    }
                }
            }
            Design::Grid { .. } | Design::Lhs { .. } => {}
        }
    }
    indices
}

/// Writes `sensitivity.csv`: `metric,factor,method,index,value,conf_low,conf_high`.
pub fn write_sensitivity(path: &Path, indices: &[Index]) -> anyhow::Result<()> {
    let mut out = csv::Writer::from_path(path)?;
    out.write_record([
        "metric",
        "factor",
        "method",
        "index",
        "value",
        "conf_low",
        "conf_high",
    ])?;
    for i in indices {
        out.write_record([
            i.metric.clone(),
            i.factor.clone(),
            i.method.to_string(),
            i.index.to_string(),
            number(i.value),
            number(i.value - i.conf),
            number(i.value + i.conf),
        ])?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_point_once() {
        for (points, shards) in [(10, 3), (3, 5), (1000, 7), (1, 1)] {
            let mut seen = Vec::new();
            for s in 0..shards {
                seen.extend(shard_range(points, s, shards));
            }
            assert_eq!(seen, (0..points).collect::<Vec<_>>());
        }
        assert_eq!(parse_shard("2/8"), Ok((2, 8)));
        for bad in ["8/8", "1", "a/2", "1/0"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn exact_numbers_read_back_bit_for_bit() {
        for v in [0.1, 1.0 / 3.0, -2.5e-300, 12345.678901234567, f64::NAN] {
            let back: f64 = exact(v).parse().unwrap();
            assert!(back.to_bits() == v.to_bits() || (v.is_nan() && back.is_nan()));
        }
    }
}
