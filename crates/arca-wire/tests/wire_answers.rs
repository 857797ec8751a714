//! Answers and errors as Arca encodes them, checked against botocore's parsers.
//!
//! `tests/fixtures/answers.json` (from `scripts/gen-wire-fixtures.py`) holds outputs
//! with their blobs and timestamps marked; this test encodes each with `cbor::output`
//! or `json::output`, and each error with the protocol's error body and headers, and
//! compares the result with `tests/fixtures/answers-encoded.json`. That file is what
//! `gen-wire-fixtures.py --check` parses with botocore; after a deliberate change,
//! rewrite it with `ARCA_BLESS=1 cargo test -p arca-wire --test wire_answers` and run
//! the check.

mod common;

use arca_wire::{ApiError, Protocol, cbor, json, rest_json};
use common::{Blob, Timestamp, fixture, fixture_path, text};
use serde::{Serialize, Serializer, ser::SerializeMap};
use serde_json::{Value, json};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// An output value whose blobs and timestamps take their protocol's form.
enum Output {
    Plain(Value),
    Blob(Blob),
    Timestamp(Timestamp),
    /// A timestamp a model writes as ISO-8601 text in JSON (macie2's `iso8601`).
    IsoTimestamp(Timestamp),
    Double(f64),
    List(Vec<Output>),
    Map(Vec<(String, Output)>),
}

impl Output {
    fn from_fixture(value: &Value) -> Self {
        use base64::{Engine, engine::general_purpose::STANDARD};
        match value {
            Value::Object(object) if object.contains_key("$blob") => {
                Self::Blob(Blob(STANDARD.decode(text(value, "$blob")).unwrap()))
            }
            Value::Object(object) if object.contains_key("$timestamp") => {
                let seconds = Timestamp(object["$timestamp"].as_f64().unwrap());
                if object["format"] == "iso8601" {
                    Self::IsoTimestamp(seconds)
                } else {
                    Self::Timestamp(seconds)
                }
            }
            Value::Object(object) if object.contains_key("$double") => {
                Self::Double(object["$double"].as_f64().unwrap())
            }
            Value::Object(object) => Self::Map(
                object
                    .iter()
                    .map(|(key, value)| (key.clone(), Self::from_fixture(value)))
                    .collect(),
            ),
            Value::Array(items) => Self::List(items.iter().map(Self::from_fixture).collect()),
            other => Self::Plain(other.clone()),
        }
    }
}

impl Serialize for Output {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Plain(value) => value.serialize(serializer),
            Self::Blob(blob) => blob.serialize(serializer),
            Self::Timestamp(timestamp) => timestamp.serialize(serializer),
            Self::IsoTimestamp(timestamp) if serializer.is_human_readable() => {
                // Microseconds are exact in an f64 of today's epoch seconds; nanoseconds are not.
                let nanos = (timestamp.0 * 1e6).round() as i128 * 1000;
                let instant = OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap();
                serializer.serialize_str(&instant.format(&Rfc3339).unwrap())
            }
            Self::IsoTimestamp(timestamp) => timestamp.serialize(serializer),
            Self::Double(double) => serializer.serialize_f64(*double),
            Self::List(items) => serializer.collect_seq(items),
            Self::Map(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

fn headers_of(protocol: Protocol, error: Option<&ApiError>) -> Value {
    let mut headers = serde_json::Map::new();
    headers.insert("content-type".into(), protocol.content_type().into());
    for (name, value) in protocol.extra_headers(error) {
        headers.insert(name.to_string(), value.into());
    }
    Value::Object(headers)
}

/// Every answer and error, encoded as the server would send it.
fn encode_all() -> Value {
    let fixture = fixture("answers.json");
    let mut answers = Vec::new();
    for answer in fixture["answers"].as_array().unwrap() {
        let output = Output::from_fixture(&answer["output"]);
        let (protocol, body) = match text(answer, "protocol") {
            "cbor" => (Protocol::RpcV2Cbor, cbor::output(&output).unwrap()),
            _ => (Protocol::RestJson1, json::output(&output).unwrap()),
        };
        answers.push(json!({
            "protocol": answer["protocol"],
            "name": answer["name"],
            "service": answer["service"],
            "operation": answer["operation"],
            "status": 200,
            "headers": headers_of(protocol, None),
            "body_hex": hex::encode(body),
            "expected": answer["expected"],
        }));
    }
    for error in fixture["errors"].as_array().unwrap() {
        let api_error = ApiError::new(
            text(error, "code"),
            u16::try_from(error["status"].as_u64().unwrap()).unwrap(),
            text(error, "message"),
        );
        let expected = json!({"code": error["code"], "message": error["message"]});
        let cases = [
            ("cbor", "", Protocol::RpcV2Cbor, cbor::error_body(&api_error)),
            (
                "cbor",
                "-shape-id",
                Protocol::RpcV2Cbor,
                cbor::error_body_with_namespace(&api_error, "com.amazonaws.acmpca"),
            ),
            ("rest-json", "", Protocol::RestJson1, rest_json::error_body(&api_error)),
        ];
        for (protocol_name, suffix, protocol, body) in cases {
            let (service, operation) = match protocol {
                Protocol::RpcV2Cbor => ("acm-pca", "DescribeCertificateAuthority"),
                _ => ("macie2", "DescribeClassificationJob"),
            };
            answers.push(json!({
                "protocol": protocol_name,
                "name": format!("error-{}{suffix}", text(error, "name")),
                "service": service,
                "operation": operation,
                "status": api_error.status,
                "headers": headers_of(protocol, Some(&api_error)),
                "body_hex": hex::encode(body),
                "expected": expected,
            }));
        }
    }
    json!({ "answers": answers })
}

#[test]
fn answers_match_the_checked_bytes() {
    let encoded = serde_json::to_string_pretty(&encode_all()).unwrap() + "\n";
    let path = fixture_path("answers-encoded.json");
    if std::env::var_os("ARCA_BLESS").is_some() {
        std::fs::write(&path, &encoded).unwrap();
    }
    let checked = std::fs::read_to_string(&path).unwrap();
    assert!(
        checked == encoded,
        "the encoded answers changed; if deliberately, rewrite them with ARCA_BLESS=1 and run \
         scripts/gen-wire-fixtures.py --check"
    );
}

#[test]
fn cbor_answers_tag_timestamps_and_carry_byte_strings() {
    // The property botocore depends on, checked here without Python: a timestamp is a
    // tag-1 number and a blob a byte string.
    let fixture = fixture("answers.json");
    let answer =
        fixture["answers"].as_array().unwrap().iter().find(|a| a["protocol"] == "cbor").unwrap();
    let bytes = cbor::output(&Output::from_fixture(&answer["output"])).unwrap();
    let value: ciborium::Value = ciborium::from_reader(&bytes[..]).unwrap();
    let authority = value.as_map().unwrap()[0].1.as_map().unwrap();
    let created = authority.iter().find(|(k, _)| k.as_text() == Some("CreatedAt")).unwrap();
    assert!(matches!(created.1, ciborium::Value::Tag(1, _)));

    let blob = Output::Map(vec![("Data".into(), Output::Blob(Blob(vec![1, 2])))]);
    let value: ciborium::Value = ciborium::from_reader(&cbor::output(&blob).unwrap()[..]).unwrap();
    assert_eq!(value.as_map().unwrap()[0].1, ciborium::Value::Bytes(vec![1, 2]));
}
