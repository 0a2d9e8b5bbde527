//! The scenarios a page may open: the bundled ones (every `.toml` under `scenarios/`) and
//! those named on the command line, each under a short id. The browser only ever sends an
//! id from this list, so it can never name a file on disk.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::scenario;

/// Deepest folder level searched under the bundled folder (`scenarios/cases/…` is level 1).
const MAX_DEPTH: usize = 3;

/// Most scenario files listed; a folder with more is not a scenario folder.
const MAX_ENTRIES: usize = 500;

/// One scenario the page can open.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Short id the page uses (`us-russia-2011-2017`, `what-if/quiet-fogle`, `cli/my-case`).
    pub id: String,
    /// The scenario's name.
    pub name: String,
    /// Where it is listed: `scenarios`, `what-if`, `cases`, … or `command line`.
    pub group: String,
    /// The file (never sent to the page).
    #[serde(skip)]
    pub path: PathBuf,
}

/// The scenarios offered, in display order.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    entries: Vec<Entry>,
}

impl Catalog {
    /// Lists the scenarios given on the command line first, then every scenario file under
    /// `bundled` (if given), sorted by path. A command-line scenario that does not load is an
    /// error; a bundled file that does not load is skipped and reported in the returned
    /// warnings.
    pub fn new(
        given: &[PathBuf],
        bundled: Option<&Path>,
    ) -> Result<(Catalog, Vec<String>), scenario::ScenarioError> {
        let mut catalog = Catalog::default();
        let mut warnings = Vec::new();
        for path in given {
            let loaded = scenario::load(path)?;
            let stem = crate::commands::stem(path);
            let id = catalog.unique(&format!("cli/{}", non_empty(&stem)));
            catalog.entries.push(Entry {
                id,
                name: loaded.scenario.name,
                group: "command line".into(),
                path: path.clone(),
            });
        }
        if let Some(root) = bundled {
            let mut files = Vec::new();
            toml_files(root, 0, &mut files);
            files.sort();
            for path in files.into_iter().take(MAX_ENTRIES) {
                let relative = path.strip_prefix(root).unwrap_or(&path);
                let id = relative
                    .with_extension("")
                    .components()
                    .map(|c| crate::output::safe_name(&c.as_os_str().to_string_lossy()))
                    .collect::<Vec<_>>()
                    .join("/");
                let group = match relative.parent().and_then(Path::file_name) {
                    Some(folder) => folder.to_string_lossy().into_owned(),
                    None => "scenarios".into(),
                };
                match scenario::load(&path) {
                    Ok(loaded) => {
                        let id = catalog.unique(&id);
                        catalog.entries.push(Entry {
                            id,
                            name: loaded.scenario.name,
                            group,
                            path,
                        });
                    }
                    Err(e) => warnings.push(format!("skipped {}: {e}", path.display())),
                }
            }
        }
        Ok((catalog, warnings))
    }

    /// Every entry, in display order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The entry opened first: the first command-line scenario, else the default scenario,
    /// else the first listed.
    pub fn first(&self) -> Option<&Entry> {
        let default = Path::new(crate::cli::DEFAULT_SCENARIO)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.entries
            .iter()
            .find(|e| e.group == "command line")
            .or_else(|| self.get(&default))
            .or(self.entries.first())
    }

    fn unique(&self, id: &str) -> String {
        let mut candidate = id.to_string();
        let mut n = 2;
        while self.get(&candidate).is_some() {
            candidate = format!("{id}-{n}");
            n += 1;
        }
        candidate
    }
}

fn non_empty(stem: &str) -> &str {
    if stem.is_empty() { "scenario" } else { stem }
}

/// The `.toml` files under `folder`, down to [`MAX_DEPTH`] levels; unreadable folders are
/// skipped (a listing, not a check).
fn toml_files(folder: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && depth < MAX_DEPTH {
            toml_files(&path, depth + 1, found);
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "toml") {
            found.push(path);
        }
        if found.len() > MAX_ENTRIES {
            return;
        }
    }
}

/// The bundled scenario folder: `scenarios/` in the working folder, else the one next to
/// the sources this binary was built from (so `cargo run -- ui` works from anywhere).
pub fn bundled_folder() -> Option<PathBuf> {
    [
        PathBuf::from("scenarios"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"),
    ]
    .into_iter()
    .find(|p| p.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_scenarios_get_short_ids_by_folder() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let (catalog, warnings) = Catalog::new(&[], Some(&root)).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let quiet = catalog.get("what-if/quiet-fogle").expect("what-if listed");
        assert_eq!(quiet.group, "what-if");
        assert!(catalog.get("us-russia-2011-2017").is_some());
        assert!(catalog.entries().iter().any(|e| e.group == "cases"));
        assert_eq!(catalog.first().unwrap().id, "us-russia-2011-2017");
    }

    #[test]
    fn command_line_scenarios_come_first_with_unique_ids() {
        let small = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small.toml");
        let (catalog, _) = Catalog::new(&[small.clone(), small], None).unwrap();
        let ids: Vec<&str> = catalog.entries().iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["cli/small", "cli/small-2"]);
        assert_eq!(catalog.first().unwrap().id, "cli/small");
    }
}
