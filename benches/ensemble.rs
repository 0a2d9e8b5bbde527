//! Benchmarks: one model step, one run alone and one run in a batch of four (as ensembles
//! simulate them), the default ensemble (1,000 runs) summarised as it runs, and the whole
//! `liaison run` pipeline with CSV and plots.
//!
//! `cargo bench` (criterion without its plotting features, which would need system fonts).
//! The one-run benchmarks report their throughput in officer-steps per second (one officer
//! deciding, exchanging and drifting for one step), the figure the README quotes per core.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use liaison::model::{BATCH, Model};
use liaison::runner::{EnsembleOptions, Prepared, ensemble, run_batch, run_once};

const DEFAULT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/scenarios/us-russia-2011-2017.toml"
);

fn benches(c: &mut Criterion) {
    let (loaded, targets) = liaison::commands::load(Path::new(DEFAULT), &[]).expect("default");
    let scenario = &loaded.scenario;
    let prepared = Prepared::new(scenario, 1);
    let officers: u64 = scenario
        .desks
        .iter()
        .map(|d| u64::from(d.population.count))
        .sum();
    let steps = prepared.steps() as u64;

    let mut group = c.benchmark_group("model");
    group.throughput(Throughput::Elements(officers));
    group.bench_function("step_default_scenario", |b| {
        let mut model = Model::new(scenario, &prepared.keys, 0);
        b.iter(|| {
            // Keep stepping inside the horizon: restart the run at the end.
            if model.current_step() == steps as usize {
                model = Model::new(scenario, &prepared.keys, 0);
            }
            let step = model.current_step();
            model.step(black_box(prepared.schedule.at(step)));
        })
    });
    group.throughput(Throughput::Elements(officers * steps));
    let mut record = vec![0.0; prepared.record_len()];
    let mut run = 0u32;
    group.bench_function("one_run_default_scenario", |b| {
        b.iter(|| {
            run = run.wrapping_add(1);
            run_once(&prepared, black_box(run), &mut record);
        })
    });
    // Four runs simulated together in the vector lanes (`run_batch`), as ensembles run them:
    // the time reported is per run (each batch's time divided by four).
    let mut records = vec![vec![0.0; prepared.record_len()]; BATCH];
    let mut first = 0u32;
    group.bench_function("one_run_in_a_batch_of_four_default_scenario", |b| {
        b.iter_custom(|iters| {
            let batches = iters.div_ceil(BATCH as u64);
            let start = Instant::now();
            for _ in 0..batches {
                first = first.wrapping_add(BATCH as u32);
                let [r0, r1, r2, r3] = &mut records[..] else {
                    unreachable!("four records")
                };
                let runs = std::array::from_fn(|i| first.wrapping_add(i as u32));
                run_batch(&prepared, black_box(runs), [r0, r1, r2, r3]);
            }
            start
                .elapsed()
                .mul_f64(iters as f64 / (batches * BATCH as u64) as f64)
        })
    });
    group.finish();

    let mut group = c.benchmark_group("ensemble");
    group.sample_size(10);
    let options = EnsembleOptions {
        runs: 1000,
        threads: 0,
        on_run: None,
        cancel: None,
    };
    group.bench_function("1000_runs_summarised", |b| {
        b.iter(|| ensemble(&prepared, &targets, &options).expect("runs"))
    });
    let options_one = EnsembleOptions {
        threads: 1,
        ..options
    };
    group.bench_function("1000_runs_summarised_one_thread", |b| {
        b.iter(|| ensemble(&prepared, &targets, &options_one).expect("runs"))
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

criterion_group!(ensemble_benches, benches);
criterion_main!(ensemble_benches);
