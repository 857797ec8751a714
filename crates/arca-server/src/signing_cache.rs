//! A cache of derived SigV4 signing keys, so that a request costs one HMAC chain per
//! access key and day instead of four HMACs every time.

use std::{collections::HashMap, sync::RwLock};

use arca_sigv4::SigningKey;

/// Signing keys by (access key id, date, region, service).
#[derive(Default)]
pub struct SigningKeyCache {
    keys: RwLock<HashMap<(String, String, String, String), SigningKey>>,
}

/// Bound on entries; the cache is simply cleared when it fills (keys are cheap to derive).
const MAX_ENTRIES: usize = 10_000;

impl SigningKeyCache {
    /// The cached key, or `derive()`'s result, cached.
    pub fn get_or_derive(
        &self,
        access_key_id: &str,
        date: &str,
        region: &str,
        service: &str,
        derive: impl FnOnce() -> SigningKey,
    ) -> SigningKey {
        let id =
            (access_key_id.to_string(), date.to_string(), region.to_string(), service.to_string());
        if let Some(key) = self.keys.read().unwrap_or_else(|p| p.into_inner()).get(&id) {
            return key.clone();
        }
        let key = derive();
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        if keys.len() >= MAX_ENTRIES {
            keys.clear();
        }
        keys.insert(id, key.clone());
        key
    }

    /// Forgets every key (an access key was deleted or the root key rotated).
    pub fn clear(&self) {
        self.keys.write().unwrap_or_else(|p| p.into_inner()).clear();
    }
}
