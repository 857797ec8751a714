//! AES-GCM authenticated encryption with 96-bit nonces and 128-bit tags.

use aws_lc_rs::aead::{AES_128_GCM, AES_192_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

use crate::{CryptoError, SecretBytes};

/// Nonce length of every AES-GCM mode used here.
pub const NONCE_LEN: usize = 12;
/// Tag length of every AES-GCM mode used here.
pub const TAG_LEN: usize = 16;

/// An AES-GCM key of 16, 24 or 32 bytes, ready to seal and open.
pub struct AesGcmKey {
    key: LessSafeKey,
}

impl std::fmt::Debug for AesGcmKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AesGcmKey([REDACTED])")
    }
}

impl AesGcmKey {
    /// Builds a key; the length chooses AES-128, -192 or -256.
    pub fn new(material: SecretBytes) -> Result<Self, CryptoError> {
        Self::from_bytes(material.expose_secret())
    }

    /// Builds a key from borrowed bytes (aws-lc copies them into its own zeroized state).
    pub fn from_bytes(material: &[u8]) -> Result<Self, CryptoError> {
        let algorithm = match material.len() {
            16 => &AES_128_GCM,
            24 => &AES_192_GCM,
            32 => &AES_256_GCM,
            _ => return Err(CryptoError::InvalidKeyLength),
        };
        let unbound =
            UnboundKey::new(algorithm, material).map_err(|_| CryptoError::InvalidKeyLength)?;
        Ok(Self { key: LessSafeKey::new(unbound) })
    }

    /// Encrypts `in_out` in place and returns the tag. The caller owns nonce uniqueness.
    pub fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN], CryptoError> {
        let tag = self.key.seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(*nonce),
            Aad::from(aad),
            in_out,
        )?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Decrypts `ciphertext || tag` in place after checking the tag, and returns the
    /// plaintext prefix of the buffer.
    pub fn open_in_place<'a>(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        ciphertext_and_tag: &'a mut [u8],
    ) -> Result<&'a mut [u8], CryptoError> {
        self.key
            .open_in_place(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), ciphertext_and_tag)
            .map_err(|_| CryptoError::AuthenticationFailed)
    }

    /// Decrypts `ciphertext` in place after checking `tag`, which the message format keeps
    /// apart from it. This lets a caller read many frames' ciphertexts next to each other
    /// and release their plaintexts as one contiguous run, with no copy to close the gaps
    /// the tags would leave.
    ///
    /// On failure `ciphertext` has been overwritten with unspecified bytes; the caller
    /// must discard it. (aws-lc does not offer this call under its FIPS module, which
    /// Arca does not build.)
    pub fn open_in_place_separate_tag(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        tag: &[u8; TAG_LEN],
        ciphertext: &mut [u8],
    ) -> Result<(), CryptoError> {
        self.key
            .open_in_place_separate_tag(
                Nonce::assume_unique_for_key(*nonce),
                Aad::from(aad),
                tag,
                ciphertext,
            )
            .map(|_| ())
            .map_err(|_| CryptoError::AuthenticationFailed)
    }

    /// Seals under a fresh random nonce and returns `nonce || ciphertext || tag`.
    pub fn seal_random_nonce(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        crate::random::fill(&mut nonce);
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let tag = self.seal_in_place(&nonce, aad, &mut out[NONCE_LEN..])?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Opens `nonce || ciphertext || tag` as written by [`Self::seal_random_nonce`].
    pub fn open_combined(&self, aad: &[u8], sealed: &[u8]) -> Result<SecretBytes, CryptoError> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::AuthenticationFailed);
        }
        let (nonce, ciphertext_and_tag) = sealed.split_at(NONCE_LEN);
        let mut nonce_array = [0u8; NONCE_LEN];
        nonce_array.copy_from_slice(nonce);
        let mut plaintext = SecretBytes::from_slice(ciphertext_and_tag);
        let plaintext_len =
            self.open_in_place(&nonce_array, aad, plaintext.expose_secret_mut())?.len();
        plaintext.expose_secret_mut().truncate(plaintext_len);
        Ok(plaintext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // NIST GCM test vector (gcmEncryptExtIV256.rsp, Count 0 with AAD and plaintext).
    #[test]
    fn known_answer_aes_256_gcm() {
        let key = hex::decode("92e11dcdaa866f5ce790fd24501f92509aacf4cb8b1339d50c9c1240935dd08b")
            .unwrap();
        let nonce: [u8; 12] = hex::decode("ac93a1a6145299bde902f21a").unwrap().try_into().unwrap();
        let aad = hex::decode("1e0889016f67601c8ebea4943bc23ad6").unwrap();
        let mut data = hex::decode("2d71bcfa914e4ac045b2aa60955fad24").unwrap();
        let key = AesGcmKey::from_bytes(&key).unwrap();
        let tag = key.seal_in_place(&nonce, &aad, &mut data).unwrap();
        assert_eq!(hex::encode(&data), "8995ae2e6df3dbf96fac7b7137bae67f");
        assert_eq!(hex::encode(tag), "eca5aa77d51d4a0a14d9c51e1da474ab");
        data.extend_from_slice(&tag);
        let opened = key.open_in_place(&nonce, &aad, &mut data).unwrap();
        assert_eq!(hex::encode(opened), "2d71bcfa914e4ac045b2aa60955fad24");
    }

    #[test]
    fn tampering_is_refused() {
        let key = AesGcmKey::new(SecretBytes::random(32)).unwrap();
        let mut sealed = key.seal_random_nonce(b"aad", b"hello").unwrap();
        assert_eq!(
            key.open_combined(b"other", &sealed).unwrap_err(),
            CryptoError::AuthenticationFailed
        );
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(key.open_combined(b"aad", &sealed).is_err());
        assert!(key.open_combined(b"aad", &sealed[..5]).is_err());
    }

    #[test]
    fn separate_tag_opens_what_seal_in_place_sealed() {
        let key = AesGcmKey::new(SecretBytes::random(32)).unwrap();
        let nonce = [3u8; NONCE_LEN];
        let mut data = b"frame content".to_vec();
        let tag = key.seal_in_place(&nonce, b"aad", &mut data).unwrap();
        let sealed = data.clone();
        key.open_in_place_separate_tag(&nonce, b"aad", &tag, &mut data).unwrap();
        assert_eq!(data, b"frame content");
        let mut bad_tag = tag;
        bad_tag[0] ^= 1;
        for (aad, tag) in [(&b"aad"[..], bad_tag), (&b"other"[..], tag)] {
            let mut data = sealed.clone();
            assert_eq!(
                key.open_in_place_separate_tag(&nonce, aad, &tag, &mut data).unwrap_err(),
                CryptoError::AuthenticationFailed
            );
        }
    }

    #[test]
    fn rejects_bad_key_lengths() {
        assert_eq!(AesGcmKey::from_bytes(&[0; 31]).unwrap_err(), CryptoError::InvalidKeyLength);
    }

    proptest::proptest! {
        #[test]
        fn round_trip(plaintext in proptest::collection::vec(proptest::num::u8::ANY, 0..512),
                      aad in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let key = AesGcmKey::new(SecretBytes::random(16)).unwrap();
            let sealed = key.seal_random_nonce(&aad, &plaintext).unwrap();
            let opened = key.open_combined(&aad, &sealed).unwrap();
            proptest::prop_assert_eq!(opened.expose_secret(), &plaintext[..]);
        }
    }
}
