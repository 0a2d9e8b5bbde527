//! The `[[target]]` vocabulary: stylized facts as conditions on the ensemble's curves.

use serde::{Deserialize, Deserializer, Serialize};

use crate::scenario::{Date, ScenarioError, Timeline};

/// What a target tests. The curve `S` is the chosen statistic (median by default) of the
/// selected series (the per-run mean when several are selected). `S(d)` is the value at the
/// end of the last step completed before day `d` — the state just before that day's events;
/// a window `[from, to]` holds the steps whose last day falls in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    /// `S(at)`, or `reduce` of `S` over `[from, to]`, within the bounds.
    Level,
    /// `S(last step of [from, to]) − S(from)` within the bounds.
    Change,
    /// `max over [from, to] of S − S(from)` within the bounds.
    Rise,
    /// `S(from) − min over [from, to] of S` within the bounds.
    Drop,
    /// The date of the maximum of `S` over `[from, to]` (default: the horizon) falls in `within`;
    /// the maximum itself within the bounds, if any.
    Argmax,
    /// Like `argmax`, for the minimum.
    Argmin,
    /// The level of `series` minus the level of `other` within the bounds.
    Compare,
}

/// How a window is reduced to one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reduce {
    /// Mean over the window.
    Mean,
    /// Minimum over the window.
    Min,
    /// Maximum over the window.
    Max,
    /// First step of the window.
    First,
    /// Last step of the window.
    Last,
}

/// A series name, a glob, or a list of them (averaged run by run).
fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged, expecting = "a series name or a list of series names")]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// The other side of a `compare` target.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherSpec {
    /// Series (default: the target's own).
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub series: Vec<String>,
    /// Read at this date …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Date>,
    /// … or reduced over `[from, to]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Date>,
    /// End of the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
    /// Reduction over the window (default mean).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduce: Option<Reduce>,
}

/// One `[[target]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    /// Unique identifier.
    pub id: String,
    /// The stylized fact in words.
    pub description: String,
    /// What is tested.
    pub test: Test,
    /// Series names or globs (`trust.ct.*`), averaged run by run.
    #[serde(deserialize_with = "one_or_many")]
    pub series: Vec<String>,
    /// Statistic across runs: `median` (default), `mean`, `p05`, `p25`, `p50`, `p75`, `p95`.
    #[serde(default = "median")]
    pub statistic: String,
    /// Single date (level, compare).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Date>,
    /// Window start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Date>,
    /// Window end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
    /// Reduction over the window for `level` and `compare` (default mean).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduce: Option<Reduce>,
    /// Lower bound on the tested value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<f64>,
    /// Upper bound on the tested value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<f64>,
    /// Divide the tested value by the range (max − min) of `S` over this `[from, to]` window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relative_to_range: Option<[Date; 2]>,
    /// For `argmax`/`argmin`: the `[from, to]` window the extreme's date must fall in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<[Date; 2]>,
    /// For `compare`: the other level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<OtherSpec>,
}

fn median() -> String {
    "median".into()
}

/// Statistic names a target may read.
pub const STATISTICS: [&str; 7] = ["median", "mean", "p05", "p25", "p50", "p75", "p95"];

/// Structural checks that need only the horizon: ids, dates, windows, required fields.
/// Series names are checked by [`super::compile`].
pub fn check_structure(targets: &[TargetSpec], timeline: &Timeline) -> Result<(), ScenarioError> {
    let mut seen = std::collections::HashSet::new();
    for (index, t) in targets.iter().enumerate() {
        crate::scenario::check_name(&format!("target.#{index}.id"), &t.id, "target id")?;
        if !seen.insert(t.id.as_str()) {
            return Err(ScenarioError::at_key(
                format!("target.#{index}.id"),
                format!(
                    "duplicate target id `{}`, expected every target id to be unique",
                    t.id
                ),
            ));
        }
        let key = |field: &str| format!("target.{}.{field}", t.id);
        if !STATISTICS.contains(&t.statistic.as_str()) {
            return Err(ScenarioError::at_key(
                key("statistic"),
                format!(
                    "`{}` is not a statistic, expected one of: {}",
                    t.statistic,
                    STATISTICS.join(", ")
                ),
            ));
        }
        if t.series.is_empty() {
            return Err(ScenarioError::at_key(
                key("series"),
                "no series, expected a series name or glob",
            ));
        }
        let in_horizon = |field: &str, date: Option<Date>| -> Result<(), ScenarioError> {
            match date {
                Some(d) if !timeline.contains(d) => Err(ScenarioError::at_key(
                    key(field),
                    format!(
                        "{d} is outside the horizon, expected a date from {} to {}",
                        timeline.start, timeline.end
                    ),
                )),
                _ => Ok(()),
            }
        };
        in_horizon("at", t.at)?;
        in_horizon("from", t.from)?;
        in_horizon("to", t.to)?;
        for (field, window) in [
            ("relative_to_range", t.relative_to_range),
            ("within", t.within),
        ] {
            if let Some([a, b]) = window {
                in_horizon(field, Some(a))?;
                in_horizon(field, Some(b))?;
                check_window(&key(field), a, b, timeline)?;
            }
        }
        check_fields_read(t, &key, timeline)?;
        let window = (t.from, t.to);
        match t.test {
            Test::Level | Test::Compare => match (t.at, window) {
                (Some(_), (None, None)) => {}
                (None, (Some(a), Some(b))) => check_window(&key("to"), a, b, timeline)?,
                _ => {
                    return Err(ScenarioError::at_key(
                        key("at"),
                        "expected either `at` or both `from` and `to`",
                    ));
                }
            },
            Test::Change | Test::Rise | Test::Drop => match window {
                (Some(a), Some(b)) if t.at.is_none() => check_window(&key("to"), a, b, timeline)?,
                _ => {
                    return Err(ScenarioError::at_key(
                        key("from"),
                        "expected `from` and `to` (and no `at`)",
                    ));
                }
            },
            Test::Argmax | Test::Argmin => {
                if t.within.is_none() {
                    return Err(ScenarioError::at_key(
                        key("within"),
                        "expected `within = [from, to]`",
                    ));
                }
                if window.0.is_some() || window.1.is_some() {
                    let from = window.0.unwrap_or(timeline.start);
                    let to = window.1.unwrap_or(timeline.end);
                    check_window(&key("to"), from, to, timeline)?;
                }
            }
        }
        let needs_bound = !matches!(t.test, Test::Argmax | Test::Argmin);
        if needs_bound && t.at_least.is_none() && t.at_most.is_none() {
            return Err(ScenarioError::at_key(
                key("at_least"),
                "expected `at_least`, `at_most` or both",
            ));
        }
        for (field, bound) in [("at_least", t.at_least), ("at_most", t.at_most)] {
            if bound.is_some_and(|b| !b.is_finite()) {
                return Err(ScenarioError::at_key(
                    key(field),
                    "expected a finite number",
                ));
            }
        }
        match (t.test, &t.other) {
            (Test::Compare, None) => {
                return Err(ScenarioError::at_key(
                    key("other"),
                    "a compare target needs `other`",
                ));
            }
            (Test::Compare, Some(o)) => {
                in_horizon("other", o.at)?;
                in_horizon("other", o.from)?;
                in_horizon("other", o.to)?;
                match (o.at, o.from, o.to) {
                    (Some(_), None, None) => {}
                    (None, Some(a), Some(b)) => check_window(&key("other"), a, b, timeline)?,
                    _ => {
                        return Err(ScenarioError::at_key(
                            key("other"),
                            "expected either `at` or both `from` and `to` in `other`",
                        ));
                    }
                }
            }
            (_, Some(_)) => {
                return Err(ScenarioError::at_key(
                    key("other"),
                    "`other` applies to compare targets only",
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Every field written must be read by the target's test, and bounds and windows must be
/// able to hold: a field the test ignores, or a condition that can never hold, is a mistake
/// the user should hear about rather than a target that silently passes or fails.
fn check_fields_read(
    t: &TargetSpec,
    key: &dyn Fn(&str) -> String,
    timeline: &Timeline,
) -> Result<(), ScenarioError> {
    let test = test_name(t.test);
    let extreme = matches!(t.test, Test::Argmax | Test::Argmin);
    let levelled = matches!(t.test, Test::Level | Test::Compare);
    let ignored = |field: &str, reads: &str| {
        ScenarioError::at_key(
            key(field),
            format!(
                "`{field}` is not read by {} {test} target ({reads}), expected it removed",
                if test.starts_with('a') { "an" } else { "a" }
            ),
        )
    };
    if t.reduce.is_some() && !(levelled && t.at.is_none()) {
        return Err(ignored(
            "reduce",
            "`reduce` applies to level and compare targets over `from` … `to`",
        ));
    }
    if t.within.is_some() && !extreme {
        return Err(ignored(
            "within",
            "`within` applies to argmax and argmin targets",
        ));
    }
    if extreme {
        if t.at.is_some() {
            return Err(ignored(
                "at",
                "it searches `from` … `to`, by default the whole horizon",
            ));
        }
        if t.relative_to_range.is_some() {
            return Err(ignored(
                "relative_to_range",
                "it tests a date, and its bounds apply to the extreme's value as is",
            ));
        }
    }
    if let Some(o) = &t.other {
        if o.reduce.is_some() && o.at.is_some() {
            return Err(ScenarioError::at_key(
                key("other"),
                "`reduce` in `other` is not read with `at`, expected `from` and `to` with it, or no `reduce`",
            ));
        }
    }
    if let (Some(low), Some(high)) = (t.at_least, t.at_most) {
        if low > high {
            return Err(ScenarioError::at_key(
                key("at_most"),
                format!(
                    "at_most {high} is below at_least {low}: the target can never hold, expected at_least ≤ at_most"
                ),
            ));
        }
    }
    if let Some([a, b]) = t.relative_to_range {
        let steps = (0..timeline.steps())
            .filter(|&s| (a..=b).contains(&timeline.step_date(s)))
            .count();
        if steps == 1 {
            return Err(ScenarioError::at_key(
                key("relative_to_range"),
                format!(
                    "window {a} … {b} holds a single step, whose range (max − min) is 0, expected a window of at least two steps"
                ),
            ));
        }
    }
    if let (true, Some([a, b])) = (extreme, t.within) {
        let from = t.from.unwrap_or(timeline.start);
        let to = t.to.unwrap_or(timeline.end);
        if a < from || b > to {
            return Err(ScenarioError::at_key(
                key("within"),
                format!(
                    "within {a} … {b} reaches outside the searched window {from} … {to}, expected a window inside it"
                ),
            ));
        }
    }
    Ok(())
}

/// The name of a test as written in files.
fn test_name(test: Test) -> &'static str {
    match test {
        Test::Level => "level",
        Test::Change => "change",
        Test::Rise => "rise",
        Test::Drop => "drop",
        Test::Argmax => "argmax",
        Test::Argmin => "argmin",
        Test::Compare => "compare",
    }
}

fn check_window(key: &str, from: Date, to: Date, timeline: &Timeline) -> Result<(), ScenarioError> {
    if to < from {
        return Err(ScenarioError::at_key(
            key,
            format!("window {from} … {to} is reversed, expected from ≤ to"),
        ));
    }
    let has_step = (0..timeline.steps()).any(|s| (from..=to).contains(&timeline.step_date(s)));
    if !has_step {
        return Err(ScenarioError::at_key(
            key,
            format!(
                "window {from} … {to} contains no step end, expected a window of at least one step"
            ),
        ));
    }
    Ok(())
}
