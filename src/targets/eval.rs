//! Compiling targets against a scenario's series and evaluating them on an ensemble.

use globset::Glob;

use super::spec::{OtherSpec, Reduce, TargetSpec, Test};
use crate::aggregate::Stats;
use crate::model::SeriesLayout;
use crate::runner::Ensemble;
use crate::scenario::{Date, Scenario, ScenarioError};

/// A target whose series have been resolved.
#[derive(Debug, Clone)]
pub struct Target {
    /// The target as written.
    pub spec: TargetSpec,
    /// Indices of the selected series (averaged run by run).
    pub series: Vec<usize>,
    /// Indices of the `other` series of a compare target.
    pub other_series: Vec<usize>,
}

/// Resolves series names and globs against a layout.
pub fn select_series(layout: &SeriesLayout, patterns: &[String]) -> Result<Vec<usize>, String> {
    let mut selected = Vec::new();
    for pattern in patterns {
        let matcher = Glob::new(pattern)
            .map_err(|e| format!("`{pattern}` is not a valid glob: {e}"))?
            .compile_matcher();
        let before = selected.len();
        for (index, name) in layout.names.iter().enumerate() {
            if matcher.is_match(name) && !selected.contains(&index) {
                selected.push(index);
            }
        }
        if selected.len() == before {
            return Err(format!(
                "no series matches `{pattern}`, expected a series of summary.csv such as {}",
                layout
                    .names
                    .iter()
                    .take(4)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    Ok(selected)
}

/// Resolves the series of every target of `scenario`.
pub fn compile(scenario: &Scenario) -> Result<Vec<Target>, ScenarioError> {
    let layout = SeriesLayout::new(scenario);
    scenario
        .targets
        .iter()
        .map(|spec| {
            let series = select_series(&layout, &spec.series)
                .map_err(|m| ScenarioError::at_key(format!("target.{}.series", spec.id), m))?;
            let other_series = match &spec.other {
                Some(o) if !o.series.is_empty() => select_series(&layout, &o.series)
                    .map_err(|m| ScenarioError::at_key(format!("target.{}.other", spec.id), m))?,
                _ => series.clone(),
            };
            Ok(Target {
                spec: spec.clone(),
                series,
                other_series,
            })
        })
        .collect()
}

/// The result of one target on an ensemble.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Target id.
    pub id: String,
    /// The stylized fact in words.
    pub description: String,
    /// The tested value, formatted (a number, or a date for argmax/argmin).
    pub observed: String,
    /// The condition, formatted (`≥ 0.25`, `in 2013-04-15 … 2014-02-23`).
    pub bound: String,
    /// Whether the condition holds.
    pub pass: bool,
    /// Signed distance to the condition's boundary, positive when it holds (in the tested
    /// value's units; in years for the date of an extreme). Calibration climbs it.
    pub margin: f64,
    /// The window the target looks at, for plots.
    pub window: (Date, Date),
    /// Names of the series it reads.
    pub series: Vec<String>,
}

/// The statistic curve of the per-run mean of `series`.
pub fn curve(ensemble: &Ensemble, series: &[usize], statistic: &str) -> Vec<f64> {
    let steps = ensemble.dates.len();
    let mut column = vec![0.0; ensemble.runs.len()];
    (0..steps)
        .map(|step| {
            for (run, value) in column.iter_mut().enumerate() {
                *value = series
                    .iter()
                    .map(|&s| ensemble.value(run, step, s))
                    .sum::<f64>()
                    / series.len() as f64;
            }
            Stats::of(&mut column).get(statistic).unwrap_or(f64::NAN)
        })
        .collect()
}

/// Reads curves at dates and over windows.
struct Reader<'a> {
    dates: &'a [Date],
    y: &'a [f64],
}

impl Reader<'_> {
    /// Value at the end of the last step completed before `date` (the first step if none).
    fn at(&self, date: Date) -> f64 {
        let index = self.dates.iter().rposition(|d| *d < date).unwrap_or(0);
        self.y[index]
    }

    fn window(&self, from: Date, to: Date) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.dates
            .iter()
            .enumerate()
            .filter(move |(_, d)| from <= **d && **d <= to)
            .map(|(i, _)| (i, self.y[i]))
    }

    fn reduce(&self, from: Date, to: Date, how: Reduce) -> f64 {
        let values: Vec<f64> = self.window(from, to).map(|(_, v)| v).collect();
        match how {
            Reduce::Mean => values.iter().sum::<f64>() / values.len().max(1) as f64,
            Reduce::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
            Reduce::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Reduce::First => values.first().copied().unwrap_or(f64::NAN),
            Reduce::Last => values.last().copied().unwrap_or(f64::NAN),
        }
    }

    fn extreme(&self, from: Date, to: Date, max: bool) -> Option<(usize, f64)> {
        self.window(from, to).fold(None, |best, (i, v)| match best {
            Some((_, b)) if (max && v <= b) || (!max && v >= b) => best,
            _ => Some((i, v)),
        })
    }

    fn level(
        &self,
        at: Option<Date>,
        from: Option<Date>,
        to: Option<Date>,
        reduce: Option<Reduce>,
    ) -> f64 {
        match (at, from, to) {
            (Some(d), _, _) => self.at(d),
            (None, Some(a), Some(b)) => self.reduce(a, b, reduce.unwrap_or(Reduce::Mean)),
            _ => f64::NAN,
        }
    }
}

fn format_bound(spec: &TargetSpec) -> String {
    let scale = if spec.relative_to_range.is_some() {
        "·range"
    } else {
        ""
    };
    match (spec.at_least, spec.at_most) {
        (Some(lo), Some(hi)) => format!("{lo}{scale} … {hi}{scale}"),
        (Some(lo), None) => format!("≥ {lo}{scale}"),
        (None, Some(hi)) => format!("≤ {hi}{scale}"),
        (None, None) => String::new(),
    }
}

/// Signed distance of `value` to the bounds: positive inside, negative outside, `-inf` for
/// a value that is not a number.
fn bound_margin(spec: &TargetSpec, value: f64) -> f64 {
    if !value.is_finite() {
        return f64::NEG_INFINITY;
    }
    let low = spec.at_least.map_or(f64::INFINITY, |lo| value - lo);
    let high = spec.at_most.map_or(f64::INFINITY, |hi| hi - value);
    low.min(high)
}

/// Whether a margin means the condition holds (with a tolerance for rounding).
fn holds(margin: f64) -> bool {
    margin >= -1e-12
}

/// Signed distance in years of `date` to the window `[a, b]`: positive inside.
fn date_margin(date: Date, a: Date, b: Date) -> f64 {
    let years = |from: Date, to: Date| from.days_until(to) as f64 / 365.25;
    years(a, date).min(years(date, b))
}

/// Evaluates `target` on `ensemble`.
pub fn evaluate(target: &Target, ensemble: &Ensemble) -> Outcome {
    let spec = &target.spec;
    let y = curve(ensemble, &target.series, &spec.statistic);
    let dates = &ensemble.dates;
    let read = Reader { dates, y: &y };
    let (start, end) = (dates[0], dates[dates.len() - 1]);
    let from = spec.from.unwrap_or(start);
    let to = spec.to.unwrap_or(end);
    let mut window = (spec.at.unwrap_or(from), spec.at.unwrap_or(to));
    let range = spec.relative_to_range.map(|[a, b]| {
        let hi = read.reduce(a, b, Reduce::Max);
        let lo = read.reduce(a, b, Reduce::Min);
        hi - lo
    });
    let scaled = |v: f64| match range {
        Some(r) if r > 0.0 => v / r,
        Some(_) => f64::NAN,
        None => v,
    };
    let mut bound = format_bound(spec);
    let (observed, margin) = match spec.test {
        Test::Level => {
            let v = scaled(read.level(spec.at, spec.from, spec.to, spec.reduce));
            (format!("{v:.3}"), bound_margin(spec, v))
        }
        Test::Change | Test::Rise | Test::Drop => {
            let before = read.at(from);
            let v = scaled(match spec.test {
                Test::Change => read.reduce(from, to, Reduce::Last) - before,
                Test::Rise => read.reduce(from, to, Reduce::Max) - before,
                _ => before - read.reduce(from, to, Reduce::Min),
            });
            (format!("{v:.3}"), bound_margin(spec, v))
        }
        Test::Compare => {
            let left = read.level(spec.at, spec.from, spec.to, spec.reduce);
            let other_y = curve(ensemble, &target.other_series, &spec.statistic);
            let other_read = Reader { dates, y: &other_y };
            // Validation guarantees `other`; without it the comparison is undefined (NaN fails).
            let default = OtherSpec {
                series: Vec::new(),
                at: None,
                from: None,
                to: None,
                reduce: None,
            };
            let o = spec.other.as_ref().unwrap_or(&default);
            let right = other_read.level(o.at, o.from, o.to, o.reduce);
            let v = scaled(left - right);
            if let Some(d) = o.at.or(o.from) {
                window = (window.0.min(d), window.1.max(o.to.unwrap_or(d)));
            }
            (format!("{v:.3}"), bound_margin(spec, v))
        }
        Test::Argmax | Test::Argmin => {
            // Validation guarantees `within`; the whole horizon stands in otherwise.
            let [a, b] = spec.within.unwrap_or([start, end]);
            window = (a, b);
            match read.extreme(from, to, spec.test == Test::Argmax) {
                Some((index, value)) => {
                    let date = dates[index];
                    let value_margin = bound_margin(spec, value);
                    let extra = format_bound(spec);
                    bound = if extra.is_empty() {
                        format!("in {a} … {b}")
                    } else {
                        format!("in {a} … {b}, value {extra}")
                    };
                    (
                        format!("{date} ({value:.3})"),
                        date_margin(date, a, b).min(value_margin),
                    )
                }
                None => ("none".into(), f64::NEG_INFINITY),
            }
        }
    };
    Outcome {
        id: spec.id.clone(),
        description: spec.description.clone(),
        observed,
        bound,
        pass: holds(margin),
        margin,
        window,
        series: target
            .series
            .iter()
            .map(|&s| ensemble.layout.names[s].clone())
            .collect(),
    }
}

/// Evaluates every target.
pub fn evaluate_all(targets: &[Target], ensemble: &Ensemble) -> Vec<Outcome> {
    targets.iter().map(|t| evaluate(t, ensemble)).collect()
}
