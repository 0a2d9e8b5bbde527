//! End-to-end: every kind of bad input is rejected by `liaison check` and `liaison run` with
//! exit code 2, no panic, and an error that names the file (or the `--set` option), the line
//! and column, the dotted key, and what was expected; `run` leaves no output behind.
//!
//! Each faulty scenario is generated from `tests/fixtures/small.toml` by one targeted text
//! replacement, so the cases stay in sync with the fixture; expected lines and columns are
//! computed from the generated text.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

const SMALL: &str = "tests/fixtures/small.toml";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn small_text() -> String {
    std::fs::read_to_string(root().join(SMALL)).expect("read tests/fixtures/small.toml")
}

/// `liaison <args>` run from the crate root.
fn liaison(args: &[&str]) -> Output {
    Command::cargo_bin("liaison")
        .expect("the liaison binary")
        .current_dir(root())
        .args(args)
        .output()
        .expect("run liaison")
}

/// A generated scenario file in its own temporary folder.
struct Fixture {
    dir: TempDir,
    path: PathBuf,
    text: String,
}

impl Fixture {
    fn write(name: &str, text: String) -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, &text).expect("write fixture");
        Fixture { dir, path, text }
    }

    /// `small.toml` with the first occurrence of `from` replaced by `to`.
    fn variant(name: &str, from: &str, to: &str) -> Fixture {
        let base = small_text();
        assert!(
            base.contains(from),
            "{SMALL} no longer contains {from:?}; update this test"
        );
        let text = base.replacen(from, to, 1);
        Fixture::write(name, text)
    }

    fn path_str(&self) -> String {
        self.path.display().to_string()
    }

    /// 1-based line and column of `column_text` in the last line containing `line_text`.
    fn position(&self, line_text: &str, column_text: &str) -> (usize, usize) {
        position(&self.text, line_text, column_text)
    }

    /// 1-based line of the last line containing `line_text`.
    fn line(&self, line_text: &str) -> usize {
        position(&self.text, line_text, line_text).0
    }
}

fn position(text: &str, line_text: &str, column_text: &str) -> (usize, usize) {
    let (index, line) = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(line_text))
        .last()
        .unwrap_or_else(|| panic!("no line contains {line_text:?}"));
    let byte = line
        .find(column_text)
        .unwrap_or_else(|| panic!("{column_text:?} is not in line {line:?}"));
    (index + 1, line[..byte].chars().count() + 1)
}

/// Where an error is expected to point.
#[derive(Clone, Copy)]
enum At {
    /// Line and column.
    Exact(usize, usize),
    /// Line only (the column is not pinned down by the spec).
    Line(usize),
    /// The file, with no position.
    File,
}

/// What an error message must say.
struct Expect<'a> {
    at: At,
    key: Option<&'a str>,
    fragments: &'a [&'a str],
}

/// Exit code 2, no panic, one `error:` line; returns stderr.
fn assert_failed(output: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{what}: expected exit code 2\nstderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{what}: panicked\n{stderr}");
    assert!(
        stderr.starts_with("error: "),
        "{what}: expected `error: ...`, got\n{stderr}"
    );
    stderr
}

fn assert_message(stderr: &str, expect: &Expect, what: &str) {
    if let Some(key) = expect.key {
        let wanted = format!("key `{key}`: ");
        assert!(
            stderr.contains(&wanted),
            "{what}: expected {wanted:?} in\n{stderr}"
        );
    }
    for fragment in expect.fragments {
        assert!(
            stderr.contains(fragment),
            "{what}: expected {fragment:?} in\n{stderr}"
        );
    }
}

/// The error names `path` at the expected position.
fn assert_located(stderr: &str, path: &str, at: At, what: &str) {
    let prefix = match at {
        At::Exact(line, column) => format!("error: {path}:{line}:{column}: "),
        At::Line(line) => format!("error: {path}:{line}:"),
        At::File => format!("error: {path}: "),
    };
    assert!(
        stderr.starts_with(&prefix),
        "{what}: expected the error to start with {prefix:?}, got\n{stderr}"
    );
}

/// Nothing at all in the output root: no scenario folder, no hidden `.*.partial-*` folder.
fn assert_nothing_written(out: &Path, what: &str) {
    let left: Vec<String> = std::fs::read_dir(out)
        .expect("read output root")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert!(left.is_empty(), "{what}: output left behind: {left:?}");
}

/// `liaison run <path> --out <fresh dir> --runs 2 --no-plot <extra>`: fails and writes nothing.
fn run_fails(path: &str, extra: &[&str], what: &str) -> String {
    let out = tempfile::tempdir().expect("temp dir");
    let out_str = out.path().display().to_string();
    let mut args = vec![
        "run",
        path,
        "--out",
        &out_str,
        "--runs",
        "2",
        "--no-plot",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let stderr = assert_failed(&liaison(&args), what);
    assert_nothing_written(out.path(), what);
    stderr
}

/// Both `check` and `run` reject `fixture` with the expected error.
fn rejects(fixture: &Fixture, expect: Expect) {
    let path = fixture.path_str();
    let what = format!("check {}", fixture.path.display());
    let stderr = assert_failed(&liaison(&["check", &path]), &what);
    assert_located(&stderr, &path, expect.at, &what);
    assert_message(&stderr, &expect, &what);

    let what = format!("run {}", fixture.path.display());
    let stderr = run_fails(&path, &[], &what);
    assert_located(&stderr, &path, expect.at, &what);
    assert_message(&stderr, &expect, &what);
    // The generated file sits alone in its folder: nothing was written next to it either.
    let beside: Vec<_> = std::fs::read_dir(fixture.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside.len(), 1, "{what}: files appeared: {beside:?}");
}

/// Both `check` and `run` of the valid small scenario reject `--set <option>`, naming it.
fn rejects_set(option: &str, key: Option<&str>, fragments: &[&str]) {
    let origin = format!("error: --set {option}: ");
    let expect = Expect {
        at: At::File,
        key,
        fragments,
    };
    for (what, stderr) in [
        (
            format!("check --set {option}"),
            assert_failed(
                &liaison(&["check", SMALL, "--set", option]),
                &format!("check --set {option}"),
            ),
        ),
        (
            format!("run --set {option}"),
            run_fails(SMALL, &["--set", option], &format!("run --set {option}")),
        ),
    ] {
        assert!(
            stderr.starts_with(&origin),
            "{what}: expected the error to start with {origin:?}, got\n{stderr}"
        );
        assert_message(&stderr, &expect, &what);
    }
}

// ------------------------------------------------------------------------------- valid input

#[test]
fn the_valid_small_scenario_passes_check_and_runs() {
    let output = liaison(&["check", SMALL]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "check failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("{SMALL}: valid")),
        "no `valid` line:\n{stdout}"
    );
    assert!(output.stderr.is_empty());

    // The control for `assert_nothing_written`: a good run does write its folder.
    let out = tempfile::tempdir().unwrap();
    let out_str = out.path().display().to_string();
    let output = liaison(&[
        "run",
        SMALL,
        "--out",
        &out_str,
        "--runs",
        "2",
        "--no-plot",
        "--quiet",
    ]);
    assert!(
        output.status.success(),
        "run failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let entries: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, ["small"]);
    assert!(out.path().join("small/summary.csv").is_file());
}

#[test]
fn a_generated_copy_of_the_small_scenario_is_valid() {
    // The replacements below would be meaningless if the unmodified text already failed.
    let fixture = Fixture::write("copy", small_text());
    let output = liaison(&["check", &fixture.path_str()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains(": valid"));
}

// ------------------------------------------------------------------------- file-level errors

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join("no-such-scenario.toml")
        .display()
        .to_string();
    for (what, stderr) in [
        ("check", assert_failed(&liaison(&["check", &path]), "check")),
        ("run", run_fails(&path, &[], "run")),
    ] {
        assert_located(&stderr, &path, At::File, what);
        assert!(
            stderr.contains("cannot read scenario file"),
            "{what}: {stderr}"
        );
    }
}

#[test]
fn missing_file_with_the_default_command() {
    // `liaison <file>` is `liaison run <file>`.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.toml").display().to_string();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let out_str = out.display().to_string();
    let stderr = assert_failed(
        &liaison(&[&path, "--out", &out_str, "--runs", "2", "--no-plot"]),
        "default command",
    );
    assert_located(&stderr, &path, At::File, "default command");
    assert_nothing_written(&out, "default command");
}

#[test]
fn file_that_is_not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("binary.toml");
    std::fs::write(&path, b"name = \"\xff\xfe\"\n").unwrap();
    let path = path.display().to_string();
    let stderr = assert_failed(&liaison(&["check", &path]), "check");
    // The first bad byte: line 1, column 9.
    assert_located(&stderr, &path, At::Exact(1, 9), "not utf-8");
    assert!(stderr.contains("expected a TOML file in UTF-8"), "{stderr}");
}

#[test]
fn toml_syntax_error() {
    let f = Fixture::variant("syntax", "seed = 7", "seed = = 7");
    let (line, column) = f.position("seed = = 7", "= 7");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: None,
            fragments: &["expected"],
        },
    );
}

#[test]
fn empty_file_reports_the_first_missing_field() {
    let f = Fixture::write("empty", String::new());
    rejects(
        &f,
        Expect {
            at: At::Line(1),
            key: None,
            fragments: &["missing key `name`"],
        },
    );
}

// ------------------------------------------------------------------------------ unknown keys

#[test]
fn unknown_top_level_key() {
    let f = Fixture::variant(
        "unknown-top",
        "description = \"Two services",
        "colour = \"red\"\ndescription = \"Two services",
    );
    rejects(
        &f,
        Expect {
            at: At::Exact(f.line("colour = "), 1),
            key: None,
            fragments: &[
                "unknown key `colour`",
                "expected one of",
                "`horizon`",
                "`services`",
            ],
        },
    );
}

#[test]
fn unknown_key_in_a_service() {
    let f = Fixture::variant(
        "unknown-service-key",
        "secrecy = 0.6\n",
        "secrecy = 0.6\nsecrecyy = 0.1\n",
    );
    rejects(
        &f,
        Expect {
            at: At::Exact(f.line("secrecyy"), 1),
            key: None,
            fragments: &["unknown key `secrecyy`, did you mean `secrecy`?"],
        },
    );
}

#[test]
fn unknown_key_in_an_event() {
    let f = Fixture::variant(
        "unknown-event-key",
        "label = \"Sanctions\"",
        "label = \"Sanctions\"\nmagnitud = 0.3",
    );
    rejects(
        &f,
        Expect {
            at: At::Exact(f.line("magnitud ="), 1),
            key: None,
            fragments: &["unknown key `magnitud`, did you mean `magnitude`?"],
        },
    );
}

#[test]
fn unknown_key_in_params() {
    let f = Fixture::variant(
        "unknown-param",
        "[[event]]\nid = \"attack\"",
        "[params]\ntrust_drift = 0.02\nno_such = 1.0\n\n[[event]]\nid = \"attack\"",
    );
    rejects(
        &f,
        Expect {
            at: At::Exact(f.line("no_such"), 1),
            key: None,
            fragments: &["unknown key `no_such`", "expected one of", "`trust_drift`"],
        },
    );
}

// ----------------------------------------------------------------------- types and ranges

#[test]
fn string_where_a_number_is_expected() {
    let f = Fixture::variant("wrong-type", "publicity = 0.5", "publicity = \"high\"");
    let (line, column) = f.position("publicity = \"high\"", "\"high\"");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: None,
            fragments: &["found text \"high\"", "expected a number from 0 to 1"],
        },
    );
}

#[test]
fn probability_above_one() {
    let f = Fixture::variant("prob-above-one", "publicity = 0.9", "publicity = 1.5");
    let (line, column) = f.position("publicity = 1.5", "1.5");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: Some("services.ru.publicity"),
            fragments: &["1.5 is out of range", "expected a number from 0 to 1"],
        },
    );
}

#[test]
fn negative_probability() {
    let f = Fixture::variant("prob-negative", "vigilance = 0.3", "vigilance = -0.2");
    let (line, column) = f.position("vigilance = -0.2", "-0.2");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: Some("services.us.vigilance"),
            fragments: &["-0.2 is out of range", "expected a number from 0 to 1"],
        },
    );
}

#[test]
fn nan_probability() {
    let f = Fixture::variant("prob-nan", "threat = 0.2", "threat = nan");
    let (line, column) = f.position("threat = nan", "nan");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: Some("channels.ct.threat"),
            fragments: &["NaN is out of range", "expected a number from 0 to 1"],
        },
    );
}

#[test]
fn nan_in_an_officer_distribution() {
    let f = Fixture::variant(
        "dist-nan",
        "trust = { mean = 0.3, sd = 0.05 }",
        "trust = { mean = nan, sd = 0.05 }",
    );
    let (line, column) = f.position("mean = nan", "nan");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: Some("officers.us.ct.trust.mean"),
            fragments: &["NaN is out of range", "expected a number from 0 to 1"],
        },
    );
}

#[test]
fn negative_count() {
    let f = Fixture::variant("count-negative", "count = 8", "count = -3");
    let (line, column) = f.position("count = -3", "-3");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: None,
            fragments: &["-3 is out of range", "expected a whole number"],
        },
    );
}

#[test]
fn absurd_count() {
    let f = Fixture::variant("count-huge", "count = 6", "count = 200000");
    let (line, column) = f.position("count = 200000", "200000");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: Some("officers.us.cyber.count"),
            fragments: &["200000 officers", "expected at most"],
        },
    );
}

#[test]
fn experts_exceed_count() {
    let f = Fixture::variant("experts", "experts = 2", "experts = 7");
    let (line, column) = f.position("experts = 7", "7");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: Some("officers.ru.cyber.experts"),
            fragments: &["7 experts but only 6 officers", "expected experts ≤ count"],
        },
    );
}

// ------------------------------------------------------------------------------- dates

#[test]
fn event_outside_the_horizon() {
    let f = Fixture::variant("event-late", "date = 2013-08-01", "date = 2014-08-01");
    let (line, column) = f.position("date = 2014-08-01", "2014");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: Some("event.sanctions.date"),
            fragments: &[
                "2014-08-01 is outside the horizon",
                "expected a date from 2013-01-01 to 2013-12-31",
            ],
        },
    );
}

#[test]
fn sustained_event_ending_before_it_starts() {
    let f = Fixture::variant(
        "until-early",
        "date = 2013-08-01",
        "date = 2013-08-01\nuntil = 2013-07-01",
    );
    let (line, column) = f.position("until = 2013-07-01", "2013");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: Some("event.sanctions.until"),
            fragments: &[
                "2013-07-01 is before the event's date",
                "expected a date from",
            ],
        },
    );
}

#[test]
fn end_before_start() {
    let f = Fixture::variant("end-before-start", "end = 2013-12-31", "end = 2012-12-31");
    let (line, column) = f.position("end = 2012-12-31", "2012");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: Some("horizon.end"),
            fragments: &[
                "end 2012-12-31 is not after start 2013-01-01",
                "expected a later date",
            ],
        },
    );
}

#[test]
fn impossible_calendar_date() {
    let f = Fixture::variant("feb-30", "date = 2013-03-01", "date = 2013-02-30");
    let (line, column) = f.position("date = 2013-02-30", "2013");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: None,
            fragments: &["invalid date"],
        },
    );
}

// ------------------------------------------------------------------------------- references

#[test]
fn event_names_an_undefined_service() {
    let f = Fixture::variant(
        "event-service",
        "services = [\"us\", \"ru\"]",
        "services = [\"us\", \"xx\"]",
    );
    rejects(
        &f,
        Expect {
            at: At::Line(f.line("services = [\"us\", \"xx\"]")),
            key: Some("event.attack.services"),
            fragments: &["`xx` is not a defined service", "expected one of: us, ru"],
        },
    );
}

#[test]
fn event_names_an_undefined_channel() {
    let f = Fixture::variant(
        "event-channel",
        "channels = [\"cyber\"]",
        "channels = [\"nope\"]",
    );
    rejects(
        &f,
        Expect {
            at: At::Line(f.line("channels = [\"nope\"]")),
            key: Some("event.sanctions.channels"),
            fragments: &[
                "`nope` is not a defined channel",
                "expected one of: ct, cyber",
            ],
        },
    );
}

#[test]
fn spy_scandal_against_an_undefined_service() {
    let f = Fixture::variant("event-against", "against = [\"us\"]", "against = [\"xx\"]");
    rejects(
        &f,
        Expect {
            at: At::Line(f.line("against = [\"xx\"]")),
            key: Some("event.arrest.against"),
            fragments: &["`xx` is not a defined service", "expected one of: us, ru"],
        },
    );
}

#[test]
fn officers_of_an_undefined_service() {
    let f = Fixture::variant("officers-service", "[officers.us.ct]", "[officers.xx.ct]");
    let (line, column) = f.position("[officers.xx.ct]", "xx");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: Some("officers.xx"),
            fragments: &["`xx` is not a defined service", "expected one of: us, ru"],
        },
    );
}

#[test]
fn officers_on_an_undefined_channel() {
    let f = Fixture::variant("officers-channel", "[officers.us.ct]", "[officers.us.nope]");
    let (line, column) = f.position("[officers.us.nope]", "nope");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: Some("officers.us.nope"),
            fragments: &[
                "`nope` is not a defined channel",
                "expected one of: ct, cyber",
            ],
        },
    );
}

#[test]
fn duplicate_event_ids() {
    let f = Fixture::variant("duplicate-id", "id = \"hunt\"", "id = \"attack\"");
    // The second `id = "attack"` is the duplicate.
    let (line, column) = f.position("id = \"attack\"", "\"attack\"");
    let first = f
        .text
        .lines()
        .position(|l| l.contains("id = \"attack\""))
        .unwrap()
        + 1;
    assert!(line > first, "the duplicate comes after the original");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: Some("event.#3.id"),
            fragments: &[
                "duplicate event id `attack`",
                "expected every event id to be unique",
            ],
        },
    );
}

#[test]
fn unknown_event_kind_lists_the_kinds() {
    let f = Fixture::variant("event-kind", "kind = \"mole_hunt\"", "kind = \"coup\"");
    let (line, column) = f.position("kind = \"coup\"", "\"coup\"");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: None,
            fragments: &[
                "unknown value `coup`",
                "expected one of",
                "`common_threat`",
                "`joint_success`",
                "`spy_scandal`",
                "`political_shock`",
                "`outreach`",
                "`mole_hunt`",
                "`leak`",
            ],
        },
    );
}

#[test]
fn public_flag_on_an_event_kind_without_publicity() {
    let f = Fixture::variant(
        "public-on-threat",
        "magnitude = 0.8",
        "magnitude = 0.8\npublic = false",
    );
    let (line, column) = f.position("public = false", "false");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: Some("event.attack.public"),
            fragments: &["applies to spy_scandal and mole_hunt events, not to common_threat"],
        },
    );
}

// --------------------------------------------------------------------------------- --set

#[test]
fn set_on_an_undefined_service() {
    rejects_set(
        "services.xx.publicity=0.1",
        Some("services.xx.publicity"),
        &["`services.xx` does not exist", "us, ru"],
    );
}

#[test]
fn set_on_an_unknown_top_level_key() {
    rejects_set(
        "nonsense=1",
        Some("nonsense"),
        &["unknown key `nonsense`", "expected one of", "`horizon`"],
    );
}

#[test]
fn set_on_an_unknown_parameter() {
    rejects_set(
        "params.no_such=1",
        Some("params.no_such"),
        &["unknown key `no_such`", "expected one of", "`trust_drift`"],
    );
}

#[test]
fn set_on_an_unknown_event_id() {
    rejects_set(
        "event.nope.magnitude=0.5",
        Some("event.nope.magnitude"),
        &["no event with id `nope`", "attack, arrest, sanctions, hunt"],
    );
}

#[test]
fn set_with_a_text_value_for_a_number() {
    rejects_set(
        "services.ru.publicity=abc",
        Some("services.ru.publicity"),
        &["found text \"abc\"", "expected a number from 0 to 1"],
    );
}

#[test]
fn set_with_an_out_of_range_value() {
    rejects_set(
        "services.ru.publicity=2",
        Some("services.ru.publicity"),
        &["2 is out of range", "expected a number from 0 to 1"],
    );
}

#[test]
fn set_with_nan() {
    rejects_set(
        "services.ru.publicity=nan",
        Some("services.ru.publicity"),
        &["NaN is out of range", "expected a number from 0 to 1"],
    );
}

#[test]
fn set_without_an_equals_sign() {
    rejects_set(
        "services.ru.publicity",
        None,
        &["expected KEY=VALUE", "services.ru.publicity=0.1"],
    );
}

#[test]
fn set_with_an_empty_key() {
    rejects_set("=0.1", None, &["expected KEY=VALUE"]);
}

#[test]
fn set_naming_a_whole_event() {
    rejects_set(
        "event.arrest=1",
        Some("event.arrest"),
        &["names a whole event", "event.arrest.magnitude"],
    );
}

#[test]
fn set_of_zero_runs() {
    rejects_set(
        "run.runs=0",
        Some("run.runs"),
        &["0 runs requested", "expected a count from 1"],
    );
}

// ------------------------------------------------------------------------------- targets

#[test]
fn target_with_an_unknown_series() {
    let f = Fixture::variant(
        "target-series",
        "series = \"trust.ct.*\"",
        "series = \"trust.ct.xx.yy\"",
    );
    let (line, column) = f.position("series = \"trust.ct.xx.yy\"", "\"trust");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: Some("target.dent.series"),
            fragments: &[
                "no series matches `trust.ct.xx.yy`",
                "expected a series",
                "trust.ct.us.ru",
            ],
        },
    );
}

#[test]
fn target_date_outside_the_horizon() {
    let f = Fixture::variant("target-date", "to = 2013-06-20", "to = 2014-06-20");
    let (line, column) = f.position("to = 2014-06-20", "2014");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: Some("target.dent.to"),
            fragments: &[
                "2014-06-20 is outside the horizon",
                "expected a date from 2013-01-01 to 2013-12-31",
            ],
        },
    );
}

#[test]
fn target_window_reversed() {
    let f = Fixture::variant("target-reversed", "to = 2013-06-20", "to = 2013-05-20");
    let (line, column) = f.position("to = 2013-05-20", "2013");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: Some("target.dent.to"),
            fragments: &["2013-06-03 … 2013-05-20 is reversed", "expected from ≤ to"],
        },
    );
}

#[test]
fn target_with_an_unknown_statistic() {
    let f = Fixture::variant(
        "target-statistic",
        "at_least = 0.0",
        "at_least = 0.0\nstatistic = \"p99\"",
    );
    let (line, column) = f.position("statistic = \"p99\"", "\"p99\"");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: Some("target.dent.statistic"),
            fragments: &["`p99` is not a statistic", "expected one of: median, mean"],
        },
    );
}

#[test]
fn target_with_an_unknown_test() {
    let f = Fixture::variant("target-test", "test = \"drop\"", "test = \"plunge\"");
    let (line, column) = f.position("test = \"plunge\"", "\"plunge\"");
    rejects(
        &f,
        Expect {
            at: At::Exact(line, column),
            key: None,
            fragments: &["unknown value `plunge`", "`drop`", "`level`"],
        },
    );
}

// --------------------------------------------------------------------------- usage errors

#[test]
fn usage_errors_exit_with_code_2() {
    let output = liaison(&["check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Usage"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let output = liaison(&["run", SMALL, "--runs", "many"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--runs"), "{stderr}");
}
