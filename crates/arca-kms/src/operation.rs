//! The KMS operations as the authorisation layer sees them: each one's IAM action and
//! whether AWS lets it act on a key of another account. Every authorisation in this
//! crate names an [`Operation`], so a new operation cannot skip the decision.
//!
//! Cross-account use follows the "Cross-account use" line of each operation in the
//! AWS KMS API reference (and the list in the developer guide's "Allowing users in
//! other accounts to use a KMS key"): Yes for CreateGrant, Decrypt,
//! DeriveSharedSecret, DescribeKey, Encrypt, GenerateDataKey, GenerateDataKeyPair,
//! GenerateDataKeyPairWithoutPlaintext, GenerateDataKeyWithoutPlaintext, GenerateMac,
//! GetKeyRotationStatus, GetPublicKey, ListGrants, ReEncrypt, RetireGrant, RevokeGrant,
//! Sign, Verify and VerifyMac, and for Encapsulate and Decapsulate; No for every other
//! operation, whatever a key policy grants. Only the operations Arca serves are listed
//! here.

use arca_gate::CrossAccount;

/// A KMS operation that is authorised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    CancelKeyDeletion,
    CreateAlias,
    CreateGrant,
    CreateKey,
    Decapsulate,
    Decrypt,
    DeleteAlias,
    DeleteImportedKeyMaterial,
    DeriveSharedSecret,
    DescribeKey,
    DisableKey,
    DisableKeyRotation,
    EnableKey,
    EnableKeyRotation,
    Encapsulate,
    Encrypt,
    GenerateDataKey,
    GenerateDataKeyPair,
    GenerateDataKeyPairWithoutPlaintext,
    GenerateDataKeyWithoutPlaintext,
    GenerateMac,
    GenerateRandom,
    GetKeyPolicy,
    GetKeyLastUsage,
    GetKeyRotationStatus,
    GetParametersForImport,
    GetPublicKey,
    ImportKeyMaterial,
    ListAliases,
    ListGrants,
    ListKeyPolicies,
    ListKeyRotations,
    ListKeys,
    ListResourceTags,
    ListRetirableGrants,
    PutKeyPolicy,
    /// The source half of ReEncrypt.
    ReEncryptFrom,
    /// The destination half of ReEncrypt.
    ReEncryptTo,
    ReplicateKey,
    RetireGrant,
    RevokeGrant,
    RotateKeyOnDemand,
    ScheduleKeyDeletion,
    Sign,
    TagResource,
    UntagResource,
    UpdateAlias,
    UpdateKeyDescription,
    UpdatePrimaryRegion,
    Verify,
    VerifyMac,
}

impl Operation {
    /// The IAM action, e.g. `kms:Encrypt`.
    pub(crate) const fn action(self) -> &'static str {
        self.spec().0
    }

    /// The operation's name, as AWS words it in messages (`kms:` stripped).
    pub(crate) fn name(self) -> &'static str {
        let action = self.action();
        match action.strip_prefix("kms:") {
            Some(name) => name,
            None => action,
        }
    }

    /// Whether AWS allows the operation on a key of another account.
    pub(crate) const fn cross_account(self) -> CrossAccount {
        self.spec().1
    }

    /// The table: operation → (IAM action, cross-account use).
    const fn spec(self) -> (&'static str, CrossAccount) {
        use CrossAccount::{Allowed as Yes, SameAccountOnly as No};
        match self {
            Self::CancelKeyDeletion => ("kms:CancelKeyDeletion", No),
            Self::CreateAlias => ("kms:CreateAlias", No),
            Self::CreateGrant => ("kms:CreateGrant", Yes),
            Self::CreateKey => ("kms:CreateKey", No),
            Self::Decapsulate => ("kms:Decapsulate", Yes),
            Self::Decrypt => ("kms:Decrypt", Yes),
            Self::DeleteAlias => ("kms:DeleteAlias", No),
            Self::DeleteImportedKeyMaterial => ("kms:DeleteImportedKeyMaterial", No),
            Self::DeriveSharedSecret => ("kms:DeriveSharedSecret", Yes),
            Self::DescribeKey => ("kms:DescribeKey", Yes),
            Self::DisableKey => ("kms:DisableKey", No),
            Self::DisableKeyRotation => ("kms:DisableKeyRotation", No),
            Self::EnableKey => ("kms:EnableKey", No),
            Self::EnableKeyRotation => ("kms:EnableKeyRotation", No),
            Self::Encapsulate => ("kms:Encapsulate", Yes),
            Self::Encrypt => ("kms:Encrypt", Yes),
            Self::GenerateDataKey => ("kms:GenerateDataKey", Yes),
            Self::GenerateDataKeyPair => ("kms:GenerateDataKeyPair", Yes),
            Self::GenerateDataKeyPairWithoutPlaintext => {
                ("kms:GenerateDataKeyPairWithoutPlaintext", Yes)
            }
            Self::GenerateDataKeyWithoutPlaintext => ("kms:GenerateDataKeyWithoutPlaintext", Yes),
            Self::GenerateMac => ("kms:GenerateMac", Yes),
            Self::GenerateRandom => ("kms:GenerateRandom", No),
            Self::GetKeyPolicy => ("kms:GetKeyPolicy", No),
            Self::GetKeyLastUsage => ("kms:GetKeyLastUsage", No),
            Self::GetKeyRotationStatus => ("kms:GetKeyRotationStatus", Yes),
            Self::GetParametersForImport => ("kms:GetParametersForImport", No),
            Self::GetPublicKey => ("kms:GetPublicKey", Yes),
            Self::ImportKeyMaterial => ("kms:ImportKeyMaterial", No),
            Self::ListAliases => ("kms:ListAliases", No),
            Self::ListGrants => ("kms:ListGrants", Yes),
            Self::ListKeyPolicies => ("kms:ListKeyPolicies", No),
            Self::ListKeyRotations => ("kms:ListKeyRotations", No),
            Self::ListKeys => ("kms:ListKeys", No),
            Self::ListResourceTags => ("kms:ListResourceTags", No),
            Self::ListRetirableGrants => ("kms:ListRetirableGrants", No),
            Self::PutKeyPolicy => ("kms:PutKeyPolicy", No),
            Self::ReEncryptFrom => ("kms:ReEncryptFrom", Yes),
            Self::ReEncryptTo => ("kms:ReEncryptTo", Yes),
            Self::ReplicateKey => ("kms:ReplicateKey", No),
            Self::RetireGrant => ("kms:RetireGrant", Yes),
            Self::RevokeGrant => ("kms:RevokeGrant", Yes),
            Self::RotateKeyOnDemand => ("kms:RotateKeyOnDemand", No),
            Self::ScheduleKeyDeletion => ("kms:ScheduleKeyDeletion", No),
            Self::Sign => ("kms:Sign", Yes),
            Self::TagResource => ("kms:TagResource", No),
            Self::UntagResource => ("kms:UntagResource", No),
            Self::UpdateAlias => ("kms:UpdateAlias", No),
            Self::UpdateKeyDescription => ("kms:UpdateKeyDescription", No),
            Self::UpdatePrimaryRegion => ("kms:UpdatePrimaryRegion", No),
            Self::Verify => ("kms:Verify", Yes),
            Self::VerifyMac => ("kms:VerifyMac", Yes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_operations_aws_marks_cross_account_reach_other_accounts() {
        use Operation as O;
        let all = [
            O::CancelKeyDeletion,
            O::CreateAlias,
            O::CreateGrant,
            O::CreateKey,
            O::Decapsulate,
            O::Decrypt,
            O::DeleteAlias,
            O::DeleteImportedKeyMaterial,
            O::DeriveSharedSecret,
            O::DescribeKey,
            O::DisableKey,
            O::DisableKeyRotation,
            O::EnableKey,
            O::EnableKeyRotation,
            O::Encapsulate,
            O::Encrypt,
            O::GenerateDataKey,
            O::GenerateDataKeyPair,
            O::GenerateDataKeyPairWithoutPlaintext,
            O::GenerateDataKeyWithoutPlaintext,
            O::GenerateMac,
            O::GenerateRandom,
            O::GetKeyPolicy,
            O::GetKeyLastUsage,
            O::GetKeyRotationStatus,
            O::GetParametersForImport,
            O::GetPublicKey,
            O::ImportKeyMaterial,
            O::ListAliases,
            O::ListGrants,
            O::ListKeyPolicies,
            O::ListKeyRotations,
            O::ListKeys,
            O::ListResourceTags,
            O::ListRetirableGrants,
            O::PutKeyPolicy,
            O::ReEncryptFrom,
            O::ReEncryptTo,
            O::ReplicateKey,
            O::RetireGrant,
            O::RevokeGrant,
            O::RotateKeyOnDemand,
            O::ScheduleKeyDeletion,
            O::Sign,
            O::TagResource,
            O::UntagResource,
            O::UpdateAlias,
            O::UpdateKeyDescription,
            O::UpdatePrimaryRegion,
            O::Verify,
            O::VerifyMac,
        ];
        let cross: Vec<&str> = all
            .iter()
            .filter(|op| op.cross_account() == CrossAccount::Allowed)
            .map(|op| op.action())
            .collect();
        assert_eq!(
            cross,
            [
                "kms:CreateGrant",
                "kms:Decapsulate",
                "kms:Decrypt",
                "kms:DeriveSharedSecret",
                "kms:DescribeKey",
                "kms:Encapsulate",
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyPair",
                "kms:GenerateDataKeyPairWithoutPlaintext",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:GenerateMac",
                "kms:GetKeyRotationStatus",
                "kms:GetPublicKey",
                "kms:ListGrants",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
                "kms:RetireGrant",
                "kms:RevokeGrant",
                "kms:Sign",
                "kms:Verify",
                "kms:VerifyMac",
            ]
        );
        for op in all {
            assert_eq!(op.action().strip_prefix("kms:"), Some(format!("{op:?}").as_str()));
        }
    }
}
