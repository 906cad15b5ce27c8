//! SUBSCRIBE and UNSUBSCRIBE: waiting to be sent, in flight, acknowledged;
//! the server's refusals and the registry of granted subscriptions that a
//! session without state on the server re-subscribes from.

use crate::codec::{
    PacketId, Properties, PropertyValues, ReasonCode, SubAck, Subscribe, Subscription, UnsubAck, Unsubscribe,
};
use alloc::{vec, vec::Vec};

use super::subscriptions::Entry;
use super::{violation, Event, Instant, OpId, PacketInfo, Session, SessionError, State};

/// A SUBSCRIBE or UNSUBSCRIBE, waiting to be sent or for its acknowledgement.
/// `op` is `None` for the session's own re-subscriptions.
#[derive(Debug)]
pub(super) struct Control {
    pub(super) op: Option<OpId>,
    pub(super) request: Request,
}

#[derive(Debug)]
pub(super) enum Request {
    Subscribe(Subscribe),
    Unsubscribe(Unsubscribe),
}

impl Request {
    pub(super) fn packet_id(&self) -> PacketId {
        match self {
            Self::Subscribe(s) => s.packet_id,
            Self::Unsubscribe(u) => u.packet_id,
        }
    }

    pub(super) fn set_packet_id(&mut self, pid: PacketId) {
        match self {
            Self::Subscribe(s) => s.packet_id = pid,
            Self::Unsubscribe(u) => u.packet_id = pid,
        }
    }
}

impl Session {
    /// What the server's CONNACK said it does not support: wildcards,
    /// shared subscriptions, subscription identifiers (MQTT 5.0 3.2.2.3.11-13).
    pub(super) fn check_subscribe_limits(&self, request: &Request) -> Result<(), SessionError> {
        let Request::Subscribe(s) = request else { return Ok(()) };
        let l = &self.limits;
        if !l.subscription_ids_available && !s.properties.subscription_identifiers.is_empty() {
            return Err(SessionError::Rejected(ReasonCode::SubscriptionIdentifiersNotSupported));
        }
        for sub in &s.subscriptions {
            if !l.shared_available && sub.filter.starts_with("$share/") {
                return Err(SessionError::Rejected(ReasonCode::SharedSubscriptionsNotSupported));
            }
            if !l.wildcards_available && sub.filter.contains(['+', '#']) {
                return Err(SessionError::Rejected(ReasonCode::WildcardSubscriptionsNotSupported));
            }
        }
        Ok(())
    }

    /// Sends pending SUBSCRIBE and UNSUBSCRIBE packets while connected.
    pub(super) fn flush_controls(&mut self, now: Instant) {
        while self.state == State::Connected {
            let Some(mut control) = self.controls_pending.pop_front() else { return };
            if let Err(e) = self.check_subscribe_limits(&control.request) {
                self.fail_control(control, e);
                continue;
            }
            let Some(pid) = self.pids.allocate() else {
                self.controls_pending.push_front(control);
                return;
            };
            control.request.set_packet_id(pid);
            let start = self.transmit.len();
            let version = self.config.protocol;
            let result = match &control.request {
                Request::Subscribe(s) => s.encode(version, &mut self.transmit).map(|()| "subscribe"),
                Request::Unsubscribe(u) => u.encode(version, &mut self.transmit).map(|()| "unsubscribe"),
            };
            let result = result.map_err(SessionError::from).and_then(|kind| {
                self.sent(now, start, || PacketInfo { kind, packet_id: Some(pid.get()), topic: None, qos: None })
            });
            match result {
                Ok(()) => self.controls_inflight.push(control),
                Err(e) => {
                    self.pids.release(pid);
                    self.fail_control(control, e);
                }
            }
        }
    }

    pub(super) fn fail_control(&mut self, control: Control, error: SessionError) {
        let event = match (control.op, control.request) {
            (Some(op), Request::Subscribe(_)) => Event::SubscribeDone(op, Err(error)),
            (Some(op), Request::Unsubscribe(_)) => Event::UnsubscribeDone(op, Err(error)),
            (None, _) => Event::Error(error),
        };
        self.events.push_back(event);
    }

    pub(super) fn take_control(&mut self, pid: PacketId) -> Option<Control> {
        let i = self.controls_inflight.iter().position(|c| c.request.packet_id() == pid)?;
        self.pids.release(pid);
        Some(self.controls_inflight.remove(i))
    }

    /// One SUBSCRIBE per subscription identifier, as identifiers are per packet.
    pub(super) fn queue_resubscribe(&mut self) {
        let mut groups: Vec<(Option<u32>, Vec<Subscription>)> = Vec::new();
        for e in self.subscriptions.entries() {
            let sub = Subscription { filter: e.filter.clone(), options: e.options };
            match groups.iter_mut().find(|(id, _)| *id == e.identifier) {
                Some((_, subs)) => subs.push(sub),
                None => groups.push((e.identifier, vec![sub])),
            }
        }
        for (id, subscriptions) in groups.into_iter().rev() {
            let properties = Properties::from(PropertyValues {
                subscription_identifiers: id.into_iter().collect(),
                ..PropertyValues::default()
            });
            let request = Request::Subscribe(Subscribe { packet_id: PacketId::MIN, properties, subscriptions });
            self.controls_pending.push_front(Control { op: None, request });
        }
    }

    /// Takes the SUBSCRIBE or UNSUBSCRIBE that `pid` acknowledges, if the
    /// acknowledgement fits it: the right kind (`subscribe`), and one reason
    /// code per filter when `codes` is given. An acknowledgement that does
    /// not fit fails the operation and the connection.
    pub(super) fn take_acknowledged(
        &mut self,
        pid: PacketId,
        subscribe: bool,
        codes: Option<usize>,
    ) -> Result<Control, SessionError> {
        let control = self.take_control(pid).ok_or(violation("SUBACK or UNSUBACK for an unknown packet identifier"))?;
        let filters = match &control.request {
            Request::Subscribe(s) if subscribe => s.subscriptions.len(),
            Request::Unsubscribe(u) if !subscribe => u.filters.len(),
            _ => {
                let e = violation("SUBACK answering UNSUBSCRIBE, or UNSUBACK answering SUBSCRIBE");
                self.fail_control(control, e);
                return Err(e);
            }
        };
        if codes.is_some_and(|n| n != filters) {
            let e = violation("SUBACK or UNSUBACK with a reason code count unlike the request's filters");
            self.fail_control(control, e);
            return Err(e);
        }
        Ok(control)
    }

    pub(super) fn handle_suback(&mut self, suback: SubAck) -> Result<(), SessionError> {
        let control = self.take_acknowledged(suback.packet_id, true, Some(suback.reason_codes.len()))?;
        let Request::Subscribe(request) = control.request else { return Ok(()) };
        let identifier = request.properties.subscription_identifiers.first().copied();
        for (sub, &reason) in request.subscriptions.into_iter().zip(&suback.reason_codes) {
            if reason.is_error() {
                self.subscriptions.remove(&sub.filter);
                if control.op.is_none() {
                    self.events.push_back(Event::Error(SessionError::Rejected(reason)));
                }
            } else {
                self.subscriptions.granted(Entry { filter: sub.filter, options: sub.options, identifier }, reason);
            }
        }
        if let Some(op) = control.op {
            self.events.push_back(Event::SubscribeDone(op, Ok(suback)));
        }
        Ok(())
    }

    pub(super) fn handle_unsuback(&mut self, mut unsuback: UnsubAck) -> Result<(), SessionError> {
        // MQTT 3.x UNSUBACK has no reason codes: one Success per filter.
        let v5 = self.config.protocol.is_v5();
        let control = self.take_acknowledged(unsuback.packet_id, false, v5.then_some(unsuback.reason_codes.len()))?;
        let Request::Unsubscribe(request) = control.request else { return Ok(()) };
        if !v5 {
            unsuback.reason_codes = vec![ReasonCode::Success; request.filters.len()];
        }
        for (filter, reason) in request.filters.iter().zip(&unsuback.reason_codes) {
            if !reason.is_error() {
                self.subscriptions.remove(filter);
            }
        }
        if let Some(op) = control.op {
            self.events.push_back(Event::UnsubscribeDone(op, Ok(unsuback)));
        }
        Ok(())
    }
}
