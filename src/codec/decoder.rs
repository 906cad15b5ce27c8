//! Streaming decode: bytes in, whole packets out.
//!
//! MQTT over WebSocket does not align packets with frames [MQTT-6.0.0-2]: a
//! frame may hold part of a packet or several. [`Decoder`] keeps the partial
//! tail between frames and refuses a packet as soon as its fixed header
//! announces more than the configured maximum, before its body arrives.

use super::error::DecodeError;
use super::packet::Packet;
use super::types::ProtocolVersion;
use super::wire;

/// Reassembles packets from arbitrary chunks.
///
/// ```
/// use mqtt_wasm::codec::{Decoder, Packet, ProtocolVersion};
///
/// let mut decoder = Decoder::new(ProtocolVersion::V3_1_1, 1024);
/// decoder.push(&[0xD0]); // half a PINGRESP
/// assert_eq!(decoder.next_packet(), Ok(None));
/// decoder.push(&[0x00, 0xD0, 0x00]); // its second half and a whole one
/// assert_eq!(decoder.next_packet(), Ok(Some(Packet::PingResp)));
/// assert_eq!(decoder.next_packet(), Ok(Some(Packet::PingResp)));
/// assert_eq!(decoder.next_packet(), Ok(None));
/// ```
#[derive(Debug)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Where the first undecoded byte of `buf` is.
    pos: usize,
    version: ProtocolVersion,
    max_packet_size: u32,
}

impl Decoder {
    /// `max_packet_size` counts the whole packet, fixed header included, as
    /// the v5 Maximum Packet Size does.
    pub fn new(version: ProtocolVersion, max_packet_size: u32) -> Self {
        Self { buf: Vec::new(), pos: 0, version, max_packet_size }
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// How many received bytes wait for the rest of their packet.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Drops buffered bytes, for a new connection.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.pos = 0;
    }

    /// The next whole packet, `Ok(None)` until one has arrived.
    ///
    /// After an error the stream cannot be resynchronised: the caller closes
    /// the connection.
    pub fn next_packet(&mut self) -> Result<Option<Packet>, DecodeError> {
        let avail = &self.buf[self.pos..];
        let Some((&first, rest)) = avail.split_first() else { return Ok(None) };
        let Some((len, width)) = wire::decode_varint(rest)? else { return Ok(None) };
        let total = 1 + width as u64 + u64::from(len);
        if total > u64::from(self.max_packet_size) {
            return Err(DecodeError::PacketTooLarge);
        }
        let total = total as usize;
        if avail.len() < total {
            return Ok(None);
        }
        let packet = Packet::decode(first, &avail[1 + width..total], self.version)?;
        self.pos += total;
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        Ok(Some(packet))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oversized_packet_is_refused_from_its_header_alone() {
        let mut d = Decoder::new(ProtocolVersion::V5, 100);
        // PUBLISH announcing 16384 bytes; only the header has arrived.
        d.push(&[0x30, 0x80, 0x80, 0x01]);
        assert_eq!(d.next_packet(), Err(DecodeError::PacketTooLarge));
    }

    #[test]
    fn the_maximum_counts_the_fixed_header() {
        let mut d = Decoder::new(ProtocolVersion::V3_1_1, 4);
        // PUBACK is exactly 4 bytes.
        d.push(&[0x40, 0x02, 0x00, 0x01]);
        assert!(matches!(d.next_packet(), Ok(Some(Packet::PubAck(_)))));
        let mut d = Decoder::new(ProtocolVersion::V3_1_1, 3);
        d.push(&[0x40, 0x02]);
        assert_eq!(d.next_packet(), Err(DecodeError::PacketTooLarge));
    }

    #[test]
    fn byte_by_byte_delivery_yields_each_packet_once() {
        let stream = [0x30, 0x05, 0x00, 0x01, b'a', b'h', b'i', 0xD0, 0x00];
        let mut d = Decoder::new(ProtocolVersion::V3_1_1, 1024);
        let mut seen = Vec::new();
        for &b in &stream {
            d.push(&[b]);
            while let Some(p) = d.next_packet().unwrap() {
                seen.push(p.name());
            }
        }
        assert_eq!(seen, ["publish", "pingresp"]);
        assert_eq!(d.buffered(), 0);
    }
}
