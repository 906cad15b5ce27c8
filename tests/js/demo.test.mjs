// The www/ dashboard, served as `make demo` serves it: it connects to the
// broker named in /config.json, the simulated device (a second client in a
// Web Worker) streams telemetry into the topic tree and the chart, a
// command published from the form makes the device react (an unknown one
// is refused), a new filter drops the rows it no longer covers, an
// unreachable broker shows its error and the reconnect attempts where the
// connection is set up, and the layout holds at 1280 and 390 px wide (no
// horizontal scroll, no overlapping cells), with a screenshot of each
// under test-artifacts/.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { useBrowser, engine } from "./harness.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const env = useBrowser();

/** What overflows at the page's current width: the page itself, a section, or cells of a row over each other. */
function layoutFaults(page) {
  return page.evaluate(() => {
    const faults = [];
    const doc = document.scrollingElement;
    if (doc.scrollWidth > window.innerWidth) faults.push(`page scrolls sideways: ${doc.scrollWidth} > ${window.innerWidth}`);
    for (const section of document.querySelectorAll("section")) {
      if (section.scrollWidth > section.clientWidth + 1) faults.push(`section "${section.querySelector("h2")?.textContent.trim().slice(0, 20)}" overflows: ${section.scrollWidth} > ${section.clientWidth}`);
    }
    for (const row of document.querySelectorAll("tr")) {
      const cells = [...row.cells].map((c) => c.getBoundingClientRect());
      if (cells.some((r) => r.width < 8)) faults.push(`a column collapsed in a row of ${row.closest("table").parentElement.className}`);
      for (let i = 1; i < cells.length; i++) {
        if (cells[i].left < cells[i - 1].right - 1) faults.push(`cells overlap in a row of ${row.closest("table").parentElement.className}`);
      }
    }
    return faults;
  });
}

// Chromium's screenshots keep their names; Firefox's say so.
const shot = engine === "chromium" ? "" : `-${engine}`;

test("the dashboard shows live telemetry and drives the simulated device", async () => {
  const page = await env.browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors = [];
  // The browser's own line for the unreachable broker is expected: a console
  // error in Chromium, an error log entry (a "pageerror") in Firefox.
  const unreachable = /WebSocket connection to|can’t establish a connection to the server at ws:/;
  page.on("pageerror", (e) => !unreachable.test(String(e)) && errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && !unreachable.test(m.text()) && errors.push(m.text()));
  // The page's open WebSockets, to see that a replaced client lets go of its own.
  await page.addInitScript(() => {
    const open = new Set();
    const Native = WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener("open", () => open.add(this));
        this.addEventListener("close", () => open.delete(this));
      }
    };
    window.openSockets = () => open.size;
  });
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
  // Only numeric topics can be charted; the charted one has no button any more.
  const chartable = await page.$$eval("#tree tr", (rows) => Object.fromEntries(rows.map((r) => [r.dataset.topic, !r.querySelector("button.chart").hidden])));
  assert.equal(chartable["devices/sim-1/state/led"], false, "\"on\" is not a number");
  assert.equal(chartable["devices/sim-1/telemetry/battery"], true);
  assert.equal(chartable["devices/sim-1/telemetry/temperature"], false, "charted already");
  // One y-axis per unit: temperature (°C) and humidity (%).
  assert.match(await page.textContent("#chart-topics"), /temperature \(°C\), humidity \(%\)/);

  // An unknown command is reported as refused, not obeyed.
  await page.fill("#payload", "reboot now");
  await page.click("#publish");
  await page.waitForFunction(() => document.getElementById("log").textContent.includes("device refused: reboot now"), null, { timeout: 5000 });
  assert.ok(!(await page.textContent("#log")).includes("device obeyed: reboot now"));

  // The same command as a request: the device's response is shown.
  await page.fill("#payload", "led off");
  await page.check("#as-request");
  await page.click("#publish");
  await page.waitForSelector("#publish-result:text('response on mqtt-wasm/response/')", { timeout: 5000 });
  assert.match(await page.textContent("#publish-result"), /: obeyed: led off$/);
  await page.uncheck("#as-request");

  // A pause in the telemetry (the device slowed to one message per 4 s) is a gap, not a line.
  await page.fill("#payload", "interval 4000");
  await page.click("#publish");
  await page.waitForFunction(() => Number(document.getElementById("chart").dataset.gaps || 0) >= 1, null, { timeout: 15000 });
  await page.fill("#payload", "interval 500");
  await page.click("#publish");

  // A filter the client refuses: the error beside the filter, in the client's words.
  await page.fill("#filter", "devices/#/x");
  await page.click("#filter-form button");
  await page.waitForSelector("#subscribe-result.error:text('InvalidTopic')", { timeout: 5000 });

  // A new filter drops the rows it does not cover.
  await page.fill("#filter", "devices/sim-1/telemetry/#");
  await page.click("#filter-form button");
  await page.waitForSelector("#subscribe-result:text('subscribed to devices/sim-1/telemetry/#')", { timeout: 5000 });
  const rows = await page.$$eval("#tree tr", (rows) => rows.map((r) => r.dataset.topic));
  assert.ok(rows.length > 0 && rows.every((t) => t.startsWith("devices/sim-1/telemetry/")), rows.join(" "));

  fs.mkdirSync(path.join(root, "test-artifacts"), { recursive: true });
  assert.deepEqual(await layoutFaults(page), [], "at 1280 px");
  await page.screenshot({ path: path.join(root, `test-artifacts/dashboard-1280${shot}.png`), fullPage: true });
  // A phone, or a small wall tablet.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(700);
  assert.deepEqual(await layoutFaults(page), [], "at 390 px");
  const chartWidth = await page.$eval("#chart canvas", (c) => c.getBoundingClientRect().width);
  assert.ok(chartWidth <= 390, `the chart follows the width: ${chartWidth}`);
  await page.screenshot({ path: path.join(root, `test-artifacts/dashboard-390${shot}.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 1000 });

  // An unreachable broker: its error and the attempts show at the connection
  // form; the previous client is freed, not left running.
  await page.fill("#url", process.env.MQTT_CLOSED_URL);
  await page.click("#connect");
  await page.waitForSelector("#conn-error:text('ConnectionFailed')", { timeout: 10000 });
  assert.match(await page.textContent("#conn-error"), new RegExp(process.env.MQTT_CLOSED_URL.replace(/[.]/g, "\\.")));
  await page.waitForSelector('#status[data-state="reconnecting"]', { timeout: 10000 });
  await page.waitForSelector("#attempts:text('attempt')", { timeout: 10000 });
  const stale = await page.$$eval("#tree tr.stale", (rows) => rows.length);
  assert.ok(stale > 0, "the rows of the old connection are marked stale");
  assert.equal(await page.evaluate(() => window.openSockets()), 0, "the old client's socket was closed");
  assert.deepEqual(errors, []);
});
