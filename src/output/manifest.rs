//! `manifest.json`: everything needed to reproduce an output folder — program version,
//! command line, scenario files and their SHA-256, seed, runs, threads, overrides, every
//! effective parameter, and the SHA-256 of each file written.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::scenario::Loaded;

/// One input file.
#[derive(Debug, Serialize)]
pub struct InputFile {
    /// Path as read.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
}

/// One output file and its digest.
#[derive(Debug, Serialize)]
pub struct OutputFile {
    /// File name in the folder.
    pub file: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
}

/// The manifest of a run or comparison.
#[derive(Debug, Serialize)]
pub struct Manifest {
    /// `liaison`.
    pub program: &'static str,
    /// Crate version.
    pub version: &'static str,
    /// What produced the folder: `run` or `compare`.
    pub command: String,
    /// The command line, to run again.
    pub reproduce: String,
    /// Master seed.
    pub seed: u64,
    /// Runs per scenario.
    pub runs: u32,
    /// Worker threads used (outputs do not depend on it).
    pub threads: usize,
    /// How the quantiles were computed (exact, or streamed with its error bound).
    pub quantiles: String,
    /// Scenarios (and their variants) with their inputs and effective parameters.
    pub scenarios: Vec<ScenarioRecord>,
    /// Files written, with their digests (the manifest itself excluded).
    pub files: Vec<OutputFile>,
}

impl Manifest {
    /// A manifest for `command`; the file digests are filled in when the folder is complete.
    pub fn new(
        command: &str,
        reproduce: String,
        seed: u64,
        runs: u32,
        threads: usize,
        scenarios: Vec<ScenarioRecord>,
    ) -> Manifest {
        Manifest {
            program: "liaison",
            version: env!("CARGO_PKG_VERSION"),
            command: command.to_string(),
            reproduce,
            seed,
            runs,
            threads,
            quantiles: crate::aggregate::QuantileMethod::Exact.to_string(),
            scenarios,
            files: Vec::new(),
        }
    }
}

/// One scenario as it was run.
#[derive(Debug, Serialize)]
pub struct ScenarioRecord {
    /// Name in outputs (file stem or variant name).
    pub name: String,
    /// The scenario file as given.
    pub path: String,
    /// The file and every file it extends.
    pub sources: Vec<InputFile>,
    /// `--set` and variant overrides, in order.
    pub overrides: Vec<String>,
    /// The effective scenario (after `extends` and overrides): every parameter, every event.
    pub effective: serde_json::Value,
}

impl ScenarioRecord {
    /// Describes a loaded scenario.
    pub fn new(name: &str, loaded: &Loaded) -> anyhow::Result<ScenarioRecord> {
        Ok(ScenarioRecord {
            name: name.to_string(),
            path: loaded
                .sources
                .first()
                .map(|s| s.path.display().to_string())
                .unwrap_or_default(),
            sources: loaded
                .sources
                .iter()
                .map(|s| InputFile {
                    path: s.path.display().to_string(),
                    sha256: s.sha256.clone(),
                })
                .collect(),
            overrides: loaded.overrides.clone(),
            effective: plain_dates(serde_json::to_value(&loaded.scenario.effective)?),
        })
    }
}

/// The key under which the `toml` crate serialises a date to formats other than TOML.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

/// `value` with every date written as a plain `"2013-06-06"` string: scenario dates serialise as
/// TOML dates (so effective scenarios stay idiomatic TOML), which JSON would otherwise show as
/// an object with the `toml` crate's private key.
fn plain_dates(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            if map.len() == 1 {
                if let Some(Value::String(date)) = map.get(TOML_DATETIME_KEY) {
                    return Value::String(date.clone());
                }
            }
            Value::Object(map.into_iter().map(|(k, v)| (k, plain_dates(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(plain_dates).collect()),
        other => other,
    }
}

/// SHA-256 of a file, hex-encoded.
pub fn file_sha256(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Lists the files of `folder` (sorted) with their digests.
pub fn digest_folder(folder: &Path) -> anyhow::Result<Vec<OutputFile>> {
    let mut names: Vec<String> = std::fs::read_dir(folder)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "manifest.json")
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|file| {
            let sha256 = file_sha256(&folder.join(&file))?;
            Ok(OutputFile { file, sha256 })
        })
        .collect()
}

/// Writes the manifest as pretty JSON.
pub fn write(path: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(manifest)?;
    std::fs::write(path, text + "\n").with_context(|| format!("cannot write `{}`", path.display()))
}

/// The effective scenario as a TOML file that `liaison run` accepts as is.
pub fn write_effective_scenario(path: &Path, loaded: &Loaded) -> anyhow::Result<()> {
    let header = "# The effective scenario of this output folder (after `extends` and `--set`).\n\
                  # `liaison run` on this file with the manifest's seed and runs reproduces summary.csv.\n\n";
    let text = toml::to_string(&loaded.scenario.effective)
        .context("cannot serialise the effective scenario")?;
    std::fs::write(path, format!("{header}{text}"))
        .with_context(|| format!("cannot write `{}`", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_writes_scenario_dates_as_plain_strings() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/us-russia-2011-2017.toml");
        let loaded = crate::scenario::load(&path).expect("the bundled scenario loads");
        let record = ScenarioRecord::new("us-russia", &loaded).expect("record");
        let json = serde_json::to_string(&record.effective).expect("json");
        assert!(!json.contains(TOML_DATETIME_KEY), "{json}");
        let first = &record.effective["event"][0]["date"];
        assert!(
            first
                .as_str()
                .is_some_and(|d| d.len() == 10 && d.starts_with("20")),
            "{first}"
        );
    }
}
