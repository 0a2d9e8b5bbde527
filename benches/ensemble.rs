//! Benchmarks: one run, one model step, the default ensemble (1,000 runs), the aggregation,
//! and the whole `liaison run` pipeline with CSV and plots.
//!
//! `cargo bench` (criterion without its plotting features, which would need system fonts).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use liaison::aggregate::Summary;
use liaison::model::{Model, SeriesLayout};
use liaison::runner::{EnsembleOptions, Schedule, run_ensemble, run_once};

const DEFAULT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/scenarios/us-russia-2011-2017.toml"
);

fn benches(c: &mut Criterion) {
    let loaded = liaison::scenario::load(Path::new(DEFAULT)).expect("default scenario");
    let scenario = &loaded.scenario;
    let layout = SeriesLayout::new(scenario);
    let schedule = Schedule::new(scenario);

    c.bench_function("model_step_default_scenario", |b| {
        let mut model = Model::new(scenario, 1, 0);
        let steps = scenario.timeline.steps();
        b.iter(|| {
            // Keep stepping inside the horizon: restart the run at the end.
            if model.current_step() == steps {
                model = Model::new(scenario, 1, 0);
            }
            let step = model.current_step();
            model.step(black_box(schedule.at(step)));
        })
    });

    c.bench_function("one_run_default_scenario", |b| {
        b.iter(|| run_once(scenario, &layout, &schedule, black_box(1), 0))
    });

    let mut group = c.benchmark_group("ensemble");
    group.sample_size(10);
    let options = EnsembleOptions {
        seed: scenario.seed,
        runs: 1000,
        threads: 0,
        on_run: None,
        cancel: None,
    };
    group.bench_function("1000_runs", |b| {
        b.iter(|| run_ensemble(scenario, &options).expect("runs"))
    });
    let ensemble = run_ensemble(scenario, &options).expect("runs");
    group.bench_function("summary_1000_runs", |b| {
        b.iter(|| {
            Summary::from_runs(
                ensemble.layout.names.clone(),
                ensemble.dates.clone(),
                &ensemble.runs,
            )
        })
    });
    let out = tempfile::tempdir().expect("tempdir");
    let binary = env!("CARGO_MANIFEST_DIR").to_string() + "/target/release/liaison";
    if Path::new(&binary).exists() {
        group.bench_function("liaison_run_1000_runs_with_csv_and_plots", |b| {
            b.iter(|| {
                let status = std::process::Command::new(&binary)
                    .args(["run", DEFAULT, "--runs", "1000", "--quiet", "--out"])
                    .arg(out.path())
                    .stdout(std::process::Stdio::null())
                    .status()
                    .expect("liaison runs");
                assert!(status.success());
            })
        });
    }
    group.finish();
}

criterion_group!(ensemble, benches);
criterion_main!(ensemble);
