//! JavaScript values to session types and back.
//!
//! Inputs are read and checked in JavaScript (host.js's readers, which
//! name the offending field in their errors) and arrive as [`Values`], in
//! a fixed order, inside fallible methods (never at the ABI boundary,
//! which can only throw a string and leaks what was already converted).
//! MQTT 5 properties cross in their wire form both ways, read and written
//! with the codec's property table: their names, kinds and the packets they
//! may appear on are written once, there. Outputs are built in JavaScript
//! (host.js) from values, properties from their wire form.

use alloc::{string::String, vec::Vec};
use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::error::invalid;
use super::host::{check_topic, conn_ack, expected, properties_of, property_row};
use crate::codec::{ConnAck, Properties, QoS, ReasonCode, RetainHandling, SubscriptionOptions, PROPERTIES};

/// What a reader of host.js returns: the values of the arguments it
/// checked, taken in the order it wrote them. A value of another type
/// than asked for (which the reader does not write) reads as empty.
pub(crate) struct Values {
    array: Array,
    next: u32,
}

impl Values {
    pub(crate) fn new(array: Array) -> Self {
        Self { array, next: 0 }
    }

    pub(crate) fn value(&mut self) -> JsValue {
        self.next += 1;
        self.array.get(self.next - 1)
    }

    pub(crate) fn number(&mut self) -> f64 {
        self.value().as_f64().unwrap_or_default()
    }

    pub(crate) fn millis(&mut self) -> Duration {
        Duration::from_millis(self.number() as u64)
    }

    pub(crate) fn flag(&mut self) -> bool {
        self.value().is_truthy()
    }

    pub(crate) fn string(&mut self) -> Option<String> {
        self.value().as_string()
    }

    /// An array of strings.
    pub(crate) fn strings(&mut self) -> Vec<String> {
        let list: Array = self.value().unchecked_into();
        list.iter().map(|s| s.as_string().unwrap_or_default()).collect()
    }

    pub(crate) fn bytes(&mut self) -> Option<Vec<u8>> {
        self.value().dyn_ref::<Uint8Array>().map(Uint8Array::to_vec)
    }

    /// Properties in wire form. host.js wrote them from checked values, so
    /// the codec refuses none; which ones the packet may carry is checked
    /// when it is encoded.
    pub(crate) fn properties(&mut self) -> Result<Properties, JsValue> {
        Properties::read_values(&self.bytes().unwrap_or_default())
            .map_err(|_| invalid("properties: not MQTT 5.0 properties"))
    }

    pub(crate) fn qos(&mut self) -> QoS {
        QoS::from_u8(self.number() as u8).unwrap_or(QoS::AtMostOnce)
    }

    /// A reason code, which `path` names if it is not one of MQTT 5.0's.
    pub(crate) fn reason_code(&mut self, path: &str) -> Result<ReasonCode, JsValue> {
        ReasonCode::from_u8(self.number() as u8)
            .ok_or_else(|| invalid(&[path, ".reasonCode: not an MQTT 5.0 reason code"].concat()))
    }
}

/// A topic name or filter at `path`: a well-formed string, or an
/// `InvalidTopic` error. A U+FFFD in the string is either the
/// application's own or `as_string`'s rewrite of a lone surrogate (which
/// would silently send another topic): only then is JavaScript asked which.
pub(crate) fn topic(value: &JsValue, path: &str) -> Result<String, JsValue> {
    match value.as_string() {
        // Bytes, not `contains(char)`: a char pattern brings a substring searcher.
        Some(s) if !s.as_bytes().windows(3).any(|w| w == "\u{FFFD}".as_bytes()) => Ok(s),
        // Throws for anything but a well-formed string.
        s => check_topic(value, path).map(|()| s.unwrap_or_default()),
    }
}

/// The options of one filter from its Subscription Options byte (section
/// 3.8.3.1), as host.js's `readSubscribe` writes it.
pub(crate) fn subscription_options(byte: u8) -> SubscriptionOptions {
    SubscriptionOptions {
        qos: QoS::from_u8(byte & 3).unwrap_or(QoS::AtMostOnce),
        no_local: byte & 4 != 0,
        retain_as_published: byte & 8 != 0,
        retain_handling: RetainHandling::from_u8(byte >> 4 & 3).unwrap_or_default(),
    }
}

/// A payload: a string (sent as UTF-8), a `Uint8Array` or an `ArrayBuffer`.
/// Copied into wasm memory, never viewed.
pub(crate) fn payload(value: &JsValue, what: &str) -> Result<Vec<u8>, JsValue> {
    if let Some(s) = value.as_string() {
        Ok(s.into_bytes())
    } else if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        Ok(bytes.to_vec())
    } else if let Some(buf) = value.dyn_ref::<js_sys::ArrayBuffer>() {
        Ok(Uint8Array::new(buf).to_vec())
    } else {
        // `undefined` and `null` too: an empty payload (which, retained,
        // deletes the retained message) is asked for with "" or an empty
        // Uint8Array, never by leaving the payload out.
        Err(expected(what, "a string, Uint8Array or ArrayBuffer", value, true))
    }
}

// ----- outputs ----------------------------------------------------------------

/// The codec's property table, row by row, for properties to be read with
/// in JavaScript (`propertiesOf` in host.js): once per module instance,
/// when its first client is made.
pub(crate) fn define_property_table() {
    static DEFINED: AtomicBool = AtomicBool::new(false);
    if DEFINED.swap(true, Ordering::Relaxed) {
        return;
    }
    for row in PROPERTIES {
        property_row(row.id, row.kind as u8, row.name, row.sent_by_clients());
    }
}

/// The properties as a plain object, under the names of the property
/// table (those host.js reads the application's by); empty when there are none.
pub(crate) fn properties(p: &Properties) -> Object {
    properties_of(p.wire())
}

/// Reason codes as the bytes JavaScript reads them from.
pub(crate) fn reason_codes(codes: &[ReasonCode]) -> Vec<u8> {
    codes.iter().map(|&r| r as u8).collect()
}

/// `ConnAck { sessionPresent, reasonCode, properties }`.
pub(crate) fn connack(ack: &ConnAck) -> JsValue {
    conn_ack(ack.session_present, ack.reason_code as u8, ack.properties.wire())
}
