#!/usr/bin/env bash
# Builds the npm package into pkg/: wasm-pack (release, --target web) makes
# the bindings (mqtt_wasm_core.*), then the files of pkg-template/ are
# merged in, the package entry (mqtt_wasm.js) among them, and the entry is
# bundled with the modules it imports. Every type is
# declared from Rust (typescript_custom_section): nothing here edits
# generated output but the minifiers (esbuild, and shorten-names.mjs for
# the names the .wasm and its glue call each other by).
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

say "build: wasm-pack build --release --target web"
rm -rf pkg
# Compiled as size_build (scripts/lib.sh) says.
size_build wasm-pack build --release --target web --out-dir pkg --out-name mqtt_wasm_core --no-pack . -- "${SIZE_CARGO_ARGS[@]}" 2>&1 | grep -v '^\[INFO\]' || true
[ -f pkg/mqtt_wasm_core_bg.wasm ] || { echo "wasm-pack build failed" >&2; exit 1; }
write_entry pkg
# The timer worker (a file, so strict CSPs allow it), from host.js's source.
node --input-type=module -e '
  import fs from "node:fs";
  const { TIMER_WORKER } = await import("./src/wasm/host.js");
  fs.writeFileSync("pkg/timer-worker.js", "// mqtt-wasm'"'"'s timers (host.js): not throttled in hidden tabs.\n" + TIMER_WORKER + "\n");
'
[ -s pkg/timer-worker.js ] || { echo "timer-worker.js not written" >&2; exit 1; }
cp pkg-template/README.md pkg-template/LICENSE pkg/
# The shipped JavaScript is minified, as mqtt.min.js is: names, exports and
# the `new URL("…_bg.wasm", import.meta.url)` bundlers look for are kept.
# The readable sources are pkg-template/ and src/wasm/host.js.
for js in pkg/*.js pkg/snippets/*/src/wasm/host.js; do
  esbuild "$js" --minify --log-level=warning --outfile="$js" --allow-overwrite
done
node scripts/shorten-names.mjs pkg/mqtt_wasm_core_bg.wasm pkg/mqtt_wasm_core.js
# One module for a page to load: the entry with everything it imports (the
# glue, host.js, patterns.js, shared.js) bundled, so that names between
# them are minified too and gzip reads one stream (2 KB less than the five
# files). The two worker scripts stay files: they are loaded by URL.
esbuild pkg/mqtt_wasm.js --bundle --format=esm --minify --log-level=warning --outfile=pkg/mqtt_wasm.js --allow-overwrite
rm -r pkg/mqtt_wasm_core.js pkg/patterns.js pkg/shared.js pkg/snippets
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
wasm_size=$(stat -c %s pkg/mqtt_wasm_core_bg.wasm)
gz_size=$(gzip -9 -c pkg/mqtt_wasm_core_bg.wasm | wc -c)
echo "pkg/mqtt_wasm_core_bg.wasm: $wasm_size bytes ($gz_size gzipped)"
