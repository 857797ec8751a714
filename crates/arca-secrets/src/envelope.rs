//! Envelope encryption of secret values through Arca's KMS, as Secrets Manager does
//! it: each version gets a fresh 256-bit data key from KMS `GenerateDataKey` under the
//! secret's key, with the secret's ARN and the version id as encryption context; the
//! value is sealed locally with AES-256-GCM under the data key, and only KMS's
//! encrypted copy of the data key is stored. Reading a version asks KMS to `Decrypt`
//! the data key, for the caller, so the caller needs `kms:Decrypt` on a customer
//! managed key (with `kms:ViaService` set to Secrets Manager), as in AWS.

use std::collections::BTreeMap;

use arca_api::{
    ApiError, Peers,
    values::{Blob, SecretBlob},
};
use arca_crypto::{SecretBytes, aead::AesGcmKey};
use arca_gate::Caller;
use serde::{Deserialize, Serialize};

use crate::{SecretsError, record::StoredValue};

/// The calling service as KMS sees it (`kms:ViaService`).
pub(crate) const VIA: &str = "secretsmanager";

/// The key a secret uses when the caller names none.
pub(crate) const DEFAULT_KEY: &str = "alias/aws/secretsmanager";

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GenerateDataKey<'a> {
    key_id: &'a str,
    key_spec: &'static str,
    encryption_context: BTreeMap<&'static str, &'a str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DataKey {
    ciphertext_blob: Blob,
    plaintext: SecretBlob,
    key_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Decrypt<'a> {
    ciphertext_blob: Blob,
    encryption_context: BTreeMap<&'static str, &'a str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Decrypted {
    plaintext: SecretBlob,
}

fn context<'a>(arn: &'a str, version_id: &'a str) -> BTreeMap<&'static str, &'a str> {
    BTreeMap::from([("SecretARN", arn), ("SecretVersionId", version_id)])
}

/// The AAD of a sealed value: it binds the value to its secret, version and kind.
fn aad(arn: &str, version_id: &str, binary: bool) -> Vec<u8> {
    format!("arca-secrets/v1\0{arn}\0{version_id}\0{}", if binary { "b" } else { "s" }).into_bytes()
}

/// Encrypts a new version's value under `key_id` for `caller`. Returns the stored form
/// and the ARN of the key KMS used.
pub(crate) async fn seal(
    peers: &Peers,
    caller: &Caller,
    key_id: &str,
    arn: &str,
    version_id: &str,
    value: &SecretBytes,
    binary: bool,
) -> Result<(StoredValue, String), SecretsError> {
    let request = GenerateDataKey {
        key_id,
        key_spec: "AES_256",
        encryption_context: context(arn, version_id),
    };
    let data_key: DataKey = peers
        .call(caller, VIA, "kms", "GenerateDataKey", &request)
        .await
        .map_err(|error| kms_failure(error, Direction::Encrypt))?;
    let key = AesGcmKey::from_bytes(data_key.plaintext.0.expose_secret())
        .map_err(|_| SecretsError::Internal)?;
    let sealed = key
        .seal_random_nonce(&aad(arn, version_id, binary), value.expose_secret())
        .map_err(|_| SecretsError::Internal)?;
    Ok((StoredValue { data_key: data_key.ciphertext_blob.0, sealed, binary }, data_key.key_id))
}

/// Decrypts a stored value for `caller`.
pub(crate) async fn open(
    peers: &Peers,
    caller: &Caller,
    stored: &StoredValue,
    arn: &str,
    version_id: &str,
) -> Result<SecretBytes, SecretsError> {
    let request = Decrypt {
        ciphertext_blob: Blob(stored.data_key.clone()),
        encryption_context: context(arn, version_id),
    };
    let decrypted: Decrypted = peers
        .call(caller, VIA, "kms", "Decrypt", &request)
        .await
        .map_err(|error| kms_failure(error, Direction::Decrypt))?;
    let key = AesGcmKey::from_bytes(decrypted.plaintext.0.expose_secret())
        .map_err(|_| SecretsError::Internal)?;
    key.open_combined(&aad(arn, version_id, stored.binary), &stored.sealed).map_err(|_| {
        SecretsError::DecryptionFailure(
            "Secrets Manager can't decrypt the protected secret text using the provided KMS key."
                .into(),
        )
    })
}

#[derive(Clone, Copy)]
enum Direction {
    Encrypt,
    Decrypt,
}

/// What the caller sees when KMS refuses: AWS's Secrets Manager errors, which name
/// the KMS condition but never the value.
fn kms_failure(error: ApiError, direction: Direction) -> SecretsError {
    match error.code.as_str() {
        "AccessDeniedException" => {
            SecretsError::AccessDenied("Access to KMS is not allowed".into())
        }
        "DisabledException"
        | "KMSInvalidStateException"
        | "NotFoundException"
        | "InvalidKeyUsageException"
        | "InvalidCiphertextException"
        | "IncorrectKeyException" => {
            let detail = match error.code.as_str() {
                "DisabledException" => " The KMS key is disabled.",
                "KMSInvalidStateException" => " The KMS key is in an invalid state.",
                "NotFoundException" => " The KMS key can't be found.",
                _ => "",
            };
            match direction {
                Direction::Encrypt => SecretsError::EncryptionFailure(format!(
                    "Secrets Manager can't encrypt the protected secret text using the provided KMS key.{detail}"
                )),
                Direction::Decrypt => SecretsError::DecryptionFailure(format!(
                    "Secrets Manager can't decrypt the protected secret text using the provided KMS key.{detail}"
                )),
            }
        }
        _ => {
            tracing::error!(code = %error.code, "secrets: KMS call failed");
            SecretsError::Internal
        }
    }
}
