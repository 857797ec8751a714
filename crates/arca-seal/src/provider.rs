//! Seal providers: where the key-encryption key that wraps the root keys comes from.

use std::path::{Path, PathBuf};

use arca_crypto::{
    SecretBytes,
    password::{Argon2Params, derive_key},
};

use crate::SealError;

/// How the key-encryption key (KEK) is obtained.
#[derive(Debug, Clone)]
pub enum SealProvider {
    /// A random 32-byte key in a file of mode 0600, created on first use.
    File {
        /// Path of the key file.
        path: PathBuf,
    },
    /// A key derived with Argon2id from a passphrase; the salt is kept in `salt_path`.
    Passphrase {
        /// The passphrase (from the environment or a file, never a flag).
        passphrase: SecretBytes,
        /// File holding the random salt, created on first use.
        salt_path: PathBuf,
    },
}

impl SealProvider {
    /// Produces the KEK, creating the key or salt file on first use.
    pub fn key_encryption_key(&self) -> Result<SecretBytes, SealError> {
        match self {
            SealProvider::File { path } => read_or_create(path, 32).map_err(SealError::Provider),
            SealProvider::Passphrase { passphrase, salt_path } => {
                if passphrase.is_empty() {
                    return Err(SealError::Provider("the passphrase is empty".into()));
                }
                let salt = read_or_create(salt_path, 16).map_err(SealError::Provider)?;
                derive_key(
                    passphrase.expose_secret(),
                    salt.expose_secret(),
                    Argon2Params::default(),
                )
                .map_err(|_| SealError::Provider("argon2id derivation failed".into()))
            }
        }
    }
}

/// Reads a file of exactly `len` random bytes, or creates it (mode 0600) when missing.
fn read_or_create(path: &Path, len: usize) -> Result<SecretBytes, String> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.len() == len => Ok(SecretBytes::new(bytes)),
        Ok(_) => Err(format!("{} does not hold {len} bytes", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let bytes = SecretBytes::random(len);
            write_private(path, bytes.expose_secret())
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            Ok(bytes)
        }
        Err(error) => Err(format!("cannot read {}: {error}", path.display())),
    }
}

/// Writes `bytes` to a new file readable only by its owner, durably.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_provider_creates_a_private_key_once() {
        let dir = tempfile::tempdir().unwrap();
        let provider = SealProvider::File { path: dir.path().join("root.key") };
        let first = provider.key_encryption_key().unwrap();
        let second = provider.key_encryption_key().unwrap();
        assert!(arca_crypto::ct_eq(first.expose_secret(), second.expose_secret()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("root.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn passphrase_provider_is_deterministic_per_salt() {
        let dir = tempfile::tempdir().unwrap();
        let provider = |phrase: &[u8]| SealProvider::Passphrase {
            passphrase: SecretBytes::from_slice(phrase),
            salt_path: dir.path().join("salt"),
        };
        let a = provider(b"correct horse").key_encryption_key().unwrap();
        let b = provider(b"correct horse").key_encryption_key().unwrap();
        let c = provider(b"wrong horse").key_encryption_key().unwrap();
        assert!(arca_crypto::ct_eq(a.expose_secret(), b.expose_secret()));
        assert!(!arca_crypto::ct_eq(a.expose_secret(), c.expose_secret()));
        assert!(provider(b"").key_encryption_key().is_err());
    }
}
