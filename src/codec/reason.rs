//! MQTT 5.0 reason codes (section 2.4), and which packet may carry which.
//!
//! MQTT 3.x has no reason codes, but its CONNACK return codes and SUBACK
//! return codes map onto v5 codes one to one, so the rest of the crate speaks
//! only [`ReasonCode`].

use super::error::{DecodeError, EncodeError};

/// A v5 reason code. Several codes share a value (0x00 is Success, Normal
/// Disconnection and Granted QoS 0); the enum names the value once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
#[non_exhaustive]
pub enum ReasonCode {
    /// Success, Normal disconnection, Granted QoS 0.
    Success = 0x00,
    GrantedQoS1 = 0x01,
    GrantedQoS2 = 0x02,
    DisconnectWithWillMessage = 0x04,
    NoMatchingSubscribers = 0x10,
    NoSubscriptionExisted = 0x11,
    ContinueAuthentication = 0x18,
    ReAuthenticate = 0x19,
    UnspecifiedError = 0x80,
    MalformedPacket = 0x81,
    ProtocolError = 0x82,
    ImplementationSpecificError = 0x83,
    UnsupportedProtocolVersion = 0x84,
    ClientIdentifierNotValid = 0x85,
    BadUserNameOrPassword = 0x86,
    NotAuthorized = 0x87,
    ServerUnavailable = 0x88,
    ServerBusy = 0x89,
    Banned = 0x8A,
    ServerShuttingDown = 0x8B,
    BadAuthenticationMethod = 0x8C,
    KeepAliveTimeout = 0x8D,
    SessionTakenOver = 0x8E,
    TopicFilterInvalid = 0x8F,
    TopicNameInvalid = 0x90,
    PacketIdentifierInUse = 0x91,
    PacketIdentifierNotFound = 0x92,
    ReceiveMaximumExceeded = 0x93,
    TopicAliasInvalid = 0x94,
    PacketTooLarge = 0x95,
    MessageRateTooHigh = 0x96,
    QuotaExceeded = 0x97,
    AdministrativeAction = 0x98,
    PayloadFormatInvalid = 0x99,
    RetainNotSupported = 0x9A,
    QoSNotSupported = 0x9B,
    UseAnotherServer = 0x9C,
    ServerMoved = 0x9D,
    SharedSubscriptionsNotSupported = 0x9E,
    ConnectionRateExceeded = 0x9F,
    MaximumConnectTime = 0xA0,
    SubscriptionIdentifiersNotSupported = 0xA1,
    WildcardSubscriptionsNotSupported = 0xA2,
}

/// Every code with its name in MQTT 5.0 table 2-6, in value order.
const NAMES: &[(ReasonCode, &str)] = &[
    (ReasonCode::Success, "Success"),
    (ReasonCode::GrantedQoS1, "Granted QoS 1"),
    (ReasonCode::GrantedQoS2, "Granted QoS 2"),
    (ReasonCode::DisconnectWithWillMessage, "Disconnect with Will Message"),
    (ReasonCode::NoMatchingSubscribers, "No matching subscribers"),
    (ReasonCode::NoSubscriptionExisted, "No subscription existed"),
    (ReasonCode::ContinueAuthentication, "Continue authentication"),
    (ReasonCode::ReAuthenticate, "Re-authenticate"),
    (ReasonCode::UnspecifiedError, "Unspecified error"),
    (ReasonCode::MalformedPacket, "Malformed Packet"),
    (ReasonCode::ProtocolError, "Protocol Error"),
    (ReasonCode::ImplementationSpecificError, "Implementation specific error"),
    (ReasonCode::UnsupportedProtocolVersion, "Unsupported Protocol Version"),
    (ReasonCode::ClientIdentifierNotValid, "Client Identifier not valid"),
    (ReasonCode::BadUserNameOrPassword, "Bad User Name or Password"),
    (ReasonCode::NotAuthorized, "Not authorized"),
    (ReasonCode::ServerUnavailable, "Server unavailable"),
    (ReasonCode::ServerBusy, "Server busy"),
    (ReasonCode::Banned, "Banned"),
    (ReasonCode::ServerShuttingDown, "Server shutting down"),
    (ReasonCode::BadAuthenticationMethod, "Bad authentication method"),
    (ReasonCode::KeepAliveTimeout, "Keep Alive timeout"),
    (ReasonCode::SessionTakenOver, "Session taken over"),
    (ReasonCode::TopicFilterInvalid, "Topic Filter invalid"),
    (ReasonCode::TopicNameInvalid, "Topic Name invalid"),
    (ReasonCode::PacketIdentifierInUse, "Packet Identifier in use"),
    (ReasonCode::PacketIdentifierNotFound, "Packet Identifier not found"),
    (ReasonCode::ReceiveMaximumExceeded, "Receive Maximum exceeded"),
    (ReasonCode::TopicAliasInvalid, "Topic Alias invalid"),
    (ReasonCode::PacketTooLarge, "Packet too large"),
    (ReasonCode::MessageRateTooHigh, "Message rate too high"),
    (ReasonCode::QuotaExceeded, "Quota exceeded"),
    (ReasonCode::AdministrativeAction, "Administrative action"),
    (ReasonCode::PayloadFormatInvalid, "Payload format invalid"),
    (ReasonCode::RetainNotSupported, "Retain not supported"),
    (ReasonCode::QoSNotSupported, "QoS not supported"),
    (ReasonCode::UseAnotherServer, "Use another server"),
    (ReasonCode::ServerMoved, "Server moved"),
    (ReasonCode::SharedSubscriptionsNotSupported, "Shared Subscriptions not supported"),
    (ReasonCode::ConnectionRateExceeded, "Connection rate exceeded"),
    (ReasonCode::MaximumConnectTime, "Maximum connect time"),
    (ReasonCode::SubscriptionIdentifiersNotSupported, "Subscription Identifiers not supported"),
    (ReasonCode::WildcardSubscriptionsNotSupported, "Wildcard Subscriptions not supported"),
];

impl ReasonCode {
    /// The code for a byte, if MQTT 5.0 defines one.
    pub fn from_u8(byte: u8) -> Option<Self> {
        NAMES.iter().find(|(code, _)| *code as u8 == byte).map(|(code, _)| *code)
    }

    /// The code's name in the specification ("Not authorized"), for
    /// messages an application shows.
    pub fn name(self) -> &'static str {
        NAMES.iter().find(|(code, _)| *code == self).map_or("", |(_, name)| name)
    }

    /// Codes from 0x80 up report a failure [MQTT-2.4].
    pub fn is_error(self) -> bool {
        self as u8 >= 0x80
    }

    /// The MQTT 3.x CONNACK return code for this reason, if 3.x has one.
    pub fn to_v3_connack(self) -> Option<u8> {
        Some(match self {
            Self::Success => 0,
            Self::UnsupportedProtocolVersion => 1,
            Self::ClientIdentifierNotValid => 2,
            Self::ServerUnavailable => 3,
            Self::BadUserNameOrPassword => 4,
            Self::NotAuthorized => 5,
            _ => return None,
        })
    }

    /// The v5 reason for an MQTT 3.x CONNACK return code (3.1.1 table 3.1).
    pub fn from_v3_connack(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::Success,
            1 => Self::UnsupportedProtocolVersion,
            2 => Self::ClientIdentifierNotValid,
            3 => Self::ServerUnavailable,
            4 => Self::BadUserNameOrPassword,
            5 => Self::NotAuthorized,
            _ => return None,
        })
    }
}

/// The reason codes each packet type may carry, from the tables of MQTT 5.0
/// sections 3.2.2.2 to 3.15.2.1.
pub(crate) mod allowed {
    pub(crate) const CONNACK: &[u8] = &[
        0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A,
        0x9B, 0x9C, 0x9D, 0x9F,
    ];
    /// PUBACK and PUBREC.
    pub(crate) const PUBACK: &[u8] = &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
    /// PUBREL and PUBCOMP.
    pub(crate) const PUBREL: &[u8] = &[0x00, 0x92];
    pub(crate) const SUBACK: &[u8] = &[0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2];
    /// MQTT 3.1.1 SUBACK return codes: granted QoS or failure.
    pub(crate) const SUBACK_V3: &[u8] = &[0x00, 0x01, 0x02, 0x80];
    pub(crate) const UNSUBACK: &[u8] = &[0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91];
    pub(crate) const DISCONNECT: &[u8] = &[
        0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97,
        0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
    ];
    pub(crate) const AUTH: &[u8] = &[0x00, 0x18, 0x19];
}

/// Decodes a reason code byte that must be one of `allowed`.
pub(crate) fn decode_reason(byte: u8, allowed: &[u8]) -> Result<ReasonCode, DecodeError> {
    match ReasonCode::from_u8(byte) {
        Some(code) if allowed.contains(&byte) => Ok(code),
        _ => Err(DecodeError::InvalidReasonCode),
    }
}

/// Checks a reason code before it is encoded on a packet that allows `allowed`.
pub(crate) fn check_reason(code: ReasonCode, allowed: &[u8]) -> Result<u8, EncodeError> {
    let byte = code as u8;
    if allowed.contains(&byte) {
        Ok(byte)
    } else {
        Err(EncodeError::InvalidReasonCode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_defined_byte_round_trips() {
        let mut defined = 0;
        for byte in 0..=255u8 {
            if let Some(code) = ReasonCode::from_u8(byte) {
                assert_eq!(code as u8, byte);
                defined += 1;
            }
        }
        // MQTT 5.0 table 2-6 names 43 distinct values, each once here.
        assert_eq!(defined, 43);
        assert_eq!(NAMES.len(), 43);
        assert!(NAMES.windows(2).all(|w| (w[0].0 as u8) < (w[1].0 as u8)), "in value order");
        assert_eq!(ReasonCode::NotAuthorized.name(), "Not authorized");
    }

    #[test]
    fn v3_connack_codes_map_both_ways() {
        for code in 0..=5u8 {
            let reason = ReasonCode::from_v3_connack(code).unwrap();
            assert_eq!(reason.to_v3_connack(), Some(code));
        }
        assert_eq!(ReasonCode::from_v3_connack(6), None);
        assert_eq!(ReasonCode::Banned.to_v3_connack(), None);
    }

    #[test]
    fn allowed_tables_hold_only_defined_codes() {
        use allowed::*;
        for table in [CONNACK, PUBACK, PUBREL, SUBACK, SUBACK_V3, UNSUBACK, DISCONNECT, AUTH] {
            for &byte in table {
                assert!(ReasonCode::from_u8(byte).is_some(), "{byte:#x}");
            }
        }
    }
}
