#!/usr/bin/env bash
# Runs every test suite: native cargo tests, wasm tests in headless Chromium
# and Firefox against brokers started for the run, JS-level tests of the
# built package in headless Chromium, the core round trips in WebKit, and
# the package in Node. Runs setup
# first; never skips a suite. Ends with each suite's time and "suites: N
# passed, M failed", and exits non-zero on any failure.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh

PASSED=()
FAILED=()
suite() {
  local name=$1; shift
  say "suite: $name"
  local start=$SECONDS
  local outcome
  if "$@"; then outcome=passed; else outcome=FAILED; fi
  local line="$name, $((SECONDS - start)) s"
  if [ $outcome = passed ]; then PASSED+=("$line"); else FAILED+=("$line"); fi
  echo "-- $line"
}

suite "native (cargo test)" cargo test --quiet

start_dynsec_broker
export MQTT_AUTH_WS_URL=$BROKER_URL
start_scripted_server
export MQTT_SCRIPTED_URL=$SCRIPTED_URL
start_aedes
export MQTT_AEDES_URL=$AEDES_URL
start_broker tests/broker/mosquitto.conf
export MQTT_WS_URL=$BROKER_URL
# A loopback port nothing listens on, for connection-failure tests.
export MQTT_CLOSED_URL="ws://127.0.0.1:$(free_ports 1)/mqtt"
echo "brokers: $MQTT_WS_URL (anonymous), $MQTT_AUTH_WS_URL (dynamic security)"

# The runner's timeout covers the whole run in the browser (20 s by
# default): Chromium takes about 16 s, Firefox about 23.
export WASM_BINDGEN_TEST_TIMEOUT=180
suite "browser (wasm-pack test --headless --chrome)" \
  wasm-pack test --headless --chrome --release -- --test browser
suite "browser (wasm-pack test --headless --firefox)" \
  wasm-pack test --headless --firefox --release -- --test browser

if bash scripts/build.sh; then
  suite "types (tsc --noEmit on tests/types/usage.ts)" tsc -p tests/types/tsconfig.json
  suite "js (node --test, playwright-core + chromium)" node --test --test-concurrency=1 tests/js/
  # The same files in Firefox ESR (puppeteer-core over WebDriver BiDi; tests/js/harness.mjs).
  suite "js in firefox (node --test, puppeteer-core + firefox-esr)" \
    env BROWSER=firefox node --test --test-concurrency=1 tests/js/
  # The package in Node: Node 20 has a WebSocket behind a flag (22 without).
  suite "node (the package in Node, no browser)" node --experimental-websocket --test tests/node/
  # WebKit, the engine of Safari: WebKitGTK's MiniBrowser under Xvfb.
  suite "webkit (tests/webkit/, WebKitWebDriver + MiniBrowser)" node --test tests/webkit/
else
  FAILED+=("build (npm package)")
fi

say "summary"
for s in "${PASSED[@]}"; do echo "  passed: $s"; done
for s in "${FAILED[@]:-}"; do [ -n "$s" ] && echo "  FAILED: $s"; done
echo "suites: ${#PASSED[@]} passed, $(( ${#FAILED[@]} )) failed"
[ ${#FAILED[@]} -eq 0 ]
