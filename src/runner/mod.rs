//! Running the model: one run, or a seeded ensemble in parallel whose runs are handed, one
//! at a time and in run order, to whatever summarises them ([`for_each_run`], [`ensemble`]).
//!
//! Run `i` of an ensemble always uses the streams of run index `i`, whichever thread runs it,
//! and runs are consumed in index order: outputs do not depend on the thread count. Only a
//! bounded batch of runs is in memory at any time, whatever the number of runs.

pub mod budget;
mod ensemble;

pub use ensemble::{EnsembleResult, Summariser, ensemble};

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::model::streams::StreamKeys;
use crate::model::{BATCH, Model, SeriesLayout};
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

/// What every run of a scenario with one master seed shares, prepared once: the series
/// recorded, the event schedule and the random streams' keys.
#[derive(Debug, Clone)]
pub struct Prepared<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// Master seed.
    pub seed: u64,
    /// The series recorded each step.
    pub layout: SeriesLayout,
    /// Which events act at each step.
    pub schedule: Schedule,
    /// The keys of every random stream.
    pub keys: StreamKeys,
}

impl<'a> Prepared<'a> {
    /// Prepares `scenario` for runs with master seed `seed`.
    pub fn new(scenario: &'a Scenario, seed: u64) -> Prepared<'a> {
        Prepared {
            scenario,
            seed,
            layout: SeriesLayout::new(scenario),
            schedule: Schedule::new(scenario),
            keys: StreamKeys::new(scenario, seed),
        }
    }

    /// Recorded steps.
    pub fn steps(&self) -> usize {
        self.scenario.timeline.steps()
    }

    /// Length of one run's record: steps × series.
    pub fn record_len(&self) -> usize {
        self.steps() * self.layout.len()
    }

    /// The date of each recorded step (its last day).
    pub fn dates(&self) -> Vec<Date> {
        let timeline = self.scenario.timeline;
        (0..timeline.steps())
            .map(|s| timeline.step_date(s))
            .collect()
    }
}

/// Simulates run `run` (spin-up first, unrecorded) and records every series into `record`, as
/// `record[step * series + s]` (`record` must have [`Prepared::record_len`] values).
pub fn run_once(prepared: &Prepared, run: u32, record: &mut [f64]) {
    let n = prepared.layout.len();
    let mut model = Model::new(prepared.scenario, &prepared.keys, run);
    model.spin_up();
    for (step, row) in record.chunks_exact_mut(n.max(1)).enumerate() {
        model.step(prepared.schedule.at(step));
        model.observe(&prepared.layout, row);
    }
}

/// Simulates the [`BATCH`] runs `runs` together ([`Model::batch`]) and records each into
/// the record of its lane, as [`run_once`] does: the same records, in less time per run.
pub fn run_batch(prepared: &Prepared, runs: [u32; BATCH], records: [&mut [f64]; BATCH]) {
    let n = prepared.layout.len().max(1);
    let mut model = Model::batch(prepared.scenario, &prepared.keys, runs);
    model.spin_up();
    let mut rows = records.map(|record| record.chunks_exact_mut(n));
    for step in 0..prepared.steps() {
        model.step(prepared.schedule.at(step));
        if let [Some(a), Some(b), Some(c), Some(d)] = rows.each_mut().map(Iterator::next) {
            model.observe_runs(&prepared.layout, [a, b, c, d]);
        }
    }
}

/// Simulates runs `runs` one after the other on this thread, [`BATCH`] at a time
/// ([`run_batch`]) and the last few alone ([`run_once`]), and hands each run's record to
/// `sink` in run order. Stops early when `sink` returns `false`; returns whether every run
/// was handed over.
pub fn each_run(
    prepared: &Prepared,
    runs: std::ops::Range<u32>,
    mut sink: impl FnMut(u32, &[f64]) -> bool,
) -> bool {
    let mut records: [Vec<f64>; BATCH] = std::array::from_fn(|_| vec![0.0; prepared.record_len()]);
    let mut first = runs.start;
    while first < runs.end {
        let count = (runs.end - first).min(BATCH as u32);
        if count == BATCH as u32 {
            let [a, b, c, d] = &mut records;
            run_batch(
                prepared,
                std::array::from_fn(|i| first + i as u32),
                [a, b, c, d],
            );
        } else {
            for (i, record) in records.iter_mut().take(count as usize).enumerate() {
                run_once(prepared, first + i as u32, record);
            }
        }
        for (i, record) in records.iter().take(count as usize).enumerate() {
            if !sink(first + i as u32, record) {
                return false;
            }
        }
        first += count;
    }
    true
}

/// Options of an ensemble.
pub struct EnsembleOptions<'a> {
    /// Number of runs.
    pub runs: u32,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Called after each finished run (progress reporting).
    pub on_run: Option<&'a (dyn Fn() + Sync)>,
    /// Set to stop early; the ensemble then returns [`RunError::Interrupted`].
    pub cancel: Option<&'a AtomicBool>,
}

/// Why an ensemble did not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// Stopped by the cancel flag (Ctrl-C).
    #[error("interrupted")]
    Interrupted,
    /// The worker threads could not be started.
    #[error("cannot start {threads} worker threads: {reason}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// The system's answer.
        reason: String,
    },
}

/// The worker pool for `threads` threads (0: one per core), built once per thread count and
/// kept for the life of the process: sweeps, calibrations and the live page run thousands of
/// small ensembles, and starting threads for each costs more than some of them.
pub fn pool(threads: usize) -> Result<std::sync::Arc<rayon::ThreadPool>, RunError> {
    use std::sync::{Arc, Mutex};
    static POOLS: Mutex<Vec<(usize, Arc<rayon::ThreadPool>)>> = Mutex::new(Vec::new());
    // A poisoned lock only means another thread panicked while holding it; the list is intact.
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, pool)) = pools.iter().find(|(n, _)| *n == threads) {
        return Ok(Arc::clone(pool));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| RunError::Threads {
            threads,
            reason: e.to_string(),
        })?;
    let pool = Arc::new(pool);
    pools.push((threads, Arc::clone(&pool)));
    Ok(pool)
}

/// Runs per batch and worker thread: enough to keep every worker busy, few enough that the
/// records in flight stay small; a multiple of [`BATCH`], so that every worker simulates its
/// runs four at a time.
pub(crate) const RUNS_PER_THREAD_BATCH: usize = 2 * BATCH;

/// Simulates runs `0 … runs−1` of every prepared scenario in parallel and hands the records of
/// each run index — one per scenario, in the order given — to `sink`, in run order. Runs of
/// the same index use the same streams in every scenario (common random numbers), so `sink`
/// sees paired runs. At most two batches of runs are in memory at once.
pub fn for_each_run(
    prepared: &[&Prepared],
    options: &EnsembleOptions,
    mut sink: impl FnMut(u32, &[&[f64]]) + Send,
) -> Result<(), RunError> {
    let pool = pool(options.threads)?;
    let threads = pool.current_num_threads().max(1);
    let batch = (threads * RUNS_PER_THREAD_BATCH)
        .min(options.runs as usize)
        .max(1);
    let lengths: Vec<usize> = prepared.iter().map(|p| p.record_len()).collect();
    let new_buffers = || -> Vec<Vec<Vec<f64>>> {
        (0..batch)
            .map(|_| lengths.iter().map(|&len| vec![0.0; len]).collect())
            .collect()
    };
    let cancelled = || options.cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    // Fills `buffers` with runs `first …` (as many as there are buffers, up to `runs`): four
    // runs at a time ([`run_batch`]) when there are enough for every worker to take four, else
    // one by one, so that a few runs still spread over the workers.
    let compute = |buffers: &mut [Vec<Vec<f64>>], first: u32| {
        let left = (options.runs - first.min(options.runs)) as usize;
        let size = if left.min(buffers.len()) >= threads * BATCH {
            BATCH
        } else {
            1
        };
        buffers
            .par_chunks_mut(size)
            .enumerate()
            .for_each(|(c, chunk)| {
                let first = first as usize + c * size;
                let live = (options.runs as usize)
                    .saturating_sub(first)
                    .min(chunk.len());
                if live == 0 || cancelled() {
                    return;
                }
                let runs: [u32; BATCH] = std::array::from_fn(|i| (first + i) as u32);
                if let ([a, b, c, d], BATCH) = (&mut *chunk, live) {
                    for (s, p) in prepared.iter().enumerate() {
                        run_batch(p, runs, [&mut a[s], &mut b[s], &mut c[s], &mut d[s]]);
                    }
                } else {
                    for (records, run) in chunk.iter_mut().take(live).zip(runs) {
                        for (p, record) in prepared.iter().zip(records.iter_mut()) {
                            run_once(p, run, record);
                        }
                    }
                }
                if let Some(tick) = options.on_run {
                    (0..live).for_each(|_| tick());
                }
            });
    };
    let mut ready = new_buffers();
    let mut next = new_buffers();
    pool.install(|| {
        compute(&mut ready, 0);
        let mut first = 0u32;
        while first < options.runs && !cancelled() {
            let following = first.saturating_add(batch as u32);
            // Summarise this batch while the workers simulate the next one.
            rayon::join(
                || {
                    let count = (options.runs - first).min(batch as u32);
                    for (i, records) in ready.iter().take(count as usize).enumerate() {
                        let views: Vec<&[f64]> = records.iter().map(|r| r.as_slice()).collect();
                        sink(first + i as u32, &views);
                    }
                },
                || {
                    if following < options.runs {
                        compute(&mut next, following);
                    }
                },
            );
            std::mem::swap(&mut ready, &mut next);
            first = following;
        }
    });
    if cancelled() {
        return Err(RunError::Interrupted);
    }
    Ok(())
}
