// Fault injection against a real Mosquitto with persistent sessions: while
// two clients exchange QoS 1 and QoS 2 streams both ways, the WebSocket
// connections are dropped repeatedly (a TCP proxy cuts them) and the broker
// is stopped and restarted (persistence on). Afterwards no QoS 1 message is
// lost, no QoS 2 message is lost or duplicated, per-topic order holds, and
// every publish promise has settled.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, launch, packagePage } from "./harness.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const N = 300;
let server, browser, page, dir, conf, broker, proxy;
const sockets = new Set();

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function waitPort(port) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10000;
    const attempt = () => {
      const s = net.connect(port, "127.0.0.1", () => { s.destroy(); resolve(); });
      s.on("error", () => (Date.now() > deadline ? reject(new Error(`port ${port}`)) : setTimeout(attempt, 50)));
    };
    attempt();
  });
}

async function startBroker() {
  broker = spawn("mosquitto", ["-c", conf], { stdio: "ignore" });
  await waitPort(ports.ws);
}

function stopBroker() {
  return new Promise((resolve) => {
    broker.once("exit", resolve);
    broker.kill("SIGTERM");
  });
}

const ports = {};

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mqtt-wasm-faults-"));
  fs.chmodSync(dir, 0o777); // Mosquitto started as root runs as "mosquitto"
  ports.ws = await freePort();
  ports.tcp = await freePort();
  conf = path.join(dir, "mosquitto.conf");
  fs.writeFileSync(conf, fs.readFileSync(path.join(root, "tests/broker/mosquitto-persistent.conf"), "utf8")
    .replaceAll("@WS_PORT@", ports.ws).replaceAll("@TCP_PORT@", ports.tcp).replaceAll("@DIR@", dir));
  await startBroker();
  // The proxy the clients connect through; cutting its sockets is a
  // network failure as the browser sees one.
  proxy = net.createServer((client) => {
    const upstream = net.connect(ports.ws, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  server = await startServer();
  browser = await launch();
  page = await packagePage(browser, server.url);
});

after(async () => {
  await browser?.close();
  server?.stop();
  proxy?.close();
  for (const s of sockets) s.destroy();
  if (broker && broker.exitCode === null) await stopBroker();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test("QoS 1 and 2 survive dropped connections and a broker restart", { timeout: 90000 }, async () => {
  const url = `ws://127.0.0.1:${proxy.address().port}/mqtt`;
  const run = page.evaluate(async ({ url, N }) => {
    const { MqttClient } = window.mqtt;
    const make = (id) => new MqttClient({
      url, clientId: `faults-${id}`, protocolVersion: 5, clean: false,
      sessionExpiryInterval: 300, keepalive: 5, reconnectPeriod: 100, maxReconnectPeriod: 400, connectTimeout: 3000,
    });
    const peers = { a: make("a"), b: make("b") };
    const received = { a: { 1: [], 2: [] }, b: { 1: [], 2: [] } };
    const reconnects = { a: 0, b: 0 };
    for (const [name, client] of Object.entries(peers)) {
      client.on("message", (topic, payload) => {
        const qos = topic.endsWith("/q2") ? 2 : 1;
        received[name][qos].push(Number(new TextDecoder().decode(payload)));
      });
      client.on("reconnect", () => reconnects[name]++);
      await client.connect();
    }
    await peers.a.subscribe(["faults/b/q1", "faults/b/q2"], { qos: 2 });
    await peers.b.subscribe(["faults/a/q1", "faults/a/q2"], { qos: 2 });
    const outcomes = [];
    for (let i = 0; i < N; i++) {
      for (const [name, client] of Object.entries(peers)) {
        outcomes.push(client.publish(`faults/${name}/q1`, String(i), { qos: 1 }));
        outcomes.push(client.publish(`faults/${name}/q2`, String(i), { qos: 2 }));
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    const settled = await Promise.allSettled(outcomes);
    // Let the last deliveries arrive.
    const complete = () => ["a", "b"].every((n) => new Set(received[n][1]).size >= N && received[n][2].length >= N);
    for (let i = 0; i < 200 && !complete(); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    const rejected = settled.filter((s) => s.status === "rejected").map((s) => `${s.reason.code}: ${s.reason.message}`);
    for (const client of Object.values(peers)) await client.disconnect();
    return { received, rejected, fulfilled: settled.filter((s) => s.status === "fulfilled").length, reconnects };
  }, { url, N });

  // The faults, while the streams flow (~7.5 s of publishing).
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const faults = [];
  for (let k = 0; k < 3; k++) {
    await sleep(1200);
    faults.push(`drop ${sockets.size / 2} connections`);
    for (const s of sockets) s.destroy();
  }
  await sleep(500);
  faults.push("broker stop");
  await stopBroker();
  await sleep(700);
  await startBroker();
  faults.push("broker start");
  await sleep(1500);
  faults.push(`drop ${sockets.size / 2} connections`);
  for (const s of sockets) s.destroy();

  const r = await run;
  const report = {};
  for (const peer of ["a", "b"]) {
    const from = peer === "a" ? "b" : "a";
    const q1 = r.received[peer][1];
    const q2 = r.received[peer][2];
    const firstSeen = q1.filter((v, i) => q1.indexOf(v) === i);
    report[`${from}->${peer}`] = {
      qos1: { received: q1.length, distinct: new Set(q1).size, duplicates: q1.length - new Set(q1).size },
      qos2: { received: q2.length, distinct: new Set(q2).size },
    };
    const all = [...Array(N).keys()];
    assert.deepEqual([...new Set(q1)].sort((x, y) => x - y), all, `QoS 1 ${from}->${peer}: none lost`);
    assert.deepEqual(firstSeen, all, `QoS 1 ${from}->${peer}: in order`);
    assert.deepEqual(q2, all, `QoS 2 ${from}->${peer}: each exactly once, in order`);
  }
  console.log(`faults: ${faults.join(", ")}; reconnects: a ${r.reconnects.a}, b ${r.reconnects.b}`);
  console.log(`publishes settled: ${r.fulfilled} resolved, ${r.rejected.length} rejected`);
  console.log(JSON.stringify(report));
  assert.deepEqual(r.rejected, [], "every publish resolved");
  assert.equal(r.fulfilled, 4 * N);
  assert.ok(r.reconnects.a >= 3 && r.reconnects.b >= 3, "the faults really hit both clients");
});
