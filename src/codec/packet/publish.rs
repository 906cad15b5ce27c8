//! PUBLISH (MQTT 5.0 section 3.3).

use crate::codec::error::{DecodeError, EncodeError};
use crate::codec::properties::{Context, Properties};
use crate::codec::topic::validate_topic_name;
use crate::codec::types::{PacketId, ProtocolVersion, QoS, QosPid};
use crate::codec::wire::{self, Reader};
use bytes::Bytes;
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

    /// Decodes the rest of a PUBLISH. `frame`, if given, is the packet body
    /// `r` reads as a shared buffer, and the payload becomes a slice of it;
    /// otherwise the payload is copied.
    pub(crate) fn decode(
        flags: u8,
        r: &mut Reader<'_>,
        version: ProtocolVersion,
        frame: Option<&Bytes>,
    ) -> Result<Self, DecodeError> {
        let dup = flags & 0x08 != 0;
        let qos = QoS::from_u8((flags >> 1) & 0x03)?;
        let retain = flags & 0x01 != 0;
        // [MQTT-3.3.1-2]
        if dup && qos == QoS::AtMostOnce {
            return Err(DecodeError::InvalidHeaderFlags);
        }
        // The topic is the body's first field: its bytes sit at offset 2.
        let raw = r.binary("topic name")?;
        // One pass for the string rule [MQTT-1.5.4-2] and the topic-name
        // rule [MQTT-3.3.2-2]; UTF-8 is checked when the string is made.
        let mut wildcard = false;
        for &b in raw {
            match b {
                0 => return Err(DecodeError::InvalidString),
                b'+' | b'#' => wildcard = true,
                _ => {}
            }
        }
        let topic = match frame {
            Some(frame) => ByteString::try_from(frame.slice(2..2 + raw.len())),
            None => ByteString::try_from(raw),
        }
        .map_err(|_| DecodeError::InvalidString)?;
        let qos_pid = match qos {
            QoS::AtMostOnce => QosPid::AtMostOnce,
            QoS::AtLeastOnce => QosPid::AtLeastOnce(PacketId::decode(r.u16("packet identifier")?)?),
            QoS::ExactlyOnce => QosPid::ExactlyOnce(PacketId::decode(r.u16("packet identifier")?)?),
        };
        let properties = if version.is_v5() { Properties::decode(r, Context::Publish)? } else { Properties::default() };
        // [MQTT-3.3.2-1] [MQTT-3.3.2-2]; v5 allows an empty name next to a
        // Topic Alias (section 3.3.2.3.4).
        if wildcard || (topic.is_empty() && properties.topic_alias.is_none()) {
            return Err(DecodeError::InvalidTopicName);
        }
        // The payload is the body's tail.
        let rest = r.rest();
        let payload = match frame {
            Some(frame) => frame.slice(frame.len().saturating_sub(rest.len())..),
            None => Bytes::copy_from_slice(rest),
        };
        Ok(Self { dup, qos_pid, retain, topic, properties, payload })
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
        if !(self.topic.is_empty() && self.properties.topic_alias.is_some()) {
            validate_topic_name(&self.topic).map_err(|_| EncodeError::InvalidTopic)?;
        }
        wire::put_string(buf, &self.topic)?;
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
