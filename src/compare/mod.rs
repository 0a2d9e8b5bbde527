//! Comparing scenarios and variants: variant syntax, folder naming, event differences and
//! paired (run-by-run) differences. Sits on top of the runner; the command line lives in
//! `commands::compare`.
//!
//! Paired differences are meaningful because run `i` of every scenario uses the same random
//! streams (common random numbers, see [`crate::model::streams`]): what differs between two
//! runs with the same index is what differs between the scenarios.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

use crate::aggregate::{Accumulator, Summary};
use crate::output::safe_name;
use crate::runner::{EnsembleOptions, Prepared, RunError, for_each_run};
use crate::scenario::{Date, Scenario};

/// A parsed `--variant 'NAME: KEY=VALUE, KEY=VALUE'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// Variant name (letters, digits, `-`, `_`).
    pub name: String,
    /// `KEY=VALUE` overrides, applied like `--set`.
    pub sets: Vec<String>,
}

/// Parses the variant syntax. Commas inside a value (e.g. a TOML array) are kept: a piece
/// without `=` continues the previous assignment.
pub fn parse_variant(text: &str) -> Result<Variant, String> {
    let expected =
        "expected 'NAME: KEY=VALUE[, KEY=VALUE...]', like 'quiet-fsb: services.ru.publicity=0'";
    let (name, rest) = text
        .split_once(':')
        .ok_or_else(|| format!("no `:` after the variant name, {expected}"))?;
    let name = name.trim();
    let valid = !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(format!(
            "`{name}` is not a valid variant name, expected 1–40 letters, digits, `-` or `_`"
        ));
    }
    let mut sets: Vec<String> = Vec::new();
    for piece in rest.split(',') {
        match sets.last_mut() {
            Some(last) if !piece.contains('=') => {
                last.push(',');
                last.push_str(piece);
            }
            _ => sets.push(piece.trim().to_string()),
        }
    }
    sets.retain(|s| !s.is_empty());
    if sets.is_empty() {
        return Err(format!("variant `{name}` has no override, {expected}"));
    }
    if let Some(bad) = sets
        .iter()
        .find(|s| crate::scenario::split_assignment(s).is_none())
    {
        return Err(format!(
            "`{bad}` in variant `{name}` is not KEY=VALUE, {expected}"
        ));
    }
    Ok(Variant {
        name: name.to_string(),
        sets: sets.into_iter().map(|s| s.trim().to_string()).collect(),
    })
}

/// A short, safe, deterministic folder name for a comparison: `compare-<names>`, shortened
/// with a digest of the full list when long.
pub fn folder_name(names: &[String]) -> String {
    let joined = names
        .iter()
        .map(|n| safe_name(n))
        .collect::<Vec<_>>()
        .join("-vs-");
    let full = format!("compare-{joined}");
    if full.len() <= 60 {
        return safe_name(&full);
    }
    let digest: String = Sha256::digest(joined.as_bytes())
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect();
    let head: String = full.chars().take(48).collect();
    safe_name(&format!("{}-{digest}", head.trim_end_matches(['-', '.'])))
}

/// Ids of events that are not identical in every scenario (absent somewhere, or with a
/// different date, kind, channels, services, magnitude or publicity).
pub fn differing_events(scenarios: &[&Scenario]) -> BTreeSet<String> {
    let signature = |s: &Scenario, id: &str| {
        s.events.iter().find(|e| e.id == id).map(|e| {
            format!(
                "{}|{}|{}|{:?}|{:?}|{:?}|{}|{:?}",
                e.date,
                e.until,
                e.kind.name(),
                e.channels,
                e.services,
                e.against,
                e.magnitude,
                e.public
            )
        })
    };
    let ids: BTreeSet<String> = scenarios
        .iter()
        .flat_map(|s| s.events.iter().map(|e| e.id.clone()))
        .collect();
    ids.into_iter()
        .filter(|id| {
            let first = signature(scenarios[0], id);
            scenarios.iter().any(|s| signature(s, id) != first)
        })
        .collect()
}

/// The summaries of a comparison: each scenario's selected series, and the paired
/// differences of each scenario after the first to the first.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Per scenario, the statistics of the selected series.
    pub summaries: Vec<Summary>,
    /// Per scenario after the first, the statistics of the run-by-run differences
    /// `scenario − first` over the steps all scenarios share.
    pub differences: Vec<Summary>,
    /// Steps every scenario has (the differences cover these).
    pub common_steps: usize,
}

/// Runs every scenario with the same run indices and seed (common random numbers), keeping
/// only the series `selected[k]` of scenario `k` (matched by position to `names`), and
/// summarises them and their paired differences to the first scenario as the runs finish:
/// paired runs are held only while they are being summarised.
pub fn paired(
    prepared: &[&Prepared],
    selected: &[Vec<usize>],
    names: &[String],
    options: &EnsembleOptions,
) -> Result<Comparison, RunError> {
    let n = names.len();
    let runs = options.runs as usize;
    let steps: Vec<usize> = prepared.iter().map(|p| p.steps()).collect();
    let dates: Vec<Vec<Date>> = prepared.iter().map(|p| p.dates()).collect();
    // Steps dated alike in every scenario: a shorter horizon's last, clamped step is not
    // paired with a full step of a longer one, so compare.csv and difference.csv agree on the
    // date of every step they share.
    let shortest = steps.iter().copied().min().unwrap_or(0);
    let common_steps = (0..shortest)
        .take_while(|&s| dates.iter().all(|d| d[s] == dates[0][s]))
        .count();
    let mut own: Vec<Accumulator> = steps
        .iter()
        .map(|&s| Accumulator::new(n, s, runs))
        .collect();
    let mut diffs: Vec<Accumulator> = (1..prepared.len())
        .map(|_| Accumulator::new(n, common_steps, runs))
        .collect();
    let mut picked: Vec<Vec<f64>> = steps.iter().map(|&s| vec![0.0; s * n]).collect();
    let mut difference = vec![0.0; common_steps * n];
    for_each_run(prepared, options, |_, records| {
        for (k, record) in records.iter().enumerate() {
            let width = prepared[k].layout.len();
            for (row, out) in record
                .chunks_exact(width)
                .zip(picked[k].chunks_exact_mut(n))
            {
                for (slot, &i) in out.iter_mut().zip(&selected[k]) {
                    *slot = row[i];
                }
            }
            own[k].add(&picked[k]);
        }
        for (k, acc) in diffs.iter_mut().enumerate() {
            let (base, other) = (&picked[0], &picked[k + 1]);
            for ((d, b), o) in difference.iter_mut().zip(base).zip(other) {
                *d = o - b;
            }
            acc.add(&difference);
        }
    })?;
    Ok(Comparison {
        summaries: own
            .into_iter()
            .zip(&dates)
            .map(|(acc, d)| acc.finish(names.to_vec(), d.clone()))
            .collect(),
        differences: diffs
            .into_iter()
            .map(|acc| acc.finish(names.to_vec(), dates[0][..common_steps].to_vec()))
            .collect(),
        common_steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_parse_with_commas_inside_values() {
        let v = parse_variant(
            "quiet-fsb: services.ru.publicity=0, event.fogle.channels=[\"ct\", \"cyber\"]",
        )
        .unwrap();
        assert_eq!(v.name, "quiet-fsb");
        assert_eq!(
            v.sets,
            vec![
                "services.ru.publicity=0",
                "event.fogle.channels=[\"ct\", \"cyber\"]"
            ]
        );
    }

    #[test]
    fn variant_errors_say_what_is_expected() {
        assert!(
            parse_variant("services.ru.publicity=0")
                .unwrap_err()
                .contains("no `:`")
        );
        assert!(
            parse_variant("bad name!: a=1")
                .unwrap_err()
                .contains("not a valid variant name")
        );
        assert!(parse_variant("x:").unwrap_err().contains("no override"));
        assert!(
            parse_variant("x: justakey")
                .unwrap_err()
                .contains("not KEY=VALUE")
        );
    }

    #[test]
    fn folder_names_are_short_safe_and_deterministic() {
        let names = vec!["us-russia-2011-2017".to_string(), "quiet-fogle".to_string()];
        assert_eq!(
            folder_name(&names),
            "compare-us-russia-2011-2017-vs-quiet-fogle"
        );
        let long: Vec<String> = (0..10).map(|i| format!("scenario-number-{i}")).collect();
        let name = folder_name(&long);
        assert!(name.len() <= 60, "{name}");
        assert_eq!(name, folder_name(&long));
        assert_ne!(name, folder_name(&long[..9]));
        let evil = vec!["../../etc".to_string(), "/root".to_string()];
        let name = folder_name(&evil);
        assert!(!name.contains('/') && !name.starts_with('.'), "{name}");
    }
}
