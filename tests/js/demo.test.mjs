// The www/ dashboard, served as `make demo` serves it: it connects to the
// broker named in /config.json, the simulated device (a second client in a
// Web Worker) streams telemetry into the topic tree and the chart, a
// command published from the form makes the device react, and a
// screenshot is saved to test-artifacts/dashboard.png.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { useBrowser } from "./harness.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const env = useBrowser();

test("the dashboard shows live telemetry and drives the simulated device", async () => {
  const page = await env.browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(env.server.url);
  await page.waitForSelector('#status[data-state="online"]', { timeout: 10000 });
  await page.waitForSelector("#device-status:text('device: online')", { timeout: 10000 });
  // Telemetry reaches the topic tree, with a rate, and the chart.
  const row = 'tr[data-topic="devices/sim-1/telemetry/temperature"]';
  await page.waitForSelector(row, { timeout: 10000 });
  await page.waitForFunction(() => Number(document.getElementById("chart").dataset.points || 0) >= 4, null, { timeout: 10000 });
  const temperature = Number(await page.getAttribute(row, "data-value"));
  assert.ok(temperature > 15 && temperature < 30, `temperature ${temperature}`);
  assert.ok(await page.$("#chart canvas"), "uPlot drew a canvas");
  await page.waitForFunction((sel) => Number(document.querySelector(sel).cells[2].textContent) > 0, row, { timeout: 5000 });
  // A command from the publish form ("led on" to devices/sim-1/cmd).
  await page.click("#publish");
  await page.waitForSelector("#publish-result:text('packet')", { timeout: 5000 });
  const led = 'tr[data-topic="devices/sim-1/state/led"]';
  await page.waitForSelector(led, { timeout: 10000 });
  assert.equal(await page.getAttribute(led, "data-value"), "on");
  assert.equal(await page.getAttribute(led, "data-retained"), "false", "live, not a retained replay");
  // The log pauses and clears.
  await page.click("#pause");
  const frozen = await page.$$eval("#messages tr", (rows) => rows.length);
  await page.waitForTimeout(800);
  assert.equal(await page.$$eval("#messages tr", (rows) => rows.length), frozen);
  await page.click("#clear");
  assert.equal(await page.$$eval("#messages tr", (rows) => rows.length), 0);
  await page.click("#pause");
  fs.mkdirSync(path.join(root, "test-artifacts"), { recursive: true });
  await page.screenshot({ path: path.join(root, "test-artifacts/dashboard.png"), fullPage: true });
  assert.deepEqual(errors, []);
});
