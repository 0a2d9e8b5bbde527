//! `liaison calibrate`: search values that make the targets of one or several scenarios hold,
//! then write every evaluation, the spread of the best points and what-if files that apply
//! the best values. Ctrl-C stops the search and writes the best point found so far.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, ensure};

use super::progress::interrupt_flag;
use super::run::thread_count;
use crate::cli::CalibrateArgs;
use crate::explore::calibrate::{
    Evaluation, Options, Problem, Search, Spread, Stop, calibrate as search, spread, top,
};
use crate::explore::factor::{Factor, check_factors, format_number, parse_factor};
use crate::explore::objective::Objective;
use crate::output::{StagedFolder, csv::number, manifest, safe_name};

/// Runs the command.
pub fn calibrate(args: &CalibrateArgs) -> anyhow::Result<ExitCode> {
    let factors: Vec<Factor> = args
        .params
        .iter()
        .map(|p| parse_factor(p).map_err(|m| anyhow::anyhow!("--param {m}")))
        .collect::<anyhow::Result<_>>()?;
    let objective =
        Objective::parse(&args.objective).map_err(|m| anyhow::anyhow!("--objective {m}"))?;
    ensure!(args.runs >= 1, "--runs 0: expected at least one run");
    ensure!(args.budget >= 1, "--budget 0: expected at least one point");
    ensure!(
        args.top > 0.0 && args.top <= 1.0,
        "--top {}: expected a share in (0, 1]",
        args.top
    );
    let mut records = Vec::new();
    let mut names = Vec::new();
    let mut start: Option<Vec<f64>> = None;
    for path in &args.scenarios {
        let (loaded, targets) = super::load(path, &args.set)?;
        ensure!(
            !targets.is_empty(),
            "`{}` has no [[target]] to calibrate against",
            path.display()
        );
        // Ranges are checked on every scenario: a key must exist, and its range must be
        // valid, in each of them.
        let current = check_factors(path, &args.set, &factors)
            .map_err(|m| anyhow::anyhow!("{m} (in `{}`)", path.display()))?;
        // The search starts from the first scenario's own values.
        start.get_or_insert_with(|| {
            factors
                .iter()
                .zip(&current)
                .map(|(f, &v)| f.unit(v))
                .collect()
        });
        records.push(manifest::ScenarioRecord::new(&super::stem(path), &loaded)?);
        names.push(loaded.scenario.name.clone());
    }
    let start = start.context("at least one scenario")?;
    let name = match &args.name {
        Some(n) => safe_name(n),
        None if args.scenarios.len() == 1 => super::stem(&args.scenarios[0]),
        None => format!(
            "{}-and-{}-more",
            super::stem(&args.scenarios[0]),
            args.scenarios.len() - 1
        ),
    };
    ensure!(!name.is_empty(), "--name: expected letters or digits");
    let threads = thread_count(args.output.threads);
    // Refuse a destination in the way before the search, not after it.
    let folder_name = format!("calibrate-{name}");
    StagedFolder::check(&args.output.out, &folder_name)?;
    let problem = Problem {
        scenarios: args.scenarios.clone(),
        sets: args.set.clone(),
        factors: factors.clone(),
        seeds: args.seeds.clone(),
        runs: args.runs,
        threads,
        objective,
    };
    let quiet = args.output.quiet;
    let mut best_score = f64::NEG_INFINITY;
    let found = search(
        &problem,
        &start,
        &Options {
            budget: args.budget,
            search_seed: args.search_seed,
            cancel: Some(interrupt_flag()),
        },
        |e| {
            if !quiet && e.score > best_score {
                best_score = e.score;
                super::console::error(&format!(
                    "point {:>4}: score {:.4}, {}/{} targets hold, worst margin {}, {:.0}% of runs",
                    e.index,
                    e.score,
                    e.tally.held,
                    e.tally.total,
                    number(e.tally.worst_margin),
                    100.0 * e.tally.mean_share
                ));
            }
        },
    )
    .map_err(|m| anyhow::anyhow!(m))?;
    let Some(best) = found.best().cloned() else {
        super::console::error("interrupted before any point was evaluated: no output written");
        return Ok(ExitCode::from(super::run::INTERRUPTED_EXIT));
    };
    let best_points = top(&found.evaluations, args.top, 1);
    let spreads = spread(&factors, &best_points);

    let folder = super::stage(&args.output.out, &folder_name)?;
    write_evaluations(
        &folder.file("evaluations.csv"),
        &factors,
        &found.evaluations,
    )?;
    write_spread(&folder.file("spread.csv"), &factors, &spreads)?;
    let destination = absolute(folder.destination())?;
    let overrides: Vec<String> = factors
        .iter()
        .zip(&best.values)
        .map(|(f, &v)| f.assignment(v))
        .collect();
    let header = format!(
        "# Best point of `liaison calibrate` ({} points, objective {}, score {:.4}: {}/{} targets hold\n\
         # over {} scenario(s) × seeds {}, {} runs each; search seed {}).\n",
        found.evaluations.len(),
        objective.name(),
        best.score,
        best.tally.held,
        best.tally.total,
        args.scenarios.len(),
        seeds_text(&args.seeds),
        args.runs,
        args.search_seed
    );
    let set_block = set_block(&args.set, &factors, &overrides);
    if args.scenarios.len() == 1 {
        let path = &args.scenarios[0];
        let text = what_if(&header, path, &destination, &names[0], &set_block)?;
        std::fs::write(folder.file("calibrated.toml"), text)?;
    } else {
        // One what-if per scenario, all with the same [set] block, plus the block alone.
        std::fs::create_dir(folder.file("calibrated"))?;
        for ((path, record), scenario_name) in args.scenarios.iter().zip(&records).zip(&names) {
            let text = what_if(
                &header,
                path,
                &destination.join("calibrated"),
                scenario_name,
                &set_block,
            )?;
            std::fs::write(
                folder.file(&format!("calibrated/{}.toml", record.name)),
                text,
            )?;
        }
        std::fs::write(
            folder.file("calibrated-set.toml"),
            format!(
                "{header}# The same values for every calibrated scenario: paste this [set] block into a\n\
                 # what-if that `extends` a scenario, or pass each line as --set KEY=VALUE.\n\n{set_block}"
            ),
        )?;
    }

    let mut reproduce = String::from("liaison calibrate");
    for path in &args.scenarios {
        reproduce.push_str(&format!(" {}", path.display()));
    }
    for p in &factors {
        reproduce.push_str(&format!(" --param {}", p.spec()));
    }
    for s in &args.set {
        reproduce.push_str(&format!(" --set '{s}'"));
    }
    if !args.seeds.is_empty() {
        reproduce.push_str(&format!(" --seeds {}", seeds_text(&args.seeds)));
    }
    reproduce.push_str(&format!(
        " --budget {} --runs {} --search-seed {} --objective {} --top {} --name {name}",
        args.budget,
        args.runs,
        args.search_seed,
        objective.name(),
        args.top
    ));
    let mut record = manifest::Manifest::new(
        "calibrate",
        reproduce,
        args.seeds.first().copied().unwrap_or(0),
        args.runs,
        threads,
        records,
    );
    record.files = manifest::digest_folder(&folder.file(""))?;
    let full = CalibrationManifest {
        base: record,
        seeds: args.seeds.clone(),
        objective,
        factors: factors.clone(),
        budget: args.budget,
        evaluated: found.evaluations.len(),
        search_seed: args.search_seed,
        interrupted: found.stop == Stop::Interrupted,
        best: overrides.clone(),
        best_score: best.score,
    };
    std::fs::write(
        folder.file("manifest.json"),
        serde_json::to_string_pretty(&full)? + "\n",
    )?;
    // Unlike other commands, an interrupted calibration is written: the best point so far
    // is what the user stopped it for.
    let destination = folder.commit()?;

    print_report(&found, &best, &spreads, &factors, args.top);
    if found.stop == Stop::Interrupted {
        super::console::error("interrupted: the best point so far is written");
    }
    for set in &overrides {
        println!("  --set {set}");
    }
    let written = if args.scenarios.len() == 1 {
        "calibrated.toml"
    } else {
        "calibrated/*.toml, calibrated-set.toml"
    };
    println!(
        "→ {}/ (evaluations.csv, spread.csv, {written})",
        destination.display()
    );
    Ok(if found.stop == Stop::Interrupted {
        ExitCode::from(super::run::INTERRUPTED_EXIT)
    } else {
        ExitCode::SUCCESS
    })
}

/// The manifest of a calibration: the common record plus the search settings.
#[derive(serde::Serialize)]
struct CalibrationManifest {
    #[serde(flatten)]
    base: manifest::Manifest,
    seeds: Vec<u64>,
    objective: Objective,
    factors: Vec<Factor>,
    budget: usize,
    evaluated: usize,
    search_seed: u64,
    interrupted: bool,
    best: Vec<String>,
    best_score: f64,
}

fn seeds_text(seeds: &[u64]) -> String {
    if seeds.is_empty() {
        "(each scenario's own)".into()
    } else {
        seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The `[set]` block: the fixed overrides, then the calibrated values (which win).
fn set_block(fixed: &[String], factors: &[Factor], overrides: &[String]) -> String {
    let mut text = String::from("[set]\n");
    let searched = |key: &str| factors.iter().any(|f| f.key == key);
    for set in fixed.iter().chain(overrides) {
        if let Some((key, value)) = crate::scenario::split_assignment(set) {
            if fixed.contains(set) && searched(key) {
                continue;
            }
            let _ = writeln!(text, "{key:?} = {}", crate::scenario::parse_value(value));
        }
    }
    text
}

/// A what-if file in `folder` that extends `scenario` by a relative path.
fn what_if(
    header: &str,
    scenario: &Path,
    folder: &Path,
    name: &str,
    set_block: &str,
) -> anyhow::Result<String> {
    let target = absolute(scenario)?;
    let relative = relative_path(folder, &target);
    Ok(format!(
        "{header}# Run it with `liaison run <this file>`; `extends` is relative to this file.\n\
         extends = {:?}\nname = {:?}\n\n{set_block}",
        relative.display().to_string(),
        format!("{name} (calibrated)")
    ))
}

/// An absolute, normalised path (the file or its parent folder must exist).
fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    if let Ok(p) = std::fs::canonicalize(path) {
        return Ok(p);
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let base = match parent {
        Some(p) => std::fs::canonicalize(p),
        None => std::env::current_dir(),
    }
    .with_context(|| format!("cannot resolve `{}`", path.display()))?;
    Ok(base.join(path.file_name().unwrap_or_default()))
}

/// The path of `target` relative to the folder `from` (both absolute).
pub fn relative_path(from: &Path, target: &Path) -> PathBuf {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = target.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path = PathBuf::new();
    for _ in common..from.len() {
        path.push("..");
    }
    for part in &to[common..] {
        path.push(part);
    }
    path
}

fn write_evaluations(path: &Path, factors: &[Factor], all: &[Evaluation]) -> anyhow::Result<()> {
    let mut out = ::csv::Writer::from_path(path)?;
    let mut header: Vec<String> = [
        "point",
        "start",
        "score",
        "held",
        "targets",
        "worst_margin",
        "mean_share_holding",
    ]
    .map(String::from)
    .to_vec();
    header.extend(factors.iter().map(|f| f.key.clone()));
    out.write_record(&header)?;
    for e in all {
        let mut row = vec![
            e.index.to_string(),
            e.start.to_string(),
            number(e.score),
            e.tally.held.to_string(),
            e.tally.total.to_string(),
            number(e.tally.worst_margin),
            number(e.tally.mean_share),
        ];
        row.extend(factors.iter().zip(&e.values).map(|(f, &v)| f.format(v)));
        out.write_record(&row)?;
    }
    out.flush()?;
    Ok(())
}

fn write_spread(path: &Path, factors: &[Factor], spreads: &[Spread]) -> anyhow::Result<()> {
    let mut out = ::csv::Writer::from_path(path)?;
    out.write_record([
        "factor",
        "low",
        "high",
        "best",
        "top_min",
        "top_median",
        "top_max",
        "top_width",
    ])?;
    for (f, s) in factors.iter().zip(spreads) {
        out.write_record([
            f.key.clone(),
            format_number(f.low),
            format_number(f.high),
            f.format(s.best),
            number(s.min),
            number(s.median),
            number(s.max),
            number(s.width),
        ])?;
    }
    out.flush()?;
    Ok(())
}

fn print_report(
    found: &Search,
    best: &Evaluation,
    spreads: &[Spread],
    factors: &[Factor],
    share: f64,
) {
    println!(
        "best of {} points: score {:.4}, {}/{} targets hold (scenarios × seeds), worst margin {}, {:.0}% of runs hold",
        found.evaluations.len(),
        best.score,
        best.tally.held,
        best.tally.total,
        number(best.tally.worst_margin),
        100.0 * best.tally.mean_share
    );
    let top_count = top(&found.evaluations, share, 1).len();
    let width = factors
        .iter()
        .map(|f| f.key.len())
        .max()
        .unwrap_or(6)
        .max(6);
    println!(
        "spread of the best {top_count} points (top {:.0}%): a narrow width means the targets pin the value",
        100.0 * share
    );
    println!(
        "{:<width$}  {:>10}  {:>10}  {:>10}  {:>10}  width",
        "factor", "best", "min", "median", "max"
    );
    for (f, s) in factors.iter().zip(spreads) {
        println!(
            "{:<width$}  {:>10}  {:>10.4}  {:>10.4}  {:>10.4}  {:>4.0}%",
            f.key,
            f.format(s.best),
            s.min,
            s.median,
            s.max,
            100.0 * s.width
        );
    }
    if found.evaluations.len() < 10 {
        println!("(few points: raise --budget for a meaningful spread)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_then_descend() {
        assert_eq!(
            relative_path(Path::new("/a/out/cal"), Path::new("/a/scenarios/x.toml")),
            PathBuf::from("../../scenarios/x.toml")
        );
        assert_eq!(
            relative_path(Path::new("/a"), Path::new("/a/x.toml")),
            PathBuf::from("x.toml")
        );
    }

    #[test]
    fn fixed_overrides_of_searched_keys_are_replaced() {
        let factors = vec![parse_factor("params.a=0..1").unwrap()];
        let block = set_block(
            &["params.a=0.2".into(), "services.ru.publicity=0.1".into()],
            &factors,
            &["params.a=0.7".into()],
        );
        assert_eq!(
            block,
            "[set]\n\"services.ru.publicity\" = 0.1\n\"params.a\" = 0.7\n"
        );
    }
}
