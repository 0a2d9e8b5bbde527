//! Runs a scenario's runs one after the other on one thread, alone or (with `--batch`) four
//! at a time as ensembles run them, for profilers:
//!
//! ```text
//! cargo build --release --example profile_runs
//! valgrind --tool=callgrind target/release/examples/profile_runs scenarios/us-russia-2011-2017.toml 20
//! perf record -e cpu-clock target/release/examples/profile_runs scenarios/us-russia-2011-2017.toml 3000 --batch
//! ```
//!
//! (`callgrind` counts instructions; `perf` with the `cpu-clock` event samples time, and works
//! on virtual machines without hardware counters.)
//!
//! Prints the mean wall time per run. Only the model and the observation of its series run
//! (no summaries, no files), so a profile shows where a run's own time goes.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use liaison::runner::{Prepared, each_run, run_once};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), Some(runs)) = (args.first(), args.get(1)) else {
        eprintln!("usage: profile_runs SCENARIO RUNS [--batch]");
        return ExitCode::from(2);
    };
    let Ok(runs) = runs.parse::<u32>() else {
        eprintln!("profile_runs: RUNS must be a whole number, not `{runs}`");
        return ExitCode::from(2);
    };
    let loaded = match liaison::scenario::load(Path::new(path)) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let prepared = Prepared::new(&loaded.scenario, loaded.scenario.seed);
    let start = Instant::now();
    if args.get(2).is_some_and(|a| a == "--batch") {
        // Four at a time, the last few alone, as ensembles run them.
        each_run(&prepared, 0..runs, |_, record| {
            std::hint::black_box(record);
            true
        });
    } else {
        let mut record = vec![0.0; prepared.record_len()];
        for run in 0..runs {
            run_once(&prepared, run, &mut record);
            std::hint::black_box(&record);
        }
    }
    if runs > 0 {
        println!("{:?} per run", start.elapsed() / runs);
    }
    ExitCode::SUCCESS
}
