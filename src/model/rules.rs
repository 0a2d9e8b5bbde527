//! The rules of the model as small pure functions: each can be tested alone, and
//! `docs/ODD.md` (submodels) states the same equations.

use super::Params;

/// Logistic function.
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Moves `value` a share `rate` of the way toward `target`.
pub fn relax(value: f64, target: f64, rate: f64) -> f64 {
    value + rate * (target - value)
}

/// Saturating increase on a 0–1 scale: each gain takes a share of the remaining distance to 1,
/// which gives diminishing returns.
pub fn gain(value: f64, rate: f64) -> f64 {
    (value + rate * (1.0 - value)).clamp(0.0, 1.0)
}

/// Proportional cut on a 0–1 scale.
pub fn cut(value: f64, share: f64) -> f64 {
    (value * (1.0 - share)).clamp(0.0, 1.0)
}

/// The permission that applies on a channel: a channel with political sensitivity 0 ignores
/// the government's permission, one with sensitivity 1 takes it as is.
pub fn effective_permission(permission: f64, sensitivity: f64) -> f64 {
    1.0 - sensitivity * (1.0 - permission)
}

/// Inputs of an officer's decision to share in a step.
#[derive(Debug, Clone, Copy)]
pub struct ShareInputs {
    /// Personal trust in the counterpart.
    pub trust: f64,
    /// Ambition.
    pub ambition: f64,
    /// Fear.
    pub fear: f64,
    /// Own service's secrecy.
    pub secrecy: f64,
    /// Common threat on the channel.
    pub threat: f64,
    /// Own service's engagement on the channel.
    pub engagement: f64,
    /// Effective permission on the channel.
    pub permission: f64,
}

/// Probability that an officer shares with its counterpart in a step.
pub fn share_probability(p: &Params, i: &ShareInputs) -> f64 {
    logistic(share_logit(p, i)) * i.permission.clamp(0.0, 1.0)
}

/// The logit `z` of an officer's propensity to share (`share_probability` is
/// `logistic(z)·clamp01(permission)`): [`desk_logit`] plus [`officer_logit`].
pub fn share_logit(p: &Params, i: &ShareInputs) -> f64 {
    officer_logit(
        &OfficerWeights::of(p),
        desk_logit(p, i.secrecy, i.threat, i.engagement),
        i.trust,
        i.ambition,
        i.fear,
    )
}

/// The part of the sharing logit common to every officer of a desk:
/// `share_intercept + share_threat_weight·θ + share_engagement_weight·E − share_secrecy_weight·σ`.
#[inline]
pub fn desk_logit(p: &Params, secrecy: f64, threat: f64, engagement: f64) -> f64 {
    p.share_intercept + p.share_threat_weight * threat + p.share_engagement_weight * engagement
        - p.share_secrecy_weight * secrecy
}

/// The weights of an officer's own state in the sharing logit, copied out of [`Params`] once
/// per step so that the decision loop keeps them in registers.
#[derive(Debug, Clone, Copy)]
pub struct OfficerWeights {
    /// `share_trust_weight`.
    pub trust: f64,
    /// `share_ambition_weight`.
    pub ambition: f64,
    /// `share_fear_weight`.
    pub fear: f64,
}

impl OfficerWeights {
    /// The weights of `p`.
    pub fn of(p: &Params) -> OfficerWeights {
        OfficerWeights {
            trust: p.share_trust_weight,
            ambition: p.share_ambition_weight,
            fear: p.share_fear_weight,
        }
    }
}

/// An officer's sharing logit: the desk's part plus
/// `share_trust_weight·τ + share_ambition_weight·α − share_fear_weight·φ`.
#[inline]
pub fn officer_logit(w: &OfficerWeights, desk: f64, trust: f64, ambition: f64, fear: f64) -> f64 {
    desk + w.trust * trust + w.ambition * ambition - w.fear * fear
}

/// Grid of the logistic bracket table: `z` from `−BRACKET_RANGE` to `BRACKET_RANGE` in steps
/// of `1/BRACKET_DENSITY`. With 64 points per unit of `z` a bracket spans at most 1/256 of
/// probability (the logistic's slope is at most 1/4), so about one draw in 550 of the reference
/// case needs the exponential (one in 140 with 16 points); the table, 32 KB, still fits the
/// first-level data cache, and the logits of a run keep to a small part of it.
const BRACKET_RANGE: f64 = 32.0;
const BRACKET_DENSITY: f64 = 64.0;
const BRACKET_POINTS: usize = (2.0 * BRACKET_RANGE * BRACKET_DENSITY) as usize + 1;
const _: () = assert!((BRACKET_POINTS - 1).is_power_of_two());

/// Where logit `z` falls on the grid of the bracket table: `(z + 32)·64`, whose integer part
/// indexes the bracket of `logistic(z)` when it lies in the table.
#[inline]
pub fn bracket_position(z: f64) -> f64 {
    (z + BRACKET_RANGE) * BRACKET_DENSITY
}

/// The values of `logistic` at the grid points `z = i/64 − 32`: since `logistic` increases,
/// the two grid values around any `z` bracket `logistic(z)`.
#[derive(Debug)]
pub struct LogisticBrackets([f64; BRACKET_POINTS]);

static BRACKETS: std::sync::LazyLock<LogisticBrackets> = std::sync::LazyLock::new(|| {
    LogisticBrackets(std::array::from_fn(|i| {
        logistic(i as f64 / BRACKET_DENSITY - BRACKET_RANGE)
    }))
});

impl LogisticBrackets {
    /// The table, computed on first use (inline: no allocation).
    pub fn get() -> &'static LogisticBrackets {
        &BRACKETS
    }

    /// Whether a draw `u` shares, i.e. `u < logistic(z) · clamp01(permission)` (7.3), decided
    /// without computing `logistic` when possible: a draw outside the bracket of `z` is
    /// decided by the bracket alone, and only draws inside it (at most 1/256 of them) compute
    /// the exponential. The decision is the same as computing `logistic(z)` every time.
    #[inline]
    pub fn shares(&self, u: f64, z: f64, permission: f64) -> bool {
        self.shares_clamped(u, z, permission.clamp(0.0, 1.0))
    }

    /// [`LogisticBrackets::shares`] for a permission already in [0, 1] (clamped once per desk).
    #[inline]
    pub fn shares_clamped(&self, u: f64, z: f64, permission: f64) -> bool {
        self.bracketed(u, bracket_position(z), permission)
            .unwrap_or_else(|| self.shares_exactly(u, z, permission))
    }

    /// The decision for a draw `u`, a logit at `position` ([`bracket_position`]) and a
    /// permission in [0, 1], when the bracket decides it; `None` for the rare draw inside the
    /// bracket, or a logit outside the table or exactly on its grid, which need the exponential.
    #[inline]
    pub fn bracketed(&self, u: f64, position: f64, permission: f64) -> Option<bool> {
        // One test for 0 < position < BRACKET_POINTS − 1 (NaN fails it): the subtraction
        // rounds monotonically and both bounds are exact, so no position outside passes. A
        // position of exactly 0 takes the exact path, with the same decision.
        const HALF: f64 = (BRACKET_POINTS - 1) as f64 / 2.0;
        if (position - HALF).abs() < HALF {
            // SAFETY: `position` was just checked to be finite and in (0, BRACKET_POINTS − 1),
            // so its truncation fits an `i32`. (The checked `as` cast costs more than the rest
            // of the decision; a signed 32-bit target is one instruction on x86-64, an unsigned
            // 64-bit one several.)
            let truncated = unsafe { position.to_int_unchecked::<i32>() };
            // A position exactly on a grid point may have been rounded up there from just
            // below (`z + 32` rounds), and then `logistic(z)` can lie a few ulps under the
            // bracket it names: the exact path decides it. Off the grid, the rounding cannot
            // cross a grid point (grid points are exact), so the bracket is the right one.
            if f64::from(truncated) == position {
                return None;
            }
            // The mask keeps the index in [0, BRACKET_POINTS − 2] without a comparison, so that
            // `i` and `i + 1` need no bounds check; it changes nothing, as the truncation is
            // already in that range (`BRACKET_POINTS − 1` is a power of two).
            let i = truncated as usize & (BRACKET_POINTS - 2);
            // A draw below the bracket shares (2 below both ends), one above it does not (0);
            // only a draw inside it (1) needs the exponential. Counted rather than tested one
            // after the other, so that the only branch is the rare one into the bracket (the
            // decision itself is random and would defeat a branch predictor).
            let ends_above =
                u32::from(u < self.0[i] * permission) + u32::from(u < self.0[i + 1] * permission);
            if ends_above != 1 {
                return Some(ends_above == 2);
            }
        }
        None
    }

    /// Two decisions at once, in the two lanes of SSE2 registers (every x86-64 processor has
    /// them): for draws `u` and logits `z`, bit `j` of the first result says whether decision
    /// `j` is decided by the bracket, and bit `j` of the second what it is (`true`: shares).
    /// Lane by lane the same operations as [`LogisticBrackets::bracketed`], so the same
    /// decisions.
    ///
    /// # Safety
    /// Callable where SSE2 is available, which is every x86-64 processor (a function enabling a
    /// target feature is `unsafe` to call from one that does not name it).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "sse2")]
    #[inline]
    pub fn bracketed_two(
        &self,
        u: std::arch::x86_64::__m128d,
        z: std::arch::x86_64::__m128d,
        permission: f64,
    ) -> (i32, i32) {
        use std::arch::x86_64::*;
        const HALF: f64 = (BRACKET_POINTS - 1) as f64 / 2.0;
        let position = _mm_mul_pd(
            _mm_add_pd(z, _mm_set1_pd(BRACKET_RANGE)),
            _mm_set1_pd(BRACKET_DENSITY),
        );
        let distance = _mm_andnot_pd(_mm_set1_pd(-0.0), _mm_sub_pd(position, _mm_set1_pd(HALF)));
        let inside = _mm_cmplt_pd(distance, _mm_set1_pd(HALF));
        // Truncated to 32 bits as in the scalar decision; a lane outside the table gives an
        // index that the mask keeps in range and `inside` then ignores.
        let truncated = _mm_cvttpd_epi32(position);
        // A position on a grid point goes to the exact path, as in the scalar decision.
        let inside = _mm_and_pd(inside, _mm_cmpneq_pd(position, _mm_cvtepi32_pd(truncated)));
        let i0 = _mm_cvtsi128_si32(truncated) as u32 as usize & (BRACKET_POINTS - 2);
        let i1 = _mm_cvtsi128_si32(_mm_shuffle_epi32::<1>(truncated)) as u32 as usize
            & (BRACKET_POINTS - 2);
        let permission = _mm_set1_pd(permission);
        let low = _mm_mul_pd(_mm_set_pd(self.0[i1], self.0[i0]), permission);
        let high = _mm_mul_pd(_mm_set_pd(self.0[i1 + 1], self.0[i0 + 1]), permission);
        let below_low = _mm_cmplt_pd(u, low);
        let inside_bracket = _mm_andnot_pd(below_low, _mm_cmplt_pd(u, high));
        let decided = _mm_andnot_pd(inside_bracket, inside);
        (_mm_movemask_pd(decided), _mm_movemask_pd(below_low))
    }

    /// Four decisions at once, in the four lanes of AVX2 registers: as
    /// [`LogisticBrackets::bracketed_two`], with bits 0–3 for lanes 0–3 and each lane's own
    /// permission.
    ///
    /// # Safety
    /// Callable only where AVX2 is available.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[inline]
    pub fn bracketed_four(
        &self,
        u: std::arch::x86_64::__m256d,
        z: std::arch::x86_64::__m256d,
        permission: std::arch::x86_64::__m256d,
    ) -> (i32, i32) {
        use std::arch::x86_64::*;
        const HALF: f64 = (BRACKET_POINTS - 1) as f64 / 2.0;
        let position = _mm256_mul_pd(
            _mm256_add_pd(z, _mm256_set1_pd(BRACKET_RANGE)),
            _mm256_set1_pd(BRACKET_DENSITY),
        );
        let distance = _mm256_andnot_pd(
            _mm256_set1_pd(-0.0),
            _mm256_sub_pd(position, _mm256_set1_pd(HALF)),
        );
        let inside = _mm256_cmp_pd::<_CMP_LT_OQ>(distance, _mm256_set1_pd(HALF));
        // Truncated to 32 bits as in the scalar decision; a lane outside the table (or NaN)
        // gives an index that the mask keeps in range and `inside` then ignores.
        let truncated = _mm256_cvttpd_epi32(position);
        // A position on a grid point goes to the exact path, as in the scalar decision.
        let inside = _mm256_and_pd(
            inside,
            _mm256_cmp_pd::<_CMP_NEQ_OQ>(position, _mm256_cvtepi32_pd(truncated)),
        );
        let index = _mm_and_si128(truncated, _mm_set1_epi32((BRACKET_POINTS - 2) as i32));
        // Each lane's two ends are neighbours in the table: one 2-wide load per lane, then
        // the low ends and the high ends gathered by shuffles. (Not a gather instruction:
        // processors patched against Gather Data Sampling run those several times slower.)
        let ends = |i: i32| {
            let i = i as usize & (BRACKET_POINTS - 2);
            _mm_set_pd(self.0[i + 1], self.0[i])
        };
        let (e0, e1, e2, e3) = (
            ends(_mm_cvtsi128_si32(index)),
            ends(_mm_extract_epi32::<1>(index)),
            ends(_mm_extract_epi32::<2>(index)),
            ends(_mm_extract_epi32::<3>(index)),
        );
        let low = _mm256_set_m128d(_mm_unpacklo_pd(e2, e3), _mm_unpacklo_pd(e0, e1));
        let high = _mm256_set_m128d(_mm_unpackhi_pd(e2, e3), _mm_unpackhi_pd(e0, e1));
        let low = _mm256_mul_pd(low, permission);
        let high = _mm256_mul_pd(high, permission);
        let below_low = _mm256_cmp_pd::<_CMP_LT_OQ>(u, low);
        let inside_bracket = _mm256_andnot_pd(below_low, _mm256_cmp_pd::<_CMP_LT_OQ>(u, high));
        let decided = _mm256_andnot_pd(inside_bracket, inside);
        (_mm256_movemask_pd(decided), _mm256_movemask_pd(below_low))
    }

    /// The decision with `logistic` computed: for draws inside the bracket of `z` and logits
    /// outside the table.
    #[cold]
    #[inline(never)]
    fn shares_exactly(&self, u: f64, z: f64, permission: f64) -> bool {
        u < logistic(z) * permission
    }
}

/// [`LogisticBrackets::shares`] with the shared table.
pub fn shares(u: f64, z: f64, permission: f64) -> bool {
    LogisticBrackets::get().shares(u, z, permission)
}

/// Probability that a reciprocated exchange produces a joint success.
pub fn success_probability(p: &Params, threat: f64) -> f64 {
    (p.success_base + p.success_threat * threat).clamp(0.0, 1.0)
}

/// Probability that the counterpart uses an exchange to attempt a recruitment.
pub fn attempt_probability(p: &Params, aggressiveness: f64) -> f64 {
    (p.recruit_attempt * aggressiveness).clamp(0.0, 1.0)
}

/// Probability that counterintelligence catches an attempt (or exposes a mole in a hunt).
pub fn catch_probability(vigilance: f64, suspicion: f64) -> f64 {
    (vigilance + suspicion).clamp(0.0, 1.0)
}

/// Probability that an uncaught attempt turns the officer.
pub fn turn_probability(p: &Params, fear: f64) -> f64 {
    (p.recruit_success * (1.0 - fear)).clamp(0.0, 1.0)
}

/// Per-step probability that routine counterintelligence exposes a mole.
pub fn mole_detection_probability(p: &Params, vigilance: f64, suspicion: f64) -> f64 {
    (p.mole_detection * catch_probability(vigilance, suspicion)).clamp(0.0, 1.0)
}

/// Weight of a scandal: its magnitude, discounted when it is kept quiet.
pub fn scandal_weight(p: &Params, magnitude: f64, public: bool) -> f64 {
    if public {
        magnitude
    } else {
        magnitude * p.quiet_weight
    }
}

/// How many of `desk_size` officers a mole hunt of `magnitude` sweeps up:
/// `min(n, round(hunt_sweep·m·n))`, rounding halves away from zero (0.45 × 10 → 5).
pub fn sweep_count(p: &Params, magnitude: f64, desk_size: usize) -> usize {
    ((p.hunt_sweep * magnitude * desk_size as f64).round() as usize).min(desk_size)
}

/// Steps a post stays empty after its officer is removed: `vacancy_steps` rounded, halves
/// away from zero.
pub fn vacancy(p: &Params) -> u32 {
    p.vacancy_steps.round() as u32
}

/// A memory level healed by good experience: a share `rate·share` of the way back to the
/// channel baseline (never beyond it), where `share` is the desk's reciprocated exchanges this
/// step per officer, or an event's magnitude.
pub fn heal(memory: f64, baseline: f64, rate: f64, share: f64) -> f64 {
    if memory >= baseline {
        return memory;
    }
    relax(memory, baseline, (rate * share).clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> ShareInputs {
        ShareInputs {
            trust: 0.3,
            ambition: 0.5,
            fear: 0.1,
            secrecy: 0.5,
            threat: 0.1,
            engagement: 0.0,
            permission: 1.0,
        }
    }

    #[test]
    fn gains_have_diminishing_returns_and_cuts_are_proportional() {
        let p = 0.15;
        let low = gain(0.2, p) - 0.2;
        let high = gain(0.8, p) - 0.8;
        assert!(low > high && high > 0.0);
        assert!((cut(0.6, 0.5) - 0.3).abs() < 1e-12);
        assert_eq!(gain(1.0, 0.5), 1.0);
    }

    #[test]
    fn sharing_rises_with_trust_and_threat_and_falls_with_fear_and_secrecy() {
        let p = Params::default();
        let base = share_probability(&p, &inputs());
        let more = |f: fn(&mut ShareInputs)| {
            let mut i = inputs();
            f(&mut i);
            share_probability(&p, &i)
        };
        assert!(more(|i| i.trust = 0.8) > base);
        assert!(more(|i| i.threat = 0.9) > base);
        assert!(more(|i| i.engagement = 0.5) > base);
        assert!(more(|i| i.fear = 0.8) < base);
        assert!(more(|i| i.secrecy = 0.9) < base);
        assert!(more(|i| i.permission = 0.0) == 0.0);
    }

    #[test]
    fn bracketed_share_decisions_equal_the_direct_ones() {
        // Draws and logits dense around the grid points and far outside the table.
        let mut mismatches = 0;
        let mut rng = crate::model::streams::for_tests(12345);
        for k in 0..200_000 {
            let u: f64 = rand::RngExt::random(&mut rng);
            let z = (k as f64 / 2_000.0 - 50.0) + (k % 7) as f64 / 113.0;
            let permission = [1.0, 0.5, 0.0, 0.13][k % 4];
            let direct = u < logistic(z) * permission;
            mismatches += usize::from(shares(u, z, permission) != direct);
            // Draws exactly at the probability.
            let p = logistic(z) * permission;
            assert_eq!(shares(p, z, permission), p < p);
        }
        assert_eq!(mismatches, 0);
    }

    /// Checks the lanes of a vector decision (`decided` and `shares` bits for draws `u`, logits
    /// `z` and a permission) against the one-lane bracket, counting the lanes decided by the
    /// bracket and those left to the exponential.
    #[cfg(target_arch = "x86_64")]
    fn check_lanes<const N: usize>(
        (u, z, permission): ([f64; N], [f64; N], f64),
        (decided, shares): (i32, i32),
        (by_bracket, computed): (&mut usize, &mut usize),
    ) {
        for lane in 0..N {
            let one =
                LogisticBrackets::get().bracketed(u[lane], bracket_position(z[lane]), permission);
            let bit = |mask: i32| mask >> lane & 1 == 1;
            assert_eq!(one.is_some(), bit(decided), "lane {lane} of {u:?} {z:?}");
            if let Some(decision) = one {
                assert_eq!(decision, bit(shares), "lane {lane} of {u:?} {z:?}");
                *by_bracket += 1;
            } else {
                *computed += 1;
            }
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn two_lane_decisions_equal_the_one_lane_ones() {
        use std::arch::x86_64::_mm_set_pd;
        let brackets = LogisticBrackets::get();
        let mut rng = crate::model::streams::for_tests(99);
        let mut next = || rand::RngExt::random::<f64>(&mut rng);
        let (mut decided_by_bracket, mut computed) = (0, 0);
        for k in 0..100_000 {
            // Logits inside and outside the table, draws anywhere and right at the bracket.
            let z = [(next() - 0.5) * 80.0, (next() - 0.5) * 8.0];
            let permission = [1.0, 0.37, 0.0][k % 3];
            let at_bracket = logistic(z[1]) * permission;
            let u = [next(), if k % 2 == 0 { next() } else { at_bracket }];
            // SAFETY: SSE2 is part of x86-64.
            let (decided, shares) = unsafe {
                brackets.bracketed_two(_mm_set_pd(u[1], u[0]), _mm_set_pd(z[1], z[0]), permission)
            };
            check_lanes(
                (u, z, permission),
                (decided, shares),
                (&mut decided_by_bracket, &mut computed),
            );
        }
        // Both kinds of lane occurred: decided by the bracket, and left to the exponential.
        assert!(
            decided_by_bracket > 100_000 && computed > 1_000,
            "{decided_by_bracket} {computed}"
        );
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn four_lane_decisions_equal_the_one_lane_ones() {
        use std::arch::x86_64::_mm256_set_pd;
        if !std::is_x86_feature_detected!("avx2") {
            eprintln!("no AVX2 on this processor: the four-lane path is not used here");
            return;
        }
        let brackets = LogisticBrackets::get();
        let mut rng = crate::model::streams::for_tests(7);
        let mut next = || rand::RngExt::random::<f64>(&mut rng);
        let (mut decided_by_bracket, mut computed) = (0, 0);
        for k in 0..50_000 {
            // Logits inside and outside the table (and NaN), draws anywhere and at the bracket.
            let mut z: [f64; 4] =
                std::array::from_fn(|lane| (next() - 0.5) * [80.0, 8.0][lane % 2]);
            if k % 997 == 0 {
                z[2] = f64::NAN;
            }
            let permission = [1.0, 0.37, 0.0][k % 3];
            let u: [f64; 4] = std::array::from_fn(|lane| {
                if (k + lane) % 2 == 0 {
                    next()
                } else {
                    logistic(z[lane]) * permission
                }
            });
            // SAFETY: AVX2 was detected above.
            let (decided, shares) = unsafe {
                brackets.bracketed_four(
                    _mm256_set_pd(u[3], u[2], u[1], u[0]),
                    _mm256_set_pd(z[3], z[2], z[1], z[0]),
                    std::arch::x86_64::_mm256_set1_pd(permission),
                )
            };
            check_lanes(
                (u, z, permission),
                (decided, shares),
                (&mut decided_by_bracket, &mut computed),
            );
        }
        assert!(
            decided_by_bracket > 100_000 && computed > 1_000,
            "{decided_by_bracket} {computed}"
        );
    }

    /// Logits just below a grid point whose position `(z + 32)·64` rounds up onto it, and
    /// whose `logistic` lies below the low end of the bracket that position names (found by
    /// search: each grid point, and the 64 logits below it).
    fn logits_rounded_onto_the_grid() -> Vec<f64> {
        let table = &LogisticBrackets::get().0;
        let mut found = Vec::new();
        for (i, &low) in table.iter().enumerate().take(BRACKET_POINTS - 1).skip(1) {
            let mut z = i as f64 / BRACKET_DENSITY - BRACKET_RANGE;
            for _ in 0..64 {
                z = z.next_down();
                if bracket_position(z) == i as f64 && logistic(z) < low {
                    found.push(z);
                }
            }
        }
        found
    }

    #[test]
    fn logits_rounded_onto_a_grid_point_are_decided_exactly() {
        // With the bracket the position names, a draw between logistic(z) and the bracket's
        // low end would share, where the rule says it does not.
        let logits = logits_rounded_onto_the_grid();
        assert!(logits.len() > 100, "{} such logits", logits.len());
        let brackets = LogisticBrackets::get();
        for &z in &logits {
            let u = logistic(z);
            assert_eq!(
                brackets.bracketed(u, bracket_position(z), 1.0),
                None,
                "z = {z:e}"
            );
            assert!(!shares(u, z, 1.0), "z = {z:e}");
        }
        // The vector decisions leave those lanes to the exact path too: every logit in the
        // two lanes of SSE2, every four in the four lanes of AVX2.
        #[cfg(target_arch = "x86_64")]
        for pair in logits.chunks_exact(2) {
            use std::arch::x86_64::_mm_set_pd;
            let u = [logistic(pair[0]), logistic(pair[1])];
            // SAFETY: SSE2 is part of x86-64.
            let (decided, _) = unsafe {
                brackets.bracketed_two(_mm_set_pd(u[1], u[0]), _mm_set_pd(pair[1], pair[0]), 1.0)
            };
            assert_eq!(decided, 0, "{pair:?}");
        }
        #[cfg(target_arch = "x86_64")]
        for quad in logits.chunks_exact(4) {
            use std::arch::x86_64::*;
            let u = [0, 1, 2, 3].map(|lane| logistic(quad[lane]));
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 was just detected.
                let (decided, _) = unsafe {
                    brackets.bracketed_four(
                        _mm256_set_pd(u[3], u[2], u[1], u[0]),
                        _mm256_set_pd(quad[3], quad[2], quad[1], quad[0]),
                        _mm256_set1_pd(1.0),
                    )
                };
                assert_eq!(decided, 0, "{quad:?}");
            }
        }
    }

    #[test]
    fn quiet_scandals_weigh_less_and_permission_matters_by_sensitivity() {
        let p = Params::default();
        assert!(scandal_weight(&p, 1.0, false) < scandal_weight(&p, 1.0, true));
        assert_eq!(effective_permission(0.2, 0.0), 1.0);
        assert!((effective_permission(0.2, 1.0) - 0.2).abs() < 1e-12);
        assert!(success_probability(&p, 0.9) > success_probability(&p, 0.1));
    }

    #[test]
    fn sweeps_round_and_never_exceed_the_desk() {
        let p = Params {
            hunt_sweep: 0.5,
            ..Params::default()
        };
        assert_eq!(sweep_count(&p, 1.0, 10), 5);
        assert_eq!(sweep_count(&p, 0.0, 10), 0);
        let p = Params {
            hunt_sweep: 1.0,
            ..Params::default()
        };
        assert_eq!(sweep_count(&p, 1.0, 3), 3);
        let p = Params {
            hunt_sweep: 0.45,
            ..Params::default()
        };
        assert_eq!(sweep_count(&p, 1.0, 10), 5, "4.5 rounds away from zero");
    }

    #[test]
    fn memories_heal_toward_the_baseline_but_never_past_it() {
        let healed = heal(0.1, 0.3, 0.5, 0.5);
        assert!((healed - 0.15).abs() < 1e-12);
        assert_eq!(heal(0.3, 0.3, 0.5, 1.0), 0.3);
        assert_eq!(
            heal(0.4, 0.3, 0.5, 1.0),
            0.4,
            "a memory above the baseline stays"
        );
        assert!(heal(0.1, 0.3, 1.0, 5.0) <= 0.3);
    }
}
