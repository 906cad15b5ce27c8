//! Replays the checked-in cargo-fuzz corpora (`fuzz/corpus/<target>/`)
//! through the same harnesses as the fuzz targets, so every case the fuzzer
//! kept, crashes it found included, stays checked by `cargo test`.
#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::Path;

fn replay(target: &str, harness: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut count = 0;
    for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| harness(&data));
        assert!(result.is_ok(), "corpus case {} fails", path.display());
        count += 1;
    }
    assert!(count > 0, "the {target} corpus is empty");
}

#[test]
fn decoder_corpus() {
    replay("decoder", mqtt_wasm::fuzzing::decoder);
}

#[test]
fn session_corpus() {
    replay("session", mqtt_wasm::fuzzing::session);
}
