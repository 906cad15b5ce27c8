// SharedMqttClient: the MqttClient API over one connection shared by every
// tab of the origin (a SharedWorker, shared-worker.js, owns the WebSocket
// and the session). Falls back to a client of its own where SharedWorker
// is missing.
import { MqttClient, MqttError, Payload, topicMatches } from "./mqtt_wasm.js";
import { addPatterns } from "./patterns.js";
import { reportUncaught } from "./SNIPPET";

const toError = (e) => new MqttError(e.code, e.message, e.reasonCode, e.closeCode);

// A handler's exception is reported as uncaught, and the other handlers run
// (as MqttClient does).
function call(handler, args) {
  try {
    handler(...args);
  } catch (e) {
    reportUncaught(e);
  }
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
  /** The worker's client as last reported (`connected`, counts, ...). */
  #state = null;
  #freed = false;
  /** Why calls fail after the worker failed and no client of its own could be made. */
  #broken = null;

  constructor(options) {
    this.#options = options;
    if (typeof SharedWorker === "undefined") {
      this.#local = new MqttClient(options);
      return;
    }
    const worker = new SharedWorker(new URL("./shared-worker.js", import.meta.url), { type: "module", name: "mqtt-wasm" });
    // A worker that cannot start (its script not found, blocked, or failing)
    // would leave every call pending: they fail instead, and the tab goes
    // on with a connection of its own.
    worker.onerror = (e) => this.#workerFailed(e);
    this.#port = worker.port;
    this.#port.onmessage = ({ data }) => this.#receive(data);
    this.#port.start();
    // The worker drops this tab's subscriptions when the tab goes away.
    addEventListener("pagehide", () => this.#port?.postMessage({ id: 0, op: "bye" }));
  }

  #workerFailed(e) {
    if (this.#local || this.#freed) return;
    const error = new MqttError(
      "ConnectionFailed",
      `SharedMqttClient: the shared worker failed to start (${e?.message || "no detail given"}); this tab now has a connection of its own: call connect() again`,
    );
    this.#port = null;
    this.#connected = false;
    this.#subscriptionHandlers = [];
    try {
      this.#local = new MqttClient(this.#options);
      for (const [event, handlers] of this.#handlers) for (const h of handlers) this.#local.on(event, h);
    } catch (optionsError) {
      // Options the worker would have refused: every later call says so.
      this.#broken = optionsError;
    }
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }

  #receive({ id, result, error, event, arg, state, filters }) {
    if (state) this.#state = state;
    if (event !== undefined) {
      if (event === "connect") this.#connected = true;
      if (event === "offline" || event === "close" || event === "end") this.#connected = false;
      if (event === "message") {
        // The worker's Payload arrives as a plain Uint8Array: the same bytes, read as text again.
        const bytes = arg[1];
        arg[1] = new Payload(bytes.buffer, bytes.byteOffset, bytes.length);
        // Each handler once per message, as MqttClient calls it: for the
        // copy that came through its first matching filter (on MQTT 5 the
        // worker's client routes each copy through one filter).
        const first = new Map();
        for (const [filter, handler] of this.#subscriptionHandlers) {
          if (!first.has(handler) && topicMatches(filter, arg[0])) first.set(handler, filter);
        }
        for (const [handler, filter] of first) if (filters.includes(filter)) call(handler, arg);
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
    if (this.#freed) return Promise.reject(new MqttError("Closed", `${op}(): this client was freed (free() or Symbol.dispose); create a new SharedMqttClient`));
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      const id = this.#next++;
      this.#pending.set(id, { resolve, reject });
      this.#port.postMessage({ id, op, args });
    });
  }

  async connect() {
    if (this.#local) return this.#local.connect();
    return this.#join("connect");
  }

  /** Connects now (after `disconnect()`, or cutting a back-off short). */
  async reconnect() {
    if (this.#local) return this.#local.reconnect();
    return this.#join("reconnect");
  }

  async #join(op) {
    const { connack, clientId } = await this.#call(op, { options: this.#options });
    this.#connected = true;
    this.#clientId = clientId;
    return connack;
  }

  /** Sends AUTH on the shared connection (MQTT 5.0). */
  auth(opts) {
    return this.#local ? this.#local.auth(opts) : this.#call("auth", { opts });
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

  /** MQTT.js's name for `disconnect()`; like MqttClient's, it takes no callback. */
  end(force, opts) {
    if (typeof force === "function" || typeof opts === "function" || arguments.length > 2) {
      return Promise.reject(new MqttError("InvalidArgument", "end(): mqtt-wasm takes no callbacks: its methods return promises (await them, or use .then)"));
    }
    return this.disconnect(typeof force === "object" ? force : opts);
  }

  /** Leaves for good: this tab's subscriptions go, later calls reject with `Closed`. */
  free() {
    if (this.#freed) return;
    if (this.#local) {
      this.#local.free();
    } else if (this.#port) {
      this.#port.postMessage({ id: 0, op: "bye" });
      this.#port.close();
    }
    this.#freed = true;
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
    if (this.#freed) return false;
    return this.#local ? this.#local.connected : this.#connected;
  }

  get clientId() {
    return this.#local ? this.#local.clientId : this.#clientId;
  }

  get protocolVersion() {
    return this.#local ? this.#local.protocolVersion : this.#state?.protocolVersion ?? (this.#options?.protocolVersion ?? 4);
  }

  /** The last CONNACK's properties (of the shared connection). */
  get serverProperties() {
    return this.#local ? this.#local.serverProperties : this.#state?.serverProperties ?? {};
  }

  /** Of the shared connection, as of the worker's last message to this tab. */
  get inflightCount() {
    return this.#local ? this.#local.inflightCount : this.#state?.inflightCount ?? 0;
  }

  get queuedCount() {
    return this.#local ? this.#local.queuedCount : this.#state?.queuedCount ?? 0;
  }

  /** Whether this tab shares the connection through a SharedWorker. */
  get shared() {
    return this.#local === null;
  }
}

if (Symbol.dispose) SharedMqttClient.prototype[Symbol.dispose] = SharedMqttClient.prototype.free;

addPatterns(SharedMqttClient);
