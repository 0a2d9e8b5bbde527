//! The calibrated default scenario reproduces every stylized fact of the reference case,
//! on the median of 200 runs, with the default seed and two others; every what-if runs.

use std::path::Path;

use liaison::commands;
use liaison::runner::{EnsembleOptions, Prepared, ensemble};

const DEFAULT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/scenarios/us-russia-2011-2017.toml"
);

fn failing_targets(path: &str, seed: Option<u64>, runs: u32) -> (usize, Vec<String>) {
    let (loaded, targets) = commands::load(Path::new(path), &[]).expect("valid scenario");
    let scenario = &loaded.scenario;
    let prepared = Prepared::new(scenario, seed.unwrap_or(scenario.seed));
    let outcomes = ensemble(
        &prepared,
        &targets,
        &EnsembleOptions {
            runs,
            threads: 0,
            on_run: None,
            cancel: None,
        },
    )
    .expect("not cancelled")
    .outcomes;
    let failing = outcomes
        .iter()
        .filter(|o| !o.pass)
        .map(|o| format!("{} (observed {}, expected {})", o.id, o.observed(), o.bound))
        .collect();
    (outcomes.len(), failing)
}

#[test]
fn every_stylized_fact_holds_with_three_seeds() {
    for seed in [None, Some(1), Some(2)] {
        let (count, failing) = failing_targets(DEFAULT, seed, 200);
        assert!(count >= 8, "the eight facts are encoded ({count} targets)");
        assert!(failing.is_empty(), "seed {seed:?}: {failing:#?}");
    }
}

#[test]
fn every_fact_of_episodes_md_has_a_target() {
    let (loaded, _) = commands::load(Path::new(DEFAULT), &[]).expect("valid scenario");
    for fact in 1..=8 {
        assert!(
            loaded
                .scenario
                .targets
                .iter()
                .any(|t| t.id.starts_with(&format!("f{fact}"))),
            "no target for fact {fact}"
        );
    }
    for event in &loaded.scenario.events {
        assert!(event.source.is_some(), "event {} has no source", event.id);
    }
}

#[test]
fn the_quiet_fogle_what_if_loses_the_fogle_dent() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/what-if/quiet-fogle.toml"
    );
    let (_, failing) = failing_targets(path, None, 100);
    assert!(
        failing.iter().any(|f| f.starts_with("f4-fogle-dent")),
        "{failing:?}"
    );
}

#[test]
fn every_what_if_runs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/what-if");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("what-if folder") {
        let path = entry.expect("entry").path();
        let (targets, _) = failing_targets(path.to_str().expect("utf-8 path"), None, 20);
        assert!(targets >= 8, "{} inherits the targets", path.display());
        count += 1;
    }
    assert!(count >= 4, "the four what-ifs ship");
}
