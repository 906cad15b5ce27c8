//! Byte-exact vectors for every control packet, written from the field
//! layouts of MQTT 3.1 / 3.1.1 / 5.0. Each vector decodes to the packet
//! and the packet encodes back to the same bytes; the malformed ones fail
//! with the named error.
#![cfg(not(target_arch = "wasm32"))]

use mqtt_wasm::codec::{
    id, Ack, Auth, Bytes, ConnAck, DecodeError, Decoder, Disconnect, EncodeError, Packet, PacketId, Properties,
    ProtocolVersion, Publish, QoS, QosPid, ReasonCode, RetainHandling, SubAck, Subscribe, Subscription,
    SubscriptionOptions, UnsubAck, Unsubscribe, Value,
};
use ProtocolVersion::{V3_1, V3_1_1, V5};

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect()
}

fn pid(v: u16) -> PacketId {
    PacketId::new(v).unwrap()
}

/// Decodes `bytes` as `version`, expects `packet`, and encodes it back.
fn check(version: ProtocolVersion, bytes: &str, packet: Packet) {
    let bytes = hex(bytes);
    let (decoded, used) = Packet::decode_from(&bytes, version).unwrap().expect("a whole packet");
    assert_eq!(used, bytes.len(), "{} used all bytes", packet.name());
    assert_eq!(decoded, packet);
    let mut out = Vec::new();
    packet.encode(version, &mut out).unwrap();
    assert_eq!(out, bytes, "{} encodes back", packet.name());
    // A client's one-sided paths agree with these on its side and refuse,
    // unread and unwritten, what only the other side sends.
    let client_only =
        matches!(packet, Packet::Connect(_) | Packet::Subscribe(_) | Packet::Unsubscribe(_) | Packet::PingReq);
    let server_only = matches!(packet, Packet::ConnAck(_) | Packet::SubAck(_) | Packet::UnsubAck(_) | Packet::PingResp);
    let from_server = Decoder::from_server(version, u32::MAX).next_from(&mut &bytes[..]);
    assert_eq!(from_server, if client_only { Err(DecodeError::ClientOnlyPacket) } else { Ok(Some(packet.clone())) });
    let mut out = vec![0xAA];
    let sent = packet.encode_from_client(version, &mut out);
    if server_only {
        assert_eq!((sent, out), (Err(EncodeError::ServerOnlyPacket), vec![0xAA]), "{}", packet.name());
    } else {
        assert_eq!((sent, &out[1..]), (Ok(()), &bytes[..]), "{}", packet.name());
    }
}

fn fails(version: ProtocolVersion, bytes: &str, error: DecodeError) {
    assert_eq!(Packet::decode_from(&hex(bytes), version), Err(error), "{bytes}");
}

fn no_props() -> Properties {
    Properties::default()
}

#[test]
fn connack_all_versions() {
    let ok = ConnAck { session_present: false, reason_code: ReasonCode::Success, properties: no_props() };
    // 3.1: reserved byte, return code.
    check(V3_1, "20 02 00 00", Packet::ConnAck(ok.clone()));
    // 3.1.1: session present flag, return code 5 = not authorized.
    check(V3_1_1, "20 02 01 00", Packet::ConnAck(ConnAck { session_present: true, ..ok.clone() }));
    check(V3_1_1, "20 02 00 05", Packet::ConnAck(ConnAck { reason_code: ReasonCode::NotAuthorized, ..ok.clone() }));
    // 5.0: flags, reason, properties: receive maximum 10, maximum QoS 1.
    let props = Properties::from_values(&[
        (id::RECEIVE_MAXIMUM, Value::U16(10)),
        (id::MAXIMUM_QOS, Value::QoS(QoS::AtLeastOnce)),
    ])
    .unwrap();
    check(V5, "20 08 00 00 05 21 00 0a 24 01", Packet::ConnAck(ConnAck { properties: props, ..ok }));
}

#[test]
fn publish_all_versions() {
    let p = |qos_pid, topic: &str, properties, payload: &[u8]| {
        Packet::from(Publish {
            dup: false,
            qos_pid,
            retain: false,
            topic: topic.into(),
            properties,
            payload: Bytes::copy_from_slice(payload),
        })
    };
    // QoS 0: topic "a/b", payload "hi", no packet id.
    check(V3_1, "30 07 00 03 61 2f 62 68 69", p(QosPid::AtMostOnce, "a/b", no_props(), b"hi"));
    check(V3_1_1, "30 07 00 03 61 2f 62 68 69", p(QosPid::AtMostOnce, "a/b", no_props(), b"hi"));
    // QoS 2, DUP, RETAIN: flags 1101.
    let mut dup = Publish {
        dup: true,
        qos_pid: QosPid::ExactlyOnce(pid(1)),
        retain: true,
        topic: "t".into(),
        properties: no_props(),
        payload: vec![].into(),
    };
    check(V3_1_1, "3d 05 00 01 74 00 01", Packet::from(dup.clone()));
    // 5.0 QoS 1: topic "t", id 5, properties: payload format indicator 1, payload "hi".
    let props = Properties::from_values(&[(id::PAYLOAD_FORMAT_INDICATOR, Value::Flag(true))]).unwrap();
    check(V5, "32 0a 00 01 74 00 05 02 01 01 68 69", p(QosPid::AtLeastOnce(pid(5)), "t", props, b"hi"));
    // 5.0 empty topic with a topic alias.
    dup.topic = Default::default();
    dup.properties.set(id::TOPIC_ALIAS, Value::U16(1)).unwrap();
    check(V5, "3d 08 00 00 00 01 03 23 00 01", Packet::from(dup));
}

#[test]
fn acknowledgements_all_versions() {
    for version in [V3_1, V3_1_1, V5] {
        check(version, "40 02 00 05", Packet::PubAck(Ack::new(pid(5))));
        check(version, "50 02 00 05", Packet::PubRec(Ack::new(pid(5))));
        check(version, "62 02 00 05", Packet::PubRel(Ack::new(pid(5))));
        check(version, "70 02 00 05", Packet::PubComp(Ack::new(pid(5))));
        check(version, "c0 00", Packet::PingReq);
        check(version, "d0 00", Packet::PingResp);
        check(version, "e0 00", Packet::Disconnect(Disconnect::normal()));
    }
    // 5.0: reason code only (No matching subscribers) ...
    let ack = Ack { packet_id: pid(5), reason_code: ReasonCode::NoMatchingSubscribers, properties: no_props() };
    check(V5, "40 03 00 05 10", Packet::PubAck(ack));
    // ... and reason code with a reason string "x".
    let ack = Ack {
        packet_id: pid(5),
        reason_code: ReasonCode::UnspecifiedError,
        properties: Properties::from_values(&[(id::REASON_STRING, Value::Str("x"))]).unwrap(),
    };
    check(V5, "50 08 00 05 80 04 1f 00 01 78", Packet::PubRec(ack));
    let rel = Ack { packet_id: pid(5), reason_code: ReasonCode::PacketIdentifierNotFound, properties: no_props() };
    check(V5, "62 03 00 05 92", Packet::PubRel(rel));
}

#[test]
fn subscribe_and_suback_all_versions() {
    let sub = |options| Subscription { filter: "a/#".into(), options };
    let qos1 = SubscriptionOptions { qos: QoS::AtLeastOnce, ..Default::default() };
    let s = Subscribe { packet_id: pid(1), properties: no_props(), subscriptions: vec![sub(qos1)] };
    // Flags 0010; id 1; filter "a/#"; options QoS 1.
    check(V3_1, "82 08 00 01 00 03 61 2f 23 01", Packet::Subscribe(s.clone()));
    check(V3_1_1, "82 08 00 01 00 03 61 2f 23 01", Packet::Subscribe(s));
    // 5.0: subscription identifier 7; options retain handling 2, RAP, NL, QoS 2.
    let options = SubscriptionOptions {
        qos: QoS::ExactlyOnce,
        no_local: true,
        retain_as_published: true,
        retain_handling: RetainHandling::DoNotSend,
    };
    let s = Subscribe {
        packet_id: pid(1),
        properties: Properties::from_values(&[(id::SUBSCRIPTION_IDENTIFIER, Value::U32(7))]).unwrap(),
        subscriptions: vec![Subscription { filter: "a".into(), options }],
    };
    check(V5, "82 09 00 01 02 0b 07 00 01 61 2e", Packet::Subscribe(s));
    let ack = SubAck {
        packet_id: pid(1),
        properties: no_props(),
        reason_codes: vec![ReasonCode::Success, ReasonCode::UnspecifiedError],
    };
    check(V3_1_1, "90 04 00 01 00 80", Packet::SubAck(ack));
    let ack = SubAck {
        packet_id: pid(1),
        properties: no_props(),
        reason_codes: vec![ReasonCode::GrantedQoS2, ReasonCode::NotAuthorized],
    };
    check(V5, "90 05 00 01 00 02 87", Packet::SubAck(ack));
}

#[test]
fn unsubscribe_and_unsuback_all_versions() {
    let u = Unsubscribe { packet_id: pid(2), properties: no_props(), filters: vec!["a".into()] };
    check(V3_1_1, "a2 05 00 02 00 01 61", Packet::Unsubscribe(u.clone()));
    check(V5, "a2 06 00 02 00 00 01 61", Packet::Unsubscribe(u));
    // 3.x UNSUBACK has only the packet id.
    check(
        V3_1_1,
        "b0 02 00 02",
        Packet::UnsubAck(UnsubAck { packet_id: pid(2), properties: no_props(), reason_codes: vec![] }),
    );
    let ack =
        UnsubAck { packet_id: pid(2), properties: no_props(), reason_codes: vec![ReasonCode::NoSubscriptionExisted] };
    check(V5, "b0 04 00 02 00 11", Packet::UnsubAck(ack));
}

#[test]
fn disconnect_and_auth_v5() {
    check(
        V5,
        "e0 01 04",
        Packet::Disconnect(Disconnect { reason_code: ReasonCode::DisconnectWithWillMessage, properties: no_props() }),
    );
    let d = Disconnect {
        reason_code: ReasonCode::Success,
        properties: Properties::from_values(&[(id::SESSION_EXPIRY_INTERVAL, Value::U32(0))]).unwrap(),
    };
    check(V5, "e0 07 00 05 11 00 00 00 00", Packet::Disconnect(d));
    check(V5, "f0 00", Packet::Auth(Auth { reason_code: ReasonCode::Success, properties: no_props() }));
    let a = Auth {
        reason_code: ReasonCode::ContinueAuthentication,
        properties: Properties::from_values(&[(id::AUTHENTICATION_METHOD, Value::Str("SCRAM"))]).unwrap(),
    };
    check(V5, "f0 0a 18 08 15 00 05 53 43 52 41 4d", Packet::Auth(a));
}

#[test]
fn malformed_packets_are_refused_with_the_precise_error() {
    // Remaining length continuing into a fifth byte [MQTT-1.5.5-1].
    fails(V3_1_1, "30 ff ff ff ff 01", DecodeError::MalformedVarInt);
    // PUBACK with flags 0001 [MQTT-2.1.3-1].
    fails(V3_1_1, "41 02 00 01", DecodeError::InvalidHeaderFlags);
    // PUBLISH with QoS 3 [MQTT-3.3.1-4].
    fails(V3_1_1, "36 05 00 01 74 00 01", DecodeError::InvalidQoS);
    // DUP on QoS 0 [MQTT-3.3.1-2].
    fails(V3_1_1, "38 03 00 01 74", DecodeError::InvalidHeaderFlags);
    // Packet identifier 0 [MQTT-2.2.1-3].
    fails(V3_1_1, "40 02 00 00", DecodeError::ZeroPacketId);
    // Topic with U+0000 [MQTT-1.5.4-2], with a UTF-16 surrogate (ED A0 80) [MQTT-1.5.4-1],
    // with a wildcard [MQTT-3.3.2-2].
    fails(V3_1_1, "30 04 00 02 61 00", DecodeError::InvalidString);
    fails(V3_1_1, "30 05 00 03 ed a0 80", DecodeError::InvalidString);
    fails(V3_1_1, "30 04 00 02 61 23", DecodeError::InvalidTopicName);
    // AUTH before 5.0.
    fails(V3_1_1, "f0 00", DecodeError::InvalidPacketType);
    // Receive Maximum twice in a CONNACK.
    fails(V5, "20 09 00 00 06 21 00 0a 21 00 0b", DecodeError::DuplicateProperty);
    // Topic Alias on a PUBACK.
    fails(V5, "40 07 00 01 00 03 23 00 01", DecodeError::PropertyNotAllowed);
    // A PUBACK reason code that MQTT 5.0 does not define for it.
    fails(V5, "40 03 00 01 05", DecodeError::InvalidReasonCode);
    // SUBSCRIBE options with reserved bits [MQTT-3.8.3-5].
    fails(V5, "82 07 00 01 00 00 01 61 c0", DecodeError::InvalidSubscriptionOptions);
    // A string running past the end of the packet.
    fails(V3_1_1, "30 03 00 05 61", DecodeError::MissingData("topic name"));
}
