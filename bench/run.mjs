// Runs the browser benchmark (bench/browser/) and prints the figures side
// by side: mqtt-wasm, MQTT.js, Paho and a raw-WebSocket baseline, with
// ratios. Expects MQTT_WS_URL (the benchmark broker), BROKER_TCP_PORT (for
// the keep-awake ticker) and SERVER_URL (scripts/serve.mjs with
// BENCH_RESULTS set to RESULTS). Writes the figures as JSON there.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { printSizes, sizes } from "./size.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { MQTT_WS_URL, BROKER_TCP_PORT, SERVER_URL, RESULTS } = process.env;
const runs = process.env.BENCH_RUNS || "7";
const long = process.env.BENCH_LONG || "1000000";
const only = process.env.BENCH_ONLY || "";
const scale = process.env.BENCH_SCALE || "1";
const launchCount = Number(process.env.BENCH_LAUNCHES || 3);

// An idle Mosquitto 2.0 only services websockets when its loop wakes (every
// 100 ms); a client pinging on the TCP listener every 2 ms keeps it awake, so
// we measure the clients, not the broker's tick.
function keepAwake() {
  const s = net.connect(Number(BROKER_TCP_PORT), "127.0.0.1");
  s.on("error", () => {});
  const id = Buffer.from("bench-ticker");
  const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, id.length]), id]);
  s.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
  const timer = setInterval(() => s.write(Buffer.from([0xc0, 0x00])), 2);
  return () => { clearInterval(timer); s.destroy(); };
}

// BENCH_PIN: Chromium held to CPU 0 (scripts/bench.sh holds Mosquitto to
// CPU 1), so the clients' own work decides more and the machine's
// scheduling less: a fifth of the spread, for comparing two builds.
const browserBin = process.env.CHROMIUM || "/usr/bin/chromium";
const [command, ...pinned] = process.env.BENCH_PIN ? ["taskset", "-c", "0", browserBin] : [browserBin];

// One browser launch running the page; returns its figures. A contender's
// figures moved by up to 20% from one launch to the next (the state a page
// load leaves its JIT and heap in) while they moved by a few percent within
// a launch: BENCH_LAUNCHES runs the page in that many fresh browsers.
async function launch(heapLong) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "mqtt-wasm-bench-"));
  fs.rmSync(RESULTS, { force: true });
  const page = `${SERVER_URL}bench/index.html?broker=${encodeURIComponent(MQTT_WS_URL)}&runs=${runs}&long=${heapLong}&only=${encodeURIComponent(only)}&scale=${scale}`;
  const chromium = spawn(command, [...pinned,
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--enable-precise-memory-info", "--js-flags=--expose-gc", `--user-data-dir=${profile}`, page,
  ], { stdio: "ignore" });
  // The page reports each step; one that makes no progress for 3 minutes
  // (every workload guards its own waits, so this means a bug) ends the run.
  const progressFile = `${RESULTS}.progress`;
  fs.rmSync(progressFile, { force: true });
  let step = "", since = Date.now();
  while (!fs.existsSync(RESULTS) || fs.statSync(RESULTS).size === 0) {
    const now = fs.existsSync(progressFile) ? fs.readFileSync(progressFile, "utf8") : step;
    if (now !== step) {
      [step, since] = [now, Date.now()];
      process.stderr.write(`  ${step}\n`);
      if (step.includes(": failed: ")) {
        chromium.kill();
        stop();
        throw new Error(`the benchmark page failed at "${step}"`);
      }
    } else if (Date.now() - since > 3 * 60 * 1000) {
      chromium.kill();
      stop();
      throw new Error(`the benchmark page stalled at "${step}"`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  fs.rmSync(progressFile, { force: true });
  const exited = new Promise((r) => chromium.once("exit", r));
  chromium.kill();
  await exited;
  // Chromium's helper processes can outlive the browser by a moment and still
  // write to the profile: retry for up to 5 s, then leave the temporary
  // folder rather than lose the figures.
  try {
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
  } catch (e) {
    console.error(`left the browser profile ${profile}: ${e.message}`);
  }
  return JSON.parse(fs.readFileSync(RESULTS, "utf8"));
}

const stop = keepAwake();
const launches = [];
for (let i = 0; i < launchCount; i++) {
  if (launchCount > 1) process.stderr.write(`  launch ${i + 1} of ${launchCount}\n`);
  // The long heap check runs once, in the last launch.
  launches.push(await launch(i === launchCount - 1 ? long : "20000"));
}
stop();
// Every launch's rounds together: the medians are over all of them.
const results = launches[launches.length - 1];
results.date = launches[0].date;
results.runs = launches.reduce((n, r) => n + r.runs, 0);
results.launches = launches.length;
for (const label of Object.keys(results.samples)) {
  for (const key of Object.keys(results.samples[label])) {
    const all = launches.flatMap((r) => r.samples[label][key]);
    results.samples[label][key] = all;
    results.workloads[label][key] = median(all);
  }
}

results.bundle = sizes();
results.settings = "Mosquitto 2.0 (max_inflight_messages 0, max_queued_messages 0), keep-awake PINGREQ every 2 ms on its TCP listener; unmanaged headless Chromium" +
  (process.env.BENCH_PIN ? "; Chromium on CPU 0, Mosquitto on CPU 1" : "") + (scale !== "1" ? `; ${scale}x the messages per round` : "");
fs.writeFileSync(RESULTS, JSON.stringify(results, null, 2));

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const over = results.launches > 1 ? ` over ${results.launches} browser launches` : "";
console.log(`\nbrowser benchmark, ${results.date}, medians of ${results.runs} runs${over}; ${results.settings}`);
// "raw WS": one send per packet; "raw coal.": coalescing as mqtt-wasm does
// (the honest limit); "of raw" and "of coal." are mqtt-wasm's share of each,
// paired round by round (`pairedShare`); "±" is the standard error of "of
// coal.": the resolution of the share in this run.
console.log(`${"workload".padEnd(36)}${"mqtt-wasm".padStart(11)}${"mqtt.js".padStart(10)}${"paho".padStart(10)}${"raw WS".padStart(10)}${"raw coal.".padStart(10)}  vs mqtt.js  vs paho  of raw  of coal.     ±`);
for (const [label, row] of Object.entries(results.workloads)) {
  const lower = label.startsWith("connect");
  const ratio = (a, b) => (lower ? b / a : a / b);
  const [raw, coalescing] = [row["raw WebSocket"], row["raw coalescing"]];
  const [ofRaw, ofCoalescing] = raw ? ["raw WebSocket", "raw coalescing"].map((key) => pairedShare(results.samples[label], key)) : [];
  const share = (s) => (s ? `${(100 * s.share).toFixed(0)}%` : "");
  console.log(
    `${label.padEnd(36)}${fmt(row["mqtt-wasm"]).padStart(11)}${fmt(row["mqtt.js"]).padStart(10)}${fmt(row.paho).padStart(10)}${(raw ? fmt(raw) : "").padStart(10)}${(coalescing ? fmt(coalescing) : "").padStart(10)}` +
    `  ${ratio(row["mqtt-wasm"], row["mqtt.js"]).toFixed(2).padStart(8)}x ${ratio(row["mqtt-wasm"], row.paho).toFixed(2).padStart(6)}x ${share(ofRaw).padStart(6)} ${share(ofCoalescing).padStart(8)}` +
    (ofCoalescing ? `${(100 * ofCoalescing.error).toFixed(0).padStart(5)}%` : ""),
  );
}
console.log("\nheap after each workload (MB; JS heap, plus wasm memory for mqtt-wasm, which never shrinks)");
console.log(`${"workload".padEnd(36)}${"mqtt-wasm".padStart(11)}${"mqtt.js".padStart(10)}${"paho".padStart(10)}`);
for (const label of Object.keys(results.workloads)) {
  const heap = (name) => results.heap[`${label} / ${name}`];
  console.log(`${label.padEnd(36)}${heap("mqtt-wasm").toFixed(1).padStart(11)}${heap("mqtt.js").toFixed(1).padStart(10)}${heap("paho").toFixed(1).padStart(10)}`);
}
printSizes(results.bundle);
const h = results.heapFlatness;
console.log(`\nmqtt-wasm heap (JS heap + wasm memory): ${h.after10k.toFixed(1)} MB after 10,000 QoS 0 messages, ${h.afterLong.toFixed(1)} MB after ${h.messages.toLocaleString("en")}`);
const short = Object.entries(results.shortfalls || {});
if (short.length) console.log(`QoS 0 messages the broker dropped (rates count what arrived): ${short.map(([k, v]) => `${k}: ${v}`).join(", ")}`);
console.log(`figures written to ${RESULTS}`);

/** mqtt-wasm's share of `against`: the median of the two clients' ratios
 * round by round, with its standard error (about 1.25 sigma / sqrt(n)).
 * Both ran in the same round, one after the other, so what moves a whole
 * round or a whole launch (the broker's state, the machine, the page's JIT:
 * up to 20% from one launch to the next) divides out, where a ratio of the
 * two medians carries both contenders' spread. */
function pairedShare(samples, against) {
  const [w, c] = [samples["mqtt-wasm"], samples[against]];
  const ratios = w.map((x, i) => x / c[i]);
  const mean = ratios.reduce((a, x) => a + x, 0) / ratios.length;
  const sd = Math.sqrt(ratios.reduce((a, x) => a + (x - mean) ** 2, 0) / (ratios.length - 1));
  return { share: median(ratios), error: (1.25 * sd) / Math.sqrt(ratios.length) };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
