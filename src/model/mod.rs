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

mod events;
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
use officers::{Officers, Posts};
use streams::{Stream, StreamKeys};

/// A desk's officers, its memory and its random streams.
#[derive(Debug, Clone)]
struct DeskState {
    officers: Officers,
    /// Share decisions: word `step·n + slot`.
    share: Stream,
    /// Routine mole detection: word `step·n + slot`.
    detect: Stream,
    /// Rare draws: words `8·(step·n + slot) + j`.
    rare: Stream,
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
    /// Pairs `k = 0 … pairs−1` = (a[k mod |a|], b[k mod |b|]).
    pairs: usize,
    /// Contact draws: words `2·(step·pairs + k) + j`.
    contact: Stream,
    /// Rare draws: words `8·(step·pairs + k) + j`.
    rare: Stream,
}

/// Word offsets within a pair's two contact words.
mod contact_word {
    pub const SUCCESS: usize = 0;
    /// One word decides a recruitment attempt on either side (7.5).
    pub const ATTEMPT: usize = 1;
}

/// Word offsets within a pair's eight rare words: catch, turn, public for an attempt on `A`,
/// then the same for `B`.
mod pair_rare_word {
    pub const ON_A: u64 = 0;
    pub const ON_B: u64 = 3;
    pub const CATCH: u64 = 0;
    pub const TURN: u64 = 1;
    pub const PUBLIC: u64 = 2;
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
    /// Scratch for a desk's share words of a step (as long as the largest desk).
    words: Vec<u32>,
    /// Scratch for a pair block's contact words of a step (two per pair of the largest block).
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
                    tally: Tally::of(&officers, 0),
                    trust: population.trust.mean,
                    memory: scenario.channels[desk.channel].spec.baseline_trust,
                    officers: Officers::new(&officers, scenario.params.expert_exposure),
                    share: Stream::new(&desk_keys.share, run),
                    detect: Stream::new(&desk_keys.detect, run),
                    rare: Stream::new(&desk_keys.rare, run),
                    exchanges: 0,
                    shared: 0,
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
                pairs: desks[block.a]
                    .officers
                    .len()
                    .max(desks[block.b].officers.len()),
                contact: Stream::new(&block.contact, run),
                rare: Stream::new(&block.rare, run),
            })
            .collect();
        let largest = desks.iter().map(|d| d.officers.len()).max().unwrap_or(0);
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
            pair_words: vec![0; 2 * pairs.iter().map(|p| p.pairs).max().unwrap_or(0)],
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
        let n_services = scenario.services.len();
        let step = self.step;
        let brackets = self.brackets;
        let weights = rules::OfficerWeights::of(p);
        for (spec, desk) in scenario.desks.iter().zip(&mut self.desks) {
            let service = &scenario.services[spec.service].spec;
            let channel = &scenario.channels[spec.channel].spec;
            let cell = spec.channel * n_services + spec.service;
            let permission =
                rules::effective_permission(self.permission[cell], channel.political_sensitivity)
                    .clamp(0.0, 1.0);
            let base = rules::desk_logit(
                p,
                service.secrecy,
                self.threat[spec.channel],
                self.engagement[cell],
            );
            let n = desk.officers.len();
            // The step's share words of the desk, read at once (words `k·n … k·n + n − 1`),
            // in place in the stream's cache unless they straddle two chunks.
            let words = desk
                .share
                .words(u64::from(step) * n as u64, &mut self.words[..n]);
            let shared = decide_desk(
                &mut desk.officers,
                words,
                DeskDecision {
                    step,
                    base,
                    permission,
                    weights,
                    brackets,
                },
            );
            desk.shared = shared;
        }
    }

    fn exchange(&mut self) {
        let scenario = self.scenario;
        let p = &scenario.params;
        let step = self.step;
        for block in &mut self.pairs {
            let c = block.channel;
            let (sa, sb) = (
                scenario.desks[block.a].service,
                scenario.desks[block.b].service,
            );
            let side = |own: usize, other: usize| Side {
                own,
                other,
                attempt: rules::attempt_probability(
                    p,
                    scenario.services[other].spec.aggressiveness,
                ),
                catch: rules::catch_probability(
                    scenario.services[own].spec.vigilance,
                    self.suspicion[own],
                ),
                publicity: scenario.services[own].spec.publicity,
            };
            let pairs = block.pairs;
            let first_pair = u64::from(step) * pairs as u64;
            // The step's contact words of the block (two per pair, contiguous), read at once.
            let words = block
                .contact
                .words(2 * first_pair, &mut self.pair_words[..2 * pairs]);
            let mut exchange = BlockStep {
                p,
                channel: c,
                p_success: rules::success_probability(p, self.threat[c]),
                side_a: side(sa, sb),
                side_b: side(sb, sa),
                first_pair,
                rare: &mut block.rare,
                pending: &mut self.pending,
            };
            let (da, db) = two_mut(&mut self.desks, block.a, block.b);
            let (exchanges, successes) =
                exchange.run(da.officers.posts(), db.officers.posts(), step, pairs, words);
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
        let step = u64::from(self.step);
        for d in 0..self.desks.len() {
            let spec = &scenario.desks[d];
            let service = &scenario.services[spec.service].spec;
            let detection = rules::mole_detection_probability(
                p,
                service.vigilance,
                self.suspicion[spec.service],
            );
            let desk = &mut self.desks[d];
            let memory = desk.memory;
            let (step32, drift, decay) = (self.step, p.trust_drift, p.fear_decay);
            let o = &mut desk.officers;
            let n = o.len();
            // Every field cut to the desk's size, so that the loop needs no bounds checks.
            let (trust, fear) = (&mut o.trust[..n], &mut o.fear[..n]);
            let (disposition, filled_from, mole) =
                (&o.disposition[..n], &o.filled_from[..n], &o.mole[..n]);
            let mut tally = Tally {
                step: step32,
                ..Tally::default()
            };
            for i in 0..n {
                let (t, f) = (
                    rules::relax(trust[i], memory, drift),
                    rules::relax(fear[i], disposition[i], decay),
                );
                (trust[i], fear[i]) = (t, f);
                tally.add_fields(t, f, step32 >= filled_from[i], mole[i]);
            }
            desk.tally = tally;
            if tally.moles == 0 {
                continue;
            }
            let n = desk.officers.len() as u64;
            for slot in 0..desk.officers.len() {
                if !self.desks[d].officers.mole[slot] {
                    continue;
                }
                let index = step * n + slot as u64;
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
                for fear in &mut desk.officers.fear {
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
        for trust in &mut desk.officers.trust {
            *trust = rules::cut(*trust, cut);
        }
        desk.tally.trust = rules::cut(desk.tally.trust, cut);
    }

    /// Memories heal by the step's reciprocated exchanges; institutional trust moves toward the
    /// officers' mean trust (from the desk's tally).
    fn heal_and_adapt(&mut self) {
        let scenario = self.scenario;
        let p = &scenario.params;
        for (spec, desk) in scenario.desks.iter().zip(&mut self.desks) {
            let n = desk.officers.len();
            if desk.exchanges > 0 && n > 0 {
                desk.memory = rules::heal(
                    desk.memory,
                    scenario.channels[spec.channel].spec.baseline_trust,
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
        let desks = &self.desks;
        let by_kind = &layout.by_kind;
        let members = |series: usize| layout.desks[series].iter().map(|&d| &desks[d]);
        for &(series, desk) in &by_kind.trust {
            out[series] = desks[desk].trust;
        }
        for &series in &by_kind.sharing {
            out[series] = members(series).map(|d| f64::from(d.shared)).sum();
        }
        for &(series, channel) in &by_kind.successes {
            out[series] = f64::from(self.successes[channel]);
        }
        for &(series, channel) in &by_kind.scandals {
            out[series] = f64::from(self.scandals[channel]);
        }
        for &series in &by_kind.fear {
            let (mut fear, mut officers) = (0.0, 0usize);
            for desk in members(series) {
                fear += desk.tally.fear;
                officers += desk.officers.len();
            }
            out[series] = if officers == 0 {
                0.0
            } else {
                fear / officers as f64
            };
        }
        for &(series, service) in &by_kind.permission {
            out[series] = (0..channels)
                .map(|c| self.permission[c * n_services + service])
                .sum::<f64>()
                / channels as f64;
        }
        for &series in &by_kind.officers {
            out[series] = members(series).map(|d| f64::from(d.tally.filled)).sum();
        }
        for &series in &by_kind.moles {
            out[series] = members(series).map(|d| f64::from(d.tally.moles)).sum();
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

/// One side of a pair block as the target of recruitment attempts, this step.
struct Side {
    /// The target's service.
    own: usize,
    /// The attacker's service.
    other: usize,
    /// Probability that a contact is used for an attempt on this side.
    attempt: f64,
    /// Probability that this side's counterintelligence catches the attempt.
    catch: f64,
    /// Probability that a caught attempt is publicised.
    publicity: f64,
}

/// What every officer of a desk shares in a step's decisions.
#[derive(Clone, Copy)]
struct DeskDecision {
    step: u32,
    /// The desk's part of the sharing logit.
    base: f64,
    /// The effective permission, in [0, 1].
    permission: f64,
    weights: rules::OfficerWeights,
    brackets: &'static rules::LogisticBrackets,
}

impl DeskDecision {
    /// The decision (7.3) of one officer with share word `word` and (trust, ambition, fear)
    /// `state`, whose post is filled.
    #[inline]
    fn one(&self, word: u32, [trust, ambition, fear]: [f64; 3]) -> bool {
        let u = streams::word_uniform(word);
        let z = rules::officer_logit(&self.weights, self.base, trust, ambition, fear);
        self.brackets.shares_clamped(u, z, self.permission)
    }
}

/// The share decisions (7.3) of the officers of a desk, from the step's share `words` (one
/// per post); returns how many share. A function of its own, not inlined into the step, so
/// that the loop keeps all it needs in registers.
#[inline(never)]
fn decide_desk(officers: &mut Officers, words: &[u32], d: DeskDecision) -> u32 {
    let n = officers.len();
    // Every field cut to the desk's size, so that the loop needs no bounds checks.
    let o = officers;
    let (trust, ambition, fear) = (&o.trust[..n], &o.ambition[..n], &o.fear[..n]);
    let (filled_from, decisions, words) = (&o.filled_from[..n], &mut o.shared[..n], &words[..n]);
    // No branch on the decision itself (about one officer in five shares, at random, which a
    // branch predictor cannot learn): the bracket decides nearly every draw. On x86-64 the
    // officers go two at a time, and an odd last one alone.
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of x86-64 itself: every processor that runs this code has it.
    let (done, mut shared) =
        unsafe { decide_in_twos([trust, ambition, fear], words, filled_from, decisions, &d) };
    #[cfg(not(target_arch = "x86_64"))]
    let (done, mut shared) = (0, 0);
    for i in done..n {
        let decision =
            (d.step >= filled_from[i]) & d.one(words[i], [trust[i], ambition[i], fear[i]]);
        decisions[i] = decision;
        shared += u32::from(decision);
    }
    shared
}

/// The share decisions of a desk's officers two at a time, in the two lanes of SSE2 registers
/// (the same operations as [`rules::officer_logit`] and [`rules::LogisticBrackets::bracketed`],
/// in the same order, so the same decisions). Returns how many officers it decided (an odd
/// last one is left to the caller) and how many of them share.
///
/// # Safety
/// Callable where SSE2 is available, which is every x86-64 processor.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn decide_in_twos(
    [trust, ambition, fear]: [&[f64]; 3],
    words: &[u32],
    filled_from: &[u32],
    decisions: &mut [bool],
    d: &DeskDecision,
) -> (usize, u32) {
    use std::arch::x86_64::*;
    let (base, w) = (_mm_set1_pd(d.base), d.weights);
    let (w_trust, w_ambition, w_fear) = (
        _mm_set1_pd(w.trust),
        _mm_set1_pd(w.ambition),
        _mm_set1_pd(w.fear),
    );
    let pairs = decisions.len() / 2;
    let mut shared = 0;
    for pair in 0..pairs {
        let (i, j) = (2 * pair, 2 * pair + 1);
        let z = _mm_sub_pd(
            _mm_add_pd(
                _mm_add_pd(base, _mm_mul_pd(w_trust, _mm_set_pd(trust[j], trust[i]))),
                _mm_mul_pd(w_ambition, _mm_set_pd(ambition[j], ambition[i])),
            ),
            _mm_mul_pd(w_fear, _mm_set_pd(fear[j], fear[i])),
        );
        let u = _mm_set_pd(
            streams::word_uniform(words[j]),
            streams::word_uniform(words[i]),
        );
        let (decided, shares) = d.brackets.bracketed_two(u, z, d.permission);
        let (mut first, mut second) = (shares & 1 != 0, shares & 2 != 0);
        if decided != 3 {
            // Rare: a draw inside its bracket, or a logit outside the table.
            let one = |k: usize| d.one(words[k], [trust[k], ambition[k], fear[k]]);
            (first, second) = (one(i), one(j));
        }
        decisions[i] = (d.step >= filled_from[i]) & first;
        decisions[j] = (d.step >= filled_from[j]) & second;
        shared += u32::from(decisions[i]) + u32::from(decisions[j]);
    }
    (2 * pairs, shared)
}

/// One step of one pair block: what all its pairs share, and what they add up.
struct BlockStep<'s> {
    p: &'s Params,
    channel: usize,
    /// Probability that a reciprocated exchange is a joint success.
    p_success: f64,
    side_a: Side,
    side_b: Side,
    /// Index of the block's pair 0 in this step: `step·pairs`.
    first_pair: u64,
    /// The block's rare draws.
    rare: &'s mut Stream,
    pending: &'s mut Vec<Scandal>,
}

impl BlockStep<'_> {
    /// Every pair of the block in step `step`: `pairs` pairs of posts of `a` and `b`, and the
    /// block's contact words of the step; returns the reciprocated exchanges and the joint
    /// successes. A function of its own, not inlined into the step, so that the loops keep
    /// what they need in registers.
    #[inline(never)]
    fn run(
        &mut self,
        mut a: Posts,
        mut b: Posts,
        step: u32,
        pairs: usize,
        words: &[u32],
    ) -> (u32, u32) {
        let (na, nb) = (a.shared.len(), b.shared.len());
        let (mut exchanges, mut successes) = (0, 0);
        if na == nb {
            // Desks of equal size (the usual case) pair post by post. The pairs in contact are
            // found 64 at a time as a bit mask, without a branch per pair (whether a pair has
            // contact is random from pair to pair); then the work, for those alone.
            for first in (0..pairs).step_by(64) {
                let posts = first..(first + 64).min(pairs);
                let mut mask = contact_mask(
                    step,
                    [&a.shared[posts.clone()], &b.shared[posts.clone()]],
                    [&a.filled_from[posts.clone()], &b.filled_from[posts]],
                );
                while mask != 0 {
                    let k = first + mask.trailing_zeros() as usize;
                    mask &= mask - 1;
                    let (exchanged, succeeded) =
                        self.contact(&mut a, &mut b, Contact { k, a: k, b: k }, words);
                    exchanges += exchanged;
                    successes += succeeded;
                }
            }
        } else {
            // Slots k mod |a| and k mod |b|, advanced without a division per pair.
            let (mut ia, mut ib) = (0, 0);
            for k in 0..pairs {
                let shared = [a.shared[ia], b.shared[ib]];
                if in_contact(step, shared, [a.filled_from[ia], b.filled_from[ib]]) {
                    let (exchanged, succeeded) =
                        self.contact(&mut a, &mut b, Contact { k, a: ia, b: ib }, words);
                    exchanges += exchanged;
                    successes += succeeded;
                }
                ia = if ia + 1 == na { 0 } else { ia + 1 };
                ib = if ib + 1 == nb { 0 } else { ib + 1 };
            }
        }
        (exchanges, successes)
    }

    /// The contact of pair `contact.k` (posts `contact.a` of desk `A` and `contact.b` of desk
    /// `B`); `words` are the block's contact words of the step. Returns whether the pair
    /// exchanged and whether the exchange was a joint success (1 or 0). Whether the pair
    /// exchanges or succeeds is random from pair to pair, so those outcomes are computed
    /// without branches; only the rare recruitment attempts branch.
    #[inline(always)]
    fn contact(
        &mut self,
        a: &mut Posts,
        b: &mut Posts,
        contact: Contact,
        words: &[u32],
    ) -> (u32, u32) {
        let (k, ia, ib) = (contact.k, contact.a, contact.b);
        a.exposure[ia] += a.exposure_weight[ia];
        b.exposure[ib] += b.exposure_weight[ib];
        let both = a.shared[ia] & b.shared[ib];
        let word = &words[2 * k..2 * k + 2];
        let success = both & (streams::word_uniform(word[contact_word::SUCCESS]) < self.p_success);
        // A pair that does not exchange gains at rate 0, which leaves its trust as it is
        // (trust is in [0, 1], where `gain` at rate 0 is the identity): arithmetic rather than
        // a branch, since whether a pair in contact exchanges is random.
        let rate = f64::from(u8::from(both))
            * if success {
                self.p.success_gain
            } else {
                self.p.reciprocity_gain
            };
        a.trust[ia] = rules::gain(a.trust[ia], rate);
        b.trust[ib] = rules::gain(b.trust[ib], rate);
        // Each side may use the contact to recruit the other: one word decides, an attempt on
        // A at the bottom of [0, 1), one on B at the top.
        let u = streams::word_uniform(word[contact_word::ATTEMPT]);
        let pair = self.first_pair + k as u64;
        if u < self.side_a.attempt {
            let words = 8 * pair + pair_rare_word::ON_A;
            a.mole[ia] |= self.attempt(a.fear[ia], Target::A, words);
        } else if 1.0 - u <= self.side_b.attempt {
            let words = 8 * pair + pair_rare_word::ON_B;
            b.mole[ib] |= self.attempt(b.fear[ib], Target::B, words);
        }
        (u32::from(both), u32::from(success))
    }

    /// A recruitment attempt (7.5) on an officer of side `target` with fear `fear`: caught (a
    /// scandal queued) or, if not, perhaps turning the officer into a mole (`true`). `words`
    /// is the first of the side's rare words.
    #[cold]
    fn attempt(&mut self, fear: f64, target: Target, words: u64) -> bool {
        let (p, rare) = (self.p, &mut *self.rare);
        let side = match target {
            Target::A => &self.side_a,
            Target::B => &self.side_b,
        };
        if rare.uniform(words + pair_rare_word::CATCH) < side.catch {
            let public = rare.uniform(words + pair_rare_word::PUBLIC) < side.publicity;
            self.pending.push(Scandal {
                channel: self.channel,
                catcher: side.own,
                accused: side.other,
                weight: rules::scandal_weight(p, 1.0, public),
            });
            false
        } else {
            rare.uniform(words + pair_rare_word::TURN) < rules::turn_probability(p, fear)
        }
    }
}

/// A pair in contact: pair `k` of its block, on post `a` of desk `A` and `b` of desk `B`.
#[derive(Debug, Clone, Copy)]
struct Contact {
    k: usize,
    a: usize,
    b: usize,
}

/// The pairs in contact among up to 64 pairs of posts facing each other (`shared` and
/// `filled_from` of side `A`, then of side `B`), as bits: a contact needs someone to share
/// and both posts filled.
#[inline]
fn contact_mask(step: u32, shared: [&[bool]; 2], filled_from: [&[u32]; 2]) -> u64 {
    debug_assert!(shared[0].len() <= 64);
    shared[0]
        .iter()
        .zip(shared[1])
        .zip(filled_from[0].iter().zip(filled_from[1]))
        .enumerate()
        .fold(0, |mask, (j, ((&sa, &sb), (&fa, &fb)))| {
            mask | (u64::from(in_contact(step, [sa, sb], [fa, fb])) << j)
        })
}

/// Whether two posts facing each other are in contact in step `step`: someone shares and
/// both posts are filled (`shared` and `filled_from` of side `A`, then of side `B`).
#[inline]
fn in_contact(step: u32, shared: [bool; 2], filled_from: [u32; 2]) -> bool {
    (shared[0] | shared[1]) & (step >= filled_from[0]) & (step >= filled_from[1])
}

/// The side of a pair block a recruitment attempt targets.
#[derive(Debug, Clone, Copy)]
enum Target {
    A,
    B,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_needs_a_sharer_and_both_posts_filled() {
        // Posts 0–5 of side A and B: who shares, and from which step each post is filled.
        let shared_a = [true, false, false, true, true, false];
        let shared_b = [false, true, false, true, false, true];
        let filled_a = [0, 0, 0, 0, 0, 9];
        let filled_b = [0, 0, 0, 0, 9, 0];
        let mask = contact_mask(5, [&shared_a, &shared_b], [&filled_a, &filled_b]);
        // Pair 2: nobody shares; pair 4: B's post is empty until step 9; pair 5: A's is.
        assert_eq!(mask, 0b001011);
        let later = contact_mask(9, [&shared_a, &shared_b], [&filled_a, &filled_b]);
        assert_eq!(later, 0b111011);
        // A full word of 64 pairs sets the top bit.
        let all = [true; 64];
        let filled = [0u32; 64];
        assert_eq!(contact_mask(0, [&all, &all], [&filled, &filled]), u64::MAX);
    }
}
