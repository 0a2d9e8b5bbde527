//! Compiling targets against a scenario's series and evaluating them on an ensemble.

use globset::Glob;

use super::spec::{Reduce, TargetSpec, Test};
use crate::model::SeriesLayout;
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

/// What a target measured on one curve (the ensemble's statistic, or one run).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    /// The tested value (for `argmax`/`argmin`: the extreme's value); NaN when undefined.
    pub value: f64,
    /// For `argmax`/`argmin`: the date of the extreme.
    pub date: Option<Date>,
    /// Signed distance to the condition's boundary, positive when it holds (in the tested
    /// value's units; in years for the date of an extreme). Calibration climbs it.
    pub margin: f64,
}

impl Measurement {
    /// Whether the condition holds (with a tolerance for rounding).
    pub fn holds(&self) -> bool {
        self.margin >= -1e-12
    }
}

/// The result of one target on an ensemble.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Target id.
    pub id: String,
    /// The stylized fact in words.
    pub description: String,
    /// What the target measured on the ensemble's statistic curve.
    pub measured: Measurement,
    /// The condition, formatted (`≥ 0.25`, `in 2013-04-15 … 2014-02-23`).
    pub bound: String,
    /// Whether the condition holds on the ensemble's statistic curve.
    pub pass: bool,
    /// Signed distance to the condition's boundary on the statistic curve (see
    /// [`Measurement::margin`]).
    pub margin: f64,
    /// Share of the runs in which the condition holds, each run judged on its own curve.
    pub share_holding: f64,
    /// The window the target looks at, for plots.
    pub window: (Date, Date),
    /// Names of the series it reads.
    pub series: Vec<String>,
}

impl Outcome {
    /// The measured value as printed: a number, or a date with the extreme's value.
    pub fn observed(&self) -> String {
        let value = format_value(self.measured.value);
        match self.measured.date {
            Some(date) => format!("{date} ({value})"),
            None => value,
        }
    }
}

/// A number with three decimals, never "-0.000".
pub fn format_value(value: f64) -> String {
    if !value.is_finite() {
        return "none".into();
    }
    let text = format!("{value:.3}");
    if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        "0.000".into()
    } else {
        text
    }
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
        let mut count = 0usize;
        let (mut sum, mut min, mut max) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
        let (mut first, mut last) = (f64::NAN, f64::NAN);
        for (_, v) in self.window(from, to) {
            if count == 0 {
                first = v;
            }
            last = v;
            count += 1;
            sum += v;
            min = min.min(v);
            max = max.max(v);
        }
        match how {
            Reduce::Mean if count > 0 => sum / count as f64,
            Reduce::Mean => f64::NAN,
            Reduce::Min => min,
            Reduce::Max => max,
            Reduce::First => first,
            Reduce::Last => last,
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
    let extra = match (spec.at_least, spec.at_most) {
        (Some(lo), Some(hi)) => format!("{lo}{scale} … {hi}{scale}"),
        (Some(lo), None) => format!("≥ {lo}{scale}"),
        (None, Some(hi)) => format!("≤ {hi}{scale}"),
        (None, None) => String::new(),
    };
    match (spec.test, spec.within) {
        (Test::Argmax | Test::Argmin, Some([a, b])) if extra.is_empty() => {
            format!("in {a} … {b}")
        }
        (Test::Argmax | Test::Argmin, Some([a, b])) => format!("in {a} … {b}, value {extra}"),
        _ => extra,
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

/// Signed distance in years of `date` to the window `[a, b]`: positive inside.
fn date_margin(date: Date, a: Date, b: Date) -> f64 {
    let years = |from: Date, to: Date| from.days_until(to) as f64 / 365.25;
    years(a, date).min(years(date, b))
}

/// Measures `spec` on the curve `y` (one value per step, dated `dates`); `other` is the curve
/// of a compare target's `other` series (the same as `y` when it names none).
pub fn measure(spec: &TargetSpec, dates: &[Date], y: &[f64], other: &[f64]) -> Measurement {
    let read = Reader { dates, y };
    let none = Measurement {
        value: f64::NAN,
        date: None,
        margin: f64::NEG_INFINITY,
    };
    let (Some(&start), Some(&end)) = (dates.first(), dates.last()) else {
        return none;
    };
    let from = spec.from.unwrap_or(start);
    let to = spec.to.unwrap_or(end);
    let range = spec
        .relative_to_range
        .map(|[a, b]| read.reduce(a, b, Reduce::Max) - read.reduce(a, b, Reduce::Min));
    let scaled = |v: f64| match range {
        Some(r) if r > 0.0 => v / r,
        Some(_) => f64::NAN,
        None => v,
    };
    let value = |v: f64| Measurement {
        value: v,
        date: None,
        margin: bound_margin(spec, v),
    };
    match spec.test {
        Test::Level => value(scaled(read.level(spec.at, spec.from, spec.to, spec.reduce))),
        Test::Change | Test::Rise | Test::Drop => {
            let before = read.at(from);
            value(scaled(match spec.test {
                Test::Change => read.reduce(from, to, Reduce::Last) - before,
                Test::Rise => read.reduce(from, to, Reduce::Max) - before,
                _ => before - read.reduce(from, to, Reduce::Min),
            }))
        }
        Test::Compare => {
            let left = read.level(spec.at, spec.from, spec.to, spec.reduce);
            let right = match &spec.other {
                Some(o) => Reader { dates, y: other }.level(o.at, o.from, o.to, o.reduce),
                // Validation guarantees `other`; without it the comparison is undefined.
                None => f64::NAN,
            };
            value(scaled(left - right))
        }
        Test::Argmax | Test::Argmin => {
            // Validation guarantees `within`; the whole horizon stands in otherwise.
            let [a, b] = spec.within.unwrap_or([start, end]);
            match read.extreme(from, to, spec.test == Test::Argmax) {
                Some((index, extreme)) => Measurement {
                    value: extreme,
                    date: Some(dates[index]),
                    margin: date_margin(dates[index], a, b).min(bound_margin(spec, extreme)),
                },
                None => none,
            }
        }
    }
}

/// The window a target looks at, for plots: its date or window, widened to a compare
/// target's other date or window; for extremes, the `within` window.
pub fn window(spec: &TargetSpec, start: Date, end: Date) -> (Date, Date) {
    if let (Test::Argmax | Test::Argmin, Some([a, b])) = (spec.test, spec.within) {
        return (a, b);
    }
    let from = spec.from.unwrap_or(start);
    let to = spec.to.unwrap_or(end);
    let mut window = (spec.at.unwrap_or(from), spec.at.unwrap_or(to));
    if let Some(o) = &spec.other
        && let Some(d) = o.at.or(o.from)
    {
        window = (window.0.min(d), window.1.max(o.to.unwrap_or(d)));
    }
    window
}

/// The outcome of `target` given its measurement on the ensemble's statistic curve and the
/// share of runs in which it held; `horizon` is the scenario's (start, end).
pub fn outcome(
    target: &Target,
    layout: &SeriesLayout,
    horizon: (Date, Date),
    measured: Measurement,
    share_holding: f64,
) -> Outcome {
    let spec = &target.spec;
    let (start, end) = horizon;
    Outcome {
        id: spec.id.clone(),
        description: spec.description.clone(),
        measured,
        bound: format_bound(spec),
        pass: measured.holds(),
        margin: measured.margin,
        share_holding,
        window: window(spec, start, end),
        series: target
            .series
            .iter()
            .map(|&s| layout.names[s].clone())
            .collect(),
    }
}
