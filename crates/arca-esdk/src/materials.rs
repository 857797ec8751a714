//! Materials: what keyrings and materials managers hand to the message layer.

use std::sync::Arc;

use arca_crypto::SecretBytes;
use arca_crypto::ecdsa::{EcdsaSigningKey, EcdsaVerifyingKey};

use crate::context::EncryptionContext;
use crate::suite::{AlgorithmSuite, CommitmentPolicy};

/// One wrapped copy of the data key, as stored in the header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EncryptedDataKey {
    /// Who wrapped it: a raw keyring's namespace, or `aws-kms`.
    pub provider_id: String,
    /// Provider-specific detail: a raw keyring's key name (and AES-GCM parameters), or a KMS key ARN.
    pub provider_info: Vec<u8>,
    /// The wrapped data key.
    pub ciphertext: Vec<u8>,
}

/// Everything needed to encrypt one message.
#[derive(Debug, Clone)]
pub struct EncryptionMaterials {
    /// The suite to encrypt with.
    pub suite: AlgorithmSuite,
    /// The context stored in the header (plus keys listed in
    /// `required_encryption_context_keys`, which are authenticated but not stored).
    pub encryption_context: EncryptionContext,
    /// Context keys that are authenticated but left out of the message; the decrypting
    /// caller must supply them again.
    pub required_encryption_context_keys: Vec<String>,
    /// The plaintext data key, once a keyring has generated it.
    pub plaintext_data_key: Option<SecretBytes>,
    /// The wrapped copies of the data key.
    pub encrypted_data_keys: Vec<EncryptedDataKey>,
    /// The signing key, for signed suites.
    pub signing_key: Option<Arc<EcdsaSigningKey>>,
}

impl EncryptionMaterials {
    /// Fresh materials for `suite` with no data key yet.
    pub fn new(suite: AlgorithmSuite, encryption_context: EncryptionContext) -> Self {
        Self {
            suite,
            encryption_context,
            required_encryption_context_keys: Vec::new(),
            plaintext_data_key: None,
            encrypted_data_keys: Vec::new(),
            signing_key: None,
        }
    }
}

/// Everything needed to decrypt one message.
#[derive(Debug, Clone)]
pub struct DecryptionMaterials {
    /// The message's suite.
    pub suite: AlgorithmSuite,
    /// The full encryption context: the stored pairs plus any reproduced ones.
    pub encryption_context: EncryptionContext,
    /// Context keys that were authenticated but not stored.
    pub required_encryption_context_keys: Vec<String>,
    /// The plaintext data key, once a keyring has unwrapped it.
    pub plaintext_data_key: Option<SecretBytes>,
    /// The key that verifies the footer signature, for signed suites.
    pub verification_key: Option<Arc<EcdsaVerifyingKey>>,
}

impl DecryptionMaterials {
    /// Fresh materials for `suite` with no data key yet.
    pub fn new(suite: AlgorithmSuite, encryption_context: EncryptionContext) -> Self {
        Self {
            suite,
            encryption_context,
            required_encryption_context_keys: Vec::new(),
            plaintext_data_key: None,
            verification_key: None,
        }
    }
}

/// What a caller asks a materials manager for when encrypting.
#[derive(Debug, Clone)]
pub struct EncryptionMaterialsRequest {
    /// The caller's encryption context.
    pub encryption_context: EncryptionContext,
    /// The requested suite, if any.
    pub suite: Option<AlgorithmSuite>,
    /// The client's commitment policy.
    pub commitment_policy: CommitmentPolicy,
    /// The plaintext length, when known in advance.
    pub plaintext_length: Option<u64>,
}

/// What the message layer asks a materials manager for when decrypting.
#[derive(Debug, Clone)]
pub struct DecryptMaterialsRequest {
    /// The message's suite.
    pub suite: AlgorithmSuite,
    /// The client's commitment policy.
    pub commitment_policy: CommitmentPolicy,
    /// The wrapped data keys of the message.
    pub encrypted_data_keys: Vec<EncryptedDataKey>,
    /// The context stored in the message.
    pub encryption_context: EncryptionContext,
    /// Pairs the caller supplies again (required context keys not stored in the message).
    pub reproduced_encryption_context: EncryptionContext,
}
