// Beyond the peers, against the real broker in headless Chromium: exact
// per-subscription routing on MQTT 5 (Mosquitto sends one copy of a message
// per matching subscription), request/response, and async iteration.
import { test } from "node:test";
import assert from "node:assert/strict";
import { brokerUrl, packagePage, useBrowser } from "./harness.mjs";

const env = useBrowser({ withPage: true });

test("MQTT 5: overlapping filters call each handler once per message; `message` fires per copy with the application's identifiers", async () => {
  const r = await env.page.evaluate(async (url) => {
    const client = new window.mqtt.MqttClient({ url, protocolVersion: 5 });
    await client.connect();
    const base = `route/${Math.random()}`;
    const calls = { exact: 0, plus: 0, hash: 0, both: 0 };
    const copies = [];
    client.on("message", (topic, payload, packet) => copies.push(packet.properties?.subscriptionIdentifier ?? []));
    await client.subscribe(`${base}/b/a/temp`, { qos: 1 }, () => calls.exact++);
    await client.subscribe(`${base}/b/+/temp`, { qos: 1 }, () => calls.plus++);
    // The application's own identifier, on a filter with a handler.
    await client.subscribe(`${base}/b/#`, { qos: 1, properties: { subscriptionIdentifier: 9 } }, () => calls.hash++);
    // One call with two filters that both match.
    const ack = await client.subscribe([`${base}/b/a/+`, `${base}/b/a/temp`], { qos: 1 }, () => calls.both++);
    await client.publish(`${base}/b/a/temp`, "x", { qos: 1 });
    await client.publish(`${base}/b/z`, "y", { qos: 1 });
    for (let i = 0; i < 100 && copies.length < 6; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    await client.disconnect();
    return { calls, copies, granted: ack.granted.map((g) => g.reasonCode) };
  }, brokerUrl);
  // b/a/temp matches 4 distinct subscriptions (the last call re-subscribed
  // b/a/temp): 4 copies; b/z matches b/#: 1 copy.
  assert.equal(r.copies.length, 5, JSON.stringify(r.copies));
  assert.deepEqual(r.calls, { exact: 1, plus: 1, hash: 2, both: 1 });
  assert.deepEqual(r.copies.filter((ids) => ids.length).flat(), [9, 9], "only the application's identifier is shown, on its copies");
  assert.deepEqual(r.granted, [1, 1], "the split call completes once, with a granted entry per filter");
});

test("MQTT 3.1.1: handlers are matched by filter", async () => {
  const r = await env.page.evaluate(async (url) => {
    const client = new window.mqtt.MqttClient({ url, protocolVersion: 4 });
    await client.connect();
    const base = `route4/${Math.random()}`;
    const calls = { a: 0, b: 0 };
    let copies = 0;
    client.on("message", () => copies++);
    await client.subscribe(`${base}/#`, {}, () => calls.a++);
    await client.subscribe(`${base}/x`, {}, () => calls.b++);
    await client.publish(`${base}/x`, "x");
    await client.publish(`${base}/y`, "y");
    await new Promise((r) => setTimeout(r, 300));
    await client.disconnect();
    return { calls, copies };
  }, brokerUrl);
  // Mosquitto sends a 3.1.1 client one copy per message: each matching handler once.
  assert.equal(r.copies, 2);
  assert.deepEqual(r.calls, { a: 2, b: 1 });
});

test("request() gets the response of a respond() handler on another client; timeouts, the client's end and 3.1.1 reject clearly", async () => {
  const page = await packagePage(env.browser, env.server.url);
  const r = await page.evaluate(async (url) => {
    const { MqttClient } = window.mqtt;
    const device = new MqttClient({ url, protocolVersion: 5 });
    const app = new MqttClient({ url, protocolVersion: 5 });
    await Promise.all([device.connect(), app.connect()]);
    const base = `rr/${Math.random()}`;
    const seen = [];
    await device.respond(`${base}/cmd/+`, async (topic, payload, packet) => {
      seen.push({ topic, payload: payload.toString(), hasResponseTopic: !!packet.properties?.responseTopic });
      if (topic.endsWith("/throw")) throw new Error("thrown by a responder");
      await new Promise((r) => setTimeout(r, 10));
      return `did ${payload}`;
    }, { qos: 2 });
    // Two requests at once: each gets its own response.
    const [one, two] = await Promise.all([
      app.request(`${base}/cmd/led`, "on", { qos: 1 }),
      app.request(`${base}/cmd/led`, "off", { qos: 2, properties: { userProperties: { from: "test" } } }),
    ]);
    // A plain publish reaches the responder too, and gets no response.
    await app.publish(`${base}/cmd/plain`, "quiet", { qos: 1 });
    const errors = [];
    addEventListener("error", (e) => errors.push(e.error?.message));
    const thrown = await app.request(`${base}/cmd/throw`, "x", { timeout: 300 }).catch((e) => e.code);
    const timeout = await app.request(`${base}/nobody`, "x", { timeout: 200 }).catch((e) => ({ code: e.code, message: e.message }));
    const pending = app.request(`${base}/nobody`, "x", { timeout: 10000 }).catch((e) => e.code);
    await new Promise((r) => setTimeout(r, 50));
    await app.disconnect();
    const ended = await pending;
    await device.disconnect();
    const v4 = new MqttClient({ url, protocolVersion: 4 });
    const unsupported = await v4.request("a", "b").catch((e) => ({ code: e.code, message: e.message }));
    const badOption = await device.request("a", "b", { timout: 5 }).catch((e) => e.message);
    return {
      one: { payload: one.payload.toString(), topic: one.topic, correlation: one.packet.properties.correlationData?.length },
      two: { payload: two.payload.toString(), qos: two.packet.qos },
      sameTopic: one.topic === two.topic,
      seen, thrown, timeout, ended, unsupported, badOption, errors,
    };
  }, brokerUrl);
  assert.deepEqual(r.one.payload, "did on");
  assert.match(r.one.topic, /^mqtt-wasm\/response\/[0-9a-f]{32}$/);
  assert.equal(r.one.correlation, 16, "the response carries the request's Correlation Data");
  assert.deepEqual(r.two, { payload: "did off", qos: 2 }, "answered at the request's QoS");
  assert.ok(r.sameTopic, "one response topic for the client");
  assert.equal(r.seen.length, 4);
  assert.deepEqual(r.seen.find((s) => s.payload === "quiet"), { topic: r.seen.find((s) => s.payload === "quiet").topic, payload: "quiet", hasResponseTopic: false });
  assert.equal(r.thrown, "Timeout", "a responder that throws sends no response");
  assert.deepEqual(r.errors, ["thrown by a responder"], "and its exception is reported as uncaught");
  assert.deepEqual(page.pageErrors.map((e) => e.message), ["thrown by a responder"]);
  assert.equal(r.timeout.code, "Timeout");
  assert.match(r.timeout.message, /no response to rr\/.*\/nobody came on mqtt-wasm\/response\/.* within 200 ms/);
  assert.equal(r.ended, "Closed", "a pending request settles when the client ends");
  assert.equal(r.unsupported.code, "Unsupported");
  assert.match(r.unsupported.message, /needs MQTT 5\.0.*protocolVersion: 5/);
  assert.match(r.badOption, /request\(\) options\.timout: unknown option/);
  await page.close();
});

test("messages(): for await reads in order; break unsubscribes; drop-oldest counts, overflow: error ends the loop; the client's end ends it", async () => {
  const r = await env.page.evaluate(async (url) => {
    const client = new window.mqtt.MqttClient({ url, protocolVersion: 5 });
    await client.connect();
    const base = `iter/${Math.random()}`;
    const wait = (ms) => new Promise((r) => setTimeout(r, ms));
    const copies = [];
    client.on("message", (topic) => copies.push(topic));

    // In order, then break: the filter is unsubscribed.
    const read = [];
    const stream = client.messages(`${base}/a/#`, { qos: 1 });
    await stream.subscribed;
    for (let i = 0; i < 3; i++) await client.publish(`${base}/a/${i}`, String(i), { qos: 1 });
    for await (const { topic, payload } of stream) {
      read.push(`${topic.slice(base.length)}=${payload}`);
      if (read.length === 3) break;
    }
    await wait(100);
    copies.length = 0;
    await client.publish(`${base}/a/late`, "x", { qos: 1 });
    await wait(200);
    const afterBreak = copies.length;

    // Two loops on one filter: the first's end leaves the second reading.
    const first = client.messages(`${base}/b`);
    const second = client.messages(`${base}/b`);
    await Promise.all([first.subscribed, second.subscribed]);
    await first.return();
    await client.publish(`${base}/b`, "still", { qos: 1 });
    const stillRead = (await second.next()).value.payload.toString();
    await second.return();

    // Drop the oldest past bufferSize.
    const small = client.messages(`${base}/c`, { bufferSize: 2 });
    await small.subscribed;
    for (let i = 0; i < 5; i++) await client.publish(`${base}/c`, String(i), { qos: 1 });
    await wait(200);
    const kept = [(await small.next()).value.payload.toString(), (await small.next()).value.payload.toString()];
    const dropped = small.dropped;
    await small.return();

    // overflow: "error": the buffered ones, then QueueFull.
    const strict = client.messages(`${base}/d`, { bufferSize: 1, overflow: "error" });
    await strict.subscribed;
    await client.publish(`${base}/d`, "1", { qos: 1 });
    await client.publish(`${base}/d`, "2", { qos: 1 });
    await wait(200);
    const strictRead = [];
    let strictError;
    try {
      for await (const m of strict) strictRead.push(m.payload.toString());
    } catch (e) {
      strictError = e.code;
    }

    // A filter the client refuses ends the loop with the error.
    let invalid;
    try {
      for await (const m of client.messages(`${base}/#/x`)) void m;
    } catch (e) {
      invalid = e.code;
    }

    // The client's end ends a waiting loop.
    const open = client.messages(`${base}/e`);
    await open.subscribed;
    setTimeout(() => client.disconnect(), 50);
    const ended = await open.next();
    let badOption;
    try {
      client.messages("x", { overflow: "block" });
    } catch (e) {
      badOption = e.message;
    }
    // A loop still reading when its client is freed ends, with no error.
    const other = new window.mqtt.MqttClient({ url, protocolVersion: 5 });
    await other.connect();
    const reading = other.messages(`${base}/f`);
    await reading.subscribed;
    const errors = [];
    addEventListener("error", (e) => errors.push(e.error?.message));
    other.free();
    const afterFree = await reading.next();
    await wait(50);
    let freed;
    try {
      other.messages("x");
    } catch (e) {
      freed = `${e.code}: ${e.message}`;
    }
    return { read, afterBreak, stillRead, kept, dropped, strictRead, strictError, invalid, ended, badOption, freed, afterFree, errors };
  }, brokerUrl);
  assert.deepEqual(r.read, ["/a/0=0", "/a/1=1", "/a/2=2"]);
  assert.equal(r.afterBreak, 0, "break unsubscribed: nothing arrives any more");
  assert.equal(r.stillRead, "still");
  assert.deepEqual(r.kept, ["3", "4"]);
  assert.equal(r.dropped, 3);
  assert.deepEqual(r.strictRead, ["1"]);
  assert.equal(r.strictError, "QueueFull");
  assert.equal(r.invalid, "InvalidTopic");
  assert.deepEqual(r.ended, { value: undefined, done: true });
  assert.match(r.badOption, /messages\(\) options\.overflow: expected "drop-oldest" or "error", got block/);
  assert.match(r.freed, /^Closed: messages\(\): this client was freed/);
  assert.deepEqual(r.afterFree, { value: undefined, done: true });
  assert.deepEqual(r.errors, [], "ending a loop on free() reports nothing");
});
