//! Tidy CSV files: `summary.csv`, `events.csv`, `targets.csv` (and the comparison tables).
//! Numbers are written with a fixed number of decimals, so files compare byte for byte.

use std::path::Path;

use anyhow::Context;

use crate::aggregate::{STAT_NAMES, Summary};
use crate::scenario::Scenario;
use crate::targets::Outcome;

/// Decimal places of every statistic written.
pub const DECIMALS: usize = 6;

fn writer(path: &Path) -> anyhow::Result<csv::Writer<std::fs::File>> {
    csv::Writer::from_path(path).with_context(|| format!("cannot write `{}`", path.display()))
}

/// Formats a statistic for CSV.
pub fn number(value: f64) -> String {
    if value.is_finite() {
        let text = format!("{value:.DECIMALS$}");
        // Avoid "-0.000000", which would differ from "0.000000" for the same quantity.
        if text
            .trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            format!("{:.DECIMALS$}", 0.0)
        } else {
            text
        }
    } else {
        "NA".into()
    }
}

/// Writes a summary as tidy rows: `[prefix columns…,] step,date,series,mean,p05,p25,p50,p75,p95`.
/// `prefix` adds leading columns (e.g. `scenario`) with a fixed value per call.
pub fn write_summary<W: std::io::Write>(
    out: &mut csv::Writer<W>,
    summary: &Summary,
    prefix: &[&str],
    series: &[usize],
) -> anyhow::Result<()> {
    for step in 0..summary.steps() {
        let date = summary.dates[step].to_string();
        let step_text = step.to_string();
        for &s in series {
            let stats = summary.series(s)[step];
            let mut row: Vec<String> = prefix.iter().map(|p| p.to_string()).collect();
            row.extend([step_text.clone(), date.clone(), summary.names[s].clone()]);
            row.extend(stats.columns().map(number));
            out.write_record(&row)?;
        }
    }
    Ok(())
}

/// The header of a summary table.
pub fn summary_header(prefix: &[&str]) -> Vec<String> {
    prefix
        .iter()
        .copied()
        .chain(["step", "date", "series"])
        .chain(STAT_NAMES)
        .map(String::from)
        .collect()
}

/// `summary.csv`: every series of a run.
pub fn write_summary_file(path: &Path, summary: &Summary) -> anyhow::Result<()> {
    let mut out = writer(path)?;
    out.write_record(summary_header(&[]))?;
    let all: Vec<usize> = (0..summary.names.len()).collect();
    write_summary(&mut out, summary, &[], &all)?;
    out.flush()?;
    Ok(())
}

/// `events.csv`: the timeline as applied (after `extends` and overrides), with the steps it
/// acts in.
pub fn write_events(path: &Path, scenario: &Scenario) -> anyhow::Result<()> {
    let mut out = writer(path)?;
    out.write_record([
        "id",
        "date",
        "until",
        "kind",
        "channels",
        "services",
        "against",
        "magnitude",
        "public",
        "first_step",
        "last_step",
        "label",
        "source",
    ])?;
    let names = |ids: &[usize], all: &dyn Fn(usize) -> String| {
        ids.iter().map(|&i| all(i)).collect::<Vec<_>>().join(";")
    };
    let service = |i: usize| scenario.services[i].name.clone();
    let channel = |i: usize| scenario.channels[i].name.clone();
    let timeline = &scenario.timeline;
    for e in &scenario.events {
        out.write_record([
            e.id.clone(),
            e.date.to_string(),
            e.until.to_string(),
            e.kind.name().to_string(),
            names(&e.channels, &channel),
            names(&e.services, &service),
            if e.kind == crate::scenario::EventKind::SpyScandal {
                names(&e.against, &service)
            } else {
                String::new()
            },
            number(e.magnitude),
            e.public.map_or("drawn".into(), |p| p.to_string()),
            timeline.step_of(e.date).to_string(),
            timeline.step_of(e.until).to_string(),
            e.label.clone(),
            e.source.clone().unwrap_or_default(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// `targets.csv`: each target's observed value (a number; for an extreme also its date, in
/// a column of its own so that both columns keep one type), condition, verdict on the
/// ensemble's curve, and share of runs in which it holds.
pub fn write_targets(path: &Path, outcomes: &[Outcome]) -> anyhow::Result<()> {
    let mut out = writer(path)?;
    out.write_record([
        "id",
        "series",
        "value",
        "date",
        "margin",
        "condition",
        "pass",
        "share_holding",
        "window_from",
        "window_to",
        "description",
    ])?;
    for o in outcomes {
        out.write_record([
            o.id.clone(),
            o.series.join(";"),
            number(o.measured.value),
            o.measured.date.map(|d| d.to_string()).unwrap_or_default(),
            number(o.margin),
            o.bound.clone(),
            o.pass.to_string(),
            number(o.share_holding),
            o.window.0.to_string(),
            o.window.1.to_string(),
            o.description.clone(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_fixed_and_signless_at_zero() {
        assert_eq!(number(0.5), "0.500000");
        assert_eq!(number(-0.0000001), "0.000000");
        assert_eq!(number(f64::NAN), "NA");
        assert_eq!(number(-1.25), "-1.250000");
    }
}
