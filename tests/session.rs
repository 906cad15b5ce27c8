//! Scripted conversations with the sans-IO session: bytes in, bytes out,
//! simulated time. Each test is named after the specification rule it
//! checks. Client bytes are compared exactly, as hex written from the
//! specification's field layouts.
#![cfg(not(target_arch = "wasm32"))]

use core::time::Duration;

use mqtt_wasm::codec::{
    id, Ack, Auth, Bytes, ConnAck, DecodeError, Decoder, Disconnect, Packet, PacketId, Properties, ProtocolVersion,
    Publish, QoS, QosPid, ReasonCode, Secret, SubAck, Subscription, SubscriptionOptions, UnsubAck, Value,
};
use mqtt_wasm::session::{
    Accepted, Config, Event, HandlerId, ImportError, Instant, OpId, Session, SessionError, State,
};

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect()
}

fn pid(v: u16) -> PacketId {
    PacketId::new(v).unwrap()
}

/// A session and the server's end of its connection, with a virtual clock.
struct Conv {
    s: Session,
    now: u64,
    version: ProtocolVersion,
}

impl Conv {
    fn new(config: Config) -> Self {
        let version = config.protocol;
        Self { s: Session::new(config), now: 0, version }
    }

    fn config(version: ProtocolVersion) -> Config {
        Config { protocol: version, client_id: "cid".into(), ..Config::default() }
    }

    fn now(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    /// connect() and the transport opening; returns the CONNECT bytes.
    fn open(&mut self) -> Vec<u8> {
        self.s.connect(self.now()).unwrap();
        self.s.handle_transport_open(self.now());
        self.sent()
    }

    /// A connection accepted with `connack`.
    fn connected_with(&mut self, connack: ConnAck) {
        self.open();
        self.server(Packet::ConnAck(connack));
        assert!(self.s.is_connected());
    }

    fn connected(&mut self) {
        self.connected_with(ConnAck {
            session_present: false,
            reason_code: ReasonCode::Success,
            properties: Properties::default(),
        });
        self.events();
    }

    fn server_bytes(&mut self, bytes: &[u8]) {
        self.s.handle_bytes(self.now(), Bytes::copy_from_slice(bytes));
    }

    fn server(&mut self, packet: Packet) {
        let mut buf = Vec::new();
        packet.encode(self.version, &mut buf).unwrap();
        self.server_bytes(&buf);
    }

    fn sent(&mut self) -> Vec<u8> {
        self.s.poll_transmit().unwrap_or_default()
    }

    /// What the client sent, decoded as the server would.
    fn sent_packets(&mut self) -> Vec<Packet> {
        let bytes = self.sent();
        let mut d = Decoder::new(self.version, u32::MAX);
        d.push(&bytes);
        let mut out = Vec::new();
        while let Some(p) = d.next_packet().unwrap() {
            out.push(p);
        }
        assert_eq!(d.buffered(), 0, "partial packet sent");
        out
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.s.poll_event()).collect()
    }

    /// Advances the clock by `ms`, firing every deadline on the way.
    fn advance(&mut self, ms: u64) {
        let end = self.now + ms;
        while let Some(at) = self.s.poll_timeout().filter(|at| at.as_millis() <= end) {
            self.now = self.now.max(at.as_millis());
            self.s.handle_timeout(self.now());
        }
        self.now = end;
    }

    fn publish(&mut self, topic: &str, payload: &[u8], qos: QoS) -> Result<Accepted, SessionError> {
        let p = Publish::new(topic, Bytes::copy_from_slice(payload));
        self.s.publish(self.now(), p, qos)
    }

    /// A publish that must wait for its completion event: its id.
    fn publish_op(&mut self, topic: &str, payload: &[u8], qos: QoS) -> OpId {
        match self.publish(topic, payload, qos) {
            Ok(Accepted::Pending(op)) => op,
            other => panic!("expected a pending publish, got {other:?}"),
        }
    }

    /// Subscribes to `filter` with default options and no properties.
    fn subscribe(&mut self, filter: &str) -> OpId {
        self.s.subscribe(self.now(), sub(filter), Properties::default()).unwrap()
    }

    fn lose_connection(&mut self) {
        self.s.handle_transport_closed();
        assert!(matches!(self.events().last(), Some(Event::Lost(SessionError::ConnectionLost))));
    }
}

/// One subscription to `filter` with default options.
fn sub(filter: &str) -> Vec<Subscription> {
    vec![Subscription { filter: filter.into(), options: SubscriptionOptions::default() }]
}

fn success() -> ConnAck {
    ConnAck { session_present: false, reason_code: ReasonCode::Success, properties: Properties::default() }
}

fn resumed() -> ConnAck {
    ConnAck { session_present: true, ..success() }
}

fn publish_packet(topic: &str, payload: &[u8], qos_pid: QosPid) -> Packet {
    Packet::from(Publish {
        dup: false,
        qos_pid,
        retain: false,
        topic: topic.into(),
        properties: Properties::default(),
        payload: Bytes::copy_from_slice(payload),
    })
}

fn done_publish(events: &[Event]) -> Vec<(OpId, Result<Option<ReasonCode>, SessionError>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::PublishDone(op, r) => Some((*op, r.clone().map(|a| a.reason_code))),
            _ => None,
        })
        .collect()
}

fn messages(events: &[Event]) -> Vec<(String, Vec<u8>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message(p) => Some((p.topic.to_string(), p.payload.to_vec())),
            _ => None,
        })
        .collect()
}

// ----- connection ---------------------------------------------------------

#[test]
fn mqtt_3_1_1_connect_3_1_2_has_protocol_name_mqtt_level_4_and_clean_session() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    // 10 len | 00 04 "MQTT" | level 4 | flags: clean | keepalive 60 | 00 03 "cid"
    assert_eq!(c.open(), hex("10 0f 00 04 4d 51 54 54 04 02 00 3c 00 03 63 69 64"));
    // CONNACK: flags 0, return code 0
    c.server_bytes(&hex("20 02 00 00"));
    let events = c.events();
    assert!(matches!(&events[..], [Event::Connected(ack)] if ack.reason_code == ReasonCode::Success));
    assert_eq!(c.s.state(), State::Connected);
}

#[test]
fn mqtt_3_1_connect_uses_mqisdp_level_3() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1));
    assert_eq!(c.open(), hex("10 11 00 06 4d 51 49 73 64 70 03 02 00 3c 00 03 63 69 64"));
    // 3.1 CONNACK: reserved byte, return code
    c.server_bytes(&hex("20 02 00 00"));
    assert!(c.s.is_connected());
}

#[test]
fn mqtt_5_connect_3_1_2_carries_properties_and_will_properties() {
    let mut config = Conv::config(ProtocolVersion::V5);
    config.properties.set(id::SESSION_EXPIRY_INTERVAL, Value::U32(10)).unwrap();
    config.username = Some("u".into());
    config.password = Some(Secret(b"p".to_vec()));
    config.will = Some(mqtt_wasm::codec::Will {
        topic: "w".into(),
        payload: b"x".to_vec(),
        qos: QoS::AtLeastOnce,
        retain: true,
        properties: Properties::from_values(&[(id::WILL_DELAY_INTERVAL, Value::U32(5))]).unwrap(),
    });
    let mut c = Conv::new(config);
    let expected = hex(concat!(
        "10 2f 00 04 4d 51 54 54 05",
        " ee",                // user, password, will retain, will QoS 1, will, clean
        " 00 3c",             // keepalive
        " 0d 11 00 00 00 0a", // properties: session expiry 10,
        " 21 03 e8",          //   receive maximum 1000 (maxUnreleasedMessages, announced)
        " 27 00 10 00 00",    //   maximum packet size 1 MiB (maxIncomingPacketSize, announced)
        " 00 03 63 69 64",    // client id
        " 05 18 00 00 00 05", // will properties: will delay 5
        " 00 01 77 00 01 78", // will topic "w", payload "x"
        " 00 01 75 00 01 70", // user name "u", password "p"
    ));
    assert_eq!(c.open(), expected);
}

#[test]
fn mqtt_3_2_2_3_connack_refusal_maps_3_x_return_code_to_reason() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    c.open();
    c.server_bytes(&hex("20 02 00 05")); // not authorized
    assert_eq!(c.events(), vec![Event::Lost(SessionError::ConnectionRefused(ReasonCode::NotAuthorized))]);
    assert_eq!(c.s.state(), State::Idle);
    assert_eq!(c.s.poll_timeout(), None, "no timer left running");
}

#[test]
fn mqtt_3_2_2_connack_properties_set_client_id_keepalive_and_limits() {
    let mut config = Conv::config(ProtocolVersion::V5);
    config.client_id = String::new();
    let mut c = Conv::new(config);
    let properties = Properties::from_values(&[
        (id::ASSIGNED_CLIENT_IDENTIFIER, Value::Str("assigned-1")),
        (id::SERVER_KEEP_ALIVE, Value::U16(5)),
        (id::RECEIVE_MAXIMUM, Value::U16(1)),
        (id::MAXIMUM_QOS, Value::QoS(QoS::AtLeastOnce)),
        (id::RETAIN_AVAILABLE, Value::Flag(false)),
        (id::MAXIMUM_PACKET_SIZE, Value::U32(64)),
    ])
    .unwrap();
    c.connected_with(ConnAck {
        session_present: false,
        reason_code: ReasonCode::Success,
        properties: properties.clone(),
    });
    assert_eq!(c.s.client_id(), "assigned-1");
    assert_eq!(c.s.server_properties(), &properties);
    // Server Keep Alive 5 s replaces our 60 s [MQTT-3.2.2-21].
    assert_eq!(c.s.poll_timeout(), Some(Instant::from_millis(5000)));
    c.events();
    // Maximum QoS 1 [MQTT-3.2.2-11], Retain Available 0 [MQTT-3.2.2-14].
    let op = c.publish_op("t", b"", QoS::ExactlyOnce);
    assert_eq!(done_publish(&c.events()), vec![(op, Err(SessionError::Rejected(ReasonCode::QoSNotSupported)))]);
    let mut retained = Publish {
        dup: false,
        qos_pid: QosPid::AtMostOnce,
        retain: true,
        topic: "t".into(),
        properties: Properties::default(),
        payload: vec![].into(),
    };
    // A QoS 0 message is checked and written at once: refused on return.
    let refused = c.s.publish(c.now(), retained.clone(), QoS::AtMostOnce);
    assert_eq!(refused, Err(SessionError::Rejected(ReasonCode::RetainNotSupported)));
    // Maximum Packet Size 64 [MQTT-3.1.2-24]: a 100-byte payload is refused, not sent.
    retained.retain = false;
    retained.payload = vec![0; 100].into();
    assert_eq!(c.s.publish(c.now(), retained, QoS::AtMostOnce), Err(SessionError::PacketTooLarge));
    assert!(c.events().is_empty());
    assert!(c.sent().is_empty());
}

#[test]
fn connect_timeout_ends_the_attempt_without_connack() {
    let mut config = Conv::config(ProtocolVersion::V3_1_1);
    config.connect_timeout = Duration::from_millis(500);
    let mut c = Conv::new(config);
    c.open();
    c.advance(499);
    assert!(c.events().is_empty());
    c.advance(1);
    assert_eq!(c.events(), vec![Event::Lost(SessionError::ConnectTimeout)]);
}

#[test]
fn mqtt_3_1_4_5_server_packet_before_connack_is_a_protocol_error() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
    c.open();
    c.server_bytes(&hex("d0 00")); // PINGRESP before CONNACK
                                   // DISCONNECT with Protocol Error (0x82), properties length 0 omitted.
    assert_eq!(c.sent(), hex("e0 01 82"));
    assert!(matches!(c.events()[..], [Event::Lost(SessionError::Protocol(ReasonCode::ProtocolError, _))]));
}

// ----- keepalive ------------------------------------------------------------

#[test]
fn mqtt_3_1_2_23_pingreq_after_a_keepalive_without_sending_and_timeout_without_pingresp() {
    let mut config = Conv::config(ProtocolVersion::V3_1_1);
    config.keep_alive = 10;
    let mut c = Conv::new(config);
    c.connected();
    c.advance(9_999);
    assert!(c.sent().is_empty());
    c.advance(1);
    assert_eq!(c.sent(), hex("c0 00"));
    c.advance(5_000);
    c.server_bytes(&hex("d0 00"));
    // Sending restarts the interval: a publish at 15 s moves the next ping to 25 s.
    c.publish("t", b"", QoS::AtMostOnce).unwrap();
    c.sent();
    c.advance(9_999);
    assert!(c.sent().is_empty());
    c.advance(1);
    assert_eq!(c.sent(), hex("c0 00"));
    assert!(c.events().iter().all(|e| !matches!(e, Event::Lost(_))));
    // No PINGRESP this time: dead after another keepalive.
    c.advance(10_000);
    assert!(matches!(c.events().last(), Some(Event::Lost(SessionError::KeepAliveTimeout))));
    assert_eq!(c.s.state(), State::Idle);
}

#[test]
fn a_qos0_publish_while_connected_is_written_at_once_and_complete_on_return() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    c.connected();
    c.events();
    assert_eq!(c.publish("t", b"a", QoS::AtMostOnce), Ok(Accepted::Written));
    assert_eq!(c.publish("t", b"b", QoS::AtMostOnce), Ok(Accepted::Written));
    assert_eq!(c.sent(), hex("30 04 00 01 74 61 30 04 00 01 74 62"));
    // Nothing left to wait for: no completion event, nothing queued.
    assert!(c.events().is_empty());
    assert_eq!((c.s.queued_count(), c.s.inflight_count()), (0, 0));
    // QoS 1 still waits for its PUBACK.
    let op = c.publish_op("t", b"c", QoS::AtLeastOnce);
    assert!(done_publish(&c.events()).is_empty());
    c.server_bytes(&hex("40 02 00 01"));
    assert_eq!(done_publish(&c.events()), vec![(op, Ok(Some(ReasonCode::Success)))]);
}

#[test]
fn transmit_with_hands_over_what_poll_transmit_would_and_empties_the_buffer() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    c.connected();
    c.events();
    let mut writes = Vec::new();
    c.publish("t", b"a", QoS::AtMostOnce).unwrap();
    c.s.transmit_with(|bytes| writes.push(bytes.to_vec()));
    c.s.transmit_with(|bytes| writes.push(bytes.to_vec()));
    assert_eq!(writes, vec![hex("30 04 00 01 74 61")], "one write, then nothing left");
    c.publish("t", b"b", QoS::AtMostOnce).unwrap();
    assert_eq!(c.sent(), hex("30 04 00 01 74 62"), "the emptied buffer fills again");
}

#[test]
fn keepalive_zero_disables_pings() {
    let mut config = Conv::config(ProtocolVersion::V3_1_1);
    config.keep_alive = 0;
    let mut c = Conv::new(config);
    c.connected();
    assert_eq!(c.s.poll_timeout(), None);
}

// ----- QoS flows --------------------------------------------------------------

#[test]
fn mqtt_4_3_2_qos1_publish_completes_on_puback() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    c.connected();
    let op = c.publish_op("a/b", b"hi", QoS::AtLeastOnce);
    // 32 len | topic "a/b" | packet id 1 | payload "hi"
    assert_eq!(c.sent(), hex("32 09 00 03 61 2f 62 00 01 68 69"));
    assert_eq!(c.s.inflight_count(), 1);
    assert!(c.events().is_empty());
    c.server_bytes(&hex("40 02 00 01"));
    assert_eq!(done_publish(&c.events()), vec![(op, Ok(Some(ReasonCode::Success)))]);
    assert_eq!(c.s.inflight_count(), 0);
}

#[test]
fn mqtt_4_3_3_qos2_publish_pubrec_pubrel_pubcomp() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    c.connected();
    let op = c.publish_op("t", b"x", QoS::ExactlyOnce);
    assert_eq!(c.sent(), hex("34 06 00 01 74 00 01 78"));
    c.server_bytes(&hex("50 02 00 01")); // PUBREC
    assert_eq!(c.sent(), hex("62 02 00 01")); // PUBREL, flags 0010
    assert!(c.events().is_empty());
    c.server_bytes(&hex("70 02 00 01")); // PUBCOMP
    assert_eq!(done_publish(&c.events()), vec![(op, Ok(Some(ReasonCode::Success)))]);
}

#[test]
fn acknowledgements_in_any_order_complete_their_own_publish_across_the_identifier_wrap() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    c.connected();
    // Move the identifiers to the end of their range: 65,533 in order.
    for n in 1..=65533u16 {
        c.publish_op("t", b"x", QoS::AtLeastOnce);
        c.sent();
        c.server(Packet::PubAck(Ack::new(pid(n))));
    }
    c.events();
    // 65534 and 1 are QoS 2, 65535 and 2 QoS 1: the ids wrap to 1.
    let qos = [QoS::ExactlyOnce, QoS::AtLeastOnce, QoS::ExactlyOnce, QoS::AtLeastOnce];
    let ops: Vec<OpId> = qos.iter().map(|&q| c.publish_op("t", b"x", q)).collect();
    let ids: Vec<u16> = c
        .sent_packets()
        .iter()
        .map(|p| match p {
            Packet::Publish(p) => p.qos_pid.packet_id().unwrap().get(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, [65534, 65535, 1, 2]);
    let done = |c: &mut Conv| done_publish(&c.events()).into_iter().map(|(op, _)| op).collect::<Vec<_>>();
    c.server(Packet::PubAck(Ack::new(pid(2))));
    assert_eq!(done(&mut c), [ops[3]]);
    c.server(Packet::PubRec(Ack::new(pid(1))));
    assert_eq!(c.sent_packets(), [Packet::PubRel(Ack::new(pid(1)))]);
    // A PUBACK for a QoS 2 publish is a violation, not its completion.
    let mut wrong = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    wrong.connected();
    wrong.publish_op("t", b"x", QoS::ExactlyOnce);
    wrong.server(Packet::PubAck(Ack::new(pid(1))));
    assert!(wrong.events().iter().any(|e| matches!(e, Event::Lost(SessionError::Protocol(..)))));
    c.server(Packet::PubAck(Ack::new(pid(65535))));
    assert_eq!(done(&mut c), [ops[1]]);
    c.server(Packet::PubRec(Ack::new(pid(65534))));
    // A repeated PUBREC is answered again.
    c.server(Packet::PubRec(Ack::new(pid(1))));
    assert_eq!(c.sent_packets(), [Packet::PubRel(Ack::new(pid(65534))), Packet::PubRel(Ack::new(pid(1)))]);
    c.server(Packet::PubComp(Ack::new(pid(1))));
    assert_eq!(done(&mut c), [ops[2]]);
    c.server(Packet::PubComp(Ack::new(pid(65534))));
    assert_eq!(done(&mut c), [ops[0]]);
    assert_eq!(c.s.inflight_count(), 0);
}

#[test]
fn mqtt_4_3_3_pubrec_failure_reason_ends_the_exchange_and_rejects() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
    c.connected();
    let op = c.publish_op("t", b"x", QoS::ExactlyOnce);
    c.sent();
    c.server_bytes(&hex("50 03 00 01 87")); // PUBREC Not authorized
    assert!(c.sent().is_empty(), "no PUBREL after a failed PUBREC");
    assert_eq!(done_publish(&c.events()), vec![(op, Err(SessionError::Rejected(ReasonCode::NotAuthorized)))]);
}

#[test]
fn mqtt_4_3_2_incoming_qos1_is_delivered_and_acknowledged() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    c.connected();
    c.server(publish_packet("a", b"1", QosPid::AtLeastOnce(pid(7))));
    assert_eq!(c.sent(), hex("40 02 00 07"));
    assert_eq!(messages(&c.events()), vec![("a".into(), b"1".to_vec())]);
}

#[test]
fn mqtt_4_3_3_incoming_qos2_is_delivered_exactly_once_on_pubrel() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    c.connected();
    c.server(publish_packet("a", b"2", QosPid::ExactlyOnce(pid(9))));
    assert_eq!(c.sent(), hex("50 02 00 09"));
    assert!(messages(&c.events()).is_empty(), "held until released");
    // A duplicate before PUBREL is acknowledged again, not delivered.
    c.server(publish_packet("a", b"2", QosPid::ExactlyOnce(pid(9))));
    assert_eq!(c.sent(), hex("50 02 00 09"));
    c.server_bytes(&hex("62 02 00 09"));
    assert_eq!(c.sent(), hex("70 02 00 09"));
    assert_eq!(messages(&c.events()), vec![("a".into(), b"2".to_vec())]);
    // A repeated PUBREL only gets its PUBCOMP.
    c.server_bytes(&hex("62 02 00 09"));
    assert_eq!(c.sent(), hex("70 02 00 09"));
    assert!(messages(&c.events()).is_empty());
}

#[test]
fn mqtt_4_9_0_2_receive_maximum_holds_publishes_back_in_order() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
    c.connected_with(ConnAck {
        properties: Properties::from_values(&[(id::RECEIVE_MAXIMUM, Value::U16(2))]).unwrap(),
        ..success()
    });
    c.events();
    let ops: Vec<_> = (0..4).map(|i| c.publish_op("t", &[i], QoS::AtLeastOnce)).collect();
    let sent = c.sent_packets();
    assert_eq!(sent.len(), 2);
    assert_eq!((c.s.inflight_count(), c.s.queued_count()), (2, 2));
    // QoS 0 is not flow controlled, but keeps its place behind the queue,
    // so it waits, and completes with an event like the others.
    let q0 = c.publish_op("t", b"q0", QoS::AtMostOnce);
    assert!(c.sent().is_empty());
    c.server_bytes(&hex("40 02 00 01"));
    let sent = c.sent_packets();
    assert!(
        matches!(&sent[..], [Packet::Publish(p)] if p.payload[..] == [2] && p.qos_pid == QosPid::AtLeastOnce(pid(3)))
    );
    assert_eq!(done_publish(&c.events()), vec![(ops[0], Ok(Some(ReasonCode::Success)))]);
    c.server_bytes(&hex("40 02 00 02 40 02 00 03"));
    let sent = c.sent_packets();
    assert_eq!(sent.len(), 2, "the last QoS 1 and the QoS 0 behind it");
    let done: Vec<_> = done_publish(&c.events()).into_iter().map(|(op, _)| op).collect();
    // The QoS 0 message is complete when written, before the PUBACK of the
    // QoS 1 sent with it.
    assert_eq!(done, vec![ops[1], q0, ops[2]]);
}

#[test]
fn mqtt_4_4_0_1_session_resumption_resends_publish_with_dup_and_pubrel_in_order() {
    let mut config = Conv::config(ProtocolVersion::V3_1_1);
    config.clean_start = false;
    let mut c = Conv::new(config);
    c.connected();
    let a = c.publish_op("t", b"a", QoS::AtLeastOnce); // pid 1
    let b = c.publish_op("t", b"b", QoS::ExactlyOnce); // pid 2
    let d = c.publish_op("t", b"c", QoS::ExactlyOnce); // pid 3
    c.sent();
    c.server_bytes(&hex("50 02 00 02")); // PUBREC 2, then the connection drops
    assert_eq!(c.sent(), hex("62 02 00 02"));
    c.lose_connection();
    // Reconnect: clean session 0 again, the server has the session.
    assert_eq!(c.open(), hex("10 0f 00 04 4d 51 54 54 04 00 00 3c 00 03 63 69 64"));
    c.server(Packet::ConnAck(resumed()));
    assert_eq!(
        c.sent(),
        hex(concat!(
            "3a 06 00 01 74 00 01 61",  // PUBLISH dup, QoS 1, id 1
            " 62 02 00 02",             // PUBREL 2
            " 3c 06 00 01 74 00 03 63", // PUBLISH dup, QoS 2, id 3
        ))
    );
    c.server_bytes(&hex("40 02 00 01 70 02 00 02 50 02 00 03"));
    assert_eq!(c.sent(), hex("62 02 00 03"));
    c.server_bytes(&hex("70 02 00 03"));
    let done: Vec<_> = done_publish(&c.events()).into_iter().map(|(op, r)| (op, r.is_ok())).collect();
    assert_eq!(done, vec![(a, true), (b, true), (d, true)]);
}

#[test]
fn incoming_qos2_lost_between_pubrec_and_pubrel_is_delivered_once_after_resumption() {
    let mut config = Conv::config(ProtocolVersion::V3_1_1);
    config.clean_start = false;
    let mut c = Conv::new(config);
    c.connected();
    c.server(publish_packet("a", b"once", QosPid::ExactlyOnce(pid(4))));
    assert_eq!(c.sent(), hex("50 02 00 04"));
    c.lose_connection();
    c.open();
    c.server(Packet::ConnAck(resumed()));
    // The server did not see our PUBREC: it resends the PUBLISH with DUP.
    let mut dup = publish_packet("a", b"once", QosPid::ExactlyOnce(pid(4)));
    if let Packet::Publish(p) = &mut dup {
        p.dup = true;
    }
    c.server(dup);
    assert_eq!(c.sent(), hex("50 02 00 04"));
    c.server_bytes(&hex("62 02 00 04"));
    assert_eq!(c.sent(), hex("70 02 00 04"));
    assert_eq!(messages(&c.events()), vec![("a".into(), b"once".to_vec())]);
}

#[test]
fn mqtt_3_2_2_4_without_session_present_inflight_goes_out_again_and_subscriptions_are_renewed() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    c.connected();
    let sub =
        c.s.subscribe(
            c.now(),
            vec![Subscription {
                filter: "s/#".into(),
                options: SubscriptionOptions { qos: QoS::AtLeastOnce, ..Default::default() },
            }],
            Properties::default(),
        )
        .unwrap();
    // SUBSCRIBE id 1, filter "s/#", QoS 1
    assert_eq!(c.sent(), hex("82 08 00 01 00 03 73 2f 23 01"));
    c.server_bytes(&hex("90 03 00 01 01"));
    assert!(
        matches!(&c.events()[..], [Event::SubscribeDone(op, Ok(ack))] if *op == sub && ack.reason_codes == [ReasonCode::GrantedQoS1])
    );
    assert!(c.s.is_subscribed("s/x/y"));
    let p = c.publish_op("t", b"a", QoS::AtLeastOnce); // id 2
    c.sent();
    c.lose_connection();
    c.open();
    c.server(Packet::ConnAck(success()));
    // Re-subscribe (id 3), then the publish as a new message (id 4, no DUP).
    assert_eq!(c.sent(), hex("82 08 00 03 00 03 73 2f 23 01 32 06 00 01 74 00 04 61"));
    c.server_bytes(&hex("90 03 00 03 01 40 02 00 04"));
    let events = c.events();
    assert_eq!(done_publish(&events), vec![(p, Ok(Some(ReasonCode::Success)))]);
    assert!(!events.iter().any(|e| matches!(e, Event::SubscribeDone(..))), "re-subscribe is the session's own");
}

#[test]
fn offline_publishes_are_bounded_and_sent_after_connect() {
    let mut config = Conv::config(ProtocolVersion::V3_1_1);
    config.max_queued = 2;
    let mut c = Conv::new(config);
    let q0 = c.publish_op("t", b"1", QoS::AtMostOnce);
    c.publish_op("t", b"2", QoS::AtLeastOnce);
    assert_eq!(c.publish("t", b"3", QoS::AtMostOnce), Err(SessionError::QueueFull));
    assert_eq!(c.s.queued_count(), 2);
    c.open();
    c.server(Packet::ConnAck(success()));
    assert_eq!(c.sent(), hex("30 04 00 01 74 31 32 06 00 01 74 00 01 32"));
    // The queued QoS 0 message completes when it is written.
    assert_eq!(done_publish(&c.events()).into_iter().map(|(op, _)| op).collect::<Vec<_>>(), vec![q0]);
}

#[test]
fn without_queueing_offline_operations_fail_with_not_connected() {
    let mut config = Conv::config(ProtocolVersion::V3_1_1);
    config.queue_while_offline = false;
    let mut c = Conv::new(config);
    assert_eq!(c.publish("t", b"1", QoS::AtMostOnce), Err(SessionError::NotConnected));
    assert_eq!(c.s.unsubscribe(c.now(), vec!["a".into()], Properties::default()), Err(SessionError::NotConnected));
}

#[test]
fn invalid_topics_and_filters_are_refused_before_anything_is_sent() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    c.connected();
    assert!(matches!(c.publish("a/+", b"", QoS::AtMostOnce), Err(SessionError::InvalidTopic(_))));
    assert!(matches!(c.publish("", b"", QoS::AtMostOnce), Err(SessionError::InvalidTopic(_))));
    assert!(matches!(c.s.subscribe(c.now(), sub("a/#/b"), Properties::default()), Err(SessionError::InvalidTopic(_))));
    let v5_only = vec![Subscription {
        filter: "a".into(),
        options: SubscriptionOptions { no_local: true, ..Default::default() },
    }];
    assert!(matches!(c.s.subscribe(c.now(), v5_only, Properties::default()), Err(SessionError::InvalidArgument(_))));
    assert!(c.sent().is_empty());
}

#[test]
fn mqtt_3_10_4_unsubscribe_removes_the_subscription_and_3_x_unsuback_reports_success() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    c.connected();
    c.subscribe("a/+");
    c.server_bytes(&hex("90 03 00 01 00"));
    assert!(c.s.is_subscribed("a/b"));
    c.sent();
    let op = c.s.unsubscribe(c.now(), vec!["a/+".into()], Properties::default()).unwrap();
    assert_eq!(c.sent(), hex("a2 07 00 02 00 03 61 2f 2b"));
    c.server_bytes(&hex("b0 02 00 02"));
    let events = c.events();
    assert!(
        matches!(&events[..], [_, Event::UnsubscribeDone(o, Ok(UnsubAck { reason_codes, .. }))] if *o == op && reason_codes == &[ReasonCode::Success])
    );
    assert!(!c.s.is_subscribed("a/b"));
}

#[test]
fn mqtt_3_9_3_refused_filter_is_reported_in_the_suback_not_registered() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
    c.connected();
    let op = c.subscribe("secret");
    c.sent();
    c.server(Packet::SubAck(SubAck {
        packet_id: pid(1),
        properties: Properties::default(),
        reason_codes: vec![ReasonCode::NotAuthorized],
    }));
    assert!(
        matches!(&c.events()[..], [Event::SubscribeDone(o, Ok(ack))] if *o == op && ack.reason_codes == [ReasonCode::NotAuthorized])
    );
    assert!(!c.s.is_subscribed("secret"));
}

#[test]
fn mqtt_3_2_2_3_subscriptions_the_server_says_it_lacks_are_refused_locally() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
    let props = Properties::from_values(&[
        (id::WILDCARD_SUBSCRIPTION_AVAILABLE, Value::Flag(false)),
        (id::SHARED_SUBSCRIPTION_AVAILABLE, Value::Flag(false)),
        (id::SUBSCRIPTION_IDENTIFIER_AVAILABLE, Value::Flag(false)),
    ])
    .unwrap();
    c.connected_with(ConnAck { properties: props, ..success() });
    c.events();
    let wild = c.subscribe("a/+");
    let shared = c.subscribe("$share/g/a");
    let with_id = Properties::from_values(&[(id::SUBSCRIPTION_IDENTIFIER, Value::U32(3))]).unwrap();
    let id = c.s.subscribe(c.now(), sub("a"), with_id).unwrap();
    c.subscribe("a/b");
    assert_eq!(
        c.events(),
        vec![
            Event::SubscribeDone(wild, Err(SessionError::Rejected(ReasonCode::WildcardSubscriptionsNotSupported))),
            Event::SubscribeDone(shared, Err(SessionError::Rejected(ReasonCode::SharedSubscriptionsNotSupported))),
            Event::SubscribeDone(id, Err(SessionError::Rejected(ReasonCode::SubscriptionIdentifiersNotSupported))),
        ]
    );
    // Only the plain one went out, with the first free packet id.
    assert_eq!(c.sent(), hex("82 09 00 01 00 00 03 61 2f 62 00"));
}

#[test]
fn mqtt_3_9_3_suback_answering_an_unsubscribe_fails_the_operation_and_the_connection() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    c.connected();
    let op = c.s.unsubscribe(c.now(), vec!["a".into()], Properties::default()).unwrap();
    c.sent();
    c.server_bytes(&hex("90 03 00 01 00")); // SUBACK with the UNSUBSCRIBE's id
    let events = c.events();
    assert!(
        matches!(&events[..], [Event::UnsubscribeDone(o, Err(SessionError::Protocol(..))), Event::Lost(SessionError::Protocol(..))] if *o == op)
    );
}

// ----- per-subscription handlers ----------------------------------------------

/// The first identifier the client assigns for handlers, 268,369,920, as a
/// Subscription Identifier property (0x0B, variable byte integer).
const FIRST_ID: u32 = 0x0FFF_0000;
const FIRST_ID_PROPERTY: &str = "0b 80 80 fc 7f";

fn with_ids(ids: &[u32]) -> Properties {
    let values: Vec<_> = ids.iter().map(|&v| (id::SUBSCRIPTION_IDENTIFIER, Value::U32(v))).collect();
    Properties::from_values(&values).unwrap()
}

fn subs(filters: &[&str]) -> Vec<Subscription> {
    filters.iter().flat_map(|f| sub(f)).collect()
}

fn suback(packet_id: u16, reason_codes: Vec<ReasonCode>) -> Packet {
    Packet::SubAck(SubAck { packet_id: pid(packet_id), properties: Properties::default(), reason_codes })
}

impl Conv {
    fn subscribe_with(&mut self, filters: &[&str], handler: u32) -> OpId {
        self.s.subscribe_with(self.now(), subs(filters), Properties::default(), Some(HandlerId(handler))).unwrap()
    }

    /// The server sends `topic` once per identifier list; returns, per copy,
    /// the handlers it is for and the identifiers the application sees.
    fn copies(&mut self, topic: &str, copies: &[&[u32]]) -> Vec<(Vec<u32>, Vec<u32>)> {
        for ids in copies {
            let p = Publish { properties: with_ids(ids), ..Publish::new(topic, Bytes::from_static(b"x")) };
            self.server(Packet::from(p));
        }
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Message(mut p) => {
                    let mut handlers = Vec::new();
                    self.s.deliver(&mut p, &mut handlers);
                    Some((handlers.iter().map(|h| h.0).collect(), p.properties.subscription_identifiers().collect()))
                }
                _ => None,
            })
            .collect()
    }
}

#[test]
fn mqtt_3_3_4_on_v5_each_handler_is_called_once_per_message_for_the_copy_carrying_its_identifier() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
    c.connected();
    c.subscribe_with(&["b/a/temp"], 1);
    c.subscribe_with(&["b/+/temp"], 2);
    // The application's own identifier, without a handler.
    c.s.subscribe(c.now(), sub("b/#"), with_ids(&[7])).unwrap();
    assert_eq!(
        c.sent(),
        [
            hex(&format!("82 13 00 01 05 {FIRST_ID_PROPERTY} 00 08 62 2f 61 2f 74 65 6d 70 00")),
            hex("82 13 00 02 05 0b 81 80 fc 7f 00 08 62 2f 2b 2f 74 65 6d 70 00"),
            hex("82 0b 00 03 02 0b 07 00 03 62 2f 23 00"),
        ]
        .concat(),
        "each handler's subscription has an identifier of the client's own"
    );
    for packet_id in 1..=3 {
        c.server(suback(packet_id, vec![ReasonCode::Success]));
    }
    c.events();
    // Mosquitto: one copy per matching subscription, each with its identifier.
    assert_eq!(
        c.copies("b/a/temp", &[&[FIRST_ID], &[FIRST_ID + 1], &[7]]),
        [(vec![1], vec![]), (vec![2], vec![]), (vec![], vec![7])],
        "one call per handler; the client's identifiers are never shown, the application's are"
    );
    // A server sending one copy with every identifier.
    assert_eq!(c.copies("b/a/temp", &[&[7, FIRST_ID + 1, FIRST_ID]]), [(vec![1, 2], vec![7])]);
    assert_eq!(c.copies("b/x/temp", &[&[FIRST_ID + 1]]), [(vec![2], vec![])]);
}

#[test]
fn taking_the_clients_identifiers_out_of_a_message_leaves_its_other_properties() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
    c.connected();
    c.subscribe_with(&["t"], 1);
    // A Message Expiry Interval whose number lies in the client's identifier
    // range, before the client's identifier and the application's.
    let properties = Properties::from_values(&[
        (id::MESSAGE_EXPIRY_INTERVAL, Value::U32(FIRST_ID + 5)),
        (id::SUBSCRIPTION_IDENTIFIER, Value::U32(FIRST_ID)),
        (id::SUBSCRIPTION_IDENTIFIER, Value::U32(7)),
    ])
    .unwrap();
    c.server(Packet::from(Publish { properties, ..Publish::new("t", Bytes::from_static(b"x")) }));
    let Some(Event::Message(mut message)) = c.events().pop() else { panic!("no message") };
    let mut handlers = Vec::new();
    c.s.deliver(&mut message, &mut handlers);
    assert_eq!(handlers.len(), 1);
    assert_eq!(message.properties.message_expiry_interval(), Some(FIRST_ID + 5));
    assert_eq!(message.properties.subscription_identifiers().collect::<Vec<_>>(), [7]);
}

#[test]
fn mqtt_3_8_2_1_2_a_handler_with_several_filters_sends_one_subscribe_each_and_completes_once() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
    c.connected();
    let op = c.subscribe_with(&["c/x", "c/#"], 3);
    let sent = c.sent_packets();
    let ids: Vec<(Vec<String>, Vec<u32>)> = sent
        .iter()
        .map(|p| match p {
            Packet::Subscribe(s) => (
                s.subscriptions.iter().map(|s| s.filter.clone()).collect(),
                s.properties.subscription_identifiers().collect(),
            ),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, [(vec!["c/x".to_string()], vec![FIRST_ID]), (vec!["c/#".to_string()], vec![FIRST_ID + 1])]);
    c.server(suback(1, vec![ReasonCode::GrantedQoS1]));
    assert_eq!(c.events(), [], "complete only when every part is acknowledged");
    c.server(suback(2, vec![ReasonCode::NotAuthorized]));
    assert_eq!(
        c.events(),
        [Event::SubscribeDone(
            op,
            Ok(SubAck {
                packet_id: pid(1),
                properties: Properties::default(),
                reason_codes: vec![ReasonCode::GrantedQoS1, ReasonCode::NotAuthorized]
            })
        )]
    );
    // Both filters match c/x: the handler takes the copy of the first, once.
    assert_eq!(c.copies("c/x", &[&[FIRST_ID]]), [(vec![3], vec![])]);
    // The refused filter routes nothing; the handler lives on for c/x.
    assert_eq!(c.copies("c/y", &[&[FIRST_ID + 1]]), [(vec![], vec![])]);
    assert!(c.s.routes_to(HandlerId(3)));
    c.s.unsubscribe(c.now(), vec!["c/x".into()], Properties::default()).unwrap();
    assert!(!c.s.routes_to(HandlerId(3)), "unsubscribing stops the handler at once");
    assert_eq!(c.copies("c/x", &[&[FIRST_ID]]), [(vec![], vec![])]);
}

#[test]
fn without_identifiers_handlers_match_by_filter_once_per_copy() {
    // MQTT 3.1.1: one SUBSCRIBE for the call, no identifier.
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    c.connected();
    c.subscribe_with(&["d/+", "d/#"], 4);
    assert_eq!(c.sent(), hex("82 0e 00 01 00 03 64 2f 2b 00 00 03 64 2f 23 00"));
    c.server(suback(1, vec![ReasonCode::Success, ReasonCode::Success]));
    c.events();
    assert_eq!(c.copies("d/1", &[&[], &[]]), [(vec![4], vec![]), (vec![4], vec![])]);

    // A v5 server that does not allow identifiers: none is sent.
    let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
    let caps = Properties::from_values(&[(id::SUBSCRIPTION_IDENTIFIER_AVAILABLE, Value::Flag(false))]).unwrap();
    c.connected_with(ConnAck { properties: caps, ..success() });
    c.events();
    c.subscribe_with(&["d/+"], 5);
    assert_eq!(c.sent(), hex("82 09 00 01 00 00 03 64 2f 2b 00"));
    c.server(suback(1, vec![ReasonCode::Success]));
    assert_eq!(c.copies("d/1", &[&[]]), [(vec![5], vec![])]);
}

#[test]
fn the_clients_identifier_range_is_refused_to_the_application_and_failed_subscribes_route_nothing() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
    c.connected();
    let refused = c.s.subscribe(c.now(), sub("e"), with_ids(&[FIRST_ID]));
    assert!(matches!(refused, Err(SessionError::InvalidArgument(m)) if m.contains("268369920")));
    let op = c.subscribe_with(&["e/1", "e/2"], 6);
    assert!(c.s.routes_to(HandlerId(6)));
    c.s.disconnect(c.now(), &Disconnect::normal()).unwrap();
    assert!(c.events().contains(&Event::SubscribeDone(op, Err(SessionError::Closed))));
    assert_eq!(c.events(), [], "a split subscribe fails once");
    assert!(!c.s.routes_to(HandlerId(6)));
}

// ----- topic aliases ----------------------------------------------------------

#[test]
fn mqtt_3_3_2_12_inbound_topic_alias_is_resolved_and_unknown_alias_is_0x94() {
    let mut config = Conv::config(ProtocolVersion::V5);
    config.properties.set(id::TOPIC_ALIAS_MAXIMUM, Value::U16(4)).unwrap();
    let mut c = Conv::new(config);
    c.connected();
    let with_alias = |topic: &str, alias: u16, payload: &[u8]| {
        Packet::from(Publish {
            dup: false,
            qos_pid: QosPid::AtMostOnce,
            retain: false,
            topic: topic.into(),
            properties: Properties::from_values(&[(id::TOPIC_ALIAS, Value::U16(alias))]).unwrap(),
            payload: Bytes::copy_from_slice(payload),
        })
    };
    c.server(with_alias("long/topic", 2, b"1"));
    c.server(with_alias("", 2, b"2"));
    assert_eq!(messages(&c.events()), vec![("long/topic".into(), b"1".to_vec()), ("long/topic".into(), b"2".to_vec())]);
    c.server(with_alias("", 3, b"3"));
    assert_eq!(c.sent(), hex("e0 01 94"));
    assert!(matches!(c.events()[..], [Event::Lost(SessionError::Protocol(ReasonCode::TopicAliasInvalid, _))]));
}

#[test]
fn mqtt_3_3_2_10_outbound_topic_alias_is_defined_then_reused() {
    let mut config = Conv::config(ProtocolVersion::V5);
    config.auto_topic_alias = true;
    let mut c = Conv::new(config);
    c.connected_with(ConnAck {
        properties: Properties::from_values(&[(id::TOPIC_ALIAS_MAXIMUM, Value::U16(1))]).unwrap(),
        ..success()
    });
    c.publish("ab", b"1", QoS::AtMostOnce).unwrap();
    c.publish("ab", b"2", QoS::AtMostOnce).unwrap();
    // topic "ab", properties: alias 1 | then empty topic, alias 1
    assert_eq!(c.sent(), hex("30 09 00 02 61 62 03 23 00 01 31 30 07 00 00 03 23 00 01 32"));
}

// ----- authentication -------------------------------------------------------------

#[test]
fn mqtt_4_12_enhanced_authentication_continues_with_auth_until_connack() {
    let mut config = Conv::config(ProtocolVersion::V5);
    config.properties.set(id::AUTHENTICATION_METHOD, Value::Str("SCRAM")).unwrap();
    config.properties.set(id::AUTHENTICATION_DATA, Value::Bin(b"c1")).unwrap();
    let mut c = Conv::new(config);
    c.open();
    let challenge = Auth {
        reason_code: ReasonCode::ContinueAuthentication,
        properties: Properties::from_values(&[
            (id::AUTHENTICATION_METHOD, Value::Str("SCRAM")),
            (id::AUTHENTICATION_DATA, Value::Bin(b"s1")),
        ])
        .unwrap(),
    };
    c.server(Packet::Auth(challenge.clone()));
    assert_eq!(c.events(), vec![Event::Auth(challenge)]);
    let answer = Auth {
        reason_code: ReasonCode::ContinueAuthentication,
        properties: Properties::from_values(&[
            (id::AUTHENTICATION_METHOD, Value::Str("SCRAM")),
            (id::AUTHENTICATION_DATA, Value::Bin(b"c2")),
        ])
        .unwrap(),
    };
    c.s.auth(c.now(), answer).unwrap();
    // AUTH 0x18, properties: method "SCRAM", data "c2"
    assert_eq!(c.sent(), hex("f0 0f 18 0d 15 00 05 53 43 52 41 4d 16 00 02 63 32"));
    c.server(Packet::ConnAck(success()));
    assert!(c.s.is_connected());
    // Re-authentication (0x19) once connected.
    let reauth = Auth {
        reason_code: ReasonCode::ReAuthenticate,
        properties: Properties::from_values(&[(id::AUTHENTICATION_METHOD, Value::Str("SCRAM"))]).unwrap(),
    };
    c.s.auth(c.now(), reauth).unwrap();
    assert_eq!(c.sent(), hex("f0 0a 19 08 15 00 05 53 43 52 41 4d"));
    c.server(Packet::Auth(Auth {
        reason_code: ReasonCode::Success,
        properties: Properties::from_values(&[(id::AUTHENTICATION_METHOD, Value::Str("SCRAM"))]).unwrap(),
    }));
    assert!(matches!(c.events().last(), Some(Event::Auth(a)) if a.reason_code == ReasonCode::Success));
}

#[test]
fn mqtt_4_12_0_1_auth_without_a_method_is_a_protocol_error() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
    c.open();
    c.server(Packet::Auth(Auth { reason_code: ReasonCode::ContinueAuthentication, properties: Properties::default() }));
    assert_eq!(c.sent(), hex("e0 01 82"));
    assert!(matches!(c.events()[..], [Event::Lost(SessionError::Protocol(..))]));
}

#[test]
fn auth_needs_mqtt_5() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    c.connected();
    let auth = Auth { reason_code: ReasonCode::ReAuthenticate, properties: Properties::default() };
    assert!(matches!(c.s.auth(c.now(), auth), Err(SessionError::InvalidArgument(_))));
}

// ----- disconnection and violations -------------------------------------------

#[test]
fn mqtt_3_14_server_disconnect_is_reported_with_its_reason() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
    c.connected();
    c.server_bytes(&hex("e0 01 8b")); // Server shutting down
    let events = c.events();
    assert!(
        matches!(&events[..], [Event::ServerDisconnect(d), Event::Lost(SessionError::ServerDisconnected(ReasonCode::ServerShuttingDown))] if d.reason_code == ReasonCode::ServerShuttingDown)
    );
    assert!(c.sent().is_empty(), "no DISCONNECT in reply");
}

#[test]
fn mqtt_4_13_1_oversized_packet_from_server_is_0x95_before_it_is_buffered() {
    let mut config = Conv::config(ProtocolVersion::V5);
    config.max_incoming_packet_size = 100;
    let mut c = Conv::new(config);
    c.connected();
    // A PUBLISH header announcing 1,000,000 bytes; none of the body sent.
    c.server_bytes(&hex("30 c0 84 3d"));
    assert_eq!(c.sent(), hex("e0 01 95"));
    assert_eq!(c.events(), vec![Event::Lost(SessionError::Decode(mqtt_wasm::codec::DecodeError::PacketTooLarge))]);
}

#[test]
fn mqtt_4_13_acknowledgement_of_an_unknown_packet_id_is_a_protocol_error() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
    c.connected();
    c.server(Packet::PubAck(Ack::new(pid(42))));
    assert_eq!(c.sent(), hex("e0 01 82"));
    assert!(matches!(c.events()[..], [Event::Lost(SessionError::Protocol(ReasonCode::ProtocolError, _))]));
}

#[test]
fn a_packet_only_a_client_sends_closes_with_0x82_unread() {
    // CONNECT, SUBSCRIBE (flags 0010), UNSUBSCRIBE (0010), PINGREQ: a
    // client refuses each from its type, body unread (a SUBSCRIBE with no
    // filters would otherwise be malformed), with a Protocol Error.
    for bytes in ["10 00", "82 02 00 01", "a2 02 00 01", "c0 00"] {
        let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
        c.connected();
        c.server_bytes(&hex(bytes));
        assert_eq!(c.sent(), hex("e0 01 82"), "{bytes}");
        assert_eq!(c.events(), vec![Event::Lost(SessionError::Decode(DecodeError::ClientOnlyPacket))], "{bytes}");
    }
    let e = SessionError::Decode(DecodeError::ClientOnlyPacket);
    assert_eq!((e.code(), e.message()), ("Protocol", "the server sent a packet only a client may send"));
}

#[test]
fn a_second_connack_is_a_protocol_error() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    c.connected();
    c.server_bytes(&hex("20 02 00 00"));
    assert_eq!(
        c.events(),
        vec![Event::Lost(SessionError::Protocol(ReasonCode::ProtocolError, "the server sent a second CONNACK"))]
    );
}

#[test]
fn mqtt_4_8_malformed_bytes_close_with_0x81() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
    c.connected();
    c.server_bytes(&hex("40 01 00")); // PUBACK cut short inside its packet id
    assert_eq!(c.sent(), hex("e0 01 81"));
    assert!(matches!(c.events()[..], [Event::Lost(SessionError::Decode(_))]));
}

#[test]
fn mqtt_3_14_disconnect_sends_disconnect_and_fails_everything_pending_with_closed() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
    c.connected_with(ConnAck {
        properties: Properties::from_values(&[(id::RECEIVE_MAXIMUM, Value::U16(1))]).unwrap(),
        ..success()
    });
    c.events();
    let a = c.publish_op("t", b"a", QoS::AtLeastOnce);
    let b = c.publish_op("t", b"b", QoS::AtLeastOnce);
    let s = c.subscribe("x");
    c.sent();
    c.s.disconnect(c.now(), &Disconnect::normal()).unwrap();
    assert_eq!(c.sent(), hex("e0 00"));
    let events = c.events();
    assert_eq!(done_publish(&events), vec![(a, Err(SessionError::Closed)), (b, Err(SessionError::Closed))]);
    assert!(events.contains(&Event::SubscribeDone(s, Err(SessionError::Closed))));
    assert_eq!(c.s.state(), State::Ended);
    assert_eq!(c.publish("t", b"", QoS::AtMostOnce), Err(SessionError::Closed));
    assert_eq!(c.s.poll_timeout(), None);
}

#[test]
fn packets_split_across_and_joined_in_frames_are_reassembled() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V3_1_1));
    c.open();
    let mut bytes = hex("20 02 00 00");
    publish_packet("t", b"xyz", QosPid::AtMostOnce).encode(ProtocolVersion::V3_1_1, &mut bytes).unwrap();
    for b in bytes {
        c.server_bytes(&[b]);
    }
    assert_eq!(messages(&c.events()), vec![("t".into(), b"xyz".to_vec())]);
}

// ----- durable state ----------------------------------------------------------

#[test]
fn mqtt_4_4_0_1_an_exported_session_resumes_in_a_new_instance_as_if_never_interrupted() {
    let mut config = Conv::config(ProtocolVersion::V5);
    config.clean_start = false;
    let mut c = Conv::new(config.clone());
    c.connected_with(ConnAck {
        properties: Properties::from_values(&[(id::RECEIVE_MAXIMUM, Value::U16(2))]).unwrap(),
        ..success()
    });
    c.events();
    let generation = c.s.state_generation();
    c.publish_op("t", b"a", QoS::AtLeastOnce); // id 1, awaiting PUBACK
    c.publish_op("t", b"b", QoS::ExactlyOnce); // id 2
    c.publish_op("t", b"c", QoS::AtLeastOnce); // queued: Receive Maximum 2
    c.sent();
    c.server_bytes(&hex("50 02 00 02")); // PUBREC 2: now awaiting PUBCOMP
    c.server(publish_packet("in", b"held", QosPid::ExactlyOnce(pid(9)))); // received, not released
    c.sent();
    assert!(c.s.state_generation() > generation);
    let state = c.s.export_state();

    // A new page: a new session from the stored state.
    let mut d = Conv::new(config);
    d.s.import_state(&state).unwrap();
    assert_eq!((d.s.inflight_count(), d.s.queued_count()), (2, 1));
    // Clean Start 0, since the state says there was a session.
    let connect = d.open();
    assert_eq!(connect[9] & 0x02, 0, "clean start off");
    d.server(Packet::ConnAck(ConnAck {
        properties: Properties::from_values(&[(id::RECEIVE_MAXIMUM, Value::U16(2))]).unwrap(),
        ..resumed()
    }));
    assert_eq!(
        d.sent(),
        hex(concat!(
            "3a 07 00 01 74 00 01 00 61", // PUBLISH dup, QoS 1, id 1, no properties, "a"
            " 62 02 00 02",               // PUBREL 2
        ))
    );
    d.server_bytes(&hex("40 02 00 01")); // PUBACK 1 frees a slot: the queued one goes out
    assert_eq!(d.sent(), hex("32 07 00 01 74 00 01 00 63")); // id 1 again: acknowledged, so free
    d.server_bytes(&hex("62 02 00 09")); // the server releases the held message
    assert_eq!(d.sent(), hex("70 02 00 09"));
    assert_eq!(messages(&d.events()), vec![("in".to_owned(), b"held".to_vec())]);
}

#[test]
fn a_corrupt_stored_state_is_refused_whole() {
    let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
    assert!(matches!(
        c.s.import_state(b"MQWS\x01\x01\x05\x30\x03"),
        Err(ImportError::Truncated | ImportError::Malformed(_))
    ));
    assert_eq!(c.s.import_state(b"not a state"), Err(ImportError::BadMagic));
    assert_eq!(c.s.import_state(b"MQWS\x01\x09\x00"), Err(ImportError::UnknownRecord));
    assert_eq!((c.s.inflight_count(), c.s.queued_count()), (0, 0));
    c.s.import_state(b"MQWS\x01").unwrap();
}

#[test]
fn a_stored_state_with_a_packet_id_twice_restores_nothing() {
    // A queued publish, then two publishes awaiting PUBACK under packet id 1.
    let publish = |pid: u8| -> Vec<u8> { vec![0x32, 0x06, 0x00, 0x01, b't', 0x00, pid, 0x00] };
    let mut state = b"MQWS\x01".to_vec();
    state.extend([4, 7, 0, 0x30, 0x04, 0x00, 0x01, b't', 0x00]);
    for _ in 0..2 {
        state.push(1);
        state.push(publish(1).len() as u8);
        state.extend(publish(1));
    }
    let mut c = Conv::new(Conv::config(ProtocolVersion::V5));
    assert_eq!(c.s.import_state(&state), Err(ImportError::PacketId));
    assert_eq!((c.s.inflight_count(), c.s.queued_count()), (0, 0), "nothing half restored");
    // Without the duplicate the same records restore.
    let single = state[..state.len() - (2 + publish(1).len())].to_vec();
    c.s.import_state(&single).unwrap();
    assert_eq!((c.s.inflight_count(), c.s.queued_count()), (1, 1));
}

#[test]
fn mqtt_3_1_2_24_the_smaller_announced_maximum_packet_size_is_enforced() {
    let mut config = Conv::config(ProtocolVersion::V5);
    config.properties.set(id::MAXIMUM_PACKET_SIZE, Value::U32(20)).unwrap();
    let mut c = Conv::new(config);
    // CONNECT announces 20 (property 0x27), not the 1 MiB default limit,
    // after the Receive Maximum of 1000 (0x21).
    assert_eq!(c.open(), hex("10 18 00 04 4d 51 54 54 05 02 00 3c 08 21 03 e8 27 00 00 00 14 00 03 63 69 64"));
    c.server(Packet::ConnAck(success()));
    c.events();
    // A 21-byte PUBLISH exceeds what we announced: Packet Too Large.
    c.server(publish_packet("t", &[0; 16], QosPid::AtMostOnce));
    assert_eq!(c.sent(), hex("e0 01 95"));
    assert!(matches!(c.events()[..], [Event::Lost(SessionError::Decode(_))]));
}

#[test]
fn unreleased_qos2_messages_are_bounded_by_max_unreleased_on_every_version() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut c = Conv::new(Config { max_unreleased: 2, ..Conv::config(version) });
        let connect = c.open();
        if version.is_v5() {
            // Receive Maximum 2 is announced, so a compliant server stays within it.
            assert!(connect.windows(3).any(|w| w == [0x21, 0x00, 0x02]), "{connect:02x?}");
        }
        c.server(Packet::ConnAck(success()));
        c.events();
        for pid in 1..=2 {
            c.server(publish_packet("t", b"x", QosPid::ExactlyOnce(self::pid(pid))));
        }
        c.sent();
        assert!(c.s.is_connected(), "two unreleased are within the bound");
        c.server(publish_packet("t", b"x", QosPid::ExactlyOnce(self::pid(3))));
        let lost = c.events().into_iter().find_map(|e| match e {
            Event::Lost(e) => Some(e),
            _ => None,
        });
        assert_eq!(lost.map(|e| e.reason_code()), Some(Some(ReasonCode::ReceiveMaximumExceeded)), "{version:?}");
        if version.is_v5() {
            assert_eq!(c.sent(), hex("e0 01 93"), "DISCONNECT 0x93 Receive Maximum exceeded");
        }
    }
}
