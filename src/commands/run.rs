//! `liaison run`: one scenario's ensemble, written to `<out>/<scenario stem>/`.

use std::process::ExitCode;
use std::time::Instant;

use super::progress::{Progress, interrupt_flag};
use crate::aggregate::Summary;
use crate::cli::RunArgs;
use crate::output::{StagedFolder, csv, figures, manifest, plot};
use crate::runner::{EnsembleOptions, run_ensemble};
use crate::targets::{Outcome, evaluate_all};

/// Exit code after Ctrl-C (128 + SIGINT), as shells expect.
pub const INTERRUPTED_EXIT: u8 = 130;

/// Resolves `--threads 0` to the number of cores.
pub fn thread_count(requested: usize) -> usize {
    if requested > 0 {
        requested
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Runs the command.
pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    if args.scenario.as_os_str() == crate::cli::DEFAULT_SCENARIO && !args.scenario.exists() {
        anyhow::bail!(
            "the default scenario `{}` is not here: run from the repository root, or give a scenario file",
            crate::cli::DEFAULT_SCENARIO
        );
    }
    let (loaded, targets) = super::load(&args.scenario, &args.set)?;
    let scenario = &loaded.scenario;
    let seed = args.ensemble.seed.unwrap_or(scenario.seed);
    let runs = args.ensemble.runs.unwrap_or(scenario.runs);
    anyhow::ensure!(runs >= 1, "--runs 0: expected at least one run");
    let threads = thread_count(args.ensemble.output.threads);
    let name = super::stem(&args.scenario);
    anyhow::ensure!(
        !name.is_empty(),
        "cannot derive an output folder name from `{}`",
        args.scenario.display()
    );

    // Figure choices are checked before the ensemble runs, so a typo costs nothing.
    let figure_options = args.figure.options();
    let panels = if args.no_plot {
        Vec::new()
    } else {
        figure_options
            .check(scenario.timeline.start, scenario.timeline.end)
            .map_err(anyhow::Error::msg)?;
        let layout = crate::model::SeriesLayout::new(scenario);
        figures::run::panel_series(scenario, &layout.names, &args.series)
            .map_err(|m| anyhow::anyhow!("--series: {m}"))?
    };

    let progress = Progress::new(u64::from(runs), &name, args.ensemble.output.quiet);
    let tick = || progress.tick();
    let ensemble = run_ensemble(
        scenario,
        &EnsembleOptions {
            seed,
            runs,
            threads,
            on_run: Some(&tick),
            cancel: Some(interrupt_flag()),
        },
    );
    progress.finish();
    let Ok(ensemble) = ensemble else {
        eprintln!("interrupted: no output written");
        return Ok(ExitCode::from(INTERRUPTED_EXIT));
    };
    let summary = Summary::from_runs(
        ensemble.layout.names.clone(),
        ensemble.dates.clone(),
        &ensemble.runs,
    );
    let outcomes = evaluate_all(&targets, &ensemble);

    let folder = StagedFolder::new(&args.ensemble.output.out, &name)?;
    csv::write_summary_file(&folder.file("summary.csv"), &summary)?;
    csv::write_events(&folder.file("events.csv"), scenario)?;
    csv::write_targets(&folder.file("targets.csv"), &outcomes)?;
    manifest::write_effective_scenario(&folder.file("scenario.toml"), &loaded)?;
    if !args.no_plot {
        let figure = figures::run_figure(
            scenario,
            &summary,
            &outcomes,
            &panels,
            (runs, seed),
            &figure_options,
        );
        // The default figure keeps its name; chosen panels get a name of their own.
        let stem = if args.series.is_empty() {
            "trust"
        } else {
            "series"
        };
        plot::render_png_and_svg(&figure, &folder.file(""), stem)?;
    }
    let mut reproduce = format!(
        "liaison run {} --seed {seed} --runs {runs}",
        args.scenario.display()
    );
    for set in &args.set {
        reproduce.push_str(&format!(" --set '{set}'"));
    }
    for pattern in &args.series {
        reproduce.push_str(&format!(" --series '{pattern}'"));
    }
    let record = manifest::Manifest::new(
        "run",
        reproduce,
        seed,
        runs,
        threads,
        vec![manifest::ScenarioRecord::new(&name, &loaded)?],
    );
    let Some(destination) = super::finish(folder, record)? else {
        return Ok(ExitCode::from(INTERRUPTED_EXIT));
    };

    println!(
        "{}: {runs} runs, seed {seed}, {} steps, {:.2} s → {}/",
        scenario.name,
        summary.steps(),
        started.elapsed().as_secs_f64(),
        destination.display()
    );
    if !outcomes.is_empty() {
        print!("{}", target_table(&outcomes));
    }
    let failed = outcomes.iter().filter(|o| !o.pass).count();
    Ok(if args.strict && failed > 0 {
        eprintln!("{failed} target(s) failed (--strict)");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A plain-text table of target outcomes.
pub fn target_table(outcomes: &[Outcome]) -> String {
    let width = |f: &dyn Fn(&Outcome) -> usize, header: &str| {
        outcomes
            .iter()
            .map(f)
            .max()
            .unwrap_or(0)
            .max(header.chars().count())
    };
    let wid = width(&|o| o.id.chars().count(), "target");
    let wobs = width(&|o| o.observed.chars().count(), "observed");
    let wbound = width(&|o| o.bound.chars().count(), "condition");
    let mut text = format!(
        "{:<wid$}  {:<wobs$}  {:<wbound$}  result\n",
        "target", "observed", "condition"
    );
    for o in outcomes {
        text.push_str(&format!(
            "{:<wid$}  {:<wobs$}  {:<wbound$}  {}\n",
            o.id,
            o.observed,
            o.bound,
            if o.pass { "pass" } else { "FAIL" }
        ));
    }
    let passed = outcomes.iter().filter(|o| o.pass).count();
    text.push_str(&format!("{passed}/{} targets hold\n", outcomes.len()));
    text
}
