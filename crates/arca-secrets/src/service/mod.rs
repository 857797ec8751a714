//! [`SecretsService`]: the operations, over the store and KMS. One module per group of
//! operations; this one holds what they share: finding a secret by `SecretId`,
//! authorising against its resource policy, and writing its record with optimistic
//! concurrency.

mod cross_account;
mod describe;
mod jobs;
mod lifecycle;
mod list;
mod policy;
mod random;
mod replication;
mod rotation;
mod tags;
mod values;

use std::sync::Arc;

use arca_api::{Operation, Peers};
use arca_gate::{Access, Caller, Clock, ResourceMode};
use arca_policy::Policy;
use arca_store::{Precondition, Store, StoreError, Write};

pub use jobs::JOB_KINDS;

use crate::{
    SecretsConfig, SecretsError,
    names::{self, SecretRef},
    record::{SECRETS, SecretRecord, secret_key},
    validate::{self, Validator},
};

/// Attempts at a read-modify-write before a conflict is reported.
const UPDATE_ATTEMPTS: usize = 8;

/// Largest resource policy (the model's limit).
pub(crate) const MAX_POLICY_BYTES: usize = 20_480;

/// The Secrets Manager service.
pub struct SecretsService {
    store: Arc<dyn Store>,
    peers: Peers,
    clock: Clock,
    config: SecretsConfig,
    /// The regions this deployment serves (replica regions must be among them).
    regions: Vec<String>,
    /// Sealed values already read (they never change once written).
    values: crate::value_cache::ValueCache,
}

impl std::fmt::Debug for SecretsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsService").field("regions", &self.regions).finish_non_exhaustive()
    }
}

/// A secret as read from the store, with the version its record had.
pub(crate) struct Loaded {
    pub record: SecretRecord,
    pub version: u64,
}

impl SecretsService {
    /// A service over `store`, calling KMS through `peers`.
    pub fn new(
        store: Arc<dyn Store>,
        peers: Peers,
        clock: Clock,
        config: SecretsConfig,
        regions: Vec<String>,
    ) -> Arc<Self> {
        Arc::new(Self { store, peers, clock, config, regions, values: Default::default() })
    }

    fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Reads the secret a `SecretId` names, if it exists (deleted or not).
    async fn lookup(
        &self,
        caller: &Caller,
        reference: &SecretRef,
    ) -> Result<Option<Loaded>, SecretsError> {
        let (account, region) = match reference {
            SecretRef::Name(_) => (caller.account_id(), caller.region()),
            SecretRef::Arn { account, region, .. } => (account.as_str(), region.as_str()),
        };
        if region != caller.region() {
            return Ok(None);
        }
        for name in reference.candidate_names() {
            let Some(stored) = self.store.get(SECRETS, &secret_key(account, region, name)).await?
            else {
                continue;
            };
            let record = SecretRecord::from_bytes(&stored.value)?;
            if reference.matches(&record.arn) {
                return Ok(Some(Loaded { record, version: stored.version }));
            }
        }
        Ok(None)
    }

    /// Finds the secret `secret_id` names and checks that `caller` may do `row` on it.
    /// A missing secret is reported only to a caller who may act on its name.
    pub(crate) async fn find(
        &self,
        caller: &Caller,
        secret_id: &str,
        row: &Operation,
        context: &[(&str, &str)],
    ) -> Result<Loaded, SecretsError> {
        let reference = SecretRef::parse(secret_id)?;
        match self.lookup(caller, &reference).await? {
            Some(loaded) => {
                self.authorize(caller, row, Some(&loaded.record), context)?;
                Ok(loaded)
            }
            None => {
                let (account, arn) = match &reference {
                    SecretRef::Name(name) => (
                        caller.account_id().to_string(),
                        names::unsuffixed_arn(caller.region(), caller.account_id(), name),
                    ),
                    SecretRef::Arn { arn, account, .. } => (account.clone(), arn.clone()),
                };
                self.authorize_resource(caller, row, &arn, &account, None, &[], context)?;
                Err(SecretsError::no_secret())
            }
        }
    }

    /// Finishes `v` with the `SecretId` check and finds the secret for `row`.
    pub(crate) async fn find_checked(
        &self,
        caller: &Caller,
        row: &Operation,
        secret_id: &Option<String>,
        mut v: Validator,
    ) -> Result<Loaded, SecretsError> {
        validate::secret_id(&mut v, secret_id);
        v.finish()?;
        self.find(caller, secret_id.as_deref().unwrap_or_default(), row, &[]).await
    }

    /// [`Self::find_checked`], refusing a secret scheduled for deletion.
    pub(crate) async fn find_live_checked(
        &self,
        caller: &Caller,
        row: &Operation,
        secret_id: &Option<String>,
        mut v: Validator,
    ) -> Result<Loaded, SecretsError> {
        validate::secret_id(&mut v, secret_id);
        v.finish()?;
        self.find_live(caller, secret_id.as_deref().unwrap_or_default(), row).await
    }

    /// [`Self::find`], refusing a secret scheduled for deletion.
    pub(crate) async fn find_live(
        &self,
        caller: &Caller,
        secret_id: &str,
        row: &Operation,
    ) -> Result<Loaded, SecretsError> {
        let loaded = self.find(caller, secret_id, row, &[]).await?;
        if loaded.record.is_deleted() {
            return Err(SecretsError::marked_for_deletion());
        }
        replication::check_not_replica(&loaded.record)?;
        Ok(loaded)
    }

    /// Checks `row` for `caller` on an existing secret, with its resource policy.
    pub(crate) fn authorize(
        &self,
        caller: &Caller,
        row: &Operation,
        record: Option<&SecretRecord>,
        context: &[(&str, &str)],
    ) -> Result<(), SecretsError> {
        match record {
            Some(record) => self.authorize_resource(
                caller,
                row,
                &record.arn,
                &record.account,
                record.policy.as_deref(),
                &record.tags,
                context,
            ),
            None => {
                self.authorize_resource(caller, row, "*", caller.account_id(), None, &[], context)
            }
        }
    }

    #[expect(clippy::too_many_arguments, reason = "one authorisation question, spelled out")]
    fn authorize_resource(
        &self,
        caller: &Caller,
        row: &Operation,
        arn: &str,
        account: &str,
        policy: Option<&str>,
        tags: &[crate::api::Tag],
        context: &[(&str, &str)],
    ) -> Result<(), SecretsError> {
        let policy = policy
            .map(|text| Policy::parse_resource(text, MAX_POLICY_BYTES))
            .transpose()
            .map_err(|_| SecretsError::Internal)?;
        let mut keys: Vec<(String, Vec<String>)> = Vec::new();
        if arn != "*" {
            keys.push(("secretsmanager:SecretId".into(), vec![arn.to_string()]));
            keys.push(("secretsmanager:Name".into(), vec![names::name_of_arn(arn).to_string()]));
        }
        for tag in tags {
            let (Some(key), Some(value)) = (&tag.key, &tag.value) else { continue };
            keys.push((format!("secretsmanager:ResourceTag/{key}"), vec![value.clone()]));
            keys.push((format!("aws:ResourceTag/{key}"), vec![value.clone()]));
        }
        for (key, value) in context {
            keys.push(((*key).to_string(), vec![(*value).to_string()]));
        }
        caller
            .authorize(&Access {
                action: row.action,
                resource: arn,
                resource_account: account,
                resource_policy: policy.as_ref(),
                mode: ResourceMode::ResourcePolicy,
                cross_account: row.cross_account,
                context: keys,
            })
            .map_err(|denied| SecretsError::AccessDenied(denied.to_string()))
    }

    /// Changes a secret's own settings (tags, resource policy): refused once it is
    /// scheduled for deletion and on a replica in another region; the change is copied
    /// to its replicas.
    pub(crate) async fn update_settings<F>(
        &self,
        caller: &Caller,
        row: &Operation,
        secret_id: Option<&str>,
        mut change: F,
    ) -> Result<SecretRecord, SecretsError>
    where
        F: FnMut(&mut SecretRecord) -> Result<(), SecretsError>,
    {
        let loaded = self.find(caller, secret_id.unwrap_or_default(), row, &[]).await?;
        if loaded.record.is_deleted() {
            return Err(SecretsError::marked_for_deletion());
        }
        replication::check_not_region_replica(&loaded.record)?;
        let (record, _) = self
            .update(&loaded.record.key(), |record, _| {
                change(record)?;
                Ok((Vec::new(), ()))
            })
            .await?;
        self.after_change(caller, &record).await;
        Ok(record)
    }

    /// Rewrites the secret at `key` with `change` (which may add writes to the same
    /// commit), retrying when another request changed it first.
    pub(crate) async fn update<F, T>(
        &self,
        key: &str,
        mut change: F,
    ) -> Result<(SecretRecord, T), SecretsError>
    where
        F: FnMut(&mut SecretRecord, i64) -> Result<(Vec<Write>, T), SecretsError>,
    {
        for _ in 0..UPDATE_ATTEMPTS {
            let stored = self.store.get(SECRETS, key).await?.ok_or_else(SecretsError::no_secret)?;
            let mut record = SecretRecord::from_bytes(&stored.value)?;
            let (mut writes, out) = change(&mut record, self.now_ms())?;
            writes.insert(
                0,
                Write::put(SECRETS, key, record.to_bytes()?, Precondition::Version(stored.version)),
            );
            match self.store.commit(writes).await {
                Ok(_) => return Ok((record, out)),
                Err(StoreError::Conflict { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(SecretsError::InvalidRequest(
            "The secret was changed concurrently; retry the request.".into(),
        ))
    }
}
