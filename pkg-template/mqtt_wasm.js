// The package entry. The bindings wasm-bindgen generates live in
// mqtt_wasm_core.js; this module re-exports them, with MqttClient's on()
// and off() returning the client for chaining (a Rust method cannot return
// its own JavaScript object), and the classes written in JavaScript:
// MqttError (a wasm-bindgen snippet, whose folder scripts/build.sh names
// here) and SharedMqttClient.
import init, { initSync, MqttClient as Bindings } from "./mqtt_wasm_core.js";

export default init;
export { initSync };
export { MqttError } from "./SNIPPET";
export { SharedMqttClient } from "./shared.js";

export class MqttClient extends Bindings {
  on(event, handler) {
    super.on(event, handler);
    return this;
  }

  off(event, handler) {
    super.off(event, handler);
    return this;
  }
}
