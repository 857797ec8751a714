//! Arca's own administrative API over AWS JSON 1.1 (`X-Amz-Target: ArcaAdmin.Operation`,
//! SigV4 service name `arca`), on the registry like every service: account creation,
//! root key rotation, and the test-only clock control.

use std::{
    collections::BTreeMap,
    sync::{Arc, Weak},
};

use serde::{Deserialize, Serialize};

use arca_api::{ApiError, Binding, Call, Descriptor, Operation as Row, Reply, Service};
use arca_gate::{Access, Caller, CrossAccount, ResourceMode, audit::DigestKey};
use arca_iam::identity_error;
use arca_seal::{BoxError, SealedOwner};

use crate::state::AppState;

/// The audit digest signing key as a [`SealedOwner`] (its private key is sealed under
/// the root key), so that a rotation re-wraps it and retirement counts it.
pub(crate) struct AuditDigestKey<'a>(pub(crate) &'a DigestKey);

#[async_trait::async_trait]
impl SealedOwner for AuditDigestKey<'_> {
    fn name(&self) -> &'static str {
        "audit digest key"
    }

    async fn rewrap(&self) -> Result<usize, BoxError> {
        Ok(self.0.rewrap().await?)
    }

    async fn count_by_root_version(&self) -> Result<BTreeMap<u32, u64>, BoxError> {
        Ok(self.0.count_sealed_by_root_version().await?)
    }
}

const fn row(name: &'static str, action: &'static str, read_only: bool) -> Row {
    Row {
        name,
        action,
        read_only,
        cross_account: CrossAccount::SameAccountOnly,
        audit_members: &["Name", "Seconds"],
    }
}

static OPERATIONS: [Row; 3] = [
    row("CreateAccount", "arca:CreateAccount", false),
    row("RotateRootKey", "arca:RotateRootKey", false),
    row("AdvanceClock", "arca:AdvanceClock", false),
];

/// The admin API as the registry sees it.
pub static DESCRIPTOR: Descriptor = Descriptor {
    name: "arca",
    signing_names: &["arca"],
    bindings: &[Binding::AwsJson { target_prefix: "ArcaAdmin" }],
    internal_error_code: "InternalFailure",
    error_message_member: "message",
    operations: &OPERATIONS,
};

/// The admin API on the registry. It reaches the whole server (every registered
/// owner of sealed values, the job runner), so it holds the state weakly: the state
/// holds the registry that holds it.
pub(crate) struct AdminApi(pub(crate) Weak<AppState>);

#[async_trait::async_trait]
impl Service for AdminApi {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    async fn call(&self, call: Call<'_>) -> Result<Reply, ApiError> {
        let state: Arc<AppState> = self
            .0
            .upgrade()
            .ok_or_else(|| ApiError::new("InternalFailure", 500, "The server is stopping"))?;
        run(&state, call).await
    }
}

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

/// Every admin operation is authorised like any other, as its row's action: the gate
/// allows deployment actions to the bootstrap account's root principal only.
fn authorize(caller: &Caller, operation: &Row) -> Result<(), ApiError> {
    caller
        .authorize(&Access {
            action: operation.action,
            resource: "*",
            resource_account: caller.account_id(),
            resource_policy: None,
            mode: ResourceMode::IdentityOnly,
            cross_account: operation.cross_account,
            context: Vec::new(),
        })
        .map_err(|denied| ApiError::new("AccessDeniedException", 400, denied.to_string()))
}

/// Runs one admin operation.
async fn run(state: &AppState, call: Call<'_>) -> Result<Reply, ApiError> {
    let Call { caller, operation, input } = call;
    authorize(caller, operation)?;
    let operation = operation.name;
    match operation {
        "CreateAccount" => {
            let request: CreateAccountRequest = input.decode()?;
            let name = request.name.ok_or_else(|| {
                ApiError::new("ValidationException", 400, "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
            })?;
            let account =
                state.identity.create_account(caller, &name).await.map_err(identity_error)?;
            input.reply(&CreateAccountResponse {
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
            let internal = |e: &dyn std::fmt::Display| {
                tracing::error!(error = %e, "root key rotation failed");
                ApiError::new(
                    "InternalFailure",
                    500,
                    "Root key rotation failed; see the server log.",
                )
            };
            let digest_key = AuditDigestKey(state.audit.digest_key());
            let mut owners: Vec<&dyn SealedOwner> = vec![&digest_key];
            for service in state.registry.services() {
                owners.extend(service.sealed_owners());
            }
            // Every registered owner re-wraps; retirement is refused while any value
            // still names an old version (e.g. one sealed on a node that had not yet
            // seen the rotation), so nothing sealed is ever lost.
            let rotation = state.keyring.rotate_all(&owners).await.map_err(|e| internal(&e))?;
            let version = rotation.version;
            let rewrapped = |name: &str| {
                rotation.rewrapped.iter().filter(|(owner, _)| *owner == name).map(|(_, n)| n).sum()
            };
            let retired = match rotation.retired {
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
            tracing::info!(version, ?rotation.rewrapped, retired, "root key rotated");
            input.reply(&RotateRootKeyResponse {
                root_key_version: version,
                rewrapped_key_versions: rewrapped("KMS key material"),
                rewrapped_access_keys: rewrapped("access-key secret"),
                retired_root_keys: retired,
            })
        }
        "AdvanceClock" => {
            if state.config.server.danger_clock_offset_seconds.is_none() {
                return Err(ApiError::new(
                    "UnsupportedOperationException",
                    400,
                    "The clock can be moved only on a server started with --danger-clock-offset.",
                ));
            }
            let request: AdvanceClockRequest = input.decode()?;
            let seconds = request.seconds.unwrap_or(0);
            if !(0..=10 * 366 * 86_400).contains(&seconds) {
                return Err(ApiError::new(
                    "ValidationException",
                    400,
                    "Seconds must be between 0 and ten years.",
                ));
            }
            state.clock.advance_ms(seconds * 1000);
            state.run_jobs_now().await;
            input.reply(&serde_json::json!({ "OffsetSeconds": state.clock.offset_ms() / 1000 }))
        }
        other => Err(ApiError::unknown_operation(other)),
    }
}
