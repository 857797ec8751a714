//! AWS JSON 1.0 and 1.1: `POST /` with `X-Amz-Target: Prefix.Operation` and a JSON
//! body; errors as `{"__type": "...", "message": "..."}`.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::ApiError;

/// The content type of JSON 1.1 requests and answers.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The content type of JSON 1.0 requests and answers.
pub const CONTENT_TYPE_1_0: &str = "application/x-amz-json-1.0";

/// Parses a request body; an empty body is an empty object, as AWS accepts.
pub fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| serialization_error())?;
    if !value.is_object() {
        return Err(serialization_error());
    }
    Ok(value)
}

fn serialization_error() -> ApiError {
    ApiError::new(
        "SerializationException",
        400,
        "Start of structure or map found where not expected.",
    )
}

/// Turns the parsed body into an operation's typed input.
pub fn input<T: DeserializeOwned>(body: Value) -> Result<T, ApiError> {
    serde_json::from_value(body).map_err(|error| {
        // serde's message names the member and the expected type, never the value.
        ApiError::new("SerializationException", 400, format!("Invalid request: {error}"))
    })
}

/// Turns the parsed body into an operation's typed input without copying it.
pub fn input_ref<T: DeserializeOwned>(body: &Value) -> Result<T, ApiError> {
    T::deserialize(body).map_err(|error| {
        ApiError::new("SerializationException", 400, format!("Invalid request: {error}"))
    })
}

/// Encodes an operation's output.
pub fn output<T: Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value)
        .map_err(|_| ApiError::new("InternalFailure", 500, "An internal error occurred"))
}

/// Encodes an error body.
pub fn error_body(error: &ApiError) -> Vec<u8> {
    // An error without a message (KMS's InvalidCiphertextException) carries no
    // `message` member at all, as AWS sends it.
    let body = if error.message.is_empty() {
        serde_json::json!({ "__type": error.code })
    } else {
        let mut body = serde_json::json!({ "__type": error.code });
        body[error.message_member] = serde_json::Value::String(error.message.clone());
        body
    };
    body.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_json_is_a_serialization_exception() {
        assert_eq!(parse_body(b"{not json").unwrap_err().code, "SerializationException");
        assert_eq!(parse_body(b"[1,2]").unwrap_err().code, "SerializationException");
        assert!(parse_body(b"").unwrap().is_object());
    }

    #[test]
    fn an_error_without_a_message_has_no_message_member() {
        let body = error_body(&ApiError::new("InvalidCiphertextException", 400, ""));
        assert_eq!(body, br#"{"__type":"InvalidCiphertextException"}"#);
    }

    #[test]
    fn error_shape() {
        let body = error_body(&ApiError::new("NotFoundException", 400, "Key 'x' does not exist"));
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["__type"], "NotFoundException");
        assert_eq!(value["message"], "Key 'x' does not exist");
    }
}
