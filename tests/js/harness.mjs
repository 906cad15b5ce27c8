// Shared by the JS-level tests: the static server (scripts/serve.mjs) and a
// headless Chromium from playwright-core, on the system's /usr/bin/chromium.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { before, after } from "node:test";
import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export const brokerUrl = process.env.MQTT_WS_URL;
if (!brokerUrl) throw new Error("MQTT_WS_URL must name the test broker (scripts/test.sh sets it)");

/** Starts the page server; resolves with { url, stop }. */
export function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "scripts/serve.mjs"), "0"], { stdio: ["ignore", "pipe", "inherit"] });
    child.stdout.setEncoding("utf8");
    child.stdout.once("data", (line) => {
      const m = line.match(/listening (\S+)/);
      if (m) resolve({ url: m[1], stop: () => child.kill() });
      else reject(new Error(`unexpected server output: ${line}`));
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/**
 * A page on the test server with the package loaded as `window.mqtt`, and
 * `window.recordSends()`: from then on the size of every WebSocket send is
 * pushed to the returned `sizes`, until its `stop()`.
 */
export async function packagePage(browser, serverUrl) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(`${serverUrl}config.json`);
  await page.evaluate(async () => {
    const mod = await import("/pkg/mqtt_wasm.js");
    await mod.default();
    window.mqtt = mod;
    window.recordSends = () => {
      const sizes = [];
      const send = WebSocket.prototype.send;
      WebSocket.prototype.send = function (data) {
        sizes.push(data.byteLength);
        return send.call(this, data);
      };
      return { sizes, stop: () => { WebSocket.prototype.send = send; } };
    };
  });
  page.pageErrors = errors;
  return page;
}

/**
 * For a test file: starts the page server and Chromium before its tests
 * (and a page with the package loaded, if `withPage`) and stops them after.
 * The returned object's `server`, `browser` and `page` are set once the
 * tests run.
 */
export function useBrowser({ withPage = false } = {}) {
  const env = {};
  before(async () => {
    env.server = await startServer();
    env.browser = await launch();
    if (withPage) env.page = await packagePage(env.browser, env.server.url);
  });
  after(async () => {
    await env.browser?.close();
    env.server?.stop();
  });
  return env;
}
