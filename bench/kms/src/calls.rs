//! The KMS calls the benchmark makes: which operations, under which keys, with which
//! bodies (signed and replayed by `arca-bench-harness`).

use arca_bench_harness::{Credentials, JsonService, SignedCall};
use base64::Engine as _;

/// KMS on the wire: signing name `kms`, `X-Amz-Target: TrentService.*`.
pub const KMS: JsonService = JsonService { signing_name: "kms", target_prefix: "TrentService" };

/// A key pair spec the asymmetric rows use, with its signing algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pair {
    /// ECC_NIST_P256 with ECDSA_SHA_256.
    EcdsaP256,
    /// RSA_2048 with RSASSA_PSS_SHA_256.
    Rsa2048,
    /// ML_DSA_65 with ML_DSA_SHAKE_256.
    MlDsa65,
}

impl Pair {
    /// Every pair, in the order the table shows them.
    pub const ALL: [Pair; 3] = [Pair::EcdsaP256, Pair::Rsa2048, Pair::MlDsa65];

    /// The KMS key spec.
    pub fn key_spec(self) -> &'static str {
        match self {
            Pair::EcdsaP256 => "ECC_NIST_P256",
            Pair::Rsa2048 => "RSA_2048",
            Pair::MlDsa65 => "ML_DSA_65",
        }
    }

    /// The signing algorithm.
    pub fn algorithm(self) -> &'static str {
        match self {
            Pair::EcdsaP256 => "ECDSA_SHA_256",
            Pair::Rsa2048 => "RSASSA_PSS_SHA_256",
            Pair::MlDsa65 => "ML_DSA_SHAKE_256",
        }
    }
}

/// The KMS operations the benchmark drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `Encrypt` of a 1 KiB plaintext.
    Encrypt,
    /// `GenerateDataKey` with `KeySpec` `AES_256`.
    GenerateDataKey,
    /// `Sign` of a 64-byte message (RAW).
    Sign(Pair),
    /// `Verify` of one good signature of a 64-byte message.
    Verify(Pair),
    /// `GenerateMac` (HMAC_SHA_256) of a 64-byte message.
    GenerateMac,
}

/// The message Sign, Verify and GenerateMac calls carry (`variant` varies it).
pub fn message(variant: usize) -> Vec<u8> {
    (0..64).map(|index| (index * 13 + variant * 7) as u8).collect()
}

impl Operation {
    /// The AWS operation name.
    pub fn action(self) -> &'static str {
        match self {
            Operation::Encrypt => "Encrypt",
            Operation::GenerateDataKey => "GenerateDataKey",
            Operation::Sign(_) => "Sign",
            Operation::Verify(_) => "Verify",
            Operation::GenerateMac => "GenerateMac",
        }
    }

    /// The row's label.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Encrypt => "Encrypt",
            Operation::GenerateDataKey => "GenerateDataKey",
            Operation::Sign(Pair::EcdsaP256) => "Sign P-256",
            Operation::Sign(Pair::Rsa2048) => "Sign RSA-2048",
            Operation::Sign(Pair::MlDsa65) => "Sign ML-DSA-65",
            Operation::Verify(Pair::EcdsaP256) => "Verify P-256",
            Operation::Verify(Pair::Rsa2048) => "Verify RSA-2048",
            Operation::Verify(Pair::MlDsa65) => "Verify ML-DSA-65",
            Operation::GenerateMac => "GenerateMac",
        }
    }

    /// The (KeySpec, KeyUsage) of the key the operation needs; `None` for a symmetric
    /// encryption key.
    pub fn key(self) -> Option<(&'static str, &'static str)> {
        match self {
            Operation::Encrypt | Operation::GenerateDataKey => None,
            Operation::Sign(pair) | Operation::Verify(pair) => {
                Some((pair.key_spec(), "SIGN_VERIFY"))
            }
            Operation::GenerateMac => Some(("HMAC_256", "GENERATE_VERIFY_MAC")),
        }
    }

    /// The field a good answer has.
    pub fn answer_field(self) -> &'static str {
        match self {
            Operation::Encrypt => "CiphertextBlob",
            Operation::GenerateDataKey => "Plaintext",
            Operation::Sign(_) => "Signature",
            Operation::Verify(_) => "SignatureValid",
            Operation::GenerateMac => "Mac",
        }
    }

    /// The JSON body of one call under `key_id`; `variant` varies the message (Verify
    /// always checks `signature`, made over variant 0).
    fn body(self, key_id: &str, variant: usize, signature: Option<&str>) -> serde_json::Value {
        let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        match self {
            Operation::Encrypt => {
                let plaintext: Vec<u8> =
                    (0..1024).map(|index| (index * 31 + variant * 7) as u8).collect();
                serde_json::json!({ "KeyId": key_id, "Plaintext": encode(&plaintext) })
            }
            Operation::GenerateDataKey => {
                serde_json::json!({ "KeyId": key_id, "KeySpec": "AES_256" })
            }
            Operation::Sign(pair) => serde_json::json!({
                "KeyId": key_id, "Message": encode(&message(variant)),
                "MessageType": "RAW", "SigningAlgorithm": pair.algorithm(),
            }),
            Operation::Verify(pair) => serde_json::json!({
                "KeyId": key_id, "Message": encode(&message(0)), "MessageType": "RAW",
                "SigningAlgorithm": pair.algorithm(), "Signature": signature.unwrap_or_default(),
            }),
            Operation::GenerateMac => serde_json::json!({
                "KeyId": key_id, "Message": encode(&message(variant)), "MacAlgorithm": "HMAC_SHA_256",
            }),
        }
    }
}

/// A pool of `count` signed calls of `operation` under `key_id` (`signature`: the one
/// Verify checks).
pub fn pool(
    host: &str,
    operation: Operation,
    key_id: &str,
    signature: Option<&str>,
    credentials: &Credentials,
    count: usize,
) -> anyhow::Result<Vec<SignedCall>> {
    (0..count)
        .map(|variant| {
            let body = operation.body(key_id, variant, signature);
            SignedCall::sign(host, KMS, operation.action(), &body, credentials)
        })
        .collect()
}
