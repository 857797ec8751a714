//! A secret's life: CreateSecret, UpdateSecret, DeleteSecret (a recovery window, or at
//! once) and RestoreSecret.

use arca_api::{Operation, values::SecretBlob};
use arca_crypto::SecretBytes;
use arca_gate::Caller;
use arca_store::{Precondition, Write};

use super::{SecretsService, jobs, replication};
use crate::{
    SecretsError,
    api::{
        CreateSecretRequest, DeleteSecretRequest, DeleteSecretResponse, SecretIdRequest,
        SecretNameResponse, SecretText, SecretVersionResponse, UpdateSecretRequest,
    },
    envelope::{self, DEFAULT_KEY},
    names,
    record::{CURRENT, SECRETS, SecretRecord, VALUES, VersionMeta, secret_key, value_key},
    service::tags::validate_tags,
    stages,
    validate::{self, Validator},
};
use arca_api::values::Timestamp;

/// Days a deleted secret can be restored, by default.
const DEFAULT_RECOVERY_DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;

/// A value as a request gives it: text or binary, never both.
pub(crate) struct NewValue {
    pub bytes: SecretBytes,
    pub binary: bool,
}

impl NewValue {
    /// The request's value, if it carries one.
    pub(crate) fn from_request(
        string: Option<SecretText>,
        binary: Option<SecretBlob>,
    ) -> Result<Option<Self>, SecretsError> {
        match (string, binary) {
            (Some(_), Some(_)) => Err(SecretsError::InvalidParameter(
                "You can't specify both a binary secret value and a string secret value in the same secret."
                    .into(),
            )),
            (Some(text), None) => Ok(Some(Self { bytes: text.0, binary: false })),
            (None, Some(blob)) => Ok(Some(Self { bytes: blob.0, binary: true })),
            (None, None) => Ok(None),
        }
    }
}

/// Another account can never use a secret's AWS managed key (`aws/secretsmanager`
/// belongs to the secret's account), so AWS refuses before asking KMS.
pub(crate) fn check_key_reach(caller: &Caller, record: &SecretRecord) -> Result<(), SecretsError> {
    if record.kms_key_id.is_none() && caller.account_id() != record.account {
        return Err(SecretsError::InvalidRequest(
            "You can't access a secret from a different AWS account if you encrypt the secret with the default KMS service key."
                .into(),
        ));
    }
    Ok(())
}

/// The token a request that stores a value must carry (SDKs fill it in).
pub(crate) fn require_token(token: Option<&String>) -> Result<&str, SecretsError> {
    token.map(String::as_str).ok_or_else(|| {
        SecretsError::InvalidRequest(
            "You must provide a ClientRequestToken value. We recommend a UUID-type value.".into(),
        )
    })
}

impl SecretsService {
    /// Encrypts a new version of `record` and returns its metadata and the write that
    /// stores its value.
    pub(crate) async fn seal_version(
        &self,
        caller: &Caller,
        record: &SecretRecord,
        version_id: &str,
        value: &NewValue,
    ) -> Result<(VersionMeta, Write), SecretsError> {
        check_key_reach(caller, record)?;
        let key_id = record.kms_key_id.as_deref().unwrap_or(DEFAULT_KEY);
        let (stored, kms_key_arn) = envelope::seal(
            &self.peers,
            caller,
            key_id,
            &record.arn,
            version_id,
            &value.bytes,
            value.binary,
        )
        .await?;
        let meta = VersionMeta {
            id: version_id.to_string(),
            stages: Vec::new(),
            created_ms: self.now_ms(),
            last_accessed_ms: None,
            kms_key_arn,
            awaiting_value: false,
        };
        let write = Write::put(
            VALUES,
            &value_key(&record.uid, version_id),
            stored.to_bytes()?,
            Precondition::Absent,
        );
        Ok((meta, write))
    }

    /// Stores a new secret with `writes` (its first value) in one commit; a secret of
    /// the same name made first is AWS's ResourceExistsException.
    pub(crate) async fn insert_new(
        &self,
        record: &SecretRecord,
        mut writes: Vec<Write>,
    ) -> Result<(), SecretsError> {
        writes.insert(
            0,
            Write::put(SECRETS, &record.key(), record.to_bytes()?, Precondition::Absent),
        );
        match self.store.commit(writes).await {
            Ok(_) => Ok(()),
            Err(arca_store::StoreError::Conflict { .. }) => Err(SecretsError::Exists(format!(
                "The operation failed because the secret {} already exists.",
                record.name
            ))),
            Err(error) => Err(error.into()),
        }
    }

    /// CreateSecret.
    pub async fn create_secret(
        &self,
        caller: &Caller,
        row: &Operation,
        input: CreateSecretRequest,
    ) -> Result<SecretVersionResponse, SecretsError> {
        let mut v = Validator::new();
        v.required("name", &input.name);
        v.length("name", input.name.as_ref(), 1, 512);
        validate::token(&mut v, input.client_request_token.as_ref());
        v.length("description", input.description.as_ref(), 0, 2048);
        v.length("kmsKeyId", input.kms_key_id.as_ref(), 0, 2048);
        validate::value(&mut v, input.secret_string.as_ref(), input.secret_binary.as_ref());
        validate_tags(&mut v, input.tags.as_ref());
        v.finish()?;
        let name = input.name.clone().unwrap_or_default();
        names::check_name(&name)?;
        if input.cross_account_primary_a_r_n.is_some() {
            return self.create_cross_account_replica(caller, row, input).await;
        }
        if input.add_replica_regions.as_ref().is_some_and(|r| !r.is_empty()) {
            let replicas = input.add_replica_regions.clone().unwrap_or_default();
            let force = input.force_overwrite_replica_secret.unwrap_or(false);
            self.check_replica_regions(caller.region(), &replicas)?;
            let created = Box::pin(self.create_secret(
                caller,
                row,
                CreateSecretRequest { add_replica_regions: None, ..input },
            ))
            .await?;
            let key = secret_key(caller.account_id(), caller.region(), &name);
            let record = self.add_replicas(caller, &key, &replicas, force).await?;
            return Ok(SecretVersionResponse {
                replication_status: Some(replication::statuses(&record)),
                ..created
            });
        }
        let value = NewValue::from_request(input.secret_string, input.secret_binary)?;
        let token = match &value {
            Some(_) => Some(require_token(input.client_request_token.as_ref())?.to_string()),
            None => input.client_request_token.clone(),
        };
        let (account, region) = (caller.account_id(), caller.region());
        let key = secret_key(account, region, &name);
        let arn = names::new_arn(region, account, &name);
        let tags = input.tags.clone().unwrap_or_default();
        let request_tags: Vec<(String, &str)> = tags
            .iter()
            .filter_map(|tag| {
                Some((format!("aws:RequestTag/{}", tag.key.as_ref()?), tag.value.as_deref()?))
            })
            .collect();
        let request_tags: Vec<(&str, &str)> =
            request_tags.iter().map(|(key, value)| (key.as_str(), *value)).collect();
        self.authorize_resource(caller, row, &arn, account, None, &[], &request_tags)?;

        if let Some(stored) = self.store.get(SECRETS, &key).await? {
            let existing = SecretRecord::from_bytes(&stored.value)?;
            if existing.is_deleted() {
                return Err(SecretsError::InvalidRequest(
                    "You can't create this secret because a secret with this name is already scheduled for deletion."
                        .into(),
                ));
            }
            // The same request again (same token, same value) answers as the first did.
            if let (Some(token), Some(value)) = (&token, &value)
                && existing.version(token).is_some()
                && self.same_value(caller, &existing, token, value).await?
            {
                return Ok(SecretVersionResponse {
                    a_r_n: Some(existing.arn.clone()),
                    name: Some(existing.name.clone()),
                    version_id: Some(token.clone()),
                    ..Default::default()
                });
            }
            return Err(SecretsError::Exists(format!(
                "The operation failed because the secret {name} already exists."
            )));
        }

        let now = self.now_ms();
        let mut record = SecretRecord {
            uid: uuid::Uuid::new_v4().simple().to_string(),
            arn,
            name,
            account: account.to_string(),
            region: region.to_string(),
            description: input.description.filter(|d| !d.is_empty()),
            kms_key_id: input.kms_key_id.filter(|k| !k.is_empty()),
            secret_type: input.r#type,
            created_ms: now,
            last_changed_ms: now,
            tags_set: input.tags.is_some(),
            tags,
            ..Default::default()
        };
        let mut writes = Vec::new();
        let mut version_id = None;
        if let (Some(value), Some(token)) = (&value, &token) {
            let (mut meta, write) = self.seal_version(caller, &record, token, value).await?;
            meta.stages.push(CURRENT.to_string());
            record.versions.push(meta);
            writes.push(write);
            version_id = Some(token.clone());
        }
        self.insert_new(&record, writes).await?;
        Ok(SecretVersionResponse {
            a_r_n: Some(record.arn),
            name: Some(record.name),
            version_id,
            ..Default::default()
        })
    }

    /// UpdateSecret: description, key, type, and with a value a new current version.
    pub async fn update_secret(
        &self,
        caller: &Caller,
        row: &Operation,
        input: UpdateSecretRequest,
    ) -> Result<SecretVersionResponse, SecretsError> {
        let mut v = Validator::new();
        validate::secret_id(&mut v, &input.secret_id);
        validate::token(&mut v, input.client_request_token.as_ref());
        v.length("description", input.description.as_ref(), 0, 2048);
        v.length("kmsKeyId", input.kms_key_id.as_ref(), 0, 2048);
        validate::value(&mut v, input.secret_string.as_ref(), input.secret_binary.as_ref());
        v.finish()?;
        let value = NewValue::from_request(input.secret_string, input.secret_binary)?;
        let token = match &value {
            Some(_) => Some(require_token(input.client_request_token.as_ref())?.to_string()),
            None => None,
        };
        let loaded =
            self.find_live(caller, input.secret_id.as_deref().unwrap_or_default(), row).await?;
        let mut sealed = None;
        if let (Some(value), Some(token)) = (&value, &token) {
            if loaded.record.version(token).is_some() {
                if self.same_value(caller, &loaded.record, token, value).await? {
                    return Ok(SecretVersionResponse {
                        a_r_n: Some(loaded.record.arn.clone()),
                        name: Some(loaded.record.name.clone()),
                        version_id: Some(token.clone()),
                        ..Default::default()
                    });
                }
                return Err(SecretsError::Exists(
                    "You can't modify an existing version, you can only create a new version."
                        .into(),
                ));
            }
            // A new key applies to this version already.
            let mut keyed = loaded.record.clone();
            if let Some(key) = &input.kms_key_id {
                keyed.kms_key_id = Some(key.clone()).filter(|k| !k.is_empty());
            }
            sealed = Some(self.seal_version(caller, &keyed, token, value).await?);
        }
        let (record, _) = self
            .update(&loaded.record.key(), |record, now| {
                if record.uid != loaded.record.uid || record.is_deleted() {
                    return Err(SecretsError::marked_for_deletion());
                }
                if let Some(description) = &input.description {
                    record.description = Some(description.clone()).filter(|d| !d.is_empty());
                }
                if let Some(key) = &input.kms_key_id {
                    record.kms_key_id = Some(key.clone()).filter(|k| !k.is_empty());
                }
                if let Some(kind) = &input.r#type {
                    record.secret_type = Some(kind.clone());
                }
                record.last_changed_ms = now;
                let mut writes = Vec::new();
                if let Some((meta, write)) = &sealed {
                    record.versions.push(meta.clone());
                    stages::attach(&mut record.versions, &meta.id, &[CURRENT.to_string()]);
                    writes.push(write.clone());
                    writes.extend(prune_writes(record));
                }
                Ok((writes, ()))
            })
            .await?;
        self.after_change(caller, &record).await;
        Ok(SecretVersionResponse {
            a_r_n: Some(record.arn),
            name: Some(record.name),
            version_id: token,
            ..Default::default()
        })
    }

    /// DeleteSecret.
    pub async fn delete_secret(
        &self,
        caller: &Caller,
        row: &Operation,
        input: DeleteSecretRequest,
    ) -> Result<DeleteSecretResponse, SecretsError> {
        let mut v = Validator::new();
        validate::secret_id(&mut v, &input.secret_id);
        v.finish()?;
        let force = input.force_delete_without_recovery.unwrap_or(false);
        if force && input.recovery_window_in_days.is_some() {
            return Err(SecretsError::InvalidParameter(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
                    .into(),
            ));
        }
        let days = input.recovery_window_in_days.unwrap_or(DEFAULT_RECOVERY_DAYS);
        if !(7..=30).contains(&days) {
            return Err(SecretsError::InvalidParameter(
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).".into(),
            ));
        }
        let secret_id = input.secret_id.unwrap_or_default();
        let loaded = match self.find(caller, &secret_id, row, &[]).await {
            Ok(loaded) => loaded,
            // AWS answers a forced delete of a missing secret as if it had deleted it.
            Err(SecretsError::NotFound(_)) if force => {
                let name = names::SecretRef::parse(&secret_id)
                    .ok()
                    .and_then(|r| match r {
                        names::SecretRef::Name(name) => Some(name),
                        names::SecretRef::Arn { .. } => None,
                    })
                    .unwrap_or_else(|| names::name_of_arn(&secret_id).to_string());
                return Ok(DeleteSecretResponse {
                    a_r_n: Some(names::new_arn(caller.region(), caller.account_id(), &name)),
                    name: Some(name),
                    deletion_date: Some(Timestamp(self.now_ms())),
                });
            }
            Err(error) => return Err(error),
        };
        replication::check_not_replica(&loaded.record)?;
        if loaded.record.cross_account_replicas.iter().any(|link| link.status != "Detached") {
            return Err(SecretsError::InvalidRequest(
                "You can't delete a secret that has a cross-account replica. Disassociate the replica first."
                    .into(),
            ));
        }
        if !loaded.record.replicas.is_empty() {
            return Err(SecretsError::InvalidRequest(
                "You can't delete secret while it is replicated to other regions. Remove the replica regions first."
                    .into(),
            ));
        }
        if force {
            let now = self.now_ms();
            self.erase(&loaded.record, Some(loaded.version)).await?;
            return Ok(DeleteSecretResponse {
                a_r_n: Some(loaded.record.arn),
                name: Some(loaded.record.name),
                deletion_date: Some(Timestamp(now)),
            });
        }
        if loaded.record.is_deleted() {
            return Err(SecretsError::marked_for_deletion());
        }
        let (record, due) = self
            .update(&loaded.record.key(), |record, now| {
                if record.is_deleted() {
                    return Err(SecretsError::marked_for_deletion());
                }
                let due = now + days * DAY_MS;
                record.deleted_ms = Some(now);
                record.deletion_due_ms = Some(due);
                Ok((Vec::new(), due))
            })
            .await?;
        self.store
            .schedule_job(
                &jobs::deletion_job_id(&record),
                jobs::DELETE,
                due,
                record.key().as_bytes(),
            )
            .await?;
        Ok(DeleteSecretResponse {
            a_r_n: Some(record.arn),
            name: Some(record.name),
            deletion_date: Some(Timestamp(due)),
        })
    }

    /// Removes a secret and every value it holds, in one commit.
    pub(crate) async fn erase(
        &self,
        record: &SecretRecord,
        version: Option<u64>,
    ) -> Result<(), SecretsError> {
        let precondition = version.map_or(Precondition::None, Precondition::Version);
        let mut writes = vec![Write::delete(SECRETS, &record.key(), precondition)];
        for meta in &record.versions {
            writes.push(Write::delete(
                VALUES,
                &value_key(&record.uid, &meta.id),
                Precondition::None,
            ));
        }
        match self.store.commit(writes).await {
            Ok(_) => {}
            Err(arca_store::StoreError::Conflict { .. }) => {
                return Err(SecretsError::InvalidRequest(
                    "The secret was changed concurrently; retry the request.".into(),
                ));
            }
            Err(error) => return Err(error.into()),
        }
        self.store.cancel_job(&jobs::deletion_job_id(record)).await?;
        self.store.cancel_job(&jobs::rotation_job_id(record)).await?;
        Ok(())
    }

    /// RestoreSecret.
    pub async fn restore_secret(
        &self,
        caller: &Caller,
        row: &Operation,
        input: SecretIdRequest,
    ) -> Result<SecretNameResponse, SecretsError> {
        let v = Validator::new();
        let loaded = self.find_checked(caller, row, &input.secret_id, v).await?;
        replication::check_not_replica(&loaded.record)?;
        let (record, _) = self
            .update(&loaded.record.key(), |record, _| {
                record.deleted_ms = None;
                record.deletion_due_ms = None;
                Ok((Vec::new(), ()))
            })
            .await?;
        self.store.cancel_job(&jobs::deletion_job_id(&record)).await?;
        Ok(SecretNameResponse { a_r_n: Some(record.arn), name: Some(record.name) })
    }
}

/// Deletes the values of versions [`stages::prune`] dropped from `record`.
pub(crate) fn prune_writes(record: &mut SecretRecord) -> Vec<Write> {
    stages::prune(&mut record.versions)
        .into_iter()
        .map(|id| Write::delete(VALUES, &value_key(&record.uid, &id), Precondition::None))
        .collect()
}
