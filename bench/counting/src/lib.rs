//! `mqtt-wasm` with a counting global allocator. Everything the package
//! exports is exported here too, plus `allocationStats()`: how many
//! allocations (and reallocations) the module has made and how many bytes
//! they asked for, so a profile can divide them by the messages it ran.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use wasm_bindgen::prelude::*;

// Links the client, whose `#[wasm_bindgen]` exports become this module's.
use mqtt_wasm as _;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

struct Counting;

// SAFETY: every call is passed unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counters have no effect on the memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size as u64, Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// `[allocations, bytes]` since the module started.
#[wasm_bindgen(js_name = allocationStats)]
pub fn allocation_stats() -> Vec<f64> {
    vec![ALLOCATIONS.load(Relaxed) as f64, BYTES.load(Relaxed) as f64]
}
