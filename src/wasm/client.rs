//! `MqttClient`, the class JavaScript sees: each method parses its
//! arguments, hands a command to the core's [`Client`] and returns the
//! promise its completion settles; the driver (`driver.rs`) does the rest.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise};
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use super::convert::{self, from_js, Checked, FilterIn, PropertiesIn, SubscribeOptionsIn};
use super::driver::{deferred, drop_handler, pump, schedule_pump, Driver, Inner, PendingOp};
use super::error::{error, invalid_topic};
use super::options::{self, ClientOptions};
use super::timer::now;
use crate::codec::{Auth, Disconnect, Properties, Publish, Subscription};
use crate::session::{Client, Instant, OpId, SessionError, TopicTrie};

/// An MQTT client over a browser WebSocket.
#[wasm_bindgen]
pub struct MqttClient {
    inner: Rc<Inner>,
    /// The object `new MqttClient` made, whose `free()` ends the client; the
    /// second wrappers that `on()` and `off()` return (freed at once by the
    /// package entry) do not.
    owner: bool,
}

impl Drop for MqttClient {
    /// `free()` and `Symbol.dispose`: the client ends, DISCONNECT is sent if
    /// connected, every pending promise settles and `end` fires.
    fn drop(&mut self) {
        if !self.owner {
            return;
        }
        self.inner.driver.borrow_mut().client.free(now());
        pump(&self.inner);
        self.inner.driver.borrow_mut().release();
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
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    ) -> Result<MqttClient, JsValue> {
        #[cfg(feature = "panic-hook")]
        console_error_panic_hook::set_once();
        let ClientOptions { config, settings, credentials_provider, redirect } = options::parse(options)?;
        let inner = Rc::new(Inner {
            driver: RefCell::new(Driver::new(Client::new(config, settings))),
            handlers: RefCell::default(),
            subscription_handlers: RefCell::new(TopicTrie::default()),
            credentials_provider,
            redirect,
        });
        // A durable store is read at once.
        pump(&inner);
        Ok(MqttClient { inner, owner: true })
    }

    /// Connects; resolves with the CONNACK. A transient failure of the
    /// first attempt is retried with the reconnect back-off.
    #[wasm_bindgen(unchecked_return_type = "Promise<ConnAck>")]
    pub fn connect(&self) -> Promise {
        self.operation(Vec::new(), None, |c, now| Ok(c.connect(now)))
    }

    /// Connects now, after `disconnect()`, after giving up, or cutting the
    /// back-off of a pending reconnect short; resolves with the CONNACK.
    #[wasm_bindgen(unchecked_return_type = "Promise<ConnAck>")]
    pub fn reconnect(&self) -> Promise {
        self.operation(Vec::new(), None, |c, now| Ok(c.reconnect(now)))
    }

    /// Publishes a message; resolves when it is written (QoS 0) or
    /// acknowledged (PUBACK for QoS 1, PUBCOMP for QoS 2).
    #[wasm_bindgen(unchecked_return_type = "Promise<PublishResult>")]
    pub fn publish(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] topic: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | ArrayBuffer")] payload: JsValue,
        #[wasm_bindgen(unchecked_param_type = "PublishOptions")] opts: Option<JsValue>,
    ) -> Promise {
        #[derive(Default, Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct PublishOptions {
            qos: Option<u8>,
            retain: Option<bool>,
            properties: Option<Checked<PropertiesIn>>,
        }
        let request = (|| {
            let topic = topic.as_string().ok_or_else(|| invalid_topic("topic must be a string"))?;
            let payload = convert::payload(&payload, "payload")?;
            let opts: PublishOptions = optional(opts, "publish options")?;
            let qos = convert::qos(opts.qos)?;
            let publish = Publish {
                retain: opts.retain.unwrap_or(false),
                properties: opts.properties.map(Properties::from).unwrap_or_default(),
                ..Publish::new(topic, payload)
            };
            Ok::<_, JsValue>((publish, qos))
        })();
        let (publish, qos) = match request {
            Ok(r) => r,
            Err(e) => return Promise::reject(&e),
        };
        self.operation(Vec::new(), None, |c, now| c.publish(now, publish, qos))
    }

    /// Subscribes; resolves with the SUBACK, where refused filters carry a
    /// reason code of 0x80 or more. `handler`, if given, is called for the
    /// messages that match these filters (the `message` event still fires
    /// for every message), until they are unsubscribed or refused.
    #[wasm_bindgen(unchecked_return_type = "Promise<SubAck>")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | string[] | SubscriptionRequest[]")] filter: JsValue,
        #[wasm_bindgen(unchecked_param_type = "SubscribeOptions")] opts: Option<JsValue>,
        #[wasm_bindgen(unchecked_param_type = "MqttEvents[\"message\"]")] handler: Option<Function>,
    ) -> Promise {
        let request = (|| {
            let mut defaults: SubscribeOptionsIn = optional(opts, "subscribe options")?;
            let items = if Array::is_array(&filter) { Array::from(&filter).to_vec() } else { vec![filter] };
            let mut subscriptions = Vec::with_capacity(items.len());
            for item in items {
                let f = match item.as_string() {
                    Some(topic) => {
                        FilterIn { topic, qos: None, no_local: None, retain_as_published: None, retain_handling: None }
                    }
                    None if item.is_object() => from_js(item, "subscription")?,
                    None => return Err(invalid_topic("a filter must be a string or { topic, ... }")),
                };
                subscriptions.push(Subscription { options: f.options(&defaults)?, filter: f.topic });
            }
            let properties = defaults.properties.take().map(Properties::from).unwrap_or_default();
            Ok::<_, JsValue>((subscriptions, properties))
        })();
        let (subscriptions, properties) = match request {
            Ok(r) => r,
            Err(e) => return Promise::reject(&e),
        };
        let filters: Vec<String> = subscriptions.iter().map(|s| s.filter.clone()).collect();
        if let Some(h) = &handler {
            let mut trie = self.inner.subscription_handlers.borrow_mut();
            for f in &filters {
                trie.insert(f, h.clone());
            }
        }
        self.operation(filters, handler, |c, now| c.subscribe(now, subscriptions, properties))
    }

    /// Unsubscribes; resolves with the UNSUBACK.
    #[wasm_bindgen(unchecked_return_type = "Promise<UnsubAck>")]
    pub fn unsubscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | string[]")] filter: JsValue,
        #[wasm_bindgen(unchecked_param_type = "{ properties?: Properties }")] opts: Option<JsValue>,
    ) -> Promise {
        #[derive(Default, Deserialize)]
        struct UnsubscribeOptions {
            properties: Option<Checked<PropertiesIn>>,
        }
        let request = (|| {
            let opts: UnsubscribeOptions = optional(opts, "unsubscribe options")?;
            let filters: Vec<String> = if filter.is_string() {
                from_js(Array::of1(&filter).into(), "filter")?
            } else {
                from_js(filter, "filter")?
            };
            Ok::<_, JsValue>((filters, opts.properties.map(Properties::from).unwrap_or_default()))
        })();
        let (filters, properties) = match request {
            Ok(r) => r,
            Err(e) => return Promise::reject(&e),
        };
        // The filters' handlers stop at once, whatever the server answers.
        {
            let mut trie = self.inner.subscription_handlers.borrow_mut();
            for f in &filters {
                trie.remove_where(f, |_| true);
            }
        }
        self.operation(Vec::new(), None, |c, now| c.unsubscribe(now, filters, properties))
    }

    /// Sends DISCONNECT, closes the socket and ends the client: no reconnect
    /// follows, pending operations reject with `Closed`, `end` fires.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn disconnect(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ reasonCode?: number, properties?: Properties }")] opts: Option<
            JsValue,
        >,
    ) -> Promise {
        #[derive(Default, Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct DisconnectOptions {
            reason_code: Option<u8>,
            properties: Option<Checked<PropertiesIn>>,
        }
        let d = (|| {
            let opts: DisconnectOptions = optional(opts, "disconnect options")?;
            Ok::<_, JsValue>(Disconnect {
                reason_code: convert::reason_code(opts.reason_code)?,
                properties: opts.properties.map(Properties::from).unwrap_or_default(),
            })
        })();
        let d = match d {
            Ok(d) => d,
            Err(e) => return Promise::reject(&e),
        };
        self.operation(Vec::new(), None, |c, now| c.disconnect(now, &d))
    }

    /// Sends AUTH (MQTT 5.0 enhanced authentication or re-authentication).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn auth(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ reasonCode: number, properties?: Properties }")] opts: JsValue,
    ) -> Promise {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct AuthOptions {
            reason_code: u8,
            properties: Option<Checked<PropertiesIn>>,
        }
        let auth = from_js::<AuthOptions>(opts, "auth options").and_then(|o| {
            Ok(Auth {
                reason_code: convert::reason_code(Some(o.reason_code))?,
                properties: o.properties.map(Properties::from).unwrap_or_default(),
            })
        });
        let result = match auth {
            Ok(auth) => self.inner.driver.borrow_mut().client.auth(now(), auth).map_err(error),
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

    /// Adds an event handler; returns the client for chaining. In
    /// TypeScript the signature to use is the per-event overload of
    /// `MqttEvents` merged into this class; this one accepts nothing, so that
    /// handlers are always typed from their event.
    pub fn on(
        &self,
        #[wasm_bindgen(unchecked_param_type = "never")] event: String,
        #[wasm_bindgen(unchecked_param_type = "never")] handler: Function,
    ) -> MqttClient {
        if event == "packetsend" || event == "packetreceive" {
            self.inner.driver.borrow_mut().client.set_trace(true);
        }
        Rc::make_mut(&mut self.inner.handlers.borrow_mut()).push((event, handler));
        MqttClient { inner: self.inner.clone(), owner: false }
    }

    /// Removes an event handler added with `on` (typed like `on`).
    pub fn off(
        &self,
        #[wasm_bindgen(unchecked_param_type = "never")] event: String,
        #[wasm_bindgen(unchecked_param_type = "never")] handler: Function,
    ) -> MqttClient {
        let mut handlers = self.inner.handlers.borrow_mut();
        if let Some(i) = handlers.iter().position(|(e, h)| *e == event && *h == handler) {
            Rc::make_mut(&mut handlers).remove(i);
        }
        let tracing = handlers.iter().any(|(e, _)| e == "packetsend" || e == "packetreceive");
        drop(handlers);
        self.inner.driver.borrow_mut().client.set_trace(tracing);
        MqttClient { inner: self.inner.clone(), owner: false }
    }

    #[wasm_bindgen(getter)]
    pub fn connected(&self) -> bool {
        self.inner.driver.borrow().client.session().is_connected()
    }

    #[wasm_bindgen(getter, js_name = clientId)]
    pub fn client_id(&self) -> String {
        self.inner.driver.borrow().client.session().client_id().to_owned()
    }

    #[wasm_bindgen(getter, js_name = protocolVersion)]
    pub fn protocol_version(&self) -> u8 {
        self.inner.driver.borrow().client.session().protocol() as u8
    }

    #[wasm_bindgen(getter, js_name = serverProperties, unchecked_return_type = "Properties")]
    pub fn server_properties(&self) -> Object {
        convert::properties(self.inner.driver.borrow().client.session().server_properties())
    }

    #[wasm_bindgen(getter, js_name = inflightCount)]
    pub fn inflight_count(&self) -> u32 {
        self.inner.driver.borrow().client.session().inflight_count() as u32
    }

    #[wasm_bindgen(getter, js_name = queuedCount)]
    pub fn queued_count(&self) -> u32 {
        self.inner.driver.borrow().client.session().queued_count() as u32
    }
}

impl MqttClient {
    /// Runs a client command that completes later, and returns the promise
    /// its completion event settles.
    fn operation(
        &self,
        filters: Vec<String>,
        handler: Option<Function>,
        command: impl FnOnce(&mut Client, Instant) -> Result<OpId, SessionError>,
    ) -> Promise {
        let (promise, resolvers) = deferred();
        let Some(resolvers) = resolvers else { return promise };
        let mut d = self.inner.driver.borrow_mut();
        match command(&mut d.client, now()) {
            Ok(op) => {
                d.ops.insert(op, PendingOp { resolvers, filters, handler });
                drop(d);
                schedule_pump(&self.inner);
            }
            Err(e) => {
                drop(d);
                if let Some(h) = &handler {
                    drop_handler(&self.inner, &filters, h);
                }
                resolvers.reject(&error(e));
            }
        }
        promise
    }
}

/// Deserializes optional options: absent (`undefined` or `null`) gives the defaults.
fn optional<T: Default + serde::de::DeserializeOwned>(value: Option<JsValue>, what: &str) -> Result<T, JsValue> {
    match value {
        Some(value) => from_js(value, what),
        None => Ok(T::default()),
    }
}
