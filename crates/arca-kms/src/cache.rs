//! The in-memory cache that keeps the hot paths (Encrypt, Decrypt, GenerateDataKey)
//! off the store: parsed key records, their parsed policies and unwrapped material.
//!
//! Entries are dropped when the store's change feed reports a write to the key (from
//! any node); a short TTL is the backstop should a notification be lost.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use arca_crypto::aead::AesGcmKey;
use arca_policy::Policy;

use crate::record::KeyRecord;

/// How long an entry may live without a change notification.
const TTL: Duration = Duration::from_secs(30);

/// A key ready for use.
pub struct CachedKey {
    /// The record as stored.
    pub record: KeyRecord,
    /// Its key policy, parsed.
    pub policy: Arc<Policy>,
    /// Unwrapped material per key version (aws-lc zeroizes it on drop).
    pub materials: BTreeMap<u32, AesGcmKey>,
    loaded: Instant,
}

impl CachedKey {
    /// Wraps a freshly loaded key.
    pub fn new(
        record: KeyRecord,
        policy: Arc<Policy>,
        materials: BTreeMap<u32, AesGcmKey>,
    ) -> Self {
        Self { record, policy, materials, loaded: Instant::now() }
    }
}

/// Keys by id and alias targets by scoped alias name.
#[derive(Default)]
pub struct KeyCache {
    keys: RwLock<HashMap<String, Arc<CachedKey>>>,
    aliases: RwLock<HashMap<String, (Option<String>, Instant)>>,
}

impl KeyCache {
    /// A cached key, if fresh.
    pub fn key(&self, key_id: &str) -> Option<Arc<CachedKey>> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        keys.get(key_id).filter(|k| k.loaded.elapsed() < TTL).cloned()
    }

    /// Caches a key.
    pub fn put_key(&self, key: Arc<CachedKey>) {
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        keys.insert(key.record.key_id.clone(), key);
    }

    /// Drops a key (its record changed).
    pub fn invalidate_key(&self, key_id: &str) {
        self.keys.write().unwrap_or_else(|p| p.into_inner()).remove(key_id);
    }

    /// The cached target of an alias (`Some(None)` caches "no such alias").
    pub fn alias(&self, scoped_name: &str) -> Option<Option<String>> {
        let aliases = self.aliases.read().unwrap_or_else(|p| p.into_inner());
        aliases
            .get(scoped_name)
            .filter(|(_, at)| at.elapsed() < TTL)
            .map(|(target, _)| target.clone())
    }

    /// Caches an alias target.
    pub fn put_alias(&self, scoped_name: &str, target: Option<String>) {
        let mut aliases = self.aliases.write().unwrap_or_else(|p| p.into_inner());
        aliases.insert(scoped_name.to_string(), (target, Instant::now()));
    }

    /// Drops an alias (it changed).
    pub fn invalidate_alias(&self, scoped_name: &str) {
        self.aliases.write().unwrap_or_else(|p| p.into_inner()).remove(scoped_name);
    }

    /// Drops everything (after a lost notification or a root key rotation).
    pub fn clear(&self) {
        self.keys.write().unwrap_or_else(|p| p.into_inner()).clear();
        self.aliases.write().unwrap_or_else(|p| p.into_inner()).clear();
    }
}
