//! The caching materials manager: reuses data keys within limits of age, message count
//! and bytes, to save calls to a key service (KMS).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arca_crypto::digest::{HashAlgorithm, Hasher, hash};

use crate::Error;
use crate::cmm::CryptographicMaterialsManager;
use crate::materials::{
    DecryptMaterialsRequest, DecryptionMaterials, EncryptionMaterials, EncryptionMaterialsRequest,
};
use crate::suite::KeyDerivation;

/// A thread-safe, size-bounded store of materials that several caching managers (each
/// in its own partition) may share.
#[derive(Debug)]
pub struct MaterialsCache {
    capacity: usize,
    entries: Mutex<HashMap<Vec<u8>, CacheEntry>>,
}

#[derive(Debug)]
enum Cached {
    Encryption(EncryptionMaterials),
    Decryption(DecryptionMaterials),
}

#[derive(Debug)]
struct CacheEntry {
    materials: Cached,
    created: Instant,
    last_used: Instant,
    messages_encrypted: u64,
    bytes_encrypted: u64,
}

impl MaterialsCache {
    /// A cache holding at most `capacity` entries (the least recently used go first).
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self { capacity: capacity.max(1), entries: Mutex::new(HashMap::new()) })
    }

    /// The number of entries held.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn insert(&self, id: Vec<u8>, materials: Cached, usage: (u64, u64)) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= self.capacity && !entries.contains_key(&id) {
            let oldest =
                entries.iter().min_by_key(|(_, entry)| entry.last_used).map(|(id, _)| id.clone());
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        let now = Instant::now();
        entries.insert(
            id,
            CacheEntry {
                materials,
                created: now,
                last_used: now,
                messages_encrypted: usage.0,
                bytes_encrypted: usage.1,
            },
        );
    }
}

/// Limits on how long and how much a cached data key may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// Maximum age of an entry.
    pub max_age: Duration,
    /// Maximum messages encrypted under one data key (at most 2^32).
    pub max_messages_encrypted: u64,
    /// Maximum plaintext bytes encrypted under one data key.
    pub max_bytes_encrypted: u64,
}

impl CacheLimits {
    /// Limits with the given age and the spec's defaults for the rest.
    pub fn with_max_age(max_age: Duration) -> Self {
        Self { max_age, max_messages_encrypted: 1 << 32, max_bytes_encrypted: i64::MAX as u64 }
    }
}

/// Caches the materials of an underlying manager. Encryption requests are served from
/// the cache only when their plaintext length is known (so byte limits hold) and the
/// suite derives its keys (identity-KDF suites are never cached).
#[derive(Debug, Clone)]
pub struct CachingCmm {
    underlying: Arc<dyn CryptographicMaterialsManager>,
    cache: Arc<MaterialsCache>,
    limits: CacheLimits,
    partition: Vec<u8>,
}

impl CachingCmm {
    /// A caching manager over `underlying`, in partition `partition` of `cache` (a random
    /// partition when `None`, so managers share a cache without sharing entries).
    pub fn new(
        underlying: Arc<dyn CryptographicMaterialsManager>,
        cache: Arc<MaterialsCache>,
        limits: CacheLimits,
        partition: Option<&str>,
    ) -> Result<Self, Error> {
        if limits.max_age.is_zero() {
            return Err(Error::InvalidArgument("max age must be positive".into()));
        }
        if limits.max_messages_encrypted == 0 || limits.max_messages_encrypted > 1 << 32 {
            return Err(Error::InvalidArgument(
                "max messages encrypted must be between 1 and 2^32".into(),
            ));
        }
        let partition = match partition {
            Some(name) => hash(HashAlgorithm::Sha512, name.as_bytes()),
            None => arca_crypto::random::bytes(64),
        };
        Ok(Self { underlying, cache, limits, partition })
    }

    fn encryption_id(&self, request: &EncryptionMaterialsRequest) -> Result<Vec<u8>, Error> {
        let mut hasher = Hasher::new(HashAlgorithm::Sha512);
        hasher.update(&self.partition);
        match request.suite {
            Some(suite) => {
                hasher.update(&[1]);
                hasher.update(&suite.id().to_be_bytes());
            }
            None => hasher.update(&[0]),
        }
        hasher.update(&hash(HashAlgorithm::Sha512, &request.encryption_context.serialize()?));
        Ok(hasher.finish())
    }

    fn decryption_id(&self, request: &DecryptMaterialsRequest) -> Result<Vec<u8>, Error> {
        let mut keys: Vec<Vec<u8>> = request
            .encrypted_data_keys
            .iter()
            .map(|key| {
                let mut hasher = Hasher::new(HashAlgorithm::Sha512);
                for field in [key.provider_id.as_bytes(), &key.provider_info, &key.ciphertext] {
                    hasher.update(&(field.len() as u64).to_be_bytes());
                    hasher.update(field);
                }
                hasher.finish()
            })
            .collect();
        keys.sort();
        let mut hasher = Hasher::new(HashAlgorithm::Sha512);
        hasher.update(&self.partition);
        hasher.update(&request.suite.id().to_be_bytes());
        for key in keys {
            hasher.update(&key);
        }
        hasher.update(&[0u8; 64]);
        hasher.update(&hash(HashAlgorithm::Sha512, &request.encryption_context.serialize()?));
        hasher.update(&hash(
            HashAlgorithm::Sha512,
            &request.reproduced_encryption_context.serialize()?,
        ));
        Ok(hasher.finish())
    }
}

impl CryptographicMaterialsManager for CachingCmm {
    fn get_encryption_materials(
        &self,
        request: EncryptionMaterialsRequest,
    ) -> Result<EncryptionMaterials, Error> {
        let cacheable_suite =
            request.suite.is_none_or(|suite| suite.key_derivation() != KeyDerivation::Identity);
        let Some(length) = request.plaintext_length.filter(|_| cacheable_suite) else {
            return self.underlying.get_encryption_materials(request);
        };
        let id = self.encryption_id(&request)?;
        if let Ok(mut entries) = self.cache.entries.lock()
            && let Some(entry) = entries.get_mut(&id)
        {
            let fresh = entry.created.elapsed() < self.limits.max_age;
            let messages = entry.messages_encrypted.saturating_add(1);
            let bytes = entry.bytes_encrypted.saturating_add(length);
            match &entry.materials {
                Cached::Encryption(materials)
                    if fresh
                        && messages <= self.limits.max_messages_encrypted
                        && bytes <= self.limits.max_bytes_encrypted =>
                {
                    entry.messages_encrypted = messages;
                    entry.bytes_encrypted = bytes;
                    entry.last_used = Instant::now();
                    return Ok(materials.clone());
                }
                Cached::Encryption(_) | Cached::Decryption(_) => {
                    entries.remove(&id);
                }
            }
        }
        let materials = self.underlying.get_encryption_materials(request)?;
        if materials.suite.key_derivation() != KeyDerivation::Identity
            && length <= self.limits.max_bytes_encrypted
        {
            self.cache.insert(id, Cached::Encryption(materials.clone()), (1, length));
        }
        Ok(materials)
    }

    fn decrypt_materials(
        &self,
        request: DecryptMaterialsRequest,
    ) -> Result<DecryptionMaterials, Error> {
        if request.suite.key_derivation() == KeyDerivation::Identity {
            return self.underlying.decrypt_materials(request);
        }
        let id = self.decryption_id(&request)?;
        if let Ok(mut entries) = self.cache.entries.lock()
            && let Some(entry) = entries.get_mut(&id)
        {
            match &entry.materials {
                Cached::Decryption(materials) if entry.created.elapsed() < self.limits.max_age => {
                    entry.last_used = Instant::now();
                    return Ok(materials.clone());
                }
                Cached::Decryption(_) | Cached::Encryption(_) => {
                    entries.remove(&id);
                }
            }
        }
        let materials = self.underlying.decrypt_materials(request)?;
        self.cache.insert(id, Cached::Decryption(materials.clone()), (0, 0));
        Ok(materials)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use arca_crypto::SecretBytes;

    use super::*;
    use crate::keyring::{Keyring, RawAesKeyring};
    use crate::materials::EncryptedDataKey;
    use crate::{Client, DecryptOptions, DefaultCmm, EncryptOptions};

    /// Counts the calls that reach the real keyring.
    #[derive(Debug)]
    struct Counting(RawAesKeyring, AtomicUsize, AtomicUsize);

    impl Keyring for Counting {
        fn on_encrypt(&self, m: EncryptionMaterials) -> Result<EncryptionMaterials, Error> {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.on_encrypt(m)
        }
        fn on_decrypt(
            &self,
            m: DecryptionMaterials,
            k: &[EncryptedDataKey],
        ) -> Result<DecryptionMaterials, Error> {
            self.2.fetch_add(1, Ordering::SeqCst);
            self.0.on_decrypt(m, k)
        }
    }

    fn setup(limits: CacheLimits) -> (Arc<Counting>, CachingCmm) {
        let keyring = Arc::new(Counting(
            RawAesKeyring::new("ns", "k", SecretBytes::new(vec![5; 32])).unwrap(),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        ));
        let cmm = CachingCmm::new(
            Arc::new(DefaultCmm::new(keyring.clone())),
            MaterialsCache::new(10),
            limits,
            Some("p"),
        )
        .unwrap();
        (keyring, cmm)
    }

    #[test]
    fn reuses_data_keys_within_limits() {
        let mut limits = CacheLimits::with_max_age(Duration::from_secs(60));
        limits.max_messages_encrypted = 3;
        let (keyring, cmm) = setup(limits);
        let options = EncryptOptions::default();
        let mut messages = Vec::new();
        for _ in 0..7 {
            messages.push(Client::default().encrypt(&cmm, b"cached", &options).unwrap().0);
        }
        // Three messages per data key: seven messages need three keyring calls.
        assert_eq!(keyring.1.load(Ordering::SeqCst), 3);
        for message in &messages {
            assert_eq!(
                Client::default().decrypt(&cmm, message, &DecryptOptions::default()).unwrap().0,
                b"cached"
            );
        }
        assert_eq!(keyring.2.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn byte_and_age_limits_and_unknown_lengths() {
        let mut limits = CacheLimits::with_max_age(Duration::from_secs(60));
        limits.max_bytes_encrypted = 10;
        let (keyring, cmm) = setup(limits);
        for _ in 0..2 {
            Client::default().encrypt(&cmm, b"123456", &EncryptOptions::default()).unwrap();
        }
        assert_eq!(keyring.1.load(Ordering::SeqCst), 2);
        // Streaming without a declared length bypasses the cache.
        let mut out = Vec::new();
        Client::default()
            .encrypt_stream(&cmm, &EncryptOptions::default(), &b"x"[..], &mut out)
            .unwrap();
        assert_eq!(keyring.1.load(Ordering::SeqCst), 3);
        let (keyring, cmm) = setup(CacheLimits::with_max_age(Duration::from_millis(30)));
        Client::default().encrypt(&cmm, b"a", &EncryptOptions::default()).unwrap();
        std::thread::sleep(Duration::from_millis(60));
        Client::default().encrypt(&cmm, b"a", &EncryptOptions::default()).unwrap();
        assert_eq!(keyring.1.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn is_shared_across_threads() {
        let (keyring, cmm) = setup(CacheLimits::with_max_age(Duration::from_secs(60)));
        let cmm = Arc::new(cmm);
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let cmm = cmm.clone();
                std::thread::spawn(move || {
                    for _ in 0..10 {
                        Client::default().encrypt(&*cmm, b"t", &EncryptOptions::default()).unwrap();
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        assert!(keyring.1.load(Ordering::SeqCst) <= 4);
    }
}
