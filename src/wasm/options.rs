//! `new MqttClient(options)`: the options object, validated into a session
//! [`Config`] and the driver's settings, and its TypeScript types.

use core::time::Duration;

use js_sys::Function;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::convert::{self, from_js, Checked, PropertiesIn};
use super::error::invalid;
use crate::codec::{topic, Properties, ProtocolVersion, Secret, Will};
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
  url: string;
  servers?: string[];
  clientId?: string;
  protocolVersion?: 3 | 4 | 5;
  keepalive?: number;
  clean?: boolean;
  sessionExpiryInterval?: number;
  username?: string;
  password?: string | Uint8Array;
  will?: { topic: string; payload: string | Uint8Array | ArrayBuffer; qos?: QoS; retain?: boolean; properties?: Properties };
  properties?: Properties;
  connectTimeout?: number;
  reconnectPeriod?: number;
  maxReconnectPeriod?: number;
  maxReconnectAttempts?: number;
  credentialsProvider?: () => Promise<Credentials> | Credentials;
  resubscribe?: boolean;
  queueWhileOffline?: boolean;
  maxQueuedMessages?: number;
  maxIncomingPacketSize?: number;
  autoTopicAlias?: boolean;
  /** Where the session's unacknowledged and queued messages live: "indexeddb" survives a reload. */
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
export interface SubAck { packetId: number; granted: { topic: string; qos: number; reasonCode: number }[]; properties: Properties }
export interface UnsubAck { packetId: number; reasonCodes: number[]; properties: Properties }
export interface MessagePacket { qos: QoS; retain: boolean; dup: boolean; packetId?: number; properties?: Properties }
export interface PacketSummary { type: string; packetId?: number; topic?: string; qos?: number }
/** The events of `MqttClient.on` / `off`, with their handler types. */
export interface MqttEvents {
  connect: (connack: ConnAck) => void;
  reconnect: (info: { attempt: number; delayMs: number; url: string }) => void;
  offline: () => void;
  close: () => void;
  disconnect: (packet: { reasonCode: number; properties: Properties }) => void;
  message: (topic: string, payload: Uint8Array, packet: MessagePacket) => void;
  auth: (packet: { reasonCode: number; properties: Properties }) => void;
  error: (error: MqttError) => void;
  packetsend: (packet: PacketSummary) => void;
  packetreceive: (packet: PacketSummary) => void;
  end: () => void;
}

export interface MqttClient {
  on<E extends keyof MqttEvents>(event: E, handler: MqttEvents[E]): MqttClient;
  off<E extends keyof MqttEvents>(event: E, handler: MqttEvents[E]): MqttClient;
}

export type MqttErrorCode =
  | "InvalidArgument" | "InvalidTopic" | "ConnectionRefused" | "Timeout" | "Protocol"
  | "PacketTooLarge" | "QueueFull" | "NotConnected" | "Closed" | "Rejected"
  | "ServerDisconnected" | "ConnectionLost" | "Storage";
"#;

/// The options object. Unknown fields are refused, so a misspelt option
/// (`keepAlive`) is an error rather than silently ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OptionsIn {
    url: String,
    #[serde(default)]
    servers: Vec<String>,
    client_id: Option<String>,
    protocol_version: Option<u8>,
    keepalive: Option<u16>,
    clean: Option<bool>,
    session_expiry_interval: Option<u32>,
    username: Option<String>,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    password: JsValue,
    will: Option<Checked<WillIn>>,
    properties: Option<Checked<PropertiesIn>>,
    connect_timeout: Option<u32>,
    reconnect_period: Option<u32>,
    max_reconnect_period: Option<u32>,
    max_reconnect_attempts: Option<u32>,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    credentials_provider: JsValue,
    resubscribe: Option<bool>,
    queue_while_offline: Option<bool>,
    max_queued_messages: Option<u32>,
    max_incoming_packet_size: Option<u32>,
    auto_topic_alias: Option<bool>,
    store: Option<String>,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    redirect: JsValue,
}

#[derive(Deserialize)]
struct WillIn {
    topic: String,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    payload: JsValue,
    qos: Option<u8>,
    retain: Option<bool>,
    properties: Option<Checked<PropertiesIn>>,
}

/// What the constructor needs: the session's `Config`, the client's
/// `Settings`, and the functions the driver calls.
pub(crate) struct ClientOptions {
    pub(crate) config: Config,
    pub(crate) settings: Settings,
    pub(crate) credentials_provider: Option<Function>,
    pub(crate) redirect: Option<Function>,
}

pub(crate) fn check_url(url: &str) -> Result<(), JsValue> {
    if url.starts_with("ws://") || url.starts_with("wss://") {
        Ok(())
    } else {
        Err(invalid("options.url: must start with ws:// or wss://"))
    }
}

/// A password: a string (sent as UTF-8) or a `Uint8Array`.
fn password(value: &JsValue) -> Result<Option<Secret>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if !value.is_string() && !value.is_instance_of::<js_sys::Uint8Array>() {
        // The message never shows the value.
        return Err(invalid("password must be a string or Uint8Array"));
    }
    convert::payload(value, "password").map(|bytes| Some(Secret(bytes)))
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
    if !value.is_object() {
        return Err(invalid("options must be an object with at least a url"));
    }
    let o: OptionsIn = from_js(value, "options")?;
    check_url(&o.url)?;
    for s in &o.servers {
        check_url(s)?;
    }
    let protocol = match o.protocol_version.unwrap_or(4) {
        3 => ProtocolVersion::V3_1,
        4 => ProtocolVersion::V3_1_1,
        5 => ProtocolVersion::V5,
        _ => return Err(invalid("options.protocolVersion: must be 3, 4 or 5")),
    };
    let v5 = protocol.is_v5();
    let clean = o.clean.unwrap_or(true);
    let client_id = o.client_id.unwrap_or_else(random_client_id);
    if client_id.is_empty() && !clean {
        return Err(invalid("options.clientId: an empty client id needs clean: true"));
    }
    if protocol == ProtocolVersion::V3_1 && client_id.len() > crate::codec::V3_1_MAX_CLIENT_ID {
        return Err(invalid("options.clientId: MQTT 3.1 allows at most 23 bytes"));
    }
    let mut properties: Properties = o.properties.map(Properties::from).unwrap_or_default();
    if o.session_expiry_interval.is_some() {
        properties.session_expiry_interval = o.session_expiry_interval;
    }
    if !v5 && !properties.is_empty() {
        return Err(invalid("options.properties / sessionExpiryInterval: need protocolVersion 5"));
    }
    let will = match o.will {
        None => None,
        Some(Checked(w)) => {
            topic::validate_topic_name(&w.topic)
                .map_err(|e| invalid(&["options.will.topic: ", e.as_str()].concat()))?;
            let properties: Properties = w.properties.map(Properties::from).unwrap_or_default();
            if !v5 && !properties.is_empty() {
                return Err(invalid("options.will.properties: need protocolVersion 5"));
            }
            Some(Will {
                topic: w.topic,
                payload: convert::payload(&w.payload, "options.will.payload")?,
                qos: convert::qos(w.qos)?,
                retain: w.retain.unwrap_or(false),
                properties,
            })
        }
    };
    let password = password(&o.password)?;
    if !v5 && password.is_some() && o.username.is_none() {
        return Err(invalid("options.password: MQTT 3.x needs a username with a password"));
    }
    let credentials_provider = function(o.credentials_provider, "options.credentialsProvider: must be a function")?;
    let redirect = function(o.redirect, "options.redirect: must be a function")?;
    let config = Config {
        protocol,
        client_id,
        keep_alive: o.keepalive.unwrap_or(60),
        clean_start: clean,
        username: o.username,
        password,
        will,
        properties,
        connect_timeout: Duration::from_millis(u64::from(o.connect_timeout.unwrap_or(30_000))),
        resubscribe: o.resubscribe.unwrap_or(true),
        queue_while_offline: o.queue_while_offline.unwrap_or(true),
        max_queued: o.max_queued_messages.unwrap_or(1000) as usize,
        max_incoming_packet_size: o.max_incoming_packet_size.unwrap_or(1024 * 1024),
        auto_topic_alias: o.auto_topic_alias.unwrap_or(false),
    };
    let durable = match o.store.as_deref() {
        None | Some("memory") => false,
        Some("indexeddb") => true,
        Some(_) => return Err(invalid("options.store: must be \"memory\" or \"indexeddb\"")),
    };
    if durable && config.client_id.is_empty() {
        return Err(invalid("options.store: a durable session needs a fixed clientId"));
    }
    let mut urls = vec![o.url];
    urls.extend(o.servers);
    let settings = Settings {
        urls,
        backoff: Backoff {
            base: Duration::from_millis(u64::from(o.reconnect_period.unwrap_or(1000))),
            max: Duration::from_millis(u64::from(o.max_reconnect_period.unwrap_or(30_000))),
        },
        max_reconnect_attempts: o.max_reconnect_attempts.unwrap_or(0),
        credentials_provider: credentials_provider.is_some(),
        durable,
        redirect: if redirect.is_some() { Redirect::Ask } else { Redirect::KnownHosts },
        seed: (js_sys::Math::random() * 2f64.powi(53)) as u64,
    };
    Ok(ClientOptions { config, settings, credentials_provider, redirect })
}

/// An optional function option.
fn function(value: JsValue, message: &str) -> Result<Option<Function>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value.dyn_into::<Function>().map(Some).map_err(|_| invalid(message))
}

/// The value `credentialsProvider` resolved with.
pub(crate) fn credentials(value: JsValue) -> Result<Credentials, JsValue> {
    #[derive(Deserialize)]
    struct CredentialsIn {
        url: Option<String>,
        username: Option<String>,
        #[serde(default, with = "serde_wasm_bindgen::preserve")]
        password: JsValue,
    }
    let c: CredentialsIn = from_js(value, "credentials")?;
    if let Some(url) = &c.url {
        check_url(url)?;
    }
    Ok(Credentials { url: c.url, username: c.username, password: password(&c.password)? })
}
