//! Cross-account replicas between accounts of this deployment: CreateSecret with
//! `CrossAccountPrimaryARN` (in the replica's account), AssociateCrossAccountReplica and
//! DisassociateCrossAccountReplica (on the primary), StopReplicationToReplica (on the
//! replica, in `replication`).
//!
//! As AWS documents it: the replica's owner creates it first, naming the primary and a
//! customer managed key of its own; the primary's owner associates it, which needs
//! `secretsmanager:AcceptCrossAccountReplication` on the replica (its resource policy)
//! and KMS permission on the replica's key, since the values are sealed under that key
//! as the caller. A primary has at most one cross-account replica; a failed
//! association changes neither secret; later changes of the primary are copied with
//! the request that made them.

use arca_api::Operation;
use arca_gate::{Caller, CrossAccount};
use arca_store::{Precondition, Write};

use super::SecretsService;
use crate::{
    SecretsError,
    api::{
        CreateSecretRequest, CrossAccountReplicaRequest, CrossAccountReplicaResponse,
        SecretVersionResponse,
    },
    names::{self, SecretRef},
    record::{CrossAccountLink, SECRETS, SecretRecord, secret_key},
    validate::Validator,
};

const IN_SYNC: &str = "InSync";
const FAILED: &str = "Failed";
const DETACHED: &str = "Detached";
const PENDING: &str = "Pending";

/// The permission associating asks for on the replica (an IAM action with no API of
/// its own).
static ACCEPT: Operation = Operation {
    name: "AcceptCrossAccountReplication",
    action: "secretsmanager:AcceptCrossAccountReplication",
    read_only: false,
    cross_account: CrossAccount::Allowed,
    audit_members: &[],
};

/// A key named by id in another account is reached by its ARN.
fn key_arn(region: &str, account: &str, key: &str) -> String {
    if key.starts_with("arn:") || key.starts_with("alias/") {
        key.to_string()
    } else {
        format!("arn:aws:kms:{region}:{account}:key/{key}")
    }
}

/// A validator that has checked the request's `CrossAccountReplicaARN`.
fn replica_arn_checked(input: &CrossAccountReplicaRequest) -> Validator {
    let mut v = Validator::new();
    v.required("crossAccountReplicaARN", &input.cross_account_replica_a_r_n);
    v.length("crossAccountReplicaARN", input.cross_account_replica_a_r_n.as_ref(), 20, 2048);
    v
}

/// The account and region of a secret ARN in another account of this region.
fn other_account(arn: &str, caller: &Caller) -> Result<SecretRef, SecretsError> {
    let reference = SecretRef::parse(arn)?;
    match &reference {
        SecretRef::Arn { account, region, .. }
            if region == caller.region() && account != caller.account_id() =>
        {
            Ok(reference)
        }
        _ => Err(SecretsError::InvalidParameter(
            "The ARN must name a secret of another account in this Region.".into(),
        )),
    }
}

impl SecretsService {
    /// CreateSecret with `CrossAccountPrimaryARN`: an empty replica waiting for its
    /// primary's owner to associate it.
    pub(crate) async fn create_cross_account_replica(
        &self,
        caller: &Caller,
        row: &Operation,
        input: CreateSecretRequest,
    ) -> Result<SecretVersionResponse, SecretsError> {
        if input.secret_string.is_some()
            || input.secret_binary.is_some()
            || input.description.is_some()
            || input.add_replica_regions.is_some()
            || input.r#type.is_some()
        {
            return Err(SecretsError::InvalidParameter(
                "You can't include SecretString, SecretBinary, Description, AddReplicaRegions, or Type when you create a cross-account replica."
                    .into(),
            ));
        }
        let key =
            input.kms_key_id.clone().filter(|k| !k.is_empty() && !k.starts_with("alias/aws/"));
        let Some(key) = key else {
            return Err(SecretsError::InvalidParameter(
                "A cross-account replica needs a customer managed KMS key in KmsKeyId.".into(),
            ));
        };
        let primary = input.cross_account_primary_a_r_n.clone().unwrap_or_default();
        other_account(&primary, caller)?;
        let name = input.name.clone().unwrap_or_default();
        let (account, region) = (caller.account_id(), caller.region());
        let arn = names::new_arn(region, account, &name);
        self.authorize_resource(caller, row, &arn, account, None, &[], &[])?;
        let now = self.now_ms();
        let record = SecretRecord {
            uid: uuid::Uuid::new_v4().simple().to_string(),
            arn,
            name,
            account: account.to_string(),
            region: region.to_string(),
            kms_key_id: Some(key_arn(region, account, &key)),
            created_ms: now,
            last_changed_ms: now,
            tags_set: input.tags.is_some(),
            tags: input.tags.unwrap_or_default(),
            cross_account_primary: Some(CrossAccountLink {
                arn: primary,
                status: PENDING.into(),
                status_message: None,
                role_arn: None,
            }),
            ..Default::default()
        };
        let key = record.key();
        match self
            .store
            .commit(vec![Write::put(SECRETS, &key, record.to_bytes()?, Precondition::Absent)])
            .await
        {
            Ok(_) => {}
            Err(arca_store::StoreError::Conflict { .. }) => {
                return Err(SecretsError::Exists(format!(
                    "The operation failed because the secret {} already exists.",
                    record.name
                )));
            }
            Err(error) => return Err(error.into()),
        }
        Ok(SecretVersionResponse {
            a_r_n: Some(record.arn),
            name: Some(record.name),
            ..Default::default()
        })
    }

    /// AssociateCrossAccountReplica.
    pub async fn associate_cross_account_replica(
        &self,
        caller: &Caller,
        row: &Operation,
        input: CrossAccountReplicaRequest,
    ) -> Result<CrossAccountReplicaResponse, SecretsError> {
        let mut v = replica_arn_checked(&input);
        v.one_of(
            "replicaRestriction",
            input.replica_restriction.as_ref(),
            &["SameOrg", "NoRestriction"],
        );
        v.length("replicationRoleARN", input.replication_role_a_r_n.as_ref(), 20, 2048);
        let loaded = self.find_live_checked(caller, row, &input.secret_id, v).await?;
        let primary = loaded.record;
        let replica_arn = input.cross_account_replica_a_r_n.clone().unwrap_or_default();
        let reference = other_account(&replica_arn, caller)?;
        if primary.cross_account_replicas.iter().any(|link| link.arn != replica_arn) {
            return Err(SecretsError::LimitExceeded(
                "A primary secret can have at most one cross-account replica.".into(),
            ));
        }
        let replica = self.lookup(caller, &reference).await?.ok_or_else(SecretsError::no_secret)?;
        self.authorize(caller, &ACCEPT, Some(&replica.record), &[])?;
        if replica.record.cross_account_primary.as_ref().map(|link| link.arn.as_str())
            != Some(primary.arn.as_str())
        {
            return Err(SecretsError::InvalidRequest(
                "The replica secret was not created as a cross-account replica of this primary secret."
                    .into(),
            ));
        }
        // Copy first: a failed association changes neither secret.
        self.sync_cross_account(caller, &primary, &replica.record.arn).await?;
        let role = input.replication_role_a_r_n.clone();
        let arn = replica.record.arn.clone();
        let (record, _) = self
            .update(&primary.key(), |record, _| {
                record.cross_account_replicas.retain(|link| link.arn != arn);
                record.cross_account_replicas.push(CrossAccountLink {
                    arn: arn.clone(),
                    status: IN_SYNC.into(),
                    status_message: None,
                    role_arn: role.clone(),
                });
                Ok((Vec::new(), ()))
            })
            .await?;
        Ok(CrossAccountReplicaResponse {
            a_r_n: Some(record.arn),
            cross_account_replica_a_r_n: Some(replica_arn),
            replication_status: Some(IN_SYNC.into()),
        })
    }

    /// DisassociateCrossAccountReplica: the replica stays, `Detached`.
    pub async fn disassociate_cross_account_replica(
        &self,
        caller: &Caller,
        row: &Operation,
        input: CrossAccountReplicaRequest,
    ) -> Result<CrossAccountReplicaResponse, SecretsError> {
        let v = replica_arn_checked(&input);
        let loaded = self.find_checked(caller, row, &input.secret_id, v).await?;
        let replica_arn = input.cross_account_replica_a_r_n.clone().unwrap_or_default();
        if !loaded.record.cross_account_replicas.iter().any(|link| link.arn == replica_arn) {
            return Err(SecretsError::NotFound(
                "Secrets Manager can't find the specified cross-account replica.".into(),
            ));
        }
        let (record, _) = self
            .update(&loaded.record.key(), |record, _| {
                record.cross_account_replicas.retain(|link| link.arn != replica_arn);
                Ok((Vec::new(), ()))
            })
            .await?;
        self.set_replica_link(&replica_arn, caller, DETACHED, None).await?;
        Ok(CrossAccountReplicaResponse {
            a_r_n: Some(record.arn),
            cross_account_replica_a_r_n: Some(replica_arn),
            replication_status: Some(DETACHED.into()),
        })
    }

    /// Sets the state a cross-account replica shows of its primary, if it still
    /// names one.
    async fn set_replica_link(
        &self,
        replica_arn: &str,
        caller: &Caller,
        status: &str,
        message: Option<String>,
    ) -> Result<(), SecretsError> {
        let Some(replica) = self.lookup(caller, &SecretRef::parse(replica_arn)?).await? else {
            return Ok(());
        };
        self.update(&replica.record.key(), |record, _| {
            if let Some(link) = record.cross_account_primary.as_mut() {
                link.status = status.to_string();
                link.status_message = message.clone();
            }
            Ok((Vec::new(), ()))
        })
        .await?;
        Ok(())
    }

    /// Copies `primary`'s versions and labels into its cross-account replica: values
    /// the replica lacks are sealed under the replica's own key, as the caller.
    pub(crate) async fn sync_cross_account(
        &self,
        caller: &Caller,
        primary: &SecretRecord,
        replica_arn: &str,
    ) -> Result<(), SecretsError> {
        let reference = SecretRef::parse(replica_arn)?;
        let replica = self.lookup(caller, &reference).await?.ok_or_else(SecretsError::no_secret)?;
        let current = replica.record;
        if current.kms_key_id.is_none() {
            return Err(SecretsError::Internal);
        }
        let (versions, mut writes) =
            self.copy_versions(caller, caller, primary, &current, Some(&current)).await?;
        let mut copy = current.clone();
        copy.versions = versions;
        copy.last_changed_ms = primary.last_changed_ms;
        if let Some(link) = copy.cross_account_primary.as_mut() {
            link.status = IN_SYNC.into();
            link.status_message = None;
        }
        let store_key = secret_key(&copy.account, &copy.region, &copy.name);
        writes.insert(
            0,
            Write::put(
                SECRETS,
                &store_key,
                copy.to_bytes()?,
                Precondition::Version(replica.version),
            ),
        );
        self.commit_replica(writes).await
    }

    /// Copies a primary's change to its associated cross-account replicas and records
    /// how each copy went.
    pub(crate) async fn sync_cross_account_replicas(
        &self,
        caller: &Caller,
        primary: &SecretRecord,
    ) {
        let mut outcomes = Vec::new();
        for link in primary.cross_account_replicas.iter().filter(|link| link.status != DETACHED) {
            let outcome = self.sync_cross_account(caller, primary, &link.arn).await;
            if let Err(error) = &outcome {
                tracing::warn!(secret = %primary.arn, replica = %link.arn, %error, "secrets: cross-account replication failed");
                let _ =
                    self.set_replica_link(&link.arn, caller, FAILED, Some(error.to_string())).await;
            }
            outcomes.push((link.arn.clone(), outcome.err().map(|e| e.to_string())));
        }
        let unchanged = outcomes.iter().all(|(arn, failure)| {
            primary.cross_account_replicas.iter().any(|l| {
                &l.arn == arn
                    && l.status == if failure.is_some() { FAILED } else { IN_SYNC }
                    && &l.status_message == failure
            })
        });
        if unchanged {
            return;
        }
        let result = self
            .update(&primary.key(), |record, _| {
                for (arn, failure) in &outcomes {
                    if let Some(link) =
                        record.cross_account_replicas.iter_mut().find(|l| &l.arn == arn)
                    {
                        link.status = if failure.is_some() { FAILED } else { IN_SYNC }.into();
                        link.status_message = failure.clone();
                    }
                }
                Ok((Vec::new(), ()))
            })
            .await;
        if let Err(error) = result {
            tracing::warn!(%error, "secrets: cross-account replication status not recorded");
        }
    }

    /// StopReplicationToReplica on a cross-account replica: it becomes a secret of its
    /// own; the primary shows it `Detached`.
    pub(crate) async fn detach_cross_account(
        &self,
        replica: &SecretRecord,
    ) -> Result<SecretRecord, SecretsError> {
        let primary_arn =
            replica.cross_account_primary.as_ref().map(|l| l.arn.clone()).unwrap_or_default();
        let (record, _) = self
            .update(&replica.key(), |record, _| {
                record.cross_account_primary = None;
                Ok((Vec::new(), ()))
            })
            .await?;
        // The primary is in another account: it is found by its ARN, not as the caller's.
        if let Ok(reference) = SecretRef::parse(&primary_arn)
            && let SecretRef::Arn { account, region, .. } = &reference
        {
            for name in reference.candidate_names() {
                let key = secret_key(account, region, name);
                let arn = record.arn.clone();
                let result = self
                    .update(&key, |primary, _| {
                        if let Some(link) =
                            primary.cross_account_replicas.iter_mut().find(|l| l.arn == arn)
                        {
                            link.status = DETACHED.into();
                        }
                        Ok((Vec::new(), ()))
                    })
                    .await;
                if result.is_ok() {
                    break;
                }
            }
        }
        Ok(record)
    }
}
