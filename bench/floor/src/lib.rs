//! One exported function, [`run`], that feeds a script of MQTT packets to
//! the session as the browser bindings would: packets a client sends become
//! commands (CONNECT configures and opens a session, PUBLISH publishes, and
//! so on), packets a server sends arrive as bytes, PINGREQ stands for a timer
//! firing and PINGRESP, while connected, for the socket closing (and the
//! reconnect back-off being asked for its delay). Every event is taken and every error rendered as its message, so
//! the linker keeps what a binding needs of the core and nothing else.

#![no_std]

extern crate alloc;

use alloc::vec::Vec;

use mqtt_wasm::codec::{Decoder, Packet, ProtocolVersion};
use mqtt_wasm::session::{Backoff, Config, Event, Instant, Session, TopicTrie};

/// Runs the script of `len` bytes at `ptr` and returns a digest of what
/// came out, so that nothing the session produced is optimised away.
///
/// # Safety
/// `ptr` must point to `len` readable bytes (memory the caller filled
/// through [`alloc`]).
#[no_mangle]
pub unsafe extern "C" fn run(ptr: *const u8, len: usize) -> usize {
    // SAFETY: the caller guarantees the range is readable.
    let script = unsafe { core::slice::from_raw_parts(ptr, len) };
    drive(script)
}

/// Room for a script, in the module's memory.
#[no_mangle]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    Vec::<u8>::with_capacity(len).leak().as_mut_ptr()
}

fn drive(mut script: &[u8]) -> usize {
    let mut decoder = Decoder::new(ProtocolVersion::V5, u32::MAX);
    let mut session = Session::new(Config::default());
    let mut handlers = TopicTrie::default();
    let backoff = Backoff { base: core::time::Duration::from_secs(1), max: core::time::Duration::from_secs(30) };
    let mut digest = 0;
    let mut ms = 0;
    while let Ok(Some(packet)) = decoder.next_from(&mut script) {
        ms += 100;
        let now = Instant::from_millis(ms);
        let accepted = match packet {
            Packet::Connect(c) => {
                let protocol = c.protocol;
                session = Session::new(Config {
                    protocol,
                    client_id: c.client_id,
                    keep_alive: c.keep_alive,
                    clean_start: c.clean_start,
                    username: c.username,
                    password: c.password,
                    will: c.will,
                    properties: c.properties,
                    ..Config::default()
                });
                session.set_trace(true);
                let started = session.connect(now).map(drop);
                session.handle_transport_open(now);
                started
            }
            Packet::Publish(p) => {
                let qos = p.qos_pid.qos();
                session.publish(now, p, qos).map(drop)
            }
            Packet::Subscribe(s) => {
                for sub in &s.subscriptions {
                    handlers.insert(&sub.filter, digest);
                }
                session.subscribe(now, s.subscriptions, s.properties).map(drop)
            }
            Packet::Unsubscribe(u) => {
                for filter in &u.filters {
                    handlers.remove_where(filter, |_| true);
                }
                session.unsubscribe(now, u.filters, u.properties).map(drop)
            }
            Packet::Auth(a) => session.auth(now, a),
            Packet::Disconnect(d) => session.disconnect(now, &d),
            Packet::PingReq => {
                session.handle_timeout(now);
                Ok(())
            }
            Packet::PingResp if session.is_connected() => {
                session.handle_transport_closed();
                digest += backoff.delay(2, 0.5).as_millis() as usize;
                Ok(())
            }
            server => {
                let mut bytes = Vec::new();
                if server.encode(session.protocol(), &mut bytes).is_ok() {
                    session.handle_bytes(now, bytes.into());
                }
                Ok(())
            }
        };
        if let Err(e) = accepted {
            digest += e.message().len();
        }
        while let Some(bytes) = session.poll_transmit() {
            digest += bytes.len();
        }
        while let Some(event) = session.poll_event() {
            digest += match event {
                Event::Message(p) => {
                    handlers.for_each_match(&p.topic, |h| digest += h);
                    p.payload.len()
                }
                Event::PublishDone(_, Err(e))
                | Event::SubscribeDone(_, Err(e))
                | Event::UnsubscribeDone(_, Err(e))
                | Event::Error(e)
                | Event::Lost(e) => e.message().len(),
                Event::Connected(ack) => usize::from(ack.session_present),
                Event::PublishDone(_, Ok(ack)) => usize::from(ack.properties.is_empty()),
                Event::SubscribeDone(_, Ok(ack)) => ack.reason_codes.len(),
                Event::UnsubscribeDone(_, Ok(ack)) => ack.reason_codes.len(),
                Event::Auth(auth) => usize::from(auth.reason_code as u8),
                Event::ServerDisconnect(d) => usize::from(d.reason_code as u8),
                Event::PacketSent(info) | Event::PacketReceived(info) => info.kind.len(),
            };
        }
        digest += session.poll_timeout().map_or(0, |at| at.as_millis() as usize);
    }
    let state = session.export_state();
    let mut restored = Session::new(Config::default());
    match restored.import_state(&state) {
        Ok(()) => digest + restored.inflight_count() + restored.queued_count() + session.client_id().len(),
        Err(e) => e.as_str().len(),
    }
}
