//! Replays the checked-in cargo-fuzz corpora (`fuzz/corpus/<target>/`) and
//! the crashes found so far (`fuzz/regressions/<target>/`, which corpus
//! minimization never prunes) through the same harnesses as the fuzz
//! targets, so every case stays checked by `cargo test`.
#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::Path;

fn replay(target: &str, harness: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    let dirs = [fuzz.join("corpus").join(target), fuzz.join("regressions").join(target)];
    let entries = dirs
        .iter()
        .filter(|d| d.exists())
        .flat_map(|d| fs::read_dir(d).unwrap_or_else(|e| panic!("{}: {e}", d.display())));
    for entry in entries {
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
