//! Random streams. Every draw comes from a ChaCha8 stream whose key is derived from
//! (seed, purpose, names, numbers) and whose ChaCha stream number is the run index.
//!
//! Streams are **counter-based**: the model reads word `i` of a stream, where `i` is a fixed
//! function of the step and of the slot, pair or event that needs it. So:
//! - runs are reproducible and independent of thread scheduling;
//! - a draw that is not needed is simply not read (a vacant post, a pair without contact, an
//!   officer who is not a mole), which keeps the step cheap, yet every draw that *is* read is
//!   the same whatever happened before: removing, moving or adding one event, or changing a
//!   parameter, leaves every other draw aligned (common random numbers across scenarios).
//!
//! Keys are SHA-256 digests, computed once per scenario and seed ([`StreamKeys`]); a run only
//! sets the ChaCha stream number, so starting a run costs no hashing.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use crate::scenario::Scenario;

/// What a stream is used for; part of its key so purposes never share draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Purpose {
    /// Initial attributes of the officers of a desk (read sequentially at initialisation).
    Init = 1,
    /// A desk's share decisions: word `step·n + slot`.
    Share = 2,
    /// A pair block's contact draws: words `2·(step·pairs + k) + j`.
    Pair = 3,
    /// A desk's rare draws (publicity of an exposed mole, a newcomer's ambition): words
    /// `8·(step·n + slot) + j`.
    Rare = 4,
    /// The draws of one event: words `step·2³² + j`.
    Event = 5,
    /// The proposals of a calibration search (not used by the model itself).
    Calibration = 6,
    /// A desk's routine mole detection: word `step·n + slot`.
    Detect = 7,
    /// A pair block's rare draws (catch, turn, publicity of a recruitment attempt): words
    /// `8·(step·pairs + k) + j`.
    PairRare = 8,
    /// The random choices of an exploration design (Latin hypercube strata, Morris
    /// trajectories) and of its bootstrap (not used by the model itself).
    Design = 9,
}

/// A stream key: 32 bytes.
pub type Key = [u8; 32];

/// The key for (`seed`, `purpose`, `names`, `numbers`):
/// `SHA-256("liaison-stream-v2" ‖ seed ‖ purpose ‖ (len ‖ name)… ‖ number…)`, integers as
/// 8-byte little-endian, the purpose as one byte.
pub fn key(seed: u64, purpose: Purpose, names: &[&str], numbers: &[u64]) -> Key {
    let mut hasher = Sha256::new();
    hasher.update(b"liaison-stream-v2");
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
    hasher.finalize().into()
}

/// A sequential generator: the ChaCha8 stream `run` of `key`, from its first word.
pub fn sequential(key: &Key, run: u32) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::from_seed(*key);
    rng.set_stream(u64::from(run));
    rng
}

/// The sequential generator of (`seed`, `run`, `purpose`, `names`, `numbers`), for draws
/// outside the model (e.g. calibration proposals).
pub fn stream(
    seed: u64,
    run: u32,
    purpose: Purpose,
    names: &[&str],
    numbers: &[u64],
) -> ChaCha8Rng {
    sequential(&key(seed, purpose, names, numbers), run)
}

/// A seeded generator for tests that need varied inputs (states, logits, draws): the
/// model's own kind of stream, so tests need no generator of their own.
#[cfg(test)]
pub(crate) fn for_tests(seed: u64) -> ChaCha8Rng {
    stream(seed, 0, Purpose::Design, &["tests"], &[])
}

/// Words per cached chunk: ChaCha8 computes four 16-word blocks at a time.
const CHUNK: u64 = 64;

/// `2⁻³²`: a 32-bit word `w` is the uniform `w · 2⁻³²` in `[0, 1)`, exactly.
const WORD_SCALE: f64 = 1.0 / 4_294_967_296.0;

/// The uniform in `[0, 1)` of a 32-bit word: `word · 2⁻³²`, exact.
#[inline]
pub fn word_uniform(word: u32) -> f64 {
    f64::from(word) * WORD_SCALE
}

/// Random access to the words of one ChaCha8 stream, caching the 64-word chunk last read:
/// reading nearby words costs one ChaCha computation per 64 words.
#[derive(Debug, Clone)]
pub struct Stream {
    rng: ChaCha8Rng,
    chunk: u64,
    words: [u32; CHUNK as usize],
}

impl Stream {
    /// Stream `run` of `key`.
    pub fn new(key: &Key, run: u32) -> Stream {
        Stream {
            rng: sequential(key, run),
            chunk: u64::MAX,
            words: [0; CHUNK as usize],
        }
    }

    /// Word `index` of the stream.
    #[inline]
    pub fn word(&mut self, index: u64) -> u32 {
        let chunk = index / CHUNK;
        if chunk != self.chunk {
            self.load(chunk);
        }
        self.words[(index % CHUNK) as usize]
    }

    /// The uniform draw in `[0, 1)` at word `index`: `word · 2⁻³²`.
    #[inline]
    pub fn uniform(&mut self, index: u64) -> f64 {
        word_uniform(self.word(index))
    }

    /// Copies words `first … first + out.len() − 1` into `out` (at most two chunk loads for a
    /// run of up to 64 words).
    #[inline]
    pub fn words_into(&mut self, first: u64, out: &mut [u32]) {
        let mut index = first;
        let mut done = 0;
        while done < out.len() {
            let chunk = index / CHUNK;
            if chunk != self.chunk {
                self.load(chunk);
            }
            let offset = (index % CHUNK) as usize;
            let take = (CHUNK as usize - offset).min(out.len() - done);
            out[done..done + take].copy_from_slice(&self.words[offset..offset + take]);
            done += take;
            index += take as u64;
        }
    }

    /// Words `first … first + scratch.len() − 1`: a view of the cached chunk when they all lie
    /// in one chunk (the common case: no copy), else copied into `scratch`.
    #[inline]
    pub fn words<'a>(&'a mut self, first: u64, scratch: &'a mut [u32]) -> &'a [u32] {
        let n = scratch.len();
        let offset = (first % CHUNK) as usize;
        if offset + n <= CHUNK as usize {
            let chunk = first / CHUNK;
            if chunk != self.chunk {
                self.load(chunk);
            }
            &self.words[offset..offset + n]
        } else {
            self.words_into(first, scratch);
            scratch
        }
    }

    /// A sequential generator that starts at word `index`, for draws that consume a variable
    /// number of words (normal variates).
    pub fn sequential_at(&self, index: u64) -> ChaCha8Rng {
        let mut rng = self.rng.clone();
        rng.set_word_pos(u128::from(index));
        rng
    }

    #[cold]
    fn load(&mut self, chunk: u64) {
        use rand::RngExt;
        // Streams are read forward, so the chunk wanted is nearly always the one after the
        // cached one, where the generator already stands: it stops after the chunk it filled,
        // and a new stream stands at chunk 0, the one after `u64::MAX`. Seeking only otherwise
        // saves `set_word_pos`, whose write into the generator's vector state stalls: a
        // profile put it at 4% of a run's time for 0.7% of its instructions. (Without the
        // seek the compiler no longer knows that the copy below starts on a fresh block and
        // copies in a loop instead of calling `memcpy`: 1.4% more instructions, but the
        // generator's share of the time fell from 24-25% to 20%.)
        if chunk != self.chunk.wrapping_add(1) {
            self.rng.set_word_pos(u128::from(chunk) * u128::from(CHUNK));
        }
        // Straight into the cache (the words `next_u32` would give, in order): no copy
        // through a byte buffer.
        self.rng.fill(&mut self.words[..]);
        self.chunk = chunk;
    }
}

/// The keys of a desk's streams.
#[derive(Debug, Clone)]
pub struct DeskKeys {
    /// Initial attributes.
    pub init: Key,
    /// Share decisions.
    pub share: Key,
    /// Routine mole detection.
    pub detect: Key,
    /// Rare draws.
    pub rare: Key,
}

/// A pair block (counterpart desks `a` and `b` of one channel) and its keys.
#[derive(Debug, Clone)]
pub struct BlockKeys {
    /// Desk index of side `A` (the service that comes first in the file).
    pub a: usize,
    /// Desk index of side `B`.
    pub b: usize,
    /// Contact draws.
    pub contact: Key,
    /// Rare draws.
    pub rare: Key,
}

/// Every stream key of a scenario for one master seed, derived once and shared by all runs.
#[derive(Debug, Clone)]
pub struct StreamKeys {
    /// The master seed.
    pub seed: u64,
    /// Per desk, in desk order.
    pub desks: Vec<DeskKeys>,
    /// Per pair block, in block order.
    pub blocks: Vec<BlockKeys>,
    /// Per event, in scenario order.
    pub events: Vec<Key>,
}

impl StreamKeys {
    /// Derives the keys of `scenario` for master seed `seed`. A desk is named by (channel,
    /// service, counterpart), a pair block by its desk `A`, an event by its id: names, not
    /// positions, so adding a desk or an event leaves the others' draws unchanged.
    pub fn new(scenario: &Scenario, seed: u64) -> StreamKeys {
        let desk_names = |d: &crate::scenario::Desk| {
            [
                scenario.channels[d.channel].name.as_str(),
                scenario.services[d.service].name.as_str(),
                scenario.services[d.counterpart].name.as_str(),
            ]
        };
        let desks = scenario
            .desks
            .iter()
            .map(|d| {
                let names = desk_names(d);
                DeskKeys {
                    init: key(seed, Purpose::Init, &names, &[]),
                    share: key(seed, Purpose::Share, &names, &[]),
                    detect: key(seed, Purpose::Detect, &names, &[]),
                    rare: key(seed, Purpose::Rare, &names, &[]),
                }
            })
            .collect();
        let blocks = pair_blocks(scenario)
            .into_iter()
            .map(|(a, b)| {
                let names = desk_names(&scenario.desks[a]);
                BlockKeys {
                    a,
                    b,
                    contact: key(seed, Purpose::Pair, &names, &[]),
                    rare: key(seed, Purpose::PairRare, &names, &[]),
                }
            })
            .collect();
        let events = scenario
            .events
            .iter()
            .map(|e| key(seed, Purpose::Event, &[e.id.as_str()], &[]))
            .collect();
        StreamKeys {
            seed,
            desks,
            blocks,
            events,
        }
    }
}

/// The pair blocks of a scenario: for each desk (channel `c`, service `s`, counterpart `t`)
/// with `s` before `t` in the file, and the desk (`c`, `t`, `s`) facing it, the pair
/// `(a, b)` of their indices, in desk order.
pub fn pair_blocks(scenario: &Scenario) -> Vec<(usize, usize)> {
    let index: std::collections::HashMap<(usize, usize, usize), usize> = scenario
        .desks
        .iter()
        .enumerate()
        .map(|(i, d)| ((d.channel, d.service, d.counterpart), i))
        .collect();
    scenario
        .desks
        .iter()
        .enumerate()
        .filter(|(_, d)| d.service < d.counterpart)
        .filter_map(|(a, d)| {
            index
                .get(&(d.channel, d.counterpart, d.service))
                .map(|&b| (a, b))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_every_part() {
        let base = key(1, Purpose::Share, &["ct", "us"], &[3]);
        assert_eq!(base, key(1, Purpose::Share, &["ct", "us"], &[3]));
        for other in [
            key(2, Purpose::Share, &["ct", "us"], &[3]),
            key(1, Purpose::Pair, &["ct", "us"], &[3]),
            key(1, Purpose::Share, &["ctu", "s"], &[3]),
            key(1, Purpose::Share, &["ct", "us"], &[4]),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn random_access_reads_the_sequential_stream() {
        let k = key(9, Purpose::Share, &["x"], &[]);
        let mut sequential = sequential(&k, 3);
        let expected: Vec<u32> = (0..200)
            .map(|_| rand::Rng::next_u32(&mut sequential))
            .collect();
        let mut stream = Stream::new(&k, 3);
        let mut run = [0u32; 90];
        stream.words_into(50, &mut run);
        assert_eq!(run[..], expected[50..140]);
        // Within one chunk (a view) and across a chunk boundary (a copy).
        let mut scratch = [0u32; 12];
        assert_eq!(stream.words(130, &mut scratch), &expected[130..142]);
        assert_eq!(stream.words(60, &mut scratch), &expected[60..72]);
        // Out of order, across chunk boundaries, and back.
        for index in [150u64, 3, 64, 63, 199, 0, 128, 127, 150] {
            assert_eq!(stream.word(index), expected[index as usize], "word {index}");
        }
        let mut other_run = Stream::new(&k, 4);
        assert_ne!(other_run.word(0), expected[0]);
        assert_eq!(stream.uniform(5), f64::from(expected[5]) / 4_294_967_296.0);
        let mut at = stream.sequential_at(70);
        assert_eq!(rand::Rng::next_u32(&mut at), expected[70]);
    }
}
