//! Harnesses shared by the cargo-fuzz targets in `fuzz/` and by the tests
//! that replay their corpora and run them under proptest, so a case found
//! by the fuzzer stays checked by `cargo test`. Each one panics on a broken
//! invariant and must not panic otherwise.

use std::collections::HashSet;

use crate::codec::{
    Bytes, Decoder, Packet, Properties, ProtocolVersion, Publish, QoS, Subscription, SubscriptionOptions,
};
use crate::session::{Config, Event, Instant, Session};

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

/// Runs a session on a script read from `data`: each step is an action
/// byte, a time step byte and, for actions with data, a length byte and
/// that many bytes. The session must not panic, its durable state must
/// survive export and import, and once it shuts down every operation it
/// accepted must have completed exactly once.
pub fn session(data: &[u8]) {
    let Some((&selector, mut script)) = data.split_first() else { return };
    let protocol = version(selector);
    let config = Config { protocol, client_id: "c".into(), keep_alive: 5, max_queued: 4, ..Config::default() };
    let mut s = Session::new(config);
    let mut now = 0u64;
    let mut accepted = HashSet::new();
    let mut completed = HashSet::new();
    while let [action, step, rest @ ..] = script {
        let (bytes, rest) = match rest.split_first() {
            Some((&len, tail)) if action % 8 >= 2 && action % 8 <= 3 => tail.split_at(usize::from(len).min(tail.len())),
            _ => (&[][..], rest),
        };
        script = rest;
        now += u64::from(*step) * 100;
        let at = Instant::from_millis(now);
        match action % 8 {
            0 => {
                let _ = s.connect(at);
                s.handle_transport_open(at);
            }
            1 => {
                // A server that accepts; what it says next comes from the script.
                let connack: &[u8] = if protocol.is_v5() { &[0x20, 0x03, 0, 0, 0] } else { &[0x20, 0x02, 0, 0] };
                s.handle_bytes(at, Bytes::from_static(connack));
            }
            2 => s.handle_bytes(at, Bytes::copy_from_slice(bytes)),
            3 => {
                let qos = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce][usize::from(step % 3)];
                let topic = if step % 7 == 0 { "bad/#" } else { "t" };
                let p = Publish::new(topic, Bytes::copy_from_slice(bytes));
                if let Ok(op) = s.publish(at, p, qos) {
                    accepted.insert(op);
                }
            }
            4 => {
                let subs = vec![Subscription { filter: "a/+".into(), options: SubscriptionOptions::default() }];
                if let Ok(op) = s.subscribe(at, subs, Properties::default()) {
                    accepted.insert(op);
                }
            }
            5 => {
                if let Ok(op) = s.unsubscribe(at, vec!["a/+".into()], Properties::default()) {
                    accepted.insert(op);
                }
            }
            6 => s.handle_transport_closed(),
            _ => s.handle_timeout(at),
        }
        drain(&mut s, &mut completed);
    }
    // Whatever state the script left, it survives export and import whole.
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
    s.shutdown();
    drain(&mut s, &mut completed);
    assert_eq!(accepted, completed, "an accepted operation never completed");
}

fn drain(s: &mut Session, completed: &mut HashSet<crate::session::OpId>) {
    let _ = s.poll_transmit();
    while let Some(e) = s.poll_event() {
        if let Event::PublishDone(op, _) | Event::SubscribeDone(op, _) | Event::UnsubscribeDone(op, _) = e {
            assert!(completed.insert(op), "an operation completed twice");
        }
    }
}
