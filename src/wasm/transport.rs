//! The browser `WebSocket` under one network connection.
//!
//! Binary frames only, as `ArrayBuffer`s, and the subprotocol the protocol
//! version asks for [MQTT-6.0.0-4]; the socket and its handlers are set up
//! by `openSocket` of host.js, which also reads the frames. The one
//! handler closure (open, frames, text frame and close told apart by a
//! number: one closure type, one set of glue) lives as long as the socket:
//! `Drop` detaches it first and then closes the socket, so no callback runs
//! into freed memory.

use alloc::{vec, vec::Vec};
use js_sys::Array;
use wasm_bindgen::prelude::*;
use web_sys::WebSocket;

use super::host::{copy_frames, drop_socket, open_socket};
use crate::session::Instant;

/// What the socket reports to the driver.
pub(crate) enum SocketEvent {
    Open,
    /// The bytes of one or more binary frames (a burst: see `openSocket`
    /// in host.js), and when they were read (`performance.now()`).
    Data(Vec<u8>, Instant),
    /// A text frame, which MQTT never uses [MQTT-6.0.0-1].
    Text,
    /// Closed, by either side or by failure; `code` is the close code
    /// (1006 when the connection failed or broke).
    Closed {
        code: u16,
    },
}

pub(crate) struct Transport {
    ws: WebSocket,
    _on_socket: Closure<dyn FnMut(u8, Option<Array>, usize, f64)>,
}

impl Transport {
    /// Opens a socket; `on_event` receives everything that happens to it.
    pub(crate) fn open(url: &str, protocol: &str, on_event: impl Fn(SocketEvent) + 'static) -> Result<Self, JsValue> {
        // `openSocket`'s report: 0 opened; 1 a burst of binary frames with
        // their total length and the time they were read (the clock is read
        // on the JS side); 2 a text frame, which the client answers by
        // closing the connection [MQTT-6.0.0-1]; 3 closed, with the close
        // code. The close comes after the frames before it.
        let on_socket = Closure::<dyn FnMut(u8, Option<Array>, usize, f64)>::new(
            move |kind: u8, frames: Option<Array>, n: usize, at: f64| {
                on_event(match (kind, frames) {
                    (0, _) => SocketEvent::Open,
                    (1, Some(frames)) => SocketEvent::Data(read_frames(&frames, n), Instant::from_millis(at as u64)),
                    (3, _) => SocketEvent::Closed { code: n as u16 },
                    _ => SocketEvent::Text,
                })
            },
        );
        let ws = open_socket(url, protocol, on_socket.as_ref().unchecked_ref())?;
        Ok(Self { ws, _on_socket: on_socket })
    }

    /// Sends one binary frame.
    pub(crate) fn send(&self, bytes: &[u8]) -> Result<(), JsValue> {
        self.ws.send_with_u8_array(bytes)
    }

    /// Starts the closing handshake; data already passed to `send` goes
    /// out first. `Closed` follows.
    pub(crate) fn close(&self) {
        let _ = self.ws.close();
    }
}

/// The bytes of a burst of frames (`Uint8Array`s, `length` bytes in all),
/// copied by JS straight into wasm memory: no joined buffer on the JS side
/// and no second copy by the glue, which for 1 KiB messages was two
/// copies of every byte received before the decoder saw it.
fn read_frames(frames: &Array, length: usize) -> Vec<u8> {
    let mut bytes = vec![0; length];
    let written = copy_frames(frames, &mut bytes);
    bytes.truncate(written);
    bytes
}

impl Drop for Transport {
    fn drop(&mut self) {
        drop_socket(&self.ws);
    }
}
