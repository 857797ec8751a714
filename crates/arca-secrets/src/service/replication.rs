//! Replication of a secret to other regions this deployment serves:
//! ReplicateSecretToRegions, RemoveRegionsFromReplication, StopReplicationToReplica.
//!
//! A replica is a secret of the same account and name in another region, with the
//! primary's ARN but for the region, its versions and labels, and each value sealed
//! again under a KMS key of the replica's region (the region's `aws/secretsmanager`
//! unless the caller named one), asked for as the caller. Replicas are read-only; every
//! change of the primary is copied to them as part of the request that made it, and a
//! copy that fails marks the replica `Failed` with the reason, as AWS shows it.

use arca_api::Operation;
use arca_gate::Caller;
use arca_store::{Precondition, Write};

use super::SecretsService;
use crate::{
    SecretsError,
    api::{
        RemoveRegionsFromReplicationRequest, ReplicaRegion, ReplicateSecretToRegionsRequest,
        ReplicationResponse, ReplicationStatus, SecretIdRequest,
    },
    envelope::{self, DEFAULT_KEY},
    record::{Replica, SECRETS, SecretRecord, VALUES, VersionMeta, secret_key, value_key},
    validate::Validator,
};

const IN_SYNC: &str = "InSync";
const FAILED: &str = "Failed";

/// The ARN a replica in `region` has: the primary's, with the region changed.
fn replica_arn(primary: &SecretRecord, region: &str) -> String {
    primary.arn.replacen(
        &format!(":secretsmanager:{}:", primary.region),
        &format!(":secretsmanager:{region}:"),
        1,
    )
}

/// Refuses changes to a replica's values and settings: they are made on the primary.
pub(crate) fn check_not_replica(record: &SecretRecord) -> Result<(), SecretsError> {
    if let Some(link) = &record.cross_account_primary {
        return Err(SecretsError::InvalidRequest(format!(
            "Operation not permitted on a replica secret. Call must be made on the primary secret ({}).",
            link.arn
        )));
    }
    check_not_region_replica(record)
}

/// Refuses changes to a replica in another region of the primary's account. A
/// cross-account replica keeps its own tags and resource policy: its owner grants
/// the primary's account `AcceptCrossAccountReplication` there.
pub(crate) fn check_not_region_replica(record: &SecretRecord) -> Result<(), SecretsError> {
    match &record.primary_region {
        Some(primary) => Err(SecretsError::InvalidRequest(format!(
            "Operation not permitted on a replica secret. Call must be made in primary secret's region ({primary})."
        ))),
        None => Ok(()),
    }
}

pub(crate) fn statuses(record: &SecretRecord) -> Vec<ReplicationStatus> {
    record
        .replicas
        .iter()
        .map(|replica| ReplicationStatus {
            region: Some(replica.region.clone()),
            kms_key_id: Some(replica.kms_key_id.clone().unwrap_or_else(|| DEFAULT_KEY.into())),
            status: Some(replica.status.clone()),
            status_message: replica.status_message.clone(),
            last_accessed_date: None,
        })
        .collect()
}

impl SecretsService {
    /// Checks the regions of an `AddReplicaRegions` list against what this deployment
    /// serves.
    pub(crate) fn check_replica_regions(
        &self,
        primary_region: &str,
        regions: &[ReplicaRegion],
    ) -> Result<(), SecretsError> {
        let mut seen: Vec<&str> = Vec::new();
        for replica in regions {
            let region = replica.region.as_deref().unwrap_or_default();
            if region == primary_region || !self.regions.iter().any(|r| r == region) {
                return Err(SecretsError::InvalidParameter(format!(
                    "Invalid replica region: {region} is not a region this deployment serves, or is the primary's."
                )));
            }
            if seen.contains(&region) {
                return Err(SecretsError::InvalidParameter(format!(
                    "Region {region} is listed twice."
                )));
            }
            seen.push(region);
        }
        Ok(())
    }

    /// Adds `regions` to the replicas of the secret at `key` and copies it there.
    pub(crate) async fn add_replicas(
        &self,
        caller: &Caller,
        key: &str,
        regions: &[ReplicaRegion],
        force: bool,
    ) -> Result<SecretRecord, SecretsError> {
        let new: Vec<Replica> = regions
            .iter()
            .map(|r| Replica {
                region: r.region.clone().unwrap_or_default(),
                kms_key_id: r.kms_key_id.clone().filter(|k| !k.is_empty()),
                status: "InProgress".into(),
                status_message: None,
            })
            .collect();
        let (record, _) = self
            .update(key, |record, _| {
                for replica in &new {
                    if record.replicas.iter().any(|r| r.region == replica.region) {
                        return Err(SecretsError::InvalidParameter(format!(
                            "The secret is already replicated to {}.",
                            replica.region
                        )));
                    }
                    record.replicas.push(replica.clone());
                }
                Ok((Vec::new(), ()))
            })
            .await?;
        Ok(self.sync_replicas(caller, &record, force).await)
    }

    /// Copies `primary` to each of its replicas and records how each copy went;
    /// returns the primary as it then stands.
    pub(crate) async fn sync_replicas(
        &self,
        caller: &Caller,
        primary: &SecretRecord,
        force: bool,
    ) -> SecretRecord {
        let mut outcomes = Vec::new();
        for replica in &primary.replicas {
            let outcome = self.sync_replica(caller, primary, replica, force).await;
            if let Err(error) = &outcome {
                tracing::warn!(secret = %primary.arn, region = %replica.region, %error, "secrets: replication failed");
            }
            outcomes.push((replica.region.clone(), outcome.err().map(|e| e.to_string())));
        }
        let unchanged = outcomes.iter().all(|(region, failure)| {
            primary.replicas.iter().any(|r| {
                &r.region == region
                    && r.status == if failure.is_some() { FAILED } else { IN_SYNC }
                    && &r.status_message == failure
            })
        });
        if unchanged {
            return primary.clone();
        }
        let updated = self
            .update(&primary.key(), |record, _| {
                for (region, failure) in &outcomes {
                    if let Some(replica) = record.replicas.iter_mut().find(|r| &r.region == region)
                    {
                        replica.status = if failure.is_some() { FAILED } else { IN_SYNC }.into();
                        replica.status_message = failure.clone();
                    }
                }
                Ok((Vec::new(), ()))
            })
            .await;
        match updated {
            Ok((record, _)) => record,
            Err(_) => primary.clone(),
        }
    }

    /// Makes the replica in `replica.region` match `primary`: metadata and labels
    /// copied, values it lacks sealed again under its region's key, values the primary
    /// dropped deleted.
    async fn sync_replica(
        &self,
        caller: &Caller,
        primary: &SecretRecord,
        replica: &Replica,
        force: bool,
    ) -> Result<(), SecretsError> {
        let region = replica.region.as_str();
        let key = secret_key(&primary.account, region, &primary.name);
        let existing = self.store.get(SECRETS, &key).await?;
        let mut writes = Vec::new();
        let mut current: Option<SecretRecord> = None;
        let precondition = match &existing {
            Some(stored) => {
                let found = SecretRecord::from_bytes(&stored.value)?;
                if found.primary_region.as_deref() != Some(primary.region.as_str()) {
                    if !force {
                        return Err(SecretsError::InvalidRequest(
                            "Replication failed: Secret name already exists in the destination region."
                                .into(),
                        ));
                    }
                    for version in &found.versions {
                        writes.push(Write::delete(
                            VALUES,
                            &value_key(&found.uid, &version.id),
                            Precondition::None,
                        ));
                    }
                } else {
                    current = Some(found);
                }
                Precondition::Version(stored.version)
            }
            None => Precondition::Absent,
        };
        let remote = caller.in_region(region);
        let mut copy = SecretRecord {
            uid: current
                .as_ref()
                .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), |c| c.uid.clone()),
            arn: replica_arn(primary, region),
            region: region.to_string(),
            kms_key_id: replica.kms_key_id.clone(),
            primary_region: Some(primary.region.clone()),
            replicas: Vec::new(),
            rotation: None,
            last_accessed_ms: current.as_ref().and_then(|c| c.last_accessed_ms),
            versions: Vec::new(),
            ..primary.clone()
        };
        let (versions, copies) =
            self.copy_versions(caller, &remote, primary, &copy, current.as_ref()).await?;
        copy.versions = versions;
        writes.extend(copies);
        writes.insert(0, Write::put(SECRETS, &key, copy.to_bytes()?, precondition));
        self.commit_replica(writes).await
    }

    /// Commits a replica's copy; another change made first is reported, not retried
    /// (the next change of the primary copies again).
    pub(crate) async fn commit_replica(&self, writes: Vec<Write>) -> Result<(), SecretsError> {
        self.store.commit(writes).await.map_err(|error| match error {
            arca_store::StoreError::Conflict { .. } => SecretsError::InvalidRequest(
                "The replica was changed concurrently; retry the request.".into(),
            ),
            other => other.into(),
        })?;
        Ok(())
    }

    /// The versions `target` (a replica of `primary`, holding `held` before) gets, and
    /// the writes that store them: values it lacks are read as `caller` and sealed again
    /// under the target's key as `sealer` (the caller in the target's region); values of
    /// versions the primary dropped are deleted.
    pub(crate) async fn copy_versions(
        &self,
        caller: &Caller,
        sealer: &Caller,
        primary: &SecretRecord,
        target: &SecretRecord,
        held: Option<&SecretRecord>,
    ) -> Result<(Vec<VersionMeta>, Vec<Write>), SecretsError> {
        let key = target.kms_key_id.as_deref().unwrap_or(DEFAULT_KEY);
        let mut versions = Vec::new();
        let mut writes = Vec::new();
        for version in primary.versions.iter().filter(|v| !v.awaiting_value) {
            let mut meta = version.clone();
            match held.and_then(|h| h.version(&version.id)).filter(|v| !v.awaiting_value) {
                Some(kept) => meta.kms_key_arn = kept.kms_key_arn.clone(),
                None => {
                    let (bytes, binary) = self.read_value(caller, primary, &version.id).await?;
                    let (sealed, key_arn) = envelope::seal(
                        &self.peers,
                        sealer,
                        key,
                        &target.arn,
                        &version.id,
                        &bytes,
                        binary,
                    )
                    .await?;
                    meta.kms_key_arn = key_arn;
                    writes.push(Write::put(
                        VALUES,
                        &value_key(&target.uid, &version.id),
                        sealed.to_bytes()?,
                        Precondition::None,
                    ));
                }
            }
            versions.push(meta);
        }
        for dropped in held.iter().flat_map(|h| h.versions.iter()) {
            if !versions.iter().any(|v| v.id == dropped.id) {
                writes.push(Write::delete(
                    VALUES,
                    &value_key(&target.uid, &dropped.id),
                    Precondition::None,
                ));
            }
        }
        Ok((versions, writes))
    }

    /// Copies a primary's change to its replicas, if it has any.
    pub(crate) async fn after_change(&self, caller: &Caller, primary: &SecretRecord) {
        if !primary.replicas.is_empty() {
            self.sync_replicas(caller, primary, false).await;
        }
        if !primary.cross_account_replicas.is_empty() {
            self.sync_cross_account_replicas(caller, primary).await;
        }
    }

    /// ReplicateSecretToRegions.
    pub async fn replicate_secret_to_regions(
        &self,
        caller: &Caller,
        row: &Operation,
        input: ReplicateSecretToRegionsRequest,
    ) -> Result<ReplicationResponse, SecretsError> {
        let mut v = Validator::new();
        v.required("addReplicaRegions", &input.add_replica_regions);
        v.list_length("addReplicaRegions", input.add_replica_regions.as_ref(), 1, 100);
        let loaded = self.find_live_checked(caller, row, &input.secret_id, v).await?;
        check_not_replica(&loaded.record)?;
        let regions = input.add_replica_regions.unwrap_or_default();
        self.check_replica_regions(&loaded.record.region, &regions)?;
        let record = self
            .add_replicas(
                caller,
                &loaded.record.key(),
                &regions,
                input.force_overwrite_replica_secret.unwrap_or(false),
            )
            .await?;
        Ok(ReplicationResponse {
            a_r_n: Some(record.arn.clone()),
            replication_status: Some(statuses(&record)),
        })
    }

    /// RemoveRegionsFromReplication: the replicas there are deleted.
    pub async fn remove_regions_from_replication(
        &self,
        caller: &Caller,
        row: &Operation,
        input: RemoveRegionsFromReplicationRequest,
    ) -> Result<ReplicationResponse, SecretsError> {
        let mut v = Validator::new();
        v.required("removeReplicaRegions", &input.remove_replica_regions);
        v.list_length("removeReplicaRegions", input.remove_replica_regions.as_ref(), 1, 100);
        let loaded = self.find_checked(caller, row, &input.secret_id, v).await?;
        check_not_replica(&loaded.record)?;
        let remove = input.remove_replica_regions.unwrap_or_default();
        let (record, _) = self
            .update(&loaded.record.key(), |record, _| {
                record.replicas.retain(|r| !remove.contains(&r.region));
                Ok((Vec::new(), ()))
            })
            .await?;
        for region in &remove {
            let key = secret_key(&record.account, region, &record.name);
            if let Some(stored) = self.store.get(SECRETS, &key).await? {
                let replica = SecretRecord::from_bytes(&stored.value)?;
                if replica.primary_region.as_deref() == Some(record.region.as_str()) {
                    self.erase(&replica, Some(stored.version)).await?;
                }
            }
        }
        Ok(ReplicationResponse {
            a_r_n: Some(record.arn.clone()),
            replication_status: Some(statuses(&record)),
        })
    }

    /// StopReplicationToReplica, called in the replica's region: the replica becomes a
    /// secret of its own and the primary forgets it.
    pub async fn stop_replication_to_replica(
        &self,
        caller: &Caller,
        row: &Operation,
        input: SecretIdRequest,
    ) -> Result<ReplicationResponse, SecretsError> {
        let loaded = self.find_checked(caller, row, &input.secret_id, Validator::new()).await?;
        if loaded.record.cross_account_primary.is_some() {
            let record = self.detach_cross_account(&loaded.record).await?;
            return Ok(ReplicationResponse { a_r_n: Some(record.arn), replication_status: None });
        }
        let Some(primary_region) = loaded.record.primary_region.clone() else {
            return Err(SecretsError::InvalidRequest(
                "This secret is not a replica; call StopReplicationToReplica in the replica's region."
                    .into(),
            ));
        };
        let (record, _) = self
            .update(&loaded.record.key(), |record, _| {
                record.primary_region = None;
                Ok((Vec::new(), ()))
            })
            .await?;
        let primary_key = secret_key(&record.account, &primary_region, &record.name);
        let region = record.region.clone();
        match self
            .update(&primary_key, |primary, _| {
                primary.replicas.retain(|r| r.region != region);
                Ok((Vec::new(), ()))
            })
            .await
        {
            Ok(_) | Err(SecretsError::NotFound(_)) => {}
            Err(error) => return Err(error),
        }
        Ok(ReplicationResponse { a_r_n: Some(record.arn), replication_status: None })
    }
}
