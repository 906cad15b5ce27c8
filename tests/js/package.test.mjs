// The npm package as users get it: `npm pack` holds exactly the wasm, the
// JS glue, the types and the docs; a Vite app installs the tarball, builds
// with no configuration, and completes a publish/subscribe in Chromium.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { brokerUrl, launch } from "./harness.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
let work, tarball, browser, server;

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "mqtt-wasm-pack-"));
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: path.join(root, "pkg"), encoding: "utf8" });
  const [info] = JSON.parse(out);
  tarball = { path: path.join(work, info.filename), files: info.files.map((f) => f.path).sort() };
});

after(async () => {
  await browser?.close();
  server?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test("npm pack holds the wasm, the JS glue (with the shared-connection worker), the types, the docs and nothing else", () => {
  // The entry is one module: the glue, host.js, patterns.js and shared.js are bundled into it.
  assert.deepEqual(tarball.files, ["LICENSE", "README.md", "mqtt_wasm.d.ts", "mqtt_wasm.js", "mqtt_wasm_core.d.ts", "mqtt_wasm_core_bg.wasm", "package.json", "shared-worker.js", "timer-worker.js"]);
  const entry = fs.readFileSync(path.join(root, "pkg/mqtt_wasm.js"), "utf8");
  assert.doesNotMatch(entry, /\bimport\b[^(]*\bfrom\s*["']/, "the entry imports no other module");
  for (const file of ["mqtt_wasm_core_bg.wasm", "timer-worker.js", "shared-worker.js"]) {
    assert.match(entry, new RegExp(`new URL\\("\\.?/?${file.replace(".", "\\.")}",import\\.meta\\.url\\)`), `the entry finds ${file} beside itself`);
  }
});

test("the .wasm and its glue call each other by short names (scripts/shorten-names.mjs), and host.js's exports by theirs", async () => {
  const module = await WebAssembly.compile(fs.readFileSync(path.join(root, "pkg/mqtt_wasm_core_bg.wasm")));
  const imports = WebAssembly.Module.imports(module);
  const host = await import(path.join(root, "src/wasm/host.js"));
  assert.ok(imports.length > 50, `${imports.length} imports`);
  for (const { module: from, name } of imports) {
    assert.match(from, /^\$\d$/, `module of ${name}`);
    assert.ok(/^\$[a-zA-Z]{1,2}$/.test(name) || typeof host[name] === "function", `import ${name}`);
  }
  // Both kinds are there: the glue's functions, and host.js's.
  assert.ok(imports.some(({ name }) => name.startsWith("$")) && imports.some(({ name }) => name === "newOperation"));
  const exports = WebAssembly.Module.exports(module).map((e) => e.name);
  assert.ok(exports.includes("memory"), "memory keeps its name");
  assert.deepEqual(exports.filter((name) => name.length > 40 || name.includes("closures")), []);
});

test("a Vite app installs the tarball, builds without configuration and talks to the broker", async () => {
  const app = path.join(work, "app");
  fs.cpSync(path.join(root, "tests/vite-app"), app, { recursive: true });
  fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "vite-app", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball.path], { cwd: app, stdio: "pipe" });
  execFileSync(process.execPath, [path.join(root, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "error"], { cwd: app, stdio: "pipe" });
  const dist = path.join(app, "dist");
  const emitted = fs.readdirSync(path.join(dist, "assets"));
  assert.ok(emitted.some((f) => f.endsWith(".wasm")), `the .wasm is emitted as an asset: ${emitted}`);
  server = http.createServer((req, res) => {
    const file = path.join(dist, new URL(req.url, "http://x").pathname === "/" ? "index.html" : new URL(req.url, "http://x").pathname);
    if (!file.startsWith(dist) || !fs.existsSync(file)) return res.writeHead(404).end();
    const type = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" }[path.extname(file)] || "application/octet-stream";
    res.writeHead(200, { "content-type": type }).end(fs.readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  browser = await launch();
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${server.address().port}/?broker=${encodeURIComponent(brokerUrl)}`);
  await page.waitForFunction(() => document.getElementById("result").textContent !== "waiting", null, { timeout: 15000 });
  assert.equal(await page.textContent("#result"), "hello from a Vite app");
  assert.deepEqual(errors, []);
});
