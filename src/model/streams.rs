//! Random streams. Every draw comes from a ChaCha8 stream keyed by (seed, purpose, names,
//! numbers) and set to the run index, so that:
//! - runs are reproducible and independent of thread scheduling;
//! - each officer slot, officer pair and event has its own stream, and each step consumes a
//!   fixed number of draws from it: removing, moving or adding one event, or changing one
//!   parameter, leaves every other stream aligned (common random numbers across scenarios).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

/// What a stream is used for; part of its key so purposes never share draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Purpose {
    /// Initial attributes of the officers of a desk.
    Init = 1,
    /// An officer slot's per-step decisions (share, routine mole detection).
    Officer = 2,
    /// A pair of counterpart officers' per-step exchange (success, recruitment).
    Pair = 3,
    /// The attributes of a newcomer who fills a slot at a given step.
    Newcomer = 4,
    /// The draws of one event at one step.
    Event = 5,
    /// The proposals of a calibration search (not used by the model itself).
    Calibration = 6,
}

/// The stream for (`seed`, `run`, `purpose`, `names`, `numbers`). Allocation-free.
pub fn stream(
    seed: u64,
    run: u32,
    purpose: Purpose,
    names: &[&str],
    numbers: &[u64],
) -> ChaCha8Rng {
    let mut hasher = Sha256::new();
    hasher.update(b"liaison-stream-v1");
    hasher.update(seed.to_le_bytes());
    hasher.update([purpose as u8]);
    for name in names {
        // Length-prefixed so ("ab","c") and ("a","bc") differ.
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
    }
    for number in numbers {
        hasher.update(number.to_le_bytes());
    }
    let key: [u8; 32] = hasher.finalize().into();
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(u64::from(run));
    rng
}

/// Fills `out` with uniform draws in `[0, 1)`: always `out.len()` draws, used or not, so the
/// stream stays aligned with the step count.
pub fn uniforms<const N: usize>(rng: &mut ChaCha8Rng) -> [f64; N] {
    use rand::RngExt;
    std::array::from_fn(|_| rng.random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_every_part_of_the_key() {
        let base = uniforms::<4>(&mut stream(1, 0, Purpose::Officer, &["ct", "us"], &[3]));
        assert_eq!(
            base,
            uniforms::<4>(&mut stream(1, 0, Purpose::Officer, &["ct", "us"], &[3]))
        );
        for other in [
            stream(2, 0, Purpose::Officer, &["ct", "us"], &[3]),
            stream(1, 1, Purpose::Officer, &["ct", "us"], &[3]),
            stream(1, 0, Purpose::Pair, &["ct", "us"], &[3]),
            stream(1, 0, Purpose::Officer, &["ctu", "s"], &[3]),
            stream(1, 0, Purpose::Officer, &["ct", "us"], &[4]),
        ] {
            let mut other = other;
            assert_ne!(base, uniforms::<4>(&mut other));
        }
    }
}
