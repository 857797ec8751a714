//! The versioned root keyring and the sealed-value format.

use std::{
    collections::BTreeMap,
    sync::{Arc, RwLock},
};

use arca_crypto::{SecretBytes, aead::AesGcmKey};
use arca_store::{Precondition, Store, StoreError, Write};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use serde::{Deserialize, Serialize};

use crate::SealProvider;

const TABLE: &str = "seal.root-keys";
/// Marks a sealed value and its layout version: `S1 || root version (u32 BE) || nonce || ct || tag`.
const MAGIC: &[u8; 2] = b"S1";
const HEADER_LEN: usize = 2 + 4;

/// Why sealing or opening failed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The seal provider could not produce its key (missing file, empty passphrase, ...).
    #[error("seal provider failed: {0}")]
    Provider(String),
    /// The provider's key does not open the stored root keys (wrong passphrase or key file).
    #[error("the seal key does not open the stored root keys (wrong passphrase or key file?)")]
    WrongSealKey,
    /// A sealed value was malformed, named an unknown root key, or failed authentication.
    #[error("sealed value could not be opened")]
    Open,
    /// A root key version cannot be retired: an owner still holds values sealed under
    /// it (re-wrap them first, or they would become unreadable).
    #[error(
        "root key version {version} still seals {count} {owner} value(s); re-wrap them before retiring it"
    )]
    VersionInUse {
        /// The owner that reported the values ([`SealedOwner::name`]).
        owner: &'static str,
        /// The root key version still in use.
        version: u32,
        /// How many of the owner's values name it.
        count: u64,
    },
    /// An owner could not count its sealed values, so nothing was retired.
    #[error("counting the sealed values of {owner} failed: {message}")]
    Count {
        /// The owner ([`SealedOwner::name`]).
        owner: &'static str,
        /// Its error.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Any error an owner's count may fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Something that keeps values sealed under the root key in the store (access-key
/// secrets, KMS key material). A root key rotation asks every owner to re-wrap its
/// values under the current version; retirement then asks every owner how many of its
/// values each root key version still seals, and refuses while any count is not zero.
#[async_trait::async_trait]
pub trait SealedOwner: Send + Sync {
    /// A short name for messages (`"access-key secret"`, `"KMS key material"`).
    fn name(&self) -> &'static str;

    /// Re-seals every stored value under the current root key version; returns how many
    /// values were re-sealed.
    async fn rewrap(&self) -> Result<usize, BoxError>;

    /// How many of this owner's stored sealed values name each root key version, read
    /// from the store (not a cache), so that another node's writes are counted.
    async fn count_by_root_version(&self) -> Result<BTreeMap<u32, u64>, BoxError>;
}

/// A value sealed under a root key version; safe to store and log (it is ciphertext).
#[derive(Clone, PartialEq, Eq)]
pub struct SealedBytes(Vec<u8>);

impl SealedBytes {
    /// Wraps bytes read back from storage.
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The raw sealed bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The root key version that sealed this value, if the header is well formed.
    pub fn root_version(&self) -> Option<u32> {
        let header = self.0.get(..HEADER_LEN)?;
        if &header[..2] != MAGIC {
            return None;
        }
        Some(u32::from_be_bytes([header[2], header[3], header[4], header[5]]))
    }
}

impl std::fmt::Debug for SealedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealedBytes(v{:?}, {} bytes)", self.root_version(), self.0.len())
    }
}

impl Serialize for SealedBytes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&BASE64.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for SealedBytes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        BASE64.decode(text).map(SealedBytes).map_err(serde::de::Error::custom)
    }
}

#[derive(Serialize, Deserialize)]
struct RootKeyRecord {
    version: u32,
    /// The root key wrapped under the provider's key-encryption key.
    wrapped: SealedBytes,
}

struct Inner {
    current: u32,
    keys: BTreeMap<u32, AesGcmKey>,
}

/// Every root key version in use; seals with the newest, opens with any.
pub struct RootKeyring {
    store: Arc<dyn Store>,
    kek: Arc<dyn KeyEncryption>,
    inner: RwLock<Inner>,
}

/// What wraps the root keys. It wraps and unwraps, and never hands out the
/// key-encryption key itself, so that the key can live inside an HSM (a PKCS#11
/// provider implements this with the device's wrap or encrypt calls).
pub trait KeyEncryption: Send + Sync {
    /// A short name for logs (`software`, `pkcs11`).
    fn name(&self) -> &'static str;

    /// Wraps a root key of `version`, binding `aad`.
    fn wrap(&self, version: u32, aad: &[u8], root_key: &[u8]) -> Result<SealedBytes, SealError>;

    /// Unwraps a root key wrapped by [`Self::wrap`] with the same `aad`.
    fn unwrap(&self, aad: &[u8], wrapped: &SealedBytes) -> Result<SecretBytes, SealError>;
}

/// The key-encryption key held in memory, from a key file or a passphrase.
pub struct SoftwareKeyEncryption {
    key: AesGcmKey,
}

impl SoftwareKeyEncryption {
    /// The provider's key-encryption key, read or derived (creating the key or salt
    /// file on first use).
    pub fn from_provider(provider: &SealProvider) -> Result<Self, SealError> {
        let key =
            AesGcmKey::new(provider.key_encryption_key()?).map_err(|_| SealError::WrongSealKey)?;
        Ok(Self { key })
    }
}

impl KeyEncryption for SoftwareKeyEncryption {
    fn name(&self) -> &'static str {
        "software"
    }

    fn wrap(&self, version: u32, aad: &[u8], root_key: &[u8]) -> Result<SealedBytes, SealError> {
        seal_with(&self.key, version, aad, root_key)
    }

    fn unwrap(&self, aad: &[u8], wrapped: &SealedBytes) -> Result<SecretBytes, SealError> {
        open_with(&self.key, aad, wrapped)
    }
}

impl std::fmt::Debug for RootKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootKeyring").field("current", &self.current_version()).finish()
    }
}

fn record_key(version: u32) -> String {
    format!("{version:010}")
}

fn root_key_aad(version: u32) -> Vec<u8> {
    format!("arca:root-key:{version}").into_bytes()
}

impl RootKeyring {
    /// Loads (or on first start creates) the root keys, unwrapping them with the
    /// provider's key-encryption key.
    pub async fn unseal(
        store: Arc<dyn Store>,
        provider: &SealProvider,
    ) -> Result<Arc<Self>, SealError> {
        let kek = SoftwareKeyEncryption::from_provider(provider)?;
        Self::unseal_with(store, Arc::new(kek)).await
    }

    /// Like [`Self::unseal`], with any [`KeyEncryption`] (an HSM's).
    pub async fn unseal_with(
        store: Arc<dyn Store>,
        kek: Arc<dyn KeyEncryption>,
    ) -> Result<Arc<Self>, SealError> {
        let keyring = Arc::new(Self {
            store,
            kek,
            inner: RwLock::new(Inner { current: 0, keys: BTreeMap::new() }),
        });
        keyring.reload().await?;
        if keyring.current_version() == 0 {
            // First start: another node may race us to create version 1; the loser reloads.
            match keyring.create_version(1).await {
                Ok(()) | Err(SealError::Store(StoreError::Conflict { .. })) => {}
                Err(error) => return Err(error),
            }
            keyring.reload().await?;
        }
        Ok(keyring)
    }

    /// Re-reads the root keys from the store (after a rotation on another node).
    pub async fn reload(&self) -> Result<(), SealError> {
        let mut keys = BTreeMap::new();
        let mut start_after: Option<String> = None;
        loop {
            let page = self.store.list(TABLE, "", start_after.as_deref(), 100).await?;
            let Some(last) = page.last() else { break };
            start_after = Some(last.key.clone());
            for record in &page {
                let parsed: RootKeyRecord =
                    serde_json::from_slice(&record.value).map_err(|_| SealError::Open)?;
                let material = self
                    .kek
                    .unwrap(&root_key_aad(parsed.version), &parsed.wrapped)
                    .map_err(|_| SealError::WrongSealKey)?;
                let key = AesGcmKey::new(material).map_err(|_| SealError::WrongSealKey)?;
                keys.insert(parsed.version, key);
            }
        }
        let current = keys.keys().next_back().copied().unwrap_or(0);
        let mut inner = self.inner.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        *inner = Inner { current, keys };
        Ok(())
    }

    async fn create_version(&self, version: u32) -> Result<(), SealError> {
        let material = SecretBytes::random(32);
        let wrapped = self.kek.wrap(version, &root_key_aad(version), material.expose_secret())?;
        let record = RootKeyRecord { version, wrapped };
        let value = serde_json::to_vec(&record).map_err(|_| SealError::Open)?;
        self.store
            .commit(vec![Write::put(TABLE, &record_key(version), value, Precondition::Absent)])
            .await?;
        Ok(())
    }

    /// The version new values are sealed under.
    pub fn current_version(&self) -> u32 {
        self.inner.read().unwrap_or_else(|poisoned| poisoned.into_inner()).current
    }

    /// Every version still held, oldest first.
    pub fn versions(&self) -> Vec<u32> {
        self.inner
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .keys
            .keys()
            .copied()
            .collect()
    }

    /// Seals `plaintext` under the current root key, binding `aad`.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<SealedBytes, SealError> {
        let inner = self.inner.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = inner.keys.get(&inner.current).ok_or(SealError::Open)?;
        seal_with(key, inner.current, aad, plaintext)
    }

    /// Opens a sealed value with the root key version it names, checking `aad`.
    pub fn open(&self, aad: &[u8], sealed: &SealedBytes) -> Result<SecretBytes, SealError> {
        let version = sealed.root_version().ok_or(SealError::Open)?;
        let inner = self.inner.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = inner.keys.get(&version).ok_or(SealError::Open)?;
        open_with(key, aad, sealed)
    }

    /// True when `sealed` is under an older root key than the current one.
    pub fn needs_rewrap(&self, sealed: &SealedBytes) -> bool {
        sealed.root_version() != Some(self.current_version())
    }

    /// Starts a rotation: adds a new root key version and makes it current. Values
    /// sealed under older versions still open until [`Self::retire_older`] runs, so
    /// reads never stop while owners re-wrap their records.
    pub async fn rotate(&self) -> Result<u32, SealError> {
        self.reload().await?;
        let next = self.current_version() + 1;
        self.create_version(next).await?;
        self.reload().await?;
        Ok(next)
    }

    /// Removes every root key version older than the current one, after asking every
    /// `owner` what its stored values are still sealed under. Refused with
    /// [`SealError::VersionInUse`] (and nothing removed) while any owner holds a value
    /// under a version that would go: removing it would make that value unreadable.
    ///
    /// `owners` must list every [`SealedOwner`] in the server; a value of an owner not
    /// listed is not protected. Counting and removing are not one transaction: a node
    /// that has not yet seen the rotation (one change-feed delivery) could seal a value
    /// under the old version in between, which is why counting comes last, after the
    /// owners have re-wrapped.
    pub async fn retire_older(&self, owners: &[&dyn SealedOwner]) -> Result<usize, SealError> {
        self.reload().await?;
        let current = self.current_version();
        let old: Vec<u32> = self.versions().into_iter().filter(|v| *v < current).collect();
        if old.is_empty() {
            return Ok(0);
        }
        for owner in owners {
            let counts = owner.count_by_root_version().await.map_err(|error| SealError::Count {
                owner: owner.name(),
                message: error.to_string(),
            })?;
            if let Some((version, count)) =
                counts.iter().find(|&(version, count)| old.contains(version) && *count > 0)
            {
                return Err(SealError::VersionInUse {
                    owner: owner.name(),
                    version: *version,
                    count: *count,
                });
            }
        }
        let writes =
            old.iter().map(|v| Write::delete(TABLE, &record_key(*v), Precondition::None)).collect();
        self.store.commit(writes).await?;
        self.reload().await?;
        Ok(old.len())
    }

    /// A whole rotation: adds a version, has every owner re-wrap its values under it,
    /// then retires the older versions (refused, keeping them, while any owner still
    /// counts a value under one). `owners` is every owner the server registered.
    pub async fn rotate_all(&self, owners: &[&dyn SealedOwner]) -> Result<Rotation, SealError> {
        let version = self.rotate().await?;
        let mut rewrapped = Vec::with_capacity(owners.len());
        for owner in owners {
            let count = owner.rewrap().await.map_err(|error| SealError::Count {
                owner: owner.name(),
                message: error.to_string(),
            })?;
            rewrapped.push((owner.name(), count));
        }
        let retired = self.retire_older(owners).await;
        Ok(Rotation { version, rewrapped, retired })
    }
}

/// What [`RootKeyring::rotate_all`] did.
#[derive(Debug)]
pub struct Rotation {
    /// The new current version.
    pub version: u32,
    /// Each owner and how many of its values it re-sealed.
    pub rewrapped: Vec<(&'static str, usize)>,
    /// How many old versions were retired, or why none were.
    pub retired: Result<usize, SealError>,
}

fn seal_with(
    key: &AesGcmKey,
    version: u32,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<SealedBytes, SealError> {
    let body = key.seal_random_nonce(aad, plaintext).map_err(|_| SealError::Open)?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&body);
    Ok(SealedBytes(out))
}

fn open_with(key: &AesGcmKey, aad: &[u8], sealed: &SealedBytes) -> Result<SecretBytes, SealError> {
    let body = sealed.0.get(HEADER_LEN..).ok_or(SealError::Open)?;
    key.open_combined(aad, body).map_err(|_| SealError::Open)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn keyring(dir: &std::path::Path, store: Arc<dyn Store>) -> Arc<RootKeyring> {
        RootKeyring::unseal(store, &SealProvider::File { path: dir.join("root.key") })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn seals_opens_and_binds_aad() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(arca_store::SqliteStore::memory().await.unwrap());
        let keyring = keyring(dir.path(), store).await;
        assert_eq!(keyring.current_version(), 1);
        let sealed = keyring.seal(b"owner-a", b"material").unwrap();
        assert_eq!(keyring.open(b"owner-a", &sealed).unwrap().expose_secret(), b"material");
        assert!(matches!(keyring.open(b"owner-b", &sealed), Err(SealError::Open)));
        assert!(!format!("{sealed:?}").contains("material"));
    }

    #[tokio::test]
    async fn rotation_keeps_old_values_readable_until_retired() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(arca_store::SqliteStore::memory().await.unwrap());
        let keyring = keyring(dir.path(), Arc::clone(&store)).await;
        let old = keyring.seal(b"aad", b"old value").unwrap();
        assert_eq!(keyring.rotate().await.unwrap(), 2);
        assert!(keyring.needs_rewrap(&old));
        assert_eq!(keyring.open(b"aad", &old).unwrap().expose_secret(), b"old value");
        let new = keyring.seal(b"aad", b"new value").unwrap();
        assert_eq!(new.root_version(), Some(2));
        assert_eq!(keyring.retire_older(&[]).await.unwrap(), 1);
        assert!(keyring.open(b"aad", &old).is_err());
        assert_eq!(keyring.open(b"aad", &new).unwrap().expose_secret(), b"new value");
        // A second node loading the same store sees the same current version.
        let other = keyring_with(dir.path(), store).await;
        assert_eq!(other.versions(), vec![2]);
    }

    /// Sealed values kept in memory, as an owner would keep them in the store.
    struct Values {
        sealed: std::sync::Mutex<Vec<SealedBytes>>,
        /// The keyring to re-wrap with; `None` for an owner whose re-wrap does nothing.
        rewrap_with: Option<Arc<RootKeyring>>,
    }

    #[async_trait::async_trait]
    impl SealedOwner for Values {
        fn name(&self) -> &'static str {
            "test value"
        }

        async fn rewrap(&self) -> Result<usize, BoxError> {
            let Some(keyring) = &self.rewrap_with else { return Ok(0) };
            let mut sealed = self.sealed.lock().unwrap();
            for value in sealed.iter_mut() {
                let material = keyring.open(b"aad", value)?;
                *value = keyring.seal(b"aad", material.expose_secret())?;
            }
            Ok(sealed.len())
        }

        async fn count_by_root_version(&self) -> Result<BTreeMap<u32, u64>, BoxError> {
            let mut counts = BTreeMap::new();
            for sealed in self.sealed.lock().unwrap().iter() {
                *counts.entry(sealed.root_version().ok_or("malformed")?).or_insert(0) += 1;
            }
            Ok(counts)
        }
    }

    #[tokio::test]
    async fn retirement_is_refused_while_a_value_is_sealed_under_an_old_version() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(arca_store::SqliteStore::memory().await.unwrap());
        let keyring = keyring(dir.path(), store).await;
        let values = Values {
            sealed: std::sync::Mutex::new(vec![keyring.seal(b"aad", b"kept").unwrap()]),
            rewrap_with: None,
        };
        keyring.rotate().await.unwrap();
        // Not re-wrapped: retiring version 1 would lose the value.
        let error = keyring.retire_older(&[&values]).await.unwrap_err();
        assert!(
            matches!(error, SealError::VersionInUse { owner: "test value", version: 1, count: 1 }),
            "{error:?}"
        );
        assert_eq!(keyring.versions(), vec![1, 2]);
        let old = values.sealed.lock().unwrap()[0].clone();
        assert_eq!(keyring.open(b"aad", &old).unwrap().expose_secret(), b"kept");
        // Re-wrapped: retirement goes ahead and the value still opens.
        let material = keyring.open(b"aad", &old).unwrap();
        let rewrapped = keyring.seal(b"aad", material.expose_secret()).unwrap();
        *values.sealed.lock().unwrap() = vec![rewrapped.clone()];
        assert_eq!(keyring.retire_older(&[&values]).await.unwrap(), 1);
        assert_eq!(keyring.versions(), vec![2]);
        assert_eq!(keyring.open(b"aad", &rewrapped).unwrap().expose_secret(), b"kept");
        assert!(keyring.open(b"aad", &old).is_err());
    }

    #[tokio::test]
    async fn a_rotation_rewraps_every_registered_owner_and_an_owner_that_does_not_keeps_the_old_version()
     {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(arca_store::SqliteStore::memory().await.unwrap());
        let keyring = keyring(dir.path(), store).await;
        let registered = Values {
            sealed: std::sync::Mutex::new(vec![keyring.seal(b"aad", b"one").unwrap()]),
            rewrap_with: Some(keyring.clone()),
        };
        // An extra owner of another service, registered too: re-wrapped with the rest.
        let extra = Values {
            sealed: std::sync::Mutex::new(vec![keyring.seal(b"aad", b"two").unwrap()]),
            rewrap_with: Some(keyring.clone()),
        };
        let rotation = keyring.rotate_all(&[&registered, &extra]).await.unwrap();
        assert_eq!(rotation.version, 2);
        assert_eq!(rotation.rewrapped, vec![("test value", 1), ("test value", 1)]);
        assert_eq!(rotation.retired.unwrap(), 1);
        for (owner, plaintext) in [(&registered, b"one"), (&extra, b"two")] {
            let value = owner.sealed.lock().unwrap()[0].clone();
            assert_eq!(keyring.open(b"aad", &value).unwrap().expose_secret(), plaintext);
        }
        // An owner whose re-wrap forgets its values: the old version is kept, not lost.
        let forgetful = Values {
            sealed: std::sync::Mutex::new(vec![keyring.seal(b"aad", b"three").unwrap()]),
            rewrap_with: None,
        };
        let rotation = keyring.rotate_all(&[&registered, &forgetful]).await.unwrap();
        assert!(matches!(rotation.retired, Err(SealError::VersionInUse { version: 2, .. })));
        assert_eq!(keyring.versions(), vec![2, 3]);
        let value = forgetful.sealed.lock().unwrap()[0].clone();
        assert_eq!(keyring.open(b"aad", &value).unwrap().expose_secret(), b"three");
    }

    /// A provider that, like an HSM, keeps its key to itself and counts its calls.
    struct Device {
        key: AesGcmKey,
        calls: std::sync::atomic::AtomicUsize,
    }

    impl KeyEncryption for Device {
        fn name(&self) -> &'static str {
            "device"
        }

        fn wrap(
            &self,
            version: u32,
            aad: &[u8],
            root_key: &[u8],
        ) -> Result<SealedBytes, SealError> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            seal_with(&self.key, version, aad, root_key)
        }

        fn unwrap(&self, aad: &[u8], wrapped: &SealedBytes) -> Result<SecretBytes, SealError> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            open_with(&self.key, aad, wrapped)
        }
    }

    #[tokio::test]
    async fn any_key_encryption_provider_wraps_the_root_keys() {
        let store: Arc<dyn Store> = Arc::new(arca_store::SqliteStore::memory().await.unwrap());
        let device = Arc::new(Device {
            key: AesGcmKey::new(SecretBytes::random(32)).unwrap(),
            calls: Default::default(),
        });
        let keyring = RootKeyring::unseal_with(store.clone(), device.clone()).await.unwrap();
        let sealed = keyring.seal(b"aad", b"value").unwrap();
        keyring.rotate().await.unwrap();
        // A second node with the same device reads both versions.
        let other = RootKeyring::unseal_with(store, device.clone()).await.unwrap();
        assert_eq!(other.open(b"aad", &sealed).unwrap().expose_secret(), b"value");
        assert_eq!(other.versions(), vec![1, 2]);
        assert!(device.calls.load(std::sync::atomic::Ordering::Relaxed) >= 4);
    }

    struct Failing;

    #[async_trait::async_trait]
    impl SealedOwner for Failing {
        fn name(&self) -> &'static str {
            "failing"
        }

        async fn rewrap(&self) -> Result<usize, BoxError> {
            Err("store unavailable".into())
        }

        async fn count_by_root_version(&self) -> Result<BTreeMap<u32, u64>, BoxError> {
            Err("store unavailable".into())
        }
    }

    #[tokio::test]
    async fn retirement_is_refused_when_an_owner_cannot_count() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(arca_store::SqliteStore::memory().await.unwrap());
        let keyring = keyring(dir.path(), store).await;
        keyring.rotate().await.unwrap();
        let error = keyring.retire_older(&[&Failing]).await.unwrap_err();
        assert!(matches!(error, SealError::Count { owner: "failing", .. }), "{error:?}");
        assert_eq!(keyring.versions(), vec![1, 2]);
    }

    async fn keyring_with(dir: &std::path::Path, store: Arc<dyn Store>) -> Arc<RootKeyring> {
        keyring(dir, store).await
    }

    #[tokio::test]
    async fn a_wrong_seal_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(arca_store::SqliteStore::memory().await.unwrap());
        keyring(dir.path(), Arc::clone(&store)).await;
        let other_dir = tempfile::tempdir().unwrap();
        let error = RootKeyring::unseal(
            store,
            &SealProvider::File { path: other_dir.path().join("root.key") },
        )
        .await
        .unwrap_err();
        assert!(matches!(error, SealError::WrongSealKey));
    }
}
