//! Helpers shared by the passes that take four officers (or four pairs) at a time in AVX2
//! registers. Each does, lane by lane, exactly what the one-at-a-time code does, so that the
//! four-lane passes give the same results to the last bit.
#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by tests to run the portable passes on a processor that has AVX2.
static PORTABLE_ONLY: AtomicBool = AtomicBool::new(false);

/// Whether the four-lane passes run: the processor has AVX2 (detected once, then cached by
/// the standard library) and tests have not asked for the portable passes.
#[inline]
pub(super) fn available() -> bool {
    !PORTABLE_ONLY.load(Ordering::Relaxed) && std::is_x86_feature_detected!("avx2")
}

/// Makes [`available`] say `false` (`true`) or back to detecting AVX2 (`false`): for tests
/// that compare the four-lane passes with the portable ones on the same processor. Both give
/// the same results, so other tests running meanwhile are not affected.
#[cfg(test)]
pub(super) fn portable_only(on: bool) {
    PORTABLE_ONLY.store(on, Ordering::Relaxed);
}

/// How many bits of a 4-bit number are set.
const BITS_SET: [u8; 16] = [0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4];

/// How many of the four lanes of a mask (as from `movemask`, bits 0–3) are set.
#[inline]
pub(super) fn count(mask: i32) -> u32 {
    u32::from(BITS_SET[mask as usize & 0b1111])
}

/// The four flags of each 4-bit mask (bit `j` → flag `j`): one 4-byte copy writes a mask's
/// flags, where setting them one by one costs a shift, a test and a store each.
pub(super) const FLAGS: [[bool; 4]; 16] = {
    let mut flags = [[false; 4]; 16];
    let mut mask = 0;
    while mask < 16 {
        let mut lane = 0;
        while lane < 4 {
            flags[mask][lane] = mask >> lane & 1 == 1;
            lane += 1;
        }
        mask += 1;
    }
    flags
};

/// The four 0-or-1 counts of each 4-bit mask (bit `j` → count `j`), for adding up a mask
/// lane by lane.
pub(super) const ONES: [[u32; 4]; 16] = {
    let mut ones = [[0; 4]; 16];
    let mut mask = 0;
    while mask < 16 {
        let mut lane = 0;
        while lane < 4 {
            ones[mask][lane] = (mask >> lane & 1) as u32;
            lane += 1;
        }
        mask += 1;
    }
    ones
};

/// A value per lane, for passes over the entries of `R` runs (1 or 4) interleaved: lane `j`
/// holds `value(j mod R)`, the value of its run (with one run, the same in every lane).
///
/// # Safety
/// Callable only where AVX2 is available.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn per_run<const R: usize>(value: impl Fn(usize) -> f64) -> __m256d {
    _mm256_set_pd(value(3 % R), value(2 % R), value(1 % R), value(0))
}

/// The four 32-bit lanes of `v`.
///
/// # Safety
/// Callable only where AVX2 is available.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn lanes_u32(v: __m128i) -> [u32; 4] {
    let mut out = [0u32; 4];
    // SAFETY: `out` is four `u32`s, the width of one unaligned store.
    unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), v) };
    out
}

/// An unsigned 32-bit number moved into the signed order: `a < b` as unsigned numbers exactly
/// when `signed(a) < signed(b)` (AVX2 compares only signed integers).
#[inline]
pub(super) fn signed(x: u32) -> i32 {
    (x ^ 0x8000_0000) as i32
}

/// Four 32-bit words in the lanes 0–3 of an integer register.
///
/// # Safety
/// Callable only where AVX2 is available.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn words(w: [u32; 4]) -> __m128i {
    _mm_set_epi32(w[3] as i32, w[2] as i32, w[1] as i32, w[0] as i32)
}

/// The uniforms `word · 2⁻³²` ([`super::streams::word_uniform`]) of four words: each word,
/// offset by −2³¹ to fit a signed conversion, converted and shifted back (all exact), then
/// scaled (exact).
///
/// # Safety
/// Callable only where AVX2 is available.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn uniforms(words: __m128i) -> __m256d {
    let offset = _mm256_cvtepi32_pd(_mm_xor_si128(words, _mm_set1_epi32(i32::MIN)));
    _mm256_mul_pd(
        _mm256_add_pd(offset, _mm256_set1_pd(2_147_483_648.0)),
        _mm256_set1_pd(1.0 / 4_294_967_296.0),
    )
}

/// All-ones in the lanes of the four posts filled in step `step` (`step ≥ filled_from`),
/// zero in the others.
///
/// # Safety
/// Callable only where AVX2 is available.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn filled(filled_from: &[u32], step: u32) -> __m128i {
    let from = [0, 1, 2, 3].map(|lane| signed(filled_from[lane]));
    let empty = _mm_cmpgt_epi32(
        _mm_set_epi32(from[3], from[2], from[1], from[0]),
        _mm_set1_epi32(signed(step)),
    );
    _mm_xor_si128(empty, _mm_set1_epi32(-1))
}

/// All-ones in the lanes of the four flags that are `true`, zero in the others.
///
/// # Safety
/// Callable only where AVX2 is available.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn flags(flags: &[bool]) -> __m128i {
    let bytes = u32::from_le_bytes([0, 1, 2, 3].map(|lane| u8::from(flags[lane])));
    _mm_cmpgt_epi32(
        _mm_cvtepu8_epi32(_mm_cvtsi32_si128(bytes as i32)),
        _mm_setzero_si128(),
    )
}

/// A mask of four 32-bit lanes widened to four 64-bit lanes, as a mask of `f64`s.
///
/// # Safety
/// Callable only where AVX2 is available.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn wide(mask: __m128i) -> __m256d {
    _mm256_castsi256_pd(_mm256_cvtepi32_epi64(mask))
}

/// Four `f64`s in lanes 0–3.
///
/// # Safety
/// Callable only where AVX2 is available.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn load(x: &[f64]) -> __m256d {
    _mm256_set_pd(x[3], x[2], x[1], x[0])
}

/// Stores the four lanes of `v` into `x[0..4]`.
///
/// # Safety
/// Callable only where AVX2 is available.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn store(x: &mut [f64], v: __m256d) {
    let x = &mut x[..4];
    // SAFETY: `x` is four `f64`s, the width of one unaligned store.
    unsafe { _mm256_storeu_pd(x.as_mut_ptr(), v) }
}
