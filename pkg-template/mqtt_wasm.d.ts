// Every type is declared from Rust (typescript_custom_section) in the
// generated mqtt_wasm_core.d.ts; the entry re-exports it.
export * from "./mqtt_wasm_core.js";
export { default } from "./mqtt_wasm_core.js";
