// The SharedWorker behind `SharedMqttClient`: one MqttClient, one WebSocket
// and one session for every tab of the origin. Each tab (a MessagePort)
// gets the messages of its own subscriptions only, at the QoS it was
// granted; a filter two tabs share is subscribed at the highest QoS either
// asked for, and unsubscribed at the broker when the last tab using it lets
// go. It only routes: the lifecycle (reconnects, giving up, what disconnect
// and connect mean) is the client's.
import init, { MqttClient } from "./mqtt_wasm.js";

const ready = init();
let client = null;
/** Counts the connections: a tab hears `connect` once per connection. */
let connection = 0;
/** port -> the connection whose `connect` it heard */
const heard = new WeakMap();
/**
 * filter -> { users: Map(port -> QoS asked), granted: what the broker
 * granted (a QoS, or a reason code >= 0x80), or undefined before a SUBACK }
 */
const filters = new Map();
/** filter -> the one message handler installed for it in the client: tabs
 * that come and go share it, so they never pile up handlers. */
const routes = new Map();
/** The tabs that receive the client's events: those whose connect() is under way or done. */
const ports = new Set();
/**
 * port -> the messages waiting to be posted to it, each with the tab's
 * filters whose handlers it came through: the handlers of one copy of a
 * message run in one go, so a tab gets each copy once, with every filter of
 * its own that it matched (its subscription handlers are called from those).
 */
const outbox = new Map();
let flushScheduled = false;

function flush() {
  flushScheduled = false;
  for (const [port, messages] of outbox) {
    for (const { topic, payload, packet, filters: matched, asked } of messages) {
      // At the QoS this tab was granted: what it asked for, at most.
      const qos = Math.min(packet.qos, asked);
      port.postMessage({ event: "message", arg: [topic, payload, qos === packet.qos ? packet : { ...packet, qos }], filters: matched });
    }
  }
  outbox.clear();
}

const plain = (e) => ({
  code: e?.code ?? "Protocol",
  message: e?.message ?? String(e),
  reasonCode: e?.reasonCode,
  closeCode: e?.closeCode,
});

/** What a tab's read-only properties show, sent with every reply and event. */
const state = () =>
  client && {
    connected: client.connected,
    clientId: client.clientId,
    protocolVersion: client.protocolVersion,
    serverProperties: client.serverProperties,
    inflightCount: client.inflightCount,
    queuedCount: client.queuedCount,
  };

function tell(port, event, arg) {
  // Messages first, in the order they came.
  if (flushScheduled) flush();
  if (event === "connect") heard.set(port, connection);
  port.postMessage({ event, arg: event === "error" ? plain(arg) : arg, state: state() });
}

function ensureClient(options) {
  if (client) return client;
  client = new MqttClient(options);
  for (const event of ["connect", "reconnect", "offline", "close", "disconnect", "auth", "error", "end"]) {
    client.on(event, (arg) => {
      if (event === "connect") connection++;
      for (const port of ports) tell(port, event, arg);
    });
  }
  return client;
}

/** The handler of `filter`, new only for a filter no tab uses yet. */
function routeFor(filter) {
  if (routes.has(filter)) return undefined;
  const route = (topic, payload, packet) => {
    for (const [port, asked] of filters.get(filter)?.users ?? []) {
      let messages = outbox.get(port);
      if (!messages) outbox.set(port, (messages = []));
      const last = messages[messages.length - 1];
      if (last?.payload === payload) {
        last.filters.push(filter);
        last.asked = Math.max(last.asked, asked);
        continue;
      }
      messages.push({ topic, payload, packet, filters: [filter], asked });
      if (!flushScheduled) {
        flushScheduled = true;
        queueMicrotask(flush);
      }
    }
  };
  routes.set(filter, route);
  return route;
}

/** Subscribes `port` to one filter; SUBSCRIBE goes out only when no tab has
 * it yet at this QoS or higher. Resolves with this tab's `granted` entry,
 * and the SUBACK if one was asked for. */
async function subscribeOne(port, item, name, asked, opts) {
  let entry = filters.get(name);
  if (!entry) filters.set(name, (entry = { users: new Map(), granted: undefined }));
  entry.users.set(port, asked);
  const have = entry.granted;
  if (have !== undefined && have < 0x80 && have >= asked) {
    return { granted: { topic: name, qos: asked, reasonCode: asked } };
  }
  const qos = Math.max(...entry.users.values());
  const installed = routeFor(name);
  let ack;
  try {
    ack = await client.subscribe(typeof item === "string" ? item : { ...item, qos }, { ...opts, qos }, installed);
  } catch (e) {
    // A failed filter loses the handler it installed: the next tab installs one again.
    if (installed) routes.delete(name);
    entry.users.delete(port);
    throw e;
  }
  const granted = ack.granted[0];
  entry.granted = granted.reasonCode >= 0x80 ? granted.reasonCode : granted.qos;
  if (granted.reasonCode >= 0x80) {
    if (installed) routes.delete(name);
    entry.users.delete(port);
    return { granted, ack };
  }
  const mine = Math.min(asked, granted.qos);
  return { granted: { topic: name, qos: mine, reasonCode: mine }, ack };
}

/** Drops `port`'s use of `list`; unsubscribes what no tab uses any more. */
async function release(port, list) {
  const orphaned = [];
  for (const filter of list) {
    const entry = filters.get(filter);
    if (!entry?.users.delete(port)) continue;
    if (entry.users.size === 0) {
      filters.delete(filter);
      routes.delete(filter);
      orphaned.push(filter);
    }
  }
  if (orphaned.length && client?.connected) return client.unsubscribe(orphaned);
  return { reasonCodes: list.map(() => 0) };
}

async function join(port, connecting) {
  // A tab that left (disconnect()) and connects again hears events again.
  ports.add(port);
  const ack = await connecting;
  // Its own `connect`, before its promise resolves, unless it heard this one.
  if (heard.get(port) !== connection) tell(port, "connect", ack);
  return { connack: ack, clientId: client.clientId };
}

const operations = {
  connect: (port, { options }) => join(port, ensureClient(options).connect()),
  reconnect: (port, { options }) => join(port, ensureClient(options).reconnect()),
  publish: (port, { topic, payload, opts }) => client.publish(topic, payload, opts),
  async subscribe(port, { filter, opts }) {
    const list = Array.isArray(filter) ? filter : [filter];
    const settled = await Promise.allSettled(
      list.map((f) => {
        const name = typeof f === "string" ? f : f.topic;
        const asked = (typeof f === "string" ? undefined : f.qos) ?? opts?.qos ?? 0;
        return subscribeOne(port, f, name, asked, opts);
      }),
    );
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    // The SUBACK's packetId and properties, when one was needed (0 and {}
    // when every filter was already subscribed for another tab).
    const ack = settled.find((s) => s.value.ack)?.value.ack;
    return { packetId: ack?.packetId ?? 0, granted: settled.map((s) => s.value.granted), properties: ack?.properties ?? {} };
  },
  unsubscribe: (port, { filter }) => release(port, Array.isArray(filter) ? filter : [filter]),
  auth: (port, { opts }) => client.auth(opts),
  async bye(port) {
    ports.delete(port);
    heard.delete(port);
    // Leaving never fails: an UNSUBSCRIBE cut short by the last tab closing
    // the connection meanwhile (the tabs' disconnect() at once) took the
    // subscriptions with it anyway.
    await release(port, [...filters.keys()]).catch(() => {});
    if (ports.size === 0 && client) {
      const ending = client;
      client = null;
      await ending.disconnect();
      ending.free();
    }
    return null;
  },
};

self.onconnect = (e) => {
  const port = e.ports[0];
  ports.add(port);
  port.onmessage = async ({ data: { id, op, args } }) => {
    try {
      await ready;
      if (op !== "connect" && op !== "reconnect" && op !== "bye" && !client) {
        throw { code: "NotConnected", message: `${op}(): connect() first` };
      }
      port.postMessage({ id, result: await operations[op](port, args ?? {}), state: state() });
    } catch (e) {
      port.postMessage({ id, error: plain(e), state: state() });
    }
  };
  port.start();
};
