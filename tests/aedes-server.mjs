// A second, independent broker for interoperability tests: aedes (MQTT
// 3.1.1) served over WebSocket on loopback. Prints "listening <port>".
import { Aedes } from "aedes";
import { WebSocketServer, createWebSocketStream } from "ws";

const port = Number(process.argv[2] || 0);
const broker = await Aedes.createBroker();
const wss = new WebSocketServer({ host: "127.0.0.1", port, handleProtocols: (protocols) => [...protocols][0] });
wss.on("connection", (ws) => broker.handle(createWebSocketStream(ws)));
wss.on("listening", () => console.log(`listening ${wss.address().port}`));
