//! The officers of a desk, stored field by field.
//!
//! Each pass of a step reads a few fields of every officer of a desk (the share decision
//! reads trust, ambition and fear; fading reads trust, fear and disposition). Stored as one
//! array per field, a pass walks contiguous memory, with no branch per officer where the
//! decision allows it, and the fading loops run in vector registers. [`Officer`] is the same
//! state gathered for one post, for setting up, replacing and inspecting officers.

/// The width the arrays of [`Officers`] are padded to: four officers fill an AVX2 register.
pub(super) const LANES: usize = 4;

/// One officer (or private expert) on a desk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Officer {
    /// Personal trust in the counterpart service (0–1).
    pub trust: f64,
    /// Career drive to make a mark through cooperation (0–1, fixed for the officer).
    pub ambition: f64,
    /// Fear of being seen as too close to the counterpart (0–1).
    pub fear: f64,
    /// The officer's disposition: the fear it fades back to once events are past (0–1, fixed
    /// for the officer, drawn from the population's `fear`).
    pub disposition: f64,
    /// Accumulated foreign-contact exposure (contacts, weighted for experts).
    pub exposure: f64,
    /// The first step at which the post is filled: before it, a removed officer's post is
    /// empty (no decision, no contact, not counted in `officers.<service>`).
    pub filled_from: u32,
    /// A private expert tied to the service rather than a career officer.
    pub expert: bool,
    /// Secretly recruited by the counterpart.
    pub mole: bool,
    /// Shared this step.
    pub shared: bool,
}

/// The officers of one desk in one or more runs simulated together, one array per field.
///
/// Entry `slot·runs + run` of every array is post `slot` in run `run` (the runs of a
/// [`super::Model`] interleaved post by post, so that four runs fill the four lanes of an
/// AVX2 register and a desk's passes are set up once for all of them). With one run, entry
/// `i` is post `i`.
///
/// Every array is padded with empty posts (never filled, never sharing, all zero) to a
/// multiple of [`LANES`], so that vector passes go four entries at a time with no remainder;
/// passes that are not vectorised cut the arrays to [`Officers::entries`].
#[derive(Debug, Clone, Default)]
pub(super) struct Officers {
    /// The number of posts (without the padding) in each run.
    len: usize,
    /// The number of runs interleaved.
    runs: usize,
    pub trust: Vec<f64>,
    pub ambition: Vec<f64>,
    pub fear: Vec<f64>,
    pub disposition: Vec<f64>,
    pub exposure: Vec<f64>,
    /// What one contact adds to the post's exposure (`expert_exposure` for an expert's post,
    /// else 1): fixed per post, since a newcomer takes the post's kind.
    pub exposure_weight: Vec<f64>,
    pub filled_from: Vec<u32>,
    pub expert: Vec<bool>,
    pub mole: Vec<bool>,
    pub shared: Vec<bool>,
}

impl Officers {
    /// The officers of `officers`, in slot order, in one run; an expert's contact weighs
    /// `expert_exposure` (for tests).
    #[cfg(test)]
    pub fn new(officers: &[Officer], expert_exposure: f64) -> Officers {
        Officers::interleaved(&[officers.to_vec()], expert_exposure)
    }

    /// The officers of several runs (`runs[r]`: run `r`'s officers in slot order, every run
    /// with as many), interleaved post by post.
    pub fn interleaved(runs: &[Vec<Officer>], expert_exposure: f64) -> Officers {
        let len = runs.first().map_or(0, Vec::len);
        debug_assert!(runs.iter().all(|officers| officers.len() == len));
        let entries = len * runs.len();
        let lanes = entries.next_multiple_of(LANES);
        let empty = Officer {
            trust: 0.0,
            ambition: 0.0,
            fear: 0.0,
            disposition: 0.0,
            exposure: 0.0,
            filled_from: u32::MAX,
            expert: false,
            mole: false,
            shared: false,
        };
        let padded = || {
            (0..lanes).map(|i| {
                if i < entries {
                    &runs[i % runs.len()][i / runs.len()]
                } else {
                    &empty
                }
            })
        };
        let field = |f: fn(&Officer) -> f64| padded().map(f).collect();
        Officers {
            len,
            runs: runs.len(),
            trust: field(|o| o.trust),
            ambition: field(|o| o.ambition),
            fear: field(|o| o.fear),
            disposition: field(|o| o.disposition),
            exposure: field(|o| o.exposure),
            exposure_weight: padded()
                .map(|o| if o.expert { expert_exposure } else { 1.0 })
                .collect(),
            filled_from: padded().map(|o| o.filled_from).collect(),
            expert: padded().map(|o| o.expert).collect(),
            mole: padded().map(|o| o.mole).collect(),
            shared: padded().map(|o| o.shared).collect(),
        }
    }

    /// The number of posts in each run.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The entries of every run: posts × runs (without the padding).
    #[inline]
    pub fn entries(&self) -> usize {
        self.len * self.runs
    }

    /// The length of every array: the entries padded to a multiple of [`LANES`].
    #[inline]
    pub fn lanes(&self) -> usize {
        self.trust.len()
    }

    /// The entry of post `slot` in run `run`.
    #[inline]
    pub fn entry(&self, slot: usize, run: usize) -> usize {
        slot * self.runs + run
    }

    /// The trust of every post of run `run`, for changes that reach every officer.
    pub fn trust_mut(&mut self, run: usize) -> impl Iterator<Item = &mut f64> {
        let end = self.entries();
        self.trust[run.min(end)..end].iter_mut().step_by(self.runs)
    }

    /// The fear of every post of run `run`, for changes that reach every officer.
    pub fn fear_mut(&mut self, run: usize) -> impl Iterator<Item = &mut f64> {
        let end = self.entries();
        self.fear[run.min(end)..end].iter_mut().step_by(self.runs)
    }

    /// The officer at entry `i` ([`Officers::entry`]).
    #[inline]
    pub fn get(&self, i: usize) -> Officer {
        Officer {
            trust: self.trust[i],
            ambition: self.ambition[i],
            fear: self.fear[i],
            disposition: self.disposition[i],
            exposure: self.exposure[i],
            filled_from: self.filled_from[i],
            expert: self.expert[i],
            mole: self.mole[i],
            shared: self.shared[i],
        }
    }

    /// Seats `officer` at entry `i` (its kind, expert or not, is the post's).
    pub fn set(&mut self, i: usize, officer: Officer) {
        self.trust[i] = officer.trust;
        self.ambition[i] = officer.ambition;
        self.fear[i] = officer.fear;
        self.disposition[i] = officer.disposition;
        self.exposure[i] = officer.exposure;
        self.filled_from[i] = officer.filled_from;
        self.mole[i] = officer.mole;
        self.shared[i] = officer.shared;
    }

    /// The fields a pair exchange reads and writes, borrowed apart, each cut to the number of
    /// posts (one length for all, which the bounds checks then share).
    #[inline(always)]
    pub fn posts(&mut self) -> Posts<'_> {
        self.posts_up_to(self.entries())
    }

    /// [`Officers::posts`] with the padding ([`Officers::lanes`]), for the passes that go four
    /// posts at a time.
    #[inline(always)]
    pub fn lane_posts(&mut self) -> Posts<'_> {
        // Whole arrays, every one of them `lanes()` long: no bounds check to cut them.
        Posts {
            shared: &self.shared,
            filled_from: &self.filled_from,
            fear: &self.fear,
            exposure_weight: &self.exposure_weight,
            exposure: &mut self.exposure,
            trust: &mut self.trust,
            mole: &mut self.mole,
        }
    }

    #[inline(always)]
    fn posts_up_to(&mut self, n: usize) -> Posts<'_> {
        Posts {
            shared: &self.shared[..n],
            filled_from: &self.filled_from[..n],
            fear: &self.fear[..n],
            exposure_weight: &self.exposure_weight[..n],
            exposure: &mut self.exposure[..n],
            trust: &mut self.trust[..n],
            mole: &mut self.mole[..n],
        }
    }

    /// Every officer of run `run`, in slot order (allocates: for inspection, not for the
    /// step).
    pub fn run_to_vec(&self, run: usize) -> Vec<Officer> {
        (0..self.len())
            .map(|slot| self.get(self.entry(slot, run)))
            .collect()
    }

    /// Every officer of a single run, in slot order (allocates: for tests).
    #[cfg(test)]
    pub fn to_vec(&self) -> Vec<Officer> {
        self.run_to_vec(0)
    }
}

/// The fields of a desk's officers that a pair exchange uses, as separate slices: a slice
/// held in a local stays in registers, where a field of a borrowed struct would be reloaded
/// after every store.
pub(super) struct Posts<'o> {
    pub shared: &'o [bool],
    pub filled_from: &'o [u32],
    pub fear: &'o [f64],
    pub exposure_weight: &'o [f64],
    pub exposure: &'o mut [f64],
    pub trust: &'o mut [f64],
    pub mole: &'o mut [bool],
}

/// The bit mask of up to 64 flags: bit `i` is set iff `flags[i]`.
///
/// Eight flags per multiplication rather than one per shift: a `bool` is the byte 0 or 1, and
/// multiplying eight such bytes (as one little-endian word) by `0x0102040810204080` moves byte
/// `i`'s bit to bit `56 + i` without carries, so the top byte holds the eight flags in order.
pub(super) fn bit_mask(flags: &[bool]) -> u64 {
    debug_assert!(flags.len() <= 64);
    let mut chunks = flags.chunks_exact(8);
    let mut mask = 0;
    for (k, eight) in (&mut chunks).enumerate() {
        let bytes = u64::from_le_bytes(std::array::from_fn(|i| u8::from(eight[i])));
        mask |= (bytes.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k);
    }
    let done = flags.len() - chunks.remainder().len();
    chunks
        .remainder()
        .iter()
        .enumerate()
        .fold(mask, |mask, (i, &flag)| {
            mask | u64::from(flag) << (done + i)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_masks_have_a_bit_for_each_flag_in_order() {
        // Every pattern of eight, and longer runs of every length up to 64 from a
        // pseudo-random sequence, against the bit-by-bit definition.
        let by_bits = |flags: &[bool]| {
            (flags.iter().enumerate()).fold(0u64, |m, (i, &f)| m | u64::from(f) << i)
        };
        for pattern in 0u32..256 {
            let flags: Vec<bool> = (0..8).map(|i| pattern >> i & 1 == 1).collect();
            assert_eq!(bit_mask(&flags), u64::from(pattern));
        }
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for len in 0..=64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let flags: Vec<bool> = (0..len).map(|i| x >> i & 1 == 1).collect();
            assert_eq!(bit_mask(&flags), by_bits(&flags), "{len} flags");
        }
    }

    #[test]
    fn officers_read_back_as_seated() {
        let officer = |slot: u32| Officer {
            trust: 0.1 * f64::from(slot),
            ambition: 0.5,
            fear: 0.2,
            disposition: 0.3,
            exposure: f64::from(slot),
            filled_from: slot,
            expert: slot == 1,
            mole: slot == 2,
            shared: slot == 0,
        };
        let seated: Vec<Officer> = (0..3).map(officer).collect();
        let mut officers = Officers::new(&seated, 2.5);
        assert_eq!(officers.to_vec(), seated);
        assert_eq!((officers.len(), officers.lanes()), (3, 4));
        assert_eq!(officers.exposure_weight, vec![1.0, 2.5, 1.0, 1.0]);
        // The padding is an empty post: never filled, so never sharing or in contact.
        assert_eq!(
            (officers.filled_from[3], officers.shared[3]),
            (u32::MAX, false)
        );
        let newcomer = Officer {
            expert: false,
            ..officer(7)
        };
        officers.set(1, newcomer);
        // The post keeps its kind: an expert's post stays an expert's post.
        assert_eq!(
            officers.get(1),
            Officer {
                expert: true,
                ..newcomer
            }
        );
    }
}
