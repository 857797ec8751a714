//! GetKeyLastUsage: the last successful cryptographic operation of each key.
//!
//! The hot paths only note the use in memory; a background task writes the notes to
//! the store every few seconds (`kms.last-usage`, by the key's store key), so the
//! answer is eventually consistent across nodes, as AWS documents it. A use noted in
//! the last seconds before a crash is lost; `TrackingStartDate` is when this store began
//! recording.

use std::{collections::HashMap, sync::Mutex, time::Duration};

use arca_gate::Caller;
use arca_store::{Precondition, Write};
use serde::{Deserialize, Serialize};

use super::KmsService;
use crate::{
    KmsError,
    api::{GetKeyLastUsageResponse, KeyIdRequest, KeyLastUsage},
    cache::CachedKey,
    operation::Operation,
    wire::Timestamp,
};

/// Store table of last uses, keyed by the key's store key.
pub(crate) const LAST_USAGE: &str = "kms.last-usage";
/// Store table holding when tracking began (one row, `start`).
const TRACKING: &str = "kms.last-usage-tracking";
/// How often noted uses are written to the store.
pub(super) const FLUSH_INTERVAL: Duration = Duration::from_secs(5);

/// One key's last use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LastUse {
    operation: String,
    timestamp: i64,
}

/// Uses noted since the last flush.
#[derive(Debug, Default)]
pub(crate) struct UsageNotes {
    pending: Mutex<HashMap<String, LastUse>>,
}

impl UsageNotes {
    fn take(&self) -> HashMap<String, LastUse> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn get(&self, store_key: &str) -> Option<LastUse> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).get(store_key).cloned()
    }
}

impl KmsService {
    /// Notes a successful cryptographic operation of `key` (in memory; flushed later).
    pub(super) fn note_use(&self, key: &CachedKey, operation: Operation) {
        // ReEncrypt is authorised as ReEncryptFrom/To but tracked as ReEncrypt.
        let name = match operation {
            Operation::ReEncryptFrom | Operation::ReEncryptTo => "ReEncrypt",
            other => other.name(),
        };
        let used = LastUse { operation: name.to_string(), timestamp: self.now_ms() };
        let mut pending = self.usage.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.insert(key.record.store_key(), used);
    }

    /// Writes the noted uses to the store (a later use of the same key wins).
    pub(super) async fn flush_last_usage(&self) -> Result<(), KmsError> {
        let notes = self.usage.take();
        if notes.is_empty() {
            return Ok(());
        }
        let mut writes = Vec::with_capacity(notes.len());
        for (store_key, used) in &notes {
            let value =
                serde_json::to_vec(used).map_err(|e| KmsError::internal("encode last use", e))?;
            writes.push(Write::put(LAST_USAGE, store_key, value, Precondition::None));
        }
        if let Err(error) = self.store.commit(writes).await {
            // Put them back (unless newer ones arrived) so the next flush retries.
            let mut pending = self.usage.pending.lock().unwrap_or_else(|p| p.into_inner());
            for (store_key, used) in notes {
                pending.entry(store_key).or_insert(used);
            }
            return Err(error.into());
        }
        Ok(())
    }

    /// When this store began tracking key use: set once, on the first start that
    /// tracks.
    pub(super) async fn tracking_start(&self) -> Result<i64, KmsError> {
        if let Some(stored) = self.store.get(TRACKING, "start").await? {
            return serde_json::from_slice(&stored.value)
                .map_err(|e| KmsError::internal("decode tracking start", e));
        }
        let now = self.now_ms();
        let value = serde_json::to_vec(&now).map_err(|e| KmsError::internal("encode", e))?;
        match self
            .store
            .commit(vec![Write::put(TRACKING, "start", value, Precondition::Absent)])
            .await
        {
            Ok(_) => Ok(now),
            // Another node set it first.
            Err(arca_store::StoreError::Conflict { .. }) => Box::pin(self.tracking_start()).await,
            Err(error) => Err(error.into()),
        }
    }

    /// GetKeyLastUsage.
    pub async fn get_key_last_usage(
        &self,
        caller: &Caller,
        input: KeyIdRequest,
    ) -> Result<GetKeyLastUsageResponse, KmsError> {
        let key = self.key_for_action(caller, &input.key_id, Operation::GetKeyLastUsage).await?;
        let store_key = key.record.store_key();
        let stored = match self.store.get(LAST_USAGE, &store_key).await? {
            Some(row) => Some(
                serde_json::from_slice::<LastUse>(&row.value)
                    .map_err(|e| KmsError::internal("decode last use", e))?,
            ),
            None => None,
        };
        let last = [stored, self.usage.get(&store_key)]
            .into_iter()
            .flatten()
            .max_by_key(|used| used.timestamp);
        Ok(GetKeyLastUsageResponse {
            key_id: Some(key.record.arn.clone()),
            key_last_usage: Some(match last {
                Some(used) => KeyLastUsage {
                    operation: Some(used.operation),
                    timestamp: Some(Timestamp(used.timestamp)),
                },
                None => KeyLastUsage::default(),
            }),
            tracking_start_date: Some(Timestamp(self.tracking_start().await?)),
            key_creation_date: Some(Timestamp(key.record.creation_date)),
        })
    }
}
