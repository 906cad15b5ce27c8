//! JavaScript values to session types and back.
//!
//! Inputs are read field by field (`read.rs`) inside fallible methods
//! (never at the ABI boundary, which can only throw a string and leaks what
//! was already converted), and an error names the offending field. MQTT 5
//! properties go through the codec's property table both ways: their names,
//! kinds and the packets they may appear on are written once, there.
//! Outputs are built in JavaScript (host.js) from values, properties from
//! their wire form.

use alloc::{vec, vec::Vec};
use core::sync::atomic::{AtomicBool, Ordering};
use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::error::invalid;
use super::host::{conn_ack, properties_of, property_row};
use super::read::{expected, expected_hidden, string_at, text, uint, Fields, LONE_SURROGATE};
use crate::codec::{
    ConnAck, Kind, Properties, PropertyValues, QoS, ReasonCode, RetainHandling, SubscriptionOptions, Value, MAX_VARINT,
    PROPERTIES,
};

/// A properties object (`{ contentType, userProperties, ... }`) at `path`.
/// The codec refuses, when the packet is built, any that this packet may
/// not carry.
pub(crate) fn properties_in(value: &JsValue, path: &str) -> Result<Properties, JsValue> {
    // A properties object holds the properties a client may send.
    let known = |key: &str| PROPERTIES.iter().any(|p| p.sent_by_clients() && p.name == key);
    let fields = Fields::checked(value, path, &known)?;
    let mut values = PropertyValues::default();
    for row in PROPERTIES.iter().filter(|p| p.sent_by_clients()) {
        let Some(v) = fields.get(row.name) else { continue };
        let path = fields.path(row.name);
        let value = match row.kind {
            Kind::Flag => Value::Flag(v.as_bool().ok_or_else(|| expected(&path, "true or false", &v))?),
            Kind::U16 => Value::U16(uint(&v, &path, 0, u32::from(u16::MAX), "")? as u16),
            Kind::U32 => Value::U32(uint(&v, &path, 0, u32::MAX, "")?),
            Kind::Varint => Value::U32(uint(&v, &path, 1, MAX_VARINT, "")?),
            Kind::Str => Value::Str(string_at(&v, &path)?),
            Kind::Bin => Value::Bin(
                // Binary data may be a secret (authentication data): never shown.
                v.dyn_ref::<Uint8Array>()
                    .map(Uint8Array::to_vec)
                    .ok_or_else(|| expected_hidden(&path, "a Uint8Array", &v))?,
            ),
            Kind::Pair => {
                user_properties(&v, &path, &mut values)?;
                continue;
            }
            // Maximum QoS is the server's to send.
            Kind::QoS => continue,
        };
        // One value per single-valued property: it cannot be set twice here.
        let _ = values.put(row.id, value);
    }
    Ok(if values.is_empty() { Properties::NONE } else { Properties::from(values) })
}

/// `userProperties`: `{ name: value | [values] }`, kept in order, repeated
/// names expanded into repeated pairs.
fn user_properties(v: &JsValue, path: &str, values: &mut PropertyValues) -> Result<(), JsValue> {
    const WHAT: &str = "an object of string or string[] values";
    if !v.is_object() || Array::is_array(v) {
        return Err(expected(path, WHAT, v));
    }
    let object: &Object = v.unchecked_ref();
    for entry in Object::entries(object).iter() {
        let entry: Array = entry.unchecked_into();
        let name = string_at(&entry.get(0), path)?;
        let value = entry.get(1);
        let list = if Array::is_array(&value) { Array::from(&value).to_vec() } else { vec![value] };
        let path = [path, ".", &name].concat();
        for item in list {
            let item = match text(&item) {
                Some(Ok(s)) => s,
                Some(Err(())) => return Err(invalid(&[&path, ": ", LONE_SURROGATE].concat())),
                None => return Err(expected(&path, WHAT, &item)),
            };
            values.user_properties.push((name.clone(), item));
        }
    }
    Ok(())
}

/// The optional `properties` field of an options object.
pub(crate) fn properties_field(fields: Option<&Fields<'_>>) -> Result<Properties, JsValue> {
    match fields.and_then(|f| f.get("properties").map(|v| (f.path("properties"), v))) {
        Some((path, v)) => properties_in(&v, &path),
        None => Ok(Properties::NONE),
    }
}

/// A QoS field: 0, 1 or 2 (0 when absent).
pub(crate) fn qos(fields: Option<&Fields<'_>>, key: &str) -> Result<QoS, JsValue> {
    let Some((f, v)) = fields.and_then(|f| f.get(key).map(|v| (f, v))) else { return Ok(QoS::AtMostOnce) };
    v.as_f64()
        .filter(|n| (0.0..=2.0).contains(n) && *n == f64::from(*n as u8))
        .and_then(|n| QoS::from_u8(n as u8).ok())
        .ok_or_else(|| expected(&f.path(key), "0, 1 or 2", &v))
}

/// The keys of `subscribe`'s options, and of one filter given as an object.
pub(crate) const SUBSCRIBE_OPTIONS: &[&str] = &["qos", "noLocal", "retainAsPublished", "retainHandling", "properties"];
pub(crate) const FILTER_OPTIONS: &[&str] = &["topic", "qos", "noLocal", "retainAsPublished", "retainHandling"];

/// The subscription options of `filter` (one filter given as an object),
/// falling back to `defaults` (`subscribe`'s options) field by field.
pub(crate) fn subscription_options(
    filter: Option<&Fields<'_>>,
    defaults: Option<&Fields<'_>>,
) -> Result<SubscriptionOptions, JsValue> {
    // The filter's own field if it has one, else the default.
    let pick = |key: &str| if filter.is_some_and(|f| f.get(key).is_some()) { filter } else { defaults };
    let flag = |key: &str| pick(key).map_or(Ok(None), |f| f.bool(key)).map(Option::unwrap_or_default);
    let retain_handling = match pick("retainHandling").map_or(Ok(None), |f| f.uint("retainHandling", 0, 2, ""))? {
        Some(n) => RetainHandling::from_u8(n as u8).unwrap_or_default(),
        None => RetainHandling::default(),
    };
    Ok(SubscriptionOptions {
        qos: qos(pick("qos"), "qos")?,
        no_local: flag("noLocal")?,
        retain_as_published: flag("retainAsPublished")?,
        retain_handling,
    })
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
        Err(expected(what, "a string, Uint8Array or ArrayBuffer", value))
    }
}

/// A `reasonCode` field (0, Success, when absent).
pub(crate) fn reason_code(fields: Option<&Fields<'_>>) -> Result<ReasonCode, JsValue> {
    let code = fields.map_or(Ok(None), |f| f.uint("reasonCode", 0, 255, ""))?.unwrap_or(0);
    ReasonCode::from_u8(code as u8).ok_or_else(|| {
        let path = fields.map(|f| f.path("reasonCode")).unwrap_or_default();
        invalid(&[&path, ": not an MQTT 5.0 reason code"].concat())
    })
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
        property_row(row.id, row.kind as u8, row.name);
    }
}

/// Properties in the form JavaScript reads them in (`propertiesOf`): their
/// wire form, which the codec writes anyway, so that an object of them
/// costs one crossing and no key string copied out of wasm memory.
pub(crate) fn wire(p: &Properties) -> Vec<u8> {
    let mut wire = Vec::new();
    // What the codec decoded, or checked when it was set, fits its fields.
    let _ = p.write_values(&mut wire);
    wire
}

/// The properties as a plain object, under the names of the property
/// table (those `properties_in` takes); empty when there are none.
pub(crate) fn properties(p: &Properties) -> Object {
    properties_of(&wire(p))
}

/// Reason codes as the bytes JavaScript reads them from.
pub(crate) fn reason_codes(codes: &[ReasonCode]) -> Vec<u8> {
    codes.iter().map(|&r| r as u8).collect()
}

/// `ConnAck { sessionPresent, reasonCode, properties }`.
pub(crate) fn connack(ack: &ConnAck) -> JsValue {
    conn_ack(ack.session_present, ack.reason_code as u8, &wire(&ack.properties))
}
