//! RSA encryption for key wrapping: OAEP (SHA-1/256/384/512 with MGF1 over the same
//! hash) and PKCS#1 v1.5, with keys loaded from PEM or DER (PKCS#8 and PKCS#1 private
//! keys, SubjectPublicKeyInfo and PKCS#1 public keys).
//!
//! ```
//! use arca_crypto::rsa::{RsaPadding, RsaPrivateKey};
//! let private = RsaPrivateKey::generate(2048).unwrap();
//! let public = private.public_key().unwrap();
//! let wrapped = public.encrypt(RsaPadding::OaepSha256, b"data key").unwrap();
//! let unwrapped = private.decrypt(RsaPadding::OaepSha256, &wrapped).unwrap();
//! assert_eq!(unwrapped.expose_secret(), b"data key");
//! ```

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384,
    OAEP_SHA512_MGF1SHA512, OaepAlgorithm, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
    Pkcs1PrivateDecryptingKey, Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use base64::Engine as _;

use crate::{CryptoError, SecretBytes};

/// The padding scheme of an RSA encryption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RsaPadding {
    /// PKCS#1 v1.5 encryption padding.
    Pkcs1,
    /// OAEP with SHA-1 and MGF1-SHA-1.
    OaepSha1,
    /// OAEP with SHA-256 and MGF1-SHA-256.
    OaepSha256,
    /// OAEP with SHA-384 and MGF1-SHA-384.
    OaepSha384,
    /// OAEP with SHA-512 and MGF1-SHA-512.
    OaepSha512,
}

impl RsaPadding {
    fn oaep(self) -> Option<&'static OaepAlgorithm> {
        match self {
            RsaPadding::Pkcs1 => None,
            RsaPadding::OaepSha1 => Some(&OAEP_SHA1_MGF1SHA1),
            RsaPadding::OaepSha256 => Some(&OAEP_SHA256_MGF1SHA256),
            RsaPadding::OaepSha384 => Some(&OAEP_SHA384_MGF1SHA384),
            RsaPadding::OaepSha512 => Some(&OAEP_SHA512_MGF1SHA512),
        }
    }
}

/// An RSA public key that encrypts.
pub struct RsaPublicKey {
    key: PublicEncryptingKey,
}

impl std::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaPublicKey({} bits)", self.key.key_size_bits())
    }
}

/// An RSA private key that decrypts; it zeroizes inside aws-lc when dropped.
pub struct RsaPrivateKey {
    key: PrivateDecryptingKey,
}

impl std::fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RsaPrivateKey([REDACTED])")
    }
}

impl RsaPublicKey {
    /// Parses a SubjectPublicKeyInfo or PKCS#1 `RSAPublicKey`, DER-encoded.
    pub fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        let key = PublicEncryptingKey::from_der(der)
            .or_else(|_| PublicEncryptingKey::from_der(&spki_from_pkcs1(der)))
            .map_err(|_| CryptoError::InvalidInput)?;
        Ok(Self { key })
    }

    /// Parses a `PUBLIC KEY` or `RSA PUBLIC KEY` PEM document.
    pub fn from_pem(pem: &[u8]) -> Result<Self, CryptoError> {
        let (label, der) = pem_decode(pem)?;
        match label.as_str() {
            "PUBLIC KEY" | "RSA PUBLIC KEY" => Self::from_der(&der),
            _ => Err(CryptoError::InvalidInput),
        }
    }

    /// The SubjectPublicKeyInfo DER encoding.
    pub fn to_der(&self) -> Result<Vec<u8>, CryptoError> {
        Ok(self.key.as_der()?.as_ref().to_vec())
    }

    /// The modulus size in bits.
    pub fn size_bits(&self) -> usize {
        self.key.key_size_bits()
    }

    /// Encrypts `plaintext` (at most the padding's limit for this modulus).
    pub fn encrypt(&self, padding: RsaPadding, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut out = vec![0u8; self.key.key_size_bytes()];
        let len = match padding.oaep() {
            Some(algorithm) => {
                let key = OaepPublicEncryptingKey::new(self.key.clone())?;
                if plaintext.len() > key.max_plaintext_size(algorithm) {
                    return Err(CryptoError::InvalidInput);
                }
                key.encrypt(algorithm, plaintext, &mut out, None)?.len()
            }
            None => {
                let key = Pkcs1PublicEncryptingKey::new(self.key.clone())?;
                if plaintext.len() > key.max_plaintext_size() {
                    return Err(CryptoError::InvalidInput);
                }
                key.encrypt(plaintext, &mut out)?.len()
            }
        };
        out.truncate(len);
        Ok(out)
    }
}

impl RsaPrivateKey {
    /// Generates a key with a modulus of `bits` (2048, 3072, 4096 or 8192).
    pub fn generate(bits: usize) -> Result<Self, CryptoError> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            8192 => KeySize::Rsa8192,
            _ => return Err(CryptoError::InvalidKeyLength),
        };
        Ok(Self { key: PrivateDecryptingKey::generate(size)? })
    }

    /// Parses a PKCS#8 `PrivateKeyInfo` or PKCS#1 `RSAPrivateKey`, DER-encoded.
    pub fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        let key = PrivateDecryptingKey::from_pkcs8(der)
            .or_else(|_| PrivateDecryptingKey::from_pkcs8(&pkcs8_from_pkcs1(der)))
            .map_err(|_| CryptoError::InvalidInput)?;
        Ok(Self { key })
    }

    /// Parses a `PRIVATE KEY` or `RSA PRIVATE KEY` PEM document.
    pub fn from_pem(pem: &[u8]) -> Result<Self, CryptoError> {
        let (label, der) = pem_decode(pem)?;
        let der = SecretBytes::new(der);
        match label.as_str() {
            "PRIVATE KEY" | "RSA PRIVATE KEY" => Self::from_der(der.expose_secret()),
            _ => Err(CryptoError::InvalidInput),
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> Result<RsaPublicKey, CryptoError> {
        Ok(RsaPublicKey { key: self.key.public_key() })
    }

    /// The modulus size in bits.
    pub fn size_bits(&self) -> usize {
        self.key.key_size_bits()
    }

    /// Decrypts `ciphertext`; every failure is the same [`CryptoError::AuthenticationFailed`].
    pub fn decrypt(
        &self,
        padding: RsaPadding,
        ciphertext: &[u8],
    ) -> Result<SecretBytes, CryptoError> {
        let mut out = SecretBytes::new(vec![0u8; self.key.key_size_bytes()]);
        let len = match padding.oaep() {
            Some(algorithm) => {
                let key = OaepPrivateDecryptingKey::new(self.key.clone())?;
                key.decrypt(algorithm, ciphertext, out.expose_secret_mut(), None)
                    .map_err(|_| CryptoError::AuthenticationFailed)?
                    .len()
            }
            None => {
                let key = Pkcs1PrivateDecryptingKey::new(self.key.clone())?;
                key.decrypt(ciphertext, out.expose_secret_mut())
                    .map_err(|_| CryptoError::AuthenticationFailed)?
                    .len()
            }
        };
        out.expose_secret_mut().truncate(len);
        Ok(out)
    }
}

/// Decodes the first PEM block of `pem` into its label and DER bytes.
pub fn pem_decode(pem: &[u8]) -> Result<(String, Vec<u8>), CryptoError> {
    let text = std::str::from_utf8(pem).map_err(|_| CryptoError::InvalidInput)?;
    let begin = text.find("-----BEGIN ").ok_or(CryptoError::InvalidInput)?;
    let rest = text.get(begin + 11..).ok_or(CryptoError::InvalidInput)?;
    let label_end = rest.find("-----").ok_or(CryptoError::InvalidInput)?;
    let label = rest.get(..label_end).ok_or(CryptoError::InvalidInput)?.to_string();
    let body = rest.get(label_end + 5..).ok_or(CryptoError::InvalidInput)?;
    let end_marker = format!("-----END {label}-----");
    let end = body.find(&end_marker).ok_or(CryptoError::InvalidInput)?;
    let encoded: String = body
        .get(..end)
        .ok_or(CryptoError::InvalidInput)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(encoded.as_bytes())
        .map_err(|_| CryptoError::InvalidInput)?;
    Ok((label, der))
}

/// DER length octets.
fn der_length(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = &bytes[skip..];
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
}

/// Appends one DER element (tag, length, contents) to `out`.
pub(crate) fn der_tlv(tag: u8, content: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    der_length(content.len(), out);
    out.extend_from_slice(content);
}

/// `AlgorithmIdentifier { rsaEncryption, NULL }`.
const RSA_ALGORITHM_IDENTIFIER: [u8; 15] =
    [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];

/// Wraps a PKCS#1 `RSAPrivateKey` in a PKCS#8 `PrivateKeyInfo`.
fn pkcs8_from_pkcs1(pkcs1: &[u8]) -> Vec<u8> {
    let mut content = vec![0x02, 0x01, 0x00];
    content.extend_from_slice(&RSA_ALGORITHM_IDENTIFIER);
    der_tlv(0x04, pkcs1, &mut content);
    let mut out = Vec::with_capacity(content.len() + 8);
    der_tlv(0x30, &content, &mut out);
    content.fill(0);
    out
}

/// Wraps a PKCS#1 `RSAPublicKey` in a SubjectPublicKeyInfo.
fn spki_from_pkcs1(pkcs1: &[u8]) -> Vec<u8> {
    let mut bit_string = vec![0u8];
    bit_string.extend_from_slice(pkcs1);
    let mut content = RSA_ALGORITHM_IDENTIFIER.to_vec();
    der_tlv(0x03, &bit_string, &mut content);
    let mut out = Vec::with_capacity(content.len() + 8);
    der_tlv(0x30, &content, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [RsaPadding; 5] = [
        RsaPadding::Pkcs1,
        RsaPadding::OaepSha1,
        RsaPadding::OaepSha256,
        RsaPadding::OaepSha384,
        RsaPadding::OaepSha512,
    ];

    #[test]
    fn round_trips_every_padding() {
        let private = RsaPrivateKey::generate(2048).unwrap();
        let public = private.public_key().unwrap();
        for padding in ALL {
            let wrapped = public.encrypt(padding, &[7u8; 32]).unwrap();
            assert_eq!(wrapped.len(), 256);
            assert_eq!(private.decrypt(padding, &wrapped).unwrap().expose_secret(), &[7u8; 32]);
            let other =
                if padding == RsaPadding::Pkcs1 { RsaPadding::OaepSha1 } else { RsaPadding::Pkcs1 };
            assert!(private.decrypt(other, &wrapped).is_err());
        }
    }

    #[test]
    fn loads_public_key_from_spki_der() {
        let private = RsaPrivateKey::generate(2048).unwrap();
        let der = private.public_key().unwrap().to_der().unwrap();
        let public = RsaPublicKey::from_der(&der).unwrap();
        assert_eq!(public.size_bits(), 2048);
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(&der)
        );
        let public = RsaPublicKey::from_pem(pem.as_bytes()).unwrap();
        let wrapped = public.encrypt(RsaPadding::OaepSha512, b"k").unwrap();
        assert_eq!(
            private.decrypt(RsaPadding::OaepSha512, &wrapped).unwrap().expose_secret(),
            b"k"
        );
    }

    #[test]
    fn refuses_garbage() {
        assert!(RsaPrivateKey::from_der(b"nope").is_err());
        assert!(
            RsaPublicKey::from_pem(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
                .is_err()
        );
        assert!(pem_decode(b"no pem here").is_err());
    }
}
