// Type-checked with `tsc --noEmit` against the built package's .d.ts (a
// suite of `make test`): how an application writes against the API.
import init, { MqttClient, MqttError, Payload, SharedMqttClient, topicMatches, type ConnAck, type SubAck, type ClientOptions, type Message, type MessageStream } from "mqtt-wasm";

export async function dashboard(url: string): Promise<void> {
  await init();
  const options: ClientOptions = {
    url,
    protocolVersion: 5,
    clientId: "dash-1",
    will: { topic: "status/dash-1", payload: "offline", qos: 1, retain: true },
    properties: { sessionExpiryInterval: 60, userProperties: { app: "dashboard", tags: ["a", "b"] } },
    credentialsProvider: async () => ({ username: "u", password: new Uint8Array([1, 2]) }),
  };
  const client = new MqttClient(options);
  client
    .on("message", (topic, payload, packet) => {
      const text: string = topic + new TextDecoder().decode(payload);
      const qos: 0 | 1 | 2 = packet.qos;
      void text;
      void qos;
    })
    .on("error", (e) => {
      const code: string = e.code;
      const reason: number | undefined = e.reasonCode;
      void code;
      void reason;
    })
    .on("reconnect", ({ attempt, delayMs }) => void (attempt + delayMs));
  const ack: ConnAck = await client.connect();
  const granted: SubAck = await client.subscribe([{ topic: "sensors/#", qos: 1, noLocal: true }], { properties: { subscriptionIdentifier: 7 } });
  await client.publish("sensors/t", new Uint8Array([1]), { qos: 2, properties: { contentType: "application/octet-stream" } });
  await client.publish("sensors/t", "text");
  await client.subscribe("alerts/+", { qos: 1 }, (topic, payload, packet) => void [topic.length, payload.byteLength, packet.qos]);
  await client.unsubscribe("sensors/#");
  try {
    await client.publish("bad/#", "x");
  } catch (e) {
    if (e instanceof MqttError && e.code === "InvalidTopic") {
      console.log(ack.reasonCode, granted.granted[0].reasonCode, client.inflightCount, client.serverProperties.receiveMaximum);
    }
  }
  await client.disconnect({ reasonCode: 0 });
}

// @ts-expect-error: an unknown event name is a type error.
new MqttClient({ url: "ws://x" }).on("mesage", () => {});
// @ts-expect-error: a message handler's payload is a Uint8Array, not a string.
new MqttClient({ url: "ws://x" }).on("message", (topic: string, payload: string) => void [topic, payload]);

export async function sharedTab(url: string): Promise<boolean> {
  const shared = new SharedMqttClient({ url, protocolVersion: 5, store: "indexeddb", clientId: "tabs" });
  await shared.connect();
  await shared.subscribe("sensors/#", { qos: 1 }, (topic, payload) => void [topic, payload.byteLength]);
  shared.on("error", (e) => void e.code);
  return shared.shared && shared.connected;
}

export function declarations(client: MqttClient): void {
  // Literal unions where the API has a closed set of values.
  const version: 3 | 4 | 5 = client.protocolVersion;
  void version;
  // on() and off() return the client itself.
  const same: MqttClient = client.on("close", () => {}).off("close", () => {});
  void same;
  // MqttError is constructed as it behaves: a code from the list, then the message.
  const e = new MqttError("Closed", "the client ended");
  const code: "Closed" | "Timeout" | string = e.code;
  void code;
  // @ts-expect-error: a code outside the list is a type error.
  void new MqttError("Nope", "x");
  // @ts-expect-error: protocolVersion is 3, 4 or 5.
  void new MqttClient({ url: "ws://x", protocolVersion: 6 });
}

export function mqttJsHabits(client: MqttClient): void {
  // A payload reads as text and JSON, as MQTT.js's Buffer does, and is a Uint8Array.
  client.on("message", (topic, payload) => {
    const text: string = payload.toString();
    const data = payload.json<{ t: number }>();
    const bytes: Uint8Array = payload;
    void [topic, text, data.t, bytes, payload.text(), payload instanceof Payload];
  });
  // end() is disconnect() under MQTT.js's name.
  void client.end();
  void client.end(true, { reasonCode: 0 });
  void new MqttError("NotInitialized", "call init() first");
}

export function routing(): boolean {
  return topicMatches("sensors/+/temp", "sensors/a/temp") && !topicMatches("#", "$SYS/x");
}

export async function beyondThePeers(client: MqttClient, shared: SharedMqttClient): Promise<void> {
  // request() resolves with the response message.
  const response: Message = await client.request("devices/d1/cmd", "led on", { qos: 1, timeout: 5000 });
  const text: string = response.payload.toString();
  const correlation: Uint8Array | undefined = response.packet.properties?.correlationData;
  void [text, correlation, response.topic];
  // respond(): the handler's result is the response payload, sync or async.
  const ack: SubAck = await client.respond("devices/d1/cmd", async (topic, payload) => `did ${payload}`, { qos: 1 });
  void ack;
  await shared.respond("x", () => undefined);
  // messages(): an async iterable of messages, with its subscription and overflow count.
  const stream: MessageStream = client.messages("sensors/#", { qos: 1, bufferSize: 100, overflow: "error" });
  await stream.subscribed;
  for await (const { topic, payload } of stream) {
    void [topic, payload.json(), stream.dropped];
    break;
  }
  // @ts-expect-error: "block" is not an overflow policy.
  client.messages("a", { overflow: "block" });
  // @ts-expect-error: the response comes through the promise, not a callback.
  void client.request("a", "b", () => {});
  void new MqttError("Unsupported", "needs MQTT 5.0");
}
