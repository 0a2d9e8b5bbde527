//! Factors: numeric scenario values explored over a range (`KEY=LOW..HIGH[:int|:log]`).
//!
//! A factor is any value `--set` can address. Its range is checked up front, against the
//! scenario itself: both ends are applied as overrides and validated like the file, so a
//! range outside the value's domain is an error naming the key and the domain before any
//! run. Points are handled in the unit cube `[0, 1]^d` and mapped to values here, so designs
//! and the optimiser never see units, logarithms or integers.

use std::path::Path;

use crate::scenario::{self, ScenarioError, get_value};

/// How a factor's unit coordinate maps to its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// Uniform between the ends.
    Linear,
    /// Uniform in the logarithm (both ends positive).
    Log,
    /// Integers from LOW to HIGH, each equally likely.
    Int,
}

/// A value explored over a range.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Factor {
    /// Dotted key, as for `--set`.
    pub key: String,
    /// Lowest value.
    pub low: f64,
    /// Highest value.
    pub high: f64,
    /// How values are spread between the ends.
    pub scale: Scale,
}

const EXPECTED: &str = "expected KEY=LOW..HIGH[:int|:log], like params.trust_drift=0.01..0.1 or officers.ru.ct.count=2..20:int";

/// Parses `KEY=LOW..HIGH[:int|:log]`.
pub fn parse_factor(text: &str) -> Result<Factor, String> {
    let (key, range) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: {EXPECTED}"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(format!("`{text}`: no key, {EXPECTED}"));
    }
    let (range, scale) = match range.rsplit_once(':') {
        Some((r, "int")) => (r, Scale::Int),
        Some((r, "log")) => (r, Scale::Log),
        Some((_, other)) => {
            return Err(format!(
                "`{text}`: unknown scale `{other}`, expected `:int` or `:log` (or none)"
            ));
        }
        None => (range, Scale::Linear),
    };
    let (low, high) = range
        .split_once("..")
        .ok_or_else(|| format!("`{text}`: {EXPECTED}"))?;
    let number = |v: &str| v.trim().parse::<f64>().ok().filter(|x| x.is_finite());
    let (Some(low), Some(high)) = (number(low), number(high)) else {
        return Err(format!(
            "`{text}`: LOW and HIGH must be numbers, {EXPECTED}"
        ));
    };
    if low >= high {
        return Err(format!("`{text}`: LOW must be below HIGH"));
    }
    match scale {
        Scale::Log if low <= 0.0 => {
            return Err(format!("`{text}`: a :log range needs LOW > 0 (got {low})"));
        }
        Scale::Int if low.fract() != 0.0 || high.fract() != 0.0 => {
            return Err(format!(
                "`{text}`: an :int range needs whole numbers (got {low}..{high})"
            ));
        }
        _ => {}
    }
    Ok(Factor {
        key: key.to_string(),
        low,
        high,
        scale,
    })
}

impl Factor {
    /// The value at unit coordinate `u` ∈ [0, 1] (clamped), to [`SIGNIFICANT`] significant
    /// digits so that the value run, written and reported is one and the same number.
    pub fn value(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        match self.scale {
            Scale::Linear => {
                significant(self.low + u * (self.high - self.low)).clamp(self.low, self.high)
            }
            Scale::Log => significant((self.low.ln() + u * (self.high.ln() - self.low.ln())).exp())
                .clamp(self.low, self.high),
            Scale::Int => {
                // Equal-width bins, one per integer: u = 1 falls in the last one.
                let count = self.high - self.low + 1.0;
                (self.low + (u * count).floor()).min(self.high)
            }
        }
    }

    /// The unit coordinate of `value` (clamped to the range): the inverse of [`Factor::value`]
    /// (for integers, the middle of the value's bin).
    pub fn unit(&self, value: f64) -> f64 {
        let v = value.clamp(self.low, self.high);
        match self.scale {
            Scale::Linear => (v - self.low) / (self.high - self.low),
            Scale::Log => (v.ln() - self.low.ln()) / (self.high.ln() - self.low.ln()),
            Scale::Int => {
                let count = self.high - self.low + 1.0;
                ((v.round() - self.low + 0.5) / count).clamp(0.0, 1.0)
            }
        }
    }

    /// The value as written in an override: an integer for `:int`, otherwise the shortest
    /// text that reads back as the same number.
    pub fn format(&self, value: f64) -> String {
        match self.scale {
            Scale::Int => format!("{}", value.round() as i64),
            _ => format_number(value),
        }
    }

    /// The override `KEY=VALUE` for `value`.
    pub fn assignment(&self, value: f64) -> String {
        format!("{}={}", self.key, self.format(value))
    }

    /// The factor as given on the command line.
    pub fn spec(&self) -> String {
        let scale = match self.scale {
            Scale::Linear => "",
            Scale::Log => ":log",
            Scale::Int => ":int",
        };
        format!(
            "{}={}..{}{scale}",
            self.key,
            format_number(self.low),
            format_number(self.high)
        )
    }
}

/// Significant digits of a factor's values: far finer than any effect a finite ensemble can
/// resolve, coarse enough to read.
pub const SIGNIFICANT: i32 = 6;

/// `value` rounded to [`SIGNIFICANT`] significant digits.
pub fn significant(value: f64) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    let scale = 10f64.powi(SIGNIFICANT - 1 - value.abs().log10().floor() as i32);
    (value * scale).round() / scale
}

/// The shortest decimal text that parses back to `value`, always with a decimal point or an
/// exponent so that TOML reads it as a float.
pub fn format_number(value: f64) -> String {
    let text = format!("{value}");
    if text.contains(['.', 'e', 'E']) || !value.is_finite() {
        text
    } else {
        format!("{text}.0")
    }
}

/// Overrides for one point: the factors' values at unit coordinates `unit`.
pub fn assignments(factors: &[Factor], unit: &[f64]) -> Vec<String> {
    factors
        .iter()
        .zip(unit)
        .map(|(f, &u)| f.assignment(f.value(u)))
        .collect()
}

/// Checks every factor against the scenario at `path` (with the fixed overrides `sets`):
/// the key must name a numeric value, integer-valued keys need `:int`, keys may appear only
/// once, and both ends of the range must pass the scenario's validation. Returns the
/// scenario's own value of each factor.
pub fn check_factors(path: &Path, sets: &[String], factors: &[Factor]) -> Result<Vec<f64>, String> {
    let describe = |e: ScenarioError| e.to_string();
    let loaded = scenario::load_with(path, sets).map_err(describe)?;
    let table = toml::Table::try_from(&loaded.scenario.effective)
        .map_err(|e| format!("cannot read the effective scenario: {e}"))?;
    let mut current = Vec::new();
    for (index, factor) in factors.iter().enumerate() {
        if factors[..index].iter().any(|f| f.key == factor.key) {
            return Err(format!(
                "--param {}: the key is given twice, expected each factor once",
                factor.key
            ));
        }
        let value = get_value(&table, &factor.key).ok_or_else(|| {
            format!(
                "--param {}: no such value in `{}`, expected a numeric key that --set accepts \
                 (`liaison check {} --params` lists the model parameters)",
                factor.key,
                path.display(),
                path.display()
            )
        })?;
        let number = match value {
            toml::Value::Integer(i) => {
                if factor.scale != Scale::Int {
                    return Err(format!(
                        "--param {}: the value is an integer ({i}), expected an integer range: \
                         add `:int`, like {}=LOW..HIGH:int",
                        factor.key, factor.key
                    ));
                }
                *i as f64
            }
            toml::Value::Float(x) => *x,
            other => {
                return Err(format!(
                    "--param {}: the value is {} `{other}`, expected a number",
                    factor.key,
                    other.type_str()
                ));
            }
        };
        for (end, value) in [("LOW", factor.low), ("HIGH", factor.high)] {
            let mut all = sets.to_vec();
            all.push(factor.assignment(value));
            if let Err(e) = scenario::load_with(path, &all) {
                return Err(format!(
                    "--param {}: {end} = {} is outside the value's domain: {}",
                    factor.spec(),
                    factor.format(value),
                    e.message
                ));
            }
        }
        current.push(number);
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_parse_with_scales() {
        let f = parse_factor("params.x=0.01..0.1").unwrap();
        assert_eq!((f.low, f.high, f.scale), (0.01, 0.1, Scale::Linear));
        assert_eq!(parse_factor("a.b=1..10:log").unwrap().scale, Scale::Log);
        assert_eq!(parse_factor("a.b=2..20:int").unwrap().scale, Scale::Int);
        for bad in [
            "a.b",
            "a.b=1",
            "a.b=2..1",
            "a.b=x..1",
            "=0..1",
            "a.b=0..1:sqrt",
            "a.b=0..1:log",
            "a.b=0.5..3:int",
            "a.b=0..inf",
        ] {
            assert!(parse_factor(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn values_map_both_ways() {
        let lin = parse_factor("a=2..4").unwrap();
        assert_eq!(lin.value(0.5), 3.0);
        assert_eq!(lin.value(1.0 / 3.0), 2.66667);
        assert_eq!(significant(0.000123456789), 0.000123457);
        assert_eq!(lin.unit(3.0), 0.5);
        let log = parse_factor("a=1..100:log").unwrap();
        assert!((log.value(0.5) - 10.0).abs() < 1e-12);
        assert!((log.unit(10.0) - 0.5).abs() < 1e-12);
        let int = parse_factor("a=2..5:int").unwrap();
        let values: Vec<f64> = [0.0, 0.24, 0.26, 0.74, 0.76, 1.0]
            .iter()
            .map(|&u| int.value(u))
            .collect();
        assert_eq!(values, [2.0, 2.0, 3.0, 4.0, 5.0, 5.0]);
        for v in 2..=5 {
            assert_eq!(int.value(int.unit(f64::from(v))), f64::from(v));
        }
        assert_eq!(int.assignment(3.0), "a=3");
        assert_eq!(lin.assignment(3.0), "a=3.0");
    }
}
