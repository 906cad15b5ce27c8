//! The browser `WebSocket` under one network connection.
//!
//! Binary frames only, as `ArrayBuffer`s, and the subprotocol the protocol
//! version asks for [MQTT-6.0.0-4]; the socket and its handlers are set up
//! by `openSocket` of host.js, which also reads the frames. The three
//! handler closures live as long as the socket: `Drop` detaches them first
//! and then closes the socket, so no callback runs into freed memory.

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
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(Option<Array>, usize, f64)>,
    _on_close: Closure<dyn FnMut(u16)>,
}

impl Transport {
    /// Opens a socket; `on_event` receives everything that happens to it.
    pub(crate) fn open(url: &str, protocol: &str, on_event: impl Fn(SocketEvent) + 'static) -> Result<Self, JsValue> {
        let on_event = alloc::rc::Rc::new(on_event);
        let handler = on_event.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || handler(SocketEvent::Open));
        let handler = on_event.clone();
        // A burst of binary frames with their total length, or `None` for
        // anything but binary (a text frame), which the client answers by
        // closing the connection [MQTT-6.0.0-1]. The clock is read on the
        // JS side too, and the close comes after the frames before it.
        let on_message = Closure::<dyn FnMut(Option<Array>, usize, f64)>::new(
            move |frames: Option<Array>, length: usize, at: f64| match frames {
                Some(frames) => {
                    handler(SocketEvent::Data(read_frames(&frames, length), Instant::from_millis(at as u64)))
                }
                None => handler(SocketEvent::Text),
            },
        );
        let handler = on_event;
        let on_close = Closure::<dyn FnMut(u16)>::new(move |code: u16| handler(SocketEvent::Closed { code }));
        let ws = open_socket(
            url,
            protocol,
            on_open.as_ref().unchecked_ref(),
            on_message.as_ref().unchecked_ref(),
            on_close.as_ref().unchecked_ref(),
        )?;
        Ok(Self { ws, _on_open: on_open, _on_message: on_message, _on_close: on_close })
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
