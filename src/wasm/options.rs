//! `new MqttClient(options)`: the options object, validated into a session
//! [`Config`] and the driver's settings, and its TypeScript types.

use alloc::{string::String, vec};
use core::time::Duration;

use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::convert;
use super::error::invalid;
use super::read::{self, expected, expected_hidden, Fields};
use crate::codec::{topic, ProtocolVersion, Secret, Will};
use crate::session::{Backoff, Config, Credentials, Redirect, Settings};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** `{ name: value }`; a repeated name has an array of values, in order. */
export type UserProperties = { [name: string]: string | string[] };

/** MQTT 5.0 properties, by their MQTT.js names. */
export interface Properties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  /** One number when sent (SUBSCRIBE); an array when received (PUBLISH). */
  subscriptionIdentifier?: number | number[];
  sessionExpiryInterval?: number;
  assignedClientIdentifier?: string;
  serverKeepAlive?: number;
  authenticationMethod?: string;
  authenticationData?: Uint8Array;
  requestProblemInformation?: boolean;
  willDelayInterval?: number;
  requestResponseInformation?: boolean;
  responseInformation?: string;
  serverReference?: string;
  reasonString?: string;
  receiveMaximum?: number;
  topicAliasMaximum?: number;
  maximumQoS?: 0 | 1;
  retainAvailable?: boolean;
  maximumPacketSize?: number;
  wildcardSubscriptionAvailable?: boolean;
  subscriptionIdentifiersAvailable?: boolean;
  sharedSubscriptionAvailable?: boolean;
  userProperties?: UserProperties;
}

export type QoS = 0 | 1 | 2;

export interface Credentials { url?: string; username?: string; password?: string | Uint8Array }

export interface ClientOptions {
  /** `ws://` or `wss://` URL, path included (`ws://127.0.0.1:9001/mqtt`). Required. */
  url: string;
  /** Backup URLs: automatic attempts go through `url`, then these, in turn. */
  servers?: string[];
  /**
   * Default: "mqttwasm_" and 8 hex digits. "" lets a v5 server assign one
   * (`clientId` then holds it, and reconnects resume the session under it);
   * on MQTT 3.x "" needs `clean: true`.
   */
  clientId?: string;
  /** 3 = MQTT 3.1, 4 = 3.1.1, 5 = 5.0. Default 4. */
  protocolVersion?: 3 | 4 | 5;
  /** Keepalive in **seconds** (0 disables). Default 60. A v5 Server Keep Alive overrides it. */
  keepalive?: number;
  /** Clean Session (3.x) / Clean Start (5.0). Default true. */
  clean?: boolean;
  /** MQTT 5: how long the server keeps the session after the connection, in **seconds**. */
  sessionExpiryInterval?: number;
  username?: string;
  /** Never shown in errors, events or logs. MQTT 3.x needs a username with it. */
  password?: string | Uint8Array;
  /** Published by the server if the connection ends without DISCONNECT. `payload` is required ("" for none). */
  will?: { topic: string; payload: string | Uint8Array | ArrayBuffer; qos?: QoS; retain?: boolean; properties?: Properties };
  /** MQTT 5 CONNECT properties. */
  properties?: Properties;
  /** From the start of an attempt (credentials, socket, CONNACK) to its CONNACK, in **milliseconds**. Default 30000. */
  connectTimeout?: number;
  /**
   * First back-off step of automatic reconnects, in **milliseconds**. Default 1000.
   * 0 disables them, and a failed first `connect()` then rejects at once.
   */
  reconnectPeriod?: number;
  /** Cap of the exponential back-off (with jitter), in **milliseconds**. Default 30000. */
  maxReconnectPeriod?: number;
  /** Failed automatic attempts in a row before giving up (pending operations reject, `end`). Default 0: unlimited. */
  maxReconnectAttempts?: number;
  /** Awaited before every attempt, for expiring tokens; its URL, if any, replaces the attempt's. */
  credentialsProvider?: () => Promise<Credentials> | Credentials;
  /** Subscribe again after a reconnect whose CONNACK has no session. Default true. */
  resubscribe?: boolean;
  /** Publishes and subscriptions made offline wait and go out on connect. Default true. */
  queueWhileOffline?: boolean;
  /** Publishes waiting to be sent, beyond which `publish` rejects with "QueueFull". Default 1000. */
  maxQueuedMessages?: number;
  /** Largest packet accepted from the server, in **bytes** (announced on MQTT 5). Default 1048576. */
  maxIncomingPacketSize?: number;
  /**
   * Incoming QoS 2 messages held between PUBLISH and PUBREL (default 1000);
   * with maxIncomingPacketSize it bounds what a server can make the client
   * hold. Announced as Receive Maximum on MQTT 5; a server that sends more
   * closes the connection with a Protocol error (reason 0x93).
   */
  maxUnreleasedMessages?: number;
  /** MQTT 5: shorten repeated topics with aliases, up to the server's Topic Alias Maximum. Default false. */
  autoTopicAlias?: boolean;
  /** Where the session's unacknowledged and queued messages live: "indexeddb" survives a reload. Default "memory". */
  store?: "memory" | "indexeddb";
  /**
   * MQTT 5.0 server redirection (CONNACK or DISCONNECT 0x9C / 0x9D with a
   * Server Reference such as "host:port"): returns the URL to use, or null
   * to refuse. Without it a reference is followed only to a host of `url`
   * or `servers`, so credentials never go to a host the application did
   * not name.
   */
  redirect?: (serverReference: string) => string | null | undefined;
}

export interface ConnAck { sessionPresent: boolean; reasonCode: number; properties: Properties }
export interface PublishOptions { qos?: QoS; retain?: boolean; properties?: Properties }
export interface PublishResult { packetId?: number; reasonCode?: number; properties?: Properties }
export interface SubscriptionRequest { topic: string; qos?: QoS; noLocal?: boolean; retainAsPublished?: boolean; retainHandling?: 0 | 1 | 2 }
export interface SubscribeOptions { qos?: QoS; noLocal?: boolean; retainAsPublished?: boolean; retainHandling?: 0 | 1 | 2; properties?: Properties }
/** A granted QoS, or 0x80 (128) for a refused filter (its `reasonCode` tells why). */
export type GrantedQoS = 0 | 1 | 2 | 128;
export interface SubAck { packetId: number; granted: { topic: string; qos: GrantedQoS; reasonCode: number }[]; properties: Properties }
export interface UnsubAck { packetId: number; reasonCodes: number[]; properties: Properties }
/**
 * A received payload: a `Uint8Array` that also reads as text, as the
 * `Buffer` of MQTT.js does: `toString()` and `text()` decode UTF-8 (a byte
 * sequence that is not UTF-8 becomes U+FFFD), `json()` parses that text.
 * It may be a view of the received frame (where it fills at least half of
 * it): read it through the view, not through `buffer`.
 */
export class Payload extends Uint8Array {
  toString(): string;
  text(): string;
  json<T = unknown>(): T;
}
export interface MessagePacket { qos: QoS; retain: boolean; dup: boolean; packetId?: number; properties?: Properties }
export interface PacketSummary { type: string; packetId?: number; topic?: string; qos?: number }
/** A message as `request()` resolves with it and `messages()` yields it. */
export interface Message { topic: string; payload: Payload; packet: MessagePacket }
export interface RequestOptions {
  /** Of the request (1 by default). */
  qos?: QoS;
  retain?: boolean;
  /** More properties of the request; Response Topic and Correlation Data are the client's. */
  properties?: Properties;
  /** Milliseconds until the promise rejects with "Timeout" (30000 by default). */
  timeout?: number;
}
export interface MessagesOptions extends SubscribeOptions {
  /** How many messages wait to be read at most (1000 by default). */
  bufferSize?: number;
  /** Past `bufferSize`: drop the oldest (counted in `dropped`), or end the loop with a "QueueFull" error. */
  overflow?: "drop-oldest" | "error";
}
/** What `messages()` returns: `for await (const { topic, payload } of client.messages("a/#"))`. */
export interface MessageStream extends AsyncIterableIterator<Message> {
  /** The SUBACK; a refused filter ends the loop with a "Rejected" error. */
  readonly subscribed: Promise<SubAck>;
  /** Messages dropped by the "drop-oldest" overflow policy. */
  readonly dropped: number;
}
/** The events of `MqttClient.on` / `off`, with their handler types. */
export interface MqttEvents {
  connect: (connack: ConnAck) => void;
  reconnect: (info: { attempt: number; delayMs: number; url: string }) => void;
  offline: () => void;
  close: () => void;
  disconnect: (packet: { reasonCode: number; properties: Properties }) => void;
  message: (topic: string, payload: Payload, packet: MessagePacket) => void;
  auth: (packet: { reasonCode: number; properties: Properties }) => void;
  error: (error: MqttError) => void;
  packetsend: (packet: PacketSummary) => void;
  packetreceive: (packet: PacketSummary) => void;
  end: () => void;
}
"#;

/// The keys of the options object.
const OPTIONS: &[&str] = &[
    "url",
    "servers",
    "clientId",
    "protocolVersion",
    "keepalive",
    "clean",
    "sessionExpiryInterval",
    "username",
    "password",
    "will",
    "properties",
    "connectTimeout",
    "reconnectPeriod",
    "maxReconnectPeriod",
    "maxReconnectAttempts",
    "credentialsProvider",
    "resubscribe",
    "queueWhileOffline",
    "maxQueuedMessages",
    "maxIncomingPacketSize",
    "maxUnreleasedMessages",
    "autoTopicAlias",
    "store",
    "redirect",
];

const WILL: &[&str] = &["topic", "payload", "qos", "retain", "properties"];

/// What the constructor needs: the session's `Config`, the client's
/// `Settings`, and the functions the driver calls.
pub(crate) struct ClientOptions {
    pub(crate) config: Config,
    pub(crate) settings: Settings,
    pub(crate) credentials_provider: Option<Function>,
    pub(crate) redirect: Option<Function>,
}

/// Whether `url` is a WebSocket URL.
pub(crate) fn is_ws_url(url: &str) -> bool {
    url.starts_with("ws://") || url.starts_with("wss://")
}

/// A `ws://` or `wss://` URL at `path`.
fn url(value: &JsValue, path: &str) -> Result<String, JsValue> {
    match value.as_string() {
        Some(url) if is_ws_url(&url) => Ok(url),
        _ => Err(expected(path, "a ws:// or wss:// URL", value)),
    }
}

/// A password: a string (sent as UTF-8) or a `Uint8Array`.
fn password(fields: &Fields<'_>) -> Result<Option<Secret>, JsValue> {
    let Some(value) = fields.get("password") else { return Ok(None) };
    if !value.is_string() && !value.is_instance_of::<js_sys::Uint8Array>() {
        return Err(expected_hidden(&fields.path("password"), "a string or a Uint8Array", &value));
    }
    if let Some(Err(())) = read::text(&value) {
        return Err(invalid(&[&fields.path("password"), ": ", read::LONE_SURROGATE].concat()));
    }
    convert::payload(&value, "password").map(|bytes| Some(Secret(bytes)))
}

/// A random client identifier, `mqttwasm_` and 8 hex digits.
fn random_client_id() -> String {
    let n = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
    let hex = b"0123456789abcdef";
    let mut id = String::from("mqttwasm_");
    for shift in (0..8).rev() {
        id.push(char::from(hex[((n >> (shift * 4)) & 0xF) as usize]));
    }
    id
}

pub(crate) fn parse(value: JsValue) -> Result<ClientOptions, JsValue> {
    // A function is refused by `Fields`, with the word on callbacks.
    if !value.is_object() && !value.is_function() {
        return Err(expected("options", "an object with at least a url", &value));
    }
    let o = Fields::new(&value, "options", OPTIONS)?;
    let url = url(&o.get("url").unwrap_or(JsValue::UNDEFINED), "options.url")?;
    let mut urls = vec![url];
    for (i, server) in o
        .get("servers")
        .map(|v| read::values(&v, "options.servers"))
        .transpose()?
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        urls.push(self::url(server, &["options.servers[", &read::number(i as f64), "]"].concat())?);
    }
    let protocol = match o.uint("protocolVersion", 3, 5, "")?.unwrap_or(4) {
        3 => ProtocolVersion::V3_1,
        5 => ProtocolVersion::V5,
        _ => ProtocolVersion::V3_1_1,
    };
    let v5 = protocol.is_v5();
    let clean = o.bool("clean")?.unwrap_or(true);
    let client_id = o.string("clientId")?.unwrap_or_else(random_client_id);
    // MQTT 5.0 lets the server assign an identifier with any Clean Start
    // (the session then resumes under the assigned one, which the client
    // keeps); 3.1.1 refuses it without a clean session [MQTT-3.1.3-7].
    if client_id.is_empty() && !clean && !v5 {
        return Err(invalid(
            "options.clientId: an empty client id needs clean: true on MQTT 3.x (MQTT 5.0 lets the server assign one)",
        ));
    }
    if protocol == ProtocolVersion::V3_1 && client_id.len() > crate::codec::V3_1_MAX_CLIENT_ID {
        return Err(invalid("options.clientId: MQTT 3.1 allows at most 23 bytes"));
    }
    let mut properties = convert::properties_field(Some(&o))?;
    if let Some(interval) = o.uint("sessionExpiryInterval", 0, u32::MAX, "seconds")? {
        properties.session_expiry_interval = Some(interval);
    }
    if !v5 && !properties.is_empty() {
        return Err(invalid("options.properties / sessionExpiryInterval: need protocolVersion 5"));
    }
    let will = o.get("will").map(|w| will(&w, v5)).transpose()?;
    let username = o.string("username")?;
    let password = password(&o)?;
    if !v5 && password.is_some() && username.is_none() {
        return Err(invalid("options.password: MQTT 3.x needs a username with a password"));
    }
    let credentials_provider = o.function("credentialsProvider")?;
    let redirect = o.function("redirect")?;
    let ms = |key: &str, default: u32| o.uint(key, 0, u32::MAX, "milliseconds").map(|v| v.unwrap_or(default));
    let config = Config {
        protocol,
        client_id,
        keep_alive: o.uint("keepalive", 0, u32::from(u16::MAX), "seconds")?.unwrap_or(60) as u16,
        clean_start: clean,
        username,
        password,
        will,
        properties,
        connect_timeout: Duration::from_millis(u64::from(ms("connectTimeout", 30_000)?)),
        resubscribe: o.bool("resubscribe")?.unwrap_or(true),
        queue_while_offline: o.bool("queueWhileOffline")?.unwrap_or(true),
        max_queued: o.uint("maxQueuedMessages", 0, u32::MAX, "")?.unwrap_or(1000) as usize,
        max_incoming_packet_size: o.uint("maxIncomingPacketSize", 0, u32::MAX, "bytes")?.unwrap_or(1024 * 1024),
        max_unreleased: o.uint("maxUnreleasedMessages", 1, u32::from(u16::MAX), "")?.unwrap_or(1000) as u16,
        auto_topic_alias: o.bool("autoTopicAlias")?.unwrap_or(false),
    };
    let durable = match o.string("store")?.as_deref() {
        None | Some("memory") => false,
        Some("indexeddb") => true,
        Some(_) => return Err(invalid("options.store: expected \"memory\" or \"indexeddb\"")),
    };
    if durable && config.client_id.is_empty() {
        return Err(invalid("options.store: a durable session needs a fixed clientId"));
    }
    let settings = Settings {
        urls,
        backoff: Backoff {
            base: Duration::from_millis(u64::from(ms("reconnectPeriod", 1000)?)),
            max: Duration::from_millis(u64::from(ms("maxReconnectPeriod", 30_000)?)),
        },
        max_reconnect_attempts: o.uint("maxReconnectAttempts", 0, u32::MAX, "")?.unwrap_or(0),
        credentials_provider: credentials_provider.is_some(),
        durable,
        redirect: if redirect.is_some() { Redirect::Ask } else { Redirect::KnownHosts },
        // 2^53: every bit of the random double.
        seed: (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64,
    };
    Ok(ClientOptions { config, settings, credentials_provider, redirect })
}

/// `options.will`.
fn will(value: &JsValue, v5: bool) -> Result<Will, JsValue> {
    let w = Fields::new(value, "options.will", WILL)?;
    let topic =
        w.string("topic")?.ok_or_else(|| expected("options.will.topic", "a topic name", &JsValue::UNDEFINED))?;
    topic::validate_topic_name(&topic).map_err(|e| invalid(&["options.will.topic: ", e.as_str()].concat()))?;
    let properties = convert::properties_field(Some(&w))?;
    if !v5 && !properties.is_empty() {
        return Err(invalid("options.will.properties: need protocolVersion 5"));
    }
    Ok(Will {
        topic,
        payload: convert::payload(&w.get("payload").unwrap_or(JsValue::UNDEFINED), "options.will.payload")?,
        qos: convert::qos(Some(&w), "qos")?,
        retain: w.bool("retain")?.unwrap_or(false),
        properties,
    })
}

/// The value `credentialsProvider` resolved with.
pub(crate) fn credentials(value: JsValue) -> Result<Credentials, JsValue> {
    let c = Fields::new(&value, "credentials", &["url", "username", "password"])?;
    Ok(Credentials {
        url: c.get("url").map(|v| url(&v, "credentials.url")).transpose()?,
        username: c.string("username")?,
        password: password(&c)?,
    })
}
