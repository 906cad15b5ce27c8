// CPU profiles of mqtt-wasm's hot paths, from Chromium's own profiler (CDP
// Profiler domain): a build that keeps function names, three workloads (QoS 0,
// QoS 1 and QoS 2 throughput to itself), and the self time of the top functions,
// grouped as wasm (our Rust), JS glue (wasm-bindgen), the browser, and the
// rest; and the wasm allocations per message, from bench/counting's
// allocator. Profiling shares, not rates: the page may be a managed one here.
import { chromium } from "playwright-core";

const { MQTT_WS_URL, SERVER_URL } = process.env;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
});
const page = await browser.newPage();
await page.goto(`${SERVER_URL}config.json`);
await page.evaluate(async () => {
  const mod = await import("/pkg/mqtt_wasm.js");
  await mod.default();
  // The counting allocator's figures are an export of the bindings
  // themselves (bench/counting), which the package entry does not re-export.
  const { allocationStats } = await import("/pkg/mqtt_wasm_core.js");
  window.mqtt = { ...mod, allocationStats };
});
const cdp = await page.context().newCDPSession(page);
await cdp.send("Profiler.enable");
await cdp.send("Profiler.setSamplingInterval", { interval: 100 });

async function profile(label, qos, n) {
  await cdp.send("Profiler.start");
  const { rate, allocs, bytes } = await page.evaluate(async ({ url, qos, n }) => {
    const client = new window.mqtt.MqttClient({ url, maxQueuedMessages: n + 1, maxUnreleasedMessages: 65535 });
    let received = 0, done;
    const all = new Promise((r) => (done = r));
    client.on("message", () => { if (++received === n) done(); });
    await client.connect();
    await client.subscribe("profile/t", { qos });
    const payload = new Uint8Array(64).fill(90);
    const [allocs0, bytes0] = window.mqtt.allocationStats();
    const t0 = performance.now();
    const acks = [];
    for (let i = 0; i < n; i++) acks.push(client.publish("profile/t", payload, { qos }));
    await Promise.all([Promise.all(acks), all]);
    const ms = performance.now() - t0;
    const [allocs1, bytes1] = window.mqtt.allocationStats();
    await client.disconnect();
    return { rate: n / ms * 1000, allocs: (allocs1 - allocs0) / n, bytes: (bytes1 - bytes0) / n };
  }, { url: MQTT_WS_URL, qos, n });
  const { profile: p } = await cdp.send("Profiler.stop");
  // Self time per function: samples x interval.
  const byId = new Map(p.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const groups = { "wasm (Rust)": 0, "JS glue (wasm-bindgen)": 0, "page / test JS": 0, "browser (program, GC, idle)": 0 };
  let total = 0;
  for (const id of p.samples) {
    const node = byId.get(id);
    const f = node.callFrame;
    const name = f.functionName || "(anonymous)";
    const where = f.url.includes(".wasm") || f.url.startsWith("wasm://") ? "wasm (Rust)" : f.url.includes("/pkg/") ? "JS glue (wasm-bindgen)" : f.url ? "page / test JS" : "browser (program, GC, idle)";
    if (name === "(idle)") continue;
    total += 1;
    groups[where] += 1;
    const key = `${name} [${where.split(" ")[0]}]`;
    self.set(key, (self.get(key) || 0) + 1);
  }
  console.log(`\n${label}: ${Math.round(rate)} msg/s; ${total} busy samples`);
  console.log(`  wasm allocations per message (publish + receive): ${allocs.toFixed(2)}, ${Math.round(bytes)} bytes asked for (a reallocation counts its new size)`);
  for (const [g, c] of Object.entries(groups)) console.log(`  ${g.padEnd(30)} ${(100 * c / total).toFixed(1)}%`);
  console.log("  top functions by self time:");
  for (const [name, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 16)) {
    console.log(`    ${(100 * c / total).toFixed(1).padStart(5)}%  ${name.length > 90 ? `${name.slice(0, 90)}…` : name}`);
  }
}

await profile("QoS 0, 64 B, 20000 messages", 0, 20000);
await profile("QoS 1, 64 B, 5000 messages", 1, 5000);
await profile("QoS 2, 64 B, 3000 messages", 2, 3000);
await browser.close();
