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

#[test]
fn stepping_the_default_scenario_allocates_nothing() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/us-russia-2011-2017.toml"
    );
    let loaded = liaison::scenario::load(Path::new(path)).expect("default scenario");
    let scenario = &loaded.scenario;
    let prepared = Prepared::new(scenario, 42);
    let (layout, schedule) = (&prepared.layout, &prepared.schedule);
    let mut row = vec![0.0; layout.len()];
    for run in 0..5 {
        let mut model = Model::new(scenario, &prepared.keys, run);
        let before = allocations();
        for step in 0..scenario.timeline.steps() {
            model.step(schedule.at(step));
            model.observe(layout, &mut row);
        }
        let allocations = allocations() - before;
        assert_eq!(
            allocations, 0,
            "run {run}: {allocations} allocations while stepping"
        );
    }
}

#[test]
fn stepping_a_batch_of_four_runs_allocates_nothing() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/us-russia-2011-2017.toml"
    );
    let loaded = liaison::scenario::load(Path::new(path)).expect("default scenario");
    let scenario = &loaded.scenario;
    let prepared = Prepared::new(scenario, 42);
    let (layout, schedule) = (&prepared.layout, &prepared.schedule);
    let mut row = vec![0.0; layout.len()];
    for first in [0, 4] {
        let runs = [first, first + 1, first + 2, first + 3];
        let mut model = Model::batch(scenario, &prepared.keys, runs);
        let before = allocations();
        for step in 0..scenario.timeline.steps() {
            model.step(schedule.at(step));
            for lane in 0..runs.len() {
                model.observe_lane(lane, layout, &mut row);
            }
        }
        let allocations = allocations() - before;
        assert_eq!(
            allocations, 0,
            "runs {runs:?}: {allocations} allocations while stepping"
        );
    }
}
