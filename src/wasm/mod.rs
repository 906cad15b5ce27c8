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
mod read;
mod store;
mod timer;
mod transport;

pub use client::MqttClient;

#[cfg(not(feature = "std"))]
pub(crate) use host::report_panic;
