#!/usr/bin/env bash
# CPU profiles of the client's hot paths in Chromium (bench/profile.mjs),
# on a build that keeps function names and counts allocations.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh
say "profile: release build with a counting allocator (bench/counting), wasm-bindgen --keep-debug (function names kept, no wasm-opt)"
rm -rf target/profile-pkg
cargo build --quiet --release --target wasm32-unknown-unknown --manifest-path bench/counting/Cargo.toml
wasm-bindgen --target web --keep-debug --out-name mqtt_wasm_core --out-dir target/profile-pkg bench/counting/target/wasm32-unknown-unknown/release/mqtt_wasm_counting.wasm
write_entry target/profile-pkg
start_broker tests/broker/mosquitto-bench.conf
port=$(free_ports 1)
PKG_DIR="$ROOT/target/profile-pkg" node scripts/serve.mjs "$port" > /dev/null &
STARTED_PIDS+=($!)
wait_port "$port"
MQTT_WS_URL=$BROKER_URL SERVER_URL="http://127.0.0.1:$port/" node bench/profile.mjs
