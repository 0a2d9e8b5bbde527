//! Behaviour of the model and the runner on small scenarios: the asymmetry of trust, common
//! random numbers, determinism across thread counts.

use std::path::Path;

use liaison::aggregate::Summary;
use liaison::compare::paired;
use liaison::runner::{EnsembleOptions, Prepared, for_each_run, run_once};
use liaison::scenario::{Scenario, load_with};

const SMALL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/small.toml");

fn scenario(sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_with(Path::new(SMALL), &sets)
        .expect("valid fixture")
        .scenario
}

fn options(runs: u32, threads: usize) -> EnsembleOptions<'static> {
    EnsembleOptions {
        runs,
        threads,
        on_run: None,
        cancel: None,
    }
}

/// Every run's record, in run order (small ensembles only).
struct Runs {
    names: Vec<String>,
    dates: Vec<liaison::scenario::Date>,
    records: Vec<Vec<f64>>,
}

impl Runs {
    fn index(&self, name: &str) -> usize {
        self.names.iter().position(|n| n == name).expect("series")
    }

    fn value(&self, run: usize, step: usize, series: usize) -> f64 {
        self.records[run][step * self.names.len() + series]
    }
}

fn ensemble(scenario: &Scenario, runs: u32, threads: usize) -> Runs {
    let prepared = Prepared::new(scenario, 11);
    let mut records = Vec::new();
    for_each_run(&[&prepared], &options(runs, threads), |run, r| {
        assert_eq!(run as usize, records.len(), "runs arrive in order");
        records.push(r[0].to_vec());
    })
    .expect("not cancelled");
    Runs {
        names: prepared.layout.names.clone(),
        dates: prepared.dates(),
        records,
    }
}

fn median_of(scenario: &Scenario, series: &str, runs: u32) -> Vec<f64> {
    let e = ensemble(scenario, runs, 2);
    let summary = Summary::from_runs(e.names.clone(), e.dates.clone(), &e.records);
    let index = summary.index(series).expect("series exists");
    summary.series(index).iter().map(|s| s.median()).collect()
}

/// Run `run` of `scenario` with master seed `seed`.
fn one_run(scenario: &Scenario, seed: u64, run: u32) -> Vec<f64> {
    let prepared = Prepared::new(scenario, seed);
    let mut record = vec![0.0; prepared.record_len()];
    run_once(&prepared, run, &mut record);
    record
}

/// One public scandal destroys more trust than many joint successes build (Slovic's
/// asymmetry principle): the trust lost in the week of a scandal, measured in units of the
/// average trust gained per joint success in the months before it.
#[test]
fn one_scandal_undoes_many_successes() {
    let s = scenario(&["event.sanctions.magnitude=0", "event.hunt.magnitude=0"]);
    let step = s
        .timeline
        .step_of(s.events.iter().find(|e| e.id == "arrest").unwrap().date);
    let e = ensemble(&s, 200, 2);
    let index = |name: &str| e.index(name);
    let (a, b, successes) = (
        index("trust.ct.us.ru"),
        index("trust.ct.ru.us"),
        index("successes.ct"),
    );
    let mean = |step: usize, series: &[usize]| {
        let total: f64 = (0..e.records.len())
            .map(|r| series.iter().map(|&i| e.value(r, step, i)).sum::<f64>())
            .sum();
        total / e.records.len() as f64
    };
    let trust = |step: usize| mean(step, &[a, b]) / 2.0;
    let built = trust(step - 1) - trust(0);
    let count: f64 = (1..step).map(|k| mean(k, &[successes])).sum();
    let per_success = built / count;
    let lost = trust(step - 1) - trust(step);
    assert!(
        built > 0.0 && count > 10.0,
        "trust is built by successes first ({built:.3} from {count:.0})"
    );
    assert!(
        lost > 10.0 * per_success,
        "one scandal (−{lost:.3}) should undo more than ten successes (+{per_success:.4} each)"
    );
}

/// Two scenarios that differ only by an event late in the horizon give identical
/// trajectories, run by run, before that event — and different ones after it.
#[test]
fn a_late_event_does_not_shift_earlier_draws() {
    let base = scenario(&[]);
    let late = scenario(&["event.hunt.magnitude=0.2"]);
    let hunt = base.events.iter().find(|e| e.id == "hunt").unwrap();
    let step = base.timeline.step_of(hunt.date);
    let n = Prepared::new(&base, 3).layout.len();
    let mut differs_after = false;
    for run in 0..20 {
        let a = one_run(&base, 3, run);
        let b = one_run(&late, 3, run);
        assert_eq!(
            a[..step * n],
            b[..step * n],
            "run {run} differs before the changed event"
        );
        differs_after |= a[step * n..] != b[step * n..];
    }
    assert!(
        differs_after,
        "the changed event should change something after it"
    );
}

/// An event's draws come from its own stream: moving an event that draws many numbers (a
/// mole hunt draws one per officer) but has no effect (magnitude 0) from late in the year to
/// before every other event must leave every trajectory unchanged. With one stream per run
/// consumed in order, its draws would shift every later decision.
#[test]
fn moving_an_event_that_draws_keeps_other_streams_aligned() {
    let late = scenario(&["event.hunt.magnitude=0"]);
    let early = scenario(&["event.hunt.magnitude=0", "event.hunt.date=2013-01-02"]);
    for run in 0..10 {
        let a = one_run(&late, 5, run);
        let b = one_run(&early, 5, run);
        assert_eq!(a, b, "run {run}");
    }
}

#[test]
fn ensembles_are_identical_whatever_the_thread_count() {
    let s = scenario(&[]);
    let one = ensemble(&s, 16, 1);
    let two = ensemble(&s, 16, 2);
    let four = ensemble(&s, 16, 4);
    assert_eq!(one.records, two.records);
    assert_eq!(one.records, four.records);
    assert_ne!(
        one.records[0], one.records[1],
        "runs differ from each other"
    );
}

#[test]
fn paired_difference_of_a_scenario_with_itself_is_exactly_zero() {
    let s = scenario(&[]);
    let (a, b) = (Prepared::new(&s, 11), Prepared::new(&s, 11));
    let all: Vec<usize> = (0..a.layout.len()).collect();
    let c = paired(
        &[&a, &b],
        &[all.clone(), all],
        &a.layout.names,
        &options(10, 2),
    )
    .expect("not cancelled");
    assert!(
        c.differences[0]
            .stats
            .iter()
            .all(|st| st.columns().iter().all(|v| *v == 0.0))
    );
    assert!(
        c.summaries[0].stats.iter().any(|st| st.mean != 0.0),
        "the compared series themselves are not all zero"
    );
}

#[test]
fn a_mole_hunt_replaces_officers_and_spreads_fear() {
    let s = scenario(&[]);
    let hunt = s.events.iter().find(|e| e.id == "hunt").unwrap();
    let step = s.timeline.step_of(hunt.date);
    let fear = median_of(&s, "fear.ru", 30);
    assert!(
        fear[step] > fear[step - 1] + 0.1,
        "fear spikes: {} → {}",
        fear[step - 1],
        fear[step]
    );
    let trust = median_of(&s, "trust.cyber.ru.us", 30);
    assert!(
        trust[step] < trust[step - 1],
        "the hunting side's trust falls"
    );
    let officers = median_of(&s, "officers.ru", 30);
    assert!(
        officers[step] < officers[step - 1],
        "swept posts are vacant at first"
    );
    let vacancy = s.params.vacancy_steps as usize;
    assert_eq!(
        officers[step + vacancy],
        officers[step - 1],
        "newcomers take up every post after the vacancy"
    );
}
