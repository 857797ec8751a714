//! Arca's root of trust.
//!
//! Everything Arca keeps at rest that is secret (KMS key material, access-key
//! secrets) is sealed with AES-256-GCM under a **root key**, with the owner's identity
//! bound as additional authenticated data so that a sealed value cannot be moved to
//! another record. Root keys are versioned: a [`RootKeyring`] holds every version
//! still in use, seals with the newest, and opens with whichever version a sealed
//! value names, so rotation never interrupts reads.
//!
//! The root keys themselves are stored (in the store's `seal.root-keys` table) only
//! wrapped under a key-encryption key that a [`SealProvider`] produces:
//!
//! - [`SealProvider::File`] — a random 32-byte key in a 0600 file (the dev default);
//! - [`SealProvider::Passphrase`] — a key derived with Argon2id from a passphrase
//!   taken from the environment or a file, never from a flag.
//!
//! ```text
//! let keyring = RootKeyring::unseal(store, &SealProvider::File { path }).await?;
//! let sealed = keyring.seal(b"arn:aws:kms:...:key/1#1", material.expose_secret())?;
//! let material = keyring.open(b"arn:aws:kms:...:key/1#1", &sealed)?;
//! ```
//!
//! Rotation adds a version; every [`SealedOwner`] (access keys, KMS key versions)
//! re-wraps its values; [`RootKeyring::retire_older`] then removes the old versions,
//! refusing while any owner still counts a value under one of them.

mod keyring;
mod provider;

pub use keyring::{
    BoxError, KeyEncryption, RootKeyring, Rotation, SealError, SealedBytes, SealedOwner,
    SoftwareKeyEncryption,
};
pub use provider::SealProvider;
