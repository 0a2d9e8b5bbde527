//! A DDSketch (Masson, Rim & Lee 2019, "DDSketch: a fast and fully-mergeable quantile sketch
//! with relative-error guarantees", PVLDB 12(12)): values are counted in logarithmic bins,
//! bin `i` holding the values in `(γ^(i−1), γ^i]` with `γ = (1 + α)/(1 − α)`, so that the
//! representative `2γ^i/(γ + 1)` of a bin is within a relative error `α` of every value in it.
//!
//! Why not a crate: the summaries need an unbounded store (the published crates collapse
//! their lowest bins past a fixed count, which voids the guarantee for low quantiles of
//! trust near zero), negative values (paired differences), and an exact count of zeros;
//! that is the whole algorithm, about a hundred lines, tested here against its bound.
//!
//! Counts are integers, so the sketch of a set of values does not depend on the order in
//! which they were added: the statistics are the same at any thread count.

/// Relative accuracy `α` of every sketch.
pub const RELATIVE_ACCURACY: f64 = 0.001;

/// Values smaller than this in magnitude are counted as zero (an absolute error of at most
/// this much, far below the six decimals written).
pub const ZERO_THRESHOLD: f64 = 1e-9;

/// Counts of one sign: `counts[j]` is the number of values in bin `offset + j`.
#[derive(Debug, Clone, Default)]
struct Store {
    offset: i32,
    counts: Vec<u32>,
}

impl Store {
    fn add(&mut self, bin: i32) {
        if self.counts.is_empty() {
            self.offset = bin;
            self.counts.push(1);
            return;
        }
        if bin < self.offset {
            let grow = (self.offset - bin) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = bin;
        } else if bin >= self.offset + self.counts.len() as i32 {
            self.counts.resize((bin - self.offset) as usize + 1, 0);
        }
        self.counts[(bin - self.offset) as usize] += 1;
    }

    fn total(&self) -> u64 {
        self.counts.iter().map(|&c| u64::from(c)).sum()
    }

    /// The bin holding the value of rank `rank` (0-based) counting from the lowest bin, or
    /// from the highest when `descending`.
    fn bin_of_rank(&self, rank: u64, descending: bool) -> i32 {
        let mut seen = 0u64;
        let mut find = |j: usize| {
            seen += u64::from(self.counts[j]);
            seen > rank
        };
        let j = if descending {
            (0..self.counts.len()).rev().find(|&j| find(j))
        } else {
            (0..self.counts.len()).find(|&j| find(j))
        };
        self.offset + j.unwrap_or(0) as i32
    }
}

/// A quantile sketch with relative accuracy [`RELATIVE_ACCURACY`].
#[derive(Debug, Clone, Default)]
pub struct Sketch {
    positive: Store,
    negative: Store,
    zeros: u64,
}

/// `ln γ`.
fn log_gamma() -> f64 {
    ((1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)).ln()
}

impl Sketch {
    /// Adds a value (non-finite values are ignored: the model produces none).
    pub fn add(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        let magnitude = value.abs();
        if magnitude < ZERO_THRESHOLD {
            self.zeros += 1;
            return;
        }
        let bin = (magnitude.ln() / log_gamma()).ceil() as i32;
        if value > 0.0 {
            self.positive.add(bin);
        } else {
            self.negative.add(bin);
        }
    }

    /// Number of values added.
    pub fn count(&self) -> u64 {
        self.positive.total() + self.negative.total() + self.zeros
    }

    /// The estimate of the value of rank `rank` (0-based, ascending): within a relative error
    /// `α` of the true order statistic.
    pub fn value_of_rank(&self, rank: u64) -> f64 {
        let representative = |bin: i32| {
            let gamma = log_gamma().exp();
            2.0 * (f64::from(bin) * log_gamma()).exp() / (gamma + 1.0)
        };
        let negatives = self.negative.total();
        if rank < negatives {
            // Negative values, most negative first: the largest magnitudes come first.
            return -representative(self.negative.bin_of_rank(rank, true));
        }
        let rank = rank - negatives;
        if rank < self.zeros {
            return 0.0;
        }
        representative(self.positive.bin_of_rank(rank - self.zeros, false))
    }

    /// Quantile `q` by linear interpolation between the estimated order statistics around
    /// rank `q·(n − 1)` (type 7, as for exact quantiles); NaN when empty.
    pub fn quantile(&self, q: f64) -> f64 {
        let n = self.count();
        if n == 0 {
            return f64::NAN;
        }
        let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
        let lo = h.floor() as u64;
        let hi = (lo + 1).min(n - 1);
        let (a, b) = (self.value_of_rank(lo), self.value_of_rank(hi));
        a + (h - lo as f64) * (b - a)
    }

    /// Bytes held (for memory estimates and tests).
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<Sketch>()
            + 4 * (self.positive.counts.capacity() + self.negative.counts.capacity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::quantile_sorted;

    /// A deterministic spread of values over several orders of magnitude, with zeros and
    /// negatives.
    fn values(n: usize) -> Vec<f64> {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        (0..n)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                match i % 10 {
                    0 => 0.0,
                    1 | 2 => -(u * 3.0),
                    _ => u.powi(3) * 50.0,
                }
            })
            .collect()
    }

    #[test]
    fn quantiles_are_within_the_relative_bound_of_exact_order_statistics() {
        let v = values(20_001);
        let mut sketch = Sketch::default();
        v.iter().for_each(|&x| sketch.add(x));
        let mut sorted = v.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(sketch.count(), v.len() as u64);
        for rank in (0..sorted.len()).step_by(37) {
            let exact = sorted[rank];
            let estimate = sketch.value_of_rank(rank as u64);
            let tolerance = RELATIVE_ACCURACY * exact.abs() + ZERO_THRESHOLD;
            assert!(
                (estimate - exact).abs() <= tolerance * (1.0 + 1e-12),
                "rank {rank}: {estimate} vs {exact}"
            );
        }
        for q in [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0] {
            let exact = quantile_sorted(&sorted, q);
            let h = (sorted.len() - 1) as f64 * q;
            let bound = RELATIVE_ACCURACY
                * sorted[h.floor() as usize]
                    .abs()
                    .max(sorted[(h.floor() as usize + 1).min(sorted.len() - 1)].abs())
                + ZERO_THRESHOLD;
            assert!(
                (sketch.quantile(q) - exact).abs() <= bound * (1.0 + 1e-12),
                "q {q}"
            );
        }
    }

    #[test]
    fn the_order_of_additions_does_not_matter() {
        let v = values(5_000);
        let mut forward = Sketch::default();
        let mut backward = Sketch::default();
        v.iter().for_each(|&x| forward.add(x));
        v.iter().rev().for_each(|&x| backward.add(x));
        for q in [0.05, 0.5, 0.95] {
            assert_eq!(
                forward.quantile(q).to_bits(),
                backward.quantile(q).to_bits()
            );
        }
    }
}
