//! `MqttError`, the one error type JavaScript sees.

use wasm_bindgen::prelude::*;

use super::host::make_error;
use crate::session::SessionError;

#[wasm_bindgen(typescript_custom_section)]
const TS_ERROR: &str = r#"
/** The `code` of an `MqttError`: what kind of failure it is. */
export type MqttErrorCode =
  | "InvalidArgument" | "InvalidTopic" | "ConnectionRefused" | "Timeout" | "Protocol"
  | "PacketTooLarge" | "QueueFull" | "NotConnected" | "Closed" | "Rejected"
  | "ServerDisconnected" | "ConnectionLost" | "ConnectionFailed" | "Storage" | "NotInitialized"
  | "Unsupported";

/** Every rejection and `error` event of the client is one of these. */
export class MqttError extends Error {
  constructor(code: MqttErrorCode, message: string, reasonCode?: number, closeCode?: number);
  readonly name: "MqttError";
  readonly code: MqttErrorCode;
  /** The MQTT reason code, when the server or the protocol gave one. */
  readonly reasonCode?: number;
  /** The WebSocket close code, for a connection that failed or closed underneath. */
  readonly closeCode?: number;
}
"#;

/// An `MqttError` for a session error. Messages are built from fixed
/// strings, the specification's reason names and numbers: nothing from the
/// application (passwords, authentication data) can leak into one.
pub(crate) fn error(e: SessionError) -> JsValue {
    error_at(e, "")
}

/// [`error`] for an error of the connection to `url`, which the message
/// names ("the server refused the connection: Not authorized, ws://...").
/// host.js joins the message's parts.
pub(crate) fn error_at(e: SessionError, url: &str) -> JsValue {
    let reason = match e {
        SessionError::ConnectionRefused(r) | SessionError::Rejected(r) | SessionError::ServerDisconnected(r) => {
            r.name()
        }
        _ => "",
    };
    let url = if e.is_connection() { url } else { "" };
    make_error(e.code(), e.message(), e.reason_code().map(|r| r as u8), e.close_code(), reason, url)
}

/// An `InvalidArgument` error.
pub(crate) fn invalid(message: &str) -> JsValue {
    make_error("InvalidArgument", message, None, None, "", "")
}
