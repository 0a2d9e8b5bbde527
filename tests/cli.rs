//! The command line end to end on a small scenario: outputs, reproducibility, plots,
//! comparison, and the folder naming rules.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::PredicateBooleanExt;

const SMALL: &str = "tests/fixtures/small.toml";

fn liaison() -> Command {
    let mut cmd = Command::cargo_bin("liaison").expect("binary built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn run_small(out: &Path, extra: &[&str]) -> PathBuf {
    liaison()
        .args(["run", SMALL, "--runs", "12", "--out"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
    out.join("small")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn run_writes_every_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let folder = run_small(dir.path(), &[]);
    for file in [
        "summary.csv",
        "events.csv",
        "targets.csv",
        "manifest.json",
        "scenario.toml",
        "trust.png",
        "trust.svg",
    ] {
        assert!(folder.join(file).is_file(), "{file} missing");
    }
    let summary = read(&folder.join("summary.csv"));
    let mut lines = summary.lines();
    assert_eq!(
        lines.next(),
        Some("step,date,series,mean,p05,p25,p50,p75,p95")
    );
    let rows: Vec<&str> = lines.collect();
    let series_per_step = rows.iter().filter(|r| r.starts_with("0,")).count();
    assert_eq!(
        rows.len(),
        53 * series_per_step,
        "one row per step (53 weeks) and series"
    );
    for series in [
        "trust.ct.ru.us",
        "trust.cyber.us.ru",
        "sharing.ct.ru",
        "successes.ct",
        "scandals.cyber",
        "fear.ru",
        "permission.us",
        "officers.ru",
        "moles.us",
    ] {
        assert!(
            rows.iter().any(|r| r.split(',').nth(2) == Some(series)),
            "series {series} missing"
        );
    }
    // Quantiles are ordered in every row.
    for row in &rows {
        let v: Vec<f64> = row.split(',').skip(4).map(|x| x.parse().unwrap()).collect();
        assert!(
            v.windows(2).all(|w| w[0] <= w[1] + 1e-12),
            "unordered quantiles: {row}"
        );
    }
    let events = read(&folder.join("events.csv"));
    assert!(events.lines().any(|l| l.starts_with("arrest,2013-06-03,")));
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&folder.join("manifest.json"))).unwrap();
    assert_eq!(manifest["runs"], 12);
    assert_eq!(manifest["seed"], 7);
    assert_eq!(
        manifest["scenarios"][0]["sources"][0]["sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    assert!(manifest["scenarios"][0]["effective"]["params"]["success_gain"].is_number());
    let png = std::fs::read(folder.join("trust.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let (w, h) = (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    );
    // The canvas is 1600 wide and grows downwards to fit its event key.
    assert_eq!(w, 1600);
    assert!(h >= 900, "{h}");
    assert!(
        read(&folder.join("trust.svg")).contains("Spy arrested"),
        "event labels in the SVG"
    );
}

#[test]
fn summary_is_byte_identical_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let a = run_small(&dir.path().join("a"), &["--threads", "1", "--no-plot"]);
    let b = run_small(&dir.path().join("b"), &["--threads", "2", "--no-plot"]);
    assert_eq!(
        std::fs::read(a.join("summary.csv")).unwrap(),
        std::fs::read(b.join("summary.csv")).unwrap()
    );
    let c = run_small(
        &dir.path().join("c"),
        &["--threads", "2", "--no-plot", "--seed", "8"],
    );
    assert_ne!(
        std::fs::read(a.join("summary.csv")).unwrap(),
        std::fs::read(c.join("summary.csv")).unwrap()
    );
}

#[test]
fn the_effective_scenario_reproduces_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let first = run_small(
        &dir.path().join("a"),
        &["--no-plot", "--set", "services.ru.publicity=0.1"],
    );
    let again = dir.path().join("b");
    liaison()
        .args(["run"])
        .arg(first.join("scenario.toml"))
        .args(["--runs", "12", "--seed", "7", "--no-plot", "--out"])
        .arg(&again)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(first.join("summary.csv")).unwrap(),
        std::fs::read(again.join("scenario/summary.csv")).unwrap()
    );
    assert!(read(&first.join("scenario.toml")).contains("publicity = 0.1"));
}

#[test]
fn set_overrides_change_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let a = run_small(&dir.path().join("a"), &["--no-plot"]);
    let b = run_small(
        &dir.path().join("b"),
        &["--no-plot", "--set", "event.arrest.magnitude=0"],
    );
    assert_ne!(read(&a.join("summary.csv")), read(&b.join("summary.csv")));
}

#[test]
fn strict_fails_when_a_target_fails() {
    let dir = tempfile::tempdir().unwrap();
    liaison()
        .args([
            "run",
            SMALL,
            "--runs",
            "5",
            "--no-plot",
            "--strict",
            "--out",
        ])
        .arg(dir.path())
        .args(["--set", "target.dent.at_least=5"])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("FAIL"));
    liaison()
        .args([
            "run",
            SMALL,
            "--runs",
            "5",
            "--no-plot",
            "--strict",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicates::str::contains("1/1 targets hold"));
}

#[test]
fn check_summarises_and_help_and_version_work() {
    liaison()
        .args(["check", SMALL])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "2013-01-01 … 2013-12-31, 53 steps of 7 days",
        ))
        .stdout(predicates::str::contains("events:      4"))
        .stdout(predicates::str::contains("valid"));
    for command in [
        &["--help"][..],
        &["run", "--help"],
        &["check", "--help"],
        &["compare", "--help"],
    ] {
        liaison()
            .args(command)
            .assert()
            .success()
            .stdout(predicates::str::contains("Usage"));
    }
    liaison()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicates::str::contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn compare_writes_tables_plots_and_zero_self_difference() {
    let dir = tempfile::tempdir().unwrap();
    liaison()
        .args([
            "compare",
            SMALL,
            "--variant",
            "same: services.ru.publicity=0.9",
            "--variant",
            "quiet: event.arrest.public=false",
        ])
        .args([
            "--runs",
            "10",
            "--series",
            "trust.ct.*",
            "--series",
            "fear.*",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicates::str::contains("largest paired difference"))
        .stdout(predicates::str::contains("no difference"));
    let folder = dir.path().join("compare-small-vs-same-vs-quiet");
    for file in [
        "compare.csv",
        "difference.csv",
        "compare.png",
        "compare.svg",
        "difference.png",
        "difference.svg",
        "manifest.json",
    ] {
        assert!(folder.join(file).is_file(), "{file} missing");
    }
    let diff = read(&folder.join("difference.csv"));
    assert!(diff.starts_with("scenario,step,date,series,mean,p05,p25,p50,p75,p95"));
    let series: std::collections::BTreeSet<&str> = diff
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(3))
        .collect();
    assert_eq!(
        series.into_iter().collect::<Vec<_>>(),
        vec!["fear.ru", "fear.us", "trust.ct.ru.us", "trust.ct.us.ru"]
    );
    // `same` sets a value to what it already is: its paired difference is exactly zero.
    for line in diff.lines().filter(|l| l.starts_with("same,")) {
        assert!(line.split(',').skip(4).all(|v| v == "0.000000"), "{line}");
    }
    // A quiet arrest leaves Russian trust higher right after the event.
    assert!(diff.lines().any(|l| {
        l.starts_with("quiet,")
            && l.contains("trust.ct.ru.us")
            && l.split(',')
                .nth(7)
                .is_some_and(|m| m.parse::<f64>().unwrap() > 0.0)
    }));
}

#[test]
fn compare_is_byte_identical_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    for threads in ["1", "2"] {
        liaison()
            .args([
                "compare",
                SMALL,
                "--variant",
                "q: event.arrest.public=false",
                "--runs",
                "8",
                "--no-plot",
                "--threads",
                threads,
                "--name",
                threads,
                "--out",
            ])
            .arg(dir.path())
            .assert()
            .success();
    }
    for file in ["compare.csv", "difference.csv"] {
        assert_eq!(
            std::fs::read(dir.path().join("1").join(file)).unwrap(),
            std::fs::read(dir.path().join("2").join(file)).unwrap()
        );
    }
}

#[test]
fn compare_variant_errors_are_clear() {
    let cases: [(&[&str], &str); 5] = [
        (&["--variant", "nocolon"], "no `:`"),
        (&["--variant", "a: services.ru.nosuch=1"], "nosuch"),
        (&["--variant", "a: services.ru.publicity=abc"], "publicity"),
        (&["--variant", "a: nonsense=1"], "unknown key `nonsense`"),
        (
            &["--variant", "small: services.ru.publicity=0.1"],
            "duplicate name `small`",
        ),
    ];
    for (args, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let assert = liaison()
            .args(["compare", SMALL, "--runs", "2", "--no-plot", "--out"])
            .arg(dir.path())
            .args(args)
            .assert()
            .failure();
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"));
        assert_eq!(
            std::fs::read_dir(dir.path())
                .map(|d| d.count())
                .unwrap_or(0),
            0,
            "no output for {args:?}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    liaison()
        .args([
            "compare",
            SMALL,
            "--variant",
            "a: services.ru.publicity=0.1",
            "--variant",
            "a: services.ru.publicity=0.2",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicates::str::contains("duplicate name `a`"));
    liaison()
        .args([
            "compare",
            SMALL,
            "--variant",
            "a: services.ru.publicity=0.1",
            "--series",
            "nothing.*",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicates::str::contains("no series matches `nothing.*`"));
}

#[test]
fn folder_names_stay_inside_out() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    liaison()
        .args([
            "compare",
            SMALL,
            "--variant",
            "a: services.ru.publicity=0.1",
            "--runs",
            "2",
            "--no-plot",
            "--name",
            "../../escape",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let entries: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, vec!["escape".to_string()]);
    assert!(!dir.path().join("escape").exists());
}

/// Ctrl-C during an ensemble exits with 130 and leaves no output folder, partial or not.
#[cfg(unix)]
#[test]
fn interrupting_leaves_no_output_folder() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("liaison"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--runs", "2000000", "--quiet", "--out"])
        .arg(dir.path())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(130));
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// `liaison validate` judges every target on every seed, writes the Markdown table whole, and
/// with `--strict` exits 1 when a target fails on any seed.
#[test]
fn validate_tabulates_targets_by_seed_and_is_strict_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let markdown = dir.path().join("validation.md");
    let output = liaison()
        .args([
            "validate",
            SMALL,
            "--seeds",
            "1,2",
            "--runs",
            "10",
            "-q",
            "--markdown",
        ])
        .arg(&markdown)
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("seed 1 | seed 2"), "{text}");
    assert!(
        text.contains("dent") && text.contains("2/2 target × seed hold"),
        "{text}"
    );
    let table = std::fs::read_to_string(&markdown).unwrap();
    assert!(table.contains("| target | seed 1 | seed 2 |"), "{table}");
    assert!(table.contains("| **all** | **2/2** |"), "{table}");
    // A target that cannot hold makes --strict fail.
    let failing = dir.path().join("failing.toml");
    let base = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(SMALL)).unwrap();
    std::fs::write(&failing, base.replace("at_least = 0.0", "at_least = 5.0")).unwrap();
    liaison()
        .args(["validate", "--runs", "10", "-q", "--strict"])
        .arg(&failing)
        .assert()
        .code(1)
        .stdout(predicates::str::contains("FAIL"));
    // A Markdown file in a folder that does not exist is refused before any run, by its name.
    let nowhere = dir.path().join("no-such-folder").join("validation.md");
    liaison()
        .args(["validate", SMALL, "--runs", "10", "-q", "--markdown"])
        .arg(&nowhere)
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicates::str::contains("no-such-folder")
                .and(predicates::str::contains("does not exist")),
        );
}
