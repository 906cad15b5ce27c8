//! The connection lifecycle above the [`Session`]: which server, when to
//! connect, retry, give up, ask for credentials, load and save the durable
//! state, and what `connect()`, `disconnect()`, `reconnect()` and `free()`
//! mean in every state.
//!
//! A separate state machine rather than more states in `Session`: the
//! session speaks MQTT over one connection at a time, byte for byte, and its
//! tests stay exact conversations; the client decides about connections,
//! which needs none of the packet state. Both are pure: no sockets, no
//! clock, no randomness of their own (the jitter comes from a seed passed
//! in). The browser edge only executes what [`Client::poll_action`] asks
//! for and reports back through the `handle_*` inputs.
//!
//! ```text
//!            connect()                   store loaded
//!  Idle ----------------> Loading -----------------------+
//!   ^  \                                                 v
//!   |   +-- store loaded / in memory ---------------> (attempt)
//!   |                                                    |
//!   |                     credentials   +----------------+
//!   |                     provider?     v                v
//!   |            Credentials{attempt} --ok--> Linked{attempt, socket, since}
//!   |                 | failed, timeout          |  open, CONNECT, CONNACK:
//!   |                 v                          |  since = Some(now)
//!   |   +---------- lost <-----------------------+
//!   |   |             | transient, attempts left
//!   |   |             v
//!   |   |     Waiting{attempt} --Reconnect timer / reconnect()--> (attempt)
//!   |   | give up, refused, reconnectPeriod 0
//!   +---+
//!   ^
//!   |      socket closed                   disconnect()
//!   +--- Closing{socket} <---------------- Linked (other states: Idle at once)
//!          | connect() meanwhile: a new first attempt after the close
//!
//!  any state --free()--> Freed (every later command fails with Closed)
//! ```
//!
//! Inputs, commands and outputs follow the session's order: after any call,
//! take `transmit_with` (for the open socket), then every `poll_action`,
//! then `poll_timeout`, then every `poll_event`.

use alloc::collections::VecDeque;
use alloc::{string::String, vec::Vec};

use core::mem;
use core::time::Duration;

use super::timer::Timer;
use super::{Accepted, Backoff, Config, Event, HandlerId, Instant, OpId, Session, SessionError};
use crate::codec::{Auth, Bytes, ConnAck, Disconnect, Properties, Publish, QoS, ReasonCode, Secret, Subscription};
use crate::text;

/// Names one socket (or the credentials step before it), so that reports
/// about an older one are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketId(u64);

/// What the client decides beyond the session's own [`Config`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// `url`, then `servers`: attempt `n` of a series goes to
    /// `urls[(n - 1) % len]`.
    pub urls: Vec<String>,
    pub backoff: Backoff,
    /// Failed reconnect attempts in a row before giving up; 0 is unlimited.
    pub max_reconnect_attempts: u32,
    /// Ask for credentials before every attempt (`credentialsProvider`).
    pub credentials_provider: bool,
    /// Keep the durable state in the host's store, under the client id.
    pub durable: bool,
    /// Where a server's redirection (0x9C / 0x9D with a Server Reference)
    /// may lead.
    pub redirect: Redirect,
    /// Seeds the back-off jitter.
    pub seed: u64,
}

/// Which Server References the client follows. Credentials go to the next
/// server, so by default only to hosts the application named itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirect {
    /// Only to a host of `urls`.
    KnownHosts,
    /// The host decides: `Action::ResolveRedirect`.
    Ask,
}

/// Fresh credentials from the provider; `None` keeps what the client has.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub url: Option<String>,
    pub username: Option<String>,
    pub password: Option<Secret>,
}

/// Something the host must do, taken with [`Client::poll_action`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open a WebSocket to `url` with the `protocol` subprotocol and report
    /// on it with `socket`.
    Open { socket: SocketId, url: String, protocol: &'static str },
    /// Send `bytes` (what the session still had for it), then close the
    /// socket. Reports about it may still come; the client ignores those it
    /// no longer needs.
    Close { socket: SocketId, bytes: Vec<u8> },
    /// Call the credentials provider; answer with `handle_credentials`.
    FetchCredentials { socket: SocketId },
    /// Map a server's `reference` to a URL, or refuse it; answer with
    /// `handle_redirect`.
    ResolveRedirect { reference: String },
    /// Read the stored state under `key`; answer with `handle_loaded`.
    Load { key: String },
    /// Store `bytes` under `key`; answer with `handle_saved`.
    Save { key: String, bytes: Vec<u8> },
}

/// An output of the client, taken with [`Client::poll_event`], in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// What the session reports (never `Event::Lost`: the client handles it).
    Session(Event),
    /// A `connect()` or `reconnect()` completed.
    ConnectDone(OpId, Result<ConnAck, SessionError>),
    /// A `disconnect()` completed: DISCONNECT sent and the socket closed.
    DisconnectDone(OpId),
    /// An automatic attempt starts, `delay` after the previous one failed.
    Reconnect { attempt: u32, delay: Duration, url: String },
    /// The socket closed, for any reason.
    Close,
    /// A connection that was up is lost (not after `disconnect()`).
    Offline,
    /// The client ended: after `disconnect()`, after giving up, or freed.
    End,
}

/// One connection attempt: the number in its series (0 for the first
/// attempt of `connect()`, then 1, 2, ... for automatic ones) and its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Attempt {
    number: u32,
    url: String,
}

#[derive(Debug)]
enum Phase {
    /// No connection and none wanted.
    Idle,
    /// A `connect()` waits for the durable state.
    Loading,
    /// Waiting for the credentials provider.
    Credentials { attempt: Attempt, socket: SocketId },
    /// A socket is open or opening; `since` is when CONNACK accepted it.
    Linked { attempt: Attempt, socket: SocketId, since: Option<Instant> },
    /// Between attempts: the `Reconnect` timer is set.
    Waiting { attempt: Attempt, delay: Duration },
    /// Waiting for the host to resolve a Server Reference before attempt
    /// `number`.
    Redirecting { number: u32, delay: Duration },
    /// `disconnect()` is closing this socket.
    Closing { socket: SocketId },
    /// `free()`: nothing happens any more.
    Freed,
}

/// Where the durable state stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Store {
    /// No store, or it failed: the state lives in memory only.
    Memory,
    /// The stored state is not in the session (not read yet, or dropped
    /// from memory when the client gave up): read it before connecting,
    /// and write nothing that would overwrite it.
    Unloaded,
    Loading,
    /// In the session; `saving` is the generation of the write in flight.
    Loaded {
        saved: u64,
        saving: Option<u64>,
    },
}

/// The client: a [`Session`] and the decisions about its connections.
#[derive(Debug)]
pub struct Client {
    session: Session,
    settings: Settings,
    phase: Phase,
    store: Store,
    last_connack: Option<ConnAck>,
    /// `End` was the last word: nothing began since. It comes once per
    /// ending (a `free()` after `disconnect()` does not repeat it).
    ended: bool,
    connect_waiters: Vec<OpId>,
    disconnect_waiters: Vec<OpId>,
    actions: VecDeque<Action>,
    events: VecDeque<ClientEvent>,
    next_socket: u64,
    /// See [`Client::url`].
    last_url: String,
    /// xorshift64 state for the jitter.
    rng: u64,
}

impl Client {
    /// A client that has not connected yet; with a durable store it starts
    /// reading the stored state at once.
    pub fn new(config: Config, settings: Settings) -> Self {
        let durable = settings.durable;
        let rng = settings.seed | 1;
        let mut client = Self {
            session: Session::new(config),
            settings,
            phase: Phase::Idle,
            store: Store::Memory,
            last_connack: None,
            ended: false,
            connect_waiters: Vec::new(),
            disconnect_waiters: Vec::new(),
            actions: VecDeque::new(),
            events: VecDeque::new(),
            next_socket: 0,
            last_url: String::new(),
            rng,
        };
        if durable {
            client.store = Store::Unloaded;
            client.load();
        }
        client
    }

    // ----- getters -------------------------------------------------------

    /// The session, for its getters.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The URL of the attempt under way, or of the last one.
    pub fn url(&self) -> &str {
        &self.last_url
    }

    /// Whether `free()` ended the client.
    pub fn is_freed(&self) -> bool {
        matches!(self.phase, Phase::Freed)
    }

    // ----- outputs -------------------------------------------------------

    /// Hands the bytes for the open socket to `send`, borrowed (see
    /// [`Session::transmit_with`]). Without one they are dropped: the
    /// session resends what it must on the next connection.
    pub fn transmit_with(&mut self, send: impl FnOnce(&[u8])) {
        let linked = matches!(self.phase, Phase::Linked { .. });
        self.session.transmit_with(|bytes| {
            if linked {
                send(bytes);
            }
        });
    }

    /// How many bytes `transmit_with` would hand over.
    pub fn transmit_len(&self) -> usize {
        self.session.transmit_len()
    }

    /// The next thing the host must do; a changed durable state is written
    /// once nothing else waits (one write at a time).
    pub fn poll_action(&mut self) -> Option<Action> {
        if self.actions.is_empty() {
            self.save_if_changed();
        }
        self.actions.pop_front()
    }

    /// When `handle_timeout` must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.session.poll_timeout()
    }

    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    // ----- commands: the connection --------------------------------------

    /// Connects, unless connected or connecting already (then it waits for
    /// the connection under way). Completion comes as `ConnectDone`.
    pub fn connect(&mut self, now: Instant) -> OpId {
        let op = self.session.new_op();
        match &self.phase {
            Phase::Freed => self.events.push_back(ClientEvent::ConnectDone(op, Err(SessionError::Closed))),
            Phase::Linked { since: Some(_), .. } => {
                let ack = self.last_connack.clone().ok_or(SessionError::NotConnected);
                self.events.push_back(ClientEvent::ConnectDone(op, ack));
            }
            Phase::Idle => {
                self.connect_waiters.push(op);
                self.begin(now);
            }
            // It joins the attempt under way, the one after the back-off,
            // or, during `disconnect()`, a new one once the socket closed.
            _ => self.connect_waiters.push(op),
        }
        op
    }

    /// Connects now: the back-off of a pending automatic attempt is cut
    /// short, and the series starts again from the first server.
    pub fn reconnect(&mut self, now: Instant) -> OpId {
        if matches!(self.phase, Phase::Waiting { .. } | Phase::Redirecting { .. }) {
            self.session.timers.stop(Timer::Reconnect);
            self.phase = Phase::Idle;
        }
        self.connect(now)
    }

    /// Sends DISCONNECT (when connected), closes the socket and ends the
    /// client: pending operations and connects fail with `Closed`, no
    /// reconnect follows, `End` comes once the socket closed.
    pub fn disconnect(&mut self, now: Instant, disconnect: &Disconnect) -> Result<OpId, SessionError> {
        let op = self.session.new_op();
        if self.is_freed() {
            self.events.push_back(ClientEvent::DisconnectDone(op));
            return Ok(op);
        }
        self.session.disconnect(now, disconnect)?;
        self.session.timers.stop(Timer::Reconnect);
        self.fail_connects(SessionError::Closed);
        match mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Linked { socket, .. } => {
                let bytes = self.session.poll_transmit().unwrap_or_default();
                self.actions.push_back(Action::Close { socket, bytes });
                self.phase = Phase::Closing { socket };
                self.disconnect_waiters.push(op);
                self.absorb(now);
            }
            Phase::Closing { socket } => {
                self.phase = Phase::Closing { socket };
                self.disconnect_waiters.push(op);
                self.absorb(now);
            }
            _ => {
                self.absorb(now);
                self.events.push_back(ClientEvent::DisconnectDone(op));
                self.announce_end();
            }
        }
        Ok(op)
    }

    /// Ends the client for good (the JavaScript object is freed): DISCONNECT
    /// if connected, the socket closed, every pending operation, connect and
    /// disconnect settled, `End`. What is stored stays stored.
    pub fn free(&mut self, now: Instant) {
        if self.is_freed() {
            return;
        }
        // The stored state outlives the object, as it does a reload.
        self.store = Store::Memory;
        self.fail_connects(SessionError::Closed);
        let socket = match mem::replace(&mut self.phase, Phase::Freed) {
            Phase::Linked { socket, .. } => {
                let normal = Disconnect { reason_code: ReasonCode::Success, properties: Properties::default() };
                // Nothing to send if even that cannot be encoded: we close anyway.
                let _ = self.session.disconnect(now, &normal);
                Some(socket)
            }
            Phase::Closing { socket } => Some(socket),
            _ => None,
        };
        self.session.shutdown();
        self.session.timers.stop(Timer::Reconnect);
        self.absorb(now);
        if let Some(socket) = socket {
            let bytes = self.session.poll_transmit().unwrap_or_default();
            self.actions.push_back(Action::Close { socket, bytes });
            self.events.push_back(ClientEvent::Close);
        }
        for op in mem::take(&mut self.disconnect_waiters) {
            self.events.push_back(ClientEvent::DisconnectDone(op));
        }
        self.announce_end();
    }

    // ----- commands: operations ------------------------------------------

    /// See [`Session::publish`].
    pub fn publish(&mut self, now: Instant, publish: Publish, qos: QoS) -> Result<Accepted, SessionError> {
        self.forward(now, |s| s.publish(now, publish, qos))
    }

    /// See [`Session::subscribe_with`].
    pub fn subscribe_with(
        &mut self,
        now: Instant,
        subscriptions: Vec<Subscription>,
        properties: Properties,
        handler: Option<HandlerId>,
    ) -> Result<OpId, SessionError> {
        self.forward(now, |s| s.subscribe_with(now, subscriptions, properties, handler))
    }

    /// See [`Session::unsubscribe`].
    pub fn unsubscribe(
        &mut self,
        now: Instant,
        filters: Vec<String>,
        properties: Properties,
    ) -> Result<OpId, SessionError> {
        self.forward(now, |s| s.unsubscribe(now, filters, properties))
    }

    /// See [`Session::auth`].
    pub fn auth(&mut self, now: Instant, auth: Auth) -> Result<(), SessionError> {
        self.forward(now, |s| s.auth(now, auth))
    }

    /// See [`Session::set_trace`].
    pub fn set_trace(&mut self, on: bool) {
        self.session.set_trace(on);
    }

    // ----- inputs --------------------------------------------------------

    /// The socket opened.
    pub fn handle_open(&mut self, now: Instant, socket: SocketId) {
        if self.linked(socket, false) {
            self.session.handle_transport_open(now);
            self.absorb(now);
        }
    }

    /// Bytes arrived on the socket.
    pub fn handle_bytes(&mut self, now: Instant, socket: SocketId, bytes: Bytes) {
        if self.linked(socket, true) {
            self.session.handle_bytes(now, bytes);
            self.absorb(now);
        }
    }

    /// A WebSocket text frame arrived: MQTT uses binary frames only, and a
    /// receiver closes the connection on anything else [MQTT-6.0.0-1].
    pub fn handle_text_frame(&mut self, now: Instant, socket: SocketId) {
        if self.linked(socket, true) {
            self.session.end_connection(SessionError::Protocol(
                ReasonCode::MalformedPacket,
                "the server sent a WebSocket text frame; MQTT uses binary frames only [MQTT-6.0.0-1]",
            ));
            self.absorb(now);
        }
    }

    /// The socket closed (or could not be opened: `code` 1006).
    pub fn handle_closed(&mut self, now: Instant, socket: SocketId, code: u16) {
        match &self.phase {
            Phase::Linked { socket: s, .. } if *s == socket => {
                let error = if self.session.state() == super::State::Opening {
                    SessionError::ConnectFailed(code)
                } else {
                    SessionError::TransportClosed(code)
                };
                self.session.end_connection(error);
                self.absorb(now);
            }
            Phase::Closing { socket: s } if *s == socket => {
                self.phase = Phase::Idle;
                self.events.push_back(ClientEvent::Close);
                for op in mem::take(&mut self.disconnect_waiters) {
                    self.events.push_back(ClientEvent::DisconnectDone(op));
                }
                self.announce_end();
                // A connect() made while the socket closed starts afresh.
                if !self.connect_waiters.is_empty() {
                    self.begin(now);
                }
            }
            _ => {}
        }
    }

    /// What the credentials provider gave, or `Err` if it failed.
    pub fn handle_credentials(&mut self, now: Instant, socket: SocketId, credentials: Result<Credentials, ()>) {
        let Phase::Credentials { attempt, socket: s } = &self.phase else { return };
        if *s != socket {
            return;
        }
        let mut attempt = attempt.clone();
        match credentials {
            Ok(c) => {
                if let Some(url) = c.url {
                    // The provider's URL replaces the one of this attempt's slot.
                    if let Some(slot) = self.settings.urls.iter_mut().find(|u| **u == attempt.url) {
                        slot.clone_from(&url);
                    }
                    attempt.url = url;
                }
                if c.username.is_some() || c.password.is_some() {
                    self.session.set_credentials(c.username, c.password);
                }
                self.open(attempt);
            }
            Err(()) => {
                self.session.end_connection(SessionError::CredentialsFailed);
                self.absorb(now);
            }
        }
    }

    /// The URL the host made of a Server Reference, or `None` if it refused
    /// it (the next attempt then goes where it would have gone).
    pub fn handle_redirect(&mut self, now: Instant, url: Option<String>) {
        let Phase::Redirecting { number, delay } = self.phase else { return };
        let url = url.unwrap_or_else(|| self.url_of(number));
        self.wait(now, Attempt { number, url }, delay);
    }

    /// The stored state (`None`: nothing stored), or `Err` if the store
    /// cannot be read.
    pub fn handle_loaded(&mut self, now: Instant, state: Result<Option<Vec<u8>>, ()>) {
        if self.store != Store::Loading {
            return;
        }
        self.store = Store::Loaded { saved: 0, saving: None };
        match state {
            Ok(Some(bytes)) => {
                if self.session.import_state(&bytes).is_ok() {
                    self.store = Store::Loaded { saved: self.session.state_generation(), saving: None };
                } else {
                    self.error(SessionError::Storage("the stored session state is unreadable; starting empty"));
                }
            }
            Ok(None) => {}
            Err(()) => {
                self.store = Store::Memory;
                self.error(SessionError::Storage("IndexedDB is not available; the session stays in memory"));
            }
        }
        if matches!(self.phase, Phase::Loading) {
            self.first_attempt(now);
        }
    }

    /// The write asked for by `Action::Save` completed, or failed.
    pub fn handle_saved(&mut self, saved: Result<(), ()>) {
        let Store::Loaded { saving: Some(generation), .. } = self.store else { return };
        match saved {
            Ok(()) => self.store = Store::Loaded { saved: generation, saving: None },
            Err(()) => {
                self.store = Store::Memory;
                self.error(SessionError::Storage("writing to IndexedDB failed; the session stays in memory"));
            }
        }
    }

    /// The earliest deadline from `poll_timeout` has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.session.timers.take(Timer::Reconnect, now) {
            if let Phase::Waiting { attempt, delay } = mem::replace(&mut self.phase, Phase::Idle) {
                self.events.push_back(ClientEvent::Reconnect {
                    attempt: attempt.number,
                    delay,
                    url: attempt.url.clone(),
                });
                self.start(now, attempt);
            }
        }
        self.session.handle_timeout(now);
        self.absorb(now);
    }

    // ----- internals -----------------------------------------------------

    /// Runs a session command: refused once freed, otherwise the session
    /// decides, and what it reports joins the client's events.
    fn forward<T>(
        &mut self,
        now: Instant,
        command: impl FnOnce(&mut Session) -> Result<T, SessionError>,
    ) -> Result<T, SessionError> {
        if self.is_freed() {
            return Err(SessionError::Closed);
        }
        let result = command(&mut self.session);
        self.absorb(now);
        result
    }

    /// Whether `socket` is the current one (and, with `open`, opened).
    fn linked(&self, socket: SocketId, open: bool) -> bool {
        matches!(&self.phase, Phase::Linked { socket: s, .. } if *s == socket)
            && (!open || self.session.state() != super::State::Opening)
    }

    /// Starts a series of attempts for `connect()`: after the durable state
    /// is read, if it must be.
    fn begin(&mut self, now: Instant) {
        self.ended = false;
        match self.store {
            Store::Unloaded | Store::Loading => {
                self.load();
                self.phase = Phase::Loading;
            }
            Store::Memory | Store::Loaded { .. } => self.first_attempt(now),
        }
    }

    fn first_attempt(&mut self, now: Instant) {
        let url = self.url_of(1);
        self.start(now, Attempt { number: 0, url });
    }

    fn load(&mut self) {
        if self.store == Store::Unloaded {
            self.store = Store::Loading;
            self.actions.push_back(Action::Load { key: self.session.config.client_id.clone() });
        }
    }

    fn save_if_changed(&mut self) {
        let Store::Loaded { saved, saving: None } = self.store else { return };
        let generation = self.session.state_generation();
        if generation != saved {
            self.store = Store::Loaded { saved, saving: Some(generation) };
            let key = self.session.config.client_id.clone();
            self.actions.push_back(Action::Save { key, bytes: self.session.export_state() });
        }
    }

    /// The URL of attempt `number` of a series (the first attempt and the
    /// first reconnect both go to `url`).
    fn url_of(&self, number: u32) -> String {
        let urls = &self.settings.urls;
        let i = (number.max(1) as usize - 1) % urls.len().max(1);
        urls.get(i).cloned().unwrap_or_default()
    }

    fn new_socket(&mut self) -> SocketId {
        self.next_socket += 1;
        SocketId(self.next_socket)
    }

    /// One attempt: the connect timeout runs from now, over the credentials
    /// step and the socket.
    fn start(&mut self, now: Instant, attempt: Attempt) {
        if let Err(e) = self.session.connect(now) {
            self.fail_connects(e);
            self.phase = Phase::Idle;
            return;
        }
        if self.settings.credentials_provider {
            let socket = self.new_socket();
            self.actions.push_back(Action::FetchCredentials { socket });
            self.phase = Phase::Credentials { attempt, socket };
        } else {
            self.open(attempt);
        }
    }

    fn open(&mut self, attempt: Attempt) {
        let socket = self.new_socket();
        let protocol = self.session.protocol().websocket_protocol();
        self.last_url.clone_from(&attempt.url);
        self.actions.push_back(Action::Open { socket, url: attempt.url.clone(), protocol });
        self.phase = Phase::Linked { attempt, socket, since: None };
    }

    /// Moves the session's events into the client's, handling the two that
    /// decide about the connection.
    fn absorb(&mut self, now: Instant) {
        while let Some(event) = self.session.poll_event() {
            match event {
                Event::Lost(error) => self.lost(now, error),
                Event::Connected(ack) => {
                    if let Phase::Linked { since, .. } = &mut self.phase {
                        *since = Some(now);
                    }
                    for op in mem::take(&mut self.connect_waiters) {
                        self.events.push_back(ClientEvent::ConnectDone(op, Ok(ack.clone())));
                    }
                    self.last_connack = Some(ack.clone());
                    self.events.push_back(ClientEvent::Session(Event::Connected(ack)));
                }
                other => self.events.push_back(ClientEvent::Session(other)),
            }
        }
    }

    /// The connection or attempt is over: close the socket, then try again,
    /// give up, or fail the `connect()` that asked for it.
    fn lost(&mut self, now: Instant, error: SessionError) {
        let (attempt, since) = match mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Linked { attempt, socket, since } => {
                // What the session still has for this socket goes before it
                // closes: acknowledgements held for the end of a burst, and
                // the v5 DISCONNECT telling the server why.
                let bytes = self.session.poll_transmit().unwrap_or_default();
                self.actions.push_back(Action::Close { socket, bytes });
                self.events.push_back(ClientEvent::Close);
                (attempt, since)
            }
            Phase::Credentials { attempt, .. } => (attempt, None),
            other => {
                self.phase = other;
                return;
            }
        };
        if since.is_some() {
            self.events.push_back(ClientEvent::Offline);
        }
        self.error(error);
        // A connection that stayed up starts the next series from the first
        // step; one that dropped at once counts as a failed attempt, so the
        // back-off grows and `servers` rotate past a server that accepts
        // and then drops us.
        let stable = since.is_some_and(|at| self.settings.backoff.resets_after(now.saturating_since(at)));
        let failed = if stable { 0 } else { attempt.number };
        let reference = self.session.take_server_reference();
        let connecting = !self.connect_waiters.is_empty();
        let max = self.settings.max_reconnect_attempts;
        if self.settings.backoff.base.is_zero() || (connecting && !error.is_transient()) {
            self.end(error, !connecting);
        } else if max > 0 && failed >= max {
            self.end(error, true);
        } else {
            let number = failed + 1;
            let jitter = self.jitter();
            let delay = self.settings.backoff.delay(number, jitter);
            match reference {
                Some(reference) => self.redirect(now, number, delay, reference),
                None => {
                    let url = self.url_of(number);
                    self.wait(now, Attempt { number, url }, delay);
                }
            }
        }
    }

    /// Gives up: the connects waiting fail with `error`, the session ends
    /// (every operation fails with `Closed`), and, unless a `connect()` was
    /// the one to fail, `End`. What is stored stays stored: the next
    /// `connect()` reads it again.
    fn end(&mut self, error: SessionError, announce: bool) {
        self.fail_connects(error);
        if self.store != Store::Memory {
            self.store = Store::Unloaded;
        }
        self.session.shutdown();
        while let Some(event) = self.session.poll_event() {
            self.events.push_back(ClientEvent::Session(event));
        }
        if announce {
            self.announce_end();
        }
    }

    fn announce_end(&mut self) {
        if !mem::replace(&mut self.ended, true) {
            self.events.push_back(ClientEvent::End);
        }
    }

    /// Follows a Server Reference: the next attempt goes there if the
    /// policy allows it.
    fn redirect(&mut self, now: Instant, number: u32, delay: Duration, reference: String) {
        match self.settings.redirect {
            Redirect::Ask => {
                self.actions.push_back(Action::ResolveRedirect { reference });
                self.phase = Phase::Redirecting { number, delay };
            }
            Redirect::KnownHosts => {
                let url = redirected(&self.url_of(number), &reference)
                    .filter(|url| self.settings.urls.iter().any(|known| host(known) == host(url)))
                    .unwrap_or_else(|| self.url_of(number));
                self.wait(now, Attempt { number, url }, delay);
            }
        }
    }

    fn wait(&mut self, now: Instant, attempt: Attempt, delay: Duration) {
        self.session.timers.set(Timer::Reconnect, now + delay);
        self.phase = Phase::Waiting { attempt, delay };
    }

    fn fail_connects(&mut self, error: SessionError) {
        for op in mem::take(&mut self.connect_waiters) {
            self.events.push_back(ClientEvent::ConnectDone(op, Err(error)));
        }
    }

    fn error(&mut self, error: SessionError) {
        self.events.push_back(ClientEvent::Session(Event::Error(error)));
    }

    /// A number in `[0, 1)` (xorshift64).
    fn jitter(&mut self) -> f64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `url` with its host and port replaced by the first server of
/// `reference` ("host[:port]", several separated by spaces [MQTT-4.11]);
/// the scheme and path are kept.
fn redirected(url: &str, reference: &str) -> Option<String> {
    let target = text::split(reference, b' ').find(|s| !s.is_empty())?;
    let (scheme, rest) = scheme_and_rest(url)?;
    let path = rest.get(text::before(rest, b'/').len()..).unwrap_or("");
    Some([scheme, "://", target, path].concat())
}

/// `("wss", "host:port/path")` for `"wss://host:port/path"`. (Split at
/// the first ':' rather than at "://": a substring search, with its
/// panicking slicing, would be the only one in the .wasm.)
fn scheme_and_rest(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = text::split_once(url, b':')?;
    Some((scheme, rest.strip_prefix("//")?))
}

/// The host of a `ws://` / `wss://` URL, without port or path.
fn host(url: &str) -> &str {
    let rest = scheme_and_rest(url).map_or(url, |(_, rest)| rest);
    let authority = text::before(rest, b'/');
    let authority = text::rsplit_once(authority, b'@').map_or(authority, |(_, host)| host);
    if let Some(v6) = authority.strip_prefix('[') {
        return text::before(v6, b']');
    }
    text::before(authority, b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_replaces_host_and_port_and_keeps_scheme_and_path() {
        assert_eq!(
            redirected("wss://a.example:8884/mqtt", "b.example:9001").as_deref(),
            Some("wss://b.example:9001/mqtt")
        );
        assert_eq!(redirected("ws://a/mqtt", " c d").as_deref(), Some("ws://c/mqtt"));
        assert_eq!(redirected("ws://a", "").as_deref(), None);
    }

    #[test]
    fn hosts_are_compared_without_port_path_or_user() {
        assert_eq!(host("ws://u:p@h.example:1/x"), "h.example");
        assert_eq!(host("ws://[::1]:9001/mqtt"), "::1");
        assert_eq!(host("wss://127.0.0.1/mqtt"), "127.0.0.1");
    }
}
