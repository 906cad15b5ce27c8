// SharedMqttClient: two tabs of one origin share one connection (a
// SharedWorker owns it); each tab receives only its own subscriptions; a
// tab closing does not drop the other's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { brokerUrl, packagePage, useBrowser } from "./harness.mjs";

const env = useBrowser();

/** A tab in `context` with the package loaded and WebSocket constructions counted. */
async function tab(context) {
  const page = await context.newPage();
  await page.goto(`${env.server.url}config.json`);
  await page.evaluate(async () => {
    const Native = WebSocket;
    window.sockets = 0;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        window.sockets++;
      }
    };
    const mod = await import("/pkg/mqtt_wasm.js");
    await mod.default();
    window.mqtt = mod;
    window.received = [];
  });
  return page;
}

async function join(page, topic) {
  return page.evaluate(async ({ url, topic }) => {
    // A promise that never settles fails the test naming the call.
    const errors = [];
    const within = (promise, what) =>
      Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} did not settle within 10 s; error events: ${JSON.stringify(errors)}`)), 10000))]);
    const client = new window.mqtt.SharedMqttClient({ url, protocolVersion: 5 });
    client.on("error", (e) => errors.push(`${e.code}: ${e.message}`));
    window.client = client;
    const ack = await within(client.connect(), "connect()");
    await within(client.subscribe(topic, { qos: 1 }, (t) => window.received.push(t)), "subscribe()");
    return { reasonCode: ack.reasonCode, clientId: client.clientId, shared: client.shared };
  }, { url: brokerUrl, topic });
}

test("two tabs share one connection and each gets its own messages", async () => {
  const context = await env.browser.newContext();
  const [one, two] = [await tab(context), await tab(context)];
  const base = `shared/${Date.now()}`;
  const a = await join(one, `${base}/a`);
  const b = await join(two, `${base}/b/#`);
  assert.deepEqual([a.reasonCode, b.reasonCode], [0, 0]);
  assert.ok(a.shared && b.shared, "SharedWorker is available in Chromium");
  assert.equal(a.clientId, b.clientId, "one client, one session");

  const publisher = await packagePage(env.browser, env.server.url);
  const send = (topic) => publisher.evaluate(async ({ url, topic }) => {
    window.pub ??= new window.mqtt.MqttClient({ url });
    if (!window.pub.connected) await window.pub.connect();
    await window.pub.publish(topic, "x", { qos: 1 });
  }, { url: brokerUrl, topic });
  await send(`${base}/a`);
  await send(`${base}/b/1`);
  await send(`${base}/c`);
  const got = (page, n) => page.waitForFunction((n) => window.received.length >= n, n, { timeout: 5000 }).then(() => page.evaluate(() => window.received.slice()));
  assert.deepEqual(await got(one, 1), [`${base}/a`]);
  assert.deepEqual(await got(two, 1), [`${base}/b/1`]);
  assert.deepEqual(await one.evaluate(() => window.sockets), 0, "no WebSocket in the tab");
  assert.deepEqual(await two.evaluate(() => window.sockets), 0, "no WebSocket in the tab");

  // The first tab goes away; the second keeps its subscription.
  await one.close();
  await send(`${base}/b/2`);
  assert.deepEqual(await got(two, 2), [`${base}/b/1`, `${base}/b/2`]);
  await two.evaluate(() => window.client.disconnect());
  await context.close();
});

test("a tab that disconnects and connects again gets events again, with one handler per filter", async () => {
  const context = await env.browser.newContext();
  const [one, two] = [await tab(context), await tab(context)];
  const base = `shared-again/${Date.now()}`;
  await join(two, `${base}/stay`);
  await join(one, `${base}/a`);
  // Tab one leaves and comes back, twice, subscribing each time.
  for (let i = 0; i < 2; i++) {
    await one.evaluate(async ({ topic }) => {
      await window.client.disconnect();
      window.events = [];
      window.client.on("connect", () => window.events.push("connect"));
      await window.client.connect();
      await window.client.subscribe(topic, { qos: 1 }, (t) => window.received.push(t));
    }, { topic: `${base}/a` });
  }
  const publisher = await packagePage(env.browser, env.server.url);
  await publisher.evaluate(async ({ url, base }) => {
    const pub = new window.mqtt.MqttClient({ url });
    await pub.connect();
    await pub.publish(`${base}/a`, "x", { qos: 1 });
    await pub.publish(`${base}/stay`, "y", { qos: 1 });
  }, { url: brokerUrl, base });
  await one.waitForFunction(() => window.received.length >= 1, null, { timeout: 5000 });
  await two.waitForFunction(() => window.received.length >= 1, null, { timeout: 5000 });
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(await one.evaluate(() => window.received), [`${base}/a`], "delivered once to the tab that came back");
  assert.deepEqual(await two.evaluate(() => window.received), [`${base}/stay`]);
  await one.evaluate(() => window.client.disconnect());
  await two.evaluate(() => window.client.disconnect());
  await context.close();
});

test("a connection error reaches the tab with its close code", async () => {
  const context = await env.browser.newContext();
  const page = await tab(context);
  const error = await page.evaluate(async (url) => {
    const client = new window.mqtt.SharedMqttClient({ url, reconnectPeriod: 0 });
    try {
      await client.connect();
      return null;
    } catch (e) {
      return { name: e.name, code: e.code, closeCode: e.closeCode };
    }
  }, process.env.MQTT_CLOSED_URL);
  assert.deepEqual(error, { name: "MqttError", code: "ConnectionFailed", closeCode: 1006 });
  await context.close();
});

test("a filter two tabs share is subscribed at the highest QoS asked, and each tab gets its own QoS and its own connect", async () => {
  const context = await env.browser.newContext();
  const [one, two] = [await tab(context), await tab(context)];
  const topic = `shared-qos/${Date.now()}`;
  const subscribe = (page, qos) => page.evaluate(async ({ url, topic, qos }) => {
    const client = new window.mqtt.SharedMqttClient({ url, protocolVersion: 5 });
    window.client = client;
    window.order = [];
    client.on("connect", () => window.order.push("connect event"));
    client.on("message", (t, payload, packet) => window.received.push({ qos: packet.qos, text: payload.toString() }));
    await client.connect();
    window.order.push("connect resolved");
    const ack = await client.subscribe(topic, { qos });
    return { granted: ack.granted, order: window.order, version: client.protocolVersion, props: typeof client.serverProperties, counts: [client.inflightCount, client.queuedCount] };
  }, { url: brokerUrl, topic, qos });
  const a = await subscribe(one, 0);
  const b = await subscribe(two, 2);
  assert.deepEqual(a.granted, [{ topic, qos: 0, reasonCode: 0 }]);
  assert.deepEqual(b.granted, [{ topic, qos: 2, reasonCode: 2 }]);
  // The second tab joined a connection already up: it still hears its own connect, first.
  assert.deepEqual(b.order, ["connect event", "connect resolved"]);
  assert.deepEqual([b.version, b.props, b.counts], [5, "object", [0, 0]]);
  // A third subscription at QoS 1 from the first tab must not lower the broker's.
  await one.evaluate((topic) => window.client.subscribe(topic, { qos: 1 }), topic);

  const publisher = await packagePage(env.browser, env.server.url);
  await publisher.evaluate(async ({ url, topic }) => {
    const pub = new window.mqtt.MqttClient({ url });
    await pub.connect();
    await pub.publish(topic, "q2", { qos: 2 });
    await pub.disconnect();
  }, { url: brokerUrl, topic });
  const got = (page) => page.waitForFunction(() => window.received.length >= 1, null, { timeout: 5000 }).then(() => page.evaluate(() => window.received));
  assert.deepEqual(await got(two), [{ qos: 2, text: "q2" }], "QoS 2 end to end for the tab that asked for it");
  assert.deepEqual(await got(one), [{ qos: 1, text: "q2" }], "the other tab at the QoS it was granted last");

  // The rest of MqttClient's members: reconnect, end, free.
  const r = await one.evaluate(async () => {
    const c = window.client;
    const callback = await c.end(() => {}).then(() => "resolved", (e) => e.code);
    await c.end();
    const again = await c.reconnect();
    c.free();
    let after;
    try {
      await c.publish("x", "y");
    } catch (e) {
      after = e.code;
    }
    return { callback, again: again.reasonCode, after, connected: c.connected };
  });
  assert.deepEqual(r, { callback: "InvalidArgument", again: 0, after: "Closed", connected: false });
  await two.evaluate(() => window.client.disconnect());
  await context.close();
});

test("MQTT 5 through the shared connection: overlapping filters call each tab's handlers once per message; request() and messages() work from a tab", async () => {
  const context = await env.browser.newContext();
  const [one, two] = [await tab(context), await tab(context)];
  const base = `shared-route/${Date.now()}`;
  const setUp = (page, subscriptions) => page.evaluate(async ({ url, subscriptions }) => {
    const client = new window.mqtt.SharedMqttClient({ url, protocolVersion: 5 });
    window.client = client;
    window.calls = {};
    await client.connect();
    for (const [name, filters] of subscriptions) {
      window.calls[name] = 0;
      await client.subscribe(filters, { qos: 1 }, () => window.calls[name]++);
    }
  }, { url: brokerUrl, subscriptions });
  await setUp(one, [["both", [`${base}/a/+`, `${base}/a/#`]], ["exact", `${base}/a/x`]]);
  await setUp(two, [["hash", `${base}/a/#`]]);

  const device = await packagePage(env.browser, env.server.url);
  await device.evaluate(async ({ url, base }) => {
    window.device = new window.mqtt.MqttClient({ url, protocolVersion: 5 });
    await window.device.connect();
    await window.device.respond(`${base}/rpc`, (topic, payload) => `pong ${payload}`, { qos: 1 });
    await window.device.publish(`${base}/a/x`, "once", { qos: 1 });
  }, { url: brokerUrl, base });
  await one.waitForFunction(() => window.calls.both >= 1 && window.calls.exact >= 1, null, { timeout: 5000 });
  await two.waitForFunction(() => window.calls.hash >= 1, null, { timeout: 5000 });
  await one.waitForTimeout(300);
  assert.deepEqual(await one.evaluate(() => window.calls), { both: 1, exact: 1 });
  assert.deepEqual(await two.evaluate(() => window.calls), { hash: 1 });

  const r = await one.evaluate(async (base) => {
    const reply = await window.client.request(`${base}/rpc`, "ping", { timeout: 5000 });
    const stream = window.client.messages(`${base}/stream`);
    await stream.subscribed;
    await window.client.publish(`${base}/stream`, "item", { qos: 1 });
    const { value } = await stream.next();
    await stream.return();
    return { reply: reply.payload.toString(), item: value.payload.toString() };
  }, base);
  assert.deepEqual(r, { reply: "pong ping", item: "item" });
  await device.evaluate(() => window.device.disconnect());
  await Promise.all([one, two].map((p) => p.evaluate(() => window.client.disconnect())));
  await context.close();
  await device.close();
});

test("the shared connection keeps its keepalive on the worker's own timers", async () => {
  // The client in the SharedWorker arms its timers with the worker's
  // setTimeout (no nested timer worker: host.js says why). A timer that
  // never fired would let the broker drop the connection after 3 s (1.5
  // times the keepalive) without a PINGREQ, and the tab would hear close
  // and offline. Keepalive 2 s, not 1: a ping timer may then be a second
  // late (with 1 s, a loaded CI run once dropped and remade the
  // connection, 2026-12-02).
  const context = await env.browser.newContext();
  const page = await tab(context);
  const r = await page.evaluate(async (url) => {
    const client = new window.mqtt.SharedMqttClient({ url, keepalive: 2 });
    const events = [];
    for (const e of ["close", "offline", "reconnect", "error"]) client.on(e, () => events.push(e));
    await client.connect();
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const result = { connected: client.connected, events, sockets: window.sockets };
    await client.disconnect();
    return result;
  }, brokerUrl);
  assert.deepEqual(r, { connected: true, events: [], sockets: 0 });
  await context.close();
});

test("a shared worker that cannot start fails the calls waiting on it, and the tab goes on with a connection of its own", async () => {
  const context = await env.browser.newContext();
  const page = await tab(context);
  const r = await page.evaluate(async (url) => {
    // The worker's script is not found: as a blocked or broken worker.
    const Native = SharedWorker;
    window.SharedWorker = class extends Native {
      constructor(_url, opts) {
        super("/no-such-worker.js", opts);
      }
    };
    const client = new window.mqtt.SharedMqttClient({ url });
    let seen = 0;
    client.on("connect", () => seen++);
    const first = await client.connect().then(() => "resolved", (e) => ({ code: e.code, message: e.message }));
    const again = await client.connect();
    const shared = client.shared;
    await client.disconnect();
    return { first, again: again.reasonCode, shared, seen };
  }, brokerUrl);
  assert.equal(r.first.code, "ConnectionFailed");
  assert.match(r.first.message, /shared worker failed to start.*call connect\(\) again/);
  assert.deepEqual([r.again, r.shared, r.seen], [0, false, 1], "the handlers added before carry over");
  await context.close();
});
