//! The browser edges, the only code that touches wasm-bindgen, web-sys and
//! js-sys: the WebSocket `transport`, the one-shot `timer` (run in a Worker
//! by `host.js`), the IndexedDB `store`, the conversions between JS values
//! and session types (`options`, `convert`, `error`), the `driver` that runs
//! a [`crate::session::Session`] with them, and `client`, the `MqttClient`
//! class JavaScript sees.

mod client;
mod convert;
mod driver;
mod error;
mod host;
mod options;
mod store;
mod timer;
mod transport;

pub use client::MqttClient;

/// Whether `filter` matches `topic` by MQTT's rules (`+`, `#`, `$share/`,
/// no first-level wildcard for `$` topics): the rules the client routes
/// per-subscription handlers by, for applications (and `SharedMqttClient`'s
/// tabs) that route messages themselves.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = topicMatches)]
pub fn topic_matches(filter: &str, topic: &str) -> bool {
    crate::codec::topic::matches(filter, topic)
}
