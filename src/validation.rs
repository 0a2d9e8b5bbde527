//! Validation against history: every target of several scenarios, on several seeds, with the
//! parameters as they are. The bundled historical cases (`scenarios/cases/`) and the reference
//! case are judged this way in `docs/validation.md`; users judge their own sets of cases the
//! same way with `liaison validate`.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::runner::{EnsembleOptions, Prepared, RunError, ensemble};
use crate::scenario::ScenarioError;
use crate::targets::Outcome;

/// One target of a scenario, judged on every seed.
#[derive(Debug, Clone)]
pub struct TargetResult {
    /// Target id.
    pub id: String,
    /// What history did, in words.
    pub description: String,
    /// The outcome on each seed, in the order of [`CaseResult::seeds`].
    pub outcomes: Vec<Outcome>,
}

impl TargetResult {
    /// Whether the target holds on every seed.
    pub fn holds_everywhere(&self) -> bool {
        self.outcomes.iter().all(|o| o.pass)
    }
}

/// Every target of one scenario on every seed.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The scenario file.
    pub path: PathBuf,
    /// The scenario's name.
    pub name: String,
    /// The seeds, in order.
    pub seeds: Vec<u64>,
    /// Runs per ensemble.
    pub runs: u32,
    /// One row per target, in file order.
    pub targets: Vec<TargetResult>,
}

impl CaseResult {
    /// (targets × seeds that hold, targets × seeds).
    pub fn tally(&self) -> (usize, usize) {
        let all = self.targets.iter().flat_map(|t| &t.outcomes);
        let total = self.targets.len() * self.seeds.len();
        (all.filter(|o| o.pass).count(), total)
    }
}

/// Why a validation stopped.
#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    /// A scenario did not load.
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// The ensembles stopped.
    #[error("{0}")]
    Run(#[from] RunError),
}

/// Runs `path` with each of `seeds` (none: the scenario's own seed) and `runs` runs (none:
/// the scenario's), and judges every target on each.
pub fn validate(
    path: &Path,
    seeds: &[u64],
    runs: Option<u32>,
    threads: usize,
    cancel: Option<&AtomicBool>,
) -> Result<CaseResult, ValidationError> {
    let (loaded, targets) = crate::commands::load(path, &[])?;
    let scenario = &loaded.scenario;
    let seeds = if seeds.is_empty() {
        vec![scenario.seed]
    } else {
        seeds.to_vec()
    };
    let runs = runs.unwrap_or(scenario.runs);
    let mut rows: Vec<TargetResult> = targets
        .iter()
        .map(|t| TargetResult {
            id: t.spec.id.clone(),
            description: t.spec.description.clone(),
            outcomes: Vec::new(),
        })
        .collect();
    for &seed in &seeds {
        let prepared = Prepared::new(scenario, seed);
        let options = EnsembleOptions {
            runs,
            threads,
            on_run: None,
            cancel,
        };
        let result = ensemble(&prepared, &targets, &options)?;
        for (row, outcome) in rows.iter_mut().zip(result.outcomes) {
            row.outcomes.push(outcome);
        }
    }
    Ok(CaseResult {
        path: path.to_path_buf(),
        name: scenario.name.clone(),
        seeds,
        runs,
        targets: rows,
    })
}
