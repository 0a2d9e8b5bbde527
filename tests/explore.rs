//! `liaison sweep` and `liaison calibrate` end to end on the exploration fixture
//! (`tests/fixtures/explore.toml`): outputs, common random numbers, thread and shard
//! independence, range checks, Slurm scripts, interruption. Factors are scenario values the
//! fixture owns (event magnitudes, channel values), never model parameter names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

const SCENARIO: &str = "tests/fixtures/explore.toml";
const STRICT: &str = "tests/fixtures/explore-strict.toml";

fn liaison() -> Command {
    let mut cmd = Command::cargo_bin("liaison").expect("binary built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file directly in `folder`, by name, as bytes.
fn files(folder: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

/// Asserts that two folders hold the same files with the same bytes, naming any that differ.
fn assert_same_files(a: &Path, b: &Path) {
    let (a, b) = (files(a), files(b));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    let differing: Vec<&String> = a.keys().filter(|k| a[*k] != b[*k]).collect();
    assert!(differing.is_empty(), "files differ: {differing:?}");
}

/// `points.csv` as (point, metric) → the other columns.
fn points(folder: &Path) -> BTreeMap<(usize, String), Vec<String>> {
    let mut reader = csv::Reader::from_path(folder.join("points.csv")).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let fields: Vec<String> = r.iter().map(String::from).collect();
            (
                (fields[0].parse().unwrap(), fields[1].clone()),
                fields[2..].to_vec(),
            )
        })
        .collect()
}

fn sweep(out: &Path, extra: &[&str]) -> PathBuf {
    liaison()
        .args(["sweep", SCENARIO, "--runs", "6", "-q", "--out"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
    out.join("sweep-explore")
}

#[test]
fn a_one_factor_grid_reports_targets_metrics_and_figures() {
    let dir = tempfile::tempdir().unwrap();
    let folder = sweep(
        dir.path(),
        &[
            "--param",
            "event.arrest.magnitude=0..1",
            "--points",
            "3",
            "--metric",
            "ct-may: test=level, series=trust.ct.*, from=2013-05-01, to=2013-05-31",
            "--metric",
            "cyber-bottom: test=argmin, series=trust.cyber.ru.us",
        ],
    );
    for file in [
        "design.csv",
        "points.csv",
        "curves.csv",
        "manifest.json",
        "metrics.png",
        "fan.png",
    ] {
        assert!(folder.join(file).is_file(), "{file} missing");
    }
    assert!(
        !folder.join("sensitivity.csv").exists(),
        "no indices for a grid"
    );
    assert_eq!(
        read(&folder.join("design.csv")),
        "point,event.arrest.magnitude\n0,0.0\n1,0.5\n2,1.0\n"
    );
    let p = points(&folder);
    // Two targets × (value, margin, holds) + two metrics, at three points.
    assert_eq!(p.len(), 3 * 8);
    let holds = |point: usize| p[&(point, "dent.holds".to_string())][1].clone();
    let share = |point: usize| holds(point).parse::<f64>().expect("a share");
    assert!(
        share(0) < 0.5,
        "without the arrest, a dent only in a minority of runs (endogenous scandals): {}",
        share(0)
    );
    assert_eq!(
        holds(2),
        "1.000000",
        "a full arrest dents trust in every run"
    );
    let bottom: f64 = p[&(0, "cyber-bottom".to_string())][0].parse().unwrap();
    assert!(
        (2013.0..2013.5).contains(&bottom),
        "a date in decimal years: {bottom}"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&folder.join("manifest.json"))).unwrap();
    assert_eq!(manifest["points"], 3);
    assert!(
        manifest["reproduce"]
            .as_str()
            .unwrap()
            .contains("--design grid --points 3 --runs 6 --seed 7")
    );
}

#[test]
fn common_random_numbers_make_an_inert_factor_change_nothing() {
    // The idle channel has no officers: its threat changes nothing recorded. With common
    // random numbers, every point is then the same ensemble, number for number; with
    // independent streams per point, the statistics of six runs would differ.
    let dir = tempfile::tempdir().unwrap();
    let folder = sweep(
        dir.path(),
        &["--param", "channels.idle.threat=0..1", "--points", "3"],
    );
    let p = points(&folder);
    for ((point, metric), values) in &p {
        assert_eq!(values, &p[&(0, metric.clone())], "point {point}, {metric}");
    }
    // And a point is exactly `liaison run` of the scenario with that point's values.
    liaison()
        .args(["run", SCENARIO, "--runs", "6", "--no-plot", "--out"])
        .arg(dir.path().join("run"))
        .args(["--set", "channels.idle.threat=0.5"])
        .assert()
        .success();
    let targets = read(&dir.path().join("run/explore/targets.csv"));
    let dent = targets.lines().find(|l| l.starts_with("dent,")).unwrap();
    let observed = dent.split(',').nth(2).unwrap();
    assert_eq!(p[&(1, "dent".to_string())][0], observed);
}

#[test]
fn outputs_do_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--param",
        "event.arrest.magnitude=0..1",
        "--param",
        "channels.ct.threat=0..0.6",
        "--design",
        "lhs",
        "--points",
        "5",
    ];
    let one = sweep(
        &dir.path().join("one"),
        &[&args[..], &["--threads", "1"]].concat(),
    );
    let two = sweep(
        &dir.path().join("two"),
        &[&args[..], &["--threads", "2"]].concat(),
    );
    assert_same_files(&one, &two);
    assert!(one.join("heatmap.png").is_file());
}

#[test]
fn sobol_indices_see_the_active_factor_and_exactly_nothing_of_the_inert_one() {
    let dir = tempfile::tempdir().unwrap();
    let folder = sweep(
        dir.path(),
        &[
            "--param",
            "event.arrest.magnitude=0..1",
            "--param",
            "channels.idle.threat=0..1",
            "--design",
            "sobol",
            "--points",
            "8",
        ],
    );
    assert_eq!(points(&folder).len(), 8 * 4 * 6);
    let text = read(&folder.join("sensitivity.csv"));
    let index = |factor: &str, index: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(&format!("dent,{factor},sobol,{index},")))
            .unwrap_or_else(|| panic!("no {factor} {index} in\n{text}"))
            .split(',')
            .nth(4)
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(index("event.arrest.magnitude", "ST") > 0.5);
    // Common random numbers: swapping the inert factor's column leaves every output as is.
    assert_eq!(index("channels.idle.threat", "ST"), 0.0);
    assert_eq!(index("channels.idle.threat", "S1"), 0.0);
    assert!(folder.join("sobol.png").is_file());
}

#[test]
fn morris_screening_writes_mu_star_and_sigma() {
    let dir = tempfile::tempdir().unwrap();
    let folder = sweep(
        dir.path(),
        &[
            "--param",
            "event.arrest.magnitude=0..1",
            "--param",
            "officers.ru.ct.count=2..10:int",
            "--design",
            "morris",
            "--points",
            "3",
        ],
    );
    let text = read(&folder.join("sensitivity.csv"));
    assert!(text.starts_with("metric,factor,method,index,value,conf_low,conf_high\n"));
    for index in ["mu_star", "mu", "sigma"] {
        assert!(text.contains(&format!("dent,officers.ru.ct.count,morris,{index},")));
    }
    let design = read(&folder.join("design.csv"));
    for line in design.lines().skip(1) {
        let count = line.split(',').nth(2).unwrap();
        assert!(
            count.parse::<u32>().is_ok(),
            "integer factor written as {count}"
        );
    }
    assert!(folder.join("morris.png").is_file());
}

#[test]
fn merged_shards_are_byte_identical_to_a_whole_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--param",
        "event.arrest.magnitude=0..1",
        "--param",
        "channels.ct.threat=0..0.6",
        "--design",
        "sobol",
        "--points",
        "4",
    ];
    let whole = sweep(&dir.path().join("whole"), &args);
    let sharded = dir.path().join("sharded");
    for shard in ["0/3", "2/3"] {
        sweep(&sharded, &[&args[..], &["--shard", shard]].concat());
    }
    let folder = sharded.join("sweep-explore");
    assert!(folder.join("shards/0.csv").is_file());
    assert!(
        !folder.join("points.csv").exists(),
        "a shard writes only its shard"
    );
    liaison()
        .args(["sweep", "merge"])
        .arg(&folder)
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("1 of 3 shards missing")
                .and(predicates::str::contains(": 1 (run them with --shard I/3")),
        );
    sweep(
        &sharded,
        &[&args[..], &["--shard", "1/3", "--threads", "1"]].concat(),
    );
    liaison()
        .args(["sweep", "merge"])
        .arg(&folder)
        .assert()
        .success();
    let merged = files(&folder);
    assert_eq!(
        merged.keys().collect::<Vec<_>>(),
        files(&whole).keys().collect::<Vec<_>>()
    );
    assert_eq!(
        merged,
        files(&whole),
        "merged outputs differ from the whole sweep"
    );
    assert!(folder.join("shards/plan.json").is_file(), "shards are kept");
    // A shard of a different sweep is refused.
    liaison()
        .args([
            "sweep", SCENARIO, "--runs", "7", "-q", "--shard", "0/3", "--out",
        ])
        .arg(&sharded)
        .args(args)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "holds the shards of another sweep",
        ));
}

use predicates::prelude::PredicateBooleanExt;

#[test]
fn slurm_scripts_run_every_shard_then_the_merge() {
    let dir = tempfile::tempdir().unwrap();
    liaison()
        .args(["sweep", SCENARIO, "--param", "event.arrest.magnitude=0..1"])
        .args([
            "--points", "5", "--runs", "4", "--slurm", "--shards", "3", "--out",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicates::str::contains("--dependency=afterok:"));
    let shards = dir.path().join("sweep-explore/shards");
    let submit = read(&shards.join("submit.sbatch"));
    assert!(submit.contains("#SBATCH --array=0-2\n"), "{submit}");
    assert!(
        submit.contains("--shard \"${SLURM_ARRAY_TASK_ID}/3\""),
        "{submit}"
    );
    assert!(
        submit.contains("--param event.arrest.magnitude=0.0..1.0"),
        "{submit}"
    );
    assert!(read(&shards.join("merge.sbatch")).contains(" sweep merge "));
    assert!(shards.join("plan.json").is_file() && shards.join("logs").is_dir());
    assert!(
        !dir.path().join("sweep-explore/points.csv").exists(),
        "nothing ran"
    );
}

#[test]
fn bad_ranges_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    for (param, expected) in [
        ("services.ru.publicity=0..1.5", "services.ru.publicity"),
        ("services.ru.publicity=0..1.5", "from 0 to 1"),
        ("officers.ru.ct.count=2..10", "add `:int`"),
        ("services.xx.publicity=0..1", "no such value"),
        ("services.ru.publicity=0.5..0.1", "LOW must be below HIGH"),
        ("services.ru.label=0..1", "expected a number"),
    ] {
        liaison()
            .args(["sweep", SCENARIO, "--param", param, "--out"])
            .arg(dir.path())
            .assert()
            .code(2)
            .stderr(predicates::str::contains(expected));
    }
    liaison()
        .args(["sweep", SCENARIO, "--param", "services.ru.publicity=0..1"])
        .args([
            "--metric",
            "x: test=level, series=nope.*, at=2013-03-01",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no series matches `nope.*`"));
    liaison()
        .args([
            "calibrate",
            SCENARIO,
            "--param",
            "services.ru.publicity=-1..1",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "LOW = -1.0 is outside the value's domain",
        ));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn calibration_finds_a_value_that_makes_a_failing_target_hold_reproducibly() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "calibrate",
        SCENARIO,
        "--param",
        "event.arrest.magnitude=0..1",
        "--set",
        "event.arrest.magnitude=0",
        "--budget",
        "12",
        "--runs",
        "6",
        "-q",
    ];
    liaison()
        .args(["run", SCENARIO, "--runs", "6", "--no-plot", "--strict"])
        .args(["--set", "event.arrest.magnitude=0", "--out"])
        .arg(dir.path().join("before"))
        .assert()
        .code(1);
    for out in ["a", "b"] {
        liaison()
            .args(args)
            .arg("--out")
            .arg(dir.path().join(out))
            .assert()
            .success()
            .stdout(predicates::str::contains("2/2 targets hold"));
    }
    let evaluations = |out: &str| {
        read(
            &dir.path()
                .join(out)
                .join("calibrate-explore/evaluations.csv"),
        )
    };
    assert_eq!(
        evaluations("a"),
        evaluations("b"),
        "the same search seed gives the same search"
    );
    let spread = read(&dir.path().join("a/calibrate-explore/spread.csv"));
    assert!(spread.starts_with("factor,low,high,best,top_min,top_median,top_max,top_width\n"));
    let calibrated = dir.path().join("a/calibrate-explore/calibrated.toml");
    assert!(
        read(&calibrated).contains("extends = \"../../"),
        "a relative extends"
    );
    liaison()
        .arg("run")
        .arg(&calibrated)
        .args(["--runs", "6", "--no-plot", "--strict", "--out"])
        .arg(dir.path().join("after"))
        .assert()
        .success();
}

#[test]
fn joint_calibration_writes_a_what_if_for_every_scenario() {
    let dir = tempfile::tempdir().unwrap();
    liaison()
        .args([
            "calibrate",
            SCENARIO,
            STRICT,
            "--param",
            "event.arrest.magnitude=0..1",
        ])
        .args(["--set", "event.arrest.magnitude=0", "--seeds", "1,2"])
        .args([
            "--budget", "16", "--runs", "6", "--name", "joint", "-q", "--out",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicates::str::contains("8/8 targets hold"));
    let folder = dir.path().join("calibrate-joint");
    assert!(read(&folder.join("calibrated-set.toml")).contains("\"event.arrest.magnitude\" = "));
    for what_if in ["explore", "explore-strict"] {
        let path = folder.join(format!("calibrated/{what_if}.toml"));
        for seed in ["1", "2"] {
            liaison()
                .arg("run")
                .arg(&path)
                .args([
                    "--runs",
                    "6",
                    "--seed",
                    seed,
                    "--no-plot",
                    "--strict",
                    "--out",
                ])
                .arg(dir.path().join("check"))
                .assert()
                .success();
        }
    }
}

/// Sends SIGINT to `child` after `wait`, and returns its exit code.
#[cfg(unix)]
fn interrupt(mut child: std::process::Child, wait: std::time::Duration) -> Option<i32> {
    std::thread::sleep(wait);
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap().code()
}

#[cfg(unix)]
#[test]
fn interrupting_a_sweep_leaves_nothing_and_a_calibration_its_best_point() {
    let dir = tempfile::tempdir().unwrap();
    let binary = assert_cmd::cargo::cargo_bin("liaison");
    let sweep = std::process::Command::new(&binary)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["sweep", SCENARIO, "--param", "event.arrest.magnitude=0..1"])
        .args(["--points", "100000", "--runs", "50", "-q", "--out"])
        .arg(dir.path().join("sweep"))
        .spawn()
        .unwrap();
    assert_eq!(
        interrupt(sweep, std::time::Duration::from_millis(1500)),
        Some(130)
    );
    let left: Vec<_> = std::fs::read_dir(dir.path().join("sweep"))
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");

    let calibrate = std::process::Command::new(&binary)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "calibrate",
            SCENARIO,
            "--param",
            "event.arrest.magnitude=0..1",
        ])
        .args(["--budget", "1000000", "--runs", "20", "-q", "--out"])
        .arg(dir.path().join("cal"))
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert_eq!(
        interrupt(calibrate, std::time::Duration::from_millis(2500)),
        Some(130)
    );
    let folder = dir.path().join("cal/calibrate-explore");
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&folder.join("manifest.json"))).unwrap();
    assert_eq!(manifest["interrupted"], true);
    assert!(folder.join("calibrated.toml").is_file());
}
