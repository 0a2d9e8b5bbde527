//! Statistics across runs: per step and series, the mean and five quantiles.
//!
//! Quantiles use linear interpolation between order statistics (type 7 of Hyndman & Fan,
//! the default of R and numpy). Everything is computed in a fixed order, so the result does
//! not depend on how many threads produced the runs.

use crate::scenario::Date;

/// The quantile levels reported, in column order.
pub const QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// Names of the statistic columns, in order (`mean` first).
pub const STAT_NAMES: [&str; 6] = ["mean", "p05", "p25", "p50", "p75", "p95"];

/// Statistics of one series at one step across runs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stats {
    /// Mean.
    pub mean: f64,
    /// 5th, 25th, 50th, 75th and 95th percentiles.
    pub quantiles: [f64; 5],
}

impl Stats {
    /// Computes the statistics of `values`, sorting it in place.
    pub fn of(values: &mut [f64]) -> Stats {
        if values.is_empty() {
            return Stats::default();
        }
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        values.sort_unstable_by(f64::total_cmp);
        Stats {
            mean,
            quantiles: QUANTILES.map(|q| quantile_sorted(values, q)),
        }
    }

    /// The median.
    pub fn median(&self) -> f64 {
        self.quantiles[2]
    }

    /// A statistic by column name (`mean`, `p05` … `p95`, or `median`).
    pub fn get(&self, name: &str) -> Option<f64> {
        match name {
            "mean" => Some(self.mean),
            "median" => Some(self.median()),
            _ => STAT_NAMES[1..]
                .iter()
                .position(|n| *n == name)
                .map(|i| self.quantiles[i]),
        }
    }

    /// All six values in column order.
    pub fn columns(&self) -> [f64; 6] {
        let q = self.quantiles;
        [self.mean, q[0], q[1], q[2], q[3], q[4]]
    }
}

/// Quantile `q` of sorted `values` (type 7).
pub fn quantile_sorted(values: &[f64], q: f64) -> f64 {
    match values.len() {
        0 => f64::NAN,
        1 => values[0],
        n => {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            values[lo] + (h - lo as f64) * (values[hi] - values[lo])
        }
    }
}

/// Per-step statistics of every series of an ensemble.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Series names.
    pub names: Vec<String>,
    /// Date of each step (its last day).
    pub dates: Vec<Date>,
    /// `stats[series * steps + step]`.
    pub stats: Vec<Stats>,
}

impl Summary {
    /// Summarises runs stored as `[step * n_series + series]` matrices.
    pub fn from_runs(names: Vec<String>, dates: Vec<Date>, runs: &[Vec<f64>]) -> Summary {
        let (n_series, steps) = (names.len(), dates.len());
        let mut column = vec![0.0; runs.len()];
        let mut stats = Vec::with_capacity(n_series * steps);
        for series in 0..n_series {
            for step in 0..steps {
                for (value, run) in column.iter_mut().zip(runs) {
                    *value = run[step * n_series + series];
                }
                stats.push(Stats::of(&mut column));
            }
        }
        Summary {
            names,
            dates,
            stats,
        }
    }

    /// Number of steps.
    pub fn steps(&self) -> usize {
        self.dates.len()
    }

    /// The statistics of series `series` at every step.
    pub fn series(&self, series: usize) -> &[Stats] {
        let steps = self.steps();
        &self.stats[series * steps..(series + 1) * steps]
    }

    /// Index of a series by name.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_r_type_7() {
        let mut v: Vec<f64> = (1..=5).map(f64::from).collect();
        let s = Stats::of(&mut v);
        assert_eq!(s.mean, 3.0);
        assert_eq!(s.median(), 3.0);
        assert!((s.quantiles[0] - 1.2).abs() < 1e-12);
        assert!((s.quantiles[1] - 2.0).abs() < 1e-12);
        assert!((s.quantiles[4] - 4.8).abs() < 1e-12);
        assert_eq!(s.get("p95"), Some(s.quantiles[4]));
        assert_eq!(s.get("median"), Some(3.0));
        assert_eq!(s.get("p42"), None);
    }

    #[test]
    fn summary_is_per_series_and_step() {
        let d = Date::new(2013, 1, 1).unwrap();
        // Two runs, two steps, two series.
        let runs = vec![vec![1.0, 10.0, 2.0, 20.0], vec![3.0, 30.0, 4.0, 40.0]];
        let s = Summary::from_runs(vec!["a".into(), "b".into()], vec![d, d], &runs);
        assert_eq!(s.series(0)[0].mean, 2.0);
        assert_eq!(s.series(0)[1].mean, 3.0);
        assert_eq!(s.series(1)[1].mean, 30.0);
    }
}
