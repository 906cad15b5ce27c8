#!/usr/bin/env bash
# Builds the npm package into pkg/: wasm-pack (release, --target web), then
# the files of pkg-template/ merged in, and MqttError re-exported from the
# package entry (its class lives in a wasm-bindgen snippet).
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

say "build: wasm-pack build --release --target web"
rm -rf pkg
wasm-pack build --release --target web --out-dir pkg --no-pack 2>&1 | grep -v '^\[INFO\]' || true
[ -f pkg/mqtt_wasm_bg.wasm ] || { echo "wasm-pack build failed" >&2; exit 1; }

snippet=$(cd pkg && ls snippets/*/src/wasm/host.js)
cat >> pkg/mqtt_wasm.js <<JS

export { MqttError } from "./$snippet";

// on() and off() return the client itself, for chaining: wasm-bindgen can
// only return a second wrapper of the same client, freed here at once.
for (const method of ["on", "off"]) {
  const bound = MqttClient.prototype[method];
  MqttClient.prototype[method] = function (event, handler) {
    bound.call(this, event, handler).free();
    return this;
  };
}
JS
cat >> pkg/mqtt_wasm.d.ts <<'TS'

/** Every rejection and `error` event of the client is one of these. */
export class MqttError extends Error {
  readonly name: "MqttError";
  readonly code: MqttErrorCode;
  /** The MQTT reason code, when the server or the protocol gave one. */
  readonly reasonCode?: number;
  /** The WebSocket close code, for a connection that closed underneath. */
  readonly closeCode?: number;
}
TS
# The trailing `opts` of these methods may be left out, which wasm-bindgen
# cannot say once a parameter has an explicit type.
sed -i -E -e 's/^( *(publish|subscribe|unsubscribe|disconnect)\(.*)\bopts: /\1opts?: /' \
  -e 's/^( *subscribe\(.*)\bhandler: /\1handler?: /' pkg/mqtt_wasm.d.ts
# SharedMqttClient (one connection for all tabs) and its SharedWorker.
cp pkg-template/shared.js pkg-template/shared-worker.js pkg/
cat >> pkg/mqtt_wasm.js <<'JS'
export { SharedMqttClient } from "./shared.js";
JS
cat >> pkg/mqtt_wasm.d.ts <<'TS'

/**
 * The MqttClient API over one connection shared by every tab of the origin
 * (a SharedWorker owns the WebSocket and the session); each tab receives
 * the messages of its own subscriptions. Falls back to a client of its own
 * where SharedWorker is missing. The first tab's options make the
 * connection; option errors reject `connect()`.
 */
export class SharedMqttClient {
  constructor(options: ClientOptions);
  connect(): Promise<ConnAck>;
  publish(topic: string, payload: string | Uint8Array | ArrayBuffer, opts?: PublishOptions): Promise<PublishResult>;
  subscribe(filter: string | string[] | SubscriptionRequest[], opts?: SubscribeOptions, handler?: MqttEvents["message"]): Promise<SubAck>;
  unsubscribe(filter: string | string[], opts?: { properties?: Properties }): Promise<UnsubAck>;
  /** Leaves the shared connection; the last tab to leave closes it. */
  disconnect(opts?: { reasonCode?: number, properties?: Properties }): Promise<void>;
  on<E extends keyof MqttEvents>(event: E, handler: MqttEvents[E]): SharedMqttClient;
  off<E extends keyof MqttEvents>(event: E, handler: MqttEvents[E]): SharedMqttClient;
  readonly connected: boolean;
  readonly clientId: string;
  /** Whether this tab shares the connection through a SharedWorker. */
  readonly shared: boolean;
}
TS
cp pkg-template/README.md pkg-template/LICENSE pkg/
node - <<'JS'
const fs = require("fs");
const cargo = fs.readFileSync("Cargo.toml", "utf8");
const field = (k) => (cargo.match(new RegExp(`^${k} = "(.*)"`, "m")) || [])[1];
const template = JSON.parse(fs.readFileSync("pkg-template/package.json", "utf8"));
const pkg = {
  name: "mqtt-wasm",
  version: field("version"),
  license: field("license"),
  type: "module",
  main: "mqtt_wasm.js",
  module: "mqtt_wasm.js",
  types: "mqtt_wasm.d.ts",
  ...template,
};
fs.writeFileSync("pkg/package.json", JSON.stringify(pkg, null, 2) + "\n");
JS
wasm_size=$(stat -c %s pkg/mqtt_wasm_bg.wasm)
gz_size=$(gzip -9 -c pkg/mqtt_wasm_bg.wasm | wc -c)
echo "pkg/mqtt_wasm_bg.wasm: $wasm_size bytes ($gz_size gzipped)"
