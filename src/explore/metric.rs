//! What a sweep measures at each point: every target of the scenario, and `--metric` specs
//! written in the target vocabulary without bounds.
//!
//! A metric is `NAME: KEY=VALUE, KEY=VALUE, ...` with the keys of a `[[target]]`: `test`
//! (`level`, `change`, `rise`, `drop`, `argmax`, `argmin`), `series` (names or globs,
//! separated by `;`, averaged run by run), `statistic` (the curve of the `ensemble` column:
//! `median` by default), `at`, or `from` and `to`, and `reduce`. For example
//! `ct-2015: test=level, series=trust.ct.*, from=2015-01-01, to=2015-12-31` (mean trust over
//! 2015) or `cyber-bottom: test=argmin, series=trust.cyber.ru.us` (the date of the minimum, in
//! decimal years, over the horizon or `from`…`to`).
//!
//! Each target gives three metrics: `<id>` (its measured value), `<id>.margin` (signed
//! distance to its bounds, positive when it holds) and `<id>.holds` (1 when it holds, so its
//! mean over runs is the share of runs in which it holds).

use crate::model::SeriesLayout;
use crate::scenario::{Date, Scenario, parse_value};
use crate::targets::{Measurement, TargetSpec, Test, check_structure, measure, select_series};

/// A parsed `--metric`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpec {
    /// Name in `points.csv`.
    pub name: String,
    /// The text as given.
    pub text: String,
    /// The fields, as TOML values.
    fields: toml::Table,
}

const KEYS: [&str; 7] = ["test", "series", "statistic", "at", "from", "to", "reduce"];

/// Parses `NAME: KEY=VALUE, ...`.
pub fn parse_metric(text: &str) -> Result<MetricSpec, String> {
    let expected = "expected NAME: test=..., series=..., like 'ct-2015: test=level, series=trust.ct.*, from=2015-01-01, to=2015-12-31'";
    let (name, body) = text
        .split_once(':')
        .ok_or_else(|| format!("--metric `{text}`: {expected}"))?;
    let name = name.trim();
    crate::scenario::check_name("metric", name, "metric name")
        .map_err(|e| format!("--metric `{text}`: {}", e.message))?;
    let mut fields = toml::Table::new();
    for part in body.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| format!("--metric `{text}`: `{part}` is not KEY=VALUE, {expected}"))?;
        let key = key.trim();
        if !KEYS.contains(&key) {
            return Err(format!(
                "--metric `{text}`: unknown key `{key}`, expected one of {}",
                KEYS.join(", ")
            ));
        }
        let value = if key == "series" {
            toml::Value::Array(
                value
                    .split(';')
                    .map(|s| toml::Value::String(s.trim().to_string()))
                    .collect(),
            )
        } else {
            parse_value(value)
        };
        fields.insert(key.to_string(), value);
    }
    for required in ["test", "series"] {
        if !fields.contains_key(required) {
            return Err(format!("--metric `{text}`: no `{required}`, {expected}"));
        }
    }
    Ok(MetricSpec {
        name: name.to_string(),
        text: text.to_string(),
        fields,
    })
}

impl MetricSpec {
    /// The target spec that measures this metric on `scenario`'s horizon (bounds that always
    /// hold; extremes searched over the horizon unless `from`/`to` narrow it).
    pub fn target(&self, scenario: &Scenario) -> Result<TargetSpec, String> {
        let mut table = self.fields.clone();
        table.insert("id".into(), toml::Value::String(self.name.clone()));
        table.insert(
            "description".into(),
            toml::Value::String(format!("--metric {}", self.text)),
        );
        let mut spec: TargetSpec = table
            .try_into()
            .map_err(|e: toml::de::Error| format!("--metric `{}`: {}", self.text, e.message()))?;
        match spec.test {
            Test::Argmax | Test::Argmin => {
                let t = scenario.timeline;
                spec.within = Some([t.start, t.end]);
            }
            Test::Compare => {
                return Err(format!(
                    "--metric `{}`: `compare` needs `other`, which a metric cannot give: write a [[target]]",
                    self.text
                ));
            }
            // A bound that always holds: metrics report values, not verdicts.
            _ => spec.at_least = Some(-f64::MAX),
        }
        check_structure(std::slice::from_ref(&spec), &scenario.timeline).map_err(|e| {
            format!(
                "--metric `{}`: {}",
                self.text,
                e.message.replace(&format!("target.{}.", self.name), "")
            )
        })?;
        Ok(spec)
    }
}

/// What one probe reports from a measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// The measured value (the date in decimal years for an extreme).
    Value,
    /// The margin to the target's bounds.
    Margin,
    /// 1 when the target holds, else 0.
    Holds,
}

/// One row of `points.csv` per point: a curve measured one way.
#[derive(Debug, Clone)]
pub struct Probe {
    /// Metric name.
    pub name: String,
    /// The spec measured.
    pub spec: TargetSpec,
    /// Index of its curve among the probe set's columns.
    pub curve: usize,
    /// Index of its `other` curve.
    pub other: usize,
    /// What is read from the measurement.
    pub reading: Reading,
    /// Probes of the same group read the same measurement (a target's three readings).
    pub group: usize,
    /// The target's bounds (for figures), when it is a target.
    pub bounds: Option<(Option<f64>, Option<f64>)>,
}

impl Probe {
    /// The number this probe reads from a measurement.
    pub fn read(&self, m: &Measurement) -> f64 {
        match self.reading {
            Reading::Value => match (self.spec.test, m.date) {
                (Test::Argmax | Test::Argmin, Some(d)) => d.as_year_fraction(),
                (Test::Argmax | Test::Argmin, None) => f64::NAN,
                _ => m.value,
            },
            Reading::Margin => m.margin,
            Reading::Holds => f64::from(u8::from(m.holds())),
        }
    }
}

/// The bounds of a target's value as [`Probe::read`] reports it: for an extreme, its date
/// window in decimal years; otherwise its `at_least`/`at_most`.
fn bounds_of(spec: &TargetSpec) -> (Option<f64>, Option<f64>) {
    match (spec.test, spec.within) {
        (Test::Argmax | Test::Argmin, Some([a, b])) => {
            (Some(a.as_year_fraction()), Some(b.as_year_fraction()))
        }
        _ => (spec.at_least, spec.at_most),
    }
}

/// The curves the probes read: recorded series, or run-by-run means of several.
#[derive(Debug, Clone)]
pub struct Probes {
    /// Every probe, in `points.csv` order.
    pub probes: Vec<Probe>,
    /// For each column, the recorded series averaged into it.
    pub columns: Vec<Vec<usize>>,
}

impl Probes {
    /// The probes of `scenario`: its targets, then `metrics`.
    pub fn new(scenario: &Scenario, metrics: &[MetricSpec]) -> Result<Probes, String> {
        let layout = SeriesLayout::new(scenario);
        let mut columns: Vec<Vec<usize>> = Vec::new();
        let mut column = |members: Vec<usize>| -> usize {
            columns
                .iter()
                .position(|c| *c == members)
                .unwrap_or_else(|| {
                    columns.push(members);
                    columns.len() - 1
                })
        };
        let mut probes = Vec::new();
        let mut groups = 0;
        let mut add = |spec: &TargetSpec, readings: &[(Reading, String)], is_target: bool| {
            let curve = select_series(&layout, &spec.series).map_err(|m| {
                format!(
                    "{} `{}`: {m}",
                    if is_target { "target" } else { "--metric" },
                    spec.id
                )
            })?;
            let other = match &spec.other {
                Some(o) if !o.series.is_empty() => select_series(&layout, &o.series)
                    .map_err(|m| format!("target `{}` other: {m}", spec.id))?,
                _ => curve.clone(),
            };
            let (curve, other) = (column(curve), column(other));
            let group = groups;
            groups += 1;
            for (reading, name) in readings {
                probes.push(Probe {
                    name: name.clone(),
                    spec: spec.clone(),
                    curve,
                    other,
                    reading: *reading,
                    group,
                    bounds: is_target.then(|| bounds_of(spec)),
                });
            }
            Ok::<(), String>(())
        };
        for t in &scenario.targets {
            add(
                t,
                &[
                    (Reading::Value, t.id.clone()),
                    (Reading::Margin, format!("{}.margin", t.id)),
                    (Reading::Holds, format!("{}.holds", t.id)),
                ],
                true,
            )?;
        }
        for m in metrics {
            if scenario.targets.iter().any(|t| t.id == m.name) {
                return Err(format!(
                    "--metric {}: the scenario has a target of that name, expected another name",
                    m.name
                ));
            }
            if metrics.iter().filter(|o| o.name == m.name).count() > 1 {
                return Err(format!("--metric {}: the name is given twice", m.name));
            }
            add(
                &m.target(scenario)?,
                &[(Reading::Value, m.name.clone())],
                false,
            )?;
        }
        Ok(Probes { probes, columns })
    }

    /// Metric names, in order.
    pub fn names(&self) -> Vec<String> {
        self.probes.iter().map(|p| p.name.clone()).collect()
    }

    /// Fills `compact[step * columns + c]` from a run's `record[step * series + s]`.
    pub fn extract(&self, record: &[f64], series: usize, compact: &mut [f64]) {
        let width = self.columns.len();
        for (row, out) in record
            .chunks_exact(series.max(1))
            .zip(compact.chunks_exact_mut(width.max(1)))
        {
            for (members, slot) in self.columns.iter().zip(out.iter_mut()) {
                *slot = match members.as_slice() {
                    [single] => row[*single],
                    many => many.iter().map(|&m| row[m]).sum::<f64>() / many.len() as f64,
                };
            }
        }
    }

    /// Measures every probe on the curves `compact` (`[step * columns + c]`), dated `dates`.
    pub fn measure_all(&self, dates: &[Date], compact: &[f64], out: &mut Vec<f64>) {
        let width = self.columns.len().max(1);
        let curve = |c: usize| -> Vec<f64> { compact.chunks_exact(width).map(|r| r[c]).collect() };
        out.clear();
        let mut last: Option<(usize, Measurement)> = None;
        for p in &self.probes {
            // The three readings of a target share one measurement.
            let m = match last {
                Some((group, m)) if group == p.group => m,
                _ => measure(&p.spec, dates, &curve(p.curve), &curve(p.other)),
            };
            last = Some((p.group, m));
            out.push(p.read(&m));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_parse_into_fields() {
        let m = parse_metric(
            "ct-2015: test=level, series=trust.ct.*;trust.cyber.*, from=2015-01-01, to=2015-12-31",
        )
        .unwrap();
        assert_eq!(m.name, "ct-2015");
        assert_eq!(m.fields["series"].as_array().unwrap().len(), 2);
        assert!(matches!(m.fields["from"], toml::Value::Datetime(_)));
        for bad in [
            "no colon",
            "x: test=level",
            "x: series=a",
            "x: test=level, series=a, at_least=1",
            "x: test=level series=a",
            "bad name!: test=level, series=a",
        ] {
            assert!(parse_metric(bad).is_err(), "{bad} accepted");
        }
    }
}
