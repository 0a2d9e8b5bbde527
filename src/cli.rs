//! The command line: argument definitions and dispatch. The only module that knows about
//! `clap`, exit codes and the terminal.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::commands;
use crate::scenario::Date;

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
    /// Serve a local page where every change re-runs the ensemble (Ctrl-C to stop).
    Ui(UiArgs),
    /// Sweep factors over a design (grid, lhs, sobol, morris): targets and metrics at every point, sensitivity indices, shards for Slurm.
    Sweep(SweepArgs),
    /// Judge every target of several scenarios on several seeds, as a table (docs/validation.md).
    Validate(ValidateArgs),
    /// Regenerate the figure gallery (docs/figures.md and its images).
    #[command(hide = true)]
    Gallery(GalleryArgs),
}

/// Most worker threads: a thread per core is fastest, and far more than the cores only
/// costs memory (each thread has its own stack) — enough of them fail to start.
pub const MAX_THREADS: usize = 256;

/// `--threads`: 0 (one per core) to [`MAX_THREADS`].
fn parse_threads(text: &str) -> Result<usize, String> {
    let n: usize = text.trim().parse().map_err(|_| {
        format!("`{text}` is not a whole number, expected 0 (one per core) to {MAX_THREADS}")
    })?;
    if n > MAX_THREADS {
        return Err(format!(
            "{n} threads, expected 0 (one per core) to {MAX_THREADS}: more threads than cores do not make a run faster, and each costs memory"
        ));
    }
    Ok(n)
}

/// `--runs`: 1 to [`crate::scenario::MAX_RUNS`], the same cap as `run.runs` in a file.
fn parse_runs(text: &str) -> Result<u32, String> {
    let max = crate::scenario::MAX_RUNS;
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=u64::from(max)).contains(&n) => Ok(n as u32),
        _ => Err(format!("expected a whole number of runs from 1 to {max}")),
    }
}

/// `--end`: a calendar date.
fn parse_end(text: &str) -> Result<Date, String> {
    Date::parse(text)
        .filter(|d| (0..=9999).contains(&d.0.year()))
        .ok_or_else(|| "expected a date like 2014-12-31".to_string())
}

/// `--out`: a folder path, not empty.
fn parse_out(text: &str) -> Result<PathBuf, String> {
    if text.trim().is_empty() {
        return Err("expected a folder path, like output".into());
    }
    Ok(PathBuf::from(text))
}

/// Options shared by commands that run ensembles.
#[derive(Debug, Args, Clone)]
pub struct EnsembleArgs {
    /// Number of runs (default: the scenario's `run.runs`).
    #[arg(long, value_name = "N", value_parser = parse_runs)]
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
    #[arg(long, value_name = "DIR", default_value = "output", value_parser = parse_out)]
    pub out: PathBuf,
    /// Worker threads, at most 256 (default 0: one per core). Outputs do not depend on it.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = parse_threads)]
    pub threads: usize,
    /// No progress bar or progress lines.
    #[arg(long, short)]
    pub quiet: bool,
}

/// How figures are drawn: shared by every command that draws.
#[derive(Debug, Args, Clone, Default)]
pub struct FigureArgs {
    /// Band shaded around medians.
    #[arg(long, value_name = "p05-p95|p25-p75|none", default_value = "p05-p95", value_parser = parse_bands)]
    pub bands: crate::output::figures::BandChoice,
    /// Zoom every figure to start on this day (figures only; the simulation is unchanged).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub from: Option<crate::scenario::Date>,
    /// Zoom every figure to end on this day (figures only; the simulation is unchanged).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub to: Option<crate::scenario::Date>,
}

impl FigureArgs {
    /// The figure builders' options.
    pub fn options(&self) -> crate::output::figures::FigureOptions {
        crate::output::figures::FigureOptions {
            bands: self.bands,
            from: self.from,
            to: self.to,
        }
    }
}

fn parse_bands(text: &str) -> Result<crate::output::figures::BandChoice, String> {
    text.parse()
}

fn parse_date(text: &str) -> Result<crate::scenario::Date, String> {
    crate::scenario::Date::parse(text)
        .ok_or_else(|| format!("`{text}` is not a date, expected YYYY-MM-DD like 2013-04-15"))
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
    /// Cut the run short: end on DATE, dropping the events and targets after it (and saying which).
    #[arg(long, value_name = "DATE", value_parser = parse_end)]
    pub end: Option<Date>,
    /// Runs, seed, output folder, threads, quiet.
    #[command(flatten)]
    pub ensemble: EnsembleArgs,
    /// Panels of the figure, one per glob (repeat), e.g. --series 'trust.ct.*' --series fear.ru
    /// (default: trust, one panel per channel).
    #[arg(long = "series", value_name = "GLOB")]
    pub series: Vec<String>,
    /// Bands and zoom of the figure.
    #[command(flatten)]
    pub figure: FigureArgs,
    /// Skip the figure (trust.png and trust.svg).
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
    /// End the horizon on DATE, dropping the events and targets after it (and saying which).
    #[arg(long, value_name = "DATE", value_parser = parse_end)]
    pub end: Option<Date>,
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
    /// End every scenario on DATE, dropping the events and targets after it (and saying which).
    #[arg(long, value_name = "DATE", value_parser = parse_end)]
    pub end: Option<Date>,
    /// Runs, seed, output folder, threads, quiet.
    #[command(flatten)]
    pub ensemble: EnsembleArgs,
    /// Bands and zoom of the figures.
    #[command(flatten)]
    pub figure: FigureArgs,
    /// Skip the plots.
    #[arg(long)]
    pub no_plot: bool,
}

/// `liaison gallery` (hidden): every kind of figure, for docs/figures.md.
#[derive(Debug, Args, Clone)]
pub struct GalleryArgs {
    /// Folder for the images (docs/images/gallery in the repository).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Runs per ensemble.
    #[arg(long, default_value_t = 200)]
    pub runs: u32,
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
    #[arg(long, default_value_t = 100, value_parser = parse_runs)]
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

/// `liaison validate`.
#[derive(Debug, Args, Clone)]
pub struct ValidateArgs {
    /// Scenario files with `[[target]]` entries (e.g. scenarios/cases/*.toml).
    #[arg(value_name = "SCENARIO", required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Seeds every scenario is run with, e.g. 4,5,6 (default: each scenario's own seed).
    #[arg(long, value_name = "S,S,...", value_delimiter = ',')]
    pub seeds: Vec<u64>,
    /// Runs per ensemble (default: each scenario's `run.runs`).
    #[arg(long, value_name = "N", value_parser = parse_runs)]
    pub runs: Option<u32>,
    /// Also write the tables as Markdown to this file (whole or not at all).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Exit 1 unless every target holds on every seed.
    #[arg(long)]
    pub strict: bool,
    /// Worker threads, at most 256 (default 0: one per core). Results do not depend on it.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = parse_threads)]
    pub threads: usize,
    /// No progress lines.
    #[arg(long, short)]
    pub quiet: bool,
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
    #[arg(long, value_name = "N", value_parser = parse_runs)]
    pub runs: Option<u32>,
    /// Seed the page starts with (default: the scenario's `run.seed`).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Most runs one request may ask for.
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = parse_runs)]
    pub max_runs: u32,
    /// Most work one request may ask for, in officer-steps (runs × steps × officers, baseline included).
    #[arg(long, value_name = "N", default_value_t = 250_000_000)]
    pub max_work: u64,
    /// Output root folder: exports go to <out>/ui/.
    #[arg(long, value_name = "DIR", default_value = "output", value_parser = parse_out)]
    pub out: PathBuf,
    /// Worker threads per ensemble (default: one per core).
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = parse_threads)]
    pub threads: usize,
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
    #[arg(long, value_name = "R", value_parser = parse_runs)]
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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage(&error),
    };
    let result = dispatch(cli);
    match result {
        Ok(code) => code,
        // A reader that stopped reading (`| head`) is not an error: end quietly, as `ripgrep`
        // and the Unix tools killed by SIGPIPE do.
        Err(error) if commands::console::is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            commands::console::error(&format!("error: {error:#}"));
            ExitCode::from(2)
        }
    }
}

/// `--help`, `--version` and usage errors. clap ignores a failure to print them; a full disk
/// must still be an error.
fn usage(error: &clap::Error) -> ExitCode {
    if error.use_stderr() {
        // Nothing more can be said if standard error itself fails.
        let _ = error.print();
        return ExitCode::from(2);
    }
    match error
        .print()
        .and_then(|()| std::io::Write::flush(&mut std::io::stdout()))
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            commands::console::error(&format!("error: cannot write to standard output: {e}"));
            ExitCode::from(2)
        }
    }
}

/// Runs the command line given as words (without the program name), as the binary would;
/// the gallery uses it so that every figure it shows is made by a command a user can type.
pub fn run_words(words: &[&str]) -> anyhow::Result<ExitCode> {
    let cli = Cli::try_parse_from(std::iter::once("liaison").chain(words.iter().copied()))?;
    dispatch(cli)
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Run(args)) => commands::run::run(&args),
        Some(Command::Check(args)) => commands::check::check(&args),
        Some(Command::Compare(args)) => commands::compare::compare(&args),
        Some(Command::Calibrate(args)) => commands::calibrate::calibrate(&args),
        Some(Command::Sweep(args)) => commands::sweep::sweep(&args),
        Some(Command::Gallery(args)) => commands::gallery::gallery(&args),
        Some(Command::Validate(args)) => commands::validate::validate(&args),
        Some(Command::Ui(args)) => commands::ui::ui(&args),
        None => commands::run::run(&cli.run),
    }
}
