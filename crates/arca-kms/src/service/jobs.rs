//! Background jobs of the KMS service: deleting keys whose waiting period ended,
//! rotating keys whose rotation is due, and retiring import tokens and expired
//! imported material. Jobs are claimed from the store, so on several
//! nodes each runs once.

use arca_store::{Job, Precondition, Write};

use super::{
    KmsService,
    import::{MATERIAL_EXPIRY_JOB, TOKEN_EXPIRY_JOB},
    multi_region::REPLICA_READY_JOB,
};
use crate::{
    KmsError,
    record::{ACCOUNT_KEYS, ALIASES, AliasRecord, KEYS, KeyRecord, KeyState, scope_prefix},
};

/// Job kind: delete a key pending deletion.
pub const DELETE_JOB: &str = "kms.delete";
/// Job kind: rotate a key automatically.
pub const ROTATE_JOB: &str = "kms.rotate";

/// The job kinds KMS registers with the platform's job runner.
pub const JOB_KINDS: &[&str] =
    &[DELETE_JOB, ROTATE_JOB, TOKEN_EXPIRY_JOB, MATERIAL_EXPIRY_JOB, REPLICA_READY_JOB];

impl KmsService {
    /// Runs one claimed KMS job and finishes it; on an error the job stays, and runs
    /// again once its lease ends. The platform's runner claims only [`JOB_KINDS`] for
    /// this service.
    pub async fn run_job(&self, job: &Job) -> Result<(), KmsError> {
        // The payload names what the job is about: a key id for most kinds.
        let key_id = String::from_utf8_lossy(&job.payload).to_string();
        match job.kind.as_str() {
            DELETE_JOB => self.delete_if_due(&key_id).await?,
            ROTATE_JOB => self.rotate_if_due(&key_id).await?,
            TOKEN_EXPIRY_JOB => self.expire_import_token(&key_id).await?,
            MATERIAL_EXPIRY_JOB => self.expire_material(&key_id).await?,
            REPLICA_READY_JOB => self.replica_ready(&key_id).await?,
            other => {
                return Err(KmsError::internal("run job", format!("not a KMS job kind: {other}")));
            }
        }
        self.store.finish_job(&job.id).await?;
        // The next rotation is scheduled only after this job is finished: finishing
        // deletes the job by id, and the next one has the same id.
        if job.kind == ROTATE_JOB {
            self.reschedule_rotation(&key_id).await?;
        }
        Ok(())
    }

    async fn delete_if_due(&self, key_id: &str) -> Result<(), KmsError> {
        let Some(stored) = self.store.get(KEYS, key_id).await? else { return Ok(()) };
        let record: KeyRecord = serde_json::from_slice(&stored.value)
            .map_err(|e| KmsError::internal("decode key", e))?;
        // A cancelled deletion leaves the job behind only if cancel raced the claim.
        let due = record.state == KeyState::PendingDeletion
            && record.deletion_date.is_some_and(|date| date <= self.now_ms());
        if !due {
            return Ok(());
        }
        // The rest of a multi-Region set forgets this member first: should the deletion
        // below fail, the retried job finds the key and does both again.
        self.forget_replica(&record).await?;
        let mut writes = vec![
            Write::delete(KEYS, key_id, Precondition::Version(stored.version)),
            Write::delete(ACCOUNT_KEYS, &Self::index_key(&record), Precondition::None),
        ];
        writes.extend(super::grants::deletions(self.store.as_ref(), key_id).await?);
        writes.push(Write::delete(super::last_usage::LAST_USAGE, key_id, Precondition::None));
        let prefix = scope_prefix(&record.account_id, &record.region);
        let mut start_after: Option<String> = None;
        loop {
            let aliases = self.store.list(ALIASES, &prefix, start_after.as_deref(), 200).await?;
            let Some(last) = aliases.last() else { break };
            start_after = Some(last.key.clone());
            for row in aliases {
                let alias: AliasRecord = serde_json::from_slice(&row.value)
                    .map_err(|e| KmsError::internal("decode alias", e))?;
                if alias.target_key_id == record.key_id {
                    writes.push(Write::delete(
                        ALIASES,
                        &row.key,
                        Precondition::Version(row.version),
                    ));
                }
            }
        }
        self.store.commit(writes).await?;
        self.store.cancel_job(&format!("{}/{key_id}", super::ROTATE_JOB)).await?;
        self.cache.invalidate_key(key_id);
        tracing::info!(key = %record.arn, "deleted key whose waiting period ended");
        Ok(())
    }

    async fn reschedule_rotation(&self, key_id: &str) -> Result<(), KmsError> {
        let Some(stored) = self.store.get(KEYS, key_id).await? else { return Ok(()) };
        let record: KeyRecord = serde_json::from_slice(&stored.value)
            .map_err(|e| KmsError::internal("decode key", e))?;
        self.schedule_rotation(&record).await
    }

    async fn rotate_if_due(&self, key_id: &str) -> Result<(), KmsError> {
        let Some(stored) = self.store.get(KEYS, key_id).await? else { return Ok(()) };
        let record: KeyRecord = serde_json::from_slice(&stored.value)
            .map_err(|e| KmsError::internal("decode key", e))?;
        let due = record.rotation.enabled
            && record.rotation.next_rotation.is_some_and(|date| date <= self.now_ms());
        if !due {
            return Ok(());
        }
        if record.state != KeyState::Enabled {
            // Disabled keys are not rotated; look again one period later.
            let record = self
                .update_key(key_id, |record, now| {
                    record.rotation.next_rotation =
                        Some(now + record.rotation.period_days * 86_400_000);
                    Ok(Vec::new())
                })
                .await?;
            return self.schedule_rotation(&record).await;
        }
        let rotated = self.add_version(key_id, "AUTOMATIC", true).await?;
        tracing::info!(key = %rotated.arn, versions = rotated.versions.len(), "rotated key automatically");
        Ok(())
    }
}
