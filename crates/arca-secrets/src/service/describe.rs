//! DescribeSecret, and the description every listing shares.

use arca_api::{Operation, values::Timestamp};
use arca_gate::Caller;

use super::SecretsService;
use crate::{
    SecretsError,
    api::{
        CrossAccountPrimary, CrossAccountReplicaEntry, RotationRules, SecretDescription,
        SecretIdRequest, VersionsToStages,
    },
    record::SecretRecord,
    validate::Validator,
};

impl SecretsService {
    /// DescribeSecret.
    pub async fn describe_secret(
        &self,
        caller: &Caller,
        row: &Operation,
        input: SecretIdRequest,
    ) -> Result<SecretDescription, SecretsError> {
        let v = Validator::new();
        let loaded = self.find_checked(caller, row, &input.secret_id, v).await?;
        Ok(self.description(&loaded.record, false))
    }

    /// A secret as DescribeSecret (`listing` false) or a ListSecrets entry shows it.
    pub(crate) fn description(&self, record: &SecretRecord, listing: bool) -> SecretDescription {
        let stages: VersionsToStages = record
            .versions
            .iter()
            .filter(|v| !v.stages.is_empty())
            .map(|v| (v.id.clone(), v.stages.clone()))
            .collect();
        let rotation = record.rotation.as_ref();
        let rules = rotation.and_then(|r| {
            let rules = RotationRules {
                automatically_after_days: r.automatically_after_days,
                duration: r.duration.clone(),
                schedule_expression: r.schedule_expression.clone(),
            };
            (rules.automatically_after_days.is_some() || rules.schedule_expression.is_some())
                .then_some(rules)
        });
        let replication = super::replication::statuses(record);
        SecretDescription {
            a_r_n: Some(record.arn.clone()),
            name: Some(record.name.clone()),
            r#type: record.secret_type.clone(),
            description: record.description.clone(),
            kms_key_id: record.kms_key_id.clone(),
            rotation_enabled: rotation.map(|r| r.enabled),
            rotation_lambda_a_r_n: rotation.and_then(|r| r.lambda_arn.clone()),
            rotation_rules: rules,
            last_rotated_date: record.last_rotated_ms.map(Timestamp),
            last_changed_date: Some(Timestamp(record.last_changed_ms)),
            last_accessed_date: record.last_accessed_ms.map(Timestamp),
            deleted_date: record.deleted_ms.map(Timestamp),
            next_rotation_date: self.next_rotation_ms(record).map(Timestamp),
            tags: (record.tags_set || !record.tags.is_empty()).then(|| record.tags.clone()),
            version_ids_to_stages: (!listing && !stages.is_empty()).then(|| stages.clone()),
            secret_versions_to_stages: (listing && !stages.is_empty()).then_some(stages),
            owning_service: None,
            created_date: Some(Timestamp(record.created_ms)),
            primary_region: record
                .primary_region
                .clone()
                .or_else(|| (!record.replicas.is_empty()).then(|| record.region.clone())),
            replication_status: Some(replication).filter(|r| !r.is_empty()),
            cross_account_primary: record.cross_account_primary.as_ref().map(|link| {
                CrossAccountPrimary {
                    primary_secret_a_r_n: Some(link.arn.clone()),
                    replication_status: Some(link.status.clone()),
                    status_message: link.status_message.clone(),
                }
            }),
            cross_account_replicas: Some(
                record
                    .cross_account_replicas
                    .iter()
                    .map(|link| CrossAccountReplicaEntry {
                        replica_secret_a_r_n: Some(link.arn.clone()),
                        replication_role_a_r_n: link.role_arn.clone(),
                        replication_status: Some(link.status.clone()),
                        status_message: link.status_message.clone(),
                    })
                    .collect::<Vec<_>>(),
            )
            .filter(|links| !links.is_empty()),
        }
    }
}
