//! Fading (stage 5 of a step): every officer's trust relaxes toward its desk's memory level
//! and its fear toward its disposition; the desk's [`Tally`] is retaken on the way.
//!
//! Where the processor has AVX2 (detected at run time) the relaxations run four officers at
//! a time. They are the same operations on each officer, and the sums of the tally are still
//! added officer after officer in slot order, so the results are the same to the last bit on
//! every machine.

#[cfg(target_arch = "x86_64")]
use super::four;
use super::officers::Officers;
use super::{BATCH, DeskState, Tally, rules};

/// What every officer of a desk shares in a step's fading.
#[derive(Debug, Clone, Copy)]
struct Fading {
    /// The model step (for the tally's count of filled posts).
    step: u32,
    /// The desk's memory level: what trust fades toward.
    memory: f64,
    /// `trust_drift`.
    drift: f64,
    /// `fear_decay`.
    decay: f64,
}

/// Fades the officers of every desk in step `step`, in every run (trust toward the desk's
/// memory in the run at rate `drift`, fear toward each officer's disposition at rate
/// `decay`) and retakes each desk's tally in each run. All desks in one call, so that the
/// loops are set up once per step.
pub(super) fn fade_desks<const R: usize>(
    desks: &mut [DeskState<R>],
    step: u32,
    drift: f64,
    decay: f64,
) {
    let fading = |desk: &DeskState<R>| -> [Fading; R] {
        let mut fading = [Fading {
            step,
            memory: 0.0,
            drift,
            decay,
        }; R];
        // A loop rather than `map`, which does not always inline.
        for (f, run) in fading.iter_mut().zip(&desk.runs) {
            f.memory = run.memory;
        }
        fading
    };
    #[cfg(target_arch = "x86_64")]
    if four::available() {
        // SAFETY: `four::available` detected AVX2.
        unsafe { fade_desks_in_vectors(desks, fading) };
        return;
    }
    for desk in desks {
        let f = fading(desk);
        let tallies = fade_one_by_one(&mut desk.officers, &f);
        for (run, tally) in desk.runs.iter_mut().zip(tallies) {
            run.tally = tally;
        }
    }
}

/// [`fade_desks`] with AVX2.
///
/// # Safety
/// Callable only where AVX2 is available.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn fade_desks_in_vectors<const R: usize>(
    desks: &mut [DeskState<R>],
    fading: impl Fn(&DeskState<R>) -> [Fading; R],
) {
    for desk in desks {
        let f = fading(desk);
        let tallies = fade_in_vectors(&mut desk.officers, &f);
        for (run, tally) in desk.runs.iter_mut().zip(tallies) {
            run.tally = tally;
        }
    }
}

/// Fading, one entry after the other (entry `i` is in the run in lane `i mod R`, faded with
/// `fading[i mod R]`); returns each run's tally.
fn fade_one_by_one<const R: usize>(o: &mut Officers, fading: &[Fading; R]) -> [Tally; R] {
    let n = o.entries();
    let (drift, decay) = (fading[0].drift, fading[0].decay);
    // Every field cut to the desk's size, so that the loop needs no bounds checks.
    let (trust, fear) = (&mut o.trust[..n], &mut o.fear[..n]);
    let (disposition, filled_from, mole) = (&o.disposition[..n], &o.filled_from[..n], &o.mole[..n]);
    let mut tallies = fading.map(|f| Tally {
        step: f.step,
        ..Tally::default()
    });
    for i in 0..n {
        let (lane, f) = (i % R, &fading[i % R]);
        let (t, fe) = (
            rules::relax(trust[i], f.memory, drift),
            rules::relax(fear[i], disposition[i], decay),
        );
        (trust[i], fear[i]) = (t, fe);
        tallies[lane].add_fields(t, fe, f.step >= filled_from[i], mole[i]);
    }
    tallies
}

/// Fading four entries at a time in AVX2 registers, over the padded arrays
/// ([`Officers::lanes`]), with `R` runs (1 or [`BATCH`]): lane `j` is in the run in lane
/// `j mod R`, faded with `fading[j mod R]`.
///
/// With one run, the padding's posts stay at zero trust and fear (each lane's result is
/// masked to zero on a padding post), so the sums of the tally can add all four lanes of
/// every four in slot order: adding zero to a sum of non-negative numbers leaves it as it is,
/// to the last bit. With a batch there is no padding, and each lane's sums add its run's
/// posts in slot order, in the lanes of a vector.
///
/// # Safety
/// Callable only where AVX2 is available.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn fade_in_vectors<const R: usize>(o: &mut Officers, fading: &[Fading; R]) -> [Tally; R] {
    use std::arch::x86_64::*;
    const { assert!(R == 1 || R == BATCH) };
    let (n, lanes) = (o.entries(), o.lanes());
    let step = fading[0].step;
    let mut tally = Tally {
        step,
        ..Tally::default()
    };
    let memory = four::per_run::<R>(|run| fading[run].memory);
    let (drift, decay) = (
        _mm256_set1_pd(fading[0].drift),
        _mm256_set1_pd(fading[0].decay),
    );
    // With a batch, each lane's sums and counts (the counts minus their all-ones masks).
    let (mut lane_trust, mut lane_fear) = (_mm256_setzero_pd(), _mm256_setzero_pd());
    let (mut lane_filled, mut lane_moles) = (_mm_setzero_si128(), _mm_setzero_si128());
    // `relax(v, target, rate) = v + rate·(target − v)`, lane by lane.
    let relax = |v, target, rate| _mm256_add_pd(v, _mm256_mul_pd(rate, _mm256_sub_pd(target, v)));
    // Lanes on real posts: all four but in the last four, where the padding starts at n.
    let all = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
    let tail = _mm256_cmp_pd::<_CMP_LT_OQ>(
        _mm256_set_pd(3.0, 2.0, 1.0, 0.0),
        _mm256_set1_pd((n - lanes.saturating_sub(4).min(n)) as f64),
    );
    let states = (o.trust[..lanes].chunks_exact_mut(4)).zip(o.fear[..lanes].chunks_exact_mut(4));
    let fixed = (o.disposition[..lanes].chunks_exact(4))
        .zip(o.filled_from[..lanes].chunks_exact(4))
        .zip(o.mole[..lanes].chunks_exact(4));
    for (first, ((t, f), ((d, filled_from), mole))) in states.zip(fixed).enumerate() {
        let real = if 4 * first + 4 <= n { all } else { tail };
        let trust = _mm256_and_pd(relax(four::load(t), memory, drift), real);
        let fear = _mm256_and_pd(relax(four::load(f), four::load(d), decay), real);
        four::store(t, trust);
        four::store(f, fear);
        let (filled, moles) = (four::filled(filled_from, step), four::flags(mole));
        if R == 1 {
            tally.trust = tally.trust + t[0] + t[1] + t[2] + t[3];
            tally.fear = tally.fear + f[0] + f[1] + f[2] + f[3];
            tally.filled += four::count(_mm_movemask_ps(_mm_castsi128_ps(filled)));
            tally.moles += four::count(_mm_movemask_ps(_mm_castsi128_ps(moles)));
        } else {
            lane_trust = _mm256_add_pd(lane_trust, trust);
            lane_fear = _mm256_add_pd(lane_fear, fear);
            lane_filled = _mm_sub_epi32(lane_filled, filled);
            lane_moles = _mm_sub_epi32(lane_moles, moles);
        }
    }
    if R == 1 {
        return [tally; R];
    }
    let (mut trust, mut fear) = ([0.0; 4], [0.0; 4]);
    four::store(&mut trust, lane_trust);
    four::store(&mut fear, lane_fear);
    let (filled, moles) = (four::lanes_u32(lane_filled), four::lanes_u32(lane_moles));
    std::array::from_fn(|lane| Tally {
        trust: trust[lane],
        fear: fear[lane],
        filled: filled[lane],
        moles: moles[lane],
        step,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Officer;

    /// `n` officers with varied states, a third of the posts empty until step 7 or 12, a
    /// quarter of them moles.
    fn officers(n: usize, next: &mut impl FnMut() -> f64) -> Vec<Officer> {
        (0..n)
            .map(|i| Officer {
                trust: next(),
                ambition: next(),
                fear: next(),
                disposition: next(),
                exposure: 0.0,
                filled_from: [0, 7, 12][i % 3],
                expert: false,
                mole: i % 4 == 1,
                shared: false,
            })
            .collect()
    }

    /// Fades the runs `runs` (officers, fading) together, one by one or in vectors; returns
    /// each run's tally and faded officers.
    fn fade<const R: usize>(
        runs: &[(Vec<Officer>, Fading); R],
        vectors: bool,
    ) -> Vec<(Tally, Vec<Officer>)> {
        let mut o = Officers::interleaved(&runs.each_ref().map(|r| r.0.clone()), 1.0);
        let fading = runs.each_ref().map(|r| r.1);
        let tallies = if vectors {
            // SAFETY: the caller detected AVX2.
            #[cfg(target_arch = "x86_64")]
            unsafe {
                fade_in_vectors(&mut o, &fading)
            }
            #[cfg(not(target_arch = "x86_64"))]
            unreachable!()
        } else {
            fade_one_by_one(&mut o, &fading)
        };
        (0..R)
            .map(|lane| (tallies[lane], o.run_to_vec(lane)))
            .collect()
    }

    #[test]
    fn vector_and_batched_fading_equal_fading_one_by_one() {
        #[cfg(target_arch = "x86_64")]
        let avx2 = std::is_x86_feature_detected!("avx2");
        #[cfg(not(target_arch = "x86_64"))]
        let avx2 = false;
        let mut rng = crate::model::streams::for_tests(3);
        let mut next = move || rand::RngExt::random::<f64>(&mut rng);
        for n in 0..=9 {
            let runs: [(Vec<Officer>, Fading); BATCH] = std::array::from_fn(|_| {
                let fading = Fading {
                    step: 7,
                    memory: next(),
                    drift: 0.03,
                    decay: 0.1,
                };
                (officers(n, &mut next), fading)
            });
            // Each run alone, one by one: the reference.
            let alone: Vec<_> = runs
                .iter()
                .flat_map(|run| fade(std::array::from_ref(run), false))
                .collect();
            if avx2 {
                let vectors: Vec<_> = runs
                    .iter()
                    .flat_map(|run| fade(std::array::from_ref(run), true))
                    .collect();
                assert_eq!(vectors, alone, "{n} officers, in vectors");
            }
            assert_eq!(
                fade(&runs, false),
                alone,
                "{n} officers, a batch one by one"
            );
            if avx2 {
                assert_eq!(fade(&runs, true), alone, "{n} officers, a batch in vectors");
            }
            for ((tally, faded), (before, fading)) in alone.iter().zip(&runs) {
                // The tally is the sums over the faded officers, and fading moved them.
                let filled = faded.iter().filter(|o| o.filled_from <= 7).count();
                assert_eq!(tally.filled as usize, filled);
                assert_eq!(
                    tally.moles as usize,
                    faded.iter().filter(|o| o.mole).count()
                );
                let trust: f64 = faded.iter().map(|o| o.trust).sum();
                assert_eq!(tally.trust, trust);
                assert!(
                    faded
                        .iter()
                        .zip(before)
                        .all(|(f, o)| f.trust != o.trust || o.trust == fading.memory)
                );
            }
        }
    }
}
