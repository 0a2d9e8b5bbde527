//! The commands behind the command line: each composes scenario loading, the runner and the
//! outputs, and prints a short report.

pub mod calibrate;
pub mod check;
pub mod compare;
pub mod console;
pub mod gallery;
pub mod progress;
pub mod run;
pub mod sweep;
pub mod ui;
pub mod validate;

use std::path::{Path, PathBuf};

use crate::output::{StagedFolder, manifest};

use crate::runner::{RunError, budget};
use crate::scenario::{self, Date, Loaded, Scenario, ScenarioError};
use crate::targets::{self, Target};

/// Loads a scenario with overrides and compiles its targets; every error is located.
pub fn load(path: &Path, sets: &[String]) -> Result<(Loaded, Vec<Target>), ScenarioError> {
    load_until(path, sets, None)
}

/// Like [`load`], cutting the scenario short on `end` (`--end`) and saying on standard error
/// what was dropped.
pub fn load_until(
    path: &Path,
    sets: &[String],
    end: Option<Date>,
) -> Result<(Loaded, Vec<Target>), ScenarioError> {
    let loaded = scenario::load_until(path, sets, end)?;
    if let Some(cut) = &loaded.cut {
        console::error(&format!("note: {}: {}", path.display(), cut.describe()));
    }
    let targets = targets::compile(&loaded.scenario).map_err(|e| loaded.locate(e))?;
    Ok((loaded, targets))
}

/// The folder name of a scenario file: its stem, made safe; `scenario` if nothing of it is
/// usable (a stem of only punctuation).
pub fn stem(path: &Path) -> String {
    let name = crate::output::safe_name(
        &path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    if name.is_empty() {
        "scenario".into()
    } else {
        name
    }
}

/// Refuses ensemble work whose estimated memory exceeds what the machine has available, with
/// the estimate and the way out.
pub fn check_memory(scenarios: &[&Scenario], runs: u32, threads: usize) -> anyhow::Result<()> {
    let estimate = budget::estimate(scenarios, runs, threads);
    let available = budget::available_bytes();
    if estimate.bytes() > available {
        let steps: usize = scenarios
            .iter()
            .map(|s| s.timeline.steps())
            .max()
            .unwrap_or(0);
        let officers: u64 = scenarios
            .iter()
            .flat_map(|s| s.desks.iter().map(|d| u64::from(d.population.count)))
            .sum();
        anyhow::bail!(
            "this work needs about {} of memory ({} for the runs in flight: {officers} officers \
             × {threads} threads, {steps} steps; {} for the statistics of {} runs), more than \
             the {} available: use fewer --threads or --runs, a shorter horizon \
             (--end DATE) or longer steps (horizon.step_days), or fewer officers",
            budget::format_bytes(estimate.bytes()),
            budget::format_bytes(estimate.workers),
            budget::format_bytes(estimate.statistics),
            runs,
            budget::format_bytes(available),
        );
    }
    Ok(())
}

/// The result of ensemble work: `None` when interrupted by Ctrl-C (or SIGTERM, SIGHUP), after
/// saying so; an error message when the worker threads could not start.
pub fn finished<T>(result: Result<T, RunError>) -> anyhow::Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(RunError::Interrupted) => {
            console::error("interrupted: no output written");
            Ok(None)
        }
        Err(RunError::Threads { threads, reason }) => anyhow::bail!(
            "cannot start {threads} worker threads ({reason}): try a smaller --threads"
        ),
    }
}

/// Starts an output folder `<out>/<name>`: installs the signal handler first, so that an
/// interruption while writing removes the staging folder instead of leaving it behind.
pub fn stage(out: &Path, name: &str) -> anyhow::Result<StagedFolder> {
    progress::interrupt_flag();
    StagedFolder::new(out, name)
}

/// Completes an output folder: writes `manifest.json` with the digests of every file written,
/// then moves the folder into place — unless Ctrl-C was pressed, in which case nothing is left
/// and `None` is returned.
pub fn finish(
    folder: StagedFolder,
    mut record: manifest::Manifest,
) -> anyhow::Result<Option<PathBuf>> {
    record.files = manifest::digest_folder(&folder.file(""))?;
    manifest::write(&folder.file("manifest.json"), &record)?;
    if progress::interrupted() {
        console::error("interrupted: no output written");
        return Ok(None);
    }
    folder.commit().map(Some)
}
