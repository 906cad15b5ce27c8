//! JavaScript values to session types and back.
//!
//! Inputs are deserialized with serde-wasm-bindgen inside fallible methods
//! (never at the ABI boundary, which can only throw a string and leaks what
//! was already converted), and an error names the offending field.
//! Outputs are plain objects built field by field.

use core::fmt;

use js_sys::{Array, Object, Reflect, Uint8Array};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_bytes::ByteBuf;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::error::invalid;
use crate::codec::{ConnAck, Properties, PropertyValues, QoS, ReasonCode, RetainHandling, Secret, SubscriptionOptions};

/// The field names serde gives a struct, read by asking `T` to deserialize
/// itself from a deserializer that only records them.
fn struct_fields<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    struct Probe(Option<&'static [&'static str]>);
    impl<'de> Deserializer<'de> for &mut Probe {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("probe"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = Some(fields);
            Err(serde::de::Error::custom("probe"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut probe = Probe(None);
    let _ = T::deserialize(&mut probe);
    probe.0.unwrap_or(&[])
}

/// Deserializes `value` as `T`; an error names the path of the bad field.
/// An object with a key `T` does not know is refused too, so that a
/// misspelt option (`keepAlive`) is an error rather than silently ignored;
/// serde's `deny_unknown_fields` cannot do this, as serde-wasm-bindgen only
/// reads the keys a struct declares. Nested objects are checked through
/// [`Checked`]. Only the deserialization itself is generic: the rest is
/// shared by the dozen option types rather than copied into each.
fn parse<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, (String, String)> {
    refuse_unknown_keys(&value, struct_fields::<T>())?;
    deserialize::<T>(value.clone())
        .map_err(|message| (culprit(&value, &|v| deserialize::<T>(v).map(drop)), redact(&message)))
}

fn deserialize<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, String> {
    T::deserialize(serde_wasm_bindgen::Deserializer::from(value)).map_err(message)
}

/// serde-wasm-bindgen's errors are JS `Error`s, shown as "Error: ...".
fn message(error: serde_wasm_bindgen::Error) -> String {
    let message = error.to_string();
    message.strip_prefix("Error: ").map(str::to_owned).unwrap_or(message)
}

fn refuse_unknown_keys(value: &JsValue, fields: &[&str]) -> Result<(), (String, String)> {
    if fields.is_empty() || !value.is_object() || Array::is_array(value) {
        return Ok(());
    }
    for key in Object::keys(value.unchecked_ref::<Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !fields.contains(&key.as_str()) {
            return Err((key, "unknown field".into()));
        }
    }
    Ok(())
}

/// Which key of the object `value` makes `attempt` fail: the first whose
/// removal lets it succeed, or whose removal is reported as that required
/// field missing; empty if none. Runs only after a failure, to name the
/// field in the error (a small stand-in for `serde_path_to_error`, which
/// cost 30 KB of wasm); nested objects name their own keys through
/// [`Checked`].
fn culprit(value: &JsValue, attempt: &dyn Fn(JsValue) -> Result<(), String>) -> String {
    if !value.is_object() || Array::is_array(value) {
        return String::new();
    }
    let object: &Object = value.unchecked_ref();
    for key in Object::keys(object).iter() {
        let without = Object::assign(&Object::new(), object);
        let Some(name) = key.as_string() else { continue };
        if Reflect::delete_property(&without, &key).is_err() {
            continue;
        }
        match attempt(without.into()) {
            Ok(()) => return name,
            // serde names a field in backticks: "missing field `url`".
            Err(e) if e.split('`').skip(1).step_by(2).any(|quoted| quoted == name) => return name,
            Err(_) => {}
        }
    }
    String::new()
}

/// serde's messages quote the offending value (`invalid type: string
/// "hunter2", expected ...`), and that value may be a password: every
/// quoted or backticked part is replaced by `…`, keeping what was expected.
fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quote = None;
    for c in message.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '`' => {
                quote = Some(c);
                out.push('…');
            }
            None => out.push(c),
        }
    }
    out
}

/// [`parse`], with errors as `InvalidArgument` prefixed with `what` (e.g.
/// "options").
pub(crate) fn from_js<T: serde::de::DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsValue> {
    parse(value).map_err(|(path, message)| {
        let sep = if path.is_empty() { "" } else { "." };
        invalid(&[what, sep, &path, ": ", &message].concat())
    })
}

/// A nested object, checked for unknown keys like a top-level one.
#[derive(Debug)]
pub(crate) struct Checked<T>(pub(crate) T);

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Checked<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_wasm_bindgen::preserve::deserialize(d)?;
        parse(value).map(Checked).map_err(|(path, message)| {
            let sep = if path.is_empty() { "" } else { ": " };
            serde::de::Error::custom([&path, sep, &message].concat())
        })
    }
}

impl From<Checked<PropertiesIn>> for Properties {
    fn from(p: Checked<PropertiesIn>) -> Self {
        p.0.into()
    }
}

/// `userProperties`: `{ name: value | [values] }`, kept in order, repeated
/// names expanded into repeated pairs.
#[derive(Debug, Default)]
pub(crate) struct UserProperties(pub(crate) Vec<(String, String)>);

impl<'de> Deserialize<'de> for UserProperties {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UserProperties;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of string or string[] values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut pairs = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, OneOrMany>()? {
                    match value {
                        OneOrMany::One(v) => pairs.push((name, v)),
                        OneOrMany::Many(vs) => pairs.extend(vs.into_iter().map(|v| (name.clone(), v))),
                    }
                }
                Ok(UserProperties(pairs))
            }
        }
        d.deserialize_map(V)
    }
}

/// Every MQTT 5.0 property a client may send, under its MQTT.js name. The
/// codec refuses any that the packet at hand may not carry.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PropertiesIn {
    payload_format_indicator: Option<bool>,
    message_expiry_interval: Option<u32>,
    content_type: Option<String>,
    response_topic: Option<String>,
    correlation_data: Option<ByteBuf>,
    subscription_identifier: Option<u32>,
    session_expiry_interval: Option<u32>,
    authentication_method: Option<String>,
    authentication_data: Option<ByteBuf>,
    request_problem_information: Option<bool>,
    will_delay_interval: Option<u32>,
    request_response_information: Option<bool>,
    receive_maximum: Option<u16>,
    topic_alias_maximum: Option<u16>,
    maximum_packet_size: Option<u32>,
    reason_string: Option<String>,
    server_reference: Option<String>,
    user_properties: Option<UserProperties>,
}

impl From<PropertiesIn> for Properties {
    fn from(p: PropertiesIn) -> Self {
        Properties::from(PropertyValues {
            payload_format_indicator: p.payload_format_indicator,
            message_expiry_interval: p.message_expiry_interval,
            content_type: p.content_type,
            response_topic: p.response_topic,
            correlation_data: p.correlation_data.map(ByteBuf::into_vec),
            subscription_identifiers: p.subscription_identifier.into_iter().collect(),
            session_expiry_interval: p.session_expiry_interval,
            authentication_method: p.authentication_method,
            authentication_data: p.authentication_data.map(|b| Secret(b.into_vec())),
            request_problem_information: p.request_problem_information,
            will_delay_interval: p.will_delay_interval,
            request_response_information: p.request_response_information,
            receive_maximum: p.receive_maximum,
            topic_alias_maximum: p.topic_alias_maximum,
            maximum_packet_size: p.maximum_packet_size,
            reason_string: p.reason_string,
            server_reference: p.server_reference,
            user_properties: p.user_properties.unwrap_or_default().0,
            ..PropertyValues::default()
        })
    }
}

pub(crate) fn qos(value: Option<u8>) -> Result<QoS, JsValue> {
    QoS::from_u8(value.unwrap_or(0)).map_err(|_| invalid("qos must be 0, 1 or 2"))
}

pub(crate) fn retain_handling(value: Option<u8>) -> Result<RetainHandling, JsValue> {
    RetainHandling::from_u8(value.unwrap_or(0)).ok_or_else(|| invalid("retainHandling must be 0, 1 or 2"))
}

/// The per-filter options of `subscribe`, also its defaults in `opts`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SubscribeOptionsIn {
    pub(crate) qos: Option<u8>,
    pub(crate) no_local: Option<bool>,
    pub(crate) retain_as_published: Option<bool>,
    pub(crate) retain_handling: Option<u8>,
    pub(crate) properties: Option<Checked<PropertiesIn>>,
}

/// One filter given as an object.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FilterIn {
    pub(crate) topic: String,
    pub(crate) qos: Option<u8>,
    pub(crate) no_local: Option<bool>,
    pub(crate) retain_as_published: Option<bool>,
    pub(crate) retain_handling: Option<u8>,
}

impl FilterIn {
    /// Options of this filter, falling back to `defaults` field by field.
    pub(crate) fn options(&self, defaults: &SubscribeOptionsIn) -> Result<SubscriptionOptions, JsValue> {
        Ok(SubscriptionOptions {
            qos: qos(self.qos.or(defaults.qos))?,
            no_local: self.no_local.or(defaults.no_local).unwrap_or(false),
            retain_as_published: self.retain_as_published.or(defaults.retain_as_published).unwrap_or(false),
            retain_handling: retain_handling(self.retain_handling.or(defaults.retain_handling))?,
        })
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
    } else if value.is_undefined() || value.is_null() {
        Ok(Vec::new())
    } else {
        Err(invalid(&[what, " must be a string, Uint8Array or ArrayBuffer"].concat()))
    }
}

pub(crate) fn reason_code(value: Option<u8>) -> Result<ReasonCode, JsValue> {
    ReasonCode::from_u8(value.unwrap_or(0)).ok_or_else(|| invalid("reasonCode is not an MQTT 5.0 reason code"))
}

// ----- outputs ----------------------------------------------------------------

pub(crate) fn set(obj: &Object, key: &'static str, value: impl Into<JsValue>) {
    // Setting a data property on a fresh plain object cannot fail. Keys are
    // interned: converted to a JS string once, not for every message.
    let _ = Reflect::set(obj, &JsValue::from_str(wasm_bindgen::intern(key)), &value.into());
}

fn set_opt<T: Into<JsValue>>(obj: &Object, key: &'static str, value: Option<T>) {
    if let Some(v) = value {
        set(obj, key, v);
    }
}

pub(crate) fn bytes(data: &[u8]) -> Uint8Array {
    Uint8Array::from(data)
}

/// The properties as a plain object, with the same names `PropertiesIn`
/// takes. Empty when there are none.
pub(crate) fn properties(p: &Properties) -> Object {
    let o = Object::new();
    set_opt(&o, "payloadFormatIndicator", p.payload_format_indicator);
    set_opt(&o, "messageExpiryInterval", p.message_expiry_interval);
    set_opt(&o, "contentType", p.content_type.as_deref());
    set_opt(&o, "responseTopic", p.response_topic.as_deref());
    set_opt(&o, "correlationData", p.correlation_data.as_deref().map(bytes));
    if !p.subscription_identifiers.is_empty() {
        let ids: Array = p.subscription_identifiers.iter().map(|&id| JsValue::from(id)).collect();
        set(&o, "subscriptionIdentifier", ids);
    }
    set_opt(&o, "sessionExpiryInterval", p.session_expiry_interval);
    set_opt(&o, "assignedClientIdentifier", p.assigned_client_identifier.as_deref());
    set_opt(&o, "serverKeepAlive", p.server_keep_alive);
    set_opt(&o, "authenticationMethod", p.authentication_method.as_deref());
    // Handed only to the application (the `auth` event, CONNACK), which
    // needs it to answer a challenge; never to logs or errors.
    set_opt(&o, "authenticationData", p.authentication_data.as_ref().map(|s| bytes(&s.0)));
    set_opt(&o, "responseInformation", p.response_information.as_deref());
    set_opt(&o, "serverReference", p.server_reference.as_deref());
    set_opt(&o, "reasonString", p.reason_string.as_deref());
    set_opt(&o, "receiveMaximum", p.receive_maximum);
    set_opt(&o, "topicAliasMaximum", p.topic_alias_maximum);
    set_opt(&o, "maximumQoS", p.maximum_qos.map(|q| q as u8));
    set_opt(&o, "retainAvailable", p.retain_available);
    set_opt(&o, "maximumPacketSize", p.maximum_packet_size);
    set_opt(&o, "wildcardSubscriptionAvailable", p.wildcard_subscription_available);
    set_opt(&o, "subscriptionIdentifiersAvailable", p.subscription_identifier_available);
    set_opt(&o, "sharedSubscriptionAvailable", p.shared_subscription_available);
    if !p.user_properties.is_empty() {
        let users = Object::new();
        for (name, value) in &p.user_properties {
            let key = JsValue::from_str(name);
            let existing = Reflect::get(&users, &key).unwrap_or(JsValue::UNDEFINED);
            let merged: JsValue = if existing.is_undefined() {
                value.into()
            } else if let Some(list) = existing.dyn_ref::<Array>() {
                list.push(&value.into());
                continue;
            } else {
                Array::of2(&existing, &value.into()).into()
            };
            let _ = Reflect::set(&users, &key, &merged);
        }
        set(&o, "userProperties", users);
    }
    o
}

/// `ConnAck { sessionPresent, reasonCode, properties }`.
pub(crate) fn connack(ack: &ConnAck) -> Object {
    let o = Object::new();
    set(&o, "sessionPresent", ack.session_present);
    set(&o, "reasonCode", ack.reason_code as u8);
    set(&o, "properties", properties(&ack.properties));
    o
}

/// `{ reasonCode, properties }`, for `disconnect` and `auth` events.
pub(crate) fn reason_and_properties(reason: ReasonCode, props: &Properties) -> Object {
    let o = Object::new();
    set(&o, "reasonCode", reason as u8);
    set(&o, "properties", properties(props));
    o
}
