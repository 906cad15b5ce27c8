# Sourced by the other scripts: paths, free ports, starting and stopping
# the processes a run needs. Everything a script starts is stopped on exit.

set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:/usr/sbin:$PATH"
# Written by setup.sh when the Debian toolchain replaced rustup's.
if [ -f "$ROOT/target/toolchain.env" ]; then . "$ROOT/target/toolchain.env"; fi

STARTED_PIDS=()
RUN_DIRS=()
cleanup() {
  local status=$?
  local pid
  for pid in "${STARTED_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  local dir
  for dir in "${RUN_DIRS[@]:-}"; do
    if [ -n "$dir" ]; then rm -rf "$dir"; fi
  done
  return "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n== %s\n' "$*"; }

# Prints N distinct free loopback ports, all bound at once so none repeats.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# wait_port PORT: waits up to 10 s for something to listen on 127.0.0.1:PORT.
wait_port() {
  local i
  for i in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}

# start_broker TEMPLATE [PREPARE]: runs Mosquitto from a config template in
# tests/broker/ on free ports, after running PREPARE (a function, given the
# run directory) if named. Sets BROKER_WS_PORT, BROKER_TCP_PORT, BROKER_DIR,
# BROKER_PID and BROKER_URL.
start_broker() {
  local template=$1 prepare=${2:-}
  BROKER_DIR=$(mktemp -d /tmp/mqtt-wasm-broker.XXXXXX)
  RUN_DIRS+=("$BROKER_DIR")
  if [ -n "$prepare" ]; then "$prepare" "$BROKER_DIR"; fi
  # Started as root, Mosquitto runs as user "mosquitto", which must read
  # (and for the dynamic-security plugin, rewrite) what is in there.
  chmod -R a+rwX "$BROKER_DIR"
  read -r BROKER_WS_PORT BROKER_TCP_PORT < <(free_ports 2)
  sed -e "s/@WS_PORT@/$BROKER_WS_PORT/g" -e "s/@TCP_PORT@/$BROKER_TCP_PORT/g" \
      -e "s#@DIR@#$BROKER_DIR#g" "$template" > "$BROKER_DIR/mosquitto.conf"
  mosquitto -c "$BROKER_DIR/mosquitto.conf" > "$BROKER_DIR/mosquitto.log" 2>&1 &
  BROKER_PID=$!
  STARTED_PIDS+=("$BROKER_PID")
  wait_port "$BROKER_WS_PORT" || { cat "$BROKER_DIR/mosquitto.log" >&2; return 1; }
  BROKER_URL="ws://127.0.0.1:$BROKER_WS_PORT/mqtt"
}

# The dynamic-security broker of the tests: user "tester" (password
# "tester-pw") may publish and subscribe anywhere except subscribe to
# "secret/#". Sets the BROKER_* variables as start_broker does.
DYNSEC_ADMIN_PW=admin-pw
dynsec_init() {
  mosquitto_ctrl dynsec init "$1/dynamic-security.json" admin "$DYNSEC_ADMIN_PW" > /dev/null
}
dynsec_ctl() { mosquitto_ctrl "$@" 2>&1 | grep -v -e 'without encryption' -e 'visible on the network' -e '^$' >&2 || true; }
start_dynsec_broker() {
  start_broker tests/broker/mosquitto-dynsec.conf dynsec_init
  wait_port "$BROKER_TCP_PORT"
  local ctl=(dynsec_ctl -h 127.0.0.1 -p "$BROKER_TCP_PORT" -u admin -P "$DYNSEC_ADMIN_PW" dynsec)
  "${ctl[@]}" createClient tester -p tester-pw > /dev/null
  "${ctl[@]}" createRole limited > /dev/null
  "${ctl[@]}" addRoleACL limited subscribePattern 'secret/#' deny 10 > /dev/null
  "${ctl[@]}" addRoleACL limited subscribePattern '#' allow 1 > /dev/null
  "${ctl[@]}" addRoleACL limited publishClientSend '#' allow 1 > /dev/null
  "${ctl[@]}" addRoleACL limited publishClientReceive '#' allow 1 > /dev/null
  "${ctl[@]}" addClientRole tester limited > /dev/null
}

# start_node_server SCRIPT: runs a test server (tests/SCRIPT, which takes its
# port as argument) on a free port. Sets NODE_SERVER_PORT.
start_node_server() {
  NODE_SERVER_PORT=$(free_ports 1)
  node "tests/$1" "$NODE_SERVER_PORT" > /dev/null &
  STARTED_PIDS+=($!)
  wait_port "$NODE_SERVER_PORT"
}

# start_scripted_server: the misbehaving MQTT server of
# tests/scripted-server.mjs. Sets SCRIPTED_URL (append /<scenario>).
start_scripted_server() {
  start_node_server scripted-server.mjs
  SCRIPTED_URL="ws://127.0.0.1:$NODE_SERVER_PORT"
}

# start_aedes: the aedes broker of tests/aedes-server.mjs. Sets AEDES_URL.
start_aedes() {
  start_node_server aedes-server.mjs
  AEDES_URL="ws://127.0.0.1:$NODE_SERVER_PORT/mqtt"
}

# How the shipped .wasm is compiled (the package, and bench/floor measured
# beside it): `core` and `alloc` built for it (-Zbuild-std, from the
# toolchain's rust-src), a panic compiled to a trap (-Cpanic=immediate-abort:
# no panic messages, no formatting code to write them), no source locations
# (-Zlocation-detail=none) and no Debug output (-Zfmt-debug=none). Together
# 5.6 KB of the gzipped .wasm (78,158 -> 72,553 B on 2026-12-02). `core` and
# `alloc` are built with their `optimize_for_size` feature, which picks
# their smaller algorithms (sorting, among others): 54 B on 2026-12-04. The flags
# are unstable: RUSTC_BOOTSTRAP=1 lets the stable toolchain take them, for
# these builds only; the native and browser tests build without them.
# Run a command with them: size_build cargo build ...
SIZE_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none"
SIZE_CARGO_ARGS=(-Zbuild-std=core,alloc -Zbuild-std-features=optimize_for_size)
size_build() {
  RUSTC_BOOTSTRAP=1 RUSTFLAGS="$SIZE_RUSTFLAGS" "$@"
}

# Builds the sans-IO core alone (bench/floor: codec, session, Client) and optimises it with the
# wasm-opt flags wasm-pack uses for the package: target/floor/floor.wasm.
build_floor() {
  size_build cargo build --quiet --release --manifest-path bench/floor/Cargo.toml --target wasm32-unknown-unknown "${SIZE_CARGO_ARGS[@]}"
  local flags
  flags=$(python3 -c 'import tomllib; print(" ".join(tomllib.load(open("Cargo.toml", "rb"))["package"]["metadata"]["wasm-pack"]["profile"]["release"]["wasm-opt"]))')
  mkdir -p target/floor
  # shellcheck disable=SC2086 # one word per flag
  wasm-opt $flags bench/floor/target/wasm32-unknown-unknown/release/mqtt_wasm_floor.wasm -o target/floor/floor.wasm
}

# Writes the package's own JavaScript (the entry, patterns.js, SharedMqttClient
# and its worker) and .d.ts into DIR, beside the bindings wasm-bindgen made
# there (mqtt_wasm_core.*), naming the folder of the host.js snippet, whose
# name carries a hash.
write_entry() {
  local dir=$1 snippet
  snippet=$(cd "$dir" && ls snippets/*/src/wasm/host.js)
  for js in mqtt_wasm.js patterns.js shared.js; do
    sed "s#\./SNIPPET#./$snippet#" "pkg-template/$js" > "$dir/$js"
  done
  cp pkg-template/shared-worker.js pkg-template/mqtt_wasm.d.ts "$dir/"
}
