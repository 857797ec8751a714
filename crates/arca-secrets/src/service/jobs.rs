//! The service's background jobs: deleting secrets whose recovery window is over, and
//! rotations (immediate and scheduled). Both run from the store's job queue, so each
//! runs once across nodes.

use arca_store::Job;

use super::SecretsService;
use crate::{
    SecretsError,
    record::{SECRETS, SecretRecord},
};

/// Deletes a secret whose recovery window ended.
pub(crate) const DELETE: &str = "secrets.delete";
/// Rotates a secret.
pub(crate) const ROTATE: &str = "secrets.rotate";

/// The kinds of job this service runs.
pub const JOB_KINDS: &[&str] = &[DELETE, ROTATE];

/// The deletion job of a secret.
pub(crate) fn deletion_job_id(record: &SecretRecord) -> String {
    format!("{DELETE}:{}", record.key())
}

/// The rotation job of a secret.
pub(crate) fn rotation_job_id(record: &SecretRecord) -> String {
    format!("{ROTATE}:{}", record.key())
}

impl SecretsService {
    /// Runs one claimed job and finishes it.
    pub async fn run_job(&self, job: &Job) -> Result<(), SecretsError> {
        let key = String::from_utf8(job.payload.clone()).map_err(|_| SecretsError::Internal)?;
        match job.kind.as_str() {
            DELETE => self.delete_when_due(&key).await?,
            ROTATE => {
                // The rotation reschedules itself under the same id when it succeeds;
                // the job is finished first so that the new one is not deleted with it.
                self.store.finish_job(&job.id).await?;
                return self.rotate_now(&key).await;
            }
            _ => return Err(SecretsError::Internal),
        }
        self.store.finish_job(&job.id).await?;
        Ok(())
    }

    async fn delete_when_due(&self, key: &str) -> Result<(), SecretsError> {
        let Some(stored) = self.store.get(SECRETS, key).await? else { return Ok(()) };
        let record = SecretRecord::from_bytes(&stored.value)?;
        // Restored since, or deleted and created again: nothing to do.
        match record.deletion_due_ms {
            Some(due) if due <= self.now_ms() => self.erase(&record, Some(stored.version)).await,
            _ => Ok(()),
        }
    }
}
