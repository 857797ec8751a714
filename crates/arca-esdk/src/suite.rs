//! The eleven algorithm suites of the message format and their key derivation.

use arca_crypto::aead::AesGcmKey;
use arca_crypto::digest::HashAlgorithm;
use arca_crypto::ecdsa::EcdsaCurve;
use arca_crypto::{SecretBytes, hkdf};

use crate::error::{Checked, Reject};

/// An algorithm suite, named as the AWS Encryption SDK names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlgorithmSuite {
    /// 0x0014: AES-128-GCM, data key used directly (legacy).
    Aes128GcmIv12Tag16,
    /// 0x0046: AES-192-GCM, data key used directly (legacy).
    Aes192GcmIv12Tag16,
    /// 0x0078: AES-256-GCM, data key used directly (legacy).
    Aes256GcmIv12Tag16,
    /// 0x0114: AES-128-GCM, HKDF-SHA256.
    Aes128GcmIv12Tag16HkdfSha256,
    /// 0x0146: AES-192-GCM, HKDF-SHA256.
    Aes192GcmIv12Tag16HkdfSha256,
    /// 0x0178: AES-256-GCM, HKDF-SHA256.
    Aes256GcmIv12Tag16HkdfSha256,
    /// 0x0214: AES-128-GCM, HKDF-SHA256, ECDSA P-256 signature.
    Aes128GcmIv12Tag16HkdfSha256EcdsaP256,
    /// 0x0346: AES-192-GCM, HKDF-SHA384, ECDSA P-384 signature.
    Aes192GcmIv12Tag16HkdfSha384EcdsaP384,
    /// 0x0378: AES-256-GCM, HKDF-SHA384, ECDSA P-384 signature.
    Aes256GcmIv12Tag16HkdfSha384EcdsaP384,
    /// 0x0478: AES-256-GCM, HKDF-SHA512 with key commitment.
    Aes256GcmHkdfSha512CommitKey,
    /// 0x0578: AES-256-GCM, HKDF-SHA512 with key commitment, ECDSA P-384 signature
    /// (the default).
    Aes256GcmHkdfSha512CommitKeyEcdsaP384,
}

/// How the data encryption key comes from the data key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyDerivation {
    /// The data key is the encryption key.
    Identity,
    /// HKDF with this hash, info = suite id || message id.
    Hkdf(HashAlgorithm),
    /// HKDF-SHA512 with the message id as salt, yielding an encryption and a commitment key.
    CommittingHkdfSha512,
}

/// The message format version a suite is written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageFormatVersion {
    /// Version 1: 16-byte message ids, header IV, non-committing suites.
    V1,
    /// Version 2: 32-byte message ids, commitment key in the header.
    V2,
}

impl MessageFormatVersion {
    /// The length of a message id in this version.
    pub fn message_id_len(self) -> usize {
        match self {
            MessageFormatVersion::V1 => 16,
            MessageFormatVersion::V2 => 32,
        }
    }
}

/// Length of the commitment key carried in a version 2 header.
pub const COMMITMENT_KEY_LEN: usize = 32;

impl AlgorithmSuite {
    /// Every suite, in id order.
    pub const ALL: [AlgorithmSuite; 11] = [
        AlgorithmSuite::Aes128GcmIv12Tag16,
        AlgorithmSuite::Aes192GcmIv12Tag16,
        AlgorithmSuite::Aes256GcmIv12Tag16,
        AlgorithmSuite::Aes128GcmIv12Tag16HkdfSha256,
        AlgorithmSuite::Aes192GcmIv12Tag16HkdfSha256,
        AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha256,
        AlgorithmSuite::Aes128GcmIv12Tag16HkdfSha256EcdsaP256,
        AlgorithmSuite::Aes192GcmIv12Tag16HkdfSha384EcdsaP384,
        AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha384EcdsaP384,
        AlgorithmSuite::Aes256GcmHkdfSha512CommitKey,
        AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384,
    ];

    /// The two-byte identifier written in headers.
    pub fn id(self) -> u16 {
        match self {
            AlgorithmSuite::Aes128GcmIv12Tag16 => 0x0014,
            AlgorithmSuite::Aes192GcmIv12Tag16 => 0x0046,
            AlgorithmSuite::Aes256GcmIv12Tag16 => 0x0078,
            AlgorithmSuite::Aes128GcmIv12Tag16HkdfSha256 => 0x0114,
            AlgorithmSuite::Aes192GcmIv12Tag16HkdfSha256 => 0x0146,
            AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha256 => 0x0178,
            AlgorithmSuite::Aes128GcmIv12Tag16HkdfSha256EcdsaP256 => 0x0214,
            AlgorithmSuite::Aes192GcmIv12Tag16HkdfSha384EcdsaP384 => 0x0346,
            AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha384EcdsaP384 => 0x0378,
            AlgorithmSuite::Aes256GcmHkdfSha512CommitKey => 0x0478,
            AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384 => 0x0578,
        }
    }

    /// The suite with identifier `id`, if there is one.
    pub fn from_id(id: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|suite| suite.id() == id)
    }

    /// The name the AWS SDKs and the AWS Encryption CLI use.
    pub fn name(self) -> &'static str {
        match self {
            AlgorithmSuite::Aes128GcmIv12Tag16 => "AES_128_GCM_IV12_TAG16",
            AlgorithmSuite::Aes192GcmIv12Tag16 => "AES_192_GCM_IV12_TAG16",
            AlgorithmSuite::Aes256GcmIv12Tag16 => "AES_256_GCM_IV12_TAG16",
            AlgorithmSuite::Aes128GcmIv12Tag16HkdfSha256 => "AES_128_GCM_IV12_TAG16_HKDF_SHA256",
            AlgorithmSuite::Aes192GcmIv12Tag16HkdfSha256 => "AES_192_GCM_IV12_TAG16_HKDF_SHA256",
            AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha256 => "AES_256_GCM_IV12_TAG16_HKDF_SHA256",
            AlgorithmSuite::Aes128GcmIv12Tag16HkdfSha256EcdsaP256 => {
                "AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256"
            }
            AlgorithmSuite::Aes192GcmIv12Tag16HkdfSha384EcdsaP384 => {
                "AES_192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384"
            }
            AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha384EcdsaP384 => {
                "AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384"
            }
            AlgorithmSuite::Aes256GcmHkdfSha512CommitKey => "AES_256_GCM_HKDF_SHA512_COMMIT_KEY",
            AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384 => {
                "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384"
            }
        }
    }

    /// Parses a suite name (any case) or a hex id such as `0x0578` or `0578`.
    pub fn parse(text: &str) -> Option<Self> {
        let trimmed = text.trim();
        if let Some(suite) =
            Self::ALL.into_iter().find(|suite| suite.name().eq_ignore_ascii_case(trimmed))
        {
            return Some(suite);
        }
        let hex =
            trimmed.strip_prefix("0x").or_else(|| trimmed.strip_prefix("0X")).unwrap_or(trimmed);
        u16::from_str_radix(hex, 16).ok().and_then(Self::from_id)
    }

    /// Length of the AES-GCM key that encrypts content.
    pub fn encryption_key_len(self) -> usize {
        match self {
            AlgorithmSuite::Aes128GcmIv12Tag16
            | AlgorithmSuite::Aes128GcmIv12Tag16HkdfSha256
            | AlgorithmSuite::Aes128GcmIv12Tag16HkdfSha256EcdsaP256 => 16,
            AlgorithmSuite::Aes192GcmIv12Tag16
            | AlgorithmSuite::Aes192GcmIv12Tag16HkdfSha256
            | AlgorithmSuite::Aes192GcmIv12Tag16HkdfSha384EcdsaP384 => 24,
            AlgorithmSuite::Aes256GcmIv12Tag16
            | AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha256
            | AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha384EcdsaP384
            | AlgorithmSuite::Aes256GcmHkdfSha512CommitKey
            | AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384 => 32,
        }
    }

    /// Length of the plaintext data key a keyring must produce (the KDF input).
    pub fn data_key_len(self) -> usize {
        self.encryption_key_len()
    }

    /// The key derivation of this suite.
    pub fn key_derivation(self) -> KeyDerivation {
        match self {
            AlgorithmSuite::Aes128GcmIv12Tag16
            | AlgorithmSuite::Aes192GcmIv12Tag16
            | AlgorithmSuite::Aes256GcmIv12Tag16 => KeyDerivation::Identity,
            AlgorithmSuite::Aes128GcmIv12Tag16HkdfSha256
            | AlgorithmSuite::Aes192GcmIv12Tag16HkdfSha256
            | AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha256
            | AlgorithmSuite::Aes128GcmIv12Tag16HkdfSha256EcdsaP256 => {
                KeyDerivation::Hkdf(HashAlgorithm::Sha256)
            }
            AlgorithmSuite::Aes192GcmIv12Tag16HkdfSha384EcdsaP384
            | AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha384EcdsaP384 => {
                KeyDerivation::Hkdf(HashAlgorithm::Sha384)
            }
            AlgorithmSuite::Aes256GcmHkdfSha512CommitKey
            | AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384 => {
                KeyDerivation::CommittingHkdfSha512
            }
        }
    }

    /// The signature curve, for signed suites.
    pub fn signing(self) -> Option<EcdsaCurve> {
        match self {
            AlgorithmSuite::Aes128GcmIv12Tag16HkdfSha256EcdsaP256 => Some(EcdsaCurve::P256),
            AlgorithmSuite::Aes192GcmIv12Tag16HkdfSha384EcdsaP384
            | AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha384EcdsaP384
            | AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384 => Some(EcdsaCurve::P384),
            AlgorithmSuite::Aes128GcmIv12Tag16
            | AlgorithmSuite::Aes192GcmIv12Tag16
            | AlgorithmSuite::Aes256GcmIv12Tag16
            | AlgorithmSuite::Aes128GcmIv12Tag16HkdfSha256
            | AlgorithmSuite::Aes192GcmIv12Tag16HkdfSha256
            | AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha256
            | AlgorithmSuite::Aes256GcmHkdfSha512CommitKey => None,
        }
    }

    /// Whether messages of this suite carry a footer signature.
    pub fn is_signed(self) -> bool {
        self.signing().is_some()
    }

    /// Whether this suite commits to its data key.
    pub fn is_committing(self) -> bool {
        self.key_derivation() == KeyDerivation::CommittingHkdfSha512
    }

    /// The message format version this suite is written with.
    pub fn message_format_version(self) -> MessageFormatVersion {
        if self.is_committing() { MessageFormatVersion::V2 } else { MessageFormatVersion::V1 }
    }

    /// Derives the content key and, for committing suites, the commitment key.
    pub(crate) fn derive_keys(
        self,
        data_key: &SecretBytes,
        message_id: &[u8],
    ) -> Checked<(AesGcmKey, Option<SecretBytes>)> {
        const BAD_KEY: Reject = Reject("data key unusable");
        if data_key.len() != self.data_key_len() {
            return Err(BAD_KEY);
        }
        let id = self.id().to_be_bytes();
        match self.key_derivation() {
            KeyDerivation::Identity => {
                Ok((AesGcmKey::from_bytes(data_key.expose_secret()).map_err(|_| BAD_KEY)?, None))
            }
            KeyDerivation::Hkdf(hash) => {
                let mut info = Vec::with_capacity(2 + message_id.len());
                info.extend_from_slice(&id);
                info.extend_from_slice(message_id);
                let key = hkdf::derive(
                    hash,
                    &[],
                    data_key.expose_secret(),
                    &info,
                    self.encryption_key_len(),
                )
                .map_err(|_| BAD_KEY)?;
                Ok((AesGcmKey::new(key).map_err(|_| BAD_KEY)?, None))
            }
            KeyDerivation::CommittingHkdfSha512 => {
                let mut info = Vec::with_capacity(11);
                info.extend_from_slice(&id);
                info.extend_from_slice(b"DERIVEKEY");
                let key = hkdf::derive(
                    HashAlgorithm::Sha512,
                    message_id,
                    data_key.expose_secret(),
                    &info,
                    self.encryption_key_len(),
                )
                .map_err(|_| BAD_KEY)?;
                let commitment = hkdf::derive(
                    HashAlgorithm::Sha512,
                    message_id,
                    data_key.expose_secret(),
                    b"COMMITKEY",
                    COMMITMENT_KEY_LEN,
                )
                .map_err(|_| BAD_KEY)?;
                Ok((AesGcmKey::new(key).map_err(|_| BAD_KEY)?, Some(commitment)))
            }
        }
    }
}

impl std::fmt::Display for AlgorithmSuite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which suites may be used to encrypt and which messages may be decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CommitmentPolicy {
    /// Encrypt only with non-committing suites; decrypt anything.
    ForbidEncryptAllowDecrypt,
    /// Encrypt only with committing suites; decrypt anything.
    RequireEncryptAllowDecrypt,
    /// Encrypt and decrypt only with committing suites (the default).
    #[default]
    RequireEncryptRequireDecrypt,
}

impl CommitmentPolicy {
    /// The suite used when the caller names none.
    pub fn default_suite(self) -> AlgorithmSuite {
        match self {
            CommitmentPolicy::ForbidEncryptAllowDecrypt => {
                AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha384EcdsaP384
            }
            CommitmentPolicy::RequireEncryptAllowDecrypt
            | CommitmentPolicy::RequireEncryptRequireDecrypt => {
                AlgorithmSuite::Aes256GcmHkdfSha512CommitKeyEcdsaP384
            }
        }
    }

    /// Whether `suite` may encrypt under this policy.
    pub fn allows_encrypt(self, suite: AlgorithmSuite) -> bool {
        match self {
            CommitmentPolicy::ForbidEncryptAllowDecrypt => !suite.is_committing(),
            CommitmentPolicy::RequireEncryptAllowDecrypt
            | CommitmentPolicy::RequireEncryptRequireDecrypt => suite.is_committing(),
        }
    }

    /// Whether a message of `suite` may be decrypted under this policy.
    pub fn allows_decrypt(self, suite: AlgorithmSuite) -> bool {
        match self {
            CommitmentPolicy::ForbidEncryptAllowDecrypt
            | CommitmentPolicy::RequireEncryptAllowDecrypt => true,
            CommitmentPolicy::RequireEncryptRequireDecrypt => suite.is_committing(),
        }
    }

    /// Parses the CLI spelling, e.g. `require-encrypt-require-decrypt`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "forbid-encrypt-allow-decrypt" => Some(CommitmentPolicy::ForbidEncryptAllowDecrypt),
            "require-encrypt-allow-decrypt" => Some(CommitmentPolicy::RequireEncryptAllowDecrypt),
            "require-encrypt-require-decrypt" => {
                Some(CommitmentPolicy::RequireEncryptRequireDecrypt)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_parse() {
        for suite in AlgorithmSuite::ALL {
            assert_eq!(AlgorithmSuite::from_id(suite.id()), Some(suite));
            assert_eq!(AlgorithmSuite::parse(suite.name()), Some(suite));
            assert_eq!(AlgorithmSuite::parse(&format!("0x{:04x}", suite.id())), Some(suite));
            assert_eq!(AlgorithmSuite::parse(&format!("{:04X}", suite.id())), Some(suite));
        }
        assert_eq!(AlgorithmSuite::from_id(0x0015), None);
        assert_eq!(AlgorithmSuite::parse("AES_512"), None);
    }

    #[test]
    fn policy_table() {
        use CommitmentPolicy::*;
        let legacy = AlgorithmSuite::Aes256GcmIv12Tag16HkdfSha384EcdsaP384;
        let committing = AlgorithmSuite::Aes256GcmHkdfSha512CommitKey;
        assert!(ForbidEncryptAllowDecrypt.allows_encrypt(legacy));
        assert!(!ForbidEncryptAllowDecrypt.allows_encrypt(committing));
        assert!(RequireEncryptAllowDecrypt.allows_decrypt(legacy));
        assert!(!RequireEncryptRequireDecrypt.allows_decrypt(legacy));
        assert!(RequireEncryptRequireDecrypt.allows_decrypt(committing));
        assert_eq!(CommitmentPolicy::default(), RequireEncryptRequireDecrypt);
        assert_eq!(
            CommitmentPolicy::parse("require-encrypt-allow-decrypt"),
            Some(RequireEncryptAllowDecrypt)
        );
    }
}
