//! The scenario file as written: serde structures that mirror the TOML, with documented
//! defaults. Unknown keys are rejected here; ranges and cross-references are checked in
//! [`super::validate`].

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::date::Date;
use crate::model::Params;
use crate::targets::TargetSpec;

/// A complete scenario file (after `extends` and `--set` have been applied).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Human-readable name, used in plot titles.
    pub name: String,
    /// What the scenario represents or asks.
    #[serde(default)]
    pub description: String,
    /// The simulated period and its step.
    pub horizon: Horizon,
    /// Default seed and ensemble size.
    #[serde(default)]
    pub run: RunSettings,
    /// The services, keyed by short name (`us`, `ru`).
    pub services: IndexMap<String, ServiceSpec>,
    /// The cooperation channels, keyed by short name (`ct`, `cyber`).
    pub channels: IndexMap<String, ChannelSpec>,
    /// Officer populations: `officers.<service>.<channel>`.
    pub officers: IndexMap<String, IndexMap<String, PopulationSpec>>,
    /// Behavioural parameters of the rules.
    #[serde(default)]
    pub params: Params,
    /// The dated event timeline (`[[event]]`).
    #[serde(default, rename = "event", skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventSpec>,
    /// Stylized facts to check against the ensemble (`[[target]]`).
    #[serde(default, rename = "target", skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<TargetSpec>,
}

/// The simulated period: `[horizon]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Horizon {
    /// First simulated day.
    pub start: Date,
    /// Last simulated day (inclusive).
    pub end: Date,
    /// Length of a step in days (default 7: a week).
    #[serde(default = "default_step_days")]
    pub step_days: u32,
    /// Years of unrecorded steps run without events before `start`, so that a run starts from
    /// the model's own equilibrium for the scenario's conditions (default 1).
    #[serde(default = "default_spin_up")]
    pub spin_up: f64,
}

fn default_step_days() -> u32 {
    7
}

fn default_spin_up() -> f64 {
    1.0
}

/// Default seed and number of runs: `[run]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSettings {
    /// Master seed of every random stream (default 1).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Number of runs in the ensemble (default 200).
    #[serde(default = "default_runs")]
    pub runs: u32,
}

fn default_seed() -> u64 {
    1
}
fn default_runs() -> u32 {
    200
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            seed: default_seed(),
            runs: default_runs(),
        }
    }
}

/// A service's culture: `[services.<name>]`. All values are on a 0–1 scale.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// Long name for legends (default: the key).
    #[serde(default)]
    pub label: String,
    /// How strongly the culture discourages sharing with foreigners (default 0.5).
    #[serde(default = "half")]
    pub secrecy: f64,
    /// Probability that counterintelligence catches a recruitment attempt on its officers (default 0.3).
    #[serde(default = "default_vigilance")]
    pub vigilance: f64,
    /// Probability that a caught spy is publicised rather than handled quietly (default 0.5).
    #[serde(default = "half")]
    pub publicity: f64,
    /// How readily its officers use a contact to attempt a recruitment (default 0.5).
    #[serde(default = "half")]
    pub aggressiveness: f64,
    /// Baseline political permission to cooperate; events move it and it returns here (default 0.7).
    #[serde(default = "default_permission")]
    pub permission: f64,
}

fn half() -> f64 {
    0.5
}
fn default_vigilance() -> f64 {
    0.3
}
fn default_permission() -> f64 {
    0.7
}

/// A cooperation channel: `[channels.<name>]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSpec {
    /// Long name for plot panels (default: the key).
    #[serde(default)]
    pub label: String,
    /// Trust that officers drift back to without contact (default 0.2).
    #[serde(default = "default_baseline")]
    pub baseline_trust: f64,
    /// How much political permission matters on this channel, 0 (not at all) to 1 (fully) (default 0.5).
    #[serde(default = "half")]
    pub political_sensitivity: f64,
    /// Baseline level of the common threat the services face on this channel (default 0.1).
    #[serde(default = "default_threat")]
    pub threat: f64,
}

fn default_baseline() -> f64 {
    0.2
}
fn default_threat() -> f64 {
    0.1
}

/// A normal distribution clipped to 0–1, for heterogeneous officer attributes.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dist {
    /// Mean (0–1).
    pub mean: f64,
    /// Standard deviation (0–1; 0 makes every officer equal).
    #[serde(default)]
    pub sd: f64,
}

/// The officers of one service on one channel: `[officers.<service>.<channel>]`.
///
/// With more than two services, each counterpart service gets a desk of `count` officers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSpec {
    /// Number of officers per counterpart service.
    pub count: u32,
    /// How many of them are private experts tied to the service (counted in `count`).
    #[serde(default)]
    pub experts: u32,
    /// Initial personal trust in the counterpart.
    pub trust: Dist,
    /// Ambition: the career drive to make a mark through cooperation.
    #[serde(default = "default_ambition")]
    pub ambition: Dist,
    /// Initial fear.
    #[serde(default = "default_fear")]
    pub fear: Dist,
}

fn default_ambition() -> Dist {
    Dist { mean: 0.5, sd: 0.2 }
}
fn default_fear() -> Dist {
    Dist {
        mean: 0.1,
        sd: 0.05,
    }
}

/// The kinds of dated events; each feeds a mechanism of the model (see `docs/ODD.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Raises the channels' common threat by `magnitude`.
    CommonThreat,
    /// A dated joint success: officers of the listed services on the channels gain trust.
    JointSuccess,
    /// The listed services catch a spy of the `against` services: a scandal on the channels.
    SpyScandal,
    /// The listed services' governments withdraw permission; officers on the channels grow wary.
    PoliticalShock,
    /// The listed services reach out: permission and engagement on the channels rise.
    Outreach,
    /// The listed services hunt moles on the channels, sweeping up the most exposed officers.
    MoleHunt,
    /// A publication raises the listed services' counterintelligence suspicion.
    Leak,
}

impl EventKind {
    /// The name used in scenario files and CSV.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::CommonThreat => "common_threat",
            EventKind::JointSuccess => "joint_success",
            EventKind::SpyScandal => "spy_scandal",
            EventKind::PoliticalShock => "political_shock",
            EventKind::Outreach => "outreach",
            EventKind::MoleHunt => "mole_hunt",
            EventKind::Leak => "leak",
        }
    }
}

/// One dated event: `[[event]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// Unique identifier (letters, digits, `-`, `_`), used by `--set event.<id>.<key>` and `remove_events`.
    pub id: String,
    /// The day it happens.
    pub date: Date,
    /// Optional last day: the effect repeats every step from `date` to `until` (a sustained event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
    /// What kind of event it is.
    pub kind: EventKind,
    /// The channels it touches.
    pub channels: Vec<String>,
    /// The services it touches (for a spy scandal or mole hunt: the catching or hunting service).
    pub services: Vec<String>,
    /// For a spy scandal: the accused services (default: every service not in `services`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub against: Option<Vec<String>>,
    /// Strength, 0–1 (default 1).
    #[serde(default = "one")]
    pub magnitude: f64,
    /// For a spy scandal or mole hunt: publicised (`true`) or quiet (`false`); when absent, drawn
    /// from the catching service's `publicity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
    /// Short label for plots.
    pub label: String,
    /// Where the episode is documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

fn one() -> f64 {
    1.0
}

/// A what-if file: a small file that `extends` a base scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWhatIf {
    /// Path of the base scenario, relative to this file.
    pub extends: String,
    /// Name of the variant (default: the base's).
    #[serde(default)]
    pub name: Option<String>,
    /// What the variant asks (default: the base's).
    #[serde(default)]
    pub description: Option<String>,
    /// Ids of base events to remove.
    #[serde(default)]
    pub remove_events: Vec<String>,
    /// Ids of base targets to remove.
    #[serde(default)]
    pub remove_targets: Vec<String>,
    /// Events to add.
    #[serde(default, rename = "event")]
    pub events: Vec<toml::Table>,
    /// Targets to add.
    #[serde(default, rename = "target")]
    pub targets: Vec<toml::Table>,
    /// Overrides by dotted path, exactly as `--set` takes them.
    #[serde(default)]
    pub set: toml::Table,
}
