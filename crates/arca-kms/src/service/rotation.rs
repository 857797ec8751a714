//! Key rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
//! RotateKeyOnDemand, ListKeyRotations. Every older version stays for decryption.

use arca_gate::Caller;

use super::{KmsService, jobs::ROTATE_JOB};
use crate::{
    KmsError,
    api::{
        Empty, EnableKeyRotationRequest, GetKeyRotationStatusResponse, KeyIdRequest, KeyIdResponse,
        ListKeyRotationsRequest, ListKeyRotationsResponse, RotationsListEntry,
    },
    operation::Operation,
    paging::{Page, decode_marker},
    record::KeyRecord,
    spec::KeyKind,
    validate::{self, Validator},
    wire::Timestamp,
};

const DAY_MS: i64 = 86_400_000;
/// AWS allows ten on-demand rotations per key.
const MAX_ON_DEMAND_ROTATIONS: usize = 10;

impl KmsService {
    pub(super) async fn schedule_rotation(&self, record: &KeyRecord) -> Result<(), KmsError> {
        let job_id = format!("{ROTATE_JOB}/{}", record.store_key());
        match (record.rotation.enabled, record.rotation.next_rotation) {
            (true, Some(due)) => {
                self.store
                    .schedule_job(&job_id, ROTATE_JOB, due, record.store_key().as_bytes())
                    .await?
            }
            _ => self.store.cancel_job(&job_id).await?,
        }
        Ok(())
    }

    /// The key is enabled (its state is checked first, as AWS does) and of the one
    /// kind AWS rotates: symmetric encryption keys. AWS words the second refusal with
    /// an empty message.
    fn check_rotatable(record: &KeyRecord) -> Result<(), KmsError> {
        Self::check_usable(record)?;
        // A multi-Region set rotates through its primary.
        if record.multi_region.is_some() && !super::multi_region::is_primary(record) {
            return Err(KmsError::UnsupportedOperation(format!(
                "{} is not a multi-region primary key.",
                record.arn
            )));
        }
        if record.kind() != Some(KeyKind::Symmetric) {
            return Err(KmsError::UnsupportedOperation(String::new()));
        }
        Ok(())
    }

    /// EnableKeyRotation with an optional period (90-2560 days, default 365).
    pub async fn enable_key_rotation(
        &self,
        caller: &Caller,
        input: EnableKeyRotationRequest,
    ) -> Result<Empty, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.range("rotationPeriodInDays", input.rotation_period_in_days, 90, 2560);
        v.finish()?;
        let key = self
            .authorized_key(
                caller,
                input.key_id.as_deref().unwrap_or_default(),
                Operation::EnableKeyRotation,
                None,
            )
            .await?;
        Self::check_customer_managed(&key.record)?;
        let period = input.rotation_period_in_days.unwrap_or(365);
        let record = self
            .update_key(&key.record.store_key(), |record, now| {
                Self::check_rotatable(record)?;
                // Imported material rotates only on demand, with new imported material.
                if record.origin != "AWS_KMS" {
                    return Err(KmsError::UnsupportedOperation(String::new()));
                }
                record.rotation.enabled = true;
                record.rotation.period_days = period;
                record.rotation.next_rotation = Some(now + period * DAY_MS);
                Ok(Vec::new())
            })
            .await?;
        self.schedule_rotation(&record).await?;
        self.sync_replicas(&record).await?;
        Ok(Empty {})
    }

    /// DisableKeyRotation.
    pub async fn disable_key_rotation(
        &self,
        caller: &Caller,
        input: KeyIdRequest,
    ) -> Result<Empty, KmsError> {
        let key = self.key_for_action(caller, &input.key_id, Operation::DisableKeyRotation).await?;
        Self::check_customer_managed(&key.record)?;
        let record = self
            .update_key(&key.record.store_key(), |record, _| {
                Self::check_rotatable(record)?;
                record.rotation.enabled = false;
                record.rotation.next_rotation = None;
                Ok(Vec::new())
            })
            .await?;
        self.schedule_rotation(&record).await?;
        self.sync_replicas(&record).await?;
        Ok(Empty {})
    }

    /// GetKeyRotationStatus.
    pub async fn get_key_rotation_status(
        &self,
        caller: &Caller,
        input: KeyIdRequest,
    ) -> Result<GetKeyRotationStatusResponse, KmsError> {
        let key =
            self.key_for_action(caller, &input.key_id, Operation::GetKeyRotationStatus).await?;
        Self::check_not_pending_deletion(&key.record)?;
        let rotation = &key.record.rotation;
        Ok(GetKeyRotationStatusResponse {
            key_rotation_enabled: Some(rotation.enabled),
            key_id: Some(key.record.arn.clone()),
            rotation_period_in_days: rotation.enabled.then_some(rotation.period_days),
            next_rotation_date: rotation.next_rotation.filter(|_| rotation.enabled).map(Timestamp),
            on_demand_rotation_start_date: None,
        })
    }

    /// RotateKeyOnDemand: adds a new version now; automatic rotation keeps its schedule.
    pub async fn rotate_key_on_demand(
        &self,
        caller: &Caller,
        input: KeyIdRequest,
    ) -> Result<KeyIdResponse, KmsError> {
        let key = self.key_for_action(caller, &input.key_id, Operation::RotateKeyOnDemand).await?;
        Self::check_customer_managed(&key.record)?;
        let record = self.add_version(&key.record.store_key(), "ON_DEMAND", false).await?;
        Ok(KeyIdResponse { key_id: Some(record.arn) })
    }

    /// Adds a version of fresh material; `automatic` also moves the next due date on.
    pub(super) async fn add_version(
        &self,
        key_id: &str,
        rotation_type: &str,
        automatic: bool,
    ) -> Result<KeyRecord, KmsError> {
        let record = self
            .update_key(key_id, |record, now| {
                Self::check_rotatable(record)?;
                let on_demand = record.versions.iter().filter(|v| v.rotation_type.as_deref() == Some("ON_DEMAND")).count();
                if !automatic && on_demand >= MAX_ON_DEMAND_ROTATIONS {
                    return Err(KmsError::LimitExceeded(format!(
                        "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: {}",
                        record.arn
                    )));
                }
                let next = record.versions.last().map_or(1, |v| v.version + 1);
                let version = if record.origin == "EXTERNAL" {
                    // An imported key rotates to material imported for it beforehand.
                    let Some(mut pending) = record.pending_import.take() else {
                        return Err(KmsError::InvalidState(format!(
                            "No available key material pending rotation for the key: {}.",
                            record.arn
                        )));
                    };
                    pending.rotation_type = Some(rotation_type.to_string());
                    pending.created = now;
                    pending
                } else {
                    self.new_version(&record.arn, next, now, Some(rotation_type))?
                };
                record.versions.push(version);
                if automatic {
                    record.rotation.next_rotation = Some(now + record.rotation.period_days * DAY_MS);
                }
                Ok(Vec::new())
            })
            .await?;
        // The replicas of a multi-Region primary get the new material too.
        self.sync_replicas(&record).await?;
        Ok(record)
    }

    /// ListKeyRotations: completed rotations, oldest first.
    pub async fn list_key_rotations(
        &self,
        caller: &Caller,
        input: ListKeyRotationsRequest,
    ) -> Result<ListKeyRotationsResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.one_of(
            "includeKeyMaterial",
            input.include_key_material.as_ref(),
            &["ALL_KEY_MATERIAL", "ROTATIONS_ONLY"],
        );
        validate::paging(&mut v, input.limit, input.marker.as_ref());
        v.finish()?;
        let key = self
            .authorized_key(
                caller,
                input.key_id.as_deref().unwrap_or_default(),
                Operation::ListKeyRotations,
                None,
            )
            .await?;
        Self::check_not_pending_deletion(&key.record)?;
        let start_after = decode_marker(input.marker.as_deref(), "")?;
        let include_original = input.include_key_material.as_deref() == Some("ALL_KEY_MATERIAL");
        let entries: Vec<(String, RotationsListEntry)> = key
            .record
            .versions
            .iter()
            .filter(|v| include_original || v.rotation_type.is_some())
            .map(|v| {
                (
                    format!("{:010}", v.version),
                    RotationsListEntry {
                        key_id: Some(key.record.arn.clone()),
                        key_material_id: Some(v.material_id.clone()),
                        rotation_date: v.rotation_type.as_ref().map(|_| Timestamp(v.created)),
                        rotation_type: v.rotation_type.clone(),
                    },
                )
            })
            .filter(|(position, _)| start_after.as_ref().is_none_or(|after| position > after))
            .collect();
        let page = Page::new(entries, input.limit.unwrap_or(100) as usize, |(position, _)| {
            position.clone()
        });
        Ok(ListKeyRotationsResponse {
            rotations: Some(page.items.into_iter().map(|(_, entry)| entry).collect()),
            next_marker: page.next_marker,
            truncated: Some(page.truncated),
        })
    }
}
