//! PUBLISH (MQTT 5.0 section 3.3).

use crate::codec::error::{DecodeError, EncodeError};
use crate::codec::properties::{Context, Properties};
use crate::codec::topic::{scan_name, validate_topic_name, NameScan};
use crate::codec::types::{PacketId, ProtocolVersion, QoS, QosPid};
use crate::codec::wire::{self, Reader};
use alloc::vec::Vec;
use bytes::{Buf, Bytes};
use bytestring::ByteString;

/// An application message.
///
/// ```text
/// fixed header: 0011 | DUP | QoS(2) | RETAIN
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    pub dup: bool,
    pub qos_pid: QosPid,
    pub retain: bool,
    /// Empty only in v5, when `properties.topic_alias` names the topic.
    /// Decoded topics share the received frame's buffer, like payloads.
    pub topic: ByteString,
    pub properties: Properties,
    /// Decoded payloads share the received frame's buffer (no copy).
    pub payload: Bytes,
}

impl Publish {
    /// A QoS 0 message without properties, not retained: the fields an
    /// application's publish starts from (the session sets the QoS and packet
    /// identifier when it sends it).
    pub fn new(topic: impl Into<ByteString>, payload: impl Into<Bytes>) -> Self {
        Self {
            dup: false,
            qos_pid: QosPid::AtMostOnce,
            retain: false,
            topic: topic.into(),
            properties: Properties::default(),
            payload: payload.into(),
        }
    }

    /// The fixed-header flag nibble. DUP is only written for QoS > 0
    /// [MQTT-3.3.1-2].
    pub(crate) fn flags(&self) -> u8 {
        let qos = self.qos_pid.qos();
        u8::from(self.dup && qos != QoS::AtMostOnce) << 3 | (qos as u8) << 1 | u8::from(self.retain)
    }

    /// Decodes the body of a PUBLISH, copying its topic and payload.
    pub(crate) fn decode(flags: u8, r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let (mut publish, topic) = Self::decode_head(flags, r, version)?;
        publish.topic = ByteString::try_from(topic).map_err(|_| DecodeError::InvalidString)?;
        publish.payload = Bytes::copy_from_slice(r.rest());
        Ok(publish)
    }

    /// Decodes the body of a PUBLISH held in a shared buffer: the topic and
    /// the payload become views of `body`, which is consumed rather than
    /// sliced so that a message costs one extra reference to the frame, not
    /// two.
    pub(crate) fn decode_shared(flags: u8, mut body: Bytes, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let mut r = Reader::new(&body);
        let (mut publish, topic) = Self::decode_head(flags, &mut r, version)?;
        let (topic_len, payload_len) = (topic.len(), r.rest().len());
        // The topic is the body's first field, after its two length bytes.
        let mut topic = body.split_to(2 + topic_len);
        topic.advance(2);
        publish.topic = ByteString::try_from(topic).map_err(|_| DecodeError::InvalidString)?;
        body.advance(body.len() - payload_len);
        publish.payload = body;
        Ok(publish)
    }

    /// Everything but the payload, checked, with the topic's raw bytes for
    /// the caller to own (the UTF-8 check comes when they become a string);
    /// `r` is left at the payload.
    #[inline(always)]
    fn decode_head<'a>(
        flags: u8,
        r: &mut Reader<'a>,
        version: ProtocolVersion,
    ) -> Result<(Self, &'a [u8]), DecodeError> {
        let dup = flags & 0x08 != 0;
        let qos = QoS::from_u8((flags >> 1) & 0x03)?;
        let retain = flags & 0x01 != 0;
        // [MQTT-3.3.1-2]
        if dup && qos == QoS::AtMostOnce {
            return Err(DecodeError::InvalidHeaderFlags);
        }
        let topic = r.binary("topic name")?;
        // One pass for the string rule [MQTT-1.5.4-2] and the topic-name
        // rule [MQTT-3.3.2-2].
        let NameScan { nul, wildcard } = scan_name(topic);
        if nul {
            return Err(DecodeError::InvalidString);
        }
        let qos_pid = match qos {
            QoS::AtMostOnce => QosPid::AtMostOnce,
            QoS::AtLeastOnce => QosPid::AtLeastOnce(PacketId::decode(r.u16("packet identifier")?)?),
            QoS::ExactlyOnce => QosPid::ExactlyOnce(PacketId::decode(r.u16("packet identifier")?)?),
        };
        let properties = if version.is_v5() { Properties::decode(r, Context::Publish)? } else { Properties::default() };
        // [MQTT-3.3.2-1] [MQTT-3.3.2-2]; v5 allows an empty name next to a
        // Topic Alias (section 3.3.2.3.4).
        if wildcard || (topic.is_empty() && properties.topic_alias().is_none()) {
            return Err(DecodeError::InvalidTopicName);
        }
        let publish = Self { dup, qos_pid, retain, topic: ByteString::new(), properties, payload: Bytes::new() };
        Ok((publish, topic))
    }

    /// The body's length, known without encoding when there are no
    /// properties to size: topic, packet identifier, an empty v5 property
    /// block, payload.
    pub(crate) fn body_len(&self, version: ProtocolVersion) -> Option<usize> {
        if version.is_v5() && !self.properties.is_empty() {
            return None;
        }
        let pid = if self.qos_pid.packet_id().is_some() { 2 } else { 0 };
        Some(2 + self.topic.len() + pid + usize::from(version.is_v5()) + self.payload.len())
    }

    pub(crate) fn encode_body(&self, buf: &mut Vec<u8>, version: ProtocolVersion) -> Result<(), EncodeError> {
        if !(self.topic.is_empty() && self.properties.topic_alias().is_some()) {
            validate_topic_name(&self.topic).map_err(|_| EncodeError::InvalidTopic)?;
        }
        // Binary, not `put_string`: the name was checked for NUL above.
        wire::put_binary(buf, self.topic.as_bytes())?;
        if let Some(pid) = self.qos_pid.packet_id() {
            wire::put_u16(buf, pid.get());
        }
        if version.is_v5() {
            self.properties.encode(buf, Context::Publish)?;
        } else if !self.properties.is_empty() {
            return Err(EncodeError::NotInVersion);
        }
        buf.extend_from_slice(&self.payload);
        Ok(())
    }
}
