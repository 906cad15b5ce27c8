// Shared by the JS-level tests: the static server (scripts/serve.mjs) and
// the browser, named by BROWSER: "chromium" (the default; playwright-core on
// the system's /usr/bin/chromium) or "firefox" (puppeteer-core over WebDriver
// BiDi on /usr/bin/firefox-esr, as playwright-core cannot drive the system
// Firefox). Tests are written against the few playwright calls they use;
// `firefox()` gives puppeteer's browser those same calls.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { before, after } from "node:test";
import { chromium } from "playwright-core";
import puppeteer from "puppeteer-core";

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

/** The engine the tests run in: "chromium" or "firefox". */
export const engine = process.env.BROWSER || "chromium";
if (engine !== "chromium" && engine !== "firefox") throw new Error(`BROWSER=${engine}: expected chromium or firefox`);

export async function launch() {
  if (engine === "firefox") return firefox();
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Firefox ESR through puppeteer-core, with the playwright calls the tests use. */
async function firefox() {
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: process.env.FIREFOX || "/usr/bin/firefox-esr",
    headless: true,
    // A call into the page that hangs fails the test within a minute, not three.
    protocolTimeout: 60000,
  });
  const newPage = async (target, opts = {}) => adapt(await target.newPage(), opts.viewport);
  return {
    newPage: (opts) => newPage(browser, opts),
    async newContext() {
      const context = await browser.createBrowserContext();
      return { newPage: (opts) => newPage(context, opts), close: () => context.close() };
    },
    close: () => browser.close(),
  };
}

// `sel:text('x')`: an element matching `sel` whose text contains x (playwright's pseudo-class).
const TEXT = /^(.*):text\('(.*)'\)$/;

function adapt(page, viewport) {
  if (viewport) page.setViewport(viewport);
  return Object.assign(Object.create(page), {
    // Over BiDi an uncaught error's message starts with its name ("Error: ..."); playwright's does not.
    on: (event, handler) =>
      page.on(event, event === "pageerror" ? (e) => handler(new Error(String(e?.message ?? e).replace(/^\w*Error: /, ""))) : handler),
    evaluate: (fn, arg) => page.evaluate(fn, arg),
    // playwright: (fn, arg, options); puppeteer: (fn, options, ...args).
    waitForFunction: (fn, arg, opts = {}) => page.waitForFunction(fn, { timeout: opts.timeout ?? 30000, polling: 50 }, arg),
    async waitForSelector(selector, opts = {}) {
      const text = selector.match(TEXT);
      if (!text) return page.waitForSelector(selector, { timeout: opts.timeout });
      return page.waitForFunction(
        (sel, want) => [...document.querySelectorAll(sel)].some((e) => e.textContent.includes(want)),
        { timeout: opts.timeout ?? 30000, polling: 50 },
        text[1],
        text[2],
      );
    },
    fill: (selector, value) =>
      page.$eval(selector, (e, v) => {
        e.value = v;
        e.dispatchEvent(new Event("input", { bubbles: true }));
        e.dispatchEvent(new Event("change", { bubbles: true }));
      }, value),
    check: (selector) => page.$eval(selector, (e) => e.checked || e.click()),
    uncheck: (selector) => page.$eval(selector, (e) => e.checked && e.click()),
    textContent: (selector) => page.$eval(selector, (e) => e.textContent),
    getAttribute: (selector, name) => page.$eval(selector, (e, n) => e.getAttribute(n), name),
    waitForTimeout: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    setViewportSize: (size) => page.setViewport(size),
    addInitScript: (fn, arg) => page.evaluateOnNewDocument(fn, arg),
    goto: (url) => page.goto(url),
    reload: () => page.reload(),
    click: (selector) => page.click(selector),
    close: () => page.close(),
    screenshot: (opts) => page.screenshot(opts),
    $: (selector) => page.$(selector),
    $eval: (selector, fn, arg) => page.$eval(selector, fn, arg),
    $$eval: (selector, fn, arg) => page.$$eval(selector, fn, arg),
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
