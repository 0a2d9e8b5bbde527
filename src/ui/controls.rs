//! What a page may tweak in a scenario, described for the browser: every value with its
//! key, current value, documented default and range, grouped as `docs/ODD.md` groups them.
//! Built from the scenario's own structure and [`Params::INFO`], never from a list of names,
//! so new fields and parameters show up without touching the page.

use std::sync::OnceLock;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::model::Params;
use crate::scenario::{ChannelSpec, EventKind, Loaded, ServiceSpec, get_value};

/// One tweakable number.
#[derive(Debug, Clone, Serialize)]
pub struct Control {
    /// Dotted key, as `--set` takes it.
    pub key: String,
    /// Short label (the field's name).
    pub label: String,
    /// The scenario's value.
    pub value: f64,
    /// The documented default, when the field has one.
    pub default: Option<f64>,
    /// Smallest admissible value.
    pub min: f64,
    /// Largest admissible value.
    pub max: f64,
    /// Upper end of the slider (the admissible range can be far wider than useful).
    pub slider_max: f64,
    /// Whole numbers only.
    pub integer: bool,
    /// What it means.
    pub doc: String,
    /// Why it cannot be tweaked here, if it cannot.
    pub fixed: Option<String>,
}

/// Controls under a heading (one service, one channel, one population).
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// The controls.
    pub controls: Vec<Control>,
}

/// A group of sections, as in `docs/ODD.md`.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// Heading.
    pub title: String,
    /// Where the group is described.
    pub doc: String,
    /// The sections.
    pub sections: Vec<Section>,
}

/// One event of the timeline, as the page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    /// Id.
    pub id: String,
    /// Date (`YYYY-MM-DD`).
    pub date: String,
    /// Last day of a sustained event.
    pub until: Option<String>,
    /// Kind name.
    pub kind: &'static str,
    /// Channels.
    pub channels: Vec<String>,
    /// Services.
    pub services: Vec<String>,
    /// Accused services.
    pub against: Option<Vec<String>>,
    /// Magnitude, 0–1.
    pub magnitude: f64,
    /// Public, quiet, or drawn (`None`).
    pub public: Option<bool>,
    /// Label.
    pub label: String,
    /// Source.
    pub source: Option<String>,
}

/// A name with its label.
#[derive(Debug, Clone, Serialize)]
pub struct Named {
    /// Short name.
    pub name: String,
    /// Long name.
    pub label: String,
}

/// Everything the page needs to draw the controls of one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioView {
    /// Catalog id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// First day.
    pub start: String,
    /// Last day.
    pub end: String,
    /// Default seed.
    pub seed: u64,
    /// Default runs.
    pub runs: u32,
    /// The value groups.
    pub groups: Vec<Group>,
    /// The event timeline.
    pub events: Vec<EventView>,
    /// Services.
    pub services: Vec<Named>,
    /// Channels.
    pub channels: Vec<Named>,
    /// Event kinds an added event may have.
    pub kinds: Vec<&'static str>,
}

/// Every event kind, for the page's "add an event" form.
const KINDS: [EventKind; 7] = [
    EventKind::CommonThreat,
    EventKind::JointSuccess,
    EventKind::SpyScandal,
    EventKind::PoliticalShock,
    EventKind::Outreach,
    EventKind::MoleHunt,
    EventKind::Leak,
];

/// Fails to compile when a kind is added to the model but not to [`KINDS`].
const fn listed(kind: EventKind) -> bool {
    match kind {
        EventKind::CommonThreat
        | EventKind::JointSuccess
        | EventKind::SpyScandal
        | EventKind::PoliticalShock
        | EventKind::Outreach
        | EventKind::MoleHunt
        | EventKind::Leak => true,
    }
}

/// A field documented in `docs/ODD.md`: its meaning and admissible range.
#[derive(Debug, Clone, Default)]
struct FieldDoc {
    meaning: String,
    range: Option<(f64, f64)>,
}

/// The field tables of `docs/ODD.md` (rows like ``| `secrecy` | meaning | default | range |``),
/// read once: the page documents scenario fields with the same words as the model
/// description, which `tests/docs.rs` keeps in step with the code.
fn field_docs() -> &'static IndexMap<String, FieldDoc> {
    static DOCS: OnceLock<IndexMap<String, FieldDoc>> = OnceLock::new();
    DOCS.get_or_init(|| parse_field_docs(include_str!("../../docs/ODD.md")))
}

fn parse_field_docs(markdown: &str) -> IndexMap<String, FieldDoc> {
    let mut docs = IndexMap::new();
    for line in markdown.lines() {
        let cells: Vec<&str> = line.trim().trim_matches('|').split(" | ").collect();
        let [name, meaning, _default, range] = cells[..] else {
            continue;
        };
        let Some(name) = name
            .trim()
            .strip_prefix('`')
            .and_then(|n| n.strip_suffix('`'))
        else {
            continue;
        };
        if name.contains(['`', ' ', '(']) || docs.contains_key(name) {
            continue;
        }
        let range = range
            .split_once('[')
            .and_then(|(_, r)| r.split_once(']'))
            .and_then(|(r, _)| r.split_once(','))
            .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
        docs.insert(
            name.to_string(),
            FieldDoc {
                meaning: meaning.trim().replace('`', ""),
                range,
            },
        );
    }
    docs
}

fn doc(field: &str) -> FieldDoc {
    field_docs().get(field).cloned().unwrap_or_default()
}

/// The numeric fields of a serialisable spec, with the defaults of an empty table.
fn number_fields<T: Serialize + for<'de> Deserialize<'de>>(
    spec: &T,
) -> Vec<(String, f64, Option<f64>)> {
    let as_table = |v: &T| match toml::Value::try_from(v) {
        Ok(toml::Value::Table(t)) => t,
        _ => toml::Table::new(),
    };
    let defaults = T::deserialize(toml::Table::new())
        .ok()
        .map(|d| as_table(&d))
        .unwrap_or_default();
    as_table(spec)
        .into_iter()
        .filter_map(|(field, value)| {
            let number = |v: &toml::Value| v.as_float().or(v.as_integer().map(|i| i as f64));
            let default = defaults.get(&field).and_then(number);
            number(&value).map(|v| (field, v, default))
        })
        .collect()
}

fn control(key: String, field: &str, value: f64, default: Option<f64>) -> Control {
    let FieldDoc { meaning, range } = doc(field);
    let (min, max) = range.unwrap_or((0.0, 1.0));
    Control {
        key,
        label: field.to_string(),
        value,
        default,
        min,
        max,
        slider_max: max,
        integer: false,
        doc: meaning,
        fixed: None,
    }
}

/// The page's description of `loaded`, listed under catalog id `id`.
pub fn describe(id: &str, loaded: &Loaded) -> ScenarioView {
    let scenario = &loaded.scenario;
    let raw = &scenario.effective;
    debug_assert!(KINDS.iter().all(|&k| listed(k)));
    let services = raw
        .services
        .iter()
        .map(|(name, spec)| Section {
            title: section_title(name, &spec.label),
            controls: number_fields::<ServiceSpec>(spec)
                .into_iter()
                .map(|(f, v, d)| control(format!("services.{name}.{f}"), &f, v, d))
                .collect(),
        })
        .collect();
    let channels = raw
        .channels
        .iter()
        .map(|(name, spec)| Section {
            title: section_title(name, &spec.label),
            controls: number_fields::<ChannelSpec>(spec)
                .into_iter()
                .map(|(f, v, d)| control(format!("channels.{name}.{f}"), &f, v, d))
                .collect(),
        })
        .collect();
    let params = Params::INFO
        .iter()
        .zip(scenario.params.values())
        .map(|(info, value)| Control {
            key: format!("params.{}", info.name),
            label: info.name.to_string(),
            value,
            default: Some(info.default),
            min: info.min,
            max: info.max,
            slider_max: info.max,
            integer: false,
            doc: info.doc.to_string(),
            fixed: None,
        })
        .collect();
    // A what-if's `[set]` can change a distribution's mean only where the full scenario file
    // writes the distribution: the last source is that file.
    let base_table: toml::Table = loaded
        .sources
        .last()
        .and_then(|s| s.text.parse().ok())
        .unwrap_or_default();
    let mut populations = Vec::new();
    for (service, by_channel) in &raw.officers {
        for (channel, population) in by_channel {
            let key = format!("officers.{service}.{channel}");
            let mut controls = Vec::new();
            let mut count = control(
                format!("{key}.count"),
                "count",
                f64::from(population.count),
                None,
            );
            count.integer = true;
            count.slider_max = (4.0 * count.value).max(40.0).min(count.max);
            controls.push(count);
            let mut experts = control(
                format!("{key}.experts"),
                "experts",
                f64::from(population.experts),
                Some(0.0),
            );
            experts.integer = true;
            experts.max = f64::from(population.count);
            experts.slider_max = experts.max;
            controls.push(experts);
            for (field, dist) in [
                ("trust", population.trust),
                ("ambition", population.ambition),
                ("fear", population.fear),
            ] {
                let written = get_value(&base_table, &format!("{key}.{field}")).is_some();
                for (part, value) in [("mean", dist.mean), ("sd", dist.sd)] {
                    let mut c = control(format!("{key}.{field}.{part}"), field, value, None);
                    c.label = format!("{field} {part}");
                    c.min = 0.0;
                    c.max = 1.0;
                    c.slider_max = 1.0;
                    if !written {
                        c.fixed = Some(format!(
                            "the default; write `{field}` in [{key}] of the scenario file to tweak it"
                        ));
                    }
                    controls.push(c);
                }
            }
            populations.push(Section {
                title: format!("{service} on {channel}"),
                controls,
            });
        }
    }
    let groups = vec![
        Group {
            title: "Services' culture".into(),
            doc: "[services.<name>] — ODD section 2".into(),
            sections: services,
        },
        Group {
            title: "Channels".into(),
            doc: "[channels.<name>] — ODD section 2".into(),
            sections: channels,
        },
        Group {
            title: "Model parameters".into(),
            doc: "[params] — ODD section 7.14".into(),
            sections: vec![Section {
                title: "params".into(),
                controls: params,
            }],
        },
        Group {
            title: "Officer populations".into(),
            doc: "[officers.<service>.<channel>] — ODD section 2".into(),
            sections: populations,
        },
    ];
    ScenarioView {
        id: id.to_string(),
        name: scenario.name.clone(),
        description: scenario.description.clone(),
        start: scenario.timeline.start.to_string(),
        end: scenario.timeline.end.to_string(),
        seed: scenario.seed,
        runs: scenario.runs,
        groups,
        events: raw
            .events
            .iter()
            .map(|e| EventView {
                id: e.id.clone(),
                date: e.date.to_string(),
                until: e.until.map(|d| d.to_string()),
                kind: e.kind.name(),
                channels: e.channels.clone(),
                services: e.services.clone(),
                against: e.against.clone(),
                magnitude: e.magnitude,
                public: e.public,
                label: e.label.clone(),
                source: e.source.clone(),
            })
            .collect(),
        services: scenario
            .services
            .iter()
            .map(|s| Named {
                name: s.name.clone(),
                label: s.label.clone(),
            })
            .collect(),
        channels: scenario
            .channels
            .iter()
            .map(|c| Named {
                name: c.name.clone(),
                label: c.label.clone(),
            })
            .collect(),
        kinds: KINDS.iter().map(|k| k.name()).collect(),
    }
}

fn section_title(name: &str, label: &str) -> String {
    if label.is_empty() || label == name {
        name.to_string()
    } else {
        format!("{name} — {label}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_field_tables_give_meanings_and_ranges() {
        let secrecy = doc("secrecy");
        assert!(secrecy.meaning.contains("sharing"), "{}", secrecy.meaning);
        assert_eq!(secrecy.range, Some((0.0, 1.0)));
        assert_eq!(doc("count").range, Some((0.0, 100000.0)));
        assert!(doc("no-such-field").meaning.is_empty());
    }

    #[test]
    fn every_parameter_and_culture_field_gets_a_control() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/us-russia-2011-2017.toml");
        let loaded = crate::scenario::load(&path).unwrap();
        let view = describe("us", &loaded);
        let keys: Vec<&str> = view
            .groups
            .iter()
            .flat_map(|g| &g.sections)
            .flat_map(|s| &s.controls)
            .map(|c| c.key.as_str())
            .collect();
        for info in Params::INFO {
            assert!(keys.contains(&format!("params.{}", info.name).as_str()));
        }
        assert!(keys.contains(&"services.ru.publicity"));
        assert!(keys.contains(&"channels.cyber.baseline_trust"));
        assert!(keys.contains(&"officers.ru.cyber.trust.mean"));
        let fogle = view.events.iter().find(|e| e.id == "fogle").unwrap();
        assert_eq!(fogle.kind, "spy_scandal");
        assert_eq!(view.kinds.len(), KINDS.len());
    }
}
