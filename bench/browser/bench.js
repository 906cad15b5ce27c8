// The browser benchmark: the same workloads for mqtt-wasm, MQTT.js (its
// browser bundle), Eclipse Paho and a raw-WebSocket baseline, in one page,
// against one broker. Runs on load, then POSTs its figures to /results.
// The page is opened by a Chromium that no automation tool instruments
// (bench/run.mjs), so WebSocket frames are not copied out to a driver.
import init, { MqttClient } from "/pkg/mqtt_wasm.js";
import mqtt from "/node_modules/mqtt/dist/mqtt.esm.js";

const params = new URLSearchParams(location.search);
const URL_ = params.get("broker");
const RUNS = Number(params.get("runs") || 7);
const LONG = Number(params.get("long") || 1000000);
// Messages per round, as a multiple of the base counts below.
const SCALE = Number(params.get("scale") || 1);
/** Shows the current step, and reports it to the runner (bench/run.mjs
 * prints it, and names it if the page stops reporting). */
let step = "";
function status(text, detail = "") {
  step = text;
  report(detail);
}
/** Reports a phase within the current step (connect, subscribe, ...). */
function report(detail) {
  const text = detail ? `${step}: ${detail}` : step;
  document.getElementById("status").textContent = text;
  fetch("/progress", { method: "POST", body: text }).catch(() => {});
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let seq = 0;
/** Messages a workload waited for and never got (QoS 0 promises nothing). */
const shortfalls = {};

/** Resolves when `count()` reaches `target`, or once it has not moved for
 * 3 s (a QoS 0 message the broker dropped, or a promise that never
 * settled, must not hang the run); notes any shortfall under `label`. */
async function arrived(count, target, label) {
  let last = -1, since = performance.now();
  while (count() < target) {
    const now = performance.now();
    if (count() !== last) [last, since] = [count(), now];
    else if (now - since > 3000) {
      shortfalls[label] = (shortfalls[label] || 0) + target - count();
      return;
    }
    await sleep(5);
  }
}
const uid = (p) => `${p}-${Date.now().toString(36)}-${seq++}`;

// ----- one interface over the three clients -------------------------------------

const clients = {
  "mqtt-wasm": async (onMessage) => {
    const c = new MqttClient({
      url: URL_, clientId: uid("w"), reconnectPeriod: 0, maxQueuedMessages: 1_000_000, keepalive: 60,
      // The benchmark broker has no inflight window (max_inflight_messages
      // 0): a QoS 2 burst can hold more unreleased messages than the
      // default bound, which 3.1.1 cannot announce.
      maxUnreleasedMessages: 65535,
    });
    c.on("message", onMessage);
    await c.connect();
    return {
      subscribe: (t, qos) => c.subscribe(t, { qos }),
      publish: (t, payload, qos) => c.publish(t, payload, { qos }),
      end: () => c.disconnect(),
      // What a stalled run reports: where the client's operations are.
      state: () => `${c.state}, ${c.inflightCount} in flight, ${c.queuedCount} queued`,
    };
  },
  "mqtt.js": (onMessage) => new Promise((resolve, reject) => {
    const c = mqtt.connect(URL_, { clientId: uid("m"), reconnectPeriod: 0, protocolVersion: 4, keepalive: 60 });
    c.on("message", (t, payload) => onMessage(t, payload));
    c.once("error", reject);
    c.once("connect", () => resolve({
      subscribe: (t, qos) => new Promise((res, rej) => c.subscribe(t, { qos }, (e) => (e ? rej(e) : res()))),
      publish: (t, payload, qos) => new Promise((res, rej) => c.publish(t, payload, { qos }, (e) => (e ? rej(e) : res()))),
      end: () => new Promise((res) => c.end(true, {}, res)),
    }));
  }),
  "paho": (onMessage) => new Promise((resolve, reject) => {
    const c = new window.Paho.Client(URL_, uid("p"));
    const delivered = new Map();
    c.onMessageArrived = (m) => onMessage(m.destinationName, m.payloadBytes);
    c.onMessageDelivered = (m) => { const cb = delivered.get(m); delivered.delete(m); cb?.(); };
    c.connect({
      mqttVersion: 4, cleanSession: true, keepAliveInterval: 60, timeout: 10,
      onFailure: (e) => reject(new Error(e.errorMessage)),
      onSuccess: () => resolve({
        subscribe: (t, qos) => new Promise((res, rej) => c.subscribe(t, { qos, onSuccess: res, onFailure: rej })),
        publish: (t, payload, qos) => new Promise((res) => {
          const m = new window.Paho.Message(payload);
          m.destinationName = t;
          m.qos = qos;
          if (qos > 0) delivered.set(m, res);
          c.send(m);
          if (qos === 0) res();
        }),
        end: () => { c.disconnect(); return Promise.resolve(); },
      }),
    });
  }),
};

// ----- the raw WebSocket baseline ------------------------------------------------------

const enc = new TextEncoder();
function str(s) { const b = enc.encode(s); return [b.length >> 8, b.length & 255, ...b]; }
function packet(first, body) {
  const len = [];
  let n = body.length;
  do { let d = n % 128; n = Math.floor(n / 128); if (n > 0) d |= 128; len.push(d); } while (n > 0);
  return new Uint8Array([first, ...len, ...body]);
}
/** Splits a stream of frames into whole packets: calls `on(first, buf,
 * start, end)` with each packet's first byte and where its body lies in
 * `buf`, and returns how many PUBLISH packets the frame completed. */
function packetSplitter(on) {
  let buf = new Uint8Array(0);
  return (frame) => {
    let joined = frame;
    if (buf.length) {
      joined = new Uint8Array(buf.length + frame.length);
      joined.set(buf);
      joined.set(frame, buf.length);
    }
    let i = 0, publishes = 0;
    for (;;) {
      let len = 0, mult = 1, j = i + 1;
      for (; j < joined.length && j < i + 5; j++) { len += (joined[j] & 127) * mult; mult *= 128; if (!(joined[j] & 128)) break; }
      if (j >= joined.length || j + 1 + len > joined.length) break;
      if (joined[i] >> 4 === 3) publishes++;
      on(joined[i], joined, j + 1, j + 1 + len);
      i = j + 1 + len;
    }
    buf = joined.slice(i);
    return publishes;
  };
}

/** A minimal hand-written MQTT 3.1.1 client on a bare WebSocket, connected:
 * `onPacket` sees every packet after the CONNACK, `onFrame` runs after each
 * frame's packets (to send the replies they asked for in one frame). */
async function rawConnection(onPacket, onFrame = () => {}) {
  const ws = new WebSocket(URL_, "mqtt");
  ws.binaryType = "arraybuffer";
  await new Promise((r) => (ws.onopen = r));
  let connected;
  const connack = new Promise((r) => (connected = r));
  const split = packetSplitter((first, buf, start, end) => (first === 0x20 ? connected() : onPacket(first, buf, start, end)));
  ws.onmessage = (e) => {
    split(new Uint8Array(e.data));
    onFrame(ws);
  };
  ws.send(packet(0x10, [...str("MQTT"), 4, 2, 0, 60, ...str(uid("r"))]));
  await connack;
  return ws;
}

/** Subscribes a raw connection to `topic` at `qos`; resolves on the SUBACK,
 * which `onPacket` must pass to the returned `suback`. */
function rawSubscribe(ws, topic, qos) {
  let suback;
  const done = new Promise((r) => (suback = r));
  ws.send(packet(0x82, [0, 1, ...str(topic), qos]));
  return { done, suback };
}

/** What a raw connection writes with: one send per packet (`simple`), or
 * coalescing as mqtt-wasm does: every packet written in one task goes out
 * in one send, flushed in a microtask or when 64 KiB are waiting. */
function writer(ws, coalesce) {
  if (!coalesce) return (p) => ws.send(p);
  let parts = [], bytes = 0, scheduled = false;
  const flush = () => {
    scheduled = false;
    if (!parts.length) return;
    const out = new Uint8Array(bytes);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    [parts, bytes] = [[], 0];
    ws.send(out);
  };
  return (p) => {
    parts.push(p);
    bytes += p.length;
    if (bytes >= 65536) flush();
    else if (!scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
  };
}

/** `f(ws)` once after a burst of frames: from a MessageChannel task, which
 * queues behind the frames already waiting (no timer delay). */
function afterBurst(f) {
  const channel = new MessageChannel();
  let socket = null;
  channel.port1.onmessage = () => {
    const ws = socket;
    socket = null;
    f(ws);
  };
  return (ws) => {
    if (socket === null) channel.port2.postMessage(null);
    socket = ws;
  };
}

/** The raw baseline of a throughput workload: pre-encoded PUBLISH packets
 * (one send each, or coalesced) to the client's own subscription, QoS
 * acknowledgements answered with the fewest bytes: one send per received
 * frame, or, coalescing, one per burst of frames (sent from a task queued
 * behind the frames already waiting, as mqtt-wasm does), timed like the
 * clients: until every publish is acknowledged and every message has
 * arrived (a QoS 2 one: been released). */
async function rawThroughput(n, size, qos, coalesce = false) {
  const topic = uid("raw");
  let received = 0, acked = qos === 0 ? n : 0, sub;
  const replies = [];
  const onPacket = (first, buf, start) => {
    const type = first >> 4;
    if (type === 3) {
      // A QoS 2 message counts when the broker releases it (PUBREL, below):
      // the API's contract delivers it then, as MQTT.js and Paho do.
      if (qos < 2) received++;
      if (qos > 0) {
        const at = start + 2 + ((buf[start] << 8) | buf[start + 1]);
        replies.push(qos === 1 ? 0x40 : 0x50, 2, buf[at], buf[at + 1]); // PUBACK or PUBREC
      }
    } else if (type === 4 || type === 7) acked++; // PUBACK, PUBCOMP
    else if (type === 5) replies.push(0x62, 2, buf[start], buf[start + 1]); // PUBREC -> PUBREL
    else if (type === 6) {
      received++;
      replies.push(0x70, 2, buf[start], buf[start + 1]); // PUBREL -> PUBCOMP
    }
    else if (type === 9) sub.suback();
  };
  const answer = (ws) => {
    if (replies.length) ws.send(new Uint8Array(replies.splice(0)));
  };
  const ws = await rawConnection(onPacket, coalesce ? afterBurst(answer) : answer);
  sub = rawSubscribe(ws, topic, qos);
  await sub.done;
  const body = (pid) => [...str(topic), ...(qos ? [pid >> 8, pid & 255] : []), ...new Uint8Array(size).fill(90)];
  const publishes = qos === 0 ? Array(n).fill(packet(0x30, body(0))) : Array.from({ length: n }, (_, i) => packet(0x30 | (qos << 1), body(i + 1)));
  const write = writer(ws, coalesce);
  const t0 = performance.now();
  for (const p of publishes) write(p);
  await arrived(() => Math.min(received, acked), n, `raw QoS ${qos} ${size} B`);
  const ms = performance.now() - t0;
  ws.close();
  return n / ms * 1000;
}

/** The raw baseline of fan-in: `publishers` bare sockets each send `each`
 * pre-encoded QoS 0 PUBLISH packets (one send each, or coalesced) to one
 * subscribing socket. */
async function rawFanIn(publishers, each, coalesce = false) {
  const topic = uid("rawfan");
  const total = publishers * each;
  let received = 0, sub;
  const subscriber = await rawConnection((first) => {
    if (first >> 4 === 3) received++;
    else if (first >> 4 === 9) sub.suback();
  });
  sub = rawSubscribe(subscriber, topic, 0);
  await sub.done;
  const pubs = await Promise.all(Array.from({ length: publishers }, () => rawConnection(() => {})));
  const publish = packet(0x30, [...str(topic), ...new Uint8Array(64).fill(90)]);
  const t0 = performance.now();
  for (const ws of pubs) {
    const write = writer(ws, coalesce);
    for (let i = 0; i < each; i++) write(publish);
  }
  await arrived(() => received, total, "raw fan-in");
  const ms = performance.now() - t0;
  for (const ws of [subscriber, ...pubs]) ws.close();
  return received / ms * 1000;
}

// ----- workloads -----------------------------------------------------------------------

async function throughput(name, n, size, qos) {
  const payload = new Uint8Array(size).fill(90);
  const topic = uid("tp");
  let received = 0;
  report("connect");
  const c = await clients[name](() => received++);
  report("subscribe");
  await c.subscribe(topic, qos);
  report("publish");
  let acked = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) c.publish(topic, payload, qos).then(() => acked++);
  await arrived(() => acked, n, `${name} QoS ${qos} ${size} B acknowledgements`);
  if (acked < n && c.state) shortfalls[`${name} QoS ${qos} ${size} B client state`] = c.state();
  await arrived(() => received, n, `${name} QoS ${qos} ${size} B`);
  const ms = performance.now() - t0;
  report("end");
  await c.end();
  return received / ms * 1000;
}

async function fanIn(name, publishers, each) {
  const topic = uid("fan");
  const total = publishers * each;
  let received = 0;
  const sub = await clients[name](() => received++);
  await sub.subscribe(topic, 0);
  const pubs = await Promise.all(Array.from({ length: publishers }, () => clients[name](() => {})));
  const payload = new Uint8Array(64).fill(90);
  const t0 = performance.now();
  await Promise.all(pubs.map(async (p) => { for (let i = 0; i < each; i++) p.publish(topic, payload, 0); }));
  await arrived(() => received, total, `${name} fan-in`);
  const ms = performance.now() - t0;
  await Promise.all([sub, ...pubs].map((c) => c.end()));
  return received / ms * 1000;
}

async function connectLatency(name) {
  const times = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const c = await clients[name](() => {});
    times.push(performance.now() - t0);
    await c.end();
  }
  return median(times);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function heapMb(wasm) {
  window.gc?.();
  await sleep(50);
  window.gc?.();
  const js = performance.memory ? performance.memory.usedJSHeapSize : NaN;
  return (js + (wasm ? wasm.memory.buffer.byteLength : 0)) / 1048576;
}

/** JS heap plus wasm memory after 10,000 and after LONG QoS 0 messages, mqtt-wasm only. */
async function heapFlatness(wasm) {
  const topic = uid("heap");
  let received = 0, target = 0;
  const c = await clients["mqtt-wasm"](() => received++);
  await c.subscribe(topic, 0);
  const payload = new Uint8Array(64).fill(90);
  const pump = async (n) => {
    target += n;
    for (let sent = 0; sent < n; sent += 1000) {
      for (let i = 0; i < 1000; i++) c.publish(topic, payload, 0);
      await sleep(0);
    }
    await arrived(() => received, target, "mqtt-wasm heap check");
  };
  await pump(10000);
  const after10k = await heapMb(wasm);
  await pump(LONG - 10000);
  const afterLong = await heapMb(wasm);
  await c.end();
  return { after10k, afterLong };
}

// ----- the run ---------------------------------------------------------------------------

// A workload that throws stops the page: report it, so the runner fails
// with the error at once rather than waiting for progress.
const failed = (e) => report(`failed: ${e?.code ? `${e.code}: ` : ""}${e?.message ?? e}`);
addEventListener("error", (e) => failed(e.error ?? e.message));
addEventListener("unhandledrejection", (e) => failed(e.reason));

const wasm = await init();
const results = { date: new Date().toISOString(), runs: RUNS, userAgent: navigator.userAgent, workloads: {}, samples: {}, heap: {} };
const names = ["mqtt-wasm", "mqtt.js", "paho"];
// [label, run one client, run the raw baselines (throughput workloads; `true`: coalescing)]
const workloads = [
  ["connect latency (ms, median of 20)", (n) => connectLatency(n), null],
  ...[[20000, 64, 0], [10000, 1024, 0], [5000, 64, 1], [3000, 64, 2]].map(([count, size, qos]) => [
    `QoS ${qos}, ${size < 1024 ? `${size} B` : `${size / 1024} KiB`} (msg/s)`,
    (n) => throughput(n, count * SCALE, size, qos),
    (c) => rawThroughput(count * SCALE, size, qos, c),
  ]),
  [`fan-in, 10 x ${1000 * SCALE} QoS 0 (msg/s)`, (n) => fanIn(n, 10, 1000 * SCALE), (c) => rawFanIn(10, 1000 * SCALE, c)],
];
// ?only=<text> runs just the workloads whose label contains it.
const only = params.get("only");
for (const [label, run, raw] of workloads.filter(([label]) => !only || label.includes(only))) {
  const contenders = names.map((name) => [name, () => run(name)]);
  if (raw) contenders.push(["raw WebSocket", () => raw(false)], ["raw coalescing", () => raw(true)]);
  // Round by round, every contender once per round: the machine's drift
  // (the broker's state, other processes, the page's heap) falls on all of
  // them alike instead of on whichever ran last, and each round starts
  // with the next contender. Round 0 warms every contender up (the JIT,
  // the broker's buffers) and is not counted: the first figure of a series
  // was often its lowest, most of all for whichever contender ran first.
  const xs = Object.fromEntries(contenders.map(([key]) => [key, []]));
  for (let r = 0; r <= RUNS; r++) {
    const turn = r % contenders.length;
    for (const [key, once] of [...contenders.slice(turn), ...contenders.slice(0, turn)]) {
      status(`${label}: ${key} ${r ? `run ${r}` : "warm-up"}`);
      const x = await once();
      if (r > 0) xs[key].push(x);
      if (r === RUNS && names.includes(key)) results.heap[`${label} / ${key}`] = await heapMb(key === "mqtt-wasm" ? wasm : null);
    }
  }
  results.workloads[label] = Object.fromEntries(Object.entries(xs).map(([key, v]) => [key, median(v)]));
  // Every run's figure, in run order: the spread behind each median.
  results.samples[label] = xs;
}
status("heap flatness");
results.heapFlatness = { messages: LONG, ...(await heapFlatness(wasm)) };
results.shortfalls = shortfalls;
status("done");
await fetch("/results", { method: "POST", body: JSON.stringify(results) });
