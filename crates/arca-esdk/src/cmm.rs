//! Cryptographic materials managers: they turn a request into materials, using keyrings.

use std::sync::Arc;

use arca_crypto::ecdsa::{EcdsaSigningKey, EcdsaVerifyingKey};
use base64::Engine as _;

use crate::Error;
use crate::context::{PUBLIC_KEY_FIELD, RESERVED_PREFIX};
use crate::keyring::Keyring;
use crate::materials::{
    DecryptMaterialsRequest, DecryptionMaterials, EncryptionMaterials, EncryptionMaterialsRequest,
};

/// Supplies encryption and decryption materials.
pub trait CryptographicMaterialsManager: Send + Sync + std::fmt::Debug {
    /// Materials to encrypt one message.
    fn get_encryption_materials(
        &self,
        request: EncryptionMaterialsRequest,
    ) -> Result<EncryptionMaterials, Error>;

    /// Materials to decrypt one message.
    fn decrypt_materials(
        &self,
        request: DecryptMaterialsRequest,
    ) -> Result<DecryptionMaterials, Error>;
}

/// The default materials manager: picks the suite, makes the signing key for signed
/// suites, and asks its keyring for the data key.
#[derive(Debug, Clone)]
pub struct DefaultCmm {
    keyring: Arc<dyn Keyring>,
}

impl DefaultCmm {
    /// A manager over `keyring`.
    pub fn new(keyring: Arc<dyn Keyring>) -> Self {
        Self { keyring }
    }

    /// A manager over a keyring value.
    pub fn from_keyring(keyring: impl Keyring + 'static) -> Self {
        Self::new(Arc::new(keyring))
    }
}

impl CryptographicMaterialsManager for DefaultCmm {
    fn get_encryption_materials(
        &self,
        request: EncryptionMaterialsRequest,
    ) -> Result<EncryptionMaterials, Error> {
        let EncryptionMaterialsRequest {
            mut encryption_context,
            suite,
            commitment_policy,
            plaintext_length: _,
        } = request;
        if encryption_context.iter().any(|(key, _)| key.starts_with(RESERVED_PREFIX)) {
            return Err(Error::InvalidArgument(format!(
                "encryption context keys starting with {RESERVED_PREFIX} are reserved"
            )));
        }
        let suite = suite.unwrap_or_else(|| commitment_policy.default_suite());
        if !commitment_policy.allows_encrypt(suite) {
            return Err(Error::CommitmentPolicy(format!(
                "{suite} is not allowed to encrypt under this commitment policy"
            )));
        }
        let signing_key = match suite.signing() {
            Some(curve) => {
                let key = EcdsaSigningKey::generate(curve)?;
                let point = key.public_point_compressed()?;
                encryption_context.insert(
                    PUBLIC_KEY_FIELD,
                    base64::engine::general_purpose::STANDARD.encode(point),
                );
                Some(Arc::new(key))
            }
            None => None,
        };
        let mut materials = EncryptionMaterials::new(suite, encryption_context);
        materials.signing_key = signing_key;
        let materials = self.keyring.on_encrypt(materials)?;
        if materials.plaintext_data_key.is_none() || materials.encrypted_data_keys.is_empty() {
            return Err(Error::EncryptionMaterials(
                "the keyring produced no wrapped data key".into(),
            ));
        }
        Ok(materials)
    }

    fn decrypt_materials(
        &self,
        request: DecryptMaterialsRequest,
    ) -> Result<DecryptionMaterials, Error> {
        let DecryptMaterialsRequest {
            suite,
            commitment_policy,
            encrypted_data_keys,
            mut encryption_context,
            reproduced_encryption_context,
        } = request;
        if !commitment_policy.allows_decrypt(suite) {
            return Err(Error::DecryptionFailed);
        }
        let mut required_keys = Vec::new();
        for (key, value) in reproduced_encryption_context.iter() {
            match encryption_context.get(key) {
                Some(stored) if stored == value => {}
                Some(_) => return Err(Error::DecryptionFailed),
                None => {
                    required_keys.push(key.to_string());
                    encryption_context.insert(key, value);
                }
            }
        }
        let verification_key = match (suite.signing(), encryption_context.get(PUBLIC_KEY_FIELD)) {
            (Some(curve), Some(encoded)) => {
                let point = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .map_err(|_| Error::DecryptionFailed)?;
                Some(Arc::new(
                    EcdsaVerifyingKey::from_public_point(curve, &point)
                        .map_err(|_| Error::DecryptionFailed)?,
                ))
            }
            (None, None) => None,
            (Some(_), None) | (None, Some(_)) => return Err(Error::DecryptionFailed),
        };
        let mut materials = DecryptionMaterials::new(suite, encryption_context);
        materials.required_encryption_context_keys = required_keys;
        materials.verification_key = verification_key;
        let materials = self
            .keyring
            .on_decrypt(materials, &encrypted_data_keys)
            .map_err(|_| Error::DecryptionFailed)?;
        if materials.plaintext_data_key.is_none() {
            return Err(Error::DecryptionFailed);
        }
        Ok(materials)
    }
}
