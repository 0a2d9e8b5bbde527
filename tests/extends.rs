//! End-to-end: what-if files that `extends` a base scenario — removing, adding and overriding
//! events and values, chains of `extends`, and the errors of loops, missing bases and unknown
//! ids. The valid what-ifs live in `tests/fixtures/extends/` and extend `tests/fixtures/small.toml`;
//! the faulty ones are generated in temporary folders.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

const SMALL: &str = "tests/fixtures/small.toml";
const REMOVE: &str = "tests/fixtures/extends/remove-arrest.toml";
const ADD: &str = "tests/fixtures/extends/add-event.toml";
const SET: &str = "tests/fixtures/extends/set-overrides.toml";
const CHAIN: &str = "tests/fixtures/extends/chain.toml";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
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

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `liaison check <path>`, which must succeed; returns stdout.
fn check_ok(path: &str) -> String {
    let output = liaison(&["check", path]);
    assert!(
        output.status.success(),
        "check {path} failed:\n{}",
        stderr(&output)
    );
    let text = stdout(&output);
    assert!(
        text.contains(&format!("{path}: valid")),
        "no `valid` line:\n{text}"
    );
    text
}

/// Exit code 2, no panic, an `error:` line; returns stderr.
fn assert_failed(output: &Output, what: &str) -> String {
    let text = stderr(output);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{what}: expected exit code 2\n{text}"
    );
    assert!(!text.contains("panicked"), "{what}: panicked\n{text}");
    assert!(text.starts_with("error: "), "{what}: {text}");
    text
}

/// The event ids listed by `liaison check` (second column of the `events:` block).
fn checked_event_ids(check_output: &str) -> Vec<String> {
    check_output
        .lines()
        .skip_while(|l| !l.starts_with("events:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| {
            l.split_whitespace()
                .nth(1)
                .expect("an id column")
                .to_string()
        })
        .collect()
}

/// The `extends:` line of `liaison check`, split into its files.
fn extends_chain(check_output: &str) -> Vec<String> {
    let line = check_output
        .lines()
        .find_map(|l| l.strip_prefix("extends:"))
        .unwrap_or_else(|| panic!("no `extends:` line in\n{check_output}"));
    line.split('→').map(|p| p.trim().to_string()).collect()
}

/// A run's output folder, kept alive with its temporary root.
struct RunOutput {
    _root: TempDir,
    folder: PathBuf,
}

impl RunOutput {
    /// Rows of events.csv as (id, public).
    fn events(&self) -> Vec<(String, String)> {
        let mut reader =
            csv::Reader::from_path(self.folder.join("events.csv")).expect("events.csv");
        let headers = reader.headers().unwrap().clone();
        let column = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("no `{name}` column in events.csv"))
        };
        let (id, public) = (column("id"), column("public"));
        reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[id].to_string(), r[public].to_string())
            })
            .collect()
    }

    fn event_ids(&self) -> Vec<String> {
        self.events().into_iter().map(|(id, _)| id).collect()
    }

    /// The effective scenario written into the folder.
    fn scenario(&self) -> toml::Table {
        std::fs::read_to_string(self.folder.join("scenario.toml"))
            .expect("scenario.toml")
            .parse()
            .expect("scenario.toml is TOML")
    }

    fn manifest(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.folder.join("manifest.json")).expect("manifest");
        serde_json::from_str(&text).expect("manifest.json is JSON")
    }
}

/// `liaison run <path> --runs 2 --no-plot` into a fresh output root.
fn run_ok(path: &str) -> RunOutput {
    let out = tempfile::tempdir().expect("temp dir");
    let out_str = out.path().display().to_string();
    let output = liaison(&[
        "run",
        path,
        "--out",
        &out_str,
        "--runs",
        "2",
        "--no-plot",
        "--quiet",
    ]);
    assert!(
        output.status.success(),
        "run {path} failed:\n{}",
        stderr(&output)
    );
    let stem = Path::new(path).file_stem().unwrap().to_string_lossy();
    let folder = out.path().join(stem.as_ref());
    assert!(folder.is_dir(), "no output folder {}", folder.display());
    RunOutput { _root: out, folder }
}

/// The event `id` of an effective scenario table.
fn event<'a>(scenario: &'a toml::Table, id: &str) -> Option<&'a toml::Table> {
    scenario
        .get("event")?
        .as_array()?
        .iter()
        .filter_map(toml::Value::as_table)
        .find(|e| e.get("id").and_then(toml::Value::as_str) == Some(id))
}

fn float(scenario: &toml::Table, table: &str, name: &str, key: &str) -> f64 {
    scenario[table][name][key]
        .as_float()
        .unwrap_or_else(|| panic!("{table}.{name}.{key} is not a float"))
}

/// 1-based line and column of `needle` (its first occurrence) in `text`.
fn position(text: &str, needle: &str) -> (usize, usize) {
    let offset = text.find(needle).expect("needle in text");
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (line, column)
}

/// A temporary folder holding a copy of the small scenario as `base.toml` and what-if files.
struct Scratch {
    dir: TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::copy(root().join(SMALL), dir.path().join("base.toml")).expect("copy base");
        Scratch { dir }
    }

    /// Writes `name` and returns its path as a string.
    fn write(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write what-if");
        path.display().to_string()
    }

    /// `check` and `run` both fail; `run` writes nothing. Returns the two stderr texts.
    fn rejects(&self, path: &str) -> [String; 2] {
        let checked = assert_failed(&liaison(&["check", path]), &format!("check {path}"));
        let out = self.dir.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        let out_str = out.display().to_string();
        let ran = assert_failed(
            &liaison(&[
                "run",
                path,
                "--out",
                &out_str,
                "--runs",
                "2",
                "--no-plot",
                "--quiet",
            ]),
            &format!("run {path}"),
        );
        let left: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "run {path} left output behind: {left:?}");
        [checked, ran]
    }
}

// ------------------------------------------------------------------------ the base itself

#[test]
fn the_base_has_the_events_the_what_ifs_change() {
    let ids = checked_event_ids(&check_ok(SMALL));
    assert_eq!(ids, ["attack", "arrest", "sanctions", "hunt"]);
    let run = run_ok(SMALL);
    assert_eq!(run.event_ids(), ["attack", "arrest", "sanctions", "hunt"]);
    let scenario = run.scenario();
    assert_eq!(float(&scenario, "services", "ru", "publicity"), 0.9);
    assert_eq!(
        event(&scenario, "arrest").unwrap()["public"].as_bool(),
        Some(true)
    );
}

// --------------------------------------------------------------------------- (a) removal

#[test]
fn remove_events_removes_the_event() {
    let text = check_ok(REMOVE);
    let ids = checked_event_ids(&text);
    assert_eq!(ids, ["attack", "sanctions", "hunt"], "\n{text}");
    assert!(text.contains("events:      3"), "\n{text}");
    assert!(text.contains("scenario:    Small: no arrest"), "\n{text}");

    let run = run_ok(REMOVE);
    assert_eq!(run.event_ids(), ["attack", "sanctions", "hunt"]);
    assert!(event(&run.scenario(), "arrest").is_none());
}

// ---------------------------------------------------------------------------- (b) addition

#[test]
fn an_added_event_appears() {
    let text = check_ok(ADD);
    assert_eq!(
        checked_event_ids(&text),
        ["attack", "arrest", "sanctions", "talks", "hunt"],
        "events are listed by date\n{text}"
    );
    let line = text
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("talks"))
        .unwrap();
    assert!(line.contains("2013-09-02"), "{line}");
    assert!(line.contains("outreach"), "{line}");
    assert!(line.contains("[ct,cyber]"), "{line}");
    assert!(line.contains("0.30"), "{line}");

    let run = run_ok(ADD);
    assert!(run.event_ids().contains(&"talks".to_string()));
    let scenario = run.scenario();
    let talks = event(&scenario, "talks").expect("talks in scenario.toml");
    assert_eq!(talks["kind"].as_str(), Some("outreach"));
    assert_eq!(talks["magnitude"].as_float(), Some(0.3));
}

// --------------------------------------------------------------------------- (c) overrides

#[test]
fn set_overrides_are_applied() {
    let text = check_ok(SET);
    assert!(
        text.contains("scenario:    Small: quiet arrest"),
        "\n{text}"
    );

    let run = run_ok(SET);
    let scenario = run.scenario();
    assert_eq!(float(&scenario, "services", "ru", "publicity"), 0.1);
    // Untouched values keep the base's.
    assert_eq!(float(&scenario, "services", "us", "publicity"), 0.5);
    assert_eq!(float(&scenario, "services", "ru", "secrecy"), 0.6);
    let arrest = event(&scenario, "arrest").expect("arrest in scenario.toml");
    assert_eq!(arrest["public"].as_bool(), Some(false));
    assert_eq!(arrest["magnitude"].as_float(), Some(1.0));

    // The same in the manifest's effective scenario.
    let manifest = run.manifest();
    let effective = &manifest["scenarios"][0]["effective"];
    assert_eq!(effective["services"]["ru"]["publicity"], 0.1);
    let arrest = effective["event"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "arrest")
        .expect("arrest in manifest");
    assert_eq!(arrest["public"], false);

    // And in events.csv: the arrest is quiet rather than public.
    let events = run.events();
    let (_, public) = events.iter().find(|(id, _)| id == "arrest").unwrap();
    assert_eq!(public, "false");
}

#[test]
fn the_written_effective_scenario_reproduces_the_what_if() {
    // scenario.toml is a full scenario: `check` accepts it without the what-if files.
    let run = run_ok(SET);
    let path = run.folder.join("scenario.toml").display().to_string();
    let text = check_ok(&path);
    assert!(!text.contains("extends:"), "\n{text}");
    assert_eq!(
        checked_event_ids(&text),
        ["attack", "arrest", "sanctions", "hunt"]
    );
}

// ------------------------------------------------------------------------------- (d) chain

#[test]
fn a_chain_of_two_extends_works() {
    let text = check_ok(CHAIN);
    assert_eq!(
        extends_chain(&text),
        [
            CHAIN.to_string(),
            SET.to_string(),
            "tests/fixtures/extends/../small.toml".to_string()
        ],
        "\n{text}"
    );
    assert!(
        text.contains("scenario:    Small: quiet arrest, no mole hunt"),
        "\n{text}"
    );
    assert_eq!(
        checked_event_ids(&text),
        ["attack", "arrest", "sanctions", "talks"]
    );

    let run = run_ok(CHAIN);
    assert_eq!(run.event_ids(), ["attack", "arrest", "sanctions", "talks"]);
    let scenario = run.scenario();
    // The outer file's [set] wins over the middle one's; the middle's other override survives.
    assert_eq!(float(&scenario, "services", "ru", "publicity"), 0.2);
    assert_eq!(float(&scenario, "services", "us", "secrecy"), 0.45);
    assert_eq!(
        event(&scenario, "arrest").unwrap()["public"].as_bool(),
        Some(false)
    );

    let manifest = run.manifest();
    let sources: Vec<&str> = manifest["scenarios"][0]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        [CHAIN, SET, "tests/fixtures/extends/../small.toml"]
    );
}

#[test]
fn command_line_set_applies_on_top_of_a_what_if() {
    let output = liaison(&["check", CHAIN, "--set", "event.talks.magnitude=0.7"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let line = text
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("talks"))
        .unwrap();
    assert!(line.contains("0.70"), "{line}");

    // A removed event can no longer be set.
    let output = liaison(&["check", CHAIN, "--set", "event.hunt.magnitude=0.7"]);
    let text = assert_failed(&output, "set on a removed event");
    assert!(
        text.starts_with("error: --set event.hunt.magnitude=0.7: key `event.hunt.magnitude`: "),
        "{text}"
    );
    assert!(text.contains("no event with id `hunt`"), "{text}");
}

// -------------------------------------------------------------------------------- (e) loop

#[test]
fn an_extends_loop_fails_cleanly() {
    let scratch = Scratch::new();
    let a_text = "# first half of a loop\nextends = \"b.toml\"\nname = \"A\"\n";
    let b_text = "name = \"B\"\n\nextends = \"a.toml\"\n";
    let a = scratch.write("a.toml", a_text);
    let b = scratch.write("b.toml", b_text);
    let (line, column) = position(b_text, "\"a.toml\"");
    for text in scratch.rejects(&a) {
        // Detected where the loop closes: b.toml's `extends`.
        assert!(
            text.starts_with(&format!("error: {b}:{line}:{column}: key `extends`: ")),
            "{text}"
        );
        assert!(text.contains("loops"), "{text}");
        assert!(text.contains("a.toml → b.toml → a.toml"), "{text}");
    }
    // Entered from the other side, the loop closes at a.toml.
    let (line, column) = position(a_text, "\"b.toml\"");
    for text in scratch.rejects(&b) {
        assert!(
            text.starts_with(&format!("error: {a}:{line}:{column}: key `extends`: ")),
            "{text}"
        );
        assert!(text.contains("loops"), "{text}");
        assert!(text.contains("b.toml → a.toml → b.toml"), "{text}");
    }
}

#[test]
fn a_file_extending_itself_fails_cleanly() {
    let scratch = Scratch::new();
    let path = scratch.write("self.toml", "extends = \"self.toml\"\n");
    for text in scratch.rejects(&path) {
        assert!(
            text.starts_with(&format!("error: {path}:1:11: key `extends`: ")),
            "{text}"
        );
        assert!(text.contains("loops"), "{text}");
    }
}

#[test]
fn a_loop_further_down_a_chain_fails_cleanly() {
    // top → a → b → a: the loop does not include the file given.
    let scratch = Scratch::new();
    let top = scratch.write("top.toml", "extends = \"a.toml\"\n");
    scratch.write("a.toml", "extends = \"b.toml\"\n");
    let b = scratch.write("b.toml", "extends = \"a.toml\"\n");
    for text in scratch.rejects(&top) {
        assert!(text.starts_with(&format!("error: {b}:1:11: ")), "{text}");
        assert!(text.contains("loops"), "{text}");
    }
}

// ------------------------------------------------------------------------ (f) missing base

#[test]
fn extends_naming_a_missing_file_points_at_extends() {
    let scratch = Scratch::new();
    let text =
        "# a what-if whose base is gone\nname = \"Orphan\"\n\nextends = \"no-such-base.toml\"\n";
    let path = scratch.write("orphan.toml", text);
    let (line, column) = position(text, "\"no-such-base.toml\"");
    assert_eq!(line, 4);
    for err in scratch.rejects(&path) {
        assert!(
            err.starts_with(&format!("error: {path}:{line}:{column}: key `extends`: ")),
            "{err}"
        );
        assert!(err.contains("cannot read scenario file"), "{err}");
        assert!(err.contains("no-such-base.toml"), "{err}");
    }
}

#[test]
fn a_faulty_base_is_reported_in_the_base() {
    let scratch = Scratch::new();
    let base = std::fs::read_to_string(root().join(SMALL)).unwrap();
    let broken = base.replacen("publicity = 0.9", "publicity = 1.9", 1);
    assert_ne!(base, broken);
    let base_path = scratch.write("broken-base.toml", &broken);
    let path = scratch.write("child.toml", "extends = \"broken-base.toml\"\n");
    let (line, column) = position(&broken, "1.9");
    for err in scratch.rejects(&path) {
        assert!(
            err.starts_with(&format!(
                "error: {base_path}:{line}:{column}: key `services.ru.publicity`: "
            )),
            "{err}"
        );
    }
}

// ---------------------------------------------------------------------- (g) unknown ids

#[test]
fn removing_an_unknown_event_names_remove_events() {
    let scratch = Scratch::new();
    let text = "extends = \"base.toml\"\n\nremove_events = [\"arrest\", \"nope\"]\n";
    let path = scratch.write("remove-unknown.toml", text);
    let (line, column) = position(text, "remove_events");
    for err in scratch.rejects(&path) {
        assert!(
            err.starts_with(&format!(
                "error: {path}:{line}:{column}: key `remove_events`: "
            )),
            "{err}"
        );
        assert!(err.contains("no event with id `nope`"), "{err}");
        assert!(err.contains("expected an existing id"), "{err}");
    }
}

#[test]
fn removing_an_unknown_target_names_remove_targets() {
    let scratch = Scratch::new();
    let text = "extends = \"base.toml\"\nremove_targets = [\"nope\"]\n";
    let path = scratch.write("remove-target.toml", text);
    for err in scratch.rejects(&path) {
        assert!(
            err.starts_with(&format!("error: {path}:2:1: key `remove_targets`: ")),
            "{err}"
        );
        assert!(err.contains("no target with id `nope`"), "{err}");
    }
}

#[test]
fn a_what_if_rejects_keys_of_a_full_scenario() {
    let scratch = Scratch::new();
    let text = "extends = \"base.toml\"\n[horizon]\nend = 2014-12-31\n";
    let path = scratch.write("horizon.toml", text);
    for err in scratch.rejects(&path) {
        assert!(err.starts_with(&format!("error: {path}:2:")), "{err}");
        assert!(err.contains("unknown key `horizon`"), "{err}");
        assert!(err.contains("`set`"), "{err}");
    }
}

#[test]
fn an_added_event_is_validated_in_the_what_if() {
    let scratch = Scratch::new();
    let text = "extends = \"base.toml\"\n\n[[event]]\nid = \"late\"\ndate = 2014-02-01\nkind = \"outreach\"\nchannels = [\"ct\"]\nservices = [\"us\"]\nlabel = \"Late\"\n";
    let path = scratch.write("late.toml", text);
    let (line, column) = position(text, "2014-02-01");
    for err in scratch.rejects(&path) {
        assert!(
            err.starts_with(&format!(
                "error: {path}:{line}:{column}: key `event.late.date`: "
            )),
            "{err}"
        );
        assert!(err.contains("outside the horizon"), "{err}");
    }
}

#[test]
fn a_bad_set_value_is_reported_in_the_what_if() {
    let scratch = Scratch::new();
    let text = "extends = \"base.toml\"\n\n[set]\n\"services.ru.publicity\" = 3\n";
    let path = scratch.write("bad-set.toml", text);
    for err in scratch.rejects(&path) {
        assert!(err.starts_with(&format!("error: {path}:")), "{err}");
        assert!(err.contains("key `services.ru.publicity`: "), "{err}");
        assert!(err.contains("3 is out of range"), "{err}");
    }
    let text = "extends = \"base.toml\"\n\n[set]\n\"services.xx.publicity\" = 0.3\n";
    let path = scratch.write("bad-set-path.toml", text);
    for err in scratch.rejects(&path) {
        assert!(err.starts_with(&format!("error: {path}:")), "{err}");
        assert!(err.contains("`services.xx` does not exist"), "{err}");
    }
}

// ----------------------------------------------------- regressions of bugs found while testing

#[test]
fn a_bad_set_entry_is_located_on_its_own_line() {
    let scratch = Scratch::new();
    let text = "extends = \"base.toml\"\n\n[set]\n\"event.arrest.magnitude\" = 0.3\n\"services.ru.publicity\" = \"x\"\n";
    let path = scratch.write("bad-set-line.toml", text);
    let (line, _) = position(text, "\"services.ru.publicity\"");
    for err in scratch.rejects(&path) {
        assert!(err.starts_with(&format!("error: {path}:{line}:")), "{err}");
    }
}

#[test]
fn unquoted_dotted_set_keys_do_not_discard_base_values() {
    let scratch = Scratch::new();
    let base = std::fs::read_to_string(root().join(SMALL)).unwrap();
    scratch.write(
        "tuned.toml",
        &format!("{base}\n[params]\ntrust_drift = 0.05\n"),
    );
    let path = scratch.write(
        "dotted.toml",
        "extends = \"tuned.toml\"\n\n[set]\nparams.fear_decay = 0.2\n",
    );
    let output = liaison(&["check", &path, "--params"]);
    if output.status.success() {
        // Either the override is merged into the base's params …
        let text = stdout(&output);
        let drift = text
            .lines()
            .find(|l| l.trim_start().starts_with("trust_drift "))
            .unwrap();
        assert!(
            drift.split_whitespace().nth(1) == Some("0.05"),
            "the base's trust_drift was lost: {drift}"
        );
    } else {
        // … or it is rejected, naming the what-if file.
        let err = assert_failed(&output, "dotted [set] key");
        assert!(err.starts_with(&format!("error: {path}:")), "{err}");
    }
}

#[test]
fn a_duplicate_event_added_by_a_what_if_is_reported_in_the_what_if() {
    let scratch = Scratch::new();
    let text = "extends = \"base.toml\"\nremove_events = [\"attack\"]\n\n[[event]]\nid = \"hunt\"\ndate = 2013-04-01\nkind = \"outreach\"\nchannels = [\"ct\"]\nservices = [\"us\"]\nlabel = \"Second hunt\"\n";
    let path = scratch.write("duplicate.toml", text);
    for err in scratch.rejects(&path) {
        assert!(err.contains("duplicate event id `hunt`"), "{err}");
        assert!(err.starts_with(&format!("error: {path}:")), "{err}");
    }
}

// ----------------------------------------------------------------- (h) shipped what-ifs

#[test]
fn shipped_what_ifs_pass_check_and_show_their_chain() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios/what-if"))
        .expect("scenarios/what-if")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no what-if files found");
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let path = format!("scenarios/what-if/{name}");
        let text = check_ok(&path);
        let chain = extends_chain(&text);
        assert_eq!(chain.first(), Some(&path), "\n{text}");
        assert!(chain.len() >= 2, "\n{text}");
        assert!(
            chain.last().unwrap().ends_with("us-russia-2011-2017.toml"),
            "\n{text}"
        );
        assert!(text.contains("scenario:    What if"), "\n{text}");
    }
}

#[test]
fn shipped_what_ifs_change_what_they_say() {
    let base = checked_event_ids(&check_ok("scenarios/us-russia-2011-2017.toml"));
    let no_crimea = checked_event_ids(&check_ok("scenarios/what-if/no-crimea.toml"));
    for removed in ["crimea", "sectoral-sanctions"] {
        assert!(base.iter().any(|id| id == removed), "{removed} not in base");
        assert!(!no_crimea.iter().any(|id| id == removed), "{removed} kept");
    }
    assert_eq!(no_crimea.len(), base.len() - 2);

    let reset = check_ok("scenarios/what-if/reset-2017.toml");
    assert!(
        checked_event_ids(&reset).contains(&"sustained-reset".to_string()),
        "\n{reset}"
    );
    assert!(reset.contains("… 2019-12-31"), "\n{reset}");
}
