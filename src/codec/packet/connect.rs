//! CONNECT (MQTT 5.0 section 3.1, 3.1.1 section 3.1, 3.1 section 3.1) and
//! CONNACK (section 3.2).

use crate::codec::error::{DecodeError, EncodeError};
use crate::codec::properties::{Context, Properties, Secret};
use crate::codec::reason::{allowed, check_reason, decode_reason, ReasonCode};
use crate::codec::topic::validate_topic_name;
use crate::codec::types::{ProtocolVersion, QoS};
use crate::codec::wire::{self, Reader};
use alloc::{string::String, vec::Vec};

/// MQTT 3.1 limits client identifiers to 23 bytes (3.1 section 3.1).
pub const V3_1_MAX_CLIENT_ID: usize = 23;

/// The message the server publishes when the client goes away abnormally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Will {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: QoS,
    pub retain: bool,
    /// v5 will properties (section 3.1.3.2).
    pub properties: Properties,
}

/// The first packet a client sends.
///
/// ```text
/// flags:  7 user name | 6 password | 5 will retain | 4-3 will QoS | 2 will | 1 clean | 0 reserved
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    pub protocol: ProtocolVersion,
    /// Clean Session (3.x) or Clean Start (5.0).
    pub clean_start: bool,
    /// Seconds; 0 disables keepalive.
    pub keep_alive: u16,
    pub client_id: String,
    pub will: Option<Will>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub properties: Properties,
}

impl Connect {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let name = r.str("protocol name")?;
        let level = r.u8("protocol level")?;
        let protocol = match (name, level) {
            ("MQTT", 4) => ProtocolVersion::V3_1_1,
            ("MQTT", 5) => ProtocolVersion::V5,
            ("MQIsdp", 3) => ProtocolVersion::V3_1,
            ("MQTT" | "MQIsdp", _) => return Err(DecodeError::UnsupportedProtocolLevel),
            _ => return Err(DecodeError::InvalidProtocolName),
        };
        let flags = r.u8("connect flags")?;
        let has_user = flags & 0x80 != 0;
        let has_password = flags & 0x40 != 0;
        let will_retain = flags & 0x20 != 0;
        let will_qos = QoS::from_u8((flags >> 3) & 0x03)?;
        let has_will = flags & 0x04 != 0;
        // [MQTT-3.1.2-3] reserved bit; [MQTT-3.1.2-11] [MQTT-3.1.2-13] will
        // QoS and retain only with a will; [MQTT-3.1.2-22] no password
        // without a user name before 5.0.
        if flags & 0x01 != 0
            || (!has_will && (will_retain || will_qos != QoS::AtMostOnce))
            || (!protocol.is_v5() && has_password && !has_user)
        {
            return Err(DecodeError::InvalidFlags);
        }
        let keep_alive = r.u16("keep alive")?;
        let properties =
            if protocol.is_v5() { Properties::decode(r, Context::Connect)? } else { Properties::default() };
        let client_id = r.string("client identifier")?;
        let will = if has_will {
            let properties =
                if protocol.is_v5() { Properties::decode(r, Context::Will)? } else { Properties::default() };
            let topic = r.string("will topic")?;
            validate_topic_name(&topic).map_err(|_| DecodeError::InvalidTopicName)?;
            let payload = r.binary("will payload")?.to_vec();
            Some(Will { topic, payload, qos: will_qos, retain: will_retain, properties })
        } else {
            None
        };
        let username = if has_user { Some(r.string("user name")?) } else { None };
        let password = if has_password { Some(Secret(r.binary("password")?.to_vec())) } else { None };
        Ok(Self {
            protocol,
            clean_start: flags & 0x02 != 0,
            keep_alive,
            client_id,
            will,
            username,
            password,
            properties,
        })
    }

    pub(crate) fn encode_body(&self, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
        let v5 = self.protocol.is_v5();
        if self.protocol == ProtocolVersion::V3_1 && self.client_id.len() > V3_1_MAX_CLIENT_ID {
            return Err(EncodeError::ClientIdTooLong);
        }
        if !v5 && (!self.properties.is_empty() || self.will.as_ref().is_some_and(|w| !w.properties.is_empty())) {
            return Err(EncodeError::NotInVersion);
        }
        if !v5 && self.password.is_some() && self.username.is_none() {
            return Err(EncodeError::NotInVersion);
        }
        wire::put_string(buf, self.protocol.protocol_name())?;
        buf.push(self.protocol as u8);
        let mut flags = u8::from(self.clean_start) << 1;
        if let Some(will) = &self.will {
            flags |= 0x04 | (will.qos as u8) << 3 | u8::from(will.retain) << 5;
        }
        flags |= u8::from(self.password.is_some()) << 6 | u8::from(self.username.is_some()) << 7;
        buf.push(flags);
        wire::put_u16(buf, self.keep_alive);
        if v5 {
            self.properties.encode(buf, Context::Connect)?;
        }
        wire::put_string(buf, &self.client_id)?;
        if let Some(will) = &self.will {
            if v5 {
                will.properties.encode(buf, Context::Will)?;
            }
            wire::put_string(buf, &will.topic)?;
            wire::put_binary(buf, &will.payload)?;
        }
        if let Some(user) = &self.username {
            wire::put_string(buf, user)?;
        }
        if let Some(password) = &self.password {
            wire::put_binary(buf, &password.0)?;
        }
        Ok(())
    }
}

/// The server's answer to CONNECT. MQTT 3.x return codes are carried as
/// their v5 equivalents ([`ReasonCode::from_v3_connack`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnAck {
    /// Always false in MQTT 3.1, which has no such flag.
    pub session_present: bool,
    pub reason_code: ReasonCode,
    pub properties: Properties,
}

impl ConnAck {
    pub(crate) fn decode(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let flags = r.u8("connack flags")?;
        let code = r.u8("connack reason code")?;
        // MQTT 3.1 calls the first byte reserved and unused.
        let session_present = version != ProtocolVersion::V3_1 && flags & 0x01 != 0;
        if version != ProtocolVersion::V3_1 && flags & 0xFE != 0 {
            return Err(DecodeError::InvalidFlags);
        }
        let (reason_code, properties) = if version.is_v5() {
            (decode_reason(code, allowed::CONNACK)?, Properties::decode(r, Context::ConnAck)?)
        } else {
            let reason = ReasonCode::from_v3_connack(code).ok_or(DecodeError::InvalidReasonCode)?;
            (reason, Properties::default())
        };
        // [MQTT-3.2.2-4] (3.1.1) [MQTT-3.2.2-6] (5.0).
        if session_present && reason_code != ReasonCode::Success {
            return Err(DecodeError::InvalidFlags);
        }
        Ok(Self { session_present, reason_code, properties })
    }

    pub(crate) fn encode_body(&self, buf: &mut Vec<u8>, version: ProtocolVersion) -> Result<(), EncodeError> {
        buf.push(u8::from(self.session_present && version != ProtocolVersion::V3_1));
        if version.is_v5() {
            buf.push(check_reason(self.reason_code, allowed::CONNACK)?);
            self.properties.encode(buf, Context::ConnAck)
        } else {
            if !self.properties.is_empty() {
                return Err(EncodeError::NotInVersion);
            }
            buf.push(self.reason_code.to_v3_connack().ok_or(EncodeError::NotInVersion)?);
            Ok(())
        }
    }
}
