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
use super::{Params, Scandal, rules};

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

/// One side of a pair block as the target of recruitment attempts, this step.
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
    /// Probability that this side's counterintelligence catches the attempt (this step: from
    /// `vigilance` and the service's suspicion).
    pub catch: f64,
    /// Probability that a caught attempt is publicised.
    pub publicity: f64,
}

/// One step of one pair block: what all its pairs share, and what they add up.
pub(super) struct BlockStep<'s> {
    pub p: &'s Params,
    pub channel: usize,
    /// Probability that a reciprocated exchange is a joint success.
    pub p_success: f64,
    pub side_a: Side,
    pub side_b: Side,
    /// Index of the block's pair 0 in this step: `step·pairs`.
    pub first_pair: u64,
    /// The block's rare draws.
    pub rare: &'s mut Stream,
    pub pending: &'s mut Vec<Scandal>,
}

impl BlockStep<'_> {
    /// Every pair of the block in step `step`: `pairs` pairs of posts of `a` and `b`, and the
    /// block's contact words of the step; returns the reciprocated exchanges and the joint
    /// successes. A function of its own, not inlined into the step, so that the loops keep
    /// what they need in registers.
    #[inline(never)]
    pub fn run(
        &mut self,
        a: &mut Officers,
        b: &mut Officers,
        step: u32,
        pairs: usize,
        words: &[u32],
    ) -> (u32, u32) {
        #[cfg(target_arch = "x86_64")]
        if a.len() == b.len() && four::available() {
            // SAFETY: `four::available` detected AVX2.
            return unsafe { self.run_in_fours(a.lane_posts(), b.lane_posts(), step, words) };
        }
        self.run_one_by_one(a.posts(), b.posts(), step, pairs, words)
    }

    /// [`BlockStep::run`] one pair in contact after the other.
    fn run_one_by_one(
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

    /// [`BlockStep::run`] for desks of equal size, four pairs at a time in AVX2 registers,
    /// over the padded posts (`a` and `b` from [`Officers::lane_posts`]; `words` as many as
    /// two per padded pair). Every pair goes through the same operations; a pair not in
    /// contact keeps its exposure and trust as they are (blended back), so the results are
    /// those of [`BlockStep::contact`] for the pairs in contact, to the last bit.
    ///
    /// # Safety
    /// Callable only where AVX2 is available.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn run_in_fours(&mut self, a: Posts, b: Posts, step: u32, words: &[u32]) -> (u32, u32) {
        use std::arch::x86_64::*;
        let lanes = a.shared.len();
        debug_assert!(
            lanes.is_multiple_of(4) && b.shared.len() == lanes && words.len() >= 2 * lanes
        );
        let p = self.p;
        let (one, zero) = (_mm256_set1_pd(1.0), _mm256_setzero_pd());
        let (p_success, success_gain, reciprocity_gain) = (
            _mm256_set1_pd(self.p_success),
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
        // Each side's fields as chunks of four posts (which need no bounds checks); fear and
        // moles are read only for the rare attempts.
        let (fear_a, mole_a, fear_b, mole_b) = (a.fear, a.mole, b.fear, b.mole);
        let side_a = (a.shared.chunks_exact(4))
            .zip(a.filled_from.chunks_exact(4))
            .zip(a.exposure_weight.chunks_exact(4))
            .zip(a.exposure.chunks_exact_mut(4))
            .zip(a.trust.chunks_exact_mut(4));
        let side_b = (b.shared.chunks_exact(4))
            .zip(b.filled_from.chunks_exact(4))
            .zip(b.exposure_weight.chunks_exact(4))
            .zip(b.exposure.chunks_exact_mut(4))
            .zip(b.trust.chunks_exact_mut(4));
        let quads = side_a.zip(side_b).zip(words.chunks_exact(8)).enumerate();
        for (quad, ((posts_a, posts_b), w)) in quads {
            let ((((shared_a, filled_a), weight_a), exposure_a), trust_a) = posts_a;
            let ((((shared_b, filled_b), weight_b), exposure_b), trust_b) = posts_b;
            let filled = _mm_and_si128(four::filled(filled_a, step), four::filled(filled_b, step));
            let (shares_a, shares_b) = (four::flags(shared_a), four::flags(shared_b));
            let contact = four::wide(_mm_and_si128(_mm_or_si128(shares_a, shares_b), filled));
            let both = four::wide(_mm_and_si128(_mm_and_si128(shares_a, shares_b), filled));
            // Each pair's two words: the success word, then the attempt word.
            let success_u = four::uniforms(four::words([w[0], w[2], w[4], w[6]]));
            let attempt_u = four::uniforms(four::words([w[1], w[3], w[5], w[7]]));
            let success = _mm256_and_pd(both, _mm256_cmp_pd::<_CMP_LT_OQ>(success_u, p_success));
            let rate = _mm256_and_pd(
                both,
                _mm256_blendv_pd(reciprocity_gain, success_gain, success),
            );
            for (exposure, weight) in [(exposure_a, weight_a), (exposure_b, weight_b)] {
                let before = four::load(exposure);
                let after = _mm256_add_pd(before, four::load(weight));
                four::store(exposure, _mm256_blendv_pd(before, after, contact));
            }
            for trust in [trust_a, trust_b] {
                let before = four::load(trust);
                four::store(trust, _mm256_blendv_pd(before, gain(before, rate), contact));
            }
            exchanges += four::count(_mm256_movemask_pd(both));
            successes += four::count(_mm256_movemask_pd(success));
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
                for lane in 0..4 {
                    let k = 4 * quad + lane;
                    if on_a >> lane & 1 == 1 {
                        mole_a[k] |= self.attempt(fear_a[k], Target::A, k);
                    } else if on_b >> lane & 1 == 1 {
                        mole_b[k] |= self.attempt(fear_b[k], Target::B, k);
                    }
                }
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
        if u < self.side_a.attempt {
            a.mole[ia] |= self.attempt(a.fear[ia], Target::A, k);
        } else if 1.0 - u <= self.side_b.attempt {
            b.mole[ib] |= self.attempt(b.fear[ib], Target::B, k);
        }
        (u32::from(both), u32::from(success))
    }

    /// A recruitment attempt (7.5) in pair `k` of the block on its officer of side `target`,
    /// with fear `fear`: caught (a scandal queued) or, if not, perhaps turning the officer into
    /// a mole (`true`). Reads the side's rare words of the pair.
    #[cold]
    fn attempt(&mut self, fear: f64, target: Target, k: usize) -> bool {
        let (p, rare) = (self.p, &mut *self.rare);
        let (side, on) = match target {
            Target::A => (&self.side_a, pair_rare_word::ON_A),
            Target::B => (&self.side_b, pair_rare_word::ON_B),
        };
        let words = 8 * (self.first_pair + k as u64) + on;
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
    fn desk(n: usize, seed: u64) -> Officers {
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
        Officers::new(&officers, 2.5)
    }

    #[test]
    fn exchanges_four_at_a_time_equal_the_ones_one_by_one() {
        #[cfg(target_arch = "x86_64")]
        if !std::is_x86_feature_detected!("avx2") {
            eprintln!("no AVX2 on this processor: the four-lane path is not used here");
            return;
        }
        let p = Params {
            // Frequent attempts and turns, so that the rare path runs too.
            recruit_attempt: 0.5,
            recruit_success: 0.6,
            ..Params::default()
        };
        let key = streams::key(3, streams::Purpose::PairRare, &["test"], &[]);
        let (mut attempts, mut contacts) = (0, 0);
        for n in [1, 4, 7, 12, 13] {
            for step in [5, 6] {
                let (a, b) = (desk(n, 11 * n as u64), desk(n, 7 + step as u64));
                let words: Vec<u32> = (0..2 * n.next_multiple_of(4) as u32)
                    .map(|i| i.wrapping_mul(2_654_435_761) ^ step)
                    .collect();
                let run = |four_at_a_time: bool| {
                    let (mut a, mut b) = (a.clone(), b.clone());
                    let mut rare = Stream::new(&key, step);
                    let mut pending = Vec::new();
                    let mut block = BlockStep {
                        p: &p,
                        channel: 0,
                        p_success: 0.3,
                        side_a: Side {
                            own: 0,
                            other: 1,
                            attempt: 0.3,
                            vigilance: 0.4,
                            catch: 0.4,
                            publicity: 0.5,
                        },
                        side_b: Side {
                            own: 1,
                            other: 0,
                            attempt: 0.25,
                            vigilance: 0.6,
                            catch: 0.6,
                            publicity: 0.2,
                        },
                        first_pair: u64::from(step) * n as u64,
                        rare: &mut rare,
                        pending: &mut pending,
                    };
                    let counts = if four_at_a_time {
                        // SAFETY: AVX2 was detected above.
                        #[cfg(target_arch = "x86_64")]
                        unsafe {
                            block.run_in_fours(a.lane_posts(), b.lane_posts(), step, &words)
                        }
                        #[cfg(not(target_arch = "x86_64"))]
                        unreachable!()
                    } else {
                        block.run_one_by_one(a.posts(), b.posts(), step, n, &words)
                    };
                    let scandals: Vec<(usize, usize, u64)> = pending
                        .iter()
                        .map(|s| (s.catcher, s.accused, s.weight.to_bits()))
                        .collect();
                    (counts, a.to_vec(), b.to_vec(), scandals)
                };
                let expected = run(false);
                assert_eq!(run(true), expected, "{n} pairs in step {step}");
                contacts += expected.0.0;
                let moles = |o: &Officers| o.to_vec().iter().filter(|o| o.mole).count();
                let turned = (expected.1.iter().chain(&expected.2))
                    .filter(|o| o.mole)
                    .count()
                    - moles(&a)
                    - moles(&b);
                attempts += expected.3.len() + turned;
            }
        }
        // The cases exchanged, and recruitment attempts were caught or turned officers.
        assert!(
            contacts > 5 && attempts > 5,
            "{contacts} exchanges, {attempts} attempts"
        );
    }
}
