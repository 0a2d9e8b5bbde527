//! `liaison check`: validate a scenario and describe it.

use std::fmt::Write;
use std::process::ExitCode;

use crate::cli::CheckArgs;
use crate::model::Params;
use crate::scenario::Scenario;

/// Runs the command.
pub fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let (loaded, targets) = super::load_until(&args.scenario, &args.set, args.end)?;
    let mut text = describe(&loaded.scenario);
    if loaded.sources.len() > 1 {
        let chain: Vec<String> = loaded
            .sources
            .iter()
            .map(|s| s.path.display().to_string())
            .collect();
        writeln!(text, "extends:     {}", chain.join(" → "))?;
    }
    writeln!(text, "targets:     {}", targets.len())?;
    for t in &targets {
        writeln!(text, "  {:<24} {}", t.spec.id, t.spec.description)?;
    }
    if args.params {
        writeln!(text, "parameters:")?;
        let values = loaded.scenario.params.values();
        for (info, value) in Params::INFO.iter().zip(values) {
            writeln!(
                text,
                "  {:<26} {:>8}  (default {}, range {} … {})  {}",
                info.name, value, info.default, info.min, info.max, info.doc
            )?;
        }
    }
    writeln!(text, "{}: valid", args.scenario.display())?;
    super::console::out(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// A short human-readable summary of a scenario.
pub fn describe(s: &Scenario) -> String {
    let t = &s.timeline;
    let mut text = String::new();
    let _ = writeln!(text, "scenario:    {}", s.name);
    if !s.description.is_empty() {
        let _ = writeln!(
            text,
            "description: {}",
            s.description
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    let _ = writeln!(
        text,
        "horizon:     {} … {}, {} steps of {} days",
        t.start,
        t.end,
        t.steps(),
        t.step_days
    );
    let _ = writeln!(text, "ensemble:    {} runs, seed {}", s.runs, s.seed);
    let services: Vec<String> = s
        .services
        .iter()
        .map(|x| format!("{} ({})", x.name, x.label))
        .collect();
    let _ = writeln!(text, "services:    {}", services.join(", "));
    let channels: Vec<String> = s
        .channels
        .iter()
        .map(|x| format!("{} ({})", x.name, x.label))
        .collect();
    let _ = writeln!(text, "channels:    {}", channels.join(", "));
    let total: u32 = s.desks.iter().map(|d| d.population.count).sum();
    let _ = writeln!(text, "officers:    {total} on {} desks", s.desks.len());
    for d in &s.desks {
        let p = &d.population;
        let _ = writeln!(
            text,
            "  {:<8} {:<4} → {:<4} {:>4} officers ({} experts), trust {:.2}",
            s.channels[d.channel].name,
            s.services[d.service].name,
            s.services[d.counterpart].name,
            p.count,
            p.experts,
            p.trust.mean
        );
    }
    let _ = writeln!(text, "events:      {}", s.events.len());
    let id_width = s.events.iter().map(|e| e.id.len()).max().unwrap_or(0);
    for e in &s.events {
        let names = |ids: &[usize], f: &dyn Fn(usize) -> String| {
            ids.iter().map(|&i| f(i)).collect::<Vec<_>>().join(",")
        };
        let until = if e.until != e.date {
            format!("…{}", e.until)
        } else {
            String::new()
        };
        let _ = writeln!(
            text,
            "  {}{until:<11} {:<id_width$} {:<15} [{}] [{}] {:.2}  {}",
            e.date,
            e.id,
            e.kind.name(),
            names(&e.channels, &|i| s.channels[i].name.clone()),
            names(&e.services, &|i| s.services[i].name.clone()),
            e.magnitude,
            e.label
        );
    }
    text
}
