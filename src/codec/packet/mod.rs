//! The fifteen MQTT control packets, one model for every protocol version.
//!
//! Every packet starts with a fixed header (MQTT 5.0 section 2.1.1):
//!
//! ```text
//! byte 1:     packet type (7-4) | flags (3-0)
//! byte 2..5:  remaining length, a variable byte integer
//! ```

mod ack;
mod connect;
mod publish;
mod subscribe;

pub use ack::{Ack, Auth, Disconnect};
pub use connect::{ConnAck, Connect, Will, V3_1_MAX_CLIENT_ID};
pub use publish::Publish;
pub use subscribe::{RetainHandling, SubAck, Subscribe, Subscription, SubscriptionOptions, UnsubAck, Unsubscribe};

use super::error::{DecodeError, EncodeError};
use super::reason::allowed;
use super::types::ProtocolVersion;
use super::wire::{self, Reader};
use alloc::{boxed::Box, vec::Vec};

/// A control packet. CONNECT, the one large variant, is boxed so the enum
/// stays small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// Section 3.1.
    Connect(Box<Connect>),
    /// Section 3.2.
    ConnAck(ConnAck),
    /// Section 3.3.
    Publish(Publish),
    /// Section 3.4.
    PubAck(Ack),
    /// Section 3.5.
    PubRec(Ack),
    /// Section 3.6.
    PubRel(Ack),
    /// Section 3.7.
    PubComp(Ack),
    /// Section 3.8.
    Subscribe(Subscribe),
    /// Section 3.9.
    SubAck(SubAck),
    /// Section 3.10.
    Unsubscribe(Unsubscribe),
    /// Section 3.11.
    UnsubAck(UnsubAck),
    /// Section 3.12.
    PingReq,
    /// Section 3.13.
    PingResp,
    /// Section 3.14.
    Disconnect(Disconnect),
    /// Section 3.15, MQTT 5.0 only.
    Auth(Auth),
}

impl Packet {
    /// The packet type's name, for logs and `packetsend` events.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Connect(_) => "connect",
            Self::ConnAck(_) => "connack",
            Self::Publish(_) => "publish",
            Self::PubAck(_) => "puback",
            Self::PubRec(_) => "pubrec",
            Self::PubRel(_) => "pubrel",
            Self::PubComp(_) => "pubcomp",
            Self::Subscribe(_) => "subscribe",
            Self::SubAck(_) => "suback",
            Self::Unsubscribe(_) => "unsubscribe",
            Self::UnsubAck(_) => "unsuback",
            Self::PingReq => "pingreq",
            Self::PingResp => "pingresp",
            Self::Disconnect(_) => "disconnect",
            Self::Auth(_) => "auth",
        }
    }

    /// Decodes one packet from its first byte and its body (the bytes the
    /// remaining length covers). CONNECT carries its own version; every other
    /// packet is read as `version`.
    pub fn decode(first_byte: u8, body: &[u8], version: ProtocolVersion) -> Result<Self, DecodeError> {
        Self::decode_with(first_byte, body, version, |kind, r| {
            Ok(match kind {
                1 => Self::Connect(Box::new(Connect::decode(r)?)),
                8 => Self::Subscribe(Subscribe::decode(r, version)?),
                10 => Self::Unsubscribe(Unsubscribe::decode(r, version)?),
                _ => Self::PingReq, // 12, with no body
            })
        })
    }

    /// Decodes a packet a server sent, as [`Packet::decode`] does, except
    /// that CONNECT, SUBSCRIBE, UNSUBSCRIBE and PINGREQ, which only a client
    /// sends, are refused unread ([`DecodeError::ClientOnlyPacket`]). A client
    /// reads nothing else, and so links none of their decoders.
    pub fn decode_from_server(first_byte: u8, body: &[u8], version: ProtocolVersion) -> Result<Self, DecodeError> {
        Self::decode_with(first_byte, body, version, |_, _| Err(DecodeError::ClientOnlyPacket))
    }

    /// Decodes a packet, with `client_packet` reading the bodies of the
    /// packets only a client sends (types 1, 8, 10 and 12).
    fn decode_with(
        first_byte: u8,
        body: &[u8],
        version: ProtocolVersion,
        client_packet: impl FnOnce(u8, &mut Reader<'_>) -> Result<Self, DecodeError>,
    ) -> Result<Self, DecodeError> {
        let flags = first_byte & 0x0F;
        let kind = first_byte >> 4;
        // [MQTT-2.1.3-1]: PUBREL, SUBSCRIBE and UNSUBSCRIBE carry 0010,
        // PUBLISH its own flags, everything else 0000.
        let expected_flags = match kind {
            3 => flags,
            6 | 8 | 10 => 0b0010,
            _ => 0,
        };
        if flags != expected_flags {
            return Err(DecodeError::InvalidHeaderFlags);
        }
        let mut r = Reader::new(body);
        let packet = match kind {
            2 => Self::ConnAck(ConnAck::decode(&mut r, version)?),
            3 => Self::Publish(Publish::decode(flags, &mut r, version)?),
            4 => Self::PubAck(Ack::decode(&mut r, version, allowed::PUBACK)?),
            5 => Self::PubRec(Ack::decode(&mut r, version, allowed::PUBACK)?),
            6 => Self::PubRel(Ack::decode(&mut r, version, allowed::PUBREL)?),
            7 => Self::PubComp(Ack::decode(&mut r, version, allowed::PUBREL)?),
            9 => Self::SubAck(SubAck::decode(&mut r, version)?),
            11 => Self::UnsubAck(UnsubAck::decode(&mut r, version)?),
            13 => Self::PingResp,
            14 => Self::Disconnect(Disconnect::decode(&mut r, version)?),
            15 if version.is_v5() => Self::Auth(Auth::decode(&mut r)?),
            1 | 8 | 10 | 12 => client_packet(kind, &mut r)?,
            _ => return Err(DecodeError::InvalidPacketType),
        };
        r.finish(packet.name())?;
        Ok(packet)
    }

    /// Decodes the first whole packet in `buf`: the packet and the number of
    /// bytes it used, or `None` if `buf` holds only part of it.
    pub fn decode_from(buf: &[u8], version: ProtocolVersion) -> Result<Option<(Self, usize)>, DecodeError> {
        let Some((first, body, total)) = split_first_packet(buf)? else { return Ok(None) };
        Self::decode(first, body, version).map(|p| Some((p, total)))
    }

    /// The body's exact length where it is cheap to know in advance: the
    /// packets whose bodies can be large.
    fn body_len(&self, version: ProtocolVersion) -> Option<usize> {
        match self {
            Self::Publish(p) => p.body_len(version),
            Self::Subscribe(p) => p.body_len(version),
            Self::Unsubscribe(p) => p.body_len(version),
            _ => None,
        }
    }

    /// The first byte of the fixed header.
    fn first_byte(&self) -> u8 {
        match self {
            Self::Connect(_) => 0x10,
            Self::ConnAck(_) => 0x20,
            Self::Publish(p) => 0x30 | p.flags(),
            Self::PubAck(_) => 0x40,
            Self::PubRec(_) => 0x50,
            Self::PubRel(_) => 0x62,
            Self::PubComp(_) => 0x70,
            Self::Subscribe(_) => 0x82,
            Self::SubAck(_) => 0x90,
            Self::Unsubscribe(_) => 0xA2,
            Self::UnsubAck(_) => 0xB0,
            Self::PingReq => 0xC0,
            Self::PingResp => 0xD0,
            Self::Disconnect(_) => 0xE0,
            Self::Auth(_) => 0xF0,
        }
    }

    /// Appends the encoded packet to `buf`. On error `buf` is left as it was.
    pub fn encode(&self, version: ProtocolVersion, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.encode_with(version, buf, |packet, buf| match packet {
            Self::ConnAck(p) => p.encode_body(buf, version),
            Self::SubAck(p) => p.encode_body(buf, version),
            Self::UnsubAck(p) => p.encode_body(buf, version),
            _ => Ok(()),
        })
    }

    /// Encodes a packet a client sends, as [`Packet::encode`] does, except
    /// that CONNACK, SUBACK, UNSUBACK and PINGRESP, which only a server
    /// sends, are refused ([`EncodeError::ServerOnlyPacket`]): a client
    /// sends nothing else, and so links none of their encoders.
    pub fn encode_from_client(&self, version: ProtocolVersion, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.encode_with(version, buf, |_, _| Err(EncodeError::ServerOnlyPacket))
    }

    /// Encodes a packet, with `server_packet` writing the bodies of the
    /// packets only a server sends.
    fn encode_with(
        &self,
        version: ProtocolVersion,
        buf: &mut Vec<u8>,
        server_packet: impl FnOnce(&Self, &mut Vec<u8>) -> Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        encode_framed(self.first_byte(), buf, self.body_len(version), |buf| match self {
            Self::Connect(p) => p.encode_body(buf),
            Self::Publish(p) => p.encode_body(buf, version),
            Self::PubAck(p) | Self::PubRec(p) => p.encode_body(buf, version, allowed::PUBACK),
            Self::PubRel(p) | Self::PubComp(p) => p.encode_body(buf, version, allowed::PUBREL),
            Self::Subscribe(p) => p.encode_body(buf, version),
            Self::Unsubscribe(p) => p.encode_body(buf, version),
            Self::PingReq => Ok(()),
            Self::Disconnect(p) => p.encode_body(buf, version),
            Self::Auth(p) => p.encode_body(buf, version),
            Self::ConnAck(_) | Self::SubAck(_) | Self::UnsubAck(_) | Self::PingResp => server_packet(self, buf),
        })
    }
}

/// Writes a fixed header and the body `body` writes; on error `buf` is left
/// as it was.
fn encode_framed(
    first_byte: u8,
    buf: &mut Vec<u8>,
    body_len: Option<usize>,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let start = buf.len();
    buf.push(first_byte);
    let result = wire::put_length_prefixed(buf, body_len, body);
    if result.is_err() {
        buf.truncate(start);
    }
    result
}

/// A whole packet in a buffer: its first byte, its body and its length.
pub(crate) type Framed<'a> = (u8, &'a [u8], usize);

/// Where the first packet in `buf` lies, once it is whole.
pub(crate) fn split_first_packet(buf: &[u8]) -> Result<Option<Framed<'_>>, DecodeError> {
    let Some((&first, rest)) = buf.split_first() else { return Ok(None) };
    let Some((len, width)) = wire::decode_varint(rest)? else { return Ok(None) };
    let total = 1 + width + len as usize;
    Ok(buf.get(1 + width..total).map(|body| (first, body, total)))
}

// The packets a client keeps while they wait for an acknowledgement encode
// by reference, so a resend needs no copy of the payload.

impl Publish {
    /// Appends this PUBLISH to `buf`, as [`Packet::encode`] would.
    pub fn encode(&self, version: ProtocolVersion, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
        encode_framed(0x30 | self.flags(), buf, self.body_len(version), |buf| self.encode_body(buf, version))
    }
}

impl Subscribe {
    /// Appends this SUBSCRIBE to `buf`, as [`Packet::encode`] would.
    pub fn encode(&self, version: ProtocolVersion, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
        encode_framed(0x82, buf, self.body_len(version), |buf| self.encode_body(buf, version))
    }
}

impl Unsubscribe {
    /// Appends this UNSUBSCRIBE to `buf`, as [`Packet::encode`] would.
    pub fn encode(&self, version: ProtocolVersion, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
        encode_framed(0xA2, buf, self.body_len(version), |buf| self.encode_body(buf, version))
    }
}

impl From<Connect> for Packet {
    fn from(p: Connect) -> Self {
        Self::Connect(Box::new(p))
    }
}

impl From<Publish> for Packet {
    fn from(p: Publish) -> Self {
        Self::Publish(p)
    }
}
