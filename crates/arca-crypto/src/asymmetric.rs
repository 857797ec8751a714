//! The asymmetric keys of AWS KMS: RSA, the ECC curves, Ed25519, ML-DSA and ML-KEM, by
//! their AWS key spec and signing algorithm names.
//!
//! - [`KeyPairSpec`] and [`SigningAlgorithm`] are the AWS `KeySpec` and
//!   `SigningAlgorithmSpec` values, with [`KeyPairSpec::signing_algorithms`] saying which
//!   pairs AWS allows.
//! - [`PrivateKey`] generates, stores (as [`crate::SecretBytes`]), signs, decrypts with RSA
//!   OAEP, derives ECDH secrets and decapsulates ML-KEM.
//! - [`verify`], [`encrypt`] and [`encapsulate`] work from a DER SubjectPublicKeyInfo, as
//!   GetPublicKey returns it, the way a client would.
//!
//! What aws-lc-rs 1.19 cannot do, and so neither can this module: Ed25519ph
//! ([`SigningAlgorithm::Ed25519PhSha512`] gives [`CryptoError::Unspecified`]), ECDH on
//! secp256k1, and PKCS #8 for ML-KEM (stored as the raw FIPS 203 decapsulation key).
//!
//! ```
//! use arca_crypto::asymmetric::{self, KeyPairSpec, PrivateKey, SignInput, SigningAlgorithm};
//! let key = PrivateKey::generate(KeyPairSpec::EccNistP256).unwrap();
//! let algorithm = SigningAlgorithm::from_name("ECDSA_SHA_256").unwrap();
//! let signature = key.sign(algorithm, SignInput::Raw(b"message")).unwrap();
//! let public = key.public_key_der().unwrap();
//! let verified =
//!     asymmetric::verify(key.spec(), &public, algorithm, SignInput::Raw(b"message"), &signature);
//! assert_eq!(verified, Ok(true));
//! ```

mod private_key;
mod public_key;
mod spec;
mod spki;
#[cfg(test)]
mod tests;

#[cfg(doc)]
use crate::CryptoError;

pub use private_key::PrivateKey;
pub use public_key::{encapsulate, encrypt, max_oaep_plaintext, verify};
pub use spec::{KeyPairSpec, SignInput, SigningAlgorithm};
