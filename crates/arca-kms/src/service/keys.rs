//! Key lifecycle: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, EnableKey,
//! DisableKey, ScheduleKeyDeletion, CancelKeyDeletion.

use arca_crypto::{SecretBytes, asymmetric::PrivateKey};
use arca_gate::Caller;
use arca_store::{Precondition, Write};

use super::{KmsService, jobs::DELETE_JOB};
use crate::{
    KmsError,
    api::{
        CreateKeyRequest, Empty, KeyIdRequest, KeyIdResponse, KeyListEntry, KeyMetadataResponse,
        ListKeysRequest, ListKeysResponse, ScheduleKeyDeletionRequest, ScheduleKeyDeletionResponse,
        UpdateKeyDescriptionRequest,
    },
    operation::Operation,
    paging::{Page, decode_marker},
    record::{
        ACCOUNT_KEYS, KEYS, KeyManager, KeyRecord, KeyState, KeyVersion, MultiRegion, Rotation,
        scope_prefix,
    },
    spec::{self, KeyKind, SYMMETRIC_DEFAULT},
    validate::{self, Validator},
};

const DAY_MS: i64 = 86_400_000;

/// The spec, usage and first material of a key being made; no material for a key of
/// EXTERNAL origin, whose material the caller imports.
pub(super) struct NewMaterial {
    spec: String,
    usage: String,
    secret: Option<SecretBytes>,
}

impl NewMaterial {
    /// Fresh symmetric encryption material.
    pub(super) fn symmetric() -> Self {
        Self {
            spec: SYMMETRIC_DEFAULT.into(),
            usage: spec::ENCRYPT_DECRYPT.into(),
            secret: Some(SecretBytes::random(32)),
        }
    }

    /// A key of EXTERNAL origin, pending import.
    fn external(spec: String, usage: String) -> Self {
        Self { spec, usage, secret: None }
    }

    /// Fresh material of any kind; key pairs are generated on the blocking pool (an
    /// RSA 4096 key takes up to seconds).
    async fn generate(kind: KeyKind, spec: String, usage: String) -> Result<Self, KmsError> {
        let secret = match kind {
            KeyKind::Symmetric => SecretBytes::random(32),
            KeyKind::Hmac(hmac) => SecretBytes::random(hmac.key_len()),
            KeyKind::Pair(pair) => tokio::task::spawn_blocking(move || {
                PrivateKey::generate(pair)
                    .and_then(|private| private.to_private_bytes())
                    .map_err(|e| KmsError::internal("generate key pair", e))
            })
            .await
            .map_err(|e| KmsError::internal("generate task", e))??,
        };
        Ok(Self { spec, usage, secret: Some(secret) })
    }
}

impl KmsService {
    /// CreateKey: a symmetric, asymmetric or HMAC key with AWS_KMS origin.
    pub async fn create_key(
        &self,
        caller: &Caller,
        input: CreateKeyRequest,
    ) -> Result<KeyMetadataResponse, KmsError> {
        let mut v = Validator::new();
        v.length("policy", input.policy.as_ref(), 1, 131_072);
        v.chars("policy", input.policy.as_ref(), "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+", |c| {
            matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}')
        });
        v.length("description", input.description.as_ref(), 0, 8192);
        v.one_of(
            "keyUsage",
            input.key_usage.as_ref(),
            &[
                "SIGN_VERIFY",
                "ENCRYPT_DECRYPT",
                "GENERATE_VERIFY_MAC",
                "KEY_AGREEMENT",
                "ENCAPSULATE_DECAPSULATE",
            ],
        );
        v.one_of("keySpec", input.key_spec.as_ref(), spec::KEY_SPECS);
        // CustomerMasterKeySpec is the older enum: the first 13 values.
        v.one_of(
            "customerMasterKeySpec",
            input.customer_master_key_spec.as_ref(),
            &spec::KEY_SPECS[..13],
        );
        v.one_of(
            "origin",
            input.origin.as_ref(),
            &["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"],
        );
        v.length("customKeyStoreId", input.custom_key_store_id.as_ref(), 1, 64);
        super::tags::validate_tags(&mut v, input.tags.as_ref());
        v.finish()?;

        self.authorize_account(caller, Operation::CreateKey)?;

        if input.key_spec.is_some() && input.customer_master_key_spec.is_some() {
            return Err(KmsError::Validation(
                "You cannot specify KeySpec and CustomerMasterKeySpec in the same request.".into(),
            ));
        }
        let key_spec = input
            .key_spec
            .or(input.customer_master_key_spec)
            .unwrap_or_else(|| "SYMMETRIC_DEFAULT".into());
        if key_spec != SYMMETRIC_DEFAULT && input.key_usage.is_none() {
            return Err(KmsError::Validation(
                "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
                    .into(),
            ));
        }
        let Some(kind) = KeyKind::of(&key_spec) else {
            return Err(KmsError::UnsupportedOperation(format!(
                "KeySpec {key_spec} is not supported by this server."
            )));
        };
        let key_usage = input.key_usage.unwrap_or_else(|| spec::ENCRYPT_DECRYPT.into());
        if !kind.usages().contains(&key_usage.as_str()) {
            return Err(KmsError::Validation(format!(
                "KeyUsage {key_usage} is not compatible with KeySpec {key_spec}"
            )));
        }
        let origin = input.origin.unwrap_or_else(|| "AWS_KMS".into());
        if origin != "AWS_KMS" && origin != "EXTERNAL" {
            return Err(KmsError::UnsupportedOperation(format!(
                "Origin {origin} is not supported yet."
            )));
        }
        if input.custom_key_store_id.is_some() {
            return Err(KmsError::UnsupportedOperation(
                "Custom key stores are not supported yet.".into(),
            ));
        }
        let tags = input.tags.unwrap_or_default();
        super::tags::check_tag_rules(&tags)?;

        let multi_region = input.multi_region == Some(true);
        let key_id = if multi_region {
            crate::blob::new_multi_region_id()
        } else {
            uuid::Uuid::new_v4().to_string()
        };
        let arn = format!("arn:aws:kms:{}:{}:key/{key_id}", caller.region(), caller.account_id());
        let policy_text = super::policy::new_key_policy(
            caller,
            &arn,
            caller.account_id(),
            input.policy,
            input.bypass_policy_lockout_safety_check,
        )?;
        let material = if origin == "EXTERNAL" {
            NewMaterial::external(key_spec, key_usage)
        } else {
            NewMaterial::generate(kind, key_spec, key_usage).await?
        };
        let mut record = self.new_record(
            key_id,
            arn,
            caller.account_id(),
            caller.region(),
            input.description.unwrap_or_default(),
            KeyManager::Customer,
            policy_text,
            tags,
            material,
        )?;
        if multi_region {
            record.multi_region = Some(MultiRegion {
                primary_region: caller.region().to_string(),
                replica_regions: Vec::new(),
            });
        }
        self.insert_record(&record).await?;
        Ok(KeyMetadataResponse { key_metadata: Some(record.metadata()) })
    }

    /// A new record with fresh material sealed under the root key.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new_record(
        &self,
        key_id: String,
        arn: String,
        account_id: &str,
        region: &str,
        description: String,
        key_manager: KeyManager,
        policy: String,
        tags: Vec<crate::wire::Tag>,
        material: NewMaterial,
    ) -> Result<KeyRecord, KmsError> {
        let now = self.now_ms();
        let versions = match &material.secret {
            Some(secret) => vec![self.seal_version(&arn, 1, now, None, secret)?],
            None => Vec::new(),
        };
        let (origin, state) = match material.secret {
            Some(_) => ("AWS_KMS", KeyState::Enabled),
            None => ("EXTERNAL", KeyState::PendingImport),
        };
        Ok(KeyRecord {
            key_id,
            arn,
            account_id: account_id.to_string(),
            region: region.to_string(),
            creation_date: now,
            description,
            key_usage: material.usage,
            key_spec: material.spec,
            origin: origin.into(),
            key_manager,
            state,
            deletion_date: None,
            pending_window_days: None,
            policy,
            tags,
            rotation: Rotation { enabled: false, period_days: 365, next_rotation: None },
            versions,
            pending_import: None,
            multi_region: None,
        })
    }

    /// Fresh 256-bit material for `version` of a symmetric key, sealed and bound to
    /// the key's ARN.
    pub(super) fn new_version(
        &self,
        arn: &str,
        version: u32,
        now: i64,
        rotation_type: Option<&str>,
    ) -> Result<KeyVersion, KmsError> {
        self.seal_version(arn, version, now, rotation_type, &SecretBytes::random(32))
    }

    /// `material` as `version` of the key, sealed and bound to the key's ARN.
    fn seal_version(
        &self,
        arn: &str,
        version: u32,
        now: i64,
        rotation_type: Option<&str>,
        material: &SecretBytes,
    ) -> Result<KeyVersion, KmsError> {
        let sealed =
            self.keyring.seal(&KeyRecord::material_aad(arn, version), material.expose_secret())?;
        let mut sealed_version =
            KeyVersion::new(version, hex::encode(arca_crypto::random::bytes(32)), now, sealed);
        sealed_version.rotation_type = rotation_type.map(str::to_string);
        Ok(sealed_version)
    }

    pub(super) async fn insert_record(&self, record: &KeyRecord) -> Result<(), KmsError> {
        let value = serde_json::to_vec(record).map_err(|e| KmsError::internal("encode key", e))?;
        self.store
            .commit(vec![
                Write::put(KEYS, &record.store_key(), value, Precondition::Absent),
                Write::put(
                    ACCOUNT_KEYS,
                    &Self::index_key(record),
                    Vec::new(),
                    Precondition::Absent,
                ),
            ])
            .await?;
        Ok(())
    }

    /// DescribeKey.
    pub async fn describe_key(
        &self,
        caller: &Caller,
        input: KeyIdRequest,
    ) -> Result<KeyMetadataResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        validate::grant_tokens(&mut v, input.grant_tokens.as_ref());
        v.finish()?;
        let key = self
            .authorized_key(
                caller,
                input.key_id.as_deref().unwrap_or_default(),
                Operation::DescribeKey,
                None,
            )
            .await?;
        Ok(KeyMetadataResponse { key_metadata: Some(key.record.metadata()) })
    }

    /// ListKeys: the caller's keys in this region, in id order.
    pub async fn list_keys(
        &self,
        caller: &Caller,
        input: ListKeysRequest,
    ) -> Result<ListKeysResponse, KmsError> {
        let mut v = Validator::new();
        validate::paging(&mut v, input.limit, input.marker.as_ref());
        v.finish()?;
        self.authorize_account(caller, Operation::ListKeys)?;
        let prefix = scope_prefix(caller.account_id(), caller.region());
        let start_after = decode_marker(input.marker.as_deref(), &prefix)?;
        let limit = input.limit.unwrap_or(100) as usize;
        let rows =
            self.store.list(ACCOUNT_KEYS, &prefix, start_after.as_deref(), limit + 1).await?;
        let page = Page::new(rows, limit, |row| row.key.clone());
        Ok(ListKeysResponse {
            keys: Some(
                page.items
                    .iter()
                    .map(|row| {
                        let key_id = row.key[prefix.len()..].to_string();
                        KeyListEntry {
                            key_arn: Some(format!(
                                "arn:aws:kms:{}:{}:key/{key_id}",
                                caller.region(),
                                caller.account_id()
                            )),
                            key_id: Some(key_id),
                        }
                    })
                    .collect(),
            ),
            next_marker: page.next_marker,
            truncated: Some(page.truncated),
        })
    }

    /// UpdateKeyDescription.
    pub async fn update_key_description(
        &self,
        caller: &Caller,
        input: UpdateKeyDescriptionRequest,
    ) -> Result<Empty, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.required("description", &input.description);
        v.length("description", input.description.as_ref(), 0, 8192);
        v.finish()?;
        let key = self
            .authorized_key(
                caller,
                input.key_id.as_deref().unwrap_or_default(),
                Operation::UpdateKeyDescription,
                None,
            )
            .await?;
        Self::check_customer_managed(&key.record)?;
        Self::check_not_pending_deletion(&key.record)?;
        let description = input.description.unwrap_or_default();
        self.update_key(&key.record.store_key(), |record, _| {
            record.description = description.clone();
            Ok(Vec::new())
        })
        .await?;
        Ok(Empty {})
    }

    /// EnableKey.
    pub async fn enable_key(
        &self,
        caller: &Caller,
        input: KeyIdRequest,
    ) -> Result<Empty, KmsError> {
        self.set_enabled(caller, input, true).await
    }

    /// DisableKey.
    pub async fn disable_key(
        &self,
        caller: &Caller,
        input: KeyIdRequest,
    ) -> Result<Empty, KmsError> {
        self.set_enabled(caller, input, false).await
    }

    async fn set_enabled(
        &self,
        caller: &Caller,
        input: KeyIdRequest,
        enable: bool,
    ) -> Result<Empty, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.finish()?;
        let operation = if enable { Operation::EnableKey } else { Operation::DisableKey };
        let key = self
            .authorized_key(caller, input.key_id.as_deref().unwrap_or_default(), operation, None)
            .await?;
        Self::check_customer_managed(&key.record)?;
        self.update_key(&key.record.store_key(), |record, _| {
            Self::check_not_pending_deletion(record)?;
            if record.state == KeyState::PendingImport {
                return Err(KmsError::InvalidState(format!("{} is pending import.", record.arn)));
            }
            record.state = if enable { KeyState::Enabled } else { KeyState::Disabled };
            Ok(Vec::new())
        })
        .await?;
        Ok(Empty {})
    }

    /// ScheduleKeyDeletion: 7-30 days (default 30); a job deletes the key when due.
    pub async fn schedule_key_deletion(
        &self,
        caller: &Caller,
        input: ScheduleKeyDeletionRequest,
    ) -> Result<ScheduleKeyDeletionResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.range("pendingWindowInDays", input.pending_window_in_days, 1, 365);
        v.finish()?;
        let days = input.pending_window_in_days.unwrap_or(30);
        if !(7..=30).contains(&days) {
            return Err(KmsError::Validation(format!(
                "PendingWindowInDays must be between 7 and 30, but was {days}."
            )));
        }
        let key = self
            .authorized_key(
                caller,
                input.key_id.as_deref().unwrap_or_default(),
                Operation::ScheduleKeyDeletion,
                None,
            )
            .await?;
        Self::check_customer_managed(&key.record)?;
        let record = self
            .update_key(&key.record.store_key(), |record, now| {
                Self::check_not_pending_deletion(record)?;
                if super::multi_region::is_primary(record)
                    && record.multi_region.as_ref().is_some_and(|set| !set.replica_regions.is_empty())
                {
                    return Err(KmsError::UnsupportedOperation(format!(
                        "{} is a multi-Region primary key with replicas; delete its replicas first, or make another region primary with UpdatePrimaryRegion.",
                        record.arn
                    )));
                }
                record.state = KeyState::PendingDeletion;
                record.deletion_date = Some(now + days * DAY_MS);
                record.pending_window_days = Some(days);
                Ok(Vec::new())
            })
            .await?;
        let due = record.deletion_date.unwrap_or_default();
        self.store
            .schedule_job(
                &format!("{DELETE_JOB}/{}", record.store_key()),
                DELETE_JOB,
                due,
                record.store_key().as_bytes(),
            )
            .await?;
        Ok(ScheduleKeyDeletionResponse {
            key_id: Some(record.arn.clone()),
            deletion_date: Some(crate::wire::Timestamp(due)),
            key_state: Some(record.state.as_str().into()),
            pending_window_in_days: Some(days),
        })
    }

    /// CancelKeyDeletion: the key returns in the Disabled state, as in AWS.
    pub async fn cancel_key_deletion(
        &self,
        caller: &Caller,
        input: KeyIdRequest,
    ) -> Result<KeyIdResponse, KmsError> {
        let key = self.key_for_action(caller, &input.key_id, Operation::CancelKeyDeletion).await?;
        let record = self
            .update_key(&key.record.store_key(), |record, _| {
                if record.state != KeyState::PendingDeletion {
                    return Err(KmsError::InvalidState(format!(
                        "{} is not pending deletion.",
                        record.arn
                    )));
                }
                // A key without usable material goes back to waiting for its import.
                record.state = if record.has_current_material() {
                    KeyState::Disabled
                } else {
                    KeyState::PendingImport
                };
                record.deletion_date = None;
                record.pending_window_days = None;
                Ok(Vec::new())
            })
            .await?;
        self.store.cancel_job(&format!("{DELETE_JOB}/{}", record.store_key())).await?;
        Ok(KeyIdResponse { key_id: Some(record.arn) })
    }

    pub(super) fn check_not_pending_deletion(record: &KeyRecord) -> Result<(), KmsError> {
        if record.state == KeyState::PendingDeletion {
            return Err(KmsError::InvalidState(format!("{} is pending deletion.", record.arn)));
        }
        Ok(())
    }

    pub(super) fn check_customer_managed(record: &KeyRecord) -> Result<(), KmsError> {
        if record.key_manager == KeyManager::Aws {
            return Err(KmsError::UnsupportedOperation(format!(
                "{} is an AWS managed key; it cannot be changed.",
                record.arn
            )));
        }
        Ok(())
    }
}
