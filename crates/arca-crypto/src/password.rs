//! Argon2id for deriving a key from a passphrase (the `passphrase` seal provider).
//!
//! aws-lc has no memory-hard password hash, so this one primitive comes from the
//! RustCrypto `argon2` crate; it is kept here so that the rest of Arca still sees a
//! single crypto crate.

use crate::{CryptoError, SecretBytes};

/// Argon2id cost parameters, stored beside the salt so that they can be raised later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism.
    pub parallelism: u32,
}

impl Default for Argon2Params {
    /// OWASP's first recommended Argon2id configuration (19 MiB, 2 passes, 1 lane).
    fn default() -> Self {
        Self { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 }
    }
}

/// Derives a 32-byte key from `passphrase` and `salt` with Argon2id.
pub fn derive_key(
    passphrase: &[u8],
    salt: &[u8],
    params: Argon2Params,
) -> Result<SecretBytes, CryptoError> {
    let argon_params =
        argon2::Params::new(params.memory_kib, params.iterations, params.parallelism, Some(32))
            .map_err(|_| CryptoError::InvalidInput)?;
    let argon =
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, argon_params);
    let mut out = SecretBytes::new(vec![0u8; 32]);
    argon
        .hash_password_into(passphrase, salt, out.expose_secret_mut())
        .map_err(|_| CryptoError::InvalidInput)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_inputs_same_key_different_salt_different_key() {
        let params = Argon2Params { memory_kib: 64, iterations: 1, parallelism: 1 };
        let a = derive_key(b"correct horse", b"saltsaltsaltsalt", params).unwrap();
        let b = derive_key(b"correct horse", b"saltsaltsaltsalt", params).unwrap();
        let c = derive_key(b"correct horse", b"pepperpepperpepp", params).unwrap();
        assert!(crate::ct_eq(a.expose_secret(), b.expose_secret()));
        assert!(!crate::ct_eq(a.expose_secret(), c.expose_secret()));
    }
}
