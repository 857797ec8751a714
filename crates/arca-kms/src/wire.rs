//! Value types shared by every KMS operation's input and output. The wire value types
//! every service shares (blobs, secret blobs, timestamps) are the platform's
//! [`arca_api::values`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use arca_api::values::{Blob, SecretBlob, Timestamp};

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
mod cbor_tests {
    use arca_crypto::SecretBytes;

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
