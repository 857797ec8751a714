//! A bounded node-local cache of stored values, to save GetSecretValue a store read.
//!
//! What a version stores under `UID|VERSION` never changes once written (values are
//! written once, `Precondition::Absent`, and only ever deleted), and what is cached is
//! the sealed form (KMS's encrypted data key and the AES-GCM ciphertext), never a
//! plaintext: every read still asks KMS to decrypt the data key for its caller. A value
//! deleted with its version is no longer named by the secret's record, so a stale entry
//! is never reached; it leaves when space is needed.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use crate::record::StoredValue;

/// Most values kept at once.
const CAPACITY: usize = 10_000;

/// Sealed values by store key.
#[derive(Default)]
pub(crate) struct ValueCache {
    entries: Mutex<HashMap<String, Arc<StoredValue>>>,
}

impl ValueCache {
    /// The cached value at `key`.
    pub(crate) fn get(&self, key: &str) -> Option<Arc<StoredValue>> {
        self.entries.lock().ok()?.get(key).cloned()
    }

    /// Keeps `value` under `key`; when full, an arbitrary entry makes room.
    pub(crate) fn put(&self, key: String, value: Arc<StoredValue>) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= CAPACITY
            && let Some(evicted) = entries.keys().next().cloned()
        {
            entries.remove(&evicted);
        }
        entries.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(byte: u8) -> Arc<StoredValue> {
        Arc::new(StoredValue { data_key: vec![byte], sealed: vec![byte], binary: false })
    }

    #[test]
    fn keeps_values_and_stays_within_its_capacity() {
        let cache = ValueCache::default();
        cache.put("a|1".into(), value(1));
        assert_eq!(cache.get("a|1").map(|v| v.data_key.clone()), Some(vec![1]));
        assert!(cache.get("a|2").is_none());
        for i in 0..CAPACITY + 10 {
            cache.put(format!("k|{i}"), value(2));
        }
        assert!(cache.entries.lock().unwrap().len() <= CAPACITY);
    }
}
