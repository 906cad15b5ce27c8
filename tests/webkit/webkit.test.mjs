// WebKit (WebKitGTK's MiniBrowser, the engine of Safari): the core round
// trips of the API in the built package, driven by WebKitWebDriver under
// Xvfb. playwright-core cannot drive the system WebKit, so this speaks W3C
// WebDriver over HTTP itself; classic WebDriver has no init scripts and no
// exposed functions, so each scenario runs as one async script in the page
// and returns its results as a JSON string.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { startServer, brokerUrl } from "../js/harness.mjs";

const MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
const started = [];
let server;
let driver;
let session;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(check, what) {
  for (let i = 0; i < 100; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start`);
}

async function webdriver(method, path, body) {
  const res = await fetch(`${driver}${path}`, { method, headers: { "content-type": "application/json" }, body: body && JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value)}`);
  return json.value;
}

/** Runs `body` (an async function's source, given the package module and the broker URL) in the page. */
async function inPage(body) {
  const script = `const done = arguments[arguments.length - 1];
    (async () => { const mqtt = await import("/pkg/mqtt_wasm.js"); await mqtt.default(); const url = ${JSON.stringify(brokerUrl)};
      ${body} })().then((r) => done(JSON.stringify(r)), (e) => done(JSON.stringify({ thrown: String(e && (e.stack || e)) })));`;
  const out = JSON.parse(await webdriver("POST", `/session/${session}/execute/async`, { script, args: [] }));
  assert.equal(out.thrown, undefined, out.thrown);
  return out;
}

before(async () => {
  // A display no other X server holds.
  let n = 90;
  while (fs.existsSync(`/tmp/.X${n}-lock`)) n++;
  const display = `:${n}`;
  const xvfb = spawn("Xvfb", [display, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"], { stdio: "ignore" });
  started.push(xvfb);
  await new Promise((r) => setTimeout(r, 500));
  const port = await freePort();
  const wd = spawn("WebKitWebDriver", [`--port=${port}`], { stdio: "ignore", env: { ...process.env, DISPLAY: display } });
  started.push(wd);
  driver = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${driver}/status`)).ok, "WebKitWebDriver");
  server = await startServer();
  const created = await webdriver("POST", "/session", {
    capabilities: { alwaysMatch: { "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation"] } } },
  });
  session = created.sessionId;
  await webdriver("POST", `/session/${session}/timeouts`, { script: 60000 });
  await webdriver("POST", `/session/${session}/url`, { url: `${server.url}config.json` });
});

after(async () => {
  if (session) await webdriver("DELETE", `/session/${session}`).catch(() => {});
  server?.stop();
  for (const p of started.reverse()) p.kill();
});

test("WebKit: connect, publish and subscribe at QoS 0, 1 and 2, with v5 properties", async () => {
  const r = await inPage(`
    const client = new mqtt.MqttClient({ url, protocolVersion: 5 });
    const got = [];
    client.on("message", (t, payload, packet) => got.push([packet.qos, payload.toString(), packet.properties?.userProperties?.k ?? null]));
    const ack = await client.connect();
    const topic = "webkit/" + Math.random();
    await client.subscribe(topic, { qos: 2 });
    for (const qos of [0, 1, 2]) await client.publish(topic, "q" + qos, { qos, properties: { userProperties: { k: "v" + qos } } });
    for (let i = 0; i < 100 && got.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    await client.disconnect();
    return { reasonCode: ack.reasonCode, got, agent: navigator.userAgent };
  `);
  assert.match(r.agent, /AppleWebKit/);
  assert.doesNotMatch(r.agent, /Chrome|Firefox/, "WebKit itself, not another engine");
  assert.equal(r.reasonCode, 0);
  assert.deepEqual(r.got, [[0, "q0", "v0"], [1, "q1", "v1"], [2, "q2", "v2"]]);
});

test("WebKit: per-subscription handlers and reconnect()", async () => {
  const r = await inPage(`
    const client = new mqtt.MqttClient({ url });
    const base = "webkit-h/" + Math.random();
    const a = [], b = [];
    await client.connect();
    await client.subscribe(base + "/a", { qos: 1 }, (t) => a.push(t));
    await client.subscribe(base + "/+/x", { qos: 1 }, (t) => b.push(t));
    await client.publish(base + "/a", "1", { qos: 1 });
    await client.publish(base + "/b/x", "2", { qos: 1 });
    for (let i = 0; i < 100 && a.length + b.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    await client.disconnect();
    const again = await client.reconnect();
    const connected = client.connected;
    await client.end();
    return { a: a.length, b: b.length, again: again.reasonCode, connected };
  `);
  assert.deepEqual(r, { a: 1, b: 1, again: 0, connected: true });
});

test("WebKit: the durable store keeps a publish made offline across a new client", async () => {
  const r = await inPage(`
    const clientId = "webkit-durable-" + Math.floor(Math.random() * 1e6);
    const topic = "webkit-d/" + clientId;
    const sub = new mqtt.MqttClient({ url, clientId: clientId + "-s" });
    const got = [];
    sub.on("message", (t, p) => got.push(p.toString()));
    await sub.connect();
    await sub.subscribe(topic, { qos: 1 });
    // Queued offline, stored in IndexedDB, then the object is gone.
    const first = new mqtt.MqttClient({ url: "ws://127.0.0.1:1/mqtt", clientId, clean: false, store: "indexeddb", reconnectPeriod: 0 });
    const queued = first.publish(topic, "kept", { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    first.free();
    await queued.catch(() => {});
    const second = new mqtt.MqttClient({ url, clientId, clean: false, store: "indexeddb" });
    await second.connect();
    for (let i = 0; i < 100 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    await second.disconnect();
    await sub.disconnect();
    return { got };
  `);
  assert.deepEqual(r.got, ["kept"]);
});

test("WebKit: a connection the broker drops is reconnected automatically and the subscription goes on", async () => {
  const r = await inPage(`
    const clientId = "webkit-auto-" + Math.floor(Math.random() * 1e6);
    const topic = "webkit-auto/" + clientId;
    const client = new mqtt.MqttClient({ url, clientId, reconnectPeriod: 100 });
    const events = [];
    const got = [];
    for (const e of ["connect", "offline", "reconnect"]) client.on(e, () => events.push(e));
    client.on("message", (t, p) => got.push(p.toString()));
    await client.connect();
    await client.subscribe(topic, { qos: 1 });
    // A second connection with the same client id: the broker closes the first.
    const thief = new mqtt.MqttClient({ url, clientId, reconnectPeriod: 0 });
    await thief.connect();
    await thief.disconnect();
    for (let i = 0; i < 100 && events.filter((e) => e === "connect").length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const pub = new mqtt.MqttClient({ url });
    await pub.connect();
    await pub.publish(topic, "after", { qos: 1 });
    for (let i = 0; i < 100 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    await pub.disconnect();
    await client.disconnect();
    return { events, got };
  `);
  assert.deepEqual(r.events.slice(0, 4), ["connect", "offline", "reconnect", "connect"]);
  assert.deepEqual(r.got, ["after"], "subscribed again on the new connection");
});

test("WebKit: SharedMqttClient through a SharedWorker, request/response and messages()", async () => {
  const r = await inPage(`
    const base = "webkit-shared/" + Math.random();
    const device = new mqtt.MqttClient({ url, protocolVersion: 5 });
    await device.connect();
    await device.respond(base + "/rpc", (t, p) => "pong " + p, { qos: 1 });
    const tab = new mqtt.SharedMqttClient({ url, protocolVersion: 5 });
    await tab.connect();
    const reply = await tab.request(base + "/rpc", "ping", { timeout: 5000 });
    const stream = tab.messages(base + "/s");
    await stream.subscribed;
    await device.publish(base + "/s", "item", { qos: 1 });
    const { value } = await stream.next();
    await stream.return();
    await tab.disconnect();
    await device.disconnect();
    return { shared: tab.shared, reply: reply.payload.toString(), item: value.payload.toString() };
  `);
  assert.deepEqual(r, { shared: true, reply: "pong ping", item: "item" });
});

test("WebKit: the shared connection keeps its keepalive on the worker's own timers", async () => {
  // No timer worker nested in the SharedWorker (host.js): a timer that
  // never fired would let the broker drop the connection after 3 s (1.5
  // times the keepalive; 2 s leaves a late ping timer a second of slack).
  const r = await inPage(`
    const tab = new mqtt.SharedMqttClient({ url, keepalive: 2 });
    const events = [];
    for (const e of ["close", "offline", "reconnect", "error"]) tab.on(e, () => events.push(e));
    await tab.connect();
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const result = { shared: tab.shared, connected: tab.connected, events };
    await tab.disconnect();
    return result;
  `);
  assert.deepEqual(r, { shared: true, connected: true, events: [] });
});
