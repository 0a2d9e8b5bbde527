//! The hot loop allocates nothing: after a run (or a batch of four runs) is set up, stepping
//! the model (every officer, every pair, every event, mole hunts included) makes no heap
//! allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use liaison::model::Model;
use liaison::runner::Prepared;

struct Counting;

thread_local! {
    /// Allocations made by this thread: tests run side by side, each counting its own.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// Allocations made by this thread so far.
fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The default scenario.
fn default_scenario() -> liaison::scenario::Loaded {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/us-russia-2011-2017.toml"
    );
    liaison::scenario::load(Path::new(path)).expect("default scenario")
}

/// Steps `model` through every recorded step of `prepared`, observing each of its `R` runs after
/// each; returns the allocations made meanwhile.
fn allocations_while_stepping<const R: usize>(
    model: &mut Model<'_, R>,
    prepared: &Prepared,
) -> usize {
    let (layout, schedule) = (&prepared.layout, &prepared.schedule);
    let mut rows = vec![0.0; R * layout.len()];
    let before = allocations();
    for step in 0..prepared.steps() {
        model.step(schedule.at(step));
        let mut rows = rows.chunks_exact_mut(layout.len());
        model.observe_runs(
            layout,
            std::array::from_fn(|_| rows.next().unwrap_or_default()),
        );
    }
    allocations() - before
}

#[test]
fn stepping_the_default_scenario_allocates_nothing() {
    let loaded = default_scenario();
    let prepared = Prepared::new(&loaded.scenario, 42);
    for run in 0..5 {
        let mut model = Model::new(&loaded.scenario, &prepared.keys, run);
        let allocations = allocations_while_stepping(&mut model, &prepared);
        assert_eq!(
            allocations, 0,
            "run {run}: {allocations} allocations while stepping"
        );
    }
}

#[test]
fn stepping_a_batch_of_four_runs_allocates_nothing() {
    let loaded = default_scenario();
    let prepared = Prepared::new(&loaded.scenario, 42);
    for first in [0, 4] {
        let runs = [first, first + 1, first + 2, first + 3];
        let mut model = Model::batch(&loaded.scenario, &prepared.keys, runs);
        let allocations = allocations_while_stepping(&mut model, &prepared);
        assert_eq!(
            allocations, 0,
            "runs {runs:?}: {allocations} allocations while stepping"
        );
    }
}
