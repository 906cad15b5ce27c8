//! The part of a session that must outlive the page for QoS 1 and 2 to keep
//! their promise across a reload: publishes not yet fully acknowledged (with
//! their packet identifiers and stage), publishes still queued, and QoS 2
//! messages received but not yet released. The browser client stores it in
//! IndexedDB (`store: "indexeddb"`).
//!
//! The format is versioned and made of the codec's own packets:
//!
//! ```text
//! "MQWS" 0x01, then records:  tag (u8) | length (varint) | record
//!   1  outgoing, awaiting PUBACK:    PUBLISH (v5 encoding, with its packet id)
//!   2  outgoing, awaiting PUBREC:    PUBLISH
//!   3  outgoing, awaiting PUBCOMP:   PUBREC reason (u8) | PUBLISH
//!   4  queued:                       QoS (u8) | PUBLISH (QoS 0 form)
//!   5  incoming QoS 2, unreleased:   PUBLISH
//! ```

use alloc::{boxed::Box, vec::Vec};
use core::fmt;

use crate::codec::wire;
use crate::codec::{split_first_packet, DecodeError, Packet, ProtocolVersion, Publish, QoS, ReasonCode};

use super::pid::PidSet;
use super::{Awaiting, Outgoing, Queued, Session, State};

const MAGIC: &[u8] = b"MQWS\x01";

/// Why a stored state was refused. Nothing of it is restored then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportError {
    /// The session is connecting or connected: a state is restored before
    /// the first connection.
    NotIdle,
    /// Not this format, or another version of it.
    BadMagic,
    /// A record runs past the end of the state.
    Truncated,
    /// A record of a kind this version does not write.
    UnknownRecord,
    /// A stored packet, QoS or reason code does not decode.
    Malformed(DecodeError),
    /// A publish awaiting an acknowledgement has no packet identifier, or
    /// shares one with another.
    PacketId,
}

impl ImportError {
    /// A fixed description.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotIdle => "a state can only be restored before connecting",
            Self::BadMagic => "not a stored session state of this version",
            Self::Truncated => "the stored state is cut short",
            Self::UnknownRecord => "the stored state has a record of an unknown kind",
            Self::Malformed(e) => e.as_str(),
            Self::PacketId => "the stored state uses a packet identifier twice, or none",
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for ImportError {}

impl From<DecodeError> for ImportError {
    fn from(e: DecodeError) -> Self {
        Self::Malformed(e)
    }
}

fn put_record(out: &mut Vec<u8>, tag: u8, prefix: &[u8], publish: &Publish) {
    let mut record = prefix.to_vec();
    // A publish the session holds was accepted by the codec once; if it
    // cannot be encoded now, it is left out rather than stored corrupt.
    if publish.encode(ProtocolVersion::V5, &mut record).is_ok() {
        out.push(tag);
        wire::put_varint(out, u32::try_from(record.len()).unwrap_or(u32::MAX));
        out.extend_from_slice(&record);
    }
}

fn publish_from(bytes: &[u8]) -> Result<Publish, DecodeError> {
    let missing = DecodeError::MissingData("stored publish");
    let Some((first, body, used)) = split_first_packet(bytes)? else { return Err(missing) };
    // Read as a client reads a server's packets: a client links no other decoder.
    match Packet::decode_from_server(first, body, ProtocolVersion::V5)? {
        Packet::Publish(p) if used == bytes.len() => Ok(p),
        _ => Err(missing),
    }
}

impl Session {
    /// Changes whenever the state [`Session::export_state`] returns changes,
    /// so a driver knows when to store it again.
    pub fn state_generation(&self) -> u64 {
        self.generation
    }

    /// The durable state, in the format above.
    pub fn export_state(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        for o in &self.outgoing {
            match o.awaiting {
                Awaiting::PubAck => put_record(&mut out, 1, &[], &o.publish),
                Awaiting::PubRec => put_record(&mut out, 2, &[], &o.publish),
                Awaiting::PubComp(reason) => put_record(&mut out, 3, &[reason as u8], &o.publish),
            }
        }
        for q in &self.queue {
            put_record(&mut out, 4, &[q.qos as u8], &q.publish);
        }
        for (_, publish) in self.incoming.iter() {
            put_record(&mut out, 5, &[], publish);
        }
        out
    }

    /// Restores a state exported earlier, before the first connection; its
    /// operations complete with events like any other, but no application
    /// promise waits for them. All or nothing: every record is read and
    /// every packet identifier checked before anything is restored.
    pub fn import_state(&mut self, bytes: &[u8]) -> Result<(), ImportError> {
        if !matches!(self.state, State::Idle | State::Ended) {
            return Err(ImportError::NotIdle);
        }
        let mut rest = bytes.strip_prefix(MAGIC).ok_or(ImportError::BadMagic)?;
        let mut outgoing = Vec::new();
        let mut queue = Vec::new();
        let mut incoming = Vec::new();
        while let Some((&tag, tail)) = rest.split_first() {
            let (len, width) = wire::decode_varint(tail)?.ok_or(ImportError::Truncated)?;
            let end = width.checked_add(len as usize).ok_or(ImportError::Truncated)?;
            let record = tail.get(width..end).ok_or(ImportError::Truncated)?;
            rest = &tail[end..];
            match tag {
                1 | 2 => {
                    let awaiting = if tag == 1 { Awaiting::PubAck } else { Awaiting::PubRec };
                    outgoing.push((awaiting, publish_from(record)?));
                }
                3 => {
                    let (&reason, packet) = record.split_first().ok_or(ImportError::Truncated)?;
                    let reason = ReasonCode::from_u8(reason).ok_or(DecodeError::InvalidReasonCode)?;
                    outgoing.push((Awaiting::PubComp(reason), publish_from(packet)?));
                }
                4 => {
                    let (&qos, packet) = record.split_first().ok_or(ImportError::Truncated)?;
                    queue.push((QoS::from_u8(qos)?, publish_from(packet)?));
                }
                5 => incoming.push(publish_from(record)?),
                _ => return Err(ImportError::UnknownRecord),
            }
        }
        let mut pids = PidSet::default();
        for (_, publish) in &outgoing {
            let pid = publish.qos_pid.packet_id().ok_or(ImportError::PacketId)?;
            if !pids.insert(pid) || self.pids.is_used(pid) {
                return Err(ImportError::PacketId);
            }
        }
        // Checked: from here on nothing fails. Restored publishes go ahead
        // of any the application made meanwhile (the client reads the state
        // while the page starts), in order.
        for (_, publish) in &outgoing {
            if let Some(pid) = publish.qos_pid.packet_id() {
                self.pids.reserve(pid);
            }
        }
        for (awaiting, publish) in outgoing.into_iter().rev() {
            let op = self.new_op();
            self.outgoing.push_front(Outgoing { op, publish: Box::new(publish), awaiting });
        }
        for (qos, publish) in queue.into_iter().rev() {
            let op = self.new_op();
            self.queue.push_front(Queued { op, qos, publish: Box::new(publish) });
        }
        for publish in incoming {
            if let Some(pid) = publish.qos_pid.packet_id() {
                self.incoming.insert(pid.get(), Box::new(publish));
            }
        }
        // A restored state comes from an earlier connection: resume it.
        self.connected_before = true;
        self.touched();
        Ok(())
    }
}
