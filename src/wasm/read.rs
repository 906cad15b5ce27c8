//! Reading the application's JavaScript values: option objects field by
//! field, with errors in JavaScript words that name the field's path and
//! what was expected (`options.keepalive: expected a whole number of
//! seconds from 0 to 65535, got the string "30"`).
//!
//! Hand-written rather than serde-derived: one small reader serves every
//! option type, where a derived deserializer per type (and the formatting
//! machinery of serde's messages) cost about 20 KB gzipped of wasm, and
//! serde's messages spoke Rust (`invalid type: string, expected u16`).
//! Numbers in messages are formatted by JavaScript, and a wrong value is
//! described there (`describe` of host.js), so no `core::fmt`.

use alloc::{string::String, vec::Vec};
use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::error::{invalid, invalid_topic};
use super::host::{describe, is_well_formed};

/// What a function where an options object belongs gets told.
pub(crate) const CALLBACK: &str =
    "expected an options object, got a function: mqtt-wasm takes no callbacks, its methods return promises (await them, or use .then)";

/// Why a JS string cannot become a Rust one.
pub(crate) const LONE_SURROGATE: &str = "not well-formed UTF-16 (a lone surrogate), which MQTT's UTF-8 cannot carry";

/// `value` as a Rust string, if it is a string; `Err` for one that is not
/// well-formed UTF-16: `as_string` would rewrite a lone surrogate to U+FFFD
/// and so, silently, send another topic or name. A U+FFFD in the result is
/// either the application's own or such a rewrite; only then is JavaScript
/// asked which.
pub(crate) fn text(value: &JsValue) -> Option<Result<String, ()>> {
    let s = value.as_string()?;
    // Bytes, not `contains(char)`: a char pattern brings a substring searcher.
    if s.as_bytes().windows(3).any(|w| w == "\u{FFFD}".as_bytes()) && !is_well_formed(value) {
        return Some(Err(()));
    }
    Some(Ok(s))
}

/// A topic name or filter at `path`: a well-formed string, or an
/// `InvalidTopic` error.
pub(crate) fn topic_at(value: &JsValue, path: &str) -> Result<String, JsValue> {
    match text(value) {
        Some(Ok(s)) => Ok(s),
        Some(Err(())) => Err(invalid_topic(&[path, ": ", LONE_SURROGATE].concat())),
        None => Err(invalid_topic(&[path, ": expected a string, got ", &describe(value, true)].concat())),
    }
}

/// [`text`] at `path`: a string, well-formed, or an `InvalidArgument`.
pub(crate) fn string_at(value: &JsValue, path: &str) -> Result<String, JsValue> {
    match text(value) {
        Some(Ok(s)) => Ok(s),
        Some(Err(())) => Err(invalid(&[path, ": ", LONE_SURROGATE].concat())),
        None => Err(expected(path, "a string", value)),
    }
}

/// A number as JavaScript writes it.
pub(crate) fn number(n: f64) -> String {
    js_sys::Number::from(n).to_string_with_radix(10).map(String::from).unwrap_or_default()
}

/// `path: expected ..., got ...`.
pub(crate) fn expected(path: &str, what: &str, got: &JsValue) -> JsValue {
    invalid(&[path, ": expected ", what, ", got ", &describe(got, true)].concat())
}

/// [`expected`] for a field that may hold a secret (a password, binary
/// data such as authentication data): the value is never shown.
pub(crate) fn expected_hidden(path: &str, what: &str, got: &JsValue) -> JsValue {
    invalid(&[path, ": expected ", what, ", got ", &describe(got, false)].concat())
}

/// An options object at `path` (`"options"`, `"options.will"`), read
/// field by field. Keys it does not know are refused, so a misspelt option
/// (`keepAlive`) is an error rather than silently ignored.
pub(crate) struct Fields<'a> {
    object: Object,
    path: &'a str,
}

impl<'a> Fields<'a> {
    /// `value` must be a plain object whose keys are all in `known`.
    pub(crate) fn new(value: &JsValue, path: &'a str, known: &[&str]) -> Result<Self, JsValue> {
        Self::checked(value, path, &|key| known.contains(&key))
    }

    /// `value` must be a plain object whose keys `is_known` accepts.
    pub(crate) fn checked(value: &JsValue, path: &'a str, is_known: &dyn Fn(&str) -> bool) -> Result<Self, JsValue> {
        if value.is_function() {
            // MQTT.js takes callbacks (`subscribe(topic, (err, granted) => ...)`).
            return Err(invalid(&[path, ": ", CALLBACK].concat()));
        }
        if !value.is_object() || Array::is_array(value) || value.is_instance_of::<Uint8Array>() {
            return Err(expected(path, "an object", value));
        }
        let object: Object = value.clone().unchecked_into();
        for key in Object::keys(&object).iter() {
            let key = key.as_string().unwrap_or_default();
            if !is_known(&key) {
                return Err(invalid(&[path, ".", &key, ": unknown field"].concat()));
            }
        }
        Ok(Self { object, path })
    }

    /// `value` as options, or none when it is `undefined` or `null`.
    pub(crate) fn optional(value: Option<&JsValue>, path: &'a str, known: &[&str]) -> Result<Option<Self>, JsValue> {
        match value {
            Some(v) if !v.is_undefined() && !v.is_null() => Self::new(v, path, known).map(Some),
            _ => Ok(None),
        }
    }

    /// The path of field `key`, for messages.
    pub(crate) fn path(&self, key: &str) -> String {
        [self.path, ".", key].concat()
    }

    /// The field's value; `undefined` and `null` count as absent.
    pub(crate) fn get(&self, key: &str) -> Option<JsValue> {
        let v = Reflect::get(&self.object, &JsValue::from_str(key)).ok()?;
        (!v.is_undefined() && !v.is_null()).then_some(v)
    }

    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, JsValue> {
        self.get(key).map(|v| v.as_bool().ok_or_else(|| expected(&self.path(key), "true or false", &v))).transpose()
    }

    /// A whole number from `min` to `max`; `unit` names what it counts
    /// ("seconds") or, empty, nothing.
    pub(crate) fn uint(&self, key: &str, min: u32, max: u32, unit: &str) -> Result<Option<u32>, JsValue> {
        let Some(v) = self.get(key) else { return Ok(None) };
        uint(&v, &self.path(key), min, max, unit).map(Some)
    }

    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, JsValue> {
        self.get(key).map(|v| string_at(&v, &self.path(key))).transpose()
    }

    pub(crate) fn function(&self, key: &str) -> Result<Option<Function>, JsValue> {
        self.get(key)
            .map(|v| v.dyn_into::<Function>().map_err(|v| expected(&self.path(key), "a function", &v)))
            .transpose()
    }
}

/// A whole number from `min` to `max` at `path`.
pub(crate) fn uint(v: &JsValue, path: &str, min: u32, max: u32, unit: &str) -> Result<u32, JsValue> {
    match v.as_f64() {
        Some(n) if n >= f64::from(min) && n <= f64::from(max) && n == f64::from(n as u32) => Ok(n as u32),
        _ => {
            let range = [" from ", &number(f64::from(min)), " to ", &number(f64::from(max))].concat();
            let unit = if unit.is_empty() { String::new() } else { [" of ", unit].concat() };
            Err(expected(path, &["a whole number", &unit, &range].concat(), v))
        }
    }
}

/// The items of an array at `path`.
pub(crate) fn values(v: &JsValue, path: &str) -> Result<Vec<JsValue>, JsValue> {
    if Array::is_array(v) {
        Ok(Array::from(v).to_vec())
    } else {
        Err(expected(path, "an array", v))
    }
}
