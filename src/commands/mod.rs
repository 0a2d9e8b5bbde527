//! The commands behind the command line: each composes scenario loading, the runner and the
//! outputs, and prints a short report.

pub mod calibrate;
pub mod check;
pub mod compare;
pub mod progress;
pub mod run;
pub mod sweep;

use std::path::{Path, PathBuf};

use crate::output::{StagedFolder, manifest};

use crate::scenario::{self, Loaded, ScenarioError};
use crate::targets::{self, Target};

/// Loads a scenario with overrides and compiles its targets; every error is located.
pub fn load(path: &Path, sets: &[String]) -> Result<(Loaded, Vec<Target>), ScenarioError> {
    let loaded = scenario::load_with(path, sets)?;
    let targets = targets::compile(&loaded.scenario).map_err(|e| loaded.locate(e))?;
    Ok((loaded, targets))
}

/// The folder name of a scenario file: its stem.
pub fn stem(path: &Path) -> String {
    crate::output::safe_name(
        &path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )
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
        eprintln!("interrupted: no output written");
        return Ok(None);
    }
    folder.commit().map(Some)
}
