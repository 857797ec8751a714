//! Value types every service's inputs and outputs share, serialised as AWS serialises
//! them: one struct serves JSON (base64 blobs, epoch-second timestamps) and CBOR (byte
//! strings, epoch timestamps) alike, by asking the serializer whether it is human
//! readable.

use std::fmt;

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
