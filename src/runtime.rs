//! What std would provide on wasm32, for the package build: a global
//! allocator and the panic handler. Without std no `core::fmt` machinery
//! is linked (std's panic handler formats every panic message, which kept
//! about 12 KB of formatting code and the Unicode tables of `char::escape`
//! in the `.wasm`). Crates that link std themselves (the browser tests,
//! the counting allocator of `make profile`) enable the `std` feature,
//! and this module is left out.

/// Talc, not the dlmalloc std uses on wasm32: 1.7 KB smaller gzipped in
/// the package, and faster in its own benchmarks. Sound here because the
/// package's wasm32 is single-threaded (no `atomics`): `TalcSyncCell`
/// needs that.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A panic is a bug (the codec and session are fuzzed not to panic on any
/// input): the call traps, and JS sees a `RuntimeError` ("unreachable").
/// The client's state stays borrowed, so every later call on it traps too.
/// The package build compiles panics to that same trap directly
/// (`-Cpanic=immediate-abort`, scripts/lib.sh), so this handler is what
/// other builds of the crate get, with the same behaviour.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}
