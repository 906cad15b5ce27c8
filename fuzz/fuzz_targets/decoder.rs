//! The streaming decoder on arbitrary chunked bytes; see `mqtt_wasm::fuzzing::decoder`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mqtt_wasm::fuzzing::decoder(data));
