//! `examples/profile_runs` for the first versions of liaison, which had none (up to 18b2c7a,
//! the version whose speed issue 9 measured: 0.74 ms per run). `scripts/compare-builds.sh`
//! copies it into a revision that lacks the example, so that today's build can be timed side
//! by side with those versions. It uses their API: `runner::run_once(scenario, layout,
//! schedule, seed, run)`, which simulates and records one run.
//!
//! Prints the mean wall time per run, as the later example does (a third argument, such as
//! `--batch`, is ignored: those versions simulate one run at a time).

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use liaison::model::SeriesLayout;
use liaison::runner::{Schedule, run_once};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), Some(Ok(runs))) = (args.first(), args.get(1).map(|r| r.parse::<u32>())) else {
        eprintln!("usage: profile_runs SCENARIO RUNS");
        return ExitCode::from(2);
    };
    let loaded = match liaison::scenario::load(Path::new(path)) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let scenario = &loaded.scenario;
    let (layout, schedule) = (SeriesLayout::new(scenario), Schedule::new(scenario));
    let start = Instant::now();
    for run in 0..runs {
        std::hint::black_box(run_once(scenario, &layout, &schedule, scenario.seed, run));
    }
    if runs > 0 {
        println!("{:?} per run", start.elapsed() / runs);
    }
    ExitCode::SUCCESS
}
