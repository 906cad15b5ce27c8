//! The codec and the session are pure: no browser bindings, no clock, no
//! IO. This test reads their sources and fails if any of that creeps in, so
//! the sans-IO promise of the crate docs stays true.
#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn codec_and_session_import_no_browser_crate_clock_or_io() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for layer in ["codec", "session"] {
        sources(&root.join(layer), &mut files);
    }
    assert!(files.len() > 10, "found the layers' sources");
    let forbidden = [
        "wasm_bindgen",
        "web_sys",
        "js_sys",
        "std::time::Instant",
        "std::time::SystemTime",
        "Instant::now",
        "SystemTime::now",
        "std::net",
        "std::fs",
        "std::io",
        "std::thread",
        "crate::wasm",
    ];
    let mut found = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in forbidden {
                if code.contains(word) {
                    found.push(format!("{}:{}: {word}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "the pure layers must stay pure:\n{}", found.join("\n"));
}
