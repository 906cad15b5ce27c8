//! The durable session state in IndexedDB, for `store: "indexeddb"` (the
//! format is `Session::export_state`'s). The storage calls live in `host.js`.

use alloc::vec::Vec;
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

use super::host::{load_state, on_settled, save_state};

/// Reads the state stored under `key`; `done` gets it (`None` where
/// nothing is stored), or `Err` where the store failed.
pub(crate) fn load(key: &str, done: impl FnOnce(Result<Option<Vec<u8>>, ()>) + 'static) {
    on_settled(&load_state(key), move |value| done(value.map(|v| v.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec))));
}

/// Stores `bytes` under `key`; `done` says whether it was. They are copied
/// into a JS array first: a view into wasm memory could go stale while
/// IndexedDB opens.
pub(crate) fn save(key: &str, bytes: &[u8], done: impl FnOnce(Result<(), ()>) + 'static) {
    on_settled(&save_state(key, Uint8Array::from(bytes)), move |saved| done(saved.map(drop)));
}
