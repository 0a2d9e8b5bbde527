//! Designs: which points of the unit cube a sweep runs.
//!
//! - **grid**: `n` levels per factor, ends included (`n^d` points; the last factor varies
//!   fastest);
//! - **lhs**: a Latin hypercube of `n` points: each factor's range is cut into `n` equal
//!   strata, each used once, at a uniform position within it;
//! - **sobol**: Saltelli's scheme for first-order and total Sobol indices (Saltelli et al.
//!   2010, as in SALib with `calc_second_order=False`): `n` base rows of a `2d`-dimensional
//!   Sobol sequence (Joe–Kuo direction numbers, the `sobol` crate; unscrambled, first point
//!   included, as `scipy.stats.qmc.Sobol(scramble=False)`), split into matrices `A` and `B`;
//!   each base row gives `A`, then `A` with column `j` taken from `B` for every `j`, then `B`:
//!   `n·(d + 2)` points;
//! - **morris**: `n` trajectories of `d + 1` points on a `p`-level grid, one factor moved by
//!   `Δ = p / (2(p − 1))` at each step, in random order and direction (Morris 1991; the
//!   same construction as SALib's `morris.sample` without optimisation).
//!
//! Random choices (LHS strata and positions, Morris starts, orders and directions) come from
//! a seeded stream, so a design depends only on its settings and seed.

use rand::RngExt;
use rand::seq::SliceRandom;

use crate::model::streams::{Purpose, stream};

/// The kind of design and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "design")]
pub enum Design {
    /// `levels` levels per factor.
    Grid {
        /// Levels per factor (≥ 2).
        levels: usize,
    },
    /// A Latin hypercube of `points` points.
    Lhs {
        /// Points.
        points: usize,
    },
    /// Saltelli's scheme on `base` base rows.
    Sobol {
        /// Base rows `N`; a power of two keeps the Sobol sequence balanced.
        base: usize,
    },
    /// Morris trajectories.
    Morris {
        /// Trajectories `r`.
        trajectories: usize,
        /// Grid levels `p` (even).
        levels: usize,
    },
}

/// Morris grid levels when not given.
pub const MORRIS_LEVELS: usize = 4;

/// Largest number of points a design may have: beyond, a shard of it cannot even be listed.
pub const MAX_POINTS: usize = 100_000_000;

impl Design {
    /// Parses `--design` with its `--points` size (default per design when `None`).
    pub fn parse(name: &str, points: Option<usize>, factors: usize) -> Result<Design, String> {
        let design = match name {
            "grid" => Design::Grid {
                levels: points.unwrap_or(5),
            },
            "lhs" => Design::Lhs {
                points: points.unwrap_or(50),
            },
            "sobol" => Design::Sobol {
                base: points.unwrap_or(64),
            },
            "morris" => Design::Morris {
                trajectories: points.unwrap_or(10),
                levels: MORRIS_LEVELS,
            },
            other => {
                return Err(format!(
                    "--design `{other}`: expected grid, lhs, sobol or morris"
                ));
            }
        };
        let size = design.size();
        let minimum = match design {
            Design::Grid { .. } | Design::Morris { .. } => 2,
            _ => 1,
        };
        if size < minimum {
            return Err(format!(
                "--points {size}: a {name} design needs at least {minimum}"
            ));
        }
        if factors == 0 {
            return Err("no --param: expected at least one factor to sweep".into());
        }
        if let Design::Sobol { .. } = design
            && 2 * factors > 1000
        {
            return Err(format!(
                "{factors} factors: a sobol design supports at most 500"
            ));
        }
        match design.len(factors) {
            Some(n) if n <= MAX_POINTS => Ok(design),
            _ => Err(format!(
                "a {name} design with --points {size} and {factors} factors has more than {MAX_POINTS} points"
            )),
        }
    }

    /// The size given by `--points`.
    pub fn size(&self) -> usize {
        match *self {
            Design::Grid { levels } => levels,
            Design::Lhs { points } => points,
            Design::Sobol { base } => base,
            Design::Morris { trajectories, .. } => trajectories,
        }
    }

    /// Number of points for `d` factors (`None` on overflow).
    pub fn len(&self, d: usize) -> Option<usize> {
        match *self {
            Design::Grid { levels } => levels.checked_pow(u32::try_from(d).ok()?),
            Design::Lhs { points } => Some(points),
            Design::Sobol { base } => base.checked_mul(d + 2),
            Design::Morris { trajectories, .. } => trajectories.checked_mul(d + 1),
        }
    }

    /// The name used on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Design::Grid { .. } => "grid",
            Design::Lhs { .. } => "lhs",
            Design::Sobol { .. } => "sobol",
            Design::Morris { .. } => "morris",
        }
    }

    /// Every point, in unit coordinates (`points[i][j]` for factor `j`), for `d` factors.
    pub fn points(&self, d: usize, seed: u64) -> Vec<Vec<f64>> {
        match *self {
            Design::Grid { levels } => grid(levels, d),
            Design::Lhs { points } => lhs(points, d, seed),
            Design::Sobol { base } => saltelli(base, d),
            Design::Morris {
                trajectories,
                levels,
            } => morris(trajectories, levels, d, seed),
        }
    }
}

fn grid(levels: usize, d: usize) -> Vec<Vec<f64>> {
    let total = levels.pow(d as u32);
    (0..total)
        .map(|mut index| {
            let mut point = vec![0.0; d];
            for j in (0..d).rev() {
                point[j] = (index % levels) as f64 / (levels - 1) as f64;
                index /= levels;
            }
            point
        })
        .collect()
}

fn lhs(n: usize, d: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = stream(seed, 0, Purpose::Design, &["lhs"], &[n as u64, d as u64]);
    let mut points = vec![vec![0.0; d]; n];
    for j in 0..d {
        let mut strata: Vec<usize> = (0..n).collect();
        strata.shuffle(&mut rng);
        for (point, stratum) in points.iter_mut().zip(strata) {
            let u: f64 = rng.random();
            point[j] = (stratum as f64 + u) / n as f64;
        }
    }
    points
}

/// The first `n` points of the `dims`-dimensional Sobol sequence (Joe–Kuo), from the origin.
pub fn sobol_sequence(n: usize, dims: usize) -> Vec<Vec<f64>> {
    let params = sobol::params::JoeKuoD6::standard();
    sobol::Sobol::<f64>::new(dims, &params).take(n).collect()
}

fn saltelli(n: usize, d: usize) -> Vec<Vec<f64>> {
    let base = sobol_sequence(n, 2 * d);
    let mut points = Vec::with_capacity(n * (d + 2));
    for row in base {
        let (a, b) = row.split_at(d);
        points.push(a.to_vec());
        for j in 0..d {
            let mut ab = a.to_vec();
            ab[j] = b[j];
            points.push(ab);
        }
        points.push(b.to_vec());
    }
    points
}

/// Morris's step in unit coordinates for `p` levels.
pub fn morris_delta(levels: usize) -> f64 {
    levels as f64 / (2.0 * (levels as f64 - 1.0))
}

fn morris(r: usize, p: usize, d: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = stream(
        seed,
        0,
        Purpose::Design,
        &["morris"],
        &[r as u64, p as u64, d as u64],
    );
    let delta = morris_delta(p);
    let step = 1.0 / (p as f64 - 1.0);
    // Start levels 0, 1/(p−1), … ≤ 1 − Δ, so that a move of +Δ stays in the cube.
    let starts = (0..p)
        .filter(|&i| i as f64 * step <= 1.0 - delta + 1e-12)
        .count();
    let mut points = Vec::with_capacity(r * (d + 1));
    for _ in 0..r {
        let base: Vec<f64> = (0..d)
            .map(|_| rng.random_range(0..starts) as f64 * step)
            .collect();
        let up: Vec<bool> = (0..d).map(|_| rng.random_bool(0.5)).collect();
        let mut order: Vec<usize> = (0..d).collect();
        order.shuffle(&mut rng);
        // A factor moving down starts Δ higher.
        let mut x: Vec<f64> = base
            .iter()
            .zip(&up)
            .map(|(&b, &u)| if u { b } else { b + delta })
            .collect();
        points.push(x.clone());
        for &j in &order {
            x[j] += if up[j] { delta } else { -delta };
            points.push(x.clone());
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sobol_sequence_has_the_joe_kuo_points() {
        // The first eight points of the 3-dimensional Sobol sequence with Joe–Kuo
        // new-joe-kuo-6.21201 direction numbers (Joe & Kuo 2008), as printed by
        // scipy.stats.qmc.Sobol(d=3, scramble=False).random(8) (scipy 1.x).
        let expected = [
            [0.0, 0.0, 0.0],
            [0.5, 0.5, 0.5],
            [0.75, 0.25, 0.25],
            [0.25, 0.75, 0.75],
            [0.375, 0.375, 0.625],
            [0.875, 0.875, 0.125],
            [0.625, 0.125, 0.875],
            [0.125, 0.625, 0.375],
        ];
        let points = sobol_sequence(8, 3);
        for (p, e) in points.iter().zip(expected) {
            assert_eq!(p.as_slice(), e.as_slice());
        }
    }

    #[test]
    fn grids_include_both_ends_and_vary_the_last_factor_fastest() {
        let g = Design::Grid { levels: 3 }.points(2, 1);
        assert_eq!(g.len(), 9);
        assert_eq!(g[0], [0.0, 0.0]);
        assert_eq!(g[1], [0.0, 0.5]);
        assert_eq!(g[8], [1.0, 1.0]);
    }

    #[test]
    fn latin_hypercubes_use_each_stratum_once() {
        let points = Design::Lhs { points: 10 }.points(3, 5);
        for j in 0..3 {
            let mut strata: Vec<usize> = points.iter().map(|p| (p[j] * 10.0) as usize).collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..10).collect::<Vec<_>>());
        }
        assert_eq!(points, Design::Lhs { points: 10 }.points(3, 5), "seeded");
        assert_ne!(points, Design::Lhs { points: 10 }.points(3, 6));
    }

    #[test]
    fn saltelli_rows_swap_one_column_at_a_time() {
        let d = 3;
        let points = Design::Sobol { base: 4 }.points(d, 1);
        assert_eq!(points.len(), 4 * (d + 2));
        for block in points.chunks(d + 2) {
            let (a, b) = (&block[0], &block[d + 1]);
            for j in 0..d {
                for k in 0..d {
                    let from = if k == j { b } else { a };
                    assert_eq!(block[1 + j][k], from[k]);
                }
            }
        }
    }

    #[test]
    fn morris_trajectories_move_one_factor_by_delta() {
        let (r, p, d) = (6, 4, 5);
        let points = Design::Morris {
            trajectories: r,
            levels: p,
        }
        .points(d, 3);
        assert_eq!(points.len(), r * (d + 1));
        let delta = morris_delta(p);
        for t in points.chunks(d + 1) {
            let mut moved = vec![false; d];
            for pair in t.windows(2) {
                let changed: Vec<usize> = (0..d).filter(|&j| pair[0][j] != pair[1][j]).collect();
                assert_eq!(changed.len(), 1);
                let j = changed[0];
                assert!(((pair[1][j] - pair[0][j]).abs() - delta).abs() < 1e-12);
                assert!(!moved[j], "each factor moves once");
                moved[j] = true;
            }
            assert!(
                t.iter()
                    .flatten()
                    .all(|&u| (-1e-12..=1.0 + 1e-12).contains(&u))
            );
        }
    }

    #[test]
    fn sizes_are_checked() {
        assert!(Design::parse("grid", Some(1), 2).is_err());
        assert!(
            Design::parse("grid", Some(1000), 5).is_err(),
            "too many points"
        );
        assert!(Design::parse("box", None, 2).is_err());
        assert!(Design::parse("lhs", Some(10), 0).is_err());
        assert_eq!(Design::parse("sobol", Some(8), 3).unwrap().len(3), Some(40));
    }
}
