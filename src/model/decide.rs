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
use super::{BATCH, DeskRun, DeskState, rules};

/// What every officer of a desk shares in a step's decisions, in one run.
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

/// The fields a decision reads and writes, each cut to the same number of entries.
struct Lanes<'o> {
    trust: &'o [f64],
    ambition: &'o [f64],
    fear: &'o [f64],
    filled_from: &'o [u32],
    decisions: &'o mut [bool],
}

impl<'o> Lanes<'o> {
    /// The first `len` entries of `o` (every field cut to that length, so that the loops need
    /// no bounds checks). Always inlined: it runs once per desk and step, and a call would
    /// pass the five slices through memory.
    #[inline(always)]
    fn of(o: &'o mut Officers, len: usize) -> Lanes<'o> {
        Lanes {
            trust: &o.trust[..len],
            ambition: &o.ambition[..len],
            fear: &o.fear[..len],
            filled_from: &o.filled_from[..len],
            decisions: &mut o.shared[..len],
        }
    }

    /// The state (trust, ambition, fear) of entry `i`.
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
    /// The decisions of a desk in each of its runs (`runs`, in lane order) in this step.
    #[inline]
    fn of<const R: usize>(&self, runs: &[DeskRun; R]) -> [DeskDecision; R] {
        let mut decisions = [DeskDecision {
            step: self.step,
            base: 0.0,
            permission: 0.0,
            weights: self.weights,
            brackets: self.brackets,
        }; R];
        // A loop rather than `map`, which does not always inline.
        for (d, run) in decisions.iter_mut().zip(runs) {
            (d.base, d.permission) = (run.share_base, run.share_permission);
        }
        decisions
    }
}

/// Each run's share words of a desk of `n` posts in step `step`: words `step·n …` of the
/// run's share stream, `len` of them (`n`, or with one run the padded posts, whose words are
/// the next ones of the stream and decide nothing), read in place in the stream's cache
/// unless they straddle two chunks, else copied into the run's part of `scratch` (`R` parts
/// of `part` words).
#[inline(always)]
fn share_words<'w, const R: usize>(
    runs: &'w mut [DeskRun; R],
    [n, len]: [usize; 2],
    step: u32,
    scratch: &'w mut [u32],
    part: usize,
) -> [&'w [u32]; R] {
    let first = u64::from(step) * n as u64;
    let mut words: [&[u32]; R] = [&[]; R];
    // A loop rather than `map`, which does not always inline.
    let parts = runs.iter_mut().zip(scratch.chunks_exact_mut(part));
    for (words, (run, scratch)) in words.iter_mut().zip(parts) {
        *words = run.share.words(first, &mut scratch[..len]);
    }
    words
}

/// The share decisions (7.3) of every officer of every desk in step `s.step`, in each of the
/// `R` runs, from the runs' share streams ([`share_words`]: `scratch` has `R` parts of
/// `part` words, at least the largest desk's posts, padded); sets each desk's `shared` in
/// each run.
///
/// All desks in one call, so that what the loops keep in registers is set up once per step,
/// not once per desk (desks are small: a dozen officers).
pub(super) fn decide_desks<const R: usize>(
    desks: &mut [DeskState<R>],
    s: StepDecisions,
    scratch: &mut [u32],
    part: usize,
) {
    #[cfg(target_arch = "x86_64")]
    if four::available() {
        // SAFETY: `four::available` detected AVX2.
        unsafe { decide_desks_in_fours(desks, &s, scratch, part) };
        return;
    }
    for desk in desks {
        let d = s.of(&desk.runs);
        let n = desk.officers.len();
        let words = share_words(&mut desk.runs, [n, n], s.step, scratch, part);
        let shared = decide_desk(&mut desk.officers, &words, &d);
        for (run, shared) in desk.runs.iter_mut().zip(shared) {
            run.shared = shared;
        }
    }
}

/// [`decide_desks`] with AVX2: each desk's entries four at a time, over the padded arrays
/// (the padding's posts are empty, so their decisions are `false`).
///
/// # Safety
/// Callable only where AVX2 is available.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn decide_desks_in_fours<const R: usize>(
    desks: &mut [DeskState<R>],
    s: &StepDecisions,
    scratch: &mut [u32],
    part: usize,
) {
    // Broadcast once per step, not once per desk.
    let weights = FourWeights::of(&s.weights);
    for desk in desks {
        // Each run's logit base and permission in its lanes, read before the words borrow
        // the runs' streams.
        let runs = &desk.runs;
        let d = FourDesk {
            base: four::per_run::<R>(|run| runs[run].share_base),
            permission: four::per_run::<R>(|run| runs[run].share_permission),
        };
        let (n, lanes) = (desk.officers.len(), desk.officers.lanes());
        // One run reads a word for every padded post; a batch has no padding.
        let len = if R == 1 { lanes } else { n };
        let words = share_words(&mut desk.runs, [n, len], s.step, scratch, part);
        let mut lanes = Lanes::of(&mut desk.officers, lanes);
        let shared = decide_in_fours(&mut lanes, &words, &d, s, &weights);
        for (run, shared) in desk.runs.iter_mut().zip(shared) {
            run.shared = shared;
        }
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

/// What a desk's decisions share in one step, lane by lane: lane `j` holds the value of the
/// run in lane `j mod R` ([`four::per_run`]).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct FourDesk {
    /// The desk's part of the sharing logit.
    base: std::arch::x86_64::__m256d,
    /// The effective permission, in [0, 1].
    permission: std::arch::x86_64::__m256d,
}

/// The share decisions (7.3) of the entries of a desk without AVX2, from each run's share
/// `words` (one per post) and decisions `d` (entry `i` is post `i / R` in the run in lane
/// `i mod R`); returns how many share in each run.
fn decide_desk<const R: usize>(
    officers: &mut Officers,
    words: &[&[u32]; R],
    d: &[DeskDecision; R],
) -> [u32; R] {
    let entries = officers.entries();
    let mut lanes = Lanes::of(officers, entries);
    let mut shared = [0; R];
    // No branch on the decision itself (about one officer in five shares, at random, which a
    // branch predictor cannot learn): the bracket decides nearly every draw. On x86-64 a
    // single run's officers go two at a time, and an odd last one alone.
    #[cfg(target_arch = "x86_64")]
    let done = if R == 1 {
        // SAFETY: SSE2 is part of x86-64 itself: every processor that runs this code has it.
        let (done, count) = unsafe { decide_in_twos(&mut lanes, words[0], &d[0]) };
        shared[0] = count;
        done
    } else {
        0
    };
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    for i in done..entries {
        let (lane, slot) = (i % R, i / R);
        let decision =
            (d[lane].step >= lanes.filled_from[i]) & d[lane].one(words[lane][slot], lanes.state(i));
        lanes.decisions[i] = decision;
        shared[lane] += u32::from(decision);
    }
    shared
}

/// The share decisions of a desk's entries four at a time, in the four lanes of AVX2
/// registers (the same operations as [`rules::officer_logit`] and
/// [`rules::LogisticBrackets::bracketed`], in the same order, so the same decisions); the
/// fields are padded to a multiple of four with empty posts ([`Officers::lanes`]), and
/// `words` are each run's share words (with one run, one per padded post). Lane `j` is in the
/// run in lane `j mod R`, decided with lane `j` of `d` and with `s` (`R` is 1 or [`BATCH`]).
/// Returns how many share in each run.
///
/// # Safety
/// Callable only where AVX2 is available.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn decide_in_fours<const R: usize>(
    o: &mut Lanes,
    words: &[&[u32]; R],
    d: &FourDesk,
    s: &StepDecisions,
    w: &FourWeights,
) -> [u32; R] {
    use std::arch::x86_64::*;
    const { assert!(R == 1 || R == BATCH) };
    debug_assert_eq!(o.decisions.len() % 4, 0);
    let (base, permission) = (d.base, d.permission);
    let (w_trust, w_ambition, w_fear) = (w.trust, w.ambition, w.fear);
    let (mut shared, mut lane_shared) = (0, _mm_setzero_si128());
    let (step, brackets) = (s.step, s.brackets);
    // Every field cut to the same length, a multiple of four, so that the loop needs no
    // bounds checks. (Indices rather than zipped chunks: with a batch's words zipped in, the
    // compiler keeps the loop's items in memory.)
    let quads = o.decisions.len() / 4;
    let n = 4 * quads;
    let (trust, ambition, fear) = (&o.trust[..n], &o.ambition[..n], &o.fear[..n]);
    let (filled_from, out) = (&o.filled_from[..n], &mut o.decisions[..n]);
    // Each run's words: one run's four per quad, or one per quad from each of four runs.
    let mut run_words: [&[u32]; R] = [&[]; R];
    for (cut, words) in run_words.iter_mut().zip(words) {
        *cut = &words[..n / R];
    }
    for quad in 0..quads {
        let first = 4 * quad;
        let entries = first..first + 4;
        let (t, a, f) = (
            &trust[entries.clone()],
            &ambition[entries.clone()],
            &fear[entries.clone()],
        );
        let words = if R == 1 {
            let w = &run_words[0][entries.clone()];
            [w[0], w[1], w[2], w[3]]
        } else {
            std::array::from_fn(|lane| run_words[lane % R][quad])
        };
        let z = _mm256_sub_pd(
            _mm256_add_pd(
                _mm256_add_pd(base, _mm256_mul_pd(w_trust, four::load(t))),
                _mm256_mul_pd(w_ambition, four::load(a)),
            ),
            _mm256_mul_pd(w_fear, four::load(f)),
        );
        let u = four::uniforms(four::words(words));
        let (decided, mut shares) = brackets.bracketed_four(u, z, permission);
        if decided != 0b1111 {
            // Rare: a draw inside its bracket, or a logit outside the table.
            let states = [trust, ambition, fear];
            shares = undecided_lanes(s, d, states, &run_words, quad, decided, shares);
        }
        let filled = four::filled(&filled_from[entries.clone()], step);
        let filled = _mm_movemask_ps(_mm_castsi128_ps(filled));
        let decisions = shares & filled;
        out[entries].copy_from_slice(&four::FLAGS[decisions as usize]);
        if R == 1 {
            shared += four::count(decisions);
        } else {
            let ones = four::ONES[decisions as usize & 0b1111];
            // SAFETY: `ones` is four `u32`s, the width of one unaligned load.
            let ones = unsafe { _mm_loadu_si128(ones.as_ptr().cast()) };
            lane_shared = _mm_add_epi32(lane_shared, ones);
        }
    }
    if R == 1 {
        [shared; R]
    } else {
        let lanes = four::lanes_u32(lane_shared);
        std::array::from_fn(|lane| lanes[lane])
    }
}

/// The decisions of the lanes of four entries `4·quad …` (of the fields trust, ambition and
/// fear; each run's share `words` as [`decide_in_fours`] reads them) that the bracket left
/// undecided (bit clear in `decided`), taken one at a time, lane `j` with lane `j` of `desk`;
/// `shares` holds the decided lanes. (The words are looked up again here rather than passed:
/// passing them makes the compiler store them for the call at every four.)
///
/// # Safety
/// Callable only where AVX2 is available.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[cold]
#[inline(never)]
fn undecided_lanes<const R: usize>(
    s: &StepDecisions,
    desk: &FourDesk,
    [trust, ambition, fear]: [&[f64]; 3],
    words: &[&[u32]; R],
    quad: usize,
    decided: i32,
    shares: i32,
) -> i32 {
    let (mut base, mut permission) = ([0.0; 4], [0.0; 4]);
    four::store(&mut base, desk.base);
    four::store(&mut permission, desk.permission);
    (0..4).fold(shares, |shares, lane| {
        if decided >> lane & 1 == 1 {
            return shares;
        }
        let bit = 1 << lane;
        let i = 4 * quad + lane;
        let word = if R == 1 {
            words[0][i]
        } else {
            words[lane % R][quad]
        };
        let d = DeskDecision {
            step: s.step,
            base: base[lane],
            permission: permission[lane],
            weights: s.weights,
            brackets: s.brackets,
        };
        if d.one(word, [trust[i], ambition[i], fear[i]]) {
            shares | bit
        } else {
            shares & !bit
        }
    })
}

/// The share decisions of a single run's officers of a desk two at a time, in the two lanes of
/// SSE2 registers (the same operations as [`rules::officer_logit`] and
/// [`rules::LogisticBrackets::bracketed`], in the same order, so the same decisions), with
/// their share `words`. Returns how many officers it decided (an odd last one is left to the
/// caller) and how many of them share.
///
/// # Safety
/// Callable where SSE2 is available, which is every x86-64 processor.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn decide_in_twos(o: &mut Lanes, words: &[u32], d: &DeskDecision) -> (usize, u32) {
    use std::arch::x86_64::*;
    let (base, w) = (_mm_set1_pd(d.base), d.weights);
    let (w_trust, w_ambition, w_fear) = (
        _mm_set1_pd(w.trust),
        _mm_set1_pd(w.ambition),
        _mm_set1_pd(w.fear),
    );
    let (trust, ambition, fear) = (o.trust, o.ambition, o.fear);
    let pairs = o.decisions.len() / 2;
    let words = &words[..2 * pairs];
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

    /// A desk of `n` officers with varied states, some posts empty until step 5, and their
    /// share words.
    fn desk(n: usize, seed: u64) -> (Vec<Officer>, Vec<u32>) {
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
        (officers, words)
    }

    /// The decisions of one run, computed from their definition.
    fn expected(officers: &[Officer], words: &[u32], d: &DeskDecision) -> Vec<bool> {
        (officers.iter().zip(words))
            .map(|(o, &word)| {
                d.step >= o.filled_from
                    && streams::word_uniform(word)
                        < rules::logistic(rules::officer_logit(
                            &d.weights, d.base, o.trust, o.ambition, o.fear,
                        )) * d.permission
            })
            .collect()
    }

    /// Each run's decisions (flags in slot order) and counts, from interleaved officers.
    fn per_run<const R: usize>(officers: &Officers, shared: [u32; R]) -> Vec<(Vec<bool>, u32)> {
        (0..R)
            .map(|lane| {
                let flags = officers.run_to_vec(lane).iter().map(|o| o.shared).collect();
                (flags, shared[lane])
            })
            .collect()
    }

    /// Runs `runs` (officers, words, decisions) alone or four at a time, with and without
    /// AVX2, and checks every decision and count against [`expected`]; returns how many
    /// shared.
    fn check<const R: usize>(runs: &[(Vec<Officer>, Vec<u32>, DeskDecision); R]) -> u32 {
        let n = runs[0].0.len();
        let want: Vec<(Vec<bool>, u32)> = runs
            .iter()
            .map(|(o, w, d)| {
                let flags = expected(o, w, d);
                let count = flags.iter().filter(|&&s| s).count() as u32;
                (flags, count)
            })
            .collect();
        let officers = Officers::interleaved(&runs.each_ref().map(|r| r.0.clone()), 1.0);
        let d = runs.each_ref().map(|r| r.2);
        let words = runs.each_ref().map(|r| r.1.as_slice());
        // Without AVX2 (two lanes and one, or entry by entry).
        let mut portable = officers.clone();
        let shared = decide_desk(&mut portable, &words, &d);
        assert_eq!(per_run(&portable, shared), want, "{R} runs of {n}");
        // With AVX2 (four lanes over the padded arrays), where there is AVX2.
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            let mut fours = officers.clone();
            let lanes = fours.lanes();
            // One run reads a word for each padded post too; nothing depends on them.
            let padded: Vec<Vec<u32>> = runs
                .iter()
                .map(|r| {
                    let mut w = r.1.clone();
                    w.resize(if R == 1 { lanes } else { n }, u32::MAX / 3);
                    w
                })
                .collect();
            let words: [&[u32]; R] = std::array::from_fn(|r| padded[r].as_slice());
            let mut view = Lanes::of(&mut fours, lanes);
            let step = StepDecisions {
                step: d[0].step,
                weights: d[0].weights,
                brackets: d[0].brackets,
            };
            // SAFETY: AVX2 was just detected.
            let shared = unsafe {
                let desk = FourDesk {
                    base: four::per_run::<R>(|run| d[run].base),
                    permission: four::per_run::<R>(|run| d[run].permission),
                };
                decide_in_fours(
                    &mut view,
                    &words,
                    &desk,
                    &step,
                    &FourWeights::of(&d[0].weights),
                )
            };
            assert_eq!(per_run(&fours, shared), want, "{R} runs of {n}");
            assert!(
                fours.shared[fours.entries()..].iter().all(|&s| !s),
                "padding never shares"
            );
        }
        want.iter().map(|w| w.1).sum()
    }

    #[test]
    fn desk_decisions_equal_the_one_at_a_time_ones_alone_and_in_batches() {
        let brackets = rules::LogisticBrackets::get();
        let weights = rules::OfficerWeights {
            trust: 3.0,
            ambition: 1.5,
            fear: 2.0,
        };
        let decision = |step, base, permission| DeskDecision {
            step,
            base,
            permission,
            weights,
            brackets,
        };
        let (mut alone, mut batched) = (0, 0);
        // Every remainder modulo four, logits across the table and beyond it, permissions
        // 0 to 1, and steps before and after the empty posts fill.
        let bases = [-40.0, -3.0, -1.2, 0.0, 0.7, 38.0];
        let permissions = [0.0, 0.4, 1.0];
        for (k, n) in (0..=13).chain([64, 101]).enumerate() {
            for (b, &base) in bases.iter().enumerate() {
                for (p, &permission) in permissions.iter().enumerate() {
                    for step in [4, 5] {
                        let seed = k as u64 * 31 + u64::from(step);
                        let (o, w) = desk(n, seed);
                        alone += check(&[(o, w, decision(step, base, permission))]);
                        // Four runs with their own officers, words, logit and permission.
                        let runs = std::array::from_fn(|lane| {
                            let (o, w) = desk(n, seed * 4 + lane as u64 + 1000);
                            let base = bases[(b + lane) % bases.len()];
                            let permission = permissions[(p + lane) % permissions.len()];
                            (o, w, decision(step, base, permission))
                        });
                        batched += check::<BATCH>(&runs);
                    }
                }
            }
        }
        assert!(alone > 1000 && batched > 4000, "{alone} {batched}");
    }
}
