//! How much memory a piece of ensemble work needs, estimated before it starts, so that work
//! too large for the machine is refused with the estimate and the way out instead of
//! allocating until the system kills the process.

use super::RUNS_PER_THREAD_BATCH;
use crate::aggregate::Accumulator;
use crate::model::{BATCH, SeriesLayout};
use crate::scenario::Scenario;

/// Bytes of model state per officer (the officer and its share of the desks' and pair
/// blocks' cached random streams).
const BYTES_PER_OFFICER: u64 = 48 + 3 * 320;

/// An estimate of the memory ensemble work needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// Models and records in flight in the workers.
    pub workers: u64,
    /// Statistics kept across runs.
    pub statistics: u64,
}

impl Estimate {
    /// The total.
    pub fn bytes(&self) -> u64 {
        self.workers.saturating_add(self.statistics)
    }
}

/// The memory needed to run `runs` runs of every scenario in `scenarios` together (one for
/// `run`, several for `compare`) with `threads` workers. Computed from the scenarios' sizes
/// alone, before anything is prepared, so that even absurd work is refused at once.
pub fn estimate(scenarios: &[&Scenario], runs: u32, threads: usize) -> Estimate {
    let threads = threads.max(1) as u64;
    let batch = (threads * RUNS_PER_THREAD_BATCH as u64).min(u64::from(runs).max(1));
    // Each worker simulates up to four runs at a time, with four runs' officers.
    let lanes = (BATCH as u64).min(u64::from(runs).max(1));
    let mut workers = 0u64;
    let mut statistics = 0u64;
    for s in scenarios {
        let officers: u64 = s.desks.iter().map(|d| u64::from(d.population.count)).sum();
        let (series, steps) = (SeriesLayout::count(s), s.timeline.steps());
        let record = 8u64
            .saturating_mul(series as u64)
            .saturating_mul(steps as u64);
        // Two batches of records, one model (of up to four runs) per worker.
        workers = workers
            .saturating_add(record.saturating_mul(2 * batch))
            .saturating_add(
                officers
                    .saturating_mul(BYTES_PER_OFFICER)
                    .saturating_mul(threads)
                    .saturating_mul(lanes),
            );
        statistics =
            statistics.saturating_add(Accumulator::estimated_bytes(series, steps, runs as usize));
    }
    Estimate {
        workers,
        statistics,
    }
}

/// Memory the work may use: what the system reports as available, or 4 GiB where it does not
/// say.
pub fn available_bytes() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<u64>().ok())
        })
        .map_or(4 << 30, |kib| kib.saturating_mul(1024))
}

/// A human-readable size.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_a_person_would_write_them() {
        assert_eq!(format_bytes(512), "512 bytes");
        assert_eq!(format_bytes(3 << 30), "3.0 GiB");
        assert_eq!(format_bytes(1536), "1.5 KiB");
    }
}
