//! Arca's own administrative API over AWS JSON 1.1 (`X-Amz-Target: ArcaAdmin.Operation`,
//! SigV4 service name `arca`): account creation, root key rotation, and the test-only
//! clock control.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use arca_gate::{Caller, audit::DigestKey};
use arca_seal::{BoxError, SealedOwner};

use super::iam::api_error;
use crate::{
    protocol::{ApiError, json},
    state::AppState,
};

/// The audit digest signing key as a [`SealedOwner`] (its private key is sealed under
/// the root key), so that root-key retirement counts it.
struct AuditDigestKey<'a>(&'a DigestKey);

#[async_trait::async_trait]
impl SealedOwner for AuditDigestKey<'_> {
    fn name(&self) -> &'static str {
        "audit digest key"
    }

    async fn count_by_root_version(&self) -> Result<BTreeMap<u32, u64>, BoxError> {
        Ok(self.0.count_sealed_by_root_version().await?)
    }
}

/// The target prefix of admin calls.
pub const TARGET_PREFIX: &str = "ArcaAdmin";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateAccountRequest {
    name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateAccountResponse {
    account_id: String,
    user_name: String,
    arn: String,
    access_key_id: String,
    secret_access_key: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RotateRootKeyResponse {
    root_key_version: u32,
    rewrapped_key_versions: usize,
    rewrapped_access_keys: usize,
    retired_root_keys: usize,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AdvanceClockRequest {
    seconds: Option<i64>,
}

fn require_bootstrap_admin(caller: &Caller, operation: &str) -> Result<(), ApiError> {
    if caller.is_bootstrap_admin {
        return Ok(());
    }
    Err(ApiError::new(
        "AccessDeniedException",
        400,
        format!(
            "User: {} is not authorized to perform: arca:{operation}; only the bootstrap account's root principal may",
            caller.principal_arn
        ),
    ))
}

/// Runs one admin operation.
pub async fn call(
    state: &AppState,
    caller: &Caller,
    operation: &str,
    body: Value,
) -> Result<Vec<u8>, ApiError> {
    match operation {
        "CreateAccount" => {
            let input: CreateAccountRequest = json::input(body)?;
            let name = input.name.ok_or_else(|| {
                ApiError::new("ValidationException", 400, "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
            })?;
            let account = state.identity.create_account(caller, &name).await.map_err(api_error)?;
            json::output(&CreateAccountResponse {
                account_id: account.account_id,
                user_name: account.user_name,
                arn: account.arn,
                access_key_id: account.access_key_id,
                // The new root secret leaves its type once, in the answer to the admin.
                secret_access_key: String::from_utf8_lossy(
                    account.secret_access_key.expose_secret(),
                )
                .into_owned(),
            })
        }
        "RotateRootKey" => {
            require_bootstrap_admin(caller, operation)?;
            let internal = |e: &dyn std::fmt::Display| {
                tracing::error!(error = %e, "root key rotation failed");
                ApiError::new(
                    "InternalFailure",
                    500,
                    "Root key rotation failed; see the server log.",
                )
            };
            let version = state.keyring.rotate().await.map_err(|e| internal(&e))?;
            let key_versions = state.kms.rewrap_all().await.map_err(|e| internal(&e))?;
            let access_keys = state.identity.rewrap_all().await.map_err(|e| internal(&e))?;
            // The audit digest signing key is sealed under the root key too.
            state.audit.digest_key().rewrap().await.map_err(|e| internal(&e))?;
            // Every owner of sealed values is counted; retirement is refused while any
            // value still names an old version (e.g. a key created on a node that had
            // not yet seen the rotation), so nothing sealed is ever lost.
            let digest_key = AuditDigestKey(state.audit.digest_key());
            let owners: [&dyn SealedOwner; 3] = [&*state.kms, &*state.identity, &digest_key];
            let retired = match state.keyring.retire_older(&owners).await {
                Ok(retired) => retired,
                Err(error @ arca_seal::SealError::VersionInUse { .. }) => {
                    tracing::warn!(%error, "old root key versions kept");
                    return Err(ApiError::new(
                        "ConflictException",
                        409,
                        format!(
                            "Root key version {version} was added but older versions were kept: {error}. Run RotateRootKey again to re-wrap and retire them."
                        ),
                    ));
                }
                Err(error) => return Err(internal(&error)),
            };
            tracing::info!(version, key_versions, access_keys, retired, "root key rotated");
            json::output(&RotateRootKeyResponse {
                root_key_version: version,
                rewrapped_key_versions: key_versions,
                rewrapped_access_keys: access_keys,
                retired_root_keys: retired,
            })
        }
        "AdvanceClock" => {
            require_bootstrap_admin(caller, operation)?;
            if state.config.server.danger_clock_offset_seconds.is_none() {
                return Err(ApiError::new(
                    "UnsupportedOperationException",
                    400,
                    "The clock can be moved only on a server started with --danger-clock-offset.",
                ));
            }
            let input: AdvanceClockRequest = json::input(body)?;
            let seconds = input.seconds.unwrap_or(0);
            if !(0..=10 * 366 * 86_400).contains(&seconds) {
                return Err(ApiError::new(
                    "ValidationException",
                    400,
                    "Seconds must be between 0 and ten years.",
                ));
            }
            state.clock.advance_ms(seconds * 1000);
            state.run_jobs_now().await;
            json::output(&serde_json::json!({ "OffsetSeconds": state.clock.offset_ms() / 1000 }))
        }
        other => Err(ApiError::new(
            "UnknownOperationException",
            400,
            format!("Operation {other} is not supported."),
        )),
    }
}
