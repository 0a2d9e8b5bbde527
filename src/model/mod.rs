//! The agent-based model: services, channels, desks of officers, and the rules that move
//! them each step. It reads a validated [`Scenario`] and knows nothing of files, plots or
//! the command line.
//!
//! One step (a week by default), in order — see `docs/ODD.md`, *process overview*:
//! 1. slow variables relax (threat, engagement, suspicion, permission, fear);
//! 2. the step's dated events act on them;
//! 3. every officer decides whether to share;
//! 4. every counterpart pair exchanges: joint successes, reciprocity, recruitment attempts;
//! 5. officers without contact drift toward the baseline; hidden moles may be exposed;
//! 6. scandals caught this step hit trust, fear and permission;
//! 7. institutional trust adapts to the officers' trust.

mod events;
mod params;
pub mod rules;
pub mod series;
pub mod streams;

pub use params::{ParamInfo, Params};
pub use series::{Measure, SeriesLayout};

use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::scenario::{Dist, Scenario};
use rules::ShareInputs;
use streams::{Purpose, stream, uniforms};

/// One officer (or private expert) on a desk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Officer {
    /// Personal trust in the counterpart service (0–1).
    pub trust: f64,
    /// Career drive to make a mark through cooperation (0–1, fixed for the officer).
    pub ambition: f64,
    /// Fear of being seen as too close to the counterpart (0–1).
    pub fear: f64,
    /// Accumulated foreign-contact exposure (contacts, weighted for experts).
    pub exposure: f64,
    /// A private expert tied to the service rather than a career officer.
    pub expert: bool,
    /// Secretly recruited by the counterpart.
    pub mole: bool,
    /// Shared this step.
    pub shared: bool,
    /// Had a contact with the counterpart this step.
    pub contacted: bool,
    /// Steps before a newcomer takes up the post: until then the slot neither shares nor counts
    /// as active.
    pub vacant: u16,
}

/// A desk's officers and their random streams.
#[derive(Debug, Clone)]
struct DeskState {
    officers: Vec<Officer>,
    /// One stream per officer slot; a newcomer inherits the slot's stream.
    streams: Vec<ChaCha8Rng>,
    /// Institutional trust of the desk's service in its counterpart on the channel.
    trust: f64,
    /// Exchanges initiated this step.
    shared: u32,
}

/// Counterpart desks of one channel, paired slot by slot.
#[derive(Debug, Clone)]
struct PairBlock {
    channel: usize,
    a: usize,
    b: usize,
    /// One stream per pair `k` = (a[k mod |a|], b[k mod |b|]).
    streams: Vec<ChaCha8Rng>,
}

/// A scandal caught this step, applied after all exchanges so their order does not matter.
#[derive(Debug, Clone, Copy)]
struct Scandal {
    channel: usize,
    catcher: usize,
    accused: usize,
    weight: f64,
}

/// The state of one run.
#[derive(Debug, Clone)]
pub struct Model<'a> {
    scenario: &'a Scenario,
    seed: u64,
    run: u32,
    step: usize,
    desks: Vec<DeskState>,
    pairs: Vec<PairBlock>,
    /// Per (channel, service): `channel * services + service`. Governments allow or forbid
    /// cooperation channel by channel (sanctions hit cyber liaison, not counterterrorism).
    permission: Vec<f64>,
    /// Per service: transient counterintelligence alert from leaks.
    suspicion: Vec<f64>,
    /// Per channel.
    threat: Vec<f64>,
    /// Per (channel, service): `channel * services + service`.
    engagement: Vec<f64>,
    /// Per channel, this step.
    successes: Vec<u32>,
    /// Per channel, this step.
    scandals: Vec<u32>,
    pending: Vec<Scandal>,
    /// Scratch buffer for mole-hunt ranking (kept to avoid allocating in the step).
    ranking: Vec<usize>,
}

fn draw(dist: &Dist, rng: &mut ChaCha8Rng) -> f64 {
    if dist.sd <= 0.0 {
        return dist.mean;
    }
    // Validated: sd in (0, 1], mean finite.
    Normal::new(dist.mean, dist.sd)
        .map(|n| n.sample(rng))
        .unwrap_or(dist.mean)
        .clamp(0.0, 1.0)
}

impl<'a> Model<'a> {
    /// Initialises run `run` of `scenario` with master seed `seed`.
    pub fn new(scenario: &'a Scenario, seed: u64, run: u32) -> Model<'a> {
        let n_services = scenario.services.len();
        let desks: Vec<DeskState> = scenario
            .desks
            .iter()
            .map(|desk| {
                let names = desk_names(scenario, desk.channel, desk.service, desk.counterpart);
                let mut init = stream(seed, run, Purpose::Init, &names, &[]);
                let population = &desk.population;
                let officers: Vec<Officer> = (0..population.count)
                    .map(|slot| Officer {
                        trust: draw(&population.trust, &mut init),
                        ambition: draw(&population.ambition, &mut init),
                        fear: draw(&population.fear, &mut init),
                        exposure: 0.0,
                        expert: slot < population.experts,
                        mole: false,
                        shared: false,
                        contacted: false,
                        vacant: 0,
                    })
                    .collect();
                let streams = (0..population.count)
                    .map(|slot| stream(seed, run, Purpose::Officer, &names, &[u64::from(slot)]))
                    .collect();
                DeskState {
                    trust: population.trust.mean,
                    officers,
                    streams,
                    shared: 0,
                }
            })
            .collect();
        let mut pairs = Vec::new();
        for (a, desk) in scenario.desks.iter().enumerate() {
            if desk.service > desk.counterpart {
                continue;
            }
            let Some(b) = scenario.desks.iter().position(|d| {
                d.channel == desk.channel
                    && d.service == desk.counterpart
                    && d.counterpart == desk.service
            }) else {
                continue;
            };
            let names = desk_names(scenario, desk.channel, desk.service, desk.counterpart);
            let n = desks[a].officers.len().max(desks[b].officers.len());
            pairs.push(PairBlock {
                channel: desk.channel,
                a,
                b,
                streams: (0..n)
                    .map(|k| stream(seed, run, Purpose::Pair, &names, &[k as u64]))
                    .collect(),
            });
        }
        let largest = desks.iter().map(|d| d.officers.len()).max().unwrap_or(0);
        let total: usize = desks.iter().map(|d| d.officers.len()).sum();
        Model {
            scenario,
            seed,
            run,
            step: 0,
            permission: scenario
                .channels
                .iter()
                .flat_map(|_| scenario.services.iter().map(|s| s.spec.permission))
                .collect(),
            suspicion: vec![0.0; n_services],
            threat: scenario.channels.iter().map(|c| c.spec.threat).collect(),
            engagement: vec![0.0; scenario.channels.len() * n_services],
            successes: vec![0; scenario.channels.len()],
            scandals: vec![0; scenario.channels.len()],
            // Every pair can raise at most two scandals and every officer one more per step.
            pending: Vec::with_capacity(
                2 * pairs.iter().map(|p| p.streams.len()).sum::<usize>() + total + 16,
            ),
            ranking: Vec::with_capacity(largest),
            desks,
            pairs,
        }
    }

    /// Index of the next step to simulate.
    pub fn current_step(&self) -> usize {
        self.step
    }

    /// Simulates one step; `events` are the indices (into the scenario's events) active in it.
    pub fn step(&mut self, events: &[usize]) {
        self.successes.fill(0);
        self.scandals.fill(0);
        self.relax_slow_variables();
        for &index in events {
            self.apply_event(index);
        }
        self.decide_sharing();
        self.exchange();
        self.drift_and_detect();
        self.apply_scandals();
        self.adapt_institutions();
        self.step += 1;
    }

    fn relax_slow_variables(&mut self) {
        let p = &self.scenario.params;
        for (c, channel) in self.scenario.channels.iter().enumerate() {
            self.threat[c] = rules::relax(self.threat[c], channel.spec.threat, p.threat_decay);
        }
        for e in &mut self.engagement {
            *e *= 1.0 - p.engagement_decay;
        }
        let n_services = self.scenario.services.len();
        for (s, service) in self.scenario.services.iter().enumerate() {
            self.suspicion[s] *= 1.0 - p.suspicion_decay;
            for c in 0..self.scenario.channels.len() {
                let permission = &mut self.permission[c * n_services + s];
                *permission =
                    rules::relax(*permission, service.spec.permission, p.permission_recovery);
            }
        }
        for desk in &mut self.desks {
            for officer in &mut desk.officers {
                officer.fear *= 1.0 - p.fear_decay;
                officer.shared = false;
                officer.contacted = false;
                officer.vacant = officer.vacant.saturating_sub(1);
            }
            desk.shared = 0;
        }
    }

    fn decide_sharing(&mut self) {
        let scenario = self.scenario;
        let p = &scenario.params;
        let n_services = scenario.services.len();
        for (spec, desk) in scenario.desks.iter().zip(&mut self.desks) {
            let service = &scenario.services[spec.service].spec;
            let channel = &scenario.channels[spec.channel].spec;
            let permission = rules::effective_permission(
                self.permission[spec.channel * n_services + spec.service],
                channel.political_sensitivity,
            );
            let threat = self.threat[spec.channel];
            let engagement = self.engagement[spec.channel * n_services + spec.service];
            let mut shared = 0;
            for (officer, rng) in desk.officers.iter_mut().zip(&mut desk.streams) {
                let [u_share] = uniforms::<1>(rng);
                let probability = rules::share_probability(
                    p,
                    &ShareInputs {
                        trust: officer.trust,
                        ambition: officer.ambition,
                        fear: officer.fear,
                        secrecy: service.secrecy,
                        threat,
                        engagement,
                        permission,
                    },
                );
                officer.shared = officer.vacant == 0 && u_share < probability;
                shared += u32::from(officer.shared);
            }
            desk.shared = shared;
        }
    }

    fn exchange(&mut self) {
        let scenario = self.scenario;
        let p = &scenario.params;
        for block in &mut self.pairs {
            let c = block.channel;
            let (sa, sb) = (
                scenario.desks[block.a].service,
                scenario.desks[block.b].service,
            );
            let threat = self.threat[c];
            let (da, db) = two_mut(&mut self.desks, block.a, block.b);
            let (na, nb) = (da.officers.len(), db.officers.len());
            for (k, rng) in block.streams.iter_mut().enumerate() {
                let u: [f64; 8] = uniforms(rng);
                let a = &mut da.officers[k % na];
                let b = &mut db.officers[k % nb];
                if !(a.shared || b.shared) {
                    continue;
                }
                for officer in [&mut *a, &mut *b] {
                    officer.contacted = true;
                    officer.exposure += if officer.expert {
                        p.expert_exposure
                    } else {
                        1.0
                    };
                }
                if a.shared && b.shared {
                    let rate = if u[0] < rules::success_probability(p, threat) {
                        self.successes[c] += 1;
                        p.success_gain
                    } else {
                        p.reciprocity_gain
                    };
                    a.trust = rules::gain(a.trust, rate);
                    b.trust = rules::gain(b.trust, rate);
                } else {
                    let giver = if a.shared { &mut *a } else { &mut *b };
                    giver.trust = rules::cut(giver.trust, p.unreciprocated_cost);
                }
                // Each side may use the contact to recruit the other.
                for (target, own, other, draws) in
                    [(&mut *a, sa, sb, &u[1..4]), (&mut *b, sb, sa, &u[4..7])]
                {
                    let attacker = &scenario.services[other].spec;
                    if draws[0] >= rules::attempt_probability(p, attacker.aggressiveness) {
                        continue;
                    }
                    let defender = &scenario.services[own].spec;
                    if draws[1] < rules::catch_probability(defender.vigilance, self.suspicion[own])
                    {
                        let public = u[7] < defender.publicity;
                        self.pending.push(Scandal {
                            channel: c,
                            catcher: own,
                            accused: other,
                            weight: rules::scandal_weight(p, 1.0, public),
                        });
                    } else if draws[2] < rules::turn_probability(p, target.fear) {
                        target.mole = true;
                    }
                }
            }
        }
    }

    fn drift_and_detect(&mut self) {
        let scenario = self.scenario;
        let p = &scenario.params;
        for d in 0..self.desks.len() {
            let spec = &scenario.desks[d];
            let baseline = scenario.channels[spec.channel].spec.baseline_trust;
            let service = &scenario.services[spec.service].spec;
            let detection = rules::mole_detection_probability(
                p,
                service.vigilance,
                self.suspicion[spec.service],
            );
            for slot in 0..self.desks[d].officers.len() {
                let desk = &mut self.desks[d];
                let [u_detect, u_public] = uniforms::<2>(&mut desk.streams[slot]);
                let officer = &mut desk.officers[slot];
                if !officer.contacted {
                    officer.trust = rules::relax(officer.trust, baseline, p.trust_drift);
                }
                if officer.mole && u_detect < detection {
                    let public = u_public < service.publicity;
                    self.pending.push(Scandal {
                        channel: spec.channel,
                        catcher: spec.service,
                        accused: spec.counterpart,
                        weight: rules::scandal_weight(p, 1.0, public),
                    });
                    self.replace(d, slot);
                }
            }
        }
    }

    /// Removes the officer in `slot` of desk `d` and seats a newcomer with low trust.
    fn replace(&mut self, d: usize, slot: usize) {
        let scenario = self.scenario;
        let spec = &scenario.desks[d];
        let names = desk_names(scenario, spec.channel, spec.service, spec.counterpart);
        let mut rng = stream(
            self.seed,
            self.run,
            Purpose::Newcomer,
            &names,
            &[slot as u64, self.step as u64],
        );
        let p = &scenario.params;
        let officer = &mut self.desks[d].officers[slot];
        *officer = Officer {
            trust: p.newcomer_trust,
            ambition: draw(&spec.population.ambition, &mut rng),
            fear: p.newcomer_fear,
            exposure: 0.0,
            expert: officer.expert,
            mole: false,
            shared: false,
            contacted: false,
            vacant: p.vacancy_steps.round() as u16,
        };
    }

    fn apply_scandals(&mut self) {
        for index in 0..self.pending.len() {
            let scandal = self.pending[index];
            self.scandal(scandal);
        }
        self.pending.clear();
    }

    /// A caught spy: trust collapses on the channel (mostly on the catching side), fear spreads
    /// through the catching service, its government withdraws permission.
    fn scandal(&mut self, s: Scandal) {
        let scenario = self.scenario;
        let p = &scenario.params;
        self.scandals[s.channel] += 1;
        for (spec, desk) in scenario.desks.iter().zip(&mut self.desks) {
            if spec.channel != s.channel {
                if spec.service == s.catcher {
                    for officer in &mut desk.officers {
                        officer.fear =
                            rules::gain(officer.fear, p.scandal_fear * p.fear_spread * s.weight);
                    }
                }
                continue;
            }
            if spec.service == s.catcher && spec.counterpart == s.accused {
                desk.trust = rules::cut(desk.trust, p.scandal_trust_cut * s.weight);
                for officer in &mut desk.officers {
                    officer.trust = rules::cut(officer.trust, p.scandal_officer_cut * s.weight);
                }
            } else if spec.service == s.accused && spec.counterpart == s.catcher {
                desk.trust = rules::cut(desk.trust, p.scandal_backlash_cut * s.weight);
            }
            if spec.service == s.catcher {
                for officer in &mut desk.officers {
                    officer.fear = rules::gain(officer.fear, p.scandal_fear * s.weight);
                }
            }
        }
        let permission = &mut self.permission[s.channel * scenario.services.len() + s.catcher];
        *permission = (*permission - p.scandal_permission_drop * s.weight).clamp(0.0, 1.0);
    }

    fn adapt_institutions(&mut self) {
        let rate = self.scenario.params.institutional_adaptation;
        for desk in &mut self.desks {
            if desk.officers.is_empty() {
                continue;
            }
            let mean =
                desk.officers.iter().map(|o| o.trust).sum::<f64>() / desk.officers.len() as f64;
            desk.trust = rules::relax(desk.trust, mean, rate);
        }
    }

    /// Writes the current value of every series of `layout` into `out`.
    pub fn observe(&self, layout: &SeriesLayout, out: &mut [f64]) {
        let scenario = self.scenario;
        for (value, measure) in out.iter_mut().zip(&layout.measures) {
            *value = match *measure {
                Measure::Trust { desk } => self.desks[desk].trust,
                Measure::Sharing { channel, service } => scenario
                    .desks
                    .iter()
                    .zip(&self.desks)
                    .filter(|(d, _)| d.channel == channel && d.service == service)
                    .map(|(_, s)| f64::from(s.shared))
                    .sum(),
                Measure::Successes { channel } => f64::from(self.successes[channel]),
                Measure::Scandals { channel } => f64::from(self.scandals[channel]),
                Measure::Fear { service } => {
                    let (sum, count) = self
                        .officers_of(service)
                        .fold((0.0, 0usize), |(s, n), o| (s + o.fear, n + 1));
                    if count == 0 { 0.0 } else { sum / count as f64 }
                }
                Measure::Permission { service } => {
                    let n = scenario.services.len();
                    let channels = scenario.channels.len();
                    (0..channels)
                        .map(|c| self.permission[c * n + service])
                        .sum::<f64>()
                        / channels as f64
                }
                Measure::Officers { service } => {
                    self.officers_of(service).filter(|o| o.vacant == 0).count() as f64
                }
                Measure::Moles { service } => {
                    self.officers_of(service).filter(|o| o.mole).count() as f64
                }
            };
        }
    }

    fn officers_of(&self, service: usize) -> impl Iterator<Item = &Officer> {
        self.scenario
            .desks
            .iter()
            .zip(&self.desks)
            .filter(move |(d, _)| d.service == service)
            .flat_map(|(_, s)| s.officers.iter())
    }

    /// The officers of desk `desk` (for tests and inspection).
    pub fn officers(&self, desk: usize) -> &[Officer] {
        &self.desks[desk].officers
    }

    /// Institutional trust of desk `desk`.
    pub fn institutional_trust(&self, desk: usize) -> f64 {
        self.desks[desk].trust
    }
}

fn desk_names(
    scenario: &Scenario,
    channel: usize,
    service: usize,
    counterpart: usize,
) -> [&str; 3] {
    [
        scenario.channels[channel].name.as_str(),
        scenario.services[service].name.as_str(),
        scenario.services[counterpart].name.as_str(),
    ]
}

/// Two distinct mutable elements of a slice.
fn two_mut<T>(items: &mut [T], i: usize, j: usize) -> (&mut T, &mut T) {
    debug_assert_ne!(i, j);
    if i < j {
        let (left, right) = items.split_at_mut(j);
        (&mut left[i], &mut right[0])
    } else {
        let (left, right) = items.split_at_mut(i);
        (&mut right[0], &mut left[j])
    }
}
