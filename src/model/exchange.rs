//! Exchanges (stage 4 of a step): every pair of counterpart posts of a pair block may be in
//! contact; a contact adds to both officers' exposure, a reciprocated exchange raises both
//! officers' trust (more for a joint success), and either side may use the contact to attempt
//! a recruitment.
//!
//! Where the processor has AVX2 (detected at run time) and the two desks are of equal size,
//! the pairs go four at a time: a pair that is not in contact gets a gain of rate 0 and an
//! exposure increase of 0, which leave its values exactly as they are, so the results are the
//! same to the last bit as taking the pairs in contact one by one.

#[cfg(target_arch = "x86_64")]
use super::four;
use super::officers::{Officers, Posts};
use super::streams::{self, Stream};
use super::{BATCH, Params, RunState, Scandal, rules};

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

/// One side of a pair block as the target of recruitment attempts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Side {
    /// The target's service.
    pub own: usize,
    /// The attacker's service.
    pub other: usize,
    /// Probability that a contact is used for an attempt on this side.
    pub attempt: f64,
    /// The vigilance of the target's service.
    pub vigilance: f64,
    /// Probability that a caught attempt is publicised.
    pub publicity: f64,
}

/// What a pair block's pairs share in one run this step.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct BlockRun {
    /// Probability that a reciprocated exchange is a joint success.
    pub p_success: f64,
    /// Probability that counterintelligence catches an attempt on side `A`, `B` (from the
    /// side's vigilance and its service's suspicion in the run).
    pub catch: [f64; 2],
}

/// One step of one pair block in every run of the model (`R` runs): what all its pairs
/// share, and what they add up.
///
/// The block's posts are entries of [`Officers`] (post `k` of run `r` at entry `k·R + r`),
/// and so are its pairs: pair entry `k·R + r` is pair `k` in run `r`, whose two contact words
/// are `words[r][2k + j]`.
pub(super) struct BlockStep<'s, const R: usize> {
    pub p: &'s Params,
    pub channel: usize,
    pub side_a: Side,
    pub side_b: Side,
    /// The block in each run, in lane order.
    pub runs: &'s [BlockRun; R],
    /// Index of the block's pair 0 in this step: `step·pairs`.
    pub first_pair: u64,
    /// The block's rare draws in each run.
    pub rare: &'s mut [Stream; R],
    /// Each run's state (its scandals caught this step).
    pub states: &'s mut [RunState; R],
}

/// Reciprocated exchanges and joint successes of a block's step, per run in lane order.
pub(super) type Counts<const R: usize> = [(u32, u32); R];

impl<const R: usize> BlockStep<'_, R> {
    /// Every pair of the block in step `step`: `pairs` pairs of posts of `a` and `b` in every
    /// run, and the block's contact words of the step; returns the reciprocated exchanges and
    /// the joint successes of each run. A function of its own, not inlined into the step, so
    /// that the loops keep what they need in registers.
    #[inline(never)]
    pub fn run(
        &mut self,
        a: &mut Officers,
        b: &mut Officers,
        step: u32,
        pairs: usize,
        words: &[&[u32]; R],
    ) -> Counts<R> {
        #[cfg(target_arch = "x86_64")]
        if a.len() == b.len() && four::available() {
            let (a, b) = (a.lane_posts(), b.lane_posts());
            // SAFETY: `four::available` detected AVX2.
            return unsafe { self.run_in_fours(a, b, step, words) };
        }
        let (na, nb) = (a.len(), b.len());
        self.run_one_by_one(a.posts(), b.posts(), [na, nb], step, pairs, words)
    }

    /// [`BlockStep::run`] one pair in contact after the other (`posts`: the posts of `A` and
    /// `B` in each run).
    fn run_one_by_one(
        &mut self,
        mut a: Posts,
        mut b: Posts,
        [na, nb]: [usize; 2],
        step: u32,
        pairs: usize,
        words: &[&[u32]; R],
    ) -> Counts<R> {
        let mut counts = [(0, 0); R];
        if na == nb {
            // Desks of equal size (the usual case) pair post by post, entry by entry. The
            // pairs in contact are found 64 at a time as a bit mask, without a branch per pair
            // (whether a pair has contact is random from pair to pair); then the work, for
            // those alone.
            let entries = pairs * R;
            for first in (0..entries).step_by(64) {
                let posts = first..(first + 64).min(entries);
                let mut mask = contact_mask(
                    step,
                    [&a.shared[posts.clone()], &b.shared[posts.clone()]],
                    [&a.filled_from[posts.clone()], &b.filled_from[posts]],
                );
                while mask != 0 {
                    let entry = first + mask.trailing_zeros() as usize;
                    mask &= mask - 1;
                    let contact = Contact {
                        k: entry / R,
                        lane: entry % R,
                        a: entry,
                        b: entry,
                    };
                    let (exchanged, succeeded) = self.contact(&mut a, &mut b, contact, words);
                    counts[contact.lane].0 += exchanged;
                    counts[contact.lane].1 += succeeded;
                }
            }
        } else {
            for (lane, count) in counts.iter_mut().enumerate() {
                // Slots k mod |a| and k mod |b|, advanced without a division per pair.
                let (mut ia, mut ib) = (0, 0);
                for k in 0..pairs {
                    let (ea, eb) = (ia * R + lane, ib * R + lane);
                    let shared = [a.shared[ea], b.shared[eb]];
                    if in_contact(step, shared, [a.filled_from[ea], b.filled_from[eb]]) {
                        let contact = Contact {
                            k,
                            lane,
                            a: ea,
                            b: eb,
                        };
                        let (exchanged, succeeded) = self.contact(&mut a, &mut b, contact, words);
                        count.0 += exchanged;
                        count.1 += succeeded;
                    }
                    ia = if ia + 1 == na { 0 } else { ia + 1 };
                    ib = if ib + 1 == nb { 0 } else { ib + 1 };
                }
            }
        }
        counts
    }

    /// [`BlockStep::run`] for desks of equal size, four pair entries at a time in AVX2
    /// registers, over the padded posts (`a` and `b` from [`Officers::lane_posts`]; each
    /// run's `words` two per pair, and with one run two per padded pair). Lane `j` of the four
    /// entries `4q … 4q + 3` is pair `(4q + j) / R` of the run in lane `(4q + j) mod R` (`R` is
    /// 1 or [`BATCH`]). Every pair goes through the same operations; a pair not in contact
    /// keeps its exposure and trust as they are (blended back), so the results are those of
    /// [`BlockStep::contact`] for the pairs in contact, to the last bit.
    ///
    /// # Safety
    /// Callable only where AVX2 is available.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[inline]
    fn run_in_fours(&mut self, a: Posts, b: Posts, step: u32, words: &[&[u32]; R]) -> Counts<R> {
        use std::arch::x86_64::*;
        const { assert!(R == 1 || R == BATCH) };
        let lanes = a.shared.len();
        debug_assert!(lanes.is_multiple_of(4) && b.shared.len() == lanes);
        let p = self.p;
        let (one, zero) = (_mm256_set1_pd(1.0), _mm256_setzero_pd());
        let p_success = four::per_run::<R>(|run| self.runs[run].p_success);
        let (success_gain, reciprocity_gain) = (
            _mm256_set1_pd(p.success_gain),
            _mm256_set1_pd(p.reciprocity_gain),
        );
        let (attempt_a, attempt_b) = (
            _mm256_set1_pd(self.side_a.attempt),
            _mm256_set1_pd(self.side_b.attempt),
        );
        // `gain(t, rate)`: `t + rate·(1 − t)` clamped to [0, 1] as `f64::clamp` does (the
        // operand order of max and min keeps `t` for a NaN or a zero of either sign).
        let gain = |t, rate| {
            let raised = _mm256_add_pd(t, _mm256_mul_pd(rate, _mm256_sub_pd(one, t)));
            _mm256_min_pd(one, _mm256_max_pd(zero, raised))
        };
        let (mut exchanges, mut successes) = (0, 0);
        // With a batch, each lane's counts: minus the sum of its all-ones masks.
        let (mut lane_exchanges, mut lane_successes) =
            (_mm256_setzero_si256(), _mm256_setzero_si256());
        // Every field cut to the same length, a multiple of four, so that the loop needs no
        // bounds checks; fear and moles are read only for the rare attempts. (Indices rather
        // than zipped chunks: with a batch's words zipped in, the compiler keeps the loop's
        // items in memory.)
        let n = 4 * (lanes / 4);
        let (fear_a, mole_a, fear_b, mole_b) = (a.fear, a.mole, b.fear, b.mole);
        let (shared_a, filled_a, weight_a) =
            (&a.shared[..n], &a.filled_from[..n], &a.exposure_weight[..n]);
        let (exposure_a, trust_a) = (&mut a.exposure[..n], &mut a.trust[..n]);
        let (shared_b, filled_b, weight_b) =
            (&b.shared[..n], &b.filled_from[..n], &b.exposure_weight[..n]);
        let (exposure_b, trust_b) = (&mut b.exposure[..n], &mut b.trust[..n]);
        // Each run's words: one run's eight per four pairs, or two per four pairs from each
        // of four runs.
        let mut run_words: [&[u32]; R] = [&[]; R];
        for (cut, words) in run_words.iter_mut().zip(words) {
            *cut = &words[..2 * n / R];
        }
        for quad in 0..n / 4 {
            let e = 4 * quad..4 * quad + 4;
            let filled = _mm_and_si128(
                four::filled(&filled_a[e.clone()], step),
                four::filled(&filled_b[e.clone()], step),
            );
            let shares_a = four::flags(&shared_a[e.clone()]);
            let shares_b = four::flags(&shared_b[e.clone()]);
            let contact = four::wide(_mm_and_si128(_mm_or_si128(shares_a, shares_b), filled));
            let both = four::wide(_mm_and_si128(_mm_and_si128(shares_a, shares_b), filled));
            // Each pair's two words: the success word, then the attempt word.
            let (success_w, attempt_w) = if R == 1 {
                let w = &run_words[0][2 * e.start..2 * e.end];
                ([w[0], w[2], w[4], w[6]], [w[1], w[3], w[5], w[7]])
            } else {
                (
                    std::array::from_fn(|lane| run_words[lane % R][2 * quad]),
                    std::array::from_fn(|lane| run_words[lane % R][2 * quad + 1]),
                )
            };
            let success_u = four::uniforms(four::words(success_w));
            let attempt_u = four::uniforms(four::words(attempt_w));
            let success = _mm256_and_pd(both, _mm256_cmp_pd::<_CMP_LT_OQ>(success_u, p_success));
            let rate = _mm256_and_pd(
                both,
                _mm256_blendv_pd(reciprocity_gain, success_gain, success),
            );
            for (exposure, weight) in [(&mut *exposure_a, weight_a), (&mut *exposure_b, weight_b)] {
                let (exposure, weight) = (&mut exposure[e.clone()], &weight[e.clone()]);
                let before = four::load(exposure);
                let after = _mm256_add_pd(before, four::load(weight));
                four::store(exposure, _mm256_blendv_pd(before, after, contact));
            }
            for trust in [&mut *trust_a, &mut *trust_b] {
                let trust = &mut trust[e.clone()];
                let before = four::load(trust);
                four::store(trust, _mm256_blendv_pd(before, gain(before, rate), contact));
            }
            if R == 1 {
                exchanges += four::count(_mm256_movemask_pd(both));
                successes += four::count(_mm256_movemask_pd(success));
            } else {
                lane_exchanges = _mm256_sub_epi64(lane_exchanges, _mm256_castpd_si256(both));
                lane_successes = _mm256_sub_epi64(lane_successes, _mm256_castpd_si256(success));
            }
            // Attempts: one on A at the bottom of [0, 1), else one on B at the top.
            let on_a = _mm256_and_pd(contact, _mm256_cmp_pd::<_CMP_LT_OQ>(attempt_u, attempt_a));
            let on_b = _mm256_andnot_pd(
                on_a,
                _mm256_and_pd(
                    contact,
                    _mm256_cmp_pd::<_CMP_LE_OQ>(_mm256_sub_pd(one, attempt_u), attempt_b),
                ),
            );
            let (on_a, on_b) = (_mm256_movemask_pd(on_a), _mm256_movemask_pd(on_b));
            if on_a | on_b != 0 {
                // Rare: in pair order, as one by one.
                for j in 0..4 {
                    let entry = 4 * quad + j;
                    let (k, lane) = (entry / R, entry % R);
                    if on_a >> j & 1 == 1 {
                        mole_a[entry] |= self.attempt(fear_a[entry], Target::A, k, lane);
                    } else if on_b >> j & 1 == 1 {
                        mole_b[entry] |= self.attempt(fear_b[entry], Target::B, k, lane);
                    }
                }
            }
        }
        let mut counts = [(0, 0); R];
        if R == 1 {
            counts[0] = (exchanges, successes);
        } else {
            let (mut e, mut s) = ([0u64; 4], [0u64; 4]);
            // SAFETY: each array is four `u64`s, the width of one unaligned store.
            unsafe {
                _mm256_storeu_si256(e.as_mut_ptr().cast(), lane_exchanges);
                _mm256_storeu_si256(s.as_mut_ptr().cast(), lane_successes);
            }
            for (count, (e, s)) in counts.iter_mut().zip(e.into_iter().zip(s)) {
                // At most one per pair and step: within `u32`.
                *count = (e as u32, s as u32);
            }
        }
        counts
    }

    /// The contact of pair `contact.k` of the run in lane `contact.lane` (entries `contact.a`
    /// of desk `A` and `contact.b` of desk `B`); `words` are the block's contact words of the
    /// step. Returns whether the pair exchanged and whether the exchange was a joint success
    /// (1 or 0). Whether the pair exchanges or succeeds is random from pair to pair, so those
    /// outcomes are computed without branches; only the rare recruitment attempts branch.
    #[inline(always)]
    fn contact(
        &mut self,
        a: &mut Posts,
        b: &mut Posts,
        contact: Contact,
        words: &[&[u32]; R],
    ) -> (u32, u32) {
        let Contact {
            k,
            lane,
            a: ia,
            b: ib,
        } = contact;
        a.exposure[ia] += a.exposure_weight[ia];
        b.exposure[ib] += b.exposure_weight[ib];
        let both = a.shared[ia] & b.shared[ib];
        let word = &words[lane][2 * k..2 * k + 2];
        let success =
            both & (streams::word_uniform(word[contact_word::SUCCESS]) < self.runs[lane].p_success);
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
        if u < self.side_a.attempt {
            a.mole[ia] |= self.attempt(a.fear[ia], Target::A, k, lane);
        } else if 1.0 - u <= self.side_b.attempt {
            b.mole[ib] |= self.attempt(b.fear[ib], Target::B, k, lane);
        }
        (u32::from(both), u32::from(success))
    }

    /// A recruitment attempt (7.5) in pair `k` of the block, in the run in lane `lane`, on
    /// its officer of side `target`, with fear `fear`: caught (a scandal queued) or, if not,
    /// perhaps turning the officer into a mole (`true`). Reads the side's rare words of the
    /// pair.
    #[cold]
    fn attempt(&mut self, fear: f64, target: Target, k: usize, lane: usize) -> bool {
        let (p, rare) = (self.p, &mut self.rare[lane]);
        let (side, catch, on) = match target {
            Target::A => (&self.side_a, self.runs[lane].catch[0], pair_rare_word::ON_A),
            Target::B => (&self.side_b, self.runs[lane].catch[1], pair_rare_word::ON_B),
        };
        let words = 8 * (self.first_pair + k as u64) + on;
        if rare.uniform(words + pair_rare_word::CATCH) < catch {
            let public = rare.uniform(words + pair_rare_word::PUBLIC) < side.publicity;
            self.states[lane].pending.push(Scandal {
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

/// A pair in contact: pair `k` of its block in the run in lane `lane`, on entry `a` of desk
/// `A` and `b` of desk `B`.
#[derive(Debug, Clone, Copy)]
struct Contact {
    k: usize,
    lane: usize,
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

    /// A desk of `n` posts with varied states: some sharing, some posts empty until step 6,
    /// some experts.
    fn desk(n: usize, seed: u64) -> Vec<super::super::Officer> {
        let mut rng = crate::model::streams::for_tests(seed);
        let mut next = move || rand::RngExt::random::<f64>(&mut rng);
        let officers: Vec<super::super::Officer> = (0..n)
            .map(|i| super::super::Officer {
                trust: next(),
                ambition: next(),
                fear: next(),
                disposition: next(),
                exposure: next() * 3.0,
                filled_from: if i % 5 == 2 { 6 } else { 0 },
                expert: i % 4 == 0,
                mole: i % 9 == 4,
                shared: next() < 0.4,
            })
            .collect();
        officers
    }

    /// A run's state with nothing caught yet.
    fn run_state(run: u32) -> RunState {
        RunState {
            run,
            permission: vec![],
            suspicion: vec![],
            threat: vec![],
            engagement: vec![],
            successes: vec![],
            scandals: vec![],
            pending: vec![],
        }
    }

    /// One run's block step: its two desks, its contact words, and what its pairs share.
    struct Case {
        a: Vec<super::super::Officer>,
        b: Vec<super::super::Officer>,
        words: Vec<u32>,
        run: BlockRun,
        rare: Stream,
    }

    /// What a block step leaves: each run's counts, officers of `A` and `B`, and scandals.
    type Outcome = Vec<(
        (u32, u32),
        Vec<super::super::Officer>,
        Vec<super::super::Officer>,
        Vec<(usize, usize, u64)>,
    )>;

    /// The block step of the runs of `cases` simulated together, one by one or four at a
    /// time.
    fn block_step<const R: usize>(
        p: &Params,
        cases: &[Case; R],
        step: u32,
        four_at_a_time: bool,
    ) -> Outcome {
        let n = cases[0].a.len();
        let mut a = Officers::interleaved(&cases.each_ref().map(|c| c.a.clone()), 2.5);
        let mut b = Officers::interleaved(&cases.each_ref().map(|c| c.b.clone()), 2.5);
        let runs = cases.each_ref().map(|c| c.run);
        let mut rare = cases.each_ref().map(|c| c.rare.clone());
        let mut states = std::array::from_fn(|r| run_state(r as u32));
        let words = cases.each_ref().map(|c| c.words.as_slice());
        let mut block = BlockStep {
            p,
            channel: 0,
            side_a: Side {
                own: 0,
                other: 1,
                attempt: 0.3,
                vigilance: 0.4,
                publicity: 0.5,
            },
            side_b: Side {
                own: 1,
                other: 0,
                attempt: 0.25,
                vigilance: 0.6,
                publicity: 0.2,
            },
            runs: &runs,
            first_pair: u64::from(step) * n as u64,
            rare: &mut rare,
            states: &mut states,
        };
        let counts = if four_at_a_time {
            // SAFETY: the caller detected AVX2.
            #[cfg(target_arch = "x86_64")]
            unsafe {
                block.run_in_fours(a.lane_posts(), b.lane_posts(), step, &words)
            }
            #[cfg(not(target_arch = "x86_64"))]
            unreachable!()
        } else {
            block.run_one_by_one(a.posts(), b.posts(), [n, n], step, n, &words)
        };
        (0..R)
            .map(|lane| {
                let scandals = (states[lane].pending.iter())
                    .map(|s| (s.catcher, s.accused, s.weight.to_bits()))
                    .collect();
                (
                    counts[lane],
                    a.run_to_vec(lane),
                    b.run_to_vec(lane),
                    scandals,
                )
            })
            .collect()
    }

    #[test]
    fn exchanges_four_at_a_time_and_in_batches_equal_the_ones_one_by_one() {
        #[cfg(target_arch = "x86_64")]
        let avx2 = std::is_x86_feature_detected!("avx2");
        #[cfg(not(target_arch = "x86_64"))]
        let avx2 = false;
        let p = Params {
            // Frequent attempts and turns, so that the rare path runs too.
            recruit_attempt: 0.5,
            recruit_success: 0.6,
            ..Params::default()
        };
        let key = streams::key(3, streams::Purpose::PairRare, &["test"], &[]);
        let (mut attempts, mut contacts) = (0, 0);
        for n in [1usize, 4, 7, 12, 13] {
            for step in [5u32, 6] {
                let case = |r: u32| {
                    let seed = u64::from(r) * 1000;
                    // One run pads its words to whole fours of pairs; nothing depends on them.
                    let words: Vec<u32> = (0..2 * n.next_multiple_of(4) as u32)
                        .map(|i| i.wrapping_mul(2_654_435_761) ^ step ^ r.wrapping_mul(97_531))
                        .collect();
                    Case {
                        a: desk(n, 11 * n as u64 + seed),
                        b: desk(n, 7 + u64::from(step) + seed),
                        words,
                        run: BlockRun {
                            p_success: 0.3 + 0.1 * f64::from(r),
                            catch: [0.4 - 0.05 * f64::from(r), 0.6],
                        },
                        rare: Stream::new(&key, step + 10 * r),
                    }
                };
                // Each run alone, one by one: the reference.
                let alone: Outcome = (0..4)
                    .flat_map(|r| block_step(&p, &[case(r)], step, false))
                    .collect();
                if avx2 {
                    let four: Outcome = (0..4)
                        .flat_map(|r| block_step(&p, &[case(r)], step, true))
                        .collect();
                    assert_eq!(four, alone, "{n} pairs in step {step}, four at a time");
                }
                let batch: [Case; BATCH] = std::array::from_fn(|r| case(r as u32));
                let batched = block_step(&p, &batch, step, false);
                assert_eq!(
                    batched, alone,
                    "{n} pairs in step {step}, a batch one by one"
                );
                if avx2 {
                    let batched = block_step(&p, &batch, step, true);
                    assert_eq!(batched, alone, "{n} pairs in step {step}, a batch in fours");
                }
                for (r, (counts, a, b, scandals)) in alone.iter().enumerate() {
                    contacts += counts.0;
                    let moles = |o: &[super::super::Officer]| o.iter().filter(|o| o.mole).count();
                    let before = case(r as u32);
                    let turned = moles(a) + moles(b) - moles(&before.a) - moles(&before.b);
                    attempts += scandals.len() + turned;
                }
            }
        }
        // The cases exchanged, and recruitment attempts were caught or turned officers.
        assert!(
            contacts > 20 && attempts > 20,
            "{contacts} exchanges, {attempts} attempts"
        );
    }
}
