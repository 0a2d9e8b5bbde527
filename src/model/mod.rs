//! The agent-based model: services, channels, desks of officers, and the rules that move
//! them each step. It reads a validated [`Scenario`] and knows nothing of files, plots or
//! the command line.
//!
//! One step (a week by default), in order — see `docs/ODD.md`, *process overview*:
//! 1. slow variables relax (threat, engagement, suspicion, permission);
//! 2. the step's dated events act on them, on trust (betrayals) and on officers;
//! 3. every officer on a filled post decides whether to share;
//! 4. every counterpart pair exchanges: joint successes, reciprocity, recruitment attempts;
//! 5. every officer's trust fades toward its desk's memory level and fear fades; hidden
//!    moles may be exposed;
//! 6. scandals caught this step act: betrayal of the catching side, backlash, fear,
//!    permission;
//! 7. memories heal by the step's reciprocated exchanges and institutional trust adapts to the
//!    officers' trust.
//!
//! Before the first recorded step, `horizon.spin_up` years of steps run without events, so
//! that a run starts from the model's own equilibrium for the scenario's conditions.

mod decide;
mod events;
mod exchange;
mod fade;
mod four;
mod officers;
mod params;
pub mod rules;
pub mod series;
pub mod streams;

pub use officers::Officer;
pub use params::{ParamInfo, Params};
pub use series::{Measure, SeriesLayout};

use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::scenario::{Dist, Scenario};
use exchange::{BlockStep, Side};
use officers::{LANES, Officers};
use streams::{Stream, StreamKeys};

/// A desk's officers, its memory and its random streams.
#[derive(Debug, Clone)]
struct DeskState {
    /// What the desk's rules read from the scenario.
    inputs: DeskInputs,
    officers: Officers,
    /// Share decisions: word `step·n + slot`.
    share: Stream,
    /// Routine mole detection: word `step·n + slot`.
    detect: Stream,
    /// Rare draws: words `8·(step·n + slot) + j`.
    rare: Stream,
    /// The desk's part of the sharing logit this step ([`rules::desk_logit`]).
    share_base: f64,
    /// The effective permission on the desk's channel this step, in [0, 1].
    share_permission: f64,
    /// Institutional trust of the desk's service in its counterpart on the channel.
    trust: f64,
    /// The memory level: what the desk's trust fades back to. Betrayals lower it; only joint
    /// successes bring it back toward the channel baseline.
    memory: f64,
    /// Reciprocated exchanges (joint successes included) of the desk's officers this step.
    exchanges: u32,
    /// Exchanges initiated this step.
    shared: u32,
    /// Sums over the officers, for institutional adaptation and the series.
    tally: Tally,
}

/// What a desk's rules read from the scenario, looked up once per run: the step reads them
/// for every desk, and a lookup through the scenario's desks, services and channels costs
/// more than the rule that uses it.
#[derive(Debug, Clone, Copy)]
struct DeskInputs {
    /// The desk's channel.
    channel: usize,
    /// `channel · services + service`: the desk's cell of permission and engagement.
    cell: usize,
    /// The secrecy of the desk's service.
    secrecy: f64,
    /// The political sensitivity of the desk's channel.
    sensitivity: f64,
    /// The baseline trust of the desk's channel: what memory heals toward.
    baseline: f64,
}

impl DeskInputs {
    fn of(scenario: &Scenario, desk: &crate::scenario::Desk) -> DeskInputs {
        let channel = &scenario.channels[desk.channel].spec;
        DeskInputs {
            channel: desk.channel,
            cell: desk.channel * scenario.services.len() + desk.service,
            secrecy: scenario.services[desk.service].spec.secrecy,
            sensitivity: channel.political_sensitivity,
            baseline: channel.baseline_trust,
        }
    }
}

/// Sums over a desk's officers. Taken in the fading pass (stage 5) and kept exact by the
/// changes that follow in the step (replacements, betrayals, fear from scandals), so that the
/// end of the step needs no second pass over the officers.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Tally {
    /// Sum of the officers' trust.
    trust: f64,
    /// Sum of the officers' fear.
    fear: f64,
    /// Filled posts in the current step.
    filled: u32,
    /// Hidden moles.
    moles: u32,
    /// The step the counts are for: `filled` depends on it, so a tally taken in an earlier
    /// step is not updated (events come before the fading pass, which takes it afresh).
    step: u32,
}

impl Tally {
    /// The sums over `officers` in step `step`.
    fn of(officers: &[Officer], step: u32) -> Tally {
        let mut tally = Tally {
            step,
            ..Tally::default()
        };
        for o in officers {
            tally.add(o, step);
        }
        tally
    }

    fn add(&mut self, o: &Officer, step: u32) {
        self.add_fields(o.trust, o.fear, step >= o.filled_from, o.mole);
    }

    #[inline]
    fn add_fields(&mut self, trust: f64, fear: f64, filled: bool, mole: bool) {
        self.trust += trust;
        self.fear += fear;
        self.filled += u32::from(filled);
        self.moles += u32::from(mole);
    }

    fn remove(&mut self, o: &Officer, step: u32) {
        self.trust -= o.trust;
        self.fear -= o.fear;
        self.filled -= u32::from(step >= o.filled_from);
        self.moles -= u32::from(o.mole);
    }
}

/// Counterpart desks of one channel, paired slot by slot.
#[derive(Debug, Clone)]
struct PairBlock {
    channel: usize,
    a: usize,
    b: usize,
    /// Sides `A` and `B` as targets of recruitment attempts (their catch probability is set
    /// each step from the target's vigilance and suspicion).
    sides: [Side; 2],
    /// Pairs `k = 0 … pairs−1` = (a[k mod |a|], b[k mod |b|]).
    pairs: usize,
    /// Contact draws: words `2·(step·pairs + k) + j`.
    contact: Stream,
    /// Rare draws: words `8·(step·pairs + k) + j`.
    rare: Stream,
}

/// Word offsets within a desk slot's eight rare words.
mod desk_rare_word {
    pub const DETECTED_PUBLIC: u64 = 0;
    /// The newcomer's ambition starts here (a normal variate may read several words).
    pub const NEWCOMER: u64 = 4;
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
    keys: &'a StreamKeys,
    run: u32,
    /// Steps simulated so far, spin-up included: the position in every stream.
    step: u32,
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
    /// The logistic bracket table of the share decision.
    brackets: &'static rules::LogisticBrackets,
    /// Scratch for a desk's share words of a step (as long as the largest desk, padded).
    words: Vec<u32>,
    /// Scratch for a pair block's contact words of a step (two per pair of the largest block,
    /// padded).
    pair_words: Vec<u32>,
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
    /// Initialises run `run` of `scenario` with the stream keys of its master seed
    /// (`StreamKeys::new(scenario, seed)`, derived once for all runs). The spin-up has not
    /// run yet: see [`Model::spin_up`].
    pub fn new(scenario: &'a Scenario, keys: &'a StreamKeys, run: u32) -> Model<'a> {
        let n_services = scenario.services.len();
        let desks: Vec<DeskState> = scenario
            .desks
            .iter()
            .zip(&keys.desks)
            .map(|(desk, desk_keys)| {
                let mut init = streams::sequential(&desk_keys.init, run);
                let population = &desk.population;
                let officers: Vec<Officer> = (0..population.count)
                    .map(|slot| {
                        let trust = draw(&population.trust, &mut init);
                        let ambition = draw(&population.ambition, &mut init);
                        let fear = draw(&population.fear, &mut init);
                        Officer {
                            trust,
                            ambition,
                            fear,
                            disposition: fear,
                            exposure: 0.0,
                            filled_from: 0,
                            expert: slot < population.experts,
                            mole: false,
                            shared: false,
                        }
                    })
                    .collect();
                DeskState {
                    inputs: DeskInputs::of(scenario, desk),
                    tally: Tally::of(&officers, 0),
                    trust: population.trust.mean,
                    memory: scenario.channels[desk.channel].spec.baseline_trust,
                    officers: Officers::new(&officers, scenario.params.expert_exposure),
                    share: Stream::new(&desk_keys.share, run),
                    detect: Stream::new(&desk_keys.detect, run),
                    rare: Stream::new(&desk_keys.rare, run),
                    exchanges: 0,
                    shared: 0,
                    share_base: 0.0,
                    share_permission: 0.0,
                }
            })
            .collect();
        let pairs: Vec<PairBlock> = keys
            .blocks
            .iter()
            .map(|block| PairBlock {
                channel: scenario.desks[block.a].channel,
                a: block.a,
                b: block.b,
                sides: {
                    let (sa, sb) = (
                        scenario.desks[block.a].service,
                        scenario.desks[block.b].service,
                    );
                    let side = |own: usize, other: usize| Side {
                        own,
                        other,
                        attempt: rules::attempt_probability(
                            &scenario.params,
                            scenario.services[other].spec.aggressiveness,
                        ),
                        vigilance: scenario.services[own].spec.vigilance,
                        catch: 0.0,
                        publicity: scenario.services[own].spec.publicity,
                    };
                    [side(sa, sb), side(sb, sa)]
                },
                pairs: desks[block.a]
                    .officers
                    .len()
                    .max(desks[block.b].officers.len()),
                contact: Stream::new(&block.contact, run),
                rare: Stream::new(&block.rare, run),
            })
            .collect();
        let largest = desks.iter().map(|d| d.officers.lanes()).max().unwrap_or(0);
        let total: usize = desks.iter().map(|d| d.officers.len()).sum();
        Model {
            scenario,
            keys,
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
                2 * pairs.iter().map(|p| p.pairs).sum::<usize>() + total + 16,
            ),
            ranking: Vec::with_capacity(largest),
            brackets: rules::LogisticBrackets::get(),
            words: vec![0; largest],
            pair_words: vec![
                0;
                2 * pairs
                    .iter()
                    .map(|p| p.pairs.next_multiple_of(LANES))
                    .max()
                    .unwrap_or(0)
            ],
            desks,
            pairs,
        }
    }

    /// Runs the scenario's spin-up: `timeline.spin_up_steps` steps without events, which are
    /// not recorded. Call once, before the first recorded step.
    pub fn spin_up(&mut self) {
        for _ in 0..self.scenario.timeline.spin_up_steps {
            self.step(&[]);
        }
    }

    /// Steps simulated so far, spin-up included.
    pub fn current_step(&self) -> usize {
        self.step as usize
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
        self.fade_and_detect();
        self.apply_scandals();
        self.heal_and_adapt();
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
    }

    fn decide_sharing(&mut self) {
        let scenario = self.scenario;
        let p = &scenario.params;
        for desk in &mut self.desks {
            let inputs = desk.inputs;
            let cell = inputs.cell;
            let permission = rules::effective_permission(self.permission[cell], inputs.sensitivity)
                .clamp(0.0, 1.0);
            let base = rules::desk_logit(
                p,
                inputs.secrecy,
                self.threat[inputs.channel],
                self.engagement[cell],
            );
            desk.share_base = base;
            desk.share_permission = permission;
        }
        let decisions = decide::StepDecisions {
            step: self.step,
            weights: rules::OfficerWeights::of(p),
            brackets: self.brackets,
        };
        decide::decide_desks(&mut self.desks, decisions, &mut self.words);
    }

    fn exchange(&mut self) {
        let scenario = self.scenario;
        let p = &scenario.params;
        let step = self.step;
        for block in &mut self.pairs {
            let c = block.channel;
            let [mut side_a, mut side_b] = block.sides;
            for side in [&mut side_a, &mut side_b] {
                side.catch = rules::catch_probability(side.vigilance, self.suspicion[side.own]);
            }
            let pairs = block.pairs;
            let first_pair = u64::from(step) * pairs as u64;
            // The step's contact words of the block (two per pair, contiguous, and a few after
            // them for the padding's pairs, which are never in contact), read at once.
            let words = block.contact.words(
                2 * first_pair,
                &mut self.pair_words[..2 * pairs.next_multiple_of(LANES)],
            );
            let mut exchange = BlockStep {
                p,
                channel: c,
                p_success: rules::success_probability(p, self.threat[c]),
                side_a,
                side_b,
                first_pair,
                rare: &mut block.rare,
                pending: &mut self.pending,
            };
            let (da, db) = two_mut(&mut self.desks, block.a, block.b);
            let (exchanges, successes) =
                exchange.run(&mut da.officers, &mut db.officers, step, pairs, words);
            da.exchanges += exchanges;
            db.exchanges += exchanges;
            self.successes[c] += successes;
        }
    }

    /// Every officer's trust fades toward the desk's memory and fear fades; hidden moles may
    /// be exposed by routine counterintelligence.
    #[inline(never)]
    fn fade_and_detect(&mut self) {
        let scenario = self.scenario;
        let p = &scenario.params;
        fade::fade_desks(&mut self.desks, self.step, p.trust_drift, p.fear_decay);
        let step = u64::from(self.step);
        for d in 0..self.desks.len() {
            let tally = self.desks[d].tally;
            if tally.moles == 0 {
                continue;
            }
            let spec = &scenario.desks[d];
            let service = &scenario.services[spec.service].spec;
            let detection = rules::mole_detection_probability(
                p,
                service.vigilance,
                self.suspicion[spec.service],
            );
            let n = self.desks[d].officers.len();
            for slot in 0..n {
                if !self.desks[d].officers.mole[slot] {
                    continue;
                }
                let index = step * n as u64 + slot as u64;
                if self.desks[d].detect.uniform(index) >= detection {
                    continue;
                }
                let public = self.desks[d]
                    .rare
                    .uniform(8 * index + desk_rare_word::DETECTED_PUBLIC)
                    < service.publicity;
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

    /// Removes the officer in `slot` of desk `d` and seats a newcomer: the desk's memory as
    /// trust, newcomer fear, a fresh ambition; the post stays empty for `vacancy_steps`.
    fn replace(&mut self, d: usize, slot: usize) {
        let scenario = self.scenario;
        let spec = &scenario.desks[d];
        let p = &scenario.params;
        let step = self.step;
        let desk = &mut self.desks[d];
        let index = u64::from(step) * desk.officers.len() as u64 + slot as u64;
        let mut rng = desk
            .rare
            .sequential_at(8 * index + desk_rare_word::NEWCOMER);
        let memory = desk.memory;
        let officer = desk.officers.get(slot);
        let ambition = draw(&spec.population.ambition, &mut rng);
        let disposition = draw(&spec.population.fear, &mut rng);
        // Before this step's fading pass the tally is stale and about to be retaken.
        let current = desk.tally.step == step;
        if current {
            desk.tally.remove(&officer, step);
        }
        let newcomer = Officer {
            trust: memory,
            ambition,
            fear: p.newcomer_fear,
            disposition,
            exposure: 0.0,
            filled_from: step.saturating_add(rules::vacancy(p)),
            expert: officer.expert,
            mole: false,
            shared: false,
        };
        desk.officers.set(slot, newcomer);
        if current {
            desk.tally.add(&newcomer, step);
        }
    }

    fn apply_scandals(&mut self) {
        for index in 0..self.pending.len() {
            let scandal = self.pending[index];
            self.scandal(scandal);
        }
        self.pending.clear();
    }

    /// A caught spy: the catching side is betrayed on the channel, the accused side suffers
    /// backlash, fear spreads through the catching service, its government withdraws
    /// permission.
    fn scandal(&mut self, s: Scandal) {
        let scenario = self.scenario;
        let p = &scenario.params;
        self.scandals[s.channel] += 1;
        for d in 0..self.desks.len() {
            let spec = &scenario.desks[d];
            if spec.channel == s.channel
                && spec.service == s.catcher
                && spec.counterpart == s.accused
            {
                self.betray(d, s.weight);
            } else if spec.channel == s.channel
                && spec.service == s.accused
                && spec.counterpart == s.catcher
            {
                let desk = &mut self.desks[d];
                desk.trust = rules::cut(desk.trust, p.backlash_cut * s.weight);
            }
            if spec.service == s.catcher {
                let spread = if spec.channel == s.channel {
                    1.0
                } else {
                    p.fear_spread
                };
                let rate = p.scandal_fear * spread * s.weight;
                let desk = &mut self.desks[d];
                for fear in desk.officers.fear_mut() {
                    *fear = rules::gain(*fear, rate);
                }
                // Each gain adds rate·(1 − φ): the sum gains rate·(n − Σφ).
                let n = desk.officers.len() as f64;
                desk.tally.fear += rate.clamp(0.0, 1.0) * (n - desk.tally.fear);
            }
        }
        let permission = &mut self.permission[s.channel * scenario.services.len() + s.catcher];
        *permission = (*permission - p.scandal_permission_drop * s.weight).clamp(0.0, 1.0);
    }

    /// A betrayal of weight `w` felt by desk `d`: its institutional trust, its officers'
    /// trust and its memory are cut.
    fn betray(&mut self, d: usize, w: f64) {
        let p = &self.scenario.params;
        let desk = &mut self.desks[d];
        desk.trust = rules::cut(desk.trust, p.betrayal_trust_cut * w);
        desk.memory = rules::cut(desk.memory, p.memory_cut * w);
        let cut = p.betrayal_officer_cut * w;
        for trust in desk.officers.trust_mut() {
            *trust = rules::cut(*trust, cut);
        }
        desk.tally.trust = rules::cut(desk.tally.trust, cut);
    }

    /// Memories heal by the step's reciprocated exchanges; institutional trust moves toward the
    /// officers' mean trust (from the desk's tally).
    fn heal_and_adapt(&mut self) {
        let scenario = self.scenario;
        let p = &scenario.params;
        for desk in &mut self.desks {
            let n = desk.officers.len();
            if desk.exchanges > 0 && n > 0 {
                desk.memory = rules::heal(
                    desk.memory,
                    desk.inputs.baseline,
                    p.memory_repair,
                    f64::from(desk.exchanges) / n as f64,
                );
                desk.exchanges = 0;
            }
            if n > 0 {
                let mean = desk.tally.trust / n as f64;
                desk.trust = rules::relax(desk.trust, mean, p.institutional_adaptation);
            }
        }
    }

    /// Writes the current value of every series of `layout` into `out` (after a step: the
    /// state at its end).
    pub fn observe(&self, layout: &SeriesLayout, out: &mut [f64]) {
        let n_services = self.scenario.services.len();
        let channels = self.scenario.channels.len();
        let by_kind = &layout.by_kind;
        for &series in &by_kind.sums {
            out[series] = 0.0;
        }
        // Desk after desk, in desk order: each sum adds its desks in that order.
        for (desk, series) in self.desks.iter().zip(&by_kind.desks) {
            out[series.trust] = desk.trust;
            out[series.sharing] += f64::from(desk.shared);
            out[series.fear] += desk.tally.fear;
            out[series.officers] += f64::from(desk.tally.filled);
            out[series.moles] += f64::from(desk.tally.moles);
        }
        for &(series, officers) in &by_kind.fear {
            out[series] = if officers == 0 {
                0.0
            } else {
                out[series] / officers as f64
            };
        }
        for &(series, channel) in &by_kind.successes {
            out[series] = f64::from(self.successes[channel]);
        }
        for &(series, channel) in &by_kind.scandals {
            out[series] = f64::from(self.scandals[channel]);
        }
        for &(series, service) in &by_kind.permission {
            out[series] = (0..channels)
                .map(|c| self.permission[c * n_services + service])
                .sum::<f64>()
                / channels as f64;
        }
    }

    /// The officers of desk `desk`, in slot order (for tests and inspection; allocates).
    pub fn officers(&self, desk: usize) -> Vec<Officer> {
        self.desks[desk].officers.to_vec()
    }

    /// Institutional trust of desk `desk`.
    pub fn institutional_trust(&self, desk: usize) -> f64 {
        self.desks[desk].trust
    }

    /// Memory level of desk `desk`: what its trust fades back to.
    pub fn memory(&self, desk: usize) -> f64 {
        self.desks[desk].memory
    }
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

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use crate::runner::{Prepared, run_once};

    /// The records of runs 0–5 of `scenario` (a path from the crate root), as bits.
    fn records(path: &str) -> Vec<u64> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        let loaded = crate::scenario::load(&path).expect("bundled scenario");
        let prepared = Prepared::new(&loaded.scenario, 7);
        let mut record = vec![0.0; prepared.record_len()];
        let mut bits = Vec::new();
        for run in 0..6 {
            run_once(&prepared, run, &mut record);
            bits.extend(record.iter().map(|v| v.to_bits()));
        }
        bits
    }

    /// Every series of `layout` that sums over desks, computed desk by desk from the model's
    /// officers one by one (and its desks' counts of decisions to share).
    fn series_from_officers(
        model: &super::Model,
        scenario: &crate::scenario::Scenario,
        layout: &super::SeriesLayout,
    ) -> Vec<f64> {
        use super::Measure;
        // The step just simulated: the one whose filled posts the series count.
        let step = model.current_step() as u32 - 1;
        let desks_of = |wanted: &dyn Fn(&crate::scenario::Desk) -> bool| -> Vec<usize> {
            (0..scenario.desks.len())
                .filter(|&d| wanted(&scenario.desks[d]))
                .collect()
        };
        let count = |d: usize, counted: &dyn Fn(&super::Officer) -> bool| {
            model.officers(d).iter().filter(|o| counted(o)).count() as f64
        };
        layout
            .measures
            .iter()
            .map(|measure| match *measure {
                Measure::Trust { desk } => model.institutional_trust(desk),
                // The decisions of the step (an officer replaced since has lost its flag).
                Measure::Sharing { channel, service } => {
                    desks_of(&|d| d.channel == channel && d.service == service)
                        .into_iter()
                        .map(|d| f64::from(model.desks[d].shared))
                        .sum()
                }
                Measure::Fear { service } => {
                    let officers: Vec<_> = desks_of(&|d| d.service == service)
                        .into_iter()
                        .flat_map(|d| model.officers(d))
                        .collect();
                    let fear: f64 = officers.iter().map(|o| o.fear).sum();
                    if officers.is_empty() {
                        0.0
                    } else {
                        fear / officers.len() as f64
                    }
                }
                Measure::Officers { service } => desks_of(&|d| d.service == service)
                    .into_iter()
                    .map(|d| count(d, &|o| step >= o.filled_from))
                    .sum(),
                Measure::Moles { service } => desks_of(&|d| d.service == service)
                    .into_iter()
                    .map(|d| count(d, &|o| o.mole))
                    .sum(),
                // Read from the model's counters and permissions as they are.
                Measure::Successes { .. }
                | Measure::Scandals { .. }
                | Measure::Permission { .. } => f64::NAN,
            })
            .collect()
    }

    #[test]
    fn observed_series_add_up_the_officers_of_their_desks() {
        // Three services (so several desks per service and channel), unequal desks, experts,
        // recruitment, mole hunts and scandals.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/three-services-unequal.toml");
        let loaded = crate::scenario::load(&path).expect("fixture");
        let scenario = &loaded.scenario;
        let prepared = Prepared::new(scenario, 3);
        let layout = &prepared.layout;
        let mut out = vec![0.0; layout.len()];
        let (mut moles_seen, mut vacancies_seen) = (false, false);
        for run in 0..3 {
            let mut model = super::Model::new(scenario, &prepared.keys, run);
            model.spin_up();
            for step in 0..prepared.steps() {
                model.step(prepared.schedule.at(step));
                model.observe(layout, &mut out);
                let expected = series_from_officers(&model, scenario, layout);
                for ((name, &got), &want) in layout.names.iter().zip(&out).zip(&expected) {
                    if want.is_nan() {
                        continue;
                    }
                    // Fear is a running sum (kept exact by the changes after the fading pass,
                    // up to rounding); the counts and trust are exact.
                    let close = if name.starts_with("fear.") {
                        (got - want).abs() <= 1e-9
                    } else {
                        got.to_bits() == want.to_bits()
                    };
                    assert!(
                        close,
                        "run {run}, step {step}, {name}: {got} observed, {want} from the officers"
                    );
                    moles_seen |= name.starts_with("moles.") && got > 0.0;
                    vacancies_seen |=
                        name.starts_with("officers.") && got < expected_posts(scenario, name);
                }
            }
        }
        // The sums were checked while they moved, not only at their starting values.
        assert!(moles_seen && vacancies_seen);
    }

    /// The posts of the service of series `officers.<service>`.
    fn expected_posts(scenario: &crate::scenario::Scenario, name: &str) -> f64 {
        let service = name.trim_start_matches("officers.");
        scenario
            .desks
            .iter()
            .filter(|d| scenario.services[d.service].name == service)
            .map(|d| f64::from(d.population.count))
            .sum()
    }

    #[test]
    fn four_lane_and_portable_passes_give_the_same_runs() {
        if !std::is_x86_feature_detected!("avx2") {
            eprintln!("no AVX2 on this processor: only the portable passes run here");
            return;
        }
        // The reference case, and a scenario with three services, unequal desks (whose
        // exchanges always go one pair at a time), experts, hunts and scandals.
        for path in [
            "scenarios/us-russia-2011-2017.toml",
            "tests/fixtures/three-services-unequal.toml",
        ] {
            let four_lanes = records(path);
            super::four::portable_only(true);
            let portable = records(path);
            super::four::portable_only(false);
            assert_eq!(four_lanes.len(), portable.len());
            let differing = four_lanes.iter().zip(&portable).filter(|(a, b)| a != b);
            assert_eq!(differing.count(), 0, "{path}");
        }
    }
}
