// What MQTT.js users bring: payload.toString(), callbacks, end(), a client
// used after free(); and MQTT 5.0's server-assigned client id with a
// session that resumes under it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { brokerUrl, useBrowser } from "./harness.mjs";

const env = useBrowser({ withPage: true });

test("a received payload reads as text, as a Buffer does: toString(), text(), json()", async () => {
  const r = await env.page.evaluate(async (url) => {
    const { MqttClient, Payload } = window.mqtt;
    const client = new MqttClient({ url });
    await client.connect();
    const topic = `habits/${Math.random()}`;
    const seen = [];
    const done = new Promise((resolve) => {
      client.subscribe(topic, { qos: 1 }, (t, payload) => {
        seen.push({ handler: true, s: payload.toString() });
        resolve();
      });
    });
    client.on("message", (t, payload) =>
      seen.push({ s: payload.toString(), template: `${payload}`, text: payload.text(), json: payload.json(), u8: payload instanceof Uint8Array, payload: payload instanceof Payload, bytes: Array.from(payload.subarray(0, 3)) }),
    );
    await client.publish(topic, JSON.stringify({ t: "21.5 °C" }), { qos: 1 });
    await done;
    await client.end();
    return seen;
  }, brokerUrl);
  const json = JSON.stringify({ t: "21.5 °C" });
  assert.deepEqual(r[0], { s: json, template: json, text: json, json: { t: "21.5 °C" }, u8: true, payload: true, bytes: [0x7b, 0x22, 0x74] });
  assert.deepEqual(r[1], { handler: true, s: json });
});

test("a callback where a promise method takes options is refused, saying to await", async () => {
  const r = await env.page.evaluate(async (url) => {
    const { MqttClient } = window.mqtt;
    const client = new MqttClient({ url });
    const cb = () => {};
    const out = {};
    const calls = {
      subscribeCallback: () => client.subscribe("a", cb),
      publishCallback: () => client.publish("a", "x", cb),
      publishFourth: () => client.publish("a", "x", { qos: 0 }, cb),
      unsubscribeCallback: () => client.unsubscribe("a", cb),
      disconnectCallback: () => client.disconnect(cb),
      endCallback: () => client.end(false, cb),
      connectOptions: () => client.connect({ url }),
      constructorCallback: () => new MqttClient(cb),
    };
    for (const [name, call] of Object.entries(calls)) {
      try {
        await call();
        out[name] = "accepted";
      } catch (e) {
        out[name] = `${e.code}: ${e.message}`;
      }
    }
    client.free();
    return out;
  }, brokerUrl);
  for (const [name, outcome] of Object.entries(r)) {
    assert.match(outcome, /^InvalidArgument: /, name);
    assert.match(outcome, name === "connectOptions" ? /new MqttClient\(options\)/ : /promises/, name);
  }
  assert.equal(Object.keys(r).length, 8);
});

test("end() is disconnect(): DISCONNECT, close, end, no reconnect", async () => {
  const r = await env.page.evaluate(async (url) => {
    const { MqttClient } = window.mqtt;
    const client = new MqttClient({ url });
    const events = [];
    for (const e of ["connect", "close", "end", "reconnect"]) client.on(e, () => events.push(e));
    await client.connect();
    const result = await client.end(true);
    await new Promise((r) => setTimeout(r, 300));
    client.free();
    return { events, result: String(result), connected: client.connected };
  }, brokerUrl);
  assert.deepEqual(r, { events: ["connect", "close", "end"], result: "undefined", connected: false });
});

test("a freed client says so: methods reject and members throw Closed, free() again does nothing", async () => {
  const r = await env.page.evaluate(async (url) => {
    const { MqttClient } = window.mqtt;
    const client = new MqttClient({ url });
    let ends = 0;
    client.on("end", () => ends++);
    await client.connect();
    client.free();
    client.free();
    const out = { ends, connected: client.connected };
    for (const name of ["connect", "publish", "subscribe", "disconnect"]) {
      try {
        await client[name]("t", "x");
        out[name] = "resolved";
      } catch (e) {
        out[name] = `${e.code}: ${e.message}`;
      }
    }
    for (const name of ["clientId", "inflightCount"]) {
      try {
        out[name] = `read ${client[name]}`;
      } catch (e) {
        out[name] = `${e.code}: ${e.message}`;
      }
    }
    try {
      client.on("message", () => {});
      out.on = "accepted";
    } catch (e) {
      out.on = `${e.code}: ${e.message}`;
    }
    return out;
  }, brokerUrl);
  assert.equal(r.ends, 1, "end once");
  assert.equal(r.connected, false);
  for (const name of ["connect", "publish", "subscribe", "disconnect", "clientId", "inflightCount", "on"]) {
    assert.match(r[name], /^Closed: .*freed/, name);
  }
});

test("MQTT 5.0: clientId \"\" with clean: false gets the server's identifier and resumes the session under it", async () => {
  const r = await env.page.evaluate(async (url) => {
    const { MqttClient } = window.mqtt;
    const client = new MqttClient({ url, protocolVersion: 5, clientId: "", clean: false, sessionExpiryInterval: 60 });
    const first = await client.connect();
    const assigned = client.clientId;
    await client.disconnect();
    const second = await client.connect();
    const again = client.clientId;
    await client.disconnect();
    client.free();
    return { first: first.sessionPresent, assignedProperty: first.properties.assignedClientIdentifier, assigned, second: second.sessionPresent, again };
  }, brokerUrl);
  assert.ok(r.assigned.length > 0, "the server assigned an identifier");
  assert.equal(r.assignedProperty, r.assigned);
  assert.equal(r.first, false);
  assert.equal(r.again, r.assigned, "reconnects use the assigned identifier");
  assert.equal(r.second, true, "and resume the session");
});

test("topicMatches routes by MQTT's rules, as the client does", async () => {
  const r = await env.page.evaluate(() => {
    const { topicMatches } = window.mqtt;
    return [
      topicMatches("sensors/+/temp", "sensors/a/temp"),
      topicMatches("sensors/#", "sensors"),
      topicMatches("$share/g/sensors/#", "sensors/a"),
      topicMatches("#", "$SYS/broker"),
      topicMatches("sensors/+", "sensors/a/b"),
    ];
  });
  assert.deepEqual(r, [true, true, true, false, false]);
});
