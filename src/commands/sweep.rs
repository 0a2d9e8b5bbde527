//! `liaison sweep`: parse the sweep, then run it whole, run one shard, write Slurm scripts,
//! or merge shards; write the outputs and report. The work lives in [`crate::explore`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use clap::Parser;
use serde::{Deserialize, Serialize};

use super::progress::{Progress, interrupt_flag, interrupted};
use super::run::{INTERRUPTED_EXIT, thread_count};
use crate::cli::{SweepAction, SweepArgs};
use crate::explore::design::Design;
use crate::explore::factor::{Factor, parse_factor};
use crate::explore::metric::parse_metric;
use crate::explore::point::{PointError, PointResult};
use crate::explore::sweep::{
    Sweep, parse_shard, read_shards, sensitivity, shard_range, write_curves, write_design,
    write_points, write_sensitivity, write_shard,
};
use crate::explore::{figures, slurm};
use crate::output::{manifest, safe_name};

/// A parsed sweep with where it goes.
struct Setup {
    sweep: Sweep,
    /// `sweep-<name>`.
    folder: String,
    out: PathBuf,
    /// The command-line arguments that define the sweep (after `liaison sweep`), with every
    /// default resolved: what shards, Slurm scripts and the manifest record.
    canonical: Vec<String>,
    no_plot: bool,
    record: manifest::ScenarioRecord,
}

/// Runs the command.
pub fn sweep(args: &SweepArgs) -> anyhow::Result<ExitCode> {
    if let Some(SweepAction::Merge { dir, quiet }) = &args.action {
        return merge(dir, *quiet);
    }
    let setup = setup(args)?;
    if args.slurm {
        ensure!(
            args.shard.is_none(),
            "--slurm and --shard: --slurm writes the scripts that run every shard; give one of them"
        );
        return write_slurm(&setup, args);
    }
    let threads = thread_count(args.output.threads);
    let quiet = args.output.quiet;
    match &args.shard {
        Some(text) => {
            let (shard, shards) = parse_shard(text).map_err(anyhow::Error::msg)?;
            run_shard(&setup, shard, shards, threads, quiet)
        }
        None => run_whole(&setup, threads, quiet),
    }
}

fn setup(args: &SweepArgs) -> anyhow::Result<Setup> {
    let scenario = args.scenario.as_ref().context("expected a scenario file")?;
    let factors: Vec<Factor> = args
        .params
        .iter()
        .map(|p| parse_factor(p).map_err(|m| anyhow::anyhow!("--param {m}")))
        .collect::<anyhow::Result<_>>()?;
    let design =
        Design::parse(&args.design, args.points, factors.len()).map_err(anyhow::Error::msg)?;
    let metrics = args
        .metrics
        .iter()
        .map(|m| parse_metric(m).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (loaded, _) = super::load(scenario, &args.set)?;
    let seed = args.seed.unwrap_or(loaded.scenario.seed);
    let runs = args.runs.unwrap_or(loaded.scenario.runs);
    ensure!(runs >= 1, "--runs 0: expected at least one run");
    let name = match &args.name {
        Some(n) => safe_name(n),
        None => super::stem(scenario),
    };
    ensure!(!name.is_empty(), "--name: expected letters or digits");
    let sweep = Sweep::new(scenario, &args.set, factors, design, seed, runs, metrics)
        .map_err(anyhow::Error::msg)?;
    let mut canonical = vec![scenario.display().to_string()];
    for f in &sweep.factors {
        canonical.extend(["--param".into(), f.spec()]);
    }
    canonical.extend([
        "--design".into(),
        design.name().into(),
        "--points".into(),
        design.size().to_string(),
        "--runs".into(),
        runs.to_string(),
        "--seed".into(),
        seed.to_string(),
    ]);
    for m in &sweep.metrics {
        canonical.extend(["--metric".into(), m.text.clone()]);
    }
    for s in &args.set {
        canonical.extend(["--set".into(), s.clone()]);
    }
    // Not --out: the manifest says how to compute the outputs, wherever they are written.
    canonical.extend(["--name".into(), name.clone()]);
    if args.no_plot {
        canonical.push("--no-plot".into());
    }
    Ok(Setup {
        record: manifest::ScenarioRecord::new(&super::stem(scenario), &loaded)?,
        sweep,
        folder: format!("sweep-{name}"),
        out: args.output.out.clone(),
        canonical,
        no_plot: args.no_plot,
    })
}

/// Runs points `range`, with a progress bar over points; `None` when interrupted.
fn run_points(
    setup: &Setup,
    range: std::ops::Range<usize>,
    threads: usize,
    quiet: bool,
) -> anyhow::Result<Option<Vec<(usize, PointResult)>>> {
    let progress = Progress::counting(range.len() as u64, &setup.folder, "points", quiet);
    let tick = || progress.tick();
    let mut results = Vec::with_capacity(range.len());
    let outcome = setup
        .sweep
        .run(range, threads, Some(interrupt_flag()), &tick, |i, r| {
            results.push((i, r))
        });
    progress.finish();
    match outcome {
        Ok(()) => Ok(Some(results)),
        Err(PointError::Interrupted) => Ok(None),
        Err(PointError::Invalid(m)) => bail!("{m}"),
    }
}

fn run_whole(setup: &Setup, threads: usize, quiet: bool) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let total = setup.sweep.points.len();
    let Some(results) = run_points(setup, 0..total, threads, quiet)? else {
        super::console::error("interrupted: no output written");
        return Ok(ExitCode::from(INTERRUPTED_EXIT));
    };
    let results: Vec<PointResult> = results.into_iter().map(|(_, r)| r).collect();
    let seconds = started.elapsed().as_secs_f64();
    let Some(destination) = write_outputs(setup, &results, None)? else {
        return Ok(ExitCode::from(INTERRUPTED_EXIT));
    };
    print_summary(setup, &results);
    println!(
        "{total} points × {} runs in {seconds:.1} s ({:.2} points/s, {threads} threads) → {}/",
        setup.sweep.runs,
        total as f64 / seconds.max(1e-9),
        destination.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// What a shard folder records about its sweep, so shards can be checked and merged.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Plan {
    program: String,
    version: String,
    /// Working directory of the sweep (scenario and --out paths are relative to it).
    cwd: PathBuf,
    /// `liaison sweep` arguments, defaults resolved (without `--out`).
    args: Vec<String>,
    /// The output root of the sweep (`--out`).
    out: PathBuf,
    /// Number of shards.
    shards: usize,
    /// Number of points.
    points: usize,
}

impl Plan {
    fn new(setup: &Setup, shards: usize) -> anyhow::Result<Plan> {
        Ok(Plan {
            program: "liaison".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            cwd: std::env::current_dir()?,
            args: setup.canonical.clone(),
            out: setup.out.clone(),
            shards,
            points: setup.sweep.points.len(),
        })
    }
}

/// `<out>/sweep-<name>/shards/`.
fn shard_dir(setup: &Setup) -> PathBuf {
    setup.out.join(&setup.folder).join("shards")
}

/// Writes `plan.json` in `dir`, or checks that the one there describes the same sweep.
fn write_plan(dir: &Path, plan: &Plan) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let path = dir.join("plan.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let existing: Plan = serde_json::from_str(&text)
            .with_context(|| format!("`{}` is not a sweep plan", path.display()))?;
        ensure!(
            existing.args == plan.args
                && existing.shards == plan.shards
                && existing.out == plan.out,
            "`{}` holds the shards of another sweep (`liaison sweep {}` in {} shards): \
             use another --name, or remove that folder",
            dir.display(),
            existing.args.join(" "),
            existing.shards
        );
        return Ok(());
    }
    let partial = dir.join(format!(".plan.json.{}", std::process::id()));
    std::fs::write(&partial, serde_json::to_string_pretty(plan)? + "\n")?;
    std::fs::rename(&partial, &path)?;
    Ok(())
}

fn run_shard(
    setup: &Setup,
    shard: usize,
    shards: usize,
    threads: usize,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let dir = shard_dir(setup);
    write_plan(&dir, &Plan::new(setup, shards)?)?;
    let range = shard_range(setup.sweep.points.len(), shard, shards);
    let count = range.len();
    let Some(results) = run_points(setup, range.clone(), threads, quiet)? else {
        super::console::error(&format!("interrupted: shard {shard} not written"));
        return Ok(ExitCode::from(INTERRUPTED_EXIT));
    };
    let path = dir.join(format!("{shard}.csv"));
    write_shard(&path, &setup.sweep.names, &results)?;
    println!(
        "shard {shard}/{shards}: points {}…{} ({count}) in {:.1} s → {}",
        range.start,
        range.end.saturating_sub(1),
        started.elapsed().as_secs_f64(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Parses recorded sweep arguments again.
#[derive(Parser)]
#[command(name = "liaison sweep")]
struct Replay {
    #[command(flatten)]
    args: SweepArgs,
}

fn merge(dir: &Path, quiet: bool) -> anyhow::Result<ExitCode> {
    let dir = std::fs::canonicalize(dir)
        .with_context(|| format!("no sweep folder `{}`", dir.display()))?;
    let shards = dir.join("shards");
    let plan_path = shards.join("plan.json");
    let text = std::fs::read_to_string(&plan_path).with_context(|| {
        format!(
            "no `{}`: expected the folder of a sharded sweep (<out>/sweep-<name>/)",
            plan_path.display()
        )
    })?;
    let plan: Plan = serde_json::from_str(&text)
        .with_context(|| format!("`{}` is not a sweep plan", plan_path.display()))?;
    // Paths in the arguments are relative to where the sweep was started.
    std::env::set_current_dir(&plan.cwd).with_context(|| {
        format!(
            "cannot enter `{}`, where the sweep was started",
            plan.cwd.display()
        )
    })?;
    let mut argv = vec!["liaison sweep".to_string()];
    argv.extend(plan.args.iter().cloned());
    let replay = Replay::try_parse_from(&argv).with_context(|| {
        format!(
            "`{}`: cannot read the sweep's arguments",
            plan_path.display()
        )
    })?;
    let mut setup = setup(&replay.args)?;
    ensure!(
        dir.file_name().and_then(|n| n.to_str()) == Some(setup.folder.as_str()),
        "`{}` holds the shards of `{}`, expected a folder of that name",
        dir.display(),
        setup.folder
    );
    ensure!(
        setup.sweep.points.len() == plan.points,
        "the sweep now has {} points, its plan {}: the scenario changed since the shards ran",
        setup.sweep.points.len(),
        plan.points
    );
    // The outputs go next to the shards, wherever the folder is now.
    setup.out = dir.parent().map(Path::to_path_buf).unwrap_or_default();
    let results = read_shards(&shards, plan.shards, plan.points, &setup.sweep.names)
        .map_err(anyhow::Error::msg)?;
    let Some(destination) = write_outputs(&setup, &results, Some(&shards))? else {
        return Ok(ExitCode::from(INTERRUPTED_EXIT));
    };
    if !quiet {
        print_summary(&setup, &results);
    }
    println!(
        "merged {} shards ({} points) → {}/",
        plan.shards,
        plan.points,
        destination.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn write_slurm(setup: &Setup, args: &SweepArgs) -> anyhow::Result<ExitCode> {
    ensure!(args.shards >= 1, "--shards 0: expected at least one shard");
    ensure!(
        args.cpus_per_task >= 1,
        "--cpus-per-task 0: expected at least one CPU"
    );
    let points = setup.sweep.points.len();
    let shards = args.shards.min(points);
    let dir = shard_dir(setup);
    let plan = Plan::new(setup, shards)?;
    write_plan(&dir, &plan)?;
    let dir = std::fs::canonicalize(&dir)?;
    // Slurm does not create the folder of --output files.
    std::fs::create_dir_all(dir.join("logs"))?;
    let program = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .context("cannot locate the liaison executable")?;
    let job = slurm::Job {
        name: setup.folder.clone(),
        program,
        cwd: plan.cwd.clone(),
        args: setup
            .canonical
            .iter()
            .cloned()
            .chain(["--out".to_string(), setup.out.display().to_string()])
            .collect(),
        shards,
        cpus_per_task: args.cpus_per_task,
        mem: args.mem.clone(),
        time: args.time.clone(),
        partition: args.partition.clone(),
        dir: dir.clone(),
    };
    let (submit, merge) = (dir.join("submit.sbatch"), dir.join("merge.sbatch"));
    std::fs::write(&submit, slurm::array_script(&job))?;
    std::fs::write(&merge, slurm::merge_script(&job))?;
    println!(
        "{points} points in {shards} shards: wrote {} and {}",
        submit.display(),
        merge.display()
    );
    println!("submit both, the merge after every shard succeeded:");
    println!("{}", slurm::submit_commands(&job));
    Ok(ExitCode::SUCCESS)
}

/// The manifest of a sweep: everything needed to run it again, and nothing that depends on
/// how it was run (threads, shards, timing), so a merged sweep's is the same as a whole one's.
#[derive(Serialize)]
struct SweepManifest<'a> {
    program: &'static str,
    version: &'static str,
    command: &'static str,
    reproduce: String,
    seed: u64,
    runs: u32,
    design: &'a Design,
    points: usize,
    factors: &'a [Factor],
    metrics: &'a [String],
    common_random_numbers: &'static str,
    scenario: &'a manifest::ScenarioRecord,
    files: Vec<manifest::OutputFile>,
}

fn shell_word(word: &str) -> String {
    slurm::quote(word)
}

/// Writes the outputs of a complete sweep into `<out>/sweep-<name>/`; `keep` is the shards
/// folder inside it, kept in the new folder. `None` when interrupted.
fn write_outputs(
    setup: &Setup,
    results: &[PointResult],
    keep: Option<&Path>,
) -> anyhow::Result<Option<PathBuf>> {
    let Some(shards) = keep else {
        return write_folder(setup, results);
    };
    // The folder holds only the shards: park them beside it while the outputs are written
    // and the folder is replaced, then put them back in the new folder.
    let parked = setup
        .out
        .join(format!(".{}.shards-{}", setup.folder, std::process::id()));
    std::fs::rename(shards, &parked)
        .with_context(|| format!("cannot move `{}` aside", shards.display()))?;
    let written = write_folder(setup, results);
    let home = match &written {
        Ok(Some(destination)) => destination.join("shards"),
        _ => shards.to_path_buf(),
    };
    std::fs::rename(&parked, &home).with_context(|| {
        format!(
            "cannot move the shards back from `{}` to `{}`",
            parked.display(),
            home.display()
        )
    })?;
    written
}

/// Writes the outputs into a staged `<out>/sweep-<name>/`. `None` when interrupted.
fn write_folder(setup: &Setup, results: &[PointResult]) -> anyhow::Result<Option<PathBuf>> {
    let folder = super::stage(&setup.out, &setup.folder)?;
    let sweep = &setup.sweep;
    write_design(&folder.file("design.csv"), sweep)?;
    write_points(&folder.file("points.csv"), &sweep.names, results)?;
    if sweep.keeps_curves() {
        write_curves(&folder.file("curves.csv"), sweep, results)?;
    }
    let indices = sensitivity(sweep, results);
    if matches!(sweep.design, Design::Morris { .. } | Design::Sobol { .. }) {
        write_sensitivity(&folder.file("sensitivity.csv"), &indices)?;
    }
    if !setup.no_plot {
        figures::write_all(&folder.file(""), sweep, results, &indices)?;
    }
    let record = SweepManifest {
        program: "liaison",
        version: env!("CARGO_PKG_VERSION"),
        command: "sweep",
        reproduce: std::iter::once("liaison sweep".to_string())
            .chain(setup.canonical.iter().map(|w| shell_word(w)))
            .collect::<Vec<_>>()
            .join(" "),
        seed: sweep.seed,
        runs: sweep.runs,
        design: &sweep.design,
        points: sweep.points.len(),
        factors: &sweep.factors,
        metrics: &sweep.names,
        common_random_numbers: "run i of every point uses the streams of run i of the seed",
        scenario: &setup.record,
        files: manifest::digest_folder(&folder.file(""))?,
    };
    std::fs::write(
        folder.file("manifest.json"),
        serde_json::to_string_pretty(&record)? + "\n",
    )?;
    if interrupted() {
        super::console::error("interrupted: no output written");
        return Ok(None);
    }
    folder.commit().map(Some)
}

/// A short table for small sweeps: the share of runs holding each target at every point.
fn print_summary(setup: &Setup, results: &[PointResult]) {
    let sweep = &setup.sweep;
    let holds: Vec<(usize, &str)> = sweep
        .names
        .iter()
        .enumerate()
        .filter_map(|(i, n)| n.strip_suffix(".holds").map(|id| (i, id)))
        .collect();
    if holds.is_empty() || results.len() > 25 {
        return;
    }
    let mut header: Vec<String> = sweep.factors.iter().map(|f| f.key.clone()).collect();
    header.extend(holds.iter().map(|(_, id)| id.to_string()));
    let widths: Vec<usize> = header.iter().map(|h| h.chars().count().max(6)).collect();
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:>w$}"))
            .collect::<Vec<_>>()
            .join("  ")
    };
    println!("share of runs in which each target holds:");
    println!("{}", line(header.clone()));
    for (i, r) in results.iter().enumerate() {
        let mut cells: Vec<String> = sweep
            .factors
            .iter()
            .zip(sweep.values(i))
            .map(|(f, v)| f.format(v))
            .collect();
        cells.extend(
            holds
                .iter()
                .map(|&(m, _)| format!("{:.0}%", 100.0 * r.rows[m].stats.mean)),
        );
        println!("{}", line(cells));
    }
}
