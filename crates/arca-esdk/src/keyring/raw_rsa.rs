//! The raw RSA keyring: wraps data keys with RSA-OAEP or PKCS#1 v1.5.

use arca_crypto::rsa::{RsaPadding, RsaPrivateKey, RsaPublicKey};

use super::{Keyring, ensure_data_key};
use crate::Error;
use crate::materials::{DecryptionMaterials, EncryptedDataKey, EncryptionMaterials};

/// Wraps data keys with an RSA public key and unwraps them with the private key.
/// Built from a public key only, it can encrypt but not decrypt.
pub struct RawRsaKeyring {
    namespace: String,
    name: String,
    padding: RsaPadding,
    public_key: Option<RsaPublicKey>,
    private_key: Option<RsaPrivateKey>,
}

impl std::fmt::Debug for RawRsaKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawRsaKeyring")
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .field("padding", &self.padding)
            .field("can_decrypt", &self.private_key.is_some())
            .finish_non_exhaustive()
    }
}

impl RawRsaKeyring {
    /// A keyring from explicit keys; at least one must be given.
    pub fn new(
        namespace: impl Into<String>,
        name: impl Into<String>,
        padding: RsaPadding,
        public_key: Option<RsaPublicKey>,
        private_key: Option<RsaPrivateKey>,
    ) -> Result<Self, Error> {
        let namespace = namespace.into();
        if namespace.starts_with("aws-kms") {
            return Err(Error::InvalidArgument(
                "a raw keyring namespace must not start with aws-kms".into(),
            ));
        }
        let public_key = match (public_key, &private_key) {
            (Some(public), _) => Some(public),
            (None, Some(private)) => Some(private.public_key()?),
            (None, None) => {
                return Err(Error::InvalidArgument(
                    "a raw RSA keyring needs a public or a private key".into(),
                ));
            }
        };
        Ok(Self { namespace, name: name.into(), padding, public_key, private_key })
    }

    /// A keyring from a PEM document: a private key (encrypts and decrypts) or a public
    /// key (encrypts only).
    pub fn from_pem(
        namespace: impl Into<String>,
        name: impl Into<String>,
        padding: RsaPadding,
        pem: &[u8],
    ) -> Result<Self, Error> {
        let bad = || Error::InvalidArgument("not an RSA private or public key in PEM".into());
        let (label, _) = arca_crypto::rsa::pem_decode(pem).map_err(|_| bad())?;
        if label.contains("PRIVATE") {
            let private = RsaPrivateKey::from_pem(pem).map_err(|_| bad())?;
            Self::new(namespace, name, padding, None, Some(private))
        } else {
            let public = RsaPublicKey::from_pem(pem).map_err(|_| bad())?;
            Self::new(namespace, name, padding, Some(public), None)
        }
    }

    /// Whether this keyring holds the private key.
    pub fn can_decrypt(&self) -> bool {
        self.private_key.is_some()
    }
}

impl Keyring for RawRsaKeyring {
    fn on_encrypt(&self, mut materials: EncryptionMaterials) -> Result<EncryptionMaterials, Error> {
        let public = self
            .public_key
            .as_ref()
            .ok_or_else(|| Error::EncryptionMaterials("no RSA public key".into()))?;
        ensure_data_key(&mut materials);
        let data_key = materials
            .plaintext_data_key
            .as_ref()
            .ok_or_else(|| Error::EncryptionMaterials("no data key".into()))?;
        let ciphertext = public.encrypt(self.padding, data_key.expose_secret())?;
        materials.encrypted_data_keys.push(EncryptedDataKey {
            provider_id: self.namespace.clone(),
            provider_info: self.name.as_bytes().to_vec(),
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
        let Some(private) = &self.private_key else {
            return Err(Error::DecryptionFailed);
        };
        for key in encrypted_data_keys {
            if key.provider_id != self.namespace || key.provider_info != self.name.as_bytes() {
                continue;
            }
            let Ok(plain) = private.decrypt(self.padding, &key.ciphertext) else {
                continue;
            };
            if plain.len() != materials.suite.data_key_len() {
                continue;
            }
            materials.plaintext_data_key = Some(plain);
            return Ok(materials);
        }
        Err(Error::DecryptionFailed)
    }
}
