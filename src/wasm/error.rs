//! `MqttError`, the one error type JavaScript sees.

use wasm_bindgen::prelude::*;

use crate::session::SessionError;

#[wasm_bindgen(module = "/src/wasm/host.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(code: &str, message: &str, reason_code: Option<u8>, close_code: Option<u16>) -> JsValue;
}

/// An `MqttError` for a session error. Messages are fixed strings: nothing
/// from the application (passwords, authentication data) can leak into one.
pub(crate) fn error(e: SessionError) -> JsValue {
    make_error(e.code(), e.message(), e.reason_code().map(|r| r as u8), e.close_code())
}

/// An `InvalidArgument` error.
pub(crate) fn invalid(message: &str) -> JsValue {
    make_error("InvalidArgument", message, None, None)
}

/// An `InvalidTopic` error for a topic or filter of the wrong type.
pub(crate) fn invalid_topic(message: &str) -> JsValue {
    make_error("InvalidTopic", message, None, None)
}
