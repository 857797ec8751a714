//! Versions and their values: GetSecretValue, PutSecretValue, UpdateSecretVersionStage,
//! ListSecretVersionIds.

use arca_api::{
    Operation,
    values::{SecretBlob, Timestamp},
};
use arca_crypto::{SecretBytes, ct_eq};
use arca_gate::Caller;

use super::{
    SecretsService,
    lifecycle::{NewValue, check_key_reach, prune_writes, require_token},
};
use crate::{
    SecretsError,
    api::{
        GetSecretValueRequest, ListSecretVersionIdsRequest, ListSecretVersionIdsResponse,
        PutSecretValueRequest, SecretNameResponse, SecretText, SecretValue, SecretVersionResponse,
        UpdateSecretVersionStageRequest, VersionEntry,
    },
    envelope, paging,
    record::{CURRENT, SecretRecord, StoredValue, VALUES, value_key},
    stages::{self, MAX_STAGES_PER_VERSION},
    validate::{self, Validator},
};

const DAY_MS: i64 = 86_400_000;

/// Midnight UTC of the day `ms` falls in: AWS keeps last-access dates to the day.
fn day_of(ms: i64) -> i64 {
    ms - ms.rem_euclid(DAY_MS)
}

impl SecretsService {
    /// Decrypts version `version_id` of `record` for `caller`.
    pub(crate) async fn read_value(
        &self,
        caller: &Caller,
        record: &SecretRecord,
        version_id: &str,
    ) -> Result<(SecretBytes, bool), SecretsError> {
        check_key_reach(caller, record)?;
        let key = value_key(&record.uid, version_id);
        let stored = match self.values.get(&key) {
            Some(stored) => stored,
            None => {
                let found = self.store.get(VALUES, &key).await?.ok_or(SecretsError::Internal)?;
                let stored = std::sync::Arc::new(StoredValue::from_bytes(&found.value)?);
                self.values.put(key, std::sync::Arc::clone(&stored));
                stored
            }
        };
        let bytes = envelope::open(&self.peers, caller, &stored, &record.arn, version_id).await?;
        Ok((bytes, stored.binary))
    }

    /// True when version `version_id` holds exactly `value` (compared in constant time).
    pub(crate) async fn same_value(
        &self,
        caller: &Caller,
        record: &SecretRecord,
        version_id: &str,
        value: &NewValue,
    ) -> Result<bool, SecretsError> {
        let (bytes, binary) = self.read_value(caller, record, version_id).await?;
        Ok(binary == value.binary && ct_eq(bytes.expose_secret(), value.bytes.expose_secret()))
    }

    /// The version a GetSecretValue asks for: by id, by label, or `AWSCURRENT`.
    pub(crate) fn select_version<'a>(
        record: &'a SecretRecord,
        version_id: Option<&str>,
        version_stage: Option<&str>,
    ) -> Result<&'a crate::record::VersionMeta, SecretsError> {
        match (version_id, version_stage) {
            (Some(id), stage) => {
                let version = record.version(id).ok_or_else(|| {
                    SecretsError::NotFound(format!(
                        "Secrets Manager can't find the specified secret value for VersionId: {id}"
                    ))
                })?;
                if let Some(stage) = stage
                    && !version.stages.iter().any(|s| s == stage)
                {
                    return Err(SecretsError::InvalidRequest(
                        "You provided a VersionStage that is not associated to the provided VersionId."
                            .into(),
                    ));
                }
                if version.awaiting_value {
                    return Err(SecretsError::NotFound(format!(
                        "Secrets Manager can't find the specified secret value for VersionId: {id}"
                    )));
                }
                Ok(version)
            }
            (None, stage) => {
                let stage = stage.unwrap_or(CURRENT);
                record.version_with_stage(stage).filter(|v| !v.awaiting_value).ok_or_else(|| {
                    SecretsError::NotFound(format!(
                        "Secrets Manager can't find the specified secret value for staging label: {stage}"
                    ))
                })
            }
        }
    }

    /// The value of one version as GetSecretValue and BatchGetSecretValue answer it.
    pub(crate) async fn secret_value(
        &self,
        caller: &Caller,
        record: &SecretRecord,
        version_id: Option<&str>,
        version_stage: Option<&str>,
    ) -> Result<SecretValue, SecretsError> {
        if record.is_deleted() {
            return Err(SecretsError::InvalidRequest(
                "You can't perform this operation on the secret because it was marked for deletion."
                    .into(),
            ));
        }
        let version = Self::select_version(record, version_id, version_stage)?;
        let (bytes, binary) = self.read_value(caller, record, &version.id).await?;
        self.note_access(record, &version.id).await;
        let (secret_string, secret_binary) =
            if binary { (None, Some(SecretBlob(bytes))) } else { (Some(SecretText(bytes)), None) };
        Ok(SecretValue {
            a_r_n: Some(record.arn.clone()),
            name: Some(record.name.clone()),
            version_id: Some(version.id.clone()),
            secret_binary,
            secret_string,
            version_stages: Some(version.stages.clone()),
            created_date: Some(Timestamp(version.created_ms)),
        })
    }

    /// Records the day of a read, once a day per version: a read costs a write only when
    /// the day changes. A lost race leaves the date to the next read.
    async fn note_access(&self, record: &SecretRecord, version_id: &str) {
        let today = day_of(self.now_ms());
        let fresh = record.last_accessed_ms == Some(today)
            && record.version(version_id).is_some_and(|v| v.last_accessed_ms == Some(today));
        if fresh {
            return;
        }
        let result = self
            .update(&record.key(), |record, _| {
                record.last_accessed_ms = Some(today);
                if let Some(version) = record.versions.iter_mut().find(|v| v.id == version_id) {
                    version.last_accessed_ms = Some(today);
                }
                Ok((Vec::new(), ()))
            })
            .await;
        if let Err(error) = result {
            tracing::debug!(%error, "secrets: last-access date not recorded");
        }
    }

    /// GetSecretValue.
    pub async fn get_secret_value(
        &self,
        caller: &Caller,
        row: &Operation,
        input: GetSecretValueRequest,
    ) -> Result<SecretValue, SecretsError> {
        let mut v = Validator::new();
        validate::secret_id(&mut v, &input.secret_id);
        v.length("versionId", input.version_id.as_ref(), 32, 64);
        v.length("versionStage", input.version_stage.as_ref(), 1, 256);
        v.finish()?;
        let mut context = Vec::new();
        if let Some(stage) = &input.version_stage {
            context.push(("secretsmanager:VersionStage", stage.as_str()));
        }
        if let Some(id) = &input.version_id {
            context.push(("secretsmanager:VersionId", id.as_str()));
        }
        let loaded = self
            .find(caller, input.secret_id.as_deref().unwrap_or_default(), row, &context)
            .await?;
        self.secret_value(
            caller,
            &loaded.record,
            input.version_id.as_deref(),
            input.version_stage.as_deref(),
        )
        .await
    }

    /// PutSecretValue.
    pub async fn put_secret_value(
        &self,
        caller: &Caller,
        row: &Operation,
        input: PutSecretValueRequest,
    ) -> Result<SecretVersionResponse, SecretsError> {
        let mut v = Validator::new();
        validate::secret_id(&mut v, &input.secret_id);
        validate::token(&mut v, input.client_request_token.as_ref());
        validate::value(&mut v, input.secret_string.as_ref(), input.secret_binary.as_ref());
        v.list_length("versionStages", input.version_stages.as_ref(), 1, MAX_STAGES_PER_VERSION);
        for stage in input.version_stages.iter().flatten() {
            v.length("versionStages.member", Some(stage), 1, 256);
        }
        v.length("rotationToken", input.rotation_token.as_ref(), 36, 256);
        v.finish()?;
        let token = require_token(input.client_request_token.as_ref())?.to_string();
        let value =
            NewValue::from_request(input.secret_string, input.secret_binary)?.ok_or_else(|| {
                SecretsError::InvalidRequest(
                    "You must provide either SecretString or SecretBinary.".into(),
                )
            })?;
        let stages_wanted = input.version_stages.unwrap_or_else(|| vec![CURRENT.to_string()]);
        let loaded =
            self.find_live(caller, input.secret_id.as_deref().unwrap_or_default(), row).await?;
        if let Some(existing) = loaded.record.version(&token).filter(|v| !v.awaiting_value) {
            if self.same_value(caller, &loaded.record, &token, &value).await? {
                return Ok(SecretVersionResponse {
                    a_r_n: Some(loaded.record.arn.clone()),
                    name: Some(loaded.record.name.clone()),
                    version_id: Some(token),
                    version_stages: Some(existing.stages.clone()),
                    ..Default::default()
                });
            }
            return Err(SecretsError::Exists(
                "You can't modify an existing version, you can only create a new version.".into(),
            ));
        }
        let (meta, write) = self.seal_version(caller, &loaded.record, &token, &value).await?;
        let (record, version_stages) = self
            .update(&loaded.record.key(), |record, now| {
                if record.uid != loaded.record.uid || record.is_deleted() {
                    return Err(SecretsError::marked_for_deletion());
                }
                match record.versions.iter_mut().find(|v| v.id == meta.id) {
                    // The value of a version a rotation announced.
                    Some(announced) if announced.awaiting_value => {
                        announced.awaiting_value = false;
                        announced.kms_key_arn = meta.kms_key_arn.clone();
                        announced.created_ms = meta.created_ms;
                    }
                    Some(_) => {
                        return Err(SecretsError::Exists(
                            "You can't modify an existing version, you can only create a new version."
                                .into(),
                        ));
                    }
                    None => record.versions.push(meta.clone()),
                }
                stages::attach(&mut record.versions, &meta.id, &stages_wanted);
                record.last_changed_ms = now;
                let mut writes = vec![write.clone()];
                writes.extend(prune_writes(record));
                let stages = record.version(&meta.id).map(|v| v.stages.clone()).unwrap_or_default();
                Ok((writes, stages))
            })
            .await?;
        self.after_change(caller, &record).await;
        Ok(SecretVersionResponse {
            a_r_n: Some(record.arn),
            name: Some(record.name),
            version_id: Some(token),
            version_stages: Some(version_stages),
            ..Default::default()
        })
    }

    /// UpdateSecretVersionStage.
    pub async fn update_secret_version_stage(
        &self,
        caller: &Caller,
        row: &Operation,
        input: UpdateSecretVersionStageRequest,
    ) -> Result<SecretNameResponse, SecretsError> {
        let mut v = Validator::new();
        validate::secret_id(&mut v, &input.secret_id);
        v.required("versionStage", &input.version_stage);
        v.length("versionStage", input.version_stage.as_ref(), 1, 256);
        v.length("removeFromVersionId", input.remove_from_version_id.as_ref(), 32, 64);
        v.length("moveToVersionId", input.move_to_version_id.as_ref(), 32, 64);
        v.finish()?;
        let stage = input.version_stage.unwrap_or_default();
        let loaded =
            self.find_live(caller, input.secret_id.as_deref().unwrap_or_default(), row).await?;
        let (record, _) = self
            .update(&loaded.record.key(), |record, now| {
                let holder = record.version_with_stage(&stage).map(|v| v.id.clone());
                match (&holder, &input.remove_from_version_id) {
                    (Some(holder), Some(from)) if holder != from => {
                        return Err(SecretsError::InvalidParameter(format!(
                            "The staging label {stage} is currently attached to version {holder}, so you must explicitly reference that version in RemoveFromVersionId."
                        )));
                    }
                    (Some(holder), None) if input.move_to_version_id.as_deref() != Some(holder.as_str()) => {
                        return Err(SecretsError::InvalidParameter(format!(
                            "The staging label {stage} is currently attached to version {holder}, so you must explicitly reference that version in RemoveFromVersionId."
                        )));
                    }
                    (None, Some(from)) if record.version(from).is_none() => {
                        return Err(SecretsError::InvalidParameter(format!(
                            "The version {from} doesn't exist."
                        )));
                    }
                    _ => {}
                }
                match &input.move_to_version_id {
                    Some(to) => {
                        let version = record.version(to).ok_or_else(|| {
                            SecretsError::InvalidParameter(format!(
                                "Secrets Manager can't find the specified secret value for VersionId: {to}"
                            ))
                        })?;
                        if !version.stages.contains(&stage)
                            && version.stages.len() >= MAX_STAGES_PER_VERSION
                        {
                            return Err(SecretsError::LimitExceeded(
                                "A version can have at most 20 staging labels.".into(),
                            ));
                        }
                        stages::attach(&mut record.versions, to, std::slice::from_ref(&stage));
                    }
                    None => {
                        if stage == CURRENT {
                            return Err(SecretsError::InvalidParameter(
                                "You can only move staging label AWSCURRENT to a different secret version. It can’t be completely removed."
                                    .into(),
                            ));
                        }
                        stages::detach(&mut record.versions, &stage);
                    }
                }
                record.last_changed_ms = now;
                Ok((prune_writes(record), ()))
            })
            .await?;
        self.after_change(caller, &record).await;
        Ok(SecretNameResponse { a_r_n: Some(record.arn), name: Some(record.name) })
    }

    /// ListSecretVersionIds.
    pub async fn list_secret_version_ids(
        &self,
        caller: &Caller,
        row: &Operation,
        input: ListSecretVersionIdsRequest,
    ) -> Result<ListSecretVersionIdsResponse, SecretsError> {
        let mut v = Validator::new();
        validate::paging(&mut v, input.max_results, input.next_token.as_ref(), 100);
        let loaded = self.find_checked(caller, row, &input.secret_id, v).await?;
        let record = loaded.record;
        let include_deprecated = input.include_deprecated.unwrap_or(false);
        let mut versions: Vec<VersionEntry> = record
            .versions
            .iter()
            .filter(|v| include_deprecated || !v.stages.is_empty())
            .map(|v| VersionEntry {
                version_id: Some(v.id.clone()),
                version_stages: Some(v.stages.clone()).filter(|s| !s.is_empty()),
                last_accessed_date: v.last_accessed_ms.map(Timestamp),
                created_date: Some(Timestamp(v.created_ms)),
                kms_key_ids: Some(vec![
                    record.kms_key_id.clone().unwrap_or_else(|| "DefaultEncryptionKey".into()),
                ]),
            })
            .collect();
        let (page, next_token) = paging::page(
            &mut versions,
            input.max_results.unwrap_or(100),
            input.next_token.as_deref(),
            &record.uid,
        )?;
        Ok(ListSecretVersionIdsResponse {
            versions: Some(page),
            next_token,
            a_r_n: Some(record.arn),
            name: Some(record.name),
        })
    }
}
