//! Statistics across runs: per step and series, the mean and five quantiles.
//!
//! Quantiles use linear interpolation between order statistics (type 7 of Hyndman & Fan,
//! the default of R and numpy). Runs are added one at a time, in run order, to an
//! [`Accumulator`], which keeps memory independent of the number of runs:
//!
//! - while every value fits in [`EXACT_BUDGET_VALUES`] (series × steps × runs), every value is
//!   kept and quantiles are **exact**;
//! - beyond, each (series, step) cell is **streamed**: exact while it has seen at most
//!   [`FEW_DISTINCT`] distinct values (counts such as `officers.*` or `scandals.*` stay exact),
//!   then a [`Sketch`] (DDSketch) whose quantiles are within a relative error
//!   [`sketch::RELATIVE_ACCURACY`] of the exact ones.
//!
//! Means are sums in run order. Nothing depends on how many threads produced the runs.

pub mod sketch;

pub use sketch::Sketch;

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
        Stats {
            mean,
            quantiles: quantiles_unsorted(values),
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

/// The [`QUANTILES`] of `values` (type 7), which it reorders: the same numbers as
/// [`quantile_sorted`] of the sorted values, found by selecting only the order statistics they
/// need rather than sorting every value — about linear rather than `n log n`, which matters
/// when an ensemble has thousands of cells of thousands of runs.
pub fn quantiles_unsorted(values: &mut [f64]) -> [f64; QUANTILES.len()] {
    let n = values.len();
    if n <= 1 {
        return QUANTILES.map(|q| quantile_sorted(values, q));
    }
    let position = |q: f64| (n - 1) as f64 * q.clamp(0.0, 1.0);
    // The lower rank type 7 reads for each quantile, ascending (QUANTILES is ascending).
    let lows = QUANTILES.map(|q| position(q).floor() as usize);
    select_ranks(values, 0, &lows);
    QUANTILES.map(|q| {
        let h = position(q);
        let lo = h.floor() as usize;
        let hi = (lo + 1).min(n - 1);
        // Between two selected ranks the values are unordered but bounded by them, so the
        // next order statistic is the smallest value up to the next selected rank.
        let next = lows.iter().copied().find(|&r| r > lo).unwrap_or(n - 1);
        let above = values[hi..=next.max(hi)]
            .iter()
            .copied()
            .min_by(f64::total_cmp)
            .unwrap_or(values[hi]);
        values[lo] + (h - lo as f64) * (above - values[lo])
    })
}

/// Places the order statistics of `ranks` (ascending, offsets of `values` plus `start`) at
/// their positions, middle rank first so that each selection halves the range of the next.
fn select_ranks(values: &mut [f64], start: usize, ranks: &[usize]) {
    let ranks: &[usize] = {
        let first = ranks.partition_point(|&r| r < start);
        let end = ranks.partition_point(|&r| r < start + values.len());
        &ranks[first..end]
    };
    if ranks.is_empty() {
        return;
    }
    let middle = ranks.len() / 2;
    let at = ranks[middle] - start;
    values.select_nth_unstable_by(at, f64::total_cmp);
    let (left, right) = values.split_at_mut(at);
    select_ranks(left, start, &ranks[..middle]);
    select_ranks(&mut right[1..], start + at + 1, &ranks[middle + 1..]);
}

/// How the quantiles of a summary were computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum QuantileMethod {
    /// Exact order statistics of every run.
    Exact,
    /// Streamed: exact for cells with few distinct values, otherwise a DDSketch with this
    /// relative accuracy.
    Streamed {
        /// Relative accuracy `α` of the sketches.
        relative_accuracy: f64,
    },
}

impl std::fmt::Display for QuantileMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QuantileMethod::Exact => write!(f, "exact"),
            QuantileMethod::Streamed { relative_accuracy } => write!(
                f,
                "streamed (exact for cells with at most {FEW_DISTINCT} distinct values, \
                 otherwise DDSketch, relative error ≤ {relative_accuracy})"
            ),
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
    /// How the quantiles were computed.
    pub method: QuantileMethod,
}

impl Summary {
    /// Summarises runs stored as `[step * n_series + series]` matrices (exactly).
    pub fn from_runs(names: Vec<String>, dates: Vec<Date>, runs: &[Vec<f64>]) -> Summary {
        let mut accumulator = Accumulator::with_store(names.len(), dates.len(), runs.len(), true);
        for run in runs {
            accumulator.add(run);
        }
        accumulator.finish(names, dates)
    }

    /// The summary of the series `keep` only, in that order.
    pub fn select(&self, keep: &[usize]) -> Summary {
        Summary {
            names: keep.iter().map(|&i| self.names[i].clone()).collect(),
            dates: self.dates.clone(),
            stats: keep
                .iter()
                .flat_map(|&i| self.series(i).iter().copied())
                .collect(),
            method: self.method,
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

/// Values an [`Accumulator`] may keep to give exact quantiles (256 MiB of `f64`); beyond,
/// it streams.
pub const EXACT_BUDGET_VALUES: usize = 1 << 25;

/// A streamed cell stays exact while it has seen at most this many distinct values.
pub const FEW_DISTINCT: usize = 64;

/// Streamed statistics of one (series, step) cell.
#[derive(Debug, Clone)]
enum Cell {
    /// Distinct values, ascending, with their counts.
    Few(Vec<(f64, u32)>),
    /// Too many distinct values: a sketch.
    Sketch(Sketch),
}

impl Cell {
    fn add(&mut self, value: f64) {
        match self {
            Cell::Few(values) => {
                match values.binary_search_by(|(v, _)| v.total_cmp(&value)) {
                    Ok(i) => values[i].1 += 1,
                    Err(i) => values.insert(i, (value, 1)),
                }
                if values.len() > FEW_DISTINCT {
                    let mut sketch = Sketch::default();
                    for &(v, count) in values.iter() {
                        for _ in 0..count {
                            sketch.add(v);
                        }
                    }
                    *self = Cell::Sketch(sketch);
                }
            }
            Cell::Sketch(sketch) => sketch.add(value),
        }
    }

    fn quantile(&self, q: f64, n: usize) -> f64 {
        match self {
            Cell::Sketch(sketch) => sketch.quantile(q),
            Cell::Few(values) => {
                let value_of_rank = |rank: usize| {
                    let mut seen = 0;
                    for &(v, count) in values {
                        seen += count as usize;
                        if seen > rank {
                            return v;
                        }
                    }
                    f64::NAN
                };
                if n == 0 {
                    return f64::NAN;
                }
                let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
                let lo = h.floor() as usize;
                let (a, b) = (value_of_rank(lo), value_of_rank((lo + 1).min(n - 1)));
                a + (h - lo as f64) * (b - a)
            }
        }
    }
}

/// Where an accumulator keeps what it needs for quantiles.
#[derive(Debug, Clone)]
enum Store {
    /// Every value: `values[cell * runs + run]`.
    Exact(Vec<f64>),
    /// One streamed cell per (series, step).
    Streamed(Vec<Cell>),
}

/// Statistics across runs, fed one run at a time (in run order) with memory that does not
/// grow with the number of runs once past [`EXACT_BUDGET_VALUES`].
#[derive(Debug, Clone)]
pub struct Accumulator {
    series: usize,
    steps: usize,
    runs: usize,
    added: usize,
    /// Per cell `series * steps + step`: the sum of the values added, in run order.
    sums: Vec<f64>,
    store: Store,
    /// Records of runs added but not yet folded into `sums` and `store`, back to back.
    pending: Vec<f64>,
    /// How many records `pending` holds.
    pending_runs: usize,
}

/// Runs an [`Accumulator`] gathers before folding them in cell by cell. One cell's data (its
/// sum, its sketch or its column of values) is then touched once for this many values rather
/// than once per value: with thousands of cells, each in its own allocation, folding run by
/// run costs a cache miss per value and made aggregation slower than simulation at a
/// million runs. Every cell still receives its values in run order, so the sums — and hence
/// the outputs — are the same as when folding run by run.
const PENDING_RUNS: usize = 32;

impl Accumulator {
    /// An accumulator for up to `runs` runs of `series` series over `steps` steps: exact when
    /// `series × steps × runs ≤ EXACT_BUDGET_VALUES`, streamed otherwise.
    pub fn new(series: usize, steps: usize, runs: usize) -> Accumulator {
        let exact = series
            .saturating_mul(steps)
            .saturating_mul(runs)
            .le(&EXACT_BUDGET_VALUES);
        Accumulator::with_store(series, steps, runs, exact)
    }

    /// As [`Accumulator::new`], choosing the store (tests compare both on the same runs).
    pub fn with_store(series: usize, steps: usize, runs: usize, exact: bool) -> Accumulator {
        let cells = series * steps;
        Accumulator {
            series,
            steps,
            runs,
            added: 0,
            sums: vec![0.0; cells],
            pending: Vec::with_capacity(cells * runs.min(PENDING_RUNS)),
            pending_runs: 0,
            store: if exact {
                Store::Exact(vec![0.0; cells * runs])
            } else {
                Store::Streamed(vec![Cell::Few(Vec::new()); cells])
            },
        }
    }

    /// The largest number of runs whose quantiles stay exact for this many series and steps.
    pub fn exact_limit(series: usize, steps: usize) -> usize {
        EXACT_BUDGET_VALUES / (series * steps).max(1)
    }

    /// Bytes an accumulator for `runs` runs needs, about: every value when exact; when
    /// streamed, a typical 2 KiB per cell (a sketch over two orders of magnitude).
    pub fn estimated_bytes(series: usize, steps: usize, runs: usize) -> u64 {
        let cells = (series * steps) as u64;
        let values = cells.saturating_mul(runs as u64);
        let per_cell = if values <= EXACT_BUDGET_VALUES as u64 {
            8 * runs as u64
        } else {
            2048
        };
        // The sums, the store, and the runs pending a fold.
        cells.saturating_mul(8 + per_cell + 8 * runs.min(PENDING_RUNS) as u64)
    }

    /// Adds one run, recorded as `record[step * series + s]`. Runs beyond the number the
    /// accumulator was made for are ignored.
    pub fn add(&mut self, record: &[f64]) {
        if self.runs_added() >= self.runs {
            return;
        }
        let cells = self.series * self.steps;
        self.pending.extend_from_slice(&record[..cells]);
        self.pending_runs += 1;
        if self.pending_runs == PENDING_RUNS {
            self.fold_pending();
        }
    }

    /// Folds the pending runs into the sums and the store, cell by cell, each cell's values in
    /// run order.
    fn fold_pending(&mut self) {
        let (series, steps, runs, first) = (self.series, self.steps, self.runs, self.added);
        let record_len = series * steps;
        for s in 0..series {
            for step in 0..steps {
                let cell = s * steps + step;
                let values = (0..self.pending_runs)
                    .map(|r| self.pending[r * record_len + step * series + s]);
                match &mut self.store {
                    Store::Exact(column) => {
                        for (r, value) in values.enumerate() {
                            self.sums[cell] += value;
                            column[cell * runs + first + r] = value;
                        }
                    }
                    Store::Streamed(cells) => {
                        for value in values {
                            self.sums[cell] += value;
                            cells[cell].add(value);
                        }
                    }
                }
            }
        }
        self.added += self.pending_runs;
        self.pending_runs = 0;
        self.pending.clear();
    }

    /// Runs added so far.
    pub fn runs_added(&self) -> usize {
        self.added + self.pending_runs
    }

    /// The statistics of the runs added, per series (named `names`) and step (dated `dates`).
    pub fn finish(mut self, names: Vec<String>, dates: Vec<Date>) -> Summary {
        self.fold_pending();
        let n = self.added;
        let method = match self.store {
            Store::Exact(_) => QuantileMethod::Exact,
            Store::Streamed(_) => QuantileMethod::Streamed {
                relative_accuracy: sketch::RELATIVE_ACCURACY,
            },
        };
        let mean = |cell: usize| {
            if n == 0 {
                f64::NAN
            } else {
                self.sums[cell] / n as f64
            }
        };
        let stats = match self.store {
            Store::Exact(mut values) => values
                .chunks_mut(self.runs.max(1))
                .enumerate()
                .map(|(cell, column)| Stats {
                    mean: mean(cell),
                    quantiles: quantiles_unsorted(&mut column[..n]),
                })
                .take(self.series * self.steps)
                .collect(),
            Store::Streamed(cells) => cells
                .iter()
                .enumerate()
                .map(|(cell, c)| Stats {
                    mean: mean(cell),
                    quantiles: QUANTILES.map(|q| c.quantile(q, n)),
                })
                .collect(),
        };
        Summary {
            names,
            dates,
            stats,
            method,
        }
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

    #[test]
    fn streamed_statistics_match_exact_ones_within_the_sketch_bound() {
        let d = Date::new(2013, 1, 1).unwrap();
        // Series 0 continuous (sketched), series 1 integer-valued (stays exact).
        let runs: Vec<Vec<f64>> = (0..3_000)
            .map(|r| {
                let x = ((r * 7919) % 3001) as f64 / 3000.0;
                vec![x * x, (r % 13) as f64]
            })
            .collect();
        let names = vec!["a".to_string(), "b".to_string()];
        let mut exact = Accumulator::with_store(2, 1, runs.len(), true);
        let mut streamed = Accumulator::with_store(2, 1, runs.len(), false);
        for r in &runs {
            exact.add(r);
            streamed.add(r);
        }
        let exact = exact.finish(names.clone(), vec![d]);
        let streamed = streamed.finish(names, vec![d]);
        assert_eq!(exact.method, QuantileMethod::Exact);
        assert!(matches!(streamed.method, QuantileMethod::Streamed { .. }));
        for (e, s) in exact.series(0)[0]
            .quantiles
            .iter()
            .zip(streamed.series(0)[0].quantiles)
        {
            assert!((e - s).abs() <= 2.0 * sketch::RELATIVE_ACCURACY * e.abs() + 1e-9);
        }
        // Few distinct values: identical to the exact statistics, bit for bit.
        assert_eq!(exact.series(1)[0], streamed.series(1)[0]);
        assert_eq!(exact.series(0)[0].mean, streamed.series(0)[0].mean);
    }

    #[test]
    fn runs_folded_in_batches_give_the_statistics_of_each_cell_in_run_order() {
        let d = Date::new(2013, 1, 1).unwrap();
        // 3 series × 4 steps, a number of runs that leaves a partial batch at the end.
        let (series, steps, n) = (3, 4, 2 * PENDING_RUNS + 5);
        let value = |r: usize, cell: usize| ((r * 7919 + cell * 104_729) % 1013) as f64 / 97.0;
        let runs: Vec<Vec<f64>> = (0..n)
            .map(|r| (0..series * steps).map(|c| value(r, c)).collect())
            .collect();
        let names: Vec<String> = (0..series).map(|s| format!("s{s}")).collect();
        for exact in [true, false] {
            let mut accumulator = Accumulator::with_store(series, steps, n, exact);
            for r in &runs {
                accumulator.add(r);
            }
            assert_eq!(accumulator.runs_added(), n);
            let summary = accumulator.finish(names.clone(), vec![d; steps]);
            for s in 0..series {
                for step in 0..steps {
                    // The cell's values in run order, summed and sketched one by one.
                    let column: Vec<f64> = runs.iter().map(|r| r[step * series + s]).collect();
                    let sum = column.iter().fold(0.0, |acc, v| acc + v);
                    let stats = summary.series(s)[step];
                    assert_eq!(stats.mean, sum / n as f64, "mean of cell ({s}, {step})");
                    let expected = if exact {
                        let mut sorted = column.clone();
                        sorted.sort_unstable_by(f64::total_cmp);
                        QUANTILES.map(|q| quantile_sorted(&sorted, q))
                    } else {
                        let mut cell = Cell::Few(Vec::new());
                        column.iter().for_each(|&v| cell.add(v));
                        QUANTILES.map(|q| cell.quantile(q, n))
                    };
                    assert_eq!(stats.quantiles, expected, "quantiles of cell ({s}, {step})");
                }
            }
        }
    }

    #[test]
    fn selected_quantiles_equal_those_of_the_sorted_values() {
        for n in [0, 1, 2, 3, 7, 20, 21, 100, 1001] {
            // Ties, negative values and signed zeros included.
            let values: Vec<f64> = (0..n)
                .map(|i| match i % 7 {
                    0 => 0.0,
                    1 => -0.0,
                    2 => -((i * 31 % 17) as f64),
                    _ => ((i * 7919) % 101) as f64 / 10.0,
                })
                .collect();
            let mut sorted = values.clone();
            sorted.sort_unstable_by(f64::total_cmp);
            let expected = QUANTILES.map(|q| quantile_sorted(&sorted, q));
            let got = quantiles_unsorted(&mut values.clone());
            for (g, e) in got.iter().zip(&expected) {
                assert!(
                    g.to_bits() == e.to_bits() || (g.is_nan() && e.is_nan()),
                    "n = {n}: {got:?} vs {expected:?}"
                );
            }
        }
    }

    #[test]
    fn exact_storage_is_chosen_within_the_budget_only() {
        assert!(matches!(
            Accumulator::new(10, 10, 100).store,
            Store::Exact(_)
        ));
        assert!(matches!(
            Accumulator::new(30, 366, 1_000_000).store,
            Store::Streamed(_)
        ));
        assert_eq!(Accumulator::exact_limit(32, 1024), 1024);
    }
}
