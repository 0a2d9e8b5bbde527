//! Reading scenario files: TOML parsing with positions, `extends` chains, `[set]` tables and
//! `--set` overrides, then validation. Every error leaves here with a file, a position and a
//! key whenever they can be known.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::error::{Origin, ScenarioError, line_column};
use super::locate::{locate, locate_detailed};
use super::raw::{EventSpec, RawScenario, RawWhatIf};
use super::{Date, Scenario, cut, overrides, validate::validate, words};
use crate::targets::TargetSpec;
use cut::Cut;

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
    /// What `--end` dropped, when it was given.
    pub cut: Option<Cut>,
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
    load_until(path, sets, None)
}

/// Like [`load_with`], then cuts the run short on `end` (`--end`): later events and targets
/// are dropped and listed in [`Loaded::cut`].
pub fn load_until(
    path: &Path,
    sets: &[String],
    end: Option<Date>,
) -> Result<Loaded, ScenarioError> {
    load_source(path, None, sets, end)
}

/// Like [`load_with`] for a file that is not on disk: `text` is read as if it were the
/// content of `path` (whose folder resolves `extends`, and which messages name). `liaison ui`
/// loads the what-if it builds this way, so the page and a saved what-if go through the
/// same loader.
pub fn load_text(path: &Path, text: &str, sets: &[String]) -> Result<Loaded, ScenarioError> {
    load_source(path, Some(text), sets, None)
}

fn load_source(
    path: &Path,
    text: Option<&str>,
    sets: &[String],
    end: Option<Date>,
) -> Result<Loaded, ScenarioError> {
    let mut sources = Vec::new();
    let mut overridden = Vec::new();
    let mut stack = Vec::new();
    let mut table = load_table(path, text, &mut stack, &mut sources, &mut overridden)?;
    if sets.len() > MAX_OVERRIDES {
        return Err(ScenarioError {
            origin: Origin::Option("--set".into()),
            key: None,
            message: format!("{} overrides, expected at most {MAX_OVERRIDES}", sets.len()),
        });
    }
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
    let mut raw = RawScenario::deserialize(table).map_err(|e| ScenarioError {
        origin: Origin::File {
            path: path.to_path_buf(),
            position: None,
        },
        key: None,
        message: clean_message(&e.to_string(), None, false),
    })?;
    check_moved_horizon(&raw, &overridden)?;
    let cut = match end {
        Some(end) => Some(cut::cut(&mut raw, end).map_err(|message| ScenarioError {
            origin: Origin::Option(format!("--end {end}")),
            key: None,
            message,
        })?),
        None => None,
    };
    let scenario = validate(raw).map_err(|e| locate_error(e, &sources, &overridden))?;
    Ok(Loaded {
        scenario,
        sources,
        overrides: sets.to_vec(),
        cut,
        overridden,
    })
}

/// An override of the horizon that leaves events or targets outside it is reported at the
/// override (not at the first event it strands), with the way to cut a run short.
fn check_moved_horizon(
    raw: &RawScenario,
    overridden: &[OverrideOrigin],
) -> Result<(), ScenarioError> {
    let Some(o) = overridden
        .iter()
        .rev()
        .find(|o| o.path == "horizon" || o.path.starts_with("horizon."))
    else {
        return Ok(());
    };
    let (start, end) = (raw.horizon.start, raw.horizon.end);
    if end <= start {
        return Ok(()); // validation reports it, at the override
    }
    let stranded = cut::outside(raw, start, end);
    let Some(first) = stranded.first() else {
        return Ok(());
    };
    let more = match stranded.len() - 1 {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let how = match o.origin {
        Origin::CommandLine(_) => format!(
            "to cut a run short and drop the events and targets after a date, use --end {end} instead"
        ),
        _ => "remove them with `remove_events` and `remove_targets`, or cut the run with --end"
            .to_string(),
    };
    Err(ScenarioError {
        origin: o.origin.clone(),
        key: Some(o.path.clone()),
        message: format!("the horizon {start} … {end} leaves out {first}{more}; {how}"),
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
    let found_date = matches!(value, toml::Value::Datetime(_));
    overrides::apply(table, key, value).map_err(error)?;
    RawScenario::deserialize(table.clone())
        .map(|_| ())
        .map_err(|e| error(clean_message(&e.to_string(), Some(key), found_date)))
}

/// Largest scenario file read: a hundred times the bundled scenario, small enough that a
/// mistaken path (a log, a data set) is refused before it is parsed.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Most overrides in a `[set]` table or on one command line: each is checked against the
/// whole scenario, so their number bounds the work of loading.
pub const MAX_OVERRIDES: usize = 1_000;

/// Longest `extends` chain followed: far more than any what-if needs, and a bound on the
/// recursion of [`load_table`].
pub const MAX_EXTENDS_DEPTH: usize = 16;

fn read(path: &Path, referrer: Option<(&SourceFile, &str)>) -> Result<SourceFile, ScenarioError> {
    let at_referrer = |message: String| match referrer {
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
    };
    let bytes = read_bytes(path).map_err(at_referrer)?;
    let text = decode(path, &bytes)?;
    Ok(SourceFile {
        path: path.to_path_buf(),
        text,
        sha256: hex(&Sha256::digest(&bytes)),
    })
}

/// The bytes of a regular file of at most [`MAX_FILE_BYTES`]. Folders, FIFOs, devices and
/// sockets are refused before they are opened: reading them could block forever
/// (`/dev/stdin` on a terminal, a FIFO) or never end (`/dev/zero`).
fn read_bytes(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let shown = path.display();
    let cannot = |e: std::io::Error| format!("cannot read scenario file `{shown}`: {e}");
    let metadata = std::fs::metadata(path).map_err(cannot)?;
    check_file_type(path, &metadata)?;
    let too_large = |size: u64| {
        format!(
            "`{shown}` is {:.1} MiB, expected a scenario file of at most {} MiB",
            size as f64 / 1024.0 / 1024.0,
            MAX_FILE_BYTES / 1024 / 1024
        )
    };
    if metadata.len() > MAX_FILE_BYTES {
        return Err(too_large(metadata.len()));
    }
    let file = std::fs::File::open(path).map_err(cannot)?;
    // The path may have been swapped since `metadata`: check what was actually opened.
    check_file_type(path, &file.metadata().map_err(cannot)?)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

fn check_file_type(path: &Path, metadata: &std::fs::Metadata) -> Result<(), String> {
    let shown = path.display();
    if metadata.is_dir() {
        return Err(format!(
            "`{shown}` is a folder, expected a scenario file (TOML)"
        ));
    }
    if metadata.is_file() {
        return Ok(());
    }
    #[cfg(unix)]
    let kind = {
        use std::os::unix::fs::FileTypeExt;
        let t = metadata.file_type();
        if t.is_fifo() {
            "a FIFO (named pipe)"
        } else if t.is_char_device() || t.is_block_device() {
            "a device"
        } else if t.is_socket() {
            "a socket"
        } else {
            "not a regular file"
        }
    };
    #[cfg(not(unix))]
    let kind = "not a regular file";
    Err(format!(
        "`{shown}` is {kind}, expected a scenario file (TOML) saved on disk"
    ))
}

/// The text of a scenario file: UTF-8, without the byte-order mark some editors write.
fn decode(path: &Path, bytes: &[u8]) -> Result<String, ScenarioError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(ScenarioError {
            origin: Origin::File {
                path: path.to_path_buf(),
                position: Some((1, 1)),
            },
            key: None,
            message: "the file is UTF-16 text, expected a TOML file in UTF-8 (save it as UTF-8)"
                .into(),
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(e) => {
            let valid = e.valid_up_to();
            // `valid` ends on a character boundary by definition.
            let before = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
            let mut error = ScenarioError::in_file(
                path,
                None,
                format!(
                    "byte 0x{:02X} is not UTF-8 text, expected a TOML file in UTF-8",
                    bytes[valid]
                ),
            );
            error.origin = Origin::File {
                path: path.to_path_buf(),
                position: Some(line_column(before, valid)),
            };
            Err(error)
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A TOML error with its position in `file` and, when toml knows it, the key.
fn toml_error(file: &SourceFile, error: &toml::de::Error) -> ScenarioError {
    let key = error_key(error);
    // serde sees a TOML date as a map: look at the text to say "a date" instead.
    let found_date = error
        .span()
        .and_then(|s| file.text.get(s))
        .is_some_and(|t| t.trim().parse::<toml::value::Datetime>().is_ok());
    ScenarioError {
        origin: Origin::File {
            path: file.path.clone(),
            position: error.span().map(|s| line_column(&file.text, s.start)),
        },
        message: clean_message(error.message(), key.as_deref(), found_date),
        key,
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

/// serde's message in the user's words (see [`words`]), on one line, without toml's trailing
/// "in `key`" (the key is reported separately, with event and target ids that toml's path
/// lacks).
fn clean_message(message: &str, key: Option<&str>, found_date: bool) -> String {
    let one_line = message.trim().replace('\n', " ");
    let one_line = match one_line.rfind(" in `") {
        Some(at) if one_line.ends_with('`') => one_line[..at].to_string(),
        _ => one_line,
    };
    words::humanize(&one_line, key, found_date)
}

/// An error about `file`'s `extends` key, located at its line.
fn extends_error(file: &SourceFile, message: String) -> ScenarioError {
    let position = locate(&file.text, "extends").map(|o| line_column(&file.text, o));
    ScenarioError {
        origin: Origin::File {
            path: file.path.clone(),
            position,
        },
        key: Some("extends".into()),
        message,
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
    if what_if.extends.trim().is_empty() {
        return Err(extends_error(
            &file,
            "empty `extends`, expected the path of a base scenario, relative to this file".into(),
        ));
    }
    if stack.len() >= MAX_EXTENDS_DEPTH {
        return Err(extends_error(
            &file,
            format!(
                "`extends` chain is longer than {MAX_EXTENDS_DEPTH} files, expected a shorter chain that ends in a full scenario"
            ),
        ));
    }
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
        return Err(extends_error(
            &file,
            format!(
                "`extends` loops: {}, expected a chain that ends in a full scenario",
                chain.join(" → ")
            ),
        ));
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
        // Sets, not repeated scans: a long removal list stays linear.
        let id_of = |e: &toml::Value| e.get("id").and_then(toml::Value::as_str).map(String::from);
        let present: HashSet<String> = list.iter().filter_map(id_of).collect();
        let mut removing: HashSet<&str> = HashSet::new();
        for id in ids {
            if !present.contains(id) || !removing.insert(id.as_str()) {
                return Err(error_at(
                    format!("remove_{array}s"),
                    format!(
                        "the base scenario has no {array} with id `{id}` (or it is listed twice), expected an existing id"
                    ),
                ));
            }
        }
        list.retain(|e| id_of(e).is_none_or(|id| !removing.contains(id.as_str())));
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
    let entries = flatten_set(&what_if.set);
    if entries.len() > MAX_OVERRIDES {
        return Err(error_at(
            "set".into(),
            format!(
                "{} overrides, expected at most {MAX_OVERRIDES}",
                entries.len()
            ),
        ));
    }
    for (key, value) in entries {
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
                    message: clean_message(&e.to_string(), None, false),
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
