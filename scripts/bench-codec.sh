#!/usr/bin/env bash
# The codec benchmark: natively against rumqttc's codec, and in node this
# codec compiled to wasm against npm mqtt-packet, on the same bytes.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh
say "bench: native, mqtt-wasm codec vs rumqttc"
cargo run --quiet --release --manifest-path bench/Cargo.toml
say "bench: node, mqtt-wasm codec (wasm) vs mqtt-packet"
cargo build --quiet --profile wasm-release --manifest-path bench/Cargo.toml --lib --target wasm32-unknown-unknown
wasm-bindgen --target experimental-nodejs-module --out-dir target/bench-wasm bench/target/wasm32-unknown-unknown/wasm-release/mqtt_wasm_bench.wasm
node bench/codec.mjs
