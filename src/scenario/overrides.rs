//! Dotted-path overrides (`--set KEY=VALUE` and the `[set]` table of what-if files) applied
//! to a scenario's TOML tree before it is deserialized, so that they are validated exactly
//! like the file itself.
//!
//! Paths name tables by key (`services.ru.publicity`) and the `event` and `target` arrays by
//! element id (`event.fogle.public`).

/// Arrays of tables whose elements are addressed by their `id`.
const ID_ARRAYS: &[&str] = &["event", "target"];

/// Parses the value part of `KEY=VALUE` as a TOML value; text that is not valid TOML is
/// taken as a string, so `--set name=Quiet` works without quotes.
pub fn parse_value(text: &str) -> toml::Value {
    let text = text.trim();
    match format!("v = {text}").parse::<toml::Table>() {
        Ok(mut table) => table
            .remove("v")
            .unwrap_or(toml::Value::String(text.to_string())),
        Err(_) => toml::Value::String(text.to_string()),
    }
}

/// Splits `KEY=VALUE`; `None` if there is no `=` or the key is empty.
pub fn split_assignment(option: &str) -> Option<(&str, &str)> {
    let (key, value) = option.split_once('=')?;
    let key = key.trim();
    (!key.is_empty()).then_some((key, value))
}

/// Sets `path` (dotted) in `root` to `value`. Intermediate tables must already exist, so a
/// typo in a service, channel or event name is reported instead of silently creating it;
/// an unknown final key is left for deserialization to reject with the list of valid keys.
pub fn apply(root: &mut toml::Table, path: &str, value: toml::Value) -> Result<(), String> {
    let segments: Vec<&str> = path.split('.').map(str::trim).collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(format!(
            "`{path}` is not a dotted key path like `services.ru.publicity`"
        ));
    }
    let (last, parents) = segments.split_last().ok_or("empty key path")?;
    if parents.is_empty() && ID_ARRAYS.contains(last) {
        return Err(format!(
            "`{last}` is the whole {last} list, expected a key of one {last}, like `{last}.<id>.magnitude` (a what-if removes them with `remove_{last}s`)"
        ));
    }
    let mut table = root;
    let mut walked = String::new();
    let mut index = 0;
    while index < parents.len() {
        let segment = parents[index];
        let here = if walked.is_empty() {
            segment.to_string()
        } else {
            format!("{walked}.{segment}")
        };
        if ID_ARRAYS.contains(&segment) {
            let id = *segments
                .get(index + 1)
                .ok_or_else(|| format!("`{here}` needs an element id, like `{here}.<id>.<key>`"))?;
            if index + 1 == parents.len() {
                return Err(format!(
                    "`{path}` names a whole {segment}; set one of its keys, like `{here}.{id}.magnitude`"
                ));
            }
            let known = known_ids(table, segment);
            let element = table
                .get_mut(segment)
                .and_then(toml::Value::as_array_mut)
                .and_then(|array| {
                    array
                        .iter_mut()
                        .find(|e| e.get("id").and_then(toml::Value::as_str) == Some(id))
                })
                .and_then(toml::Value::as_table_mut)
                .ok_or_else(|| {
                    format!(
                        "there is no {segment} with id `{id}`{} (known: {known})",
                        did_you_mean(id, &known)
                    )
                })?;
            table = element;
            walked = format!("{here}.{id}");
            index += 2;
            continue;
        }
        let known = known_keys(table);
        if !table.contains_key(segment) && segment == "params" {
            table.insert(segment.to_string(), toml::Value::Table(toml::Table::new()));
        }
        table = match table.get_mut(segment) {
            Some(toml::Value::Table(inner)) => inner,
            Some(_) => return Err(format!("`{here}` is a value, not a table")),
            None => {
                return Err(format!(
                    "`{here}` does not exist in the scenario{} (known at this level: {known})",
                    did_you_mean(segment, &known)
                ));
            }
        };
        walked = here;
        index += 1;
    }
    match table.get_mut(*last) {
        // A table set onto a table changes only the keys it names: `services.ru={secrecy=0.1}`
        // is `services.ru.secrecy=0.1`, and keeps the service's other values.
        Some(toml::Value::Table(existing)) if value.is_table() => {
            if let toml::Value::Table(new) = value {
                merge(existing, new);
            }
        }
        _ => {
            table.insert(last.to_string(), value);
        }
    }
    Ok(())
}

/// Writes every key of `new` into `existing`, merging tables recursively.
fn merge(existing: &mut toml::Table, new: toml::Table) {
    for (key, value) in new {
        match (existing.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(value)) => merge(inner, value),
            (_, value) => {
                existing.insert(key, value);
            }
        }
    }
}

/// ` (did you mean `x`?)` when one of the comma-separated `known` names is close to `name`.
fn did_you_mean(name: &str, known: &str) -> String {
    let candidates: Vec<&str> = known.split(", ").collect();
    super::words::nearest(name, &candidates)
        .map(|best| format!(" (did you mean `{best}`?)"))
        .unwrap_or_default()
}

/// The value at a dotted `path` (same addressing as [`apply`]), if it is written.
pub fn get<'a>(root: &'a toml::Table, path: &str) -> Option<&'a toml::Value> {
    let segments: Vec<&str> = path.split('.').collect();
    let mut table = root;
    let mut index = 0;
    loop {
        let segment = segments[index];
        let value = table.get(segment)?;
        if index + 1 == segments.len() {
            return Some(value);
        }
        let next = match value {
            toml::Value::Array(array) if ID_ARRAYS.contains(&segment) => {
                let id = segments[index + 1];
                index += 1;
                if index + 1 == segments.len() {
                    return None;
                }
                array
                    .iter()
                    .find(|e| e.get("id").and_then(toml::Value::as_str) == Some(id))?
            }
            other => other,
        };
        table = next.as_table()?;
        index += 1;
    }
}

fn known_keys(table: &toml::Table) -> String {
    let keys: Vec<&str> = table.keys().map(String::as_str).collect();
    if keys.is_empty() {
        "none".into()
    } else {
        keys.join(", ")
    }
}

fn known_ids(table: &toml::Table, array: &str) -> String {
    let ids: Vec<&str> = table
        .get(array)
        .and_then(toml::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|e| e.get("id").and_then(toml::Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    if ids.is_empty() {
        "none".into()
    } else {
        ids.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> toml::Table {
        r#"
        [services.ru]
        publicity = 0.5
        [[event]]
        id = "fogle"
        magnitude = 1.0
        "#
        .parse()
        .unwrap()
    }

    #[test]
    fn values_parse_as_toml_or_fall_back_to_strings() {
        assert_eq!(parse_value("0.25"), toml::Value::Float(0.25));
        assert_eq!(parse_value("false"), toml::Value::Boolean(false));
        assert_eq!(
            parse_value("Quiet run"),
            toml::Value::String("Quiet run".into())
        );
        assert!(matches!(
            parse_value("2019-12-31"),
            toml::Value::Datetime(_)
        ));
    }

    #[test]
    fn sets_table_keys_and_event_fields_by_id() {
        let mut table = doc();
        apply(&mut table, "services.ru.publicity", parse_value("0.1")).unwrap();
        apply(&mut table, "event.fogle.public", parse_value("false")).unwrap();
        apply(&mut table, "params.success_gain", parse_value("0.2")).unwrap();
        assert_eq!(table["services"]["ru"]["publicity"].as_float(), Some(0.1));
        assert_eq!(table["event"][0]["public"].as_bool(), Some(false));
        assert_eq!(table["params"]["success_gain"].as_float(), Some(0.2));
    }

    #[test]
    fn unknown_tables_and_ids_are_errors() {
        let mut table = doc();
        let err = apply(&mut table, "services.xx.publicity", parse_value("0.1")).unwrap_err();
        assert!(err.contains("services.xx") && err.contains("ru"), "{err}");
        let err = apply(&mut table, "event.nope.magnitude", parse_value("0.1")).unwrap_err();
        assert!(
            err.contains("no event with id `nope`") && err.contains("fogle"),
            "{err}"
        );
        assert!(apply(&mut table, "services..x", parse_value("1")).is_err());
        assert!(apply(&mut table, "event.fogle", parse_value("1")).is_err());
    }

    #[test]
    fn a_table_value_merges_into_an_existing_table() {
        let mut table = doc();
        apply(&mut table, "services.ru", parse_value("{secrecy = 0.1}")).unwrap();
        assert_eq!(table["services"]["ru"]["publicity"].as_float(), Some(0.5));
        assert_eq!(table["services"]["ru"]["secrecy"].as_float(), Some(0.1));
        assert!(apply(&mut table, "event", parse_value("[]")).is_err());
        let err = apply(&mut table, "services.rus.publicity", parse_value("0.1")).unwrap_err();
        assert!(err.contains("did you mean `ru`?"), "{err}");
    }

    #[test]
    fn get_reads_what_apply_writes() {
        let mut table = doc();
        assert_eq!(
            get(&table, "services.ru.publicity").and_then(toml::Value::as_float),
            Some(0.5)
        );
        assert_eq!(
            get(&table, "event.fogle.magnitude").and_then(toml::Value::as_float),
            Some(1.0)
        );
        assert!(get(&table, "event.nope.magnitude").is_none());
        assert!(get(&table, "services.xx").is_none());
        apply(&mut table, "event.fogle.magnitude", parse_value("0.5")).unwrap();
        assert_eq!(
            get(&table, "event.fogle.magnitude").and_then(toml::Value::as_float),
            Some(0.5)
        );
    }

    #[test]
    fn split_requires_an_equals_sign() {
        assert_eq!(split_assignment("a.b=1"), Some(("a.b", "1")));
        assert_eq!(split_assignment("a.b"), None);
        assert_eq!(split_assignment("=1"), None);
    }
}
