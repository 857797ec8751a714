//! KMS key material as a [`SealedOwner`]: every key version's material is stored
//! sealed under a root key version, and root-key retirement must know which.

use std::collections::BTreeMap;

use arca_seal::{BoxError, SealedBytes, SealedOwner};
use serde::Deserialize;

use crate::{KmsService, record::KEYS};

/// Only the sealed parts of a stored key record; the rest is ignored, so this count
/// does not depend on the record's other fields.
#[derive(Deserialize)]
struct SealedVersions {
    versions: Vec<SealedVersion>,
    #[serde(default)]
    pending_import: Option<SealedVersion>,
}

/// Deleted imported material has no sealed bytes, and nothing to count.
#[derive(Deserialize)]
struct SealedVersion {
    sealed: Option<SealedBytes>,
}

/// Keys read from the store per page while counting.
const PAGE: usize = 200;

#[async_trait::async_trait]
impl SealedOwner for KmsService {
    fn name(&self) -> &'static str {
        "KMS key material"
    }

    async fn rewrap(&self) -> Result<usize, BoxError> {
        Ok(self.rewrap_all().await?)
    }

    /// Counts every stored key version's material by the root key version that sealed
    /// it (a malformed one under version 0, which no root key has), from the store.
    async fn count_by_root_version(&self) -> Result<BTreeMap<u32, u64>, BoxError> {
        count_key_versions(self.store.as_ref()).await
    }
}

async fn count_key_versions(store: &dyn arca_store::Store) -> Result<BTreeMap<u32, u64>, BoxError> {
    let mut counts = BTreeMap::new();
    let mut start_after: Option<String> = None;
    loop {
        let page = store.list(KEYS, "", start_after.as_deref(), PAGE).await?;
        let Some(last) = page.last() else { break };
        start_after = Some(last.key.clone());
        for stored in page {
            let record: SealedVersions = serde_json::from_slice(&stored.value)?;
            let sealed = record.versions.into_iter().chain(record.pending_import);
            for sealed in sealed.filter_map(|version| version.sealed) {
                *counts.entry(sealed.root_version().unwrap_or(0)).or_insert(0) += 1;
            }
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arca_seal::{RootKeyring, SealError, SealProvider};
    use arca_store::{Precondition, Store, Write};

    use super::*;

    /// Stores a key record with one sealed material per version, as the service would.
    async fn put_key(store: &Arc<dyn Store>, key_id: &str, sealed: &[SealedBytes]) {
        let versions: Vec<_> = sealed
            .iter()
            .enumerate()
            .map(|(index, sealed)| serde_json::json!({ "version": index + 1, "sealed": sealed }))
            .collect();
        let value =
            serde_json::to_vec(&serde_json::json!({ "key_id": key_id, "versions": versions }))
                .unwrap();
        store.commit(vec![Write::put(KEYS, key_id, value, Precondition::None)]).await.unwrap();
    }

    #[tokio::test]
    async fn key_material_under_an_old_root_key_blocks_its_retirement() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(arca_store::SqliteStore::memory().await.unwrap());
        let keyring = RootKeyring::unseal(
            Arc::clone(&store),
            &SealProvider::File { path: dir.path().join("root.key") },
        )
        .await
        .unwrap();
        let kms = KmsService::new(Arc::clone(&store), Arc::clone(&keyring), Default::default());
        let first = keyring.seal(b"k1#1", b"material one").unwrap();
        put_key(&store, "k1", std::slice::from_ref(&first)).await;
        keyring.rotate().await.unwrap();
        let second = keyring.seal(b"k1#2", b"material two").unwrap();
        put_key(&store, "k1", &[first, second]).await;
        put_key(&store, "k2", &[keyring.seal(b"k2#1", b"material").unwrap()]).await;
        assert_eq!(kms.count_by_root_version().await.unwrap(), BTreeMap::from([(1, 1), (2, 2)]));
        assert!(matches!(
            keyring.retire_older(&[&*kms]).await,
            Err(SealError::VersionInUse { owner: "KMS key material", version: 1, count: 1 })
        ));
        assert_eq!(keyring.versions(), vec![1, 2]);
    }
}
