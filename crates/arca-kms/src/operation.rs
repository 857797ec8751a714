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
//! Sign, Verify and VerifyMac; No for every other operation, whatever a key policy
//! grants. Only the operations Arca serves are listed here.

use arca_gate::CrossAccount;

/// A KMS operation that is authorised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    CancelKeyDeletion,
    CreateAlias,
    CreateKey,
    Decrypt,
    DeleteAlias,
    DescribeKey,
    DisableKey,
    DisableKeyRotation,
    EnableKey,
    EnableKeyRotation,
    Encrypt,
    GenerateDataKey,
    GenerateDataKeyWithoutPlaintext,
    GenerateRandom,
    GetKeyPolicy,
    GetKeyRotationStatus,
    ListAliases,
    ListKeyPolicies,
    ListKeyRotations,
    ListKeys,
    ListResourceTags,
    PutKeyPolicy,
    /// The source half of ReEncrypt.
    ReEncryptFrom,
    /// The destination half of ReEncrypt.
    ReEncryptTo,
    RotateKeyOnDemand,
    ScheduleKeyDeletion,
    TagResource,
    UntagResource,
    UpdateAlias,
    UpdateKeyDescription,
}

impl Operation {
    /// The IAM action, e.g. `kms:Encrypt`.
    pub(crate) const fn action(self) -> &'static str {
        self.spec().0
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
            Self::CreateKey => ("kms:CreateKey", No),
            Self::Decrypt => ("kms:Decrypt", Yes),
            Self::DeleteAlias => ("kms:DeleteAlias", No),
            Self::DescribeKey => ("kms:DescribeKey", Yes),
            Self::DisableKey => ("kms:DisableKey", No),
            Self::DisableKeyRotation => ("kms:DisableKeyRotation", No),
            Self::EnableKey => ("kms:EnableKey", No),
            Self::EnableKeyRotation => ("kms:EnableKeyRotation", No),
            Self::Encrypt => ("kms:Encrypt", Yes),
            Self::GenerateDataKey => ("kms:GenerateDataKey", Yes),
            Self::GenerateDataKeyWithoutPlaintext => ("kms:GenerateDataKeyWithoutPlaintext", Yes),
            Self::GenerateRandom => ("kms:GenerateRandom", No),
            Self::GetKeyPolicy => ("kms:GetKeyPolicy", No),
            Self::GetKeyRotationStatus => ("kms:GetKeyRotationStatus", Yes),
            Self::ListAliases => ("kms:ListAliases", No),
            Self::ListKeyPolicies => ("kms:ListKeyPolicies", No),
            Self::ListKeyRotations => ("kms:ListKeyRotations", No),
            Self::ListKeys => ("kms:ListKeys", No),
            Self::ListResourceTags => ("kms:ListResourceTags", No),
            Self::PutKeyPolicy => ("kms:PutKeyPolicy", No),
            Self::ReEncryptFrom => ("kms:ReEncryptFrom", Yes),
            Self::ReEncryptTo => ("kms:ReEncryptTo", Yes),
            Self::RotateKeyOnDemand => ("kms:RotateKeyOnDemand", No),
            Self::ScheduleKeyDeletion => ("kms:ScheduleKeyDeletion", No),
            Self::TagResource => ("kms:TagResource", No),
            Self::UntagResource => ("kms:UntagResource", No),
            Self::UpdateAlias => ("kms:UpdateAlias", No),
            Self::UpdateKeyDescription => ("kms:UpdateKeyDescription", No),
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
            O::CreateKey,
            O::Decrypt,
            O::DeleteAlias,
            O::DescribeKey,
            O::DisableKey,
            O::DisableKeyRotation,
            O::EnableKey,
            O::EnableKeyRotation,
            O::Encrypt,
            O::GenerateDataKey,
            O::GenerateDataKeyWithoutPlaintext,
            O::GenerateRandom,
            O::GetKeyPolicy,
            O::GetKeyRotationStatus,
            O::ListAliases,
            O::ListKeyPolicies,
            O::ListKeyRotations,
            O::ListKeys,
            O::ListResourceTags,
            O::PutKeyPolicy,
            O::ReEncryptFrom,
            O::ReEncryptTo,
            O::RotateKeyOnDemand,
            O::ScheduleKeyDeletion,
            O::TagResource,
            O::UntagResource,
            O::UpdateAlias,
            O::UpdateKeyDescription,
        ];
        let cross: Vec<&str> = all
            .iter()
            .filter(|op| op.cross_account() == CrossAccount::Allowed)
            .map(|op| op.action())
            .collect();
        assert_eq!(
            cross,
            [
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:GetKeyRotationStatus",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
            ]
        );
        for op in all {
            assert_eq!(op.action().strip_prefix("kms:"), Some(format!("{op:?}").as_str()));
        }
    }
}
