//! What the session hands back to its driver.

use crate::codec::{Auth, ConnAck, Disconnect, Packet, PacketId, Properties, Publish, ReasonCode, SubAck, UnsubAck};
use alloc::string::String;

use super::error::SessionError;

/// Names an application command (publish, subscribe, unsubscribe) so that
/// its completion event can be matched to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpId(pub(crate) u64);

impl OpId {
    pub fn get(self) -> u64 {
        self.0
    }
}

/// How a publish completed: at once for QoS 0, with PUBACK for QoS 1, with
/// PUBCOMP for QoS 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishAck {
    pub packet_id: Option<PacketId>,
    /// The v5 reason code of the final acknowledgement (none for QoS 0).
    pub reason_code: Option<ReasonCode>,
    pub properties: Properties,
}

/// A one-line summary of a packet, for debugging (`packetsend` /
/// `packetreceive`). Never carries payloads or credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketInfo {
    pub kind: &'static str,
    pub packet_id: Option<u16>,
    /// PUBLISH only.
    pub topic: Option<String>,
    pub qos: Option<u8>,
}

impl PacketInfo {
    pub(crate) fn of(packet: &Packet) -> Self {
        let packet_id = match packet {
            Packet::PubAck(a) | Packet::PubRec(a) | Packet::PubRel(a) | Packet::PubComp(a) => Some(a.packet_id),
            Packet::Subscribe(s) => Some(s.packet_id),
            Packet::SubAck(s) => Some(s.packet_id),
            Packet::Unsubscribe(u) => Some(u.packet_id),
            Packet::UnsubAck(u) => Some(u.packet_id),
            Packet::Publish(p) => return Self::publish(p),
            _ => None,
        };
        Self { kind: packet.name(), packet_id: packet_id.map(PacketId::get), topic: None, qos: None }
    }

    pub(crate) fn publish(p: &Publish) -> Self {
        Self {
            kind: "publish",
            packet_id: p.qos_pid.packet_id().map(PacketId::get),
            // Not `to_string()`: that goes through `core::fmt`, which the
            // package build otherwise leaves out.
            topic: Some(String::from(&*p.topic)),
            qos: Some(p.qos_pid.qos() as u8),
        }
    }
}

/// An output of the session, taken with `Session::poll_event`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A CONNACK accepted the connection.
    Connected(ConnAck),
    /// An application message arrived, its topic alias resolved; QoS 2
    /// messages come once, when the server releases them.
    Message(Publish),
    PublishDone(OpId, Result<PublishAck, SessionError>),
    SubscribeDone(OpId, Result<SubAck, SessionError>),
    UnsubscribeDone(OpId, Result<UnsubAck, SessionError>),
    /// The server sent AUTH: answer with `Session::auth`.
    Auth(Auth),
    /// The server sent DISCONNECT; a `Lost` follows.
    ServerDisconnect(Disconnect),
    /// Something went wrong that did not end the connection, such as a
    /// filter refused while re-subscribing.
    Error(SessionError),
    /// The connection is over (refused, timed out, broken by the server,
    /// or closed underneath): the driver closes the transport after sending
    /// what `poll_transmit` still holds.
    Lost(SessionError),
    PacketSent(PacketInfo),
    PacketReceived(PacketInfo),
}
