//! `MqttClient`, the class JavaScript sees, and the driver that runs a
//! [`Session`] on a [`Transport`] and one [`Timeout`].
//!
//! Every entry point (a JS call, a socket event, a timer) does the same:
//! borrow the driver, feed the session, release the borrow, then `pump`:
//! send what the session produced (in one WebSocket frame), re-arm the timer,
//! and dispatch its events (settle promises, call handlers) with no borrow
//! held, so handlers may call back into the client. Commands from JS do not
//! pump at once: they schedule one pump per turn of the event loop, which
//! is how all the packets of one turn share one `send`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise};
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use super::convert::{self, from_js, set, Checked, FilterIn, PropertiesIn, SubscribeOptionsIn};
use super::error::{error, invalid, invalid_topic, socket_closed, storage};
use super::options::{self, ClientOptions};
use super::store;
use super::timer::{now, Timeout};
use super::transport::{SocketEvent, Transport};
use crate::codec::{Auth, Disconnect, Properties, Publish, QosPid, Subscription};
use crate::session::{Backoff, Event, Instant, OpId, PacketInfo, Session, SessionError, State, TopicTrie};

struct Resolvers {
    resolve: Function,
    reject: Function,
}

impl Resolvers {
    fn resolve(self, value: &JsValue) {
        let _ = self.resolve.call1(&JsValue::UNDEFINED, value);
    }

    fn reject(self, value: &JsValue) {
        let _ = self.reject.call1(&JsValue::UNDEFINED, value);
    }
}

/// A promise and the functions that settle it.
fn deferred() -> (Promise, Option<Resolvers>) {
    let mut slot = None;
    let promise = Promise::new(&mut |resolve, reject| slot = Some(Resolvers { resolve, reject }));
    (promise, slot)
}

/// An operation waiting for the session's answer.
struct PendingOp {
    resolvers: Resolvers,
    /// The filters of a SUBSCRIBE, to name them in `granted`.
    filters: Vec<String>,
    /// The SUBSCRIBE's own message handler, dropped again for filters the
    /// server refuses.
    handler: Option<Function>,
}

struct Driver {
    session: Session,
    urls: Vec<String>,
    /// Which of `urls` the next attempt uses.
    url_index: usize,
    credentials_provider: Option<Function>,
    backoff: Backoff,
    max_reconnect_attempts: u32,
    transport: Option<Transport>,
    /// Identifies the current socket; events of older ones are ignored.
    generation: u64,
    timer: Option<(Instant, Timeout)>,
    reconnect_timer: Option<Timeout>,
    /// Automatic reconnect attempts that failed in a row.
    failed_attempts: u32,
    /// The current connection attempt, or connection, came from an
    /// automatic reconnect (not from `connect()` / `reconnect()`).
    reconnecting: bool,
    connected_at: Option<Instant>,
    last_connack: JsValue,
    last_close_code: u16,
    connect_waiters: Vec<Resolvers>,
    disconnect_waiters: Vec<Resolvers>,
    /// `disconnect()` is closing the socket.
    ending: bool,
    ops: HashMap<OpId, PendingOp>,
    pump_scheduled: bool,
    /// `store: "indexeddb"`.
    durable: Option<Durable>,
}

/// Where the durable state stands (see `Session::export_state`).
struct Durable {
    /// The IndexedDB key: the client id.
    key: String,
    /// The stored state was read and imported into the session. Until then
    /// nothing is saved (it would overwrite it) and no connection starts.
    loaded: bool,
    /// A read is in flight.
    loading: bool,
    /// A write is in flight; the next one waits for it.
    saving: bool,
    /// The session's state generation last written.
    saved: u64,
    /// A `connect()` waits for the load.
    connect_after_load: bool,
}

struct Inner {
    driver: RefCell<Driver>,
    handlers: RefCell<Vec<(String, Function)>>,
    /// Per-subscription message handlers (`subscribe(filter, opts, handler)`).
    subscription_handlers: RefCell<TopicTrie<Function>>,
}

/// An MQTT client over a browser WebSocket.
#[wasm_bindgen]
pub struct MqttClient {
    inner: Rc<Inner>,
}

impl core::fmt::Debug for MqttClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MqttClient").finish_non_exhaustive()
    }
}

#[wasm_bindgen]
impl MqttClient {
    /// Validates `options`; never touches the network.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    ) -> Result<MqttClient, JsValue> {
        #[cfg(feature = "panic-hook")]
        console_error_panic_hook::set_once();
        let ClientOptions { config, urls, credentials_provider, backoff, max_reconnect_attempts, durable } =
            options::parse(options)?;
        let durable = durable.then(|| Durable {
            key: config.client_id.clone(),
            loaded: false,
            loading: false,
            saving: false,
            saved: 0,
            connect_after_load: false,
        });
        let driver = Driver {
            session: Session::new(config),
            urls,
            url_index: 0,
            credentials_provider,
            backoff,
            max_reconnect_attempts,
            transport: None,
            generation: 0,
            timer: None,
            reconnect_timer: None,
            failed_attempts: 0,
            reconnecting: false,
            connected_at: None,
            last_connack: JsValue::UNDEFINED,
            last_close_code: 0,
            connect_waiters: Vec::new(),
            disconnect_waiters: Vec::new(),
            ending: false,
            ops: HashMap::new(),
            pump_scheduled: false,
            durable,
        };
        let inner = Rc::new(Inner {
            driver: RefCell::new(driver),
            handlers: RefCell::new(Vec::new()),
            subscription_handlers: RefCell::new(TopicTrie::default()),
        });
        load_durable(&inner);
        Ok(MqttClient { inner })
    }

    /// Connects; resolves with the CONNACK.
    #[wasm_bindgen(unchecked_return_type = "Promise<ConnAck>")]
    pub fn connect(&self) -> Promise {
        let (promise, resolvers) = deferred();
        let Some(resolvers) = resolvers else { return promise };
        let start = {
            let mut d = self.inner.driver.borrow_mut();
            match d.session.state() {
                State::Connected => {
                    resolvers.resolve(&d.last_connack);
                    return promise;
                }
                State::Idle | State::Ended if d.reconnect_timer.is_none() && !d.ending => {
                    d.connect_waiters.push(resolvers);
                    d.failed_attempts = 0;
                    d.reconnecting = false;
                    d.url_index = 0;
                    true
                }
                _ => {
                    d.connect_waiters.push(resolvers);
                    false
                }
            }
        };
        if start && !wait_for_load(&self.inner) {
            start_attempt(&self.inner);
        }
        promise
    }

    /// Connects again after `disconnect()` or after giving up; resolves with
    /// the CONNACK.
    #[wasm_bindgen(unchecked_return_type = "Promise<ConnAck>")]
    pub fn reconnect(&self) -> Promise {
        self.inner.driver.borrow_mut().reconnect_timer = None;
        self.connect()
    }

    /// Publishes a message; resolves when it is written (QoS 0) or
    /// acknowledged (PUBACK for QoS 1, PUBCOMP for QoS 2).
    #[wasm_bindgen(unchecked_return_type = "Promise<PublishResult>")]
    pub fn publish(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] topic: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | ArrayBuffer")] payload: JsValue,
        #[wasm_bindgen(unchecked_param_type = "PublishOptions")] opts: Option<JsValue>,
    ) -> Promise {
        #[derive(Default, Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct PublishOptions {
            qos: Option<u8>,
            retain: Option<bool>,
            properties: Option<Checked<PropertiesIn>>,
        }
        let request = (|| {
            let topic = topic.as_string().ok_or_else(|| invalid_topic("topic must be a string"))?;
            let payload = convert::payload(&payload, "payload")?;
            let opts: PublishOptions = optional(opts, "publish options")?;
            let qos = convert::qos(opts.qos)?;
            let publish = Publish {
                dup: false,
                qos_pid: QosPid::AtMostOnce,
                retain: opts.retain.unwrap_or(false),
                topic: topic.into(),
                properties: opts.properties.map(Properties::from).unwrap_or_default(),
                payload: payload.into(),
            };
            Ok::<_, JsValue>((publish, qos))
        })();
        let (publish, qos) = match request {
            Ok(r) => r,
            Err(e) => return Promise::reject(&e),
        };
        self.operation(Vec::new(), None, |s, now| s.publish(now, publish, qos))
    }

    /// Subscribes; resolves with the SUBACK, where refused filters carry a
    /// reason code of 0x80 or more. `handler`, if given, is called for the
    /// messages that match these filters (the `message` event still fires
    /// for every message), until they are unsubscribed or refused.
    #[wasm_bindgen(unchecked_return_type = "Promise<SubAck>")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | string[] | SubscriptionRequest[]")] filter: JsValue,
        #[wasm_bindgen(unchecked_param_type = "SubscribeOptions")] opts: Option<JsValue>,
        #[wasm_bindgen(unchecked_param_type = "MqttEvents[\"message\"]")] handler: Option<Function>,
    ) -> Promise {
        let request = (|| {
            let mut defaults: SubscribeOptionsIn = optional(opts, "subscribe options")?;
            let items = if Array::is_array(&filter) { Array::from(&filter).to_vec() } else { vec![filter] };
            let mut subscriptions = Vec::with_capacity(items.len());
            for item in items {
                let f = match item.as_string() {
                    Some(topic) => {
                        FilterIn { topic, qos: None, no_local: None, retain_as_published: None, retain_handling: None }
                    }
                    None if item.is_object() => from_js(item, "subscription")?,
                    None => return Err(invalid_topic("a filter must be a string or { topic, ... }")),
                };
                subscriptions.push(Subscription { options: f.options(&defaults)?, filter: f.topic });
            }
            let properties = defaults.properties.take().map(Properties::from).unwrap_or_default();
            Ok::<_, JsValue>((subscriptions, properties))
        })();
        let (subscriptions, properties) = match request {
            Ok(r) => r,
            Err(e) => return Promise::reject(&e),
        };
        let filters: Vec<String> = subscriptions.iter().map(|s| s.filter.clone()).collect();
        if let Some(h) = &handler {
            let mut trie = self.inner.subscription_handlers.borrow_mut();
            for f in &filters {
                trie.insert(f, h.clone());
            }
        }
        self.operation(filters, handler, |s, now| s.subscribe(now, subscriptions, properties))
    }

    /// Unsubscribes; resolves with the UNSUBACK.
    #[wasm_bindgen(unchecked_return_type = "Promise<UnsubAck>")]
    pub fn unsubscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | string[]")] filter: JsValue,
        #[wasm_bindgen(unchecked_param_type = "{ properties?: Properties }")] opts: Option<JsValue>,
    ) -> Promise {
        #[derive(Default, Deserialize)]
        struct UnsubscribeOptions {
            properties: Option<Checked<PropertiesIn>>,
        }
        let request = (|| {
            let opts: UnsubscribeOptions = optional(opts, "unsubscribe options")?;
            let filters: Vec<String> = if filter.is_string() {
                from_js(Array::of1(&filter).into(), "filter")?
            } else {
                from_js(filter, "filter")?
            };
            Ok::<_, JsValue>((filters, opts.properties.map(Properties::from).unwrap_or_default()))
        })();
        let (filters, properties) = match request {
            Ok(r) => r,
            Err(e) => return Promise::reject(&e),
        };
        // The filters' handlers stop at once, whatever the server answers.
        {
            let mut trie = self.inner.subscription_handlers.borrow_mut();
            for f in &filters {
                trie.remove_where(f, |_| true);
            }
        }
        self.operation(Vec::new(), None, |s, now| s.unsubscribe(now, filters, properties))
    }

    /// Sends DISCONNECT, closes the socket and ends the client: no reconnect
    /// follows, pending operations reject with `Closed`, `end` fires.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn disconnect(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ reasonCode?: number, properties?: Properties }")] opts: Option<
            JsValue,
        >,
    ) -> Promise {
        #[derive(Default, Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct DisconnectOptions {
            reason_code: Option<u8>,
            properties: Option<Checked<PropertiesIn>>,
        }
        let d = (|| {
            let opts: DisconnectOptions = optional(opts, "disconnect options")?;
            Ok::<_, JsValue>(Disconnect {
                reason_code: convert::reason_code(opts.reason_code)?,
                properties: opts.properties.map(Properties::from).unwrap_or_default(),
            })
        })();
        let d = match d {
            Ok(d) => d,
            Err(e) => return Promise::reject(&e),
        };
        let (promise, resolvers) = deferred();
        let Some(resolvers) = resolvers else { return promise };
        let waiting = {
            let mut guard = self.inner.driver.borrow_mut();
            let dr = &mut *guard;
            if let Err(e) = dr.session.disconnect(now(), &d) {
                resolvers.reject(&error(e));
                return promise;
            }
            dr.reconnect_timer = None;
            dr.timer = None;
            match &dr.transport {
                Some(t) => {
                    if let Some(bytes) = dr.session.poll_transmit() {
                        let _ = t.send(&bytes);
                    }
                    t.close();
                    dr.ending = true;
                    dr.disconnect_waiters.push(resolvers);
                    true
                }
                None => {
                    resolvers.resolve(&JsValue::UNDEFINED);
                    false
                }
            }
        };
        fail_connect_waiters(&self.inner, &error(SessionError::Closed));
        pump(&self.inner);
        if !waiting {
            emit(&self.inner, "end", &[]);
        }
        promise
    }

    /// Sends AUTH (MQTT 5.0 enhanced authentication or re-authentication).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn auth(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ reasonCode: number, properties?: Properties }")] opts: JsValue,
    ) -> Promise {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct AuthOptions {
            reason_code: u8,
            properties: Option<Checked<PropertiesIn>>,
        }
        let auth = from_js::<AuthOptions>(opts, "auth options").and_then(|o| {
            Ok(Auth {
                reason_code: convert::reason_code(Some(o.reason_code))?,
                properties: o.properties.map(Properties::from).unwrap_or_default(),
            })
        });
        let result = match auth {
            Ok(auth) => self.inner.driver.borrow_mut().session.auth(now(), auth).map_err(error),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                pump(&self.inner);
                Promise::resolve(&JsValue::UNDEFINED)
            }
            Err(e) => Promise::reject(&e),
        }
    }

    /// Adds an event handler; returns the client for chaining. In
    /// TypeScript the signature to use is the per-event overload of
    /// `MqttEvents` merged into this class; this one accepts nothing, so that
    /// handlers are always typed from their event.
    pub fn on(
        &self,
        #[wasm_bindgen(unchecked_param_type = "never")] event: String,
        #[wasm_bindgen(unchecked_param_type = "never")] handler: Function,
    ) -> MqttClient {
        if event == "packetsend" || event == "packetreceive" {
            self.inner.driver.borrow_mut().session.set_trace(true);
        }
        self.inner.handlers.borrow_mut().push((event, handler));
        MqttClient { inner: self.inner.clone() }
    }

    /// Removes an event handler added with `on` (typed like `on`).
    pub fn off(
        &self,
        #[wasm_bindgen(unchecked_param_type = "never")] event: String,
        #[wasm_bindgen(unchecked_param_type = "never")] handler: Function,
    ) -> MqttClient {
        let mut handlers = self.inner.handlers.borrow_mut();
        if let Some(i) = handlers.iter().position(|(e, h)| *e == event && *h == handler) {
            handlers.remove(i);
        }
        let tracing = handlers.iter().any(|(e, _)| e == "packetsend" || e == "packetreceive");
        drop(handlers);
        self.inner.driver.borrow_mut().session.set_trace(tracing);
        MqttClient { inner: self.inner.clone() }
    }

    #[wasm_bindgen(getter)]
    pub fn connected(&self) -> bool {
        self.inner.driver.borrow().session.is_connected()
    }

    #[wasm_bindgen(getter, js_name = clientId)]
    pub fn client_id(&self) -> String {
        self.inner.driver.borrow().session.client_id().to_owned()
    }

    #[wasm_bindgen(getter, js_name = protocolVersion)]
    pub fn protocol_version(&self) -> u8 {
        self.inner.driver.borrow().session.protocol() as u8
    }

    #[wasm_bindgen(getter, js_name = serverProperties, unchecked_return_type = "Properties")]
    pub fn server_properties(&self) -> Object {
        convert::properties(self.inner.driver.borrow().session.server_properties())
    }

    #[wasm_bindgen(getter, js_name = inflightCount)]
    pub fn inflight_count(&self) -> u32 {
        self.inner.driver.borrow().session.inflight_count() as u32
    }

    #[wasm_bindgen(getter, js_name = queuedCount)]
    pub fn queued_count(&self) -> u32 {
        self.inner.driver.borrow().session.queued_count() as u32
    }
}

impl MqttClient {
    /// Runs a session command that completes later, and returns the promise
    /// its completion event settles.
    fn operation(
        &self,
        filters: Vec<String>,
        handler: Option<Function>,
        command: impl FnOnce(&mut Session, Instant) -> Result<OpId, SessionError>,
    ) -> Promise {
        let (promise, resolvers) = deferred();
        let Some(resolvers) = resolvers else { return promise };
        let mut d = self.inner.driver.borrow_mut();
        match command(&mut d.session, now()) {
            Ok(op) => {
                d.ops.insert(op, PendingOp { resolvers, filters, handler });
                drop(d);
                schedule_pump(&self.inner);
            }
            Err(e) => {
                drop(d);
                if let Some(h) = &handler {
                    drop_handler(&self.inner, &filters, h);
                }
                resolvers.reject(&error(e));
            }
        }
        promise
    }
}

/// Removes `handler` from `filters` (a refused or failed subscription).
fn drop_handler(inner: &Rc<Inner>, filters: &[String], handler: &Function) {
    let mut trie = inner.subscription_handlers.borrow_mut();
    for f in filters {
        trie.remove_where(f, |h| h == handler);
    }
}

/// Deserializes optional options: absent (`undefined` or `null`) gives the defaults.
fn optional<T: Default + serde::de::DeserializeOwned>(value: Option<JsValue>, what: &str) -> Result<T, JsValue> {
    match value {
        Some(value) => from_js(value, what),
        None => Ok(T::default()),
    }
}

fn fail_connect_waiters(inner: &Rc<Inner>, err: &JsValue) {
    let waiters = std::mem::take(&mut inner.driver.borrow_mut().connect_waiters);
    for w in waiters {
        w.reject(err);
    }
}

/// Calls every handler of `event`. A throwing handler does not stop the
/// others, nor the client.
fn emit(inner: &Rc<Inner>, event: &str, args: &[JsValue]) {
    let handlers: Vec<Function> =
        inner.handlers.borrow().iter().filter(|(e, _)| e == event).map(|(_, h)| h.clone()).collect();
    for h in handlers {
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
fn start_attempt(inner: &Rc<Inner>) {
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
            SocketEvent::Data(bytes) => d.session.handle_bytes(now(), bytes.into()),
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

fn schedule_pump(inner: &Rc<Inner>) {
    let mut d = inner.driver.borrow_mut();
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
fn load_durable(inner: &Rc<Inner>) {
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
fn wait_for_load(inner: &Rc<Inner>) -> bool {
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
fn pump(inner: &Rc<Inner>) {
    loop {
        let events: Vec<Event> = {
            let mut guard = inner.driver.borrow_mut();
            let d = &mut *guard;
            if let Some(bytes) = d.session.poll_transmit() {
                if let Some(t) = &d.transport {
                    // A failed send means the socket is closing: its close
                    // event follows and ends the connection.
                    let _ = t.send(&bytes);
                }
            }
            arm_timer(inner, d);
            std::iter::from_fn(|| d.session.poll_event()).collect()
        };
        if events.is_empty() {
            save_durable(inner);
            return;
        }
        for event in events {
            dispatch(inner, event);
        }
    }
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
