//! The browser edges, the only code that touches wasm-bindgen, web-sys and
//! js-sys: the WebSocket [`transport`], the one-shot [`timer`], the
//! conversions between JS values and session types, and the `MqttClient`
//! class that drives a [`crate::session::Session`] with them.

mod client;
mod convert;
mod error;
mod options;
mod store;
mod timer;
mod transport;

pub use client::MqttClient;
