#!/usr/bin/env bash
# Installs whatever building, testing and the demo need and is missing:
# the wasm32 target, wasm-bindgen-cli (the Cargo.lock version), wasm-pack,
# Chromium + chromedriver, Firefox ESR + geckodriver, WebKitGTK's
# WebKitWebDriver and MiniBrowser + Xvfb, Mosquitto, and the
# node dev dependencies (which include the wasm-opt we use). Every step checks first, so a second run on a
# ready machine takes a few seconds.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
APT_UPDATED=
apt_install() {
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" > /dev/null
}

# --- system packages -------------------------------------------------------
missing=()
command -v chromium > /dev/null || missing+=(chromium)
command -v chromedriver > /dev/null || missing+=(chromium-driver)
command -v firefox-esr > /dev/null || missing+=(firefox-esr)
command -v WebKitWebDriver > /dev/null || missing+=(webkit2gtk-driver)
command -v Xvfb > /dev/null || missing+=(xvfb)
command -v mosquitto > /dev/null || missing+=(mosquitto)
command -v mosquitto_ctrl > /dev/null || missing+=(mosquitto-clients)
command -v node > /dev/null || missing+=(nodejs)
command -v npm > /dev/null || missing+=(npm)
command -v python3 > /dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  say "setup: apt-get install ${missing[*]}"
  apt_install "${missing[@]}"
fi

# --- the wasm32 target -----------------------------------------------------
has_wasm_target() {
  if [ "${RUSTUP_TOOLCHAIN:-}" = system ]; then
    [ -d /usr/lib/rustlib/wasm32-unknown-unknown/lib ]
  else
    rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown
  fi
}
if ! has_wasm_target; then
  say "setup: wasm32-unknown-unknown target"
  if ! rustup target add wasm32-unknown-unknown; then
    # rustup's server is not always reachable: build the wasm32 std from
    # Debian's compiler and its library source (see shared/TOOLCHAIN.md).
    say "setup: rustup failed; building the wasm32 std with Debian's rustc-web"
    apt_install rustc-web cargo-web rust-web-src lld-22
    std_crate=$(mktemp -d)
    (cd "$std_crate" && /usr/bin/cargo init -q --lib --name wasm_std_seed \
      && RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zforce-unstable-if-unmarked" \
         /usr/bin/cargo build -q --release --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort)
    as_root mkdir -p /usr/lib/rustlib/wasm32-unknown-unknown/lib
    as_root cp "$std_crate"/target/wasm32-unknown-unknown/release/deps/*.rlib /usr/lib/rustlib/wasm32-unknown-unknown/lib/
    as_root rm -f /usr/lib/rustlib/wasm32-unknown-unknown/lib/libwasm_std_seed-*.rlib
    rm -rf "$std_crate"
    rustup toolchain link system /usr
    mkdir -p "$ROOT/target"
    echo "export RUSTUP_TOOLCHAIN=system" > "$ROOT/target/toolchain.env"
    export RUSTUP_TOOLCHAIN=system
  fi
fi

# --- the standard library's source, for the package build (-Zbuild-std) ---
# The system toolchain of the fallback above has it from rust-web-src.
if [ "${RUSTUP_TOOLCHAIN:-}" != system ] && ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
  say "setup: rust-src (the package's .wasm builds core and alloc for itself)"
  rustup component add rust-src
fi

# --- wasm-bindgen-cli at exactly the Cargo.lock version --------------------
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  say "setup: wasm-bindgen-cli $wb_version"
  # Not --locked: one of its locked dependencies is gone from the registry.
  cargo install -q wasm-bindgen-cli --version "$wb_version" --force
fi

if ! command -v wasm-pack > /dev/null; then
  say "setup: wasm-pack"
  cargo install -q wasm-pack
fi

# wasm-pack test --firefox finds it in ~/.cargo/bin.
if ! command -v geckodriver > /dev/null; then
  say "setup: geckodriver"
  cargo install -q geckodriver
fi

# --- node dev dependencies (playwright-core, binaryen's wasm-opt, ...) -----
stamp="node_modules/.setup-stamp"
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
  say "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > "$stamp"
fi

# --- every engine the tests drive is here: a missing one fails setup, so
# no suite skips silently --------------------------------------------------
for tool in chromium chromedriver firefox-esr geckodriver WebKitWebDriver Xvfb mosquitto; do
  command -v "$tool" > /dev/null || { echo "setup: $tool is missing after installing it" >&2; exit 1; }
done
minibrowser=/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser
[ -x "$minibrowser" ] || { echo "setup: WebKit's MiniBrowser is missing ($minibrowser)" >&2; exit 1; }
[ -d node_modules/puppeteer-core ] && [ -d node_modules/playwright-core ] \
  || { echo "setup: node_modules lacks playwright-core or puppeteer-core" >&2; exit 1; }
