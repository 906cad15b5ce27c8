//! SUBSCRIBE and UNSUBSCRIBE: waiting to be sent, in flight, acknowledged;
//! the server's refusals and the registry of granted subscriptions that a
//! session without state on the server re-subscribes from.

use crate::codec::{
    id, topic, PacketId, Properties, ReasonCode, SubAck, Subscribe, Subscription, UnsubAck, Unsubscribe, Value,
};
use alloc::{vec, vec::Vec};

use super::routes::{self, HandlerId};
use super::subscriptions::Entry;
use super::{violation, Event, Instant, OpId, PacketInfo, Session, SessionError, State};

/// A SUBSCRIBE or UNSUBSCRIBE, waiting to be sent or for its acknowledgement.
/// `op` is `None` for the session's own re-subscriptions.
#[derive(Debug)]
pub(super) struct Control {
    pub(super) op: Option<OpId>,
    pub(super) request: Request,
    /// The handler a SUBSCRIBE's filters route to, and the sequence number
    /// of the first filter's route (see `routes`).
    pub(super) route: Option<(HandlerId, u64)>,
    /// Which filter of a split `subscribe()` this SUBSCRIBE carries.
    pub(super) part: Option<usize>,
}

impl Control {
    pub(super) fn new(op: Option<OpId>, request: Request) -> Self {
        Self { op, request, route: None, part: None }
    }
}

/// A `subscribe()` with a handler and several filters on v5, sent as one
/// SUBSCRIBE per filter so that each filter's subscription has an
/// identifier of its own (identifiers are per packet). It completes once,
/// with the SUBACKs put together in the order of its filters.
#[derive(Debug)]
pub(super) struct Split {
    pub(super) op: OpId,
    packet_id: Option<PacketId>,
    /// One per filter, `None` until its SUBACK or failure.
    reason_codes: Vec<Option<ReasonCode>>,
    properties: Properties,
    failed: bool,
}

impl Split {
    pub(super) fn new(op: OpId, filters: usize) -> Self {
        Self { op, packet_id: None, reason_codes: vec![None; filters], properties: Properties::NONE, failed: false }
    }
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
        let own_identifier = s.properties.subscription_identifiers().any(|id| !routes::is_clients(id));
        if !l.subscription_ids_available && own_identifier {
            return Err(SessionError::Rejected(ReasonCode::SubscriptionIdentifiersNotSupported));
        }
        for sub in &s.subscriptions {
            if !l.shared_available && sub.filter.starts_with("$share/") {
                return Err(SessionError::Rejected(ReasonCode::SharedSubscriptionsNotSupported));
            }
            if !l.wildcards_available && topic::scan_name(sub.filter.as_bytes()).wildcard {
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
            self.identify(&mut control);
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

    /// Gives a SUBSCRIBE with a handler an identifier of the client's own
    /// where the server allows identifiers and the application gave none, takes
    /// the client's away where the server does not allow them (a resubscribe
    /// on a new server), and tells the routes which identifier each filter's
    /// subscription carries from now on.
    fn identify(&mut self, control: &mut Control) {
        let Request::Subscribe(s) = &mut control.request else { return };
        let available = self.config.protocol.is_v5() && self.limits.subscription_ids_available;
        let first = s.properties.subscription_identifiers().next();
        if !available && first.is_some_and(routes::is_clients) {
            s.properties.remove(id::SUBSCRIPTION_IDENTIFIER);
        } else if available && first.is_none() && control.route.is_some() {
            if let Some(identifier) = self.routes.new_identifier() {
                // Below MAX_VARINT, so it is stored.
                let _ = s.properties.set(id::SUBSCRIPTION_IDENTIFIER, Value::U32(identifier));
            }
        }
        let identifier = s.properties.subscription_identifiers().next();
        for sub in &s.subscriptions {
            self.routes.sent(&sub.filter, identifier);
        }
    }

    pub(super) fn fail_control(&mut self, control: Control, error: SessionError) {
        match (control.op, control.request) {
            (Some(op), Request::Subscribe(s)) => {
                self.unroute(control.route, s.subscriptions.iter().map(|s| s.filter.as_str()));
                self.subscribe_done(op, control.part, Err(error));
            }
            (Some(op), Request::Unsubscribe(_)) => self.events.push_back(Event::UnsubscribeDone(op, Err(error))),
            (None, _) => self.events.push_back(Event::Error(error)),
        }
    }

    /// Removes the routes a SUBSCRIBE made for `filters` (refused or failed).
    fn unroute<'a>(&mut self, route: Option<(HandlerId, u64)>, filters: impl Iterator<Item = &'a str>) {
        let Some((_, first)) = route else { return };
        for (filter, seq) in filters.zip(first..) {
            self.routes.remove(filter, seq);
        }
    }

    /// Completes a `subscribe()`, or the part of a split one that `part` names.
    fn subscribe_done(&mut self, op: OpId, part: Option<usize>, result: Result<SubAck, SessionError>) {
        let Some(part) = part else {
            self.events.push_back(Event::SubscribeDone(op, result));
            return;
        };
        let Some(at) = self.splits.iter().position(|s| s.op == op) else { return };
        let split = &mut self.splits[at];
        match result {
            Ok(ack) => {
                split.packet_id.get_or_insert(ack.packet_id);
                split.reason_codes[part] = ack.reason_codes.first().copied();
                if !ack.properties.is_empty() {
                    split.properties = ack.properties;
                }
            }
            Err(e) => {
                split.reason_codes[part] = Some(ReasonCode::UnspecifiedError);
                if !split.failed {
                    split.failed = true;
                    self.events.push_back(Event::SubscribeDone(op, Err(e)));
                }
            }
        }
        if split.reason_codes.iter().any(Option::is_none) {
            return;
        }
        let split = self.splits.remove(at);
        if let (false, Some(packet_id)) = (split.failed, split.packet_id) {
            let reason_codes = split.reason_codes.into_iter().flatten().collect();
            let ack = SubAck { packet_id, properties: split.properties, reason_codes };
            self.events.push_back(Event::SubscribeDone(op, Ok(ack)));
        }
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
            match groups.iter_mut().find(|(identifier, _)| *identifier == e.identifier) {
                Some((_, subs)) => subs.push(sub),
                None => groups.push((e.identifier, vec![sub])),
            }
        }
        for (identifier, subscriptions) in groups.into_iter().rev() {
            let mut properties = Properties::NONE;
            if let Some(identifier) = identifier {
                // An identifier the server accepted before, so it is stored.
                let _ = properties.set(id::SUBSCRIPTION_IDENTIFIER, Value::U32(identifier));
            }
            let request = Request::Subscribe(Subscribe { packet_id: PacketId::MIN, properties, subscriptions });
            self.controls_pending.push_front(Control::new(None, request));
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
        let identifier = request.properties.subscription_identifiers().next();
        // The sequence number of each filter's route, if it has one.
        let mut seq = control.route.map(|(_, first)| first);
        for (sub, &reason) in request.subscriptions.into_iter().zip(&suback.reason_codes) {
            let route = seq;
            seq = seq.map(|s| s + 1);
            if reason.is_error() {
                self.subscriptions.remove(&sub.filter);
                if let Some(route) = route {
                    self.routes.remove(&sub.filter, route);
                }
                if control.op.is_none() {
                    self.events.push_back(Event::Error(SessionError::Rejected(reason)));
                }
            } else {
                self.subscriptions.granted(Entry { filter: sub.filter, options: sub.options, identifier }, reason);
            }
        }
        if let Some(op) = control.op {
            self.subscribe_done(op, control.part, Ok(suback));
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
