//! The multi-keyring: one generator and any number of children.

use std::sync::Arc;

use super::Keyring;
use crate::Error;
use crate::materials::{DecryptionMaterials, EncryptedDataKey, EncryptionMaterials};

/// Combines keyrings: on encrypt the generator makes the data key and every keyring
/// wraps it; on decrypt the first keyring that unwraps a data key wins.
#[derive(Debug, Clone)]
pub struct MultiKeyring {
    generator: Option<Arc<dyn Keyring>>,
    children: Vec<Arc<dyn Keyring>>,
}

impl MultiKeyring {
    /// A multi-keyring; it needs a generator or at least one child.
    pub fn new(
        generator: Option<Arc<dyn Keyring>>,
        children: Vec<Arc<dyn Keyring>>,
    ) -> Result<Self, Error> {
        if generator.is_none() && children.is_empty() {
            return Err(Error::InvalidArgument(
                "a multi-keyring needs a generator or children".into(),
            ));
        }
        Ok(Self { generator, children })
    }

    /// The first keyring generates, the rest wrap.
    pub fn from_list(keyrings: Vec<Arc<dyn Keyring>>) -> Result<Self, Error> {
        let mut keyrings = keyrings.into_iter();
        let generator = keyrings.next();
        Self::new(generator, keyrings.collect())
    }
}

impl Keyring for MultiKeyring {
    fn on_encrypt(&self, mut materials: EncryptionMaterials) -> Result<EncryptionMaterials, Error> {
        match &self.generator {
            Some(generator) => {
                materials = generator.on_encrypt(materials)?;
                if materials.plaintext_data_key.is_none() {
                    return Err(Error::EncryptionMaterials(
                        "the generator keyring produced no data key".into(),
                    ));
                }
            }
            None => {
                if materials.plaintext_data_key.is_none() {
                    return Err(Error::EncryptionMaterials(
                        "a multi-keyring without a generator needs a data key".into(),
                    ));
                }
            }
        }
        for child in &self.children {
            materials = child.on_encrypt(materials)?;
        }
        Ok(materials)
    }

    fn on_decrypt(
        &self,
        mut materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials, Error> {
        if materials.plaintext_data_key.is_some() {
            return Ok(materials);
        }
        for keyring in self.generator.iter().chain(self.children.iter()) {
            let empty = DecryptionMaterials {
                suite: materials.suite,
                encryption_context: materials.encryption_context.clone(),
                required_encryption_context_keys: materials
                    .required_encryption_context_keys
                    .clone(),
                plaintext_data_key: None,
                verification_key: materials.verification_key.clone(),
            };
            if let Ok(done) = keyring.on_decrypt(empty, encrypted_data_keys)
                && done.plaintext_data_key.is_some()
            {
                materials.plaintext_data_key = done.plaintext_data_key;
                return Ok(materials);
            }
        }
        Err(Error::DecryptionFailed)
    }
}
