//! Arca's key management service, behaving as AWS KMS does.
//!
//! [`KmsService`] implements the KMS operations on symmetric keys over typed inputs
//! and outputs ([`api`]) that are named and shaped as in the AWS model, so the
//! protocol layer can serve them over JSON 1.1 or CBOR without knowing anything about
//! keys. The service knows nothing about HTTP: it gets a [`arca_gate::Caller`] (who is
//! asking, already authenticated) and answers with a value or a [`KmsError`] that
//! carries the AWS error code.
//!
//! - Key material lives in the store sealed under the root key ([`arca_seal`]), one
//!   version per rotation; [`blob`] defines the ciphertext format that names the
//!   version, so rotated keys still decrypt old data, and seals each ciphertext under
//!   its own key derived with HKDF from the version's material and a random salt.
//! - Key policies are the primary access control, evaluated with [`arca_policy`]
//!   together with the caller's IAM policies. One table (`operation`) gives each
//!   operation its IAM action and whether AWS allows it on another account's key;
//!   the others are refused across accounts whatever a key policy grants.
//! - The hot paths (Encrypt, Decrypt, GenerateDataKey) are served from a cache of
//!   unwrapped key versions that the store's change feed invalidates on every node.
//!
//! ```text
//! let kms = KmsService::new(store, keyring, clock);
//! let key = kms.create_key(&caller, CreateKeyRequest::default()).await?;
//! ```

pub mod api;
pub mod blob;
mod cache;
mod config;
mod error;
mod operation;
mod paging;
mod policy_text;
mod record;
mod registration;
mod sealed;
mod service;
mod spec;
mod validate;
pub mod wire;

pub use config::{CONFIG, KmsConfig};
pub use error::KmsError;
pub use policy_text::default_key_policy;
pub use registration::{DESCRIPTOR, KmsApi};
pub use service::{
    DELETE_JOB, JOB_KINDS, KmsService, ROTATE_JOB,
    seed::{SeedFile, SeedReport},
};
