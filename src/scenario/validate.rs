//! Checks a [`RawScenario`] and resolves its names into a [`Scenario`].
//!
//! Errors carry the dotted key of the offending value; the loader turns the key into a file,
//! line and column.

use std::collections::HashSet;

use super::raw::{Dist, EventKind, RawScenario};
use super::{Channel, Desk, Event, Scenario, ScenarioError, Service, Timeline};
use crate::model::Params;

/// Most officers a single desk may hold: far above any liaison office, low enough to catch typos.
const MAX_DESK_SIZE: u32 = 100_000;
/// Most runs an ensemble may request, in a file or with `--runs`.
pub const MAX_RUNS: u32 = 10_000_000;
/// Most services: desks and series grow with the square of their number.
pub const MAX_SERVICES: usize = 50;
/// Most channels.
pub const MAX_CHANNELS: usize = 50;
/// Most events: the schedule holds each sustained event once per step.
pub const MAX_EVENTS: usize = 10_000;
/// Most targets.
pub const MAX_TARGETS: usize = 1_000;
/// Most steps in a horizon (a thousand years of weeks is far beyond any use).
pub const MAX_STEPS: usize = 100_000;
/// Longest name or label, in characters: they are plot titles and legends.
pub const MAX_LABEL: usize = 200;

type Result<T> = std::result::Result<T, ScenarioError>;

/// Validates `raw` into a runnable scenario.
pub fn validate(raw: RawScenario) -> Result<Scenario> {
    check_label(
        "name",
        &raw.name,
        "name",
        "a short title for plots and reports",
    )?;
    let timeline = timeline(&raw)?;
    for (key, count, max, what) in [
        ("services", raw.services.len(), MAX_SERVICES, "services"),
        ("channels", raw.channels.len(), MAX_CHANNELS, "channels"),
        ("event", raw.events.len(), MAX_EVENTS, "events"),
        ("target", raw.targets.len(), MAX_TARGETS, "targets"),
    ] {
        if count > max {
            return Err(ScenarioError::at_key(
                key,
                format!("{count} {what}, expected at most {max}"),
            ));
        }
    }
    if raw.run.runs == 0 || raw.run.runs > MAX_RUNS {
        return Err(ScenarioError::at_key(
            "run.runs",
            format!(
                "{} runs requested, expected a count from 1 to {MAX_RUNS}",
                raw.run.runs
            ),
        ));
    }
    let services = services(&raw)?;
    let channels = channels(&raw)?;
    let desks = desks(&raw, &services, &channels)?;
    params(&raw.params)?;
    let events = events(&raw, &timeline, &services, &channels)?;
    crate::targets::check_structure(&raw.targets, &timeline)?;
    Ok(Scenario {
        name: raw.name.clone(),
        description: raw.description.clone(),
        timeline,
        seed: raw.run.seed,
        runs: raw.run.runs,
        services,
        channels,
        desks,
        params: raw.params.clone(),
        events,
        targets: raw.targets.clone(),
        effective: raw,
    })
}

/// A value in `[min, max]` and not NaN.
pub(crate) fn check_range(key: &str, value: f64, min: f64, max: f64) -> Result<()> {
    if value.is_finite() && (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ScenarioError::at_key(
            key,
            format!("{value} is out of range, expected a number from {min} to {max}"),
        ))
    }
}

/// A name or label that is shown: not blank, at most [`MAX_LABEL`] characters.
pub(crate) fn check_label(key: &str, text: &str, what: &str, expected: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(ScenarioError::at_key(
            key,
            format!("empty {what}, expected {expected}"),
        ));
    }
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(ScenarioError::at_key(
            key,
            format!(
                "{what} contains the control character U+{:04X}, expected printable text on one line",
                u32::from(c)
            ),
        ));
    }
    let length = text.chars().count();
    if length > MAX_LABEL {
        return Err(ScenarioError::at_key(
            key,
            format!("{what} of {length} characters, expected at most {MAX_LABEL}"),
        ));
    }
    Ok(())
}

/// The same name twice in a list (`channels = ["ct", "ct"]`) would apply an event twice.
fn check_unique(key: &str, names: &[String]) -> Result<()> {
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            return Err(ScenarioError::at_key(
                key,
                format!("`{name}` is listed twice, expected each name once"),
            ));
        }
    }
    Ok(())
}

/// Names become parts of series names, paths and `--set` keys: keep them simple.
pub(crate) fn check_name(key: &str, name: &str, what: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ScenarioError::at_key(
            key,
            format!("`{name}` is not a valid {what}, expected 1–64 letters, digits, `-` or `_`"),
        ))
    }
}

/// The longest spin-up a scenario may ask for, in years.
pub const MAX_SPIN_UP_YEARS: f64 = 50.0;

/// Days in a year, for converting `horizon.spin_up` into steps.
const DAYS_PER_YEAR: f64 = 365.25;

fn timeline(raw: &RawScenario) -> Result<Timeline> {
    let h = &raw.horizon;
    if h.end <= h.start {
        return Err(ScenarioError::at_key(
            "horizon.end",
            format!(
                "end {} is not after start {}, expected a later date",
                h.end, h.start
            ),
        ));
    }
    if h.step_days == 0 || h.step_days > 366 {
        return Err(ScenarioError::at_key(
            "horizon.step_days",
            format!("{} days per step, expected 1 to 366", h.step_days),
        ));
    }
    if !(h.spin_up.is_finite() && (0.0..=MAX_SPIN_UP_YEARS).contains(&h.spin_up)) {
        return Err(ScenarioError::at_key(
            "horizon.spin_up",
            format!(
                "{} years of spin-up, expected a number of years from 0 to {MAX_SPIN_UP_YEARS}",
                h.spin_up
            ),
        ));
    }
    let timeline = Timeline {
        start: h.start,
        end: h.end,
        step_days: h.step_days,
        spin_up_steps: (h.spin_up * DAYS_PER_YEAR / f64::from(h.step_days)).ceil() as u32,
    };
    if timeline.steps() > MAX_STEPS {
        return Err(ScenarioError::at_key(
            "horizon.end",
            format!(
                "{} … {} is {} steps of {} days, expected at most {MAX_STEPS} steps (a shorter horizon or longer steps)",
                h.start,
                h.end,
                timeline.steps(),
                h.step_days
            ),
        ));
    }
    Ok(timeline)
}

fn services(raw: &RawScenario) -> Result<Vec<Service>> {
    if raw.services.len() < 2 {
        return Err(ScenarioError::at_key(
            "services",
            format!(
                "{} service(s) defined, expected at least two",
                raw.services.len()
            ),
        ));
    }
    raw.services
        .iter()
        .map(|(name, spec)| {
            let key = |field: &str| format!("services.{name}.{field}");
            check_name(&format!("services.{name}"), name, "service name")?;
            for (field, value) in [
                ("secrecy", spec.secrecy),
                ("vigilance", spec.vigilance),
                ("publicity", spec.publicity),
                ("aggressiveness", spec.aggressiveness),
                ("permission", spec.permission),
            ] {
                check_range(&key(field), value, 0.0, 1.0)?;
            }
            let label = if spec.label.is_empty() {
                name.clone()
            } else {
                check_label(
                    &key("label"),
                    &spec.label,
                    "label",
                    "a long name for legends",
                )?;
                spec.label.clone()
            };
            Ok(Service {
                name: name.clone(),
                label,
                spec: spec.clone(),
            })
        })
        .collect()
}

fn channels(raw: &RawScenario) -> Result<Vec<Channel>> {
    if raw.channels.is_empty() {
        return Err(ScenarioError::at_key(
            "channels",
            "no channel defined, expected at least one",
        ));
    }
    raw.channels
        .iter()
        .map(|(name, spec)| {
            check_name(&format!("channels.{name}"), name, "channel name")?;
            for (field, value) in [
                ("baseline_trust", spec.baseline_trust),
                ("political_sensitivity", spec.political_sensitivity),
                ("threat", spec.threat),
            ] {
                check_range(&format!("channels.{name}.{field}"), value, 0.0, 1.0)?;
            }
            let label = if spec.label.is_empty() {
                name.clone()
            } else {
                check_label(
                    &format!("channels.{name}.label"),
                    &spec.label,
                    "label",
                    "a long name for plot panels",
                )?;
                spec.label.clone()
            };
            Ok(Channel {
                name: name.clone(),
                label,
                spec: spec.clone(),
            })
        })
        .collect()
}

fn check_dist(key: &str, dist: &Dist) -> Result<()> {
    check_range(&format!("{key}.mean"), dist.mean, 0.0, 1.0)?;
    check_range(&format!("{key}.sd"), dist.sd, 0.0, 1.0)
}

fn desks(raw: &RawScenario, services: &[Service], channels: &[Channel]) -> Result<Vec<Desk>> {
    let service_names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    let channel_names: Vec<&str> = channels.iter().map(|c| c.name.as_str()).collect();
    for (service, by_channel) in &raw.officers {
        if !service_names.contains(&service.as_str()) {
            return Err(ScenarioError::at_key(
                format!("officers.{service}"),
                format!(
                    "`{service}` is not a defined service, expected one of: {}",
                    service_names.join(", ")
                ),
            ));
        }
        for (channel, population) in by_channel {
            let key = format!("officers.{service}.{channel}");
            if !channel_names.contains(&channel.as_str()) {
                return Err(ScenarioError::at_key(
                    &key,
                    format!(
                        "`{channel}` is not a defined channel, expected one of: {}",
                        channel_names.join(", ")
                    ),
                ));
            }
            if population.count > MAX_DESK_SIZE {
                return Err(ScenarioError::at_key(
                    format!("{key}.count"),
                    format!(
                        "{} officers, expected at most {MAX_DESK_SIZE}",
                        population.count
                    ),
                ));
            }
            if population.experts > population.count {
                return Err(ScenarioError::at_key(
                    format!("{key}.experts"),
                    format!(
                        "{} experts but only {} officers, expected experts ≤ count",
                        population.experts, population.count
                    ),
                ));
            }
            check_dist(&format!("{key}.trust"), &population.trust)?;
            check_dist(&format!("{key}.ambition"), &population.ambition)?;
            check_dist(&format!("{key}.fear"), &population.fear)?;
        }
    }
    let mut desks = Vec::new();
    for (c, channel) in channels.iter().enumerate() {
        for (s, service) in services.iter().enumerate() {
            let Some(population) = raw
                .officers
                .get(&service.name)
                .and_then(|m| m.get(&channel.name))
            else {
                continue;
            };
            if population.count == 0 {
                continue;
            }
            for t in (0..services.len()).filter(|&t| t != s) {
                desks.push(Desk {
                    channel: c,
                    service: s,
                    counterpart: t,
                    population: population.clone(),
                });
            }
        }
    }
    if desks.is_empty() {
        return Err(ScenarioError::at_key(
            "officers",
            "no officers defined, expected at least one population with count > 0",
        ));
    }
    Ok(desks)
}

fn params(params: &Params) -> Result<()> {
    for (info, value) in Params::INFO.iter().zip(params.values()) {
        check_range(&format!("params.{}", info.name), value, info.min, info.max)?;
    }
    Ok(())
}

fn resolve(key: &str, names: &[String], known: &[&str], what: &str) -> Result<Vec<usize>> {
    names
        .iter()
        .map(|name| {
            known.iter().position(|k| k == name).ok_or_else(|| {
                ScenarioError::at_key(
                    key,
                    format!(
                        "`{name}` is not a defined {what}, expected one of: {}",
                        known.join(", ")
                    ),
                )
            })
        })
        .collect()
}

fn events(
    raw: &RawScenario,
    timeline: &Timeline,
    services: &[Service],
    channels: &[Channel],
) -> Result<Vec<Event>> {
    let service_names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    let channel_names: Vec<&str> = channels.iter().map(|c| c.name.as_str()).collect();
    let mut seen = HashSet::new();
    let mut events = Vec::with_capacity(raw.events.len());
    for (index, spec) in raw.events.iter().enumerate() {
        check_name(&format!("event.#{index}.id"), &spec.id, "event id")?;
        if !seen.insert(spec.id.as_str()) {
            return Err(ScenarioError::at_key(
                format!("event.#{index}.id"),
                format!(
                    "duplicate event id `{}`, expected every event id to be unique",
                    spec.id
                ),
            ));
        }
        let key = |field: &str| format!("event.{}.{field}", spec.id);
        if !timeline.contains(spec.date) {
            return Err(ScenarioError::at_key(
                key("date"),
                format!(
                    "{} is outside the horizon, expected a date from {} to {}",
                    spec.date, timeline.start, timeline.end
                ),
            ));
        }
        let until = spec.until.unwrap_or(spec.date);
        if until < spec.date || !timeline.contains(until) {
            return Err(ScenarioError::at_key(
                key("until"),
                format!(
                    "{until} is before the event's date or outside the horizon, expected a date from {} to {}",
                    spec.date, timeline.end
                ),
            ));
        }
        check_range(&key("magnitude"), spec.magnitude, 0.0, 1.0)?;
        check_label(
            &key("label"),
            &spec.label,
            "label",
            "a short text for plots",
        )?;
        if spec.channels.is_empty() {
            return Err(ScenarioError::at_key(
                key("channels"),
                "no channel, expected at least one channel name",
            ));
        }
        if spec.services.is_empty() {
            return Err(ScenarioError::at_key(
                key("services"),
                "no service, expected at least one service name",
            ));
        }
        check_unique(&key("channels"), &spec.channels)?;
        check_unique(&key("services"), &spec.services)?;
        if let Some(against) = &spec.against {
            check_unique(&key("against"), against)?;
        }
        let channel_ids = resolve(&key("channels"), &spec.channels, &channel_names, "channel")?;
        let service_ids = resolve(&key("services"), &spec.services, &service_names, "service")?;
        let scandal = spec.kind == EventKind::SpyScandal;
        if spec.public.is_some()
            && !matches!(spec.kind, EventKind::SpyScandal | EventKind::MoleHunt)
        {
            return Err(ScenarioError::at_key(
                key("public"),
                format!(
                    "`public` applies to spy_scandal and mole_hunt events, not to {}",
                    spec.kind.name()
                ),
            ));
        }
        let against = match (&spec.against, scandal) {
            (Some(_), false) => {
                return Err(ScenarioError::at_key(
                    key("against"),
                    format!(
                        "`against` applies to spy_scandal events, not to {}",
                        spec.kind.name()
                    ),
                ));
            }
            (Some(names), true) => resolve(&key("against"), names, &service_names, "service")?,
            (None, _) => (0..services.len())
                .filter(|s| !service_ids.contains(s))
                .collect(),
        };
        if scandal && (against.is_empty() || against.iter().any(|a| service_ids.contains(a))) {
            return Err(ScenarioError::at_key(
                key("against"),
                "a spy scandal needs accused services distinct from the catching `services`",
            ));
        }
        events.push(Event {
            id: spec.id.clone(),
            date: spec.date,
            until,
            kind: spec.kind,
            channels: channel_ids,
            services: service_ids,
            against,
            magnitude: spec.magnitude,
            public: spec.public,
            label: spec.label.clone(),
            source: spec.source.clone(),
        });
    }
    events.sort_by_key(|e| e.date);
    Ok(events)
}
