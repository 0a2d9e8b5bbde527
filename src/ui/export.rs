//! Export: the page's changes as a what-if file that `liaison run` reproduces, and the
//! `summary.csv` of the same settings, written into `<out>/ui/` and nowhere else.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::catalog::Catalog;
use super::changes::relative_path;
use super::error::UiError;
use super::evaluate::{Limits, RunRequest, evaluate};
use super::report::summary_csv;
use crate::output::safe_name;
use crate::scenario::RunSettings;

/// What an export wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    /// The file name chosen (sanitised).
    pub name: String,
    /// Where the what-if was written.
    pub what_if_path: String,
    /// Its text.
    pub what_if: String,
    /// Where the summary was written.
    pub summary_path: String,
    /// `summary.csv` of the settings, byte for byte what `liaison run` of the what-if writes.
    pub summary_csv: String,
    /// The command that reproduces the summary.
    pub reproduce: String,
}

/// Runs the current settings of `request` (the baseline is ignored) and writes
/// `<out>/ui/<name>.toml` and `<out>/ui/<name>.summary.csv`. The what-if is read back from
/// disk and must give the same effective scenario as the page, or nothing is kept.
pub fn export(
    catalog: &Catalog,
    request: &RunRequest,
    limits: &Limits,
    out: &Path,
    cancel: &AtomicBool,
) -> Result<Exported, UiError> {
    let settings = &request.current;
    let entry = settings.entry(catalog)?;
    let wanted = request
        .name
        .clone()
        .unwrap_or_else(|| format!("{}-tweaked", crate::commands::stem(&entry.path)));
    let name = safe_name(&wanted);
    if name.is_empty() {
        return Err(UiError::invalid(
            Some("name".into()),
            format!("`{wanted}` has no letter or digit, expected a file name like quiet-fogle"),
        ));
    }
    let single = RunRequest {
        baseline: None,
        ..request.clone()
    };
    let evaluation = evaluate(catalog, &single, limits, cancel)?;
    let folder = out.join("ui");
    std::fs::create_dir_all(&folder).map_err(|e| disk(&folder, &e))?;
    let extends = relative_path(&folder, &entry.path)
        .to_string_lossy()
        .replace('\\', "/");
    let file = folder.join(format!("{name}.toml"));
    let header = format!(
        "# Made with `liaison ui` from {} ({}).\n# `liaison run {}` reproduces {name}.summary.csv.\n",
        entry.id,
        entry.name,
        file.display()
    );
    let run = RunSettings {
        seed: evaluation.seed,
        runs: evaluation.runs,
    };
    // A seed above i64::MAX cannot be written as a TOML integer.
    if i64::try_from(run.seed).is_err() {
        return Err(UiError::invalid(
            Some("seed".into()),
            format!(
                "seed {} cannot be written in TOML, expected at most {}",
                run.seed,
                i64::MAX
            ),
        ));
    }
    let text = settings.what_if(
        &extends,
        &header,
        None,
        &[
            ("run.seed", toml::Value::Integer(run.seed as i64)),
            ("run.runs", toml::Value::Integer(i64::from(run.runs))),
        ],
    )?;
    write(&file, &text)?;
    // Read it back as `liaison run` will: a what-if that does not give the page's scenario
    // must not be left behind.
    let (reloaded, _) = crate::commands::load(&file, &[]).map_err(|e| {
        let _ = std::fs::remove_file(&file);
        UiError::internal(format!("the exported what-if does not load (a bug): {e}"))
    })?;
    let mut expected = evaluation.loaded.scenario.effective.clone();
    expected.run = run;
    let same =
        toml::to_string(&expected).ok() == toml::to_string(&reloaded.scenario.effective).ok();
    if !same {
        let _ = std::fs::remove_file(&file);
        return Err(UiError::internal(
            "the exported what-if does not reproduce the page's scenario (a bug): nothing written",
        ));
    }
    let csv_text = summary_csv(&evaluation.result.summary)?;
    let summary = folder.join(format!("{name}.summary.csv"));
    write(&summary, &csv_text)?;
    Ok(Exported {
        name,
        what_if_path: file.display().to_string(),
        what_if: text,
        summary_path: summary.display().to_string(),
        summary_csv: csv_text,
        reproduce: format!("liaison run {}", file.display()),
    })
}

/// Writes `text` to `path` through a temporary file, so a reader never sees half a file.
fn write(path: &Path, text: &str) -> Result<(), UiError> {
    let partial: PathBuf = path.with_extension("partial");
    std::fs::write(&partial, text).map_err(|e| disk(&partial, &e))?;
    std::fs::rename(&partial, path).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        disk(path, &e)
    })
}

fn disk(path: &Path, error: &std::io::Error) -> UiError {
    UiError::internal(format!("cannot write `{}`: {error}", path.display()))
}
