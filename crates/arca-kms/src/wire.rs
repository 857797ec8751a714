//! Value types shared by every operation's input and output, serialised as AWS
//! serialises them: one struct serves JSON (base64 blobs, epoch-second timestamps)
//! and CBOR (byte strings, epoch timestamps) alike, by asking the serializer whether
//! it is human readable.

use std::{collections::BTreeMap, fmt};

use arca_crypto::SecretBytes;
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// A non-secret binary value (ciphertext blobs).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Vec<u8>);

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

/// A secret binary value (plaintexts, data keys): zeroized on drop, redacted in `Debug`.
#[derive(Clone, Default)]
pub struct SecretBlob(pub SecretBytes);

impl fmt::Debug for SecretBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

fn serialize_bytes<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    if serializer.is_human_readable() {
        serializer.serialize_str(&BASE64.encode(bytes))
    } else {
        serializer.serialize_bytes(bytes)
    }
}

struct BytesVisitor;

impl<'de> de::Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a base64-encoded blob")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Vec<u8>, E> {
        BASE64.decode(text).map_err(|_| E::custom("Invalid base64 in a blob member"))
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
        Ok(bytes.to_vec())
    }

    fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(bytes)
    }
}

fn deserialize_bytes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    if deserializer.is_human_readable() {
        deserializer.deserialize_str(BytesVisitor)
    } else {
        deserializer.deserialize_byte_buf(BytesVisitor)
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_bytes(&self.0, serializer)
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_bytes(deserializer).map(Blob)
    }
}

impl Serialize for SecretBlob {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Leaves the secret type only to be encoded into the response body.
        serialize_bytes(self.0.expose_secret(), serializer)
    }
}

impl<'de> Deserialize<'de> for SecretBlob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_bytes(deserializer).map(|bytes| SecretBlob(SecretBytes::new(bytes)))
    }
}

/// A point in time, sent as epoch seconds (JSON number or CBOR epoch).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Default)]
pub struct Timestamp(pub i64 /* Unix milliseconds */);

impl Timestamp {
    /// Unix milliseconds.
    pub fn millis(self) -> i64 {
        self.0
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0 as f64 / 1000.0)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let seconds = f64::deserialize(deserializer)?;
        Ok(Timestamp((seconds * 1000.0).round() as i64))
    }
}

/// An encryption context: non-secret key-value pairs bound to a ciphertext as AAD.
pub type EncryptionContext = BTreeMap<String, String>;

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// The tag key (1-128 characters).
    pub tag_key: String,
    /// The tag value (0-256 characters).
    pub tag_value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_base64_in_json() {
        let json = serde_json::to_string(&Blob(b"hi".to_vec())).unwrap();
        assert_eq!(json, "\"aGk=\"");
        let back: Blob = serde_json::from_str(&json).unwrap();
        assert_eq!(back.0, b"hi");
        assert!(serde_json::from_str::<Blob>("\"***\"").is_err());
    }

    #[test]
    fn secret_blobs_are_redacted_in_debug() {
        let secret: SecretBlob = serde_json::from_str("\"aGk=\"").unwrap();
        assert_eq!(format!("{secret:?}"), "[REDACTED]");
    }

    #[test]
    fn timestamps_are_epoch_seconds() {
        assert_eq!(serde_json::to_string(&Timestamp(1_500)).unwrap(), "1.5");
    }
}

#[cfg(test)]
mod cbor_tests {
    use super::*;
    use crate::api::{EncryptRequest, EncryptResponse};

    /// The same structs serve Smithy RPC v2 CBOR: blobs become byte strings and
    /// timestamps numbers, with no change to the operation types.
    #[test]
    fn operation_types_round_trip_through_cbor() {
        let response = EncryptResponse {
            ciphertext_blob: Some(Blob(vec![1, 2, 3])),
            key_id: Some("arn:aws:kms:us-east-1:111122223333:key/k".into()),
            encryption_algorithm: Some("SYMMETRIC_DEFAULT".into()),
        };
        let mut bytes = Vec::new();
        ciborium::into_writer(&response, &mut bytes).unwrap();
        let value: ciborium::Value = ciborium::from_reader(&bytes[..]).unwrap();
        let map = value.as_map().unwrap();
        let blob = map.iter().find(|(k, _)| k.as_text() == Some("CiphertextBlob")).unwrap();
        assert_eq!(blob.1.as_bytes().unwrap(), &vec![1, 2, 3]);

        let mut request_bytes = Vec::new();
        let request = EncryptRequest {
            key_id: Some("alias/x".into()),
            plaintext: Some(SecretBlob(SecretBytes::from_slice(b"hi"))),
            ..Default::default()
        };
        ciborium::into_writer(&request, &mut request_bytes).unwrap();
        let back: EncryptRequest = ciborium::from_reader(&request_bytes[..]).unwrap();
        assert_eq!(back.plaintext.unwrap().0.expose_secret(), b"hi");
        assert_eq!(back.key_id.as_deref(), Some("alias/x"));
    }
}
