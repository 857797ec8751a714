//! What Secrets Manager keeps in the store: one metadata record per secret and one
//! record per version holding its value, envelope-encrypted under a KMS data key.
//!
//! Tables: `secrets.secrets` keyed `ACCOUNT|REGION|NAME` (names never contain `|`), and
//! `secrets.values` keyed `UID|VERSION`, where the uid is random per secret so that a
//! secret created again under a deleted one's name never meets its old values.

use serde::{Deserialize, Serialize};

use crate::{SecretsError, api::Tag};

/// The secrets table.
pub(crate) const SECRETS: &str = "secrets.secrets";
/// The values table.
pub(crate) const VALUES: &str = "secrets.values";

/// The staging label of the current version.
pub(crate) const CURRENT: &str = "AWSCURRENT";
/// The label of the version that was current before.
pub(crate) const PREVIOUS: &str = "AWSPREVIOUS";
/// The label of a version being rotated in.
pub(crate) const PENDING: &str = "AWSPENDING";

/// The store key of a secret.
pub(crate) fn secret_key(account: &str, region: &str, name: &str) -> String {
    format!("{account}|{region}|{name}")
}

/// The prefix of every secret of an account in a region.
pub(crate) fn secrets_prefix(account: &str, region: &str) -> String {
    format!("{account}|{region}|")
}

/// The store key of a version's value.
pub(crate) fn value_key(uid: &str, version_id: &str) -> String {
    format!("{uid}|{version_id}")
}

/// One secret's metadata.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub(crate) struct SecretRecord {
    /// Random; keys the values.
    pub uid: String,
    pub arn: String,
    pub name: String,
    pub account: String,
    pub region: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The key as the caller named it; `None` for `alias/aws/secretsmanager`.
    #[serde(default)]
    pub kms_key_id: Option<String>,
    #[serde(default)]
    pub secret_type: Option<String>,
    pub created_ms: i64,
    pub last_changed_ms: i64,
    /// The day (midnight UTC) of the last read, as AWS keeps it.
    #[serde(default)]
    pub last_accessed_ms: Option<i64>,
    #[serde(default)]
    pub last_rotated_ms: Option<i64>,
    /// When deletion was asked for, and when it is due.
    #[serde(default)]
    pub deleted_ms: Option<i64>,
    #[serde(default)]
    pub deletion_due_ms: Option<i64>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// True once tags were given or changed: AWS shows `Tags` from then on, even empty.
    #[serde(default)]
    pub tags_set: bool,
    /// Oldest first.
    #[serde(default)]
    pub versions: Vec<VersionMeta>,
    #[serde(default)]
    pub policy: Option<String>,
    /// The name PutResourcePolicy gave the policy.
    #[serde(default)]
    pub policy_name: Option<String>,
    #[serde(default)]
    pub rotation: Option<Rotation>,
    /// Regions this secret is replicated to (on the primary).
    #[serde(default)]
    pub replicas: Vec<Replica>,
    /// The primary's region, on a replica.
    #[serde(default)]
    pub primary_region: Option<String>,
    /// On a cross-account replica: the primary in another account it receives from.
    #[serde(default)]
    pub cross_account_primary: Option<CrossAccountLink>,
    /// On a primary: its replica in another account (AWS allows one).
    #[serde(default)]
    pub cross_account_replicas: Vec<CrossAccountLink>,
}

/// One end of a cross-account replication: the other secret's ARN and the state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct CrossAccountLink {
    pub arn: String,
    pub status: String,
    #[serde(default)]
    pub status_message: Option<String>,
    #[serde(default)]
    pub role_arn: Option<String>,
}

/// One version's metadata.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct VersionMeta {
    pub id: String,
    pub stages: Vec<String>,
    pub created_ms: i64,
    #[serde(default)]
    pub last_accessed_ms: Option<i64>,
    /// The ARN of the KMS key its data key is encrypted under.
    pub kms_key_arn: String,
    /// A version a rotation announced (labelled `AWSPENDING`) whose value the rotation
    /// function has not put yet.
    #[serde(default)]
    pub awaiting_value: bool,
}

/// Rotation settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Rotation {
    pub enabled: bool,
    #[serde(default)]
    pub lambda_arn: Option<String>,
    #[serde(default)]
    pub automatically_after_days: Option<i64>,
    #[serde(default)]
    pub schedule_expression: Option<String>,
    #[serde(default)]
    pub duration: Option<String>,
    /// The version a rotation in progress is creating.
    #[serde(default)]
    pub pending_version: Option<String>,
}

/// One replica region of a primary.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Replica {
    pub region: String,
    #[serde(default)]
    pub kms_key_id: Option<String>,
    pub status: String,
    #[serde(default)]
    pub status_message: Option<String>,
}

/// A version's value as stored: the KMS-encrypted data key, and the value sealed with
/// AES-256-GCM under that data key.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct StoredValue {
    /// KMS's `CiphertextBlob` of the data key.
    #[serde(with = "base64_bytes")]
    pub data_key: Vec<u8>,
    /// Nonce, ciphertext and tag.
    #[serde(with = "base64_bytes")]
    pub sealed: Vec<u8>,
    /// `SecretBinary` rather than `SecretString`.
    pub binary: bool,
}

mod base64_bytes {
    use base64::{Engine, engine::general_purpose::STANDARD};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

impl SecretRecord {
    /// The version carrying `stage`.
    pub(crate) fn version_with_stage(&self, stage: &str) -> Option<&VersionMeta> {
        self.versions.iter().find(|v| v.stages.iter().any(|s| s == stage))
    }

    /// The version `id`.
    pub(crate) fn version(&self, id: &str) -> Option<&VersionMeta> {
        self.versions.iter().find(|v| v.id == id)
    }

    /// True once DeleteSecret scheduled it.
    pub(crate) fn is_deleted(&self) -> bool {
        self.deleted_ms.is_some()
    }

    /// The record's store key.
    pub(crate) fn key(&self) -> String {
        secret_key(&self.account, &self.region, &self.name)
    }

    /// Serialises the record for the store.
    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>, SecretsError> {
        serde_json::to_vec(self).map_err(|_| SecretsError::Internal)
    }

    /// Reads a stored record.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, SecretsError> {
        serde_json::from_slice(bytes).map_err(|error| {
            tracing::error!(%error, "secrets: unreadable secret record");
            SecretsError::Internal
        })
    }
}

impl StoredValue {
    /// Serialises the value record.
    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>, SecretsError> {
        serde_json::to_vec(self).map_err(|_| SecretsError::Internal)
    }

    /// Reads a stored value record.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, SecretsError> {
        serde_json::from_slice(bytes).map_err(|_| SecretsError::Internal)
    }
}
