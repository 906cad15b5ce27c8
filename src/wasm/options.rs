//! `new MqttClient(options)`: the options object (checked by host.js's
//! `readOptions`) as a session [`Config`] and the client's settings, and
//! its TypeScript types.

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::convert::{self, Values};
use super::error::invalid;
use super::host::{read_credentials, read_options};
use crate::codec::{id, topic, ProtocolVersion, Secret, Value, Will};
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

/// The options object, as host.js's `readOptions` checked it and ordered
/// its values.
pub(crate) fn parse(options: &JsValue) -> Result<ClientOptions, JsValue> {
    let mut o = Values::new(read_options(options)?);
    let urls = o.strings();
    let protocol = match o.number() as u8 {
        3 => ProtocolVersion::V3_1,
        5 => ProtocolVersion::V5,
        _ => ProtocolVersion::V3_1_1,
    };
    let client_id = o.string().unwrap_or_default();
    let keep_alive = o.number() as u16;
    let clean_start = o.flag();
    let username = o.string();
    let password = o.bytes().map(Secret);
    let will = will(o.value())?;
    let mut properties = o.properties()?;
    if let Some(interval) = o.value().as_f64() {
        // A number of its kind, so it is stored.
        let _ = properties.set(id::SESSION_EXPIRY_INTERVAL, Value::U32(interval as u32));
    }
    let config = Config {
        protocol,
        client_id,
        keep_alive,
        clean_start,
        username,
        password,
        will,
        properties,
        connect_timeout: o.millis(),
        resubscribe: o.flag(),
        queue_while_offline: o.flag(),
        max_queued: o.number() as usize,
        max_incoming_packet_size: o.number() as u32,
        max_unreleased: o.number() as u16,
        auto_topic_alias: o.flag(),
    };
    let durable = o.flag();
    let backoff = Backoff { base: o.millis(), max: o.millis() };
    let max_reconnect_attempts = o.number() as u32;
    let credentials_provider = o.value().dyn_into::<Function>().ok();
    let redirect = o.value().dyn_into::<Function>().ok();
    let settings = Settings {
        urls,
        backoff,
        max_reconnect_attempts,
        credentials_provider: credentials_provider.is_some(),
        durable,
        redirect: if redirect.is_some() { Redirect::Ask } else { Redirect::KnownHosts },
        seed: o.number() as u64,
    };
    Ok(ClientOptions { config, settings, credentials_provider, redirect })
}

/// `options.will`, as `[topic, payload, qos, retain, properties]`; the
/// topic name is checked here, by the codec's rules.
fn will(value: JsValue) -> Result<Option<Will>, JsValue> {
    if value.is_undefined() {
        return Ok(None);
    }
    let mut w = Values::new(value.unchecked_into());
    let topic = w.string().unwrap_or_default();
    topic::validate_topic_name(&topic).map_err(|e| invalid(&["options.will.topic: ", e.as_str()].concat()))?;
    Ok(Some(Will {
        topic,
        payload: convert::payload(&w.value(), "options.will.payload")?,
        qos: w.qos(),
        retain: w.flag(),
        properties: w.properties()?,
    }))
}

/// The value `credentialsProvider` resolved with.
pub(crate) fn credentials(value: &JsValue) -> Result<Credentials, JsValue> {
    let mut c = Values::new(read_credentials(value)?);
    Ok(Credentials { url: c.string(), username: c.string(), password: c.bytes().map(Secret) })
}
