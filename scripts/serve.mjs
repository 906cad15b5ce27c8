// A static server for the demo and the JS-level tests, loopback only:
//   /            -> www/
//   /pkg/...     -> pkg/ (the built npm package; PKG_DIR overrides)
//   /config.json -> { "brokerUrl": process.env.MQTT_WS_URL }
//   /csp.html    -> an empty page under a strict Content Security Policy
//                   (no blob: workers, no eval), for the tests
//   /bench/...   -> bench/browser/ (the browser benchmark page)
//   POST /results -> written to the file named by BENCH_RESULTS
//   POST /progress -> the benchmark page's current step, written to
//                    BENCH_RESULTS.progress
// Prints "listening <url>" once it accepts connections.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.argv[2] || 0);
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".ts": "text/plain; charset=utf-8",
};

function resolve(urlPath) {
  const clean = path.posix.normalize(decodeURIComponent(urlPath));
  if (clean.startsWith("/pkg/")) return path.join(process.env.PKG_DIR || path.join(root, "pkg"), clean.slice(5));
  if (clean.startsWith("/node_modules/")) return path.join(root, clean);
  if (clean.startsWith("/bench/")) return path.join(root, "bench/browser", clean.slice(7));
  return path.join(root, "www", clean === "/" ? "index.html" : clean);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/config.json") {
    res.writeHead(200, { "content-type": types[".json"], "cache-control": "no-store" });
    res.end(JSON.stringify({ brokerUrl: process.env.MQTT_WS_URL || "" }));
    return;
  }
  if (url.pathname === "/csp.html") {
    res.writeHead(200, {
      "content-type": types[".html"],
      "content-security-policy": "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self' ws: wss:",
    });
    res.end("<!doctype html><title>strict CSP</title>");
    return;
  }
  const report = { "/results": "", "/progress": ".progress" }[url.pathname];
  if (report !== undefined && req.method === "POST" && process.env.BENCH_RESULTS) {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      fs.writeFileSync(process.env.BENCH_RESULTS + report, Buffer.concat(chunks));
      res.writeHead(204).end();
    });
    return;
  }
  const file = resolve(url.pathname);
  if (!file.startsWith(root + path.sep)) {
    res.writeHead(403).end();
    return;
  }
  fs.readFile(file, (err, data) => {
    if (err) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": types[path.extname(file)] || "application/octet-stream", "cache-control": "no-store" });
    res.end(data);
  });
});

server.listen(port, "127.0.0.1", () => {
  console.log(`listening http://127.0.0.1:${server.address().port}/`);
});
