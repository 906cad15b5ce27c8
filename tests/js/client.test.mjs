// The built npm package, imported by a page in headless Chromium and driven
// as a JavaScript application would: promises, events, payload types and
// error codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { brokerUrl, packagePage, useBrowser } from "./harness.mjs";

const env = useBrowser({ withPage: true });

test("exports MqttClient and an MqttError that extends Error", async () => {
  const r = await env.page.evaluate(() => {
    const { MqttClient, MqttError } = window.mqtt;
    try {
      new MqttClient({ url: "http://not-a-websocket" });
      return { threw: false };
    } catch (e) {
      return { threw: true, isMqttError: e instanceof MqttError, isError: e instanceof Error, code: e.code, message: e.message, client: typeof MqttClient };
    }
  });
  assert.deepEqual(
    { threw: r.threw, isMqttError: r.isMqttError, isError: r.isError, code: r.code, client: r.client },
    { threw: true, isMqttError: true, isError: true, code: "InvalidArgument", client: "function" },
  );
  assert.match(r.message, /url/);
});

test("string, Uint8Array and ArrayBuffer payloads round-trip; events carry packets", async () => {
  const r = await env.page.evaluate(async (url) => {
    const { MqttClient } = window.mqtt;
    const client = new MqttClient({ url, protocolVersion: 5 });
    const events = [];
    const received = [];
    client.on("connect", (ack) => events.push(["connect", ack.reasonCode]));
    client.on("message", (topic, payload, packet) => received.push({ topic, payload: Array.from(payload), isU8: payload instanceof Uint8Array, qos: packet.qos, retain: packet.retain }));
    client.on("close", () => events.push(["close"]));
    client.on("end", () => events.push(["end"]));
    const ack = await client.connect();
    const topic = `js/${Math.random()}`;
    const sub = await client.subscribe({ topic: `${topic}/#`, qos: 1 }.topic, { qos: 1 });
    await client.publish(`${topic}/s`, "hé", { qos: 1 });
    await client.publish(`${topic}/u`, new Uint8Array([0, 1, 255]), { qos: 1 });
    await client.publish(`${topic}/a`, new Uint8Array([7, 8]).buffer, { qos: 1 });
    for (let i = 0; i < 100 && received.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    await client.disconnect();
    return { ack, granted: sub.granted, received, events, connected: client.connected };
  }, brokerUrl);
  assert.equal(r.ack.reasonCode, 0);
  assert.equal(r.ack.sessionPresent, false);
  assert.equal(r.granted[0].qos, 1);
  assert.deepEqual(r.received.map((m) => m.payload), [[0x68, 0xc3, 0xa9], [0, 1, 255], [7, 8]]);
  assert.ok(r.received.every((m) => m.isU8 && m.qos === 1 && m.retain === false));
  assert.deepEqual(r.events, [["connect", 0], ["close"], ["end"]]);
  assert.equal(r.connected, false);
});

test("invalid arguments reject with typed error codes, never hang", async () => {
  const r = await env.page.evaluate(async (url) => {
    const { MqttClient } = window.mqtt;
    const client = new MqttClient({ url });
    await client.connect();
    const code = (p) => p.then(() => "resolved", (e) => e.code);
    const out = {
      wildcardTopic: await code(client.publish("a/+", "x")),
      emptyTopic: await code(client.publish("", "x")),
      nonStringTopic: await code(client.publish(42, "x")),
      badQos: await code(client.publish("a", "x", { qos: 3 })),
      badPayload: await code(client.publish("a", { not: "bytes" })),
      badFilter: await code(client.subscribe("a/#/b")),
      unknownOption: await code(client.publish("a", "x", { qos: 1, retian: true })),
      authOnV4: await code(client.auth({ reasonCode: 0x19 })),
      misspeltProperty: await code(client.publish("a", "x", { properties: { contentTyp: "text/plain" } })),
    };
    try {
      new MqttClient({ url, keepAlive: 5 });
      out.misspeltOption = "accepted";
    } catch (e) {
      out.misspeltOption = `${e.code}: ${e.message}`;
    }
    await client.disconnect();
    out.afterEnd = await code(client.publish("a", "x"));
    return out;
  }, brokerUrl);
  assert.deepEqual(r, {
    wildcardTopic: "InvalidTopic",
    emptyTopic: "InvalidTopic",
    nonStringTopic: "InvalidTopic",
    badQos: "InvalidArgument",
    badPayload: "InvalidArgument",
    badFilter: "InvalidTopic",
    unknownOption: "InvalidArgument",
    authOnV4: "InvalidArgument",
    misspeltProperty: "InvalidArgument",
    misspeltOption: "InvalidArgument: options.keepAlive: unknown field",
    afterEnd: "Closed",
  });
});

test("a burst of received messages is acknowledged in one or two sends, and every flow completes", async () => {
  // QoS 1: 300 messages through Mosquitto's window of 20 unacknowledged
  // ones, so all arriving proves every PUBACK went out. QoS 2: 20, as
  // Mosquitto 2.0.11 delivers no more than its window of QoS 2 messages
  // queued for a subscriber (MQTT.js stalls at 20 the same way).
  const window_ = 20;
  const counts = { 1: 300, 2: 20 };
  const r = await env.page.evaluate(async ({ url, counts }) => {
    const { MqttClient } = window.mqtt;
    const results = {};
    for (const [qos, n] of Object.entries(counts).map(([q, n]) => [Number(q), n])) {
      const client = new MqttClient({ url });
      let received = 0;
      client.on("message", () => received++);
      await client.connect();
      const topic = `js/burst/${qos}/${Math.random()}`;
      await client.subscribe(topic, { qos });
      // Count this client's WebSocket sends from here on.
      const recorder = window.recordSends();
      const pending = Array.from({ length: n }, (_, i) => client.publish(topic, `m${i}`, { qos }));
      // Let the publishes go out (one send, flushed in a microtask: they
      // are written in one turn), then, in the same task, so that no frame
      // is handled before, keep the page busy while the broker's first
      // window of answers arrives: it is queued as a burst of frames.
      await null;
      const publishSends = recorder.sizes.length;
      const busy = performance.now() + 200;
      while (performance.now() < busy);
      const acks = await Promise.allSettled(pending);
      const deadline = performance.now() + 10000;
      while (received < n && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      recorder.stop();
      results[qos] = {
        fulfilled: acks.filter((a) => a.status === "fulfilled").length,
        received,
        publishSends,
        answers: recorder.sizes.slice(publishSends),
      };
      await client.disconnect();
    }
    return results;
  }, { url: brokerUrl, counts });
  for (const [qos, n] of Object.entries(counts)) {
    const { fulfilled, received, publishSends, answers } = r[qos];
    assert.equal(fulfilled, n, `QoS ${qos} publishes completed`);
    assert.equal(received, n, `QoS ${qos} messages received`);
    assert.equal(publishSends, 1, `QoS ${qos}: the ${n} publishes of one turn went out in one send`);
    // The first window arrived while the page was busy: its answers (a
    // 4-byte PUBACK or PUBREC per message) leave in the first one or two
    // sends (Chromium may run the task that ends a burst after the burst's
    // first frame), not one send per frame. Frames that arrive while the
    // page is idle may be answered one by one, so only these are bounded.
    const first = answers[0] + (answers[1] ?? 0);
    assert.ok(first >= 4 * window_, `QoS ${qos}: the first two answer sends have ${first} bytes (sends: ${answers.slice(0, 8)})`);
    // Never more than one send per received frame: for QoS 1 a PUBACK per
    // message; for QoS 2 a PUBREC per message and a PUBREL per own publish.
    assert.ok(answers.length <= (qos === "1" ? n : 2 * n), `QoS ${qos}: ${answers.length} answer sends for ${n} messages`);
  }
});

test("the publishes of one turn share sends of at most 64 KiB, so wasm memory does not grow with the burst", async () => {
  const n = 1000;
  const r = await env.page.evaluate(async ({ url, n }) => {
    const client = new window.mqtt.MqttClient({ url });
    let received = 0;
    client.on("message", () => received++);
    await client.connect();
    const topic = `js/batch/${Math.random()}`;
    await client.subscribe(topic, { qos: 0 });
    const recorder = window.recordSends();
    const payload = new Uint8Array(1024).fill(7);
    const acks = [];
    for (let i = 0; i < n; i++) acks.push(client.publish(topic, payload));
    recorder.stop();
    const settled = await Promise.allSettled(acks);
    const deadline = performance.now() + 10000;
    while (received < n && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await client.disconnect();
    return { sizes: recorder.sizes, fulfilled: settled.filter((a) => a.status === "fulfilled").length, received };
  }, { url: brokerUrl, n });
  assert.equal(r.fulfilled, n);
  assert.equal(r.received, n);
  const packet = 1024 + 2 + 2 + "js/batch/0.1234567890123456".length + 2;
  assert.ok(r.sizes.length >= 15, `${r.sizes.length} sends during the loop for ${n} KiB`);
  assert.ok(Math.max(...r.sizes) < 64 * 1024 + 2 * packet, `largest send ${Math.max(...r.sizes)} bytes`);
});

test("no uncaught errors on the page", () => {
  assert.deepEqual(env.page.pageErrors.map(String), []);
});

test("timers run in a dedicated worker, so keepalive survives a throttled page", async () => {
  // A fresh page whose own setTimeout never fires, as in a hidden tab that
  // the browser throttles hard: keepalive must still ping on time.
  const p = await packagePage(env.browser, env.server.url);
  const r = await p.evaluate(async (url) => {
    const { MqttClient } = window.mqtt;
    const client = new MqttClient({ url, keepalive: 1 });
    const sent = [];
    client.on("packetsend", (s) => sent.push(s.type));
    await client.connect();
    const realSetTimeout = window.setTimeout;
    window.setTimeout = () => 0;
    await new Promise((resolve) => {
      const channel = new MessageChannel();
      let rounds = 0;
      // Wait ~2.5 s without the page's timers: poll with a MessageChannel
      // against performance.now().
      const start = performance.now();
      channel.port1.onmessage = () => (performance.now() - start > 2500 ? resolve() : channel.port2.postMessage(rounds++));
      channel.port2.postMessage(0);
    });
    window.setTimeout = realSetTimeout;
    const result = { pings: sent.filter((t) => t === "pingreq").length, connected: client.connected };
    await client.disconnect();
    return result;
  }, brokerUrl);
  await p.close();
  assert.ok(r.pings >= 2, `pings sent without page timers: ${r.pings}`);
  assert.equal(r.connected, true);
});

test("under a strict Content Security Policy the timer worker still runs: a file of the package, no blob:", async () => {
  const page = await env.browser.newPage();
  // The server's page with a CSP that refuses blob: workers and eval (scripts/serve.mjs).
  await page.goto(`${env.server.url}csp.html`);
  const r = await page.evaluate(async (url) => {
    const blocked = [];
    document.addEventListener("securitypolicyviolation", (e) => blocked.push(`${e.violatedDirective} ${e.blockedURI}`));
    const mod = await import("/pkg/mqtt_wasm.js");
    await mod.default();
    const client = new mod.MqttClient({ url, keepalive: 1 });
    const sent = [];
    client.on("packetsend", (s) => sent.push(s.type));
    await client.connect();
    // Without the page's timers, only the worker can fire the keepalive.
    window.setTimeout = () => 0;
    await new Promise((resolve) => {
      const channel = new MessageChannel();
      const start = performance.now();
      channel.port1.onmessage = () => (performance.now() - start > 2500 ? resolve() : channel.port2.postMessage(0));
      channel.port2.postMessage(0);
    });
    const pings = sent.filter((t) => t === "pingreq").length;
    await client.disconnect();
    return { pings, blocked };
  }, brokerUrl);
  await page.close();
  assert.deepEqual(r.blocked, [], "nothing the policy refuses");
  assert.ok(r.pings >= 2, `keepalive from the worker under the policy: ${r.pings} pings`);
});

test("off() stops a handler; handlers added or removed during an event apply from the next one", async () => {
  const r = await env.page.evaluate(async (url) => {
    const client = new window.mqtt.MqttClient({ url });
    const calls = [];
    const topic = `js/off/${Math.random()}`;
    const late = (t, p) => calls.push(`late ${p[0]}`);
    const once = (t, p) => {
      calls.push(`once ${p[0]}`);
      client.off("message", once);
      client.on("message", late);
    };
    const gone = (t, p) => calls.push(`gone ${p[0]}`);
    client.on("message", once).on("message", gone).on("message", (t, p) => calls.push(`all ${p[0]}`));
    await client.connect();
    await client.subscribe(topic, { qos: 1 });
    await client.publish(topic, new Uint8Array([1]), { qos: 1 });
    for (let i = 0; i < 100 && calls.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    client.off("message", gone);
    await client.publish(topic, new Uint8Array([2]), { qos: 1 });
    for (let i = 0; i < 100 && calls.length < 5; i++) await new Promise((r) => setTimeout(r, 10));
    await client.disconnect();
    return calls;
  }, brokerUrl);
  // Like Node's EventEmitter: the handlers of an event are those registered
  // when it fired.
  assert.deepEqual(r, ["once 1", "gone 1", "all 1", "all 2", "late 2"]);
});

test("on() and off() return the client itself, for chaining", async () => {
  const r = await env.page.evaluate(() => {
    const client = new window.mqtt.MqttClient({ url: "ws://127.0.0.1:1/mqtt" });
    const handler = () => {};
    return { on: client.on("message", handler) === client, off: client.off("message", handler) === client };
  });
  assert.deepEqual(r, { on: true, off: true });
});

test("an exception thrown in an application handler is reported as uncaught, and the client goes on", async () => {
  const page = await packagePage(env.browser, env.server.url);
  const r = await page.evaluate(async (url) => {
    const client = new window.mqtt.MqttClient({ url });
    const seen = [];
    const errors = [];
    addEventListener("error", (e) => errors.push(e.error?.message));
    client.on("connect", () => { throw new Error("thrown in connect"); });
    client.on("connect", () => seen.push("next connect handler"));
    client.on("message", () => { throw new Error("thrown in message"); });
    client.on("message", () => seen.push("next message handler"));
    await client.connect();
    const topic = `handler-errors/${Math.random()}`;
    await client.subscribe(topic, { qos: 1 }, () => {
      seen.push("subscription handler");
      throw new Error("thrown in a subscription handler");
    });
    await client.publish(topic, "x", { qos: 1 });
    for (let i = 0; i < 100 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    const connected = client.connected;
    await client.disconnect();
    return { seen: seen.sort(), errors: errors.sort(), connected };
  }, brokerUrl);
  const expected = ["thrown in a subscription handler", "thrown in connect", "thrown in message"];
  assert.deepEqual(r.errors, expected, "the page's error listeners see each one");
  assert.deepEqual(page.pageErrors.map((e) => e.message).sort(), expected, "reported as uncaught");
  assert.deepEqual(r.seen, ["next connect handler", "next message handler", "subscription handler"]);
  assert.equal(r.connected, true);
  await page.close();
});
