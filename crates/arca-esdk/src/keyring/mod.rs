//! Keyrings: they generate, wrap and unwrap data keys.

mod multi;
mod raw_aes;
mod raw_rsa;

pub use multi::MultiKeyring;
pub use raw_aes::RawAesKeyring;
pub use raw_rsa::RawRsaKeyring;

use crate::Error;
use crate::materials::{DecryptionMaterials, EncryptedDataKey, EncryptionMaterials};

/// A keyring wraps data keys for encryption and unwraps one of a message's wrapped keys
/// for decryption.
pub trait Keyring: Send + Sync + std::fmt::Debug {
    /// Generates the data key if the materials have none, then adds a wrapped copy.
    fn on_encrypt(&self, materials: EncryptionMaterials) -> Result<EncryptionMaterials, Error>;

    /// Sets the plaintext data key from one of `encrypted_data_keys`, if it can; returns
    /// the materials unchanged when they already hold a data key.
    fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials, Error>;
}

/// Generates a random data key for `materials` if it has none yet.
pub(crate) fn ensure_data_key(materials: &mut EncryptionMaterials) {
    if materials.plaintext_data_key.is_none() {
        materials.plaintext_data_key =
            Some(arca_crypto::SecretBytes::random(materials.suite.data_key_len()));
    }
}
