//! The wasm half of the codec benchmark: a streaming decoder that node
//! feeds with the same chunks it feeds npm `mqtt-packet`.
#![cfg(target_arch = "wasm32")]

use mqtt_wasm::codec::{Bytes, Decoder, ProtocolVersion};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct StreamDecoder(Decoder);

#[wasm_bindgen]
impl StreamDecoder {
    #[wasm_bindgen(constructor)]
    pub fn new(level: u8) -> StreamDecoder {
        let version = ProtocolVersion::from_level(level).unwrap_or(ProtocolVersion::V3_1_1);
        StreamDecoder(Decoder::new(version, u32::MAX))
    }

    /// Decodes every whole packet `chunk` completes; returns how many, or
    /// -1 on a decode error. The chunk arrives as an owned buffer, as the
    /// client receives a WebSocket frame, so packets share it.
    pub fn push(&mut self, chunk: Vec<u8>) -> i32 {
        let mut input = Bytes::from(chunk);
        let mut n = 0;
        loop {
            match self.0.next_from_bytes(&mut input) {
                Ok(Some(_)) => n += 1,
                Ok(None) => return n,
                Err(_) => return -1,
            }
        }
    }
}
