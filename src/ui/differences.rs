//! What differs between two effective scenarios, key by key (events and targets by id), for
//! the page's "what differs from the pinned baseline" list. Works on the scenarios' own
//! structure, so it knows no field names.

use indexmap::IndexMap;
use serde::Serialize;

use crate::scenario::RawScenario;

/// One difference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Dotted key (`services.ru.publicity`, `event.fogle.public`), or `event.<id>` for an
    /// event only one side has.
    pub key: String,
    /// The baseline's value, as TOML text; `None` where it has none.
    pub baseline: Option<String>,
    /// The current value, as TOML text; `None` where it has none.
    pub current: Option<String>,
}

/// Arrays of tables addressed by id, as `--set` addresses them.
const BY_ID: [&str; 2] = ["event", "target"];

/// The differences from `baseline` to `current`, in the current scenario's order, then the
/// baseline's keys it lacks. Names, descriptions and `[run]` are not compared (the page runs
/// both with the same seed and runs).
pub fn changes(baseline: &RawScenario, current: &RawScenario) -> Vec<Change> {
    let (a, b) = (flatten(baseline), flatten(current));
    let mut out = Vec::new();
    let mut whole: Vec<String> = Vec::new();
    for (prefix, from, to) in [("event", &a, &b), ("event", &b, &a)] {
        for key in from.keys() {
            let Some(id) = key
                .strip_prefix(&format!("{prefix}."))
                .and_then(|k| k.split('.').next())
            else {
                continue;
            };
            let element = format!("{prefix}.{id}");
            if !whole.contains(&element)
                && !to.keys().any(|k| k.starts_with(&format!("{element}.")))
            {
                whole.push(element);
            }
        }
    }
    let label = |map: &IndexMap<String, String>, element: &str| {
        map.get(&format!("{element}.label")).map(|l| {
            format!(
                "{l} ({})",
                map.get(&format!("{element}.date")).map_or("", |d| d)
            )
        })
    };
    let mut keys: Vec<&String> = b.keys().collect();
    keys.extend(a.keys().filter(|k| !b.contains_key(*k)));
    for key in keys {
        if key == "name" || key == "description" || key.starts_with("run.") {
            continue;
        }
        if let Some(element) = whole.iter().find(|e| key.starts_with(&format!("{e}."))) {
            if key == &format!("{element}.id") {
                out.push(Change {
                    key: element.clone(),
                    baseline: label(&a, element),
                    current: label(&b, element),
                });
            }
            continue;
        }
        let (from, to) = (a.get(key), b.get(key));
        if from != to {
            out.push(Change {
                key: key.clone(),
                baseline: from.cloned(),
                current: to.cloned(),
            });
        }
    }
    out
}

/// Every leaf of a scenario as dotted key → TOML text.
fn flatten(raw: &RawScenario) -> IndexMap<String, String> {
    let mut out = IndexMap::new();
    // Through text, so dates come back as TOML dates rather than serde's private form.
    let table = toml::to_string(raw)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok());
    if let Some(table) = table {
        walk("", &toml::Value::Table(table), &mut out);
    }
    out
}

fn walk(prefix: &str, value: &toml::Value, out: &mut IndexMap<String, String>) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        toml::Value::Table(table) => {
            for (key, inner) in table {
                walk(&join(key), inner, out);
            }
        }
        toml::Value::Array(items) if BY_ID.contains(&prefix) => {
            for item in items {
                match item.get("id").and_then(toml::Value::as_str) {
                    Some(id) => walk(&join(id), item, out),
                    None => {
                        out.insert(prefix.to_string(), value.to_string());
                    }
                }
            }
        }
        toml::Value::String(text) => {
            out.insert(prefix.to_string(), text.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_scenario() -> RawScenario {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/us-russia-2011-2017.toml");
        crate::scenario::load(&path).unwrap().scenario.effective
    }

    #[test]
    fn identical_scenarios_have_no_changes() {
        let s = default_scenario();
        assert!(changes(&s, &s).is_empty());
    }

    #[test]
    fn values_events_and_removals_are_listed() {
        let base = default_scenario();
        let mut current = base.clone();
        current.services["ru"].publicity = 0.1;
        let fogle = current.events.iter_mut().find(|e| e.id == "fogle").unwrap();
        fogle.public = Some(false);
        current.events.retain(|e| e.id != "crimea");
        let list = changes(&base, &current);
        let keys: Vec<&str> = list.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "services.ru.publicity",
                "event.fogle.public",
                "event.crimea"
            ],
            "{list:?}"
        );
        assert_eq!(list[0].baseline.as_deref(), Some("0.8"));
        assert_eq!(list[0].current.as_deref(), Some("0.1"));
        assert!(list[2].current.is_none());
        assert!(
            list[2].baseline.as_deref().unwrap().contains("2014-"),
            "{list:?}"
        );
    }
}
