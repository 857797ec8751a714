//! The Secrets Manager operations' inputs and outputs, named and shaped as in the AWS
//! model (`secretsmanager/2017-10-17`). Secret values are [`SecretBlob`]s and
//! [`SecretText`]s: zeroized on drop and redacted in `Debug`.

use std::{collections::BTreeMap, fmt};

use arca_api::{
    shapes,
    values::{SecretBlob, Timestamp},
};
use arca_crypto::SecretBytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A secret string (`SecretString`): zeroized on drop, redacted in `Debug`.
#[derive(Clone, Default)]
pub struct SecretText(pub SecretBytes);

impl SecretText {
    /// The text's length in characters, as the model counts it.
    pub fn chars(&self) -> usize {
        std::str::from_utf8(self.0.expose_secret()).map_or(0, |text| text.chars().count())
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl Serialize for SecretText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Stored values are checked UTF-8 when they arrive; leaves the secret type only
        // to be encoded into the response body.
        serializer.serialize_str(std::str::from_utf8(self.0.expose_secret()).unwrap_or_default())
    }
}

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Self(SecretBytes::new(text.into_bytes())))
    }
}

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// The key (1-128 characters).
    #[serde(default)]
    pub key: Option<String>,
    /// The value (0-256 characters).
    #[serde(default)]
    pub value: Option<String>,
}

/// `{Key, Values}` of ListSecrets and BatchGetSecretValue.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Filter {
    /// description, name, tag-key, tag-value, primary-region, owning-service, all.
    #[serde(default)]
    pub key: Option<String>,
    /// Up to 10 values; a leading `!` negates one.
    #[serde(default)]
    pub values: Option<Vec<String>>,
}

/// The version ids of a secret and their staging labels.
pub type VersionsToStages = BTreeMap<String, Vec<String>>;

shapes! {
    /// RotationRules.
    output RotationRules {
        /// Days between rotations.
        automatically_after_days: i64,
        /// The window's length, `Nh`.
        duration: String,
        /// `rate(...)` or `cron(...)`.
        schedule_expression: String,
    }
    /// `{Region, KmsKeyId}` of AddReplicaRegions.
    input ReplicaRegion {
        /// The region.
        region: String,
        /// The key for the replica.
        kms_key_id: String,
    }
    /// A replica's state.
    output ReplicationStatus {
        /// The region.
        region: String,
        /// The replica's key.
        kms_key_id: String,
        /// InSync, Failed, InProgress.
        status: String,
        /// Why it failed.
        status_message: String,
        /// The day it was last read.
        last_accessed_date: Timestamp,
    }
    /// CreateSecret input.
    input CreateSecretRequest {
        /// The name.
        name: String,
        /// The first version's id.
        client_request_token: String,
        /// A description.
        description: String,
        /// The key that protects the versions.
        kms_key_id: String,
        /// A binary value.
        secret_binary: SecretBlob,
        /// A text value.
        secret_string: SecretText,
        /// Tags.
        tags: Vec<Tag>,
        /// Regions to replicate to.
        add_replica_regions: Vec<ReplicaRegion>,
        /// Overwrite a secret of the same name in a replica region.
        force_overwrite_replica_secret: bool,
        /// The secret's type.
        r#type: String,
        /// A cross-account primary.
        cross_account_primary_a_r_n: String,
    }
    /// The answer naming a secret and a version (Create, Update, Put, Rotate, ...).
    output SecretVersionResponse {
        /// The secret's ARN.
        a_r_n: String,
        /// Its name.
        name: String,
        /// The version.
        version_id: String,
        /// The version's labels (PutSecretValue).
        version_stages: Vec<String>,
        /// Replicas (CreateSecret).
        replication_status: Vec<ReplicationStatus>,
    }
    /// Inputs naming one secret (DescribeSecret, RestoreSecret, CancelRotateSecret, ...).
    input SecretIdRequest {
        /// Name or ARN.
        secret_id: String,
    }
    /// DescribeSecret output, and each ListSecrets entry.
    output SecretDescription {
        /// ARN.
        a_r_n: String,
        /// Name.
        name: String,
        /// Type.
        r#type: String,
        /// Description.
        description: String,
        /// The key named at creation (absent for the default key).
        kms_key_id: String,
        /// Rotation is on.
        rotation_enabled: bool,
        /// The rotation function.
        rotation_lambda_a_r_n: String,
        /// The schedule.
        rotation_rules: RotationRules,
        /// Last rotation.
        last_rotated_date: Timestamp,
        /// Last change.
        last_changed_date: Timestamp,
        /// Last read (a day).
        last_accessed_date: Timestamp,
        /// When deletion was asked for.
        deleted_date: Timestamp,
        /// The next rotation.
        next_rotation_date: Timestamp,
        /// Tags.
        tags: Vec<Tag>,
        /// DescribeSecret's map of versions to labels.
        version_ids_to_stages: VersionsToStages,
        /// ListSecrets' map of versions to labels.
        secret_versions_to_stages: VersionsToStages,
        /// The service that owns the secret.
        owning_service: String,
        /// Creation.
        created_date: Timestamp,
        /// The primary's region (replicas and primaries with replicas).
        primary_region: String,
        /// Replicas.
        replication_status: Vec<ReplicationStatus>,
        /// On a cross-account replica: its primary.
        cross_account_primary: CrossAccountPrimary,
        /// On a primary: its cross-account replicas.
        cross_account_replicas: Vec<CrossAccountReplicaEntry>,
    }
    /// The primary a cross-account replica receives from.
    output CrossAccountPrimary {
        /// The primary's ARN.
        primary_secret_a_r_n: String,
        /// Pending, InSync, Failed, Detached.
        replication_status: String,
        /// Why it failed.
        status_message: String,
    }
    /// A primary's cross-account replica.
    output CrossAccountReplicaEntry {
        /// The replica's ARN.
        replica_secret_a_r_n: String,
        /// The role named at association (not assumed: accounts of one deployment).
        replication_role_a_r_n: String,
        /// InSync, Failed, Detached.
        replication_status: String,
        /// Why it failed.
        status_message: String,
    }
    /// GetSecretValue input.
    input GetSecretValueRequest {
        /// Name or ARN.
        secret_id: String,
        /// A version.
        version_id: String,
        /// A staging label.
        version_stage: String,
    }
    /// GetSecretValue output, and each BatchGetSecretValue entry.
    output SecretValue {
        /// ARN.
        a_r_n: String,
        /// Name.
        name: String,
        /// Version.
        version_id: String,
        /// Binary value.
        secret_binary: SecretBlob,
        /// Text value.
        secret_string: SecretText,
        /// Labels.
        version_stages: Vec<String>,
        /// The version's creation.
        created_date: Timestamp,
    }
    /// PutSecretValue input.
    input PutSecretValueRequest {
        /// Name or ARN.
        secret_id: String,
        /// The new version's id.
        client_request_token: String,
        /// Binary value.
        secret_binary: SecretBlob,
        /// Text value.
        secret_string: SecretText,
        /// Labels for the new version.
        version_stages: Vec<String>,
        /// A rotation token (external rotation).
        rotation_token: String,
    }
    /// UpdateSecret input.
    input UpdateSecretRequest {
        /// Name or ARN.
        secret_id: String,
        /// The new version's id.
        client_request_token: String,
        /// Description.
        description: String,
        /// The key for new versions.
        kms_key_id: String,
        /// Binary value.
        secret_binary: SecretBlob,
        /// Text value.
        secret_string: SecretText,
        /// Type.
        r#type: String,
    }
    /// UpdateSecretVersionStage input.
    input UpdateSecretVersionStageRequest {
        /// Name or ARN.
        secret_id: String,
        /// The label.
        version_stage: String,
        /// The version it leaves.
        remove_from_version_id: String,
        /// The version it moves to.
        move_to_version_id: String,
    }
    /// An answer naming a secret only.
    output SecretNameResponse {
        /// ARN.
        a_r_n: String,
        /// Name.
        name: String,
    }
    /// ListSecretVersionIds input.
    input ListSecretVersionIdsRequest {
        /// Name or ARN.
        secret_id: String,
        /// Page size.
        max_results: i64,
        /// Paging token.
        next_token: String,
        /// Include versions with no label.
        include_deprecated: bool,
    }
    /// One version of ListSecretVersionIds.
    output VersionEntry {
        /// Id.
        version_id: String,
        /// Labels.
        version_stages: Vec<String>,
        /// Last read (a day).
        last_accessed_date: Timestamp,
        /// Creation.
        created_date: Timestamp,
        /// The key that protects it.
        kms_key_ids: Vec<String>,
    }
    /// ListSecretVersionIds output.
    output ListSecretVersionIdsResponse {
        /// Versions.
        versions: Vec<VersionEntry>,
        /// Paging token.
        next_token: String,
        /// ARN.
        a_r_n: String,
        /// Name.
        name: String,
    }
    /// ListSecrets input.
    input ListSecretsRequest {
        /// Include secrets scheduled for deletion.
        include_planned_deletion: bool,
        /// Page size.
        max_results: i64,
        /// Paging token.
        next_token: String,
        /// Filters.
        filters: Vec<Filter>,
        /// asc or desc.
        sort_order: String,
        /// created-date, last-accessed-date, last-changed-date, name.
        sort_by: String,
    }
    /// ListSecrets output.
    output ListSecretsResponse {
        /// Secrets.
        secret_list: Vec<SecretDescription>,
        /// Paging token.
        next_token: String,
    }
    /// BatchGetSecretValue input.
    input BatchGetSecretValueRequest {
        /// Names or ARNs.
        secret_id_list: Vec<String>,
        /// Filters.
        filters: Vec<Filter>,
        /// Page size.
        max_results: i64,
        /// Paging token.
        next_token: String,
    }
    /// One secret BatchGetSecretValue could not read.
    output BatchError {
        /// The id asked for.
        secret_id: String,
        /// The error code.
        error_code: String,
        /// The message.
        message: String,
    }
    /// BatchGetSecretValue output.
    output BatchGetSecretValueResponse {
        /// Values.
        secret_values: Vec<SecretValue>,
        /// Paging token.
        next_token: String,
        /// Per-secret failures.
        errors: Vec<BatchError>,
    }
    /// DeleteSecret input.
    input DeleteSecretRequest {
        /// Name or ARN.
        secret_id: String,
        /// 7-30 days.
        recovery_window_in_days: i64,
        /// Delete at once.
        force_delete_without_recovery: bool,
    }
    /// DeleteSecret output.
    output DeleteSecretResponse {
        /// ARN.
        a_r_n: String,
        /// Name.
        name: String,
        /// When it will be gone.
        deletion_date: Timestamp,
    }
    /// TagResource input.
    input TagResourceRequest {
        /// Name or ARN.
        secret_id: String,
        /// Tags.
        tags: Vec<Tag>,
    }
    /// UntagResource input.
    input UntagResourceRequest {
        /// Name or ARN.
        secret_id: String,
        /// Keys.
        tag_keys: Vec<String>,
    }
    /// An empty answer.
    output Empty {}
    /// PutResourcePolicy input.
    input PutResourcePolicyRequest {
        /// Name or ARN.
        secret_id: String,
        /// The policy.
        resource_policy: String,
        /// The policy's name (ignored but for validation, as in AWS).
        policy_name: String,
        /// Refuse policies that grant public access (default true).
        block_public_policy: bool,
    }
    /// Get/DeleteResourcePolicy input.
    input ResourcePolicyRequest {
        /// Name or ARN.
        secret_id: String,
        /// The policy's name.
        policy_name: String,
    }
    /// GetResourcePolicy output.
    output GetResourcePolicyResponse {
        /// ARN.
        a_r_n: String,
        /// Name.
        name: String,
        /// The policy.
        resource_policy: String,
        /// The policy's name.
        policy_name: String,
    }
    /// ValidateResourcePolicy input.
    input ValidateResourcePolicyRequest {
        /// Name or ARN (optional).
        secret_id: String,
        /// The policy.
        resource_policy: String,
    }
    /// One finding of ValidateResourcePolicy.
    output ValidationEntry {
        /// The check.
        check_name: String,
        /// What failed.
        error_message: String,
    }
    /// ValidateResourcePolicy output.
    output ValidateResourcePolicyResponse {
        /// True when the policy passed.
        policy_validation_passed: bool,
        /// Findings.
        validation_errors: Vec<ValidationEntry>,
    }
    /// ListResourcePolicies input.
    input ListResourcePoliciesRequest {
        /// Name or ARN.
        secret_id: String,
        /// Page size.
        max_results: i64,
        /// Paging token.
        next_token: String,
    }
    /// One policy of ListResourcePolicies (its name; GetResourcePolicy has its text).
    output ResourcePolicySummary {
        /// The policy's name.
        policy_name: String,
    }
    /// ListResourcePolicies output.
    output ListResourcePoliciesResponse {
        /// Policies.
        resource_policies: Vec<ResourcePolicySummary>,
        /// Paging token.
        next_token: String,
    }
    /// GetRandomPassword input.
    input GetRandomPasswordRequest {
        /// Length (default 32).
        password_length: i64,
        /// Characters to leave out.
        exclude_characters: String,
        /// No digits.
        exclude_numbers: bool,
        /// No punctuation.
        exclude_punctuation: bool,
        /// No upper case.
        exclude_uppercase: bool,
        /// No lower case.
        exclude_lowercase: bool,
        /// Allow the space.
        include_space: bool,
        /// At least one of each included type (default true).
        require_each_included_type: bool,
    }
    /// GetRandomPassword output.
    output GetRandomPasswordResponse {
        /// The password.
        random_password: SecretText,
    }
    /// RotateSecret input.
    input RotateSecretRequest {
        /// Name or ARN.
        secret_id: String,
        /// The new version's id.
        client_request_token: String,
        /// The rotation function.
        rotation_lambda_a_r_n: String,
        /// The schedule.
        rotation_rules: RotationRules,
        /// Metadata for managed external rotation (not supported).
        external_secret_rotation_metadata: Vec<serde_json::Value>,
        /// Role for managed external rotation (not supported).
        external_secret_rotation_role_arn: String,
        /// Rotate now (default true).
        rotate_immediately: bool,
    }
    /// ReplicateSecretToRegions input.
    input ReplicateSecretToRegionsRequest {
        /// Name or ARN.
        secret_id: String,
        /// Regions to add.
        add_replica_regions: Vec<ReplicaRegion>,
        /// Overwrite a secret of the same name there.
        force_overwrite_replica_secret: bool,
    }
    /// RemoveRegionsFromReplication input.
    input RemoveRegionsFromReplicationRequest {
        /// Name or ARN.
        secret_id: String,
        /// Regions to drop.
        remove_replica_regions: Vec<String>,
    }
    /// Replication outputs.
    output ReplicationResponse {
        /// ARN.
        a_r_n: String,
        /// Replicas.
        replication_status: Vec<ReplicationStatus>,
    }
    /// Associate/DisassociateCrossAccountReplica input.
    input CrossAccountReplicaRequest {
        /// Name or ARN of the primary.
        secret_id: String,
        /// The replica's ARN in another account.
        cross_account_replica_a_r_n: String,
        /// SameOrg or NoRestriction.
        replica_restriction: String,
        /// A role (unused: accounts of one deployment).
        replication_role_a_r_n: String,
    }
    /// Associate/DisassociateCrossAccountReplica output.
    output CrossAccountReplicaResponse {
        /// ARN.
        a_r_n: String,
        /// The replica's ARN.
        cross_account_replica_a_r_n: String,
        /// Its state.
        replication_status: String,
    }
}
