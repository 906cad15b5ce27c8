//! Property tests: encode-then-decode is the identity for arbitrary valid
//! packets of every version; decoding arbitrary bytes never panics; the
//! session, fed random server bytes and random commands, never panics and
//! never leaves an operation pending once it ends; and the subscription trie
//! agrees with the spec's matching rules, filter by filter.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;

use mqtt_wasm::codec::topic::{matches, validate_topic_filter, validate_topic_name};
use mqtt_wasm::codec::{
    id, Ack, Auth, ConnAck, Decoder, Disconnect, Packet, PacketId, Properties, ProtocolVersion, Publish, QoS, QosPid,
    ReasonCode, RetainHandling, SubAck, Subscribe, Subscription, SubscriptionOptions, UnsubAck, Unsubscribe, Value,
};
use mqtt_wasm::session::TopicTrie;

fn version() -> impl Strategy<Value = ProtocolVersion> {
    prop_oneof![Just(ProtocolVersion::V3_1), Just(ProtocolVersion::V3_1_1), Just(ProtocolVersion::V5)]
}

/// The version `mqtt_wasm::fuzzing` reads from a selector byte.
fn selector_version(selector: u8) -> ProtocolVersion {
    [ProtocolVersion::V3_1, ProtocolVersion::V3_1_1, ProtocolVersion::V5][usize::from(selector % 3)]
}

/// Up to four levels from a small alphabet, wildcards included, so that
/// filters and topics often meet (a valid filter or name is kept).
fn levels(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(prop_oneof![Just("a"), Just("b"), Just(""), Just("$s"), Just("+"), Just("#")], 1..=max)
        .prop_map(|levels| levels.join("/"))
}

fn qos() -> impl Strategy<Value = QoS> {
    prop_oneof![Just(QoS::AtMostOnce), Just(QoS::AtLeastOnce), Just(QoS::ExactlyOnce)]
}

fn packet_id() -> impl Strategy<Value = PacketId> {
    (1u16..).prop_map(|v| PacketId::new(v).unwrap())
}

fn topic() -> impl Strategy<Value = String> {
    "[a-z0-9/$ é]{1,20}".prop_filter("no leading wildcard issues", |t| !t.is_empty())
}

fn filter() -> impl Strategy<Value = String> {
    prop_oneof![topic(), topic().prop_map(|t| format!("{t}/+/#")), Just("#".to_owned())]
}

/// Properties a PUBLISH may carry; empty before v5.
fn publish_properties(v5: bool) -> BoxedStrategy<Properties> {
    if !v5 {
        return Just(Properties::default()).boxed();
    }
    (
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<u32>()),
        proptest::option::of("[a-z/]{0,10}"),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..8)),
        proptest::collection::vec(("[a-z]{0,5}", "[a-z]{0,5}"), 0..3),
    )
        .prop_map(|(pfi, expiry, content_type, correlation, users)| {
            let mut values = Vec::new();
            values.extend(pfi.map(|v| (id::PAYLOAD_FORMAT_INDICATOR, Value::Flag(v))));
            values.extend(expiry.map(|v| (id::MESSAGE_EXPIRY_INTERVAL, Value::U32(v))));
            values.extend(content_type.as_deref().map(|v| (id::CONTENT_TYPE, Value::Str(v))));
            values.extend(correlation.as_deref().map(|v| (id::CORRELATION_DATA, Value::Bin(v))));
            values.extend(users.iter().map(|(n, v)| (id::USER_PROPERTY, Value::Pair(n, v))));
            Properties::from_values(&values).unwrap()
        })
        .boxed()
}

fn reason(v5: bool, codes: &'static [ReasonCode]) -> BoxedStrategy<ReasonCode> {
    if v5 {
        proptest::sample::select(codes).boxed()
    } else {
        Just(ReasonCode::Success).boxed()
    }
}

/// Packets a server or client may send, valid for `version`.
fn packet(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    let v5 = version.is_v5();
    let ack_codes: &'static [ReasonCode] = &[
        ReasonCode::Success,
        ReasonCode::NoMatchingSubscribers,
        ReasonCode::UnspecifiedError,
        ReasonCode::QuotaExceeded,
    ];
    let sub_codes: &'static [ReasonCode] =
        &[ReasonCode::Success, ReasonCode::GrantedQoS1, ReasonCode::GrantedQoS2, ReasonCode::UnspecifiedError];
    let publish = (
        any::<bool>(),
        qos(),
        packet_id(),
        any::<bool>(),
        topic(),
        publish_properties(v5),
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(dup, qos, pid, retain, topic, properties, payload)| {
            let qos_pid = QosPid::new(qos, pid);
            Packet::from(Publish {
                dup: dup && qos != QoS::AtMostOnce,
                qos_pid,
                retain,
                topic: topic.into(),
                properties,
                payload: payload.into(),
            })
        });
    let ack = (packet_id(), reason(v5, ack_codes), 0..4u8).prop_map(|(pid, reason_code, kind)| {
        let ack = Ack { packet_id: pid, reason_code, properties: Properties::default() };
        match kind {
            0 => Packet::PubAck(ack),
            1 => Packet::PubRec(ack),
            2 => Packet::PubRel(Ack { reason_code: ReasonCode::Success, ..ack }),
            _ => Packet::PubComp(Ack { reason_code: ReasonCode::Success, ..ack }),
        }
    });
    let subscribe =
        (packet_id(), proptest::collection::vec((filter(), qos(), any::<bool>(), any::<bool>(), 0..3u8), 1..4))
            .prop_map(move |(pid, subs)| {
                let subscriptions = subs
                    .into_iter()
                    .map(|(filter, qos, nl, rap, rh)| {
                        let retain_handling = [
                            RetainHandling::SendAtSubscribe,
                            RetainHandling::SendAtNewSubscribe,
                            RetainHandling::DoNotSend,
                        ][usize::from(rh)];
                        let options = if v5 {
                            SubscriptionOptions { qos, no_local: nl, retain_as_published: rap, retain_handling }
                        } else {
                            SubscriptionOptions { qos, ..Default::default() }
                        };
                        Subscription { filter, options }
                    })
                    .collect();
                Packet::Subscribe(Subscribe { packet_id: pid, properties: Properties::default(), subscriptions })
            });
    let suback =
        (packet_id(), proptest::collection::vec(reason(true, sub_codes), 1..4)).prop_map(|(pid, reason_codes)| {
            Packet::SubAck(SubAck { packet_id: pid, properties: Properties::default(), reason_codes })
        });
    let unsubscribe = (packet_id(), proptest::collection::vec(filter(), 1..4)).prop_map(|(pid, filters)| {
        Packet::Unsubscribe(Unsubscribe { packet_id: pid, properties: Properties::default(), filters })
    });
    let unsuback = (
        packet_id(),
        proptest::collection::vec(reason(true, &[ReasonCode::Success, ReasonCode::NoSubscriptionExisted]), 1..3),
    )
        .prop_map(move |(pid, codes)| {
            Packet::UnsubAck(UnsubAck {
                packet_id: pid,
                properties: Properties::default(),
                reason_codes: if v5 { codes } else { vec![] },
            })
        });
    let connack = (any::<bool>(), proptest::option::of(1u16..)).prop_map(move |(sp, receive_maximum)| {
        let properties = if v5 {
            let values: Vec<_> = receive_maximum.map(|v| (id::RECEIVE_MAXIMUM, Value::U16(v))).into_iter().collect();
            Properties::from_values(&values).unwrap()
        } else {
            Properties::default()
        };
        Packet::ConnAck(ConnAck {
            session_present: sp && version != ProtocolVersion::V3_1,
            reason_code: ReasonCode::Success,
            properties,
        })
    });
    let disconnect = reason(v5, &[ReasonCode::Success, ReasonCode::ServerBusy, ReasonCode::ProtocolError])
        .prop_map(|reason_code| Packet::Disconnect(Disconnect { reason_code, properties: Properties::default() }));
    let mut options = vec![
        publish.boxed(),
        ack.boxed(),
        subscribe.boxed(),
        suback.boxed(),
        unsubscribe.boxed(),
        unsuback.boxed(),
        connack.boxed(),
        disconnect.boxed(),
        Just(Packet::PingReq).boxed(),
        Just(Packet::PingResp).boxed(),
    ];
    if v5 {
        options.push(
            Just(Packet::Auth(Auth {
                reason_code: ReasonCode::ContinueAuthentication,
                properties: Properties::from_values(&[(id::AUTHENTICATION_METHOD, Value::Str("m"))]).unwrap(),
            }))
            .boxed(),
        );
    }
    proptest::strategy::Union::new(options).boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_then_decode_is_identity((version, packet) in version().prop_flat_map(|v| (Just(v), packet(v)))) {
        let mut buf = Vec::new();
        packet.encode(version, &mut buf).unwrap();
        let decoded = Packet::decode_from(&buf, version).unwrap().map(|(p, used)| { assert_eq!(used, buf.len()); p });
        prop_assert_eq!(decoded, Some(packet));
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(version in version(), bytes in proptest::collection::vec(any::<u8>(), 0..256), chunk in 1usize..16) {
        let _ = Packet::decode_from(&bytes, version);
        let mut decoder = Decoder::new(version, 1024);
        'feed: for piece in bytes.chunks(chunk) {
            decoder.push(piece);
            loop {
                match decoder.next_packet() {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(_) => break 'feed,
                }
            }
        }
    }

    #[test]
    fn session_never_panics_and_never_leaves_an_operation_pending(script in proptest::collection::vec(any::<u8>(), 0..512)) {
        mqtt_wasm::fuzzing::session(&script);
    }

    #[test]
    fn decoded_packets_survive_a_round_trip(
        (selector, packets) in (0u8..3).prop_flat_map(|s| (Just(s), proptest::collection::vec(packet(selector_version(s)), 1..6))),
        chunk in any::<u8>(),
        junk in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut script = vec![selector, chunk];
        for p in &packets {
            p.encode(selector_version(selector), &mut script).unwrap();
        }
        script.extend(junk);
        mqtt_wasm::fuzzing::decoder(&script);
    }

    #[test]
    fn the_trie_matches_as_the_spec_does(
        filters in proptest::collection::vec(levels(4).prop_filter("a valid filter", |f| validate_topic_filter(f).is_ok()), 0..12),
        topics in proptest::collection::vec(levels(4).prop_filter("a valid name", |t| validate_topic_name(t).is_ok()), 1..8),
    ) {
        let mut trie = TopicTrie::default();
        for (i, f) in filters.iter().enumerate() {
            trie.insert(f, i);
        }
        for topic in &topics {
            let mut found = Vec::new();
            trie.for_each_match(topic, |i| found.push(*i));
            found.sort_unstable();
            let expected: Vec<usize> = (0..filters.len()).filter(|&i| matches(&filters[i], topic)).collect();
            prop_assert_eq!(found, expected, "topic {:?} against {:?}", topic, filters);
        }
    }
}
