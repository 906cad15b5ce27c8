// The error class of the JavaScript API. It lives in JS so that it truly
// extends Error (stack, instanceof Error); the Rust side builds instances
// through makeError, and the package entry re-exports the class.
export class MqttError extends Error {
  constructor(code, message, reasonCode, closeCode) {
    super(message);
    this.name = "MqttError";
    this.code = code;
    if (reasonCode !== undefined) this.reasonCode = reasonCode;
    if (closeCode !== undefined) this.closeCode = closeCode;
  }
}

export function makeError(code, message, reasonCode, closeCode) {
  return new MqttError(code, message, reasonCode, closeCode);
}
