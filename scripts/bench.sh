#!/usr/bin/env bash
# The browser benchmark: builds the package, starts a benchmark Mosquitto and
# the page server, runs bench/browser/ in an unmanaged headless Chromium and
# prints mqtt-wasm, MQTT.js, Paho and a raw-WebSocket baseline side by side.
# A warm-up round, then BENCH_RUNS counted rounds (default 7); BENCH_ONLY (run
# only the workloads whose label contains it), BENCH_LONG (messages for the
# heap check, default 1000000), BENCH_SCALE (messages per round, as a multiple
# of the default counts) and BENCH_PIN (Chromium on CPU 0, Mosquitto on CPU 1)
# tune it. BENCH_LAUNCHES (default 3) runs the page in that many fresh
# browsers, one after another; the medians are over all their rounds.
# Figures: bench-results/browser.json.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build.sh
build_floor
start_broker tests/broker/mosquitto-bench.conf
if [ -n "${BENCH_PIN:-}" ]; then taskset -cp 1 "$BROKER_PID" > /dev/null; fi
port=$(free_ports 1)
mkdir -p bench-results
export RESULTS="$ROOT/bench-results/browser.json"
BENCH_RESULTS=$RESULTS node scripts/serve.mjs "$port" > /dev/null &
STARTED_PIDS+=($!)
wait_port "$port"
say "bench: browser (this takes a few minutes)"
MQTT_WS_URL=$BROKER_URL BROKER_TCP_PORT=$BROKER_TCP_PORT SERVER_URL="http://127.0.0.1:$port/" node bench/run.mjs
