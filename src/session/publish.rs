//! Application messages: the queue of publishes waiting to go out (offline,
//! or held back by the server's Receive Maximum), the QoS 1 and 2 publishes
//! in flight and their acknowledgements, incoming messages with the QoS 2
//! exactly-once hold, and what a reconnection does to all of them.
//!
//! ```text
//!  PUBLISH --> Awaiting::PubAck  --PUBACK-->  done
//!  PUBLISH --> Awaiting::PubRec  --PUBREC--> PUBREL --> Awaiting::PubComp --PUBCOMP--> done
//! ```

use alloc::boxed::Box;
use core::mem;

use crate::codec::{id, Ack, Packet, PacketId, Properties, Publish, QoS, QosPid, ReasonCode, Value};

use super::alias::Addressing;
use super::{violation, Event, Instant, OpId, PacketInfo, PublishAck, Session, SessionError, State};

/// How an accepted publish completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// A QoS 0 message written to the transmit buffer at once: complete,
    /// and no event follows.
    Written,
    /// Queued or in flight: `Event::PublishDone` of this id completes it.
    Pending(OpId),
}

/// A QoS 1 or 2 PUBLISH whose final acknowledgement has not arrived.
#[derive(Debug)]
pub(super) struct Outgoing {
    pub(super) op: OpId,
    pub(super) publish: Box<Publish>,
    pub(super) awaiting: Awaiting,
}

/// The acknowledgement an outgoing publish waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // named after the packets: PUBACK, PUBREC, PUBCOMP
pub(super) enum Awaiting {
    PubAck,
    PubRec,
    /// PUBREC came (with this reason); PUBREL sent.
    PubComp(ReasonCode),
}

/// A publish waiting to be sent (offline, or held back by flow control).
#[derive(Debug)]
pub(super) struct Queued {
    pub(super) op: OpId,
    pub(super) qos: QoS,
    /// Its `qos_pid` is set when it is sent.
    pub(super) publish: Box<Publish>,
}

impl Session {
    /// Encodes a PUBLISH, applying an outgoing topic alias if configured.
    pub(super) fn send_publish(&mut self, now: Instant, publish: &mut Publish) -> Result<(), SessionError> {
        let start = self.transmit.len();
        let version = self.config.protocol;
        let addressing = if self.config.auto_topic_alias {
            self.outbound_aliases.address(&publish.topic)
        } else {
            Addressing::Topic
        };
        let result = match addressing {
            Addressing::Topic => publish.encode(version, &mut self.transmit),
            Addressing::Define(alias) => {
                let r = publish.properties.set(id::TOPIC_ALIAS, Value::U16(alias));
                let r = r.and_then(|()| publish.encode(version, &mut self.transmit));
                publish.properties.remove(id::TOPIC_ALIAS);
                r
            }
            Addressing::Alias(alias) => {
                let topic = mem::take(&mut publish.topic);
                let r = publish.properties.set(id::TOPIC_ALIAS, Value::U16(alias));
                let r = r.and_then(|()| publish.encode(version, &mut self.transmit));
                publish.properties.remove(id::TOPIC_ALIAS);
                publish.topic = topic;
                r
            }
        };
        result?;
        self.sent(now, start, || PacketInfo::publish(publish))
    }

    /// Sends queued publishes while the connection and Receive Maximum allow.
    pub(super) fn flush_queue(&mut self, now: Instant) {
        while self.state == State::Connected {
            let Some(front) = self.queue.front() else { return };
            if front.qos != QoS::AtMostOnce && self.outgoing.len() >= usize::from(self.limits.receive_maximum) {
                return;
            }
            let Some(Queued { op, qos, mut publish }) = self.queue.pop_front() else { return };
            self.touched();
            if let Err(e) = self.check_limits(qos, &publish) {
                self.events.push_back(Event::PublishDone(op, Err(e)));
                continue;
            }
            let pid = match qos {
                QoS::AtMostOnce => None,
                _ => match self.pids.allocate() {
                    Some(pid) => Some(pid),
                    None => {
                        self.queue.push_front(Queued { op, qos, publish });
                        return;
                    }
                },
            };
            publish.qos_pid = pid.map_or(QosPid::AtMostOnce, |pid| QosPid::new(qos, pid));
            if let Err(e) = self.send_publish(now, &mut publish) {
                if let Some(pid) = pid {
                    self.pids.release(pid);
                }
                self.events.push_back(Event::PublishDone(op, Err(e)));
                continue;
            }
            let awaiting = match qos {
                QoS::AtMostOnce => {
                    let ack = PublishAck { packet_id: None, reason_code: None, properties: Properties::default() };
                    self.events.push_back(Event::PublishDone(op, Ok(ack)));
                    continue;
                }
                QoS::AtLeastOnce => Awaiting::PubAck,
                QoS::ExactlyOnce => Awaiting::PubRec,
            };
            self.outgoing.push_back(Outgoing { op, publish, awaiting });
            self.touched();
        }
    }

    /// The server's Maximum QoS and Retain Available [MQTT-3.2.2-11] [MQTT-3.2.2-14].
    pub(super) fn check_limits(&self, qos: QoS, publish: &Publish) -> Result<(), SessionError> {
        if qos > self.limits.maximum_qos {
            return Err(SessionError::Rejected(ReasonCode::QoSNotSupported));
        }
        if publish.retain && !self.limits.retain_available {
            return Err(SessionError::Rejected(ReasonCode::RetainNotSupported));
        }
        Ok(())
    }

    /// Where the outgoing publish with `pid` is. Identifiers are handed out
    /// in order (`PidAllocator`), so a publish usually sits as far from the
    /// front as its identifier is from the front one's: the search starts
    /// there, goes towards the front (publishes before it that completed out
    /// of order moved it there) and only then beyond. A scan from the front
    /// made each PUBREC of a QoS 2 burst pass every publish already awaiting
    /// its PUBCOMP: quadratic in the burst.
    fn outgoing_index(&self, pid: PacketId) -> Option<usize> {
        let front = self.outgoing.front()?.publish.qos_pid.packet_id()?;
        let distance =
            (usize::from(pid.get()) + usize::from(u16::MAX) - usize::from(front.get())) % usize::from(u16::MAX);
        let start = distance.min(self.outgoing.len() - 1);
        (0..=start)
            .rev()
            .chain(start + 1..self.outgoing.len())
            .find(|&i| self.outgoing[i].publish.qos_pid.packet_id() == Some(pid))
    }

    /// The outgoing publish with `pid`, if it awaits what `want` accepts.
    fn find_outgoing(&self, pid: PacketId, want: impl Fn(Awaiting) -> bool) -> Option<usize> {
        self.outgoing_index(pid).filter(|&i| want(self.outgoing[i].awaiting))
    }

    /// Finishes the outgoing publish at `i` and lets the queue move.
    fn complete_outgoing(&mut self, now: Instant, i: usize, result: Result<PublishAck, SessionError>) {
        if let Some(o) = self.outgoing.remove(i) {
            if let Some(pid) = o.publish.qos_pid.packet_id() {
                self.pids.release(pid);
            }
            self.touched();
            self.events.push_back(Event::PublishDone(o.op, result));
        }
        self.flush_queue(now);
    }

    pub(super) fn ack_result(ack: Ack) -> Result<PublishAck, SessionError> {
        if ack.reason_code.is_error() {
            return Err(SessionError::Rejected(ack.reason_code));
        }
        Ok(PublishAck {
            packet_id: Some(ack.packet_id),
            reason_code: Some(ack.reason_code),
            properties: ack.properties,
        })
    }

    /// Session resumed: resend unacknowledged PUBLISH (DUP set) and PUBREL,
    /// in their original order [MQTT-4.4.0-1].
    pub(super) fn resend_inflight(&mut self, now: Instant) {
        for mut o in mem::take(&mut self.outgoing) {
            let result = match (o.awaiting, o.publish.qos_pid.packet_id()) {
                (Awaiting::PubComp(_), Some(pid)) => self.send(now, &Packet::PubRel(Ack::new(pid))),
                _ => {
                    o.publish.dup = true;
                    self.send_publish(now, &mut o.publish)
                }
            };
            match result {
                Ok(()) => self.outgoing.push_back(o),
                // The server lowered its Maximum Packet Size since.
                Err(e) => {
                    if let Some(pid) = o.publish.qos_pid.packet_id() {
                        self.pids.release(pid);
                    }
                    self.events.push_back(Event::PublishDone(o.op, Err(e)));
                }
            }
        }
    }

    /// No session on the server: what was in flight is not known there. A
    /// QoS 2 message the server already acknowledged with PUBREC has been
    /// received, so it completes; the others go out again as new messages,
    /// ahead of the queue, in their order.
    pub(super) fn discard_session_state(&mut self) {
        self.touched();
        self.incoming.clear();
        for o in mem::take(&mut self.outgoing).into_iter().rev() {
            if let Some(pid) = o.publish.qos_pid.packet_id() {
                self.pids.release(pid);
            }
            if let (Awaiting::PubComp(reason), Some(pid)) = (o.awaiting, o.publish.qos_pid.packet_id()) {
                let ack =
                    PublishAck { packet_id: Some(pid), reason_code: Some(reason), properties: Properties::default() };
                self.events.push_back(Event::PublishDone(o.op, Ok(ack)));
                continue;
            }
            let qos = o.publish.qos_pid.qos();
            let mut publish = o.publish;
            publish.dup = false;
            self.queue.push_front(Queued { op: o.op, qos, publish });
        }
    }

    pub(super) fn handle_publish(&mut self, now: Instant, mut publish: Publish) -> Result<(), SessionError> {
        // The alias names the topic on this connection only: the message is
        // handed on with the topic, without the alias.
        if let Some(alias) = publish.properties.topic_alias() {
            publish.properties.remove(id::TOPIC_ALIAS);
            self.inbound_aliases
                .resolve(alias, &mut publish.topic)
                .map_err(|r| SessionError::Protocol(r, "invalid or unknown topic alias"))?;
        }
        match publish.qos_pid {
            QosPid::AtMostOnce => self.events.push_back(Event::Message(publish)),
            QosPid::AtLeastOnce(pid) => {
                self.events.push_back(Event::Message(publish));
                self.send(now, &Packet::PubAck(Ack::new(pid)))?;
            }
            QosPid::ExactlyOnce(pid) => {
                if !self.incoming.contains_key(&pid.get()) {
                    if self.incoming.len() >= usize::from(self.config.receive_maximum()) {
                        return Err(SessionError::Protocol(
                            ReasonCode::ReceiveMaximumExceeded,
                            "the server sent more unreleased QoS 2 messages than our Receive Maximum (maxUnreleasedMessages)",
                        ));
                    }
                    self.incoming.insert(pid.get(), Box::new(publish));
                    self.touched();
                }
                // A duplicate is acknowledged again and not delivered twice.
                self.send(now, &Packet::PubRec(Ack::new(pid)))?;
            }
        }
        Ok(())
    }

    /// PUBACK: a QoS 1 publish is done.
    pub(super) fn handle_puback(&mut self, now: Instant, ack: Ack) -> Result<(), SessionError> {
        self.final_ack(now, ack, |s| s == Awaiting::PubAck, "PUBACK for a packet identifier not awaiting one")
    }

    /// The last acknowledgement of an outgoing publish: it completes the
    /// publish that awaits it (`expected`); for any other it is a violation.
    fn final_ack(
        &mut self,
        now: Instant,
        ack: Ack,
        expected: impl Fn(Awaiting) -> bool,
        violation_text: &'static str,
    ) -> Result<(), SessionError> {
        let Some(i) = self.find_outgoing(ack.packet_id, expected) else {
            return Err(violation(violation_text));
        };
        self.complete_outgoing(now, i, Self::ack_result(ack));
        Ok(())
    }

    /// PUBREC: a QoS 2 publish was received; release it with PUBREL.
    pub(super) fn handle_pubrec(&mut self, now: Instant, ack: Ack) -> Result<(), SessionError> {
        let pid = ack.packet_id;
        let Some(i) = self.find_outgoing(pid, |s| s != Awaiting::PubAck) else {
            return Err(violation("PUBREC for a packet identifier not awaiting one"));
        };
        if ack.reason_code.is_error() {
            // A failed PUBREC ends the exchange [MQTT-4.3.3-4].
            self.complete_outgoing(now, i, Self::ack_result(ack));
            return Ok(());
        }
        self.outgoing[i].awaiting = Awaiting::PubComp(ack.reason_code);
        self.touched();
        self.send(now, &Packet::PubRel(Ack::new(pid)))
    }

    /// PUBCOMP: a QoS 2 publish is done.
    pub(super) fn handle_pubcomp(&mut self, now: Instant, ack: Ack) -> Result<(), SessionError> {
        let expected = |s| matches!(s, Awaiting::PubComp(_));
        self.final_ack(now, ack, expected, "PUBCOMP for a packet identifier not awaiting one")
    }

    /// PUBREL: the server releases a QoS 2 message, delivered now, once.
    pub(super) fn handle_pubrel(&mut self, now: Instant, ack: Ack) -> Result<(), SessionError> {
        let pid = ack.packet_id;
        let mut reply = Ack::new(pid);
        match self.incoming.remove(&pid.get()) {
            Some(message) => {
                self.touched();
                self.events.push_back(Event::Message(*message));
            }
            // Released before (the PUBCOMP was lost): say so in v5.
            None if self.config.protocol.is_v5() => reply.reason_code = ReasonCode::PacketIdentifierNotFound,
            None => {}
        }
        self.send(now, &Packet::PubComp(reply))
    }
}
