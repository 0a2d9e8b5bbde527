//! Figure builders: turn results into [`plot::Figure`]s.

use super::plot::{Band, DEFAULT_SIZE, Figure, Marker, Panel, Window};
use crate::aggregate::Summary;
use crate::scenario::Scenario;
use crate::targets::Outcome;

/// The channel a series belongs to (`trust.ct.ru.us` → `ct`), if any.
pub fn series_channel(name: &str) -> Option<&str> {
    let mut parts = name.split('.');
    match parts.next()? {
        "trust" | "sharing" | "successes" | "scandals" => parts.next(),
        _ => None,
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

/// Median line with its p05–p95 band for series `index` of `summary`.
pub fn band(summary: &Summary, index: usize, label: String, color: usize) -> Band {
    let stats = summary.series(index);
    Band {
        label,
        color,
        dates: summary.dates.clone(),
        low: stats.iter().map(|s| s.quantiles[0]).collect(),
        mid: stats.iter().map(|s| s.median()).collect(),
        high: stats.iter().map(|s| s.quantiles[4]).collect(),
    }
}

/// The event markers of a scenario.
pub fn markers(scenario: &Scenario) -> Vec<Marker> {
    scenario
        .events
        .iter()
        .map(|e| Marker {
            date: e.date,
            label: e.label.clone(),
            highlight: false,
        })
        .collect()
}

/// `trust.png`: one panel per channel, both directions, event markers, target windows.
pub fn trust_figure(
    scenario: &Scenario,
    summary: &Summary,
    outcomes: &[Outcome],
    runs: u32,
    seed: u64,
) -> Figure {
    let directions: Vec<(usize, usize)> = scenario
        .desks
        .iter()
        .map(|d| (d.service, d.counterpart))
        .fold(Vec::new(), |mut acc, pair| {
            if !acc.contains(&pair) {
                acc.push(pair);
            }
            acc
        });
    let panels = scenario
        .channels
        .iter()
        .enumerate()
        .filter_map(|(c, channel)| {
            // One band per desk of the channel; a direction keeps its colour on every panel.
            let bands: Vec<Band> = scenario
                .desks
                .iter()
                .filter(|d| d.channel == c)
                .filter_map(|d| {
                    let (from, to) = (
                        &scenario.services[d.service].name,
                        &scenario.services[d.counterpart].name,
                    );
                    let index = summary.index(&format!("trust.{}.{from}.{to}", channel.name))?;
                    let color = directions
                        .iter()
                        .position(|p| *p == (d.service, d.counterpart))
                        .unwrap_or(0);
                    Some(band(summary, index, format!("{from} trusts {to}"), color))
                })
                .collect();
            if bands.is_empty() {
                return None;
            }
            let windows = outcomes
                .iter()
                .filter(|o| {
                    let channels: Vec<&str> =
                        o.series.iter().filter_map(|s| series_channel(s)).collect();
                    channels.contains(&channel.name.as_str()) || (channels.is_empty() && c == 0)
                })
                .map(|o| Window {
                    from: o.window.0,
                    to: o.window.1,
                    label: o.id.clone(),
                    pass: o.pass,
                })
                .collect();
            Some(Panel {
                title: format!("{} ({})", channel.label, channel.name),
                y_label: "Institutional trust".into(),
                y_range: (0.0, 1.0),
                bands,
                windows,
                zero_line: false,
            })
        })
        .collect();
    let passed = outcomes.iter().filter(|o| o.pass).count();
    let targets = if outcomes.is_empty() {
        String::new()
    } else {
        format!(" · targets: {passed}/{} hold", outcomes.len())
    };
    Figure {
        title: format!("{} — trust between services", scenario.name),
        subtitle: format!("median and p05–p95 band of {runs} runs, seed {seed}{targets}"),
        x_range: (scenario.timeline.start, scenario.timeline.end),
        panels,
        markers: markers(scenario),
        width: DEFAULT_SIZE.0,
        height: DEFAULT_SIZE.1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_channels_are_read_from_names() {
        assert_eq!(series_channel("trust.ct.ru.us"), Some("ct"));
        assert_eq!(series_channel("sharing.cyber.ru"), Some("cyber"));
        assert_eq!(series_channel("fear.ru"), None);
    }
}
