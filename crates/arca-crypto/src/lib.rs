//! Arca's cryptographic primitives: thin, typed wrappers over aws-lc-rs.
//!
//! Every other crate reaches AES-GCM, HKDF, HMAC, SHA-2, random numbers and password
//! hashing through this crate, so there is one place to audit, one FIPS-capable
//! provider, and one set of secret types:
//!
//! - [`SecretBytes`] holds key material; it zeroizes on drop, prints `[REDACTED]` in
//!   `Debug`, and gives its bytes out only through [`SecretBytes::expose_secret`].
//! - [`aead::AesGcmKey`] seals and opens with AES-GCM (128, 192 or 256-bit keys).
//! - [`hkdf`], [`hmac`] and [`digest`] wrap the hash-based constructions.
//! - [`ct_eq`] compares secrets in constant time.
//! - [`asymmetric`] holds the AWS KMS asymmetric keys (RSA, ECC, Ed25519, ML-DSA, ML-KEM):
//!   signing, RSA OAEP, ECDH and ML-KEM, by their AWS spec names.
//!
//! ```
//! use arca_crypto::{aead::AesGcmKey, SecretBytes};
//! let key = AesGcmKey::new(SecretBytes::random(32)).unwrap();
//! let sealed = key.seal_random_nonce(b"context", b"plaintext").unwrap();
//! let opened = key.open_combined(b"context", &sealed).unwrap();
//! assert_eq!(opened.expose_secret(), b"plaintext");
//! ```
#![forbid(unsafe_code)]

pub mod aead;
pub mod asymmetric;
pub mod digest;
pub mod ecdsa;
mod error;
pub mod hkdf;
pub mod hmac;
pub mod key_wrap;
pub mod password;
pub mod random;
pub mod rsa;
mod secret;

pub use error::CryptoError;
pub use secret::{SecretBytes, ct_eq};
