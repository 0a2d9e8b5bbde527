//! Hostile input, command-line abuse, signals and resource limits (issue 12): one test per
//! class of input that once panicked, hung, was silently accepted or left partial output.
//! Every case ends in a clear message, exit code 2 (130 when interrupted, 0 when the reader
//! of standard output goes away), and complete output or none.
//!
//! `replays_the_hostile_corpus` replays `tests/fixtures/hostile/`: inputs that once failed,
//! each with the outcome it must have.

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output, Stdio};
use std::time::Duration;

use assert_cmd::Command;

const SMALL: &str = "tests/fixtures/small.toml";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn liaison() -> Command {
    let mut cmd = Command::cargo_bin("liaison").expect("the liaison binary");
    cmd.current_dir(root()).timeout(Duration::from_secs(60));
    cmd
}

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("liaison")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Exit code 2, an `error:` line, no panic; returns stderr.
fn fails(output: &Output, what: &str) -> String {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{what}: exit code\n{text}");
    assert!(!text.contains("panicked"), "{what}: panicked\n{text}");
    assert!(text.starts_with("error: "), "{what}: {text}");
    text
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn small_text() -> String {
    std::fs::read_to_string(root().join(SMALL)).expect("small.toml")
}

// ------------------------------------------------------------------------ standard output

/// A reader that goes away (`| head -1`, `| true`) ends every command quietly, exit 0; `run`
/// still leaves its complete folder.
#[test]
fn a_closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let commands: [&[&str]; 4] = [
        &["check", SMALL, "--params"],
        &[
            "run",
            SMALL,
            "--runs",
            "2",
            "--no-plot",
            "--quiet",
            "--out",
            &out,
        ],
        &[
            "compare",
            SMALL,
            "--variant",
            "q: event.arrest.public=false",
            "--runs",
            "2",
            "--no-plot",
            "--quiet",
            "--out",
            &out,
        ],
        &["--help"],
    ];
    for args in commands {
        let mut child = Process::new(binary())
            .current_dir(root())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end before the program writes: its first write fails with EPIPE.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {text}");
        assert!(text.is_empty(), "{args:?}: expected silence, got {text}");
    }
    assert!(dir.path().join("small/manifest.json").is_file());
    assert!(
        dir.path()
            .join("compare-small-vs-q/manifest.json")
            .is_file()
    );
}

/// A full disk on standard output is an error message, exit 2, for every command.
#[cfg(target_os = "linux")]
#[test]
fn a_full_stdout_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let commands: [&[&str]; 4] = [
        &["check", SMALL],
        &[
            "run",
            SMALL,
            "--runs",
            "2",
            "--no-plot",
            "--quiet",
            "--out",
            &out,
        ],
        &["--help"],
        &["--version"],
    ];
    for args in commands {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let output = Process::new(binary())
            .current_dir(root())
            .args(args)
            .stdout(full)
            .output()
            .unwrap();
        let text = fails(&output, &format!("{args:?}"));
        assert!(
            text.contains("cannot write to standard output") && text.contains("No space left"),
            "{args:?}: {text}"
        );
    }
}

// ---------------------------------------------------------------------------------- signals

/// SIGTERM and SIGHUP stop a run like Ctrl-C: exit 130 and no folder, partial or not.
#[cfg(unix)]
#[test]
fn termination_signals_leave_no_output() {
    for signal in ["-TERM", "-HUP"] {
        let dir = tempfile::tempdir().unwrap();
        let child = Process::new(binary())
            .current_dir(root())
            .args(["run", "--runs", "2000000", "--quiet", "--out"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(700));
        let sent = Process::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(130),
            "{signal}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains("interrupted: no output written"));
        assert_eq!(entries(dir.path()), Vec::<String>::new(), "{signal}");
    }
}

// ------------------------------------------------------------------------- resource limits

/// `--threads` above the cap is refused with the cap and the reason, before any work.
#[test]
fn absurd_thread_counts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for n in ["3000", "-1", "lots"] {
        let output = liaison()
            .args([
                "run",
                SMALL,
                "--runs",
                "2",
                &format!("--threads={n}"),
                "--out",
            ])
            .arg(dir.path())
            .output()
            .unwrap();
        let text = fails(&output, n);
        assert!(
            text.contains("--threads") && text.contains("256"),
            "{n}: {text}"
        );
    }
    assert!(entries(dir.path()).is_empty());
}

/// The cap on runs is one constant: `run.runs` in a file and `--runs` give the same answer.
#[test]
fn the_runs_cap_is_the_same_in_files_and_on_the_command_line() {
    let output = liaison()
        .args(["run", SMALL, "--runs", "10000001", "--no-plot"])
        .output()
        .unwrap();
    let text = fails(&output, "--runs");
    assert!(text.contains("from 1 to 10000000"), "{text}");
    let output = liaison()
        .args(["check", SMALL, "--set", "run.runs=10000001"])
        .output()
        .unwrap();
    let text = fails(&output, "run.runs");
    assert!(text.contains("from 1 to 10000000"), "{text}");
    let output = liaison()
        .args(["calibrate", SMALL, "--param", "params.trust_drift=0..0.1"])
        .args(["--runs", "0"])
        .output()
        .unwrap();
    assert!(fails(&output, "calibrate --runs 0").contains("from 1 to 10000000"));
}

/// A scenario with thousands of services, or a horizon of millennia of days, is refused with
/// the cap, quickly.
#[test]
fn scenarios_beyond_the_caps_are_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = small_text();
    for i in 0..5000 {
        text.push_str(&format!("\n[services.s{i}]\nsecrecy = 0.5\n"));
    }
    let many = dir.path().join("many.toml");
    std::fs::write(&many, &text).unwrap();
    let output = liaison().arg("check").arg(&many).output().unwrap();
    let text = fails(&output, "5000 services");
    assert!(
        text.contains("5002 services, expected at most 50"),
        "{text}"
    );

    let mut many_sets = vec!["check".to_string(), SMALL.to_string()];
    for _ in 0..1001 {
        many_sets.extend(["--set".to_string(), "params.trust_drift=0.05".to_string()]);
    }
    let output = liaison().args(&many_sets).output().unwrap();
    let text = fails(&output, "1001 --set");
    assert!(
        text.contains("1001 overrides, expected at most 1000"),
        "{text}"
    );

    let long = dir.path().join("long.toml");
    let text = small_text()
        .replace("start = 2013-01-01", "start = 0001-01-01")
        .replace("step_days = 7", "step_days = 1");
    std::fs::write(&long, text).unwrap();
    let output = liaison().arg("check").arg(&long).output().unwrap();
    let text = fails(&output, "long horizon");
    assert!(text.contains("expected at most 100000 steps"), "{text}");
}

// ------------------------------------------------------------------------- scenario files

/// A folder, a FIFO, a device or a huge file given as a scenario is refused at once, without
/// reading it, and so is an `extends` that names one.
#[cfg(unix)]
/// Valid work that would not fit in memory (here: 30 services × 30 channels, a desk for every
/// pair, daily steps for ten years) is refused before anything is allocated, with the
/// estimate and the way out, by `run` and `compare` alike.
#[test]
fn work_too_large_for_memory_is_refused_up_front_with_the_estimate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from(
        "name = \"huge\"\n[horizon]\nstart = 2000-01-01\nend = 2009-12-31\nstep_days = 1\n",
    );
    for i in 0..30 {
        text.push_str(&format!("[services.s{i}]\n[channels.c{i}]\n"));
    }
    for s in 0..30 {
        for c in 0..30 {
            text.push_str(&format!(
                "[officers.s{s}.c{c}]\ncount = 1\ntrust = {{ mean = 0.2 }}\n"
            ));
        }
    }
    let path = dir.path().join("huge.toml");
    std::fs::write(&path, text).expect("write");
    let out = dir.path().join("out");
    for args in [
        vec!["run"],
        vec!["compare", "--variant", "v: params.trust_drift=0.1"],
    ] {
        let started = std::time::Instant::now();
        let output = liaison()
            .args(&args)
            .arg(&path)
            .arg("--out")
            .arg(&out)
            .output()
            .expect("runs");
        let text = fails(&output, args[0]);
        assert!(text.contains("of memory") && text.contains("GiB"), "{text}");
        assert!(
            text.contains("--end DATE") && text.contains("--runs"),
            "{text}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "refused quickly"
        );
        assert!(entries(&out).is_empty(), "nothing written");
    }
}

#[test]
fn scenario_paths_that_are_not_small_regular_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.toml");
    assert!(
        Process::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let huge = dir.path().join("huge.toml");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(9 << 20)
        .unwrap();
    let cases: [(&Path, &str); 5] = [
        (dir.path(), "is a folder"),
        (&fifo, "is a FIFO"),
        (Path::new("/dev/zero"), "is a device"),
        (Path::new("/dev/stdin"), "expected a scenario file"),
        (
            &huge,
            "is 9.0 MiB, expected a scenario file of at most 8 MiB",
        ),
    ];
    for (path, expected) in cases {
        let output = liaison()
            .arg("check")
            .arg(path)
            .write_stdin("")
            .output()
            .unwrap();
        let text = fails(&output, &path.display().to_string());
        assert!(text.contains(expected), "{}: {text}", path.display());
    }
}

/// An `extends` chain deeper than the cap is refused at the `extends` line that exceeds it.
#[test]
fn deep_extends_chains_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join(SMALL), dir.path().join("base.toml")).unwrap();
    let mut parent = "base.toml".to_string();
    for i in 0..20 {
        let name = format!("level-{i}.toml");
        std::fs::write(dir.path().join(&name), format!("extends = \"{parent}\"\n")).unwrap();
        parent = name;
    }
    let top = dir.path().join(&parent);
    let output = liaison().arg("check").arg(&top).output().unwrap();
    let text = fails(&output, "deep chain");
    assert!(
        text.contains(":1:11: key `extends`: `extends` chain is longer than 16 files"),
        "{text}"
    );
    // Sixteen levels are fine.
    let output = liaison()
        .arg("check")
        .arg(dir.path().join("level-14.toml"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
}

/// Scenario files named in any script are run into a folder of that name.
#[test]
fn non_ascii_scenario_names_are_folder_names() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("Сценарий 1.toml");
    std::fs::copy(root().join(SMALL), &scenario).unwrap();
    let out = dir.path().join("out");
    liaison()
        .arg("run")
        .arg(&scenario)
        .args(["--runs", "2", "--no-plot", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(entries(&out), ["сценарий-1"]);
}

// --------------------------------------------------------------------------- output folders

/// A file, or a folder liaison did not write, where the output folder goes is refused and
/// left as it was; so is an `--out` that is a file. No command moves a user's file.
#[test]
fn nothing_in_the_way_of_an_output_folder_is_moved() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    std::fs::write(out.join("small"), "my notes").unwrap();
    std::fs::create_dir(out.join("mine")).unwrap();
    std::fs::write(out.join("mine/data.csv"), "1,2").unwrap();
    let run = |command: &[&str]| {
        liaison()
            .args(command)
            .args(["--quiet", "--no-plot", "--runs", "2", "--out"])
            .arg(out)
            .output()
            .unwrap()
    };
    let text = fails(&run(&["run", SMALL]), "run over a file");
    assert!(text.contains("is a file in the way"), "{text}");
    let variant = ["--variant", "q: event.arrest.public=false"];
    let mut args = vec!["compare", SMALL, "--name", "mine"];
    args.extend(variant);
    let text = fails(&run(&args), "compare over a folder");
    assert!(text.contains("liaison did not write"), "{text}");
    assert_eq!(entries(out), ["mine", "small"], "nothing staged or renamed");
    assert_eq!(
        std::fs::read_to_string(out.join("small")).unwrap(),
        "my notes"
    );
    assert_eq!(entries(&out.join("mine")), ["data.csv"]);

    let output = liaison()
        .args(["run", SMALL, "--runs", "2", "--out"])
        .arg(out.join("small"))
        .output()
        .unwrap();
    let text = fails(&output, "--out is a file");
    assert!(text.contains("is a file, expected a folder"), "{text}");
    let output = liaison()
        .args(["run", SMALL, "--out", ""])
        .output()
        .unwrap();
    assert!(fails(&output, "--out ''").contains("expected a folder path"));

    // An earlier output folder is replaced, as before.
    for _ in 0..2 {
        liaison()
            .args(["run", SMALL, "--runs", "2", "--no-plot", "--quiet", "--out"])
            .arg(out.join("fresh"))
            .assert()
            .success();
    }
    assert_eq!(entries(&out.join("fresh")), ["small"]);
}

// ----------------------------------------------------------------------- --set and --end

/// A table set onto a table changes only the keys it names.
#[test]
fn a_set_table_merges_instead_of_resetting() {
    let output = liaison()
        .args(["check", SMALL, "--set", "channels.ct={threat=0.5}"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        text.contains("ct (Counterterrorism)"),
        "label kept:\n{text}"
    );
    let dir = tempfile::tempdir().unwrap();
    liaison()
        .args(["run", SMALL, "--runs", "2", "--no-plot", "--quiet"])
        .args(["--set", "services.ru={secrecy=0.1}", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let effective: toml::Table = std::fs::read_to_string(dir.path().join("small/scenario.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let ru = &effective["services"]["ru"];
    assert_eq!(ru["secrecy"].as_float(), Some(0.1));
    assert_eq!(
        ru["publicity"].as_float(),
        Some(0.9),
        "not reset to its default"
    );
    assert_eq!(
        ru["vigilance"].as_float(),
        Some(0.5),
        "not reset to its default"
    );
}

/// `--end` cuts `run`, `check` and `compare` short, drops the later events and targets, and
/// says which.
#[test]
fn end_cuts_a_run_short_and_names_what_it_drops() {
    let dir = tempfile::tempdir().unwrap();
    let output = liaison()
        .args(["run", SMALL, "--runs", "2", "--no-plot", "--quiet"])
        .args(["--end", "2013-06-10", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("--end 2013-06-10 drops 2 event(s) after it (sanctions, hunt), drops 1 target(s) that look past it (dent)"),
        "{text}"
    );
    let events = std::fs::read_to_string(dir.path().join("small/events.csv")).unwrap();
    assert!(
        events.contains("arrest") && !events.contains("sanctions"),
        "{events}"
    );
    let summary = std::fs::read_to_string(dir.path().join("small/summary.csv")).unwrap();
    assert!(summary.lines().last().unwrap().contains("2013-06-10"));
    let manifest = std::fs::read_to_string(dir.path().join("small/manifest.json")).unwrap();
    assert!(manifest.contains("--end 2013-06-10"), "reproducible");

    let output = liaison()
        .args(["check", SMALL, "--end", "2013-10-01"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(stderr(&output).contains("drops 1 event(s) after it (hunt)"));
    liaison()
        .args([
            "compare",
            SMALL,
            "--variant",
            "q: event.arrest.public=false",
        ])
        .args([
            "--end",
            "2013-07-01",
            "--runs",
            "2",
            "--no-plot",
            "--quiet",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "--end 2013-07-01 drops 2 event(s)",
        ));

    let output = liaison()
        .args(["check", SMALL, "--end", "tomorrow"])
        .output()
        .unwrap();
    assert!(fails(&output, "--end tomorrow").contains("expected a date like 2014-12-31"));
}

// ------------------------------------------------------------------------------ the corpus

/// What a corpus file must give: its `# expect:`, `# set:` and `# end:` header lines (or a
/// `<file>.expect` beside a file that cannot hold comments).
struct Case {
    expect: String,
    args: Vec<String>,
}

fn case(path: &Path) -> Case {
    let sidecar = PathBuf::from(format!("{}.expect", path.display()));
    let header = std::fs::read_to_string(&sidecar)
        .unwrap_or_else(|_| String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned());
    let mut expect = None;
    let mut args = Vec::new();
    for line in header.lines() {
        let line = line.trim_start_matches('\u{feff}').trim_end_matches('\r');
        if let Some(e) = line.strip_prefix("# expect: ") {
            expect = Some(e.to_string());
        } else if let Some(s) = line.strip_prefix("# set: ") {
            args.extend(["--set".to_string(), s.to_string()]);
        } else if let Some(d) = line.strip_prefix("# end: ") {
            args.extend(["--end".to_string(), d.to_string()]);
        }
    }
    Case {
        expect: expect.unwrap_or_else(|| panic!("{}: no `# expect:` line", path.display())),
        args,
    }
}

/// Every input that once failed gives its expected outcome through `liaison check`: valid, or
/// exit 2 with the expected message, located at a file position or the option at fault.
#[test]
fn replays_the_hostile_corpus() {
    let folder = root().join("tests/fixtures/hostile");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 25, "the corpus is missing");
    for path in files {
        let case = case(&path);
        let output = Process::new(binary())
            .current_dir(&folder)
            .arg("check")
            .arg(path.file_name().unwrap())
            .args(&case.args)
            .output()
            .unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if case.expect == "valid" {
            assert!(output.status.success(), "{name}: {}", stderr(&output));
            continue;
        }
        let text = fails(&output, &name);
        let fragment = case
            .expect
            .strip_prefix("error ")
            .expect("`valid` or `error …`");
        assert!(
            text.contains(fragment),
            "{name}: expected {fragment:?} in\n{text}"
        );
        // Located: `file:line:col:` or the option.
        let origin = text["error: ".len()..].split(": ").next().unwrap_or("");
        let at_position = origin
            .rsplitn(3, ':')
            .take(2)
            .all(|n| n.parse::<usize>().is_ok())
            && origin.matches(':').count() >= 2;
        assert!(
            at_position || origin.starts_with("--"),
            "{name}: no position in {text}"
        );
    }
}
