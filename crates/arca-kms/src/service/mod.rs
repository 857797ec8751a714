//! The KMS service: resolution of key references, loading through the cache,
//! optimistic updates and authorisation. The operations live in the sibling modules.

mod aliases;
mod asymmetric;
mod crypto;
mod data_key_pair;
mod grants;
mod import;
mod jobs;
mod keys;
mod last_usage;
mod mac;
mod multi_region;
mod policy;
mod rotation;
pub(crate) mod seed;
mod tags;

use std::{collections::BTreeMap, sync::Arc};

use arca_gate::{Access, Caller, Clock, ResourceMode};
use arca_policy::Policy;
use arca_seal::RootKeyring;
use arca_store::{Precondition, Store, StoreError, Write};

use crate::{
    KmsConfig, KmsError,
    cache::{CachedKey, KeyCache, VersionMaterial},
    operation::Operation,
    record::{ALIASES, AliasRecord, KEYS, KeyRecord, KeyState, scope_prefix, store_key},
    spec::KeyKind,
    wire::EncryptionContext,
};

pub use jobs::{DELETE_JOB, JOB_KINDS, ROTATE_JOB};

/// How often an optimistic update is retried when another writer got there first.
const UPDATE_ATTEMPTS: usize = 8;

/// The key management service.
pub struct KmsService {
    pub(crate) store: Arc<dyn Store>,
    keyring: Arc<RootKeyring>,
    clock: Clock,
    cache: KeyCache,
    /// Key uses noted since the last flush (GetKeyLastUsage).
    usage: last_usage::UsageNotes,
}

impl std::fmt::Debug for KmsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KmsService").finish_non_exhaustive()
    }
}

/// A key reference as a caller may write it.
#[derive(Debug, PartialEq, Eq)]
enum KeyRef {
    Id(String),
    KeyArn { region: String, account: String, id: String },
    Alias(String),
    AliasArn { region: String, account: String, name: String },
}

/// A key id as KMS writes them: a UUID in its hyphenated form (the 32-digit form without
/// hyphens is not one, as AWS answers for it), or a multi-Region key's `mrk-` and 32
/// lower-case hex digits.
fn is_key_id(id: &str) -> bool {
    match id.strip_prefix("mrk-") {
        Some(hex) => hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        None => id.len() == 36 && uuid::Uuid::parse_str(id).is_ok(),
    }
}

fn parse_key_ref(text: &str) -> Option<KeyRef> {
    if let Some(rest) = text.strip_prefix("arn:aws:kms:") {
        let mut parts = rest.splitn(3, ':');
        let region = parts.next()?.to_string();
        let account = parts.next()?.to_string();
        let resource = parts.next()?;
        if region.is_empty() || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        if let Some(id) = resource.strip_prefix("key/") {
            return Some(KeyRef::KeyArn { region, account, id: id.to_string() });
        }
        if resource.starts_with("alias/") {
            return Some(KeyRef::AliasArn { region, account, name: resource.to_string() });
        }
        return None;
    }
    if text.starts_with("alias/") {
        return Some(KeyRef::Alias(text.to_string()));
    }
    Some(KeyRef::Id(text.to_string()))
}

impl KmsService {
    /// A service over `store`, sealing key material with `keyring`, with the default
    /// `[kms]` settings.
    pub fn new(store: Arc<dyn Store>, keyring: Arc<RootKeyring>, clock: Clock) -> Arc<Self> {
        Self::with_config(store, keyring, clock, &KmsConfig::default())
    }

    /// A service with the settings of the `[kms]` section.
    pub fn with_config(
        store: Arc<dyn Store>,
        keyring: Arc<RootKeyring>,
        clock: Clock,
        config: &KmsConfig,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            keyring,
            clock,
            cache: KeyCache::new(config),
            usage: last_usage::UsageNotes::default(),
        })
    }

    /// Drops cached state whenever the store reports a change to keys or aliases,
    /// from this node or any other, and writes noted key uses to the store every few
    /// seconds. Returns the task's handle.
    pub fn spawn_invalidation(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let service = Arc::clone(self);
        let changes = self.store.subscribe();
        tokio::spawn(async move {
            tokio::select! {
                () = Arc::clone(&service).invalidate_on_change(changes) => {}
                () = service.flush_usage_forever() => {}
            }
        })
    }

    async fn flush_usage_forever(self: Arc<Self>) {
        if let Err(error) = self.tracking_start().await {
            tracing::warn!(%error, "could not record when key use tracking began");
        }
        let mut tick = tokio::time::interval(last_usage::FLUSH_INTERVAL);
        loop {
            tick.tick().await;
            if let Err(error) = self.flush_last_usage().await {
                tracing::warn!(%error, "could not write key last-use records; retrying");
            }
        }
    }

    async fn invalidate_on_change(
        self: Arc<Self>,
        mut changes: tokio::sync::broadcast::Receiver<arca_store::Change>,
    ) {
        let service = self;
        {
            loop {
                match changes.recv().await {
                    Ok(change) if change.table == KEYS => service.cache.invalidate_key(&change.key),
                    Ok(change) if change.table == ALIASES => {
                        service.cache.invalidate_alias(&change.key)
                    }
                    Ok(change) if change.table == "seal.root-keys" => service.cache.clear(),
                    // The feed was lost and re-established: anything may have changed.
                    Ok(change) if change.is_resync() => service.cache.clear(),
                    Ok(_) => {}
                    // Missed notifications: forget everything rather than serve stale state.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        service.cache.clear()
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        }
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Loads a key by its store key (see `record::store_key`) through the cache.
    async fn load(&self, key_id: &str) -> Result<Option<Arc<CachedKey>>, KmsError> {
        if let Some(cached) = self.cache.key(key_id) {
            return Ok(Some(cached));
        }
        let Some(stored) = self.store.get(KEYS, key_id).await? else {
            return Ok(None);
        };
        let record: KeyRecord = serde_json::from_slice(&stored.value)
            .map_err(|e| KmsError::internal("decode key", e))?;
        let policy = Policy::parse_resource(&record.policy, arca_policy::MAX_KEY_POLICY_SIZE)
            .map_err(|e| KmsError::internal("stored key policy", e))?;
        let kind = KeyKind::of(&record.key_spec)
            .ok_or_else(|| KmsError::internal("stored key spec", &record.key_spec))?;
        let mut materials = BTreeMap::new();
        // Deleted or expired imported material has nothing to open.
        for version in record.versions.iter().filter(|v| v.sealed.is_some()) {
            let Some(sealed) = &version.sealed else { continue };
            let aad = KeyRecord::material_aad(&record.arn, version.version);
            let material = self.keyring.open(&aad, sealed)?;
            materials.insert(version.version, VersionMaterial::load(kind, material)?);
        }
        let grants = grants::load(self.store.as_ref(), &record.store_key()).await?;
        let cached =
            Arc::new(CachedKey::new(record, Arc::new(policy), materials).with_grants(grants));
        self.cache.put_key(Arc::clone(&cached));
        Ok(Some(cached))
    }

    /// Resolves what a caller wrote as KeyId (id, key ARN, alias name, alias ARN) to a
    /// key in the caller's region, or NotFoundException, for `operation`. A reference
    /// into another account for an operation AWS keeps within the account is refused
    /// before anything is looked up (AccessDeniedException), so such a caller reads
    /// nothing of the other account, not even whether the key or alias exists.
    async fn resolve(
        &self,
        caller: &Caller,
        text: &str,
        operation: Operation,
    ) -> Result<Arc<CachedKey>, KmsError> {
        let not_found = || KmsError::NotFound(format!("Invalid keyId '{text}'"));
        let key_ref = parse_key_ref(text).ok_or_else(not_found)?;
        if let KeyRef::KeyArn { account, .. } | KeyRef::AliasArn { account, .. } = &key_ref {
            caller.check_reach(operation.action(), text, account, operation.cross_account())?;
        }
        let (key_id, account, region) = match key_ref {
            // A bare id that is not a key id at all: AWS answers `Invalid keyId '...'`.
            KeyRef::Id(id) if !is_key_id(&id) => return Err(not_found()),
            KeyRef::Id(id) => (id, caller.account_id().to_string(), caller.region().to_string()),
            KeyRef::KeyArn { region, account, id } => (id, account, region),
            KeyRef::Alias(name) => {
                let id = self
                    .alias_target(caller, caller.account_id(), caller.region(), &name, operation)
                    .await?;
                (id, caller.account_id().to_string(), caller.region().to_string())
            }
            KeyRef::AliasArn { region, account, name } => {
                if region != caller.region() {
                    return Err(not_found());
                }
                let id = self.alias_target(caller, &account, &region, &name, operation).await?;
                (id, account, region)
            }
        };
        if region != caller.region() {
            // A key ARN of another region (AWS's answer names only the region).
            return Err(KmsError::NotFound(format!("Invalid arn {region}")));
        }
        let key_arn = format!("arn:aws:kms:{region}:{account}:key/{key_id}");
        let missing = || KmsError::NotFound(format!("Key '{key_arn}' does not exist"));
        if !is_key_id(&key_id) {
            return Err(missing());
        }
        let key = self.load(&store_key(&key_id, &region)).await?.ok_or_else(missing)?;
        if key.record.account_id != account || key.record.region != region {
            return Err(missing());
        }
        Ok(key)
    }

    /// The prologue of every operation whose only input to check is a required KeyId:
    /// validate it, resolve it, and authorise `action` on the key.
    async fn key_for_action(
        &self,
        caller: &Caller,
        key_id: &Option<String>,
        operation: Operation,
    ) -> Result<Arc<CachedKey>, KmsError> {
        let mut v = crate::validate::Validator::new();
        crate::validate::key_id(&mut v, "keyId", key_id, true);
        v.finish()?;
        let key = self
            .authorized_key(caller, key_id.as_deref().unwrap_or_default(), operation, None)
            .await?;
        Ok(key)
    }

    /// Resolves `key_id` and authorises `operation` on the key it names, with the
    /// request's encryption context for the `kms:EncryptionContext` condition keys.
    async fn authorized_key(
        &self,
        caller: &Caller,
        key_id: &str,
        operation: Operation,
        context: Option<&EncryptionContext>,
    ) -> Result<Arc<CachedKey>, KmsError> {
        let key = self.resolve(caller, key_id, operation).await?;
        self.authorize(caller, &key, operation, context)?;
        Ok(key)
    }

    /// The key an alias names. The AWS managed key behind `alias/aws/SERVICE` comes
    /// into being on first use, but only for a caller its key policy would let do
    /// `operation`: anyone else gets the denial without creating anything.
    async fn alias_target(
        &self,
        caller: &Caller,
        account: &str,
        region: &str,
        name: &str,
        operation: Operation,
    ) -> Result<String, KmsError> {
        let scoped = format!("{}{name}", scope_prefix(account, region));
        // Misses are not cached (a caller can name any number of made-up aliases).
        let target = match self.cache.alias(&scoped) {
            Some(target) => Some(target),
            None => match self.store.get(ALIASES, &scoped).await? {
                Some(stored) => {
                    let alias: AliasRecord = serde_json::from_slice(&stored.value)
                        .map_err(|e| KmsError::internal("decode alias", e))?;
                    self.cache.put_alias(&scoped, alias.target_key_id.clone());
                    Some(alias.target_key_id)
                }
                None => None,
            },
        };
        match target {
            Some(target) => Ok(target),
            // AWS managed keys come into being the first time their alias is used.
            None if account == caller.account_id() && aliases::is_aws_managed_alias(name) => {
                let policy_text = aliases::managed_key_policy(account, region, name);
                let policy = Policy::parse_resource(&policy_text, arca_policy::MAX_KEY_POLICY_SIZE)
                    .map_err(|e| KmsError::internal("AWS managed key policy", e))?;
                // The key does not exist yet: ask for any key of the account, so that
                // the caller's own deny statements on keys apply too.
                let resource = format!("arn:aws:kms:{region}:{account}:key/*");
                Self::authorize_against(caller, &resource, account, &policy, operation, None)?;
                self.create_aws_managed_key(account, region, name).await
            }
            None => Err(KmsError::NotFound(format!(
                "Alias 'arn:aws:kms:{region}:{account}:{name}' is not found."
            ))),
        }
    }

    /// Checks that `caller` may perform `operation` on `key` under its key policy and
    /// the caller's IAM policies and the key's grants, with the KMS condition keys of the
    /// request.
    fn authorize(
        &self,
        caller: &Caller,
        key: &CachedKey,
        operation: Operation,
        context: Option<&EncryptionContext>,
    ) -> Result<(), KmsError> {
        self.authorize_with(caller, key, operation, context, Vec::new(), || {
            grants::allow(&key.grants, caller, operation, context)
        })
    }

    /// [`Self::authorize`] with more condition keys and the caller's own test of the
    /// key's grants (CreateGrant limits what a grant lets its grantee grant).
    fn authorize_with(
        &self,
        caller: &Caller,
        key: &CachedKey,
        operation: Operation,
        context: Option<&EncryptionContext>,
        extra_keys: Vec<(String, Vec<String>)>,
        granted: impl FnOnce() -> bool,
    ) -> Result<(), KmsError> {
        let keys = Self::condition_keys(caller, context, extra_keys);
        caller.authorize_with_grant(
            &Access {
                action: operation.action(),
                resource: &key.record.arn,
                resource_account: &key.record.account_id,
                resource_policy: Some(&key.policy),
                mode: ResourceMode::KeyPolicy,
                cross_account: operation.cross_account(),
                context: keys,
            },
            granted,
        )?;
        Ok(())
    }

    /// The KMS condition keys of a request.
    fn condition_keys(
        caller: &Caller,
        context: Option<&EncryptionContext>,
        mut keys: Vec<(String, Vec<String>)>,
    ) -> Vec<(String, Vec<String>)> {
        keys.push(("kms:CallerAccount".into(), vec![caller.account_id().to_string()]));
        if let Some(service) = caller.via_service() {
            keys.push(("kms:ViaService".into(), vec![service.to_string()]));
        }
        if let Some(context) = context {
            keys.push(("kms:EncryptionContextKeys".into(), context.keys().cloned().collect()));
            for (name, value) in context {
                keys.push((format!("kms:EncryptionContext:{name}"), vec![value.clone()]));
            }
        }
        keys
    }

    /// Authorisation against a key policy and resource given apart (a key that does not
    /// exist yet, so without grants).
    fn authorize_against(
        caller: &Caller,
        resource: &str,
        resource_account: &str,
        key_policy: &Policy,
        operation: Operation,
        context: Option<&EncryptionContext>,
    ) -> Result<(), KmsError> {
        caller.authorize(&Access {
            action: operation.action(),
            resource,
            resource_account,
            resource_policy: Some(key_policy),
            mode: ResourceMode::KeyPolicy,
            cross_account: operation.cross_account(),
            context: Self::condition_keys(caller, context, Vec::new()),
        })?;
        Ok(())
    }

    /// Checks an action that has no key (CreateKey, ListKeys, ...) against IAM policies.
    fn authorize_account(&self, caller: &Caller, operation: Operation) -> Result<(), KmsError> {
        caller.authorize(&Access {
            action: operation.action(),
            resource: "*",
            resource_account: caller.account_id(),
            resource_policy: None,
            mode: ResourceMode::IdentityOnly,
            cross_account: operation.cross_account(),
            context: vec![("kms:CallerAccount".into(), vec![caller.account_id().to_string()])],
        })?;
        Ok(())
    }

    /// Applies `change` to the stored key with optimistic concurrency, retrying when
    /// another writer got there first. Returns the updated record.
    async fn update_key<F>(&self, key_id: &str, mut change: F) -> Result<KeyRecord, KmsError>
    where
        F: FnMut(&mut KeyRecord, i64) -> Result<Vec<Write>, KmsError>,
    {
        for _ in 0..UPDATE_ATTEMPTS {
            let stored = self
                .store
                .get(KEYS, key_id)
                .await?
                .ok_or_else(|| KmsError::NotFound(format!("Key '{key_id}' does not exist")))?;
            let mut record: KeyRecord = serde_json::from_slice(&stored.value)
                .map_err(|e| KmsError::internal("decode key", e))?;
            let mut writes = change(&mut record, self.now_ms())?;
            let value =
                serde_json::to_vec(&record).map_err(|e| KmsError::internal("encode key", e))?;
            writes
                .insert(0, Write::put(KEYS, key_id, value, Precondition::Version(stored.version)));
            match self.store.commit(writes).await {
                Ok(_) => {
                    self.cache.invalidate_key(key_id);
                    return Ok(record);
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(KmsError::Conflict("The key was changed concurrently; retry the request.".into()))
    }

    /// The states in which a key may encrypt or decrypt.
    fn check_usable(record: &KeyRecord) -> Result<(), KmsError> {
        match record.state {
            KeyState::Enabled => Ok(()),
            KeyState::Disabled => Err(KmsError::Disabled(format!("{} is disabled.", record.arn))),
            KeyState::PendingDeletion => {
                Err(KmsError::InvalidState(format!("{} is pending deletion.", record.arn)))
            }
            KeyState::PendingImport => {
                Err(KmsError::InvalidState(format!("{} is pending import.", record.arn)))
            }
            KeyState::Creating => {
                Err(KmsError::InvalidState(format!("{} is being created.", record.arn)))
            }
        }
    }

    /// The index entry that lists a key under its account and region.
    fn index_key(record: &KeyRecord) -> String {
        format!("{}{}", scope_prefix(&record.account_id, &record.region), record.key_id)
    }

    /// Re-seals every key version that is under an older root key. Run after the root
    /// key rotates; reads keep working throughout because old root keys stay loaded.
    pub async fn rewrap_all(&self) -> Result<usize, KmsError> {
        let mut rewrapped = 0;
        let mut start_after: Option<String> = None;
        loop {
            let page = self.store.list(KEYS, "", start_after.as_deref(), 100).await?;
            let Some(last) = page.last() else { break };
            start_after = Some(last.key.clone());
            for stored in page {
                let keyring = &self.keyring;
                self.update_key(&stored.key, |record, _| {
                    let arn = record.arn.clone();
                    for version in record.versions.iter_mut().chain(record.pending_import.as_mut())
                    {
                        let Some(sealed) = &version.sealed else { continue };
                        if keyring.needs_rewrap(sealed) {
                            let aad = KeyRecord::material_aad(&arn, version.version);
                            let material = keyring.open(&aad, sealed)?;
                            version.sealed = Some(keyring.seal(&aad, material.expose_secret())?);
                            rewrapped += 1;
                        }
                    }
                    Ok(Vec::new())
                })
                .await?;
            }
        }
        Ok(rewrapped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key_reference_form() {
        assert_eq!(parse_key_ref("1234abcd"), Some(KeyRef::Id("1234abcd".into())));
        assert_eq!(parse_key_ref("alias/app"), Some(KeyRef::Alias("alias/app".into())));
        assert_eq!(
            parse_key_ref("arn:aws:kms:us-east-1:111122223333:key/k1"),
            Some(KeyRef::KeyArn {
                region: "us-east-1".into(),
                account: "111122223333".into(),
                id: "k1".into()
            })
        );
        assert_eq!(
            parse_key_ref("arn:aws:kms:us-east-1:111122223333:alias/app"),
            Some(KeyRef::AliasArn {
                region: "us-east-1".into(),
                account: "111122223333".into(),
                name: "alias/app".into()
            })
        );
        assert_eq!(parse_key_ref("arn:aws:kms:us-east-1:12:key/k1"), None);
        assert!(is_key_id("134f2428-cec1-4b25-a1ae-9048164dba47"));
        assert!(is_key_id("mrk-d3b95762d3b95762d3b95762d3b95762"));
        for invalid in ["fake-key-id", "134f2428cec14b25a1ae9048164dba47", "mrk-fake-key-id", ""] {
            assert!(!is_key_id(invalid), "{invalid}");
        }
        assert_eq!(parse_key_ref("arn:aws:kms:us-east-1:111122223333:grant/x"), None);
    }
}
