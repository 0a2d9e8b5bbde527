//! Calibration by stochastic hill climbing on the targets (pattern-oriented modelling).
//!
//! Each proposal perturbs one to three parameters within their ranges; it is kept when its
//! score — passing targets plus half their clipped margins, taking the worst over several
//! seeds so a lucky seed cannot win — beats the best so far. Proposals come from a seeded
//! ChaCha stream, so a search is reproducible.

use std::path::Path;

use rand::RngExt;

use crate::model::streams::{Purpose, stream};
use crate::runner::{EnsembleOptions, Prepared, ensemble};
use crate::scenario::{ScenarioError, get_value};
use crate::targets::Outcome;

/// A parameter to search: a dotted key and its range.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Dotted key, as for `--set`.
    pub key: String,
    /// Lowest value tried.
    pub low: f64,
    /// Highest value tried.
    pub high: f64,
}

/// Parses `KEY=LOW..HIGH`.
pub fn parse_parameter(text: &str) -> Result<Parameter, String> {
    let expected = "expected KEY=LOW..HIGH, like params.trust_drift=0.01..0.1";
    let (key, range) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: {expected}"))?;
    let (low, high) = range
        .split_once("..")
        .ok_or_else(|| format!("`{text}`: {expected}"))?;
    let number = |v: &str| v.trim().parse::<f64>().ok().filter(|x| x.is_finite());
    match (number(low), number(high)) {
        (Some(low), Some(high)) if low < high && !key.trim().is_empty() => Ok(Parameter {
            key: key.trim().to_string(),
            low,
            high,
        }),
        _ => Err(format!("`{text}`: {expected} (with LOW < HIGH)")),
    }
}

/// Search settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Proposals to evaluate.
    pub iterations: u32,
    /// Runs per ensemble.
    pub runs: u32,
    /// Seeds every proposal is evaluated with (the score is the worst).
    pub seeds: Vec<u64>,
    /// Seed of the proposal stream.
    pub search_seed: u64,
    /// Worker threads.
    pub threads: usize,
}

/// One evaluated proposal.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// 0 for the starting point.
    pub iteration: u32,
    /// Parameter values, in the order of the parameters.
    pub values: Vec<f64>,
    /// Worst score over the seeds.
    pub score: f64,
    /// Targets passing with the worst seed.
    pub passed: usize,
    /// Number of targets.
    pub targets: usize,
    /// Whether it became the best.
    pub accepted: bool,
}

/// Score of one evaluation: each passing target counts 1, and each margin, clipped to
/// [−1, 0.1], adds half of itself, so failing targets pull toward passing and passing ones
/// toward a little slack.
pub fn score(outcomes: &[Outcome]) -> f64 {
    outcomes
        .iter()
        .map(|o| f64::from(u8::from(o.pass)) + 0.5 * o.margin.clamp(-1.0, 0.1))
        .sum()
}

/// Formats overrides for a set of values.
pub fn assignments(parameters: &[Parameter], values: &[f64]) -> Vec<String> {
    parameters
        .iter()
        .zip(values)
        .map(|(p, v)| format!("{}={}", p.key, round(*v)))
        .collect()
}

/// Four significant decimals: the precision at which values are reported and tried.
fn round(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}

/// Evaluates the scenario at `path` with `sets` plus the parameters' values.
fn evaluate(
    path: &Path,
    sets: &[String],
    parameters: &[Parameter],
    values: &[f64],
    options: &Options,
) -> Result<(f64, usize, usize), ScenarioError> {
    let mut all = sets.to_vec();
    all.extend(assignments(parameters, values));
    let (loaded, targets) = crate::commands::load(path, &all)?;
    let mut worst = (f64::INFINITY, 0, targets.len());
    for &seed in &options.seeds {
        let prepared = Prepared::new(&loaded.scenario, seed);
        let outcomes = ensemble(
            &prepared,
            &targets,
            &EnsembleOptions {
                runs: options.runs,
                threads: options.threads,
                on_run: None,
                cancel: None,
            },
        )
        .map_err(|e| ScenarioError::at_key("run", e.to_string()))?
        .outcomes;
        let s = score(&outcomes);
        if s < worst.0 {
            worst = (
                s,
                outcomes.iter().filter(|o| o.pass).count(),
                outcomes.len(),
            );
        }
    }
    Ok(worst)
}

/// Reads the starting values of the parameters from the scenario (clamped to their ranges).
pub fn starting_values(
    path: &Path,
    sets: &[String],
    parameters: &[Parameter],
) -> Result<Vec<f64>, ScenarioError> {
    let (loaded, _) = crate::commands::load(path, sets)?;
    let table = toml::Table::try_from(&loaded.scenario.effective).map_err(|e| {
        ScenarioError::at_key("", format!("cannot read the effective scenario: {e}"))
    })?;
    parameters
        .iter()
        .map(|p| {
            let value = get_value(&table, &p.key)
                .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
                .ok_or_else(|| {
                    ScenarioError::at_key(
                        &p.key,
                        "not a numeric value of the scenario, expected a number to calibrate",
                    )
                })?;
            Ok(value.clamp(p.low, p.high))
        })
        .collect()
}

/// Runs the search; `report` sees every proposal as it is evaluated. Returns every proposal
/// in order (the best is the last accepted one).
pub fn calibrate(
    path: &Path,
    sets: &[String],
    parameters: &[Parameter],
    options: &Options,
    mut report: impl FnMut(&Proposal),
) -> Result<Vec<Proposal>, ScenarioError> {
    let mut best_values = starting_values(path, sets, parameters)?;
    let (score0, passed, targets) = evaluate(path, sets, parameters, &best_values, options)?;
    let mut best = score0;
    let first = Proposal {
        iteration: 0,
        values: best_values.clone(),
        score: score0,
        passed,
        targets,
        accepted: true,
    };
    report(&first);
    let mut history = vec![first];
    let mut rng = stream(options.search_seed, 0, Purpose::Calibration, &[], &[]);
    for iteration in 1..=options.iterations {
        let mut values = best_values.clone();
        let changes = rng.random_range(1..=parameters.len().min(3));
        for _ in 0..changes {
            let i = rng.random_range(0..parameters.len());
            let p = &parameters[i];
            let scale = [0.05, 0.1, 0.25][rng.random_range(0..3)] * (p.high - p.low);
            values[i] = round((values[i] + rng.random_range(-scale..=scale)).clamp(p.low, p.high));
        }
        let (score, passed, targets) = evaluate(path, sets, parameters, &values, options)?;
        let accepted = score > best;
        if accepted {
            best = score;
            best_values = values.clone();
        }
        let proposal = Proposal {
            iteration,
            values,
            score,
            passed,
            targets,
            accepted,
        };
        report(&proposal);
        history.push(proposal);
    }
    Ok(history)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_parse_with_ranges() {
        assert_eq!(
            parse_parameter("params.trust_drift=0.01..0.1"),
            Ok(Parameter {
                key: "params.trust_drift".into(),
                low: 0.01,
                high: 0.1
            })
        );
        assert!(parse_parameter("params.trust_drift=0.1..0.01").is_err());
        assert!(parse_parameter("params.trust_drift").is_err());
        assert!(parse_parameter("x=a..b").is_err());
    }

    #[test]
    fn passing_targets_dominate_the_score() {
        let outcome = |pass: bool, margin: f64| Outcome {
            id: "t".into(),
            description: String::new(),
            measured: crate::targets::Measurement {
                value: margin,
                date: None,
                margin,
            },
            bound: String::new(),
            pass,
            margin,
            share_holding: 0.0,
            window: (
                crate::scenario::Date::new(2013, 1, 1).unwrap(),
                crate::scenario::Date::new(2013, 2, 1).unwrap(),
            ),
            series: Vec::new(),
        };
        let one_pass = score(&[outcome(true, 0.0), outcome(false, -0.5)]);
        let closer = score(&[outcome(true, 0.0), outcome(false, -0.1)]);
        let both = score(&[outcome(true, 0.0), outcome(true, 0.0)]);
        assert!(
            closer > one_pass,
            "a failing target closer to its bound scores higher"
        );
        assert!(both > closer, "passing beats failing narrowly");
    }
}
