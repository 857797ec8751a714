//! AWS KMS keyrings (in progress).

use std::sync::Arc;

use crate::keyring::Keyring;

/// Builds a KMS keyring from `--wrapping-keys provider=aws-kms ...` settings.
#[cfg(feature = "cli")]
pub(crate) fn keyring_from_cli(_settings: &[(&str, &str)]) -> anyhow::Result<Arc<dyn Keyring>> {
    anyhow::bail!("the AWS KMS keyring is not implemented yet")
}
