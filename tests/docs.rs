//! Keeps `docs/ODD.md` in step with the code.
//!
//! - The `[params]` table (header `| parameter | meaning | default | range |`) has one row per
//!   entry of `Params::INFO`, in declaration order, with the default and the `[min, max]` range
//!   written as Rust prints them with `{}`; no row names an unknown parameter.
//! - The service, channel and population field tables list every field with its serde default.
//! - The event-kind table lists every kind; the output-series table covers every series.
//!
//! When a default changes, edit the number in the table: the failure message shows the row.

use std::path::Path;

use liaison::model::{Params, SeriesLayout};
use liaison::scenario::{ChannelSpec, EventKind, PopulationSpec, ServiceSpec};
use serde::de::DeserializeOwned;
use serde_json::Value;

const PARAMS_HEADER: &str = "| parameter | meaning | default | range |";

fn odd() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ODD.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The cells of a Markdown table row, trimmed.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim();
    let inner = inner.strip_prefix('|').unwrap_or(inner);
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    inner.split('|').map(|c| c.trim().to_string()).collect()
}

/// The body rows of the only table whose header row is `header`.
fn table(doc: &str, header: &str) -> Vec<Vec<String>> {
    let count = doc.lines().filter(|l| l.trim() == header).count();
    assert_eq!(
        count, 1,
        "docs/ODD.md must have one table headed `{header}`"
    );
    let columns = cells(header).len();
    doc.lines()
        .skip_while(|l| l.trim() != header)
        .skip(2) // header and separator
        .take_while(|l| l.trim_start().starts_with('|'))
        .map(|line| {
            let row = cells(line);
            assert_eq!(
                row.len(),
                columns,
                "row `{line}` of `{header}` has the wrong cell count"
            );
            row
        })
        .collect()
}

/// `` `name` `` → `name`.
fn code(cell: &str) -> &str {
    cell.strip_prefix('`')
        .and_then(|c| c.strip_suffix('`'))
        .filter(|c| !c.is_empty() && !c.contains('`'))
        .unwrap_or_else(|| panic!("expected a single `code` name, found `{cell}`"))
}

fn number(cell: &str, what: &str) -> f64 {
    cell.parse()
        .unwrap_or_else(|e| panic!("{what}: `{cell}` is not a number ({e})"))
}

#[test]
fn parameter_table_matches_params_info() {
    let doc = odd();
    let rows = table(&doc, PARAMS_HEADER);
    let names: Vec<&str> = rows.iter().map(|r| code(&r[0])).collect();
    for row in &rows {
        let name = code(&row[0]);
        assert!(
            Params::INFO.iter().any(|i| i.name == name),
            "docs/ODD.md documents `{name}`, which is not a parameter"
        );
    }
    for info in Params::INFO {
        let expected = format!(
            "| `{}` | … | {} | [{}, {}] |",
            info.name, info.default, info.min, info.max
        );
        let matching: Vec<&Vec<String>> =
            rows.iter().filter(|r| code(&r[0]) == info.name).collect();
        assert_eq!(
            matching.len(),
            1,
            "`{}` must have exactly one row in the parameter table, like {expected}",
            info.name
        );
        let row = matching[0];
        assert!(!row[1].is_empty(), "`{}` has no meaning", info.name);
        let what = format!("default of `{}`", info.name);
        assert_eq!(
            number(&row[2], &what),
            info.default,
            "{what}: expected {expected}"
        );
        assert_eq!(
            row[2],
            info.default.to_string(),
            "{what}: expected {expected}"
        );
        let range = row[3]
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|r| r.split_once(", "))
            .unwrap_or_else(|| panic!("range of `{}`: expected {expected}", info.name));
        let what = format!("range of `{}`", info.name);
        assert_eq!(
            number(range.0, &what),
            info.min,
            "{what}: expected {expected}"
        );
        assert_eq!(
            number(range.1, &what),
            info.max,
            "{what}: expected {expected}"
        );
        assert_eq!(
            (range.0, range.1),
            (info.min.to_string().as_str(), info.max.to_string().as_str()),
            "{what}: expected {expected}"
        );
    }
    let order: Vec<&str> = Params::INFO.iter().map(|i| i.name).collect();
    assert_eq!(
        names, order,
        "parameter rows must follow Params::INFO order"
    );
}

/// Two JSON values equal up to integer/float representation.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Checks the field table headed `header` against the serde defaults of `T`. `base` is the
/// smallest valid TOML for `T` (its required fields); a row whose default is `required` must
/// name a field without which `T` does not deserialize; string fields are not compared.
fn check_fields<T: DeserializeOwned + serde::Serialize>(header: &str, base: &str) {
    let doc = odd();
    let rows = table(&doc, header);
    let defaults: T = toml::from_str(base).expect("base TOML deserializes");
    let Value::Object(defaults) = serde_json::to_value(&defaults).expect("serializes") else {
        panic!("{header}: expected a table");
    };
    let base: toml::Table = toml::from_str(base).expect("base TOML parses");
    for row in &rows {
        let name = code(&row[0]);
        let default = row[2].trim_matches('`');
        let Some(value) = defaults.get(name) else {
            panic!("{header}: `{name}` is not a field");
        };
        if default == "required" {
            let mut without = base.clone();
            assert!(
                without.remove(name).is_some()
                    && toml::from_str::<T>(&without.to_string()).is_err(),
                "{header}: `{name}` is documented as required but has a default"
            );
        } else if !value.is_string() {
            let parsed: toml::Table = toml::from_str(&format!("v = {default}"))
                .unwrap_or_else(|e| panic!("{header}: default `{default}` of `{name}`: {e}"));
            let parsed = serde_json::to_value(&parsed["v"]).expect("serializes");
            assert!(
                same(&parsed, value),
                "{header}: default of `{name}` is {value} in the code, `{default}` in docs/ODD.md"
            );
        }
    }
    for field in defaults.keys() {
        let count = rows.iter().filter(|r| code(&r[0]) == field).count();
        assert_eq!(count, 1, "{header}: `{field}` must have exactly one row");
    }
}

#[test]
fn scenario_field_tables_match_defaults() {
    check_fields::<ServiceSpec>("| service field | meaning | default | range |", "");
    check_fields::<ChannelSpec>("| channel field | meaning | default | range |", "");
    check_fields::<PopulationSpec>(
        "| population field | meaning | default | range |",
        "count = 1\ntrust = { mean = 0.5 }",
    );
}

#[test]
fn event_kind_table_lists_every_kind() {
    let doc = odd();
    let rows = table(&doc, "| kind | fields used | effect |");
    let documented: Vec<&str> = rows.iter().map(|r| code(&r[0])).collect();
    for name in &documented {
        let kind: EventKind = serde_json::from_value(Value::String(name.to_string()))
            .unwrap_or_else(|e| panic!("`{name}` is not an event kind: {e}"));
        assert_eq!(kind.name(), *name);
    }
    // serde lists the variants in its error for an unknown one: "expected one of `a`, `b`".
    let error = serde_json::from_value::<EventKind>(Value::String("?".into()))
        .expect_err("`?` is not a kind")
        .to_string();
    let (_, variants) = error
        .split_once("expected one of")
        .expect("serde lists variants");
    let kinds: Vec<&str> = variants.split('`').skip(1).step_by(2).collect();
    assert!(!kinds.is_empty(), "no variants in `{error}`");
    let mut sorted = documented.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        documented.len(),
        "an event kind is listed twice"
    );
    for kind in kinds {
        assert!(
            documented.contains(&kind),
            "event kind `{kind}` is not documented"
        );
    }
}

/// Whether `name` matches a documented pattern like `trust.<channel>.<from>.<to>`.
fn matches(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<&str>, Vec<&str>) = (pattern.split('.').collect(), name.split('.').collect());
    p.len() == n.len()
        && p.iter()
            .zip(&n)
            .all(|(p, n)| p == n || (p.starts_with('<') && p.ends_with('>')))
}

#[test]
fn series_table_covers_every_series() {
    let doc = odd();
    let rows = table(&doc, "| series | meaning |");
    let patterns: Vec<&str> = rows.iter().map(|r| code(&r[0])).collect();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small.toml");
    let loaded = liaison::scenario::load(&path).expect("the fixture loads");
    let layout = SeriesLayout::new(&loaded.scenario);
    for name in &layout.names {
        let count = patterns.iter().filter(|p| matches(p, name)).count();
        assert_eq!(
            count, 1,
            "series `{name}` must match exactly one documented pattern"
        );
    }
    for pattern in &patterns {
        assert!(
            layout.names.iter().any(|n| matches(pattern, n)),
            "documented series `{pattern}` does not exist"
        );
    }
}
