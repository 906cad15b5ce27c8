// A WebSocket MQTT server that follows a script instead of the protocol,
// for what a real broker never does: send topic aliases, or misbehave.
// The scenario is the URL path (ws://127.0.0.1:PORT/<scenario>). It speaks
// just enough MQTT 5.0 to accept a CONNECT; then it plays the scenario.
// Prints "listening <port>" when ready.
import { WebSocketServer } from "ws";

const port = Number(process.argv[2] || 0);
const connack = Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]);

function publish(topic, payload, props = Buffer.alloc(0), first = 0x30) {
  const t = Buffer.from(topic, "utf8");
  const body = Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), t, Buffer.from([props.length]), props, Buffer.from(payload)]);
  return Buffer.concat([Buffer.from([first, body.length]), body]);
}
const alias = (n) => Buffer.from([0x23, n >> 8, n & 0xff]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Each scenario runs once CONNECT has arrived. `onSubscribe` answers a SUBSCRIBE.
const scenarios = {
  // Inbound topic aliases: define alias 1, then use it with an empty topic.
  "alias": { onSubscribe: (ws, pid) => {
    ws.send(Buffer.from([0x90, 0x04, pid >> 8, pid & 0xff, 0x00, 0x00]));
    ws.send(publish("alias/topic", "one", alias(1)));
    ws.send(publish("", "two", alias(1)));
  } },
  // A burst: 100 messages, one frame each, the last split over two frames,
  // then the server closes at once (the frames must all come first).
  "burst-close": { connected: (ws) => {
    for (let i = 0; i < 99; i++) ws.send(publish("burst/t", String(i)));
    const last = publish("burst/t", "99");
    ws.send(last.subarray(0, 5));
    ws.send(last.subarray(5));
    ws.close(1000);
  } },
  // (Bodies under 128 bytes: `publish` writes a one-byte length.)
  // Payloads in frames of every shape: a packet to a frame; a small and a
  // large packet in one frame; a large packet split over two frames with
  // a small one after it in the second.
  "frames": { connected: (ws) => {
    const big = (n, c) => Buffer.alloc(n, c);
    ws.send(publish("f/1", big(100, 0x61)));
    ws.send(Buffer.concat([publish("f/2", "s"), publish("f/3", big(110, 0x62))]));
    const split = publish("f/4", big(90, 0x63));
    ws.send(split.subarray(0, 40));
    ws.send(Buffer.concat([split.subarray(40), publish("f/5", "t")]));
  } },
  "bad-varint": { connected: (ws) => ws.send(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])) },
  // 2 MiB announced; the client's default limit is 1 MiB.
  "oversized": { connected: (ws) => ws.send(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x01, 0x00])) },
  "bad-utf8": { connected: (ws) => ws.send(Buffer.from([0x30, 0x06, 0x00, 0x03, 0xed, 0xa0, 0x80, 0x00])) },
  "unknown-type": { connected: (ws) => ws.send(Buffer.from([0x00, 0x00])) },
  "reserved-flags": { connected: (ws) => ws.send(Buffer.from([0xd1, 0x00])) },
  "unknown-ack": { connected: (ws) => ws.send(Buffer.from([0x40, 0x02, 0x00, 0x63])) },
  "second-connack": { connected: (ws) => ws.send(connack) },
  "alias-zero": { connected: (ws) => ws.send(publish("t", "x", alias(0))) },
  "alias-above-max": { connected: (ws) => ws.send(publish("t", "x", alias(100))) },
  // Assigned Client Identifier (0x12) may not appear on PUBLISH.
  "property-not-allowed": { connected: (ws) => ws.send(publish("t", "x", Buffer.from([0x12, 0x00, 0x01, 0x61]))) },
  "no-connack": { silent: true },
  // A valid PUBLISH, in a text frame: MQTT is binary frames only [MQTT-6.0.0-1].
  "text-frame": { connected: (ws) => ws.send(publish("t", "x").toString("latin1")) },
  // PINGRESP with its remaining length 0 written in two bytes [MQTT-1.5.5-1].
  "non-minimal-varint": { connected: (ws) => ws.send(Buffer.from([0xd0, 0x80, 0x00])) },
  // A CONNACK whose user property names are those of Object.prototype.
  "proto-keys": { connack: (() => {
    const pair = (n, v) => Buffer.concat([Buffer.from([0x26, 0, n.length]), Buffer.from(n), Buffer.from([0, v.length]), Buffer.from(v)]);
    const props = Buffer.concat([pair("constructor", "c"), pair("toString", "t"), pair("__proto__", "a"), pair("__proto__", "b"), pair("k", "v")]);
    return Buffer.concat([Buffer.from([0x20, 3 + props.length, 0x00, 0x00, props.length]), props]);
  })() },
  // Reports, as the payload of a PUBLISH to "last-disconnect", the hex of
  // the last DISCONNECT body any connection sent ("none" if none since).
  "last-disconnect": { connected: (ws) => {
    ws.send(publish("last-disconnect", lastDisconnect ?? "none"));
    lastDisconnect = null;
  } },
  // Enhanced authentication: CONNECT must carry method "demo"; the server
  // challenges with AUTH 0x18 (data "challenge"), expects AUTH 0x18 with
  // data "response", then accepts with CONNACK carrying data "welcome".
  "auth": { silent: true, auth: true },
  // Session resumption: the first connection takes a QoS 1 PUBLISH, does
  // not acknowledge it and drops; the client comes back with Clean Start 0,
  // gets Session Present, and must resend it with DUP and the same packet
  // id. The PUBACK's reason string says whether it did.
  "resume": { custom: true },
  // Accepts, then drops the connection: for reconnect tests.
  "drop": { connected: (ws) => setTimeout(() => ws.close(), 30) },
  "close-mid-packet": { connected: (ws) => { ws.send(publish("t", "half of it").subarray(0, 6)); setTimeout(() => ws.close(), 50); } },
  // MQTT 5 redirection: CONNACK 0x9D Server moved, with the Server
  // Reference given in the URL's query (`/moved?to=host:port`).
  "moved": { moved: true },
  // Valid, but one byte per frame, slowly: the message must still arrive.
  "drip": { silent: true, drip: async (ws) => {
    for (const b of Buffer.concat([connack, publish("drip/t", "slow")])) {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(Buffer.from([b]));
      await sleep(20);
    }
  } },
};

// AUTH / CONNACK with an authentication method and data.
function authPacket(first, reason, data) {
  const method = Buffer.from("demo");
  const d = Buffer.from(data);
  const props = Buffer.concat([Buffer.from([0x15, 0, method.length]), method, Buffer.from([0x16, 0, d.length]), d]);
  const head = first === 0x20 ? [0x00, reason] : [reason];
  const body = Buffer.concat([Buffer.from(head), Buffer.from([props.length]), props]);
  return Buffer.concat([Buffer.from([first, body.length]), body]);
}
function authStep(ws, type, body) {
  const text = body.toString("latin1");
  if (type === 1) {
    if (!text.includes("demo")) return ws.close(4001, "no method");
    ws.send(authPacket(0xf0, 0x18, "challenge"));
  } else if (text.includes("response")) {
    ws.send(authPacket(0x20, 0x00, "welcome"));
  } else {
    ws.send(Buffer.from([0xe0, 0x01, 0x87]));
    ws.close();
  }
}

let lastDisconnect = null;
let resumePid = null;
function resume(ws, type, body, first) {
  if (type === 1) {
    const cleanStart = (body[7] & 0x02) !== 0;
    const present = !cleanStart && resumePid !== null;
    ws.send(Buffer.from([0x20, 0x03, present ? 1 : 0, 0x00, 0x00]));
  } else if (type === 3) {
    const topicLen = (body[0] << 8) | body[1];
    const pid = (body[2 + topicLen] << 8) | body[3 + topicLen];
    if (resumePid === null) {
      resumePid = pid;
      setTimeout(() => ws.close(), 50);
      return;
    }
    const dup = (first & 0x08) !== 0;
    const verdict = dup && pid === resumePid ? "dup-ok" : "no-dup";
    const reason = Buffer.from(verdict);
    ws.send(Buffer.concat([Buffer.from([0x40, 4 + 3 + reason.length, pid >> 8, pid & 0xff, 0x00, 3 + reason.length, 0x1f, 0x00, reason.length]), reason]));
    resumePid = null;
  } else if (type === 12) {
    ws.send(Buffer.from([0xd0, 0x00]));
  }
}

const wss = new WebSocketServer({ host: "127.0.0.1", port, handleProtocols: (protocols) => [...protocols][0] });
wss.on("connection", (ws, req) => {
  const scenario = scenarios[new URL(req.url, "http://x").pathname.slice(1)];
  if (!scenario) return ws.close(4000, "unknown scenario");
  let buf = Buffer.alloc(0);
  ws.on("message", (data) => {
    buf = Buffer.concat([buf, data]);
    for (;;) {
      if (buf.length < 2) return;
      let len = 0, mult = 1, i = 1;
      for (; i < 5 && i < buf.length; i++) {
        len += (buf[i] & 0x7f) * mult;
        mult *= 128;
        if ((buf[i] & 0x80) === 0) break;
      }
      const total = i + 1 + len;
      if (buf.length < total) return;
      const first = buf[0];
      const type = first >> 4;
      const body = buf.subarray(i + 1, total);
      buf = buf.subarray(total);
      if (type === 14) lastDisconnect = body.toString("hex");
      if (scenario.custom) {
        resume(ws, type, body, first);
        continue;
      }
      if (scenario.auth && (type === 1 || type === 15)) {
        authStep(ws, type, body);
        continue;
      }
      if (type === 1 && scenario.moved) {
        const to = Buffer.from(new URL(req.url, "http://x").searchParams.get("to") ?? "");
        const props = Buffer.concat([Buffer.from([0x1c, 0, to.length]), to]);
        ws.send(Buffer.concat([Buffer.from([0x20, 3 + props.length, 0x00, 0x9d, props.length]), props]));
        ws.close();
      } else if (type === 1) {
        if (scenario.drip) scenario.drip(ws);
        else if (!scenario.silent) {
          ws.send(scenario.connack ?? connack);
          if (scenario.connected) setTimeout(() => scenario.connected(ws), 20);
        }
      } else if (type === 8 && scenario.onSubscribe) {
        scenario.onSubscribe(ws, (body[0] << 8) | body[1]);
      } else if (type === 12) {
        ws.send(Buffer.from([0xd0, 0x00]));
      }
    }
  });
});
wss.on("listening", () => console.log(`listening ${wss.address().port}`));
