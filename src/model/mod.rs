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
use exchange::{BlockRun, BlockStep, Side};
use officers::{LANES, Officers};
use streams::{Stream, StreamKeys};

/// A desk's officers (in every run of the model) and, per run, its memory and random streams.
#[derive(Debug, Clone)]
struct DeskState<const R: usize> {
    /// What the desk's rules read from the scenario.
    inputs: DeskInputs,
    /// The desk's officers in every run, interleaved post by post.
    officers: Officers,
    /// The desk in each run of the model, in lane order.
    runs: [DeskRun; R],
}

/// A desk in one run: its streams, the scalars of its rules and its sums.
#[derive(Debug, Clone)]
struct DeskRun {
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

/// Sums over a desk's officers in one run. Taken in the fading pass (stage 5) and kept exact
/// by the changes that follow in the step (replacements, betrayals, fear from scandals), so
/// that the end of the step needs no second pass over the officers.
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
struct PairBlock<const R: usize> {
    channel: usize,
    a: usize,
    b: usize,
    /// Sides `A` and `B` as targets of recruitment attempts (their catch probability is set
    /// each step, run by run, from the target's vigilance and suspicion).
    sides: [Side; 2],
    /// Pairs `k = 0 … pairs−1` = (a[k mod |a|], b[k mod |b|]).
    pairs: usize,
    /// Contact draws of each run: words `2·(step·pairs + k) + j`.
    contact: [Stream; R],
    /// Rare draws of each run: words `8·(step·pairs + k) + j`.
    rare: [Stream; R],
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

/// The state of one run that is not a desk's.
#[derive(Debug, Clone)]
struct RunState {
    /// The run index: the ChaCha stream number of every stream of the run.
    run: u32,
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
    /// Scandals caught this step, in the order caught.
    pending: Vec<Scandal>,
}

/// How many runs a batch ([`Model::batch`]) simulates together, one per vector lane: a batch
/// shares every pass's set-up and fills the four lanes of an AVX2 register with the same post
/// of four runs.
pub const BATCH: usize = LANES;

/// The state of one run (`R = 1`, [`Model::new`]), or of a batch of `R = `[`BATCH`] runs
/// simulated together ([`Model::batch`]), one per lane. Each run of a batch goes exactly as it
/// would alone: the same draws from its own streams, the same operations in the same order,
/// so the same outputs to the last bit.
#[derive(Debug, Clone)]
pub struct Model<'a, const R: usize = 1> {
    scenario: &'a Scenario,
    keys: &'a StreamKeys,
    /// Steps simulated so far, spin-up included: the position in every stream.
    step: u32,
    desks: Vec<DeskState<R>>,
    pairs: Vec<PairBlock<R>>,
    /// Each run's own state, in lane order.
    runs: [RunState; R],
    /// Scratch buffer for mole-hunt ranking (kept to avoid allocating in the step).
    ranking: Vec<usize>,
    /// The logistic bracket table of the share decision.
    brackets: &'static rules::LogisticBrackets,
    /// Scratch for each run's words of a desk or a block in a step, where they straddle two
    /// chunks of a stream: `R` parts of [`Model::words_per_run`] words.
    words: Vec<u32>,
    /// Words per run in `words`: two per pair of the largest block or one per post of the
    /// largest desk, padded.
    words_per_run: usize,
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
        Model::build(scenario, keys, [run])
    }

    /// Writes the current value of every series of `layout` into `out` (after a step: the
    /// state at its end).
    pub fn observe(&self, layout: &SeriesLayout, out: &mut [f64]) {
        self.observe_runs(layout, [out]);
    }
}

impl<'a> Model<'a, BATCH> {
    /// Initialises the [`BATCH`] runs `runs` of `scenario`, to be simulated together: lane
    /// `i` is run `runs[i]`, with the same outputs as [`Model::new`]`(…, runs[i])`.
    pub fn batch(
        scenario: &'a Scenario,
        keys: &'a StreamKeys,
        runs: [u32; BATCH],
    ) -> Model<'a, BATCH> {
        Model::build(scenario, keys, runs)
    }
}

impl<'a, const R: usize> Model<'a, R> {
    fn build(scenario: &'a Scenario, keys: &'a StreamKeys, runs: [u32; R]) -> Model<'a, R> {
        let n_services = scenario.services.len();
        let desks: Vec<DeskState<R>> = scenario
            .desks
            .iter()
            .zip(&keys.desks)
            .map(|(desk, desk_keys)| {
                let population = &desk.population;
                let officers: [Vec<Officer>; R] = runs.map(|run| {
                    let mut init = streams::sequential(&desk_keys.init, run);
                    (0..population.count)
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
                        .collect()
                });
                DeskState {
                    inputs: DeskInputs::of(scenario, desk),
                    runs: std::array::from_fn(|lane| {
                        let (run, officers) = (runs[lane], &officers[lane]);
                        DeskRun {
                            tally: Tally::of(officers, 0),
                            trust: population.trust.mean,
                            memory: scenario.channels[desk.channel].spec.baseline_trust,
                            share: Stream::new(&desk_keys.share, run),
                            detect: Stream::new(&desk_keys.detect, run),
                            rare: Stream::new(&desk_keys.rare, run),
                            exchanges: 0,
                            shared: 0,
                            share_base: 0.0,
                            share_permission: 0.0,
                        }
                    }),
                    officers: Officers::interleaved(&officers, scenario.params.expert_exposure),
                }
            })
            .collect();
        let pairs: Vec<PairBlock<R>> = keys
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
                        publicity: scenario.services[own].spec.publicity,
                    };
                    [side(sa, sb), side(sb, sa)]
                },
                pairs: desks[block.a]
                    .officers
                    .len()
                    .max(desks[block.b].officers.len()),
                contact: runs.map(|run| Stream::new(&block.contact, run)),
                rare: runs.map(|run| Stream::new(&block.rare, run)),
            })
            .collect();
        let total: usize = desks.iter().map(|d| d.officers.len()).sum();
        let largest_block = pairs.iter().map(|p| p.pairs).max().unwrap_or(0);
        let run_states = runs.map(|run| RunState {
            run,
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
            // Every pair can raise at most two scandals and every officer one more per
            // step.
            pending: Vec::with_capacity(
                2 * pairs.iter().map(|p| p.pairs).sum::<usize>() + total + 16,
            ),
        });
        let largest_posts = desks.iter().map(|d| d.officers.len()).max().unwrap_or(0);
        // A run's words of a desk or a block, padded as one run alone pads them.
        let words_per_run = 2 * largest_block.max(largest_posts).next_multiple_of(LANES);
        Model {
            scenario,
            keys,
            step: 0,
            ranking: Vec::with_capacity(largest_posts),
            brackets: rules::LogisticBrackets::get(),
            words: vec![0; R * words_per_run],
            words_per_run,
            desks,
            pairs,
            runs: run_states,
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
        for run in &mut self.runs {
            run.successes.fill(0);
            run.scandals.fill(0);
        }
        self.relax_slow_variables();
        for &index in events {
            for lane in 0..self.runs.len() {
                self.apply_event(index, lane);
            }
        }
        self.decide_sharing();
        self.exchange();
        self.fade_and_detect();
        for lane in 0..self.runs.len() {
            self.apply_scandals(lane);
        }
        self.heal_and_adapt();
        self.step += 1;
    }

    fn relax_slow_variables(&mut self) {
        let p = &self.scenario.params;
        let n_services = self.scenario.services.len();
        for run in &mut self.runs {
            for (c, channel) in self.scenario.channels.iter().enumerate() {
                run.threat[c] = rules::relax(run.threat[c], channel.spec.threat, p.threat_decay);
            }
            for e in &mut run.engagement {
                *e *= 1.0 - p.engagement_decay;
            }
            for (s, service) in self.scenario.services.iter().enumerate() {
                run.suspicion[s] *= 1.0 - p.suspicion_decay;
                for c in 0..self.scenario.channels.len() {
                    let permission = &mut run.permission[c * n_services + s];
                    *permission =
                        rules::relax(*permission, service.spec.permission, p.permission_recovery);
                }
            }
        }
    }

    fn decide_sharing(&mut self) {
        let scenario = self.scenario;
        let p = &scenario.params;
        for desk in &mut self.desks {
            let inputs = desk.inputs;
            let cell = inputs.cell;
            for (run, desk_run) in self.runs.iter().zip(&mut desk.runs) {
                let permission =
                    rules::effective_permission(run.permission[cell], inputs.sensitivity)
                        .clamp(0.0, 1.0);
                let base = rules::desk_logit(
                    p,
                    inputs.secrecy,
                    run.threat[inputs.channel],
                    run.engagement[cell],
                );
                desk_run.share_base = base;
                desk_run.share_permission = permission;
            }
        }
        let decisions = decide::StepDecisions {
            step: self.step,
            weights: rules::OfficerWeights::of(p),
            brackets: self.brackets,
        };
        decide::decide_desks(
            &mut self.desks,
            decisions,
            &mut self.words,
            self.words_per_run,
        );
    }

    fn exchange(&mut self) {
        let scenario = self.scenario;
        let p = &scenario.params;
        let step = self.step;
        for block in &mut self.pairs {
            let c = block.channel;
            let pairs = block.pairs;
            let first_pair = u64::from(step) * pairs as u64;
            let mut runs = [BlockRun::default(); R];
            // Loops rather than `map`, which does not always inline.
            for (block_run, run) in runs.iter_mut().zip(&self.runs) {
                block_run.p_success = rules::success_probability(p, run.threat[c]);
                for (catch, side) in block_run.catch.iter_mut().zip(&block.sides) {
                    *catch = rules::catch_probability(side.vigilance, run.suspicion[side.own]);
                }
            }
            // Each run's contact words of the block in the step (two per pair, contiguous,
            // and with one run a few after them for the padding's pairs, which are never in
            // contact), read at once.
            let per_run = 2 * if R == 1 {
                pairs.next_multiple_of(LANES)
            } else {
                pairs
            };
            let mut words: [&[u32]; R] = [&[]; R];
            let parts = block.contact.iter_mut();
            let parts = parts.zip(self.words.chunks_exact_mut(self.words_per_run));
            for (words, (contact, scratch)) in words.iter_mut().zip(parts) {
                *words = contact.words(2 * first_pair, &mut scratch[..per_run]);
            }
            let mut exchange = BlockStep {
                p,
                channel: c,
                side_a: block.sides[0],
                side_b: block.sides[1],
                runs: &runs,
                first_pair,
                rare: &mut block.rare,
                states: &mut self.runs,
            };
            let (da, db) = two_mut(&mut self.desks, block.a, block.b);
            let counts = exchange.run(&mut da.officers, &mut db.officers, step, pairs, &words);
            for (lane, (exchanges, successes)) in counts.into_iter().enumerate() {
                da.runs[lane].exchanges += exchanges;
                db.runs[lane].exchanges += exchanges;
                self.runs[lane].successes[c] += successes;
            }
        }
    }

    /// Every officer's trust fades toward the desk's memory and fear fades; hidden moles may
    /// be exposed by routine counterintelligence.
    #[inline(never)]
    fn fade_and_detect(&mut self) {
        let scenario = self.scenario;
        let p = &scenario.params;
        fade::fade_desks(&mut self.desks, self.step, p.trust_drift, p.fear_decay);
        for d in 0..self.desks.len() {
            if self.desks[d].runs.iter().all(|run| run.tally.moles == 0) {
                continue;
            }
            let service = scenario.desks[d].service;
            let vigilance = scenario.services[service].spec.vigilance;
            let mut detection = [0.0; R];
            for (detection, run) in detection.iter_mut().zip(&self.runs) {
                *detection =
                    rules::mole_detection_probability(p, vigilance, run.suspicion[service]);
            }
            // The desk's moles, found 64 entries at a time as a bit mask (a desk with moles
            // would otherwise test every post of every run). Runs are independent, and each
            // run's moles come in slot order; exposing a mole changes only its own entry, so
            // the mask taken first stays right.
            let entries = self.desks[d].officers.entries();
            for first in (0..entries).step_by(64) {
                let mole = &self.desks[d].officers.mole[first..(first + 64).min(entries)];
                let mut moles = officers::bit_mask(mole);
                while moles != 0 {
                    let entry = first + moles.trailing_zeros() as usize;
                    moles &= moles - 1;
                    let (slot, lane) = (entry / R, entry % R);
                    self.detect(d, slot, lane, detection[lane]);
                }
            }
        }
    }

    /// Routine counterintelligence on the hidden mole in `slot` of desk `d` in lane `lane`,
    /// exposed with probability `detection` this step: a scandal, and the mole replaced.
    fn detect(&mut self, d: usize, slot: usize, lane: usize, detection: f64) {
        let scenario = self.scenario;
        let p = &scenario.params;
        let spec = &scenario.desks[d];
        let n = self.desks[d].officers.len();
        let index = u64::from(self.step) * n as u64 + slot as u64;
        let desk = &mut self.desks[d].runs[lane];
        if desk.detect.uniform(index) >= detection {
            return;
        }
        let publicity = scenario.services[spec.service].spec.publicity;
        let public = desk
            .rare
            .uniform(8 * index + desk_rare_word::DETECTED_PUBLIC)
            < publicity;
        self.runs[lane].pending.push(Scandal {
            channel: spec.channel,
            catcher: spec.service,
            accused: spec.counterpart,
            weight: rules::scandal_weight(p, 1.0, public),
        });
        self.replace(d, slot, lane);
    }

    /// Removes the officer in `slot` of desk `d` in lane `lane` and seats a newcomer: the
    /// desk's memory as trust, newcomer fear, a fresh ambition; the post stays empty for
    /// `vacancy_steps`.
    fn replace(&mut self, d: usize, slot: usize, lane: usize) {
        let scenario = self.scenario;
        let spec = &scenario.desks[d];
        let p = &scenario.params;
        let step = self.step;
        let desk = &mut self.desks[d];
        let index = u64::from(step) * desk.officers.len() as u64 + slot as u64;
        let entry = desk.officers.entry(slot, lane);
        let desk_run = &mut desk.runs[lane];
        let mut rng = desk_run
            .rare
            .sequential_at(8 * index + desk_rare_word::NEWCOMER);
        let memory = desk_run.memory;
        let officer = desk.officers.get(entry);
        let ambition = draw(&spec.population.ambition, &mut rng);
        let disposition = draw(&spec.population.fear, &mut rng);
        // Before this step's fading pass the tally is stale and about to be retaken.
        let current = desk_run.tally.step == step;
        if current {
            desk_run.tally.remove(&officer, step);
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
        desk.officers.set(entry, newcomer);
        if current {
            desk_run.tally.add(&newcomer, step);
        }
    }

    fn apply_scandals(&mut self, lane: usize) {
        for index in 0..self.runs[lane].pending.len() {
            let scandal = self.runs[lane].pending[index];
            self.scandal(scandal, lane);
        }
        self.runs[lane].pending.clear();
    }

    /// A caught spy in lane `lane`: the catching side is betrayed on the channel, the accused
    /// side suffers backlash, fear spreads through the catching service, its government
    /// withdraws permission.
    fn scandal(&mut self, s: Scandal, lane: usize) {
        let scenario = self.scenario;
        let p = &scenario.params;
        self.runs[lane].scandals[s.channel] += 1;
        for d in 0..self.desks.len() {
            let spec = &scenario.desks[d];
            if spec.channel == s.channel
                && spec.service == s.catcher
                && spec.counterpart == s.accused
            {
                self.betray(d, s.weight, lane);
            } else if spec.channel == s.channel
                && spec.service == s.accused
                && spec.counterpart == s.catcher
            {
                let desk = &mut self.desks[d].runs[lane];
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
                for fear in desk.officers.fear_mut(lane) {
                    *fear = rules::gain(*fear, rate);
                }
                // Each gain adds rate·(1 − φ): the sum gains rate·(n − Σφ).
                let n = desk.officers.len() as f64;
                let tally = &mut desk.runs[lane].tally;
                tally.fear += rate.clamp(0.0, 1.0) * (n - tally.fear);
            }
        }
        let permission =
            &mut self.runs[lane].permission[s.channel * scenario.services.len() + s.catcher];
        *permission = (*permission - p.scandal_permission_drop * s.weight).clamp(0.0, 1.0);
    }

    /// A betrayal of weight `w` felt by desk `d` in lane `lane`: its institutional trust, its
    /// officers' trust and its memory are cut.
    fn betray(&mut self, d: usize, w: f64, lane: usize) {
        let p = &self.scenario.params;
        let desk = &mut self.desks[d];
        let cut = p.betrayal_officer_cut * w;
        for trust in desk.officers.trust_mut(lane) {
            *trust = rules::cut(*trust, cut);
        }
        let desk = &mut desk.runs[lane];
        desk.trust = rules::cut(desk.trust, p.betrayal_trust_cut * w);
        desk.memory = rules::cut(desk.memory, p.memory_cut * w);
        desk.tally.trust = rules::cut(desk.tally.trust, cut);
    }

    /// Memories heal by the step's reciprocated exchanges; institutional trust moves toward the
    /// officers' mean trust (from the desk's tally).
    fn heal_and_adapt(&mut self) {
        let scenario = self.scenario;
        let p = &scenario.params;
        for desk in &mut self.desks {
            let n = desk.officers.len();
            if n == 0 {
                continue;
            }
            for desk_run in &mut desk.runs {
                if desk_run.exchanges > 0 {
                    desk_run.memory = rules::heal(
                        desk_run.memory,
                        desk.inputs.baseline,
                        p.memory_repair,
                        f64::from(desk_run.exchanges) / n as f64,
                    );
                    desk_run.exchanges = 0;
                }
                let mean = desk_run.tally.trust / n as f64;
                desk_run.trust = rules::relax(desk_run.trust, mean, p.institutional_adaptation);
            }
        }
    }

    /// Writes the current value of every series of `layout` for every run of the model (after
    /// a step: the state at its end): `outs[lane]` receives the series of the run in lane
    /// `lane`. One pass over the layout serves all the runs, so that each series' place is
    /// looked up once rather than once per run; each run's values are the same operations in
    /// the same order as alone.
    pub fn observe_runs(&self, layout: &SeriesLayout, mut outs: [&mut [f64]; R]) {
        let n_services = self.scenario.services.len();
        let channels = self.scenario.channels.len();
        let by_kind = &layout.by_kind;
        for &series in &by_kind.sums {
            for out in &mut outs {
                out[series] = 0.0;
            }
        }
        // Desk after desk, in desk order: each sum adds its desks in that order.
        for (desk, series) in self.desks.iter().zip(&by_kind.desks) {
            for (out, desk) in outs.iter_mut().zip(&desk.runs) {
                out[series.trust] = desk.trust;
                out[series.sharing] += f64::from(desk.shared);
                out[series.fear] += desk.tally.fear;
                out[series.officers] += f64::from(desk.tally.filled);
                out[series.moles] += f64::from(desk.tally.moles);
            }
        }
        for &(series, officers) in &by_kind.fear {
            for out in &mut outs {
                out[series] = if officers == 0 {
                    0.0
                } else {
                    out[series] / officers as f64
                };
            }
        }
        for &(series, channel) in &by_kind.successes {
            for (out, run) in outs.iter_mut().zip(&self.runs) {
                out[series] = f64::from(run.successes[channel]);
            }
        }
        for &(series, channel) in &by_kind.scandals {
            for (out, run) in outs.iter_mut().zip(&self.runs) {
                out[series] = f64::from(run.scandals[channel]);
            }
        }
        for &(series, service) in &by_kind.permission {
            for (out, run) in outs.iter_mut().zip(&self.runs) {
                out[series] = (0..channels)
                    .map(|c| run.permission[c * n_services + service])
                    .sum::<f64>()
                    / channels as f64;
            }
        }
    }

    /// The officers of desk `desk` in the first (or only) run, in slot order (for tests and
    /// inspection; allocates).
    pub fn officers(&self, desk: usize) -> Vec<Officer> {
        self.desks[desk].officers.run_to_vec(0)
    }

    /// Institutional trust of desk `desk` in the first (or only) run.
    pub fn institutional_trust(&self, desk: usize) -> f64 {
        self.desks[desk].runs[0].trust
    }

    /// Memory level of desk `desk` in the first (or only) run: what its trust fades back to.
    pub fn memory(&self, desk: usize) -> f64 {
        self.desks[desk].runs[0].memory
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
    use crate::runner::{Prepared, run_batch, run_once};

    /// The records of runs 0–7 of `scenario` (a path from the crate root), as bits, each run
    /// simulated alone or in two batches of four.
    fn records(path: &str, batched: bool) -> Vec<u64> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        let loaded = crate::scenario::load(&path).expect("bundled scenario");
        let prepared = Prepared::new(&loaded.scenario, 7);
        let mut records = vec![vec![0.0; prepared.record_len()]; 8];
        if batched {
            for (first, four) in (0..).step_by(4).zip(records.chunks_exact_mut(4)) {
                let [a, b, c, d] = four else {
                    unreachable!("chunks of four")
                };
                run_batch(
                    &prepared,
                    [first, first + 1, first + 2, first + 3],
                    [a, b, c, d],
                );
            }
        } else {
            for (run, record) in (0..).zip(&mut records) {
                run_once(&prepared, run, record);
            }
        }
        records.iter().flatten().map(|v| v.to_bits()).collect()
    }

    /// Scenarios that take every path of the step: the reference case, a scenario with three
    /// services, unequal desks (whose exchanges always go one pair at a time), experts, hunts
    /// and scandals, and one with every kind of event.
    const SCENARIOS: [&str; 3] = [
        "scenarios/us-russia-2011-2017.toml",
        "tests/fixtures/three-services-unequal.toml",
        "tests/fixtures/dense-60-events.toml",
    ];

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
                        .map(|d| f64::from(model.desks[d].runs[0].shared))
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
    fn four_lane_and_portable_passes_give_the_same_runs_alone_and_in_batches() {
        if !std::is_x86_feature_detected!("avx2") {
            eprintln!("no AVX2 on this processor: only the portable passes run here");
            return;
        }
        for path in SCENARIOS {
            let four_lanes = records(path, false);
            super::four::portable_only(true);
            let portable = records(path, false);
            let portable_batched = records(path, true);
            super::four::portable_only(false);
            assert_eq!(four_lanes.len(), portable.len());
            let differing = four_lanes.iter().zip(&portable).filter(|(a, b)| a != b);
            assert_eq!(differing.count(), 0, "{path}");
            assert!(
                portable_batched == four_lanes,
                "{path}: portable passes in batches"
            );
        }
    }

    #[test]
    fn a_batch_of_four_runs_gives_each_run_its_own_record() {
        for path in SCENARIOS {
            let alone = records(path, false);
            let batched = records(path, true);
            assert_eq!(alone.len(), batched.len());
            let differing = alone.iter().zip(&batched).filter(|(a, b)| a != b);
            assert_eq!(differing.count(), 0, "{path}");
            // The runs differ from one another: a batch that gave every lane one run's
            // record would fail above, but only if the runs differ.
            let run = alone.len() / 8;
            assert_ne!(alone[..run], alone[run..2 * run], "{path}");
        }
    }
}
