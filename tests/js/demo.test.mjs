// The www/ dashboard, served as `make demo` serves it, connects to the broker
// named in /config.json, subscribes, and shows a message it publishes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch } from "./harness.mjs";

let server, browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test("the dashboard connects, subscribes and shows its own message", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(server.url);
  await page.waitForSelector('#status[data-state="online"]', { timeout: 10000 });
  await page.waitForSelector("#subscriptions li", { timeout: 10000 });
  await page.click('#publish-form button[type="submit"]');
  await page.waitForFunction(() => document.querySelector("#messages tr td:nth-child(4)")?.textContent === "hello from mqtt-wasm", null, { timeout: 10000 });
  assert.equal(await page.textContent("#count"), "1");
  assert.deepEqual(errors, []);
});
