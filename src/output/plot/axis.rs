//! Tick positions and labels: calendar ticks for the shared date axis, round numbers for y.
//!
//! Computed here rather than left to plotters so that the labels are exactly the ones a
//! reader expects ("2013", not "2013.0"; "0.25", not "0.25000000000000006").

use crate::scenario::Date;

/// A labelled position on the x axis, in fractional years.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Tick {
    /// Position (see [`Date::as_year_fraction`]).
    pub x: f64,
    /// Text under the tick.
    pub label: String,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Ticks for the date axis from `from` to `to`, with at most about `max_labels` labels,
/// and the positions of lighter, unlabelled grid lines.
///
/// Years (on 1 January) when the range holds at least three of them, thinned to every 2nd,
/// 5th, … year on long ranges; months otherwise, so a short range still gets labels.
pub(super) fn date_ticks(from: Date, to: Date, max_labels: usize) -> (Vec<Tick>, Vec<f64>) {
    let (from, to) = if from <= to { (from, to) } else { (to, from) };
    let (x0, x1) = (from.as_year_fraction(), to.as_year_fraction());
    let max_labels = max_labels.max(2);
    let inside = |d: Option<Date>| {
        d.map(Date::as_year_fraction)
            .filter(|x| (x0..=x1).contains(x))
    };
    let years: Vec<(i16, f64)> = (from.0.year()..=to.0.year())
        .filter_map(|y| inside(Date::new(y, 1, 1)).map(|x| (y, x)))
        .collect();

    // Below three year marks, months say more (and a one-year zoom still gets labels).
    if years.len() >= 3 {
        let step: i32 = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000]
            .into_iter()
            .find(|&s| years.len().div_ceil(s as usize) <= max_labels)
            .unwrap_or(1000);
        let mut ticks = Vec::new();
        let mut light = Vec::new();
        for &(y, x) in &years {
            if i32::from(y).rem_euclid(step) == 0 {
                ticks.push(Tick {
                    x,
                    label: y.to_string(),
                });
            } else {
                light.push(x);
            }
        }
        if step == 1 && years.len() <= 12 {
            // Quarters help reading dates off a few-year axis.
            for y in from.0.year()..=to.0.year() {
                light.extend(
                    [4, 7, 10]
                        .into_iter()
                        .filter_map(|m| inside(Date::new(y, m, 1))),
                );
            }
        }
        return (ticks, light);
    }

    let months: Vec<(i16, i8, f64)> = (from.0.year()..=to.0.year())
        .flat_map(|y| (1..=12).map(move |m| (y, m)))
        .filter_map(|(y, m)| inside(Date::new(y, m, 1)).map(|x| (y, m, x)))
        .collect();
    let step: i8 = [1, 2, 3, 6, 12]
        .into_iter()
        .find(|&s| months.len().div_ceil(s as usize) <= max_labels)
        .unwrap_or(12);
    let mut ticks = Vec::new();
    let mut light = Vec::new();
    for &(y, m, x) in &months {
        if (m - 1) % step != 0 {
            light.push(x);
            continue;
        }
        // The year appears on January and on the first tick, so every label can be placed.
        let label = if m == 1 {
            y.to_string()
        } else if ticks.is_empty() {
            format!("{} {y}", MONTHS[(m - 1) as usize])
        } else {
            MONTHS[(m - 1) as usize].to_string()
        };
        ticks.push(Tick { x, label });
    }
    (ticks, light)
}

/// Round tick values covering `lo..=hi` (about `target` of them) and the number of decimals
/// that shows them exactly.
pub(super) fn value_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, usize) {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let span = hi - lo;
    if !span.is_finite() || span <= 0.0 {
        return if lo.is_finite() {
            (vec![lo], decimals_for(lo.abs().max(1.0)))
        } else {
            (vec![], 0)
        };
    }
    let raw = span / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let (mantissa, extra) = [(1.0, 0), (2.0, 0), (2.5, 1), (5.0, 0), (10.0, 0)]
        .into_iter()
        .find(|&(m, _)| m * magnitude >= raw)
        .unwrap_or((10.0, 0));
    let step = mantissa * magnitude;
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    let ticks = (first..=last).map(|k| k as f64 * step).collect();
    (ticks, decimals_for(step) + extra)
}

fn decimals_for(step: f64) -> usize {
    (-step.log10().floor()).clamp(0.0, 9.0) as usize
}

/// `value` with `decimals` decimals, without a minus sign on zero.
pub(super) fn format_value(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        text.trim_start_matches('-').to_string()
    } else {
        text.replace('-', "\u{2212}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i16, m: i8, d: i8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    #[test]
    fn years_on_multi_year_ranges() {
        let (ticks, light) = date_ticks(date(2012, 6, 1), date(2016, 3, 1), 20);
        let labels: Vec<&str> = ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["2013", "2014", "2015", "2016"]);
        assert_eq!(ticks[0].x, 2013.0);
        assert!(!light.is_empty());
        let (ticks, _) = date_ticks(date(1950, 1, 1), date(2030, 1, 1), 10);
        assert!(ticks.len() <= 10 && ticks.len() >= 4, "{ticks:?}");
        assert!(
            ticks
                .iter()
                .all(|t| t.label.parse::<i32>().unwrap() % 10 == 0)
        );
    }

    #[test]
    fn months_on_short_ranges() {
        let (ticks, _) = date_ticks(date(2013, 3, 15), date(2013, 11, 1), 20);
        let labels: Vec<&str> = ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(
            labels,
            ["Apr 2013", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov"]
        );
    }

    #[test]
    fn round_values() {
        let (ticks, decimals) = value_ticks(0.0, 1.0, 5);
        assert_eq!(ticks, [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        assert_eq!(decimals, 1);
        let (ticks, decimals) = value_ticks(-0.5, 0.5, 4);
        assert_eq!(ticks.len(), 5);
        assert_eq!(decimals, 2);
        assert_eq!(format_value(ticks[0], decimals), "\u{2212}0.50");
        assert_eq!(format_value(-0.0, 1), "0.0");
        assert_eq!(value_ticks(0.0, 100.0, 5).1, 0);
        assert_eq!(value_ticks(3.0, 3.0, 5).0, [3.0]);
    }
}
