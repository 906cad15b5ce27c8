//! `MqttClient`, the class JavaScript sees: each method parses its
//! arguments, hands a command to the core's [`Client`] and returns the
//! promise its completion settles; the driver (`driver.rs`) does the rest.

use alloc::rc::Rc;
use alloc::{borrow::ToOwned, string::String, vec::Vec};

use js_sys::{Function, Object, Promise};
use wasm_bindgen::prelude::*;

use super::convert::{self, Values};
use super::driver::{pump, schedule_pump, Driver, Inner};
use super::error::{error, invalid};
use super::host::{
    listen, new_operation, plain_publish_options, read_publish_options, read_reason_and_properties, read_subscribe,
    read_unsubscribe, written,
};
use super::options::{self, ClientOptions};
use super::timer::now;
use crate::codec::{Auth, Disconnect, Publish, QoS, Subscription};
use crate::session::{Accepted, Client, Instant, OpId, SessionError};

#[wasm_bindgen(typescript_custom_section)]
const TS_CLASS: &str = r#"
/** An MQTT 3.1 / 3.1.1 / 5.0 client over a browser WebSocket. */
export class MqttClient {
  /** Validates `options` (throws `MqttError` "InvalidArgument"); never touches the network. */
  constructor(options: ClientOptions);
  /**
   * Connects; resolves with the CONNACK. With `reconnectPeriod` > 0 a transient
   * failure of the first attempt is retried with the reconnect back-off; a
   * refusal retrying cannot fix rejects at once.
   */
  connect(): Promise<ConnAck>;
  /** Connects now: after `disconnect()`, after giving up, or cutting a pending back-off short. */
  reconnect(): Promise<ConnAck>;
  /** Resolves when written (QoS 0) or acknowledged (PUBACK for QoS 1, PUBCOMP for QoS 2). */
  publish(topic: string, payload: string | Uint8Array | ArrayBuffer, opts?: PublishOptions): Promise<PublishResult>;
  /**
   * Resolves with the SUBACK; a refused filter is in `granted` with a reason
   * code of 0x80 or more. `handler`, if given, is called for the messages
   * matching these filters, once per message: on MQTT 5 the client gives
   * each filter a Subscription Identifier of its own and calls the handler
   * for one copy, where the server sends one per matching subscription (the
   * `message` event fires for every copy).
   */
  subscribe(filter: string | string[] | SubscriptionRequest[], opts?: SubscribeOptions, handler?: MqttEvents["message"]): Promise<SubAck>;
  unsubscribe(filter: string | string[], opts?: { properties?: Properties }): Promise<UnsubAck>;
  /** DISCONNECT, then the socket closes: no reconnect follows, the will is not published, `end` fires. */
  disconnect(opts?: { reasonCode?: number; properties?: Properties }): Promise<void>;
  /** MQTT.js's name for `disconnect()`. */
  end(opts?: { reasonCode?: number; properties?: Properties }): Promise<void>;
  /** `force` changes nothing: DISCONNECT goes out at once either way. */
  end(force: boolean, opts?: { reasonCode?: number; properties?: Properties }): Promise<void>;
  /** Sends AUTH (MQTT 5.0 enhanced authentication and re-authentication). */
  auth(opts: { reasonCode: number; properties?: Properties }): Promise<void>;
  on<E extends keyof MqttEvents>(event: E, handler: MqttEvents[E]): this;
  off<E extends keyof MqttEvents>(event: E, handler: MqttEvents[E]): this;
  /**
   * Ends the client: DISCONNECT if connected, every pending promise settles
   * (rejections with "Closed"), `end` fires. `Symbol.dispose` does the same
   * at run time; it is not declared, so that ES2022 projects compile.
   */
  free(): void;
  readonly connected: boolean;
  /** The configured client id, or the one a v5 server assigned. */
  readonly clientId: string;
  readonly protocolVersion: 3 | 4 | 5;
  /** The last CONNACK's properties. */
  readonly serverProperties: Properties;
  /** QoS 1 and 2 publishes sent and not yet fully acknowledged. */
  readonly inflightCount: number;
  /** Publishes waiting to be sent. */
  readonly queuedCount: number;
}

/**
 * The MqttClient API over one connection shared by every tab of the origin
 * (a SharedWorker owns the WebSocket and the session); each tab receives
 * the messages of its own subscriptions. Falls back to a client of its own
 * where SharedWorker is missing. The first tab's options make the
 * connection; option errors reject `connect()`.
 */
export class SharedMqttClient {
  constructor(options: ClientOptions);
  /** Joins the shared connection (making it for the first tab); this tab's `connect` fires before it resolves. */
  connect(): Promise<ConnAck>;
  reconnect(): Promise<ConnAck>;
  publish(topic: string, payload: string | Uint8Array | ArrayBuffer, opts?: PublishOptions): Promise<PublishResult>;
  /**
   * A filter two tabs share is subscribed at the highest QoS either asked
   * for; each tab's `granted` entry, and its messages, are at its own QoS.
   */
  subscribe(filter: string | string[] | SubscriptionRequest[], opts?: SubscribeOptions, handler?: MqttEvents["message"]): Promise<SubAck>;
  unsubscribe(filter: string | string[], opts?: { properties?: Properties }): Promise<UnsubAck>;
  /** Leaves the shared connection; the last tab to leave closes it. */
  disconnect(opts?: { reasonCode?: number; properties?: Properties }): Promise<void>;
  end(opts?: { reasonCode?: number; properties?: Properties }): Promise<void>;
  end(force: boolean, opts?: { reasonCode?: number; properties?: Properties }): Promise<void>;
  auth(opts: { reasonCode: number; properties?: Properties }): Promise<void>;
  on<E extends keyof MqttEvents>(event: E, handler: MqttEvents[E]): this;
  off<E extends keyof MqttEvents>(event: E, handler: MqttEvents[E]): this;
  /** Leaves for good; later calls reject with `Closed`. */
  free(): void;
  readonly connected: boolean;
  readonly clientId: string;
  readonly protocolVersion: 3 | 4 | 5;
  readonly serverProperties: Properties;
  /** Of the shared connection, as of the worker's last message to this tab. */
  readonly inflightCount: number;
  readonly queuedCount: number;
  /** Whether this tab shares the connection through a SharedWorker. */
  readonly shared: boolean;
}

/**
 * Request/response and async iteration, on both classes (written over
 * their public API, in patterns.js).
 */
export interface MessagePatterns {
  /**
   * MQTT 5.0: publishes a request with a Response Topic of this client's own
   * (under the server's Response Information where it gives one) and a fresh
   * Correlation Data; resolves with the response. Rejects with "Timeout"
   * after `opts.timeout`, "Closed" when the client ends first, and
   * "Unsupported" on MQTT 3.1 / 3.1.1.
   */
  request(topic: string, payload: string | Uint8Array | ArrayBuffer, opts?: RequestOptions): Promise<Message>;
  /**
   * MQTT 5.0: calls `handler` for each message on `filter` and publishes
   * what it returns (or resolves with) on the message's Response Topic, with
   * its Correlation Data, where it has one. Resolves with the SUBACK;
   * `unsubscribe(filter)` stops it.
   */
  respond(
    filter: string | string[] | SubscriptionRequest[],
    handler: (topic: string, payload: Payload, packet: MessagePacket) => string | Uint8Array | ArrayBuffer | void | Promise<string | Uint8Array | ArrayBuffer | void>,
    opts?: SubscribeOptions,
  ): Promise<SubAck>;
  /** Subscribes and yields the messages of `filter`; the loop's end unsubscribes. */
  messages(filter: string | string[] | SubscriptionRequest[], opts?: MessagesOptions): MessageStream;
}
export interface MqttClient extends MessagePatterns {}
export interface SharedMqttClient extends MessagePatterns {}
"#;

/// An MQTT client over a browser WebSocket. Its TypeScript declaration is
/// `TS_CLASS` above: written out, so that optional arguments, per-event
/// handler types and literal unions read as an application expects.
#[wasm_bindgen(skip_typescript)]
pub struct MqttClient {
    inner: Rc<Inner>,
}

impl Drop for MqttClient {
    /// `free()` and `Symbol.dispose`: the client ends, DISCONNECT is sent if
    /// connected, every pending promise settles and `end` fires.
    fn drop(&mut self) {
        self.inner.with(|d| d.client.free(now()));
        pump(&self.inner);
        self.inner.with(Driver::release);
    }
}

impl core::fmt::Debug for MqttClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MqttClient").finish_non_exhaustive()
    }
}

#[wasm_bindgen]
impl MqttClient {
    /// Validates `options`; never touches the network.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<MqttClient, JsValue> {
        let ClientOptions { config, settings, credentials_provider, redirect } = options::parse(&options)?;
        convert::define_property_table();
        let inner = Rc::new(Inner::new(Driver::new(Client::new(config, settings)), credentials_provider, redirect));
        // A durable store is read at once.
        pump(&inner);
        Ok(MqttClient { inner })
    }

    /// Connects; resolves with the CONNACK. A transient failure of the
    /// first attempt is retried with the reconnect back-off.
    pub fn connect(&self) -> Promise {
        self.operation(&JsValue::UNDEFINED, |c, now| Ok(c.connect(now)))
    }

    /// Connects now, after `disconnect()`, after giving up, or cutting the
    /// back-off of a pending reconnect short; resolves with the CONNACK.
    pub fn reconnect(&self) -> Promise {
        self.operation(&JsValue::UNDEFINED, |c, now| Ok(c.reconnect(now)))
    }

    /// Publishes a message; resolves when it is written (QoS 0) or
    /// acknowledged (PUBACK for QoS 1, PUBCOMP for QoS 2).
    pub fn publish(&self, topic: JsValue, payload: JsValue, opts: Option<JsValue>) -> Promise {
        let request = (|| {
            let topic = self.inner.with(|d| d.publish_topic(topic))?;
            let payload = convert::payload(&payload, "payload")?;
            // The common options in one call: reading them key by key
            // converts each key from wasm memory, a third of a publish.
            let plain = plain_publish_options(opts.as_ref().unwrap_or(&JsValue::UNDEFINED));
            if let Some((retain, qos)) = plain_options(plain) {
                return Ok((Publish { retain, ..Publish::new(topic, payload) }, qos));
            }
            let mut o = Values::new(read_publish_options(opts.as_ref().unwrap_or(&JsValue::UNDEFINED))?);
            let qos = o.qos();
            Ok::<_, JsValue>((
                Publish { retain: o.flag(), properties: o.properties()?, ..Publish::new(topic, payload) },
                qos,
            ))
        })();
        match request {
            Ok((publish, qos)) => self.send_publish(publish, qos),
            Err(e) => Promise::reject(&e),
        }
    }

    /// `publish()` with a `Uint8Array` payload and plain options (none, or
    /// only `qos` and `retain`: `flags` is `qos | retain << 2`, as
    /// `plainPublishOptions` of host.js reads them): the common call, taken
    /// by the package entry without the checks of the general path, in a
    /// third of its crossings between JS and wasm (the payload comes in
    /// the call, the options were read on the JS side). The entry takes it
    /// off the class, so applications do not see it.
    #[wasm_bindgen(js_name = publishPlain)]
    pub fn publish_plain(&self, topic: JsValue, payload: Vec<u8>, flags: i32) -> Promise {
        let Some((retain, qos)) = plain_options(flags) else {
            return Promise::reject(&invalid("publish options: not plain ones"));
        };
        match self.inner.with(|d| d.publish_topic(topic)) {
            Ok(topic) => self.send_publish(Publish { retain, ..Publish::new(topic, payload) }, qos),
            Err(e) => Promise::reject(&e),
        }
    }

    /// Subscribes; resolves with the SUBACK, where refused filters carry a
    /// reason code of 0x80 or more. `handler`, if given, is called for the
    /// messages that match these filters (the `message` event still fires
    /// for every message), until they are unsubscribed or refused.
    pub fn subscribe(&self, filter: JsValue, opts: Option<JsValue>, handler: Option<Function>) -> Promise {
        let request = read_subscribe(&filter, opts.as_ref().unwrap_or(&JsValue::UNDEFINED)).and_then(|values| {
            // The filters stay in JavaScript too, to name them in `granted`.
            let names = values.get(0);
            let mut v = Values::new(values);
            Ok((names, v.strings(), v.bytes().unwrap_or_default(), v.properties()?))
        });
        let (names, filters, options, properties) = match request {
            Ok(r) => r,
            Err(e) => return Promise::reject(&e),
        };
        let subscriptions = filters
            .into_iter()
            .zip(options)
            .map(|(filter, byte)| Subscription { filter, options: convert::subscription_options(byte) })
            .collect();
        let handler = handler.map(|h| self.inner.with(|d| d.handler_id(&h)));
        self.operation(&names, |c, now| c.subscribe_with(now, subscriptions, properties, handler))
    }

    /// Unsubscribes; resolves with the UNSUBACK.
    pub fn unsubscribe(&self, filter: JsValue, opts: Option<JsValue>) -> Promise {
        let request = read_unsubscribe(&filter, opts.as_ref().unwrap_or(&JsValue::UNDEFINED)).and_then(|values| {
            let mut v = Values::new(values);
            Ok((v.strings(), v.properties()?))
        });
        let (filters, properties) = match request {
            Ok(r) => r,
            Err(e) => return Promise::reject(&e),
        };
        self.operation(&JsValue::UNDEFINED, |c, now| c.unsubscribe(now, filters, properties))
    }

    /// Sends DISCONNECT, closes the socket and ends the client: no reconnect
    /// follows, pending operations reject with `Closed`, `end` fires.
    pub fn disconnect(&self, opts: Option<JsValue>) -> Promise {
        const PATH: &str = "disconnect options";
        let d =
            read_reason_and_properties(opts.as_ref().unwrap_or(&JsValue::UNDEFINED), PATH, false).and_then(|values| {
                let mut v = Values::new(values);
                Ok(Disconnect { reason_code: v.reason_code(PATH)?, properties: v.properties()? })
            });
        let d = match d {
            Ok(d) => d,
            Err(e) => return Promise::reject(&e),
        };
        self.operation(&JsValue::UNDEFINED, |c, now| c.disconnect(now, &d))
    }

    /// Sends AUTH (MQTT 5.0 enhanced authentication or re-authentication).
    pub fn auth(&self, opts: JsValue) -> Promise {
        const PATH: &str = "auth options";
        let auth = read_reason_and_properties(&opts, PATH, true).and_then(|values| {
            let mut v = Values::new(values);
            Ok(Auth { reason_code: v.reason_code(PATH)?, properties: v.properties()? })
        });
        let result = match auth {
            Ok(auth) => self.inner.with(|d| d.client.auth(now(), auth)).map_err(error),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                pump(&self.inner);
                Promise::resolve(&JsValue::UNDEFINED)
            }
            Err(e) => Promise::reject(&e),
        }
    }

    /// Adds an event handler. The package entry's `MqttClient` returns the
    /// client itself from it, for chaining.
    pub fn on(&self, event: JsValue, handler: JsValue) {
        self.listen(&event, &handler, true);
    }

    /// Removes an event handler added with `on`.
    pub fn off(&self, event: JsValue, handler: JsValue) {
        self.listen(&event, &handler, false);
    }

    #[wasm_bindgen(getter)]
    pub fn connected(&self) -> bool {
        self.inner.with(|d| d.client.session().is_connected())
    }

    #[wasm_bindgen(getter, js_name = clientId)]
    pub fn client_id(&self) -> String {
        self.inner.with(|d| d.client.session().client_id().to_owned())
    }

    #[wasm_bindgen(getter, js_name = protocolVersion)]
    pub fn protocol_version(&self) -> u8 {
        self.inner.with(|d| d.client.session().protocol() as u8)
    }

    #[wasm_bindgen(getter, js_name = serverProperties)]
    pub fn server_properties(&self) -> Object {
        self.inner.with(|d| convert::properties(d.client.session().server_properties()))
    }

    #[wasm_bindgen(getter, js_name = inflightCount)]
    pub fn inflight_count(&self) -> u32 {
        self.inner.with(|d| d.client.session().inflight_count() as u32)
    }

    #[wasm_bindgen(getter, js_name = queuedCount)]
    pub fn queued_count(&self) -> u32 {
        self.inner.with(|d| d.client.session().queued_count() as u32)
    }
}

impl MqttClient {
    /// `on` (`add`) or `off`: the client reports packets while a
    /// `packetsend` or `packetreceive` handler is set.
    fn listen(&self, event: &JsValue, handler: &JsValue, add: bool) {
        self.inner.with(|d| {
            let tracing = listen(&d.events, event, handler, add);
            d.client.set_trace(tracing);
        });
    }

    /// Runs a client command that completes later, and returns the promise
    /// its completion event settles (`context`: see `pending`).
    fn operation(
        &self,
        context: &JsValue,
        command: impl FnOnce(&mut Client, Instant) -> Result<OpId, SessionError>,
    ) -> Promise {
        let result = self.inner.with(|d| {
            let at = d.turn_time();
            let result = command(&mut d.client, at);
            // An unsubscribe, or a refused subscribe, may leave a handler unused.
            d.forget_unrouted();
            result
        });
        match result {
            Ok(op) => self.pending(op, context),
            Err(e) => Promise::reject(&error(e)),
        }
    }

    /// Hands a publish to the client: a QoS 0 one written at once resolves
    /// at once, the others when acknowledged.
    fn send_publish(&self, publish: Publish, qos: QoS) -> Promise {
        let accepted = self.inner.with(|d| {
            let at = d.turn_time();
            d.client.publish(at, publish, qos)
        });
        match accepted {
            Ok(Accepted::Written) => {
                // Written to the transmit buffer; the pump sends it.
                schedule_pump(&self.inner);
                written()
            }
            Ok(Accepted::Pending(op)) => self.pending(op, &JsValue::UNDEFINED),
            Err(e) => Promise::reject(&error(e)),
        }
    }

    /// The promise of accepted operation `op`, which a pump settles: after
    /// the promise is made here. `context` is what its result is built from.
    fn pending(&self, op: OpId, context: &JsValue) -> Promise {
        let promise = self.inner.with(|d| new_operation(&d.operations, op.get() as f64, context));
        schedule_pump(&self.inner);
        promise
    }
}

/// Publish options as `plainPublishOptions` of host.js reads them
/// (`qos | retain << 2`): retain and the QoS, or `None` where they were not
/// plain (-1), which the full reader then takes.
fn plain_options(flags: i32) -> Option<(bool, QoS)> {
    let qos = QoS::from_u8((flags & 3) as u8).ok().filter(|_| flags >= 0)?;
    Some((flags & 4 != 0, qos))
}
