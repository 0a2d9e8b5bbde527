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
    /// Search parameter values that make a scenario's targets hold (stochastic hill climbing).
    Calibrate(CalibrateArgs),
    /// Serve a local page where every change re-runs the ensemble (Ctrl-C to stop).
    Ui(UiArgs),
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
    /// Scenario file with `[[target]]` entries.
    #[arg(value_name = "SCENARIO")]
    pub scenario: PathBuf,
    /// A parameter to search and its range, e.g. params.trust_drift=0.01..0.1 (repeat).
    #[arg(long = "param", value_name = "KEY=LOW..HIGH", required = true)]
    pub params: Vec<String>,
    /// Fixed overrides applied before the search.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Proposals to evaluate.
    #[arg(long, default_value_t = 200)]
    pub iterations: u32,
    /// Runs per ensemble.
    #[arg(long, default_value_t = 100)]
    pub runs: u32,
    /// Seeds each proposal is evaluated with; the score is the worst (default: the scenario's seed and 2).
    #[arg(long = "seed", value_name = "S")]
    pub seeds: Vec<u64>,
    /// Seed of the search's own proposals.
    #[arg(long, default_value_t = 1)]
    pub search_seed: u64,
    /// Output folder, threads, quiet.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `liaison ui`.
#[derive(Debug, Args, Clone)]
pub struct UiArgs {
    /// Scenario files to offer besides the bundled ones (scenarios/); the first is opened.
    #[arg(value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,
    /// Port to listen on (0: any free port).
    #[arg(long, value_name = "N", default_value_t = 8470)]
    pub port: u16,
    /// Address to listen on; anything but a loopback address exposes the page to the network.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: String,
    /// Runs the page starts with (default: the scenario's `run.runs`).
    #[arg(long, value_name = "N")]
    pub runs: Option<u32>,
    /// Seed the page starts with (default: the scenario's `run.seed`).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Most runs one request may ask for.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_runs: u32,
    /// Most work one request may ask for, in officer-steps (runs × steps × officers, baseline included).
    #[arg(long, value_name = "N", default_value_t = 250_000_000)]
    pub max_work: u64,
    /// Output root folder: exports go to <out>/ui/.
    #[arg(long, value_name = "DIR", default_value = "output")]
    pub out: PathBuf,
    /// Worker threads per ensemble (default: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Run(args)) => commands::run::run(&args),
        Some(Command::Check(args)) => commands::check::check(&args),
        Some(Command::Compare(args)) => commands::compare::compare(&args),
        Some(Command::Calibrate(args)) => commands::calibrate::calibrate(&args),
        Some(Command::Ui(args)) => commands::ui::ui(&args),
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
