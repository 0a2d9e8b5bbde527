//! `liaison run`: one scenario's ensemble, written to `<out>/<scenario stem>/`.

use std::process::ExitCode;
use std::time::Instant;

use super::console;
use super::progress::{Progress, interrupt_flag};
use crate::cli::RunArgs;
use crate::output::{StagedFolder, csv, figures, manifest, plot};
use crate::runner::{EnsembleOptions, Prepared, ensemble};
use crate::targets::Outcome;

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
    let (loaded, targets) = super::load_until(&args.scenario, &args.set, args.end)?;
    let scenario = &loaded.scenario;
    let seed = args.ensemble.seed.unwrap_or(scenario.seed);
    let runs = args.ensemble.runs.unwrap_or(scenario.runs);
    anyhow::ensure!(runs >= 1, "--runs 0: expected at least one run");
    let threads = thread_count(args.ensemble.output.threads);
    let name = super::stem(&args.scenario);
    super::check_memory(&[scenario], runs, threads)?;
    // Refuse a destination in the way before the work, not after it.
    StagedFolder::check(&args.ensemble.output.out, &name)?;

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
    let prepared = Prepared::new(scenario, seed);
    let options = EnsembleOptions {
        runs,
        threads,
        on_run: Some(&tick),
        cancel: Some(interrupt_flag()),
    };
    let result = ensemble(&prepared, &targets, &options);
    progress.finish();
    let Some(result) = super::finished(result)? else {
        return Ok(ExitCode::from(INTERRUPTED_EXIT));
    };
    let (summary, outcomes) = (result.summary, result.outcomes);

    let folder = super::stage(&args.ensemble.output.out, &name)?;
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
    if let Some(end) = args.end {
        reproduce.push_str(&format!(" --end {end}"));
    }
    for pattern in &args.series {
        reproduce.push_str(&format!(" --series '{pattern}'"));
    }
    let mut record = manifest::Manifest::new(
        "run",
        reproduce,
        seed,
        runs,
        threads,
        vec![manifest::ScenarioRecord::new(&name, &loaded)?],
    );
    record.quantiles = summary.method.to_string();
    let Some(destination) = super::finish(folder, record)? else {
        return Ok(ExitCode::from(INTERRUPTED_EXIT));
    };

    let mut report = format!(
        "{}: {runs} runs, seed {seed}, {} steps, {:.2} s → {}/\n",
        scenario.name,
        summary.steps(),
        started.elapsed().as_secs_f64(),
        destination.display()
    );
    if !outcomes.is_empty() {
        report.push_str(&target_table(&outcomes));
    }
    console::out(&report)?;
    let failed = outcomes.iter().filter(|o| !o.pass).count();
    Ok(if args.strict && failed > 0 {
        console::error(&format!("{failed} target(s) failed (--strict)"));
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
    let wobs = width(&|o| o.observed().chars().count(), "observed");
    let wbound = width(&|o| o.bound.chars().count(), "condition");
    let mut text = format!(
        "{:<wid$}  {:<wobs$}  {:<wbound$}  result  runs holding\n",
        "target", "observed", "condition"
    );
    for o in outcomes {
        text.push_str(&format!(
            "{:<wid$}  {:<wobs$}  {:<wbound$}  {:<6}  {:>5.1}%\n",
            o.id,
            o.observed(),
            o.bound,
            if o.pass { "pass" } else { "FAIL" },
            100.0 * o.share_holding
        ));
    }
    let passed = outcomes.iter().filter(|o| o.pass).count();
    text.push_str(&format!("{passed}/{} targets hold\n", outcomes.len()));
    text
}
