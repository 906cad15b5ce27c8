//! Harnesses shared by the cargo-fuzz targets in `fuzz/` and by the tests
//! that replay their corpora and run them under proptest, so a case found
//! by the fuzzer stays checked by `cargo test`. Each one panics on a broken
//! invariant and must not panic otherwise.

use alloc::collections::BTreeSet;
use alloc::{borrow::ToOwned, vec, vec::Vec};

use core::time::Duration;

use crate::codec::{
    Bytes, Decoder, Disconnect, Packet, Properties, ProtocolVersion, Publish, QoS, ReasonCode, Subscription,
    SubscriptionOptions,
};
use crate::session::{
    Accepted, Action, Backoff, Client, ClientEvent, Config, Credentials, Event, HandlerId, Instant, OpId, Redirect,
    Session, Settings, SocketId, CLIENT_IDENTIFIERS,
};

fn version(selector: u8) -> ProtocolVersion {
    match selector % 3 {
        0 => ProtocolVersion::V3_1,
        1 => ProtocolVersion::V3_1_1,
        _ => ProtocolVersion::V5,
    }
}

/// Streams `data[2..]` through a [`Decoder`] (version from `data[0]`, chunk
/// size from `data[1]`) through `next_from`, `next_from_bytes` and
/// `push`/`next_packet`: all must yield the same packets and the same
/// error, and every packet must encode and decode back to itself.
pub fn decoder(data: &[u8]) {
    let [selector, chunk, stream @ ..] = data else { return };
    let version = version(*selector);
    let chunk = usize::from(*chunk % 64) + 1;
    let in_place = decode_all(stream, chunk, version, |d, input| d.next_from(input));
    let buffered = decode_all(stream, chunk, version, |d, input| {
        d.push(core::mem::take(input));
        d.next_packet()
    });
    assert_eq!(in_place, buffered, "next_from and next_packet disagree");
    let mut decoder = Decoder::new(version, 4096);
    let mut shared = (Vec::new(), None);
    'chunks: for piece in stream.chunks(chunk) {
        let mut input = Bytes::copy_from_slice(piece);
        loop {
            match decoder.next_from_bytes(&mut input) {
                Ok(Some(packet)) => shared.0.push(packet),
                Ok(None) => break,
                Err(e) => {
                    shared.1 = Some(e);
                    break 'chunks;
                }
            }
        }
    }
    assert_eq!(shared, buffered, "next_from_bytes and next_packet disagree");
    for packet in &in_place.0 {
        check_roundtrip(packet, version);
    }
}

type Next = fn(&mut Decoder, &mut &[u8]) -> Result<Option<Packet>, crate::codec::DecodeError>;

fn decode_all(
    stream: &[u8],
    chunk: usize,
    version: ProtocolVersion,
    next: Next,
) -> (Vec<Packet>, Option<crate::codec::DecodeError>) {
    let mut decoder = Decoder::new(version, 4096);
    let mut packets = Vec::new();
    for piece in stream.chunks(chunk) {
        let mut input = piece;
        loop {
            match next(&mut decoder, &mut input) {
                Ok(Some(packet)) => packets.push(packet),
                Ok(None) => break,
                Err(e) => return (packets, Some(e)),
            }
        }
    }
    (packets, None)
}

fn check_roundtrip(packet: &Packet, version: ProtocolVersion) {
    let mut buf = Vec::new();
    let version = match packet {
        Packet::Connect(c) => c.protocol,
        _ => version,
    };
    if let Err(e) = packet.encode(version, &mut buf) {
        panic!("a decoded {} does not encode: {e}", packet.name());
    }
    match Packet::decode_from(&buf, version) {
        Ok(Some((again, used))) => {
            assert_eq!(used, buf.len(), "{} re-encodes with trailing bytes", packet.name());
            assert_eq!(&again, packet, "{} does not survive a round trip", packet.name());
        }
        other => panic!("a re-encoded {} does not decode: {other:?}", packet.name()),
    }
}

/// Runs a [`Client`] (and so its session) on a script read from `data`:
/// the first byte picks the version and the client's settings; then each
/// step is an action byte, a time step byte and, for actions with data, a
/// length byte and that many bytes. Actions are the application's commands
/// (connect, disconnect, reconnect, publish, ...), the host's reports
/// (socket opened, bytes, text frames, closed, credentials, store reads
/// and writes, redirects, timeouts) and reports about older sockets. The client must
/// not panic, its durable state must survive export and import, and once
/// it is freed every operation it accepted (connects and disconnects
/// included) must have completed exactly once.
pub fn session(data: &[u8]) {
    let Some((&selector, mut script)) = data.split_first() else { return };
    let protocol = version(selector);
    let config = Config { protocol, client_id: "c".into(), keep_alive: 5, max_queued: 4, ..Config::default() };
    let settings = Settings {
        urls: vec!["ws://a/".into(), "ws://b/".into()],
        backoff: Backoff {
            base: Duration::from_millis(u64::from(selector / 3 % 2) * 100),
            max: Duration::from_millis(1000),
        },
        max_reconnect_attempts: u32::from(selector / 6 % 4),
        credentials_provider: selector & 0x20 != 0,
        durable: selector & 0x40 != 0,
        redirect: if selector & 0x80 != 0 { Redirect::Ask } else { Redirect::KnownHosts },
        seed: u64::from(selector),
    };
    let mut h = Host {
        c: Client::new(config, settings),
        now: 0,
        accepted: BTreeSet::new(),
        completed: BTreeSet::new(),
        sockets: Vec::new(),
        credentials: None,
        loading: false,
        saving: false,
        redirecting: false,
    };
    h.drain();
    while let [action, step, rest @ ..] = script {
        let with_data = matches!(action % 16, 2 | 3 | 11);
        let (bytes, rest) = match rest.split_first() {
            Some((&len, tail)) if with_data => tail.split_at(usize::from(len).min(tail.len())),
            _ => (&[][..], rest),
        };
        script = rest;
        h.now += u64::from(*step) * 100;
        h.step(*action, *step, bytes, protocol);
        h.drain();
    }
    // Whatever state the script left, it survives export and import whole.
    let s = h.c.session();
    let state = s.export_state();
    let mut restored = Session::new(Config { protocol, client_id: "c".into(), ..Config::default() });
    if let Err(e) = restored.import_state(&state) {
        panic!("an exported state does not import: {e}");
    }
    assert_eq!(
        (restored.inflight_count(), restored.queued_count()),
        (s.inflight_count(), s.queued_count()),
        "the restored session holds what was exported"
    );
    assert_eq!(restored.export_state(), state, "export, import, export is stable");
    h.c.free(Instant::from_millis(h.now));
    h.drain();
    assert!(h.c.poll_timeout().is_none(), "a freed client has no deadline");
    assert_eq!(h.accepted, h.completed, "an accepted operation never completed");
}

/// The fuzzed client and what it asked its host for.
struct Host {
    c: Client,
    now: u64,
    accepted: BTreeSet<OpId>,
    completed: BTreeSet<OpId>,
    /// Every socket opened, newest last.
    sockets: Vec<SocketId>,
    credentials: Option<SocketId>,
    loading: bool,
    saving: bool,
    redirecting: bool,
}

impl Host {
    fn step(&mut self, action: u8, step: u8, bytes: &[u8], protocol: ProtocolVersion) {
        let at = Instant::from_millis(self.now);
        let socket = self.sockets.last().copied();
        let c = &mut self.c;
        let mut accept = |r: Result<OpId, _>| {
            if let Ok(op) = r {
                self.accepted.insert(op);
            }
        };
        match action % 16 {
            0 => accept(Ok(c.connect(at))),
            1 => {
                // A server that accepts; what it says next comes from the script.
                let connack: &[u8] = if protocol.is_v5() { &[0x20, 0x03, 0, 0, 0] } else { &[0x20, 0x02, 0, 0] };
                if let Some(s) = socket {
                    c.handle_open(at, s);
                    c.handle_bytes(at, s, Bytes::from_static(connack));
                }
            }
            2 => {
                if let Some(s) = socket {
                    c.handle_bytes(at, s, Bytes::copy_from_slice(bytes));
                }
            }
            3 => {
                let qos = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce][usize::from(step % 3)];
                let topic = if step % 7 == 0 { "bad/#" } else { "t" };
                match c.publish(at, Publish::new(topic, Bytes::copy_from_slice(bytes)), qos) {
                    Ok(Accepted::Pending(op)) => accept(Ok(op)),
                    Ok(Accepted::Written) => assert_eq!(qos, QoS::AtMostOnce, "only QoS 0 completes on return"),
                    Err(e) => accept(Err(e)),
                }
            }
            4 => {
                // Without a handler, with one (routed), with one on two
                // overlapping filters (one SUBSCRIBE each on v5).
                let filters: &[&str] = if step % 3 == 2 { &["a/+", "a/#"] } else { &["a/+"] };
                let subs = filters
                    .iter()
                    .map(|f| Subscription { filter: (*f).into(), options: SubscriptionOptions::default() })
                    .collect();
                let handler = (step % 3 != 0).then_some(HandlerId(u32::from(step % 2)));
                accept(c.subscribe_with(at, subs, Properties::default(), handler));
            }
            5 => accept(c.unsubscribe(at, vec!["a/+".into()], Properties::default())),
            6 => {
                if let Some(s) = socket {
                    c.handle_closed(at, s, 1006);
                }
            }
            7 => c.handle_timeout(at),
            8 => {
                let d = Disconnect { reason_code: ReasonCode::Success, properties: Properties::default() };
                accept(c.disconnect(at, &d));
            }
            9 => accept(Ok(c.reconnect(at))),
            10 => {
                if let Some(s) = self.credentials.take() {
                    let answer = if step % 2 == 0 { Ok(Credentials::default()) } else { Err(()) };
                    c.handle_credentials(at, s, answer);
                }
            }
            11 => {
                if core::mem::take(&mut self.loading) {
                    let answer = match step % 3 {
                        0 => Ok(None),
                        1 => Ok(Some(bytes.to_vec())),
                        _ => Err(()),
                    };
                    c.handle_loaded(at, answer);
                }
            }
            12 => {
                if core::mem::take(&mut self.saving) {
                    c.handle_saved(if step % 4 == 0 { Err(()) } else { Ok(()) });
                }
            }
            13 => {
                if core::mem::take(&mut self.redirecting) {
                    let url = (step % 2 == 0).then(|| "ws://c/".to_owned());
                    c.handle_redirect(at, url);
                }
            }
            14 => {
                if let Some(s) = socket {
                    c.handle_open(at, s);
                }
            }
            _ if step % 2 == 1 => {
                // A text frame on the current socket [MQTT-6.0.0-1].
                if let Some(s) = socket {
                    c.handle_text_frame(at, s);
                }
            }
            _ => {
                // Reports about an older socket.
                if let Some(&old) = self.sockets.iter().rev().nth(1) {
                    c.handle_bytes(at, old, Bytes::from_static(&[0x20, 0x02, 0, 0]));
                    c.handle_closed(at, old, 1000);
                }
            }
        }
    }

    fn drain(&mut self) {
        let c = &mut self.c;
        c.transmit_with(|_| {});
        while let Some(action) = c.poll_action() {
            match action {
                Action::Open { socket, .. } => self.sockets.push(socket),
                Action::FetchCredentials { socket } => self.credentials = Some(socket),
                Action::Load { .. } => self.loading = true,
                Action::Save { .. } => self.saving = true,
                Action::ResolveRedirect { .. } => self.redirecting = true,
                Action::Close { .. } => {}
            }
        }
        while let Some(e) = c.poll_event() {
            if let ClientEvent::Session(Event::Message(mut message)) = e {
                // Each handler named once, only routed ones; the client's
                // own identifiers never reach the application.
                let mut handlers = Vec::new();
                c.session().deliver(&mut message, &mut handlers);
                assert!(handlers.len() <= 2 && handlers.iter().all(|&h| c.session().routes_to(h)));
                assert!(handlers.len() < 2 || handlers[0] != handlers[1], "a handler named twice for one message");
                let mut ids = message.properties.subscription_identifiers();
                assert!(ids.all(|id| !CLIENT_IDENTIFIERS.contains(&id)), "a client identifier shown");
                continue;
            }
            let op = match e {
                ClientEvent::Session(
                    Event::PublishDone(op, _) | Event::SubscribeDone(op, _) | Event::UnsubscribeDone(op, _),
                )
                | ClientEvent::ConnectDone(op, _)
                | ClientEvent::DisconnectDone(op) => op,
                _ => continue,
            };
            assert!(self.completed.insert(op), "an operation completed twice");
        }
    }
}
