// The dashboard: plain ES modules on the package built into /pkg/ and uPlot
// from node_modules; no bundler.
import init, { MqttClient, MqttError } from "/pkg/mqtt_wasm.js";
import uPlot from "/node_modules/uplot/dist/uPlot.esm.js";

const $ = (id) => document.getElementById(id);
const decoder = new TextDecoder();
const CHART_WINDOW_S = 60;
const MAX_LOG_ROWS = 300;

let client = null;
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

function setStatus(state) {
  const el = $("status");
  el.textContent = state;
  el.dataset.state = state;
  el.className = `status ${state}`;
  $("connect").disabled = state !== "offline";
  $("disconnect").disabled = state === "offline";
  $("publish").disabled = state === "offline";
}

// ----- topic tree -------------------------------------------------------------

/** topic -> { value, retained, times: [ms...], row } */
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
    row.cells[0].textContent = topic;
    row.cells[0].title = topic;
    const button = document.createElement("button");
    button.className = "chart";
    button.title = "chart this topic";
    button.textContent = "chart";
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
  entry.row.cells[1].textContent = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  entry.row.cells[1].className = retained ? "retained" : "";
  entry.row.dataset.value = text;
  entry.row.dataset.retained = String(retained);
}

setInterval(() => {
  const now = performance.now();
  for (const entry of topics.values()) entry.row.cells[2].textContent = rate(entry, now).toFixed(1);
}, 1000);

// ----- chart --------------------------------------------------------------------

const charted = [];
/** topic -> [[t...], [v...]] of the last CHART_WINDOW_S seconds */
const series = new Map();
let plot = null;

function chartTopic(topic) {
  if (charted.includes(topic)) return;
  charted.push(topic);
  series.set(topic, []);
  $("chart-topics").textContent = charted.join(", ");
  rebuildPlot();
}

function rebuildPlot() {
  plot?.destroy();
  const colors = ["#d9480f", "#1971c2", "#2f9e44", "#9c36b5", "#e67700"];
  plot = new uPlot(
    {
      width: Math.max(320, $("chart").clientWidth),
      height: 240,
      series: [{}, ...charted.map((t, i) => ({ label: t.split("/").pop(), stroke: colors[i % colors.length], spanGaps: true }))],
      axes: [{}, {}],
    },
    plotData(),
    $("chart"),
  );
}

function plotData() {
  const times = [...new Set(charted.flatMap((t) => series.get(t).map(([x]) => x)))].sort((a, b) => a - b);
  return [times, ...charted.map((t) => {
    const byTime = new Map(series.get(t));
    return times.map((x) => byTime.get(x) ?? null);
  })];
}

function recordPoint(topic, text) {
  const points = series.get(topic);
  const value = Number(text);
  if (!points || text.trim() === "" || !Number.isFinite(value)) return;
  const now = Date.now() / 1000;
  points.push([Math.round(now * 10) / 10, value]);
  while (points.length && points[0][0] < now - CHART_WINDOW_S) points.shift();
}

setInterval(() => {
  if (plot) {
    plot.setData(plotData());
    $("chart").dataset.points = String(plot.data[0].length);
  }
}, 500);

// ----- message log --------------------------------------------------------------

function logMessage(topic, text, packet) {
  received += 1;
  $("count").textContent = String(received);
  if (paused) return;
  const row = document.createElement("tr");
  for (const cell of [new Date().toLocaleTimeString(), topic, String(packet.qos), packet.retain ? "yes" : "", text]) {
    const td = document.createElement("td");
    td.textContent = cell;
    row.appendChild(td);
  }
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
  setStatus("connecting");
  $("attempts").textContent = "";
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
  client
    .on("connect", (ack) => {
      setStatus("online");
      $("attempts").textContent = "";
      $("connack").textContent = `CONNACK 0x${ack.reasonCode.toString(16)}, session present ${ack.sessionPresent}, client id ${client.clientId}`;
      log("connected");
    })
    .on("reconnect", ({ attempt, delayMs, url }) => {
      setStatus("connecting");
      $("attempts").textContent = `reconnect attempt ${attempt}`;
      log(`reconnect attempt ${attempt} after ${delayMs} ms to ${url}`);
    })
    .on("offline", () => {
      setStatus("connecting");
      log("offline");
    })
    .on("error", (e) => log(`error ${describe(e)}`))
    .on("end", () => {
      setStatus("offline");
      log("ended");
    })
    .on("message", (topic, payload, packet) => {
      const text = decoder.decode(payload);
      updateTopic(topic, text, packet.retain);
      recordPoint(topic, text);
      logMessage(topic, text, packet);
    });
  try {
    await client.connect();
    await subscribe($("filter").value);
  } catch (e) {
    log(`connect failed: ${describe(e)}`);
    setStatus("offline");
  }
}

let subscribedFilter = null;

async function subscribe(filter) {
  if (!client) return;
  try {
    if (subscribedFilter && subscribedFilter !== filter) await client.unsubscribe(subscribedFilter);
    const ack = await client.subscribe(filter, { qos: 1 });
    const g = ack.granted[0];
    subscribedFilter = filter;
    log(`subscribed to ${g.topic}: granted QoS ${g.qos}, reason 0x${g.reasonCode.toString(16)}`);
  } catch (e) {
    log(`subscribe failed: ${describe(e)}`);
  }
}

$("connect-form").addEventListener("submit", (e) => {
  e.preventDefault();
  connect();
});
$("disconnect").addEventListener("click", () => client?.disconnect());
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
    if (data.type === "command") log(`device obeyed: ${data.command}`);
  };
  device.postMessage({ url: config.brokerUrl, id: "sim-1" });
  chartTopic("devices/sim-1/telemetry/temperature");
  chartTopic("devices/sim-1/telemetry/humidity");
  await connect();
}
