//! The series the model reports each step (Mesa's `DataCollector`, declared once): their
//! names as in `summary.csv`, and what each one reads from the model.

use crate::scenario::Scenario;

/// What one series measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Institutional trust of a desk's service in its counterpart (0–1).
    Trust {
        /// Desk index.
        desk: usize,
    },
    /// Exchanges initiated by a service's officers on a channel this step.
    Sharing {
        /// Channel index.
        channel: usize,
        /// Service index.
        service: usize,
    },
    /// Joint successes on a channel this step.
    Successes {
        /// Channel index.
        channel: usize,
    },
    /// Spy scandals on a channel this step.
    Scandals {
        /// Channel index.
        channel: usize,
    },
    /// Mean fear of a service's officers (0–1).
    Fear {
        /// Service index.
        service: usize,
    },
    /// A service's political permission (0–1), averaged over channels.
    Permission {
        /// Service index.
        service: usize,
    },
    /// Active officers of a service (posts being filled after a removal do not count).
    Officers {
        /// Service index.
        service: usize,
    },
    /// Hidden moles inside a service (officers recruited by a counterpart).
    Moles {
        /// Service index.
        service: usize,
    },
}

/// The ordered list of series for a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesLayout {
    /// Series names, e.g. `trust.ct.ru.us`.
    pub names: Vec<String>,
    /// What each series measures, parallel to `names`.
    pub measures: Vec<Measure>,
    /// The desks each series sums over (sharing: the service's desks on the channel; fear,
    /// officers, moles: the service's desks), parallel to `names`; empty for the others.
    pub desks: Vec<Vec<usize>>,
    /// The series grouped by kind of measure, for observing a model step after step.
    pub(crate) by_kind: ByKind,
}

/// The series of a layout arranged for observing a model step after step (observing runs
/// after every step): one pass over the desks writes or adds to every series that reads a
/// desk, then one short loop per remaining kind, with no branch per series on what it
/// measures (a branch that changes at every series is mispredicted).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ByKind {
    /// Per desk, in desk order: the series it writes or adds to.
    pub desks: Vec<DeskSeries>,
    /// The series that add up over desks (sharing, fear, officers, moles): zero before the
    /// pass over the desks.
    pub sums: Vec<usize>,
    /// (series, the service's officers) of each mean fear: the sum of the desks' fear is
    /// divided by the officers after the pass (0 for a service without officers).
    pub fear: Vec<(usize, usize)>,
    pub successes: Vec<(usize, usize)>,
    pub scandals: Vec<(usize, usize)>,
    pub permission: Vec<(usize, usize)>,
}

/// The series one desk enters: its trust, and the sums over desks it belongs to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DeskSeries {
    /// `trust.<channel>.<service>.<counterpart>`: the desk's institutional trust.
    pub trust: usize,
    /// `sharing.<channel>.<service>`: adds the desk's exchanges initiated this step.
    pub sharing: usize,
    /// `fear.<service>`: adds the desk's sum of fear.
    pub fear: usize,
    /// `officers.<service>`: adds the desk's filled posts.
    pub officers: usize,
    /// `moles.<service>`: adds the desk's hidden moles.
    pub moles: usize,
}

impl ByKind {
    /// The arrangement of `measures` (and the desks of each sum, `desks`) for `scenario`.
    fn of(measures: &[Measure], desks: &[Vec<usize>], scenario: &Scenario) -> ByKind {
        let mut by_kind = ByKind::default();
        let unset = DeskSeries {
            trust: usize::MAX,
            sharing: usize::MAX,
            fear: usize::MAX,
            officers: usize::MAX,
            moles: usize::MAX,
        };
        by_kind.desks = vec![unset; scenario.desks.len()];
        for (series, measure) in measures.iter().enumerate() {
            let members = desks[series].iter().copied();
            match *measure {
                Measure::Trust { desk } => by_kind.desks[desk].trust = series,
                Measure::Sharing { .. } => {
                    by_kind.sums.push(series);
                    members.for_each(|d| by_kind.desks[d].sharing = series);
                }
                Measure::Successes { channel } => by_kind.successes.push((series, channel)),
                Measure::Scandals { channel } => by_kind.scandals.push((series, channel)),
                Measure::Fear { .. } => {
                    by_kind.sums.push(series);
                    let officers = desks[series]
                        .iter()
                        .map(|&d| scenario.desks[d].population.count as usize)
                        .sum();
                    by_kind.fear.push((series, officers));
                    members.for_each(|d| by_kind.desks[d].fear = series);
                }
                Measure::Permission { service } => by_kind.permission.push((series, service)),
                Measure::Officers { .. } => {
                    by_kind.sums.push(series);
                    members.for_each(|d| by_kind.desks[d].officers = series);
                }
                Measure::Moles { .. } => {
                    by_kind.sums.push(series);
                    members.for_each(|d| by_kind.desks[d].moles = series);
                }
            }
        }
        // Every desk has its trust series and belongs to one sharing, fear, officers and moles
        // series (those of its channel and service, and of its service).
        debug_assert!(by_kind.desks.iter().all(|d| {
            [d.trust, d.sharing, d.fear, d.officers, d.moles]
                .iter()
                .all(|&s| s < measures.len())
        }));
        by_kind
    }
}

impl SeriesLayout {
    /// The series of `scenario`: trust per desk, then sharing, successes, scandals, fear,
    /// permission, officers and moles.
    pub fn new(scenario: &Scenario) -> SeriesLayout {
        let mut layout = SeriesLayout {
            names: Vec::new(),
            measures: Vec::new(),
            desks: Vec::new(),
            by_kind: ByKind::default(),
        };
        let service = |i: usize| scenario.services[i].name.as_str();
        for (index, desk) in scenario.desks.iter().enumerate() {
            let channel = &scenario.channels[desk.channel].name;
            layout.push(
                format!(
                    "trust.{channel}.{}.{}",
                    service(desk.service),
                    service(desk.counterpart)
                ),
                Measure::Trust { desk: index },
            );
        }
        for (c, channel) in scenario.channels.iter().enumerate() {
            for s in 0..scenario.services.len() {
                if scenario
                    .desks
                    .iter()
                    .any(|d| d.channel == c && d.service == s)
                {
                    layout.push(
                        format!("sharing.{}.{}", channel.name, service(s)),
                        Measure::Sharing {
                            channel: c,
                            service: s,
                        },
                    );
                }
            }
        }
        for (c, channel) in scenario.channels.iter().enumerate() {
            layout.push(
                format!("successes.{}", channel.name),
                Measure::Successes { channel: c },
            );
        }
        for (c, channel) in scenario.channels.iter().enumerate() {
            layout.push(
                format!("scandals.{}", channel.name),
                Measure::Scandals { channel: c },
            );
        }
        type Make = fn(usize) -> Measure;
        let per_service: [(&str, Make); 4] = [
            ("fear", |s| Measure::Fear { service: s }),
            ("permission", |s| Measure::Permission { service: s }),
            ("officers", |s| Measure::Officers { service: s }),
            ("moles", |s| Measure::Moles { service: s }),
        ];
        for (prefix, make) in per_service {
            for s in 0..scenario.services.len() {
                layout.push(format!("{prefix}.{}", service(s)), make(s));
            }
        }
        layout.resolve_desks(scenario);
        layout.by_kind = ByKind::of(&layout.measures, &layout.desks, scenario);
        layout
    }

    fn push(&mut self, name: String, measure: Measure) {
        self.names.push(name);
        self.measures.push(measure);
        self.desks.push(Vec::new());
    }

    /// Fills in the desks each aggregated series sums over.
    fn resolve_desks(&mut self, scenario: &Scenario) {
        // Grouped once, so that large scenarios are not scanned once per series.
        let mut by_channel_service = std::collections::HashMap::<(usize, usize), Vec<usize>>::new();
        let mut by_service = vec![Vec::new(); scenario.services.len()];
        for (i, d) in scenario.desks.iter().enumerate() {
            by_channel_service
                .entry((d.channel, d.service))
                .or_default()
                .push(i);
            by_service[d.service].push(i);
        }
        for (measure, desks) in self.measures.iter().zip(&mut self.desks) {
            *desks = match *measure {
                Measure::Sharing { channel, service } => by_channel_service
                    .get(&(channel, service))
                    .cloned()
                    .unwrap_or_default(),
                Measure::Fear { service }
                | Measure::Officers { service }
                | Measure::Moles { service } => by_service[service].clone(),
                _ => Vec::new(),
            };
        }
    }

    /// The number of series [`SeriesLayout::new`] would give `scenario`, counted without
    /// building them (for memory estimates of very large scenarios).
    pub fn count(scenario: &Scenario) -> usize {
        let mut channel_services = std::collections::HashSet::new();
        for d in &scenario.desks {
            channel_services.insert((d.channel, d.service));
        }
        scenario.desks.len()
            + channel_services.len()
            + 2 * scenario.channels.len()
            + 4 * scenario.services.len()
    }

    /// Number of series.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are no series.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Index of a series by exact name.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}
