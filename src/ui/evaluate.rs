//! One request's work: load the page's settings (and the pinned baseline's), check the work
//! against the limits, and run the ensemble — paired with the baseline, run by run, when one
//! is pinned — in a single pass with the same seeded streams as `liaison run`.

use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;

use serde::Deserialize;

use super::catalog::Catalog;
use super::changes::Settings;
use super::differences::{Change, changes};
use super::error::UiError;
use crate::aggregate::{Accumulator, Summary};
use crate::compare::differing_events;
use crate::runner::{
    EnsembleOptions, EnsembleResult, Prepared, RunError, Summariser, for_each_run,
};
use crate::scenario::{Date, Loaded, Scenario};

/// What one request may cost.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most runs in one ensemble.
    pub max_runs: u32,
    /// Most officer-steps (runs × steps × officers, summed over the scenarios run) in one
    /// request; about 25 million take a second on one core here.
    pub max_work: u64,
    /// Worker threads of an ensemble (0: one per core).
    pub threads: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_runs: 10_000,
            // 60 times the default scenario's 200 runs: seconds, not minutes.
            max_work: 250_000_000,
            threads: 0,
        }
    }
}

/// The body of `POST /api/run` and `POST /api/export`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The settings shown.
    pub current: Settings,
    /// The pinned settings to compare with, run by run.
    #[serde(default)]
    pub baseline: Option<Settings>,
    /// Runs (default: the scenario's `run.runs`).
    #[serde(default)]
    pub runs: Option<u32>,
    /// Master seed (default: the scenario's `run.seed`).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Name of the exported what-if (export only).
    #[serde(default)]
    pub name: Option<String>,
}

/// The paired comparison with the pinned baseline.
#[derive(Debug, Clone)]
pub struct Paired {
    /// The baseline as loaded.
    pub baseline: Loaded,
    /// Statistics of the run-by-run differences `current − baseline` of the trust series
    /// both have, over the steps both have.
    pub differences: Summary,
    /// What differs between the two effective scenarios.
    pub changes: Vec<Change>,
    /// Ids of the events that differ.
    pub differing_events: BTreeSet<String>,
    /// The earliest date of a differing event when only events differ; `None` when a value
    /// that acts from the start differs.
    pub first_change: Option<Date>,
}

/// A finished request.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The current settings as loaded.
    pub loaded: Loaded,
    /// Its ensemble: statistics and targets, as `liaison run` computes them.
    pub result: EnsembleResult,
    /// Runs.
    pub runs: u32,
    /// Master seed.
    pub seed: u64,
    /// The comparison with the baseline, when one is pinned.
    pub paired: Option<Paired>,
}

/// Officers simulated per step.
fn officers(scenario: &Scenario) -> u64 {
    scenario
        .desks
        .iter()
        .map(|d| u64::from(d.population.count))
        .sum::<u64>()
        .max(1)
}

/// Runs `request`; `cancel` stops it early (a newer request arrived).
pub fn evaluate(
    catalog: &Catalog,
    request: &RunRequest,
    limits: &Limits,
    cancel: &AtomicBool,
) -> Result<Evaluation, UiError> {
    request.current.check_sizes()?;
    let (loaded, targets) = request.current.load(catalog)?;
    let baseline = match &request.baseline {
        Some(settings) => {
            settings.check_sizes()?;
            let (base, _) = settings.load(catalog).map_err(|e| UiError {
                message: format!("the pinned baseline no longer loads: {}", e.message),
                ..e
            })?;
            Some(base)
        }
        None => None,
    };
    let scenario = &loaded.scenario;
    let runs = request.runs.unwrap_or(scenario.runs);
    let seed = request.seed.unwrap_or(scenario.seed);
    if runs == 0 || runs > limits.max_runs {
        return Err(UiError::invalid(
            Some("runs".into()),
            format!(
                "{runs} runs, expected 1 to {} (the server's --max-runs)",
                limits.max_runs
            ),
        ));
    }
    let per_run = |s: &Scenario| s.timeline.steps() as u64 * officers(s);
    let work = u64::from(runs)
        * (per_run(scenario) + baseline.as_ref().map_or(0, |b| per_run(&b.scenario)));
    if work > limits.max_work {
        return Err(UiError::invalid(
            Some("runs".into()),
            format!(
                "{runs} runs of {} officers over {} steps is {work} officer-steps, more than this server allows per request ({}, --max-work): use fewer runs",
                officers(scenario),
                scenario.timeline.steps(),
                limits.max_work
            ),
        ));
    }
    if let Some(base) = &baseline {
        let (a, b) = (&scenario.timeline, &base.scenario.timeline);
        if a.start != b.start || a.step_days != b.step_days {
            return Err(UiError::invalid(
                Some("scenario".into()),
                format!(
                    "the pinned baseline starts on {} with {}-day steps, this scenario on {} with {}-day steps: a paired comparison needs the same start and step; unpin it first",
                    b.start, b.step_days, a.start, a.step_days
                ),
            ));
        }
    }

    let current = Prepared::new(scenario, seed);
    let pinned = baseline.as_ref().map(|b| Prepared::new(&b.scenario, seed));
    let options = EnsembleOptions {
        runs,
        threads: limits.threads,
        on_run: None,
        cancel: Some(cancel),
    };
    let mut summariser = Summariser::new(&current, &targets, runs);
    let mut pairing = pinned.as_ref().map(|p| Pairing::new(&current, p, runs));
    let mut all: Vec<&Prepared> = vec![&current];
    all.extend(pinned.as_ref());
    let done = for_each_run(&all, &options, |_, records| {
        summariser.add(records[0]);
        if let Some(pairing) = &mut pairing {
            pairing.add(records[0], records[1]);
        }
    });
    match done {
        Ok(()) => {}
        Err(RunError::Interrupted) => return Err(UiError::superseded()),
        Err(e) => return Err(UiError::internal(e.to_string())),
    }
    let result = summariser.finish();
    let paired = match (baseline, pairing) {
        (Some(base), Some(pairing)) => {
            let differences = pairing.finish(&current);
            let changes = changes(&base.scenario.effective, &scenario.effective);
            let differing_events = differing_events(&[&base.scenario, scenario]);
            let first_change =
                first_change(&changes, &differing_events, &[&base.scenario, scenario]);
            Some(Paired {
                baseline: base,
                differences,
                changes,
                differing_events,
                first_change,
            })
        }
        _ => None,
    };
    Ok(Evaluation {
        loaded,
        result,
        runs,
        seed,
        paired,
    })
}

/// The earliest differing event's date, when nothing but events differs.
fn first_change(
    changes: &[Change],
    events: &BTreeSet<String>,
    scenarios: &[&Scenario],
) -> Option<Date> {
    let dynamic = |key: &str| {
        !(key.starts_with("event.")
            || key.starts_with("target.")
            || key.starts_with("run.")
            || key == "name"
            || key == "description")
    };
    if changes.iter().any(|c| dynamic(&c.key)) {
        return None;
    }
    scenarios
        .iter()
        .flat_map(|s| s.events.iter())
        .filter(|e| events.contains(&e.id))
        .map(|e| e.date)
        .min()
}

/// Accumulates the run-by-run differences of the trust series two scenarios share.
struct Pairing {
    /// (column in current, column in baseline) of each compared series.
    columns: Vec<(usize, usize)>,
    names: Vec<String>,
    widths: (usize, usize),
    steps: usize,
    accumulator: Accumulator,
    difference: Vec<f64>,
}

impl Pairing {
    fn new(current: &Prepared, baseline: &Prepared, runs: u32) -> Pairing {
        let mut columns = Vec::new();
        let mut names = Vec::new();
        for (i, name) in current.layout.names.iter().enumerate() {
            if let (true, Some(j)) = (name.starts_with("trust."), baseline.layout.index(name)) {
                columns.push((i, j));
                names.push(name.clone());
            }
        }
        let steps = current.steps().min(baseline.steps());
        Pairing {
            accumulator: Accumulator::new(columns.len(), steps, runs as usize),
            difference: vec![0.0; steps * columns.len()],
            widths: (current.layout.len(), baseline.layout.len()),
            columns,
            names,
            steps,
        }
    }

    fn add(&mut self, current: &[f64], baseline: &[f64]) {
        let n = self.columns.len();
        if n == 0 {
            return;
        }
        for (step, out) in self.difference.chunks_exact_mut(n).enumerate() {
            let (a, b) = (step * self.widths.0, step * self.widths.1);
            for (slot, &(i, j)) in out.iter_mut().zip(&self.columns) {
                *slot = current[a + i] - baseline[b + j];
            }
        }
        self.accumulator.add(&self.difference);
    }

    fn finish(self, current: &Prepared) -> Summary {
        let dates: Vec<Date> = current.dates().into_iter().take(self.steps).collect();
        self.accumulator.finish(self.names, dates)
    }
}
