// Bad input from JavaScript: every case rejects (or throws, for the
// constructor) with an MqttError and its code, and the client stays usable.
// Also: one WebSocket send per event-loop turn, and secrets never leak.
import { test } from "node:test";
import assert from "node:assert/strict";
import { brokerUrl, useBrowser } from "./harness.mjs";

const env = useBrowser({ withPage: true });

test("all packets of one event-loop turn go out in one WebSocket send", async () => {
  const r = await env.page.evaluate(async (url) => {
    const recorder = window.recordSends();
    const sends = recorder.sizes;
    try {
      const client = new window.mqtt.MqttClient({ url });
      await client.connect();
      sends.length = 0;
      const all = [];
      for (let i = 0; i < 10; i++) all.push(client.publish("turn/t", "0123456789"));
      await Promise.all(all);
      const result = sends.slice();
      await client.disconnect();
      return result;
    } finally {
      recorder.stop();
    }
  }, brokerUrl);
  // 10 PUBLISH of 2 + 2 + 6 + 10 = 20 bytes each, in one frame.
  assert.deepEqual(r, [200]);
});

test("constructor options: bad values throw InvalidArgument naming the field", async () => {
  const r = await env.page.evaluate((url) => {
    const { MqttClient, MqttError } = window.mqtt;
    const cases = {
      noOptions: undefined,
      notAnObject: "ws://x",
      missingUrl: {},
      httpUrl: { url: "http://127.0.0.1/mqtt" },
      urlNumber: { url: 42 },
      protocolVersion6: { url, protocolVersion: 6 },
      keepaliveNegative: { url, keepalive: -1 },
      keepaliveTooBig: { url, keepalive: 70000 },
      keepaliveString: { url, keepalive: "60" },
      cleanString: { url, clean: "yes" },
      emptyIdNotClean: { url, clientId: "", clean: false },
      longId31: { url, protocolVersion: 3, clientId: "x".repeat(24) },
      willWildcard: { url, will: { topic: "a/#", payload: "x" } },
      willQos3: { url, will: { topic: "a", payload: "x", qos: 3 } },
      willPropsV4: { url, will: { topic: "a", payload: "x", properties: { contentType: "t" } } },
      propsV4: { url, properties: { receiveMaximum: 5 } },
      unknownOption: { url, keepAlive: 5 },
      unknownProperty: { url, protocolVersion: 5, properties: { receiveMax: 5 } },
      passwordNumber: { url, username: "u", password: 1234 },
      providerNotFunction: { url, credentialsProvider: "token" },
      serversNotUrls: { url, servers: ["tcp://x"] },
      maxQueuedNegative: { url, maxQueuedMessages: -5 },
    };
    const out = {};
    for (const [name, options] of Object.entries(cases)) {
      try {
        new MqttClient(options);
        out[name] = "accepted";
      } catch (e) {
        out[name] = e instanceof MqttError ? e.code : `not an MqttError: ${e}`;
      }
    }
    return out;
  }, brokerUrl);
  for (const [name, code] of Object.entries(r)) assert.equal(code, "InvalidArgument", name);
  assert.equal(Object.keys(r).length, 22);
});

test("method arguments: bad values reject with their code, and the client stays usable", async () => {
  const r = await env.page.evaluate(async (url) => {
    const { MqttClient, MqttError } = window.mqtt;
    const client = new MqttClient({ url, protocolVersion: 5 });
    await client.connect();
    const code = (p) => p.then(() => "resolved", (e) => (e instanceof MqttError ? e.code : `not an MqttError: ${e}`));
    const out = {
      topicPlus: await code(client.publish("a/+/b", "x")),
      topicHash: await code(client.publish("#", "x")),
      topicEmpty: await code(client.publish("", "x")),
      topicNul: await code(client.publish("a\u0000b", "x")),
      topicTooLong: await code(client.publish("x".repeat(65536), "x")),
      topicObject: await code(client.publish({}, "x")),
      qos3: await code(client.publish("a", "x", { qos: 3 })),
      qosString: await code(client.publish("a", "x", { qos: "1" })),
      payloadNumber: await code(client.publish("a", 42)),
      payloadUndefined: await code(client.publish("a", undefined, { retain: true })),
      payloadNull: await code(client.publish("a", null)),
      payloadEmpty: await code(client.publish("a", "")),
      retainString: await code(client.publish("a", "x", { retain: "true" })),
      topicAliasByHand: await code(client.publish("a", "x", { properties: { topicAlias: 1 } })),
      badUserProps: await code(client.publish("a", "x", { properties: { userProperties: { k: 5 } } })),
      correlationString: await code(client.publish("a", "x", { properties: { correlationData: "abc" } })),
      expiryNegative: await code(client.publish("a", "x", { properties: { messageExpiryInterval: -1 } })),
      filterHashMiddle: await code(client.subscribe("a/#/b")),
      filterPlusPartial: await code(client.subscribe("a/b+")),
      filterEmpty: await code(client.subscribe("")),
      filterListEmpty: await code(client.subscribe([])),
      filterSharedBad: await code(client.subscribe("$share//a")),
      subQos3: await code(client.subscribe("a", { qos: 3 })),
      retainHandling3: await code(client.subscribe("a", { retainHandling: 3 })),
      subIdZero: await code(client.subscribe("a", { properties: { subscriptionIdentifier: 0 } })),
      unsubEmpty: await code(client.unsubscribe("")),
      unsubNumber: await code(client.unsubscribe(7)),
      disconnectReason: await code(client.disconnect({ reasonCode: 0x19 })),
      authNoReason: await code(client.auth({})),
    };
    // Still usable after all that.
    out.stillWorks = await code(client.publish("ok/t", "fine", { qos: 1 }));
    out.connected = client.connected;
    await client.disconnect();
    out.publishAfterEnd = await code(client.publish("a", "x"));
    out.subscribeAfterEnd = await code(client.subscribe("a"));
    out.unsubscribeAfterEnd = await code(client.unsubscribe("a"));
    return out;
  }, brokerUrl);
  const expected = {
    topicPlus: "InvalidTopic", topicHash: "InvalidTopic", topicEmpty: "InvalidTopic", topicNul: "InvalidTopic",
    topicTooLong: "InvalidTopic", topicObject: "InvalidTopic", qos3: "InvalidArgument", qosString: "InvalidArgument",
    payloadNumber: "InvalidArgument", payloadUndefined: "InvalidArgument", payloadNull: "InvalidArgument",
    payloadEmpty: "resolved", retainString: "InvalidArgument", topicAliasByHand: "InvalidArgument",
    badUserProps: "InvalidArgument", correlationString: "InvalidArgument", expiryNegative: "InvalidArgument",
    filterHashMiddle: "InvalidTopic", filterPlusPartial: "InvalidTopic", filterEmpty: "InvalidTopic",
    filterListEmpty: "InvalidArgument", filterSharedBad: "InvalidTopic", subQos3: "InvalidArgument",
    retainHandling3: "InvalidArgument", subIdZero: "InvalidArgument", unsubEmpty: "InvalidTopic",
    unsubNumber: "InvalidArgument", disconnectReason: "InvalidArgument", authNoReason: "InvalidArgument",
    stillWorks: "resolved", connected: true,
    publishAfterEnd: "Closed", subscribeAfterEnd: "Closed", unsubscribeAfterEnd: "Closed",
  };
  assert.deepEqual(r, expected);
});

test("passwords and authentication data never appear in errors, events or the console", async () => {
  const secret = "s3cr3t-Pa55";
  const r = await env.page.evaluate(async ({ url, secret }) => {
    const { MqttClient } = window.mqtt;
    const seen = [];
    const capture = (...args) => seen.push(args.map((a) => (a instanceof Error ? `${a.name} ${a.message} ${a.stack} ${JSON.stringify(a)}` : JSON.stringify(a))).join(" "));
    const originals = {};
    for (const level of ["log", "info", "warn", "error", "debug"]) {
      originals[level] = console[level];
      console[level] = (...args) => { capture(...args); originals[level](...args); };
    }
    try {
      // Bad options mentioning the secret.
      try { new MqttClient({ url, username: "u", password: 12345, keepAlive: secret }); } catch (e) { capture(e); }
      try { new MqttClient({ url, protocolVersion: 5, properties: { authenticationData: secret } }); } catch (e) { capture(e); }
      // A connection with a password and authentication data, every event recorded.
      const client = new MqttClient({ url, protocolVersion: 5, username: "u", password: secret, connectTimeout: 2000, reconnectPeriod: 0,
        properties: { authenticationMethod: "none", authenticationData: new TextEncoder().encode(secret) } });
      for (const ev of ["error", "close", "end", "packetsend", "packetreceive", "connect", "auth", "disconnect"]) client.on(ev, (...a) => capture(ev, ...a));
      await client.connect().catch(capture);
      return seen.filter((s) => s.includes(secret) || s.includes(btoa(secret)));
    } finally {
      for (const level of Object.keys(originals)) console[level] = originals[level];
    }
  }, { url: brokerUrl, secret });
  assert.deepEqual(r, []);
});

test("option errors name the offending field, nested ones by their path", async () => {
  const r = await env.page.evaluate((url) => {
    const { MqttClient } = window.mqtt;
    const message = (options) => { try { new MqttClient(options); return "accepted"; } catch (e) { return e.message; } };
    return {
      top: message({ url, keepalive: "soon" }),
      required: message({ url: 42 }),
      nested: message({ url, protocolVersion: 5, properties: { receiveMaximum: "many" } }),
      will: message({ url, will: { topic: "t", payload: "x", retain: "yes" } }),
    };
  }, brokerUrl);
  assert.equal(r.top, 'options.keepalive: expected a whole number of seconds from 0 to 65535, got the string "soon"');
  assert.equal(r.required, "options.url: expected a ws:// or wss:// URL, got the number 42");
  assert.equal(r.nested, 'options.properties.receiveMaximum: expected a whole number from 0 to 65535, got the string "many"');
  assert.equal(r.will, 'options.will.retain: expected true or false, got the string "yes"');
});

test("strings that are not well-formed UTF-16 are refused with a typed error, never rewritten", async () => {
  const r = await env.page.evaluate(async (url) => {
    const { MqttClient, MqttError } = window.mqtt;
    const lone = "a/\ud800";
    const ctor = (o) => { try { new MqttClient(o); return "accepted"; } catch (e) { return e instanceof MqttError ? e.code : `${e}`; } };
    const out = {
      clientId: ctor({ url, clientId: "id\udc00" }),
      username: ctor({ url, username: "\ud800", password: "p" }),
      password: ctor({ url, username: "u", password: "p\ud800" }),
      willTopic: ctor({ url, will: { topic: lone, payload: "x" } }),
      userPropertyValue: ctor({ url, protocolVersion: 5, properties: { userProperties: { k: "\ud800" } } }),
      userPropertyName: ctor({ url, protocolVersion: 5, properties: { userProperties: { ["\udfff"]: "v" } } }),
      pairIsFine: ctor({ url, clientId: "id\ud83d\ude00" }),
    };
    const client = new MqttClient({ url, protocolVersion: 5 });
    await client.connect();
    const code = (p) => p.then(() => "resolved", (e) => (e instanceof MqttError ? e.code : `${e}`));
    out.topic = await code(client.publish(lone, "x"));
    out.filter = await code(client.subscribe(lone));
    out.filterObject = await code(client.subscribe([{ topic: lone }]));
    out.unsubscribe = await code(client.unsubscribe([lone]));
    out.contentType = await code(client.publish("a", "x", { properties: { contentType: "\ud800" } }));
    // A replacement character of the application's own is a character like any other.
    out.ownReplacement = await code(client.publish("a/\ufffd", "x"));
    out.message = await client.publish(lone, "x").catch((e) => e.message);
    await client.disconnect();
    return out;
  }, brokerUrl);
  assert.deepEqual(r, {
    clientId: "InvalidArgument", username: "InvalidArgument", password: "InvalidArgument", willTopic: "InvalidArgument",
    userPropertyValue: "InvalidArgument", userPropertyName: "InvalidArgument", pairIsFine: "accepted",
    topic: "InvalidTopic", filter: "InvalidTopic", filterObject: "InvalidTopic", unsubscribe: "InvalidTopic",
    contentType: "InvalidArgument", ownReplacement: "resolved",
    message: "topic: not well-formed UTF-16 (a lone surrogate), which MQTT's UTF-8 cannot carry",
  });
});
