//! Calibration: CMA-ES (the `cmaes` crate) on the targets of one or several scenarios at once.
//!
//! The search runs in the unit cube of the factors ([`super::factor`]): log ranges are searched
//! in the logarithm, integer factors are rounded when a point is evaluated. Points outside the
//! cube are evaluated at the nearest point inside and penalised by their squared distance to
//! it, the usual bound handling for CMA-ES. Every point is scored over every scenario and
//! every seed ([`super::objective`]); the seeds are fixed, so the score is a deterministic
//! function of the point (common random numbers) and CMA-ES compares points, not noise.
//! When CMA-ES stops before the budget (its step size collapsed, no progress), it restarts
//! from the best point so far with a fresh seed. All seeds derive from the search seed, so a
//! search is reproducible.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use cmaes::{CMAESOptions, DVector};
use rand::RngExt;

use super::factor::{Factor, assignments};
use super::objective::{Objective, Tally};
use crate::model::streams::{Purpose, stream};
use crate::runner::{EnsembleOptions, Prepared, RunError, ensemble};
use crate::scenario;
use crate::targets;

/// What is calibrated, against what.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Scenario files; every one is run at every point.
    pub scenarios: Vec<PathBuf>,
    /// Fixed overrides applied to every scenario before the factors.
    pub sets: Vec<String>,
    /// The factors searched.
    pub factors: Vec<Factor>,
    /// Seeds every point is run with (empty: each scenario's own seed).
    pub seeds: Vec<u64>,
    /// Runs per ensemble.
    pub runs: u32,
    /// Worker threads for the runs.
    pub threads: usize,
    /// The score maximised.
    pub objective: Objective,
}

/// Search settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Points to evaluate (rounded up to a whole CMA-ES generation).
    pub budget: usize,
    /// Seed of the search itself (CMA-ES sampling and restarts).
    pub search_seed: u64,
    /// Set to stop; the search then returns what it has.
    pub cancel: Option<&'static AtomicBool>,
}

/// One evaluated point.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// 0-based order of evaluation.
    pub index: usize,
    /// Which CMA-ES start produced it (0 for the first, then restarts).
    pub start: usize,
    /// The factors' values (integers rounded).
    pub values: Vec<f64>,
    /// The score under the problem's objective.
    pub score: f64,
    /// Targets held, worst margin and mean share over every scenario and seed.
    pub tally: Tally,
}

/// Why a search stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The budget is spent.
    Budget,
    /// Ctrl-C.
    Interrupted,
}

/// The result of a search: every evaluation, in order.
#[derive(Debug, Clone)]
pub struct Search {
    /// Every point evaluated, in order.
    pub evaluations: Vec<Evaluation>,
    /// Why it stopped.
    pub stop: Stop,
}

impl Search {
    /// The best evaluation (the first of equals).
    pub fn best(&self) -> Option<&Evaluation> {
        self.evaluations
            .iter()
            .fold(None, |best: Option<&Evaluation>, e| match best {
                Some(b) if b.score >= e.score => Some(b),
                _ => Some(e),
            })
    }
}

/// Evaluates the point at unit coordinates `unit`: every scenario with every seed. `None`
/// when cancelled.
pub fn evaluate(
    problem: &Problem,
    unit: &[f64],
    cancel: Option<&AtomicBool>,
) -> Result<Option<(Vec<f64>, Tally)>, String> {
    let values: Vec<f64> = problem
        .factors
        .iter()
        .zip(unit)
        .map(|(f, &u)| f.value(u))
        .collect();
    let mut sets = problem.sets.clone();
    sets.extend(assignments(&problem.factors, unit));
    let mut tally = Tally::new();
    for path in &problem.scenarios {
        let loaded = scenario::load_with(path, &sets)
            .map_err(|e| format!("{}: at {}: {e}", path.display(), sets.join(" ")))?;
        let compiled =
            targets::compile(&loaded.scenario).map_err(|e| loaded.locate(e).to_string())?;
        let own = [loaded.scenario.seed];
        let seeds: &[u64] = if problem.seeds.is_empty() {
            &own
        } else {
            &problem.seeds
        };
        for &seed in seeds {
            let prepared = Prepared::new(&loaded.scenario, seed);
            let result = ensemble(
                &prepared,
                &compiled,
                &EnsembleOptions {
                    runs: problem.runs,
                    threads: problem.threads,
                    on_run: None,
                    cancel,
                },
            );
            match result {
                Ok(r) => tally.add(&r.outcomes),
                Err(RunError::Interrupted) => return Ok(None),
                Err(e) => return Err(e.to_string()),
            }
        }
    }
    Ok(Some((values, tally)))
}

/// Penalty per unit of squared distance outside the unit cube: large against a score that
/// lives on about [−1, 1], small enough not to swamp CMA-ES's ranking inside.
const OUTSIDE_PENALTY: f64 = 10.0;

/// Initial CMA-ES step size in the unit cube, and on a restart.
const FIRST_STEP: f64 = 0.3;
const RESTART_STEP: f64 = 0.2;

/// Runs the search from `start` (unit coordinates, usually the scenario's own values), which
/// is evaluated first; `report` sees every evaluation as it is made.
pub fn calibrate(
    problem: &Problem,
    start: &[f64],
    options: &Options,
    mut report: impl FnMut(&Evaluation),
) -> Result<Search, String> {
    let dimension = problem.factors.len();
    if dimension == 0 {
        return Err("no factor to calibrate".into());
    }
    let mut seeds = stream(
        options.search_seed,
        0,
        Purpose::Calibration,
        &["cmaes"],
        &[],
    );
    let mut evaluations: Vec<Evaluation> = Vec::new();
    let mut failure: Option<String> = None;
    let mut interrupted = false;
    let mut mean: Vec<f64> = start.iter().map(|u| u.clamp(0.0, 1.0)).collect();
    let mut step = FIRST_STEP;
    let mut start_index = 0;
    // The starting point first: the search then never reports worse than where it began.
    match evaluate(problem, &mean, options.cancel.map(|c| c as &AtomicBool))? {
        Some((values, tally)) => {
            let evaluation = Evaluation {
                index: 0,
                start: 0,
                values,
                score: tally.score(problem.objective),
                tally,
            };
            report(&evaluation);
            evaluations.push(evaluation);
        }
        None => interrupted = true,
    }
    while evaluations.len() < options.budget && !interrupted && failure.is_none() {
        let remaining = options.budget - evaluations.len();
        let seed: u64 = seeds.random();
        let objective = |x: &DVector<f64>| -> f64 {
            if interrupted || failure.is_some() {
                return f64::NAN;
            }
            let inside: Vec<f64> = x.iter().map(|u| u.clamp(0.0, 1.0)).collect();
            let outside: f64 = x.iter().zip(&inside).map(|(a, b)| (a - b).powi(2)).sum();
            match evaluate(problem, &inside, options.cancel.map(|c| c as &AtomicBool)) {
                Ok(Some((values, tally))) => {
                    let score = tally.score(problem.objective);
                    let evaluation = Evaluation {
                        index: evaluations.len(),
                        start: start_index,
                        values,
                        score,
                        tally,
                    };
                    report(&evaluation);
                    evaluations.push(evaluation);
                    // CMA-ES minimises; an infinite score (no defined margin) ranks last.
                    let cost = if score.is_finite() { -score } else { 1e6 };
                    cost + OUTSIDE_PENALTY * outside
                }
                Ok(None) => {
                    interrupted = true;
                    f64::NAN
                }
                Err(e) => {
                    failure = Some(e);
                    f64::NAN
                }
            }
        };
        let mut cmaes = CMAESOptions::new(mean.clone(), step)
            .seed(seed)
            .max_function_evals(remaining)
            // No stopping on a flat score: a plateau of equal scores is common with few
            // runs, and the budget is what the user asked for. Restarts handle stagnation.
            .tol_fun(0.0)
            .tol_fun_hist(0.0)
            .build(objective)
            .map_err(|e| format!("cannot start CMA-ES: {e:?}"))?;
        let _ = cmaes.run();
        drop(cmaes);
        if let Some(best) = evaluations
            .iter()
            .max_by(|a, b| a.score.total_cmp(&b.score))
        {
            mean = problem
                .factors
                .iter()
                .zip(&best.values)
                .map(|(f, &v)| f.unit(v))
                .collect();
        }
        if options.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            interrupted = true;
        }
        step = RESTART_STEP;
        start_index += 1;
    }
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(Search {
        evaluations,
        stop: if interrupted {
            Stop::Interrupted
        } else {
            Stop::Budget
        },
    })
}

/// How tightly the best points pin a factor down.
#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    /// The factor.
    pub key: String,
    /// Its value at the best point.
    pub best: f64,
    /// Smallest value among the top points.
    pub min: f64,
    /// Median among the top points.
    pub median: f64,
    /// Largest value among the top points.
    pub max: f64,
    /// `(max − min)` as a share of the factor's range (in the unit cube: log ranges in the
    /// logarithm): near 0, the targets pin the factor; near 1, they leave it free.
    pub width: f64,
}

/// The top `fraction` of evaluations by score (at least `minimum`, at most all).
pub fn top(evaluations: &[Evaluation], fraction: f64, minimum: usize) -> Vec<&Evaluation> {
    let mut sorted: Vec<&Evaluation> = evaluations.iter().collect();
    // Best first; ties keep evaluation order, so the selection is reproducible.
    sorted.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
    let count = ((evaluations.len() as f64 * fraction).ceil() as usize)
        .max(minimum)
        .min(evaluations.len());
    sorted.truncate(count);
    sorted
}

/// The spread of every factor over `top` (best first).
pub fn spread(factors: &[Factor], top: &[&Evaluation]) -> Vec<Spread> {
    factors
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut values: Vec<f64> = top.iter().map(|e| e.values[i]).collect();
            values.sort_by(f64::total_cmp);
            let (min, max) = (
                values.first().copied().unwrap_or(f64::NAN),
                values.last().copied().unwrap_or(f64::NAN),
            );
            Spread {
                key: f.key.clone(),
                best: top.first().map_or(f64::NAN, |e| e.values[i]),
                min,
                median: crate::aggregate::quantile_sorted(&values, 0.5),
                max,
                width: f.unit(max) - f.unit(min),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evaluation(index: usize, score: f64, values: Vec<f64>) -> Evaluation {
        Evaluation {
            index,
            start: 0,
            values,
            score,
            tally: Tally::new(),
        }
    }

    #[test]
    fn the_top_decile_shows_what_the_targets_pin() {
        let factors = vec![
            super::super::factor::parse_factor("a=0..1").unwrap(),
            super::super::factor::parse_factor("b=0..10").unwrap(),
        ];
        // Twenty points: the best ten have `a` near 0.5 and `b` all over its range.
        let evaluations: Vec<Evaluation> = (0..20)
            .map(|i| {
                let good = i % 2 == 0;
                let a = if good { 0.5 + 0.001 * i as f64 } else { 0.9 };
                evaluation(i, if good { 1.0 } else { 0.0 }, vec![a, i as f64 / 2.0])
            })
            .collect();
        let best = top(&evaluations, 0.5, 1);
        assert_eq!(best.len(), 10);
        assert_eq!(best[0].index, 0, "ties keep evaluation order");
        let s = spread(&factors, &best);
        assert!(s[0].width < 0.05, "a is pinned: {s:?}");
        assert!(s[1].width > 0.8, "b is free: {s:?}");
        assert_eq!(s[0].best, 0.5);
        assert_eq!(top(&evaluations, 0.0, 3).len(), 3);
    }
}
