// The SharedWorker behind `SharedMqttClient`: one MqttClient, one WebSocket
// and one session for every tab of the origin. Each tab (a MessagePort)
// gets the messages of its own subscriptions only; a filter is unsubscribed
// at the broker when the last tab using it lets go.
import init, { MqttClient } from "./mqtt_wasm.js";

const ready = init();
let client = null;
/** filter -> Set of ports subscribed to it */
const filters = new Map();
const ports = new Set();
/** The message last delivered to each port: a tab gets a message once even
 * if several of its filters match it. */
const lastDelivered = new WeakMap();

const plain = (e) => ({ code: e?.code ?? "Protocol", message: e?.message ?? String(e), reasonCode: e?.reasonCode });

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

function handlerFor(port, filter) {
  return (topic, payload, packet) => {
    if (!filters.get(filter)?.has(port) || lastDelivered.get(port) === payload) return;
    lastDelivered.set(port, payload);
    port.postMessage({ event: "message", arg: [topic, payload, packet] });
  };
}

/** Drops `port`'s use of `list`; unsubscribes what no tab uses any more. */
async function release(port, list) {
  const orphaned = [];
  for (const filter of list) {
    const users = filters.get(filter);
    if (!users?.delete(port)) continue;
    if (users.size === 0) {
      filters.delete(filter);
      orphaned.push(filter);
    }
  }
  if (orphaned.length && client?.connected) return client.unsubscribe(orphaned);
  return { reasonCodes: list.map(() => 0) };
}

const operations = {
  async connect(port, { options }) {
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
    // One SUBSCRIBE per filter, each with this tab's handler.
    const acks = await Promise.all(list.map((f, i) => client.subscribe(f, opts, handlerFor(port, names[i]))));
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
