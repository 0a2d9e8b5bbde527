//! `liaison calibrate`: search parameter values against a scenario's targets and write the
//! search history and a what-if file that applies the best values.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Context, ensure};

use super::run::thread_count;
use crate::cli::CalibrateArgs;
use crate::explore::calibrate::{
    Options, Parameter, assignments, calibrate as search, parse_parameter,
};
use crate::output::{StagedFolder, manifest};

/// Runs the command.
pub fn calibrate(args: &CalibrateArgs) -> anyhow::Result<ExitCode> {
    let parameters: Vec<Parameter> = args
        .params
        .iter()
        .map(|p| parse_parameter(p).map_err(|m| anyhow::anyhow!("--param {m}")))
        .collect::<anyhow::Result<_>>()?;
    let (loaded, targets) = super::load(&args.scenario, &args.set)?;
    ensure!(
        !targets.is_empty(),
        "`{}` has no [[target]] to calibrate against",
        args.scenario.display()
    );
    ensure!(args.runs >= 1, "--runs 0: expected at least one run");
    let seeds = if args.seeds.is_empty() {
        vec![loaded.scenario.seed, 2]
    } else {
        args.seeds.clone()
    };
    let options = Options {
        iterations: args.iterations,
        runs: args.runs,
        seeds,
        search_seed: args.search_seed,
        threads: thread_count(args.output.threads),
    };
    let quiet = args.output.quiet;
    let name = format!("calibrate-{}", super::stem(&args.scenario));
    // Refuse a destination in the way before the search, not after it.
    StagedFolder::check(&args.output.out, &name)?;
    let history = search(&args.scenario, &args.set, &parameters, &options, |p| {
        if !quiet && p.accepted {
            super::console::error(&format!(
                "iteration {:>4}: score {:.3}, {}/{} targets hold",
                p.iteration, p.score, p.passed, p.targets
            ));
        }
    })?;
    let best = history
        .iter()
        .rev()
        .find(|p| p.accepted)
        .context("the search has a starting point")?;

    let folder = super::stage(&args.output.out, &name)?;
    let mut csv = ::csv::Writer::from_path(folder.file("history.csv"))?;
    let mut header = vec![
        "iteration".to_string(),
        "accepted".into(),
        "score".into(),
        "passed".into(),
        "targets".into(),
    ];
    header.extend(parameters.iter().map(|p| p.key.clone()));
    csv.write_record(&header)?;
    for p in &history {
        let mut row = vec![
            p.iteration.to_string(),
            p.accepted.to_string(),
            format!("{:.6}", p.score),
            p.passed.to_string(),
            p.targets.to_string(),
        ];
        row.extend(p.values.iter().map(|v| v.to_string()));
        csv.write_record(&row)?;
    }
    csv.flush()?;
    let overrides = assignments(&parameters, &best.values);
    let scenario_path =
        std::fs::canonicalize(&args.scenario).unwrap_or_else(|_| args.scenario.clone());
    let mut what_if = format!(
        "# Best values found by `liaison calibrate` ({} proposals, {} runs, seeds {:?}, search seed {}).\n\
         # Score {:.3}: {}/{} targets hold with the worst seed.\n\
         extends = {:?}\nname = {:?}\n\n[set]\n",
        args.iterations,
        args.runs,
        options.seeds,
        args.search_seed,
        best.score,
        best.passed,
        best.targets,
        scenario_path.display().to_string(),
        format!("{} (calibrated)", loaded.scenario.name),
    );
    // Fixed overrides first, then the searched values (which win over a fixed one of the same key).
    let searched = |key: &str| parameters.iter().any(|p| p.key == key);
    for set in args.set.iter().chain(&overrides) {
        if let Some((key, value)) = crate::scenario::split_assignment(set) {
            let fixed_and_searched = args.set.contains(set) && searched(key);
            if !fixed_and_searched {
                let _ = writeln!(what_if, "{key:?} = {}", crate::scenario::parse_value(value));
            }
        }
    }
    std::fs::write(folder.file("calibrated.toml"), &what_if)?;
    let mut reproduce = format!("liaison calibrate {}", args.scenario.display());
    for p in &args.params {
        reproduce.push_str(&format!(" --param {p}"));
    }
    for s in &args.set {
        reproduce.push_str(&format!(" --set '{s}'"));
    }
    for s in &options.seeds {
        reproduce.push_str(&format!(" --seed {s}"));
    }
    reproduce.push_str(&format!(
        " --iterations {} --runs {} --search-seed {}",
        args.iterations, args.runs, args.search_seed
    ));
    let record = manifest::Manifest::new(
        "calibrate",
        reproduce,
        options.seeds[0],
        args.runs,
        options.threads,
        vec![manifest::ScenarioRecord::new(
            &super::stem(&args.scenario),
            &loaded,
        )?],
    );
    let Some(destination) = super::finish(folder, record)? else {
        return Ok(ExitCode::from(super::run::INTERRUPTED_EXIT));
    };
    let mut report = format!(
        "best after {} proposals: score {:.3}, {}/{} targets hold (worst of seeds {:?})\n",
        args.iterations, best.score, best.passed, best.targets, options.seeds
    );
    for set in &overrides {
        let _ = writeln!(report, "  --set {set}");
    }
    let _ = writeln!(
        report,
        "→ {}/ (history.csv, calibrated.toml)",
        destination.display()
    );
    super::console::out(&report)?;
    Ok(ExitCode::SUCCESS)
}
