//! The durable session state in IndexedDB, for `store: "indexeddb"` (the
//! format is `Session::export_state`'s). The storage calls live in `host.js`.

use alloc::vec::Vec;
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

use super::host::{load_state, save_state, when_settled};

/// Reads the state stored under `key`; `done` gets it (`None` where
/// nothing is stored), or `Err` where the store failed.
pub(crate) fn load(key: &str, done: impl FnOnce(Result<Option<Vec<u8>>, ()>) + 'static) {
    let callback = Closure::once_into_js(move |ok: bool, value: JsValue| {
        done(if ok { Ok(value.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec)) } else { Err(()) })
    });
    when_settled(&load_state(key), &callback);
}

/// Stores `bytes` under `key`; `done` says whether it was. They are copied
/// into a JS array first: a view into wasm memory could go stale while
/// IndexedDB opens.
pub(crate) fn save(key: &str, bytes: &[u8], done: impl FnOnce(Result<(), ()>) + 'static) {
    let callback = Closure::once_into_js(move |ok: bool| done(if ok { Ok(()) } else { Err(()) }));
    when_settled(&save_state(key, Uint8Array::from(bytes)), &callback);
}
