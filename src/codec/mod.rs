//! The MQTT packet codec: pure functions from packets to bytes and back.
//!
//! One packet model serves MQTT 3.1, 3.1.1 and 5.0; the [`ProtocolVersion`]
//! is passed to [`Packet::decode`] and [`Packet::encode`], which skip what a
//! version lacks and refuse what it forbids. Decoding never panics and never
//! allocates more than the packet in hand announces, which [`Decoder`] bounds
//! by a maximum packet size before any body is buffered.

mod decoder;
mod error;
mod packet;
mod properties;
mod reason;
pub mod topic;
mod types;
pub(crate) mod wire;

/// The payload type of [`Publish`], re-exported so that users need not
/// depend on `bytes` themselves.
pub use bytes::Bytes;
/// The topic type of [`Publish`]: a UTF-8 string over [`Bytes`].
pub use bytestring::ByteString;
pub use decoder::{AnyPeer, Decoder, Peer, Server};
pub use error::{DecodeError, EncodeError};
pub(crate) use packet::split_first_packet;
pub use packet::{
    Ack, Auth, ConnAck, Connect, Disconnect, Packet, Publish, RetainHandling, SubAck, Subscribe, Subscription,
    SubscriptionOptions, UnsubAck, Unsubscribe, Will, V3_1_MAX_CLIENT_ID,
};
pub use properties::{id, property, Kind, Properties, Property, Repeated, Secret, Value, PROPERTIES};
pub use reason::ReasonCode;
pub use types::{PacketId, ProtocolVersion, QoS, QosPid};
pub use wire::MAX_VARINT;
