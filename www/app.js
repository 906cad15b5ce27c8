// The demo dashboard: a plain ES module on the package built into /pkg/.
import init, { MqttClient, MqttError } from "/pkg/mqtt_wasm.js";

const $ = (id) => document.getElementById(id);
const decoder = new TextDecoder();
let client = null;
let received = 0;

function log(line) {
  const el = $("log");
  el.textContent = `${new Date().toLocaleTimeString()} ${line}\n` + el.textContent.slice(0, 20000);
}

function setStatus(state) {
  const el = $("status");
  el.textContent = state;
  el.dataset.state = state;
  el.className = `status ${state}`;
  $("connect").disabled = state !== "offline";
  $("disconnect").disabled = state === "offline";
}

function describe(e) {
  return e instanceof MqttError ? `${e.code}${e.reasonCode !== undefined ? ` (0x${e.reasonCode.toString(16)})` : ""}: ${e.message}` : String(e);
}

async function connect() {
  setStatus("connecting");
  try {
    client = new MqttClient({ url: $("url").value, protocolVersion: Number($("version").value), reconnectPeriod: 1000 });
  } catch (e) {
    log(`invalid options: ${describe(e)}`);
    setStatus("offline");
    return;
  }
  client
    .on("connect", (ack) => {
      setStatus("online");
      $("connack").textContent = `CONNACK reason ${ack.reasonCode}, session present ${ack.sessionPresent}, client id ${client.clientId}`;
      log("connected");
    })
    .on("reconnect", (r) => { setStatus("connecting"); log(`reconnect attempt ${r.attempt} in ${r.delayMs} ms to ${r.url}`); })
    .on("offline", () => { setStatus("connecting"); log("offline"); })
    .on("error", (e) => log(`error ${describe(e)}`))
    .on("end", () => { setStatus("offline"); log("ended"); })
    .on("message", (topic, payload, packet) => {
      received += 1;
      $("count").textContent = String(received);
      const row = document.createElement("tr");
      for (const text of [new Date().toLocaleTimeString(), topic, String(packet.qos), decoder.decode(payload)]) {
        const td = document.createElement("td");
        td.textContent = text;
        row.appendChild(td);
      }
      $("messages").prepend(row);
      while ($("messages").rows.length > 200) $("messages").deleteRow(-1);
    });
  try {
    await client.connect();
  } catch (e) {
    log(`connect failed: ${describe(e)}`);
    setStatus("offline");
  }
}

$("connect-form").addEventListener("submit", (e) => { e.preventDefault(); connect(); });
$("disconnect").addEventListener("click", async () => { await client?.disconnect(); });
$("subscribe-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const ack = await client.subscribe($("filter").value, { qos: Number($("sub-qos").value) });
    for (const g of ack.granted) {
      const li = document.createElement("li");
      li.textContent = `${g.topic} (granted QoS ${g.qos}, reason 0x${g.reasonCode.toString(16)})`;
      $("subscriptions").appendChild(li);
    }
  } catch (err) {
    log(`subscribe failed: ${describe(err)}`);
  }
});
$("publish-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const r = await client.publish($("topic").value, $("payload").value, { qos: Number($("pub-qos").value), retain: $("retain").checked });
    log(`published${r.packetId ? ` (packet ${r.packetId})` : ""}`);
  } catch (err) {
    log(`publish failed: ${describe(err)}`);
  }
});

await init();
const config = await fetch("/config.json").then((r) => r.json()).catch(() => ({}));
$("url").value = config.brokerUrl || "ws://127.0.0.1:9001/mqtt";
// With a broker configured (make demo), connect and subscribe right away.
if (config.brokerUrl) {
  await connect();
  if (client?.connected) $("subscribe-form").requestSubmit();
}
