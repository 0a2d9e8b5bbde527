//! The figures read as a reader would: the SVG is text, so these tests check it.
//!
//! For the default scenario, a dense 60-event scenario and an 8-way comparison:
//! - every event's full label is in the event key (never cut, never "…");
//! - no two pieces of text overlap (boxes from the SVG's positions and the font's metrics);
//! - the shared legend overlaps no data area, and names every compared scenario;
//! - the SVG embeds only a font subset and stays small; the PNG has the SVG's size.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use liaison::output::plot::{TEXT_ASCENT, TEXT_DESCENT, text_width};

const DEFAULT: &str = "scenarios/us-russia-2011-2017.toml";
const DENSE: &str = "tests/fixtures/dense-60-events.toml";

fn liaison() -> Command {
    let mut cmd = Command::cargo_bin("liaison").expect("binary built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn root(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The event labels of a scenario, as the key must show them.
fn labels(scenario: &str) -> Vec<String> {
    let loaded = liaison::scenario::load(&root(scenario)).expect("scenario loads");
    loaded
        .scenario
        .events
        .iter()
        .map(|e| e.label.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// An axis-aligned box in pixels.
#[derive(Debug, Clone, Copy)]
struct Box {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Box {
    fn overlaps(&self, o: &Box, tolerance: f64) -> bool {
        self.x0 + tolerance < o.x1
            && o.x0 + tolerance < self.x1
            && self.y0 + tolerance < o.y1
            && o.y0 + tolerance < self.y1
    }
}

/// A line of text as drawn.
#[derive(Debug)]
struct TextLine {
    text: String,
    class: String,
    area: Box,
}

fn number(node: roxmltree::Node, name: &str) -> f64 {
    node.attribute(name)
        .unwrap_or("0")
        .parse()
        .unwrap_or_else(|_| panic!("{name} of {node:?} is not a number"))
}

/// Every line of text in the SVG with the box it covers (rotation by −90° included).
fn text_lines(doc: &roxmltree::Document) -> Vec<TextLine> {
    let mut out = Vec::new();
    for text in doc.descendants().filter(|n| n.has_tag_name("text")) {
        let (x, y, size) = (
            number(text, "x"),
            number(text, "y"),
            number(text, "font-size"),
        );
        let bold = text.attribute("font-weight") == Some("bold");
        let anchor = text.attribute("text-anchor").unwrap_or("start");
        let rotated = text
            .attribute("transform")
            .is_some_and(|t| t.starts_with("rotate(-90"));
        let class = text.attribute("class").unwrap_or("").to_string();
        let spans: Vec<(String, f64)> = if text.children().any(|c| c.has_tag_name("tspan")) {
            let mut dy = 0.0;
            text.children()
                .filter(|c| c.has_tag_name("tspan"))
                .map(|t| {
                    dy += number(t, "dy");
                    (t.text().unwrap_or("").to_string(), dy)
                })
                .collect()
        } else {
            vec![(text.text().unwrap_or("").to_string(), 0.0)]
        };
        for (line, dy) in spans {
            let w = text_width(&line, size, bold);
            let start = match anchor {
                "middle" => -w / 2.0,
                "end" => -w,
                _ => 0.0,
            };
            // In the text's own frame: along u, across v (down).
            let (u0, u1) = (start, start + w);
            let (v0, v1) = (dy - TEXT_ASCENT * size, dy + TEXT_DESCENT * size);
            let area = if rotated {
                // rotate(−90 about (x, y)): (u, v) → (x + v, y − u).
                Box {
                    x0: x + v0,
                    x1: x + v1,
                    y0: y - u1,
                    y1: y - u0,
                }
            } else {
                Box {
                    x0: x + u0,
                    x1: x + u1,
                    y0: y + v0,
                    y1: y + v1,
                }
            };
            out.push(TextLine {
                text: line,
                class: class.clone(),
                area,
            });
        }
    }
    out
}

fn boxes_of_class(doc: &roxmltree::Document, tag: &str, class: &str) -> Vec<Box> {
    doc.descendants()
        .filter(|n| n.has_tag_name(tag) && n.attribute("class") == Some(class))
        .map(|n| {
            if let Some(data) = n.attribute("data-box") {
                let v: Vec<f64> = data.split(' ').map(|s| s.parse().unwrap()).collect();
                Box {
                    x0: v[0],
                    y0: v[1],
                    x1: v[2],
                    y1: v[3],
                }
            } else {
                let (x, y) = (number(n, "x"), number(n, "y"));
                Box {
                    x0: x,
                    y0: y,
                    x1: x + number(n, "width"),
                    y1: y + number(n, "height"),
                }
            }
        })
        .collect()
}

/// The checks every figure must pass; `events` are full labels that must be in the key,
/// `legend` names that must be legend entries.
fn check_figure(svg_path: &Path, events: &[String], legend: &[&str]) {
    let svg = read(svg_path);
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    let lines = text_lines(&doc);

    // Every event label, in full, in the key.
    let key: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text") && n.attribute("class") == Some("key-label"))
        .map(|n| {
            let words: Vec<&str> = n
                .descendants()
                .filter(|d| d.is_text())
                .filter_map(|d| d.text())
                .flat_map(|t| t.split_whitespace())
                .collect();
            words.join(" ")
        })
        .collect();
    for label in events {
        assert!(
            key.iter()
                .any(|k| k == label || k.starts_with(&format!("{label} "))),
            "{}: event label `{label}` is not in the key in full; key: {key:?}",
            svg_path.display()
        );
    }
    assert!(
        !key.iter().any(|k| k.contains('…')),
        "{}: a key label is cut",
        svg_path.display()
    );

    // No two lines of text overlap.
    for (i, a) in lines.iter().enumerate() {
        for b in &lines[i + 1..] {
            if a.text.trim().is_empty() || b.text.trim().is_empty() {
                continue;
            }
            assert!(
                !a.area.overlaps(&b.area, 0.5),
                "{}: text `{}` ({}) overlaps `{}` ({}): {:?} {:?}",
                svg_path.display(),
                a.text,
                a.class,
                b.text,
                b.class,
                a.area,
                b.area
            );
        }
    }

    // The legend is outside every data area, and complete.
    let plots = boxes_of_class(&doc, "rect", "plot-area");
    assert!(!plots.is_empty(), "{}: no plot area", svg_path.display());
    for legend_box in boxes_of_class(&doc, "g", "legend") {
        for plot in &plots {
            assert!(
                !legend_box.overlaps(plot, 1.0),
                "{}: the legend {legend_box:?} overlaps a data area {plot:?}",
                svg_path.display()
            );
        }
    }
    let entries: Vec<&str> = lines
        .iter()
        .filter(|l| l.class == "legend-label")
        .map(|l| l.text.as_str())
        .collect();
    for name in legend {
        assert!(
            entries.iter().any(|e| e == name),
            "{}: no legend entry `{name}` in {entries:?}",
            svg_path.display()
        );
    }
    // Text lines of the legend and the key stay out of the data areas too.
    for line in lines
        .iter()
        .filter(|l| l.class.starts_with("legend") || l.class.starts_with("key"))
    {
        for plot in &plots {
            assert!(
                !line.area.overlaps(plot, 1.0),
                "{}: `{}` lies on a data area",
                svg_path.display(),
                line.text
            );
        }
    }
}

fn png_size(path: &Path) -> (u32, u32) {
    let png = std::fs::read(path).unwrap();
    assert_eq!(&png[1..4], b"PNG", "{} is not a PNG", path.display());
    (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    )
}

fn svg_size(path: &Path) -> (u32, u32) {
    let svg = read(path);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let root = doc.root_element();
    (
        root.attribute("width").unwrap().parse().unwrap(),
        root.attribute("height").unwrap().parse().unwrap(),
    )
}

#[test]
fn the_default_figure_reads_cleanly_and_is_small() {
    let dir = tempfile::tempdir().unwrap();
    liaison()
        .args(["run", DEFAULT, "--runs", "8", "--quiet", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let folder = dir.path().join("us-russia-2011-2017");
    let svg = folder.join("trust.svg");
    check_figure(&svg, &labels(DEFAULT), &["us trusts ru", "ru trusts us"]);
    let bytes = std::fs::metadata(&svg).unwrap().len();
    assert!(bytes <= 300_000, "trust.svg is {bytes} bytes");
    let text = read(&svg);
    assert!(text.contains("@font-face"), "the font is embedded");
    assert_eq!(png_size(&folder.join("trust.png")), svg_size(&svg));
    // The three markers the old figure lost.
    for label in [
        "Boston bombing",
        "Mikhailov, Stoyanov arrested",
        "Lavrov: cyber consultations",
    ] {
        assert!(text.contains(&format!(">{label}<")), "{label}");
    }
}

#[test]
fn a_dense_user_scenario_reads_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    liaison()
        .args(["run", DENSE, "--runs", "4", "--quiet", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let labels = labels(DENSE);
    assert_eq!(labels.len(), 60);
    check_figure(
        &dir.path().join("dense-60-events/trust.svg"),
        &labels,
        &["a trusts b", "b trusts a"],
    );
}

#[test]
fn an_eight_way_comparison_reads_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = [
        DEFAULT,
        "scenarios/what-if/quiet-fogle.toml",
        "scenarios/what-if/no-crimea.toml",
        "scenarios/what-if/no-mole-hunt.toml",
        "scenarios/what-if/reset-2017.toml",
    ];
    let output = liaison()
        .arg("compare")
        .args(scenarios)
        .args([
            "--variant",
            "quiet-fsb: services.ru.publicity=0",
            "--variant",
            "high-threat: channels.cyber.threat=0.5",
            "--variant",
            "same: run.seed=5",
            "--series",
            "trust.cyber.*",
            "--runs",
            "3",
            "--quiet",
            "--name",
            "eight",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
    let folder = dir.path().join("eight");
    let names = [
        "us-russia-2011-2017",
        "quiet-fogle",
        "no-crimea",
        "no-mole-hunt",
        "reset-2017",
        "quiet-fsb",
        "high-threat",
        "same",
    ];
    // Every event of every scenario (the reset adds one) is in the key.
    let mut events = labels(DEFAULT);
    events.extend(labels("scenarios/what-if/reset-2017.toml"));
    events.sort();
    events.dedup();
    check_figure(&folder.join("compare.svg"), &events, &names);
    let differences: Vec<String> = names[1..]
        .iter()
        .map(|n| format!("{n} − us-russia-2011-2017"))
        .collect();
    let differences: Vec<&str> = differences.iter().map(String::as_str).collect();
    check_figure(&folder.join("difference.svg"), &events, &differences);

    // Horizons differ: said on the figures and in the report, never silently cut.
    assert!(read(&folder.join("compare.svg")).contains("Horizons differ"));
    assert!(read(&folder.join("difference.svg")).contains("common window"));
    assert!(
        stdout.contains("horizons differ: compared over the common window"),
        "{stdout}"
    );
    // A variant that changes nothing is reported as such.
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("same ") && l.ends_with("no difference")),
        "{stdout}"
    );
    // compare.csv and difference.csv give the same date to the same step.
    let dates = |file: &str| -> std::collections::BTreeMap<(String, String), String> {
        read(&folder.join(file))
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                ((f[0].to_string(), f[1].to_string()), f[2].to_string())
            })
            .collect()
    };
    let compared = dates("compare.csv");
    let paired = dates("difference.csv");
    assert!(!paired.is_empty());
    for ((scenario, step), date) in &paired {
        for other in [scenario.as_str(), "us-russia-2011-2017"] {
            assert_eq!(
                compared.get(&(other.to_string(), step.clone())),
                Some(date),
                "step {step} of {other}"
            );
        }
    }
}

#[test]
fn run_series_choose_the_panels_and_from_to_zoom() {
    let dir = tempfile::tempdir().unwrap();
    liaison()
        .args([
            "run",
            "tests/fixtures/small.toml",
            "--runs",
            "4",
            "--quiet",
            "--series",
            "fear.ru",
            "--series",
            "trust.ct.*",
            "--from",
            "2013-03-01",
            "--to",
            "2013-08-31",
            "--bands",
            "p25-p75",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let svg = dir.path().join("small/series.svg");
    check_figure(
        &svg,
        &["Spy arrested".to_string(), "Sanctions".to_string()],
        &["fear.ru"],
    );
    let text = read(&svg);
    let doc = roxmltree::Document::parse(&text).unwrap();
    let titles: Vec<&str> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("panel-title"))
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(titles, ["fear.ru", "trust.ct.*"]);
    // Month ticks on a six-month window; the events outside it are not in the key.
    for month in [">Apr<", ">May<", ">Jun<"] {
        assert!(text.contains(month), "{month}");
    }
    assert!(
        !text.contains(">Mole hunt<"),
        "an event outside the zoom is listed"
    );
    assert!(text.contains("p25–p75"));

    // Bad choices fail before anything runs.
    liaison()
        .args([
            "run",
            "tests/fixtures/small.toml",
            "--series",
            "nothing.*",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--series: no series matches `nothing.*`",
        ));
    liaison()
        .args([
            "run",
            "tests/fixtures/small.toml",
            "--from",
            "2013-09-01",
            "--to",
            "2013-03-01",
        ])
        .arg("--out")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is not before --to"));
    liaison()
        .args(["run", "tests/fixtures/small.toml", "--bands", "wide"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "expected p05-p95, p25-p75 or none",
        ));
}
