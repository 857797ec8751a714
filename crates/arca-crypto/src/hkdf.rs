//! HKDF (RFC 5869) with SHA-2.

use aws_lc_rs::hkdf;

use crate::{CryptoError, SecretBytes, aead::AesGcmKey, digest::HashAlgorithm};

struct OutputLen(usize);

impl hkdf::KeyType for OutputLen {
    fn len(&self) -> usize {
        self.0
    }
}

/// aws-lc offers HKDF with SHA-256, SHA-384 and SHA-512; nothing in Arca derives keys
/// with SHA-224 (it is there for HMAC_224 KMS keys).
fn algorithm(hash: HashAlgorithm) -> Result<hkdf::Algorithm, CryptoError> {
    match hash {
        HashAlgorithm::Sha224 => Err(CryptoError::InvalidInput),
        HashAlgorithm::Sha256 => Ok(hkdf::HKDF_SHA256),
        HashAlgorithm::Sha384 => Ok(hkdf::HKDF_SHA384),
        HashAlgorithm::Sha512 => Ok(hkdf::HKDF_SHA512),
    }
}

/// HKDF extract-then-expand: `len` bytes from `input_key` with `salt` and `info`.
/// An empty salt means a salt of hash-length zeros, as RFC 5869 specifies.
pub fn derive(
    hash: HashAlgorithm,
    salt: &[u8],
    input_key: &[u8],
    info: &[u8],
    len: usize,
) -> Result<SecretBytes, CryptoError> {
    let prk = hkdf::Salt::new(algorithm(hash)?, salt).extract(input_key);
    let info = [info];
    let okm = prk.expand(&info, OutputLen(len)).map_err(|_| CryptoError::InvalidInput)?;
    let mut out = SecretBytes::new(vec![0u8; len]);
    okm.fill(out.expose_secret_mut()).map_err(|_| CryptoError::InvalidInput)?;
    Ok(out)
}

/// HKDF-SHA-256 extract-then-expand straight into an AES-256-GCM key, for a key
/// derived per message (KMS ciphertexts): the derived bytes pass only through a stack
/// buffer that is zeroized, with no heap allocation. `info` is the concatenation of
/// its parts.
pub fn derive_aes_256_gcm_key(
    salt: &[u8],
    input_key: &[u8],
    info: &[&[u8]],
) -> Result<AesGcmKey, CryptoError> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(input_key);
    let okm = prk.expand(info, OutputLen(32)).map_err(|_| CryptoError::InvalidInput)?;
    let mut key = zeroize::Zeroizing::new([0u8; 32]);
    okm.fill(key.as_mut_slice()).map_err(|_| CryptoError::InvalidInput)?;
    AesGcmKey::from_bytes(key.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 5869 test case 1.
    #[test]
    fn rfc5869_case_1() {
        let ikm = hex::decode("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b").unwrap();
        let salt = hex::decode("000102030405060708090a0b0c").unwrap();
        let info = hex::decode("f0f1f2f3f4f5f6f7f8f9").unwrap();
        let okm = derive(HashAlgorithm::Sha256, &salt, &ikm, &info, 42).unwrap();
        assert_eq!(
            hex::encode(okm.expose_secret()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
    }

    /// The direct derivation equals [`derive`] followed by building the key.
    #[test]
    fn aes_key_derivation_matches_derive() {
        let (salt, ikm) = ([7u8; 32], [9u8; 32]);
        let direct = derive_aes_256_gcm_key(&salt, &ikm, &[b"label", b"-part"]).unwrap();
        let bytes = derive(HashAlgorithm::Sha256, &salt, &ikm, b"label-part", 32).unwrap();
        let reference = AesGcmKey::new(bytes).unwrap();
        let nonce = [0u8; 12];
        let mut a = *b"same plaintext";
        let mut b = a;
        let tag_a = direct.seal_in_place(&nonce, b"aad", &mut a).unwrap();
        let tag_b = reference.seal_in_place(&nonce, b"aad", &mut b).unwrap();
        assert_eq!((a, tag_a), (b, tag_b));
    }
}
