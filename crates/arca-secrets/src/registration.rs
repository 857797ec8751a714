//! Secrets Manager on the service registry: its descriptor (AWS JSON 1.1, target
//! prefix and signing name `secretsmanager`), the operation table, and the dispatch
//! from a table row to the typed operation.

use std::sync::Arc;

use arca_api::{ApiError, Binding, Call, Descriptor, Operation as Row, Reply, Service};
use arca_gate::CrossAccount;
use arca_store::Job;

use crate::{SecretsService, service::JOB_KINDS};

/// Request members safe to record in the audit log. Secret values and resource
/// policies are not among them.
const AUDIT_MEMBERS: &[&str] = &[
    "SecretId",
    "Name",
    "Description",
    "KmsKeyId",
    "ClientRequestToken",
    "VersionId",
    "VersionStage",
    "VersionStages",
    "RemoveFromVersionId",
    "MoveToVersionId",
    "Tags",
    "TagKeys",
    "RecoveryWindowInDays",
    "ForceDeleteWithoutRecovery",
    "RotationLambdaARN",
    "RotationRules",
    "RotateImmediately",
    "Filters",
    "MaxResults",
    "SortOrder",
    "SortBy",
    "IncludePlannedDeletion",
    "IncludeDeprecated",
    "SecretIdList",
    "BlockPublicPolicy",
    "PolicyName",
    "PasswordLength",
    "Type",
    "AddReplicaRegions",
    "RemoveReplicaRegions",
    "ForceOverwriteReplicaSecret",
    "CrossAccountReplicaARN",
    "CrossAccountPrimaryARN",
    "ReplicaRestriction",
    "ReplicationRoleARN",
];

/// A row acting on one secret: its resource policy may let other accounts in.
const fn secret(name: &'static str, action: &'static str, read_only: bool) -> Row {
    Row {
        name,
        action,
        read_only,
        cross_account: CrossAccount::Allowed,
        audit_members: AUDIT_MEMBERS,
    }
}

/// A row acting on the caller's own account only.
const fn account(name: &'static str, action: &'static str, read_only: bool) -> Row {
    Row {
        name,
        action,
        read_only,
        cross_account: CrossAccount::SameAccountOnly,
        audit_members: AUDIT_MEMBERS,
    }
}

/// Every Secrets Manager operation Arca serves.
static OPERATIONS: [Row; 26] = [
    account("CreateSecret", "secretsmanager:CreateSecret", false),
    secret("DescribeSecret", "secretsmanager:DescribeSecret", true),
    account("ListSecrets", "secretsmanager:ListSecrets", true),
    secret("GetSecretValue", "secretsmanager:GetSecretValue", true),
    account("BatchGetSecretValue", "secretsmanager:BatchGetSecretValue", true),
    secret("PutSecretValue", "secretsmanager:PutSecretValue", false),
    secret("UpdateSecret", "secretsmanager:UpdateSecret", false),
    secret("UpdateSecretVersionStage", "secretsmanager:UpdateSecretVersionStage", false),
    secret("ListSecretVersionIds", "secretsmanager:ListSecretVersionIds", true),
    secret("DeleteSecret", "secretsmanager:DeleteSecret", false),
    secret("RestoreSecret", "secretsmanager:RestoreSecret", false),
    secret("TagResource", "secretsmanager:TagResource", false),
    secret("UntagResource", "secretsmanager:UntagResource", false),
    secret("PutResourcePolicy", "secretsmanager:PutResourcePolicy", false),
    secret("GetResourcePolicy", "secretsmanager:GetResourcePolicy", true),
    secret("DeleteResourcePolicy", "secretsmanager:DeleteResourcePolicy", false),
    secret("ValidateResourcePolicy", "secretsmanager:ValidateResourcePolicy", true),
    secret("ListResourcePolicies", "secretsmanager:ListResourcePolicies", true),
    account("GetRandomPassword", "secretsmanager:GetRandomPassword", true),
    secret("RotateSecret", "secretsmanager:RotateSecret", false),
    secret("CancelRotateSecret", "secretsmanager:CancelRotateSecret", false),
    secret("ReplicateSecretToRegions", "secretsmanager:ReplicateSecretToRegions", false),
    secret("RemoveRegionsFromReplication", "secretsmanager:RemoveRegionsFromReplication", false),
    secret("StopReplicationToReplica", "secretsmanager:StopReplicationToReplica", false),
    account("AssociateCrossAccountReplica", "secretsmanager:AssociateCrossAccountReplica", false),
    account(
        "DisassociateCrossAccountReplica",
        "secretsmanager:DisassociateCrossAccountReplica",
        false,
    ),
];

/// Secrets Manager as the registry sees it.
pub static DESCRIPTOR: Descriptor = Descriptor {
    name: "secretsmanager",
    signing_names: &["secretsmanager"],
    bindings: &[Binding::AwsJson { target_prefix: "secretsmanager" }],
    internal_error_code: "InternalServiceError",
    error_message_member: "Message",
    operations: &OPERATIONS,
};

/// The Secrets Manager service on the registry.
pub struct SecretsApi(pub Arc<SecretsService>);

macro_rules! dispatch {
    ($service:expr, $call:expr, { $($name:literal => $method:ident),* $(,)? }) => {
        match $call.operation.name {
            $(
                $name => {
                    let output = $service
                        .$method($call.caller, $call.operation, $call.input.decode()?)
                        .await
                        .map_err(ApiError::from)?;
                    $call.input.reply(&output)
                }
            )*
            "BatchGetSecretValue" => {
                let get = DESCRIPTOR
                    .operation("GetSecretValue")
                    .ok_or_else(|| ApiError::unknown_operation("GetSecretValue"))?;
                let output = $service
                    .batch_get_secret_value($call.caller, $call.operation, get, $call.input.decode()?)
                    .await
                    .map_err(ApiError::from)?;
                $call.input.reply(&output)
            }
            other => Err(ApiError::unknown_operation(other)),
        }
    };
}

#[async_trait::async_trait]
impl Service for SecretsApi {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    async fn call(&self, call: Call<'_>) -> Result<Reply, ApiError> {
        dispatch!(self.0, call, {
            "CreateSecret" => create_secret,
            "DescribeSecret" => describe_secret,
            "ListSecrets" => list_secrets,
            "GetSecretValue" => get_secret_value,
            "PutSecretValue" => put_secret_value,
            "UpdateSecret" => update_secret,
            "UpdateSecretVersionStage" => update_secret_version_stage,
            "ListSecretVersionIds" => list_secret_version_ids,
            "DeleteSecret" => delete_secret,
            "RestoreSecret" => restore_secret,
            "TagResource" => tag_resource,
            "UntagResource" => untag_resource,
            "PutResourcePolicy" => put_resource_policy,
            "GetResourcePolicy" => get_resource_policy,
            "DeleteResourcePolicy" => delete_resource_policy,
            "ValidateResourcePolicy" => validate_resource_policy,
            "ListResourcePolicies" => list_resource_policies,
            "GetRandomPassword" => get_random_password,
            "RotateSecret" => rotate_secret,
            "CancelRotateSecret" => cancel_rotate_secret,
            "ReplicateSecretToRegions" => replicate_secret_to_regions,
            "RemoveRegionsFromReplication" => remove_regions_from_replication,
            "StopReplicationToReplica" => stop_replication_to_replica,
            "AssociateCrossAccountReplica" => associate_cross_account_replica,
            "DisassociateCrossAccountReplica" => disassociate_cross_account_replica,
        })
    }

    fn job_kinds(&self) -> &'static [&'static str] {
        JOB_KINDS
    }

    async fn run_job(&self, job: &Job) -> Result<(), ApiError> {
        self.0.run_job(job).await.map_err(ApiError::from)
    }
}
