//! The session on arbitrary server bytes and commands; see `mqtt_wasm::fuzzing::session`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mqtt_wasm::fuzzing::session(data));
