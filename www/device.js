// A simulated device: a second MqttClient, in a Web Worker, that publishes
// telemetry and obeys commands, so the dashboard shows live data out of
// the box. Commands on devices/<id>/cmd: "led on", "led off",
// "interval <ms>".
import init, { MqttClient } from "/pkg/mqtt_wasm.js";

self.onmessage = async ({ data: { url, id } }) => {
  await init();
  const base = `devices/${id}`;
  const client = new MqttClient({
    url,
    clientId: `${id}-${Math.floor(Math.random() * 1e6)}`,
    protocolVersion: 5,
    will: { topic: `${base}/online`, payload: "false", qos: 1, retain: true },
  });
  let interval = 500;
  let timer = null;
  let t = 0;
  let battery = 100;
  const publishTelemetry = () => {
    t += 1;
    const temperature = 21 + 3 * Math.sin(t / 10) + Math.random() * 0.3;
    const humidity = 45 + 10 * Math.cos(t / 15) + Math.random();
    battery = Math.max(0, battery - 0.05);
    client.publish(`${base}/telemetry/temperature`, temperature.toFixed(2));
    client.publish(`${base}/telemetry/humidity`, humidity.toFixed(1));
    client.publish(`${base}/telemetry/battery`, battery.toFixed(1));
  };
  const schedule = () => {
    clearInterval(timer);
    timer = setInterval(publishTelemetry, interval);
  };
  // Each command is answered where it was sent as a request (the
  // dashboard's "as a request" box): respond() publishes the handler's
  // result on the request's Response Topic.
  const obey = async (topic, payload) => {
    const command = payload.toString().trim();
    const [verb, arg] = command.split(/\s+/);
    if (verb === "led" && (arg === "on" || arg === "off")) {
      await client.publish(`${base}/state/led`, arg, { qos: 1, retain: true });
      self.postMessage({ type: "command", command, obeyed: true });
      return `obeyed: ${command}`;
    }
    if (verb === "interval" && Number(arg) >= 50) {
      interval = Number(arg);
      schedule();
      await client.publish(`${base}/state/interval`, String(interval), { qos: 1, retain: true });
      self.postMessage({ type: "command", command, obeyed: true });
      return `obeyed: ${command}`;
    }
    const reason = "unknown command; try \"led on\", \"led off\" or \"interval 1000\"";
    await client.publish(`${base}/state/error`, `${command}: ${reason}`, { qos: 1 });
    self.postMessage({ type: "command", command, obeyed: false, reason });
    return `refused: ${command} (${reason})`;
  };
  client.on("connect", () => self.postMessage({ type: "status", status: "online" }));
  client.on("offline", () => self.postMessage({ type: "status", status: "offline" }));
  await client.connect();
  await client.respond(`${base}/cmd`, obey, { qos: 1 });
  await client.publish(`${base}/online`, "true", { qos: 1, retain: true });
  schedule();
};
