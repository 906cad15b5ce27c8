//! The durable session state in IndexedDB, for `store: "indexeddb"` (the
//! format is `Session::export_state`'s). The storage calls live in `host.js`.

use alloc::vec::Vec;
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::host::{load_state, save_state};

/// The state stored under `key`, if any.
pub(crate) async fn load(key: &str) -> Result<Option<Vec<u8>>, JsValue> {
    let value = JsFuture::from(load_state(key)).await?;
    Ok(value.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec))
}

/// Stores `bytes` under `key`. They are copied into a JS array first: a view
/// into wasm memory could go stale while IndexedDB opens.
pub(crate) async fn save(key: &str, bytes: &[u8]) -> Result<(), JsValue> {
    JsFuture::from(save_state(key, Uint8Array::from(bytes))).await.map(drop)
}
