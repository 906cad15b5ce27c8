//! MQTT 5.0 properties (section 2.2.2).
//!
//! One [`Properties`] struct holds every property of the spec's table, and a
//! [`Context`] says which of them the packet at hand may carry. Decoding
//! rejects a property outside its context, a repeated single-valued property
//! and an out-of-range value; encoding refuses the same things, so a packet
//! this crate writes is one it would accept.

use super::error::{DecodeError, EncodeError};
use super::types::QoS;
use super::wire::{self, Reader, MAX_VARINT};

/// Binary data that must never be shown: passwords and authentication data.
/// Its `Debug` prints only the length.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(pub Vec<u8>);

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The properties of a packet.
///
/// Most packets carry none, so this is one pointer: `None` until a property
/// is set. It dereferences to [`PropertyValues`], the fields themselves
/// (an empty set when there are none), and mutable access allocates them
/// on first use. Keeping packets small matters: `PropertyValues` is over
/// 300 bytes, and a packet is moved several times between decoding and
/// the application.
#[derive(Clone, Default)]
pub struct Properties(Option<Box<PropertyValues>>);

impl Properties {
    /// No properties, as a constant.
    pub const NONE: Properties = Properties(None);

    /// True when no property is set; without a look at the values when
    /// none were ever stored, the common case on every packet.
    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|values| values.is_empty())
    }
}

impl core::ops::Deref for Properties {
    type Target = PropertyValues;

    fn deref(&self) -> &PropertyValues {
        self.0.as_deref().unwrap_or(&EMPTY)
    }
}

/// What an empty [`Properties`] dereferences to (a `static`, so the
/// reference can outlive the call).
static EMPTY: PropertyValues = PropertyValues::EMPTY;

impl core::ops::DerefMut for Properties {
    fn deref_mut(&mut self) -> &mut PropertyValues {
        self.0.get_or_insert_with(Box::default)
    }
}

impl From<PropertyValues> for Properties {
    fn from(values: PropertyValues) -> Self {
        Self(Some(Box::new(values)))
    }
}

impl PartialEq for Properties {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Properties {}

impl core::fmt::Debug for Properties {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        (**self).fmt(f)
    }
}

/// Every MQTT 5.0 property. Unset properties are `None` or empty and are not
/// encoded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PropertyValues {
    /// 0x01: `true` when the payload is UTF-8 text.
    pub payload_format_indicator: Option<bool>,
    /// 0x02, seconds.
    pub message_expiry_interval: Option<u32>,
    /// 0x03.
    pub content_type: Option<String>,
    /// 0x08.
    pub response_topic: Option<String>,
    /// 0x09.
    pub correlation_data: Option<Vec<u8>>,
    /// 0x0B: one in SUBSCRIBE; one per matching subscription in PUBLISH.
    pub subscription_identifiers: Vec<u32>,
    /// 0x11, seconds.
    pub session_expiry_interval: Option<u32>,
    /// 0x12.
    pub assigned_client_identifier: Option<String>,
    /// 0x13, seconds.
    pub server_keep_alive: Option<u16>,
    /// 0x15.
    pub authentication_method: Option<String>,
    /// 0x16.
    pub authentication_data: Option<Secret>,
    /// 0x17.
    pub request_problem_information: Option<bool>,
    /// 0x18, seconds.
    pub will_delay_interval: Option<u32>,
    /// 0x19.
    pub request_response_information: Option<bool>,
    /// 0x1A.
    pub response_information: Option<String>,
    /// 0x1C.
    pub server_reference: Option<String>,
    /// 0x1F.
    pub reason_string: Option<String>,
    /// 0x21: never 0.
    pub receive_maximum: Option<u16>,
    /// 0x22.
    pub topic_alias_maximum: Option<u16>,
    /// 0x23: never 0.
    pub topic_alias: Option<u16>,
    /// 0x24: QoS 0 or 1 only.
    pub maximum_qos: Option<QoS>,
    /// 0x25.
    pub retain_available: Option<bool>,
    /// 0x26, in order; names may repeat.
    pub user_properties: Vec<(String, String)>,
    /// 0x27: never 0.
    pub maximum_packet_size: Option<u32>,
    /// 0x28.
    pub wildcard_subscription_available: Option<bool>,
    /// 0x29.
    pub subscription_identifier_available: Option<bool>,
    /// 0x2A.
    pub shared_subscription_available: Option<bool>,
}

impl PropertyValues {
    /// The empty set.
    pub const EMPTY: PropertyValues = PropertyValues {
        payload_format_indicator: None,
        message_expiry_interval: None,
        content_type: None,
        response_topic: None,
        correlation_data: None,
        subscription_identifiers: Vec::new(),
        session_expiry_interval: None,
        assigned_client_identifier: None,
        server_keep_alive: None,
        authentication_method: None,
        authentication_data: None,
        request_problem_information: None,
        will_delay_interval: None,
        request_response_information: None,
        response_information: None,
        server_reference: None,
        reason_string: None,
        receive_maximum: None,
        topic_alias_maximum: None,
        topic_alias: None,
        maximum_qos: None,
        retain_available: None,
        user_properties: Vec::new(),
        maximum_packet_size: None,
        wildcard_subscription_available: None,
        subscription_identifier_available: None,
        shared_subscription_available: None,
    };
}

/// Where a property block sits, which decides what it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    Connect,
    Will,
    ConnAck,
    Publish,
    /// PUBACK, PUBREC, PUBREL and PUBCOMP.
    PubAck,
    Subscribe,
    SubAck,
    Unsubscribe,
    UnsubAck,
    Disconnect,
    Auth,
}

const fn mask(ids: &[u8]) -> u64 {
    let mut m = 0u64;
    let mut i = 0;
    while i < ids.len() {
        m |= 1 << ids[i];
        i += 1;
    }
    m
}

impl Context {
    /// The property identifiers allowed here, one bit each (all ids are < 64).
    fn allowed(self) -> u64 {
        const USER: u8 = 0x26;
        const REASON: u8 = 0x1F;
        match self {
            Self::Connect => mask(&[0x11, 0x15, 0x16, 0x17, 0x19, 0x21, 0x22, 0x27, USER]),
            Self::Will => mask(&[0x01, 0x02, 0x03, 0x08, 0x09, 0x18, USER]),
            Self::ConnAck => mask(&[
                0x11, 0x12, 0x13, 0x15, 0x16, 0x1A, 0x1C, REASON, 0x21, 0x22, 0x24, 0x25, USER, 0x27, 0x28, 0x29, 0x2A,
            ]),
            Self::Publish => mask(&[0x01, 0x02, 0x03, 0x08, 0x09, 0x0B, 0x23, USER]),
            Self::PubAck | Self::SubAck | Self::UnsubAck => mask(&[REASON, USER]),
            Self::Subscribe => mask(&[0x0B, USER]),
            Self::Unsubscribe => mask(&[USER]),
            Self::Disconnect => mask(&[0x11, 0x1C, REASON, USER]),
            Self::Auth => mask(&[0x15, 0x16, REASON, USER]),
        }
    }
}

fn once<T>(slot: &mut Option<T>, value: T) -> Result<(), DecodeError> {
    if slot.is_some() {
        return Err(DecodeError::DuplicateProperty);
    }
    *slot = Some(value);
    Ok(())
}

fn flag(r: &mut Reader<'_>) -> Result<bool, DecodeError> {
    match r.u8("property")? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(DecodeError::InvalidPropertyValue),
    }
}

/// Why a set of property values is out of range, before it becomes a
/// decode or an encode error.
enum ValueError {
    TopicAliasZero,
    OutOfRange,
}

impl PropertyValues {
    /// True when no property is set.
    pub fn is_empty(&self) -> bool {
        self.present() == 0
    }

    /// One bit per property that is set.
    fn present(&self) -> u64 {
        let mut bits = 0u64;
        let mut set = |id: u8, on: bool| {
            if on {
                bits |= 1 << id;
            }
        };
        set(0x01, self.payload_format_indicator.is_some());
        set(0x02, self.message_expiry_interval.is_some());
        set(0x03, self.content_type.is_some());
        set(0x08, self.response_topic.is_some());
        set(0x09, self.correlation_data.is_some());
        set(0x0B, !self.subscription_identifiers.is_empty());
        set(0x11, self.session_expiry_interval.is_some());
        set(0x12, self.assigned_client_identifier.is_some());
        set(0x13, self.server_keep_alive.is_some());
        set(0x15, self.authentication_method.is_some());
        set(0x16, self.authentication_data.is_some());
        set(0x17, self.request_problem_information.is_some());
        set(0x18, self.will_delay_interval.is_some());
        set(0x19, self.request_response_information.is_some());
        set(0x1A, self.response_information.is_some());
        set(0x1C, self.server_reference.is_some());
        set(0x1F, self.reason_string.is_some());
        set(0x21, self.receive_maximum.is_some());
        set(0x22, self.topic_alias_maximum.is_some());
        set(0x23, self.topic_alias.is_some());
        set(0x24, self.maximum_qos.is_some());
        set(0x25, self.retain_available.is_some());
        set(0x26, !self.user_properties.is_empty());
        set(0x27, self.maximum_packet_size.is_some());
        set(0x28, self.wildcard_subscription_available.is_some());
        set(0x29, self.subscription_identifier_available.is_some());
        set(0x2A, self.shared_subscription_available.is_some());
        bits
    }

    /// The range rules of section 3, shared by decoding and encoding.
    fn check_values(&self, ctx: Context) -> Result<(), ValueError> {
        if self.topic_alias == Some(0) {
            return Err(ValueError::TopicAliasZero);
        }
        let sub_ids_ok = self.subscription_identifiers.iter().all(|&id| (1..=MAX_VARINT).contains(&id))
            && (ctx != Context::Subscribe || self.subscription_identifiers.len() <= 1);
        if self.receive_maximum == Some(0)
            || self.maximum_packet_size == Some(0)
            || self.maximum_qos == Some(QoS::ExactlyOnce)
            || !sub_ids_ok
        {
            return Err(ValueError::OutOfRange);
        }
        Ok(())
    }
}

impl Properties {
    /// Reads a property block (its length first) for a packet of `ctx`.
    pub(crate) fn decode(r: &mut Reader<'_>, ctx: Context) -> Result<Self, DecodeError> {
        let len = r.varint("property length")?;
        let mut r = r.sub(len as usize, "properties")?;
        if r.is_empty() {
            return Ok(Properties::NONE);
        }
        let mut p = PropertyValues::default();
        let allowed = ctx.allowed();
        while !r.is_empty() {
            let id = r.varint("property identifier")?;
            if id >= 64 || allowed & (1 << id) == 0 {
                return Err(if id < 64 && Context::all_ids() & (1 << id) != 0 {
                    DecodeError::PropertyNotAllowed
                } else {
                    DecodeError::UnknownProperty
                });
            }
            match id {
                0x01 => once(&mut p.payload_format_indicator, flag(&mut r)?)?,
                0x02 => once(&mut p.message_expiry_interval, r.u32("property")?)?,
                0x03 => once(&mut p.content_type, r.string("property")?)?,
                0x08 => once(&mut p.response_topic, r.string("property")?)?,
                0x09 => once(&mut p.correlation_data, r.binary("property")?.to_vec())?,
                0x0B => {
                    let id = r.varint("property")?;
                    p.subscription_identifiers.push(id);
                }
                0x11 => once(&mut p.session_expiry_interval, r.u32("property")?)?,
                0x12 => once(&mut p.assigned_client_identifier, r.string("property")?)?,
                0x13 => once(&mut p.server_keep_alive, r.u16("property")?)?,
                0x15 => once(&mut p.authentication_method, r.string("property")?)?,
                0x16 => once(&mut p.authentication_data, Secret(r.binary("property")?.to_vec()))?,
                0x17 => once(&mut p.request_problem_information, flag(&mut r)?)?,
                0x18 => once(&mut p.will_delay_interval, r.u32("property")?)?,
                0x19 => once(&mut p.request_response_information, flag(&mut r)?)?,
                0x1A => once(&mut p.response_information, r.string("property")?)?,
                0x1C => once(&mut p.server_reference, r.string("property")?)?,
                0x1F => once(&mut p.reason_string, r.string("property")?)?,
                0x21 => once(&mut p.receive_maximum, r.u16("property")?)?,
                0x22 => once(&mut p.topic_alias_maximum, r.u16("property")?)?,
                0x23 => once(&mut p.topic_alias, r.u16("property")?)?,
                0x24 => {
                    let qos = match r.u8("property")? {
                        0 => QoS::AtMostOnce,
                        1 => QoS::AtLeastOnce,
                        _ => return Err(DecodeError::InvalidPropertyValue),
                    };
                    once(&mut p.maximum_qos, qos)?
                }
                0x25 => once(&mut p.retain_available, flag(&mut r)?)?,
                0x26 => {
                    let name = r.string("property")?;
                    let value = r.string("property")?;
                    p.user_properties.push((name, value));
                }
                0x27 => once(&mut p.maximum_packet_size, r.u32("property")?)?,
                0x28 => once(&mut p.wildcard_subscription_available, flag(&mut r)?)?,
                0x29 => once(&mut p.subscription_identifier_available, flag(&mut r)?)?,
                0x2A => once(&mut p.shared_subscription_available, flag(&mut r)?)?,
                // `allowed` holds only the ids matched above.
                _ => return Err(DecodeError::UnknownProperty),
            }
        }
        if ctx == Context::Subscribe && p.subscription_identifiers.len() > 1 {
            return Err(DecodeError::DuplicateProperty);
        }
        p.check_values(ctx).map_err(|e| match e {
            ValueError::TopicAliasZero => DecodeError::InvalidTopicAlias,
            ValueError::OutOfRange => DecodeError::InvalidPropertyValue,
        })?;
        Ok(Properties::from(p))
    }

    /// Writes the property block (its length first) for a packet of `ctx`.
    pub(crate) fn encode(&self, buf: &mut Vec<u8>, ctx: Context) -> Result<(), EncodeError> {
        if self.present() & !ctx.allowed() != 0 {
            return Err(EncodeError::PropertyNotAllowed);
        }
        self.check_values(ctx).map_err(|_| EncodeError::InvalidPropertyValue)?;
        wire::put_length_prefixed(buf, None, |buf| {
            let flag = |buf: &mut Vec<u8>, id: u8, v: Option<bool>| {
                if let Some(v) = v {
                    buf.extend_from_slice(&[id, u8::from(v)]);
                }
            };
            let u16p = |buf: &mut Vec<u8>, id: u8, v: Option<u16>| {
                if let Some(v) = v {
                    buf.push(id);
                    wire::put_u16(buf, v);
                }
            };
            let u32p = |buf: &mut Vec<u8>, id: u8, v: Option<u32>| {
                if let Some(v) = v {
                    buf.push(id);
                    wire::put_u32(buf, v);
                }
            };
            let bin = |buf: &mut Vec<u8>, id: u8, v: Option<&[u8]>| -> Result<(), EncodeError> {
                if let Some(v) = v {
                    buf.push(id);
                    wire::put_binary(buf, v)?;
                }
                Ok(())
            };
            let string = |buf: &mut Vec<u8>, id: u8, v: &Option<String>| -> Result<(), EncodeError> {
                if let Some(v) = v {
                    buf.push(id);
                    wire::put_string(buf, v)?;
                }
                Ok(())
            };
            flag(buf, 0x01, self.payload_format_indicator);
            u32p(buf, 0x02, self.message_expiry_interval);
            string(buf, 0x03, &self.content_type)?;
            string(buf, 0x08, &self.response_topic)?;
            bin(buf, 0x09, self.correlation_data.as_deref())?;
            for &id in &self.subscription_identifiers {
                buf.push(0x0B);
                wire::put_varint(buf, id);
            }
            u32p(buf, 0x11, self.session_expiry_interval);
            string(buf, 0x12, &self.assigned_client_identifier)?;
            u16p(buf, 0x13, self.server_keep_alive);
            string(buf, 0x15, &self.authentication_method)?;
            bin(buf, 0x16, self.authentication_data.as_ref().map(|s| s.0.as_slice()))?;
            flag(buf, 0x17, self.request_problem_information);
            u32p(buf, 0x18, self.will_delay_interval);
            flag(buf, 0x19, self.request_response_information);
            string(buf, 0x1A, &self.response_information)?;
            string(buf, 0x1C, &self.server_reference)?;
            string(buf, 0x1F, &self.reason_string)?;
            u16p(buf, 0x21, self.receive_maximum);
            u16p(buf, 0x22, self.topic_alias_maximum);
            u16p(buf, 0x23, self.topic_alias);
            if let Some(qos) = self.maximum_qos {
                buf.extend_from_slice(&[0x24, qos as u8]);
            }
            flag(buf, 0x25, self.retain_available);
            for (name, value) in &self.user_properties {
                buf.push(0x26);
                wire::put_string(buf, name)?;
                wire::put_string(buf, value)?;
            }
            u32p(buf, 0x27, self.maximum_packet_size);
            flag(buf, 0x28, self.wildcard_subscription_available);
            flag(buf, 0x29, self.subscription_identifier_available);
            flag(buf, 0x2A, self.shared_subscription_available);
            Ok(())
        })
    }
}

impl Context {
    /// Every identifier MQTT 5.0 defines, to tell "not here" from "unknown".
    const fn all_ids() -> u64 {
        mask(&[
            0x01, 0x02, 0x03, 0x08, 0x09, 0x0B, 0x11, 0x12, 0x13, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1C, 0x1F, 0x21,
            0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8], ctx: Context) -> Result<Properties, DecodeError> {
        let mut r = Reader::new(bytes);
        let p = Properties::decode(&mut r, ctx)?;
        r.finish("test")?;
        Ok(p)
    }

    #[test]
    fn every_property_is_allowed_somewhere() {
        let union = [
            Context::Connect,
            Context::Will,
            Context::ConnAck,
            Context::Publish,
            Context::PubAck,
            Context::Subscribe,
            Context::SubAck,
            Context::Unsubscribe,
            Context::UnsubAck,
            Context::Disconnect,
            Context::Auth,
        ]
        .iter()
        .fold(0, |acc, c| acc | c.allowed());
        assert_eq!(union, Context::all_ids());
    }

    #[test]
    fn a_property_on_the_wrong_packet_is_refused_both_ways() {
        // Topic Alias (0x23) = 1 inside a CONNACK property block.
        assert_eq!(decode(&[3, 0x23, 0, 1], Context::ConnAck), Err(DecodeError::PropertyNotAllowed));
        let p = Properties::from(PropertyValues { topic_alias: Some(1), ..Default::default() });
        assert_eq!(p.encode(&mut Vec::new(), Context::ConnAck), Err(EncodeError::PropertyNotAllowed));
    }

    #[test]
    fn unknown_identifier_is_malformed() {
        assert_eq!(decode(&[2, 0x04, 0], Context::Publish), Err(DecodeError::UnknownProperty));
        assert_eq!(decode(&[2, 0x7F, 0], Context::Publish), Err(DecodeError::UnknownProperty));
    }

    #[test]
    fn duplicate_single_valued_property_is_a_protocol_error() {
        // Content Type "a" twice.
        let bytes = [8, 0x03, 0, 1, b'a', 0x03, 0, 1, b'a'];
        assert_eq!(decode(&bytes, Context::Publish), Err(DecodeError::DuplicateProperty));
        assert_eq!(DecodeError::DuplicateProperty.reason_code() as u8, 0x82);
    }

    #[test]
    fn repeated_user_properties_and_subscription_ids_keep_their_order() {
        let bytes = [
            14, // property length
            0x26, 0, 1, b'k', 0, 1, b'1', // k=1
            0x26, 0, 1, b'k', 0, 1, b'2', // k=2, same name again
        ];
        let p = decode(&bytes, Context::Publish).unwrap();
        assert_eq!(p.user_properties, [("k".into(), "1".into()), ("k".into(), "2".into())]);
        let p = decode(&[4, 0x0B, 5, 0x0B, 7], Context::Publish).unwrap();
        assert_eq!(p.subscription_identifiers, [5, 7]);
        assert_eq!(decode(&[4, 0x0B, 5, 0x0B, 7], Context::Subscribe), Err(DecodeError::DuplicateProperty));
    }

    #[test]
    fn out_of_range_values_are_refused() {
        // Receive Maximum 0 [MQTT-3.2.2-?]: "It is a Protocol Error to include the value 0".
        assert_eq!(decode(&[3, 0x21, 0, 0], Context::ConnAck), Err(DecodeError::InvalidPropertyValue));
        // Topic Alias 0 [MQTT-3.3.2-8].
        assert_eq!(decode(&[3, 0x23, 0, 0], Context::Publish), Err(DecodeError::InvalidTopicAlias));
        // Maximum QoS 2.
        assert_eq!(decode(&[2, 0x24, 2], Context::ConnAck), Err(DecodeError::InvalidPropertyValue));
        // A flag of 2.
        assert_eq!(decode(&[2, 0x25, 2], Context::ConnAck), Err(DecodeError::InvalidPropertyValue));
        // Subscription Identifier 0.
        assert_eq!(decode(&[2, 0x0B, 0], Context::Publish), Err(DecodeError::InvalidPropertyValue));
    }

    #[test]
    fn property_length_cannot_reach_past_its_block() {
        // Length 2 but the u16 value needs 3 bytes after the id.
        let bytes = [2, 0x21, 0, 5];
        assert_eq!(decode(&bytes, Context::ConnAck), Err(DecodeError::MissingData("property")));
    }

    #[test]
    fn authentication_data_is_redacted_in_debug() {
        let p = Properties::from(PropertyValues {
            authentication_data: Some(Secret(b"hunter2".to_vec())),
            ..Default::default()
        });
        let shown = format!("{p:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("104, 117"), "{shown}");
    }
}
