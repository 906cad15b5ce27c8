// The package entry. The bindings wasm-bindgen generates live in
// mqtt_wasm_core.js; this module re-exports them, with what only
// JavaScript can see or do around them: on() and off() returning the
// client for chaining (a Rust method cannot return its own JavaScript
// object), plain-words errors for a client used before init() or after
// free(), and for the callbacks and extra arguments MQTT.js habits bring
// (a Rust method never sees an argument past the ones it declares), end()
// as MQTT.js names disconnect(), init() reading the .wasm from disk in
// Node; and what is written in JavaScript: MqttError (a wasm-bindgen
// snippet, whose folder scripts/build.sh names here), SharedMqttClient,
// and request(), respond() and messages() on both classes (patterns.js).
import init, { initSync as initSyncCore, MqttClient as Bindings } from "./mqtt_wasm_core.js";

export { topicMatches } from "./mqtt_wasm_core.js";
import { MqttError, Payload, plainPublishOptions, setTimerWorkerUrl } from "./SNIPPET";
import { addPatterns } from "./patterns.js";

setTimerWorkerUrl(new URL("./timer-worker.js", import.meta.url));

export { MqttError, Payload };
export { SharedMqttClient } from "./shared.js";

// The init functions take a URL, a Response, the bytes, a WebAssembly.Module
// or, as wasm-bindgen's own, an object of one of these ({ module_or_path }).
let ready = false;

const wrap = (key, input) =>
  input === undefined || Object.getPrototypeOf(input) === Object.prototype ? input : { [key]: input };

// In Node: a file path or file: URL, which Node's fetch() cannot read.
const isFile = (input) =>
  input instanceof URL
    ? input.protocol === "file:"
    : typeof input === "string" && (input.startsWith("file:") || /^[a-z]:[\\/]/i.test(input) || !/^[a-z][a-z0-9+.-]*:/i.test(input));

/**
 * Loads the .wasm once. Without an argument it is fetched from beside this
 * module (bundlers copy it there), or, in Node, read from the package
 * folder; in Node a file path or file: URL is read from disk too.
 */
export default async function initialize(input) {
  // process.getBuiltinModule (Node 20.16+) needs no import a browser
  // bundler would try to resolve.
  const fs = import.meta.url.startsWith("file:") ? globalThis.process?.getBuiltinModule?.("node:fs") : undefined;
  if (fs && input === undefined) input = new URL("./mqtt_wasm_core_bg.wasm", import.meta.url);
  if (fs && isFile(input)) input = fs.readFileSync(input);
  const exports = await init(wrap("module_or_path", input));
  ready = true;
  return exports;
}

/** Instantiates the .wasm synchronously from its bytes or a WebAssembly.Module. */
export function initSync(module) {
  const exports = initSyncCore(wrap("module", module));
  ready = true;
  return exports;
}

const CALLBACK =
  "mqtt-wasm takes no callbacks: its methods return promises (await them, or use .then)";

// The methods that return a promise, and how many arguments each takes.
const ARITY = { connect: 0, reconnect: 0, publish: 3, subscribe: 3, unsubscribe: 2, disconnect: 1, auth: 1 };

const freed = new WeakSet();

// `what`: "publish()", or a property's name.
function closed(what) {
  return new MqttError("Closed", `${what}: this client was freed (free() or Symbol.dispose); create a new MqttClient`);
}

// What is wrong with a call's arguments, if anything.
function extraArguments(name, args) {
  const extra = args.slice(ARITY[name]).findIndex((a) => a !== undefined);
  if (extra < 0) return undefined;
  const arg = args[ARITY[name] + extra];
  if (typeof arg === "function") return new MqttError("InvalidArgument", `${name}(): got a function as argument ${ARITY[name] + extra + 1}; ${CALLBACK}`);
  return new MqttError(
    "InvalidArgument",
    ARITY[name] === 0
      ? `${name}() takes no arguments: options go to new MqttClient(options)`
      : `${name}() takes at most ${ARITY[name]} arguments, got ${args.length}`,
  );
}

export class MqttClient extends Bindings {
  constructor(options) {
    try {
      super(options);
    } catch (e) {
      // Before init() the bindings have no module to call into.
      if (!ready && e instanceof TypeError) {
        throw new MqttError("NotInitialized", "mqtt-wasm is not initialized: call `await init()` (the package's default export) once before new MqttClient()");
      }
      throw e;
    }
  }

  on(event, handler) {
    if (freed.has(this)) throw closed("on()");
    super.on(event, handler);
    return this;
  }

  off(event, handler) {
    if (freed.has(this)) throw closed("off()");
    super.off(event, handler);
    return this;
  }

  /** MQTT.js's name for `disconnect()`: `end()`, `end(force)`, `end(opts)` or `end(force, opts)`. */
  end(force, opts) {
    if (typeof force === "function" || typeof opts === "function" || arguments.length > 2) {
      return Promise.reject(new MqttError("InvalidArgument", `end(): ${CALLBACK}`));
    }
    // DISCONNECT goes out at once either way: `force` changes nothing here.
    return this.disconnect(typeof force === "object" ? force : opts);
  }

  /** Ends the client (see the declaration); a second call does nothing. */
  free() {
    if (freed.has(this)) return;
    freed.add(this);
    super.free();
  }

  get connected() {
    return !freed.has(this) && super.connected;
  }
}

if (Symbol.dispose) MqttClient.prototype[Symbol.dispose] = MqttClient.prototype.free;

addPatterns(MqttClient);

// The bindings' fast path of publish(), taken off the class: only the
// wrapper below calls it.
const publishPlain = Bindings.prototype.publishPlain;
delete Bindings.prototype.publishPlain;

for (const name of Object.keys(ARITY)) {
  const method = Bindings.prototype[name];
  Object.defineProperty(MqttClient.prototype, name, {
    configurable: true,
    writable: true,
    // Fixed parameters, not a rest array: publish() runs 20,000 times a burst.
    value: function (a, b, c) {
      if (freed.has(this)) return Promise.reject(closed(`${name}()`));
      // The common call (no extra argument) is checked by its length alone.
      const wrong = arguments.length > ARITY[name] && extraArguments(name, [...arguments]);
      if (wrong) return Promise.reject(wrong);
      if ((name === "connect" || name === "reconnect") && typeof WebSocket !== "function") {
        return Promise.reject(new MqttError("ConnectionFailed", `${name}(): this environment has no WebSocket; mqtt-wasm needs a global WebSocket (browsers, Deno, Bun, Node 22+, or Node 20 with --experimental-websocket)`));
      }
      // The common publish (a Uint8Array, no options or only qos and
      // retain) in one call into wasm, with the payload passed along.
      if (name === "publish" && b instanceof Uint8Array) {
        const flags = plainPublishOptions(c);
        if (flags >= 0) return publishPlain.call(this, a, b, flags);
      }
      return method.call(this, a, b, c);
    },
  });
}

for (const name of ["clientId", "protocolVersion", "serverProperties", "inflightCount", "queuedCount"]) {
  const getter = Object.getOwnPropertyDescriptor(Bindings.prototype, name).get;
  Object.defineProperty(MqttClient.prototype, name, {
    configurable: true,
    get() {
      if (freed.has(this)) throw closed(name);
      return getter.call(this);
    },
  });
}
