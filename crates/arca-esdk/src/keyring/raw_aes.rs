//! The raw AES keyring: wraps data keys with AES-GCM under a key the caller holds.

use arca_crypto::SecretBytes;
use arca_crypto::aead::AesGcmKey;

use super::{Keyring, ensure_data_key};
use crate::Error;
use crate::context::Cursor;
use crate::header::{IV_LEN, TAG_LEN};
use crate::materials::{DecryptionMaterials, EncryptedDataKey, EncryptionMaterials};

/// Wraps data keys under a 128, 192 or 256-bit AES key with AES-GCM, binding the
/// serialised encryption context as AAD. Interoperates with the AWS SDKs' raw AES keyring
/// of the same namespace and name.
pub struct RawAesKeyring {
    namespace: String,
    name: String,
    key: AesGcmKey,
}

impl std::fmt::Debug for RawAesKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawAesKeyring")
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl RawAesKeyring {
    /// A keyring named `namespace`/`name` over `wrapping_key` (16, 24 or 32 bytes).
    pub fn new(
        namespace: impl Into<String>,
        name: impl Into<String>,
        wrapping_key: SecretBytes,
    ) -> Result<Self, Error> {
        let namespace = namespace.into();
        if namespace.starts_with("aws-kms") {
            return Err(Error::InvalidArgument(
                "a raw keyring namespace must not start with aws-kms".into(),
            ));
        }
        let key = AesGcmKey::new(wrapping_key).map_err(|_| {
            Error::InvalidArgument("a raw AES wrapping key must be 16, 24 or 32 bytes".into())
        })?;
        Ok(Self { namespace, name: name.into(), key })
    }

    fn provider_info(&self, iv: &[u8; IV_LEN]) -> Vec<u8> {
        let mut info = Vec::with_capacity(self.name.len() + 8 + IV_LEN);
        info.extend_from_slice(self.name.as_bytes());
        info.extend_from_slice(&((TAG_LEN * 8) as u32).to_be_bytes());
        info.extend_from_slice(&(IV_LEN as u32).to_be_bytes());
        info.extend_from_slice(iv);
        info
    }

    /// The IV of `key` if it is one of ours.
    fn our_iv(&self, key: &EncryptedDataKey) -> Option<[u8; IV_LEN]> {
        if key.provider_id != self.namespace {
            return None;
        }
        let mut cursor = Cursor::new(&key.provider_info);
        let name = cursor.take(self.name.len()).ok()?;
        if name != self.name.as_bytes()
            || cursor.u32().ok()? != (TAG_LEN * 8) as u32
            || cursor.u32().ok()? != IV_LEN as u32
        {
            return None;
        }
        let iv = cursor.take(IV_LEN).ok()?;
        if !cursor.is_empty() {
            return None;
        }
        iv.try_into().ok()
    }
}

impl Keyring for RawAesKeyring {
    fn on_encrypt(&self, mut materials: EncryptionMaterials) -> Result<EncryptionMaterials, Error> {
        ensure_data_key(&mut materials);
        let aad = materials.encryption_context.serialize()?;
        let mut iv = [0u8; IV_LEN];
        arca_crypto::random::fill(&mut iv);
        let data_key = materials
            .plaintext_data_key
            .as_ref()
            .ok_or_else(|| Error::EncryptionMaterials("no data key".into()))?;
        let mut ciphertext = data_key.expose_secret().to_vec();
        let tag = self.key.seal_in_place(&iv, &aad, &mut ciphertext)?;
        ciphertext.extend_from_slice(&tag);
        materials.encrypted_data_keys.push(EncryptedDataKey {
            provider_id: self.namespace.clone(),
            provider_info: self.provider_info(&iv),
            ciphertext,
        });
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
        let aad = materials.encryption_context.serialize()?;
        for key in encrypted_data_keys {
            let Some(iv) = self.our_iv(key) else {
                continue;
            };
            let mut buffer = SecretBytes::from_slice(&key.ciphertext);
            let Ok(plain) = self.key.open_in_place(&iv, &aad, buffer.expose_secret_mut()) else {
                continue;
            };
            if plain.len() != materials.suite.data_key_len() {
                continue;
            }
            let len = plain.len();
            buffer.expose_secret_mut().truncate(len);
            materials.plaintext_data_key = Some(buffer);
            return Ok(materials);
        }
        Err(Error::DecryptionFailed)
    }
}
