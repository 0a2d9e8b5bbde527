//! Progress reporting and Ctrl-C handling for long ensembles.
//!
//! The bar goes to stderr only when it is a terminal and `--quiet` is not given, and only
//! once the work has lasted a second, so short runs and pipes stay clean.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static HANDLER: OnceLock<bool> = OnceLock::new();

/// The flag set by Ctrl-C, SIGTERM or SIGHUP (ctrlc's `termination` feature); the runner
/// polls it and outputs are not committed once it is set.
pub fn interrupt_flag() -> &'static AtomicBool {
    HANDLER
        .get_or_init(|| ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst)).is_ok());
    &INTERRUPTED
}

/// Whether Ctrl-C was pressed (or SIGTERM or SIGHUP received).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// A progress bar over a known number of runs.
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    visible: bool,
    shown: Mutex<bool>,
}

impl Progress {
    /// A bar for `total` runs, labelled `what`.
    pub fn new(total: u64, what: &str, quiet: bool) -> Progress {
        Progress::counting(total, what, "runs", quiet)
    }

    /// A bar for `total` items called `unit` (`runs`, `points`), labelled `what`.
    pub fn counting(total: u64, what: &str, unit: &str, quiet: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        let template = format!("{{msg}} [{{bar:40}}] {{pos}}/{{len}} {unit}, ETA {{eta}}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        Progress {
            bar,
            started: Instant::now(),
            visible: !quiet && std::io::stderr().is_terminal(),
            shown: Mutex::new(false),
        }
    }

    /// One more run finished.
    pub fn tick(&self) {
        if self.visible && self.started.elapsed() > Duration::from_secs(1) {
            if let Ok(mut shown) = self.shown.lock() {
                if !*shown {
                    self.bar.set_draw_target(ProgressDrawTarget::stderr());
                    *shown = true;
                }
            }
        }
        self.bar.inc(1);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
