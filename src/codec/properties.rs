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
use alloc::{boxed::Box, string::String, vec::Vec};

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

/// How a property's value is written (section 2.2.2.2). The numbers are
/// the ones `propertiesOf` of the bindings' host.js reads values by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// A byte, 0 or 1.
    Flag = 0,
    /// A byte, QoS 0 or 1 (Maximum QoS).
    QoS = 1,
    /// Two Byte Integer.
    U16 = 2,
    /// Four Byte Integer.
    U32 = 3,
    /// Variable Byte Integer (Subscription Identifier).
    Varint = 4,
    /// UTF-8 Encoded String.
    Str = 5,
    /// Binary Data.
    Bin = 6,
    /// UTF-8 String Pair (User Property).
    Pair = 7,
}

/// One row of the property table: everything about a property that is not
/// its value.
#[derive(Debug)]
pub struct Property {
    pub id: u8,
    /// Its name in JavaScript (MQTT.js's).
    pub name: &'static str,
    pub kind: Kind,
    /// The packets it may appear on, one bit per [`Context`].
    contexts: u16,
}

impl Property {
    /// Whether a client may send it on some packet (what the JavaScript API
    /// accepts as input); the others only come from servers.
    pub fn sent_by_clients(&self) -> bool {
        const CLIENT: u16 = ctx_bits(&[
            Context::Connect,
            Context::Will,
            Context::Publish,
            Context::PubAck,
            Context::Subscribe,
            Context::Unsubscribe,
            Context::Disconnect,
            Context::Auth,
        ]);
        self.contexts & CLIENT != 0
    }

    /// Whether one packet may carry it more than once.
    pub fn repeats(&self) -> bool {
        matches!(self.kind, Kind::Pair | Kind::Varint)
    }
}

/// A property's value, borrowed from a [`PropertyValues`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRef<'a> {
    Flag(bool),
    QoS(QoS),
    /// `U16`.
    U16(u16),
    /// `U32` and `Varint`.
    U32(u32),
    Str(&'a str),
    Bin(&'a [u8]),
    Pair(&'a str, &'a str),
}

/// A property's value, to store in a [`PropertyValues`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Flag(bool),
    QoS(QoS),
    U16(u16),
    U32(u32),
    Str(String),
    Bin(Vec<u8>),
    Pair(String, String),
}

/// Why [`PropertyValues::put`] refused a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutError {
    /// A single-valued property that is set already.
    Duplicate,
    /// The value is not of the property's kind, or the id is unknown.
    Mismatch,
}

/// A field of [`PropertyValues`]: how its values are visited and stored.
trait Slot {
    fn each<'a>(&'a self, f: &mut dyn FnMut(ValueRef<'a>));
    fn put(&mut self, value: Value) -> Result<(), PutError>;
}

fn once<T>(slot: &mut Option<T>, value: Option<T>) -> Result<(), PutError> {
    match (slot.is_some(), value) {
        (_, None) => Err(PutError::Mismatch),
        (true, Some(_)) => Err(PutError::Duplicate),
        (false, value) => {
            *slot = value;
            Ok(())
        }
    }
}

macro_rules! slot {
    ($t:ty, $variant:ident, |$v:ident| $get:expr, $put:pat => $stored:expr) => {
        impl Slot for Option<$t> {
            fn each<'a>(&'a self, f: &mut dyn FnMut(ValueRef<'a>)) {
                if let Some($v) = self {
                    f(ValueRef::$variant($get));
                }
            }
            fn put(&mut self, value: Value) -> Result<(), PutError> {
                once(
                    self,
                    match value {
                        $put => Some($stored),
                        _ => None,
                    },
                )
            }
        }
    };
}

slot!(bool, Flag, |v| *v, Value::Flag(v) => v);
slot!(QoS, QoS, |v| *v, Value::QoS(v) => v);
slot!(u16, U16, |v| *v, Value::U16(v) => v);
slot!(u32, U32, |v| *v, Value::U32(v) => v);
slot!(String, Str, |v| v, Value::Str(v) => v);
slot!(Vec<u8>, Bin, |v| v, Value::Bin(v) => v);
slot!(Secret, Bin, |v| &v.0, Value::Bin(v) => Secret(v));

impl Slot for Vec<u32> {
    fn each<'a>(&'a self, f: &mut dyn FnMut(ValueRef<'a>)) {
        self.iter().for_each(|&v| f(ValueRef::U32(v)));
    }
    fn put(&mut self, value: Value) -> Result<(), PutError> {
        let Value::U32(v) = value else { return Err(PutError::Mismatch) };
        self.push(v);
        Ok(())
    }
}

impl Slot for Vec<(String, String)> {
    fn each<'a>(&'a self, f: &mut dyn FnMut(ValueRef<'a>)) {
        self.iter().for_each(|(n, v)| f(ValueRef::Pair(n, v)));
    }
    fn put(&mut self, value: Value) -> Result<(), PutError> {
        let Value::Pair(n, v) = value else { return Err(PutError::Mismatch) };
        self.push((n, v));
        Ok(())
    }
}

const fn ctx_bits(contexts: &[Context]) -> u16 {
    let mut bits = 0;
    let mut i = 0;
    while i < contexts.len() {
        bits |= 1 << contexts[i] as u16;
        i += 1;
    }
    bits
}

/// The property table (section 2.2.2.2): each property once, with its
/// field, identifier, JavaScript name, wire kind and the packets it may
/// appear on. It drives decoding, encoding, validation and the JavaScript
/// conversion both ways, in identifier order (the order they are encoded).
macro_rules! table {
    ($($id:literal $field:ident $name:literal $kind:ident [$($ctx:ident)*],)*) => {
        /// Every MQTT 5.0 property, in identifier order.
        pub const PROPERTIES: &[Property] = &[
            $(Property { id: $id, name: $name, kind: Kind::$kind, contexts: ctx_bits(&[$(Context::$ctx),*]) },)*
        ];

        impl PropertyValues {
            /// Calls `f` with every value set, in table order (repeated
            /// properties once per value, in order).
            pub fn for_each<'a>(&'a self, mut f: impl FnMut(&'static Property, ValueRef<'a>)) {
                self.visit(&mut f);
            }

            /// [`Self::for_each`]'s body, compiled once rather than once
            /// per caller's closure (27 fields each time).
            fn visit<'a>(&'a self, f: &mut dyn FnMut(&'static Property, ValueRef<'a>)) {
                let mut rows = PROPERTIES.iter();
                $(
                    let row = rows.next().unwrap_or(&PROPERTIES[0]);
                    self.$field.each(&mut |v| f(row, v));
                )*
            }

            /// Stores a value of property `id`: set for a single-valued
            /// property, appended for a repeated one.
            pub fn put(&mut self, id: u8, value: Value) -> Result<(), PutError> {
                match id {
                    $($id => self.$field.put(value),)*
                    _ => Err(PutError::Mismatch),
                }
            }
        }
    };
}

table! {
    0x01 payload_format_indicator "payloadFormatIndicator" Flag [Will Publish],
    0x02 message_expiry_interval "messageExpiryInterval" U32 [Will Publish],
    0x03 content_type "contentType" Str [Will Publish],
    0x08 response_topic "responseTopic" Str [Will Publish],
    0x09 correlation_data "correlationData" Bin [Will Publish],
    0x0B subscription_identifiers "subscriptionIdentifier" Varint [Publish Subscribe],
    0x11 session_expiry_interval "sessionExpiryInterval" U32 [Connect ConnAck Disconnect],
    0x12 assigned_client_identifier "assignedClientIdentifier" Str [ConnAck],
    0x13 server_keep_alive "serverKeepAlive" U16 [ConnAck],
    0x15 authentication_method "authenticationMethod" Str [Connect ConnAck Auth],
    0x16 authentication_data "authenticationData" Bin [Connect ConnAck Auth],
    0x17 request_problem_information "requestProblemInformation" Flag [Connect],
    0x18 will_delay_interval "willDelayInterval" U32 [Will],
    0x19 request_response_information "requestResponseInformation" Flag [Connect],
    0x1A response_information "responseInformation" Str [ConnAck],
    0x1C server_reference "serverReference" Str [ConnAck Disconnect],
    0x1F reason_string "reasonString" Str [ConnAck PubAck SubAck UnsubAck Disconnect Auth],
    0x21 receive_maximum "receiveMaximum" U16 [Connect ConnAck],
    0x22 topic_alias_maximum "topicAliasMaximum" U16 [Connect ConnAck],
    0x23 topic_alias "topicAlias" U16 [Publish],
    0x24 maximum_qos "maximumQoS" QoS [ConnAck],
    0x25 retain_available "retainAvailable" Flag [ConnAck],
    0x26 user_properties "userProperties" Pair [Connect Will ConnAck Publish PubAck Subscribe SubAck Unsubscribe UnsubAck Disconnect Auth],
    0x27 maximum_packet_size "maximumPacketSize" U32 [Connect ConnAck],
    0x28 wildcard_subscription_available "wildcardSubscriptionAvailable" Flag [ConnAck],
    0x29 subscription_identifier_available "subscriptionIdentifiersAvailable" Flag [ConnAck],
    0x2A shared_subscription_available "sharedSubscriptionAvailable" Flag [ConnAck],
}

/// The row of property `id`, if MQTT 5.0 defines one.
pub fn property(id: u32) -> Option<&'static Property> {
    PROPERTIES.iter().find(|p| u32::from(p.id) == id)
}

const fn masks() -> [u64; 11] {
    let mut m = [0u64; 11];
    let mut i = 0;
    while i < PROPERTIES.len() {
        let p = &PROPERTIES[i];
        let mut c = 0;
        while c < 11 {
            if p.contexts & (1 << c) != 0 {
                m[c] |= 1 << p.id;
            }
            c += 1;
        }
        i += 1;
    }
    m
}

/// Per context, one bit per property identifier allowed there (all ids are
/// < 64), computed from the table at compile time.
const ALLOWED: [u64; 11] = masks();

impl Context {
    /// The property identifiers allowed here.
    fn allowed(self) -> u64 {
        ALLOWED[self as usize]
    }
}

fn flag(r: &mut Reader<'_>) -> Result<bool, DecodeError> {
    match r.u8("property")? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(DecodeError::InvalidPropertyValue),
    }
}

/// Reads one value of `kind`.
fn read(r: &mut Reader<'_>, kind: Kind) -> Result<Value, DecodeError> {
    Ok(match kind {
        Kind::Flag => Value::Flag(flag(r)?),
        Kind::QoS => Value::QoS(match r.u8("property")? {
            0 => QoS::AtMostOnce,
            1 => QoS::AtLeastOnce,
            _ => return Err(DecodeError::InvalidPropertyValue),
        }),
        Kind::U16 => Value::U16(r.u16("property")?),
        Kind::U32 => Value::U32(r.u32("property")?),
        Kind::Varint => Value::U32(r.varint("property")?),
        Kind::Str => Value::Str(r.string("property")?),
        Kind::Bin => Value::Bin(r.binary("property")?.to_vec()),
        Kind::Pair => Value::Pair(r.string("property")?, r.string("property")?),
    })
}

/// Writes one value of `kind`, its identifier first.
fn write(buf: &mut Vec<u8>, p: &Property, value: ValueRef<'_>) -> Result<(), EncodeError> {
    buf.push(p.id);
    match (p.kind, value) {
        (_, ValueRef::Flag(v)) => buf.push(u8::from(v)),
        (_, ValueRef::QoS(q)) => buf.push(q as u8),
        (_, ValueRef::U16(v)) => wire::put_u16(buf, v),
        (Kind::Varint, ValueRef::U32(v)) => wire::put_varint(buf, v),
        (_, ValueRef::U32(v)) => wire::put_u32(buf, v),
        (_, ValueRef::Str(s)) => wire::put_string(buf, s)?,
        (_, ValueRef::Bin(b)) => wire::put_binary(buf, b)?,
        (_, ValueRef::Pair(n, v)) => {
            wire::put_string(buf, n)?;
            wire::put_string(buf, v)?;
        }
    }
    Ok(())
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
        self.for_each(|p, _| bits |= 1 << p.id);
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
        let p = Self::read(r.sub(len as usize, "properties")?, ctx.allowed())?;
        if ctx == Context::Subscribe && p.subscription_identifiers.len() > 1 {
            return Err(DecodeError::DuplicateProperty);
        }
        p.check_values(ctx).map_err(|e| match e {
            ValueError::TopicAliasZero => DecodeError::InvalidTopicAlias,
            ValueError::OutOfRange => DecodeError::InvalidPropertyValue,
        })?;
        Ok(p)
    }

    /// Reads the values of a block in the form [`Self::write_values`]
    /// writes (no length), whatever the packet. The bindings take the
    /// application's properties in this form (host.js writes them after
    /// checking each value's type and range); which ones a packet may
    /// carry, and the range rules, are checked when it is encoded.
    pub fn read_values(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::read(Reader::new(bytes), u64::MAX)
    }

    /// Reads identifiers and values to the end of `r`, each identifier one
    /// of the bits of `allowed`, none twice unless it repeats.
    fn read(mut r: Reader<'_>, allowed: u64) -> Result<Self, DecodeError> {
        if r.is_empty() {
            return Ok(Properties::NONE);
        }
        let mut p = PropertyValues::default();
        while !r.is_empty() {
            let id = r.varint("property identifier")?;
            let row = property(id).ok_or(DecodeError::UnknownProperty)?;
            if allowed & (1 << row.id) == 0 {
                return Err(DecodeError::PropertyNotAllowed);
            }
            p.put(row.id, read(&mut r, row.kind)?).map_err(|_| DecodeError::DuplicateProperty)?;
        }
        Ok(Properties::from(p))
    }

    /// Writes the property block (its length first) for a packet of `ctx`.
    pub(crate) fn encode(&self, buf: &mut Vec<u8>, ctx: Context) -> Result<(), EncodeError> {
        if self.present() & !ctx.allowed() != 0 {
            return Err(EncodeError::PropertyNotAllowed);
        }
        self.check_values(ctx).map_err(|_| EncodeError::InvalidPropertyValue)?;
        wire::put_length_prefixed(buf, None, |buf| self.write_values(buf))
    }

    /// Writes the values as a property block holds them (each identifier,
    /// then its value; no length), in table order, whatever the packet.
    /// The bindings hand properties to JavaScript in this form, which one
    /// loop over the table's kinds reads there (`propertiesOf` in host.js).
    pub fn write_values(&self, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
        let mut result = Ok(());
        self.for_each(|p, v| {
            if result.is_ok() {
                result = write(buf, p, v);
            }
        });
        result
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
        let all = PROPERTIES.iter().fold(0u64, |acc, p| acc | 1 << p.id);
        assert_eq!(union, all);
        assert_eq!(PROPERTIES.len(), 27);
        assert!(PROPERTIES.windows(2).all(|w| w[0].id < w[1].id), "in identifier order");
    }

    #[test]
    fn read_values_takes_what_write_values_writes() {
        let p = Properties::from(PropertyValues {
            content_type: Some("text/plain".into()),
            subscription_identifiers: alloc::vec![1, 300],
            user_properties: alloc::vec![("a".into(), "1".into()), ("a".into(), "2".into())],
            ..Default::default()
        });
        let mut wire = Vec::new();
        p.write_values(&mut wire).unwrap();
        assert_eq!(Properties::read_values(&wire).unwrap(), p);
        assert_eq!(Properties::read_values(&[]).unwrap(), Properties::NONE);
        // A value cut short, an unknown identifier, a single-valued one twice.
        assert!(Properties::read_values(&wire[..wire.len() - 1]).is_err());
        assert_eq!(Properties::read_values(&[0x7F, 0]), Err(DecodeError::UnknownProperty));
        assert_eq!(Properties::read_values(&[0x01, 1, 0x01, 0]), Err(DecodeError::DuplicateProperty));
    }

    #[test]
    fn write_values_is_the_block_without_its_length() {
        // A CONNACK's Maximum QoS 1, Receive Maximum 10, a User Property
        // ("a", "b") and Assigned Client Identifier "x", out of table order:
        // written back in table order, for any packet.
        let block = [0x24, 1, 0x21, 0, 10, 0x26, 0, 1, b'a', 0, 1, b'b', 0x12, 0, 1, b'x'];
        let mut bytes = vec![block.len() as u8];
        bytes.extend_from_slice(&block);
        let p = decode(&bytes, Context::ConnAck).unwrap();
        let mut out = Vec::new();
        p.write_values(&mut out).unwrap();
        assert_eq!(out, [0x12, 0, 1, b'x', 0x21, 0, 10, 0x24, 1, 0x26, 0, 1, b'a', 0, 1, b'b']);
        out.clear();
        Properties::NONE.write_values(&mut out).unwrap();
        assert!(out.is_empty());
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
    fn every_row_visits_and_stores_its_own_field() {
        for row in PROPERTIES {
            let value = match row.kind {
                Kind::Flag => Value::Flag(true),
                Kind::QoS => Value::QoS(QoS::AtLeastOnce),
                Kind::U16 => Value::U16(7),
                Kind::U32 | Kind::Varint => Value::U32(7),
                Kind::Str => Value::Str("s".into()),
                Kind::Bin => Value::Bin(vec![1]),
                Kind::Pair => Value::Pair("n".into(), "v".into()),
            };
            let mut p = PropertyValues::default();
            p.put(row.id, value.clone()).unwrap();
            let mut seen = Vec::new();
            p.for_each(|r, v| seen.push((r.id, format!("{v:?}"))));
            assert_eq!(seen.len(), 1, "{}", row.name);
            assert_eq!(seen[0].0, row.id, "{} is stored in its own field", row.name);
            let again = p.put(row.id, value);
            assert_eq!(again.is_ok(), row.repeats(), "{}", row.name);
        }
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
