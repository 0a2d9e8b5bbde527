//! A bounded fuzz test of the scenario loader, the `--set` parser and `--end`: mutated copies
//! of the bundled scenarios (`scenarios/`, its what-ifs and cases, and the test fixtures) are
//! loaded in-process, and every accepted one is run briefly.
//!
//! It asserts that nothing panics, and that every rejection says where: a file position, a
//! dotted key, or the command-line option at fault.
//!
//! Bounded by time and cases: `LIAISON_FUZZ_SECS` (default 15) and `LIAISON_FUZZ_CASES`
//! (default 100,000), seeded by `LIAISON_FUZZ_SEED` (default 1) so a failure replays. A
//! failing input is saved under `target/fuzz-failures/`; add it to `tests/fixtures/hostile/`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use liaison::commands::load_until;
use liaison::runner::{EnsembleOptions, Prepared, ensemble};
use liaison::scenario::{Date, Origin, ScenarioError};

/// splitmix64: small, seeded, and enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Values that have broken parsers and models before.
const HOSTILE_VALUES: &[&str] = &[
    "nan",
    "inf",
    "-inf",
    "-1",
    "0",
    "-0.0",
    "1e308",
    "1.5",
    "4294967296",
    "9223372036854775807",
    "100001",
    "\"\"",
    "\"x\"",
    "\"сценарий\"",
    "true",
    "[]",
    "[\"ct\", \"ct\"]",
    "{}",
    "{ mean = nan }",
    "0000-01-01",
    "9999-12-31",
    "2013-02-29",
    "2016-02-29",
    "1979-05-27T07:32:00Z",
    "\"2013-01-01\"",
    "\"-000001-01-01\"",
    "[2013-01-01]",
    "[2013-06-01, 2013-06-01]",
    "[2017-01-01, 2011-01-01]",
];

/// Snippets appended as whole lines or tables.
const SNIPPETS: &[&str] = &[
    "extends = \"\"",
    "extends = \".\"",
    "extends = \"/dev/zero\"",
    "extends = \"fuzz-self.toml\"",
    "name = \"\"",
    "[set]\n\"horizon.end\" = 2012-01-01",
    "[set]\n\"services\" = {}",
    "[params]\ntrust_drfit = 0.1",
    "[[target]]\nid = \"z\"\ndescription = \"z\"\ntest = \"argmax\"\nseries = \"trust.*\"\nwithin = [2013-01-01, 2013-01-02]\nreduce = \"max\"",
    "[[target]]\nid = \"y\"\ndescription = \"y\"\ntest = \"level\"\nseries = \"fear.*\"\nat = 2013-06-01\nat_least = 1\nat_most = 0",
    "[[event]]\nid = \"e\"\ndate = 2013-05-01\nuntil = 9999-12-31\nkind = \"leak\"\nchannels = []\nservices = [\"us\"]\nlabel = \"e\"",
    "[services.zz]\nsecrecy = 0.5",
    "[officers.zz.ct]\ncount = 3\ntrust = { mean = 0.3 }",
    "[horizon]\nstep_days = 0",
    "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p = 1",
    "[[[[",
    "x = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
];

const INSERTED: &[&str] = &[
    "\0", "\r", "\n", "[", "]", "{", "}", "\"", "'", "=", ".", ",", "#", "\u{feff}", "é",
    "\u{202e}", "\\", "\t", "-",
];

/// The scenarios to mutate: every TOML file under `scenarios/` and `tests/fixtures/`, except
/// the hostile corpus (replayed by `tests/hostile.rs`).
fn seeds(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() && !path.ends_with("hostile") {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "toml") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&root.join("scenarios"), &mut found);
    walk(&root.join("tests/fixtures"), &mut found);
    found
}

/// A char boundary at or before `at`.
fn boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// One to three random mutations of `text`.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut text = text.to_string();
    for _ in 0..1 + rng.below(3) {
        let lines: Vec<&str> = text.lines().collect();
        let n = lines.len().max(1);
        let i = rng.below(n);
        let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        if out.is_empty() {
            out.push(String::new());
        }
        match rng.below(10) {
            // A value replaced by a hostile one.
            0..=2 => {
                if let Some(eq) = out[i].find(" = ") {
                    let value = *rng.pick(HOSTILE_VALUES);
                    out[i] = format!("{} = {value}", &out[i][..eq]);
                }
            }
            3 => {
                out.remove(i.min(out.len() - 1));
            }
            4 => {
                let line = out[i].clone();
                out.insert(i, line);
            }
            5 => {
                let j = rng.below(out.len());
                out.swap(i, j);
            }
            // A key with a typo.
            6 => {
                if let Some(eq) = out[i].find(" = ") {
                    let chars: Vec<char> = out[i][..eq].chars().collect();
                    if chars.len() > 2 {
                        let drop = 1 + rng.below(chars.len() - 1);
                        let key: String = chars
                            .iter()
                            .enumerate()
                            .filter(|(j, _)| *j != drop)
                            .map(|(_, c)| c)
                            .collect();
                        out[i] = format!("{key}{}", &out[i][eq..]);
                    }
                }
            }
            7 => out.insert(i, rng.pick(SNIPPETS).to_string()),
            8 => {
                let mut joined = out.join("\n");
                let at = boundary(&joined, rng.below(joined.len() + 1));
                if rng.chance(30) {
                    joined.truncate(at);
                } else {
                    let inserted: &&str = rng.pick(INSERTED);
                    joined.insert_str(at, inserted);
                }
                text = joined;
                continue;
            }
            _ => {
                let joined = out.join("\n");
                text = if rng.chance(50) {
                    joined.replace('\n', "\r\n")
                } else {
                    format!("\u{feff}{joined}")
                };
                continue;
            }
        }
        text = out.join("\n");
    }
    text
}

/// Dotted keys written in a scenario, events and targets by id, for `--set`.
fn keys(text: &str) -> Vec<String> {
    fn walk(prefix: &str, table: &toml::Table, keys: &mut Vec<String>) {
        for (key, value) in table {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match value {
                toml::Value::Table(inner) => {
                    keys.push(path.clone());
                    walk(&path, inner, keys);
                }
                toml::Value::Array(items) if key == "event" || key == "target" => {
                    for item in items {
                        if let (Some(id), Some(t)) =
                            (item.get("id").and_then(|v| v.as_str()), item.as_table())
                        {
                            walk(&format!("{path}.{id}"), t, keys);
                        }
                    }
                }
                _ => keys.push(path),
            }
        }
    }
    let mut keys = vec![
        "nonsense".to_string(),
        "event".into(),
        "services.xx.a".into(),
    ];
    if let Ok(table) = text.parse::<toml::Table>() {
        walk("", &table, &mut keys);
    }
    keys
}

/// Random `--set` options.
fn sets(text: &str, rng: &mut Rng) -> Vec<String> {
    let keys = keys(text);
    (0..rng.below(3))
        .map(|_| {
            let key = rng.pick(&keys);
            let value = match rng.below(4) {
                0 => "{ secrecy = 0.1 }",
                1 => "=",
                _ => rng.pick(HOSTILE_VALUES),
            };
            format!("{key}={value}")
        })
        .collect()
}

/// A rejection must say where: a file position, a key, or the option at fault.
fn located(error: &ScenarioError) -> bool {
    match &error.origin {
        Origin::File { position, .. } => position.is_some() || error.key.is_some(),
        Origin::CommandLine(_) | Origin::Option(_) => true,
    }
}

/// Loads one case and, when it is accepted and small, runs and evaluates it. `Ok(true)` when
/// the case was accepted.
fn exercise(path: &Path, sets: &[String], end: Option<Date>) -> Result<bool, String> {
    match load_until(path, sets, end) {
        Err(error) if located(&error) => Ok(false),
        Err(error) => Err(format!("rejected without a location: {error}")),
        Ok((loaded, targets)) => {
            let s = &loaded.scenario;
            let officers: u64 = s.desks.iter().map(|d| u64::from(d.population.count)).sum();
            if s.timeline.steps() > 600 || officers > 2_000 || s.events.len() > 200 {
                return Ok(true);
            }
            let _ = liaison::commands::check::describe(s);
            let prepared = Prepared::new(s, 1);
            let result = ensemble(
                &prepared,
                &targets,
                &EnsembleOptions {
                    runs: 2,
                    threads: 1,
                    on_run: None,
                    cancel: None,
                },
            )
            .map_err(|e| format!("ensemble failed: {e}"))?;
            let _ = result.summary.select(&[0]);
            Ok(true)
        }
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn mutated_scenarios_never_panic_and_every_rejection_is_located() {
    let budget = Duration::from_secs(env_number("LIAISON_FUZZ_SECS", 15));
    let max_cases = env_number("LIAISON_FUZZ_CASES", 100_000);
    let mut rng = Rng(env_number("LIAISON_FUZZ_SEED", 1));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // A copy of the tree, so mutated what-ifs sit where their `extends` resolve.
    let scratch = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    for seed in seeds(root) {
        let relative = seed
            .strip_prefix(root)
            .expect("under the root")
            .to_path_buf();
        let copy = scratch.path().join(&relative);
        std::fs::create_dir_all(copy.parent().expect("a parent")).expect("mkdir");
        std::fs::copy(&seed, &copy).expect("copy");
        let text = std::fs::read_to_string(&seed).expect("read seed");
        files.push((copy, text));
    }
    assert!(files.len() >= 5, "the bundled scenarios are missing");
    // Silence the default hook: a panic is reported below with its input.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let (mut cases, mut accepted) = (0u64, 0u64);
    let mut failure = None;
    while cases < max_cases && started.elapsed() < budget {
        cases += 1;
        let (path, text) = rng.pick(&files);
        let mutated = mutate(text, &mut rng);
        let target = path.with_file_name("fuzz-self.toml");
        std::fs::write(&target, &mutated).expect("write case");
        let options = sets(&mutated, &mut rng);
        let end = rng
            .chance(15)
            .then(|| Date::new(2013, 1 + rng.below(12) as i8, 1))
            .flatten();
        let outcome = catch_unwind(AssertUnwindSafe(|| exercise(&target, &options, end)));
        let problem = match outcome {
            Ok(Ok(was_accepted)) => {
                accepted += u64::from(was_accepted);
                continue;
            }
            Ok(Err(problem)) => problem,
            Err(panic) => format!(
                "panicked: {}",
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            ),
        };
        failure = Some((mutated, options, end, problem, path.clone()));
        break;
    }
    std::panic::set_hook(hook);
    if let Some((mutated, options, end, problem, seed)) = failure {
        let saved = root.join("target/fuzz-failures");
        std::fs::create_dir_all(&saved).ok();
        let file = saved.join(format!("case-{cases}.toml"));
        std::fs::write(&file, &mutated).ok();
        panic!(
            "case {cases} (from {}) with --set {options:?} --end {end:?}: {problem}\ninput saved as {}",
            seed.display(),
            file.display()
        );
    }
    eprintln!(
        "fuzz: {cases} cases in {:.1} s, {accepted} accepted (and run when small), the others rejected with a location",
        started.elapsed().as_secs_f64()
    );
}
