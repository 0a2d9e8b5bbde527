//! Sensitivity indices from a design's outputs.
//!
//! - **Morris** (elementary effects; Morris 1991, with μ* of Campolongo et al. 2007): for each
//!   factor, the mean `μ`, the mean absolute value `μ*` and the standard deviation `σ`
//!   (`ddof = 1`) of its elementary effects `(y' − y)/±Δ` in unit coordinates, as SALib's
//!   `morris.analyze`; a confidence half-width of `μ*` by bootstrap over trajectories.
//! - **Sobol** (Saltelli et al. 2010, SALib's `sobol.analyze` with `calc_second_order=False`):
//!   outputs are standardised over all points, then first-order
//!   `S1_j = mean(f(B)·(f(AB_j) − f(A))) / V` and total `ST_j = ½·mean((f(A) − f(AB_j))²) / V`
//!   (Jansen), with `V` the variance of `f(A)` and `f(B)` together; confidence half-widths are
//!   `1.96 ×` the standard deviation of the estimates over bootstrap resamples of the base rows.
//!
//! Bootstrap resamples come from a seeded stream, so indices are reproducible.

use rand::RngExt;

use crate::model::streams::{Purpose, stream};

/// Bootstrap resamples for confidence intervals.
pub const RESAMPLES: usize = 500;

/// `z` of a two-sided 95 % normal interval.
const Z95: f64 = 1.959_963_984_540_054;

/// An index with the half-width of its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Point estimate.
    pub value: f64,
    /// Half-width of the 95 % interval (NaN when it cannot be estimated).
    pub conf: f64,
}

/// Morris indices of one factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Morris {
    /// Mean elementary effect.
    pub mu: f64,
    /// Mean absolute elementary effect, with a bootstrap interval.
    pub mu_star: Estimate,
    /// Standard deviation of the elementary effects (interactions, non-linearity).
    pub sigma: f64,
}

/// Sobol indices of one factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sobol {
    /// First-order index: the share of variance due to the factor alone.
    pub first: Estimate,
    /// Total index: the share due to the factor, alone and in interactions.
    pub total: Estimate,
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut count) = (0.0, 0usize);
    for v in values {
        sum += v;
        count += 1;
    }
    if count == 0 {
        f64::NAN
    } else {
        sum / count as f64
    }
}

fn std_dev(values: &[f64], ddof: usize) -> f64 {
    if values.len() <= ddof {
        return f64::NAN;
    }
    let m = mean(values.iter().copied());
    (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - ddof) as f64).sqrt()
}

/// Morris indices from trajectories: `points` in unit coordinates and outputs `y`, in the
/// order of [`super::design::Design::Morris`] (`d + 1` points per trajectory). `seed` keys
/// the bootstrap.
pub fn morris(points: &[Vec<f64>], y: &[f64], d: usize, seed: u64, label: &str) -> Vec<Morris> {
    let mut effects: Vec<Vec<f64>> = vec![Vec::new(); d];
    for (xs, ys) in points.chunks_exact(d + 1).zip(y.chunks_exact(d + 1)) {
        for k in 0..d {
            let (a, b) = (&xs[k], &xs[k + 1]);
            if let Some(j) = (0..d).find(|&j| a[j] != b[j]) {
                effects[j].push((ys[k + 1] - ys[k]) / (b[j] - a[j]));
            }
        }
    }
    let mut rng = stream(seed, 0, Purpose::Design, &["morris-bootstrap", label], &[]);
    effects
        .iter()
        .map(|ee| {
            let n = ee.len();
            let mu_star = mean(ee.iter().map(|e| e.abs()));
            let boot: Vec<f64> = (0..RESAMPLES)
                .map(|_| mean((0..n).map(|_| ee[rng.random_range(0..n.max(1))].abs())))
                .collect();
            Morris {
                mu: mean(ee.iter().copied()),
                mu_star: Estimate {
                    value: mu_star,
                    conf: if n > 1 {
                        Z95 * std_dev(&boot, 1)
                    } else {
                        f64::NAN
                    },
                },
                sigma: std_dev(ee, 1),
            }
        })
        .collect()
}

/// First-order and total indices on base rows `rows` (indices into the blocks).
fn sobol_on(blocks: &[&[f64]], rows: &[usize], d: usize) -> Vec<(f64, f64)> {
    let n = rows.len() as f64;
    let ab_mean = mean(rows.iter().flat_map(|&r| [blocks[r][0], blocks[r][d + 1]]));
    let variance = rows
        .iter()
        .flat_map(|&r| [blocks[r][0], blocks[r][d + 1]])
        .map(|v| (v - ab_mean).powi(2))
        .sum::<f64>()
        / (2.0 * n);
    (0..d)
        .map(|j| {
            let (mut first, mut total) = (0.0, 0.0);
            for &r in rows {
                let block = blocks[r];
                let (a, ab, b) = (block[0], block[1 + j], block[d + 1]);
                first += b * (ab - a);
                total += (a - ab).powi(2);
            }
            (first / n / variance, 0.5 * total / n / variance)
        })
        .collect()
}

/// Sobol indices from a Saltelli design's outputs `y` (`d + 2` per base row, in the order of
/// [`super::design::Design::Sobol`]). `seed` and `label` key the bootstrap.
pub fn sobol(y: &[f64], d: usize, seed: u64, label: &str) -> Vec<Sobol> {
    // Standardise, as SALib does: the first-order estimator is not invariant to a shift.
    let m = mean(y.iter().copied());
    let s = std_dev(y, 0);
    let scaled: Vec<f64> = y.iter().map(|v| (v - m) / s).collect();
    let blocks: Vec<&[f64]> = scaled.chunks_exact(d + 2).collect();
    let n = blocks.len();
    let all: Vec<usize> = (0..n).collect();
    let estimates = sobol_on(&blocks, &all, d);
    let mut rng = stream(seed, 0, Purpose::Design, &["sobol-bootstrap", label], &[]);
    let mut boots: Vec<Vec<(f64, f64)>> = Vec::with_capacity(RESAMPLES);
    if n > 1 {
        let mut rows = vec![0; n];
        for _ in 0..RESAMPLES {
            for r in rows.iter_mut() {
                *r = rng.random_range(0..n);
            }
            boots.push(sobol_on(&blocks, &rows, d));
        }
    }
    let conf = |j: usize, pick: fn(&(f64, f64)) -> f64| -> f64 {
        let values: Vec<f64> = boots.iter().map(|b| pick(&b[j])).collect();
        Z95 * std_dev(&values, 1)
    };
    estimates
        .iter()
        .enumerate()
        .map(|(j, &(first, total))| Sobol {
            first: Estimate {
                value: first,
                conf: conf(j, |e| e.0),
            },
            total: Estimate {
                value: total,
                conf: conf(j, |e| e.1),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::design::Design;
    use std::f64::consts::PI;

    /// The Ishigami function (Ishigami & Homma 1990) with a = 7, b = 0.1, on unit coordinates
    /// mapped to [−π, π]³.
    fn ishigami(u: &[f64]) -> f64 {
        let x: Vec<f64> = u.iter().map(|v| -PI + 2.0 * PI * v).collect();
        x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
    }

    #[test]
    fn sobol_indices_of_ishigami_match_salib_and_the_analytic_values() {
        let d = 3;
        let points = Design::Sobol { base: 1024 }.points(d, 1);
        let y: Vec<f64> = points.iter().map(|p| ishigami(p)).collect();
        let indices = sobol(&y, d, 1, "ishigami");
        // SALib 1.6.0 `sobol.analyze(problem, Y, calc_second_order=False)` on this very design
        // (scipy's unscrambled Sobol sequence, N = 1024): scripts/salib-crosscheck.py.
        let salib_s1 = [0.332_955_075_179, 0.441_313_938_544, 0.018_578_412_959];
        let salib_st = [0.558_179_045_711, 0.443_284_584_03, 0.242_149_373_355];
        // Analytic values (Ishigami & Homma 1990; Saltelli et al. 2008, "Global Sensitivity
        // Analysis: The Primer", §4.8): S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437);
        // with N = 1024 the estimates differ from them by up to 0.02, within their intervals.
        let analytic_s1 = [0.3139, 0.4424, 0.0];
        let analytic_st = [0.5576, 0.4424, 0.2437];
        for j in 0..d {
            let (s1, st) = (indices[j].first, indices[j].total);
            assert!(
                (s1.value - salib_s1[j]).abs() < 1e-9,
                "S1[{j}] = {}",
                s1.value
            );
            assert!(
                (st.value - salib_st[j]).abs() < 1e-9,
                "ST[{j}] = {}",
                st.value
            );
            assert!((s1.value - analytic_s1[j]).abs() < 0.03, "S1[{j}]");
            assert!((st.value - analytic_st[j]).abs() < 0.03, "ST[{j}]");
            // The intervals are honest: they cover the analytic values and are not huge.
            assert!(s1.conf > 0.0 && s1.conf < 0.15 && st.conf > 0.0 && st.conf < 0.15);
            assert!((s1.value - analytic_s1[j]).abs() < s1.conf + 0.01);
        }
    }

    #[test]
    fn morris_of_a_linear_function_is_its_slopes() {
        let d = 3;
        let design = Design::Morris {
            trajectories: 8,
            levels: 4,
        };
        let points = design.points(d, 2);
        let slopes = [3.0, -1.0, 0.0];
        let y: Vec<f64> = points
            .iter()
            .map(|p| p.iter().zip(slopes).map(|(x, c)| x * c).sum())
            .collect();
        let m = morris(&points, &y, d, 1, "linear");
        for j in 0..d {
            assert!((m[j].mu - slopes[j]).abs() < 1e-9);
            assert!((m[j].mu_star.value - slopes[j].abs()).abs() < 1e-9);
            assert!(m[j].sigma.abs() < 1e-9);
        }
    }

    #[test]
    fn morris_matches_salib_on_fixed_trajectories() {
        // Two trajectories of the Ishigami function, p = 4 (Δ = 2/3); SALib 1.6.0
        // `morris.analyze(problem, X, Y, num_levels=4)` on these X and Y gives the numbers
        // below (scripts/salib-crosscheck.py).
        let t = 2.0 / 3.0;
        let points: Vec<Vec<f64>> = vec![
            vec![0.0, 1.0 / 3.0, t],
            vec![t, 1.0 / 3.0, t],
            vec![t, 1.0 / 3.0, 0.0],
            vec![t, 1.0, 0.0],
            vec![1.0 / 3.0, 0.0, 1.0 / 3.0],
            vec![1.0 / 3.0, 0.0, 1.0],
            vec![1.0, 0.0, 1.0],
            vec![1.0, t, 1.0],
        ];
        let y: Vec<f64> = points.iter().map(|p| ishigami(p)).collect();
        let m = morris(&points, &y, 3, 1, "fixed");
        let salib_mu = [7.704_054_111_593, 0.0, -12.497_592_206_666];
        let salib_mu_star = [7.704_054_111_593, 7.875, 12.497_592_206_666];
        let salib_sigma = [8.837_132_197_838, 11.136_931_803_69, 0.0];
        for j in 0..3 {
            assert!(
                (m[j].mu - salib_mu[j]).abs() < 1e-9,
                "mu[{j}] = {}",
                m[j].mu
            );
            assert!(
                (m[j].mu_star.value - salib_mu_star[j]).abs() < 1e-9,
                "mu*[{j}] = {}",
                m[j].mu_star.value
            );
            assert!(
                (m[j].sigma - salib_sigma[j]).abs() < 1e-9,
                "sigma[{j}] = {}",
                m[j].sigma
            );
        }
    }
}
