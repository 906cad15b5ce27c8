#!/usr/bin/env bash
# The demo: builds the npm package, starts Mosquitto (websockets listener on
# loopback) and serves www/ on http://127.0.0.1:<port>/ until Ctrl-C; then
# stops both. DEMO_PORT picks the page port (default: a free one).
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build.sh
start_broker tests/broker/mosquitto.conf
port=${DEMO_PORT:-$(free_ports 1)}
MQTT_WS_URL=$BROKER_URL node scripts/serve.mjs "$port" &
STARTED_PIDS+=($!)
wait_port "$port"
say "demo running"
echo "  page:   http://127.0.0.1:$port/"
echo "  broker: $BROKER_URL (also mqtt://127.0.0.1:$BROKER_TCP_PORT)"
echo "  Ctrl-C stops both."
wait
