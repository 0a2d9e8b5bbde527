//! The page's back end without HTTP: the scenario list, each scenario's controls, runs
//! (a newer run cancels an older one) and exports. [`super::server`] only parses requests
//! and reports what these return.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde::Serialize;

use super::catalog::{Catalog, Entry};
use super::changes::Settings;
use super::controls::{ScenarioView, describe};
use super::error::UiError;
use super::evaluate::{Limits, RunRequest, evaluate};
use super::export::{Exported, export};
use super::report::{RunReport, report};

/// What the page loads first.
#[derive(Debug, Clone, Serialize)]
pub struct IndexView {
    /// The scenarios offered.
    pub scenarios: Vec<Entry>,
    /// The one opened first.
    pub first: Option<String>,
    /// Runs to start with (`--runs`), else the scenario's.
    pub runs: Option<u32>,
    /// Seed to start with (`--seed`), else the scenario's.
    pub seed: Option<u64>,
    /// Most runs a request may ask for.
    pub max_runs: u32,
    /// Where exports are written.
    pub out: String,
}

/// The state shared by every request.
pub struct App {
    catalog: Catalog,
    limits: Limits,
    out: PathBuf,
    runs: Option<u32>,
    seed: Option<u64>,
    /// The cancel flag of the latest run request: a newer one sets it.
    latest: Mutex<Arc<AtomicBool>>,
    /// One ensemble at a time: they share the cores.
    compute: Mutex<()>,
    views: Mutex<HashMap<String, ScenarioView>>,
}

/// Locks a mutex even if a panicking thread held it: the data are caches and flags that
/// stay valid.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl App {
    /// A back end offering `catalog`, exporting into `<out>/ui/`; `runs` and `seed` are the
    /// page's starting values (`None`: the scenario's own).
    pub fn new(
        catalog: Catalog,
        limits: Limits,
        out: PathBuf,
        runs: Option<u32>,
        seed: Option<u64>,
    ) -> App {
        App {
            catalog,
            limits,
            out,
            runs,
            seed,
            latest: Mutex::new(Arc::new(AtomicBool::new(false))),
            compute: Mutex::new(()),
            views: Mutex::new(HashMap::new()),
        }
    }

    /// The scenario list and starting values.
    pub fn index(&self) -> IndexView {
        IndexView {
            scenarios: self.catalog.entries().to_vec(),
            first: self.catalog.first().map(|e| e.id.clone()),
            runs: self.runs,
            seed: self.seed,
            max_runs: self.limits.max_runs,
            out: self.out.join("ui").display().to_string(),
        }
    }

    /// The controls of scenario `id` (loaded once, then cached).
    pub fn scenario(&self, id: &str) -> Result<ScenarioView, UiError> {
        if let Some(view) = lock(&self.views).get(id) {
            return Ok(view.clone());
        }
        let settings = Settings {
            scenario: id.to_string(),
            ..Settings::default()
        };
        let (loaded, _) = settings.load(&self.catalog)?;
        let view = describe(id, &loaded);
        lock(&self.views).insert(id.to_string(), view.clone());
        Ok(view)
    }

    /// Runs `request`, cancelling any run still going; a run cancelled by a newer one
    /// answers [`UiError::superseded`].
    pub fn run(&self, request: &RunRequest) -> Result<RunReport, UiError> {
        let started = Instant::now();
        let cancel = Arc::new(AtomicBool::new(false));
        {
            let mut latest = lock(&self.latest);
            latest.store(true, Ordering::SeqCst);
            *latest = Arc::clone(&cancel);
        }
        let _turn = lock(&self.compute);
        if cancel.load(Ordering::SeqCst) {
            return Err(UiError::superseded());
        }
        let evaluation = evaluate(&self.catalog, request, &self.limits, &cancel)?;
        let evaluated = started.elapsed();
        let mut report = report(&evaluation)?;
        report.elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
        report.ensemble_ms = evaluated.as_secs_f64() * 1e3;
        Ok(report)
    }

    /// Writes the what-if and summary of `request` into `<out>/ui/` (not cancelled by runs).
    pub fn export(&self, request: &RunRequest) -> Result<Exported, UiError> {
        let never = AtomicBool::new(false);
        let _turn = lock(&self.compute);
        export(&self.catalog, request, &self.limits, &self.out, &never)
    }

    /// Cancels the run in progress, if any (the server is stopping).
    pub fn cancel(&self) {
        lock(&self.latest).store(true, Ordering::SeqCst);
    }
}
