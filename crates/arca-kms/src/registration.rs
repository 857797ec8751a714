//! KMS on the service registry: its descriptor (AWS JSON 1.1, `TrentService`, signing
//! name `kms`), the operation table, and the dispatch from a table row to the typed
//! operation.

use std::sync::Arc;

use arca_api::{ApiError, Binding, Call, Descriptor, Operation as Row, Reply, Service};
use arca_seal::SealedOwner;
use arca_store::Job;

use crate::{KmsError, KmsService, operation::Operation};

/// Request members safe to record in the audit log, as sent. Plaintexts, ciphertexts,
/// key material and policies are not among them.
const AUDIT_MEMBERS: &[&str] = &[
    "KeyId",
    "EncryptionContext",
    "SourceEncryptionContext",
    "DestinationEncryptionContext",
    "KeySpec",
    "NumberOfBytes",
    "AliasName",
    "TargetKeyId",
    "SourceKeyId",
    "DestinationKeyId",
    "PendingWindowInDays",
    "RotationPeriodInDays",
    "Description",
    "KeyUsage",
    "Origin",
    "CustomerMasterKeySpec",
    "EncryptionAlgorithm",
    "SourceEncryptionAlgorithm",
    "DestinationEncryptionAlgorithm",
    "Limit",
    "PolicyName",
    "TagKeys",
    "Tags",
    "DryRun",
    "BypassPolicyLockoutSafetyCheck",
    "IncludeKeyMaterial",
    "KeyPairSpec",
    "MessageType",
    "SigningAlgorithm",
    "MacAlgorithm",
    "KeyAgreementAlgorithm",
    "EncapsulationAlgorithm",
    "WrappingAlgorithm",
    "WrappingKeySpec",
    "ExpirationModel",
    "ValidTo",
    "ImportType",
    "KeyMaterialId",
    "KeyMaterialDescription",
    "GranteePrincipal",
    "RetiringPrincipal",
    "Operations",
    "Constraints",
    "Name",
    "GrantId",
    "ReplicaRegion",
    "PrimaryRegion",
    "MultiRegion",
];

/// A table row from the authorisation table in `operation`, so the IAM action and the
/// cross-account rule are written once.
const fn row(name: &'static str, operation: Operation, read_only: bool) -> Row {
    Row {
        name,
        action: operation.action(),
        read_only,
        cross_account: operation.cross_account(),
        audit_members: AUDIT_MEMBERS,
    }
}

/// Every KMS operation Arca serves.
static OPERATIONS: [Row; 50] = [
    row("CreateKey", Operation::CreateKey, false),
    row("DescribeKey", Operation::DescribeKey, true),
    row("ListKeys", Operation::ListKeys, true),
    row("UpdateKeyDescription", Operation::UpdateKeyDescription, false),
    row("EnableKey", Operation::EnableKey, false),
    row("DisableKey", Operation::DisableKey, false),
    row("ScheduleKeyDeletion", Operation::ScheduleKeyDeletion, false),
    row("CancelKeyDeletion", Operation::CancelKeyDeletion, false),
    row("CreateAlias", Operation::CreateAlias, false),
    row("UpdateAlias", Operation::UpdateAlias, false),
    row("DeleteAlias", Operation::DeleteAlias, false),
    row("ListAliases", Operation::ListAliases, true),
    // CloudTrail records the cryptographic operations as read-only.
    row("Encrypt", Operation::Encrypt, true),
    row("Decrypt", Operation::Decrypt, true),
    // ReEncrypt is authorised twice (ReEncryptFrom on the source, ReEncryptTo on the
    // destination); its row carries the first.
    row("ReEncrypt", Operation::ReEncryptFrom, true),
    row("GenerateDataKey", Operation::GenerateDataKey, true),
    row("GenerateDataKeyWithoutPlaintext", Operation::GenerateDataKeyWithoutPlaintext, true),
    row("GenerateRandom", Operation::GenerateRandom, true),
    row("TagResource", Operation::TagResource, false),
    row("UntagResource", Operation::UntagResource, false),
    row("ListResourceTags", Operation::ListResourceTags, true),
    row("GetKeyPolicy", Operation::GetKeyPolicy, true),
    row("PutKeyPolicy", Operation::PutKeyPolicy, false),
    row("ListKeyPolicies", Operation::ListKeyPolicies, true),
    row("EnableKeyRotation", Operation::EnableKeyRotation, false),
    row("DisableKeyRotation", Operation::DisableKeyRotation, false),
    row("GetKeyRotationStatus", Operation::GetKeyRotationStatus, true),
    row("RotateKeyOnDemand", Operation::RotateKeyOnDemand, false),
    row("ListKeyRotations", Operation::ListKeyRotations, true),
    row("Sign", Operation::Sign, true),
    row("Verify", Operation::Verify, true),
    row("GetPublicKey", Operation::GetPublicKey, true),
    row("GenerateMac", Operation::GenerateMac, true),
    row("VerifyMac", Operation::VerifyMac, true),
    row("GenerateDataKeyPair", Operation::GenerateDataKeyPair, true),
    row(
        "GenerateDataKeyPairWithoutPlaintext",
        Operation::GenerateDataKeyPairWithoutPlaintext,
        true,
    ),
    row("DeriveSharedSecret", Operation::DeriveSharedSecret, true),
    row("Encapsulate", Operation::Encapsulate, true),
    row("Decapsulate", Operation::Decapsulate, true),
    row("GetParametersForImport", Operation::GetParametersForImport, true),
    row("ImportKeyMaterial", Operation::ImportKeyMaterial, false),
    row("DeleteImportedKeyMaterial", Operation::DeleteImportedKeyMaterial, false),
    row("CreateGrant", Operation::CreateGrant, false),
    row("ListGrants", Operation::ListGrants, true),
    row("ListRetirableGrants", Operation::ListRetirableGrants, true),
    row("RetireGrant", Operation::RetireGrant, false),
    row("RevokeGrant", Operation::RevokeGrant, false),
    row("ReplicateKey", Operation::ReplicateKey, false),
    row("UpdatePrimaryRegion", Operation::UpdatePrimaryRegion, false),
    row("GetKeyLastUsage", Operation::GetKeyLastUsage, true),
];

/// KMS as the registry sees it.
pub static DESCRIPTOR: Descriptor = Descriptor {
    name: "kms",
    signing_names: &["kms"],
    bindings: &[Binding::AwsJson { target_prefix: "TrentService" }],
    internal_error_code: "KMSInternalException",
    error_message_member: "message",
    operations: &OPERATIONS,
};

/// The KMS service on the registry.
pub struct KmsApi(pub Arc<KmsService>);

/// The one mapping from KMS errors to what clients see.
fn api_error(error: KmsError) -> ApiError {
    ApiError::new(error.code(), error.status(), error.to_string())
}

macro_rules! dispatch {
    ($kms:expr, $call:expr, { $($name:literal => $method:ident),* $(,)? }) => {
        match $call.operation.name {
            $(
                $name => {
                    let output = $kms.$method($call.caller, $call.input.decode()?).await.map_err(api_error)?;
                    $call.input.reply(&output)
                }
            )*
            other => Err(ApiError::unknown_operation(other)),
        }
    };
}

#[async_trait::async_trait]
impl Service for KmsApi {
    fn descriptor(&self) -> &'static Descriptor {
        &DESCRIPTOR
    }

    async fn call(&self, call: Call<'_>) -> Result<Reply, ApiError> {
        dispatch!(self.0, call, {
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
            "Sign" => sign,
            "Verify" => verify,
            "GetPublicKey" => get_public_key,
            "GenerateMac" => generate_mac,
            "VerifyMac" => verify_mac,
            "GenerateDataKeyPair" => generate_data_key_pair,
            "GenerateDataKeyPairWithoutPlaintext" => generate_data_key_pair_without_plaintext,
            "DeriveSharedSecret" => derive_shared_secret,
            "Encapsulate" => encapsulate,
            "Decapsulate" => decapsulate,
            "GetParametersForImport" => get_parameters_for_import,
            "ImportKeyMaterial" => import_key_material,
            "DeleteImportedKeyMaterial" => delete_imported_key_material,
            "CreateGrant" => create_grant,
            "ListGrants" => list_grants,
            "ListRetirableGrants" => list_retirable_grants,
            "RetireGrant" => retire_grant,
            "RevokeGrant" => revoke_grant,
            "ReplicateKey" => replicate_key,
            "UpdatePrimaryRegion" => update_primary_region,
            "GetKeyLastUsage" => get_key_last_usage,
        })
    }

    fn sealed_owners(&self) -> Vec<&dyn SealedOwner> {
        vec![&*self.0]
    }

    fn job_kinds(&self) -> &'static [&'static str] {
        crate::JOB_KINDS
    }

    async fn run_job(&self, job: &Job) -> Result<(), ApiError> {
        self.0.run_job(job).await.map_err(api_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_names_a_kms_action() {
        for row in DESCRIPTOR.operations {
            assert!(row.action.starts_with("kms:"), "{}", row.name);
            for secret in [
                "Plaintext",
                "Message",
                "Mac",
                "Signature",
                "SharedSecret",
                "ImportToken",
                "EncryptedKeyMaterial",
            ] {
                assert!(!row.audit_members.contains(&secret), "{} {secret}", row.name);
            }
        }
    }
}
