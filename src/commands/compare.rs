//! `liaison compare`: scenarios and variants side by side, with paired differences.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail, ensure};

use super::progress::{Progress, interrupt_flag};
use super::run::{INTERRUPTED_EXIT, thread_count};
use crate::aggregate::Summary;
use crate::cli::CompareArgs;
use crate::compare::{Comparison, differing_events, folder_name, paired, parse_variant};
use crate::model::SeriesLayout;
use crate::output::{StagedFolder, csv, figures, manifest, plot, safe_name};
use crate::runner::{EnsembleOptions, Prepared};
use crate::scenario::Loaded;
use crate::targets::select_series;

/// One compared scenario or variant.
struct Entry {
    name: String,
    path: PathBuf,
    sets: Vec<String>,
    /// The `--variant` text, for error messages.
    variant: Option<String>,
}

fn entries(args: &CompareArgs) -> anyhow::Result<Vec<Entry>> {
    let mut entries: Vec<Entry> = Vec::new();
    for path in &args.scenarios {
        let stem = super::stem(path);
        let mut name = if stem.is_empty() {
            "scenario".to_string()
        } else {
            stem
        };
        // The same file stem twice (e.g. from two folders) gets a numeric suffix.
        let base = name.clone();
        let mut n = 2;
        while entries.iter().any(|e| e.name == name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        entries.push(Entry {
            name,
            path: path.clone(),
            sets: Vec::new(),
            variant: None,
        });
    }
    for text in &args.variants {
        let variant =
            parse_variant(text).map_err(|m| anyhow::anyhow!("--variant '{text}': {m}"))?;
        if entries.iter().any(|e| e.name == variant.name) {
            bail!(
                "--variant '{text}': duplicate name `{}`, expected a name different from every scenario and variant",
                variant.name
            );
        }
        entries.push(Entry {
            name: variant.name,
            path: args.scenarios[0].clone(),
            sets: variant.sets,
            variant: Some(text.clone()),
        });
    }
    ensure!(
        entries.len() >= 2,
        "nothing to compare: give two or more scenarios, or a scenario and --variant"
    );
    Ok(entries)
}

/// Runs the command.
pub fn compare(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let entries = entries(args)?;
    let mut loaded: Vec<Loaded> = Vec::new();
    for entry in &entries {
        let (scenario, _) = super::load_until(&entry.path, &entry.sets, args.end).map_err(|e| {
            match &entry.variant {
                // An override of the variant is reported against the variant, not as a `--set`.
                Some(text) => match (&e.origin, &e.key) {
                    (crate::scenario::Origin::CommandLine(_), Some(key)) => {
                        anyhow::anyhow!("--variant '{text}': key `{key}`: {}", e.message)
                    }
                    (crate::scenario::Origin::CommandLine(_), None) => {
                        anyhow::anyhow!("--variant '{text}': {}", e.message)
                    }
                    _ => anyhow::anyhow!("--variant '{text}': {e}"),
                },
                None => anyhow::Error::new(e),
            }
        })?;
        loaded.push(scenario);
    }
    let base = &loaded[0].scenario;
    for (entry, other) in entries.iter().zip(&loaded).skip(1) {
        let t = &other.scenario.timeline;
        ensure!(
            t.start == base.timeline.start && t.step_days == base.timeline.step_days,
            "`{}` starts on {} with {}-day steps but the baseline starts on {} with {}-day steps: \
             paired comparison needs the same start and step",
            entry.name,
            t.start,
            t.step_days,
            base.timeline.start,
            base.timeline.step_days
        );
    }
    let figure_options = args.figure.options();
    if !args.no_plot {
        let end = loaded
            .iter()
            .map(|l| l.scenario.timeline.end)
            .max()
            .unwrap_or(base.timeline.end);
        figure_options
            .check(base.timeline.start, end)
            .map_err(anyhow::Error::msg)?;
    }
    let seed = args.ensemble.seed.unwrap_or(base.seed);
    let runs = args.ensemble.runs.unwrap_or(base.runs);
    ensure!(runs >= 1, "--runs 0: expected at least one run");
    let threads = thread_count(args.ensemble.output.threads);
    let folder_name = match &args.name {
        Some(name) => {
            let safe = safe_name(name);
            ensure!(
                !safe.is_empty(),
                "--name `{name}`: expected letters or digits"
            );
            safe
        }
        None => folder_name(&entries.iter().map(|e| e.name.clone()).collect::<Vec<_>>()),
    };
    // Refuse a destination in the way before the work, not after it.
    StagedFolder::check(&args.ensemble.output.out, &folder_name)?;

    let patterns = if args.series.is_empty() {
        vec!["trust.*".to_string()]
    } else {
        args.series.clone()
    };
    let base_layout = SeriesLayout::new(base);
    let selected =
        select_series(&base_layout, &patterns).map_err(|m| anyhow::anyhow!("--series: {m}"))?;
    let names: Vec<String> = selected
        .iter()
        .map(|&i| base_layout.names[i].clone())
        .collect();
    let mut indices: Vec<Vec<usize>> = Vec::new();
    for (entry, l) in entries.iter().zip(&loaded) {
        let layout = SeriesLayout::new(&l.scenario);
        let found: Option<Vec<usize>> = names.iter().map(|n| layout.index(n)).collect();
        indices.push(found.with_context(|| {
            format!(
                "`{}` does not have every selected series ({})",
                entry.name,
                names.join(", ")
            )
        })?);
    }

    let scenarios: Vec<&crate::scenario::Scenario> = loaded.iter().map(|l| &l.scenario).collect();
    super::check_memory(&scenarios, runs, threads)?;
    let progress = Progress::new(u64::from(runs), "compare", args.ensemble.output.quiet);
    let tick = || progress.tick();
    let prepared: Vec<Prepared> = loaded
        .iter()
        .map(|l| Prepared::new(&l.scenario, seed))
        .collect();
    let all: Vec<&Prepared> = prepared.iter().collect();
    let options = EnsembleOptions {
        runs,
        threads,
        on_run: Some(&tick),
        cancel: Some(interrupt_flag()),
    };
    let comparison = paired(&all, &indices, &names, &options);
    progress.finish();
    let Comparison {
        summaries,
        differences,
        common_steps,
    } = match super::finished(comparison)? {
        Some(c) => c,
        None => return Ok(ExitCode::from(INTERRUPTED_EXIT)),
    };

    let folder = super::stage(&args.ensemble.output.out, &folder_name)?;
    let all: Vec<usize> = (0..names.len()).collect();
    let mut out = csv_writer(&folder.file("compare.csv"))?;
    out.write_record(csv::summary_header(&["scenario"]))?;
    for (entry, summary) in entries.iter().zip(&summaries) {
        csv::write_summary(&mut out, summary, &[&entry.name], &all)?;
    }
    out.flush()?;
    let mut out = csv_writer(&folder.file("difference.csv"))?;
    out.write_record(csv::summary_header(&["scenario"]))?;
    for (entry, summary) in entries.iter().skip(1).zip(&differences) {
        csv::write_summary(&mut out, summary, &[&entry.name], &all)?;
    }
    out.flush()?;

    let scenarios: Vec<&crate::scenario::Scenario> = loaded.iter().map(|l| &l.scenario).collect();
    let differing = differing_events(&scenarios);
    if !args.no_plot {
        let compared: Vec<figures::Compared> = entries
            .iter()
            .zip(&scenarios)
            .zip(&summaries)
            .map(|((e, s), summary)| figures::Compared {
                name: &e.name,
                scenario: s,
                summary,
            })
            .collect();
        let figure = figures::compare_figure(&compared, &differing, (runs, seed), &figure_options);
        plot::render_png_and_svg(&figure, &folder.file(""), "compare")?;
        let figure = figures::difference_figure(
            &compared,
            &differences,
            &differing,
            (runs, seed),
            &figure_options,
        );
        plot::render_png_and_svg(&figure, &folder.file(""), "difference")?;
    }

    let mut reproduce = String::from("liaison compare");
    for path in &args.scenarios {
        reproduce.push_str(&format!(" {}", path.display()));
    }
    for v in &args.variants {
        reproduce.push_str(&format!(" --variant '{v}'"));
    }
    for s in &args.series {
        reproduce.push_str(&format!(" --series '{s}'"));
    }
    if let Some(end) = args.end {
        reproduce.push_str(&format!(" --end {end}"));
    }
    reproduce.push_str(&format!(" --seed {seed} --runs {runs}"));
    let mut record = manifest::Manifest::new(
        "compare",
        reproduce,
        seed,
        runs,
        threads,
        entries
            .iter()
            .zip(&loaded)
            .map(|(e, l)| manifest::ScenarioRecord::new(&e.name, l))
            .collect::<anyhow::Result<_>>()?,
    );
    record.quantiles = summaries[0].method.to_string();
    let Some(destination) = super::finish(folder, record)? else {
        return Ok(ExitCode::from(INTERRUPTED_EXIT));
    };
    let head = format!(
        "compared {} scenarios × {runs} runs, seed {seed}, {:.2} s → {}/\n",
        entries.len(),
        started.elapsed().as_secs_f64(),
        destination.display()
    );
    let table = report(&entries, &summaries, &differences, common_steps);
    super::console::out(&(head + &table))?;
    Ok(ExitCode::SUCCESS)
}

fn csv_writer(path: &std::path::Path) -> anyhow::Result<::csv::Writer<std::fs::File>> {
    ::csv::Writer::from_path(path).with_context(|| format!("cannot write `{}`", path.display()))
}

/// The printed table: medians at a few dates, and the largest paired difference.
fn report(
    entries: &[Entry],
    summaries: &[Summary],
    differences: &[Summary],
    common_steps: usize,
) -> String {
    let mut text = String::new();
    if summaries.iter().any(|s| s.steps() != common_steps)
        && let (Some(first), Some(last)) = (
            summaries[0].dates.first(),
            summaries[0].dates.get(common_steps.saturating_sub(1)),
        )
    {
        let _ = writeln!(
            text,
            "horizons differ: compared over the common window {first} … {last} ({common_steps} steps)"
        );
    }
    if common_steps == 0 {
        return text;
    }
    let key_steps: Vec<usize> = [1, 2, 3, 4]
        .iter()
        .map(|q| (common_steps * q / 4).saturating_sub(1))
        .collect();
    let dates: Vec<String> = key_steps
        .iter()
        .map(|&s| summaries[0].dates[s].to_string())
        .collect();
    let name_width = entries
        .iter()
        .map(|e| e.name.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let series_width = summaries[0]
        .names
        .iter()
        .map(|n| n.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        text,
        "{:<name_width$}  {:<series_width$}  {}  largest paired difference (median)",
        "scenario",
        "series",
        dates
            .iter()
            .map(|d| format!("{d:>10}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    for (k, (entry, summary)) in entries.iter().zip(summaries).enumerate() {
        for (j, name) in summary.names.iter().enumerate() {
            let medians: Vec<String> = key_steps
                .iter()
                .map(|&s| format!("{:>10.3}", summary.series(j)[s].median()))
                .collect();
            let largest = if k == 0 {
                "(baseline)".to_string()
            } else if differences[k - 1]
                .series(j)
                .iter()
                .all(|st| st.mean == 0.0 && st.quantiles.iter().all(|q| *q == 0.0))
            {
                // Every paired run is identical: say so rather than "+0.000 on <a date>".
                "no difference".to_string()
            } else {
                let d = differences[k - 1].series(j);
                let (step, stats) = d
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.median().abs().total_cmp(&b.1.median().abs()))
                    .map(|(s, st)| (s, *st))
                    .unwrap_or_default();
                format!(
                    "{:+.3} on {} (p05–p95 {:+.3} … {:+.3})",
                    stats.median(),
                    differences[k - 1].dates[step],
                    stats.quantiles[0],
                    stats.quantiles[4]
                )
            };
            let _ = writeln!(
                text,
                "{:<name_width$}  {name:<series_width$}  {}  {largest}",
                entry.name,
                medians.join(" ")
            );
        }
    }
    text
}
