//! The AWS Secrets Manager API on Arca's service registry.
//!
//! Secrets are regional records of the caller's account (`record`), each version's
//! value envelope-encrypted under a KMS data key that Arca's own KMS service issues for
//! the caller (`envelope`), with the secret's ARN and the version id as encryption
//! context. Staging labels move as AWS documents (`stages`); a resource policy on a
//! secret may let other accounts in (`service`'s authorisation uses
//! `ResourceMode::ResourcePolicy`). Rotation sends AWS's four rotation steps to a
//! webhook configured under `[secrets]` (`config`), from a job; deletion after the
//! recovery window is a job too.

mod api;
mod config;
mod envelope;
mod error;
mod filter;
mod names;
mod paging;
mod password;
mod record;
mod registration;
mod schedule;
mod service;
mod stages;
mod validate;
mod value_cache;

pub use config::{CONFIG, RotationFunction, SecretsConfig};
pub use error::SecretsError;
pub use registration::{DESCRIPTOR, SecretsApi};
pub use service::SecretsService;
