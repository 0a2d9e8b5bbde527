//! Running the model: one run, or a seeded ensemble in parallel.
//!
//! Run `i` of an ensemble always uses the streams of run index `i`, whichever thread runs it,
//! and runs are collected in index order: outputs do not depend on the thread count.

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::model::{Model, SeriesLayout};
use crate::scenario::{Date, Scenario};

/// Which events act at each step.
#[derive(Debug, Clone)]
pub struct Schedule {
    per_step: Vec<Vec<usize>>,
}

impl Schedule {
    /// Builds the schedule of `scenario`: a one-off event acts in the step that contains its
    /// date; a sustained one in every step from there to the step containing `until`.
    pub fn new(scenario: &Scenario) -> Schedule {
        let timeline = &scenario.timeline;
        let mut per_step = vec![Vec::new(); timeline.steps()];
        for (index, event) in scenario.events.iter().enumerate() {
            let steps = timeline.step_of(event.date)..=timeline.step_of(event.until);
            for events in &mut per_step[steps] {
                events.push(index);
            }
        }
        Schedule { per_step }
    }

    /// Events acting at `step`.
    pub fn at(&self, step: usize) -> &[usize] {
        &self.per_step[step]
    }
}

/// The recorded series of one run: `values[step * n_series + series]`.
pub type RunRecord = Vec<f64>;

/// Simulates run `run` of `scenario` with master seed `seed` and records every series.
pub fn run_once(
    scenario: &Scenario,
    layout: &SeriesLayout,
    schedule: &Schedule,
    seed: u64,
    run: u32,
) -> RunRecord {
    let steps = scenario.timeline.steps();
    let n = layout.len();
    let mut record = vec![0.0; steps * n];
    let mut model = Model::new(scenario, seed, run);
    for (step, row) in record.chunks_exact_mut(n).enumerate() {
        model.step(schedule.at(step));
        model.observe(layout, row);
    }
    record
}

/// Options of an ensemble.
pub struct EnsembleOptions<'a> {
    /// Master seed.
    pub seed: u64,
    /// Number of runs.
    pub runs: u32,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Called after each finished run (progress reporting).
    pub on_run: Option<&'a (dyn Fn() + Sync)>,
    /// Set to stop early; the ensemble then returns [`Interrupted`].
    pub cancel: Option<&'a AtomicBool>,
}

/// The ensemble was interrupted before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("interrupted")]
pub struct Interrupted;

/// The recorded runs of an ensemble.
#[derive(Debug, Clone)]
pub struct Ensemble {
    /// The series recorded.
    pub layout: SeriesLayout,
    /// The date of each step (its last day).
    pub dates: Vec<Date>,
    /// Master seed.
    pub seed: u64,
    /// One record per run, in run order.
    pub runs: Vec<RunRecord>,
}

impl Ensemble {
    /// Value of series `series` at `step` in run `run`.
    pub fn value(&self, run: usize, step: usize, series: usize) -> f64 {
        self.runs[run][step * self.layout.len() + series]
    }
}

/// Runs the ensemble of `scenario` in parallel.
pub fn run_ensemble(
    scenario: &Scenario,
    options: &EnsembleOptions,
) -> Result<Ensemble, Interrupted> {
    let layout = SeriesLayout::new(scenario);
    let schedule = Schedule::new(scenario);
    let cancelled = || options.cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    let work = || {
        (0..options.runs)
            .into_par_iter()
            .map(|run| {
                if cancelled() {
                    return None;
                }
                let record = run_once(scenario, &layout, &schedule, options.seed, run);
                if let Some(tick) = options.on_run {
                    tick();
                }
                Some(record)
            })
            .collect::<Option<Vec<_>>>()
    };
    let runs = match rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
    {
        Ok(pool) => pool.install(work),
        // A pool cannot be built (e.g. thread limits): fall back to the global one.
        Err(_) => work(),
    };
    let runs = runs.filter(|_| !cancelled()).ok_or(Interrupted)?;
    let timeline = scenario.timeline;
    Ok(Ensemble {
        dates: (0..timeline.steps())
            .map(|s| timeline.step_date(s))
            .collect(),
        layout,
        seed: options.seed,
        runs,
    })
}
