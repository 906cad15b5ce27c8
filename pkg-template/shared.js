// SharedMqttClient: the MqttClient API over one connection shared by every
// tab of the origin (a SharedWorker, shared-worker.js, owns the WebSocket
// and the session). Falls back to a client of its own where SharedWorker
// is missing.
import { MqttClient, MqttError, Payload } from "./mqtt_wasm.js";

const toError = (e) => new MqttError(e.code, e.message, e.reasonCode, e.closeCode);

// A handler's exception is reported as uncaught, and the other handlers run
// (as MqttClient does).
function call(handler, args) {
  try {
    handler(...args);
  } catch (e) {
    if (typeof reportError === "function") reportError(e);
    else setTimeout(() => { throw e; });
  }
}

/** MQTT topic-filter matching, for this tab's per-subscription handlers. */
function matches(filter, topic) {
  const inner = filter.startsWith("$share/") ? filter.split("/").slice(2).join("/") : filter;
  const f = inner.split("/");
  const t = topic.split("/");
  if (topic.startsWith("$") && (f[0] === "+" || f[0] === "#")) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length || (f[i] !== "+" && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

export class SharedMqttClient {
  #options;
  #local = null;
  #port = null;
  #pending = new Map();
  #next = 1;
  #handlers = new Map();
  /** [filter, handler] pairs from subscribe(filter, opts, handler). */
  #subscriptionHandlers = [];
  #connected = false;
  #clientId = "";

  constructor(options) {
    this.#options = options;
    if (typeof SharedWorker === "undefined") {
      this.#local = new MqttClient(options);
      return;
    }
    const worker = new SharedWorker(new URL("./shared-worker.js", import.meta.url), { type: "module", name: "mqtt-wasm" });
    this.#port = worker.port;
    this.#port.onmessage = ({ data }) => this.#receive(data);
    this.#port.start();
    // The worker drops this tab's subscriptions when the tab goes away.
    addEventListener("pagehide", () => this.#port.postMessage({ id: 0, op: "bye" }));
  }

  #receive({ id, result, error, event, arg }) {
    if (event !== undefined) {
      if (event === "connect") this.#connected = true;
      if (event === "offline" || event === "close" || event === "end") this.#connected = false;
      if (event === "message") {
        // The worker's Payload arrives as a plain Uint8Array: the same bytes, read as text again.
        const bytes = arg[1];
        arg[1] = new Payload(bytes.buffer, bytes.byteOffset, bytes.length);
        const called = new Set();
        for (const [filter, handler] of this.#subscriptionHandlers) {
          if (!called.has(handler) && matches(filter, arg[0])) {
            called.add(handler);
            call(handler, arg);
          }
        }
      }
      const args = event === "message" ? arg : event === "error" ? [toError(arg)] : arg === undefined ? [] : [arg];
      for (const handler of [...(this.#handlers.get(event) ?? [])]) call(handler, args);
      return;
    }
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    if (error) pending.reject(toError(error));
    else pending.resolve(result);
  }

  #call(op, args) {
    return new Promise((resolve, reject) => {
      const id = this.#next++;
      this.#pending.set(id, { resolve, reject });
      this.#port.postMessage({ id, op, args });
    });
  }

  async connect() {
    if (this.#local) return this.#local.connect();
    const { connack, clientId } = await this.#call("connect", { options: this.#options });
    this.#connected = true;
    this.#clientId = clientId;
    return connack;
  }

  publish(topic, payload, opts) {
    return this.#local ? this.#local.publish(topic, payload, opts) : this.#call("publish", { topic, payload, opts });
  }

  subscribe(filter, opts, handler) {
    if (this.#local) return this.#local.subscribe(filter, opts, handler);
    if (handler) {
      for (const f of Array.isArray(filter) ? filter : [filter]) this.#subscriptionHandlers.push([typeof f === "string" ? f : f.topic, handler]);
    }
    return this.#call("subscribe", { filter, opts });
  }

  unsubscribe(filter, opts) {
    if (this.#local) return this.#local.unsubscribe(filter, opts);
    const gone = new Set(Array.isArray(filter) ? filter : [filter]);
    this.#subscriptionHandlers = this.#subscriptionHandlers.filter(([f]) => !gone.has(f));
    return this.#call("unsubscribe", { filter, opts });
  }

  /** Leaves the shared connection; the last tab to leave closes it. */
  async disconnect(opts) {
    if (this.#local) return this.#local.disconnect(opts);
    await this.#call("bye");
    // The worker let go of this tab's subscriptions; so do its handlers.
    this.#subscriptionHandlers = [];
    this.#connected = false;
  }

  on(event, handler) {
    if (this.#local) {
      this.#local.on(event, handler);
      return this;
    }
    if (!this.#handlers.has(event)) this.#handlers.set(event, []);
    this.#handlers.get(event).push(handler);
    return this;
  }

  off(event, handler) {
    if (this.#local) {
      this.#local.off(event, handler);
      return this;
    }
    const list = this.#handlers.get(event) ?? [];
    const i = list.indexOf(handler);
    if (i >= 0) list.splice(i, 1);
    return this;
  }

  get connected() {
    return this.#local ? this.#local.connected : this.#connected;
  }

  get clientId() {
    return this.#local ? this.#local.clientId : this.#clientId;
  }

  /** Whether this tab shares the connection through a SharedWorker. */
  get shared() {
    return this.#local === null;
  }
}
