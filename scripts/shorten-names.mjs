// Shortens the names on the wasm/JS boundary of a wasm-bindgen build, as
// emscripten does with binaryen's MinifyImportsAndExports: the .wasm and
// its glue (mqtt_wasm_core.js) name each other's functions, and
// wasm-bindgen's names are long and carry a 16-digit hash that no
// compressor can shorten (`__wbg_deliverMessage_ed7f01333d128d12`, import
// modules `./mqtt_wasm_core_bg.js` and `./snippets/<crate-hash>/src/wasm/
// host.js`, closure exports of 70 to 160 characters). A JS minifier cannot
// rename them: they are strings on both sides. Renamed here, on both sides:
//
// - every import module, to `$0`, `$1`, ... (a key of the glue's import
//   object);
// - the glue's own imports (module `./mqtt_wasm_core_bg.js`: the functions
//   wasm-bindgen writes into the glue), to `$a`, `$b`, ...; the snippet's
//   imports keep their names, which are host.js's exports;
// - the exports the glue calls (the class's methods, the allocator, the
//   closure invokers of 70 to 160 characters), to `$0`, `$1`, ...; `memory`
//   keeps its name (init() returns the exports, and `memory` is what a
//   caller measures), and so does what the glue does not call.
//
// Each old import name must occur in the glue exactly where expected (an
// object key), or the build fails: a wasm-bindgen whose glue looks
// different stops the build rather than shipping a package that cannot
// instantiate.
//
// Usage: node scripts/shorten-names.mjs <file.wasm> <glue.js>
import fs from "node:fs";

const [wasmPath, gluePath] = process.argv.slice(2);
const GLUE_MODULE = "./mqtt_wasm_core_bg.js";

const fail = (why) => {
  throw new Error(`shorten-names: ${why}`);
};

// The wasm binary format (https://webassembly.github.io/spec/core/binary/):
// unsigned LEB128 integers, names as a length and UTF-8 bytes.
function readU32(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    value |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) return [value >>> 0, at];
    shift += 7;
    if (shift > 28) fail("a LEB128 integer longer than 5 bytes");
  }
}

function u32(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}

const utf8 = new TextEncoder();
const text = new TextDecoder("utf-8", { fatal: true });

function readName(bytes, at) {
  const [length, start] = readU32(bytes, at);
  return [text.decode(bytes.subarray(start, start + length)), start + length];
}

const name = (s) => {
  const b = utf8.encode(s);
  return [...u32(b.length), ...b];
};

// Where an import's description (after its kind byte) ends.
function skipImportDesc(bytes, kind, at) {
  const limits = (i) => {
    const flags = bytes[i++];
    [, i] = readU32(bytes, i);
    if (flags & 1) [, i] = readU32(bytes, i);
    return i;
  };
  switch (kind) {
    case 0: return readU32(bytes, at)[1]; // function: type index
    case 1: return limits(at + 1); // table: reference type, limits
    case 2: return limits(at); // memory: limits
    case 3: return at + 2; // global: value type, mutability
    case 4: return readU32(bytes, at + 1)[1]; // tag: attribute, type index
    default: return fail(`an import of unknown kind ${kind}`);
  }
}

// `$a` ... `$z`, `$A` ... `$Z`, `$aa`, ...
function shortName(n) {
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  let s = "";
  for (n += 1; n > 0; n = Math.floor((n - 1) / letters.length)) s = letters[(n - 1) % letters.length] + s;
  return `$${s}`;
}

const wasm = fs.readFileSync(wasmPath);
let glue = fs.readFileSync(gluePath, "utf8");
// Where the glue reads export `name` off the exports object (`s.name`).
const uses = (name) => new RegExp(`\\.${name.replace(/\$/g, "\\$")}(?![\\w$])`, "g");
const modules = new Map();
const imports = new Map();
const exports = new Map();

function importSection(body) {
  let [count, at] = readU32(body, 0);
  const out = u32(count);
  for (let i = 0; i < count; i++) {
    let module, field;
    [module, at] = readName(body, at);
    [field, at] = readName(body, at);
    const kind = body[at];
    const end = skipImportDesc(body, kind, at + 1);
    if (!modules.has(module)) modules.set(module, `$${modules.size}`);
    if (module === GLUE_MODULE) {
      if (imports.has(field)) fail(`${field} imported twice`);
      imports.set(field, shortName(imports.size));
      field = imports.get(field);
    }
    out.push(...name(modules.get(module)), ...name(field), ...body.subarray(at, end));
    at = end;
  }
  return out;
}

function exportSection(body) {
  let [count, at] = readU32(body, 0);
  const out = u32(count);
  for (let i = 0; i < count; i++) {
    let field;
    [field, at] = readName(body, at);
    const end = readU32(body, at + 1)[1];
    if (field !== "memory" && uses(field).test(glue)) {
      exports.set(field, `$${exports.size}`);
      field = exports.get(field);
    }
    out.push(...name(field), ...body.subarray(at, end));
    at = end;
  }
  return out;
}

if (wasm.readUInt32LE(0) !== 0x6d736100) fail(`${wasmPath} is not a wasm module`);
const parts = [wasm.subarray(0, 8)];
for (let at = 8; at < wasm.length; ) {
  const id = wasm[at];
  const [length, start] = readU32(wasm, at + 1);
  const end = start + length;
  const body = wasm.subarray(start, end);
  const rewritten = id === 2 ? importSection(body) : id === 7 ? exportSection(body) : null;
  parts.push(rewritten ? Uint8Array.from([id, ...u32(rewritten.length), ...rewritten]) : wasm.subarray(at, end));
  at = end;
}

// The glue: each name where the import object or a call has it.
function rename(from, to, min, max) {
  const n = glue.split(from).length - 1;
  if (n < min || n > max) fail(`${JSON.stringify(from)} occurs ${n} times in ${gluePath}`);
  glue = glue.replaceAll(from, () => to);
}
for (const [from, to] of imports) rename(`${from}:`, `${to}:`, 1, 1);
// A module the .wasm imports from is a key of the import object; host.js's
// is listed once per function the .wasm imports from it directly.
for (const [from, to] of modules) rename(`${JSON.stringify(from)}:`, `${to}:`, 1, Infinity);
for (const [from, to] of exports) glue = glue.replace(uses(from), () => `.${to}`);

fs.writeFileSync(wasmPath, Buffer.concat(parts));
fs.writeFileSync(gluePath, glue);
console.log(`shorten-names: ${modules.size} modules, ${imports.size} imports, ${exports.size} exports renamed`);
