//! One exported function, [`run`], that feeds a script of MQTT packets to
//! the core's [`Client`] as the browser bindings would: packets a client
//! sends become commands (CONNECT configures a client and connects it,
//! PUBLISH publishes, and so on), packets a server sends arrive as bytes on
//! the open socket, PINGREQ stands for the timer firing and PINGRESP, while
//! connected, for the socket closing underneath (so the reconnect back-off
//! runs). Every action is executed, every event taken and every error
//! rendered as its message, so the linker keeps what a binding needs of the
//! core (codec, session and connection lifecycle) and nothing else.

#![no_std]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;

use mqtt_wasm::codec::{Bytes, Decoder, Packet, ProtocolVersion};
use mqtt_wasm::session::{
    Action, Backoff, Client, ClientEvent, Config, Event, HandlerId, Instant, Redirect, Session, Settings, SocketId,
};

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

/// What the browser edge would hold: the client and its open socket.
struct Host {
    client: Client,
    socket: Option<SocketId>,
    digest: usize,
}

impl Host {
    fn new(config: Config) -> Self {
        let settings = Settings {
            urls: alloc::vec![String::from("ws://floor/mqtt")],
            backoff: Backoff { base: core::time::Duration::from_secs(1), max: core::time::Duration::from_secs(30) },
            max_reconnect_attempts: 3,
            credentials_provider: false,
            durable: true,
            redirect: Redirect::KnownHosts,
            seed: 7,
        };
        Self { client: Client::new(config, settings), socket: None, digest: 0 }
    }

    /// Sends, executes actions and takes events until the client is quiet.
    fn settle(&mut self, now: Instant) {
        loop {
            let digest = &mut self.digest;
            self.client.transmit_with(|bytes| *digest += bytes.len());
            let mut busy = false;
            while let Some(action) = self.client.poll_action() {
                busy = true;
                self.execute(now, action);
            }
            while let Some(event) = self.client.poll_event() {
                busy = true;
                self.digest += self.take(event);
            }
            if !busy {
                break;
            }
        }
        self.digest += self.client.poll_timeout().map_or(0, |at| at.as_millis() as usize);
    }

    fn execute(&mut self, now: Instant, action: Action) {
        match action {
            Action::Open { socket, url, protocol } => {
                self.digest += url.len() + protocol.len();
                self.socket = Some(socket);
                self.client.handle_open(now, socket);
            }
            Action::Close { socket, bytes } => {
                self.digest += bytes.len();
                self.client.handle_closed(now, socket, 1000);
            }
            Action::FetchCredentials { socket } => self.client.handle_credentials(now, socket, Err(())),
            Action::ResolveRedirect { reference } => {
                self.digest += reference.len();
                self.client.handle_redirect(now, None);
            }
            Action::Load { key } => {
                self.digest += key.len();
                self.client.handle_loaded(now, Ok(None));
            }
            Action::Save { key, bytes } => {
                self.digest += key.len() + bytes.len();
                self.client.handle_saved(Ok(()));
            }
        }
    }

    fn take(&self, event: ClientEvent) -> usize {
        match event {
            ClientEvent::Session(event) => session_event(event, self.client.session()),
            ClientEvent::ConnectDone(_, Ok(ack)) => usize::from(ack.session_present),
            ClientEvent::ConnectDone(_, Err(e)) => e.message().len(),
            ClientEvent::DisconnectDone(op) => op.get() as usize,
            ClientEvent::Reconnect { attempt, delay, url } => attempt as usize + delay.as_millis() as usize + url.len(),
            ClientEvent::Close | ClientEvent::Offline | ClientEvent::End => 1,
        }
    }
}

fn session_event(event: Event, session: &Session) -> usize {
    match event {
        // As the bindings deliver a message: the handlers the session names.
        Event::Message(mut p) => {
            let mut handlers = Vec::new();
            session.deliver(&mut p, &mut handlers);
            p.payload.len() + handlers.iter().map(|h| h.0 as usize).sum::<usize>()
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
    }
}

fn drive(mut script: &[u8]) -> usize {
    let mut decoder = Decoder::new(ProtocolVersion::V5, u32::MAX);
    let mut host = Host::new(Config::default());
    let mut ms = 0;
    loop {
        let before = script;
        let Ok(Some(packet)) = decoder.next_from(&mut script) else { break };
        // Its bytes as the script has them: a server's packet arrives as is.
        let bytes = &before[..before.len() - script.len()];
        ms += 100;
        let now = Instant::from_millis(ms);
        let accepted = match packet {
            Packet::Connect(c) => {
                host = Host::new(Config {
                    protocol: c.protocol,
                    client_id: c.client_id,
                    keep_alive: c.keep_alive,
                    clean_start: c.clean_start,
                    username: c.username,
                    password: c.password,
                    will: c.will,
                    properties: c.properties,
                    ..Config::default()
                });
                host.client.set_trace(true);
                host.settle(now);
                host.client.connect(now);
                Ok(())
            }
            Packet::Publish(p) => {
                let qos = p.qos_pid.qos();
                host.client.publish(now, p, qos).map(drop)
            }
            Packet::Subscribe(s) => {
                // With a handler, as `subscribe(filter, opts, handler)`.
                let handler = Some(HandlerId(s.packet_id.get().into()));
                host.client.subscribe_with(now, s.subscriptions, s.properties, handler).map(drop)
            }
            Packet::Unsubscribe(u) => host.client.unsubscribe(now, u.filters, u.properties).map(drop),
            Packet::Auth(a) => host.client.auth(now, a),
            Packet::Disconnect(d) => host.client.disconnect(now, &d).map(drop),
            Packet::PingReq => {
                host.client.handle_timeout(now);
                Ok(())
            }
            Packet::PingResp if host.client.session().is_connected() => {
                if let Some(socket) = host.socket {
                    host.client.handle_closed(now, socket, 1006);
                }
                Ok(())
            }
            _ => {
                if let Some(socket) = host.socket {
                    host.client.handle_bytes(now, socket, Bytes::copy_from_slice(bytes));
                }
                Ok(())
            }
        };
        if let Err(e) = accepted {
            host.digest += e.message().len();
        }
        host.settle(now);
    }
    let state = host.client.session().export_state();
    let mut restored = Session::new(Config::default());
    let digest = match restored.import_state(&state) {
        Ok(()) => host.digest + restored.inflight_count() + restored.queued_count(),
        Err(e) => e.as_str().len(),
    };
    host.client.free(Instant::from_millis(ms + 100));
    digest + host.client.poll_event().map_or(0, |_| 1)
}
