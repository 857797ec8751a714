//! Multi-Region keys: ReplicateKey, UpdatePrimaryRegion, and keeping the members of a
//! set in step.
//!
//! The primary and its replicas share a key id (`mrk-...`) and their key material; each
//! is its own record (stored under `KEYID@REGION`) with its own policy, tags, aliases,
//! description and state. Every member carries the set's regions, and changes to the
//! set rewrite all members in one store commit. Ciphertexts are bound to the key's
//! ARN without its region, so any member opens what another sealed.

use arca_gate::Caller;
use arca_store::{Precondition, StoreError, Write};

use super::KmsService;
use crate::{
    KmsError,
    api::{Empty, ReplicateKeyRequest, ReplicateKeyResponse, UpdatePrimaryRegionRequest},
    operation::Operation,
    record::{ACCOUNT_KEYS, KEYS, KeyRecord, KeyState, KeyVersion, store_key},
    validate::{self, Validator},
};

/// Job kind: a replica made a moment ago becomes usable.
pub const REPLICA_READY_JOB: &str = "kms.replica-ready";

/// How often a set change is retried when a member changed meanwhile.
const SET_ATTEMPTS: usize = 8;

fn region_pattern(v: &mut Validator, member: &str, value: Option<&String>) {
    v.length(member, value, 1, 32);
    v.chars(member, value, "^([a-z]+-){2,3}\\d+$", |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
    });
}

fn not_primary(record: &KeyRecord) -> KmsError {
    KmsError::UnsupportedOperation(format!("{} is not a multi-region primary key.", record.arn))
}

/// Whether `record` is the primary of its multi-Region set.
pub(super) fn is_primary(record: &KeyRecord) -> bool {
    record.multi_region.as_ref().is_some_and(|set| set.primary_region == record.region)
}

impl KmsService {
    /// Reads every member of `record`'s set as stored now, with store versions.
    async fn read_set(&self, record: &KeyRecord) -> Result<Vec<(KeyRecord, u64)>, KmsError> {
        let Some(set) = &record.multi_region else { return Ok(Vec::new()) };
        let mut members = Vec::new();
        for region in std::iter::once(&set.primary_region).chain(&set.replica_regions) {
            let key = store_key(&record.key_id, region);
            if let Some(stored) = self.store.get(KEYS, &key).await? {
                let member: KeyRecord = serde_json::from_slice(&stored.value)
                    .map_err(|e| KmsError::internal("decode key", e))?;
                members.push((member, stored.version));
            }
        }
        Ok(members)
    }

    /// Applies `change` to every member of the set that `anchor` (a store key) belongs
    /// to, and commits them together with `extra` writes; retried when a member changed.
    async fn update_set<F>(&self, anchor: &str, mut change: F) -> Result<Vec<KeyRecord>, KmsError>
    where
        F: FnMut(&mut Vec<KeyRecord>, i64) -> Result<Vec<Write>, KmsError>,
    {
        for _ in 0..SET_ATTEMPTS {
            let stored = self.store.get(KEYS, anchor).await?.ok_or(KmsError::Internal)?;
            let record: KeyRecord = serde_json::from_slice(&stored.value)
                .map_err(|e| KmsError::internal("decode key", e))?;
            let read = self.read_set(&record).await?;
            let versions: Vec<(String, u64)> =
                read.iter().map(|(member, version)| (member.store_key(), *version)).collect();
            let mut members: Vec<KeyRecord> = read.into_iter().map(|(member, _)| member).collect();
            let mut writes = change(&mut members, self.now_ms())?;
            for member in &members {
                let value =
                    serde_json::to_vec(member).map_err(|e| KmsError::internal("encode key", e))?;
                let key = member.store_key();
                let precondition = match versions.iter().find(|(k, _)| *k == key) {
                    Some((_, version)) => Precondition::Version(*version),
                    None => Precondition::Absent,
                };
                writes.push(Write::put(KEYS, &key, value, precondition));
            }
            match self.store.commit(writes).await {
                Ok(_) => {
                    for member in &members {
                        self.cache.invalidate_key(&member.store_key());
                    }
                    return Ok(members);
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(KmsError::Conflict("The key was changed concurrently; retry the request.".into()))
    }

    /// ReplicateKey: a replica of a multi-Region primary in another region, with the
    /// same material and its own policy, description and tags.
    pub async fn replicate_key(
        &self,
        caller: &Caller,
        input: ReplicateKeyRequest,
    ) -> Result<ReplicateKeyResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.required("replicaRegion", &input.replica_region);
        region_pattern(&mut v, "replicaRegion", input.replica_region.as_ref());
        v.length("policy", input.policy.as_ref(), 1, 131_072);
        v.length("description", input.description.as_ref(), 0, 8192);
        super::tags::validate_tags(&mut v, input.tags.as_ref());
        v.finish()?;
        let key = self.key_for_action(caller, &input.key_id, Operation::ReplicateKey).await?;
        // The replica is a new key in the other region: the caller needs CreateKey too.
        self.authorize_account(caller, Operation::CreateKey)?;
        let primary = &key.record;
        if !is_primary(primary) {
            return Err(not_primary(primary));
        }
        let region = input.replica_region.unwrap_or_default();
        let set = primary.multi_region.as_ref().ok_or(KmsError::Internal)?;
        if region == set.primary_region || set.replica_regions.contains(&region) {
            return Err(KmsError::AlreadyExists(format!(
                "Key 'arn:aws:kms:{region}:{}:key/{}' already exists",
                primary.account_id, primary.key_id
            )));
        }
        let tags = input.tags.unwrap_or_default();
        super::tags::check_tag_rules(&tags)?;
        let arn = format!("arn:aws:kms:{region}:{}:key/{}", primary.account_id, primary.key_id);
        let policy = super::policy::new_key_policy(
            caller,
            &arn,
            &primary.account_id,
            input.policy,
            input.bypass_policy_lockout_safety_check,
        )?;
        let description = input.description.unwrap_or_default();
        let replica_store_key = store_key(&primary.key_id, &region);
        let keyring = &self.keyring;
        let members = self
            .update_set(&primary.store_key(), |members, now| {
                let source = members
                    .iter()
                    .find(|m| is_primary(m))
                    .ok_or_else(|| KmsError::Conflict("The primary key changed.".into()))?;
                if members.iter().any(|m| m.region == region) {
                    return Err(KmsError::AlreadyExists(format!("Key '{arn}' already exists")));
                }
                let mut replica = source.clone();
                replica.arn = arn.clone();
                replica.region = region.clone();
                replica.creation_date = now;
                replica.description = description.clone();
                replica.state = KeyState::Creating;
                replica.deletion_date = None;
                replica.pending_window_days = None;
                replica.policy = policy.clone();
                replica.tags = tags.clone();
                replica.versions = Self::reseal(keyring, source, &replica.arn, &source.versions)?;
                replica.pending_import = None;
                for member in members.iter_mut() {
                    if let Some(set) = member.multi_region.as_mut() {
                        set.replica_regions.push(region.clone());
                    }
                }
                if let Some(set) = replica.multi_region.as_mut() {
                    set.replica_regions.push(region.clone());
                }
                let index = Self::index_key(&replica);
                members.push(replica);
                Ok(vec![Write::put(ACCOUNT_KEYS, &index, Vec::new(), Precondition::Absent)])
            })
            .await?;
        let replica = members
            .into_iter()
            .find(|m| m.store_key() == replica_store_key)
            .ok_or(KmsError::Internal)?;
        let job_id = format!("{REPLICA_READY_JOB}/{replica_store_key}");
        let now = self.now_ms();
        self.store
            .schedule_job(&job_id, REPLICA_READY_JOB, now, replica_store_key.as_bytes())
            .await?;
        Ok(ReplicateKeyResponse {
            replica_key_metadata: Some(replica.metadata()),
            replica_policy: Some(replica.policy.clone()),
            // AWS leaves ReplicaTags out when the replica has none.
            replica_tags: (!replica.tags.is_empty()).then(|| replica.tags.clone()),
        })
    }

    /// `versions` of `source`, re-sealed for the member whose ARN is `arn`.
    fn reseal(
        keyring: &arca_seal::RootKeyring,
        source: &KeyRecord,
        arn: &str,
        versions: &[KeyVersion],
    ) -> Result<Vec<KeyVersion>, KmsError> {
        versions
            .iter()
            .map(|version| {
                let mut copy = version.clone();
                if let Some(sealed) = &version.sealed {
                    let material = keyring
                        .open(&KeyRecord::material_aad(&source.arn, version.version), sealed)?;
                    copy.sealed = Some(keyring.seal(
                        &KeyRecord::material_aad(arn, version.version),
                        material.expose_secret(),
                    )?);
                }
                Ok(copy)
            })
            .collect()
    }

    /// Job: a replica made by ReplicateKey becomes usable.
    pub(super) async fn replica_ready(&self, replica_store_key: &str) -> Result<(), KmsError> {
        if self.store.get(KEYS, replica_store_key).await?.is_none() {
            return Ok(());
        }
        self.update_key(replica_store_key, |record, _| {
            if record.state == KeyState::Creating {
                record.state = KeyState::Enabled;
            }
            Ok(Vec::new())
        })
        .await?;
        Ok(())
    }

    /// UpdatePrimaryRegion: a replica becomes the primary, and the primary a replica.
    pub async fn update_primary_region(
        &self,
        caller: &Caller,
        input: UpdatePrimaryRegionRequest,
    ) -> Result<Empty, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.required("primaryRegion", &input.primary_region);
        region_pattern(&mut v, "primaryRegion", input.primary_region.as_ref());
        v.finish()?;
        let key =
            self.key_for_action(caller, &input.key_id, Operation::UpdatePrimaryRegion).await?;
        if !is_primary(&key.record) {
            return Err(not_primary(&key.record));
        }
        let region = input.primary_region.unwrap_or_default();
        let set = key.record.multi_region.as_ref().ok_or(KmsError::Internal)?;
        if !set.replica_regions.contains(&region) {
            return Err(KmsError::NotFound(format!(
                "Key 'arn:aws:kms:{region}:{}:key/{}' does not exist",
                key.record.account_id, key.record.key_id
            )));
        }
        let old = key.record.region.clone();
        self.update_set(&key.record.store_key(), |members, _| {
            for member in members.iter_mut() {
                if let Some(set) = member.multi_region.as_mut() {
                    set.primary_region = region.clone();
                    for replica in set.replica_regions.iter_mut() {
                        if *replica == region {
                            replica.clone_from(&old);
                        }
                    }
                }
            }
            Ok(Vec::new())
        })
        .await?;
        Ok(Empty {})
    }

    /// After the primary gained key material (rotation), gives every replica the
    /// versions it lacks, so that each member opens what any other sealed.
    pub(super) async fn sync_replicas(&self, primary: &KeyRecord) -> Result<(), KmsError> {
        if !is_primary(primary) {
            return Ok(());
        }
        let keyring = &self.keyring;
        self.update_set(&primary.store_key(), |members, _| {
            let Some(source) = members.iter().find(|m| is_primary(m)).cloned() else {
                return Ok(Vec::new());
            };
            for member in members.iter_mut().filter(|m| !is_primary(m)) {
                let missing: Vec<KeyVersion> = source
                    .versions
                    .iter()
                    .filter(|v| !member.versions.iter().any(|mine| mine.version == v.version))
                    .cloned()
                    .collect();
                let copies = Self::reseal(keyring, &source, &member.arn, &missing)?;
                member.versions.extend(copies);
                member.rotation = source.rotation.clone();
            }
            Ok(Vec::new())
        })
        .await?;
        Ok(())
    }

    /// When a member of a set is being deleted, the others forget it (the member's own
    /// record is left for the deletion to remove).
    pub(super) async fn forget_replica(&self, deleted: &KeyRecord) -> Result<(), KmsError> {
        let Some(set) = &deleted.multi_region else { return Ok(()) };
        let Some(anchor) = std::iter::once(&set.primary_region)
            .chain(&set.replica_regions)
            .find(|region| **region != deleted.region)
        else {
            return Ok(());
        };
        let anchor = store_key(&deleted.key_id, anchor);
        if self.store.get(KEYS, &anchor).await?.is_none() {
            return Ok(());
        }
        self.update_set(&anchor, |members, _| {
            members.retain(|member| member.region != deleted.region);
            for member in members.iter_mut() {
                if let Some(set) = member.multi_region.as_mut() {
                    set.replica_regions.retain(|region| *region != deleted.region);
                }
            }
            Ok(Vec::new())
        })
        .await?;
        Ok(())
    }
}
