//! What the wire fixture tests share: reading fixtures, comparing documents, and value
//! types that serialise blobs and timestamps as services do (asking
//! `is_human_readable()`).

#![allow(dead_code)] // Each test binary uses part of this module.

use std::path::PathBuf;

use base64::{Engine, engine::general_purpose::STANDARD};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use serde_json::Value;

/// A fixture written by `scripts/gen-wire-fixtures.py`.
pub fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture_path(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub fn text<'v>(value: &'v Value, key: &str) -> &'v str {
    value[key].as_str().unwrap_or_else(|| panic!("{key} is not a string in {value}"))
}

/// Asserts two documents equal, numbers compared by value (`1` and `1.0` are one
/// timestamp whether the client wrote an integer or a float).
pub fn assert_same(got: &Value, expected: &Value, context: &str) {
    match (got, expected) {
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(a), Some(b)) => assert_eq!(a, b, "{context}"),
            _ => assert_eq!(a.as_f64(), b.as_f64(), "{context}"),
        },
        (Value::Object(a), Value::Object(b)) => {
            let mut keys_a: Vec<_> = a.keys().collect();
            let mut keys_b: Vec<_> = b.keys().collect();
            keys_a.sort();
            keys_b.sort();
            assert_eq!(keys_a, keys_b, "{context}");
            for (key, value) in a {
                assert_same(value, &b[key], &format!("{context}.{key}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{context}");
            for (index, (x, y)) in a.iter().zip(b).enumerate() {
                assert_same(x, y, &format!("{context}[{index}]"));
            }
        }
        _ => assert_eq!(got, expected, "{context}"),
    }
}

/// A blob: base64 in JSON, a byte string in CBOR.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Vec<u8>);

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(&STANDARD.encode(&self.0))
        } else {
            serializer.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Blob;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a blob")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Blob, E> {
                STANDARD.decode(text).map(Blob).map_err(|_| E::custom("invalid base64"))
            }
            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Blob, E> {
                Ok(Blob(bytes.to_vec()))
            }
        }
        if deserializer.is_human_readable() {
            deserializer.deserialize_str(Visitor)
        } else {
            deserializer.deserialize_byte_buf(Visitor)
        }
    }
}

/// A timestamp in epoch seconds: a JSON number, or a CBOR number under tag 1.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Timestamp(pub f64);

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        arca_wire::cbor::serialize_timestamp(self.0, serializer)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        f64::deserialize(deserializer).map(Timestamp)
    }
}
