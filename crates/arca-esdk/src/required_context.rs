//! The required-encryption-context materials manager: named context keys must be given
//! when encrypting, are authenticated but not stored in the message, and must be given
//! again when decrypting.

use std::sync::Arc;

use crate::Error;
use crate::cmm::CryptographicMaterialsManager;
use crate::materials::{
    DecryptMaterialsRequest, DecryptionMaterials, EncryptionMaterials, EncryptionMaterialsRequest,
};

/// Wraps a materials manager so that `required_keys` are always present, authenticated,
/// and kept out of the stored message.
#[derive(Debug, Clone)]
pub struct RequiredEncryptionContextCmm {
    underlying: Arc<dyn CryptographicMaterialsManager>,
    required_keys: Vec<String>,
}

impl RequiredEncryptionContextCmm {
    /// A manager requiring `required_keys` (at least one) on top of `underlying`.
    pub fn new(
        underlying: Arc<dyn CryptographicMaterialsManager>,
        required_keys: Vec<String>,
    ) -> Result<Self, Error> {
        if required_keys.is_empty() {
            return Err(Error::InvalidArgument(
                "at least one required encryption context key is needed".into(),
            ));
        }
        Ok(Self { underlying, required_keys })
    }
}

impl CryptographicMaterialsManager for RequiredEncryptionContextCmm {
    fn get_encryption_materials(
        &self,
        request: EncryptionMaterialsRequest,
    ) -> Result<EncryptionMaterials, Error> {
        if let Some(missing) =
            self.required_keys.iter().find(|key| !request.encryption_context.contains_key(key))
        {
            return Err(Error::InvalidArgument(format!(
                "the encryption context lacks the required key {missing:?}"
            )));
        }
        let mut materials = self.underlying.get_encryption_materials(request)?;
        for key in &self.required_keys {
            if !materials.required_encryption_context_keys.contains(key) {
                materials.required_encryption_context_keys.push(key.clone());
            }
        }
        Ok(materials)
    }

    fn decrypt_materials(
        &self,
        request: DecryptMaterialsRequest,
    ) -> Result<DecryptionMaterials, Error> {
        if self
            .required_keys
            .iter()
            .any(|key| !request.reproduced_encryption_context.contains_key(key))
        {
            return Err(Error::DecryptionFailed);
        }
        let materials = self.underlying.decrypt_materials(request)?;
        if self.required_keys.iter().any(|key| !materials.encryption_context.contains_key(key)) {
            return Err(Error::DecryptionFailed);
        }
        Ok(materials)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::RawAesKeyring;
    use crate::{Client, DecryptOptions, DefaultCmm, EncryptOptions};
    use arca_crypto::SecretBytes;

    #[test]
    fn required_keys_are_authenticated_but_not_stored() {
        let keyring = RawAesKeyring::new("ns", "k", SecretBytes::new(vec![1; 32])).unwrap();
        let default: Arc<dyn CryptographicMaterialsManager> =
            Arc::new(DefaultCmm::from_keyring(keyring));
        let cmm =
            RequiredEncryptionContextCmm::new(default.clone(), vec!["tenant".into()]).unwrap();
        let options = EncryptOptions {
            encryption_context: [("tenant", "acme"), ("stored", "yes")].into_iter().collect(),
            ..Default::default()
        };
        let (message, header) = Client::default().encrypt(&cmm, b"data", &options).unwrap();
        assert!(!header.encryption_context.contains_key("tenant"));
        assert_eq!(header.encryption_context.get("stored"), Some("yes"));
        assert!(!message.windows(4).any(|w| w == b"acme"));
        let reproduce = |value: &str| DecryptOptions {
            encryption_context: [("tenant", value)].into_iter().collect(),
            ..Default::default()
        };
        for manager in [&cmm as &dyn CryptographicMaterialsManager, &*default] {
            let (plaintext, decrypted) =
                Client::default().decrypt(manager, &message, &reproduce("acme")).unwrap();
            assert_eq!(plaintext, b"data");
            assert_eq!(decrypted.encryption_context.get("tenant"), Some("acme"));
            assert!(Client::default().decrypt(manager, &message, &reproduce("other")).is_err());
            assert!(
                Client::default().decrypt(manager, &message, &DecryptOptions::default()).is_err()
            );
        }
        let missing = EncryptOptions::default();
        assert!(Client::default().encrypt(&cmm, b"data", &missing).is_err());
    }
}
