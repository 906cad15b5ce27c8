// The dashboard: plain ES modules on the package built into /pkg/ and uPlot
// from node_modules; no bundler.
import init, { MqttClient, MqttError, topicMatches } from "/pkg/mqtt_wasm.js";
import uPlot from "/node_modules/uplot/dist/uPlot.esm.js";

const $ = (id) => document.getElementById(id);
const CHART_WINDOW_S = 60;
const MAX_LOG_ROWS = 300;
/** A pause this much longer than a series' usual interval is drawn as a gap. */
const GAP_FACTOR = 3;

let client = null;
/** The filter the current client subscribed (a new filter replaces it). */
let subscribedFilter = null;
let paused = false;
let received = 0;

// ----- event log ------------------------------------------------------------

function log(line) {
  const el = $("log");
  el.textContent = `${new Date().toLocaleTimeString()} ${line}\n${el.textContent}`.slice(0, 20000);
}

function describe(e) {
  if (!(e instanceof MqttError)) return String(e);
  const reason = e.reasonCode !== undefined ? ` (reason 0x${e.reasonCode.toString(16)})` : "";
  return `${e.code}${reason}: ${e.message}`;
}

/** `state`: offline, connecting, reconnecting or online. */
function setStatus(state) {
  const el = $("status");
  el.textContent = state;
  el.dataset.state = state;
  el.className = `status ${state}`;
  $("connect").disabled = state === "connecting";
  $("disconnect").disabled = state === "offline";
  $("publish").disabled = state !== "online";
  if (state !== "reconnecting") $("attempts").textContent = "";
}

const isNumeric = (text) => text.trim() !== "" && Number.isFinite(Number(text));

// ----- topic tree -------------------------------------------------------------

/** topic -> { value, retained, times: [ms...], row, at } */
const topics = new Map();

function rate(entry, now) {
  entry.times = entry.times.filter((t) => now - t < 5000);
  return entry.times.length / 5;
}

function updateTopic(topic, text, retained) {
  const now = performance.now();
  let entry = topics.get(topic);
  if (!entry) {
    const row = document.createElement("tr");
    row.dataset.topic = topic;
    row.innerHTML = "<td></td><td></td><td></td><td></td>";
    // Left-to-right marks keep the topic's own order inside the rtl cell.
    row.cells[0].textContent = `\u200e${topic}\u200e`;
    row.cells[0].className = "tail";
    row.cells[0].title = topic;
    const button = document.createElement("button");
    button.className = "chart";
    button.title = "chart this topic";
    button.textContent = "chart";
    button.hidden = true;
    button.addEventListener("click", () => chartTopic(topic));
    row.cells[3].appendChild(button);
    // Keep rows sorted by topic, as a flattened tree.
    const after = [...$("tree").rows].find((r) => r.dataset.topic > topic);
    $("tree").insertBefore(row, after ?? null);
    entry = { value: "", retained: false, times: [], row };
    topics.set(topic, entry);
  }
  entry.value = text;
  entry.retained = retained;
  entry.times.push(now);
  entry.at = new Date();
  entry.row.cells[1].textContent = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  entry.row.cells[1].title = text.slice(0, 2000);
  entry.row.cells[1].className = retained ? "retained" : "";
  entry.row.classList.remove("stale");
  entry.row.dataset.value = text;
  entry.row.dataset.retained = String(retained);
  // Only numbers can be charted.
  entry.row.cells[3].firstChild.hidden = !isNumeric(text) || charted.includes(topic);
}

/** Rows the connection no longer updates: marked, with the time of their last value. */
function markStale() {
  for (const entry of topics.values()) {
    entry.row.classList.add("stale");
    entry.row.title = `no update since ${entry.at?.toLocaleTimeString() ?? "-"}`;
  }
}

/** Rows a new filter does not cover: removed. */
function keepOnly(filter) {
  for (const [topic, entry] of topics) {
    if (!topicMatches(filter, topic)) {
      entry.row.remove();
      topics.delete(topic);
    }
  }
}

setInterval(() => {
  const now = performance.now();
  for (const entry of topics.values()) entry.row.cells[2].textContent = rate(entry, now).toFixed(1);
}, 1000);

// ----- chart --------------------------------------------------------------------

const charted = [];
/** topic -> [[t, v]...] of the last CHART_WINDOW_S seconds (v null: a gap) */
const series = new Map();
let plot = null;

/** The unit of a telemetry topic, from its last level: one y-axis per unit. */
function unitOf(topic) {
  const name = topic.split("/").pop();
  if (/temp/i.test(name)) return "°C";
  if (/humid|battery|percent/i.test(name)) return "%";
  return "value";
}

function chartTopic(topic) {
  if (charted.includes(topic)) return;
  charted.push(topic);
  series.set(topic, []);
  topics.get(topic)?.row.cells[3].firstChild.setAttribute("hidden", "");
  $("chart-topics").textContent = charted.map((t) => `${t.split("/").pop()} (${unitOf(t)})`).join(", ");
  rebuildPlot();
}

const clock = (v) => new Date(v * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });

function rebuildPlot() {
  plot?.destroy();
  const colors = ["#d9480f", "#1971c2", "#2f9e44", "#9c36b5", "#e67700"];
  const units = [...new Set(charted.map(unitOf))];
  plot = new uPlot(
    {
      width: $("chart").clientWidth || 320,
      height: 240,
      // The last minute, whole seconds on the axis.
      scales: { x: { time: true, range: () => [Date.now() / 1000 - CHART_WINDOW_S, Date.now() / 1000] } },
      series: [
        { value: (u, v) => (v == null ? "" : clock(v)) },
        ...charted.map((t, i) => ({
          label: t.split("/").pop(),
          stroke: colors[i % colors.length],
          scale: unitOf(t),
          value: (u, v) => (v == null ? "" : `${v} ${unitOf(t) === "value" ? "" : unitOf(t)}`),
        })),
      ],
      axes: [
        { values: (u, splits) => splits.map(clock), space: 80 },
        ...units.map((unit, i) => ({ scale: unit, label: unit, side: i % 2 ? 1 : 3, grid: { show: i === 0 }, size: 50 })),
      ],
    },
    plotData(),
    $("chart"),
  );
}

// One x for all series: a series has no value (undefined: the line goes
// on) where only another one has a point, and null (a gap) where its own
// points stopped coming.
function plotData() {
  const times = [...new Set(charted.flatMap((t) => series.get(t).map(([x]) => x)))].sort((a, b) => a - b);
  return [times, ...charted.map((t) => {
    const byTime = new Map(series.get(t));
    return times.map((x) => (byTime.has(x) ? byTime.get(x) : undefined));
  })];
}

function recordPoint(topic, text) {
  const points = series.get(topic);
  if (!points || !isNumeric(text)) return;
  const now = Math.round(Date.now() / 100) / 10;
  const last = points.at(-1);
  const before = points.at(-2);
  // A pause longer than GAP_FACTOR usual intervals (at least 2 s): a gap.
  if (last && before && last[1] !== null && before[1] !== null) {
    const usual = Math.max(last[0] - before[0], 2 / GAP_FACTOR);
    if (now - last[0] > GAP_FACTOR * usual) points.push([last[0] + usual / 2, null]);
  }
  points.push([now, Number(text)]);
  while (points.length && points[0][0] < now - CHART_WINDOW_S) points.shift();
}

setInterval(() => {
  if (plot) {
    plot.setData(plotData());
    $("chart").dataset.points = String(plot.data[0].length);
    $("chart").dataset.gaps = String(plot.data.slice(1).flat().filter((v) => v === null).length);
  }
}, 500);

// The chart follows its column's width (a phone turned, a window resized).
new ResizeObserver(() => plot?.setSize({ width: $("chart").clientWidth, height: 240 })).observe($("chart"));

// ----- message log --------------------------------------------------------------

function logMessage(topic, text, packet) {
  received += 1;
  $("count").textContent = String(received);
  if (paused) return;
  const row = document.createElement("tr");
  for (const cell of [clock(Date.now() / 1000), topic, String(packet.qos), packet.retain ? "yes" : "", text]) {
    const td = document.createElement("td");
    td.textContent = cell === topic ? `\u200e${topic}\u200e` : cell;
    td.title = cell;
    row.appendChild(td);
  }
  row.cells[1].className = "tail";
  $("messages").prepend(row);
  while ($("messages").rows.length > MAX_LOG_ROWS) $("messages").deleteRow(-1);
}

$("pause").addEventListener("click", () => {
  paused = !paused;
  $("pause").textContent = paused ? "Resume" : "Pause";
});
$("clear").addEventListener("click", () => {
  $("messages").replaceChildren();
  received = 0;
  $("count").textContent = "0";
});

// ----- connection -----------------------------------------------------------------

async function connect() {
  // A new client for every Connect: the previous one is freed (its
  // promises settle, its socket closes) and its subscription forgotten.
  client?.free();
  client = null;
  subscribedFilter = null;
  $("conn-error").textContent = "";
  setStatus("connecting");
  const options = {
    url: $("url").value,
    protocolVersion: Number($("version").value),
    keepalive: Number($("keepalive").value),
    clean: $("clean").checked,
    reconnectPeriod: 1000,
    maxReconnectPeriod: 10000,
  };
  if ($("client-id").value) options.clientId = $("client-id").value;
  if ($("username").value) options.username = $("username").value;
  if ($("password").value) options.password = $("password").value;
  try {
    client = new MqttClient(options);
  } catch (e) {
    log(`invalid options: ${describe(e)}`);
    setStatus("offline");
    return;
  }
  const self = client;
  client
    .on("connect", (ack) => {
      setStatus("online");
      $("conn-error").textContent = "";
      $("connack").textContent = `CONNACK 0x${ack.reasonCode.toString(16)}, session present ${ack.sessionPresent}, client id ${self.clientId}`;
      log("connected");
    })
    .on("reconnect", ({ attempt, delayMs, url }) => {
      setStatus("reconnecting");
      $("attempts").textContent = `attempt ${attempt}, after ${(delayMs / 1000).toFixed(1)} s`;
      log(`reconnect attempt ${attempt} after ${delayMs} ms to ${url}`);
    })
    .on("offline", () => {
      setStatus("reconnecting");
      markStale();
      log("offline");
    })
    .on("error", (e) => {
      // Shown where it happened: the connection's errors under its form.
      $("conn-error").textContent = describe(e);
      log(`error ${describe(e)}`);
    })
    .on("end", () => {
      if (client !== self) return;
      setStatus("offline");
      markStale();
      log("ended");
    })
    .on("message", (topic, payload, packet) => {
      const text = payload.toString();
      updateTopic(topic, text, packet.retain);
      recordPoint(topic, text);
      logMessage(topic, text, packet);
    });
  try {
    await self.connect();
    await subscribe($("filter").value);
  } catch (e) {
    if (client !== self) return;
    $("conn-error").textContent = `connect failed: ${describe(e)}`;
    log(`connect failed: ${describe(e)}`);
    setStatus("offline");
  }
}


async function subscribe(filter) {
  if (!client) return;
  const result = $("subscribe-result");
  try {
    if (subscribedFilter && subscribedFilter !== filter) await client.unsubscribe(subscribedFilter);
    const ack = await client.subscribe(filter, { qos: 1 });
    const g = ack.granted[0];
    if (g.reasonCode >= 0x80) {
      result.className = "error";
      result.textContent = `the broker refused ${g.topic}: reason 0x${g.reasonCode.toString(16)}`;
      log(result.textContent);
      return;
    }
    subscribedFilter = filter;
    keepOnly(filter);
    result.className = "muted";
    result.textContent = `subscribed to ${g.topic} (QoS ${g.qos})`;
    log(`subscribed to ${g.topic}: granted QoS ${g.qos}, reason 0x${g.reasonCode.toString(16)}`);
  } catch (e) {
    result.className = "error";
    result.textContent = `subscribe failed: ${describe(e)}`;
    log(result.textContent);
  }
}

$("connect-form").addEventListener("submit", (e) => {
  e.preventDefault();
  connect();
});
$("disconnect").addEventListener("click", () => {
  client?.disconnect().catch((e) => log(`disconnect: ${describe(e)}`));
});
$("filter-form").addEventListener("submit", (e) => {
  e.preventDefault();
  subscribe($("filter").value);
});
$("publish-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  // Names are whatever was typed ("__proto__", "constructor"): own
  // properties of an object without a prototype, looked up as such.
  const userProperties = Object.create(null);
  for (const line of $("user-props").value.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) {
      const [name, value] = [line.slice(0, at).trim(), line.slice(at + 1).trim()];
      userProperties[name] = Object.hasOwn(userProperties, name) ? [].concat(userProperties[name], value) : value;
    }
  }
  const opts = { qos: Number($("pub-qos").value), retain: $("retain").checked };
  if (Object.keys(userProperties).length) opts.properties = { userProperties };
  try {
    if ($("as-request").checked) {
      const response = await client.request($("topic").value, $("payload").value, { ...opts, timeout: 5000 });
      $("publish-result").textContent = `response on ${response.topic}: ${response.payload}`;
      return;
    }
    const r = await client.publish($("topic").value, $("payload").value, opts);
    const parts = [r.packetId !== undefined ? `packet ${r.packetId}` : "written (QoS 0)"];
    if (r.reasonCode !== undefined) parts.push(`reason 0x${r.reasonCode.toString(16)}`);
    $("publish-result").textContent = `published: ${parts.join(", ")}`;
  } catch (err) {
    $("publish-result").textContent = `publish failed: ${describe(err)}`;
  }
});

// ----- start ----------------------------------------------------------------------

await init();
const config = await fetch("/config.json").then((r) => r.json()).catch(() => ({}));
$("url").value = config.brokerUrl || "ws://127.0.0.1:9001/mqtt";
if (config.brokerUrl) {
  // With a local broker (make demo): start the simulated device, chart its
  // temperature, and connect.
  const device = new Worker("device.js", { type: "module" });
  device.onmessage = ({ data }) => {
    if (data.type === "status") $("device-status").textContent = `device: ${data.status}`;
    if (data.type === "command") log(data.obeyed ? `device obeyed: ${data.command}` : `device refused: ${data.command} (${data.reason})`);
  };
  device.postMessage({ url: config.brokerUrl, id: "sim-1" });
  chartTopic("devices/sim-1/telemetry/temperature");
  chartTopic("devices/sim-1/telemetry/humidity");
  await connect();
}
