// The JavaScript side of the bindings: the error class (it lives in JS so it
// truly extends Error; the package entry re-exports it) and the timers.

export class MqttError extends Error {
  constructor(code, message, reasonCode, closeCode) {
    super(message);
    this.name = "MqttError";
    this.code = code;
    if (reasonCode !== undefined) this.reasonCode = reasonCode;
    if (closeCode !== undefined) this.closeCode = closeCode;
  }
}

// From wasm: `message`, then the reason code's name, the close code and the
// connection's URL where there are any ("the server refused the connection:
// Not authorized, ws://...").
export function makeError(code, message, reasonCode, closeCode, reason, url) {
  if (reason) message += `: ${reason}`;
  if (closeCode !== undefined) message += ` (close code ${closeCode})`;
  if (url) message += `, ${url}`;
  return new MqttError(code, message, reasonCode, closeCode);
}

// Whether `s` is well-formed UTF-16: no lone surrogate, which a conversion
// to UTF-8 would silently replace with U+FFFD.
export function isWellFormed(s) {
  if (typeof s.isWellFormed === "function") return s.isWellFormed();
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

// An exception thrown by an application handler: reported as uncaught
// (the console shows it, window "error" listeners and test runners see it),
// while the client goes on. Where reportError is missing, a rethrow from a
// fresh task does the same.
export function reportUncaught(error) {
  if (typeof reportError === "function") reportError(error);
  else setTimeout(() => { throw error; });
}

// A value as an application would recognise it in an error message.
// Strings are quoted only when short and `shown`, numbers written only when
// `shown`: a secret (a password, authentication data) is named by its type.
export function describe(value, shown) {
  switch (typeof value) {
    case "string":
      return shown && [...value].length <= 32 ? `the string "${value}"` : "a string";
    case "number":
      return shown ? `the number ${value}` : "a number";
    case "boolean":
    case "undefined":
      return String(value);
    case "function":
      return "a function";
    case "object":
      if (value === null) return "null";
      if (Array.isArray(value)) return "an array";
      return value instanceof Uint8Array ? "a Uint8Array" : "an object";
  }
  return "a value of another type";
}

// A received payload. MQTT.js hands a Buffer, whose toString() is the UTF-8
// text; a plain Uint8Array's is "50,49,46,53". This one reads as text too.
const utf8 = new TextDecoder();
export class Payload extends Uint8Array {
  toString() {
    return utf8.decode(this);
  }
  text() {
    return this.toString();
  }
  json() {
    return JSON.parse(this.toString());
  }
}

// The frames `openSocket` is handing to wasm, while it does (messages
// are delivered in that call), with a cursor: the frame at `index` starts
// at offset `start` of the bytes wasm got.
let reading = null;

// A received payload as a Payload: a view of the frame it came in, where
// `at` is its offset in the frames being read and it lies within one frame
// and fills at least half of it (Mosquitto sends a packet per frame), so
// a message costs no buffer of its own; otherwise a copy of `bytes`, a
// view of wasm memory, copied before anything else runs. The half rule
// keeps a payload the application keeps from holding much more memory
// than itself alive, and a postMessage from cloning much more.
function payloadOf(bytes, at) {
  const r = reading;
  if (at !== undefined && r !== null && at >= r.start) {
    while (r.index < r.list.length && at >= r.start + r.list[r.index].length) {
      r.start += r.list[r.index].length;
      r.index++;
    }
    const frame = r.list[r.index];
    const offset = at - r.start;
    if (frame !== undefined && offset + bytes.length <= frame.length && 2 * bytes.length >= frame.length) {
      return new Payload(frame.buffer, frame.byteOffset + offset, bytes.length);
    }
  }
  // Constructing from the view copies it, twice as fast as allocating and then set().
  return new Payload(bytes);
}

// The common publish options, read here in one call: none, or only `qos`
// (0, 1, 2) and `retain` (true, false), as qos | retain << 2. -1 for
// anything else (properties, an unknown key, a wrong type, an object that
// is not plain): the client's own reader takes over and names what is wrong.
export function plainPublishOptions(opts) {
  if (opts === undefined || opts === null) return 0;
  if (typeof opts !== "object" || Object.getPrototypeOf(opts) !== Object.prototype) return -1;
  let flags = 0;
  for (const key in opts) {
    const value = opts[key];
    if (key === "qos" && (value === 0 || value === 1 || value === 2)) flags |= value;
    else if (key === "retain" && typeof value === "boolean") flags |= value ? 4 : 0;
    else if (!((key === "qos" || key === "retain") && value === undefined)) return -1;
  }
  return flags;
}

// Runs `callback` in a task queued behind the events already waiting (a
// MessageChannel message: no timer clamping, no hidden-tab throttling):
// where a burst of received frames ends, so the frames of a burst are
// passed in one call and what they produced (acknowledgements) goes out in
// one `send`.
let channel;
const afterQueued = [];
function afterQueuedEvents(callback) {
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => {
      for (const f of afterQueued.splice(0)) f();
    };
    // In Node an open port keeps the process alive; the client's own
    // sockets and timers are what should.
    channel.port1.unref?.();
  }
  afterQueued.push(callback);
  if (afterQueued.length === 1) channel.port2.postMessage(null);
}

// A socket, opened here with its handlers (binary frames as ArrayBuffers,
// set before anything else: a Blob would need an async read and could
// reorder data), which reports to one handler, `onSocket(kind, frames, n,
// at)`: kind 0 opened; 1 frames (below); 2 a text frame; 3 closed, `n` the
// close code (1006 where it failed or broke). Throws what the constructor throws (a
// URL the browser refuses). There is no error handler: browsers fire a
// plain Event with no detail, and the close that always follows says
// what there is to know.
//
// Frames are handed to wasm a burst at a time: each frame is its own
// event (Mosquitto sends one packet per frame), and one call into wasm per
// frame, with the pump it runs, was most of the client's work per QoS 0
// message. The frames that arrive before the events already queued have
// run go in one call, as a list with their total length (wasm copies them
// into its memory with `copyFrames`; a packet may span frames anyway: the
// bytes are a stream), with the time on the client's clock
// (performance.now()). A text frame and the close pass what came before
// them first, so order holds. Nothing is passed once
// `dropSocket` detached the handlers.
export function openSocket(url, protocol, onSocket) {
  const ws = new WebSocket(url, protocol);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => onSocket(0, undefined, 0, 0);
  let parts = null;
  let length = 0;
  const pass = () => {
    const list = parts;
    parts = null;
    if (list === null || ws.onmessage !== onmessage) return;
    const outer = reading;
    reading = { list, index: 0, start: 0 };
    try {
      onSocket(1, list, length, performance.now());
    } finally {
      reading = outer;
    }
  };
  const onmessage = (e) => {
    const data = e.data;
    if (!(data instanceof ArrayBuffer)) {
      pass();
      onSocket(2, undefined, 0, 0);
      return;
    }
    const frame = new Uint8Array(data);
    if (parts !== null) {
      parts.push(frame);
      length += frame.length;
    } else {
      parts = [frame];
      length = frame.length;
      afterQueuedEvents(pass);
    }
  };
  ws.onmessage = onmessage;
  ws.onclose = (e) => {
    pass();
    onSocket(3, undefined, e.code, 0);
  };
  return ws;
}

// Detaches a socket's handlers, so that nothing reaches wasm any more
// (the transport is being dropped), and closes it: closing a closed
// socket does nothing.
export function dropSocket(ws) {
  ws.onopen = ws.onmessage = ws.onclose = null;
  ws.close();
}

// Copies a burst's frames one after another into `into`, a view of wasm
// memory, as far as it reaches; returns the bytes copied.
export function copyFrames(frames, into) {
  let at = 0;
  for (const frame of frames) {
    const n = Math.min(frame.length, into.length - at);
    into.set(n === frame.length ? frame : frame.subarray(0, n), at);
    at += n;
  }
  return at;
}

// The promises of a client's operations waiting for it, by operation id.
// Kept on this side, so a pending operation holds no reference in wasm (a
// burst of publishes holds 20,000 at once) and one call makes or settles it.
export function operationTable() {
  return new Map();
}

// `context`: what the result is built from (a subscribe's filters).
export function newOperation(table, id, context) {
  return new Promise((resolve, reject) => table.set(id, [resolve, reject, context]));
}

export function settleOperation(table, id, ok, value) {
  const settle = table.get(id);
  if (settle === undefined) return;
  table.delete(id);
  settle[ok ? 0 : 1](value);
}

// A client's event handlers, by event, in the order added. A list is
// replaced, never changed, by on() and off(), so an event being delivered
// goes to the handlers it started with.
export const eventTable = () => new Map();

export function listen(table, event, handler, add) {
  const list = table.get(event) ?? [];
  const i = list.indexOf(handler);
  if (add) table.set(event, [...list, handler]);
  else if (i >= 0) table.set(event, list.filter((_, j) => j !== i));
  return table.get("packetsend")?.length > 0 || table.get("packetreceive")?.length > 0;
}

// Calls each of `handlers` (none where undefined) with `args`. An
// application handler's exception is reported, never swallowed, and stops
// neither the other handlers nor the client.
function callEach(handlers, args) {
  for (const handler of handlers ?? []) {
    try {
      handler(...args);
    } catch (e) {
      reportUncaught(e);
    }
  }
}

export function emit(table, event, arg) {
  callEach(table.get(event), arg === undefined ? [] : [arg]);
}

// A received message, in one call from wasm: its `message` arguments are
// built here and the `message` handlers of `events`, then the subscription
// handlers `routed`, are called with them.
export function deliverMessage(topic, bytes, at, qos, retain, dup, packetId, properties, events, routed) {
  const args = [topic, payloadOf(bytes, at), packetOf(qos, retain, dup, packetId, properties)];
  callEach(events.get("message"), args);
  callEach(routed, args);
}

// The codec's property table (src/codec/properties.rs), by identifier:
// each property's JavaScript name and kind, as the Rust side defines them.
const propertyNames = [];
const propertyKinds = [];
// The identifiers of those a client may send, in table order.
const clientProperties = [];
export function propertyRow(id, kind, name, sentByClients) {
  propertyNames[id] = name;
  propertyKinds[id] = kind;
  if (sentByClients) clientProperties.push(id);
}

// MQTT strings keep a leading U+FEFF [MQTT-1.5.4-3]: a default
// TextDecoder would strip it.
const mqttStrings = new TextDecoder("utf-8", { ignoreBOM: true });
const OWN = { enumerable: true, writable: true, configurable: true, value: undefined };

// Properties from their wire form (`Properties::wire`: identifier,
// value, ..., written by the codec, so well-formed), a view of wasm memory
// read before this returns, as a plain object under the table's names:
// numbers, booleans, strings, copied `Uint8Array`s, every Subscription
// Identifier in an array, and `userProperties` as `{ name: value }`, a
// repeated name with an array of its values in order. User property names
// are the server's: each is defined as an own data property (assigning
// `__proto__` would reach the prototype's setter) and looked up among own
// properties only (`constructor` is inherited otherwise).
export function propertiesOf(wire) {
  const out = {};
  const view = new DataView(wire.buffer, wire.byteOffset, wire.byteLength);
  let i = 0;
  const u16 = () => ((i += 2), view.getUint16(i - 2));
  const bytes = () => {
    const n = u16();
    return wire.subarray(i, (i += n));
  };
  const string = () => mqttStrings.decode(bytes());
  while (i < wire.length) {
    const id = wire[i++];
    const name = propertyNames[id];
    switch (propertyKinds[id]) {
      case 0: out[name] = wire[i++] === 1; break;
      case 1: out[name] = wire[i++]; break;
      case 2: out[name] = u16(); break;
      case 3: out[name] = view.getUint32(i); i += 4; break;
      case 4: {
        let n = 0;
        for (let shift = 1, b = 128; b & 128; shift *= 128) n += ((b = wire[i++]) & 127) * shift;
        (out[name] ??= []).push(n);
        break;
      }
      case 5: out[name] = string(); break;
      case 6: out[name] = bytes().slice(); break;
      case 7: {
        const users = (out[name] ??= {});
        const key = string(), value = string();
        const had = Object.hasOwn(users, key) ? users[key] : undefined;
        if (Array.isArray(had)) had.push(value);
        else Object.defineProperty(users, key, { ...OWN, value: had === undefined ? value : [had, value] });
        break;
      }
    }
  }
  return out;
}

// The objects of results and events, with literal keys (see host.rs).
export const connAck = (sessionPresent, reasonCode, wire) => ({ sessionPresent, reasonCode, properties: propertiesOf(wire) });
export const reasonAndProperties = (reasonCode, wire) => ({ reasonCode, properties: propertiesOf(wire) });
export const unsubAck = (packetId, codes, wire) => ({ packetId, reasonCodes: Array.from(codes), properties: propertiesOf(wire) });
export const reconnectInfo = (attempt, delayMs, url) => ({ attempt, delayMs, url });

// A refused filter's granted QoS is 0x80, its reason code says why.
export function subAck(table, id, packetId, codes, wire) {
  const topics = table.get(id)?.[2] ?? [];
  const granted = Array.from(codes, (reasonCode, i) => ({ topic: topics[i], qos: reasonCode < 0x80 ? reasonCode : 0x80, reasonCode }));
  return { packetId, granted, properties: propertiesOf(wire) };
}

export function packetSummary(type, packetId, topic, qos) {
  const summary = { type };
  if (packetId !== undefined) summary.packetId = packetId;
  if (topic !== undefined) summary.topic = topic;
  if (qos !== undefined) summary.qos = qos;
  return summary;
}

function packetOf(qos, retain, dup, packetId, properties) {
  const packet = { qos, retain, dup };
  if (packetId !== undefined) packet.packetId = packetId;
  if (properties !== undefined) packet.properties = properties;
  return packet;
}

// The promise of a QoS 0 publish the core wrote at once: resolved, with
// what settlePublished resolves a later one with.
export function written() {
  return Promise.resolve({});
}

// What publish() resolves with, built by the call that resolves it.
export function settlePublished(table, id, packetId, reasonCode, properties) {
  const result = {};
  if (packetId !== undefined) result.packetId = packetId;
  if (reasonCode !== undefined) result.reasonCode = reasonCode;
  if (properties !== undefined) result.properties = properties;
  settleOperation(table, id, true, result);
}

// Timers. Browsers throttle timers of hidden tabs (Chrome: to once a minute
// after five minutes hidden), which would make keepalive PINGREQs late. A
// dedicated Worker's timers are not throttled that way, and its messages
// wake the page. The worker is the package's timer-worker.js (beside the
// entry; a Content Security Policy allows it with `worker-src 'self'`), or,
// where that file is not served (a bundler that did not copy it), the same
// code from a blob: URL. Every timer is also
// armed with the page's own setTimeout, a backup for a worker that cannot
// start at all: whichever fires first runs it.
//
// Where the client itself runs in a worker (SharedMqttClient's SharedWorker,
// an application's own Worker) there is no page to throttle and no timer
// worker: the worker's own timers are used. Firefox ESR 153 showed why not
// nest one: about one SharedWorker in ten stopped running for good inside
// `new Worker()` (before it requested timer-worker.js), so its tabs'
// connect() never settled.
const pending = new Map();
let nextId = 1;
let worker;

// The worker's whole code: scripts/build.sh writes it to the package's
// timer-worker.js, so the file and the blob: fallback are one source.
// Messages: [id, ms] arms (ms < 0 cancels); the reply is the id.
export const TIMER_WORKER = "const t=new Map();onmessage=({data:[id,ms]})=>{clearTimeout(t.get(id));t.delete(id);" +
  "if(ms>=0)t.set(id,setTimeout(()=>{t.delete(id);postMessage(id)},ms))}";

function start(url, fallback) {
  try {
    worker = new Worker(url);
    worker.onmessage = (e) => fire(e.data);
    worker.onerror = () => {
      worker = null;
      fallback?.();
    };
  } catch {
    worker = null;
    fallback?.();
  }
}

function timerWorker() {
  if (worker !== undefined) return worker;
  worker = null;
  if (typeof Worker !== "function" || typeof document === "undefined") return worker;
  const blob = () => start(URL.createObjectURL(new Blob([TIMER_WORKER], { type: "text/javascript" })));
  if (timerWorkerUrl) start(timerWorkerUrl, blob);
  else blob();
  return worker;
}

// Where timer-worker.js is served: beside the package entry, which says so
// (this file may be bundled into it, or sit in wasm-bindgen's snippets).
let timerWorkerUrl;
export function setTimerWorkerUrl(url) {
  timerWorkerUrl = url;
}

function fire(id) {
  const timer = pending.get(id);
  if (timer === undefined) return;
  pending.delete(id);
  clearTimeout(timer.backup);
  timer.callback();
}

export function setHostTimeout(callback, ms) {
  const id = nextId++;
  pending.set(id, { callback, backup: setTimeout(() => fire(id), ms) });
  timerWorker()?.postMessage([id, ms]);
  return id;
}

export function clearHostTimeout(id) {
  const timer = pending.get(id);
  if (timer === undefined) return;
  pending.delete(id);
  clearTimeout(timer.backup);
  worker?.postMessage([id, -1]);
}

// The timer's worker, for tests: whether one is running.
export function timerWorkerActive() {
  return Boolean(worker);
}

// Calls `callback(true, value)` once `promise` fulfils with `value`, or
// `callback(false)` once it rejects (with a reason not passed on: a
// credentials provider's may hold secrets). What wasm awaits goes through
// here: the bindings need no executor of Rust futures for three promises.
export function whenSettled(promise, callback) {
  promise.then((value) => callback(true, value), () => callback(false));
}

// Durable session state (`store: "indexeddb"`): one record per client id in
// the "sessions" store of the "mqtt-wasm" database.
let database;
function sessions(mode) {
  database ??= new Promise((resolve, reject) => {
    const request = indexedDB.open("mqtt-wasm", 1);
    request.onupgradeneeded = () => request.result.createObjectStore("sessions");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return database.then((db) => db.transaction("sessions", mode));
}

export async function loadState(key) {
  const tx = await sessions("readonly");
  return new Promise((resolve, reject) => {
    const request = tx.objectStore("sessions").get(key);
    request.onsuccess = () => resolve(request.result instanceof Uint8Array ? request.result : undefined);
    request.onerror = () => reject(request.error);
  });
}

export async function saveState(key, bytes) {
  const tx = await sessions("readwrite");
  return new Promise((resolve, reject) => {
    tx.objectStore("sessions").put(bytes, key);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

// ----- The application's arguments ------------------------------------------
//
// Read here, field by field, and handed to wasm as the values each method
// takes, in a fixed order (an array, read by convert.rs's `Values`). What
// is wrong throws an MqttError in JavaScript words that names the field's
// path and what was expected (`options.keepalive: expected a whole number
// of seconds from 0 to 65535, got the string "30"`). In JavaScript because
// reading an object key by key from wasm crossed the boundary and copied
// the key for each field, and the messages are JavaScript strings anyway:
// the same readers were a fifth of the .wasm. What needs the protocol's
// rules (topic names, reason codes, which properties a packet may carry)
// is still checked by the codec.

const LONE_SURROGATE = "not well-formed UTF-16 (a lone surrogate), which MQTT's UTF-8 cannot carry";
const CALLBACK =
  "expected an options object, got a function: mqtt-wasm takes no callbacks, its methods return promises (await them, or use .then)";
const MAX_U32 = 4294967295;
const toUtf8 = new TextEncoder();

const invalid = (message, code = "InvalidArgument") => new MqttError(code, message);

// `path: expected ..., got ...`; a value not `shown` (a secret) is named by its type only.
export const expected = (path, what, got, shown = true) => invalid(`${path}: expected ${what}, got ${describe(got, shown)}`);

// A well-formed string at `path`, or an error of `code`: a lone surrogate
// would become U+FFFD in UTF-8 and so, silently, another topic or name.
function text(value, path, code) {
  if (typeof value !== "string") throw invalid(`${path}: expected a string, got ${describe(value, true)}`, code);
  if (!isWellFormed(value)) throw invalid(`${path}: ${LONE_SURROGATE}`, code);
  return value;
}

// A topic name or filter the bindings could not take as it is (not a
// string, or one with U+FFFD that may stand for a lone surrogate): throws
// its InvalidTopic error, or returns for a well-formed string.
export function checkTopic(value, path) {
  text(value, path, "InvalidTopic");
}

function uint(value, path, min, max, unit) {
  if (typeof value === "number" && value >= min && value <= max && Number.isInteger(value)) return value;
  throw expected(path, `a whole number${unit ? ` of ${unit}` : ""} from ${min} to ${max}`, value);
}

// An options object at `path`, read field by field (`undefined` and `null`
// count as absent). Keys not in `known` are refused, so a misspelt option
// (`keepAlive`) is an error rather than silently ignored.
function fields(value, path, known) {
  // MQTT.js takes callbacks (`subscribe(topic, (err, granted) => ...)`).
  if (typeof value === "function") throw invalid(`${path}: ${CALLBACK}`);
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw expected(path, "an object", value);
  }
  for (const key of Object.keys(value)) if (!known.includes(key)) throw invalid(`${path}.${key}: unknown field`);
  const at = (key) => `${path}.${key}`;
  const get = (key) => value[key] ?? undefined;
  const bool = (key, fallback = false) => {
    const v = get(key);
    if (v !== undefined && typeof v !== "boolean") throw expected(at(key), "true or false", v);
    return v ?? fallback;
  };
  return {
    at,
    get,
    bool,
    uint: (key, min, max, unit, fallback) => (get(key) === undefined ? fallback : uint(get(key), at(key), min, max, unit)),
    string: (key) => (get(key) === undefined ? undefined : text(get(key), at(key))),
    func: (key) => {
      const v = get(key);
      if (v !== undefined && typeof v !== "function") throw expected(at(key), "a function", v);
      return v;
    },
    qos: (key) => {
      const v = get(key);
      if (v !== undefined && v !== 0 && v !== 1 && v !== 2) throw expected(at(key), "0, 1 or 2", v);
      return v ?? 0;
    },
    // The `properties` field, in wire form.
    properties: () => propertiesWire(get("properties"), at("properties")),
  };
}

// `fields` of a value that may be absent (`undefined`, `null`): then of `{}`.
const optional = (value, path, known) => fields(value ?? {}, path, known);

// Properties given by the application (`{ contentType, userProperties, ... }`)
// in the wire form `propertiesOf` reads (identifier, value, ...), for the
// codec to take (`Properties::read_values`) and check against the packet
// they go on. Empty where there are none.
function propertiesWire(value, path) {
  const out = [];
  if (value === undefined) return new Uint8Array(out);
  const f = fields(value, path, clientProperties.map((id) => propertyNames[id]));
  const number = (n, bytes) => {
    for (let i = bytes - 1; i >= 0; i--) out.push(Math.floor(n / 256 ** i) % 256);
  };
  const string = (s, at) => {
    if (s.includes("\0")) throw invalid(`${at}: contains U+0000, which MQTT strings may not [MQTT-1.5.4-2]`);
    bytes(toUtf8.encode(s), at);
  };
  const bytes = (b, at) => {
    if (b.length > 65535) throw invalid(`${at}: longer than 65535 bytes`);
    number(b.length, 2);
    for (const byte of b) out.push(byte);
  };
  for (const id of clientProperties) {
    const name = propertyNames[id];
    const v = f.get(name);
    if (v === undefined) continue;
    const at = f.at(name);
    switch (propertyKinds[id]) {
      case 0:
        out.push(id, f.bool(name) ? 1 : 0);
        break;
      case 2:
        out.push(id);
        number(uint(v, at, 0, 65535, ""), 2);
        break;
      case 3:
        out.push(id);
        number(uint(v, at, 0, MAX_U32, ""), 4);
        break;
      case 4:
        out.push(id);
        for (let n = uint(v, at, 1, 268435455, ""); ; ) {
          const low = n % 128;
          n = Math.floor(n / 128);
          out.push(n > 0 ? low | 128 : low);
          if (n === 0) break;
        }
        break;
      case 5:
        out.push(id);
        string(text(v, at), at);
        break;
      case 6:
        // Binary data may be a secret (authentication data): never shown.
        if (!(v instanceof Uint8Array)) throw expected(at, "a Uint8Array", v, false);
        out.push(id);
        bytes(v, at);
        break;
      case 7: {
        // `{ name: value | [values] }`, in order; a repeated name is repeated pairs.
        const what = "an object of string or string[] values";
        if (typeof v !== "object" || v === null || Array.isArray(v)) throw expected(at, what, v);
        for (const [key, values] of Object.entries(v)) {
          text(key, at);
          const itemAt = `${at}.${key}`;
          for (const item of Array.isArray(values) ? values : [values]) {
            if (typeof item !== "string") throw expected(itemAt, what, item);
            out.push(id);
            string(key, at);
            string(text(item, itemAt), itemAt);
          }
        }
      }
    }
  }
  return new Uint8Array(out);
}

const wsUrl = (value, path) => {
  if (typeof value === "string" && (value.startsWith("ws://") || value.startsWith("wss://"))) return value;
  throw expected(path, "a ws:// or wss:// URL", value);
};

// A password: a string (sent as UTF-8) or a Uint8Array; never shown.
function password(f) {
  const v = f.get("password");
  if (v === undefined) return undefined;
  if (typeof v === "string") return toUtf8.encode(text(v, f.at("password")));
  if (v instanceof Uint8Array) return v;
  throw expected(f.at("password"), "a string or a Uint8Array", v, false);
}

const OPTIONS = [
  "url", "servers", "clientId", "protocolVersion", "keepalive", "clean", "sessionExpiryInterval", "username",
  "password", "will", "properties", "connectTimeout", "reconnectPeriod", "maxReconnectPeriod",
  "maxReconnectAttempts", "credentialsProvider", "resubscribe", "queueWhileOffline", "maxQueuedMessages",
  "maxIncomingPacketSize", "maxUnreleasedMessages", "autoTopicAlias", "store", "redirect",
];

// `new MqttClient(options)`: options.rs takes the values in this order.
export function readOptions(options) {
  // A function is refused by `fields`, with the word on callbacks.
  if (typeof options !== "function" && (typeof options !== "object" || options === null)) {
    throw expected("options", "an object with at least a url", options);
  }
  const o = fields(options, "options", OPTIONS);
  const urls = [wsUrl(o.get("url"), "options.url")];
  const servers = o.get("servers");
  if (servers !== undefined && !Array.isArray(servers)) throw expected("options.servers", "an array", servers);
  for (let i = 0; i < (servers?.length ?? 0); i++) urls.push(wsUrl(servers[i], `options.servers[${i}]`));
  const protocol = o.uint("protocolVersion", 3, 5, "", 4);
  const v5 = protocol === 5;
  const clean = o.bool("clean", true);
  const clientId =
    o.string("clientId") ?? `mqttwasm_${Math.floor(Math.random() * MAX_U32).toString(16).padStart(8, "0")}`;
  // MQTT 5.0 lets the server assign an identifier with any Clean Start
  // (the session then resumes under the assigned one, which the client
  // keeps); 3.1.1 refuses it without a clean session [MQTT-3.1.3-7].
  if (clientId === "" && !clean && !v5) {
    throw invalid("options.clientId: an empty client id needs clean: true on MQTT 3.x (MQTT 5.0 lets the server assign one)");
  }
  if (protocol === 3 && toUtf8.encode(clientId).length > 23) throw invalid("options.clientId: MQTT 3.1 allows at most 23 bytes");
  const properties = o.properties();
  const sessionExpiry = o.uint("sessionExpiryInterval", 0, MAX_U32, "seconds");
  if (!v5 && (properties.length > 0 || sessionExpiry !== undefined)) {
    throw invalid("options.properties / sessionExpiryInterval: need protocolVersion 5");
  }
  let will = o.get("will");
  if (will !== undefined) {
    const w = fields(will, "options.will", ["topic", "payload", "qos", "retain", "properties"]);
    const topic = w.get("topic");
    if (topic === undefined) throw expected("options.will.topic", "a topic name", topic);
    text(topic, "options.will.topic");
    const willProperties = w.properties();
    if (!v5 && willProperties.length > 0) throw invalid("options.will.properties: need protocolVersion 5");
    will = [topic, w.get("payload"), w.qos("qos"), w.bool("retain"), willProperties];
  }
  const username = o.string("username");
  const pass = password(o);
  if (!v5 && pass !== undefined && username === undefined) {
    throw invalid("options.password: MQTT 3.x needs a username with a password");
  }
  const ms = (key, fallback) => o.uint(key, 0, MAX_U32, "milliseconds", fallback);
  const values = [
    urls, protocol, clientId, o.uint("keepalive", 0, 65535, "seconds", 60), clean, username, pass, will,
    properties, sessionExpiry, ms("connectTimeout", 30000), o.bool("resubscribe", true),
    o.bool("queueWhileOffline", true), o.uint("maxQueuedMessages", 0, MAX_U32, "", 1000),
    o.uint("maxIncomingPacketSize", 0, MAX_U32, "bytes", 1048576), o.uint("maxUnreleasedMessages", 1, 65535, "", 1000),
    o.bool("autoTopicAlias"),
  ];
  const store = o.string("store") ?? "memory";
  if (store !== "memory" && store !== "indexeddb") throw invalid('options.store: expected "memory" or "indexeddb"');
  if (store === "indexeddb" && clientId === "") throw invalid("options.store: a durable session needs a fixed clientId");
  values.push(
    store === "indexeddb", ms("reconnectPeriod", 1000), ms("maxReconnectPeriod", 30000),
    o.uint("maxReconnectAttempts", 0, MAX_U32, "", 0), o.func("credentialsProvider"), o.func("redirect"),
    // The back-off's jitter: every bit of a random double.
    Math.random() * 2 ** 53,
  );
  return values;
}

// What a credentialsProvider resolved with: [url, username, password].
export function readCredentials(value) {
  const c = fields(value, "credentials", ["url", "username", "password"]);
  const url = c.get("url");
  return [url === undefined ? url : wsUrl(url, "credentials.url"), c.string("username"), password(c)];
}

// publish()'s options: [qos, retain, properties].
export function readPublishOptions(opts) {
  const o = optional(opts, "publish options", ["qos", "retain", "properties"]);
  return [o.qos("qos"), o.bool("retain"), o.properties()];
}

const SUBSCRIPTION = ["qos", "noLocal", "retainAsPublished", "retainHandling"];

// subscribe()'s filters and options: [filters, the Subscription Options
// byte of each (section 3.8.3.1), properties]. A filter given as an object
// has options of its own, which fall back to `opts` field by field.
export function readSubscribe(filter, opts) {
  const defaults = optional(opts, "subscribe options", [...SUBSCRIPTION, "properties"]);
  const filters = [];
  const options = [];
  for (const item of Array.isArray(filter) ? filter : [filter]) {
    let own;
    if (typeof item === "string") {
      filters.push(text(item, "filter", "InvalidTopic"));
    } else if (typeof item === "object" && item !== null) {
      own = fields(item, "subscription", ["topic", ...SUBSCRIPTION]);
      filters.push(text(own.get("topic"), "subscription.topic", "InvalidTopic"));
    } else {
      throw invalid("a filter must be a string or { topic, ... }", "InvalidTopic");
    }
    const pick = (key) => (own?.get(key) !== undefined ? own : defaults);
    options.push(
      pick("qos").qos("qos") | (pick("noLocal").bool("noLocal") ? 4 : 0) |
        (pick("retainAsPublished").bool("retainAsPublished") ? 8 : 0) |
        (pick("retainHandling").uint("retainHandling", 0, 2, "", 0) << 4),
    );
  }
  return [filters, new Uint8Array(options), defaults.properties()];
}

// unsubscribe()'s: [filters, properties].
export function readUnsubscribe(filter, opts) {
  const o = optional(opts, "unsubscribe options", ["properties"]);
  if (typeof filter !== "string" && !Array.isArray(filter)) throw expected("filter", "an array", filter);
  const filters = Array.from(typeof filter === "string" ? [filter] : filter, (f) => text(f, "filter", "InvalidTopic"));
  return [filters, o.properties()];
}

// disconnect()'s and auth()'s (where `reasonCode` is required): [reasonCode, properties].
export function readReasonAndProperties(opts, path, required) {
  const o = required ? fields(opts, path, ["reasonCode", "properties"]) : optional(opts, path, ["reasonCode", "properties"]);
  if (required && o.get("reasonCode") === undefined) throw expected(`${path}.reasonCode`, "a reason code", undefined);
  return [o.uint("reasonCode", 0, 255, "", 0), o.properties()];
}
