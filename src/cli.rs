//! The command line: argument definitions and dispatch. The only module that knows about
//! `clap`, exit codes and the terminal.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::commands;

/// The scenario run when none is given.
pub const DEFAULT_SCENARIO: &str = "scenarios/us-russia-2011-2017.toml";

/// Agent-based simulator of cooperation and mistrust between intelligence services.
///
/// With no command, `liaison` runs the default scenario (same as `liaison run`).
#[derive(Debug, Parser)]
#[command(name = "liaison", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario's ensemble and write summary.csv, events.csv, targets.csv, manifest.json and plots.
    Run(RunArgs),
    /// Validate a scenario and print a short summary of it.
    Check(CheckArgs),
    /// Compare scenarios and variants side by side, with paired run-by-run differences.
    Compare(CompareArgs),
    /// Search values that make the targets of one or several scenarios hold (CMA-ES).
    Calibrate(CalibrateArgs),
    /// Sweep factors over a design (grid, lhs, sobol, morris): targets and metrics at every point, sensitivity indices, shards for Slurm.
    Sweep(SweepArgs),
}

/// Options shared by commands that run ensembles.
#[derive(Debug, Args, Clone)]
pub struct EnsembleArgs {
    /// Number of runs (default: the scenario's `run.runs`).
    #[arg(long, value_name = "N")]
    pub runs: Option<u32>,
    /// Master seed (default: the scenario's `run.seed`).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Output folder, threads, quiet.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Where results go and how the work is done: shared by every command that writes a folder.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Output root folder.
    #[arg(long, value_name = "DIR", default_value = "output")]
    pub out: PathBuf,
    /// Worker threads (default: one per core). Outputs do not depend on it.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// No progress bar or progress lines.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `liaison run`.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Scenario file.
    #[arg(value_name = "SCENARIO", default_value = DEFAULT_SCENARIO)]
    pub scenario: PathBuf,
    /// Override a scenario value by its dotted path, e.g. services.ru.publicity=0.1 or event.fogle.public=false.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Runs, seed, output folder, threads, quiet.
    #[command(flatten)]
    pub ensemble: EnsembleArgs,
    /// Skip trust.png and trust.svg.
    #[arg(long)]
    pub no_plot: bool,
    /// Exit with code 1 if any target fails.
    #[arg(long)]
    pub strict: bool,
}

/// `liaison check`.
#[derive(Debug, Args, Clone)]
pub struct CheckArgs {
    /// Scenario file.
    #[arg(value_name = "SCENARIO")]
    pub scenario: PathBuf,
    /// Override a scenario value by its dotted path (checked like the file).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Also list every model parameter with its value, default and range.
    #[arg(long)]
    pub params: bool,
}

/// `liaison compare`.
#[derive(Debug, Args, Clone)]
pub struct CompareArgs {
    /// Scenario files; the first is the baseline (a what-if that `extends` a base counts as a scenario).
    #[arg(value_name = "SCENARIO", num_args = 1.., required = true)]
    pub scenarios: Vec<PathBuf>,
    /// A variant of the first scenario: 'NAME: KEY=VALUE[, KEY=VALUE...]'.
    #[arg(long = "variant", value_name = "'NAME: KEY=VALUE, ...'")]
    pub variants: Vec<String>,
    /// Series to compare, by glob (default: trust.*).
    #[arg(long = "series", value_name = "PATTERN")]
    pub series: Vec<String>,
    /// Name of the output folder (default: compare-<names>).
    #[arg(long)]
    pub name: Option<String>,
    /// Runs, seed, output folder, threads, quiet.
    #[command(flatten)]
    pub ensemble: EnsembleArgs,
    /// Skip the plots.
    #[arg(long)]
    pub no_plot: bool,
}

/// `liaison calibrate`.
#[derive(Debug, Args, Clone)]
pub struct CalibrateArgs {
    /// Scenario files with `[[target]]` entries; every point is scored on all of them.
    #[arg(value_name = "SCENARIO", num_args = 1.., required = true)]
    pub scenarios: Vec<PathBuf>,
    /// A value to search and its range: KEY=LOW..HIGH, with :int for integers or :log for a log scale (repeat).
    #[arg(
        long = "param",
        value_name = "KEY=LOW..HIGH[:int|:log]",
        required = true
    )]
    pub params: Vec<String>,
    /// Fixed overrides applied to every scenario before the search.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Points to evaluate (rounded up to a whole CMA-ES generation).
    #[arg(long, alias = "iterations", default_value_t = 200)]
    pub budget: usize,
    /// Runs per ensemble.
    #[arg(long, default_value_t = 100)]
    pub runs: u32,
    /// Seeds every point is run with, e.g. 1,2,3 (default: each scenario's seed).
    #[arg(
        long = "seeds",
        alias = "seed",
        value_name = "S,S,...",
        value_delimiter = ','
    )]
    pub seeds: Vec<u64>,
    /// Seed of the search itself: the same seed gives the same search.
    #[arg(long, default_value_t = 1)]
    pub search_seed: u64,
    /// What is maximised: `targets` (held on the median and by share of runs, plus clipped margins) or `worst-margin`.
    #[arg(long, default_value = "targets")]
    pub objective: String,
    /// Share of the best points whose spread is reported.
    #[arg(long, default_value_t = 0.1)]
    pub top: f64,
    /// Name of the output folder: <out>/calibrate-<name>/ (default: the scenario's stem).
    #[arg(long)]
    pub name: Option<String>,
    /// Output folder, threads, quiet.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `liaison sweep`.
#[derive(Debug, Args, Clone)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepArgs {
    /// `merge`: combine the shards of a sharded sweep.
    #[command(subcommand)]
    pub action: Option<SweepAction>,
    /// Scenario file.
    #[arg(value_name = "SCENARIO", required = true)]
    pub scenario: Option<PathBuf>,
    /// A factor and its range: KEY=LOW..HIGH, with :int for integers or :log for a log scale (repeat).
    #[arg(
        long = "param",
        value_name = "KEY=LOW..HIGH[:int|:log]",
        required = true
    )]
    pub params: Vec<String>,
    /// The design: grid, lhs, sobol or morris.
    #[arg(long, default_value = "grid")]
    pub design: String,
    /// Size: levels per factor (grid, default 5), points (lhs, 50), base rows N (sobol, 64: N·(d+2) points), trajectories (morris, 10: r·(d+1) points).
    #[arg(long, value_name = "N")]
    pub points: Option<usize>,
    /// Runs per point (default: the scenario's `run.runs`).
    #[arg(long, value_name = "R")]
    pub runs: Option<u32>,
    /// Master seed of every point's runs and of the design (default: the scenario's `run.seed`).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// An extra metric in the target vocabulary: 'NAME: test=level, series=GLOB, from=DATE, to=DATE' (repeat).
    #[arg(long = "metric", value_name = "'NAME: KEY=VALUE, ...'")]
    pub metrics: Vec<String>,
    /// Fixed overrides applied before each point's.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Name of the output folder: <out>/sweep-<name>/ (default: the scenario's stem).
    #[arg(long)]
    pub name: Option<String>,
    /// Run only shard I of N (0-based) into <out>/sweep-<name>/shards/I.csv; `liaison sweep merge` combines them.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Instead of running, write Slurm scripts: a job array of --shards tasks and a dependent merge.
    #[arg(long)]
    pub slurm: bool,
    /// Shards (array tasks) for --slurm.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub shards: usize,
    /// CPUs per array task (--slurm).
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub cpus_per_task: usize,
    /// Memory per array task (--slurm), as sbatch --mem takes it.
    #[arg(long, value_name = "SIZE", default_value = "2G")]
    pub mem: String,
    /// Time limit per array task (--slurm), as sbatch --time takes it.
    #[arg(long, value_name = "TIME", default_value = "02:00:00")]
    pub time: String,
    /// Partition (--slurm; default: the cluster's).
    #[arg(long)]
    pub partition: Option<String>,
    /// Skip the figures.
    #[arg(long)]
    pub no_plot: bool,
    /// Output folder, threads, quiet.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Sub-commands of `liaison sweep`.
#[derive(Debug, Subcommand, Clone)]
pub enum SweepAction {
    /// Combine the complete shards of `<dir>/shards/` into the outputs of an unsharded sweep (byte for byte); lists missing shards.
    Merge {
        /// The sweep folder, <out>/sweep-<name>/.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// No progress lines.
        #[arg(long, short)]
        quiet: bool,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Run(args)) => commands::run::run(&args),
        Some(Command::Check(args)) => commands::check::check(&args),
        Some(Command::Compare(args)) => commands::compare::compare(&args),
        Some(Command::Calibrate(args)) => commands::calibrate::calibrate(&args),
        Some(Command::Sweep(args)) => commands::sweep::sweep(&args),
        None => commands::run::run(&cli.run),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
