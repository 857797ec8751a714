//! Client-side envelope encryption, byte-compatible with the AWS Encryption SDK.
//!
//! `arca-esdk` reads and writes the AWS Encryption SDK message format (header versions
//! 1 and 2, all eleven algorithm suites, framed bodies, non-framed bodies for reading,
//! key commitment and ECDSA footer signatures), so a message written here is read by the
//! official SDKs and the other way round. The format core is pure and synchronous and
//! holds every secret in [`arca_crypto::SecretBytes`].
//!
//! Main types:
//! - [`Client`]: the commitment policy and data key limit; [`Client::encrypt`] /
//!   [`Client::decrypt`] for whole messages, [`Client::encrypt_stream`] /
//!   [`Client::decrypt_stream`] over `std::io::Read` / `Write` with memory bounded by
//!   the frame length.
//! - Keyrings ([`keyring::RawAesKeyring`], [`keyring::RawRsaKeyring`],
//!   [`keyring::MultiKeyring`]; AWS KMS keyrings in `kms` behind the `kms` feature) and
//!   materials managers ([`DefaultCmm`], [`CachingCmm`], [`RequiredEncryptionContextCmm`]).
//! - Async adapters in `asynchronous` (feature `async`) and the `arca encrypt` /
//!   `arca decrypt` front end in `cli` (feature `cli`).
//! - [`AlgorithmSuite`], [`CommitmentPolicy`], [`EncryptionContext`], [`MessageHeader`].
//!
//! Every decryption failure is the same [`Error::DecryptionFailed`].
//!
//! # Streaming and authenticity
//!
//! [`Client::decrypt_stream`] writes each frame's plaintext once that frame's tag
//! verifies; for a signed suite the final frame is withheld until the footer signature
//! verifies, and only an `Ok` return says the whole message was authentic. A streaming
//! caller must therefore treat written bytes as provisional until the call returns `Ok`
//! (the CLI writes to a temporary file and renames it only then), or set
//! [`DecryptOptions::unsigned_only`] to refuse signed messages. [`Client::decrypt`]
//! returns nothing at all unless everything verified.
//!
//! # Bounds
//!
//! Every length field is checked against what follows it, and buffers grow only as bytes
//! arrive, so a lying length costs no memory. Streaming holds one batch of about 128 KiB
//! of frames (or one frame, if larger), eight batches when a helper thread shares the
//! work ([`Client::parallel_frames`], frames up to 1 MiB), plus about 1 MiB in flight to
//! the hashing core for signed suites; a non-framed body (read-only, at most 64 GiB by
//! the format) is held whole. [`Client::max_encrypted_data_keys`] caps the wrapped keys a message may carry.
//!
//! ```
//! use arca_esdk::{Client, DecryptOptions, DefaultCmm, EncryptOptions, keyring::RawAesKeyring};
//! use arca_crypto::SecretBytes;
//!
//! let keyring = RawAesKeyring::new("my-namespace", "my-key", SecretBytes::random(32)).unwrap();
//! let cmm = DefaultCmm::from_keyring(keyring);
//! let client = Client::default(); // REQUIRE_ENCRYPT_REQUIRE_DECRYPT, suite 0x0578
//! let mut options = EncryptOptions::default();
//! options.encryption_context.insert("purpose", "example");
//! let (message, _header) = client.encrypt(&cmm, b"hello", &options).unwrap();
//! let (plaintext, decrypted) = client.decrypt(&cmm, &message, &DecryptOptions::default()).unwrap();
//! assert_eq!(plaintext, b"hello");
//! assert_eq!(decrypted.encryption_context.get("purpose"), Some("example"));
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

#[cfg(feature = "async")]
pub mod asynchronous;
mod body;
pub mod caching;
mod client;
pub mod cmm;
mod context;
mod decrypt;
mod digesting;
mod encrypt;
mod error;
mod header;
pub mod keyring;
mod materials;
mod pipeline;
pub mod required_context;
mod source;
mod suite;

#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cli")]
mod cli_metadata;
#[cfg(feature = "kms")]
pub mod kms;

pub use caching::{CacheLimits, CachingCmm, MaterialsCache};
pub use client::{Client, DEFAULT_FRAME_LENGTH, DecryptOptions, DecryptedMessage, EncryptOptions};
pub use cmm::{CryptographicMaterialsManager, DefaultCmm};
pub use context::{EncryptionContext, PUBLIC_KEY_FIELD, RESERVED_PREFIX};
pub use error::Error;
pub use header::{ContentType, MessageHeader};
pub use materials::{
    DecryptMaterialsRequest, DecryptionMaterials, EncryptedDataKey, EncryptionMaterials,
    EncryptionMaterialsRequest,
};
pub use required_context::RequiredEncryptionContextCmm;
pub use suite::{AlgorithmSuite, CommitmentPolicy, KeyDerivation, MessageFormatVersion};
