//! Why a packet could not be decoded or encoded.
//!
//! Both enums are `Copy` and carry only `&'static str` context, so they cost
//! nothing to pass around and their `Display` pulls in no formatting machinery
//! (each message is a fixed string; see `as_str`).

use core::fmt;

use super::reason::ReasonCode;

/// Bytes from the peer that are not a valid MQTT packet.
///
/// Every variant maps to the v5 reason code a client sends in its DISCONNECT
/// before closing ([`DecodeError::reason_code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeError {
    /// A variable byte integer continued past its fourth byte [MQTT-1.5.5-1].
    MalformedVarInt,
    /// A variable byte integer in more bytes than its value needs (`80 00`
    /// for 0): it must use the minimum number of bytes [MQTT-1.5.5-1].
    NonMinimalVarInt,
    /// The packet announced a size above the configured maximum; it was
    /// rejected from its fixed header, before its body was buffered.
    PacketTooLarge,
    /// Packet type 0, or AUTH (15) on a connection older than MQTT 5.0.
    InvalidPacketType,
    /// CONNECT, SUBSCRIBE, UNSUBSCRIBE or PINGREQ from a server, which only a
    /// client may send (a protocol error, MQTT 5.0 section 4.13).
    ClientOnlyPacket,
    /// The fixed-header flag bits differ from what the packet type requires
    /// [MQTT-2.1.3-1], or DUP is set on a QoS 0 PUBLISH [MQTT-3.3.1-2].
    InvalidHeaderFlags,
    /// The packet ended before the named field.
    MissingData(&'static str),
    /// Bytes were left after the named (last) part of the packet.
    TrailingData(&'static str),
    /// A string is not well-formed UTF-8 or contains U+0000
    /// [MQTT-1.5.4-1] [MQTT-1.5.4-2].
    InvalidString,
    /// CONNECT names neither `MQTT` nor `MQIsdp` [MQTT-3.1.2-1].
    InvalidProtocolName,
    /// CONNECT carries a protocol level this codec does not speak, or a
    /// level that does not match its protocol name.
    UnsupportedProtocolLevel,
    /// CONNECT or CONNACK flags break a rule ([MQTT-3.1.2-3] reserved bit,
    /// will flags without a will [MQTT-3.1.2-11], password without user name
    /// before 5.0 [MQTT-3.1.2-22], [MQTT-3.2.2-1] reserved CONNACK bits).
    InvalidFlags,
    /// A QoS of 3 [MQTT-3.3.1-4].
    InvalidQoS,
    /// A reason code that this packet type may not carry.
    InvalidReasonCode,
    /// A property identifier that MQTT 5.0 does not define.
    UnknownProperty,
    /// A property that this packet type may not carry.
    PropertyNotAllowed,
    /// A single-valued property given twice.
    DuplicateProperty,
    /// A property value outside its allowed range (a flag other than 0/1,
    /// a zero Receive Maximum, a zero Subscription Identifier, ...).
    InvalidPropertyValue,
    /// Topic Alias 0 [MQTT-3.3.2-8].
    InvalidTopicAlias,
    /// A topic name that is empty (without an alias) or holds a wildcard
    /// [MQTT-3.3.2-2].
    InvalidTopicName,
    /// A topic filter with misplaced wildcards or an empty level where one is
    /// not allowed [MQTT-4.7.1-1] [MQTT-4.7.1-2], or a bad shared filter.
    InvalidTopicFilter,
    /// A packet identifier of zero [MQTT-2.2.1-3].
    ZeroPacketId,
    /// SUBSCRIBE or UNSUBSCRIBE without a filter, SUBACK or UNSUBACK without
    /// a reason code [MQTT-3.8.3-3] [MQTT-3.10.3-2].
    EmptyPayload,
    /// Subscription options with reserved bits set [MQTT-3.8.3-5], Retain
    /// Handling 3, or No Local on a shared subscription [MQTT-3.8.3-4].
    InvalidSubscriptionOptions,
}

impl DecodeError {
    /// The reason code a client puts in the DISCONNECT it sends before
    /// closing a connection that delivered this error.
    pub fn reason_code(self) -> ReasonCode {
        match self {
            Self::PacketTooLarge => ReasonCode::PacketTooLarge,
            Self::InvalidTopicAlias => ReasonCode::TopicAliasInvalid,
            Self::ClientOnlyPacket
            | Self::DuplicateProperty
            | Self::ZeroPacketId
            | Self::InvalidPropertyValue
            | Self::InvalidSubscriptionOptions => ReasonCode::ProtocolError,
            _ => ReasonCode::MalformedPacket,
        }
    }

    /// A fixed description, free of any formatting code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedVarInt => "variable byte integer longer than 4 bytes",
            Self::NonMinimalVarInt => "variable byte integer not in its shortest form [MQTT-1.5.5-1]",
            Self::PacketTooLarge => "packet larger than the maximum packet size",
            Self::InvalidPacketType => "invalid packet type",
            Self::ClientOnlyPacket => "the server sent a packet only a client may send",
            Self::InvalidHeaderFlags => "invalid fixed header flags",
            Self::MissingData(_) => "packet ended early",
            Self::TrailingData(_) => "unexpected bytes after the packet",
            Self::InvalidString => "string is not valid UTF-8 or contains U+0000",
            Self::InvalidProtocolName => "invalid protocol name",
            Self::UnsupportedProtocolLevel => "unsupported protocol level",
            Self::InvalidFlags => "invalid CONNECT or CONNACK flags",
            Self::InvalidQoS => "invalid QoS",
            Self::InvalidReasonCode => "reason code not allowed on this packet",
            Self::UnknownProperty => "unknown property identifier",
            Self::PropertyNotAllowed => "property not allowed on this packet",
            Self::DuplicateProperty => "property given more than once",
            Self::InvalidPropertyValue => "property value out of range",
            Self::InvalidTopicAlias => "topic alias 0",
            Self::InvalidTopicName => "invalid topic name",
            Self::InvalidTopicFilter => "invalid topic filter",
            Self::ZeroPacketId => "packet identifier 0",
            Self::EmptyPayload => "packet without the payload it requires",
            Self::InvalidSubscriptionOptions => "invalid subscription options",
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        match self {
            Self::MissingData(field) | Self::TrailingData(field) => {
                f.write_str(": ")?;
                f.write_str(field)
            }
            _ => Ok(()),
        }
    }
}

impl core::error::Error for DecodeError {}

/// A packet that cannot be put on the wire as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncodeError {
    /// The remaining length would exceed 268,435,455 bytes [MQTT-2.2.3].
    PacketTooLarge,
    /// A string or binary field is longer than 65,535 bytes [MQTT-1.5.4-1].
    FieldTooLong,
    /// A string contains U+0000 [MQTT-1.5.4-2].
    InvalidString,
    /// The packet uses something its protocol version lacks: AUTH or
    /// properties before 5.0, or a reason code with no 3.x equivalent.
    NotInVersion,
    /// A reason code that this packet type may not carry.
    InvalidReasonCode,
    /// A property this packet type may not carry.
    PropertyNotAllowed,
    /// A property value outside its allowed range (zero Receive Maximum,
    /// Subscription Identifier 0 or above 268,435,455, ...).
    InvalidPropertyValue,
    /// SUBSCRIBE or UNSUBSCRIBE without filters.
    EmptyPayload,
    /// MQTT 3.1 limits client identifiers to 23 bytes.
    ClientIdTooLong,
    /// A topic name or filter that the receiver would refuse.
    InvalidTopic,
    /// CONNACK, SUBACK, UNSUBACK or PINGRESP given to a client's encoder
    /// ([`Packet::encode_from_client`](crate::codec::Packet::encode_from_client)).
    ServerOnlyPacket,
}

impl EncodeError {
    /// A fixed description, free of any formatting code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PacketTooLarge => "packet larger than 268435455 bytes",
            Self::FieldTooLong => "string or binary field longer than 65535 bytes",
            Self::InvalidString => "string contains U+0000",
            Self::NotInVersion => "not available in this protocol version",
            Self::InvalidReasonCode => "reason code not allowed on this packet",
            Self::PropertyNotAllowed => "property not allowed on this packet",
            Self::InvalidPropertyValue => "property value out of range",
            Self::EmptyPayload => "subscribe or unsubscribe without filters",
            Self::ClientIdTooLong => "MQTT 3.1 client identifier longer than 23 bytes",
            Self::InvalidTopic => "invalid topic name or filter",
            Self::ServerOnlyPacket => "a packet only a server may send",
        }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for EncodeError {}
