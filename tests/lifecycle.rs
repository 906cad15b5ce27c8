//! The connection lifecycle of `session::Client`, driven as the browser edge
//! drives it but with a virtual clock: every ordering of connect,
//! disconnect, reconnect and free, retries and back-off, rotation, giving
//! up, credentials, the durable store and server redirection.
#![cfg(not(target_arch = "wasm32"))]

use core::time::Duration;

use mqtt_wasm::codec::{Bytes, Disconnect, Properties, ProtocolVersion, Publish, QoS, ReasonCode};
use mqtt_wasm::session::{
    Accepted, Action, Backoff, Client, ClientEvent, Config, Credentials, Event, Instant, OpId, Redirect, SessionError,
    Settings, SocketId,
};

const A: &str = "ws://a.test:9001/mqtt";
const B: &str = "ws://b.test:9001/mqtt";
/// CONNACK, MQTT 3.1.1, accepted.
const CONNACK_OK: [u8; 4] = [0x20, 0x02, 0x00, 0x00];

fn settings() -> Settings {
    Settings {
        urls: vec![A.into(), B.into()],
        backoff: Backoff { base: Duration::from_millis(1000), max: Duration::from_millis(30_000) },
        max_reconnect_attempts: 0,
        credentials_provider: false,
        durable: false,
        redirect: Redirect::KnownHosts,
        seed: 42,
    }
}

fn config(protocol: ProtocolVersion) -> Config {
    Config { protocol, client_id: "cid".into(), ..Config::default() }
}

/// The host side: the client, a clock, and what the client asked for.
struct Host {
    c: Client,
    now: u64,
    /// Open sockets, newest last, with their URL.
    opened: Vec<(SocketId, String)>,
    closed: Vec<(SocketId, Vec<u8>)>,
    other: Vec<Action>,
    events: Vec<ClientEvent>,
}

impl Host {
    fn new(settings: Settings) -> Self {
        Self::with(config(ProtocolVersion::V3_1_1), settings)
    }

    fn with(config: Config, settings: Settings) -> Self {
        let mut h = Self {
            c: Client::new(config, settings),
            now: 0,
            opened: vec![],
            closed: vec![],
            other: vec![],
            events: vec![],
        };
        h.collect();
        h
    }

    fn now(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    /// What the client has for the open socket (nothing without one).
    fn sent(&mut self) -> Vec<u8> {
        let mut sent = Vec::new();
        self.c.transmit_with(|bytes| sent.extend_from_slice(bytes));
        sent
    }

    /// Takes the client's outputs in the documented order.
    fn collect(&mut self) {
        self.sent();
        while let Some(a) = self.c.poll_action() {
            match a {
                Action::Open { socket, url, .. } => self.opened.push((socket, url)),
                Action::Close { socket, bytes } => self.closed.push((socket, bytes)),
                other => self.other.push(other),
            }
        }
        while let Some(e) = self.c.poll_event() {
            self.events.push(e);
        }
    }

    fn socket(&self) -> SocketId {
        self.opened.last().expect("a socket was opened").0
    }

    fn url(&self) -> &str {
        &self.opened.last().expect("a socket was opened").1
    }

    fn connect(&mut self) -> OpId {
        let op = self.c.connect(self.now());
        self.collect();
        op
    }

    /// The current socket opens and the server accepts.
    fn accept(&mut self) {
        let s = self.socket();
        self.c.handle_open(self.now(), s);
        self.c.handle_bytes(self.now(), s, Bytes::from_static(&CONNACK_OK));
        self.collect();
    }

    /// The current socket opens and the server answers with `connack`.
    fn answer(&mut self, connack: &[u8]) {
        let s = self.socket();
        self.c.handle_open(self.now(), s);
        self.c.handle_bytes(self.now(), s, Bytes::copy_from_slice(connack));
        self.collect();
    }

    /// The current socket fails or closes (close code 1006).
    fn drop_socket(&mut self) {
        let s = self.socket();
        self.c.handle_closed(self.now(), s, 1006);
        self.collect();
    }

    /// Advances the clock by `ms`, firing every deadline on the way.
    fn advance(&mut self, ms: u64) {
        let end = self.now + ms;
        while let Some(at) = self.c.poll_timeout().filter(|at| at.as_millis() <= end) {
            self.now = self.now.max(at.as_millis());
            self.c.handle_timeout(self.now());
            self.collect();
        }
        self.now = end;
    }

    fn disconnect(&mut self) -> OpId {
        let d = Disconnect { reason_code: ReasonCode::Success, properties: Properties::default() };
        let op = self.c.disconnect(self.now(), &d).unwrap();
        self.collect();
        op
    }

    fn publish_qos1(&mut self) -> OpId {
        let accepted = self.c.publish(self.now(), Publish::new("t", Bytes::from_static(b"x")), QoS::AtLeastOnce);
        self.collect();
        match accepted {
            Ok(Accepted::Pending(op)) => op,
            other => panic!("expected a pending publish, got {other:?}"),
        }
    }

    fn take_events(&mut self) -> Vec<ClientEvent> {
        std::mem::take(&mut self.events)
    }

    /// The events, named, without the packet summaries.
    fn names(&mut self) -> Vec<String> {
        self.take_events().iter().map(name).collect()
    }

    fn connect_result(&self, op: OpId) -> Option<Result<(), SessionError>> {
        self.events.iter().find_map(|e| match e {
            ClientEvent::ConnectDone(o, r) if *o == op => Some(r.clone().map(drop)),
            _ => None,
        })
    }

    fn reconnects(&self) -> Vec<(u32, u128, String)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Reconnect { attempt, delay, url } => Some((*attempt, delay.as_millis(), url.clone())),
                _ => None,
            })
            .collect()
    }
}

fn name(e: &ClientEvent) -> String {
    match e {
        ClientEvent::Session(Event::Connected(_)) => "connect".into(),
        ClientEvent::Session(Event::Error(e)) => format!("error:{}", e.code()),
        ClientEvent::Session(Event::PublishDone(_, r)) => {
            format!("publish:{}", r.as_ref().map_or_else(|e| e.code(), |_| "ok"))
        }
        ClientEvent::Session(other) => format!("{other:?}"),
        ClientEvent::ConnectDone(_, r) => format!("connected:{}", r.as_ref().map_or_else(|e| e.code(), |_| "ok")),
        ClientEvent::DisconnectDone(_) => "disconnected".into(),
        ClientEvent::Reconnect { attempt, .. } => format!("reconnect:{attempt}"),
        ClientEvent::Close => "close".into(),
        ClientEvent::Offline => "offline".into(),
        ClientEvent::End => "end".into(),
    }
}

#[test]
fn a_first_connect_to_a_broker_not_up_yet_is_retried_until_it_is() {
    let mut h = Host::new(settings());
    let op = h.connect();
    assert_eq!(h.url(), A);
    h.drop_socket();
    assert_eq!(h.names(), ["close", "error:ConnectionFailed"], "the failure is reported, connect() still waits");
    assert_eq!(h.connect_result(op), None);
    h.advance(1000);
    h.drop_socket();
    h.advance(2000);
    h.accept();
    assert_eq!(h.connect_result(op), Some(Ok(())));
    let r = h.reconnects();
    assert_eq!(
        r.iter().map(|r| (r.0, r.2.as_str())).collect::<Vec<_>>(),
        [(1, A), (2, B)],
        "rotation: url, servers[0]"
    );
    assert!((500..1000).contains(&r[0].1) && (1000..2000).contains(&r[1].1), "equal jitter, doubling: {r:?}");
}

#[test]
fn a_first_connect_with_reconnect_period_zero_rejects_on_the_first_failure() {
    let mut h = Host::new(Settings { backoff: Backoff { base: Duration::ZERO, ..settings().backoff }, ..settings() });
    let op = h.connect();
    h.drop_socket();
    let e = h.take_events();
    assert!(
        matches!(&e[..], [ClientEvent::Close, ClientEvent::Session(Event::Error(SessionError::ConnectFailed(1006))), ClientEvent::ConnectDone(o, Err(SessionError::ConnectFailed(1006)))] if *o == op),
        "{e:?}"
    );
    h.advance(60_000);
    assert_eq!(h.opened.len(), 1, "no retry");
}

#[test]
fn a_refusal_that_retrying_cannot_fix_rejects_connect_at_once() {
    let mut h = Host::new(settings());
    let op = h.connect();
    h.answer(&[0x20, 0x02, 0x00, 0x05]); // 3.1.1 return code 5: not authorized
    assert_eq!(h.connect_result(op), Some(Err(SessionError::ConnectionRefused(ReasonCode::NotAuthorized))));
    h.advance(60_000);
    assert_eq!(h.opened.len(), 1, "no retry");
}

#[test]
fn a_server_unavailable_refusal_of_the_first_connect_is_retried() {
    let mut h = Host::new(settings());
    let op = h.connect();
    h.answer(&[0x20, 0x02, 0x00, 0x03]); // 3.1.1 return code 3: server unavailable
    assert_eq!(h.connect_result(op), None);
    h.advance(1000);
    h.accept();
    assert_eq!(h.connect_result(op), Some(Ok(())));
}

#[test]
fn the_connect_timeout_of_an_attempt_is_a_transient_failure() {
    let mut h = Host::new(Settings { max_reconnect_attempts: 1, ..settings() });
    let op = h.connect();
    h.advance(30_000);
    assert!(h.names().contains(&"error:Timeout".to_owned()));
    h.advance(1000);
    assert_eq!(h.opened.len(), 2);
    h.advance(30_000);
    let e = h.names();
    assert_eq!(
        e,
        ["reconnect:1", "close", "error:Timeout", "connected:Timeout", "end"],
        "attempts used up: it gives up"
    );
    let _ = op;
}

#[test]
fn after_max_reconnect_attempts_the_client_gives_up_and_settles_everything() {
    let mut h = Host::new(Settings { max_reconnect_attempts: 2, ..settings() });
    h.connect();
    h.accept();
    let pending = h.publish_qos1();
    h.take_events();
    h.drop_socket();
    assert_eq!(h.names(), ["close", "offline", "error:ConnectionLost"]);
    h.advance(1000);
    h.drop_socket();
    h.advance(2000);
    h.drop_socket();
    let e = h.take_events();
    assert!(e.iter().any(
        |e| matches!(e, ClientEvent::Session(Event::PublishDone(op, Err(SessionError::Closed))) if *op == pending)
    ));
    assert_eq!(e.last(), Some(&ClientEvent::End));
    assert_eq!(h.reconnects().len(), 0, "taken already");
    h.advance(120_000);
    assert_eq!(h.opened.len(), 3, "no attempt after giving up");
    let later = h.c.publish(h.now(), Publish::new("t", Bytes::new()), QoS::AtMostOnce);
    assert_eq!(later.unwrap_err(), SessionError::Closed);
}

#[test]
fn a_connection_that_stayed_up_resets_the_back_off_and_one_that_dropped_at_once_does_not() {
    let mut h = Host::new(settings());
    h.connect();
    h.accept();
    h.drop_socket(); // dropped at once: attempt 1 follows
    h.advance(1000);
    h.accept();
    h.drop_socket(); // attempt 1 dropped at once: it failed, attempt 2 follows
    h.advance(2000);
    h.accept();
    h.advance(10_000); // attempt 2 stayed up: the series starts again
    h.drop_socket();
    h.advance(1000);
    let attempts: Vec<u32> = h.reconnects().iter().map(|r| r.0).collect();
    assert_eq!(attempts, [1, 2, 1]);
}

#[test]
fn connect_right_after_disconnect_connects_again_once_the_socket_closed() {
    let mut h = Host::new(settings());
    h.connect();
    h.accept();
    h.take_events();
    let bye = h.disconnect();
    assert_eq!(h.closed.last().map(|c| c.1.clone()), Some(vec![0xE0, 0x00]), "DISCONNECT, then close");
    let again = h.connect();
    assert_eq!(h.opened.len(), 1, "not before the socket closed");
    h.drop_socket_closed_by_disconnect();
    let names = h.names();
    assert_eq!(names, ["close", "disconnected", "end"]);
    assert_eq!(h.opened.len(), 2, "a new connection starts");
    h.accept();
    assert_eq!(h.connect_result(again), Some(Ok(())));
    let _ = bye;
}

impl Host {
    /// The socket closing after `disconnect()`.
    fn drop_socket_closed_by_disconnect(&mut self) {
        let s = self.closed.last().expect("a socket was closed").0;
        self.c.handle_closed(self.now(), s, 1000);
        self.collect();
    }
}

#[test]
fn disconnect_rejects_a_pending_connect_and_stops_the_retries() {
    let mut h = Host::new(settings());
    let op = h.connect();
    h.drop_socket();
    h.take_events();
    let bye = h.disconnect();
    let e = h.take_events();
    assert_eq!(
        e,
        [ClientEvent::ConnectDone(op, Err(SessionError::Closed)), ClientEvent::DisconnectDone(bye), ClientEvent::End]
    );
    h.advance(60_000);
    assert_eq!(h.opened.len(), 1);
}

#[test]
fn disconnect_while_connected_settles_operations_then_ends_when_the_socket_closed() {
    let mut h = Host::new(settings());
    h.connect();
    h.accept();
    let p = h.publish_qos1();
    h.take_events();
    let bye = h.disconnect();
    assert_eq!(h.take_events(), [ClientEvent::Session(Event::PublishDone(p, Err(SessionError::Closed)))]);
    h.drop_socket_closed_by_disconnect();
    assert_eq!(h.take_events(), [ClientEvent::Close, ClientEvent::DisconnectDone(bye), ClientEvent::End]);
    h.advance(60_000);
    assert_eq!(h.opened.len(), 1, "no reconnect after disconnect()");
}

#[test]
fn end_comes_once_per_ending_not_again_on_free_or_a_second_disconnect() {
    let mut h = Host::new(settings());
    h.connect();
    h.accept();
    h.take_events();
    let bye = h.disconnect();
    h.drop_socket_closed_by_disconnect();
    assert_eq!(h.take_events(), [ClientEvent::Close, ClientEvent::DisconnectDone(bye), ClientEvent::End]);
    let again = h.disconnect();
    assert_eq!(h.take_events(), [ClientEvent::DisconnectDone(again)], "already ended");
    h.c.free(h.now());
    h.collect();
    assert_eq!(h.take_events(), [], "free() after the end says nothing more");

    // A client that connected again ends again.
    let mut h = Host::new(settings());
    h.connect();
    h.accept();
    let bye = h.disconnect();
    h.drop_socket_closed_by_disconnect();
    h.take_events();
    h.connect();
    h.accept();
    h.take_events();
    h.c.free(h.now());
    h.collect();
    assert_eq!(h.take_events().last(), Some(&ClientEvent::End));
    let _ = bye;
}

#[test]
fn free_sends_disconnect_settles_every_promise_and_ends() {
    let mut h = Host::new(settings());
    h.connect();
    h.accept();
    let p = h.publish_qos1();
    h.take_events();
    let waiting = h.disconnect();
    h.take_events();
    let connect = h.connect();
    h.c.free(h.now());
    h.collect();
    let e = h.take_events();
    assert!(e.contains(&ClientEvent::ConnectDone(connect, Err(SessionError::Closed))), "{e:?}");
    assert!(e.contains(&ClientEvent::DisconnectDone(waiting)), "{e:?}");
    assert_eq!(e.last(), Some(&ClientEvent::End));
    assert!(h.c.is_freed());
    let _ = p;
    // A client freed while connected says goodbye first.
    let mut h = Host::new(settings());
    h.connect();
    h.accept();
    let p = h.publish_qos1();
    h.c.free(h.now());
    h.collect();
    assert_eq!(h.closed.last().map(|c| c.1.clone()), Some(vec![0xE0, 0x00]));
    let e = h.take_events();
    assert!(e.contains(&ClientEvent::Session(Event::PublishDone(p, Err(SessionError::Closed)))));
    assert_eq!(&e[e.len() - 2..], [ClientEvent::Close, ClientEvent::End]);
    let after = h.connect();
    assert_eq!(h.connect_result(after), Some(Err(SessionError::Closed)));
    h.advance(60_000);
    assert_eq!(h.opened.len(), 1);
}

#[test]
fn reconnect_cuts_the_back_off_short_and_starts_from_the_first_server() {
    let mut h = Host::new(settings());
    h.connect();
    h.accept();
    h.drop_socket();
    h.advance(1000);
    h.drop_socket(); // attempt 2 would go to B after 1-2 s
    let op = h.c.reconnect(h.now());
    h.collect();
    assert_eq!(h.opened.len(), 3, "at once");
    assert_eq!(h.url(), A);
    h.accept();
    assert_eq!(h.connect_result(op), Some(Ok(())));
    h.advance(60_000);
    assert_eq!(h.opened.len(), 3, "the cancelled attempt never runs");
}

#[test]
fn connect_while_connected_resolves_at_once_and_during_an_attempt_joins_it() {
    let mut h = Host::new(settings());
    let first = h.connect();
    let second = h.connect();
    assert_eq!(h.opened.len(), 1);
    h.accept();
    assert_eq!((h.connect_result(first), h.connect_result(second)), (Some(Ok(())), Some(Ok(()))));
    let third = h.connect();
    assert_eq!(h.connect_result(third), Some(Ok(())));
    assert_eq!(h.opened.len(), 1);
}

#[test]
fn reports_about_an_older_socket_are_ignored() {
    let mut h = Host::new(settings());
    h.connect();
    let old = h.socket();
    h.drop_socket();
    h.advance(1000);
    h.take_events();
    h.c.handle_closed(h.now(), old, 1006);
    h.c.handle_bytes(h.now(), old, Bytes::from_static(&CONNACK_OK));
    h.collect();
    assert_eq!(h.names(), Vec::<String>::new());
    h.accept();
    assert!(h.c.session().is_connected());
}

#[test]
fn credentials_are_asked_for_before_every_attempt() {
    let mut h = Host::new(Settings { credentials_provider: true, ..settings() });
    h.connect();
    let Some(Action::FetchCredentials { socket }) = h.other.pop() else { panic!("{:?}", h.other) };
    assert!(h.opened.is_empty(), "no socket before the credentials");
    let creds = Credentials { url: Some("ws://a.test:9002/mqtt".into()), username: Some("u".into()), password: None };
    h.c.handle_credentials(h.now(), socket, Ok(creds));
    h.collect();
    assert_eq!(h.url(), "ws://a.test:9002/mqtt", "the provider's URL");
    let s = h.socket();
    h.c.handle_open(h.now(), s);
    let connect = h.sent();
    assert!(connect.windows(1).any(|w| w == b"u") && connect[9] & 0x80 != 0, "CONNECT carries the username");
    h.drop_socket();
    h.advance(1000);
    assert!(matches!(h.other.pop(), Some(Action::FetchCredentials { .. })), "asked again for attempt 1");
}

#[test]
fn a_failing_credentials_provider_reports_its_own_error_not_an_old_close_code() {
    let mut h = Host::new(Settings { credentials_provider: true, ..settings() });
    h.connect();
    let Some(Action::FetchCredentials { socket }) = h.other.pop() else { panic!() };
    h.c.handle_credentials(h.now(), socket, Ok(Credentials::default()));
    h.collect();
    h.drop_socket(); // an earlier socket closed with 1006
    h.take_events();
    h.advance(1000);
    let Some(Action::FetchCredentials { socket }) = h.other.pop() else { panic!() };
    h.c.handle_credentials(h.now(), socket, Err(()));
    h.collect();
    let e = h.take_events();
    assert!(
        matches!(
            &e[..],
            [ClientEvent::Reconnect { .. }, ClientEvent::Session(Event::Error(SessionError::CredentialsFailed))]
        ),
        "one error, with no close code and no close event: {e:?}"
    );
    assert_eq!(SessionError::CredentialsFailed.close_code(), None);
}

#[test]
fn credentials_that_arrive_after_the_connect_timeout_are_ignored() {
    let mut h = Host::new(Settings {
        credentials_provider: true,
        backoff: Backoff { base: Duration::ZERO, ..settings().backoff },
        ..settings()
    });
    let op = h.connect();
    let Some(Action::FetchCredentials { socket }) = h.other.pop() else { panic!() };
    h.advance(30_000);
    assert_eq!(h.connect_result(op), Some(Err(SessionError::ConnectTimeout)));
    h.c.handle_credentials(h.now(), socket, Ok(Credentials::default()));
    h.collect();
    assert!(h.opened.is_empty());
}

fn durable() -> Settings {
    Settings { durable: true, ..settings() }
}

/// A client with a stored session that has one unacknowledged QoS 1 publish.
fn stored_state() -> Vec<u8> {
    let mut h = Host::with(Config { clean_start: false, ..config(ProtocolVersion::V3_1_1) }, durable());
    let Some(Action::Load { .. }) = h.other.pop() else { panic!() };
    h.c.handle_loaded(h.now(), Ok(None));
    h.connect();
    h.accept();
    h.publish_qos1();
    // The writes follow one another; the last one holds the publish.
    let mut last = None;
    while let Some(Action::Save { key, bytes }) = h.other.pop() {
        assert_eq!(key, "cid");
        last = Some(bytes);
        h.c.handle_saved(Ok(()));
        h.collect();
    }
    last.expect("the state was written")
}

#[test]
fn connect_waits_for_the_stored_state_and_resends_what_it_holds() {
    let state = stored_state();
    let mut h = Host::with(Config { clean_start: false, ..config(ProtocolVersion::V3_1_1) }, durable());
    assert!(matches!(h.other.pop(), Some(Action::Load { key }) if key == "cid"), "read at construction");
    let op = h.connect();
    assert!(h.opened.is_empty(), "no connection before the state is read");
    h.advance(5000);
    h.c.handle_loaded(h.now(), Ok(Some(state)));
    h.collect();
    assert_eq!(h.c.session().inflight_count(), 1);
    let s = h.socket();
    h.c.handle_open(h.now(), s);
    h.c.handle_bytes(h.now(), s, Bytes::from_static(&[0x20, 0x02, 0x01, 0x00]));
    let sent = h.sent();
    // CONNECT without Clean Session, then the publish again: DUP, QoS 1, packet id 1.
    assert_eq!(sent[9], 0x00, "resumes the session");
    assert!(sent.ends_with(&[0x3A, 0x06, 0x00, 0x01, b't', 0x00, 0x01, b'x']), "{sent:02x?}");
    h.collect();
    assert_eq!(h.connect_result(op), Some(Ok(())));
}

#[test]
fn a_store_that_cannot_be_read_leaves_the_session_in_memory_and_connects() {
    let mut h = Host::with(config(ProtocolVersion::V3_1_1), durable());
    h.other.clear();
    let op = h.connect();
    h.c.handle_loaded(h.now(), Err(()));
    h.collect();
    assert_eq!(h.names(), ["error:Storage"]);
    h.accept();
    assert_eq!(h.connect_result(op), Some(Ok(())));
    h.publish_qos1();
    assert!(h.other.is_empty(), "nothing is written to a store that failed: {:?}", h.other);
}

#[test]
fn writes_go_one_at_a_time_and_a_failed_write_ends_the_store() {
    let mut h = Host::with(config(ProtocolVersion::V3_1_1), durable());
    h.other.clear();
    h.c.handle_loaded(h.now(), Ok(None));
    h.connect();
    h.accept();
    h.publish_qos1();
    assert_eq!(h.other.len(), 1);
    h.publish_qos1();
    assert_eq!(h.other.len(), 1, "the second write waits for the first");
    h.c.handle_saved(Ok(()));
    h.collect();
    assert_eq!(h.other.len(), 2, "then the newest state is written");
    h.c.handle_saved(Err(()));
    h.collect();
    assert_eq!(h.names().last().map(String::as_str), Some("error:Storage"));
    h.publish_qos1();
    assert_eq!(h.other.len(), 2);
}

#[test]
fn giving_up_keeps_the_stored_state_and_the_next_connect_reads_it_again() {
    let mut h = Host::with(
        config(ProtocolVersion::V3_1_1),
        Settings { backoff: Backoff { base: Duration::ZERO, ..settings().backoff }, ..durable() },
    );
    h.other.clear();
    h.c.handle_loaded(h.now(), Ok(None));
    h.connect();
    h.accept();
    h.publish_qos1();
    h.c.handle_saved(Ok(()));
    h.other.clear();
    h.drop_socket();
    assert_eq!(h.take_events().last(), Some(&ClientEvent::End));
    assert!(h.other.is_empty(), "the emptied session does not overwrite the store: {:?}", h.other);
    h.connect();
    assert!(matches!(h.other.pop(), Some(Action::Load { .. })));
    assert_eq!(h.opened.len(), 1, "waits for the read");
}

#[test]
fn a_disconnect_while_the_state_loads_ends_without_connecting() {
    let mut h = Host::with(config(ProtocolVersion::V3_1_1), durable());
    let op = h.connect();
    let bye = h.disconnect();
    h.c.handle_loaded(h.now(), Ok(None));
    h.collect();
    assert_eq!(
        h.take_events(),
        [ClientEvent::ConnectDone(op, Err(SessionError::Closed)), ClientEvent::DisconnectDone(bye), ClientEvent::End]
    );
    assert!(h.opened.is_empty());
}

/// A v5 CONNACK refusing with `reason` and a Server Reference.
fn connack_redirect(reason: u8, reference: &str) -> Vec<u8> {
    let mut props = vec![0x1C, 0, reference.len() as u8];
    props.extend_from_slice(reference.as_bytes());
    let mut body = vec![0x00, reason, props.len() as u8];
    body.extend(props);
    let mut p = vec![0x20, body.len() as u8];
    p.extend(body);
    p
}

#[test]
fn mqtt_4_11_a_server_reference_to_a_known_host_is_followed() {
    let mut h = Host::with(
        config(ProtocolVersion::V5),
        Settings { urls: vec![A.into(), "ws://c.test/x".into()], ..settings() },
    );
    let op = h.connect();
    h.answer(&connack_redirect(0x9D, "c.test:1884"));
    assert_eq!(h.connect_result(op), None, "a redirection is not a refusal");
    h.advance(1000);
    assert_eq!(h.url(), "ws://c.test:1884/mqtt");
}

#[test]
fn a_server_reference_to_a_host_the_application_did_not_name_is_not_followed() {
    let mut h = Host::with(config(ProtocolVersion::V5), settings());
    h.connect();
    h.accept_v5();
    let s = h.socket();
    // DISCONNECT 0x9C Use another server, Server Reference "evil.test".
    h.c.handle_bytes(h.now(), s, Bytes::from_static(b"\xE0\x0E\x9C\x0C\x1C\x00\x09evil.test"));
    h.collect();
    h.advance(1000);
    assert_eq!(h.url(), A, "the credentials stay with the servers the application named");
}

#[test]
fn with_the_ask_policy_the_host_maps_the_reference() {
    let mut h = Host::with(config(ProtocolVersion::V5), Settings { redirect: Redirect::Ask, ..settings() });
    h.connect();
    h.answer(&connack_redirect(0x9C, "elsewhere.test"));
    assert_eq!(h.other.pop(), Some(Action::ResolveRedirect { reference: "elsewhere.test".into() }));
    h.c.handle_redirect(h.now(), Some("wss://elsewhere.test/mqtt".into()));
    h.advance(1000);
    assert_eq!(h.url(), "wss://elsewhere.test/mqtt");
    // Refused: the next attempt goes where it would have gone.
    h.answer(&connack_redirect(0x9C, "worse.test"));
    assert!(matches!(h.other.pop(), Some(Action::ResolveRedirect { .. })));
    h.c.handle_redirect(h.now(), None);
    h.advance(2000);
    assert_eq!(h.url(), B);
}

impl Host {
    fn accept_v5(&mut self) {
        self.answer(&[0x20, 0x03, 0x00, 0x00, 0x00]);
        assert!(self.c.session().is_connected());
    }
}

#[test]
fn bytes_held_for_a_lost_socket_go_out_with_its_close_and_never_to_the_next_one() {
    let mut h = Host::with(config(ProtocolVersion::V5), settings());
    h.connect();
    h.accept_v5();
    let s = h.socket();
    // A malformed packet: the v5 DISCONNECT 0x81 goes out before the close.
    h.c.handle_bytes(h.now(), s, Bytes::from_static(&[0x30, 0x02, 0x00, 0x05]));
    h.collect();
    assert_eq!(h.closed.last(), Some(&(s, vec![0xE0, 0x01, 0x81])));
    h.advance(1000);
    let s = h.socket();
    h.c.handle_open(h.now(), s);
    assert_eq!(h.sent().first(), Some(&0x10), "the next socket starts with CONNECT");
}

#[test]
fn mqtt_6_0_0_1_a_text_frame_closes_the_connection_with_a_protocol_error() {
    let mut h = Host::new(Settings { backoff: Backoff { base: Duration::ZERO, ..settings().backoff }, ..settings() });
    h.connect();
    h.accept();
    let p = h.publish_qos1();
    h.take_events();
    let s = h.socket();
    h.c.handle_text_frame(h.now(), s);
    h.collect();
    assert_eq!(h.closed.last().map(|c| c.0), Some(s), "the socket is closed");
    let e = h.take_events();
    assert!(
        matches!(e[2], ClientEvent::Session(Event::Error(SessionError::Protocol(ReasonCode::MalformedPacket, _)))),
        "{e:?}"
    );
    assert!(e.contains(&ClientEvent::Session(Event::PublishDone(p, Err(SessionError::Closed)))));
    assert_eq!(h.sent(), [], "nothing is decoded from it, and no DISCONNECT is sent");
}

#[test]
fn a_socket_that_never_opened_is_a_failed_connection_and_one_that_opened_is_a_lost_one() {
    let mut h = Host::new(settings());
    h.connect();
    h.drop_socket();
    assert!(h.take_events().contains(&ClientEvent::Session(Event::Error(SessionError::ConnectFailed(1006)))));
    assert_eq!(h.c.url(), A, "the URL the error is about");
    h.advance(1000);
    h.accept();
    h.take_events();
    h.drop_socket();
    assert!(h.take_events().contains(&ClientEvent::Session(Event::Error(SessionError::TransportClosed(1006)))));
    assert_eq!(SessionError::ConnectFailed(1006).code(), "ConnectionFailed");
    assert_eq!(SessionError::TransportClosed(1006).code(), "ConnectionLost");
}
