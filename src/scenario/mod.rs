//! Scenario files: reading, `extends`, `--set` overrides and validation into a [`Scenario`].
//!
//! A [`Scenario`] is the validated, index-based form the model runs on: every name has been
//! resolved, every number checked. [`load`] is the single entry point.

mod cut;
mod date;
mod error;
mod locate;
mod overrides;
mod raw;
mod source;
mod validate;
mod words;

pub use cut::Cut;
pub use date::Date;
pub use error::{Origin, ScenarioError, line_column};
pub use overrides::{get as get_value, parse_value, split_assignment};
pub use raw::{
    ChannelSpec, Dist, EventKind, EventSpec, Horizon, PopulationSpec, RawScenario, RunSettings,
    ServiceSpec,
};
pub use source::{
    Loaded, MAX_EXTENDS_DEPTH, MAX_FILE_BYTES, SourceFile, load, load_until, load_with,
};
pub(crate) use validate::check_name;
pub use validate::{
    MAX_CHANNELS, MAX_EVENTS, MAX_LABEL, MAX_RUNS, MAX_SERVICES, MAX_STEPS, MAX_TARGETS,
};

use crate::model::Params;
use crate::targets::TargetSpec;

/// A validated scenario, ready to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Human-readable name.
    pub name: String,
    /// What the scenario represents or asks.
    pub description: String,
    /// The simulated period, split into steps.
    pub timeline: Timeline,
    /// Default master seed.
    pub seed: u64,
    /// Default number of runs.
    pub runs: u32,
    /// The services, in file order.
    pub services: Vec<Service>,
    /// The channels, in file order.
    pub channels: Vec<Channel>,
    /// One desk per (channel, service, counterpart) that has officers.
    pub desks: Vec<Desk>,
    /// Behavioural parameters.
    pub params: Params,
    /// Events sorted by date (ties keep file order).
    pub events: Vec<Event>,
    /// Stylized-fact targets, structurally checked (series names are checked by
    /// [`crate::targets::compile`]).
    pub targets: Vec<TargetSpec>,
    /// The effective scenario after `extends` and overrides, as a file would write it.
    pub effective: RawScenario,
}

/// The simulated period and its division into steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    /// First simulated day.
    pub start: Date,
    /// Last simulated day (inclusive).
    pub end: Date,
    /// Days per step.
    pub step_days: u32,
    /// Unrecorded steps run without events before `start` (from `horizon.spin_up` years).
    pub spin_up_steps: u32,
}

impl Timeline {
    /// Number of steps needed to cover `start..=end`.
    pub fn steps(&self) -> usize {
        let days = self.start.days_until(self.end) + 1;
        let step = i64::from(self.step_days.max(1));
        ((days + step - 1) / step).max(1) as usize
    }

    /// The step whose days contain `date` (clamped to the horizon).
    pub fn step_of(&self, date: Date) -> usize {
        let day = self.start.days_until(date).max(0);
        ((day / i64::from(self.step_days.max(1))) as usize).min(self.steps() - 1)
    }

    /// First day of a step.
    pub fn step_start(&self, step: usize) -> Date {
        self.start
            .plus_days(step as i64 * i64::from(self.step_days))
    }

    /// Last day of a step: the date its recorded values refer to (the state at its end).
    pub fn step_date(&self, step: usize) -> Date {
        let last = self
            .step_start(step)
            .plus_days(i64::from(self.step_days) - 1);
        last.min(self.end)
    }

    /// Whether `date` lies within the horizon.
    pub fn contains(&self, date: Date) -> bool {
        self.start <= date && date <= self.end
    }
}

/// A service and its culture.
#[derive(Debug, Clone)]
pub struct Service {
    /// Short name (`us`).
    pub name: String,
    /// Long name for legends.
    pub label: String,
    /// Culture and baseline permission.
    pub spec: ServiceSpec,
}

/// A cooperation channel.
#[derive(Debug, Clone)]
pub struct Channel {
    /// Short name (`ct`).
    pub name: String,
    /// Long name for plot panels.
    pub label: String,
    /// Baseline trust, political sensitivity and baseline threat.
    pub spec: ChannelSpec,
}

/// The officers of one service dealing with one counterpart on one channel.
#[derive(Debug, Clone)]
pub struct Desk {
    /// Index into [`Scenario::channels`].
    pub channel: usize,
    /// Index of the officers' own service.
    pub service: usize,
    /// Index of the counterpart service.
    pub counterpart: usize,
    /// Size and attribute distributions.
    pub population: PopulationSpec,
}

/// A validated event.
#[derive(Debug, Clone)]
pub struct Event {
    /// Unique id.
    pub id: String,
    /// Day it happens.
    pub date: Date,
    /// Last day of a sustained event (equal to `date` for a one-off).
    pub until: Date,
    /// What it does.
    pub kind: EventKind,
    /// Channel indices.
    pub channels: Vec<usize>,
    /// Service indices (catching or hunting service for scandals and mole hunts).
    pub services: Vec<usize>,
    /// Accused service indices (spy scandals).
    pub against: Vec<usize>,
    /// Strength, 0–1.
    pub magnitude: f64,
    /// Publicised or not; `None` draws it from the catching service's publicity.
    pub public: Option<bool>,
    /// Short plot label.
    pub label: String,
    /// Documentation of the episode.
    pub source: Option<String>,
}

impl Scenario {
    /// Index of a service by name.
    pub fn service_index(&self, name: &str) -> Option<usize> {
        self.services.iter().position(|s| s.name == name)
    }

    /// Index of a channel by name.
    pub fn channel_index(&self, name: &str) -> Option<usize> {
        self.channels.iter().position(|c| c.name == name)
    }
}
