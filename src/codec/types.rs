//! Small values every packet uses: the protocol version, QoS and packet
//! identifiers.

use core::num::NonZeroU16;

use super::error::DecodeError;

/// The protocol a connection speaks. The discriminant is the protocol level
/// byte of CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ProtocolVersion {
    /// MQTT 3.1: protocol name `MQIsdp`, level 3.
    V3_1 = 3,
    /// MQTT 3.1.1: protocol name `MQTT`, level 4.
    V3_1_1 = 4,
    /// MQTT 5.0: protocol name `MQTT`, level 5.
    V5 = 5,
}

impl ProtocolVersion {
    pub fn from_level(level: u8) -> Option<Self> {
        match level {
            3 => Some(Self::V3_1),
            4 => Some(Self::V3_1_1),
            5 => Some(Self::V5),
            _ => None,
        }
    }

    /// The protocol name written in CONNECT.
    pub fn protocol_name(self) -> &'static str {
        match self {
            Self::V3_1 => "MQIsdp",
            Self::V3_1_1 | Self::V5 => "MQTT",
        }
    }

    /// The WebSocket subprotocol [MQTT-6.0.0-4]; MQTT 3.1 brokers expect
    /// `mqttv3.1`, as MQTT.js and Paho send.
    pub fn websocket_protocol(self) -> &'static str {
        match self {
            Self::V3_1 => "mqttv3.1",
            Self::V3_1_1 | Self::V5 => "mqtt",
        }
    }

    pub fn is_v5(self) -> bool {
        self == Self::V5
    }
}

/// Quality of service of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(u8)]
pub enum QoS {
    #[default]
    AtMostOnce = 0,
    AtLeastOnce = 1,
    ExactlyOnce = 2,
}

impl QoS {
    pub fn from_u8(value: u8) -> Result<Self, DecodeError> {
        match value {
            0 => Ok(Self::AtMostOnce),
            1 => Ok(Self::AtLeastOnce),
            2 => Ok(Self::ExactlyOnce),
            _ => Err(DecodeError::InvalidQoS),
        }
    }
}

/// A packet identifier: never zero [MQTT-2.2.1-3].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PacketId(NonZeroU16);

impl PacketId {
    /// The first identifier a fresh session hands out.
    pub const MIN: PacketId = PacketId(NonZeroU16::MIN);

    pub fn new(value: u16) -> Option<Self> {
        NonZeroU16::new(value).map(Self)
    }

    pub fn get(self) -> u16 {
        self.0.get()
    }

    /// The identifier after this one, wrapping from 65535 to 1.
    pub fn next(self) -> Self {
        Self(self.0.checked_add(1).unwrap_or(NonZeroU16::MIN))
    }

    pub(crate) fn decode(value: u16) -> Result<Self, DecodeError> {
        Self::new(value).ok_or(DecodeError::ZeroPacketId)
    }
}

/// A PUBLISH's QoS together with its packet identifier, so that "QoS 0 with
/// an identifier" and "QoS 1 without one" cannot be written down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QosPid {
    AtMostOnce,
    AtLeastOnce(PacketId),
    ExactlyOnce(PacketId),
}

impl QosPid {
    pub fn qos(self) -> QoS {
        match self {
            Self::AtMostOnce => QoS::AtMostOnce,
            Self::AtLeastOnce(_) => QoS::AtLeastOnce,
            Self::ExactlyOnce(_) => QoS::ExactlyOnce,
        }
    }

    pub fn packet_id(self) -> Option<PacketId> {
        match self {
            Self::AtMostOnce => None,
            Self::AtLeastOnce(pid) | Self::ExactlyOnce(pid) => Some(pid),
        }
    }

    /// Pairs `qos` with `pid`; QoS 0 drops the identifier.
    pub fn new(qos: QoS, pid: PacketId) -> Self {
        match qos {
            QoS::AtMostOnce => Self::AtMostOnce,
            QoS::AtLeastOnce => Self::AtLeastOnce(pid),
            QoS::ExactlyOnce => Self::ExactlyOnce(pid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_id_wraps_from_65535_to_1() {
        assert_eq!(PacketId::new(65535).unwrap().next(), PacketId::MIN);
        assert_eq!(PacketId::new(7).unwrap().next().get(), 8);
        assert_eq!(PacketId::new(0), None);
    }

    #[test]
    fn qos_3_is_invalid() {
        assert_eq!(QoS::from_u8(3), Err(DecodeError::InvalidQoS));
        assert_eq!(QoS::from_u8(2), Ok(QoS::ExactlyOnce));
    }
}
