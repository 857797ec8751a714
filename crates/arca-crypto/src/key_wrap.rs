//! AES key wrap with padding (RFC 5649, NIST SP 800-38F KWP), the second half of the
//! RSA_AES_KEY_WRAP wrapping algorithms of KMS key import: the caller wraps the key
//! material under a fresh AES key and wraps that key with RSA-OAEP.
//!
//! ```
//! use arca_crypto::key_wrap;
//! let kek = [7u8; 32];
//! let wrapped = key_wrap::wrap_padded(&kek, b"a private key of any length").unwrap();
//! let unwrapped = key_wrap::unwrap_padded(&kek, &wrapped).unwrap();
//! assert_eq!(unwrapped.expose_secret(), b"a private key of any length");
//! ```

use aws_lc_rs::key_wrap::{AES_128, AES_256, AesKek, KeyWrapPadded};

use crate::{CryptoError, SecretBytes};

fn kek(key: &[u8]) -> Result<AesKek, CryptoError> {
    let cipher = match key.len() {
        16 => &AES_128,
        32 => &AES_256,
        _ => return Err(CryptoError::InvalidKeyLength),
    };
    AesKek::new(cipher, key).map_err(|_| CryptoError::InvalidKeyLength)
}

/// Wraps `plaintext` under a 128- or 256-bit AES key.
pub fn wrap_padded(key: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut output = vec![0u8; plaintext.len() + 15];
    let written = kek(key)?.wrap_with_padding(plaintext, &mut output)?.len();
    output.truncate(written);
    Ok(output)
}

/// Unwraps what [`wrap_padded`] made; any tampering, or the wrong key, is
/// [`CryptoError::AuthenticationFailed`].
pub fn unwrap_padded(key: &[u8], wrapped: &[u8]) -> Result<SecretBytes, CryptoError> {
    let mut output = SecretBytes::new(vec![0u8; wrapped.len()]);
    let written = kek(key)?
        .unwrap_with_padding(wrapped, output.expose_secret_mut())
        .map_err(|_| CryptoError::AuthenticationFailed)?
        .len();
    output.expose_secret_mut().truncate(written);
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Round trips at the lengths key import sees; every tampering and a wrong key are
    /// refused. (The compat suite checks interoperability with `openssl enc
    /// -id-aes256-wrap-pad`.)
    #[test]
    fn round_trips_and_refuses_tampering() {
        assert_eq!(wrap_padded(&[1u8; 24], b"x"), Err(CryptoError::InvalidKeyLength));
        for len in [1usize, 7, 8, 9, 32, 1217] {
            let material = vec![0xa5u8; len];
            let key = [3u8; 32];
            let wrapped = wrap_padded(&key, &material).unwrap();
            assert_eq!(wrapped.len(), len.div_ceil(8) * 8 + 8);
            assert_eq!(unwrap_padded(&key, &wrapped).unwrap().expose_secret(), &material[..]);
            let mut bad = wrapped.clone();
            bad[0] ^= 1;
            assert!(matches!(unwrap_padded(&key, &bad), Err(CryptoError::AuthenticationFailed)));
            let wrong_key = unwrap_padded(&[4u8; 32], &wrapped);
            assert!(matches!(wrong_key, Err(CryptoError::AuthenticationFailed)));
        }
    }
}
