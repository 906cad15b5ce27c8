// The package in Node (no browser): imported without side effects (as a
// server-side render does), init() reading the .wasm from the package
// folder, a round trip against the test broker over Node's WebSocket
// (Node 22, or Node 20 with --experimental-websocket, as scripts/test.sh
// runs this file), and a clear error where there is no WebSocket.
import test from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const entry = fileURLToPath(new URL("../../pkg/mqtt_wasm.js", import.meta.url));
const url = process.env.MQTT_WS_URL;

test("importing the package touches nothing: no globals, no network, no .wasm loaded", () => {
  // A fresh Node without --experimental-websocket, as a server render has.
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", `
    const before = new Set(Object.getOwnPropertyNames(globalThis));
    const m = await import(${JSON.stringify(entry)});
    const added = Object.getOwnPropertyNames(globalThis).filter((k) => !before.has(k));
    let code;
    try { new m.MqttClient({ url: "ws://127.0.0.1:1/mqtt" }); } catch (e) { code = e.code; }
    console.log(JSON.stringify({ added, exports: Object.keys(m).sort(), code }));
  `], { encoding: "utf8" });
  const { added, exports, code } = JSON.parse(out);
  assert.deepEqual(added, []);
  assert.deepEqual(exports, ["MqttClient", "MqttError", "Payload", "SharedMqttClient", "default", "initSync", "topicMatches"]);
  assert.equal(code, "NotInitialized", "a client before init() says so");
});

test("without a WebSocket, connect() rejects saying what the environment lacks", () => {
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", `
    const m = await import(${JSON.stringify(entry)});
    await m.default();
    const c = new m.MqttClient({ url: ${JSON.stringify(url)} });
    try { await c.connect(); console.log("connected"); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
    c.free();
  `], { encoding: "utf8" });
  const { code, message } = JSON.parse(out);
  assert.equal(code, "ConnectionFailed");
  assert.match(message, /no WebSocket/);
  assert.match(message, /Node 22/);
});

test("init() takes the .wasm as a file path, a file: URL or its bytes", () => {
  const wasm = fileURLToPath(new URL("../../pkg/mqtt_wasm_core_bg.wasm", import.meta.url));
  for (const form of [JSON.stringify(wasm), `new URL(${JSON.stringify(`file://${wasm}`)})`, `(await import("node:fs")).readFileSync(${JSON.stringify(wasm)})`]) {
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", `
      const m = await import(${JSON.stringify(entry)});
      await m.default(${form});
      console.log(new m.MqttClient({ url: "ws://127.0.0.1:1/mqtt", clientId: "x" }).clientId);
    `], { encoding: "utf8" });
    assert.equal(out.trim(), "x", form);
  }
});

test("a round trip from Node: connect, subscribe, publish at QoS 1, the payload read as text and JSON", async () => {
  assert.equal(typeof WebSocket, "function", "run with Node 22 or --experimental-websocket");
  assert.ok(url, "MQTT_WS_URL names the test broker");
  const { default: init, MqttClient, Payload } = await import(entry);
  await init();
  const client = new MqttClient({ url, clientId: `node-${process.pid}`, protocolVersion: 5 });
  const events = [];
  for (const e of ["connect", "close", "end"]) client.on(e, () => events.push(e));
  const ack = await client.connect();
  assert.equal(ack.reasonCode, 0);
  const topic = `mqtt-wasm/node/${process.pid}`;
  const received = new Promise((resolve) => client.on("message", (t, payload, packet) => resolve({ t, payload, packet })));
  const sub = await client.subscribe(topic, { qos: 1 });
  assert.equal(sub.granted[0].qos, 1);
  const body = { t: 21.5, unit: "°C" };
  const result = await client.publish(topic, JSON.stringify(body), { qos: 1 });
  assert.equal(typeof result.packetId, "number");
  const { t, payload, packet } = await received;
  assert.equal(t, topic);
  assert.equal(packet.qos, 1);
  assert.ok(payload instanceof Payload && payload instanceof Uint8Array);
  assert.equal(payload.toString(), JSON.stringify(body), "toString() is the UTF-8 text, as a Buffer's");
  assert.equal(`${payload}`, JSON.stringify(body));
  assert.deepEqual(payload.json(), body);
  await client.end();
  assert.deepEqual(events, ["connect", "close", "end"]);
  client.free();
});

test("a Uint8Array publish with plain options (the entry's fast path) keeps its qos and retain, and the path is not on the class", async () => {
  const { default: init, MqttClient } = await import(entry);
  await init();
  const client = new MqttClient({ url, clientId: `node-fast-${process.pid}` });
  assert.equal("publishPlain" in client, false, "an internal of the entry, not API");
  await client.connect();
  const topic = `mqtt-wasm/node/fast/${process.pid}`;
  const payload = new Uint8Array([1, 2, 3]);
  // QoS 1 resolves with the PUBACK's packet id; QoS 0 with {}.
  assert.equal(typeof (await client.publish(`${topic}/q1`, payload, { qos: 1, retain: true })).packetId, "number");
  assert.deepEqual(await client.publish(`${topic}/q0`, payload), {});
  const retained = new Promise((resolve) => client.on("message", (t, p, packet) => resolve({ t, p: [...p], packet })));
  await client.subscribe(`${topic}/q1`, { qos: 1 });
  const { t, p, packet } = await retained;
  assert.equal(t, `${topic}/q1`);
  assert.deepEqual(p, [1, 2, 3]);
  assert.equal(packet.qos, 1);
  assert.equal(packet.retain, true, "published with retain: true");
  // A wrong option still takes the general path and is named.
  await assert.rejects(client.publish(topic, payload, { qos: 3 }), (e) => e.code === "InvalidArgument" && /qos/.test(e.message));
  await client.publish(`${topic}/q1`, new Uint8Array(0), { qos: 1, retain: true });
  await client.end();
});

test("credentialsProvider: a returned object and a promise are awaited; a throw and a rejection fail connect() without echoing the reason", async () => {
  const { default: init, MqttClient } = await import(entry);
  await init();
  const secret = "hunter2-token";
  let calls = 0;
  const connectWith = async (provider) => {
    const client = new MqttClient({ url, clientId: `node-cred-${process.pid}-${calls}`, reconnectPeriod: 0, credentialsProvider: () => (calls++, provider()) });
    try {
      return await client.connect();
    } finally {
      await client.end();
      client.free();
    }
  };
  assert.equal((await connectWith(() => ({ username: "u" }))).reasonCode, 0, "a plain object");
  assert.equal((await connectWith(() => Promise.resolve({ username: "u" }))).reasonCode, 0, "a promise of one");
  for (const [how, provider] of [
    ["a throw", () => { throw new Error(secret); }],
    ["a rejection", () => Promise.reject(new Error(secret))],
    ["a wrong value", () => Promise.resolve(42)],
  ]) {
    await assert.rejects(connectWith(provider), (e) => {
      assert.equal(e.code, "InvalidArgument", how);
      assert.match(e.message, /credentialsProvider failed/, how);
      assert.doesNotMatch(e.message, /hunter2/, how);
      return true;
    });
  }
  assert.equal(calls, 5, "called once per connect");
});
