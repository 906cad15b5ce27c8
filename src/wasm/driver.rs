//! The driver: runs a [`Session`] on a [`Transport`] and one [`Timeout`],
//! for `MqttClient` (`client.rs`).
//!
//! Every entry point (a JS call, a socket event, a timer) does the same:
//! borrow the driver, feed the session, release the borrow, then `pump`:
//! send what the session produced (in one WebSocket frame), re-arm the timer,
//! and dispatch its events (settle promises, call handlers) with no borrow
//! held, so handlers may call back into the client. Commands from JS do not
//! pump at once: they schedule one pump per turn of the event loop, which
//! is how all the packets of one turn share one `send`. What received
//! frames produce (acknowledgements) is sent once the frames already
//! waiting have been handled, so a burst of messages is acknowledged in one
//! `send`, not one per frame (see [`Transmit`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise};
use wasm_bindgen::prelude::*;

use super::convert::{self, set};
use super::error::{error, invalid, socket_closed, storage};
use super::options;
use super::store;
use super::timer::{now, Timeout};
use super::transport::{SocketEvent, Transport};
use crate::session::{Backoff, Event, Instant, OpId, PacketInfo, Session, SessionError, State, TopicTrie};

pub(super) struct Resolvers {
    pub(super) resolve: Function,
    pub(super) reject: Function,
}

impl Resolvers {
    pub(super) fn resolve(self, value: &JsValue) {
        let _ = self.resolve.call1(&JsValue::UNDEFINED, value);
    }

    pub(super) fn reject(self, value: &JsValue) {
        let _ = self.reject.call1(&JsValue::UNDEFINED, value);
    }
}

/// A promise and the functions that settle it.
pub(super) fn deferred() -> (Promise, Option<Resolvers>) {
    let mut slot = None;
    let promise = Promise::new(&mut |resolve, reject| slot = Some(Resolvers { resolve, reject }));
    (promise, slot)
}

/// An operation waiting for the session's answer.
pub(super) struct PendingOp {
    pub(super) resolvers: Resolvers,
    /// The filters of a SUBSCRIBE, to name them in `granted`.
    pub(super) filters: Vec<String>,
    /// The SUBSCRIBE's own message handler, dropped again for filters the
    /// server refuses.
    pub(super) handler: Option<Function>,
}

pub(super) struct Driver {
    pub(super) session: Session,
    pub(super) urls: Vec<String>,
    /// Which of `urls` the next attempt uses.
    pub(super) url_index: usize,
    pub(super) credentials_provider: Option<Function>,
    pub(super) backoff: Backoff,
    pub(super) max_reconnect_attempts: u32,
    pub(super) transport: Option<Transport>,
    /// Identifies the current socket; events of older ones are ignored.
    pub(super) generation: u64,
    pub(super) timer: Option<(Instant, Timeout)>,
    pub(super) reconnect_timer: Option<Timeout>,
    /// Automatic reconnect attempts that failed in a row.
    pub(super) failed_attempts: u32,
    /// The current connection attempt, or connection, came from an
    /// automatic reconnect (not from `connect()` / `reconnect()`).
    pub(super) reconnecting: bool,
    pub(super) connected_at: Option<Instant>,
    pub(super) last_connack: JsValue,
    pub(super) last_close_code: u16,
    pub(super) connect_waiters: Vec<Resolvers>,
    pub(super) disconnect_waiters: Vec<Resolvers>,
    /// `disconnect()` is closing the socket.
    pub(super) ending: bool,
    pub(super) ops: HashMap<OpId, PendingOp>,
    pub(super) pump_scheduled: bool,
    /// A [`Transmit::AfterQueuedEvents`] send is scheduled.
    pub(super) flush_scheduled: bool,
    /// `store: "indexeddb"`.
    pub(super) durable: Option<Durable>,
}

impl Driver {
    /// Sends what the session has for the socket, in one frame; with no
    /// socket it is dropped (the session resends what it must after a
    /// reconnect).
    pub(super) fn transmit(&mut self) {
        if let (Some(t), Some(bytes)) = (&self.transport, self.session.poll_transmit()) {
            // A failed send means the socket is closing: its close event
            // follows and ends the connection.
            let _ = t.send(&bytes);
        }
    }
}

/// Where the durable state stands (see `Session::export_state`).
pub(super) struct Durable {
    /// The IndexedDB key: the client id.
    pub(super) key: String,
    /// The stored state was read and imported into the session. Until then
    /// nothing is saved (it would overwrite it) and no connection starts.
    pub(super) loaded: bool,
    /// A read is in flight.
    pub(super) loading: bool,
    /// A write is in flight; the next one waits for it.
    pub(super) saving: bool,
    /// The session's state generation last written.
    pub(super) saved: u64,
    /// A `connect()` waits for the load.
    pub(super) connect_after_load: bool,
}

pub(super) struct Inner {
    pub(super) driver: RefCell<Driver>,
    /// Event handlers, `(event, handler)` in the order added. Shared, so
    /// that `emit` can hold the list while handlers run (and add or remove
    /// handlers, which copies it) without copying it for every event.
    pub(super) handlers: RefCell<Rc<Vec<(String, Function)>>>,
    /// Per-subscription message handlers (`subscribe(filter, opts, handler)`).
    pub(super) subscription_handlers: RefCell<TopicTrie<Function>>,
}

/// Removes `handler` from `filters` (a refused or failed subscription).
pub(super) fn drop_handler(inner: &Rc<Inner>, filters: &[String], handler: &Function) {
    let mut trie = inner.subscription_handlers.borrow_mut();
    for f in filters {
        trie.remove_where(f, |h| h == handler);
    }
}

pub(super) fn fail_connect_waiters(inner: &Rc<Inner>, err: &JsValue) {
    let waiters = std::mem::take(&mut inner.driver.borrow_mut().connect_waiters);
    for w in waiters {
        w.reject(err);
    }
}

/// Calls every handler of `event`. A throwing handler does not stop the
/// others, nor the client.
pub(super) fn emit(inner: &Rc<Inner>, event: &str, args: &[JsValue]) {
    let handlers = Rc::clone(&inner.handlers.borrow());
    for (_, h) in handlers.iter().filter(|(e, _)| e == event) {
        let _ = match args {
            [] => h.call0(&JsValue::UNDEFINED),
            [a] => h.call1(&JsValue::UNDEFINED, a),
            [a, b, c, ..] => h.call3(&JsValue::UNDEFINED, a, b, c),
            [a, b] => h.call2(&JsValue::UNDEFINED, a, b),
        };
    }
}

/// Starts a connection attempt: the credentials provider first (if any),
/// then the socket. The session's connect timeout covers both.
pub(super) fn start_attempt(inner: &Rc<Inner>) {
    let provider = {
        let mut d = inner.driver.borrow_mut();
        if let Err(e) = d.session.connect(now()) {
            drop(d);
            fail_connect_waiters(inner, &error(e));
            return;
        }
        d.generation += 1;
        d.credentials_provider.clone()
    };
    pump(inner);
    let Some(provider) = provider else {
        open_socket(inner, None);
        return;
    };
    let weak = Rc::downgrade(inner);
    let generation = inner.driver.borrow().generation;
    wasm_bindgen_futures::spawn_local(async move {
        let result = match provider.call0(&JsValue::UNDEFINED) {
            Ok(value) => wasm_bindgen_futures::JsFuture::from(Promise::resolve(&value)).await,
            Err(e) => Err(e),
        };
        let Some(inner) = weak.upgrade() else { return };
        {
            let d = inner.driver.borrow();
            if d.generation != generation || d.session.state() != State::Opening {
                return; // timed out or ended meanwhile
            }
        }
        match result.and_then(options::credentials) {
            Ok(creds) => open_socket(&inner, Some(creds)),
            Err(_) => {
                // The provider's own error may hold secrets: do not pass it on.
                let e = invalid("credentialsProvider failed");
                inner.driver.borrow_mut().session.handle_transport_closed();
                emit(&inner, "error", &[e]);
                pump(&inner);
            }
        }
    });
}

fn open_socket(inner: &Rc<Inner>, creds: Option<options::Credentials>) {
    let opened = {
        let mut guard = inner.driver.borrow_mut();
        let d = &mut *guard;
        if let Some(creds) = creds {
            if let Some(url) = creds.url {
                let i = d.url_index % d.urls.len().max(1);
                if let Some(slot) = d.urls.get_mut(i) {
                    *slot = url;
                }
            }
            if creds.username.is_some() || creds.password.is_some() {
                d.session.set_credentials(creds.username, creds.password);
            }
        }
        let url = d.urls.get(d.url_index % d.urls.len().max(1)).cloned().unwrap_or_default();
        let protocol = d.session.protocol().websocket_protocol();
        let generation = d.generation;
        let weak = Rc::downgrade(inner);
        let t = Transport::open(&url, protocol, move |event| {
            if let Some(inner) = weak.upgrade() {
                on_socket(&inner, generation, event);
            }
        });
        match t {
            Ok(t) => {
                d.transport = Some(t);
                true
            }
            Err(_) => {
                d.last_close_code = 1006;
                false
            }
        }
    };
    if !opened {
        inner.driver.borrow_mut().session.handle_transport_closed();
        pump(inner);
    }
}

fn on_socket(inner: &Rc<Inner>, generation: u64, event: SocketEvent) {
    {
        let mut d = inner.driver.borrow_mut();
        if d.generation != generation {
            return;
        }
        match event {
            SocketEvent::Open => d.session.handle_transport_open(now()),
            SocketEvent::Data(bytes) => {
                d.session.handle_bytes(now(), bytes.into());
                drop(d);
                pump_as(inner, Transmit::AfterQueuedEvents);
                return;
            }
            SocketEvent::Closed { code } => {
                d.transport = None;
                d.last_close_code = code;
                if d.ending {
                    d.ending = false;
                    let waiters = std::mem::take(&mut d.disconnect_waiters);
                    drop(d);
                    for w in waiters {
                        w.resolve(&JsValue::UNDEFINED);
                    }
                    emit(inner, "close", &[]);
                    emit(inner, "end", &[]);
                    return;
                }
                d.session.handle_transport_closed();
            }
        }
    }
    pump(inner);
}

/// Bytes of commands from one JS turn held back for a shared send.
const SEND_AT: usize = 64 * 1024;

/// After a command: the commands of one JS turn share one send, from a pump
/// scheduled here, but not without bound: a loop of 20,000 1 KiB publishes
/// grew the buffer, and so wasm memory (which never shrinks), to 42 MB.
/// Past `SEND_AT` the bytes go to the socket at once, which queues them
/// outside wasm memory.
pub(super) fn schedule_pump(inner: &Rc<Inner>) {
    let mut d = inner.driver.borrow_mut();
    if d.session.transmit_len() >= SEND_AT {
        d.transmit();
    }
    if d.pump_scheduled {
        return;
    }
    d.pump_scheduled = true;
    let inner = inner.clone();
    // Runs as a microtask: after the current JS call returns, before any
    // other event, so every command of this turn shares one send.
    wasm_bindgen_futures::spawn_local(async move {
        inner.driver.borrow_mut().pump_scheduled = false;
        pump(&inner);
    });
}

/// Reads the durable state, if the client has a store, and imports it into
/// the session; then starts a `connect()` that waited for it. A store that
/// fails leaves the client in memory, with a `Storage` error event.
pub(super) fn load_durable(inner: &Rc<Inner>) {
    let key = match &mut inner.driver.borrow_mut().durable {
        Some(d) if !d.loaded && !d.loading => {
            d.loading = true;
            d.key.clone()
        }
        _ => return,
    };
    let weak = Rc::downgrade(inner);
    wasm_bindgen_futures::spawn_local(async move {
        let loaded = store::load(&key).await;
        let Some(inner) = weak.upgrade() else { return };
        let (problem, connect) = {
            let mut guard = inner.driver.borrow_mut();
            let d = &mut *guard;
            let problem = match &loaded {
                Ok(Some(bytes)) => d
                    .session
                    .import_state(bytes)
                    .err()
                    .map(|_| "the stored session state is unreadable; starting empty"),
                Ok(None) => None,
                Err(_) => Some("IndexedDB is not available; the session stays in memory"),
            };
            if loaded.is_err() {
                d.durable = None;
            }
            let connect = match &mut d.durable {
                Some(s) => {
                    s.loaded = true;
                    s.loading = false;
                    std::mem::take(&mut s.connect_after_load)
                }
                None => true,
            };
            (problem, connect && !d.connect_waiters.is_empty())
        };
        if let Some(message) = problem {
            emit(&inner, "error", &[storage(message)]);
        }
        if connect {
            start_attempt(&inner);
        }
        pump(&inner);
    });
}

/// Whether `connect()` must wait for the durable state to load (starting
/// the load if none is under way).
pub(super) fn wait_for_load(inner: &Rc<Inner>) -> bool {
    let wait = match &mut inner.driver.borrow_mut().durable {
        Some(d) if !d.loaded => {
            d.connect_after_load = true;
            true
        }
        _ => false,
    };
    if wait {
        load_durable(inner);
    }
    wait
}

/// The client ends by failure, not by `disconnect()`: what is stored stays
/// stored (the session is about to drop it from memory), and the next
/// `connect()` reads it again.
fn keep_durable_state(inner: &Rc<Inner>) {
    if let Some(d) = &mut inner.driver.borrow_mut().durable {
        d.loaded = false;
    }
}

/// Writes the durable state if it changed since the last write; one write
/// at a time, the next one starting when it completes.
fn save_durable(inner: &Rc<Inner>) {
    let (key, bytes, generation) = {
        let mut guard = inner.driver.borrow_mut();
        let d = &mut *guard;
        let generation = d.session.state_generation();
        match &mut d.durable {
            Some(s) if s.loaded && !s.saving && s.saved != generation => {
                s.saving = true;
                (s.key.clone(), d.session.export_state(), generation)
            }
            _ => return,
        }
    };
    let weak = Rc::downgrade(inner);
    wasm_bindgen_futures::spawn_local(async move {
        let saved = store::save(&key, &bytes).await;
        let Some(inner) = weak.upgrade() else { return };
        let failed = {
            let mut d = inner.driver.borrow_mut();
            match (&mut d.durable, saved.is_ok()) {
                (Some(s), true) => {
                    s.saving = false;
                    s.saved = generation;
                    false
                }
                (Some(_), false) => {
                    d.durable = None;
                    true
                }
                (None, _) => false,
            }
        };
        if failed {
            emit(&inner, "error", &[storage("writing to IndexedDB failed; the session stays in memory")]);
        } else {
            save_durable(&inner);
        }
    });
}

/// Sends, re-arms the timer and dispatches events until the session is quiet.
pub(super) fn pump(inner: &Rc<Inner>) {
    pump_as(inner, Transmit::Now);
}

/// When a pump hands the session's output to the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transmit {
    Now,
    /// In a task queued behind the events already waiting. Each received
    /// WebSocket frame is its own event (Mosquitto sends one packet per
    /// frame), so answering per frame meant one `send` per message for
    /// QoS 1 and three for QoS 2: `send` was 38% of the busy time of a
    /// QoS 2 stream. Waiting for the queued frames costs no timer delay.
    AfterQueuedEvents,
}

#[wasm_bindgen(module = "/src/wasm/host.js")]
extern "C" {
    #[wasm_bindgen(js_name = afterQueuedEvents)]
    fn after_queued_events(callback: JsValue);
}

fn pump_as(inner: &Rc<Inner>, transmit: Transmit) {
    loop {
        {
            let mut guard = inner.driver.borrow_mut();
            let d = &mut *guard;
            match transmit {
                Transmit::Now => d.transmit(),
                Transmit::AfterQueuedEvents => {
                    if d.session.transmit_len() > 0 && !d.flush_scheduled {
                        d.flush_scheduled = true;
                        let weak = Rc::downgrade(inner);
                        after_queued_events(Closure::once_into_js(move || {
                            if let Some(inner) = weak.upgrade() {
                                inner.driver.borrow_mut().flush_scheduled = false;
                                pump(&inner);
                            }
                        }));
                    }
                }
            }
            arm_timer(inner, d);
        }
        // Taken one at a time rather than collected first (an allocation
        // per pump, so per received frame), in order even when a handler
        // starts a pump of its own.
        let mut dispatched = false;
        while let Some(event) = next_event(inner) {
            dispatched = true;
            dispatch(inner, event);
        }
        if !dispatched {
            save_durable(inner);
            return;
        }
    }
}

/// The session's next event, with the driver borrowed only for the call.
fn next_event(inner: &Rc<Inner>) -> Option<Event> {
    inner.driver.borrow_mut().session.poll_event()
}

/// Arms the host timer for the session's next deadline. A timer already
/// armed for an earlier instant is kept: firing early is harmless (the
/// session ignores it and the timer is re-armed), and keepalive pushes the
/// deadline later on every send, which would otherwise re-arm it each time.
fn arm_timer(inner: &Rc<Inner>, d: &mut Driver) {
    let Some(deadline) = d.session.poll_timeout() else { return };
    if d.timer.as_ref().is_some_and(|(at, _)| *at <= deadline) {
        return;
    }
    let weak = Rc::downgrade(inner);
    let delay = deadline.as_millis().saturating_sub(now().as_millis());
    let timeout = Timeout::new(delay, move || {
        if let Some(inner) = weak.upgrade() {
            {
                let mut d = inner.driver.borrow_mut();
                d.timer = None;
                d.session.handle_timeout(now());
            }
            pump(&inner);
        }
    });
    d.timer = Some((deadline, timeout));
}

fn dispatch(inner: &Rc<Inner>, event: Event) {
    match event {
        Event::Connected(ack) => {
            let ack = JsValue::from(convert::connack(&ack));
            let waiters = {
                let mut d = inner.driver.borrow_mut();
                d.connected_at = Some(now());
                d.last_connack = ack.clone();
                std::mem::take(&mut d.connect_waiters)
            };
            for w in waiters {
                w.resolve(&ack);
            }
            emit(inner, "connect", &[ack]);
        }
        Event::Message(p) => {
            let packet = Object::new();
            set(&packet, "qos", p.qos_pid.qos() as u8);
            set(&packet, "retain", p.retain);
            set(&packet, "dup", p.dup);
            if let Some(pid) = p.qos_pid.packet_id() {
                set(&packet, "packetId", pid.get());
            }
            if !p.properties.is_empty() {
                set(&packet, "properties", convert::properties(&p.properties));
            }
            let args = [(*p.topic).into(), convert::bytes(&p.payload).into(), packet.into()];
            emit(inner, "message", &args);
            // Each matching handler once, even under several matching filters.
            let mut matched: Vec<Function> = Vec::new();
            inner.subscription_handlers.borrow().for_each_match(&p.topic, |h| {
                if !matched.contains(h) {
                    matched.push(h.clone());
                }
            });
            for h in matched {
                let _ = h.call3(&JsValue::UNDEFINED, &args[0], &args[1], &args[2]);
            }
        }
        Event::PublishDone(op, result) => settle(inner, op, |_| {
            result.map(|ack| {
                let o = Object::new();
                if let Some(pid) = ack.packet_id {
                    set(&o, "packetId", pid.get());
                }
                if let Some(r) = ack.reason_code {
                    set(&o, "reasonCode", r as u8);
                }
                if !ack.properties.is_empty() {
                    set(&o, "properties", convert::properties(&ack.properties));
                }
                o.into()
            })
        }),
        Event::SubscribeDone(op, result) => {
            // The handler no longer applies to refused filters: all of them
            // when the subscription failed.
            let refused =
                |i: usize| result.as_ref().map_or(true, |ack| ack.reason_codes.get(i).is_some_and(|r| r.is_error()));
            let pending = inner.driver.borrow().ops.get(&op).map(|p| (p.filters.clone(), p.handler.clone()));
            if let Some((filters, Some(handler))) = pending {
                let refused: Vec<String> =
                    filters.into_iter().enumerate().filter(|(i, _)| refused(*i)).map(|(_, f)| f).collect();
                drop_handler(inner, &refused, &handler);
            }
            settle(inner, op, |filters| {
                result.map(|ack| {
                    let granted: Array = filters
                        .iter()
                        .zip(&ack.reason_codes)
                        .map(|(topic, &reason)| {
                            let g = Object::new();
                            set(&g, "topic", topic.as_str());
                            set(&g, "qos", if reason.is_error() { 0x80 } else { reason as u8 });
                            set(&g, "reasonCode", reason as u8);
                            JsValue::from(g)
                        })
                        .collect();
                    let o = Object::new();
                    set(&o, "packetId", ack.packet_id.get());
                    set(&o, "granted", granted);
                    set(&o, "properties", convert::properties(&ack.properties));
                    o.into()
                })
            })
        }
        Event::UnsubscribeDone(op, result) => settle(inner, op, |_| {
            result.map(|ack| {
                let o = Object::new();
                set(&o, "packetId", ack.packet_id.get());
                let codes: Array = ack.reason_codes.iter().map(|&r| JsValue::from(r as u8)).collect();
                set(&o, "reasonCodes", codes);
                set(&o, "properties", convert::properties(&ack.properties));
                o.into()
            })
        }),
        Event::Auth(a) => emit(inner, "auth", &[convert::reason_and_properties(a.reason_code, &a.properties).into()]),
        Event::ServerDisconnect(d) => {
            emit(inner, "disconnect", &[convert::reason_and_properties(d.reason_code, &d.properties).into()])
        }
        Event::Error(e) => emit(inner, "error", &[error(e)]),
        Event::Lost(e) => lost(inner, e),
        Event::PacketSent(info) => emit(inner, "packetsend", &[packet_info(&info)]),
        Event::PacketReceived(info) => emit(inner, "packetreceive", &[packet_info(&info)]),
    }
}

fn packet_info(info: &PacketInfo) -> JsValue {
    let o = Object::new();
    set(&o, "type", info.kind);
    if let Some(pid) = info.packet_id {
        set(&o, "packetId", pid);
    }
    if let Some(topic) = &info.topic {
        set(&o, "topic", topic.as_str());
    }
    if let Some(qos) = info.qos {
        set(&o, "qos", qos);
    }
    o.into()
}

fn settle(inner: &Rc<Inner>, op: OpId, result: impl FnOnce(&[String]) -> Result<JsValue, SessionError>) {
    let Some(pending) = inner.driver.borrow_mut().ops.remove(&op) else { return };
    match result(&pending.filters) {
        Ok(value) => pending.resolvers.resolve(&value),
        Err(e) => pending.resolvers.reject(&error(e)),
    }
}

/// The connection is over: close the socket, then reconnect, or give up.
fn lost(inner: &Rc<Inner>, e: SessionError) {
    enum Next {
        /// An explicit connect() failed: reject it and end.
        FailConnect,
        Reconnect,
        GiveUp,
    }
    let (err, was_connected, next) = {
        let mut guard = inner.driver.borrow_mut();
        let d = &mut *guard;
        // What the session still has for this socket goes before it is
        // closed: acknowledgements held for the end of a burst, and the v5
        // DISCONNECT telling the server why the session gave up.
        d.transmit();
        d.transport = None;
        d.generation += 1;
        let err = match e {
            SessionError::ConnectionLost => socket_closed(d.last_close_code),
            other => error(other),
        };
        let uptime = d.connected_at.take().map(|at| now().saturating_since(at));
        let was_connected = uptime.is_some();
        // An automatic attempt failed unless it gave a connection that
        // stayed up; a connection that dropped at once counts as failed, so
        // the back-off grows and `servers` rotate past a server that
        // accepts and then drops us.
        if uptime.is_some_and(|u| d.backoff.resets_after(u)) {
            d.failed_attempts = 0;
            d.reconnecting = false;
        } else if d.reconnecting {
            d.failed_attempts += 1;
        }
        let next = if !d.connect_waiters.is_empty() {
            Next::FailConnect
        } else if d.backoff.base.is_zero() {
            Next::GiveUp
        } else {
            if d.max_reconnect_attempts > 0 && d.failed_attempts >= d.max_reconnect_attempts {
                Next::GiveUp
            } else {
                Next::Reconnect
            }
        };
        (err, was_connected, next)
    };
    emit(inner, "close", &[]);
    if was_connected {
        emit(inner, "offline", &[]);
    }
    emit(inner, "error", std::slice::from_ref(&err));
    match next {
        Next::FailConnect => {
            fail_connect_waiters(inner, &err);
            keep_durable_state(inner);
            inner.driver.borrow_mut().session.shutdown();
        }
        Next::GiveUp => {
            keep_durable_state(inner);
            inner.driver.borrow_mut().session.shutdown();
            emit(inner, "end", &[]);
        }
        Next::Reconnect => schedule_reconnect(inner),
    }
}

fn schedule_reconnect(inner: &Rc<Inner>) {
    let mut d = inner.driver.borrow_mut();
    d.reconnecting = true;
    let attempt = d.failed_attempts + 1;
    let delay = d.backoff.delay(attempt, js_sys::Math::random());
    // Attempt n uses url, then servers[0], ... round robin.
    d.url_index = (attempt as usize - 1) % d.urls.len().max(1);
    let url = d.urls.get(d.url_index).cloned().unwrap_or_default();
    let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
    let weak = Rc::downgrade(inner);
    d.reconnect_timer = Some(Timeout::new(delay_ms, move || {
        let Some(inner) = weak.upgrade() else { return };
        inner.driver.borrow_mut().reconnect_timer = None;
        let info = Object::new();
        set(&info, "attempt", attempt);
        set(&info, "delayMs", delay_ms as f64);
        set(&info, "url", url.as_str());
        emit(&inner, "reconnect", &[info.into()]);
        start_attempt(&inner);
    }));
}
