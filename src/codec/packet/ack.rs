//! The packets made of a reason code and properties: PUBACK, PUBREC, PUBREL,
//! PUBCOMP (after a packet identifier), DISCONNECT and AUTH (MQTT 5.0
//! sections 3.4 to 3.7, 3.14, 3.15).
//!
//! In v5 the reason code and the property length may be left out when the
//! reason is Success (0x00) and there are no properties; this encoder always
//! takes the shortest form, and the decoder accepts every form.

use crate::codec::error::{DecodeError, EncodeError};
use crate::codec::properties::{Context, Properties};
use crate::codec::reason::{allowed, check_reason, decode_reason, ReasonCode};
use crate::codec::types::{PacketId, ProtocolVersion};
use crate::codec::wire::{self, Reader};
use alloc::vec::Vec;

fn decode_tail(
    r: &mut Reader<'_>,
    version: ProtocolVersion,
    table: &[u8],
    ctx: Context,
) -> Result<(ReasonCode, Properties), DecodeError> {
    if !version.is_v5() || r.is_empty() {
        return Ok((ReasonCode::Success, Properties::default()));
    }
    let reason_code = decode_reason(r.u8("reason code")?, table)?;
    let properties = if r.is_empty() { Properties::default() } else { Properties::decode(r, ctx)? };
    Ok((reason_code, properties))
}

fn encode_tail(
    reason_code: ReasonCode,
    properties: &Properties,
    buf: &mut Vec<u8>,
    version: ProtocolVersion,
    table: &[u8],
    ctx: Context,
) -> Result<(), EncodeError> {
    if reason_code == ReasonCode::Success && properties.is_empty() {
        return Ok(());
    }
    if !version.is_v5() {
        return Err(EncodeError::NotInVersion);
    }
    buf.push(check_reason(reason_code, table)?);
    if !properties.is_empty() {
        properties.encode(buf, ctx)?;
    }
    Ok(())
}

/// PUBACK, PUBREC, PUBREL or PUBCOMP; which one is the [`super::Packet`]
/// variant that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub packet_id: PacketId,
    pub reason_code: ReasonCode,
    pub properties: Properties,
}

impl Ack {
    /// A plain acknowledgement with reason Success.
    pub fn new(packet_id: PacketId) -> Self {
        Self { packet_id, reason_code: ReasonCode::Success, properties: Properties::default() }
    }

    pub(crate) fn decode(r: &mut Reader<'_>, version: ProtocolVersion, table: &[u8]) -> Result<Self, DecodeError> {
        let packet_id = PacketId::decode(r.u16("packet identifier")?)?;
        let (reason_code, properties) = decode_tail(r, version, table, Context::PubAck)?;
        Ok(Self { packet_id, reason_code, properties })
    }

    pub(crate) fn encode_body(
        &self,
        buf: &mut Vec<u8>,
        version: ProtocolVersion,
        table: &[u8],
    ) -> Result<(), EncodeError> {
        wire::put_u16(buf, self.packet_id.get());
        encode_tail(self.reason_code, &self.properties, buf, version, table, Context::PubAck)
    }
}

/// DISCONNECT. Before v5 it has no body, which decodes as Success with no
/// properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disconnect {
    pub reason_code: ReasonCode,
    pub properties: Properties,
}

impl Disconnect {
    /// A normal disconnection (reason 0x00).
    pub fn normal() -> Self {
        Self { reason_code: ReasonCode::Success, properties: Properties::default() }
    }

    pub(crate) fn decode(r: &mut Reader<'_>, version: ProtocolVersion) -> Result<Self, DecodeError> {
        let (reason_code, properties) = decode_tail(r, version, allowed::DISCONNECT, Context::Disconnect)?;
        Ok(Self { reason_code, properties })
    }

    pub(crate) fn encode_body(&self, buf: &mut Vec<u8>, version: ProtocolVersion) -> Result<(), EncodeError> {
        encode_tail(self.reason_code, &self.properties, buf, version, allowed::DISCONNECT, Context::Disconnect)
    }
}

/// AUTH, the v5 enhanced-authentication exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    pub reason_code: ReasonCode,
    pub properties: Properties,
}

impl Auth {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let (reason_code, properties) = decode_tail(r, ProtocolVersion::V5, allowed::AUTH, Context::Auth)?;
        Ok(Self { reason_code, properties })
    }

    pub(crate) fn encode_body(&self, buf: &mut Vec<u8>, version: ProtocolVersion) -> Result<(), EncodeError> {
        if !version.is_v5() {
            return Err(EncodeError::NotInVersion);
        }
        encode_tail(self.reason_code, &self.properties, buf, version, allowed::AUTH, Context::Auth)
    }
}
