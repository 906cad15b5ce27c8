//! What the application decides about a session before it connects.

use alloc::string::String;
use core::time::Duration;

use crate::codec::{Properties, ProtocolVersion, Secret, Will};

/// The session's settings; the defaults are those of the JavaScript API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub protocol: ProtocolVersion,
    /// Empty asks the server to assign one (needs a clean start).
    pub client_id: String,
    /// Seconds; 0 disables keepalive. A v5 Server Keep Alive overrides it.
    pub keep_alive: u16,
    /// Clean Session (3.x) or Clean Start (5.0).
    pub clean_start: bool,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub will: Option<Will>,
    /// v5 CONNECT properties, the Session Expiry Interval among them.
    pub properties: Properties,
    /// From starting a connection to its CONNACK.
    pub connect_timeout: Duration,
    /// Re-issue the granted subscriptions after a CONNACK without a session.
    pub resubscribe: bool,
    /// Queue publishes and subscriptions while offline instead of failing them.
    pub queue_while_offline: bool,
    /// Publishes waiting to be sent, beyond which `publish` fails.
    pub max_queued: usize,
    /// Larger packets from the server are a protocol error.
    pub max_incoming_packet_size: u32,
    /// Incoming QoS 2 messages held between PUBLISH and PUBREL, beyond
    /// which the server has broken the protocol: with the packet size, it
    /// bounds what a server can make the client hold. Announced as Receive
    /// Maximum on MQTT 5 (the smaller of it and a configured one).
    pub max_unreleased: u16,
    /// v5: give outgoing topics aliases, up to the server's Topic Alias Maximum.
    pub auto_topic_alias: bool,
}

impl Config {
    /// How many unreleased incoming QoS 2 messages we accept: the smaller
    /// of `max_unreleased` and a configured Receive Maximum.
    pub fn receive_maximum(&self) -> u16 {
        self.properties.receive_maximum().map_or(self.max_unreleased, |r| r.min(self.max_unreleased))
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            protocol: ProtocolVersion::V3_1_1,
            client_id: String::new(),
            keep_alive: 60,
            clean_start: true,
            username: None,
            password: None,
            will: None,
            properties: Properties::default(),
            connect_timeout: Duration::from_secs(30),
            resubscribe: true,
            queue_while_offline: true,
            max_queued: 1000,
            max_incoming_packet_size: 1024 * 1024,
            max_unreleased: 1000,
            auto_topic_alias: false,
        }
    }
}
