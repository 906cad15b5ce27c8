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

export function makeError(code, message, reasonCode, closeCode) {
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
// reorder data): `onOpen()`, `onFrames(...)` for its frames, `onClose(code)`
// (1006 where it failed or broke). Throws what the constructor throws (a
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
// (performance.now()). A text frame (`undefined`) and the close pass what
// came before them first, so order holds. Nothing is passed once
// `dropSocket` detached the handlers.
export function openSocket(url, protocol, onOpen, onFrames, onClose) {
  const ws = new WebSocket(url, protocol);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => onOpen();
  let parts = null;
  let length = 0;
  const pass = () => {
    const list = parts;
    parts = null;
    if (list === null || ws.onmessage !== onmessage) return;
    const outer = reading;
    reading = { list, index: 0, start: 0 };
    try {
      onFrames(list, length, performance.now());
    } finally {
      reading = outer;
    }
  };
  const onmessage = (e) => {
    const data = e.data;
    if (!(data instanceof ArrayBuffer)) {
      pass();
      onFrames(undefined, 0, performance.now());
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
    onClose(e.code);
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

export function newOperation(table, id) {
  return new Promise((resolve, reject) => table.set(id, [resolve, reject]));
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
export function propertyRow(id, kind, name) {
  propertyNames[id] = name;
  propertyKinds[id] = kind;
}

// MQTT strings keep a leading U+FEFF [MQTT-1.5.4-3]: a default
// TextDecoder would strip it.
const mqttStrings = new TextDecoder("utf-8", { ignoreBOM: true });
const OWN = { enumerable: true, writable: true, configurable: true, value: undefined };

// Properties from their wire form (`Properties::write_values`: identifier,
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
export function subAck(packetId, filters, codes, wire) {
  const topics = filters.split("\0");
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
// wake the page. The worker is the package's timer-worker.js (four folders
// up from this snippet; a Content Security Policy allows it with
// `worker-src 'self'`), or, where that file is not served (a bundler that
// did not copy it), the same code from a blob: URL. Every timer is also
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
  start(new URL("../../../../timer-worker.js", import.meta.url), () =>
    start(URL.createObjectURL(new Blob([TIMER_WORKER], { type: "text/javascript" }))),
  );
  return worker;
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
