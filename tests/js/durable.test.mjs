// Durable sessions (`store: "indexeddb"`): QoS 1 and 2 messages published
// while offline survive a page reload and are delivered once the client
// connects, each exactly as its QoS promises.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { brokerUrl, packagePage, useBrowser } from "./harness.mjs";

const env = useBrowser();

function closedPort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** In the page: the stored record's length for `key`, or 0 (falsy). */
const storedLength = (key) => new Promise((resolve) => {
  const open = indexedDB.open("mqtt-wasm", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("sessions");
  open.onsuccess = () => {
    const get = open.result.transaction("sessions").objectStore("sessions").get(key);
    get.onsuccess = () => { resolve(get.result ? get.result.length : 0); open.result.close(); };
  };
});

test("QoS 1 and 2 published offline survive a reload and arrive once", async () => {
  const clientId = `durable-${Date.now()}`;
  const topic = `durable/${clientId}`;
  const offline = `ws://127.0.0.1:${await closedPort()}/mqtt`;
  const page = await packagePage(env.browser, env.server.url);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  // Offline: the publishes wait in the queue, which is written to IndexedDB.
  await page.evaluate(async ({ url, clientId, topic }) => {
    const client = new window.mqtt.MqttClient({ url, clientId, clean: false, store: "indexeddb", protocolVersion: 5, sessionExpiryInterval: 300 });
    client.publish(topic, "one", { qos: 1 });
    client.publish(topic, "two", { qos: 2 });
  }, { url: offline, clientId, topic });
  await page.waitForFunction(storedLength, clientId, { timeout: 5000, polling: 100 });
  const stored = await page.evaluate(storedLength, clientId);
  assert.ok(stored > 5, `the queue was stored (${stored} bytes)`);

  // A new page load; a subscriber, then the same client id online.
  await page.reload();
  await page.evaluate(async () => {
    const mod = await import("/pkg/mqtt_wasm.js");
    await mod.default();
    window.mqtt = mod;
  });
  const r = await page.evaluate(async ({ url, clientId, topic }) => {
    const { MqttClient } = window.mqtt;
    const received = [];
    const subscriber = new MqttClient({ url, protocolVersion: 5 });
    subscriber.on("message", (t, payload, packet) => received.push(`${new TextDecoder().decode(payload)}@${packet.qos}`));
    await subscriber.connect();
    await subscriber.subscribe(topic, { qos: 2 });
    const client = new MqttClient({ url, clientId, clean: false, store: "indexeddb", protocolVersion: 5, sessionExpiryInterval: 300 });
    await client.connect();
    for (let i = 0; i < 100 && received.length < 2; i++) await new Promise((res) => setTimeout(res, 50));
    await new Promise((res) => setTimeout(res, 300));
    const inflight = client.inflightCount + client.queuedCount;
    await client.disconnect();
    await subscriber.disconnect();
    return { received, inflight };
  }, { url: brokerUrl, clientId, topic });
  assert.deepEqual(r.received, ["one@1", "two@2"]);
  assert.equal(r.inflight, 0);
  // Acknowledged, then disconnected: the stored state is empty again (the
  // write follows asynchronously).
  await page.waitForFunction(async (key) => (await new Promise((resolve) => {
    const open = indexedDB.open("mqtt-wasm", 1);
    open.onsuccess = () => {
      const get = open.result.transaction("sessions").objectStore("sessions").get(key);
      get.onsuccess = () => { resolve(get.result ? get.result.length : 0); open.result.close(); };
    };
  })) === 5, clientId, { timeout: 5000, polling: 100 });
  assert.deepEqual(errors, []);
});

test("without IndexedDB the client falls back to memory with a Storage error event", async () => {
  const page = await packagePage(env.browser, env.server.url);
  const r = await page.evaluate(async (url) => {
    Object.defineProperty(window, "indexedDB", { value: undefined, configurable: true });
    const errors = [];
    const client = new window.mqtt.MqttClient({ url, clientId: `no-idb-${Date.now()}`, store: "indexeddb" });
    client.on("error", (e) => errors.push(e.code));
    const ack = await client.connect();
    const published = await client.publish("no-idb/t", "x", { qos: 1 });
    await client.disconnect();
    return { errors, reasonCode: ack.reasonCode, packetId: typeof published.packetId };
  }, brokerUrl);
  assert.deepEqual(r, { errors: ["Storage"], reasonCode: 0, packetId: "number" });
});
