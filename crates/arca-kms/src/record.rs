//! How a KMS key is kept in the store, and how it is shown to clients.

use arca_seal::SealedBytes;
use serde::{Deserialize, Serialize};

use crate::{
    api::{KeyMetadata, MultiRegionConfiguration, MultiRegionKey},
    spec::{self, KeyKind},
    wire::{Tag, Timestamp},
};

/// Store table of key records, keyed by key id.
pub const KEYS: &str = "kms.keys";
/// Store table indexing keys by `ACCOUNT/REGION/KEYID` for listing.
pub const ACCOUNT_KEYS: &str = "kms.account-keys";
/// Store table of aliases, keyed by `ACCOUNT/REGION/alias/NAME`.
pub const ALIASES: &str = "kms.aliases";

/// The lifecycle states of a key, as AWS names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    /// Usable.
    Enabled,
    /// Not usable until enabled.
    Disabled,
    /// Waiting to be deleted.
    PendingDeletion,
    /// An EXTERNAL key without its key material (never imported, deleted or expired).
    PendingImport,
    /// A multi-Region replica being made (a job enables it a moment later).
    Creating,
}

impl KeyState {
    /// The name AWS sends.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion => "PendingDeletion",
            KeyState::PendingImport => "PendingImport",
            KeyState::Creating => "Creating",
        }
    }
}

/// Who manages the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyManager {
    /// The account's users.
    Customer,
    /// Arca, on behalf of a service (`alias/aws/...`).
    Aws,
}

/// One version of a key's material.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyVersion {
    /// 1 for the original material, then one more per rotation.
    pub version: u32,
    /// A 64-hex-digit id (AWS's KeyMaterialId).
    pub material_id: String,
    /// When the version was made (Unix ms).
    pub created: i64,
    /// `None` for the original material, else AUTOMATIC or ON_DEMAND.
    pub rotation_type: Option<String>,
    /// The material sealed under the root key, bound to `ARN#version`: 32 bytes for a
    /// symmetric key, the HMAC key, or the private key (see `PrivateKey::to_private_bytes`).
    /// `None` once imported material was deleted or expired; re-importing the same
    /// material brings it back.
    pub sealed: Option<SealedBytes>,
    /// For imported material: KEY_MATERIAL_EXPIRES or KEY_MATERIAL_DOES_NOT_EXPIRE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<String>,
    /// For imported material that expires: when (Unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<i64>,
    /// For imported material: the caller's KeyMaterialDescription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl KeyVersion {
    /// A version of `material_id` made at `created`, sealed as `sealed`.
    pub fn new(version: u32, material_id: String, created: i64, sealed: SealedBytes) -> Self {
        Self {
            version,
            material_id,
            created,
            rotation_type: None,
            sealed: Some(sealed),
            expiration_model: None,
            valid_to: None,
            description: None,
        }
    }
}

/// Automatic rotation settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Rotation {
    /// Whether automatic rotation is on.
    pub enabled: bool,
    /// Period in days (90-2560).
    pub period_days: i64,
    /// When the next automatic rotation is due (Unix ms).
    pub next_rotation: Option<i64>,
}

/// A stored KMS key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyRecord {
    /// UUID.
    pub key_id: String,
    /// Full ARN.
    pub arn: String,
    /// Owning account.
    pub account_id: String,
    /// Region.
    pub region: String,
    /// Created (Unix ms).
    pub creation_date: i64,
    /// Description.
    pub description: String,
    /// ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, KEY_AGREEMENT or
    /// ENCAPSULATE_DECAPSULATE.
    pub key_usage: String,
    /// SYMMETRIC_DEFAULT, an asymmetric spec (RSA_2048, ECC_NIST_P256, ML_DSA_65, ...) or
    /// an HMAC spec.
    pub key_spec: String,
    /// AWS_KMS.
    pub origin: String,
    /// Customer or AWS managed.
    pub key_manager: KeyManager,
    /// Lifecycle state.
    pub state: KeyState,
    /// When a pending deletion completes (Unix ms).
    pub deletion_date: Option<i64>,
    /// The waiting period of a pending deletion.
    pub pending_window_days: Option<i64>,
    /// Key policy JSON, as the caller wrote it.
    pub policy: String,
    /// Tags, in insertion order.
    pub tags: Vec<Tag>,
    /// Automatic rotation.
    pub rotation: Rotation,
    /// Every version of the material; the last one encrypts.
    pub versions: Vec<KeyVersion>,
    /// For a multi-Region key: where its primary and replicas are (the same on every
    /// member of the set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_region: Option<MultiRegion>,
    /// Imported material waiting for RotateKeyOnDemand to make it current
    /// (ImportType NEW_KEY_MATERIAL on a key that has material).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_import: Option<KeyVersion>,
}

/// The key material id of `material` given to key `key_id` (imported or seeded): keyed
/// by the material, so the id reveals nothing of it, and the same material in the same
/// key always has the same id.
pub(crate) fn material_id(key_id: &str, material: &arca_crypto::SecretBytes) -> String {
    let label = format!("arca kms key material id\0{key_id}");
    hex::encode(arca_crypto::hmac::sha256(material.expose_secret(), label.as_bytes()))
}

/// The regions of a multi-Region key set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiRegion {
    /// The primary key's region.
    pub primary_region: String,
    /// The replicas' regions, in the order they were made.
    pub replica_regions: Vec<String>,
}

/// The store key of a key record: its id, and for a multi-Region key also its region,
/// since the primary and its replicas share one id.
pub fn store_key(key_id: &str, region: &str) -> String {
    if is_multi_region_id(key_id) { format!("{key_id}@{region}") } else { key_id.to_string() }
}

/// Whether a key id is a multi-Region one (`mrk-` and 32 hex digits).
pub fn is_multi_region_id(key_id: &str) -> bool {
    key_id.starts_with("mrk-")
}

impl KeyRecord {
    /// Where the record is stored (see [`store_key`]).
    pub fn store_key(&self) -> String {
        store_key(&self.key_id, &self.region)
    }

    /// What ciphertexts are bound to: the key ARN, or for a multi-Region key its ARN
    /// without the region, so that every member of the set opens them.
    pub fn ciphertext_binding(&self) -> std::borrow::Cow<'_, str> {
        if self.multi_region.is_some() {
            format!("arn:aws:kms::{}:key/{}", self.account_id, self.key_id).into()
        } else {
            self.arn.as_str().into()
        }
    }

    /// The metadata of the multi-Region set, as DescribeKey shows it.
    fn multi_region_configuration(&self) -> Option<MultiRegionConfiguration> {
        let set = self.multi_region.as_ref()?;
        let member = |region: &str| MultiRegionKey {
            arn: Some(format!("arn:aws:kms:{region}:{}:key/{}", self.account_id, self.key_id)),
            region: Some(region.to_string()),
        };
        Some(MultiRegionConfiguration {
            multi_region_key_type: Some(
                if set.primary_region == self.region { "PRIMARY" } else { "REPLICA" }.into(),
            ),
            primary_key: Some(member(&set.primary_region)),
            replica_keys: Some(set.replica_regions.iter().map(|r| member(r)).collect()),
        })
    }

    /// The version used to encrypt.
    pub fn current_version(&self) -> Option<&KeyVersion> {
        self.versions.last()
    }

    /// Whether the current version's material is there (imported material can be
    /// deleted or expire).
    pub fn has_current_material(&self) -> bool {
        self.current_version().is_some_and(|version| version.sealed.is_some())
    }

    /// AAD binding sealed material to this key and version.
    pub fn material_aad(arn: &str, version: u32) -> Vec<u8> {
        format!("{arn}#{version}").into_bytes()
    }

    /// What kind of key the spec names (every stored spec is one Arca offers).
    pub(crate) fn kind(&self) -> Option<KeyKind> {
        KeyKind::of(&self.key_spec)
    }

    /// The metadata DescribeKey returns.
    pub fn metadata(&self) -> KeyMetadata {
        let kind = self.kind();
        let algorithms =
            kind.map(|kind| spec::algorithms(kind, &self.key_usage)).unwrap_or_default();
        KeyMetadata {
            aws_account_id: Some(self.account_id.clone()),
            key_id: Some(self.key_id.clone()),
            arn: Some(self.arn.clone()),
            creation_date: Some(Timestamp(self.creation_date)),
            enabled: Some(self.state == KeyState::Enabled),
            description: Some(self.description.clone()),
            key_usage: Some(self.key_usage.clone()),
            key_state: Some(self.state.as_str().to_string()),
            deletion_date: self.deletion_date.map(Timestamp),
            origin: Some(self.origin.clone()),
            key_manager: Some(
                match self.key_manager {
                    KeyManager::Customer => "CUSTOMER",
                    KeyManager::Aws => "AWS",
                }
                .to_string(),
            ),
            customer_master_key_spec: Some(self.key_spec.clone()),
            key_spec: Some(self.key_spec.clone()),
            encryption_algorithms: algorithms.encryption,
            signing_algorithms: algorithms.signing,
            mac_algorithms: algorithms.mac,
            key_agreement_algorithms: algorithms.key_agreement,
            encapsulation_algorithms: algorithms.encapsulation,
            multi_region: Some(self.multi_region.is_some()),
            multi_region_configuration: self.multi_region_configuration(),
            pending_deletion_window_in_days: self.pending_window_days,
            expiration_model: self
                .current_version()
                .filter(|v| v.sealed.is_some())
                .and_then(|v| v.expiration_model.clone()),
            valid_to: self
                .current_version()
                .filter(|v| v.sealed.is_some())
                .and_then(|v| v.valid_to)
                .map(Timestamp),
            // AWS shows the current material only for symmetric encryption keys, and
            // not while a replica is being made.
            current_key_material_id: (kind == Some(KeyKind::Symmetric)
                && self.state != KeyState::Creating)
                .then(|| self.current_version().map(|v| v.material_id.clone()))
                .flatten(),
        }
    }
}

/// Store table of grants, keyed by `KEYID/GRANTID`.
pub const GRANTS: &str = "kms.grants";
/// Store table indexing grants by retiring principal: `PRINCIPAL|KEYID/GRANTID`.
pub const RETIRABLE_GRANTS: &str = "kms.retirable-grants";

/// A stored grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRecord {
    /// 64 hex digits.
    pub grant_id: String,
    /// The key's id.
    pub key_id: String,
    /// The caller's name for it (CreateGrant is idempotent per name).
    pub name: Option<String>,
    /// Created (Unix ms).
    pub creation_date: i64,
    /// Who may use it.
    pub grantee_principal: String,
    /// Who may retire it.
    pub retiring_principal: Option<String>,
    /// `arn:aws:iam::ACCOUNT:root` of the creator's account.
    pub issuing_account: String,
    /// The operations it allows.
    pub operations: Vec<String>,
    /// Encryption context the request must carry exactly.
    pub context_equals: Option<std::collections::BTreeMap<String, String>>,
    /// Encryption context pairs the request must include.
    pub context_subset: Option<std::collections::BTreeMap<String, String>>,
}

/// A stored alias.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AliasRecord {
    /// `alias/NAME`.
    pub alias_name: String,
    /// The key id it points to.
    pub target_key_id: String,
    /// Created (Unix ms).
    pub creation_date: i64,
    /// Last retargeted (Unix ms).
    pub last_updated_date: i64,
}

/// `ACCOUNT/REGION/` — the prefix of an account's index and alias entries.
pub fn scope_prefix(account_id: &str, region: &str) -> String {
    format!("{account_id}/{region}/")
}
