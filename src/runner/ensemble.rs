//! An ensemble summarised as it runs: every run is added to an [`Accumulator`] and judged
//! against every target on its own curves, then dropped. Memory does not grow with the
//! number of runs.

use super::{EnsembleOptions, Prepared, RunError, for_each_run};
use crate::aggregate::{Accumulator, Summary};
use crate::targets::{Measurement, Outcome, Target, measure, outcome};

/// The summary of an ensemble and its targets' outcomes.
#[derive(Debug, Clone)]
pub struct EnsembleResult {
    /// Per-step statistics of every series of the scenario.
    pub summary: Summary,
    /// Each target, measured on the ensemble's statistic curve, with the share of runs in
    /// which it holds.
    pub outcomes: Vec<Outcome>,
}

/// Curves a target reads beyond the recorded series: the run-by-run mean of several series.
#[derive(Debug, Clone, PartialEq)]
struct Derived {
    members: Vec<usize>,
}

/// For each target, the column of its curve and of its `other` curve in the extended record
/// (recorded series, then derived ones).
struct Columns {
    derived: Vec<Derived>,
    of_target: Vec<(usize, usize)>,
}

impl Columns {
    fn new(targets: &[Target], recorded: usize) -> Columns {
        let mut derived: Vec<Derived> = Vec::new();
        let mut column = |members: &[usize]| -> usize {
            if let [single] = members {
                return *single;
            }
            let wanted = Derived {
                members: members.to_vec(),
            };
            let index = derived
                .iter()
                .position(|d| *d == wanted)
                .unwrap_or_else(|| {
                    derived.push(wanted);
                    derived.len() - 1
                });
            recorded + index
        };
        let of_target = targets
            .iter()
            .map(|t| (column(&t.series), column(&t.other_series)))
            .collect();
        Columns { derived, of_target }
    }
}

/// Copies a run's record into `extended` (`[step * columns + c]`) and appends the derived
/// curves.
fn extend(record: &[f64], recorded: usize, derived: &[Derived], extended: &mut [f64]) {
    let columns = recorded + derived.len();
    for (row, out) in record
        .chunks_exact(recorded.max(1))
        .zip(extended.chunks_exact_mut(columns.max(1)))
    {
        out[..recorded].copy_from_slice(row);
        for (d, slot) in derived.iter().zip(&mut out[recorded..]) {
            *slot = d.members.iter().map(|&m| row[m]).sum::<f64>() / d.members.len() as f64;
        }
    }
}

/// Column `c` of an extended record (or of a summary's statistic) as a curve.
fn column_of(extended: &[f64], columns: usize, c: usize, curve: &mut Vec<f64>) {
    curve.clear();
    curve.extend(extended.chunks_exact(columns).map(|row| row[c]));
}

/// Summarises the runs of one prepared scenario as they are handed over, in run order: the
/// per-step statistics and, for every target, in how many runs it holds. [`ensemble`] is
/// this fed by [`for_each_run`]; callers that run several scenarios side by side (the
/// `liaison ui` page) feed it one of them and get exactly what [`ensemble`] would return.
pub struct Summariser<'a> {
    prepared: &'a Prepared<'a>,
    targets: &'a [Target],
    columns: Columns,
    width: usize,
    dates: Vec<crate::scenario::Date>,
    accumulator: Accumulator,
    extended: Vec<f64>,
    holding: Vec<u64>,
    curves: (Vec<f64>, Vec<f64>),
}

impl<'a> Summariser<'a> {
    /// A summariser for up to `runs` runs of `prepared`, judged against `targets`.
    pub fn new(prepared: &'a Prepared<'a>, targets: &'a [Target], runs: u32) -> Summariser<'a> {
        let recorded = prepared.layout.len();
        let steps = prepared.steps();
        let columns = Columns::new(targets, recorded);
        let width = recorded + columns.derived.len();
        Summariser {
            prepared,
            targets,
            width,
            dates: prepared.dates(),
            accumulator: Accumulator::new(width, steps, runs as usize),
            extended: vec![0.0; steps * width],
            holding: vec![0u64; targets.len()],
            curves: (Vec::new(), Vec::new()),
            columns,
        }
    }

    /// Adds one run's record (as written by [`super::run_once`]).
    pub fn add(&mut self, record: &[f64]) {
        let recorded = self.prepared.layout.len();
        extend(record, recorded, &self.columns.derived, &mut self.extended);
        self.accumulator.add(&self.extended);
        let (curve, other) = &mut self.curves;
        for ((target, &(c, o)), held) in self
            .targets
            .iter()
            .zip(&self.columns.of_target)
            .zip(&mut self.holding)
        {
            column_of(&self.extended, self.width, c, curve);
            column_of(&self.extended, self.width, o, other);
            *held += u64::from(measure(&target.spec, &self.dates, curve, other).holds());
        }
    }

    /// The statistics of the runs added, and every target measured on them.
    pub fn finish(self) -> EnsembleResult {
        let Summariser {
            prepared,
            targets,
            columns,
            dates,
            accumulator,
            holding,
            ..
        } = self;
        let recorded = prepared.layout.len();
        let runs = accumulator.runs_added().max(1) as f64;
        let mut names = prepared.layout.names.clone();
        names.extend((0..columns.derived.len()).map(|i| format!("derived.{i}")));
        let all = accumulator.finish(names, dates.clone());
        let horizon = (
            prepared.scenario.timeline.start,
            prepared.scenario.timeline.end,
        );
        let outcomes = targets
            .iter()
            .zip(&columns.of_target)
            .zip(&holding)
            .map(|((target, &(c, o)), &held)| {
                let statistic = |column: usize| -> Vec<f64> {
                    all.series(column)
                        .iter()
                        .map(|s| s.get(&target.spec.statistic).unwrap_or(f64::NAN))
                        .collect()
                };
                let measured: Measurement =
                    measure(&target.spec, &dates, &statistic(c), &statistic(o));
                outcome(
                    target,
                    &prepared.layout,
                    horizon,
                    measured,
                    held as f64 / runs,
                )
            })
            .collect();
        let summary = all.select(&(0..recorded).collect::<Vec<_>>());
        EnsembleResult { summary, outcomes }
    }
}

/// Runs the ensemble of `prepared`, summarising every run as it finishes, and measures every
/// target on the ensemble's statistic curve and on each run.
pub fn ensemble(
    prepared: &Prepared,
    targets: &[Target],
    options: &EnsembleOptions,
) -> Result<EnsembleResult, RunError> {
    let mut summariser = Summariser::new(prepared, targets, options.runs);
    for_each_run(&[prepared], options, |_, records| {
        summariser.add(records[0])
    })?;
    Ok(summariser.finish())
}
