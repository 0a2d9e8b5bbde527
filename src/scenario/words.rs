//! serde's messages in the user's words: `invalid type: map, expected f64` becomes
//! `found a date, expected a number from 0 to 1`, and an unknown key suggests the nearest
//! valid one instead of listing every key.

use crate::model::Params;

/// Fields on a 0–1 scale, wherever they appear (services, channels, officer distributions,
/// events).
const UNIT_FIELDS: &[&str] = &[
    "secrecy",
    "vigilance",
    "publicity",
    "aggressiveness",
    "permission",
    "baseline_trust",
    "political_sensitivity",
    "threat",
    "mean",
    "sd",
    "magnitude",
];

/// Rewrites one serde or toml message. `key` is the dotted key the value sits at, when known
/// (it sharpens "a number" into "a number from 0 to 1"); `found_date` says the offending
/// value is a TOML date, which serde can only describe as a map.
pub fn humanize(message: &str, key: Option<&str>, found_date: bool) -> String {
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            // A TOML date reaches serde as a map (from a file) or as text (from `--set`).
            let found = if found_date && (found == "map" || found.starts_with("string ")) {
                "a date".to_string()
            } else {
                found_words(found)
            };
            return format!("found {found}, expected {}", expected_words(expected, key));
        }
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!(
                "{} is out of range, expected {}",
                bare_value(found),
                expected_words(expected, key)
            );
        }
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        if let Some((length, expected)) = rest.split_once(", expected ") {
            return format!(
                "found a list of {length}, expected {}",
                expected_words(expected, key)
            );
        }
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return unknown("key", rest);
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        return unknown("value", rest);
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("missing key {rest}");
    }
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        return format!("duplicate key {rest}");
    }
    message.to_string()
}

/// serde's "unexpected" part (`string "abc"`, `floating point `1.5``, `map`).
fn found_words(found: &str) -> String {
    let tick = |s: &str| s.trim_matches('`').to_string();
    if let Some(text) = found.strip_prefix("string ") {
        return format!("text {text}");
    }
    if let Some(n) = found.strip_prefix("floating point ") {
        return format!("the number {}", tick(n));
    }
    if let Some(n) = found.strip_prefix("integer ") {
        return format!("the whole number {}", tick(n));
    }
    if let Some(b) = found.strip_prefix("boolean ") {
        return tick(b);
    }
    match found {
        "map" => "a table".into(),
        "sequence" => "a list".into(),
        other => other.to_string(),
    }
}

/// The value of an "invalid value" message without serde's type word.
fn bare_value(found: &str) -> String {
    found
        .split_once(' ')
        .map_or(found, |(_, v)| v)
        .trim_matches('`')
        .to_string()
}

/// serde's "expected" part in the user's words.
fn expected_words(expected: &str, key: Option<&str>) -> String {
    match expected {
        "f64" | "f32" => number_words(key),
        "u32" => "a whole number from 0 to 4294967295".into(),
        "u64" => "a whole number from 0 to 18446744073709551615".into(),
        "a boolean" => "true or false".into(),
        "a string" => "text in quotes".into(),
        "a sequence" => "a list like [\"a\", \"b\"]".into(),
        "a map" => "a table".into(),
        "an array of length 2" => "a list of two dates like [2013-04-15, 2014-02-23]".into(),
        "struct RawScenario" => "a scenario".into(),
        "struct RawWhatIf" => "a what-if scenario".into(),
        "struct Horizon" => "a table like { start = 2013-01-01, end = 2013-12-31 }".into(),
        "struct RunSettings" => "a table like { seed = 1, runs = 200 }".into(),
        "struct ServiceSpec" => "a table of service fields (label, secrecy, vigilance, publicity, aggressiveness, permission)".into(),
        "struct ChannelSpec" => "a table of channel fields (label, baseline_trust, political_sensitivity, threat)".into(),
        "struct PopulationSpec" => "a table of officer fields (count, experts, trust, ambition, fear)".into(),
        "struct Dist" => "a table like { mean = 0.3, sd = 0.05 }".into(),
        "struct Params" => "a table of model parameters".into(),
        "struct EventSpec" => "an event table".into(),
        "struct TargetSpec" => "a target table".into(),
        "struct OtherSpec" => "a table like { at = 2013-04-14 } or { from = …, to = … }".into(),
        "enum EventKind" => "an event kind in quotes, like \"spy_scandal\"".into(),
        "enum Test" => "a test in quotes, like \"level\"".into(),
        "enum Reduce" => "a reduction in quotes: \"mean\", \"min\", \"max\", \"first\" or \"last\"".into(),
        other => other.to_string(),
    }
}

/// "a number", with its range when the key is one whose range is known.
fn number_words(key: Option<&str>) -> String {
    let Some(key) = key else {
        return "a number".into();
    };
    if let Some(name) = key.strip_prefix("params.") {
        if let Some(info) = Params::INFO.iter().find(|i| i.name == name) {
            return format!("a number from {} to {}", info.min, info.max);
        }
    }
    let last = key.rsplit('.').next().unwrap_or(key);
    if UNIT_FIELDS.contains(&last) {
        "a number from 0 to 1".into()
    } else {
        "a number".into()
    }
}

/// `unknown field `x`, expected one of `a`, `b``: the nearest valid name if one is close,
/// else the list.
fn unknown(what: &str, rest: &str) -> String {
    let (name, expected) = rest.split_once(", ").unwrap_or((rest, ""));
    let candidates: Vec<&str> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|c| !c.is_empty())
        .collect();
    let bare = name.trim_matches('`');
    if let Some(best) = nearest(bare, &candidates) {
        return format!("unknown {what} {name}, did you mean `{best}`?");
    }
    if candidates.is_empty() {
        return format!("unknown {what} {name}, expected none here");
    }
    let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
    format!("unknown {what} {name}, expected one of {}", list.join(", "))
}

/// The candidate closest to `name`, if it is close enough to be a likely typo.
pub fn nearest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (*c, strsim::jaro_winkler(name, c)))
        .filter(|(_, score)| *score >= 0.85)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_named_in_the_users_words() {
        assert_eq!(
            humanize(
                "invalid type: map, expected f64",
                Some("services.ru.publicity"),
                true
            ),
            "found a date, expected a number from 0 to 1"
        );
        assert_eq!(
            humanize("invalid type: string \"high\", expected f64", None, false),
            "found text \"high\", expected a number"
        );
        assert_eq!(
            humanize(
                "invalid type: floating point `0.1`, expected struct ServiceSpec",
                None,
                false
            ),
            "found the number 0.1, expected a table of service fields (label, secrecy, vigilance, publicity, aggressiveness, permission)"
        );
        assert_eq!(
            humanize("invalid value: integer `-3`, expected u32", None, false),
            "-3 is out of range, expected a whole number from 0 to 4294967295"
        );
        assert_eq!(
            humanize(
                "invalid type: string \"x\", expected f64",
                Some("params.trust_drift"),
                false
            ),
            "found text \"x\", expected a number from 0 to 1"
        );
    }

    #[test]
    fn unknown_keys_suggest_the_nearest_or_list_them() {
        assert_eq!(
            humanize(
                "unknown field `trust_drfit`, expected one of `trust_drift`, `success_gain`",
                None,
                false
            ),
            "unknown key `trust_drfit`, did you mean `trust_drift`?"
        );
        assert_eq!(
            humanize(
                "unknown field `colour`, expected one of `name`, `horizon`",
                None,
                false
            ),
            "unknown key `colour`, expected one of `name`, `horizon`"
        );
        assert_eq!(
            humanize("missing field `name`", None, false),
            "missing key `name`"
        );
    }
}
