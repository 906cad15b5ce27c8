//! An MQTT 3.1 / 3.1.1 / 5.0 client for the browser.
//!
//! The crate has three layers, each depending only on the ones before it:
//!
//! - [`codec`]: packets to bytes and back. Pure.
//! - [`session`]: the client's protocol state machine. Pure and
//!   deterministic: it contains no networking code and never reads a clock;
//!   time is an argument to every call that needs it.
//! - `wasm` (wasm32, with the default `bindings` feature): the browser
//!   edges, a `WebSocket` transport, one `setTimeout` timer, and the
//!   `MqttClient` class that JavaScript sees.
//!
//! Because the first two layers do no IO, every protocol behaviour is tested
//! natively with `cargo test`, byte for byte and with simulated time.

#![cfg_attr(all(target_arch = "wasm32", not(feature = "std")), no_std)]
#![warn(missing_debug_implementations, unreachable_pub)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod codec;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
mod runtime;
pub mod session;
mod text;
#[cfg(all(target_arch = "wasm32", feature = "bindings"))]
pub mod wasm;
