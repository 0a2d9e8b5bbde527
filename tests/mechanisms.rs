//! One test per mechanism that makes liaison a model of intelligence liaison in general
//! (issue 7), each on a small purpose-built relationship: two services `a` and `b` on one
//! channel, written here in full so that each test says what it sets up.
//!
//! Each test also runs the same scenario with the mechanism switched off (a parameter at 0)
//! and checks that the behaviour goes away: the test is about the mechanism, not about a
//! coincidence of numbers.

use std::path::Path;

use liaison::aggregate::Summary;
use liaison::runner::{EnsembleOptions, Prepared, ensemble};
use liaison::scenario::{Date, load_with};

/// Two services that cooperate on one channel: middling cultures, ten officers a side.
fn relationship(horizon: &str, channel: &str, trust: f64, events: &str) -> String {
    format!(
        r#"name = "Two services"
[horizon]
{horizon}
[run]
seed = 5
runs = 120
[services.a]
secrecy = 0.4
vigilance = 0.4
publicity = 0.8
aggressiveness = 0.4
permission = 0.8
[services.b]
secrecy = 0.4
vigilance = 0.4
publicity = 0.8
aggressiveness = 0.4
permission = 0.8
[channels.x]
{channel}
[officers.a.x]
count = 10
trust = {{ mean = {trust}, sd = 0.05 }}
[officers.b.x]
count = 10
trust = {{ mean = {trust}, sd = 0.05 }}
{events}"#
    )
}

/// The ensemble summary of scenario `text` with overrides `sets`.
fn summary(text: &str, sets: &[&str]) -> Summary {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, text).expect("write scenario");
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let loaded = load_with(Path::new(&path), &sets).unwrap_or_else(|e| panic!("{e}"));
    let scenario = &loaded.scenario;
    let prepared = Prepared::new(scenario, scenario.seed);
    let options = EnsembleOptions {
        runs: scenario.runs,
        threads: 2,
        on_run: None,
        cancel: None,
    };
    ensemble(&prepared, &[], &options)
        .expect("not cancelled")
        .summary
}

/// The median of `series` at the end of the last step before `date`.
fn median_before(summary: &Summary, series: &str, date: &str) -> f64 {
    let date = Date::parse(date).expect("date");
    let index = summary.index(series).expect("series");
    let step = summary
        .dates
        .iter()
        .rposition(|d| *d < date)
        .expect("a step before the date");
    summary.series(index)[step].median()
}

const SIX_YEARS: &str = "start = 2010-01-01\nend = 2015-12-31";
const ORDINARY: &str = "baseline_trust = 0.3\npolitical_sensitivity = 0.5\nthreat = 0.3";

fn scandal(date: &str) -> String {
    format!(
        r#"[[event]]
id = "caught"
date = {date}
kind = "spy_scandal"
channels = ["x"]
services = ["a"]
against = ["b"]
magnitude = 1.0
public = true
label = "a catches b's spy"
"#
    )
}

/// A rupture leaves a lasting step: two years after a public spy scandal, the aggrieved
/// side's trust is still well below its level before it (Lewicki & Bunker 1996: violated
/// trust is not simply restored). Without memory of ruptures (`memory_cut = 0`) the same
/// scandal heals within the two years.
#[test]
fn a_rupture_leaves_a_lasting_step() {
    let text = relationship(SIX_YEARS, ORDINARY, 0.3, &scandal("2012-01-10"));
    let lasting = |sets: &[&str]| {
        let s = summary(&text, sets);
        let before = median_before(&s, "trust.x.a.b", "2012-01-09");
        let after = median_before(&s, "trust.x.a.b", "2014-01-10");
        (before, after)
    };
    let (before, after) = lasting(&[]);
    assert!(
        after < 0.8 * before,
        "two years on, the aggrieved side's trust {after:.3} should stay at least 20% below {before:.3}"
    );
    let (before, after) = lasting(&["params.memory_cut=0"]);
    assert!(
        after > 0.9 * before,
        "without memory the scandal heals: {after:.3} vs {before:.3}"
    );
}

/// The offender, not the aggrieved, bears the blame: a year after `a` catches `b`'s spy,
/// `a` trusts `b` less than `b` trusts `a` (Kim, Ferrin, Cooper & Dirks 2004: the violation
/// is attributed to the offender). The side that keeps sharing is not punished for it.
#[test]
fn the_offender_not_the_aggrieved_bears_the_blame() {
    let text = relationship(SIX_YEARS, ORDINARY, 0.3, &scandal("2012-01-10"));
    let s = summary(&text, &[]);
    let aggrieved = median_before(&s, "trust.x.a.b", "2013-01-10");
    let offender = median_before(&s, "trust.x.b.a", "2013-01-10");
    assert!(
        aggrieved + 0.05 < offender,
        "the aggrieved side ({aggrieved:.3}) should trust less than the offender ({offender:.3})"
    );
    // Before the scandal, the two sides are alike.
    let a = median_before(&s, "trust.x.a.b", "2012-01-09");
    let b = median_before(&s, "trust.x.b.a", "2012-01-09");
    assert!((a - b).abs() < 0.05, "alike before: {a:.3} vs {b:.3}");
}

/// Allies settle below full trust: under a high common threat, starting from high trust,
/// trust reaches an interior equilibrium and stays there (Rescorla–Wagner-like learning with
/// forgetting: trust that is not renewed fades). Without fading (`trust_drift = 0`) joint
/// successes push it toward 1.
#[test]
fn allied_trust_settles_below_one() {
    let allies = "baseline_trust = 0.5\npolitical_sensitivity = 0.2\nthreat = 0.8";
    let text = relationship(SIX_YEARS, allies, 0.8, "");
    let settled = |sets: &[&str]| {
        let s = summary(&text, sets);
        let index = s.index("trust.x.a.b").expect("series");
        let last_two_years: Vec<f64> = s
            .series(index)
            .iter()
            .zip(&s.dates)
            .filter(|(_, d)| **d >= Date::parse("2014-01-01").expect("date"))
            .map(|(st, _)| st.median())
            .collect();
        let (lo, hi) = last_two_years
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        (lo, hi)
    };
    let (lo, hi) = settled(&[]);
    assert!(
        hi < 0.95,
        "allied trust should settle below 1, reached {hi:.3}"
    );
    assert!(lo > 0.4, "allies still trust each other: {lo:.3}");
    assert!(hi - lo < 0.08, "settled, not drifting: {lo:.3} … {hi:.3}");
    let (_, hi) = settled(&["params.trust_drift=0"]);
    assert!(hi > 0.95, "without fading, successes run away: {hi:.3}");
}

/// A run with spin-up starts flat: the first year of a scenario whose initial trust is far
/// from the model's equilibrium shows no transient, because the spin-up (unrecorded steps
/// without events) has already brought it there. Without spin-up the first year climbs.
#[test]
fn a_run_with_spin_up_starts_flat() {
    let text = relationship(SIX_YEARS, ORDINARY, 0.05, "");
    let first_year_change = |sets: &[&str]| {
        let s = summary(&text, sets);
        let start = median_before(&s, "trust.x.a.b", "2010-01-08");
        let end = median_before(&s, "trust.x.a.b", "2011-01-01");
        (end - start).abs()
    };
    let flat = first_year_change(&["horizon.spin_up=3"]);
    assert!(flat < 0.03, "with spin-up the first year moves {flat:.3}");
    let transient = first_year_change(&["horizon.spin_up=0"]);
    assert!(
        transient > 0.1,
        "without spin-up the first year climbs {transient:.3}"
    );
}

/// A political crisis reaches trust: a shock (a raid on the partner's soil, expulsions) makes
/// a visible step down in the shocked service's trust, even when trust sits at its baseline.
/// Without the shock's betrayal (`shock_betrayal = 0`) only permission and fear move and the
/// institutional curve barely steps.
#[test]
fn a_political_shock_makes_a_step_in_trust() {
    let shock = r#"[[event]]
id = "raid"
date = 2012-01-10
kind = "political_shock"
channels = ["x"]
services = ["a"]
magnitude = 1.0
label = "raid on a's soil"
"#;
    let text = relationship(SIX_YEARS, ORDINARY, 0.3, shock);
    let step = |sets: &[&str]| {
        let s = summary(&text, sets);
        let before = median_before(&s, "trust.x.a.b", "2012-01-09");
        let after = median_before(&s, "trust.x.a.b", "2012-01-20");
        (before - after) / before
    };
    let with = step(&[]);
    assert!(
        with > 0.2,
        "the shock should cut trust by a fifth at once: {with:.3}"
    );
    let without = step(&["params.shock_betrayal=0"]);
    assert!(without < with / 2.0, "{without:.3} vs {with:.3}");
}

/// A genuine reopening changes something: after a rupture, sustained outreach by the
/// aggrieved side (an apology accepted, a code of conduct) brings its trust back higher than
/// without it — the lock-in can be broken by political will, slowly.
#[test]
fn a_reopening_after_a_rupture_repairs_trust() {
    let reopening = r#"[[event]]
id = "code-of-conduct"
date = 2012-06-01
until = 2013-06-01
kind = "outreach"
channels = ["x"]
services = ["a", "b"]
magnitude = 0.1
label = "code of conduct, followed up"
"#;
    let ruptured = relationship(SIX_YEARS, ORDINARY, 0.3, &scandal("2012-01-10"));
    let reopened = ruptured.clone() + reopening;
    let later = |text: &str| median_before(&summary(text, &[]), "trust.x.a.b", "2014-01-10");
    let (without, with) = (later(&ruptured), later(&reopened));
    assert!(
        with > without + 0.03,
        "a reopening should leave trust higher: {with:.3} vs {without:.3}"
    );
}

/// With three services, a scandal between two of them betrays only the catcher's desk facing
/// the accused: the catcher's desk facing the third service, and the third service's desks,
/// keep their trust. With the betrayal cuts at 0 the targeted drop goes away too.
#[test]
fn a_scandal_between_two_of_three_services_spares_the_third_relationship() {
    let services = r#"name = "Three services"
[horizon]
start = 2012-01-01
end = 2014-12-31
[run]
seed = 9
runs = 120
[services.a]
aggressiveness = 0.2
[services.b]
aggressiveness = 0.2
[services.c]
aggressiveness = 0.2
[channels.x]
baseline_trust = 0.5
threat = 0.4
[officers.a.x]
count = 8
trust = { mean = 0.5, sd = 0.05 }
[officers.b.x]
count = 8
trust = { mean = 0.5, sd = 0.05 }
[officers.c.x]
count = 8
trust = { mean = 0.5, sd = 0.05 }
"#;
    let text = format!("{services}{}", scandal("2013-06-03"));
    let text = text.as_str();
    let drop = |s: &Summary, series: &str| {
        median_before(s, series, "2013-06-01") - median_before(s, series, "2013-07-15")
    };
    let on = summary(text, &[]);
    let targeted = drop(&on, "trust.x.a.b");
    assert!(targeted > 0.1, "a's trust in b should fall: {targeted}");
    for spared in ["trust.x.a.c", "trust.x.c.a", "trust.x.c.b", "trust.x.b.c"] {
        let d = drop(&on, spared);
        assert!(
            d.abs() < 0.25 * targeted,
            "{spared} moved by {d} (targeted drop {targeted})"
        );
    }
    let off = summary(
        text,
        &[
            "params.betrayal_trust_cut=0",
            "params.betrayal_officer_cut=0",
            "params.memory_cut=0",
        ],
    );
    let without = drop(&off, "trust.x.a.b");
    assert!(
        without < 0.5 * targeted,
        "without betrayal cuts the drop should mostly go: {without} vs {targeted}"
    );
}
