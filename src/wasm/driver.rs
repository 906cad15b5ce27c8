//! The driver: runs a [`Client`] on a [`Transport`] and one [`Timeout`],
//! for `MqttClient` (`client.rs`). It decides nothing: it executes the
//! client's [`Action`]s (open and close sockets, call the credentials
//! provider and the redirect policy, read and write the store), arms one
//! timer for the client's next deadline, and turns the client's events into
//! promise settlements and handler calls.
//!
//! Every entry point (a JS call, a socket event, a timer, a completed
//! store or provider call) does the same: borrow the driver, feed the
//! client, release the borrow, then `pump`: send what the session produced
//! (in one WebSocket frame), execute actions, re-arm the timer, and
//! dispatch events with no borrow held, so handlers may call back into the
//! client. Commands from JS do not pump at once: they schedule one pump per
//! turn of the event loop, which is how all the packets of one turn share
//! one `send`. Received frames come a burst at a time (`openSocket` in
//! host.js: the frames that arrived before the events already queued have
//! run, in one call), and what they produce (acknowledgements) is sent at
//! the end of that call, so a burst of messages is acknowledged in one
//! `send`, not one per frame. (Sending them from a second queued task
//! instead, so that later bursts could join, measured 5% slower for QoS 1
//! and QoS 2 with Chromium held to one core: the acknowledgements came
//! later, and the bursts were already whole.)

use alloc::rc::Rc;
use alloc::{borrow::ToOwned, string::String, vec::Vec};
use core::cell::RefCell;
use core::mem;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;

use super::convert;
use super::error::error_at;
use super::host::{
    deliver_message, emit_event, event_table, on_settled, operation_table, packet_summary, queue_microtask,
    reason_and_properties, reconnect_info, report_uncaught, settle_operation, settle_published, sub_ack, unsub_ack,
};
use super::options;
use super::store;
use super::timer::{now, Timeout};
use super::transport::{SocketEvent, Transport};
use crate::codec::{ByteString, Bytes};
use crate::session::{
    whole_millis, Action, Client, ClientEvent, Event, HandlerId, Instant, OpId, PacketInfo, SessionError, SocketId,
};

pub(super) struct Driver {
    pub(super) client: Client,
    /// The event handlers, by event (`eventTable` of host.js, which `on`,
    /// `off` and `emit` go through).
    pub(super) events: JsValue,
    /// Per-subscription message handlers (`subscribe(filter, opts,
    /// handler)`) by the id the client routes messages to.
    routed: Vec<(HandlerId, Function)>,
    next_handler: u32,
    /// The last message's topic and its JS string: a stream on one topic
    /// decodes it once.
    last_topic: Option<(String, JsValue)>,
    /// The last publish's topic, as the application passed it and as the
    /// codec holds it: a loop publishing to one topic converts it once.
    last_published: Option<(JsValue, ByteString)>,
    /// The socket of the client's last `Action::Open`, kept until it closes
    /// or the next one replaces it.
    transport: Option<(SocketId, Transport)>,
    timer: Option<(Instant, Timeout)>,
    /// The promises of the operations waiting for the client's answer, by
    /// id (`operationTable` of host.js): a pending operation holds nothing
    /// on this side.
    pub(super) operations: JsValue,
    pump_scheduled: bool,
    /// The clock as read by the first command of this JS turn (see
    /// `Driver::turn_time`); a pump forgets it.
    turn_time: Option<Instant>,
    /// The frames being read, while the pump that follows delivers their
    /// messages: a payload that lies in them is passed to JS as its offset,
    /// so that it becomes a view of the frame it came in rather than a copy
    /// (`payloadOf` in host.js). Held, not just its address, so that no
    /// other buffer can take that address meanwhile.
    burst: Option<Bytes>,
}

impl Driver {
    pub(super) fn new(client: Client) -> Self {
        Self {
            client,
            events: event_table(),
            routed: Vec::new(),
            next_handler: 0,
            last_topic: None,
            last_published: None,
            transport: None,
            timer: None,
            operations: operation_table(),
            pump_scheduled: false,
            turn_time: None,
            burst: None,
        }
    }

    /// Sends what the session has for the open socket, in one frame.
    fn transmit(&mut self) {
        let transport = &self.transport;
        self.client.transmit_with(|bytes| {
            if let Some((_, t)) = transport {
                // A failed send means the socket is closing: its close
                // event follows and ends the connection.
                let _ = t.send(bytes);
            }
        });
    }

    /// The id the client routes `handler`'s messages to: the same for the
    /// same function, so that it is called once per message however many
    /// subscriptions it was given to.
    pub(super) fn handler_id(&mut self, handler: &Function) -> HandlerId {
        if let Some((id, _)) = self.routed.iter().find(|(_, h)| h == handler) {
            return *id;
        }
        let id = HandlerId(self.next_handler);
        self.next_handler += 1;
        self.routed.push((id, handler.clone()));
        id
    }

    /// `topic` as a JS string, decoded only when it differs from the last.
    fn topic_value(&mut self, topic: &str) -> JsValue {
        match &self.last_topic {
            Some((last, value)) if last == topic => value.clone(),
            _ => {
                let value = JsValue::from(topic);
                self.last_topic = Some((topic.into(), value.clone()));
                value
            }
        }
    }

    /// A publish's topic: the last one again (`===`, one call) where it
    /// repeats, else read and checked from JS.
    pub(super) fn publish_topic(&mut self, topic: JsValue) -> Result<ByteString, JsValue> {
        match &self.last_published {
            Some((value, name)) if *value == topic => Ok(name.clone()),
            _ => {
                let name = ByteString::from(convert::topic(&topic, "topic")?);
                self.last_published = Some((topic, name.clone()));
                Ok(name)
            }
        }
    }

    /// The time for a command: the clock read once per JS turn, so that a
    /// loop of 20,000 publishes does not call `performance.now()` for each
    /// (it was 5% of such a loop). Every command schedules a pump, which
    /// forgets the reading, so it is never older than the turn; it only
    /// ever lags the clock, so time still never goes backwards.
    pub(super) fn turn_time(&mut self) -> Instant {
        *self.turn_time.get_or_insert_with(now)
    }

    /// Lets go of the handlers no subscription routes to any more.
    pub(super) fn forget_unrouted(&mut self) {
        let session = self.client.session();
        self.routed.retain(|(id, _)| session.routes_to(*id));
    }

    /// Lets go of the socket and the timer (the client was freed).
    pub(super) fn release(&mut self) {
        self.transport = None;
        self.timer = None;
    }
}

pub(super) struct Inner {
    driver: RefCell<Driver>,
    /// `credentialsProvider`.
    pub(super) credentials_provider: Option<Function>,
    /// `redirect`: maps a Server Reference to a URL.
    pub(super) redirect: Option<Function>,
}

impl Inner {
    pub(super) fn new(driver: Driver, credentials_provider: Option<Function>, redirect: Option<Function>) -> Self {
        Self { driver: RefCell::new(driver), credentials_provider, redirect }
    }

    /// The one place the driver is borrowed, for the length of `f`. Nothing
    /// run under it calls application code: handlers and promise callbacks
    /// run between borrows, so they may call back into the client.
    pub(super) fn with<R>(&self, f: impl FnOnce(&mut Driver) -> R) -> R {
        f(&mut self.driver.borrow_mut())
    }
}

/// Calls every handler of `event` with `arg` (none where it is
/// `undefined`), with the driver not borrowed: handlers may call back into
/// the client. What one throws is reported as uncaught, never swallowed.
fn emit(inner: &Rc<Inner>, event: &str, arg: &JsValue) {
    let events = inner.with(|d| d.events.clone());
    emit_event(&events, event, arg);
}

/// Feeds the client with the driver borrowed only for the call, then pumps.
fn feed(inner: &Rc<Inner>, input: impl FnOnce(&mut Client, Instant)) {
    inner.with(|d| input(&mut d.client, now()));
    pump(inner);
}

fn on_socket(inner: &Rc<Inner>, socket: SocketId, event: SocketEvent) {
    match event {
        SocketEvent::Open => feed(inner, |c, now| c.handle_open(now, socket)),
        SocketEvent::Data(bytes, at) => {
            let bytes = Bytes::from(bytes);
            inner.with(|d| {
                d.burst = Some(bytes.clone());
                d.client.handle_bytes(at, socket, bytes);
            });
            pump(inner);
            inner.with(|d| d.burst = None);
        }
        SocketEvent::Text => feed(inner, |c, now| c.handle_text_frame(now, socket)),
        SocketEvent::Closed { code } => {
            inner.with(|d| {
                if d.transport.as_ref().is_some_and(|(s, _)| *s == socket) {
                    d.transport = None;
                }
            });
            feed(inner, |c, now| c.handle_closed(now, socket, code));
        }
    }
}

/// Does what the client asked for.
fn execute(inner: &Rc<Inner>, action: Action) {
    match action {
        Action::Open { socket, url, protocol } => {
            let weak = Rc::downgrade(inner);
            let opened = Transport::open(&url, protocol, move |event| {
                if let Some(inner) = weak.upgrade() {
                    on_socket(&inner, socket, event);
                }
            });
            inner.with(|d| match opened {
                Ok(t) => d.transport = Some((socket, t)),
                // A URL the browser refuses: as a socket that failed at once.
                Err(_) => d.client.handle_closed(now(), socket, 1006),
            });
        }
        Action::Close { socket, bytes } => {
            inner.with(|d| {
                if let Some((s, t)) = &d.transport {
                    if *s == socket {
                        if !bytes.is_empty() {
                            let _ = t.send(&bytes);
                        }
                        t.close();
                    }
                }
            });
        }
        Action::FetchCredentials { socket } => {
            let Some(provider) = inner.credentials_provider.clone() else {
                return feed(inner, |c, now| c.handle_credentials(now, socket, Err(())));
            };
            // A provider that throws is a provider whose promise rejects.
            let promise = match provider.call0(&JsValue::UNDEFINED) {
                Ok(value) => Promise::resolve(&value),
                Err(e) => Promise::reject(&e),
            };
            let weak = Rc::downgrade(inner);
            on_settled(&promise, move |value| {
                // The provider's own error may hold secrets: it is not passed on.
                let credentials = value.and_then(|v| options::credentials(&v).map_err(drop));
                if let Some(inner) = weak.upgrade() {
                    feed(&inner, |c, now| c.handle_credentials(now, socket, credentials));
                }
            });
        }
        Action::ResolveRedirect { reference } => {
            // The policy's exception is the application's: reported, and
            // the reference refused.
            let url = inner
                .redirect
                .as_ref()
                .and_then(|f| {
                    f.call1(&JsValue::UNDEFINED, &reference.as_str().into()).map_err(|e| report_uncaught(&e)).ok()
                })
                .and_then(|url| url.as_string())
                .filter(|url| options::is_ws_url(url));
            inner.with(|d| d.client.handle_redirect(now(), url));
        }
        Action::Load { key } => {
            let weak = Rc::downgrade(inner);
            store::load(&key, move |loaded| {
                if let Some(inner) = weak.upgrade() {
                    feed(&inner, |c, now| c.handle_loaded(now, loaded));
                }
            });
        }
        Action::Save { key, bytes } => {
            let weak = Rc::downgrade(inner);
            store::save(&key, &bytes, move |saved| {
                if let Some(inner) = weak.upgrade() {
                    feed(&inner, |c, _| c.handle_saved(saved));
                }
            });
        }
    }
}

/// Bytes of commands from one JS turn held back for a shared send.
const SEND_AT: usize = 64 * 1024;

/// After a command: the commands of one JS turn share one send, from a pump
/// scheduled here, but not without bound: a loop of 20,000 1 KiB publishes
/// grew the buffer, and so wasm memory (which never shrinks), to 42 MB.
/// Past `SEND_AT` the bytes go to the socket at once, which queues them
/// outside wasm memory.
pub(super) fn schedule_pump(inner: &Rc<Inner>) {
    let first = inner.with(|d| {
        if d.client.transmit_len() >= SEND_AT {
            d.transmit();
        }
        !mem::replace(&mut d.pump_scheduled, true)
    });
    if !first {
        return;
    }
    let inner = inner.clone();
    // Runs as a microtask: after the current JS call returns, before any
    // other event, so every command of this turn shares one send.
    queue_microtask(&Closure::once_into_js(move || {
        inner.with(|d| d.pump_scheduled = false);
        pump(&inner);
    }));
}

/// Sends, executes actions, re-arms the timer and dispatches events until
/// the client is quiet.
pub(super) fn pump(inner: &Rc<Inner>) {
    inner.with(|d| d.turn_time = None);
    loop {
        inner.with(Driver::transmit);
        // Actions and events are taken one at a time, the driver borrowed
        // only for the take: executing and dispatching call into JS, which
        // may call back into the client (and start a pump of its own).
        let mut busy = false;
        while let Some(action) = inner.with(|d| d.client.poll_action()) {
            busy = true;
            execute(inner, action);
        }
        arm_timer(inner);
        while let Some(event) = inner.with(|d| d.client.poll_event()) {
            busy = true;
            dispatch(inner, event);
        }
        if !busy {
            return;
        }
    }
}

/// Arms the host timer for the client's next deadline. A timer already
/// armed for an earlier instant is kept: firing early is harmless (the
/// client ignores it and the timer is re-armed), and keepalive pushes the
/// deadline later on every send, which would otherwise re-arm it each time.
fn arm_timer(inner: &Rc<Inner>) {
    inner.with(|d| {
        let Some(deadline) = d.client.poll_timeout() else { return };
        if d.timer.as_ref().is_some_and(|(at, _)| *at <= deadline) {
            return;
        }
        let weak = Rc::downgrade(inner);
        let delay = deadline.as_millis().saturating_sub(now().as_millis());
        let timeout = Timeout::new(delay, move || {
            if let Some(inner) = weak.upgrade() {
                inner.with(|d| d.timer = None);
                feed(&inner, Client::handle_timeout);
            }
        });
        d.timer = Some((deadline, timeout));
    });
}

fn dispatch(inner: &Rc<Inner>, event: ClientEvent) {
    match event {
        ClientEvent::Session(event) => dispatch_session(inner, event),
        ClientEvent::ConnectDone(op, result) => settle(inner, op, |_| result.map(|ack| convert::connack(&ack))),
        ClientEvent::DisconnectDone(op) => settle(inner, op, |_| Ok(JsValue::UNDEFINED)),
        ClientEvent::Reconnect { attempt, delay, url } => {
            emit(inner, "reconnect", &reconnect_info(attempt, whole_millis(delay) as f64, &url));
        }
        ClientEvent::Close => emit(inner, "close", &JsValue::UNDEFINED),
        ClientEvent::Offline => emit(inner, "offline", &JsValue::UNDEFINED),
        ClientEvent::End => emit(inner, "end", &JsValue::UNDEFINED),
    }
}

/// Where `part` starts in `whole`, if it lies within it: a payload the
/// decoder shared from the frames being read. A payload it copied (a packet
/// that began in an earlier burst) lies elsewhere, and so does an empty one.
fn offset_in(whole: &[u8], part: &[u8]) -> Option<u32> {
    let (start, at) = (whole.as_ptr() as usize, part.as_ptr() as usize);
    let offset = at.checked_sub(start)?;
    (!part.is_empty() && offset + part.len() <= whole.len()).then_some(offset as u32)
}

/// What the session reported.
fn dispatch_session(inner: &Rc<Inner>, event: Event) {
    match event {
        Event::Connected(ack) => emit(inner, "connect", &convert::connack(&ack)),
        Event::Message(mut p) => {
            let mut ids = Vec::new();
            let (topic, at, events, routed) = inner.with(|d| {
                d.client.session().deliver(&mut p, &mut ids);
                let routed: Option<Array> = (!ids.is_empty()).then(|| {
                    ids.iter().filter_map(|id| d.routed.iter().find(|(i, _)| i == id)).map(|(_, h)| h.clone()).collect()
                });
                let at = d.burst.as_ref().and_then(|burst| offset_in(burst, &p.payload));
                (d.topic_value(&p.topic), at, d.events.clone(), routed)
            });
            let properties = (!p.properties.is_empty()).then(|| convert::properties(&p.properties));
            let (qos, pid) = (p.qos_pid.qos() as u8, p.qos_pid.packet_id().map(|pid| pid.get()));
            deliver_message(&topic, &p.payload, at, qos, p.retain, p.dup, pid, properties, &events, routed);
        }
        // The hot one (a burst settles 20,000): its result is built by the
        // same call into JS that resolves its promise.
        Event::PublishDone(op, Ok(ack)) => inner.with(|d| {
            let properties = (!ack.properties.is_empty()).then(|| convert::properties(&ack.properties));
            let (pid, reason) = (ack.packet_id.map(|pid| pid.get()), ack.reason_code.map(|r| r as u8));
            settle_published(&d.operations, op.get() as f64, pid, reason, properties);
        }),
        Event::PublishDone(op, Err(e)) => settle(inner, op, |_| Err(e)),
        Event::SubscribeDone(op, result) => {
            // The client dropped the routes of refused filters.
            inner.with(Driver::forget_unrouted);
            settle(inner, op, |table| {
                result.map(|ack| {
                    let codes = convert::reason_codes(&ack.reason_codes);
                    sub_ack(table, op.get() as f64, ack.packet_id.get(), &codes, ack.properties.wire())
                })
            })
        }
        Event::UnsubscribeDone(op, result) => settle(inner, op, |_| {
            result.map(|ack| {
                let codes = convert::reason_codes(&ack.reason_codes);
                unsub_ack(ack.packet_id.get(), &codes, ack.properties.wire())
            })
        }),
        Event::Auth(a) => emit(inner, "auth", &reason_and_properties(a.reason_code as u8, a.properties.wire())),
        Event::ServerDisconnect(d) => {
            emit(inner, "disconnect", &reason_and_properties(d.reason_code as u8, d.properties.wire()))
        }
        Event::Error(e) => emit(inner, "error", &connection_error(inner, e)),
        // The client handles the end of a connection and never passes it on.
        Event::Lost(_) => {}
        Event::PacketSent(info) => emit(inner, "packetsend", &packet_info(&info)),
        Event::PacketReceived(info) => emit(inner, "packetreceive", &packet_info(&info)),
    }
}

fn packet_info(info: &PacketInfo) -> JsValue {
    packet_summary(info.kind, info.packet_id, info.topic.as_deref(), info.qos)
}

/// Settles operation `op` with `result`, which is given the operation table
/// (a result may be built from what the operation was made with).
fn settle(inner: &Rc<Inner>, op: OpId, result: impl FnOnce(&JsValue) -> Result<JsValue, SessionError>) {
    let table = inner.with(|d| d.operations.clone());
    let (ok, value) = match result(&table) {
        Ok(value) => (true, value),
        Err(e) => (false, connection_error(inner, e)),
    };
    settle_operation(&table, op.get() as f64, ok, &value);
}

/// An `MqttError` naming the URL of the connection it is about.
fn connection_error(inner: &Rc<Inner>, e: SessionError) -> JsValue {
    let url = if e.is_connection() { inner.with(|d| d.client.url().to_owned()) } else { String::new() };
    error_at(e, &url)
}
