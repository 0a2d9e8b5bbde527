//! What the page changed in a scenario, as the parts of a what-if file (`[set]`,
//! `remove_events`, added `[[event]]`s), and how those changes are loaded: the page's
//! settings become what-if text that goes through the same loader and validation as a file
//! on disk, so the page runs exactly what an exported what-if runs.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;

use super::catalog::{Catalog, Entry};
use super::error::UiError;
use crate::scenario::{EventSpec, Loaded, ScenarioError, parse_value};
use crate::targets::Target;

/// Most overrides, removed or added events in one request: far more than a page has
/// controls for.
pub const MAX_CHANGES: usize = 2_000;

/// Longest key or value text accepted.
pub const MAX_TEXT: usize = 2_000;

/// A scenario of the catalog and what the page changed in it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Catalog id of the scenario.
    pub scenario: String,
    /// Overrides by dotted key; each value is written as `--set KEY=VALUE` takes it (TOML
    /// text: `0.1`, `false`, `2013-06-01`).
    #[serde(default)]
    pub set: IndexMap<String, String>,
    /// Ids of events switched off.
    #[serde(default)]
    pub remove_events: Vec<String>,
    /// Events added, as `[[event]]` tables.
    #[serde(default)]
    pub add_events: Vec<EventSpec>,
}

/// A name a virtual what-if is given next to its base: messages name it, nothing is written.
const VIRTUAL_FILE: &str = ".liaison-ui.toml";

impl Settings {
    /// Checks the sizes of the request's parts (not their meaning: the loader does that).
    pub fn check_sizes(&self) -> Result<(), UiError> {
        let count = self.set.len() + self.remove_events.len() + self.add_events.len();
        if count > MAX_CHANGES {
            return Err(UiError::bad_request(format!(
                "{count} changes, expected at most {MAX_CHANGES}"
            )));
        }
        let texts = self
            .set
            .iter()
            .flat_map(|(k, v)| [k, v])
            .chain(&self.remove_events)
            .chain(std::iter::once(&self.scenario));
        if let Some(long) = texts.into_iter().find(|t| t.len() > MAX_TEXT) {
            let head: String = long.chars().take(40).collect();
            return Err(UiError::bad_request(format!(
                "`{head}…` is {} bytes long, expected at most {MAX_TEXT}",
                long.len()
            )));
        }
        Ok(())
    }

    /// The what-if file of these settings, extending `extends` (a path relative to where the
    /// file is read). `extra` entries go into `[set]` after the page's own (seed and runs).
    pub fn what_if(
        &self,
        extends: &str,
        header: &str,
        name: Option<&str>,
        extra: &[(&str, toml::Value)],
    ) -> Result<String, UiError> {
        let mut file = toml::Table::new();
        file.insert("extends".into(), extends.into());
        if let Some(name) = name {
            file.insert("name".into(), name.into());
        }
        if !self.remove_events.is_empty() {
            file.insert(
                "remove_events".into(),
                toml::Value::Array(
                    self.remove_events
                        .iter()
                        .map(|id| toml::Value::from(id.as_str()))
                        .collect(),
                ),
            );
        }
        let mut set = toml::Table::new();
        for (key, value) in &self.set {
            set.insert(key.trim().to_string(), parse_value(value));
        }
        for (key, value) in extra {
            set.insert(key.to_string(), value.clone());
        }
        if !set.is_empty() {
            file.insert("set".into(), toml::Value::Table(set));
        }
        if !self.add_events.is_empty() {
            // Through text, so dates are written as TOML dates.
            let events = self
                .add_events
                .iter()
                .map(|event| {
                    let text = toml::to_string(event).map_err(|e| e.to_string())?;
                    text.parse::<toml::Table>()
                        .map(toml::Value::Table)
                        .map_err(|e| e.to_string())
                })
                .collect::<Result<Vec<_>, String>>()
                .map_err(|e| UiError::bad_request(format!("add_events: {e}")))?;
            file.insert("event".into(), toml::Value::Array(events));
        }
        let text = toml::to_string(&file)
            .map_err(|e| UiError::internal(format!("cannot write the what-if: {e}")))?;
        Ok(format!("{header}{text}"))
    }

    /// Loads these settings: the what-if text, read as if it sat next to the base scenario,
    /// through the same loader as `liaison run`; then the targets. Errors keep their key.
    pub fn load(&self, catalog: &Catalog) -> Result<(Loaded, Vec<Target>), UiError> {
        let entry = self.entry(catalog)?;
        let file_name = entry
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| UiError::internal("the scenario has no file name"))?;
        let text = self.what_if(&file_name, "", None, &[])?;
        let path = entry.path.with_file_name(VIRTUAL_FILE);
        load_text(&path, &text)
    }

    /// The catalog entry of [`Settings::scenario`].
    pub fn entry<'c>(&self, catalog: &'c Catalog) -> Result<&'c Entry, UiError> {
        catalog.get(&self.scenario).ok_or_else(|| {
            UiError::invalid(
                Some("scenario".into()),
                format!("no scenario `{}` is offered here", self.scenario),
            )
        })
    }
}

/// Loads what-if `text` as if it were the file `path`, and compiles its targets.
pub fn load_text(path: &Path, text: &str) -> Result<(Loaded, Vec<Target>), UiError> {
    let loaded = crate::scenario::load_text(path, text, &[]).map_err(UiError::scenario)?;
    let targets = crate::targets::compile(&loaded.scenario)
        .map_err(|e| UiError::scenario(loaded.locate(e)))?;
    Ok((loaded, targets))
}

/// `target` written relative to the folder `from` (both made absolute first), so a what-if
/// saved in `from` can `extends` it; the absolute path when no relative one exists.
pub fn relative_path(from: &Path, target: &Path) -> PathBuf {
    let absolute = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (from, target) = (absolute(from), absolute(target));
    let from_parts: Vec<_> = from.components().collect();
    let target_parts: Vec<_> = target.components().collect();
    let common = from_parts
        .iter()
        .zip(&target_parts)
        .take_while(|(a, b)| a == b)
        .count();
    // Sharing only the root: the absolute path is clearer than a climb to `/`.
    if common <= 1 {
        return target;
    }
    let mut relative = PathBuf::new();
    for _ in common..from_parts.len() {
        relative.push("..");
    }
    for part in &target_parts[common..] {
        relative.push(part);
    }
    relative
}

impl UiError {
    /// A scenario error, reported with its key so the page shows it next to its control.
    pub fn scenario(error: ScenarioError) -> UiError {
        UiError::invalid(error.key.clone(), error.message.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        let mut set = IndexMap::new();
        set.insert("event.fogle.public".to_string(), "false".to_string());
        set.insert("params.trust_drift".to_string(), "0.03".to_string());
        Settings {
            scenario: "x".into(),
            set,
            remove_events: vec!["crimea".into()],
            add_events: Vec::new(),
        }
    }

    #[test]
    fn what_if_text_has_every_part_as_a_file_writes_it() {
        let text = settings()
            .what_if(
                "../us.toml",
                "# made here\n",
                Some("Tweaked"),
                &[("run.seed", toml::Value::Integer(7))],
            )
            .unwrap();
        assert!(
            text.starts_with("# made here\nextends = \"../us.toml\"\n"),
            "{text}"
        );
        assert!(text.contains("remove_events = [\"crimea\"]"), "{text}");
        assert!(
            text.contains("[set]\n\"event.fogle.public\" = false\n"),
            "{text}"
        );
        assert!(text.contains("\"params.trust_drift\" = 0.03"), "{text}");
        assert!(text.contains("\"run.seed\" = 7"), "{text}");
    }

    #[test]
    fn added_events_are_written_with_toml_dates() {
        let mut s = settings();
        s.add_events.push(
            serde_json::from_str(
                r#"{"id":"x","date":"2014-01-02","kind":"leak","channels":["ct"],"services":["ru"],"label":"X"}"#,
            )
            .unwrap(),
        );
        let text = s.what_if("b.toml", "", None, &[]).unwrap();
        assert!(
            text.contains("[[event]]\nid = \"x\"\ndate = 2014-01-02\n"),
            "{text}"
        );
    }

    #[test]
    fn relative_paths_climb_to_the_common_folder() {
        let root = tempfile::tempdir().unwrap();
        let a = root.path().join("output/ui");
        let b = root.path().join("scenarios/what-if");
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(b.join("x.toml"), "").unwrap();
        assert_eq!(
            relative_path(&a, &b.join("x.toml")),
            Path::new("../../scenarios/what-if/x.toml")
        );
    }

    #[test]
    fn oversized_requests_are_refused() {
        let mut s = settings();
        s.set.insert("k".into(), "x".repeat(MAX_TEXT + 1));
        assert_eq!(s.check_sizes().unwrap_err().status, 400);
    }
}
