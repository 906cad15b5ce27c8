//! Streaming decode: bytes in, whole packets out.
//!
//! MQTT over WebSocket does not align packets with frames [MQTT-6.0.0-2]: a
//! frame may hold part of a packet or several. [`Decoder`] keeps the partial
//! tail between frames and refuses a packet as soon as its fixed header
//! announces more than the configured maximum, before its body arrives.

use super::error::DecodeError;
use super::packet::{Packet, Publish};
use super::types::ProtocolVersion;
use super::wire;
use alloc::vec::Vec;
use bytes::{Buf, Bytes};
use core::marker::PhantomData;

/// The sender whose packets a [`Decoder`] reads: a type, so that a client's
/// decoder ([`Server`]) links no decoder of the packets only a client sends.
pub trait Peer {
    /// Decodes one packet from its first byte and its body.
    fn decode(first_byte: u8, body: &[u8], version: ProtocolVersion) -> Result<Packet, DecodeError>;
}

/// Either side: every packet type ([`Packet::decode`]), as a server or a
/// test reads a client's packets.
#[derive(Debug)]
pub struct AnyPeer;

/// A server: what a client reads ([`Packet::decode_from_server`]).
#[derive(Debug)]
pub struct Server;

impl Peer for AnyPeer {
    fn decode(first_byte: u8, body: &[u8], version: ProtocolVersion) -> Result<Packet, DecodeError> {
        Packet::decode(first_byte, body, version)
    }
}

impl Peer for Server {
    fn decode(first_byte: u8, body: &[u8], version: ProtocolVersion) -> Result<Packet, DecodeError> {
        Packet::decode_from_server(first_byte, body, version)
    }
}

/// Reassembles packets from arbitrary chunks. `P` is whose packets it reads:
/// every type by default, a server's in a client (`Decoder<Server>`).
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
pub struct Decoder<P = AnyPeer> {
    /// Received bytes, of which those from `read` on are not yet decoded:
    /// at most one partial packet after a `next_*` call returned `None`.
    /// A `Vec`, not a `BytesMut`: the client buffers only packets that
    /// arrive in parts, and `BytesMut`'s sharing machinery was 0.8 KB of
    /// the `.wasm` for that.
    buf: Vec<u8>,
    /// Where the undecoded bytes of `buf` begin: packets are taken from
    /// the front without moving what follows them each time.
    read: usize,
    version: ProtocolVersion,
    max_packet_size: u32,
    peer: PhantomData<P>,
}

impl Decoder {
    /// A decoder of every packet type, for either side. `max_packet_size`
    /// counts the whole packet, fixed header included, as the v5 Maximum
    /// Packet Size does.
    pub fn new(version: ProtocolVersion, max_packet_size: u32) -> Self {
        Self::with_peer(version, max_packet_size)
    }
}

impl Decoder<Server> {
    /// A client's decoder: of the packets a server sends; the others are
    /// refused with [`DecodeError::ClientOnlyPacket`].
    pub fn from_server(version: ProtocolVersion, max_packet_size: u32) -> Self {
        Self::with_peer(version, max_packet_size)
    }
}

impl<P: Peer> Decoder<P> {
    fn with_peer(version: ProtocolVersion, max_packet_size: u32) -> Self {
        Self { buf: Vec::new(), read: 0, version, max_packet_size, peer: PhantomData }
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.drain(..self.read);
        self.read = 0;
        self.buf.extend_from_slice(bytes);
    }

    /// How many received bytes wait for the rest of their packet.
    pub fn buffered(&self) -> usize {
        self.pending().len()
    }

    /// The received bytes not yet decoded.
    fn pending(&self) -> &[u8] {
        self.buf.get(self.read..).unwrap_or_default()
    }

    /// Drops buffered bytes, for a new connection.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.read = 0;
    }

    /// The next whole packet, `Ok(None)` until one has arrived.
    ///
    /// After an error the stream cannot be resynchronised: the caller closes
    /// the connection.
    pub fn next_packet(&mut self) -> Result<Option<Packet>, DecodeError> {
        let Some(frame) = self.frame(self.pending())? else { return Ok(None) };
        let packet = if self.read == 0 && frame.total == self.buf.len() {
            // The one buffered packet (a packet that arrived in parts, on
            // the client's path): the buffer itself becomes its bytes.
            Bytes::from(core::mem::take(&mut self.buf))
        } else {
            let packet = Bytes::copy_from_slice(&self.pending()[..frame.total]);
            self.read += frame.total;
            packet
        };
        frame.decode_shared::<P>(packet, self.version).map(Some)
    }

    /// Like [`Decoder::next_from`], for input in a shared buffer: a packet
    /// that lies whole in `input` is decoded in place and its payload shares
    /// `input`'s memory. The browser client receives each WebSocket frame
    /// as an owned buffer, so a message's bytes are never copied between
    /// the frame and the application.
    pub fn next_from_bytes(&mut self, input: &mut Bytes) -> Result<Option<Packet>, DecodeError> {
        if self.buffered() == 0 {
            if let Some(frame) = self.frame(input)? {
                return frame.decode_shared::<P>(input.split_to(frame.total), self.version).map(Some);
            }
        }
        let n = self.wanted(input)?;
        self.push(&input[..n]);
        input.advance(n);
        self.next_packet()
    }

    /// The next whole packet from what was buffered and then `input`, which
    /// it advances past what it consumed. Equivalent to `push(input)` and
    /// `next_packet()`, but a packet that lies whole in `input` while
    /// nothing is buffered is decoded in place: in the common case, a frame
    /// of whole packets, received bytes are never copied into the buffer.
    pub fn next_from(&mut self, input: &mut &[u8]) -> Result<Option<Packet>, DecodeError> {
        if self.buffered() == 0 {
            if let Some(frame) = self.frame(input)? {
                let packet = frame.decode::<P>(input, self.version)?;
                *input = &input[frame.total..];
                return Ok(Some(packet));
            }
        }
        let n = self.wanted(input)?;
        self.push(&input[..n]);
        *input = &input[n..];
        self.next_packet()
    }

    /// How many bytes at the start of `input` belong to the packet that
    /// begins in the buffer: only those are copied into it, and the packets
    /// after it are decoded in place. Once the packet's size is known, the
    /// buffer gets room for exactly all of it, so that it grows once and
    /// becomes the packet's [`Bytes`] as it is.
    fn wanted(&mut self, input: &[u8]) -> Result<usize, DecodeError> {
        // The fixed header (at most 5 bytes) may itself straddle the two.
        let mut head = [0; 5];
        let pending = self.pending();
        let from_buf = pending.len().min(head.len());
        let from_input = (head.len() - from_buf).min(input.len());
        head[..from_buf].copy_from_slice(&pending[..from_buf]);
        head[from_buf..from_buf + from_input].copy_from_slice(&input[..from_input]);
        Ok(match self.header(&head[..from_buf + from_input])? {
            Some(frame) => {
                let missing = frame.total.saturating_sub(pending.len());
                self.buf.reserve_exact(missing);
                missing.min(input.len())
            }
            None => input.len(),
        })
    }

    /// Where the packet at the start of `avail` lies, once it is all there.
    fn frame(&self, avail: &[u8]) -> Result<Option<Frame>, DecodeError> {
        Ok(self.header(avail)?.filter(|frame| avail.len() >= frame.total))
    }

    /// The packet at the start of `avail`, once its fixed header is there;
    /// the size limit applies here.
    fn header(&self, avail: &[u8]) -> Result<Option<Frame>, DecodeError> {
        let Some(rest) = avail.get(1..) else { return Ok(None) };
        let Some((len, width)) = wire::decode_varint(rest)? else { return Ok(None) };
        let total = 1 + width as u64 + u64::from(len);
        if total > u64::from(self.max_packet_size) {
            return Err(DecodeError::PacketTooLarge);
        }
        Ok(Some(Frame { header: 1 + width, total: total as usize }))
    }
}

/// A whole packet at the start of a byte slice.
#[derive(Debug, Clone, Copy)]
struct Frame {
    /// Fixed header length: the first byte and the remaining length.
    header: usize,
    /// Header and body.
    total: usize,
}

impl Frame {
    fn decode<P: Peer>(self, avail: &[u8], version: ProtocolVersion) -> Result<Packet, DecodeError> {
        let (&first, _) = avail.split_first().ok_or(DecodeError::MissingData("fixed header"))?;
        let body = avail.get(self.header..self.total).ok_or(DecodeError::MissingData("packet body"))?;
        P::decode(first, body, version)
    }

    /// Decodes `packet`, exactly this frame's bytes, sharing its buffer: a
    /// PUBLISH topic and payload become views of it instead of copies.
    fn decode_shared<P: Peer>(self, mut packet: Bytes, version: ProtocolVersion) -> Result<Packet, DecodeError> {
        let first = *packet.first().ok_or(DecodeError::MissingData("fixed header"))?;
        if packet.len() < self.total || self.header > self.total {
            return Err(DecodeError::MissingData("packet body"));
        }
        // Trimmed in place rather than sliced: no second reference to count.
        packet.truncate(self.total);
        packet.advance(self.header);
        match first >> 4 {
            3 => Publish::decode_shared(first & 0x0F, packet, version).map(Packet::Publish),
            _ => P::decode(first, &packet, version),
        }
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
    fn next_from_decodes_in_place_and_buffers_only_a_partial_tail() {
        let stream = [0x30, 0x05, 0x00, 0x01, b'a', b'h', b'i', 0xD0, 0x00, 0x40, 0x02];
        let mut d = Decoder::new(ProtocolVersion::V3_1_1, 1024);
        let mut input = &stream[..];
        assert!(matches!(d.next_from(&mut input), Ok(Some(Packet::Publish(_)))));
        assert!(matches!(d.next_from(&mut input), Ok(Some(Packet::PingResp))));
        assert_eq!(d.buffered(), 0, "whole packets were never buffered");
        assert_eq!(d.next_from(&mut input), Ok(None));
        assert_eq!((input.len(), d.buffered()), (0, 2), "the partial PUBACK waits in the buffer");
        let mut rest = &[0x00, 0x07, 0xC0][..];
        assert!(matches!(d.next_from(&mut rest), Ok(Some(Packet::PubAck(_)))));
        assert_eq!((rest, d.buffered()), (&[0xC0][..], 0), "only the PUBACK's own bytes were buffered");
        assert_eq!(d.next_from(&mut rest), Ok(None));
        assert_eq!(d.buffered(), 1);
    }

    #[test]
    fn a_fixed_header_split_between_chunks_still_limits_what_is_buffered() {
        // A PUBLISH whose remaining length (2 bytes: 0x85 0x01 = 133)
        // straddles two chunks, followed by a PINGRESP.
        let mut packet = vec![0x30, 0x85, 0x01, 0x00, 0x01, b't'];
        packet.resize(3 + 133, b'x');
        let mut d = Decoder::new(ProtocolVersion::V3_1_1, 1024);
        let mut first = Bytes::copy_from_slice(&packet[..2]);
        assert_eq!(d.next_from_bytes(&mut first), Ok(None));
        let mut second = Bytes::from([&packet[2..], &[0xD0, 0x00][..]].concat());
        assert!(matches!(d.next_from_bytes(&mut second), Ok(Some(Packet::Publish(p))) if p.payload.len() == 130));
        assert_eq!((&second[..], d.buffered()), (&[0xD0, 0x00][..], 0));
        assert_eq!(d.next_from_bytes(&mut second), Ok(Some(Packet::PingResp)));
    }

    #[test]
    fn packets_pushed_together_are_taken_in_turn_and_a_partial_one_waits() {
        let mut d = Decoder::new(ProtocolVersion::V3_1_1, 1024);
        // Two PUBLISHes and the first byte of a PINGRESP, in one push.
        d.push(&[0x30, 0x04, 0x00, 0x01, b'a', b'1', 0x30, 0x04, 0x00, 0x01, b'b', b'2', 0xD0]);
        for (topic, payload) in [("a", b"1"), ("b", b"2")] {
            match d.next_packet() {
                Ok(Some(Packet::Publish(p))) => assert_eq!((&*p.topic, &p.payload[..]), (topic, &payload[..])),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!((d.next_packet(), d.buffered()), (Ok(None), 1));
        d.push(&[0x00]);
        assert_eq!(d.next_packet(), Ok(Some(Packet::PingResp)));
        assert_eq!(d.buffered(), 0);
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
