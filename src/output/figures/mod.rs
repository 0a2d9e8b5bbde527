//! Figure builders: turn results (a [`Summary`], scenario events, target outcomes) into
//! [`plot::Figure`]s. Nothing here draws; [`plot::render`] does.
//!
//! - [`run`]: the figure of one scenario (`trust.png`, or the panels chosen with `--series`);
//! - [`compare`]: scenarios side by side and their paired differences.

pub mod compare;
pub mod run;

use std::str::FromStr;

use super::plot::{self, EventMark, Rgb, Shape, date_x};
use crate::aggregate::Summary;
use crate::scenario::{Date, EventKind, Scenario};

pub use compare::{Compared, compare_figure, difference_figure};
pub use run::run_figure;

/// Which band is shaded around the median.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BandChoice {
    /// 5th to 95th percentile (default).
    #[default]
    P05P95,
    /// Interquartile range.
    P25P75,
    /// No band: medians only.
    None,
}

impl BandChoice {
    /// Quantile indices (into `Stats::quantiles`) of the band's edges.
    fn edges(self) -> Option<(usize, usize)> {
        match self {
            BandChoice::P05P95 => Some((0, 4)),
            BandChoice::P25P75 => Some((1, 3)),
            BandChoice::None => None,
        }
    }

    /// How a subtitle names what is drawn.
    pub fn describe(self) -> &'static str {
        match self {
            BandChoice::P05P95 => "median (line) and p05–p95 band (shaded)",
            BandChoice::P25P75 => "median (line) and p25–p75 band (shaded)",
            BandChoice::None => "median",
        }
    }
}

impl FromStr for BandChoice {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "p05-p95" => Ok(BandChoice::P05P95),
            "p25-p75" => Ok(BandChoice::P25P75),
            "none" => Ok(BandChoice::None),
            _ => Err(format!(
                "`{text}` is not a band, expected p05-p95, p25-p75 or none"
            )),
        }
    }
}

/// Choices shared by every figure builder.
#[derive(Debug, Clone, Copy, Default)]
pub struct FigureOptions {
    /// The band around medians.
    pub bands: BandChoice,
    /// First day shown (default: the start of the horizon).
    pub from: Option<Date>,
    /// Last day shown (default: the end of the horizon).
    pub to: Option<Date>,
}

impl FigureOptions {
    /// Checks `from`/`to` against each other and a horizon.
    pub fn check(&self, start: Date, end: Date) -> Result<(), String> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from >= to
        {
            return Err(format!(
                "--from {from} is not before --to {to}, expected an earlier --from"
            ));
        }
        if let Some(from) = self.from.filter(|f| *f > end) {
            return Err(format!(
                "--from {from} is after the horizon's end ({end}), expected a date from {start} to {end}"
            ));
        }
        if let Some(to) = self.to.filter(|t| *t < start) {
            return Err(format!(
                "--to {to} is before the horizon's start ({start}), expected a date from {start} to {end}"
            ));
        }
        Ok(())
    }

    /// The date axis for a horizon, zoomed as asked.
    fn x_axis(&self, start: Date, end: Date) -> plot::XAxis {
        plot::XAxis::Dates {
            from: self.from.unwrap_or(start),
            to: self.to.unwrap_or(end),
        }
    }
}

/// The channel a series belongs to (`trust.ct.ru.us` → `ct`), if any.
pub fn series_channel(name: &str) -> Option<&str> {
    let mut parts = name.split('.');
    match parts.next()? {
        "trust" | "sharing" | "successes" | "scandals" => parts.next(),
        _ => None,
    }
}

/// The services a series is about: both ends of a trust series, the service of a
/// per-service series (`fear.ru`) or of a sharing series.
fn series_services(name: &str) -> Vec<&str> {
    let parts: Vec<&str> = name.split('.').collect();
    match parts.as_slice() {
        ["trust", _, from, to] => vec![from, to],
        ["sharing", _, service] => vec![service],
        [kind, service] if !matches!(*kind, "successes" | "scandals") => vec![service],
        _ => Vec::new(),
    }
}

/// A y-axis title for a series, from its kind.
pub fn series_axis_title(name: &str) -> &'static str {
    match name.split('.').next() {
        Some("trust") => "trust (0–1)",
        Some("sharing") => "exchanges per step",
        Some("successes") => "successes per step",
        Some("scandals") => "scandals per step",
        Some("fear") => "mean fear (0–1)",
        Some("permission") => "permission (0–1)",
        Some("officers") => "active officers",
        Some("moles") => "hidden moles",
        _ => "value",
    }
}

/// How an event kind is drawn: its name in the key, its colour and its marker. The colours
/// (Paul Tol's muted set) are darker than the curves' so that markers do not pass for data.
pub fn kind_style(kind: EventKind) -> (&'static str, Rgb, Shape) {
    match kind {
        EventKind::SpyScandal => ("spy scandal", Rgb(136, 34, 85), Shape::Diamond),
        EventKind::MoleHunt => ("mole hunt", Rgb(51, 34, 136), Shape::Hexagon),
        EventKind::PoliticalShock => ("political shock", Rgb(204, 102, 119), Shape::Down),
        EventKind::Outreach => ("outreach", Rgb(68, 150, 140), Shape::Circle),
        EventKind::CommonThreat => ("common threat", Rgb(150, 140, 40), Shape::Up),
        EventKind::JointSuccess => ("joint success", Rgb(17, 119, 51), Shape::Square),
        EventKind::Leak => ("leak", Rgb(100, 100, 100), Shape::Octagon),
    }
}

/// An event with what a figure needs to know about it: its marker, and the channels and
/// services it touches, by name (so that events of different scenarios compare).
#[derive(Debug, Clone)]
pub(crate) struct Happening {
    pub id: String,
    pub mark: EventMark,
    pub channels: Vec<String>,
    pub services: Vec<String>,
    /// Indices of the compared scenarios that have it (comparisons only).
    pub present: Vec<usize>,
}

/// The events of `scenario`, numbered from 1 in date order.
pub(crate) fn happenings(scenario: &Scenario) -> Vec<Happening> {
    let mut out: Vec<Happening> = scenario
        .events
        .iter()
        .map(|e| {
            let (kind, color, shape) = kind_style(e.kind);
            let name = |i: &usize| scenario.services.get(*i).map(|s| s.name.clone());
            Happening {
                id: e.id.clone(),
                mark: EventMark {
                    number: 0,
                    date: e.date,
                    until: (e.until > e.date).then_some(e.until),
                    label: e.label.clone(),
                    kind: kind.to_string(),
                    color,
                    shape,
                    highlight: false,
                },
                channels: e
                    .channels
                    .iter()
                    .filter_map(|&c| scenario.channels.get(c).map(|c| c.name.clone()))
                    .collect(),
                services: e
                    .services
                    .iter()
                    .chain(&e.against)
                    .filter_map(name)
                    .collect(),
                present: Vec::new(),
            }
        })
        .collect();
    renumber(&mut out);
    out
}

/// Sorts by date (stable) and numbers from 1.
pub(crate) fn renumber(events: &mut [Happening]) {
    events.sort_by_key(|h| h.mark.date);
    for (k, h) in events.iter_mut().enumerate() {
        h.mark.number = k + 1;
    }
}

/// Indices of the events that touch a panel showing `series`: those on one of its channels;
/// for series without a channel (fear, permission …), those involving one of its services.
pub(crate) fn touching(events: &[Happening], series: &[String]) -> Vec<usize> {
    let channels: Vec<&str> = series.iter().filter_map(|s| series_channel(s)).collect();
    let services: Vec<&str> = series
        .iter()
        .filter(|s| series_channel(s).is_none())
        .flat_map(|s| series_services(s))
        .collect();
    if channels.is_empty() && services.is_empty() {
        return (0..events.len()).collect();
    }
    (0..events.len())
        .filter(|&i| {
            let e = &events[i];
            e.channels.iter().any(|c| channels.contains(&c.as_str()))
                || e.services.iter().any(|s| services.contains(&s.as_str()))
        })
        .collect()
}

/// X positions of a summary's values: each is the state at the end of its step's last day,
/// so it sits at the next midnight, never before an event of that day.
fn step_x(dates: &[Date]) -> Vec<f64> {
    dates.iter().map(|d| date_x(d.plus_days(1))).collect()
}

/// The band and the median line of series `index` of `summary`.
fn curves(
    summary: &Summary,
    index: usize,
    color: Rgb,
    bands: BandChoice,
    steps: usize,
) -> (Option<plot::Band>, plot::Line) {
    let stats = &summary.series(index)[..steps.min(summary.steps())];
    let x = step_x(&summary.dates[..stats.len()]);
    let band = bands.edges().map(|(lo, hi)| plot::Band {
        color,
        x: x.clone(),
        low: stats.iter().map(|s| s.quantiles[lo]).collect(),
        high: stats.iter().map(|s| s.quantiles[hi]).collect(),
        steps: true,
    });
    let line = plot::Line {
        color,
        x,
        y: stats.iter().map(|s| s.median()).collect(),
        steps: true,
        width: 2.0,
        dashed: false,
        end_mark: false,
    };
    (band, line)
}

/// A y range for what a panel draws: 0–1 for trust, otherwise the data's range (over the
/// shown dates) with a little room, and symmetric about zero for differences.
fn y_range(series: &[String], panel: &plot::Panel, x: (f64, f64), differences: bool) -> (f64, f64) {
    if !differences && series.iter().all(|s| s.starts_with("trust.")) {
        return (0.0, 1.0);
    }
    let inside = |xs: &[f64], i: usize| xs.get(i).is_some_and(|v| *v >= x.0 && *v <= x.1);
    let mut values: Vec<f64> = Vec::new();
    for band in &panel.bands {
        for i in 0..band.low.len().min(band.high.len()) {
            if inside(&band.x, i) {
                values.push(band.low[i]);
                values.push(band.high[i]);
            }
        }
    }
    for line in &panel.lines {
        values.extend(
            (0..line.y.len())
                .filter(|&i| inside(&line.x, i))
                .map(|i| line.y[i]),
        );
    }
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let (lo, hi) = if lo.is_finite() {
        (lo.min(0.0), hi.max(0.0))
    } else {
        (0.0, 1.0)
    };
    if differences {
        let m = lo.abs().max(hi.abs()).max(1e-3) * 1.1;
        (-m, m)
    } else {
        let pad = ((hi - lo) * 0.05).max(1e-3);
        (lo - if lo < 0.0 { pad } else { 0.0 }, hi + pad)
    }
}

/// The x range of a date axis, as positions.
fn x_bounds(axis: &plot::XAxis) -> (f64, f64) {
    match axis {
        plot::XAxis::Dates { from, to } => (date_x(*from), date_x(to.plus_days(1))),
        plot::XAxis::Values { lo, hi, .. } => (*lo, *hi),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_channels_and_services_are_read_from_names() {
        assert_eq!(series_channel("trust.ct.ru.us"), Some("ct"));
        assert_eq!(series_channel("sharing.cyber.ru"), Some("cyber"));
        assert_eq!(series_channel("fear.ru"), None);
        assert_eq!(series_services("fear.ru"), ["ru"]);
        assert_eq!(series_services("trust.ct.ru.us"), ["ru", "us"]);
        assert!(series_services("scandals.ct").is_empty());
    }

    #[test]
    fn bands_parse() {
        assert_eq!("p25-p75".parse::<BandChoice>(), Ok(BandChoice::P25P75));
        assert!("p10".parse::<BandChoice>().unwrap_err().contains("p05-p95"));
    }
}
