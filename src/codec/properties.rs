//! MQTT 5.0 properties (section 2.2.2).
//!
//! A [`Properties`] holds a packet's property block in its wire form, and
//! one table, [`PROPERTIES`], says everything else about each property: its
//! identifier, its JavaScript name, how its value is written and the packets
//! it may appear on. Decoding rejects a property outside its packet, a
//! repeated single-valued property and an out-of-range value; encoding
//! refuses the same things, so a packet this crate writes is one it would
//! accept.

use super::error::{DecodeError, EncodeError};
use super::types::QoS;
use super::wire::{self, Reader, MAX_VARINT};
use alloc::vec::Vec;
use core::marker::PhantomData;

/// Binary data that must never be shown: passwords and authentication data.
/// Its `Debug` prints only the length.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(pub Vec<u8>);

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The properties of a packet: its property block without the length, each
/// identifier followed by its value, as on the wire.
///
/// The wire form rather than a field per property, because almost every
/// block is only carried: decoded, checked, then handed to JavaScript (which
/// reads this very form, `propertiesOf` in host.js) or written again. The
/// few properties the session acts on are found by a scan of a few bytes
/// where it needs them (the typed getters, one per row of the table). The
/// bytes are always a well-formed block: every way in ([`Self::decode`],
/// [`Self::read_values`], [`Self::set`]) checks what it stores, so reading
/// them never fails. What [`Self::set`] stores goes in identifier order;
/// a decoded block keeps the order it came in. Empty, as most blocks are, it
/// does not allocate.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Properties(Vec<u8>);

/// A property's value, borrowed from its block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Flag(bool),
    QoS(QoS),
    U16(u16),
    /// `U32` and `Varint`.
    U32(u32),
    Str(&'a str),
    Bin(&'a [u8]),
    Pair(&'a str, &'a str),
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

const fn ctx_bits(contexts: &[Context]) -> u16 {
    let mut bits = 0;
    let mut i = 0;
    while i < contexts.len() {
        bits |= 1 << contexts[i] as u16;
        i += 1;
    }
    bits
}

/// What a typed getter of `kind` returns: the value of a single-valued
/// property, every value of a repeated one.
macro_rules! getter_type {
    (Flag) => { Option<bool> };
    (QoS) => { Option<QoS> };
    (U16) => { Option<u16> };
    (U32) => { Option<u32> };
    (Varint) => { Repeated<'_, u32> };
    (Str) => { Option<&str> };
    (Bin) => { Option<&[u8]> };
    (Pair) => { Repeated<'_, (&str, &str)> };
}

/// The property table (section 2.2.2.2): each property once, with its
/// identifier, the name of its constant in [`id`] and of its getter, its
/// JavaScript name, wire kind and the packets it may appear on. It drives
/// decoding, encoding, validation and the JavaScript conversion both ways.
macro_rules! table {
    ($($id:literal $konst:ident $getter:ident $name:literal $kind:ident [$($ctx:ident)*],)*) => {
        /// Every MQTT 5.0 property, in identifier order.
        pub const PROPERTIES: &[Property] = &[
            $(Property { id: $id, name: $name, kind: Kind::$kind, contexts: ctx_bits(&[$(Context::$ctx),*]) },)*
        ];

        /// The property identifiers, named as in the specification.
        pub mod id {
            $(#[doc = concat!("`", $name, "`.")] pub const $konst: u8 = $id;)*
        }

        impl Properties {
            $(
                #[doc = concat!("The value of `", $name, "` (", stringify!($id), "), if present.")]
                pub fn $getter(&self) -> getter_type!($kind) {
                    Get::get(self, $id)
                }
            )*
        }
    };
}

table! {
    0x01 PAYLOAD_FORMAT_INDICATOR payload_format_indicator "payloadFormatIndicator" Flag [Will Publish],
    0x02 MESSAGE_EXPIRY_INTERVAL message_expiry_interval "messageExpiryInterval" U32 [Will Publish],
    0x03 CONTENT_TYPE content_type "contentType" Str [Will Publish],
    0x08 RESPONSE_TOPIC response_topic "responseTopic" Str [Will Publish],
    0x09 CORRELATION_DATA correlation_data "correlationData" Bin [Will Publish],
    0x0B SUBSCRIPTION_IDENTIFIER subscription_identifiers "subscriptionIdentifier" Varint [Publish Subscribe],
    0x11 SESSION_EXPIRY_INTERVAL session_expiry_interval "sessionExpiryInterval" U32 [Connect ConnAck Disconnect],
    0x12 ASSIGNED_CLIENT_IDENTIFIER assigned_client_identifier "assignedClientIdentifier" Str [ConnAck],
    0x13 SERVER_KEEP_ALIVE server_keep_alive "serverKeepAlive" U16 [ConnAck],
    0x15 AUTHENTICATION_METHOD authentication_method "authenticationMethod" Str [Connect ConnAck Auth],
    0x16 AUTHENTICATION_DATA authentication_data "authenticationData" Bin [Connect ConnAck Auth],
    0x17 REQUEST_PROBLEM_INFORMATION request_problem_information "requestProblemInformation" Flag [Connect],
    0x18 WILL_DELAY_INTERVAL will_delay_interval "willDelayInterval" U32 [Will],
    0x19 REQUEST_RESPONSE_INFORMATION request_response_information "requestResponseInformation" Flag [Connect],
    0x1A RESPONSE_INFORMATION response_information "responseInformation" Str [ConnAck],
    0x1C SERVER_REFERENCE server_reference "serverReference" Str [ConnAck Disconnect],
    0x1F REASON_STRING reason_string "reasonString" Str [ConnAck PubAck SubAck UnsubAck Disconnect Auth],
    0x21 RECEIVE_MAXIMUM receive_maximum "receiveMaximum" U16 [Connect ConnAck],
    0x22 TOPIC_ALIAS_MAXIMUM topic_alias_maximum "topicAliasMaximum" U16 [Connect ConnAck],
    0x23 TOPIC_ALIAS topic_alias "topicAlias" U16 [Publish],
    0x24 MAXIMUM_QOS maximum_qos "maximumQoS" QoS [ConnAck],
    0x25 RETAIN_AVAILABLE retain_available "retainAvailable" Flag [ConnAck],
    0x26 USER_PROPERTY user_properties "userProperties" Pair [Connect Will ConnAck Publish PubAck Subscribe SubAck Unsubscribe UnsubAck Disconnect Auth],
    0x27 MAXIMUM_PACKET_SIZE maximum_packet_size "maximumPacketSize" U32 [Connect ConnAck],
    0x28 WILDCARD_SUBSCRIPTION_AVAILABLE wildcard_subscription_available "wildcardSubscriptionAvailable" Flag [ConnAck],
    0x29 SUBSCRIPTION_IDENTIFIER_AVAILABLE subscription_identifier_available "subscriptionIdentifiersAvailable" Flag [ConnAck],
    0x2A SHARED_SUBSCRIPTION_AVAILABLE shared_subscription_available "sharedSubscriptionAvailable" Flag [ConnAck],
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

/// A value as the Rust type a typed getter returns.
trait FromValue<'a>: Sized {
    fn from_value(value: Value<'a>) -> Option<Self>;
}

macro_rules! from_value {
    ($($t:ty => $pattern:pat => $v:expr,)*) => {
        $(impl<'a> FromValue<'a> for $t {
            fn from_value(value: Value<'a>) -> Option<Self> {
                match value {
                    $pattern => Some($v),
                    _ => None,
                }
            }
        })*
    };
}

from_value! {
    bool => Value::Flag(v) => v,
    QoS => Value::QoS(v) => v,
    u16 => Value::U16(v) => v,
    u32 => Value::U32(v) => v,
    &'a str => Value::Str(v) => v,
    &'a [u8] => Value::Bin(v) => v,
    (&'a str, &'a str) => Value::Pair(n, v) => (n, v),
}

/// What a typed getter returns, found by identifier.
trait Get<'a> {
    fn get(p: &'a Properties, id: u8) -> Self;
}

impl<'a, T: FromValue<'a>> Get<'a> for Option<T> {
    fn get(p: &'a Properties, id: u8) -> Self {
        p.iter().find(|(row, _)| row.id == id).and_then(|(_, v)| T::from_value(v))
    }
}

impl<'a, T: FromValue<'a>> Get<'a> for Repeated<'a, T> {
    fn get(p: &'a Properties, id: u8) -> Self {
        Repeated { entries: p.iter(), id, value: PhantomData }
    }
}

/// The values of a repeated property, in order.
#[derive(Debug, Clone)]
pub struct Repeated<'a, T> {
    entries: Iter<'a>,
    id: u8,
    value: PhantomData<T>,
}

impl<'a, T: FromValue<'a>> Iterator for Repeated<'a, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        let id = self.id;
        self.entries.find(|(row, _)| row.id == id).and_then(|(_, v)| T::from_value(v))
    }
}

/// The entries of a block, each with its row.
#[derive(Debug, Clone)]
pub struct Iter<'a>(Reader<'a>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'static Property, Value<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        // The block was checked when it was stored, so this never fails;
        // if it did, the iteration would end there.
        entry(&mut self.0).map_err(|_| self.0.rest()).ok()
    }
}

/// Reads one identifier and its value. Flags and Maximum QoS are checked
/// here (their byte has no other meaning); the other range rules are
/// [`check`]'s.
fn entry<'a>(r: &mut Reader<'a>) -> Result<(&'static Property, Value<'a>), DecodeError> {
    let row = property(r.varint("property identifier")?).ok_or(DecodeError::UnknownProperty)?;
    let value = match row.kind {
        Kind::Flag | Kind::QoS => match (row.kind, r.u8("property")?) {
            (Kind::Flag, v @ (0 | 1)) => Value::Flag(v == 1),
            (_, 0) => Value::QoS(QoS::AtMostOnce),
            (_, 1) => Value::QoS(QoS::AtLeastOnce),
            _ => return Err(DecodeError::InvalidPropertyValue),
        },
        Kind::U16 => Value::U16(r.u16("property")?),
        Kind::U32 => Value::U32(r.u32("property")?),
        Kind::Varint => Value::U32(r.varint("property")?),
        Kind::Str => Value::Str(r.str("property")?),
        Kind::Bin => Value::Bin(r.binary("property")?),
        Kind::Pair => Value::Pair(r.str("property")?, r.str("property")?),
    };
    Ok((row, value))
}

/// Writes the identifier of `row` and `value`, which must be of its kind.
fn write(buf: &mut Vec<u8>, row: &Property, value: Value<'_>) -> Result<(), EncodeError> {
    buf.push(row.id);
    match (row.kind, value) {
        (Kind::Flag, Value::Flag(v)) => buf.push(u8::from(v)),
        (Kind::QoS, Value::QoS(q)) if q != QoS::ExactlyOnce => buf.push(q as u8),
        (Kind::U16, Value::U16(v)) => wire::put_u16(buf, v),
        (Kind::U32, Value::U32(v)) => wire::put_u32(buf, v),
        (Kind::Varint, Value::U32(v)) if v <= MAX_VARINT => wire::put_varint(buf, v),
        (Kind::Str, Value::Str(s)) => wire::put_string(buf, s)?,
        (Kind::Bin, Value::Bin(b)) => wire::put_binary(buf, b)?,
        (Kind::Pair, Value::Pair(n, v)) => {
            wire::put_string(buf, n)?;
            wire::put_string(buf, v)?;
        }
        _ => return Err(EncodeError::InvalidPropertyValue),
    }
    Ok(())
}

/// Checks a block: every identifier known and one of `allowed`, none twice
/// unless it repeats, every value well-formed; and, for a packet of `ctx`,
/// the range rules of section 3.
fn check(bytes: &[u8], allowed: u64, ctx: Option<Context>) -> Result<(), DecodeError> {
    let mut r = Reader::new(bytes);
    let mut seen = 0u64;
    while !r.is_empty() {
        let (row, value) = entry(&mut r)?;
        let bit = 1 << row.id;
        if allowed & bit == 0 {
            return Err(DecodeError::PropertyNotAllowed);
        }
        // A Subscription Identifier repeats only in PUBLISH.
        let repeats = row.repeats() && !(row.id == id::SUBSCRIPTION_IDENTIFIER && ctx == Some(Context::Subscribe));
        if seen & bit != 0 && !repeats {
            return Err(DecodeError::DuplicateProperty);
        }
        seen |= bit;
        if ctx.is_some() {
            match (row.id, value) {
                // [MQTT-3.3.2-8].
                (id::TOPIC_ALIAS, Value::U16(0)) => return Err(DecodeError::InvalidTopicAlias),
                // "It is a Protocol Error to include the value 0" (3.1.2.11.3,
                // 3.1.2.11.4, 3.8.2.1.2).
                (id::RECEIVE_MAXIMUM, Value::U16(0))
                | (id::MAXIMUM_PACKET_SIZE | id::SUBSCRIPTION_IDENTIFIER, Value::U32(0)) => {
                    return Err(DecodeError::InvalidPropertyValue)
                }
                _ => {}
            }
        }
    }
    Ok(())
}

impl Properties {
    /// No properties, as a constant.
    pub const NONE: Properties = Properties(Vec::new());

    /// True when no property is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every property with its value, in the block's order (repeated ones
    /// once per value).
    pub fn iter(&self) -> Iter<'_> {
        Iter(Reader::new(&self.0))
    }

    /// The block as it is written (each identifier, then its value; no
    /// length). The bindings hand properties to JavaScript in this form,
    /// which one loop over the table's kinds reads there (`propertiesOf` in
    /// host.js).
    pub fn wire(&self) -> &[u8] {
        &self.0
    }

    /// Stores a value of property `id`, which must be of its kind: it
    /// replaces the value of a single-valued property and follows the
    /// values of a repeated one. Which packet may carry it, and the range
    /// rules, are checked when the packet is encoded.
    pub fn set(&mut self, id: u8, value: Value<'_>) -> Result<(), EncodeError> {
        let row = property(u32::from(id)).ok_or(EncodeError::InvalidPropertyValue)?;
        if !row.repeats() {
            self.remove(id);
        }
        let mut at = 0;
        while let Some((len, p, _)) = self.entry_at(at) {
            if p.id > id {
                break;
            }
            at += len;
        }
        let end = self.0.len();
        if let Err(e) = write(&mut self.0, row, value) {
            self.0.truncate(end);
            return Err(e);
        }
        let written = self.0.len() - end;
        self.0[at..].rotate_right(written);
        Ok(())
    }

    /// Properties of these values, each stored by [`Self::set`].
    pub fn from_values(values: &[(u8, Value<'_>)]) -> Result<Self, EncodeError> {
        let mut p = Self::NONE;
        for &(id, value) in values {
            p.set(id, value)?;
        }
        Ok(p)
    }

    /// Removes every value of property `id`.
    pub fn remove(&mut self, id: u8) {
        self.retain(&mut |p, _| p.id != id);
    }

    /// Keeps only the values `keep` says yes to, in place.
    pub fn retain(&mut self, keep: &mut dyn FnMut(&'static Property, Value<'_>) -> bool) {
        let (mut read, mut write) = (0, 0);
        while let Some((len, p, v)) = self.entry_at(read) {
            if keep(p, v) {
                self.0.copy_within(read..read + len, write);
                write += len;
            }
            read += len;
        }
        self.0.truncate(write);
    }

    /// The entry that starts at byte `at`: its length, row and value
    /// ([`Iter`]'s step, with where it ends).
    fn entry_at(&self, at: usize) -> Option<(usize, &'static Property, Value<'_>)> {
        let mut entries = Iter(Reader::new(self.0.get(at..)?));
        let (p, v) = entries.next()?;
        Some((self.0.len() - at - entries.0.len(), p, v))
    }

    /// Reads a property block (its length first) for a packet of `ctx`.
    pub(crate) fn decode(r: &mut Reader<'_>, ctx: Context) -> Result<Self, DecodeError> {
        let len = r.varint("property length")?;
        let bytes = r.take(len as usize, "properties")?;
        check(bytes, ctx.allowed(), Some(ctx))?;
        Ok(Self(bytes.to_vec()))
    }

    /// Takes a block in the form [`Self::wire`] gives (no length), whatever
    /// the packet. The bindings take the application's properties in this
    /// form (host.js writes them after checking each value's type and
    /// range); which ones a packet may carry, and the range rules, are
    /// checked when it is encoded.
    pub fn read_values(bytes: &[u8]) -> Result<Self, DecodeError> {
        check(bytes, u64::MAX, None)?;
        Ok(Self(bytes.to_vec()))
    }

    /// Writes the property block (its length first) for a packet of `ctx`.
    pub(crate) fn encode(&self, buf: &mut Vec<u8>, ctx: Context) -> Result<(), EncodeError> {
        check(&self.0, ctx.allowed(), Some(ctx)).map_err(|e| match e {
            DecodeError::PropertyNotAllowed => EncodeError::PropertyNotAllowed,
            _ => EncodeError::InvalidPropertyValue,
        })?;
        wire::put_length_prefixed(buf, Some(self.0.len()), |buf| {
            buf.extend_from_slice(&self.0);
            Ok(())
        })
    }
}

impl core::fmt::Debug for Properties {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut map = f.debug_map();
        for (p, v) in self.iter() {
            match v {
                Value::Bin(_) if p.id == id::AUTHENTICATION_DATA => map.entry(&p.name, &"<redacted>"),
                v => map.entry(&p.name, &v),
            };
        }
        map.finish()
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
    fn read_values_takes_what_wire_gives() {
        let p = Properties::from_values(&[
            (id::USER_PROPERTY, Value::Pair("a", "1")),
            (id::CONTENT_TYPE, Value::Str("text/plain")),
            (id::SUBSCRIPTION_IDENTIFIER, Value::U32(1)),
            (id::SUBSCRIPTION_IDENTIFIER, Value::U32(300)),
            (id::USER_PROPERTY, Value::Pair("a", "2")),
        ])
        .unwrap();
        let wire = p.wire();
        // In identifier order, repeated values in the order they were set.
        assert_eq!(wire[..4], [0x03, 0, 10, b't']);
        assert_eq!(wire[13..17], [0x0B, 1, 0x0B, 0xAC]);
        assert_eq!(p.subscription_identifiers().collect::<Vec<_>>(), [1, 300]);
        assert_eq!(p.user_properties().collect::<Vec<_>>(), [("a", "1"), ("a", "2")]);
        assert_eq!(Properties::read_values(wire).unwrap(), p);
        assert_eq!(Properties::read_values(&[]).unwrap(), Properties::NONE);
        // A value cut short, an unknown identifier, a single-valued one twice.
        assert!(Properties::read_values(&wire[..wire.len() - 1]).is_err());
        assert_eq!(Properties::read_values(&[0x7F, 0]), Err(DecodeError::UnknownProperty));
        assert_eq!(Properties::read_values(&[0x01, 1, 0x01, 0]), Err(DecodeError::DuplicateProperty));
    }

    #[test]
    fn a_decoded_block_is_kept_as_it_came() {
        // A CONNACK's Maximum QoS 1, Receive Maximum 10, a User Property
        // ("a", "b") and Assigned Client Identifier "x", out of identifier
        // order: read where they are, written back unchanged.
        let block = [0x24, 1, 0x21, 0, 10, 0x26, 0, 1, b'a', 0, 1, b'b', 0x12, 0, 1, b'x'];
        let mut bytes = vec![block.len() as u8];
        bytes.extend_from_slice(&block);
        let p = decode(&bytes, Context::ConnAck).unwrap();
        assert_eq!(p.wire(), block);
        assert_eq!(p.maximum_qos(), Some(QoS::AtLeastOnce));
        assert_eq!(p.receive_maximum(), Some(10));
        assert_eq!(p.assigned_client_identifier(), Some("x"));
        assert_eq!(p.topic_alias_maximum(), None);
        let mut out = Vec::new();
        p.encode(&mut out, Context::ConnAck).unwrap();
        assert_eq!(out, bytes);
        out.clear();
        Properties::NONE.encode(&mut out, Context::ConnAck).unwrap();
        assert_eq!(out, [0]);
    }

    #[test]
    fn set_replaces_a_single_value_in_place_and_remove_takes_every_value() {
        let mut p = Properties::NONE;
        p.set(id::USER_PROPERTY, Value::Pair("", "")).unwrap();
        p.set(id::TOPIC_ALIAS, Value::U16(9)).unwrap();
        assert_eq!(p.wire(), [0x23, 0, 9, 0x26, 0, 0, 0, 0]);
        p.set(id::TOPIC_ALIAS, Value::U16(10)).unwrap();
        assert_eq!(p.wire(), [0x23, 0, 10, 0x26, 0, 0, 0, 0]);
        p.set(id::PAYLOAD_FORMAT_INDICATOR, Value::Flag(true)).unwrap();
        assert_eq!(p.wire()[..2], [0x01, 1]);
        p.remove(id::TOPIC_ALIAS);
        p.remove(id::USER_PROPERTY);
        assert_eq!(p.wire(), [0x01, 1]);
        // A value of another kind is refused, and nothing of it stays.
        assert_eq!(p.set(id::TOPIC_ALIAS, Value::U32(1)), Err(EncodeError::InvalidPropertyValue));
        assert_eq!(p.set(0x04, Value::U32(1)), Err(EncodeError::InvalidPropertyValue));
        let long = "x".repeat(70_000);
        assert!(p.set(id::CONTENT_TYPE, Value::Str(&long)).is_err());
        assert_eq!(p.wire(), [0x01, 1]);
    }

    #[test]
    fn a_property_on_the_wrong_packet_is_refused_both_ways() {
        // Topic Alias (0x23) = 1 inside a CONNACK property block.
        assert_eq!(decode(&[3, 0x23, 0, 1], Context::ConnAck), Err(DecodeError::PropertyNotAllowed));
        let p = Properties::from_values(&[(id::TOPIC_ALIAS, Value::U16(1))]).unwrap();
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
        assert_eq!(p.user_properties().collect::<Vec<_>>(), [("k", "1"), ("k", "2")]);
        let p = decode(&[4, 0x0B, 5, 0x0B, 7], Context::Publish).unwrap();
        assert_eq!(p.subscription_identifiers().collect::<Vec<_>>(), [5, 7]);
        assert_eq!(decode(&[4, 0x0B, 5, 0x0B, 7], Context::Subscribe), Err(DecodeError::DuplicateProperty));
        assert_eq!(p.encode(&mut Vec::new(), Context::Subscribe), Err(EncodeError::InvalidPropertyValue));
    }

    #[test]
    fn out_of_range_values_are_refused() {
        // Receive Maximum 0 (3.2.2.3.3): "It is a Protocol Error to include the value 0".
        assert_eq!(decode(&[3, 0x21, 0, 0], Context::ConnAck), Err(DecodeError::InvalidPropertyValue));
        // Topic Alias 0 [MQTT-3.3.2-8].
        assert_eq!(decode(&[3, 0x23, 0, 0], Context::Publish), Err(DecodeError::InvalidTopicAlias));
        // Maximum QoS 2.
        assert_eq!(decode(&[2, 0x24, 2], Context::ConnAck), Err(DecodeError::InvalidPropertyValue));
        // A flag of 2.
        assert_eq!(decode(&[2, 0x25, 2], Context::ConnAck), Err(DecodeError::InvalidPropertyValue));
        // Subscription Identifier 0, Maximum Packet Size 0.
        assert_eq!(decode(&[2, 0x0B, 0], Context::Publish), Err(DecodeError::InvalidPropertyValue));
        assert_eq!(decode(&[5, 0x27, 0, 0, 0, 0], Context::ConnAck), Err(DecodeError::InvalidPropertyValue));
        // The same values set by the application are refused when encoded.
        let p = Properties::from_values(&[(id::RECEIVE_MAXIMUM, Value::U16(0))]).unwrap();
        assert_eq!(p.encode(&mut Vec::new(), Context::Connect), Err(EncodeError::InvalidPropertyValue));
        let p = Properties::from_values(&[(id::MAXIMUM_QOS, Value::QoS(QoS::ExactlyOnce))]);
        assert_eq!(p, Err(EncodeError::InvalidPropertyValue));
    }

    #[test]
    fn property_length_cannot_reach_past_its_block() {
        // Length 2 but the u16 value needs 3 bytes after the id.
        let bytes = [2, 0x21, 0, 5];
        assert_eq!(decode(&bytes, Context::ConnAck), Err(DecodeError::MissingData("property")));
    }

    #[test]
    fn every_row_stores_and_reads_its_own_kind() {
        for row in PROPERTIES {
            let value = match row.kind {
                Kind::Flag => Value::Flag(true),
                Kind::QoS => Value::QoS(QoS::AtLeastOnce),
                Kind::U16 => Value::U16(7),
                Kind::U32 | Kind::Varint => Value::U32(7),
                Kind::Str => Value::Str("s"),
                Kind::Bin => Value::Bin(&[1]),
                Kind::Pair => Value::Pair("n", "v"),
            };
            let mut p = Properties::from_values(&[(row.id, value)]).unwrap();
            assert_eq!(p.iter().map(|(r, v)| (r.id, v)).collect::<Vec<_>>(), [(row.id, value)], "{}", row.name);
            p.set(row.id, value).unwrap();
            assert_eq!(p.iter().count(), if row.repeats() { 2 } else { 1 }, "{}", row.name);
        }
    }

    #[test]
    fn authentication_data_is_redacted_in_debug() {
        let p = Properties::from_values(&[(id::AUTHENTICATION_DATA, Value::Bin(b"hunter2"))]).unwrap();
        let shown = format!("{p:?}");
        assert!(shown.contains("authenticationData"), "{shown}");
        assert!(!shown.contains("hunter2") && !shown.contains("104, 117"), "{shown}");
    }
}
