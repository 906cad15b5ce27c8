// request/response and async iteration, written over the public API so
// that MqttClient and SharedMqttClient share one copy. Messages come in
// through subscribe(filter, opts, handler): on MQTT 5 that calls a handler
// once per message even where the server sends a copy per matching
// subscription (the client routes by Subscription Identifier).

import { MqttError, reportUncaught } from "./SNIPPET";

/** Defines request(), respond() and messages() on `Client`'s prototype. */
export function addPatterns(Client) {
  const invalid = (message) => new MqttError("InvalidArgument", message);

  // Options objects are checked as the client checks its own: a misspelt
  // key is an error, not a silent default.
  function options(name, opts, allowed) {
    if (opts === undefined || opts === null) return {};
    if (typeof opts !== "object" || Array.isArray(opts)) throw invalid(`${name} options: expected an object, got ${typeof opts}`);
    const unknown = Object.keys(opts).find((k) => !allowed.includes(k));
    if (unknown) throw invalid(`${name} options.${unknown}: unknown option (expected one of ${allowed.join(", ")})`);
    return opts;
  }

  function positive(name, value, fallback) {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) throw invalid(`${name}: expected a number greater than 0, got ${String(value)}`);
    return value;
  }

  function needV5(client, name) {
    if (client.protocolVersion !== 5) {
      throw new MqttError("Unsupported", `${name}: request/response needs MQTT 5.0 (Response Topic and Correlation Data are v5 properties); create the client with protocolVersion: 5`);
    }
  }

  // Whether `client` was freed: its members then throw Closed.
  const freedNow = (client) => {
    try {
      void client.clientId;
      return false;
    } catch {
      return true;
    }
  };

  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const nonce = () => hex(crypto.getRandomValues(new Uint8Array(16)));

  /** client -> its response topic, its subscription and the requests waiting. */
  const responses = new WeakMap();
  /** client -> filter -> how many messages() loops read it. */
  const loops = new WeakMap();

  function responsesOf(client) {
    let state = responses.get(client);
    if (state) return state;
    // Under the server's Response Information where it gives one (the
    // part of the topic tree it reserves for this client), else our own.
    const base = client.serverProperties?.responseInformation?.replace(/\/+$/, "") || "mqtt-wasm/response";
    state = { topic: `${base}/${nonce()}`, subscribed: null, waiting: new Map() };
    state.route = (topic, payload, packet) => {
      const correlation = packet.properties?.correlationData;
      const key = correlation && hex(correlation);
      const request = key && state.waiting.get(key);
      // A late answer (timed out) or one not for us.
      if (!request) return;
      request.settle(null, { topic, payload, packet });
    };
    client.on("end", () => {
      // A client that connects again subscribes again.
      state.subscribed = null;
      for (const request of state.waiting.values()) {
        request.settle(new MqttError("Closed", `request(): the client ended before a response came on ${state.topic}`));
      }
    });
    responses.set(client, state);
    return state;
  }

  Object.assign(Client.prototype, {
    /**
     * Publishes a request with a Response Topic of this client's own and a
     * fresh Correlation Data; resolves with the response { topic, payload,
     * packet }, or rejects with "Timeout" after `opts.timeout` ms.
     */
    request(topic, payload, opts) {
      let o, timeout, state;
      try {
        needV5(this, "request()");
        o = options("request()", opts, ["qos", "retain", "properties", "timeout"]);
        timeout = positive("request() options.timeout", o.timeout, 30000);
        // A freed client throws here, as its methods reject.
        state = responsesOf(this);
      } catch (e) {
        return Promise.reject(e);
      }
      const correlationData = crypto.getRandomValues(new Uint8Array(16));
      const key = hex(correlationData);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          request.settle(new MqttError("Timeout", `request(): no response to ${topic} came on ${state.topic} within ${timeout} ms`));
        }, timeout);
        const request = {
          settle(error, response) {
            if (!state.waiting.delete(key)) return;
            clearTimeout(timer);
            if (error) reject(error);
            else resolve(response);
          },
        };
        state.waiting.set(key, request);
        // The response topic is subscribed once, before the first request.
        state.subscribed ??= this.subscribe(state.topic, { qos: 2 }, state.route).catch((e) => {
          state.subscribed = null;
          throw e;
        });
        const properties = { ...o.properties, responseTopic: state.topic, correlationData };
        state.subscribed
          .then(() => this.publish(topic, payload, { qos: o.qos ?? 1, retain: o.retain, properties }))
          .catch((e) => request.settle(e));
      });
    },

    /**
     * Answers the requests that come on `filter`: `handler(topic, payload,
     * packet)` is called for each message, and what it returns (or resolves
     * with) is published on the message's Response Topic with its
     * Correlation Data, where it has one. Resolves with the SUBACK;
     * `unsubscribe(filter)` stops it.
     */
    respond(filter, handler, opts) {
      try {
        needV5(this, "respond()");
        if (typeof handler !== "function") throw invalid(`respond(): expected a handler function as argument 2, got ${typeof handler}`);
      } catch (e) {
        return Promise.reject(e);
      }
      return this.subscribe(filter, opts, (topic, payload, packet) => {
        const { responseTopic, correlationData } = packet.properties ?? {};
        const properties = correlationData ? { correlationData } : undefined;
        Promise.resolve()
          .then(() => handler(topic, payload, packet))
          .then((reply) => {
            // A message that asks for no response gets none.
            if (!responseTopic) return;
            return this.publish(responseTopic, reply ?? "", { qos: packet.qos, properties }).catch((e) => {
              // A client ending meanwhile is no news; anything else is the application's to see.
              if (e?.code !== "Closed") reportUncaught(e);
            });
          }, reportUncaught);
      });
    },

    /**
     * Subscribes and returns an async iterable of { topic, payload, packet }.
     * Up to `opts.bufferSize` (1000) messages wait to be read; past that,
     * `overflow: "drop-oldest"` (the default) drops the oldest and counts it
     * in `dropped`, `overflow: "error"` ends the loop with a "QueueFull"
     * error after the buffered ones. The loop's end (break, return(), an
     * error, the client ending) unsubscribes, unless another messages()
     * loop of this client reads the same filter.
     */
    messages(filter, opts) {
      const o = options("messages()", opts, ["qos", "noLocal", "retainAsPublished", "retainHandling", "properties", "bufferSize", "overflow"]);
      const size = positive("messages() options.bufferSize", o.bufferSize, 1000);
      const overflow = o.overflow ?? "drop-oldest";
      if (overflow !== "drop-oldest" && overflow !== "error") throw invalid(`messages() options.overflow: expected "drop-oldest" or "error", got ${String(overflow)}`);
      const subscribeOptions = { ...o };
      delete subscribeOptions.bufferSize;
      delete subscribeOptions.overflow;
      const names = (Array.isArray(filter) ? filter : [filter]).map((f) => (typeof f === "object" && f !== null ? f.topic : f));
      const client = this;
      const buffer = [];
      let waiting = null;
      let failure = null;
      let ended = false;

      const onEnd = () => finish();
      try {
        client.on("end", onEnd);
      } catch (e) {
        // A freed client: said as its methods say it.
        throw e?.code === "Closed" ? new MqttError("Closed", "messages(): this client was freed (free() or Symbol.dispose); create a new client") : e;
      }
      const readers = loops.get(client) ?? new Map();
      loops.set(client, readers);
      for (const name of names) readers.set(name, (readers.get(name) ?? 0) + 1);

      function finish(error) {
        if (ended) return;
        ended = true;
        failure = error ?? null;
        // A freed client refuses off(): its handlers went with it.
        if (!freedNow(client)) client.off("end", onEnd);
        const unused = names.filter((name) => {
          const left = readers.get(name) - 1;
          if (left > 0) readers.set(name, left);
          else readers.delete(name);
          return left <= 0;
        });
        // An ended client has nothing to unsubscribe.
        if (unused.length && client.connected) client.unsubscribe(unused).catch(() => {});
        wake();
      }

      function wake() {
        if (!waiting) return;
        const { resolve, reject } = waiting;
        waiting = null;
        if (buffer.length) resolve({ value: buffer.shift(), done: false });
        else if (failure) reject(take());
        else if (ended) resolve({ value: undefined, done: true });
        else waiting = { resolve, reject };
      }

      function take() {
        const e = failure;
        failure = null;
        return e;
      }

      const iterator = {
        dropped: 0,
        [Symbol.asyncIterator]() {
          return this;
        },
        next() {
          if (buffer.length) return Promise.resolve({ value: buffer.shift(), done: false });
          if (failure) return Promise.reject(take());
          if (ended) return Promise.resolve({ value: undefined, done: true });
          return new Promise((resolve, reject) => {
            waiting = { resolve, reject };
          });
        },
        return() {
          finish();
          buffer.length = 0;
          return Promise.resolve({ value: undefined, done: true });
        },
      };
      iterator.subscribed = client
        .subscribe(filter, subscribeOptions, (topic, payload, packet) => {
          if (ended) return;
          if (buffer.length >= size) {
            if (overflow === "error") {
              return finish(new MqttError("QueueFull", `messages(${JSON.stringify(names.join(", "))}): more than ${size} messages waited to be read (bufferSize); the loop ends`));
            }
            buffer.shift();
            iterator.dropped++;
          }
          buffer.push({ topic, payload, packet });
          wake();
        })
        .then((ack) => {
          const refused = ack.granted.find((g) => g.reasonCode >= 0x80);
          if (refused) finish(new MqttError("Rejected", `messages(): the server refused ${refused.topic} (reason code 0x${refused.reasonCode.toString(16)})`, refused.reasonCode));
          return ack;
        }, (e) => {
          finish(e);
          throw e;
        });
      // The loop sees a failed subscription; the promise needs no handler.
      iterator.subscribed.catch(() => {});
      return iterator;
    },
  });
}
