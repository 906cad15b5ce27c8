// A minimal Vite app using the packed npm package exactly as documented:
// no plugin, no polyfill, no Vite configuration.
import init, { MqttClient } from "mqtt-wasm";

const broker = new URLSearchParams(location.search).get("broker");
await init();
const client = new MqttClient({ url: broker, protocolVersion: 5 });
const topic = `vite/${Math.random()}`;
const received = new Promise((resolve) => client.on("message", (_topic, payload) => resolve(new TextDecoder().decode(payload))));
await client.connect();
await client.subscribe(topic, { qos: 1 });
await client.publish(topic, "hello from a Vite app", { qos: 1 });
document.getElementById("result").textContent = await received;
await client.disconnect();
