//! KMS over AWS JSON 1.1 (`X-Amz-Target: TrentService.Operation`).

use arca_gate::Caller;
use arca_kms::{KmsError, KmsService};
use serde_json::Value;

use crate::protocol::{ApiError, json};

/// The target prefix KMS clients send.
pub const TARGET_PREFIX: &str = "TrentService";

/// The one mapping from KMS errors to what clients see.
fn api_error(error: KmsError) -> ApiError {
    ApiError::new(error.code(), error.status(), error.to_string())
}

macro_rules! dispatch {
    ($kms:expr, $caller:expr, $operation:expr, $body:expr, { $($name:literal => $method:ident),* $(,)? }) => {
        match $operation {
            $(
                $name => {
                    let input = json::input($body)?;
                    let output = $kms.$method($caller, input).await.map_err(api_error)?;
                    json::output(&output)
                }
            )*
            other => Err(ApiError::new("UnknownOperationException", 400, format!("Operation {other} is not supported."))),
        }
    };
}

/// True when `operation` is one this server implements (for metrics labels).
pub fn is_known(operation: &str) -> bool {
    OPERATIONS.contains(&operation)
}

const OPERATIONS: &[&str] = &[
    "CreateKey",
    "DescribeKey",
    "ListKeys",
    "UpdateKeyDescription",
    "EnableKey",
    "DisableKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "CreateAlias",
    "UpdateAlias",
    "DeleteAlias",
    "ListAliases",
    "Encrypt",
    "Decrypt",
    "ReEncrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateRandom",
    "TagResource",
    "UntagResource",
    "ListResourceTags",
    "GetKeyPolicy",
    "PutKeyPolicy",
    "ListKeyPolicies",
    "EnableKeyRotation",
    "DisableKeyRotation",
    "GetKeyRotationStatus",
    "RotateKeyOnDemand",
    "ListKeyRotations",
];

/// Runs one KMS operation.
pub async fn call(
    kms: &KmsService,
    caller: &Caller,
    operation: &str,
    body: Value,
) -> Result<Vec<u8>, ApiError> {
    dispatch!(kms, caller, operation, body, {
        "CreateKey" => create_key,
        "DescribeKey" => describe_key,
        "ListKeys" => list_keys,
        "UpdateKeyDescription" => update_key_description,
        "EnableKey" => enable_key,
        "DisableKey" => disable_key,
        "ScheduleKeyDeletion" => schedule_key_deletion,
        "CancelKeyDeletion" => cancel_key_deletion,
        "CreateAlias" => create_alias,
        "UpdateAlias" => update_alias,
        "DeleteAlias" => delete_alias,
        "ListAliases" => list_aliases,
        "Encrypt" => encrypt,
        "Decrypt" => decrypt,
        "ReEncrypt" => re_encrypt,
        "GenerateDataKey" => generate_data_key,
        "GenerateDataKeyWithoutPlaintext" => generate_data_key_without_plaintext,
        "GenerateRandom" => generate_random,
        "TagResource" => tag_resource,
        "UntagResource" => untag_resource,
        "ListResourceTags" => list_resource_tags,
        "GetKeyPolicy" => get_key_policy,
        "PutKeyPolicy" => put_key_policy,
        "ListKeyPolicies" => list_key_policies,
        "EnableKeyRotation" => enable_key_rotation,
        "DisableKeyRotation" => disable_key_rotation,
        "GetKeyRotationStatus" => get_key_rotation_status,
        "RotateKeyOnDemand" => rotate_key_on_demand,
        "ListKeyRotations" => list_key_rotations,
    })
}
