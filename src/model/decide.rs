//! The share decisions (7.3) of a desk's officers in one step.
//!
//! The same decision, `u < logistic(z) · permission`, is taken one officer at a time
//! ([`DeskDecision::one`]) or several at a time in vector lanes: four in AVX2 registers where
//! the processor has them (detected at run time), two in SSE2 registers (every x86-64
//! processor). The lanes do the same operations in the same order as the one-at-a-time
//! decision (no fused multiply-add), so every decision, hence every output, is the same on
//! every machine and with or without the vector paths.

#[cfg(target_arch = "x86_64")]
use super::four;
use super::officers::Officers;
use super::streams;
use super::{DeskState, rules};

/// What every officer of a desk shares in a step's decisions.
#[derive(Clone, Copy)]
struct DeskDecision {
    /// The model step.
    step: u32,
    /// The desk's part of the sharing logit.
    base: f64,
    /// The effective permission, in [0, 1].
    permission: f64,
    /// The weights of the officer's own state.
    weights: rules::OfficerWeights,
    /// The logistic bracket table.
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

/// The fields a decision reads and writes, each cut to the same number of officers.
struct Lanes<'o> {
    trust: &'o [f64],
    ambition: &'o [f64],
    fear: &'o [f64],
    filled_from: &'o [u32],
    words: &'o [u32],
    decisions: &'o mut [bool],
}

impl<'o> Lanes<'o> {
    /// The first `len` posts of `o` (every field cut to that length, so that the loops need no
    /// bounds checks) with their share `words`. Always inlined: it runs once per desk and
    /// step, and a call would pass the six slices through memory.
    #[inline(always)]
    fn of(o: &'o mut Officers, words: &'o [u32], len: usize) -> Lanes<'o> {
        Lanes {
            trust: &o.trust[..len],
            ambition: &o.ambition[..len],
            fear: &o.fear[..len],
            filled_from: &o.filled_from[..len],
            words: &words[..len],
            decisions: &mut o.shared[..len],
        }
    }

    /// The state (trust, ambition, fear) of officer `i`.
    #[inline]
    fn state(&self, i: usize) -> [f64; 3] {
        [self.trust[i], self.ambition[i], self.fear[i]]
    }
}

/// What every desk shares in a step's decisions.
#[derive(Clone, Copy)]
pub(super) struct StepDecisions {
    /// The model step.
    pub step: u32,
    /// The weights of the officer's own state.
    pub weights: rules::OfficerWeights,
    /// The logistic bracket table.
    pub brackets: &'static rules::LogisticBrackets,
}

impl StepDecisions {
    /// The decisions of `desk` in this step.
    fn of(&self, desk: &DeskState) -> DeskDecision {
        DeskDecision {
            step: self.step,
            base: desk.share_base,
            permission: desk.share_permission,
            weights: self.weights,
            brackets: self.brackets,
        }
    }
}

/// The share decisions (7.3) of every officer of every desk in step `s.step`, from each
/// desk's share stream (words `step·n … step·n + n − 1` of a desk of `n` posts, read in place
/// in the stream's cache unless they straddle two chunks, else copied into `scratch`, which
/// is as long as the largest desk's [`Officers::lanes`]); sets each desk's `shared`.
///
/// All desks in one call, so that what the loops keep in registers is set up once per step,
/// not once per desk (desks are small: a dozen officers).
pub(super) fn decide_desks(desks: &mut [DeskState], s: StepDecisions, scratch: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    if four::available() {
        // SAFETY: `four::available` detected AVX2.
        unsafe { decide_desks_in_fours(desks, &s, scratch) };
        return;
    }
    for desk in desks {
        let d = s.of(desk);
        let n = desk.officers.len();
        let words = desk
            .share
            .words(u64::from(s.step) * n as u64, &mut scratch[..n]);
        desk.shared = decide_desk(&mut desk.officers, words, d);
    }
}

/// [`decide_desks`] with AVX2: each desk's officers four at a time, over the padded arrays
/// (the padding's posts are empty, so their decisions are `false`; the words read for them
/// are the next ones of the stream, and nothing depends on them).
///
/// # Safety
/// Callable only where AVX2 is available.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn decide_desks_in_fours(desks: &mut [DeskState], s: &StepDecisions, scratch: &mut [u32]) {
    // Broadcast once per step, not once per desk.
    let weights = FourWeights::of(&s.weights);
    for desk in desks {
        let d = s.of(desk);
        let (n, lanes) = (desk.officers.len(), desk.officers.lanes());
        let words = desk
            .share
            .words(u64::from(s.step) * n as u64, &mut scratch[..lanes]);
        let mut lanes = Lanes::of(&mut desk.officers, words, lanes);
        desk.shared = decide_in_fours(&mut lanes, &d, &weights);
    }
}

/// The weights of an officer's own state, each in the four lanes of an AVX2 register.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct FourWeights {
    trust: std::arch::x86_64::__m256d,
    ambition: std::arch::x86_64::__m256d,
    fear: std::arch::x86_64::__m256d,
}

#[cfg(target_arch = "x86_64")]
impl FourWeights {
    /// `w` broadcast.
    ///
    /// # Safety
    /// Callable only where AVX2 is available.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn of(w: &rules::OfficerWeights) -> FourWeights {
        use std::arch::x86_64::_mm256_set1_pd;
        FourWeights {
            trust: _mm256_set1_pd(w.trust),
            ambition: _mm256_set1_pd(w.ambition),
            fear: _mm256_set1_pd(w.fear),
        }
    }
}

/// The share decisions (7.3) of the officers of a desk without AVX2, from the step's share
/// `words` (one per post); returns how many share.
fn decide_desk(officers: &mut Officers, words: &[u32], d: DeskDecision) -> u32 {
    let n = officers.len();
    let mut lanes = Lanes::of(officers, words, n);
    // No branch on the decision itself (about one officer in five shares, at random, which a
    // branch predictor cannot learn): the bracket decides nearly every draw. On x86-64 the
    // officers go two at a time, and an odd last one alone.
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of x86-64 itself: every processor that runs this code has it.
    let (done, mut shared) = unsafe { decide_in_twos(&mut lanes, &d) };
    #[cfg(not(target_arch = "x86_64"))]
    let (done, mut shared) = (0, 0);
    for i in done..n {
        let decision = (d.step >= lanes.filled_from[i]) & d.one(lanes.words[i], lanes.state(i));
        lanes.decisions[i] = decision;
        shared += u32::from(decision);
    }
    shared
}

/// The share decisions of the officers of a desk four at a time, in the four lanes of AVX2
/// registers (the same operations as [`rules::officer_logit`] and
/// [`rules::LogisticBrackets::bracketed`], in the same order, so the same decisions); the
/// fields are padded to a multiple of four with empty posts ([`Officers::lanes`]). Returns how
/// many share.
///
/// # Safety
/// Callable only where AVX2 is available.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn decide_in_fours(o: &mut Lanes, d: &DeskDecision, w: &FourWeights) -> u32 {
    use std::arch::x86_64::*;
    debug_assert_eq!(o.decisions.len() % 4, 0);
    let (base, w_trust, w_ambition, w_fear) = (_mm256_set1_pd(d.base), w.trust, w.ambition, w.fear);
    let mut shared = 0;
    // Four officers at a time, as chunks of four (which need no bounds checks).
    let states = (o.trust.chunks_exact(4))
        .zip(o.ambition.chunks_exact(4))
        .zip(o.fear.chunks_exact(4));
    let posts = o.words.chunks_exact(4).zip(o.filled_from.chunks_exact(4));
    let decisions = o.decisions.chunks_exact_mut(4);
    for (((t, a), f), ((words, filled_from), out)) in states.zip(posts.zip(decisions)) {
        let z = _mm256_sub_pd(
            _mm256_add_pd(
                _mm256_add_pd(base, _mm256_mul_pd(w_trust, four::load(t))),
                _mm256_mul_pd(w_ambition, four::load(a)),
            ),
            _mm256_mul_pd(w_fear, four::load(f)),
        );
        let u = four::uniforms(four::words([words[0], words[1], words[2], words[3]]));
        let (decided, mut shares) = d.brackets.bracketed_four(u, z, d.permission);
        if decided != 0b1111 {
            // Rare: a draw inside its bracket, or a logit outside the table.
            shares = undecided_lanes(d, [t, a, f], words, decided, shares);
        }
        let filled = _mm_movemask_ps(_mm_castsi128_ps(four::filled(filled_from, d.step)));
        let decisions = shares & filled;
        out.copy_from_slice(&four::FLAGS[decisions as usize]);
        shared += four::count(decisions);
    }
    shared
}

/// The decisions of the lanes of four officers (their trust, ambition and fear, and their share
/// words) that the bracket left undecided (bit clear in `decided`), taken one at a time;
/// `shares` holds the decided lanes.
#[cold]
#[inline(never)]
fn undecided_lanes(
    d: &DeskDecision,
    [trust, ambition, fear]: [&[f64]; 3],
    words: &[u32],
    decided: i32,
    shares: i32,
) -> i32 {
    (0..4).fold(shares, |shares, lane| {
        if decided >> lane & 1 == 1 {
            return shares;
        }
        let bit = 1 << lane;
        if d.one(words[lane], [trust[lane], ambition[lane], fear[lane]]) {
            shares | bit
        } else {
            shares & !bit
        }
    })
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
fn decide_in_twos(o: &mut Lanes, d: &DeskDecision) -> (usize, u32) {
    use std::arch::x86_64::*;
    let (base, w) = (_mm_set1_pd(d.base), d.weights);
    let (w_trust, w_ambition, w_fear) = (
        _mm_set1_pd(w.trust),
        _mm_set1_pd(w.ambition),
        _mm_set1_pd(w.fear),
    );
    let (trust, ambition, fear, words) = (o.trust, o.ambition, o.fear, o.words);
    let pairs = o.decisions.len() / 2;
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
            (first, second) = (d.one(words[i], o.state(i)), d.one(words[j], o.state(j)));
        }
        o.decisions[i] = (d.step >= o.filled_from[i]) & first;
        o.decisions[j] = (d.step >= o.filled_from[j]) & second;
        shared += u32::from(o.decisions[i]) + u32::from(o.decisions[j]);
    }
    (2 * pairs, shared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Officer;

    /// A desk of `n` officers with varied states, some posts empty until step 5.
    fn desk(n: usize, seed: u64) -> (Officers, Vec<u32>) {
        use rand::{Rng, RngExt};
        let mut rng = crate::model::streams::for_tests(seed);
        let officers: Vec<Officer> = (0..n)
            .map(|i| Officer {
                trust: rng.random(),
                ambition: rng.random(),
                fear: rng.random(),
                disposition: 0.1,
                exposure: 0.0,
                filled_from: if i % 7 == 3 { 5 } else { 0 },
                expert: false,
                mole: false,
                shared: true,
            })
            .collect();
        let words = (0..n).map(|_| rng.next_u32()).collect();
        (Officers::new(&officers, 1.0), words)
    }

    #[test]
    fn desk_decisions_equal_the_one_at_a_time_ones() {
        let brackets = rules::LogisticBrackets::get();
        let weights = rules::OfficerWeights {
            trust: 3.0,
            ambition: 1.5,
            fear: 2.0,
        };
        let mut sharing = 0;
        // Every remainder modulo four, logits across the table and beyond it, permissions
        // 0 to 1, and steps before and after the empty posts fill.
        for (k, n) in (0..=13).chain([64, 101]).enumerate() {
            for base in [-40.0, -3.0, -1.2, 0.0, 0.7, 38.0] {
                for permission in [0.0, 0.4, 1.0] {
                    for step in [4, 5] {
                        let (mut officers, words) = desk(n, k as u64 * 31 + step as u64);
                        let d = DeskDecision {
                            step,
                            base,
                            permission,
                            weights,
                            brackets,
                        };
                        let expected: Vec<bool> = (0..n)
                            .map(|i| {
                                let o = officers.get(i);
                                step >= o.filled_from
                                    && streams::word_uniform(words[i])
                                        < rules::logistic(rules::officer_logit(
                                            &weights, base, o.trust, o.ambition, o.fear,
                                        )) * permission
                            })
                            .collect();
                        let count = expected.iter().filter(|&&s| s).count();
                        // Without AVX2 (two lanes and one).
                        let mut portable = officers.clone();
                        let shared = decide_desk(&mut portable, &words, d);
                        assert_eq!(
                            portable.shared[..n],
                            expected,
                            "n {n} base {base} step {step}"
                        );
                        assert_eq!(shared as usize, count);
                        // With AVX2 (four lanes over the padded arrays), where there is AVX2.
                        #[cfg(target_arch = "x86_64")]
                        if std::is_x86_feature_detected!("avx2") {
                            let lanes = officers.lanes();
                            let mut padded_words = words.clone();
                            padded_words.resize(lanes, u32::MAX / 3);
                            let mut view = Lanes::of(&mut officers, &padded_words, lanes);
                            // SAFETY: AVX2 was just detected.
                            let shared = unsafe {
                                decide_in_fours(&mut view, &d, &FourWeights::of(&weights))
                            };
                            assert_eq!(
                                officers.shared[..n],
                                expected,
                                "n {n} base {base} step {step}"
                            );
                            assert!(
                                officers.shared[n..].iter().all(|&s| !s),
                                "padding never shares"
                            );
                            assert_eq!(shared as usize, count);
                        }
                        sharing += shared;
                    }
                }
            }
        }
        assert!(sharing > 1000, "{sharing}");
    }
}
