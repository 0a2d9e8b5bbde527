//! Reading scenario files: TOML parsing with positions, `extends` chains, `[set]` tables and
//! `--set` overrides, then validation. Every error leaves here with a file, a position and a
//! key whenever they can be known.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::error::{Origin, ScenarioError, line_column};
use super::locate::{locate, locate_detailed};
use super::raw::{EventSpec, RawScenario, RawWhatIf};
use super::{Scenario, overrides, validate::validate};
use crate::targets::TargetSpec;

/// One file that went into a scenario (the file itself and every file it extends).
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as given or as reached through `extends`.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
    /// SHA-256 of its bytes, hex-encoded.
    pub sha256: String,
}

/// Where an override of a key came from.
#[derive(Debug, Clone)]
struct OverrideOrigin {
    path: String,
    origin: Origin,
}

/// A validated scenario with the files it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The scenario.
    pub scenario: Scenario,
    /// The files read, the given file first, then the files it extends in order.
    pub sources: Vec<SourceFile>,
    /// The `--set` options applied, as given.
    pub overrides: Vec<String>,
    overridden: Vec<OverrideOrigin>,
}

impl Loaded {
    /// Attaches file, line and column to an error that only names a key.
    pub fn locate(&self, error: ScenarioError) -> ScenarioError {
        locate_error(error, &self.sources, &self.overridden)
    }
}

/// Loads, merges and validates a scenario file with no overrides.
pub fn load(path: &Path) -> Result<Loaded, ScenarioError> {
    load_with(path, &[])
}

/// Loads `path`, resolves `extends`, applies `--set KEY=VALUE` options in order and validates.
pub fn load_with(path: &Path, sets: &[String]) -> Result<Loaded, ScenarioError> {
    load_source(path, None, sets)
}

/// Like [`load_with`] for a file that is not on disk: `text` is read as if it were the
/// content of `path` (whose folder resolves `extends`, and which messages name). `liaison ui`
/// loads the what-if it builds this way, so the page and a saved what-if go through the
/// same loader.
pub fn load_text(path: &Path, text: &str, sets: &[String]) -> Result<Loaded, ScenarioError> {
    load_source(path, Some(text), sets)
}

fn load_source(path: &Path, text: Option<&str>, sets: &[String]) -> Result<Loaded, ScenarioError> {
    let mut sources = Vec::new();
    let mut overridden = Vec::new();
    let mut stack = Vec::new();
    let mut table = load_table(path, text, &mut stack, &mut sources, &mut overridden)?;
    for option in sets {
        let origin = Origin::CommandLine(option.clone());
        let (key, value) = overrides::split_assignment(option).ok_or_else(|| ScenarioError {
            origin: origin.clone(),
            key: None,
            message: "expected KEY=VALUE, like services.ru.publicity=0.1".into(),
        })?;
        apply_override(
            &mut table,
            key,
            overrides::parse_value(value),
            origin.clone(),
        )?;
        overridden.push(OverrideOrigin {
            path: key.to_string(),
            origin,
        });
    }
    let raw = RawScenario::deserialize(table).map_err(|e| ScenarioError {
        origin: Origin::File {
            path: path.to_path_buf(),
            position: None,
        },
        key: None,
        message: clean_message(&e.to_string()),
    })?;
    let scenario = validate(raw).map_err(|e| locate_error(e, &sources, &overridden))?;
    Ok(Loaded {
        scenario,
        sources,
        overrides: sets.to_vec(),
        overridden,
    })
}

/// Applies one override and checks at once that the scenario still deserializes, so a bad
/// value is reported against the option or `[set]` entry that introduced it.
fn apply_override(
    table: &mut toml::Table,
    key: &str,
    value: toml::Value,
    origin: Origin,
) -> Result<(), ScenarioError> {
    let error = |message: String| ScenarioError {
        origin: origin.clone(),
        key: Some(key.to_string()),
        message,
    };
    overrides::apply(table, key, value).map_err(error)?;
    RawScenario::deserialize(table.clone())
        .map(|_| ())
        .map_err(|e| error(clean_message(&e.to_string())))
}

fn read(path: &Path, referrer: Option<(&SourceFile, &str)>) -> Result<SourceFile, ScenarioError> {
    let bytes = std::fs::read(path).map_err(|e| {
        let message = format!("cannot read scenario file `{}`: {e}", path.display());
        match referrer {
            Some((parent, key)) => {
                let position = locate(&parent.text, key).map(|o| line_column(&parent.text, o));
                ScenarioError {
                    origin: Origin::File {
                        path: parent.path.clone(),
                        position,
                    },
                    key: Some(key.into()),
                    message,
                }
            }
            None => ScenarioError::in_file(path, None, message),
        }
    })?;
    let text = String::from_utf8(bytes.clone()).map_err(|_| {
        ScenarioError::in_file(
            path,
            None,
            "the file is not UTF-8 text, expected a TOML file",
        )
    })?;
    Ok(SourceFile {
        path: path.to_path_buf(),
        text,
        sha256: hex(&Sha256::digest(&bytes)),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A TOML error with its position in `file` and, when toml knows it, the key.
fn toml_error(file: &SourceFile, error: &toml::de::Error) -> ScenarioError {
    ScenarioError {
        origin: Origin::File {
            path: file.path.clone(),
            position: error.span().map(|s| line_column(&file.text, s.start)),
        },
        key: error_key(error),
        message: clean_message(error.message()),
    }
}

/// The dotted key toml attaches to a deserialization error. toml keeps it private and only
/// prints it when the error carries no input, so print it that way and read it back.
fn error_key(error: &toml::de::Error) -> Option<String> {
    let mut bare = error.clone();
    bare.set_input(None);
    let text = bare.to_string();
    let line = text.lines().last()?;
    let key = line.strip_prefix("in `")?.strip_suffix('`')?;
    (!key.is_empty()).then(|| key.to_string())
}

/// serde's messages are good; make them one line, without toml's trailing "in `key`" (the
/// key is reported separately, with event and target ids that toml's path lacks).
fn clean_message(message: &str) -> String {
    let one_line = message.trim().replace('\n', " ");
    match one_line.rfind(" in `") {
        Some(at) if one_line.ends_with('`') => one_line[..at].to_string(),
        _ => one_line,
    }
}

fn load_table(
    path: &Path,
    text: Option<&str>,
    stack: &mut Vec<PathBuf>,
    sources: &mut Vec<SourceFile>,
    overridden: &mut Vec<OverrideOrigin>,
) -> Result<toml::Table, ScenarioError> {
    let file = match text {
        Some(text) => SourceFile {
            path: path.to_path_buf(),
            text: text.to_string(),
            sha256: hex(&Sha256::digest(text.as_bytes())),
        },
        None => read(path, None)?,
    };
    let table: toml::Table = file.text.parse().map_err(|e| toml_error(&file, &e))?;
    if !table.contains_key("extends") {
        // Deserialize from the text, not the table, so type errors keep their positions.
        let raw = toml::from_str::<RawScenario>(&file.text).map_err(|e| toml_error(&file, &e))?;
        // A base reached through `extends` is validated on its own too, so its errors are
        // located in it; the top file is validated once, after overrides, by the caller.
        let single = [file];
        if !stack.is_empty() {
            validate(raw).map_err(|e| locate_error(e, &single, &[]))?;
        }
        let [file] = single;
        sources.push(file);
        return Ok(table);
    }
    let what_if: RawWhatIf = toml::from_str(&file.text).map_err(|e| toml_error(&file, &e))?;
    typed::<EventSpec>(&file, &what_if.events, "event")?;
    typed::<TargetSpec>(&file, &what_if.targets, "target")?;
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    stack.push(canonical);
    let base_path = path
        .parent()
        .unwrap_or(Path::new("."))
        .join(&what_if.extends);
    let base_canonical = std::fs::canonicalize(&base_path).unwrap_or_else(|_| base_path.clone());
    if stack.contains(&base_canonical) {
        let chain: Vec<String> = stack
            .iter()
            .chain(std::iter::once(&base_canonical))
            .map(|p| {
                p.file_name().map_or_else(
                    || p.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                )
            })
            .collect();
        let position = locate(&file.text, "extends").map(|o| line_column(&file.text, o));
        return Err(ScenarioError {
            origin: Origin::File {
                path: file.path.clone(),
                position,
            },
            key: Some("extends".into()),
            message: format!(
                "`extends` loops: {}, expected a chain that ends in a full scenario",
                chain.join(" → ")
            ),
        });
    }
    // Missing base: the error points at this file's `extends` line.
    read(&base_path, Some((&file, "extends")))?;
    let at_index = sources.len();
    sources.push(file.clone());
    let mut base = load_table(&base_path, None, stack, sources, overridden)?;
    stack.pop();
    let file = &sources[at_index];

    let error_at = |key: String, message: String| {
        let position = locate(&file.text, &key).map(|o| line_column(&file.text, o));
        ScenarioError {
            origin: Origin::File {
                path: file.path.clone(),
                position,
            },
            key: Some(key),
            message,
        }
    };
    for (array, ids) in [
        ("event", &what_if.remove_events),
        ("target", &what_if.remove_targets),
    ] {
        let list = base
            .entry(array)
            .or_insert_with(|| toml::Value::Array(Vec::new()));
        let Some(list) = list.as_array_mut() else {
            continue;
        };
        for id in ids {
            let before = list.len();
            list.retain(|e| e.get("id").and_then(toml::Value::as_str) != Some(id.as_str()));
            if list.len() == before {
                return Err(error_at(
                    format!("remove_{array}s"),
                    format!(
                        "the base scenario has no {array} with id `{id}`, expected an existing id"
                    ),
                ));
            }
        }
    }
    for (array, added) in [("event", &what_if.events), ("target", &what_if.targets)] {
        check_added_ids(file, &base, array, added)?;
        if let Some(list) = base
            .entry(array)
            .or_insert_with(|| toml::Value::Array(Vec::new()))
            .as_array_mut()
        {
            list.extend(added.iter().cloned().map(toml::Value::Table));
        }
    }
    if let Some(name) = &what_if.name {
        base.insert("name".into(), toml::Value::String(name.clone()));
    }
    if let Some(description) = &what_if.description {
        base.insert(
            "description".into(),
            toml::Value::String(description.clone()),
        );
    }
    for (key, value) in flatten_set(&what_if.set) {
        let key = &key;
        let position = locate(&file.text, &format!("set.{key}"))
            .or_else(|| locate(&file.text, "set"))
            .map(|o| line_column(&file.text, o));
        let origin = Origin::File {
            path: file.path.clone(),
            position,
        };
        apply_override(&mut base, key, value, origin.clone())?;
        overridden.push(OverrideOrigin {
            path: key.clone(),
            origin,
        });
    }
    Ok(base)
}

/// `[set]` entries as dotted paths: `"services.ru.publicity" = 0.1` and the unquoted
/// `services.ru.publicity = 0.1` (which TOML reads as nested tables) mean the same override,
/// and neither replaces a whole base table.
fn flatten_set(set: &toml::Table) -> Vec<(String, toml::Value)> {
    let mut entries = Vec::new();
    for (key, value) in set {
        match value {
            toml::Value::Table(inner) => {
                for (sub, v) in flatten_set(inner) {
                    entries.push((format!("{key}.{sub}"), v));
                }
            }
            _ => entries.push((key.clone(), value.clone())),
        }
    }
    entries
}

/// Ids that a what-if adds which already exist (after removals) or repeat among themselves.
fn check_added_ids(
    file: &SourceFile,
    base: &toml::Table,
    array: &str,
    added: &[toml::Table],
) -> Result<(), ScenarioError> {
    let mut ids: Vec<String> = base
        .get(array)
        .and_then(toml::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|e| e.get("id").and_then(toml::Value::as_str).map(String::from))
                .collect()
        })
        .unwrap_or_default();
    for (index, table) in added.iter().enumerate() {
        let Some(id) = table.get("id").and_then(toml::Value::as_str) else {
            continue;
        };
        if ids.iter().any(|known| known == id) {
            let key = format!("{array}.#{index}.id");
            let position = locate(&file.text, &key).map(|o| line_column(&file.text, o));
            return Err(ScenarioError {
                origin: Origin::File {
                    path: file.path.clone(),
                    position,
                },
                key: Some(key),
                message: format!(
                    "duplicate {array} id `{id}`: the base (or this file) already has one; remove it with `remove_{array}s` first, or choose another id"
                ),
            });
        }
        ids.push(id.to_string());
    }
    Ok(())
}

/// Checks added `[[event]]`/`[[target]]` tables of a what-if file against their schema,
/// reporting the element's position in that file.
fn typed<T: for<'de> Deserialize<'de>>(
    file: &SourceFile,
    tables: &[toml::Table],
    array: &str,
) -> Result<Vec<T>, ScenarioError> {
    tables
        .iter()
        .enumerate()
        .map(|(index, table)| {
            T::deserialize(table.clone()).map_err(|e| {
                let key = format!("{array}.#{index}");
                let position = locate(&file.text, &key).map(|o| line_column(&file.text, o));
                ScenarioError {
                    origin: Origin::File {
                        path: file.path.clone(),
                        position,
                    },
                    key: Some(key),
                    message: clean_message(&e.to_string()),
                }
            })
        })
        .collect()
}

/// Gives a key-only error its origin: the override that set the key if any (latest first),
/// else the first file, from the most derived, that writes the key.
fn locate_error(
    mut error: ScenarioError,
    sources: &[SourceFile],
    overridden: &[OverrideOrigin],
) -> ScenarioError {
    let Origin::File {
        path,
        position: None,
    } = &error.origin
    else {
        return error;
    };
    if !path.as_os_str().is_empty() {
        return error;
    }
    let Some(key) = error.key.clone() else {
        if let Some(first) = sources.first() {
            error.origin = Origin::File {
                path: first.path.clone(),
                position: None,
            };
        }
        return error;
    };
    if let Some(o) = overridden
        .iter()
        .rev()
        .find(|o| key == o.path || key.starts_with(&format!("{}.", o.path)))
    {
        error.origin = o.origin.clone();
        return error;
    }
    // A file that writes the whole key wins over one that only writes an enclosing table.
    let hits: Vec<(&SourceFile, usize, bool)> = sources
        .iter()
        .filter_map(|f| locate_detailed(&f.text, &key).map(|(o, exact)| (f, o, exact)))
        .collect();
    if let Some((file, offset, _)) = hits.iter().find(|h| h.2).or(hits.first()) {
        error.origin = Origin::File {
            path: file.path.clone(),
            position: Some(line_column(&file.text, *offset)),
        };
        return error;
    }
    if let Some(first) = sources.first() {
        error.origin = Origin::File {
            path: first.path.clone(),
            position: None,
        };
    }
    error
}
