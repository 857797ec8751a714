//! Background jobs of the KMS service: deleting keys whose waiting period ended and
//! rotating keys whose rotation is due. Jobs are claimed from the store, so on several
//! nodes each runs once.

use arca_store::{Precondition, Write};

use super::KmsService;
use crate::{
    KmsError,
    record::{ACCOUNT_KEYS, ALIASES, AliasRecord, KEYS, KeyRecord, KeyState, scope_prefix},
};

/// Job kind: delete a key pending deletion.
pub const DELETE_JOB: &str = "kms.delete";
/// Job kind: rotate a key automatically.
pub const ROTATE_JOB: &str = "kms.rotate";

/// How long a claimed job stays leased to this node.
const LEASE_MS: i64 = 60_000;

impl KmsService {
    /// Claims and runs every due KMS job; returns how many ran. The server calls this
    /// periodically.
    pub async fn run_due_jobs(&self) -> Result<usize, KmsError> {
        let now = self.now_ms();
        let jobs = self.store.claim_due_jobs(now, now + LEASE_MS, 32).await?;
        let mut ran = 0;
        for job in jobs {
            let key_id = String::from_utf8_lossy(&job.payload).to_string();
            let outcome = match job.kind.as_str() {
                DELETE_JOB => self.delete_if_due(&key_id).await,
                ROTATE_JOB => self.rotate_if_due(&key_id).await,
                // Another service's job: leave it for its owner once the lease ends.
                _ => continue,
            };
            match outcome {
                Ok(()) => {
                    self.store.finish_job(&job.id).await?;
                    // The next rotation is scheduled only after this job is finished:
                    // finishing deletes the job by id, and the next one has the same id.
                    if job.kind == ROTATE_JOB {
                        self.reschedule_rotation(&key_id).await?;
                    }
                    ran += 1;
                }
                Err(error) => {
                    tracing::warn!(job = %job.id, code = error.code(), "kms job failed; will retry")
                }
            }
        }
        Ok(ran)
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
        let mut writes = vec![
            Write::delete(KEYS, key_id, Precondition::Version(stored.version)),
            Write::delete(ACCOUNT_KEYS, &Self::index_key(&record), Precondition::None),
        ];
        let prefix = scope_prefix(&record.account_id, &record.region);
        let mut start_after: Option<String> = None;
        loop {
            let aliases = self.store.list(ALIASES, &prefix, start_after.as_deref(), 200).await?;
            let Some(last) = aliases.last() else { break };
            start_after = Some(last.key.clone());
            for row in aliases {
                let alias: AliasRecord = serde_json::from_slice(&row.value)
                    .map_err(|e| KmsError::internal("decode alias", e))?;
                if alias.target_key_id == key_id {
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
