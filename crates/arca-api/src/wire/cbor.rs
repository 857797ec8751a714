//! Smithy RPC v2 CBOR: `POST /service/{Service}/operation/{Operation}` with the header
//! `smithy-protocol: rpc-v2-cbor` and a CBOR map as body; answers and errors are CBOR
//! maps too, errors naming their code in `__type`.

use serde::{Serialize, de::DeserializeOwned};

use crate::ApiError;

/// The content type of requests and answers.
pub const CONTENT_TYPE: &str = "application/cbor";

/// The value of the `smithy-protocol` header on requests and answers.
pub const PROTOCOL_HEADER_VALUE: &str = "rpc-v2-cbor";

/// `(service, operation)` from `/service/{Service}/operation/{Operation}`.
pub fn parse_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/service/")?;
    let (service, operation) = rest.split_once("/operation/")?;
    if service.is_empty() || operation.is_empty() || operation.contains('/') {
        return None;
    }
    Some((service, operation))
}

/// Parses a request body; an empty body is an empty map.
pub fn parse_body(body: &[u8]) -> Result<ciborium::Value, ApiError> {
    if body.is_empty() {
        return Ok(ciborium::Value::Map(Vec::new()));
    }
    let value: ciborium::Value =
        ciborium::from_reader(body).map_err(|_| serialization_error("Malformed CBOR body"))?;
    if !value.is_map() {
        return Err(serialization_error("The request body is not a CBOR map"));
    }
    Ok(value)
}

fn serialization_error(message: &str) -> ApiError {
    ApiError::new("SerializationException", 400, message)
}

/// Turns the parsed body into an operation's typed input.
pub fn input<T: DeserializeOwned>(value: &ciborium::Value) -> Result<T, ApiError> {
    value.deserialized().map_err(|error| {
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

/// Encodes an error body: `{"__type": code, "message": message}`.
pub fn error_body(error: &ApiError) -> Vec<u8> {
    use ciborium::Value;
    let map = Value::Map(vec![
        (Value::Text("__type".into()), Value::Text(error.code.clone())),
        (Value::Text("message".into()), Value::Text(error.message.clone())),
    ]);
    let mut out = Vec::new();
    // Writing a map of two strings into a Vec cannot fail.
    let _ = ciborium::into_writer(&map, &mut out);
    out
}

/// A member of a CBOR request as JSON, for the audit record (byte strings as base64).
pub fn member_to_json(value: &ciborium::Value) -> serde_json::Value {
    use base64::{Engine, engine::general_purpose::STANDARD};
    use ciborium::Value;
    match value {
        Value::Integer(integer) => serde_json::Value::from(
            i128::from(*integer).clamp(i64::MIN.into(), i64::MAX.into()) as i64,
        ),
        Value::Bytes(bytes) => serde_json::Value::String(STANDARD.encode(bytes)),
        Value::Float(float) => serde_json::Number::from_f64(*float)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
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
