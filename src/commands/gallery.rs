//! `liaison gallery DIR` (hidden): regenerates `DIR/figures.md` and the images it and the
//! README show, by running the very commands a user would type.
//!
//! Adding a figure to the gallery is one entry of [`GALLERY`].

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Context, ensure};

use crate::cli::GalleryArgs;

/// One figure of the gallery.
struct Item {
    /// Image name under `DIR/images/` (without `.png`).
    name: &'static str,
    /// Section title.
    title: &'static str,
    /// What the figure shows and how to read it.
    caption: &'static str,
    /// The command, as typed after `liaison` (`--runs`, `--out` and `--quiet` are added).
    command: &'static [&'static str],
    /// The PNG it writes, relative to `--out`.
    output: &'static str,
}

const DEFAULT: &str = "scenarios/us-russia-2011-2017.toml";

/// Every kind of figure the tool makes.
const GALLERY: &[Item] = &[
    Item {
        name: "trust",
        title: "A run: trust per channel",
        caption: "`liaison run` draws one panel per channel with both directions of trust. Each event is numbered on the panels of the channels it touches (other panels show it as a faint dotted line), with a shape and colour for its kind; sustained events are shaded spans. The key below lists every event with its date and full label. Values are states at the end of each step, drawn as steps, so a drop never starts before its event. Target windows are shaded green (holds) or red (fails).",
        command: &["run", DEFAULT],
        output: "us-russia-2011-2017/trust.png",
    },
    Item {
        name: "series-zoom",
        title: "A run: chosen series, zoomed",
        caption: "`--series` chooses the panels, one per glob; `--from`/`--to` zoom the figure (month ticks on short windows) without changing the simulation; `--bands p25-p75` shades the interquartile range.",
        command: &[
            "run",
            DEFAULT,
            "--series",
            "trust.ct.*",
            "--series",
            "fear.*",
            "--from",
            "2013-01-01",
            "--to",
            "2014-12-31",
            "--bands",
            "p25-p75",
        ],
        output: "us-russia-2011-2017/series.png",
    },
    Item {
        name: "dense",
        title: "A dense timeline: 60 events",
        caption: "A user's scenario with 60 events: markers fan out where they crowd, with leaders to their dates, and the figure grows rather than cutting or overlapping a label.",
        command: &["run", "tests/fixtures/dense-60-events.toml"],
        output: "dense-60-events/trust.png",
    },
    Item {
        name: "compare-quiet-fogle",
        title: "Compare: two scenarios",
        caption: "`liaison compare` overlays up to three scenarios per series, with one legend for the figure. Events that differ between the scenarios are ringed and in bold.",
        command: &[
            "compare",
            DEFAULT,
            "scenarios/what-if/quiet-fogle.toml",
            "--series",
            "trust.ct.*",
            "--series",
            "fear.ru",
            "--name",
            "quiet-fogle",
        ],
        output: "quiet-fogle/compare.png",
    },
    Item {
        name: "difference-quiet-fogle",
        title: "Paired differences",
        caption: "Run-by-run differences to the first scenario (same random draws): a band that excludes zero means the change matters in at least 95% of the paired runs.",
        command: &[
            "compare",
            DEFAULT,
            "scenarios/what-if/quiet-fogle.toml",
            "--series",
            "trust.ct.*",
            "--series",
            "fear.ru",
            "--name",
            "quiet-fogle",
        ],
        output: "quiet-fogle/difference.png",
    },
    Item {
        name: "compare-eight",
        title: "Compare: eight scenarios and variants",
        caption: "Past three curves a panel would be unreadable: small multiples give each scenario its own row (its colour in the title), with the baseline's median dashed for reference. `reset-2017` runs two years longer: its curves run on and the note says so.",
        command: &[
            "compare",
            DEFAULT,
            "scenarios/what-if/quiet-fogle.toml",
            "scenarios/what-if/no-crimea.toml",
            "scenarios/what-if/no-mole-hunt.toml",
            "scenarios/what-if/reset-2017.toml",
            "--variant",
            "quiet-fsb: services.ru.publicity=0",
            "--variant",
            "high-threat: channels.cyber.threat=0.5",
            "--variant",
            "slow-drift: params.trust_drift=0.02",
            "--series",
            "trust.cyber.*",
            "--name",
            "eight",
        ],
        output: "eight/compare.png",
    },
    Item {
        name: "difference-eight",
        title: "Paired differences of eight",
        caption: "The seven differences as small multiples over the common window (the note says which).",
        command: &[
            "compare",
            DEFAULT,
            "scenarios/what-if/quiet-fogle.toml",
            "scenarios/what-if/no-crimea.toml",
            "scenarios/what-if/no-mole-hunt.toml",
            "scenarios/what-if/reset-2017.toml",
            "--variant",
            "quiet-fsb: services.ru.publicity=0",
            "--variant",
            "high-threat: channels.cyber.threat=0.5",
            "--variant",
            "slow-drift: params.trust_drift=0.02",
            "--series",
            "trust.cyber.*",
            "--name",
            "eight",
        ],
        output: "eight/difference.png",
    },
    Item {
        name: "sweep-hunt-sweep",
        title: "Sweep: one factor",
        caption: "`liaison sweep` over one factor: the share of runs in which each target holds, then each target's value (median and p05–p95 band over runs, its bounds dashed) and each `--metric`, against the factor. Run i of every point uses the same random streams, so the curves move with the factor, not with noise.",
        command: &[
            "sweep",
            DEFAULT,
            "--param",
            "params.hunt_sweep=0..1",
            "--points",
            "11",
            "--metric",
            "cyber-2017: test=level, series=trust.cyber.*, from=2017-02-01, to=2017-12-31",
        ],
        output: "sweep-us-russia-2011-2017/metrics.png",
    },
    Item {
        name: "sweep-hunt-sweep-fan",
        title: "Sweep: the fan of curves",
        caption: "The median of the first target's series at every point of a sweep, coloured by the factor's value.",
        command: &[
            "sweep",
            DEFAULT,
            "--param",
            "params.hunt_sweep=0..1",
            "--points",
            "11",
            "--metric",
            "cyber-2017: test=level, series=trust.cyber.*, from=2017-02-01, to=2017-12-31",
        ],
        output: "sweep-us-russia-2011-2017/fan.png",
    },
    Item {
        name: "sweep-heatmap",
        title: "Sweep: two factors",
        caption: "Over two factors, the share of runs holding each target as a heatmap (blue 0, yellow ½, red 1).",
        command: &[
            "sweep",
            DEFAULT,
            "--param",
            "params.hunt_sweep=0..1",
            "--param",
            "channels.cyber.political_sensitivity=0..1",
            "--points",
            "6",
            "--name",
            "two",
        ],
        output: "sweep-two/heatmap.png",
    },
    Item {
        name: "sweep-morris",
        title: "Sweep: Morris screening",
        caption: "A Morris design ranks factors by their overall influence μ* (right: matters) and their interactions or non-linearity σ (up), for each target's share of runs holding; values relative to the largest μ* of each panel.",
        command: &[
            "sweep",
            DEFAULT,
            "--design",
            "morris",
            "--points",
            "8",
            "--param",
            "channels.ct.political_sensitivity=0..1",
            "--param",
            "params.shock_permission=0..1",
            "--param",
            "params.shock_fear=0..1",
            "--param",
            "params.trust_drift=0.01..0.1",
            "--param",
            "params.memory_cut=0..1",
            "--param",
            "params.success_threat=0..1",
            "--param",
            "params.hunt_sweep=0..1",
            "--param",
            "services.ru.permission=0.3..1",
            "--name",
            "morris",
        ],
        output: "sweep-morris/morris.png",
    },
];

/// Runs the command.
pub fn gallery(args: &GalleryArgs) -> anyhow::Result<ExitCode> {
    ensure!(args.runs >= 1, "--runs 0: expected at least one run");
    let images = args.dir.join("images");
    std::fs::create_dir_all(&images)
        .with_context(|| format!("cannot create `{}`", images.display()))?;
    let scratch = std::env::temp_dir().join(format!("liaison-gallery-{}", std::process::id()));
    let result = write_gallery(args, &images, &scratch);
    // Best effort: the scratch folder only holds copies.
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn write_gallery(
    args: &GalleryArgs,
    images: &std::path::Path,
    scratch: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    let out = scratch.to_string_lossy().into_owned();
    let runs = args.runs.to_string();
    let mut done: Vec<&[&str]> = Vec::new();
    let mut page = String::from(
        "# Figure gallery\n\n\
         Every kind of figure `liaison` makes, from the bundled scenarios. Regenerate this page \
         and its images (also those of the README) from the repository root with\n\n\
         ```sh\ncargo run --release -- gallery docs\n```\n\n\
         Each figure is written as PNG and as a self-contained SVG (fonts embedded); the \
         command under each one makes it.\n",
    );
    for item in GALLERY {
        // Several figures come from one command: run it once.
        if !done.contains(&item.command) {
            let mut words: Vec<&str> = item.command.to_vec();
            words.extend(["--runs", &runs, "--out", &out, "--quiet"]);
            let code = crate::cli::run_words(&words)
                .with_context(|| format!("gallery figure `{}`", item.name))?;
            ensure!(
                code == ExitCode::SUCCESS,
                "gallery figure `{}`: the command failed",
                item.name
            );
            done.push(item.command);
        }
        let source = scratch.join(item.output);
        let target = images.join(format!("{}.png", item.name));
        std::fs::copy(&source, &target)
            .with_context(|| format!("cannot copy {} to {}", source.display(), target.display()))?;
        let command: Vec<String> = item
            .command
            .iter()
            .map(|w| {
                if w.contains([' ', '*', ':']) {
                    format!("'{w}'")
                } else {
                    w.to_string()
                }
            })
            .collect();
        let _ = write!(
            page,
            "\n## {}\n\n{}\n\n```sh\nliaison {}\n```\n\n![{}](images/{}.png)\n",
            item.title,
            item.caption,
            command.join(" "),
            item.title,
            item.name
        );
    }
    let path = args.dir.join("figures.md");
    std::fs::write(&path, page).with_context(|| format!("cannot write `{}`", path.display()))?;
    println!("gallery: {} figures → {}", GALLERY.len(), path.display());
    Ok(ExitCode::SUCCESS)
}
