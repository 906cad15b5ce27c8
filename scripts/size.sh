#!/usr/bin/env bash
# Bundle sizes: the package against MQTT.js and Paho, and the sans-IO core
# alone (bench/floor), raw and gzip. bench/size.mjs says what each row holds.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build.sh
say "size: the sans-IO core alone (bench/floor)"
build_floor
node bench/size.mjs
