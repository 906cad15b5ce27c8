//! SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK (MQTT 5.0 sections 3.8 to 3.11).

use crate::codec::error::{DecodeError, EncodeError};
use crate::codec::properties::{Context, Properties};
use crate::codec::reason::{allowed, check_reason, decode_reason, ReasonCode};
use crate::codec::topic::{split_shared, validate_topic_filter};
use crate::codec::types::{PacketId, ProtocolVersion, QoS};
use crate::codec::wire::{self, Reader};
use alloc::{string::String, vec::Vec};

/// Whether the server sends retained messages when a subscription is made
/// (v5 section 3.8.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum RetainHandling {
    #[default]
    SendAtSubscribe = 0,
    SendAtNewSubscribe = 1,
    DoNotSend = 2,
}

impl RetainHandling {
    /// The two-bit value of the options byte; 3 is reserved.
    pub fn from_u8(value: u8) -> Option<Self> {
        match value {
            0 => Some(Self::SendAtSubscribe),
            1 => Some(Self::SendAtNewSubscribe),
            2 => Some(Self::DoNotSend),
            _ => None,
        }
    }
}

/// The options byte after each filter:
///
/// ```text
/// 7-6 reserved | 5-4 retain handling | 3 retain as published | 2 no local | 1-0 QoS
/// ```
///
/// MQTT 3.x has only the QoS bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SubscriptionOptions {
    pub qos: QoS,
    pub no_local: bool,
    pub retain_as_published: bool,
    pub retain_handling: RetainHandling,
}

impl SubscriptionOptions {
    fn decode(byte: u8, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let reserved = if version.is_v5() { 0xC0 } else { 0xFC };
        if byte & reserved != 0 {
            return Err(DecodeError::InvalidSubscriptionOptions);
        }
        let retain_handling =
            RetainHandling::from_u8((byte >> 4) & 0x03).ok_or(DecodeError::InvalidSubscriptionOptions)?;
        Ok(Self {
            qos: QoS::from_u8(byte & 0x03)?,
            no_local: byte & 0x04 != 0,
            retain_as_published: byte & 0x08 != 0,
            retain_handling,
        })
    }

    fn encode(self, version: ProtocolVersion) -> Result<u8, EncodeError> {
        let v5_bits =
            u8::from(self.no_local) << 2 | u8::from(self.retain_as_published) << 3 | (self.retain_handling as u8) << 4;
        if !version.is_v5() && v5_bits != 0 {
            return Err(EncodeError::NotInVersion);
        }
        Ok(self.qos as u8 | v5_bits)
    }
}

/// One filter of a SUBSCRIBE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub filter: String,
    pub options: SubscriptionOptions,
}

fn filter_ok(filter: &str) -> bool {
    validate_topic_filter(filter).is_ok()
}

/// A request to subscribe; fixed header `1000 0010`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    pub packet_id: PacketId,
    pub properties: Properties,
    pub subscriptions: Vec<Subscription>,
}

impl Subscribe {
    pub(crate) fn decode(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let packet_id = PacketId::decode(r.u16("packet identifier")?)?;
        let properties = decode_properties(r, version, Context::Subscribe)?;
        let mut subscriptions = Vec::new();
        while !r.is_empty() {
            let filter = r.string("topic filter")?;
            if !filter_ok(&filter) {
                return Err(DecodeError::InvalidTopicFilter);
            }
            let options = SubscriptionOptions::decode(r.u8("subscription options")?, version)?;
            // [MQTT-3.8.3-4]
            if options.no_local && split_shared(&filter).is_some() {
                return Err(DecodeError::InvalidSubscriptionOptions);
            }
            subscriptions.push(Subscription { filter, options });
        }
        // [MQTT-3.8.3-3]
        if subscriptions.is_empty() {
            return Err(DecodeError::EmptyPayload);
        }
        Ok(Self { packet_id, properties, subscriptions })
    }

    /// The body's length when there are no properties to size: packet
    /// identifier, an empty v5 property block, each filter with its
    /// options byte. Known in advance, the remaining length is written
    /// first and the body never moves.
    pub(crate) fn body_len(&self, version: ProtocolVersion) -> Option<usize> {
        if version.is_v5() && !self.properties.is_empty() {
            return None;
        }
        let filters: usize = self.subscriptions.iter().map(|s| 2 + s.filter.len() + 1).sum();
        Some(2 + usize::from(version.is_v5()) + filters)
    }

    pub(crate) fn encode_body(&self, buf: &mut Vec<u8>, version: ProtocolVersion) -> Result<(), EncodeError> {
        if self.subscriptions.is_empty() {
            return Err(EncodeError::EmptyPayload);
        }
        wire::put_u16(buf, self.packet_id.get());
        encode_properties(&self.properties, buf, version, Context::Subscribe)?;
        for sub in &self.subscriptions {
            if !filter_ok(&sub.filter) || (sub.options.no_local && split_shared(&sub.filter).is_some()) {
                return Err(EncodeError::InvalidTopic);
            }
            // Binary, not `put_string`: the filter was checked for NUL above.
            wire::put_binary(buf, sub.filter.as_bytes())?;
            buf.push(sub.options.encode(version)?);
        }
        Ok(())
    }
}

/// The server's answer to SUBSCRIBE: one reason code per filter, in order.
/// MQTT 3.x return codes 0, 1, 2 and 0x80 are the same bytes as the v5 codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubAck {
    pub packet_id: PacketId,
    pub properties: Properties,
    pub reason_codes: Vec<ReasonCode>,
}

impl SubAck {
    pub(crate) fn decode(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let packet_id = PacketId::decode(r.u16("packet identifier")?)?;
        let properties = decode_properties(r, version, Context::SubAck)?;
        let table = if version.is_v5() { allowed::SUBACK } else { allowed::SUBACK_V3 };
        let reason_codes = decode_codes(r, table)?;
        Ok(Self { packet_id, properties, reason_codes })
    }

    pub(crate) fn encode_body(&self, buf: &mut Vec<u8>, version: ProtocolVersion) -> Result<(), EncodeError> {
        wire::put_u16(buf, self.packet_id.get());
        encode_properties(&self.properties, buf, version, Context::SubAck)?;
        let table = if version.is_v5() { allowed::SUBACK } else { allowed::SUBACK_V3 };
        encode_codes(&self.reason_codes, buf, table)
    }
}

/// A request to unsubscribe; fixed header `1010 0010`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    pub packet_id: PacketId,
    pub properties: Properties,
    pub filters: Vec<String>,
}

impl Unsubscribe {
    pub(crate) fn decode(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let packet_id = PacketId::decode(r.u16("packet identifier")?)?;
        let properties = decode_properties(r, version, Context::Unsubscribe)?;
        let mut filters = Vec::new();
        while !r.is_empty() {
            let filter = r.string("topic filter")?;
            if !filter_ok(&filter) {
                return Err(DecodeError::InvalidTopicFilter);
            }
            filters.push(filter);
        }
        // [MQTT-3.10.3-2]
        if filters.is_empty() {
            return Err(DecodeError::EmptyPayload);
        }
        Ok(Self { packet_id, properties, filters })
    }

    /// Like [`Subscribe::body_len`], for filters without options bytes.
    pub(crate) fn body_len(&self, version: ProtocolVersion) -> Option<usize> {
        if version.is_v5() && !self.properties.is_empty() {
            return None;
        }
        let filters: usize = self.filters.iter().map(|f| 2 + f.len()).sum();
        Some(2 + usize::from(version.is_v5()) + filters)
    }

    pub(crate) fn encode_body(&self, buf: &mut Vec<u8>, version: ProtocolVersion) -> Result<(), EncodeError> {
        if self.filters.is_empty() {
            return Err(EncodeError::EmptyPayload);
        }
        wire::put_u16(buf, self.packet_id.get());
        encode_properties(&self.properties, buf, version, Context::Unsubscribe)?;
        for filter in &self.filters {
            if !filter_ok(filter) {
                return Err(EncodeError::InvalidTopic);
            }
            wire::put_binary(buf, filter.as_bytes())?;
        }
        Ok(())
    }
}

/// The server's answer to UNSUBSCRIBE. MQTT 3.x carries only the packet
/// identifier, so `reason_codes` is empty there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsubAck {
    pub packet_id: PacketId,
    pub properties: Properties,
    pub reason_codes: Vec<ReasonCode>,
}

impl UnsubAck {
    pub(crate) fn decode(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let packet_id = PacketId::decode(r.u16("packet identifier")?)?;
        if !version.is_v5() {
            return Ok(Self { packet_id, properties: Properties::default(), reason_codes: Vec::new() });
        }
        let properties = Properties::decode(r, Context::UnsubAck)?;
        let reason_codes = decode_codes(r, allowed::UNSUBACK)?;
        Ok(Self { packet_id, properties, reason_codes })
    }

    pub(crate) fn encode_body(&self, buf: &mut Vec<u8>, version: ProtocolVersion) -> Result<(), EncodeError> {
        wire::put_u16(buf, self.packet_id.get());
        if !version.is_v5() {
            return if self.properties.is_empty() && self.reason_codes.is_empty() {
                Ok(())
            } else {
                Err(EncodeError::NotInVersion)
            };
        }
        self.properties.encode(buf, Context::UnsubAck)?;
        encode_codes(&self.reason_codes, buf, allowed::UNSUBACK)
    }
}

fn decode_properties(r: &mut Reader<'_>, version: ProtocolVersion, ctx: Context) -> Result<Properties, DecodeError> {
    if version.is_v5() {
        Properties::decode(r, ctx)
    } else {
        Ok(Properties::default())
    }
}

fn encode_properties(
    properties: &Properties,
    buf: &mut Vec<u8>,
    version: ProtocolVersion,
    ctx: Context,
) -> Result<(), EncodeError> {
    if version.is_v5() {
        properties.encode(buf, ctx)
    } else if properties.is_empty() {
        Ok(())
    } else {
        Err(EncodeError::NotInVersion)
    }
}

/// The reason-code list of SUBACK and UNSUBACK: the rest of the packet, at
/// least one code.
fn decode_codes(r: &mut Reader<'_>, table: &[u8]) -> Result<Vec<ReasonCode>, DecodeError> {
    let codes = r.rest();
    if codes.is_empty() {
        return Err(DecodeError::EmptyPayload);
    }
    codes.iter().map(|&b| decode_reason(b, table)).collect()
}

fn encode_codes(codes: &[ReasonCode], buf: &mut Vec<u8>, table: &[u8]) -> Result<(), EncodeError> {
    if codes.is_empty() {
        return Err(EncodeError::EmptyPayload);
    }
    for &code in codes {
        buf.push(check_reason(code, table)?);
    }
    Ok(())
}
