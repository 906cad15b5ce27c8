// The node half of the codec benchmark: the same stream of PUBLISH bytes,
// in 16 KiB chunks (as WebSocket frames arrive), parsed by npm
// `mqtt-packet` (the codec inside MQTT.js) and by this codec compiled to
// wasm (bench/src/lib.rs). Prints packets per second, medians of 5 runs.
import mqttPacket from "mqtt-packet";
import { StreamDecoder } from "../target/bench-wasm/mqtt_wasm_bench.js";

const RUNS = 5;
const CHUNK = 16 * 1024;

function stream(n, payloadSize) {
  const payload = Buffer.alloc(payloadSize, 0x5a);
  const parts = [];
  for (let i = 0; i < n; i++) {
    parts.push(mqttPacket.generate({ cmd: "publish", topic: "sensors/floor-1/room-7/temperature", payload, qos: 1, messageId: (i % 65535) + 1, retain: false, dup: false }));
  }
  const all = Buffer.concat(parts);
  const chunks = [];
  for (let i = 0; i < all.length; i += CHUNK) chunks.push(new Uint8Array(all.subarray(i, i + CHUNK)));
  return chunks;
}

function median(f) {
  const times = [];
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    f();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(RUNS / 2)];
}

function mqttPacketParse(chunks, n) {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  let count = 0;
  parser.on("packet", () => count++);
  parser.on("error", (e) => { throw e; });
  for (const c of chunks) parser.parse(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  if (count !== n) throw new Error(`mqtt-packet parsed ${count} of ${n}`);
}

function wasmParse(chunks, n) {
  const d = new StreamDecoder(4);
  let count = 0;
  for (const c of chunks) {
    const k = d.push(c);
    if (k < 0) throw new Error("decode error");
    count += k;
  }
  d.free();
  if (count !== n) throw new Error(`wasm parsed ${count} of ${n}`);
}

console.log("PUBLISH stream parsing in node, million packets per second, median of 5 runs (higher is better)");
console.log(`${"workload".padEnd(32)} ${"mqtt-wasm".padStart(10)} ${"mqtt-packet".padStart(12)} ${"ratio".padStart(8)}`);
for (const [name, n, size] of [["PUBLISH 64 B (3.1.1, QoS 1)", 200_000, 64], ["PUBLISH 1 KiB (3.1.1, QoS 1)", 50_000, 1024]]) {
  const chunks = stream(n, size);
  wasmParse(chunks, n); // warm up both
  mqttPacketParse(chunks, n);
  const ours = n / median(() => wasmParse(chunks, n)) / 1000;
  const theirs = n / median(() => mqttPacketParse(chunks, n)) / 1000;
  console.log(`${name.padEnd(32)} ${ours.toFixed(2).padStart(10)} ${theirs.toFixed(2).padStart(12)} ${(ours / theirs).toFixed(2).padStart(7)}x`);
}
