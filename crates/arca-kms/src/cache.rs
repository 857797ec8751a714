//! The in-memory cache that keeps the hot paths (Encrypt, Decrypt, GenerateDataKey)
//! off the store: parsed key records, their parsed policies and unwrapped material.
//!
//! Entries are dropped when the store's change feed reports a write to the key (from
//! any node); a short TTL (`[kms] cache_ttl_seconds`) is the backstop should a
//! notification be lost.
//!
//! Only aliases that exist are cached, and at most `[kms] alias_cache_capacity`: a
//! caller naming made-up aliases costs a store read each, never memory.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use arca_crypto::{SecretBytes, aead::AesGcmKey, asymmetric::PrivateKey};
use arca_policy::Policy;

use crate::{
    KmsConfig, KmsError, blob,
    record::{GrantRecord, KeyRecord},
    spec::KeyKind,
};

/// One key version's material, unwrapped, in the form its key spec uses.
pub enum VersionMaterial {
    /// A symmetric encryption key.
    Symmetric {
        /// The raw material: the HKDF input of each format 2 blob's data key.
        secret: SecretBytes,
        /// The material as an AES-GCM key, for format 1 blobs.
        v1: AesGcmKey,
    },
    /// A key pair; its public half is kept encoded for GetPublicKey.
    Pair {
        /// The private key.
        private: PrivateKey,
        /// DER SubjectPublicKeyInfo.
        public_der: Vec<u8>,
    },
    /// An HMAC key.
    Hmac(SecretBytes),
}

impl VersionMaterial {
    /// Wraps unwrapped symmetric material (32 bytes).
    pub fn new(secret: SecretBytes) -> Result<Self, KmsError> {
        let v1 = AesGcmKey::from_bytes(secret.expose_secret())
            .map_err(|e| KmsError::internal("key material", e))?;
        Ok(Self::Symmetric { secret, v1 })
    }

    /// Wraps unwrapped material of a key of `kind`.
    pub(crate) fn load(kind: KeyKind, secret: SecretBytes) -> Result<Self, KmsError> {
        match kind {
            KeyKind::Symmetric => Self::new(secret),
            KeyKind::Hmac(_) => Ok(Self::Hmac(secret)),
            KeyKind::Pair(spec) => {
                let private = PrivateKey::from_private_bytes(spec, secret.expose_secret())
                    .map_err(|e| KmsError::internal("private key", e))?;
                let public_der =
                    private.public_key_der().map_err(|e| KmsError::internal("public key", e))?;
                Ok(Self::Pair { private, public_der })
            }
        }
    }

    /// The key that seals format 1 blobs directly (symmetric keys only).
    pub fn v1_key(&self) -> Option<&AesGcmKey> {
        match self {
            Self::Symmetric { v1, .. } => Some(v1),
            _ => None,
        }
    }

    /// The data key of one format 2 blob, from its salt and header.
    pub fn data_key(&self, salt: &[u8], header: &[u8]) -> Result<AesGcmKey, KmsError> {
        let Self::Symmetric { secret, .. } = self else {
            return Err(KmsError::internal("data key", "not a symmetric key"));
        };
        // The HKDF input is the version's material; it leaves `SecretBytes` only into
        // aws-lc's HMAC state.
        arca_crypto::hkdf::derive_aes_256_gcm_key(
            salt,
            secret.expose_secret(),
            &blob::data_key_info(header),
        )
        .map_err(|e| KmsError::internal("derive data key", e))
    }

    /// The private key and encoded public key of a key pair.
    pub fn pair(&self) -> Option<(&PrivateKey, &[u8])> {
        match self {
            Self::Pair { private, public_der } => Some((private, public_der)),
            _ => None,
        }
    }

    /// The key of an HMAC key.
    pub fn hmac_key(&self) -> Option<&SecretBytes> {
        match self {
            Self::Hmac(secret) => Some(secret),
            _ => None,
        }
    }
}

/// A key ready for use.
pub struct CachedKey {
    /// The record as stored.
    pub record: KeyRecord,
    /// Its key policy, parsed.
    pub policy: Arc<Policy>,
    /// Unwrapped material per key version (zeroized on drop).
    pub materials: BTreeMap<u32, VersionMaterial>,
    /// The key's grants (a grant write also rewrites the key record, so the change
    /// feed drops this entry with them).
    pub grants: Vec<GrantRecord>,
    loaded: Instant,
}

impl CachedKey {
    /// Wraps a freshly loaded key.
    pub fn new(
        record: KeyRecord,
        policy: Arc<Policy>,
        materials: BTreeMap<u32, VersionMaterial>,
    ) -> Self {
        Self { record, policy, materials, grants: Vec::new(), loaded: Instant::now() }
    }

    /// The key with its grants.
    pub(crate) fn with_grants(mut self, grants: Vec<GrantRecord>) -> Self {
        self.grants = grants;
        self
    }
}

/// Keys by id and alias targets by scoped alias name.
pub struct KeyCache {
    keys: RwLock<HashMap<String, Arc<CachedKey>>>,
    aliases: RwLock<HashMap<String, (String, Instant)>>,
    /// How long an entry may live without a change notification.
    ttl: Duration,
    /// Most alias targets kept at once.
    alias_capacity: usize,
}

impl KeyCache {
    /// An empty cache with the section's TTL and alias capacity.
    pub fn new(config: &KmsConfig) -> Self {
        Self {
            keys: RwLock::default(),
            aliases: RwLock::default(),
            ttl: config.cache_ttl(),
            alias_capacity: config.alias_cache_capacity.max(1),
        }
    }

    /// A cached key, if fresh.
    pub fn key(&self, key_id: &str) -> Option<Arc<CachedKey>> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        keys.get(key_id).filter(|k| k.loaded.elapsed() < self.ttl).cloned()
    }

    /// Caches a key.
    pub fn put_key(&self, key: Arc<CachedKey>) {
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        keys.insert(key.record.store_key(), key);
    }

    /// Drops a key (its record changed).
    pub fn invalidate_key(&self, key_id: &str) {
        self.keys.write().unwrap_or_else(|p| p.into_inner()).remove(key_id);
    }

    /// The cached target of an alias, if fresh.
    pub fn alias(&self, scoped_name: &str) -> Option<String> {
        let aliases = self.aliases.read().unwrap_or_else(|p| p.into_inner());
        aliases
            .get(scoped_name)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(target, _)| target.clone())
    }

    /// Caches the target of an alias that exists, evicting an arbitrary entry when
    /// the cache is full.
    pub fn put_alias(&self, scoped_name: &str, target: String) {
        let mut aliases = self.aliases.write().unwrap_or_else(|p| p.into_inner());
        if aliases.len() >= self.alias_capacity
            && !aliases.contains_key(scoped_name)
            && let Some(victim) = aliases.keys().next().cloned()
        {
            aliases.remove(&victim);
        }
        aliases.insert(scoped_name.to_string(), (target, Instant::now()));
    }

    /// How many alias targets are cached.
    #[cfg(test)]
    fn alias_count(&self) -> usize {
        self.aliases.read().unwrap_or_else(|p| p.into_inner()).len()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_older_than_the_configured_ttl_are_not_served() {
        let fresh = KeyCache::new(&KmsConfig::default());
        fresh.put_alias("a", "k".into());
        assert_eq!(fresh.alias("a").as_deref(), Some("k"));
        // A zero TTL (below what [kms] accepts) makes every entry stale at once.
        let stale = KeyCache::new(&KmsConfig { cache_ttl_seconds: 0, ..KmsConfig::default() });
        stale.put_alias("a", "k".into());
        assert_eq!(stale.alias("a"), None);
    }

    #[test]
    fn alias_cache_stays_bounded() {
        let config = KmsConfig { alias_cache_capacity: 1000, ..KmsConfig::default() };
        let cache = KeyCache::new(&config);
        for i in 0..config.alias_cache_capacity + 500 {
            cache.put_alias(&format!("scope/alias/{i}"), format!("key-{i}"));
        }
        assert_eq!(cache.alias_count(), config.alias_cache_capacity);
        let last = config.alias_cache_capacity + 499;
        assert_eq!(cache.alias(&format!("scope/alias/{last}")), Some(format!("key-{last}")));
        cache.invalidate_alias(&format!("scope/alias/{last}"));
        assert_eq!(cache.alias(&format!("scope/alias/{last}")), None);
    }
}
