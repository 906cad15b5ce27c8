// Bundle sizes, raw and gzip: the package (.wasm, and the entry as shipped:
// one minified module with wasm-bindgen's glue, host.js, patterns.js and
// SharedMqttClient's tab side, which the entry always loaded) against
// mqtt.min.js and Paho's minified file, and the sans-IO core alone
// (bench/floor, built by `build_floor` in scripts/lib.sh): the codec, the
// session and the connection lifecycle (`session::Client`) with no
// bindings, which no browser build of this client can go below. Run directly (`make size`), it prints
// the table; bench/run.mjs prints it beside the benchmark figures.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import mqttPacket from "mqtt-packet";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FLOOR = path.join(root, "target/floor/floor.wasm");

function measure(files) {
  const raw = files.reduce((a, f) => a + fs.statSync(f).size, 0);
  const gzip = files.reduce((a, f) => a + zlib.gzipSync(fs.readFileSync(f), { level: 9 }).length, 0);
  return { raw, gzip };
}

export function sizes() {
  const pkg = ["pkg/mqtt_wasm_core_bg.wasm", "pkg/mqtt_wasm.js", "pkg/timer-worker.js"].map((f) => path.join(root, f));
  return {
    "mqtt-wasm (.wasm + JS glue)": measure(pkg),
    "  of which the .wasm": measure([pkg[0]]),
    "  of which the JS (the bundled entry, timer worker)": measure(pkg.slice(1)),
    "  sans-IO core alone (.wasm)": measure([FLOOR]),
    "SharedMqttClient's worker (shared-worker.js)": measure([path.join(root, "pkg/shared-worker.js")]),
    "mqtt.js (mqtt.min.js)": measure([path.join(root, "node_modules/mqtt/dist/mqtt.min.js")]),
    "paho (paho-mqtt-min.js)": measure([path.join(root, "node_modules/paho-mqtt/paho-mqtt-min.js")]),
  };
}

export function printSizes(bundle) {
  console.log("\nbundle size (bytes)");
  for (const [name, s] of Object.entries(bundle)) {
    console.log(`${name.padEnd(34)} raw ${String(s.raw).padStart(8)}  gzip ${String(s.gzip).padStart(7)}`);
  }
  const ours = bundle["mqtt-wasm (.wasm + JS glue)"].gzip;
  const core = bundle["  sans-IO core alone (.wasm)"].gzip;
  const mqttjs = bundle["mqtt.js (mqtt.min.js)"].gzip;
  // The budget of the size issue, and its moonshot (SharedMqttClient's
  // worker is loaded only by applications that use it).
  for (const budget of [60000, 25000]) {
    console.log(`budget ${budget} gzip: package ${(ours / budget).toFixed(2)}x, core alone ${(core / budget).toFixed(2)}x`);
  }
  console.log(`package against mqtt.min.js gzip: ${(ours / mqttjs).toFixed(2)}x`);
}

/// Runs the core on a short conversation and returns how many bytes it
/// reported: a floor that did nothing (its driver optimised away) would
/// measure less than the core really is.
async function exerciseFloor() {
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(FLOOR));
  const v5 = { protocolVersion: 5 };
  const script = Buffer.concat([
    mqttPacket.generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clientId: "floor", clean: true, keepalive: 30, properties: { sessionExpiryInterval: 60 } }, v5),
    mqttPacket.generate({ cmd: "connack", sessionPresent: false, reasonCode: 0 }, v5),
    mqttPacket.generate({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "floor/+", qos: 1 }] }, v5),
    mqttPacket.generate({ cmd: "suback", messageId: 1, granted: [1] }, v5),
    mqttPacket.generate({ cmd: "publish", topic: "floor/a", payload: Buffer.from("payload"), qos: 1, messageId: 2 }, v5),
    mqttPacket.generate({ cmd: "puback", messageId: 1, reasonCode: 0 }, v5),
  ]);
  const { memory, alloc, run } = instance.exports;
  const at = alloc(script.length);
  new Uint8Array(memory.buffer, at, script.length).set(script);
  return run(at, script.length);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const digest = await exerciseFloor();
  // CONNECT, SUBSCRIBE and PUBLISH alone are more than 40 bytes on the wire.
  console.log(`core alone: ran a CONNECT/SUBSCRIBE/PUBLISH conversation (digest ${digest})`);
  if (!(digest > 40)) throw new Error(`the core did not run the conversation (digest ${digest})`);
  printSizes(sizes());
}
