//! The hot loop allocates nothing: after a run is set up, stepping the model (every officer,
//! every pair, every event, mole hunts included) makes no heap allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use liaison::model::Model;
use liaison::runner::Prepared;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
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
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        for step in 0..scenario.timeline.steps() {
            model.step(schedule.at(step));
            model.observe(layout, &mut row);
        }
        let allocations = ALLOCATIONS.load(Ordering::SeqCst) - before;
        assert_eq!(
            allocations, 0,
            "run {run}: {allocations} allocations while stepping"
        );
    }
}
