//! The functions of `host.js`, the JavaScript half of the bindings, in one
//! block: what JS does better or only JS can do (the error class that
//! extends `Error`, the Worker timer, IndexedDB, reporting an exception as
//! uncaught), and the objects the client hands to the application, built
//! with literal keys instead of a key string copied out of wasm memory for
//! each field.

use alloc::boxed::Box;
use js_sys::{Array, Function, Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/wasm/host.js")]
extern "C" {
    /// A new `MqttError`, its message `message` followed by what is not
    /// empty of `reason` (the reason code's name), the close code and
    /// `url` (the connection's).
    #[wasm_bindgen(js_name = makeError)]
    pub(crate) fn make_error(
        code: &str,
        message: &str,
        reason_code: Option<u8>,
        close_code: Option<u16>,
        reason: &str,
        url: &str,
    ) -> JsValue;

    /// Reports an exception as uncaught, as `reportError` does.
    #[wasm_bindgen(js_name = reportUncaught)]
    pub(crate) fn report_uncaught(error: &JsValue);

    /// `path: expected {what}, got {value}` as an `InvalidArgument`
    /// `MqttError`; a value not `shown` (a secret) only by its type.
    #[wasm_bindgen(js_name = expected)]
    pub(crate) fn expected(path: &str, what: &str, value: &JsValue, shown: bool) -> JsValue;

    /// Throws the `InvalidTopic` error of a topic at `path` that is not a
    /// well-formed string (no lone surrogate); returns for one that is.
    #[wasm_bindgen(catch, js_name = checkTopic)]
    pub(crate) fn check_topic(value: &JsValue, path: &str) -> Result<(), JsValue>;

    /// The readers of the application's arguments: each checks them (and
    /// throws an `MqttError` naming the field) and returns their values
    /// in the order its doc comment in host.js gives.
    #[wasm_bindgen(catch, js_name = readOptions)]
    pub(crate) fn read_options(options: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(catch, js_name = readCredentials)]
    pub(crate) fn read_credentials(value: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(catch, js_name = readPublishOptions)]
    pub(crate) fn read_publish_options(opts: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(catch, js_name = readSubscribe)]
    pub(crate) fn read_subscribe(filter: &JsValue, opts: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(catch, js_name = readUnsubscribe)]
    pub(crate) fn read_unsubscribe(filter: &JsValue, opts: &JsValue) -> Result<Array, JsValue>;
    /// `disconnect`'s options at `path` (and `auth`'s, where the reason
    /// code is `required`).
    #[wasm_bindgen(catch, js_name = readReasonAndProperties)]
    pub(crate) fn read_reason_and_properties(opts: &JsValue, path: &str, required: bool) -> Result<Array, JsValue>;

    /// The Worker-backed timer; returns its id.
    #[wasm_bindgen(js_name = setHostTimeout)]
    pub(crate) fn set_timeout(handler: &Function, ms: f64) -> f64;
    #[wasm_bindgen(js_name = clearHostTimeout)]
    pub(crate) fn clear_timeout(id: f64);

    /// The stored state under `key` (a `Uint8Array`, or undefined).
    #[wasm_bindgen(js_name = loadState)]
    pub(crate) fn load_state(key: &str) -> Promise;
    #[wasm_bindgen(js_name = saveState)]
    pub(crate) fn save_state(key: &str, bytes: Uint8Array) -> Promise;

    /// A new `WebSocket` (binary frames as `ArrayBuffer`s) with its
    /// handlers set, all reporting to `on_socket(kind, frames, n, at)`:
    /// 0 opened; 1 a burst of binary frames (an array of `Uint8Array`s,
    /// their total length, `performance.now()`); 2 a text frame; 3 closed,
    /// `n` the close code, after the frames. Throws for a URL the browser
    /// refuses.
    #[wasm_bindgen(catch, js_name = openSocket)]
    pub(crate) fn open_socket(url: &str, protocol: &str, on_socket: &Function) -> Result<web_sys::WebSocket, JsValue>;

    /// Detaches the socket's handlers and closes it.
    #[wasm_bindgen(js_name = dropSocket)]
    pub(crate) fn drop_socket(ws: &web_sys::WebSocket);

    /// Copies `frames` one after another into `into` (passed as a view of
    /// wasm memory), as far as it reaches; returns the bytes copied.
    #[wasm_bindgen(js_name = copyFrames)]
    pub(crate) fn copy_frames(frames: &Array, into: &mut [u8]) -> usize;

    /// `publish`'s options when they are plain (`{ qos?, retain? }` or
    /// none): `qos | retain << 2`; -1 for anything else.
    #[wasm_bindgen(js_name = plainPublishOptions)]
    pub(crate) fn plain_publish_options(opts: &JsValue) -> i32;

    /// Calls `callback(true, value)` when `promise` fulfils, `callback(false)`
    /// when it rejects; `callback` is a `Closure::once_into_js`.
    #[wasm_bindgen(js_name = whenSettled)]
    fn when_settled(promise: &Promise, callback: &JsValue);

    /// A new table of a client's pending operations (a `Map`).
    #[wasm_bindgen(js_name = operationTable)]
    pub(crate) fn operation_table() -> JsValue;
    /// The promise of operation `id`, kept in `table` until settled, with
    /// what its result is built from (a subscribe's filters, else
    /// `undefined`).
    #[wasm_bindgen(js_name = newOperation)]
    pub(crate) fn new_operation(table: &JsValue, id: f64, context: &JsValue) -> Promise;
    /// Resolves (`ok`) or rejects operation `id`'s promise with `value`.
    #[wasm_bindgen(js_name = settleOperation)]
    pub(crate) fn settle_operation(table: &JsValue, id: f64, ok: bool, value: &JsValue);

    /// Row `id` of the codec's property table: its `kind` (`Kind as u8`),
    /// JavaScript name and whether a client may send it.
    #[wasm_bindgen(js_name = propertyRow)]
    pub(crate) fn property_row(id: u8, kind: u8, name: &str, sent_by_clients: bool);
    /// The properties whose identifiers and values `wire` holds (a
    /// property block without its length, as the codec writes it), as a
    /// plain object under the table's names.
    #[wasm_bindgen(js_name = propertiesOf)]
    pub(crate) fn properties_of(wire: &[u8]) -> Object;

    /// `{ sessionPresent, reasonCode, properties }` (`properties` in the
    /// wire form `propertiesOf` reads).
    #[wasm_bindgen(js_name = connAck)]
    pub(crate) fn conn_ack(session_present: bool, reason_code: u8, properties: &[u8]) -> JsValue;
    /// `{ reasonCode, properties }`, for the `disconnect` and `auth` events.
    #[wasm_bindgen(js_name = reasonAndProperties)]
    pub(crate) fn reason_and_properties(reason_code: u8, properties: &[u8]) -> JsValue;
    /// A SUBACK for operation `id` of `table`: `{ packetId, granted:
    /// [{ topic, qos, reasonCode }], properties }`, each topic from the
    /// filters the operation was made with.
    #[wasm_bindgen(js_name = subAck)]
    pub(crate) fn sub_ack(table: &JsValue, id: f64, packet_id: u16, reason_codes: &[u8], properties: &[u8]) -> JsValue;
    /// An UNSUBACK: `{ packetId, reasonCodes, properties }`.
    #[wasm_bindgen(js_name = unsubAck)]
    pub(crate) fn unsub_ack(packet_id: u16, reason_codes: &[u8], properties: &[u8]) -> JsValue;
    /// The `reconnect` event's `{ attempt, delayMs, url }`.
    #[wasm_bindgen(js_name = reconnectInfo)]
    pub(crate) fn reconnect_info(attempt: u32, delay_ms: f64, url: &str) -> JsValue;
    /// The `packetsend` / `packetreceive` events' `{ type, packetId?, topic?, qos? }`.
    #[wasm_bindgen(js_name = packetSummary)]
    pub(crate) fn packet_summary(kind: &str, packet_id: Option<u16>, topic: Option<&str>, qos: Option<u8>) -> JsValue;

    /// A new table of a client's event handlers (a `Map` of event names to
    /// lists of handlers).
    #[wasm_bindgen(js_name = eventTable)]
    pub(crate) fn event_table() -> JsValue;
    /// Adds `handler` to `event`'s (`add`), or removes it; returns whether
    /// a `packetsend` or `packetreceive` handler is left.
    #[wasm_bindgen(js_name = listen)]
    pub(crate) fn listen(table: &JsValue, event: &JsValue, handler: &JsValue, add: bool) -> bool;
    /// Calls `event`'s handlers with `arg` (none where it is `undefined`),
    /// reporting what each throws as uncaught.
    #[wasm_bindgen(js_name = emit)]
    pub(crate) fn emit_event(table: &JsValue, event: &str, arg: &JsValue);

    /// A received message, in one crossing: builds the `message`
    /// arguments (`topic`, a `Payload` of `bytes`, a view of the frame it
    /// came in where `at` is its offset in the frames being read, the packet
    /// `{ qos, retain, dup, packetId?, properties? }`) and calls each of
    /// the `message` handlers of `events` and of `routed` (the subscription
    /// handlers the client named), reporting what they throw.
    #[wasm_bindgen(js_name = deliverMessage)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn deliver_message(
        topic: &JsValue,
        bytes: &[u8],
        at: Option<u32>,
        qos: u8,
        retain: bool,
        dup: bool,
        packet_id: Option<u16>,
        properties: Option<Object>,
        events: &JsValue,
        routed: Option<Array>,
    );

    /// The promise of a publish complete on return (QoS 0, written at
    /// once): resolved with `{}`, as `settlePublished` resolves one later.
    #[wasm_bindgen(js_name = written)]
    pub(crate) fn written() -> Promise;

    /// Resolves publish `id` with `{ packetId?, reasonCode?, properties? }`.
    #[wasm_bindgen(js_name = settlePublished)]
    pub(crate) fn settle_published(
        table: &JsValue,
        id: f64,
        packet_id: Option<u16>,
        reason_code: Option<u8>,
        properties: Option<Object>,
    );
}

#[wasm_bindgen]
extern "C" {
    /// The global `queueMicrotask` (pages, workers and Node have it): runs
    /// `callback`, a `Closure::once_into_js`, after the current JS call.
    #[wasm_bindgen(js_name = queueMicrotask)]
    pub(crate) fn queue_microtask(callback: &JsValue);
}

/// Runs `done` once `promise` settles: with its value, or `Err(())` where it
/// rejects (the reason is not passed on: a credentials provider's may hold
/// secrets). The closure frees itself when called. `done` is boxed so that
/// the three callers share one closure type (and its glue).
pub(crate) fn on_settled(promise: &Promise, done: impl FnOnce(Result<JsValue, ()>) + 'static) {
    settled_box(promise, Box::new(done));
}

fn settled_box(promise: &Promise, done: Box<dyn FnOnce(Result<JsValue, ()>)>) {
    let callback = Closure::once_into_js(move |ok: bool, value: JsValue| done(if ok { Ok(value) } else { Err(()) }));
    when_settled(promise, &callback);
}
