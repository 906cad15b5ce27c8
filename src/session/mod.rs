//! The client's protocol state machine, without IO.
//!
//! [`Session`] is fully deterministic: it contains no networking code and
//! never reads a clock. Its methods fall in four groups, as in quinn-proto:
//!
//! - getters (`&self`): [`Session::is_connected`], [`Session::client_id`], ...
//! - inputs: [`Session::handle_transport_open`], [`Session::handle_bytes`],
//!   [`Session::handle_timeout`], [`Session::handle_transport_closed`];
//! - application commands: [`Session::connect`], [`Session::publish`],
//!   [`Session::subscribe`], [`Session::unsubscribe`], [`Session::auth`],
//!   [`Session::disconnect`], [`Session::shutdown`];
//! - outputs: [`Session::poll_transmit`], [`Session::poll_timeout`],
//!   [`Session::poll_event`].
//!
//! After any input or command the driver calls, in this order,
//! `poll_transmit` (send the bytes, all in one frame), `poll_timeout` (re-arm
//! its one timer) and `poll_event` until it returns `None`. Time passed in
//! must never go backwards. Calling `handle_timeout` early is harmless.
//!
//! The lifecycle of one connection:
//!
//! ```text
//!  Idle --connect--> Opening --transport open / CONNECT--> AwaitConnAck
//!   ^                   |                                    |   ^ AUTH (v5)
//!   |                   | timeout, closed                    |   v
//!   +-------- Lost -----+-------- refused, timeout ----------+
//!   |                                                        | CONNACK 0x00
//!   +-------- Lost: keepalive, protocol error, closed --- Connected
//!
//!  any state --disconnect / shutdown--> Ended --connect--> Opening
//! ```
//!
//! This module holds the lifecycle and the dispatch of incoming packets;
//! `publish` holds application messages (queue, QoS 1 and 2 flows,
//! resumption), `control` SUBSCRIBE and UNSUBSCRIBE, `persist` the state
//! that outlives a page, `alias` topic aliases, `pid` packet identifiers,
//! `timer` the deadlines, `trie` topic-filter matching. Above the session,
//! `client` decides about connections: which server, when to retry or give
//! up, credentials, the durable store, `disconnect()` and `free()`.

mod alias;
mod backoff;
mod client;
mod config;
mod control;
mod error;
mod event;
mod map;
mod persist;
mod pid;
mod publish;
mod routes;
mod subscriptions;
mod time;
mod timer;
mod trie;

use alloc::collections::VecDeque;
use alloc::{boxed::Box, string::String, vec, vec::Vec};

use core::mem;
use core::time::Duration;

pub use backoff::Backoff;
pub use client::{Action, Client, ClientEvent, Credentials, Redirect, Settings, SocketId};
pub use config::Config;
pub use error::SessionError;
pub use event::{Event, OpId, PacketInfo, PublishAck};
pub use persist::ImportError;
pub use publish::Accepted;
pub use routes::{HandlerId, CLIENT_IDENTIFIERS};
pub use time::{whole_millis, Instant};
pub use trie::TopicTrie;

use crate::codec::topic::{validate_topic_filter, validate_topic_name};
use crate::codec::{
    id, Auth, Bytes, ConnAck, Connect, DecodeError, Decoder, Disconnect, Packet, PacketId, Properties, ProtocolVersion,
    Publish, QoS, QosPid, ReasonCode, Secret, Server, Subscribe, Subscription, SubscriptionOptions, Unsubscribe, Value,
};
use alias::{InboundAliases, OutboundAliases};
use control::{Control, Request, Split};
use map::VecMap;
use pid::PidAllocator;
use publish::{Awaiting, Outgoing, Queued};
use subscriptions::Registry;
use timer::{Timer, TimerTable};

/// Where the session is in the lifecycle drawn in the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not connected, and no attempt under way.
    Idle,
    /// Waiting for the transport to open.
    Opening,
    /// CONNECT sent, waiting for CONNACK.
    AwaitConnAck,
    Connected,
    /// Ended by `disconnect` or `shutdown`; `connect` starts over.
    Ended,
}

/// What the server said about itself in CONNACK, with the spec's defaults.
#[derive(Debug, Clone, Copy)]
struct ServerLimits {
    receive_maximum: u16,
    maximum_packet_size: u32,
    maximum_qos: QoS,
    retain_available: bool,
    wildcards_available: bool,
    shared_available: bool,
    subscription_ids_available: bool,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            receive_maximum: u16::MAX,
            maximum_packet_size: crate::codec::MAX_VARINT + 5,
            maximum_qos: QoS::ExactlyOnce,
            retain_available: true,
            wildcards_available: true,
            shared_available: true,
            subscription_ids_available: true,
        }
    }
}

/// One MQTT client session, across as many network connections as it takes.
#[derive(Debug)]
pub struct Session {
    config: Config,
    state: State,
    timers: TimerTable,
    decoder: Decoder<Server>,
    transmit: Vec<u8>,
    events: VecDeque<Event>,
    next_op: u64,
    trace: bool,

    // Per connection.
    keep_alive: Duration,
    limits: ServerLimits,
    /// The clean-start flag of the CONNECT in flight.
    sent_clean_start: bool,
    inbound_aliases: InboundAliases,
    outbound_aliases: OutboundAliases,

    // Per session.
    client_id: String,
    server_properties: Properties,
    pids: PidAllocator,
    outgoing: VecDeque<Outgoing>,
    queue: VecDeque<Queued>,
    controls_pending: VecDeque<Control>,
    controls_inflight: Vec<Control>,
    /// Incoming QoS 2 messages received but not yet released by PUBREL.
    /// Boxed: a release takes the oldest entry out of the front of the
    /// sorted vector, which moves every entry after it, and a broker
    /// without an inflight window keeps thousands unreleased.
    incoming: VecMap<u16, Box<Publish>>,
    subscriptions: Registry,
    /// Per-subscription handlers, and the identifier each filter carries.
    routes: routes::Routes,
    /// The split `subscribe()` calls not yet complete.
    splits: Vec<Split>,
    /// Whether a connection has ever been accepted.
    connected_before: bool,
    /// Bumped whenever what `export_state` returns changes.
    generation: u64,
    /// Where the server sent us (see `take_server_reference`).
    server_reference: Option<String>,
}

impl Session {
    pub fn new(config: Config) -> Self {
        // The limit is the smaller of ours and the one announced in CONNECT.
        let max_incoming = config
            .properties
            .maximum_packet_size()
            .map_or(config.max_incoming_packet_size, |announced| announced.min(config.max_incoming_packet_size));
        let decoder = Decoder::from_server(config.protocol, max_incoming);
        Self {
            client_id: config.client_id.clone(),
            config,
            state: State::Idle,
            timers: TimerTable::default(),
            decoder,
            transmit: Vec::new(),
            events: VecDeque::new(),
            next_op: 0,
            trace: false,
            keep_alive: Duration::ZERO,
            limits: ServerLimits::default(),
            sent_clean_start: true,
            inbound_aliases: InboundAliases::default(),
            outbound_aliases: OutboundAliases::default(),
            server_properties: Properties::default(),
            pids: PidAllocator::default(),
            outgoing: VecDeque::new(),
            queue: VecDeque::new(),
            controls_pending: VecDeque::new(),
            controls_inflight: Vec::new(),
            incoming: VecMap::default(),
            subscriptions: Registry::default(),
            routes: routes::Routes::default(),
            splits: Vec::new(),
            connected_before: false,
            generation: 0,
            server_reference: None,
        }
    }

    // ----- getters -------------------------------------------------------

    pub fn state(&self) -> State {
        self.state
    }

    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    pub fn protocol(&self) -> ProtocolVersion {
        self.config.protocol
    }

    /// The configured client identifier, or the one the server assigned.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The properties of the last accepted CONNACK.
    pub fn server_properties(&self) -> &Properties {
        &self.server_properties
    }

    /// QoS 1 and 2 publishes sent and not yet fully acknowledged.
    pub fn inflight_count(&self) -> usize {
        self.outgoing.len()
    }

    /// Publishes waiting to be sent.
    pub fn queued_count(&self) -> usize {
        self.queue.len()
    }

    /// Whether a granted subscription matches `topic`.
    pub fn is_subscribed(&self, topic: &str) -> bool {
        self.subscriptions.matches(topic)
    }

    // ----- settings ------------------------------------------------------

    /// Turns `PacketSent` / `PacketReceived` events on or off.
    pub fn set_trace(&mut self, on: bool) {
        self.trace = on;
    }

    /// Replaces the credentials used by the next CONNECT (token refresh).
    pub fn set_credentials(&mut self, username: Option<String>, password: Option<Secret>) {
        self.config.username = username;
        self.config.password = password;
    }

    // ----- outputs -------------------------------------------------------

    /// Everything to send, concatenated, so that one transport write carries
    /// all the packets of one turn.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        (!self.transmit.is_empty()).then(|| mem::take(&mut self.transmit))
    }

    /// Hands everything to send to `send` as [`Session::poll_transmit`]
    /// does, but borrowed, and keeps the buffer's capacity: a host whose
    /// write copies what it is given (a browser WebSocket) then fills one
    /// buffer again and again instead of growing a new one, doubling after
    /// doubling, for every write.
    pub fn transmit_with(&mut self, send: impl FnOnce(&[u8])) {
        if !self.transmit.is_empty() {
            send(&self.transmit);
            self.transmit.clear();
        }
    }

    /// How many bytes `poll_transmit` holds: a driver that sends later (to
    /// batch what several inputs produce) knows whether to schedule it, and
    /// when the batch has grown enough to send at once.
    pub fn transmit_len(&self) -> usize {
        self.transmit.len()
    }

    /// When `handle_timeout` must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    // ----- commands: connection ------------------------------------------

    /// Starts a connection attempt; the driver opens the transport and calls
    /// `handle_transport_open`. The connect timeout runs from now.
    pub fn connect(&mut self, now: Instant) -> Result<(), SessionError> {
        match self.state {
            State::Idle | State::Ended => {}
            _ => return Err(SessionError::InvalidArgument("already connecting or connected")),
        }
        self.state = State::Opening;
        self.timers.stop_connection();
        self.timers.set(Timer::ConnAck, now + self.config.connect_timeout);
        Ok(())
    }

    /// Sends DISCONNECT (when connected) and ends the session: every pending
    /// operation fails with `Closed`. No `Lost` event follows.
    pub fn disconnect(&mut self, now: Instant, disconnect: &Disconnect) -> Result<(), SessionError> {
        if matches!(self.state, State::AwaitConnAck | State::Connected) {
            self.send(now, &Packet::Disconnect(disconnect.clone()))?;
        }
        self.shutdown();
        Ok(())
    }

    /// Ends the session without a word to the server (the client gave up):
    /// every pending operation fails with `Closed`.
    pub fn shutdown(&mut self) {
        self.touched();
        self.state = State::Ended;
        self.timers.stop_connection();
        for o in mem::take(&mut self.outgoing) {
            self.events.push_back(Event::PublishDone(o.op, Err(SessionError::Closed)));
        }
        for q in mem::take(&mut self.queue) {
            self.events.push_back(Event::PublishDone(q.op, Err(SessionError::Closed)));
        }
        let controls: Vec<Control> =
            mem::take(&mut self.controls_inflight).into_iter().chain(mem::take(&mut self.controls_pending)).collect();
        for c in controls {
            self.fail_control(c, SessionError::Closed);
        }
        self.pids.clear();
        self.incoming.clear();
    }

    /// Sends AUTH: the next step of enhanced authentication, or a
    /// re-authentication (reason 0x19) once connected. MQTT 5.0 only.
    pub fn auth(&mut self, now: Instant, auth: Auth) -> Result<(), SessionError> {
        if !self.config.protocol.is_v5() {
            return Err(SessionError::InvalidArgument("AUTH needs MQTT 5.0"));
        }
        if !matches!(self.state, State::AwaitConnAck | State::Connected) {
            return Err(SessionError::NotConnected);
        }
        self.send(now, &Packet::Auth(auth))
    }

    // ----- commands: operations ------------------------------------------

    /// Notes a change to the durable state (see `persist`).
    fn touched(&mut self) {
        self.generation += 1;
    }

    fn new_op(&mut self) -> OpId {
        self.next_op += 1;
        OpId(self.next_op)
    }

    /// Whether an operation may be accepted now, sent or queued.
    fn admit(&self) -> Result<(), SessionError> {
        match self.state {
            State::Ended => Err(SessionError::Closed),
            State::Connected => Ok(()),
            _ if self.config.queue_while_offline => Ok(()),
            _ => Err(SessionError::NotConnected),
        }
    }

    /// Publishes an application message. A QoS 0 message written at once
    /// is complete on return ([`Accepted::Written`]); any other completes
    /// with `Event::PublishDone` of the id in [`Accepted::Pending`].
    pub fn publish(&mut self, now: Instant, mut publish: Publish, qos: QoS) -> Result<Accepted, SessionError> {
        validate_topic_name(&publish.topic)?;
        let props = &publish.properties;
        if props.topic_alias().is_some() {
            return Err(SessionError::InvalidArgument("topic aliases are assigned by the client (autoTopicAlias)"));
        }
        if props.subscription_identifiers().next().is_some() {
            return Err(SessionError::InvalidArgument(
                "a client must not send subscription identifiers [MQTT-3.3.4-6]",
            ));
        }
        if !props.is_empty() && !self.config.protocol.is_v5() {
            return Err(SessionError::InvalidArgument("publish properties need MQTT 5.0"));
        }
        self.admit()?;
        publish.dup = false;
        publish.qos_pid = QosPid::AtMostOnce;
        // Connected with nothing queued before it, a QoS 0 message goes out
        // now, in order, and nothing is left to wait for: the common case of
        // a dashboard's stream pays for no queue entry and no pending op.
        if qos == QoS::AtMostOnce && self.state == State::Connected && self.queue.is_empty() {
            self.check_limits(qos, &publish)?;
            self.send_publish(now, &mut publish)?;
            return Ok(Accepted::Written);
        }
        let op = self.new_op();
        self.queue.push_back(Queued { op, qos, publish: Box::new(publish) });
        self.touched();
        self.flush_queue(now);
        // Still queued (offline, or held back by Receive Maximum) and over
        // the bound: the queue is FIFO, so the one at the back is this one.
        if self.queue.len() > self.config.max_queued {
            self.queue.pop_back();
            return Err(SessionError::QueueFull);
        }
        Ok(Accepted::Pending(op))
    }

    /// Subscribes to one or more filters. Completion comes as
    /// `Event::SubscribeDone`; refused filters are reported in the SUBACK.
    pub fn subscribe(
        &mut self,
        now: Instant,
        subscriptions: Vec<Subscription>,
        properties: Properties,
    ) -> Result<OpId, SessionError> {
        self.subscribe_with(now, subscriptions, properties, None)
    }

    /// Subscribes as [`Session::subscribe`] does, and with `handler` routes
    /// the messages of these filters to it until they are unsubscribed or
    /// refused: [`Session::deliver`] names it for each message it is for,
    /// once per message on v5 (see `routes`). There a call with several
    /// filters and no identifier of the application's goes out as one
    /// SUBSCRIBE per filter, and still completes once.
    pub fn subscribe_with(
        &mut self,
        now: Instant,
        subscriptions: Vec<Subscription>,
        properties: Properties,
        handler: Option<HandlerId>,
    ) -> Result<OpId, SessionError> {
        if subscriptions.is_empty() {
            return Err(SessionError::InvalidArgument("subscribe needs at least one filter"));
        }
        for s in &subscriptions {
            validate_topic_filter(&s.filter)?;
        }
        let qos_only = |s: &Subscription| s.options == SubscriptionOptions { qos: s.options.qos, ..Default::default() };
        if !self.config.protocol.is_v5() && (!properties.is_empty() || !subscriptions.iter().all(qos_only)) {
            return Err(SessionError::InvalidArgument(
                "subscription options and properties other than QoS need MQTT 5.0",
            ));
        }
        if properties.subscription_identifiers().any(routes::is_clients) {
            return Err(SessionError::InvalidArgument(
                "subscriptionIdentifier must be below 268369920: the client assigns those above for handlers",
            ));
        }
        self.admit()?;
        let op = self.new_op();
        let Some(handler) = handler else {
            let request = Request::Subscribe(Subscribe { packet_id: PacketId::MIN, properties, subscriptions });
            return Ok(self.queue_control(now, op, request));
        };
        let first = self.routes.insert(subscriptions.iter().map(|s| s.filter.as_str()), handler);
        let subscribe = |properties, subscriptions| {
            Request::Subscribe(Subscribe { packet_id: PacketId::MIN, properties, subscriptions })
        };
        if self.config.protocol.is_v5()
            && properties.subscription_identifiers().next().is_none()
            && subscriptions.len() > 1
        {
            self.splits.push(Split::new(op, subscriptions.len()));
            for (i, sub) in subscriptions.into_iter().enumerate() {
                let request = subscribe(properties.clone(), vec![sub]);
                let route = Some((handler, first + i as u64));
                self.controls_pending.push_back(Control { route, part: Some(i), ..Control::new(Some(op), request) });
            }
        } else {
            let request = subscribe(properties, subscriptions);
            self.controls_pending
                .push_back(Control { route: Some((handler, first)), ..Control::new(Some(op), request) });
        }
        self.flush_controls(now);
        Ok(op)
    }

    /// Unsubscribes from one or more filters; completion comes as
    /// `Event::UnsubscribeDone`.
    pub fn unsubscribe(
        &mut self,
        now: Instant,
        filters: Vec<String>,
        properties: Properties,
    ) -> Result<OpId, SessionError> {
        if filters.is_empty() {
            return Err(SessionError::InvalidArgument("unsubscribe needs at least one filter"));
        }
        for f in &filters {
            validate_topic_filter(f)?;
        }
        if !properties.is_empty() && !self.config.protocol.is_v5() {
            return Err(SessionError::InvalidArgument("unsubscribe properties need MQTT 5.0"));
        }
        self.admit()?;
        // The filters' handlers stop at once, whatever the server answers.
        for f in &filters {
            self.routes.remove_filter(f);
        }
        let op = self.new_op();
        let request = Request::Unsubscribe(Unsubscribe { packet_id: PacketId::MIN, properties, filters });
        Ok(self.queue_control(now, op, request))
    }

    /// Queues a SUBSCRIBE or UNSUBSCRIBE the session admitted: sent now if
    /// connected.
    fn queue_control(&mut self, now: Instant, op: OpId, request: Request) -> OpId {
        self.controls_pending.push_back(Control::new(Some(op), request));
        self.flush_controls(now);
        op
    }

    /// The handlers a message is for, appended to `handlers`, first
    /// filter first; then takes the client's own Subscription Identifiers
    /// out of the message, so that the application sees only its own.
    /// Asked when the message is delivered, so that what a handler changes
    /// (an unsubscribe) applies to the next message already.
    pub fn deliver(&self, message: &mut Publish, handlers: &mut Vec<HandlerId>) {
        let mut identifiers = message.properties.subscription_identifiers();
        self.routes.handlers_for(&message.topic, identifiers.clone(), handlers);
        if identifiers.any(routes::is_clients) {
            // The identifiers only: another property's number may lie in that range too.
            message.properties.retain(&mut |p, v| match v {
                Value::U32(i) if p.id == id::SUBSCRIPTION_IDENTIFIER => !routes::is_clients(i),
                _ => true,
            });
        }
    }

    /// Whether any subscription still routes messages to `handler`.
    pub fn routes_to(&self, handler: HandlerId) -> bool {
        self.routes.contains(handler)
    }

    // ----- inputs --------------------------------------------------------

    /// The transport opened: send CONNECT.
    pub fn handle_transport_open(&mut self, now: Instant) {
        if self.state != State::Opening {
            return;
        }
        self.state = State::AwaitConnAck;
        self.decoder.reset();
        let c = &self.config;
        // A v5 session that outlives the connection is resumed on reconnect
        // even if the first connect started clean.
        let session_persists = !c.clean_start || c.properties.session_expiry_interval().is_some_and(|s| s > 0);
        self.sent_clean_start = c.clean_start && !(self.connected_before && session_persists);
        let connect = Connect {
            protocol: c.protocol,
            clean_start: self.sent_clean_start,
            keep_alive: c.keep_alive,
            client_id: self.client_id.clone(),
            will: c.will.clone(),
            username: c.username.clone(),
            password: c.password.clone(),
            properties: connect_properties(c),
        };
        if let Err(e) = self.send(now, &Packet::from(connect)) {
            self.lose(e, None);
        }
    }

    /// Bytes arrived from the server.
    /// Takes the buffer so that message payloads can share it.
    pub fn handle_bytes(&mut self, now: Instant, bytes: Bytes) {
        if !matches!(self.state, State::AwaitConnAck | State::Connected) {
            return;
        }
        let mut input = bytes;
        loop {
            match self.decoder.next_from_bytes(&mut input) {
                Ok(Some(packet)) => {
                    self.timers.stop(Timer::PingResp);
                    if self.trace {
                        self.events.push_back(Event::PacketReceived(PacketInfo::of(&packet)));
                    }
                    if let Err(e) = self.handle_packet(now, packet) {
                        let reason = e.reason_code();
                        self.lose(e, reason);
                    }
                    if !matches!(self.state, State::AwaitConnAck | State::Connected) {
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    self.lose(SessionError::Decode(e), Some(e.reason_code()));
                    return;
                }
            }
        }
    }

    /// The earliest deadline from `poll_timeout` has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.take_expired(now) {
            match timer {
                Timer::ConnAck => self.lose(SessionError::ConnectTimeout, None),
                Timer::PingResp => self.lose(SessionError::KeepAliveTimeout, None),
                // The client's timer: `take_expired` yields connection timers only.
                Timer::Reconnect => {}
                Timer::KeepAlive => {
                    // The answer to an earlier PINGREQ is still due by its own deadline.
                    if self.send(now, &Packet::PingReq).is_ok() && self.timers.get(Timer::PingResp).is_none() {
                        self.timers.set(Timer::PingResp, now + self.keep_alive);
                    }
                }
            }
        }
    }

    /// The transport closed, whoever closed it.
    pub fn handle_transport_closed(&mut self) {
        self.end_connection(SessionError::ConnectionLost);
    }

    /// Ends the connection or the attempt under way for `error`: the
    /// transport closed (with its close code) or never came (the
    /// credentials failed). A `Lost` with `error` follows.
    pub(crate) fn end_connection(&mut self, error: SessionError) {
        if matches!(self.state, State::Opening | State::AwaitConnAck | State::Connected) {
            self.lose(error, None);
        }
    }

    /// The Server Reference of the last CONNACK or DISCONNECT that sent the
    /// client elsewhere (0x9C Use another server, 0x9D Server moved), once.
    pub(crate) fn take_server_reference(&mut self) -> Option<String> {
        self.server_reference.take()
    }

    // ----- internals -----------------------------------------------------

    /// Ends the current connection: sends a v5 DISCONNECT with `reason` if
    /// one is given and CONNECT went out, and keeps what the session must
    /// keep for the next connection.
    fn lose(&mut self, error: SessionError, reason: Option<ReasonCode>) {
        if let Some(reason) = reason.filter(|_| self.config.protocol.is_v5()) {
            if matches!(self.state, State::AwaitConnAck | State::Connected) {
                let d = Disconnect { reason_code: reason, properties: Properties::default() };
                // Nothing to do if even that cannot be encoded: we close anyway.
                let _ = Packet::Disconnect(d).encode_from_client(self.config.protocol, &mut self.transmit);
            }
        }
        self.state = State::Idle;
        self.timers.stop_connection();
        // SUBSCRIBE and UNSUBSCRIBE are not resent by the protocol: retry them,
        // in their order, on the next connection.
        for mut c in mem::take(&mut self.controls_inflight).into_iter().rev() {
            self.pids.release(c.request.packet_id());
            c.request.set_packet_id(PacketId::MIN);
            self.controls_pending.push_front(c);
        }
        self.events.push_back(Event::Lost(error));
    }

    /// Encodes `packet` into the transmit buffer, refusing what exceeds the
    /// server's Maximum Packet Size, and restarts the keepalive interval.
    fn send(&mut self, now: Instant, packet: &Packet) -> Result<(), SessionError> {
        let start = self.transmit.len();
        packet.encode_from_client(self.config.protocol, &mut self.transmit)?;
        self.sent(now, start, || PacketInfo::of(packet))
    }

    fn sent(&mut self, now: Instant, start: usize, info: impl FnOnce() -> PacketInfo) -> Result<(), SessionError> {
        let len = self.transmit.len() - start;
        if u32::try_from(len).map_or(true, |len| len > self.limits.maximum_packet_size) {
            self.transmit.truncate(start);
            return Err(SessionError::PacketTooLarge);
        }
        if self.state == State::Connected && !self.keep_alive.is_zero() {
            self.timers.set(Timer::KeepAlive, now + self.keep_alive);
        }
        if self.trace {
            self.events.push_back(Event::PacketSent(info()));
        }
        Ok(())
    }

    fn handle_packet(&mut self, now: Instant, packet: Packet) -> Result<(), SessionError> {
        let connected = self.state == State::Connected;
        match packet {
            Packet::ConnAck(connack) if !connected => self.handle_connack(now, connack),
            Packet::Auth(auth) => self.handle_auth(auth),
            Packet::Disconnect(d) => {
                let reason = d.reason_code;
                self.note_redirect(reason, &d.properties);
                self.events.push_back(Event::ServerDisconnect(d));
                self.lose(SessionError::ServerDisconnected(reason), None);
                Ok(())
            }
            _ if !connected => Err(violation("the server sent a packet before CONNACK")),
            Packet::Publish(publish) => self.handle_publish(now, publish),
            Packet::PubAck(ack) => self.handle_puback(now, ack),
            Packet::PubRec(ack) => self.handle_pubrec(now, ack),
            Packet::PubComp(ack) => self.handle_pubcomp(now, ack),
            Packet::PubRel(ack) => self.handle_pubrel(now, ack),
            Packet::SubAck(suback) => self.handle_suback(suback),
            Packet::UnsubAck(unsuback) => self.handle_unsuback(unsuback),
            Packet::PingResp => Ok(()),
            Packet::ConnAck(_) => Err(violation("the server sent a second CONNACK")),
            // Refused by the decoder already (`Decoder::from_server`).
            Packet::Connect(_) | Packet::Subscribe(_) | Packet::Unsubscribe(_) | Packet::PingReq => {
                Err(SessionError::Decode(DecodeError::ClientOnlyPacket))
            }
        }
    }

    fn handle_connack(&mut self, now: Instant, connack: ConnAck) -> Result<(), SessionError> {
        if connack.reason_code.is_error() {
            self.note_redirect(connack.reason_code, &connack.properties);
            self.lose(SessionError::ConnectionRefused(connack.reason_code), None);
            return Ok(());
        }
        if connack.session_present && self.sent_clean_start {
            // [MQTT-3.2.2-4] (v5): a session we did not ask for.
            return Err(violation("CONNACK with Session Present after a clean start"));
        }
        let p = &connack.properties;
        let d = ServerLimits::default();
        self.limits = ServerLimits {
            receive_maximum: p.receive_maximum().unwrap_or(d.receive_maximum),
            maximum_packet_size: p.maximum_packet_size().unwrap_or(d.maximum_packet_size),
            maximum_qos: p.maximum_qos().unwrap_or(d.maximum_qos),
            retain_available: p.retain_available().unwrap_or(d.retain_available),
            wildcards_available: p.wildcard_subscription_available().unwrap_or(d.wildcards_available),
            shared_available: p.shared_subscription_available().unwrap_or(d.shared_available),
            subscription_ids_available: p.subscription_identifier_available().unwrap_or(d.subscription_ids_available),
        };
        if let Some(id) = p.assigned_client_identifier() {
            self.client_id = id.into();
        }
        self.keep_alive = Duration::from_secs(u64::from(p.server_keep_alive().unwrap_or(self.config.keep_alive)));
        self.outbound_aliases.reset(p.topic_alias_maximum().unwrap_or(0));
        self.inbound_aliases.reset(self.config.properties.topic_alias_maximum().unwrap_or(0));
        self.server_properties = p.clone();
        self.state = State::Connected;
        self.timers.stop(Timer::ConnAck);
        if !self.keep_alive.is_zero() {
            self.timers.set(Timer::KeepAlive, now + self.keep_alive);
        }
        let resubscribe = self.config.resubscribe && self.connected_before && !connack.session_present;
        self.connected_before = true;
        let session_present = connack.session_present;
        self.events.push_back(Event::Connected(connack));
        if session_present {
            self.resend_inflight(now);
        } else {
            self.discard_session_state();
            if resubscribe {
                self.queue_resubscribe();
            }
        }
        self.flush_controls(now);
        self.flush_queue(now);
        Ok(())
    }

    /// Keeps the Server Reference of a refusal or DISCONNECT that names
    /// another server [MQTT-4.11], for the client's next attempt.
    fn note_redirect(&mut self, reason: ReasonCode, properties: &Properties) {
        if matches!(reason, ReasonCode::UseAnotherServer | ReasonCode::ServerMoved) {
            self.server_reference = properties.server_reference().map(Into::into);
        }
    }

    fn handle_auth(&mut self, auth: Auth) -> Result<(), SessionError> {
        if self.config.properties.authentication_method().is_none() {
            return Err(violation("AUTH without an authentication method [MQTT-4.12.0-1]"));
        }
        let expected = match self.state {
            State::AwaitConnAck => auth.reason_code == ReasonCode::ContinueAuthentication,
            _ => matches!(auth.reason_code, ReasonCode::ContinueAuthentication | ReasonCode::Success),
        };
        if !expected {
            return Err(violation("AUTH with a reason code not expected now"));
        }
        self.events.push_back(Event::Auth(auth));
        Ok(())
    }
}

/// The v5 CONNECT properties: the configured ones, with our Maximum Packet
/// Size and Receive Maximum announced (unless given, or the spec's default
/// of 65,535), so a compliant server never sends a packet we would have to
/// refuse [MQTT-3.1.2-24], nor more unreleased QoS 2 messages than we hold.
fn connect_properties(c: &Config) -> Properties {
    let mut properties = c.properties.clone();
    if c.protocol.is_v5() {
        // Values of their kinds, so they are stored.
        if properties.maximum_packet_size().is_none() {
            let _ = properties.set(id::MAXIMUM_PACKET_SIZE, Value::U32(c.max_incoming_packet_size));
        }
        let receive_maximum = c.receive_maximum();
        if receive_maximum != u16::MAX {
            let _ = properties.set(id::RECEIVE_MAXIMUM, Value::U16(receive_maximum));
        }
    }
    properties
}

fn violation(what: &'static str) -> SessionError {
    SessionError::Protocol(ReasonCode::ProtocolError, what)
}
