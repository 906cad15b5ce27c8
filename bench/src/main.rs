//! The native half of the codec benchmark: encode and decode throughput of
//! this crate's codec and rumqttc's (mqttbytes), on the same packets.
//! Prints medians of 5 runs, and the ratio. Run: `make bench-codec`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use mqtt_wasm::codec::{
    id, Bytes, Connect, Decoder, Packet, PacketId, Properties, ProtocolVersion, Publish, QoS, QosPid, Secret,
    Subscribe, Subscription, SubscriptionOptions, Value,
};
use rumqttc::mqttbytes::v4 as rq4;
use rumqttc::v5::mqttbytes::v5 as rq5;

const RUNS: usize = 5;
/// WebSocket-frame-sized chunks, as the browser client receives them.
const CHUNK: usize = 16 * 1024;

struct Workload {
    name: &'static str,
    version: ProtocolVersion,
    ours: Vec<Packet>,
    theirs: Vec<Theirs>,
}

enum Theirs {
    V4(rq4::Packet),
    // Boxed: a v5 packet is almost three times the size of a v4 one.
    V5(Box<rq5::Packet>),
}

fn publish(n: usize, payload: usize) -> Workload {
    let ours = (0..n)
        .map(|i| {
            Packet::from(Publish {
                dup: false,
                qos_pid: QosPid::AtLeastOnce(PacketId::new((i % 65535 + 1) as u16).unwrap()),
                retain: false,
                topic: "sensors/floor-1/room-7/temperature".into(),
                properties: Properties::default(),
                payload: vec![0x5a; payload].into(),
            })
        })
        .collect();
    let theirs = (0..n)
        .map(|i| {
            let mut p =
                rq4::Publish::new("sensors/floor-1/room-7/temperature", rumqttc::QoS::AtLeastOnce, vec![0x5a; payload]);
            p.pkid = (i % 65535 + 1) as u16;
            Theirs::V4(rq4::Packet::Publish(p))
        })
        .collect();
    let name = if payload == 64 { "PUBLISH 64 B (3.1.1, QoS 1)" } else { "PUBLISH 1 KiB (3.1.1, QoS 1)" };
    Workload { name, version: ProtocolVersion::V3_1_1, ours, theirs }
}

fn subscribe(n: usize) -> Workload {
    let filters = ["sensors/+/temperature", "alerts/#", "devices/abc123/cmd"];
    let ours = (0..n)
        .map(|i| {
            Packet::Subscribe(Subscribe {
                packet_id: PacketId::new((i % 65535 + 1) as u16).unwrap(),
                properties: Properties::default(),
                subscriptions: filters
                    .iter()
                    .map(|f| Subscription {
                        filter: (*f).into(),
                        options: SubscriptionOptions { qos: QoS::AtLeastOnce, ..Default::default() },
                    })
                    .collect(),
            })
        })
        .collect();
    let theirs = (0..n)
        .map(|i| {
            let mut s = rq4::Subscribe::new_many(
                filters.iter().map(|f| rq4::SubscribeFilter::new((*f).into(), rumqttc::QoS::AtLeastOnce)),
            );
            s.pkid = (i % 65535 + 1) as u16;
            Theirs::V4(rq4::Packet::Subscribe(s))
        })
        .collect();
    Workload { name: "SUBSCRIBE, 3 filters (3.1.1)", version: ProtocolVersion::V3_1_1, ours, theirs }
}

fn connect_v5(n: usize) -> Workload {
    let users = vec![("site".to_owned(), "berlin".to_owned()), ("fw".to_owned(), "1.4.2".to_owned())];
    let ours = (0..n)
        .map(|_| {
            Packet::from(Connect {
                protocol: ProtocolVersion::V5,
                clean_start: true,
                keep_alive: 60,
                client_id: "dashboard-7f3a".into(),
                will: None,
                username: Some("operator".into()),
                password: Some(Secret(b"hunter2".to_vec())),
                properties: Properties::from_values(
                    &[
                        (id::SESSION_EXPIRY_INTERVAL, Value::U32(3600)),
                        (id::RECEIVE_MAXIMUM, Value::U16(100)),
                        (id::TOPIC_ALIAS_MAXIMUM, Value::U16(16)),
                        (id::MAXIMUM_PACKET_SIZE, Value::U32(1 << 20)),
                    ]
                    .into_iter()
                    .chain(users.iter().map(|(n, v)| (id::USER_PROPERTY, Value::Pair(n, v))))
                    .collect::<Vec<_>>(),
                )
                .unwrap(),
            })
        })
        .collect();
    let theirs = (0..n)
        .map(|_| {
            let mut props = rq5::ConnectProperties::new();
            props.session_expiry_interval = Some(3600);
            props.receive_maximum = Some(100);
            props.topic_alias_max = Some(16);
            props.max_packet_size = Some(1 << 20);
            props.user_properties = users.clone();
            let connect = rq5::Connect {
                keep_alive: 60,
                client_id: "dashboard-7f3a".into(),
                clean_start: true,
                properties: Some(props),
            };
            let login = rq5::Login { username: "operator".into(), password: "hunter2".into() };
            Theirs::V5(Box::new(rq5::Packet::Connect(connect, None, Some(login))))
        })
        .collect();
    Workload { name: "CONNECT with properties (5.0)", version: ProtocolVersion::V5, ours, theirs }
}

/// The median time of `RUNS` runs of `f`.
fn median(mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn rate(n: usize, t: Duration) -> f64 {
    n as f64 / t.as_secs_f64() / 1e6
}

/// Matching topics against 10,000 subscriptions: the trie the client
/// dispatches per-subscription handlers with, against a linear scan.
fn subscription_matching() {
    use mqtt_wasm::codec::topic;
    use mqtt_wasm::session::TopicTrie;
    let filters: Vec<String> = (0..10_000)
        .map(|i| match i % 4 {
            0 => format!("site/{}/+/temperature", i / 4),
            1 => format!("fleet/{}/#", i / 4),
            2 => format!("devices/{}/state/led", i / 4),
            _ => format!("$share/g/alerts/{}/+", i / 4),
        })
        .collect();
    let mut trie = TopicTrie::default();
    for (i, f) in filters.iter().enumerate() {
        trie.insert(f, i);
    }
    let topics: Vec<String> = (0..10_000).map(|i| format!("site/{}/room-{}/temperature", i % 2500, i % 7)).collect();
    let (mut via_trie, mut via_scan) = (0usize, 0usize);
    let trie_time = median(|| {
        for t in &topics {
            trie.for_each_match(t, |v| via_trie += black_box(*v) & 1);
        }
    });
    let scan_time = median(|| {
        for t in &topics {
            via_scan += filters
                .iter()
                .enumerate()
                .filter(|(_, f)| topic::matches(f, t))
                .map(|(i, _)| black_box(i) & 1)
                .sum::<usize>();
        }
    });
    assert_eq!(via_trie, via_scan, "both find the same subscriptions");
    let per = |d: Duration| d.as_secs_f64() * 1e6 / topics.len() as f64;
    println!("\nsubscription matching, 10,000 filters, median of {RUNS} runs (lower is better)");
    println!(
        "topic trie {:.2} us per message, linear scan {:.1} us per message ({:.0}x)",
        per(trie_time),
        per(scan_time),
        scan_time.as_secs_f64() / trie_time.as_secs_f64()
    );
}

fn main() {
    // An argument picks the workloads whose names contain it (for profiling one).
    let only = std::env::args().nth(1);
    let workloads = [publish(200_000, 64), publish(50_000, 1024), subscribe(200_000), connect_v5(200_000)];
    println!("codec throughput, million packets per second, median of {RUNS} runs (higher is better)");
    println!("{:<32} {:>8} {:>10} {:>10} {:>8}", "workload", "op", "mqtt-wasm", "rumqttc", "ratio");
    for w in workloads.iter().filter(|w| only.as_ref().is_none_or(|o| w.name.contains(o.as_str()))) {
        let n = w.ours.len();
        let mut buf = Vec::with_capacity(1 << 20);
        let encode_ours = median(|| {
            for p in &w.ours {
                buf.clear();
                p.encode(w.version, &mut buf).unwrap();
                black_box(&buf);
            }
        });
        let mut bm = BytesMut::with_capacity(1 << 20);
        let encode_theirs = median(|| {
            for p in &w.theirs {
                bm.clear();
                match p {
                    Theirs::V4(p) => p.write(&mut bm, usize::MAX).unwrap(),
                    Theirs::V5(p) => p.write(&mut bm, None).unwrap(),
                };
                black_box(&bm);
            }
        });
        // One stream of all packets, the same bytes for both decoders.
        let mut stream = Vec::new();
        for p in &w.ours {
            p.encode(w.version, &mut stream).unwrap();
        }
        let decode_ours = median(|| {
            let mut d = Decoder::new(w.version, u32::MAX);
            let mut count = 0;
            for chunk in stream.chunks(CHUNK) {
                // One copy of the received bytes, as the browser makes from a
                // WebSocket frame into wasm memory (and rumqttc below into its
                // buffer); payloads then share it.
                let mut input = Bytes::copy_from_slice(chunk);
                while let Some(p) = d.next_from_bytes(&mut input).unwrap() {
                    black_box(&p);
                    count += 1;
                }
            }
            assert_eq!(count, n);
        });
        let decode_theirs = median(|| {
            let mut bm = BytesMut::new();
            let mut count = 0;
            for chunk in stream.chunks(CHUNK) {
                bm.extend_from_slice(chunk);
                loop {
                    let done = match w.version {
                        ProtocolVersion::V5 => rq5::Packet::read(&mut bm, None).map(|p| drop(black_box(p))).is_ok(),
                        _ => rq4::Packet::read(&mut bm, usize::MAX).map(|p| drop(black_box(p))).is_ok(),
                    };
                    if !done {
                        break; // needs more bytes
                    }
                    count += 1;
                }
            }
            assert_eq!(count, n);
        });
        for (op, ours, theirs) in [("encode", encode_ours, encode_theirs), ("decode", decode_ours, decode_theirs)] {
            let (a, b) = (rate(n, ours), rate(n, theirs));
            println!("{:<32} {:>8} {:>10.2} {:>10.2} {:>7.2}x", w.name, op, a, b, a / b);
        }
    }
    if only.is_none() {
        subscription_matching();
    }
}
