//! Accounts, users, access keys and inline user policies, kept in the store with every
//! secret access key sealed under the root key; and authentication lookups served
//! from a cache that the store's change feed invalidates.
//!
//! This module owns the records and authentication; the IAM operations that manage
//! users, keys and policies are the IAM service's (`arca-iam`).

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, RwLock},
};

use arca_crypto::SecretBytes;
use arca_policy::Policy;
use arca_seal::{RootKeyring, SealedBytes};
use arca_store::{Precondition, Store, StoreError, Write};
use serde::{Deserialize, Serialize};

use crate::{Caller, Clock};

const ACCOUNTS: &str = "iam.accounts";
/// Users, keyed `ACCOUNT/NAME`.
pub const USERS: &str = "iam.users";
/// Access keys, keyed by id.
pub const ACCESS_KEYS: &str = "iam.access-keys";
/// Inline user policies, keyed `ACCOUNT/USER/POLICY`.
pub const USER_POLICIES: &str = "iam.user-policies";

/// How long a cached principal is trusted without a change notification. The change
/// feed normally invalidates at once; this bounds how long a missed notification
/// (a lagging subscriber on another node, a dropped PostgreSQL connection) can keep a
/// deleted or deactivated access key working.
const PRINCIPAL_TTL_MS: i64 = 30_000;

/// Why an identity operation failed, one variant per IAM error code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdentityError {
    /// The user, key or policy does not exist.
    #[error("{0}")]
    NoSuchEntity(String),
    /// The user already exists.
    #[error("{0}")]
    EntityAlreadyExists(String),
    /// A quota was reached.
    #[error("{0}")]
    LimitExceeded(String),
    /// The policy document is not valid.
    #[error("{0}")]
    MalformedPolicyDocument(String),
    /// A parameter violates a constraint.
    #[error("{0}")]
    Validation(String),
    /// The entity still has dependents (keys, policies).
    #[error("{0}")]
    DeleteConflict(String),
    /// The caller is not allowed.
    #[error("{0}")]
    AccessDenied(String),
    /// Internal failure; details are logged.
    #[error("We encountered an internal error. Please try again.")]
    Internal,
}

impl IdentityError {
    /// The IAM/STS error code.
    pub fn code(&self) -> &'static str {
        match self {
            IdentityError::NoSuchEntity(_) => "NoSuchEntity",
            IdentityError::EntityAlreadyExists(_) => "EntityAlreadyExists",
            IdentityError::LimitExceeded(_) => "LimitExceeded",
            IdentityError::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            IdentityError::Validation(_) => "ValidationError",
            IdentityError::DeleteConflict(_) => "DeleteConflict",
            IdentityError::AccessDenied(_) => "AccessDenied",
            IdentityError::Internal => "ServiceFailure",
        }
    }

    /// The HTTP status IAM uses for this code.
    pub fn status(&self) -> u16 {
        match self {
            IdentityError::NoSuchEntity(_) => 404,
            IdentityError::EntityAlreadyExists(_) | IdentityError::DeleteConflict(_) => 409,
            IdentityError::AccessDenied(_) => 403,
            IdentityError::Internal => 500,
            _ => 400,
        }
    }

    /// An internal failure: `error` is logged, the caller sees only `Internal`.
    pub fn internal(context: &str, error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "identity internal error: {context}");
        IdentityError::Internal
    }
}

impl From<StoreError> for IdentityError {
    fn from(error: StoreError) -> Self {
        IdentityError::internal("store", error)
    }
}

impl From<arca_seal::SealError> for IdentityError {
    fn from(error: arca_seal::SealError) -> Self {
        IdentityError::internal("seal", error)
    }
}

impl From<crate::AccessDenied> for IdentityError {
    fn from(denied: crate::AccessDenied) -> Self {
        IdentityError::AccessDenied(denied.to_string())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AccountRecord {
    account_id: String,
    name: String,
    created: i64,
    bootstrap: bool,
}

/// A user, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserRecord {
    /// Name, unique in the account.
    pub user_name: String,
    /// Unique id (`AIDA...`).
    pub user_id: String,
    /// IAM path (`/`).
    pub path: String,
    /// Created (Unix ms).
    pub created: i64,
}

/// An access key, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessKeyRecord {
    /// Key id (`AKIA...`).
    pub access_key_id: String,
    /// Owning account.
    pub account_id: String,
    /// `None` for the account's root principal.
    pub user_name: Option<String>,
    /// `Active` or `Inactive`.
    pub status: String,
    /// Created (Unix ms).
    pub created: i64,
    /// The secret access key, sealed and bound to the key id.
    pub secret: SealedBytes,
}

/// An inline user policy, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserPolicyRecord {
    /// Name, unique for the user.
    pub policy_name: String,
    /// The document as it was put.
    pub document: String,
}

/// A user as IAM returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    /// Name.
    pub user_name: String,
    /// Unique id (`AIDA...`).
    pub user_id: String,
    /// ARN.
    pub arn: String,
    /// Path (`/`).
    pub path: String,
    /// Created (Unix ms).
    pub create_date: i64,
}

/// An access key as IAM lists it (the secret only on creation).
#[derive(Debug, Clone)]
pub struct AccessKeyInfo {
    /// Owner.
    pub user_name: String,
    /// Key id.
    pub access_key_id: String,
    /// Active or Inactive.
    pub status: String,
    /// Created (Unix ms).
    pub create_date: i64,
    /// The secret, present only in CreateAccessKey's answer.
    pub secret_access_key: Option<SecretBytes>,
}

/// A new account and its root principal's credentials.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The 12-digit id.
    pub account_id: String,
    /// `root`.
    pub user_name: String,
    /// `arn:aws:iam::ACCOUNT:root`.
    pub arn: String,
    /// Access key id of the root principal.
    pub access_key_id: String,
    /// Its secret.
    pub secret_access_key: SecretBytes,
}

/// What authentication needs about an access key.
struct Principal {
    secret: SecretBytes,
    account_id: String,
    user_name: Option<String>,
    user_id: String,
    active: bool,
    bootstrap: bool,
    policies: Arc<Vec<Policy>>,
}

/// A cached principal and when it stops being trusted (Unix ms, by the gate's clock).
struct CachedPrincipal {
    principal: Arc<Principal>,
    expires_ms: i64,
}

/// The principals cache. `generation` counts invalidations: a lookup notes it before
/// reading the store and caches its result only if no invalidation came in between,
/// so a read that started before a change cannot put the old state back after it.
#[derive(Default)]
struct PrincipalCache {
    entries: HashMap<String, CachedPrincipal>,
    generation: u64,
}

/// Accounts, users, keys and policies.
pub struct Identity {
    store: Arc<dyn Store>,
    keyring: Arc<RootKeyring>,
    clock: Clock,
    principals: RwLock<PrincipalCache>,
    /// Work as much for an unknown key id as for a known one.
    decoy_secret: SecretBytes,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").finish_non_exhaustive()
    }
}

/// `len` random characters of `alphabet` (ids and secrets).
pub fn random_chars(alphabet: &[u8], len: usize) -> String {
    arca_crypto::random::bytes(len)
        .iter()
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect()
}

/// The alphabet of IAM's ids (`AKIA...`, `AIDA...`).
pub const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn secret_aad(access_key_id: &str) -> Vec<u8> {
    format!("arca:access-key:{access_key_id}").into_bytes()
}

/// IAM's name constraint (`[\\w+=,.@-]+`, 1 to `max` characters), with its message.
pub fn check_name(member: &str, value: &str, max: usize) -> Result<(), IdentityError> {
    let valid_chars = value.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if value.is_empty() || value.chars().count() > max || !valid_chars {
        return Err(IdentityError::Validation(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length between 1 and {max}"
        )));
    }
    Ok(())
}

impl Identity {
    /// Identity over `store`, sealing secrets with `keyring`.
    pub fn new(store: Arc<dyn Store>, keyring: Arc<RootKeyring>, clock: Clock) -> Arc<Self> {
        Arc::new(Self {
            store,
            keyring,
            clock,
            principals: RwLock::new(PrincipalCache::default()),
            decoy_secret: SecretBytes::random(40),
        })
    }

    /// Drops cached principals whenever identity records change on any node.
    pub fn spawn_invalidation(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let identity = Arc::clone(self);
        let mut changes = self.store.subscribe();
        tokio::spawn(async move {
            loop {
                match changes.recv().await {
                    Ok(change)
                        if !change.table.starts_with("iam.")
                            && change.table != "seal.root-keys"
                            && !change.is_resync() => {}
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        identity.forget_principals();
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        })
    }

    /// Drops every cached principal and bumps the generation, so lookups already
    /// reading the store do not cache what they read.
    fn forget_principals(&self) {
        let mut cache = self.principals.write().unwrap_or_else(|p| p.into_inner());
        cache.entries.clear();
        cache.generation = cache.generation.wrapping_add(1);
    }

    /// The cached principal of `access_key_id`, unless absent or expired.
    fn cached_principal(&self, access_key_id: &str) -> Option<Arc<Principal>> {
        let cache = self.principals.read().unwrap_or_else(|p| p.into_inner());
        let entry = cache.entries.get(access_key_id)?;
        (self.clock.now_ms() < entry.expires_ms).then(|| Arc::clone(&entry.principal))
    }

    /// The current invalidation generation; note it before reading the store.
    fn principals_generation(&self) -> u64 {
        self.principals.read().unwrap_or_else(|p| p.into_inner()).generation
    }

    /// Caches `principal` if no invalidation happened since `generation` was noted.
    fn remember_principal(&self, generation: u64, access_key_id: &str, principal: Arc<Principal>) {
        let now_ms = self.clock.now_ms();
        let mut cache = self.principals.write().unwrap_or_else(|p| p.into_inner());
        if cache.generation != generation {
            return;
        }
        cache.entries.retain(|_, entry| now_ms < entry.expires_ms);
        cache.entries.insert(
            access_key_id.to_string(),
            CachedPrincipal { principal, expires_ms: now_ms.saturating_add(PRINCIPAL_TTL_MS) },
        );
    }

    /// The store this identity keeps its records in.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The gate's clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// A record and its version, decoded.
    pub async fn get_json<T: for<'de> Deserialize<'de>>(
        &self,
        table: &str,
        key: &str,
    ) -> Result<Option<(T, u64)>, IdentityError> {
        match self.store.get(table, key).await? {
            Some(record) => {
                let value = serde_json::from_slice(&record.value)
                    .map_err(|e| IdentityError::internal("decode", e))?;
                Ok(Some((value, record.version)))
            }
            None => Ok(None),
        }
    }

    /// A record, encoded for the store.
    pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, IdentityError> {
        serde_json::to_vec(value).map_err(|e| IdentityError::internal("encode", e))
    }

    /// The bootstrap account, creating it (and its root access key) on first start.
    /// Returns its root credentials, unsealed from the store.
    pub async fn ensure_bootstrap(&self) -> Result<NewAccount, IdentityError> {
        self.ensure_bootstrap_as(None).await
    }

    /// [`Identity::ensure_bootstrap`], with the account id a new store's bootstrap
    /// account gets (a seed file's `AccountId`, so that servers started from one seed
    /// file make the same key ARNs). A store that has its bootstrap account keeps it.
    pub async fn ensure_bootstrap_as(
        &self,
        account_id: Option<&str>,
    ) -> Result<NewAccount, IdentityError> {
        if let Some(id) = account_id
            && (id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(IdentityError::Validation(format!(
                "the bootstrap account id must be 12 digits, not '{id}'"
            )));
        }
        let accounts = self.store.list(ACCOUNTS, "", None, 1000).await?;
        for row in &accounts {
            let account: AccountRecord = serde_json::from_slice(&row.value)
                .map_err(|e| IdentityError::internal("decode", e))?;
            if account.bootstrap {
                return self.root_credentials(&account.account_id).await;
            }
        }
        self.create_account_record("bootstrap", true, account_id).await
    }

    async fn root_credentials(&self, account_id: &str) -> Result<NewAccount, IdentityError> {
        let keys = self.store.list(ACCESS_KEYS, "", None, 10_000).await?;
        for row in keys {
            let key: AccessKeyRecord = serde_json::from_slice(&row.value)
                .map_err(|e| IdentityError::internal("decode", e))?;
            if key.account_id == account_id && key.user_name.is_none() && key.status == "Active" {
                let secret = self.keyring.open(&secret_aad(&key.access_key_id), &key.secret)?;
                return Ok(NewAccount {
                    account_id: account_id.to_string(),
                    user_name: "root".into(),
                    arn: format!("arn:aws:iam::{account_id}:root"),
                    access_key_id: key.access_key_id,
                    secret_access_key: secret,
                });
            }
        }
        Err(IdentityError::NoSuchEntity(format!(
            "account {account_id} has no active root access key"
        )))
    }

    /// CreateAccount (Arca admin API): only the bootstrap account's root may call it.
    pub async fn create_account(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<NewAccount, IdentityError> {
        caller
            .authorize(&crate::Access {
                action: "arca:CreateAccount",
                resource: "*",
                resource_account: caller.account_id(),
                resource_policy: None,
                mode: arca_policy::ResourceMode::IdentityOnly,
                cross_account: crate::CrossAccount::SameAccountOnly,
                context: Vec::new(),
            })
            .map_err(|denied| IdentityError::AccessDenied(denied.to_string()))?;
        check_name("name", name, 64)?;
        self.create_account_record(name, false, None).await
    }

    async fn create_account_record(
        &self,
        name: &str,
        bootstrap: bool,
        chosen: Option<&str>,
    ) -> Result<NewAccount, IdentityError> {
        loop {
            let account_id: String = match chosen {
                Some(id) => id.to_string(),
                None => arca_crypto::random::bytes(12)
                    .iter()
                    .map(|b| char::from(b'0' + b % 10))
                    .collect(),
            };
            if chosen.is_none() && account_id.starts_with('0') {
                continue;
            }
            let account = AccountRecord {
                account_id: account_id.clone(),
                name: name.to_string(),
                created: self.clock.now_ms(),
                bootstrap,
            };
            let (key_record, secret) = self.new_access_key(&account_id, None)?;
            let committed = self
                .store
                .commit(vec![
                    Write::put(
                        ACCOUNTS,
                        &account_id,
                        Self::encode(&account)?,
                        Precondition::Absent,
                    ),
                    Write::put(
                        ACCESS_KEYS,
                        &key_record.access_key_id,
                        Self::encode(&key_record)?,
                        Precondition::Absent,
                    ),
                ])
                .await;
            match committed {
                Ok(_) => {
                    return Ok(NewAccount {
                        arn: format!("arn:aws:iam::{account_id}:root"),
                        account_id,
                        user_name: "root".into(),
                        access_key_id: key_record.access_key_id,
                        secret_access_key: secret,
                    });
                }
                // A random id collided: draw another.
                Err(StoreError::Conflict { .. }) if chosen.is_none() => continue,
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// A new access key of `account_id` (a user's, or the root's when `user_name` is
    /// `None`): its record, the secret sealed under the root key, and the secret.
    pub fn new_access_key(
        &self,
        account_id: &str,
        user_name: Option<&str>,
    ) -> Result<(AccessKeyRecord, SecretBytes), IdentityError> {
        let access_key_id = format!("AKIA{}", random_chars(UPPER_ALNUM, 16));
        let secret = SecretBytes::new(random_chars(SECRET_ALPHABET, 40).into_bytes());
        let sealed = self.keyring.seal(&secret_aad(&access_key_id), secret.expose_secret())?;
        Ok((
            AccessKeyRecord {
                access_key_id,
                account_id: account_id.to_string(),
                user_name: user_name.map(str::to_string),
                status: "Active".into(),
                created: self.clock.now_ms(),
                secret: sealed,
            },
            secret,
        ))
    }

    /// The secret of `access_key_id` and a way to build its [`Caller`]. For unknown or
    /// inactive keys a decoy secret is returned along with `None`, so that the caller
    /// does the same signature work either way and learns nothing from timing.
    pub async fn authenticate(
        &self,
        access_key_id: &str,
    ) -> Result<(SecretBytes, Option<PrincipalHandle>), IdentityError> {
        if let Some(principal) = self.cached_principal(access_key_id) {
            return Ok(Self::handle(access_key_id, principal, &self.decoy_secret));
        }
        let generation = self.principals_generation();
        let Some(principal) = self.load_principal(access_key_id).await? else {
            return Ok((self.decoy_secret.clone(), None));
        };
        self.remember_principal(generation, access_key_id, Arc::clone(&principal));
        Ok(Self::handle(access_key_id, principal, &self.decoy_secret))
    }

    /// Reads an access key's principal from the store; `None` when the key, its
    /// account or its user does not exist.
    async fn load_principal(
        &self,
        access_key_id: &str,
    ) -> Result<Option<Arc<Principal>>, IdentityError> {
        let Some((key, _)) = self.get_json::<AccessKeyRecord>(ACCESS_KEYS, access_key_id).await?
        else {
            return Ok(None);
        };
        let secret = self.keyring.open(&secret_aad(access_key_id), &key.secret)?;
        let bootstrap = match self.get_json::<AccountRecord>(ACCOUNTS, &key.account_id).await? {
            Some((account, _)) => account.bootstrap,
            None => return Ok(None),
        };
        let (user_id, policies) = match &key.user_name {
            Some(user_name) => {
                let Some((user, _)) = self
                    .get_json::<UserRecord>(USERS, &format!("{}/{user_name}", key.account_id))
                    .await?
                else {
                    return Ok(None);
                };
                (user.user_id, self.user_policies(&key.account_id, user_name).await?)
            }
            None => (key.account_id.clone(), Vec::new()),
        };
        Ok(Some(Arc::new(Principal {
            secret,
            account_id: key.account_id,
            user_name: key.user_name,
            user_id,
            active: key.status == "Active",
            bootstrap,
            policies: Arc::new(policies),
        })))
    }

    fn handle(
        access_key_id: &str,
        principal: Arc<Principal>,
        decoy: &SecretBytes,
    ) -> (SecretBytes, Option<PrincipalHandle>) {
        if !principal.active {
            return (decoy.clone(), None);
        }
        (
            principal.secret.clone(),
            Some(PrincipalHandle { access_key_id: access_key_id.to_string(), principal }),
        )
    }

    async fn user_policies(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<Vec<Policy>, IdentityError> {
        let rows = self
            .store
            .list(USER_POLICIES, &format!("{account_id}/{user_name}/"), None, 1000)
            .await?;
        let mut policies = Vec::with_capacity(rows.len());
        for row in rows {
            let record: UserPolicyRecord = serde_json::from_slice(&row.value)
                .map_err(|e| IdentityError::internal("decode", e))?;
            let policy =
                Policy::parse_identity(&record.document, arca_policy::MAX_INLINE_USER_POLICY_SIZE)
                    .map_err(|e| IdentityError::internal("stored policy", e))?;
            policies.push(policy);
        }
        Ok(policies)
    }

    /// Re-seals every access-key secret under an older root key (after root rotation).
    pub async fn rewrap_all(&self) -> Result<usize, IdentityError> {
        let mut count = 0;
        let mut start_after: Option<String> = None;
        loop {
            let rows = self.store.list(ACCESS_KEYS, "", start_after.as_deref(), 200).await?;
            let Some(last) = rows.last() else { break };
            start_after = Some(last.key.clone());
            for row in rows {
                let mut key: AccessKeyRecord = serde_json::from_slice(&row.value)
                    .map_err(|e| IdentityError::internal("decode", e))?;
                if !self.keyring.needs_rewrap(&key.secret) {
                    continue;
                }
                let aad = secret_aad(&key.access_key_id);
                let secret = self.keyring.open(&aad, &key.secret)?;
                key.secret = self.keyring.seal(&aad, secret.expose_secret())?;
                match self
                    .store
                    .commit(vec![Write::put(
                        ACCESS_KEYS,
                        &row.key,
                        Self::encode(&key)?,
                        Precondition::Version(row.version),
                    )])
                    .await
                {
                    Ok(_) => count += 1,
                    // Deleted or changed meanwhile: whoever changed it sealed it anew.
                    Err(StoreError::Conflict { .. }) => {}
                    Err(error) => return Err(error.into()),
                }
            }
        }
        Ok(count)
    }
}

#[async_trait::async_trait]
impl arca_seal::SealedOwner for Identity {
    fn name(&self) -> &'static str {
        "access-key secret"
    }

    async fn rewrap(&self) -> Result<usize, arca_seal::BoxError> {
        Ok(self.rewrap_all().await?)
    }

    /// Counts every stored access key's sealed secret by the root key version that
    /// sealed it (a malformed one under version 0, which no root key has).
    async fn count_by_root_version(&self) -> Result<BTreeMap<u32, u64>, arca_seal::BoxError> {
        let mut counts = BTreeMap::new();
        let mut start_after: Option<String> = None;
        loop {
            let rows = self.store.list(ACCESS_KEYS, "", start_after.as_deref(), 500).await?;
            let Some(last) = rows.last() else { break };
            start_after = Some(last.key.clone());
            for row in rows {
                let key: AccessKeyRecord = serde_json::from_slice(&row.value)?;
                *counts.entry(key.secret.root_version().unwrap_or(0)).or_insert(0) += 1;
            }
        }
        Ok(counts)
    }
}

/// A verified access key's principal, turned into a [`Caller`] once the signature
/// has been checked.
pub struct PrincipalHandle {
    access_key_id: String,
    principal: Arc<Principal>,
}

impl std::fmt::Debug for PrincipalHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrincipalHandle").field("access_key_id", &self.access_key_id).finish()
    }
}

impl PrincipalHandle {
    /// The caller, for a request in `region` at `now_ms` from `source_ip` (over TLS when
    /// `secure_transport`). Call only
    /// after the request's signature verified against the returned secret.
    pub fn into_caller(
        self,
        region: &str,
        source_ip: Option<std::net::IpAddr>,
        secure_transport: bool,
        now_ms: i64,
    ) -> Caller {
        let principal = &self.principal;
        let (principal_arn, user_name) = match &principal.user_name {
            Some(name) => {
                (format!("arn:aws:iam::{}:user/{name}", principal.account_id), name.clone())
            }
            None => (format!("arn:aws:iam::{}:root", principal.account_id), "root".to_string()),
        };
        Caller {
            account_id: principal.account_id.clone(),
            principal_arn,
            user_name,
            user_id: principal.user_id.clone(),
            is_account_root: principal.user_name.is_none(),
            is_bootstrap_admin: principal.user_name.is_none() && principal.bootstrap,
            region: region.to_string(),
            access_key_id: self.access_key_id,
            source_ip,
            secure_transport,
            identity_policies: Arc::clone(&principal.policies),
            via_service: None,
            now_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arca_seal::{SealProvider, SealedOwner};

    async fn identity(dir: &std::path::Path) -> (Arc<dyn Store>, Arc<Identity>, Clock) {
        let store: Arc<dyn Store> = Arc::new(arca_store::SqliteStore::memory().await.unwrap());
        let keyring = RootKeyring::unseal(
            Arc::clone(&store),
            &SealProvider::File { path: dir.join("root.key") },
        )
        .await
        .unwrap();
        let clock = Clock::with_offset_ms(0);
        (Arc::clone(&store), Identity::new(store, keyring, clock.clone()), clock)
    }

    /// Deletes an access key behind the cache's back, as another node would.
    async fn delete_key(store: &Arc<dyn Store>, access_key_id: &str) {
        store
            .commit(vec![Write::delete(ACCESS_KEYS, access_key_id, Precondition::None)])
            .await
            .unwrap();
    }

    async fn authenticates(identity: &Identity, access_key_id: &str) -> bool {
        identity.authenticate(access_key_id).await.unwrap().1.is_some()
    }

    #[tokio::test]
    async fn a_lookup_that_started_before_an_invalidation_does_not_cache_its_result() {
        let dir = tempfile::tempdir().unwrap();
        let (store, identity, _) = identity(dir.path()).await;
        let root = identity.ensure_bootstrap().await.unwrap();
        let key_id = root.access_key_id.as_str();
        // A lookup notes the generation and reads the key ...
        let generation = identity.principals_generation();
        let stale = identity.load_principal(key_id).await.unwrap().unwrap();
        // ... meanwhile the key is deleted and the change feed invalidates ...
        delete_key(&store, key_id).await;
        identity.forget_principals();
        // ... then the lookup finishes: it must not put the deleted key back.
        identity.remember_principal(generation, key_id, stale);
        assert!(!authenticates(&identity, key_id).await);
    }

    #[tokio::test]
    async fn a_lookup_without_an_invalidation_is_cached() {
        let dir = tempfile::tempdir().unwrap();
        let (store, identity, _) = identity(dir.path()).await;
        let root = identity.ensure_bootstrap().await.unwrap();
        let key_id = root.access_key_id.as_str();
        let (secret, handle) = identity.authenticate(key_id).await.unwrap();
        assert!(handle.is_some());
        assert!(ct_eq_secret(&secret, &root.secret_access_key));
        // Served from the cache: the store no longer has it, and no notification came.
        delete_key(&store, key_id).await;
        assert!(authenticates(&identity, key_id).await);
        identity.forget_principals();
        assert!(!authenticates(&identity, key_id).await);
    }

    #[tokio::test]
    async fn a_missed_invalidation_heals_when_the_entry_expires() {
        let dir = tempfile::tempdir().unwrap();
        let (store, identity, clock) = identity(dir.path()).await;
        let root = identity.ensure_bootstrap().await.unwrap();
        let key_id = root.access_key_id.as_str();
        assert!(authenticates(&identity, key_id).await);
        delete_key(&store, key_id).await;
        clock.advance_ms(PRINCIPAL_TTL_MS - 1_000);
        assert!(authenticates(&identity, key_id).await, "still within the TTL");
        clock.advance_ms(1_000);
        assert!(!authenticates(&identity, key_id).await, "expired: read from the store");
    }

    #[tokio::test]
    async fn counts_sealed_secrets_by_root_version() {
        let dir = tempfile::tempdir().unwrap();
        let (_, identity, _) = identity(dir.path()).await;
        identity.ensure_bootstrap().await.unwrap();
        assert_eq!(identity.count_by_root_version().await.unwrap(), BTreeMap::from([(1, 1)]));
        identity.keyring.rotate().await.unwrap();
        assert_eq!(identity.count_by_root_version().await.unwrap(), BTreeMap::from([(1, 1)]));
        assert!(matches!(
            identity.keyring.retire_older(&[&*identity]).await,
            Err(arca_seal::SealError::VersionInUse { version: 1, count: 1, .. })
        ));
        assert_eq!(identity.rewrap_all().await.unwrap(), 1);
        assert_eq!(identity.count_by_root_version().await.unwrap(), BTreeMap::from([(2, 1)]));
        assert_eq!(identity.keyring.retire_older(&[&*identity]).await.unwrap(), 1);
    }

    fn ct_eq_secret(a: &SecretBytes, b: &SecretBytes) -> bool {
        arca_crypto::ct_eq(a.expose_secret(), b.expose_secret())
    }
}
