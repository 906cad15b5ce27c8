// The SharedWorker behind `SharedMqttClient`: one MqttClient, one WebSocket
// and one session for every tab of the origin. Each tab (a MessagePort)
// gets the messages of its own subscriptions only; a filter is unsubscribed
// at the broker when the last tab using it lets go. It only routes: the
// lifecycle (reconnects, giving up, what disconnect and connect mean) is
// the client's.
import init, { MqttClient } from "./mqtt_wasm.js";

const ready = init();
let client = null;
/** filter -> Set of ports subscribed to it */
const filters = new Map();
/** filter -> the one message handler installed for it in the client: tabs
 * that come and go share it, so they never pile up handlers. */
const routes = new Map();
/** The tabs that receive the client's events: those whose connect() is under way or done. */
const ports = new Set();
/** The message last delivered to each port: a tab gets a message once even
 * if several of its filters match it. */
const lastDelivered = new WeakMap();

const plain = (e) => ({
  code: e?.code ?? "Protocol",
  message: e?.message ?? String(e),
  reasonCode: e?.reasonCode,
  closeCode: e?.closeCode,
});

function broadcast(event, arg) {
  for (const port of ports) port.postMessage({ event, arg: event === "error" ? plain(arg) : arg });
}

function ensureClient(options) {
  if (client) return client;
  client = new MqttClient(options);
  for (const event of ["connect", "reconnect", "offline", "close", "disconnect", "error", "end"]) {
    client.on(event, (arg) => broadcast(event, arg));
  }
  return client;
}

/** The handler of `filter`, new only for a filter no tab uses yet. */
function routeFor(filter) {
  if (routes.has(filter)) return undefined;
  const route = (topic, payload, packet) => {
    for (const port of filters.get(filter) ?? []) {
      if (lastDelivered.get(port) === payload) continue;
      lastDelivered.set(port, payload);
      port.postMessage({ event: "message", arg: [topic, payload, packet] });
    }
  };
  routes.set(filter, route);
  return route;
}

/** Drops `port`'s use of `list`; unsubscribes what no tab uses any more. */
async function release(port, list) {
  const orphaned = [];
  for (const filter of list) {
    const users = filters.get(filter);
    if (!users?.delete(port)) continue;
    if (users.size === 0) {
      filters.delete(filter);
      routes.delete(filter);
      orphaned.push(filter);
    }
  }
  if (orphaned.length && client?.connected) return client.unsubscribe(orphaned);
  return { reasonCodes: list.map(() => 0) };
}

const operations = {
  async connect(port, { options }) {
    // A tab that left (disconnect()) and connects again hears events again.
    ports.add(port);
    const ack = await ensureClient(options).connect();
    return { connack: ack, clientId: client.clientId };
  },
  publish: (port, { topic, payload, opts }) => client.publish(topic, payload, opts),
  async subscribe(port, { filter, opts }) {
    const list = Array.isArray(filter) ? filter : [filter];
    const names = list.map((f) => (typeof f === "string" ? f : f.topic));
    for (const name of names) {
      if (!filters.has(name)) filters.set(name, new Set());
      filters.get(name).add(port);
    }
    // One SUBSCRIBE per filter; the handler routes to every tab using it.
    const installed = names.map(routeFor);
    // A refused or failed filter loses the handler it installed: the next tab installs one again.
    const settled = await Promise.allSettled(list.map((f, i) => client.subscribe(f, opts, installed[i])));
    settled.forEach((s, i) => {
      const refused = s.status === "rejected" || s.value.granted[0]?.reasonCode >= 0x80;
      if (installed[i] && refused) routes.delete(names[i]);
    });
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    const acks = settled.map((s) => s.value);
    return { packetId: acks[0].packetId, granted: acks.flatMap((a) => a.granted), properties: acks[0].properties };
  },
  unsubscribe: (port, { filter }) => release(port, Array.isArray(filter) ? filter : [filter]),
  async bye(port) {
    ports.delete(port);
    await release(port, [...filters.keys()]);
    if (ports.size === 0 && client) {
      const ending = client;
      client = null;
      await ending.disconnect();
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
      if (op !== "connect" && op !== "bye" && !client) throw { code: "NotConnected", message: "connect() first" };
      port.postMessage({ id, result: await operations[op](port, args ?? {}) });
    } catch (e) {
      port.postMessage({ id, error: plain(e) });
    }
  };
  port.start();
};
