//! Smithy RPC v2 CBOR: `POST /service/{Service}/operation/{Operation}` with the header
//! `smithy-protocol: rpc-v2-cbor` and a CBOR map as body; answers and errors are CBOR
//! maps too, errors naming their code in `__type`.
//!
//! Blobs travel as CBOR byte strings and timestamps as epoch seconds under tag 1, so the
//! serde types services share between JSON and CBOR decide their form by asking
//! `is_human_readable()`; [`serialize_timestamp`] writes the tag for them.
//!
//! The body comes from the network: it is parsed with a nesting limit, must be exactly
//! one data item, and every way it can be wrong is one `SerializationException`.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ciborium::Value;
use serde::{Serialize, Serializer, de::DeserializeOwned};

use crate::ApiError;

/// The content type of requests and answers.
pub const CONTENT_TYPE: &str = "application/cbor";

/// The value of the `smithy-protocol` header on requests and answers.
pub const PROTOCOL_HEADER_VALUE: &str = "rpc-v2-cbor";

/// How deeply arrays, maps and tags may nest in a request body. AWS models nest a few
/// levels; the limit keeps a hostile body from exhausting the stack.
pub const MAX_DEPTH: usize = 64;

/// The CBOR tag of an epoch-seconds timestamp (RFC 8949, section 3.4.2).
const EPOCH_TAG: u64 = 1;

/// `(service, operation)` from `/service/{Service}/operation/{Operation}`.
pub fn parse_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/service/")?;
    let (service, operation) = rest.split_once("/operation/")?;
    if service.is_empty() || operation.is_empty() || operation.contains('/') {
        return None;
    }
    // Smithy service and operation names are identifiers; a namespace-qualified
    // service shape id would carry a `.`, which the spec leaves out of the path.
    let is_identifier = |name: &str| name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !is_identifier(service) || !is_identifier(operation) {
        return None;
    }
    Some((service, operation))
}

/// Parses a request body; an empty body is an empty map (an operation without input).
///
/// Indefinite-length items are accepted. Bytes after the first data item, nesting
/// deeper than [`MAX_DEPTH`], or a top-level item other than a map are malformed.
/// Integer epoch seconds under tag 1 become floats, so that timestamp types read them
/// as `f64` whichever width the client chose.
pub fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(Value::Map(Vec::new()));
    }
    let mut rest = body;
    let value: Value = ciborium::de::from_reader_with_recursion_limit(&mut rest, MAX_DEPTH)
        .map_err(|_| serialization_error("Malformed CBOR body"))?;
    if !rest.is_empty() {
        return Err(serialization_error("Unexpected data after the CBOR body"));
    }
    let Value::Map(mut entries) = value else {
        return Err(serialization_error("The request body is not a CBOR map"));
    };
    if entries.iter().any(|(key, _)| !key.is_text()) {
        return Err(serialization_error("A structure member name is not a text string"));
    }
    for (_, member) in &mut entries {
        normalize_timestamps(member);
    }
    Ok(Value::Map(entries))
}

/// Rewrites `1(integer)` as `1(float)`. Recursion is bounded by [`MAX_DEPTH`], which
/// [`parse_body`] enforced before calling this.
fn normalize_timestamps(value: &mut Value) {
    match value {
        Value::Tag(EPOCH_TAG, inner) => {
            if let Value::Integer(integer) = **inner {
                // Epoch seconds within f64's exact range (2^53) convert exactly; larger
                // ones are out of any timestamp type's range anyway.
                **inner = Value::Float(i128::from(integer) as f64);
            }
        }
        Value::Tag(_, inner) => normalize_timestamps(inner),
        Value::Array(items) => items.iter_mut().for_each(normalize_timestamps),
        Value::Map(entries) => entries.iter_mut().for_each(|(_, item)| normalize_timestamps(item)),
        _ => {}
    }
}

fn serialization_error(message: &str) -> ApiError {
    ApiError::new("SerializationException", 400, message)
}

/// Turns the parsed body into an operation's typed input. The deserializer is not
/// human readable, so blob types read byte strings and timestamp types numbers.
pub fn input<T: DeserializeOwned>(value: &Value) -> Result<T, ApiError> {
    value.deserialized().map_err(|error| {
        // ciborium's message names the expected type, never the value.
        ApiError::new("SerializationException", 400, format!("Invalid request: {error}"))
    })
}

/// Encodes an operation's output.
pub fn output<T: Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out)
        .map_err(|_| ApiError::new("InternalFailure", 500, "An internal error occurred"))?;
    Ok(out)
}

/// Writes a timestamp as the protocols want it: a JSON number of epoch seconds, or in
/// CBOR the same number under tag 1 (botocore turns only tagged numbers into dates).
/// For use in a timestamp type's `Serialize` implementation.
pub fn serialize_timestamp<S: Serializer>(
    epoch_seconds: f64,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    if serializer.is_human_readable() {
        serializer.serialize_f64(epoch_seconds)
    } else {
        ciborium::tag::Required::<f64, EPOCH_TAG>(epoch_seconds).serialize(serializer)
    }
}

/// Encodes an error body: `{"__type": code, "message": message}` (the message under
/// the error's [`ApiError::message_member`]).
///
/// The code is written bare. Clients read the part after a `#` when the value is a
/// shape id, so the bare code and [`error_body_with_namespace`] parse alike.
pub fn error_body(error: &ApiError) -> Vec<u8> {
    encode_error(error.code.clone(), error.message_member, &error.message)
}

/// Encodes an error body naming the error by its absolute shape id
/// (`com.amazonaws.acmpca#ResourceNotFoundException`), the form the Smithy
/// specification gives, for services that know their Smithy namespace.
pub fn error_body_with_namespace(error: &ApiError, namespace: &str) -> Vec<u8> {
    encode_error(format!("{namespace}#{}", error.code), error.message_member, &error.message)
}

fn encode_error(error_type: String, member: &str, message: &str) -> Vec<u8> {
    let map = Value::Map(vec![
        (Value::Text("__type".into()), Value::Text(error_type)),
        (Value::Text(member.into()), Value::Text(message.to_string())),
    ]);
    let mut out = Vec::new();
    // Writing a map of two strings into a Vec cannot fail.
    let _ = ciborium::into_writer(&map, &mut out);
    out
}

/// A member of a CBOR request as JSON, for the audit record: byte strings as base64,
/// timestamps as epoch seconds, non-finite floats as Smithy's JSON strings (`NaN`,
/// `Infinity`, `-Infinity`), maps with text keys only.
pub fn member_to_json(value: &Value) -> serde_json::Value {
    use base64::{Engine, engine::general_purpose::STANDARD};
    match value {
        Value::Integer(integer) => {
            let wide = i128::from(*integer);
            match (i64::try_from(wide), u64::try_from(wide)) {
                (Ok(signed), _) => signed.into(),
                (_, Ok(unsigned)) => unsigned.into(),
                // Below -2^63: past any Smithy integer type; kept approximately.
                _ => float_to_json(wide as f64),
            }
        }
        Value::Bytes(bytes) => serde_json::Value::String(STANDARD.encode(bytes)),
        Value::Float(float) => float_to_json(*float),
        Value::Text(text) => serde_json::Value::String(text.clone()),
        Value::Bool(flag) => serde_json::Value::Bool(*flag),
        Value::Tag(_, inner) => member_to_json(inner),
        Value::Array(items) => serde_json::Value::Array(items.iter().map(member_to_json).collect()),
        Value::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .filter_map(|(key, value)| {
                    Some((key.as_text()?.to_string(), member_to_json(value)))
                })
                .collect(),
        ),
        _ => serde_json::Value::Null,
    }
}

/// A float as JSON: whole numbers within i64 as integers (epoch seconds read better so,
/// and compare equal to what JSON clients send), other finite values as numbers.
fn float_to_json(float: f64) -> serde_json::Value {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if float.is_nan() {
        return "NaN".into();
    }
    if float.is_infinite() {
        return if float > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if float.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&float) {
        return (float as i64).into();
    }
    serde_json::Number::from_f64(float).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(value, &mut out).unwrap();
        out
    }

    fn check_path(path: &str, expected: Option<(&str, &str)>) {
        assert_eq!(parse_path(path), expected, "{path}");
    }

    #[test]
    fn paths() {
        check_path(
            "/service/ACMPrivateCA/operation/IssueCertificate",
            Some(("ACMPrivateCA", "IssueCertificate")),
        );
        check_path("/service/ACMPrivateCA/operation/", None);
        check_path("/service//operation/X", None);
        check_path("/service/A/operation/B/C", None);
        check_path("/service/com.amazonaws#A/operation/B", None);
        check_path("/", None);
    }

    fn check_malformed(body: &[u8]) {
        let error = parse_body(body).unwrap_err();
        assert_eq!(
            (error.code.as_str(), error.status),
            ("SerializationException", 400),
            "{body:x?}"
        );
    }

    #[test]
    fn malformed_bodies_are_serialization_exceptions() {
        check_malformed(&[0xff]); // a lone break
        check_malformed(&[0xa1, 0x61]); // truncated
        check_malformed(&[0x80]); // an array, not a map
        check_malformed(&[0xa0, 0xa0]); // two items
        check_malformed(&[0xa1, 0x01, 0x02]); // an integer key
        let mut deep = vec![0xa1, 0x61, b'a'];
        deep.extend(std::iter::repeat_n(0x81, MAX_DEPTH + 1));
        deep.push(0x01);
        check_malformed(&deep);
    }

    #[test]
    fn accepts_empty_and_indefinite_bodies() {
        assert_eq!(parse_body(b"").unwrap(), Value::Map(Vec::new()));
        // {_ "a": [_ 1, 2], "b": (_ h'01', h'02') }
        let body = [
            0xbf, 0x61, b'a', 0x9f, 0x01, 0x02, 0xff, 0x61, b'b', 0x5f, 0x41, 0x01, 0x41, 0x02,
            0xff, 0xff,
        ];
        let json = member_to_json(&parse_body(&body).unwrap());
        assert_eq!(json, serde_json::json!({"a": [1, 2], "b": "AQI="}));
    }

    #[test]
    fn integer_timestamps_decode_as_floats() {
        let body = encode(&Value::Map(vec![(
            Value::Text("At".into()),
            Value::Tag(1, Box::new(Value::Integer(1_700_000_000.into()))),
        )]));
        #[derive(serde::Deserialize)]
        struct Input {
            #[serde(rename = "At")]
            at: f64,
        }
        let input: Input = super::input(&parse_body(&body).unwrap()).unwrap();
        assert_eq!(input.at, 1_700_000_000.0);
    }

    #[test]
    fn timestamps_are_tagged_in_cbor_only() {
        struct At(f64);
        impl Serialize for At {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serialize_timestamp(self.0, serializer)
            }
        }
        // ciborium writes the shortest float that holds the value exactly.
        assert_eq!(output(&At(1.5)).unwrap(), [0xc1, 0xf9, 0x3e, 0x00]);
        assert_eq!(serde_json::to_string(&At(1.5)).unwrap(), "1.5");
    }

    #[test]
    fn error_bodies() {
        let error = ApiError::new("ResourceNotFoundException", 400, "No such CA");
        let decode = |bytes: Vec<u8>| member_to_json(&ciborium::from_reader(&bytes[..]).unwrap());
        assert_eq!(
            decode(error_body(&error)),
            serde_json::json!({"__type": "ResourceNotFoundException", "message": "No such CA"})
        );
        assert_eq!(
            decode(error_body_with_namespace(&error, "com.amazonaws.acmpca"))["__type"],
            "com.amazonaws.acmpca#ResourceNotFoundException"
        );
    }

    #[test]
    fn audit_json() {
        let check = |value: Value, expected: serde_json::Value| {
            assert_eq!(member_to_json(&value), expected);
        };
        check(Value::Float(f64::NAN), "NaN".into());
        check(Value::Float(f64::NEG_INFINITY), "-Infinity".into());
        check(Value::Float(2.5), 2.5.into());
        check(Value::Tag(1, Box::new(Value::Float(1e9))), 1_000_000_000.into());
        check(Value::Integer(u64::MAX.into()), u64::MAX.into());
        check(Value::Null, serde_json::Value::Null);
    }
}
