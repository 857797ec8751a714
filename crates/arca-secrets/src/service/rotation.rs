//! RotateSecret and CancelRotateSecret, and the rotation itself: the four steps
//! (`createSecret`, `setSecret`, `testSecret`, `finishSecret`) sent to the rotation
//! function with AWS's event shape, one after the other, from a job, so that each
//! rotation runs once across nodes. A rotation function is a webhook from the
//! configuration (`[[secrets.rotation_functions]]`); any other ARN is a function
//! Secrets Manager cannot invoke.

use std::time::Duration;

use arca_api::{Operation, OutboundPost, ServiceEvent};
use arca_gate::{Access, Caller, CrossAccount, ResourceMode};
use serde::Serialize;

use super::{SecretsService, jobs};
use crate::{
    RotationFunction, SecretsError,
    api::{RotateSecretRequest, SecretIdRequest, SecretVersionResponse},
    record::{CURRENT, PENDING, Rotation, SecretRecord, VersionMeta},
    schedule::RotationSchedule,
    stages,
    validate::{self, Validator},
};

/// The longest one step may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// The steps, in order.
const STEPS: [&str; 4] = ["createSecret", "setSecret", "testSecret", "finishSecret"];

/// The event each step sends, as AWS sends it to a Lambda rotation function.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RotationEvent<'a> {
    step: &'a str,
    secret_id: &'a str,
    client_request_token: &'a str,
    rotation_token: &'a str,
}

/// `X-Arca-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub(crate) fn signature(secret: &[u8], unix_seconds: i64, body: &[u8]) -> String {
    let mut message = format!("{unix_seconds}.").into_bytes();
    message.extend_from_slice(body);
    let mac = arca_crypto::hmac::sha256(secret, &message);
    format!("t={unix_seconds},v1={}", hex::encode(mac))
}

/// Announces version `token` of a rotation: a version without a value yet, labelled
/// `AWSPENDING`, as AWS creates it before the first step (rotation functions look it up
/// in `VersionIdsToStages`).
fn announce(record: &mut SecretRecord, token: &str, now: i64) {
    if record.version(token).is_none() {
        record.versions.push(VersionMeta {
            id: token.to_string(),
            stages: Vec::new(),
            created_ms: now,
            last_accessed_ms: None,
            kms_key_arn: String::new(),
            awaiting_value: true,
        });
    }
    if record.version(token).is_some_and(|v| !v.stages.iter().any(|s| s == CURRENT)) {
        stages::attach(&mut record.versions, token, &[PENDING.to_string()]);
    }
}

impl SecretsService {
    /// The configured function an ARN names, if Arca can invoke it.
    fn rotation_function(&self, arn: &str) -> Option<&RotationFunction> {
        self.config.rotation_functions.iter().find(|f| f.arn == arn)
    }

    /// `lambda:InvokeFunction` on the rotation function, from the caller's identity
    /// policies (the account's root may). The function is the deployment's, configured
    /// by its operator, so it is judged as a resource of the caller's account.
    fn authorize_invoke(&self, caller: &Caller, function_arn: &str) -> Result<(), SecretsError> {
        caller
            .authorize(&Access {
                action: "lambda:InvokeFunction",
                resource: function_arn,
                resource_account: caller.account_id(),
                resource_policy: None,
                mode: ResourceMode::IdentityOnly,
                cross_account: CrossAccount::SameAccountOnly,
                context: Vec::new(),
            })
            .map_err(|denied| SecretsError::AccessDenied(denied.to_string()))
    }

    /// The schedule of a secret's rotation settings, if they have one.
    pub(crate) fn schedule_of(rotation: &Rotation) -> Option<RotationSchedule> {
        RotationSchedule::parse(
            rotation.automatically_after_days,
            rotation.schedule_expression.as_deref(),
            rotation.duration.as_deref(),
        )
        .ok()
    }

    /// DescribeSecret's `NextRotationDate`, if rotation is on: the end of the next
    /// window, by which the secret will have rotated.
    pub(crate) fn next_rotation_ms(&self, record: &SecretRecord) -> Option<i64> {
        let rotation = record.rotation.as_ref().filter(|r| r.enabled)?;
        let schedule = Self::schedule_of(rotation)?;
        let last = record.last_rotated_ms.unwrap_or(record.created_ms);
        schedule.next_rotation_date(last, self.now_ms())
    }

    /// When the next scheduled rotation's job is due: the next window's start.
    fn next_window_ms(&self, record: &SecretRecord) -> Option<i64> {
        let rotation = record.rotation.as_ref().filter(|r| r.enabled)?;
        let schedule = Self::schedule_of(rotation)?;
        let last = record.last_rotated_ms.unwrap_or(record.created_ms);
        schedule.next_window_start(last, self.now_ms())
    }

    /// RotateSecret.
    pub async fn rotate_secret(
        &self,
        caller: &Caller,
        row: &Operation,
        input: RotateSecretRequest,
    ) -> Result<SecretVersionResponse, SecretsError> {
        let mut v = Validator::new();
        validate::secret_id(&mut v, &input.secret_id);
        validate::token(&mut v, input.client_request_token.as_ref());
        v.length("rotationLambdaARN", input.rotation_lambda_a_r_n.as_ref(), 0, 2048);
        if let Some(rules) = &input.rotation_rules {
            v.range(
                "rotationRules.automaticallyAfterDays",
                rules.automatically_after_days,
                1,
                1000,
            );
            v.length("rotationRules.duration", rules.duration.as_ref(), 2, 3);
            v.length(
                "rotationRules.scheduleExpression",
                rules.schedule_expression.as_ref(),
                1,
                256,
            );
        }
        v.finish()?;
        let token = input.client_request_token.clone().ok_or_else(|| {
            SecretsError::InvalidParameter(
                "You must provide a ClientRequestToken value. We recommend a UUID-type value."
                    .into(),
            )
        })?;
        if input.external_secret_rotation_metadata.is_some()
            || input.external_secret_rotation_role_arn.is_some()
        {
            return Err(SecretsError::InvalidParameter(
                "Managed external secret rotation is not supported by this server.".into(),
            ));
        }
        let loaded =
            self.find_live(caller, input.secret_id.as_deref().unwrap_or_default(), row).await?;
        let previous = loaded.record.rotation.clone();
        let lambda_arn = input
            .rotation_lambda_a_r_n
            .clone()
            .filter(|arn| !arn.is_empty())
            .or_else(|| previous.as_ref().and_then(|r| r.lambda_arn.clone()))
            .ok_or_else(|| {
                SecretsError::InvalidRequest(
                    "No Lambda rotation function ARN is associated with this secret.".into(),
                )
            })?;
        if self.rotation_function(&lambda_arn).is_none() {
            return Err(SecretsError::AccessDenied(
                "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com."
                    .into(),
            ));
        }
        // As in AWS, the caller must also be allowed to invoke the function: a
        // permission to rotate is not a permission to make Arca call any webhook.
        self.authorize_invoke(caller, &lambda_arn)?;
        let mut rotation = Rotation {
            enabled: true,
            lambda_arn: Some(lambda_arn),
            automatically_after_days: previous.as_ref().and_then(|r| r.automatically_after_days),
            schedule_expression: previous.as_ref().and_then(|r| r.schedule_expression.clone()),
            duration: previous.as_ref().and_then(|r| r.duration.clone()),
            pending_version: None,
        };
        if let Some(rules) = &input.rotation_rules {
            let schedule = RotationSchedule::parse(
                rules.automatically_after_days,
                rules.schedule_expression.as_deref(),
                rules.duration.as_deref(),
            )
            .map_err(|error| SecretsError::InvalidParameter(error.to_string()))?;
            let (days, expression, duration) = schedule.rules();
            rotation.automatically_after_days = days;
            rotation.schedule_expression = expression;
            rotation.duration = duration;
        }
        // A rotation already under way is finished (or failed) before another starts.
        let in_progress =
            previous.as_ref().and_then(|r| r.pending_version.as_deref()).is_some_and(|id| {
                id != token && loaded.record.version_with_stage(PENDING).is_some_and(|v| v.id == id)
            });
        if in_progress {
            return Err(SecretsError::InvalidRequest(
                "A previous rotation isn't complete. That rotation will be reattempted.".into(),
            ));
        }
        let immediately = input.rotate_immediately.unwrap_or(true);
        if immediately {
            rotation.pending_version = Some(token.clone());
        }
        let settings = rotation.clone();
        let (record, _) = self
            .update(&loaded.record.key(), |record, now| {
                record.rotation = Some(settings.clone());
                if immediately {
                    announce(record, &token, now);
                }
                Ok((Vec::new(), ()))
            })
            .await?;
        let due = if immediately { Some(self.now_ms()) } else { self.next_window_ms(&record) };
        if let Some(due) = due {
            self.store
                .schedule_job(
                    &jobs::rotation_job_id(&record),
                    jobs::ROTATE,
                    due,
                    record.key().as_bytes(),
                )
                .await?;
        }
        Ok(SecretVersionResponse {
            a_r_n: Some(record.arn),
            name: Some(record.name),
            version_id: immediately.then_some(token),
            ..Default::default()
        })
    }

    /// CancelRotateSecret: turns rotation off; a rotation under way keeps its pending
    /// version, as in AWS.
    pub async fn cancel_rotate_secret(
        &self,
        caller: &Caller,
        row: &Operation,
        input: SecretIdRequest,
    ) -> Result<SecretVersionResponse, SecretsError> {
        let v = Validator::new();
        let loaded = self.find_live_checked(caller, row, &input.secret_id, v).await?;
        let (record, pending) = self
            .update(&loaded.record.key(), |record, _| {
                let pending = record.rotation.as_ref().and_then(|r| r.pending_version.clone());
                if let Some(rotation) = record.rotation.as_mut() {
                    rotation.enabled = false;
                    rotation.pending_version = None;
                }
                Ok((Vec::new(), pending))
            })
            .await?;
        self.store.cancel_job(&jobs::rotation_job_id(&record)).await?;
        Ok(SecretVersionResponse {
            a_r_n: Some(record.arn),
            name: Some(record.name),
            version_id: pending,
            ..Default::default()
        })
    }

    /// Runs one rotation of the secret at `key` (a job): the pending version's id is
    /// the token RotateSecret gave, or a new one for a scheduled rotation. Returns
    /// whether it succeeded; a failed step leaves `AWSCURRENT` where it was.
    pub(crate) async fn rotate_now(&self, key: &str) -> Result<(), SecretsError> {
        let Some(stored) = self.store.get(crate::record::SECRETS, key).await? else {
            return Ok(());
        };
        let record = SecretRecord::from_bytes(&stored.value)?;
        let Some(rotation) = record.rotation.clone().filter(|r| r.enabled) else { return Ok(()) };
        if record.is_deleted() {
            return Ok(());
        }
        let token =
            rotation.pending_version.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if rotation.pending_version.is_none() {
            let pending = token.clone();
            self.update(key, |record, now| {
                if let Some(rotation) = record.rotation.as_mut() {
                    rotation.pending_version = Some(pending.clone());
                }
                announce(record, &pending, now);
                Ok((Vec::new(), ()))
            })
            .await?;
        }
        let function = rotation.lambda_arn.as_deref().and_then(|arn| self.rotation_function(arn));
        self.rotation_event(&record, "RotationStarted", &token, None).await;
        let outcome = match function {
            Some(function) => self.run_steps(function, &record.arn, &token).await,
            None => Err("the rotation function is no longer configured".to_string()),
        };
        let finished = match outcome {
            Ok(()) => {
                self.update(key, |record, now| {
                    // finishSecret must have made the new version current.
                    let current = record.version(&token).is_some_and(|v| {
                        !v.awaiting_value && v.stages.iter().any(|s| s == CURRENT)
                    });
                    if !current {
                        return Ok((Vec::new(), false));
                    }
                    record.last_rotated_ms = Some(now);
                    if let Some(rotation) = record.rotation.as_mut() {
                        rotation.pending_version = None;
                    }
                    if let Some(version) = record.versions.iter_mut().find(|v| v.id == token) {
                        version.stages.retain(|s| s != PENDING);
                    }
                    Ok((Vec::new(), true))
                })
                .await
                .map(|(record, made_current)| (record, Ok(made_current)))?
            }
            Err(reason) => (record, Err(reason)),
        };
        match finished {
            (record, Ok(true)) => {
                tracing::info!(secret = %record.arn, version = %token, "secrets: rotation succeeded");
                self.rotation_event(&record, "RotationSucceeded", &token, None).await;
                if let Some(next) = self.next_window_ms(&record) {
                    self.store
                        .schedule_job(
                            &jobs::rotation_job_id(&record),
                            jobs::ROTATE,
                            next,
                            key.as_bytes(),
                        )
                        .await?;
                }
            }
            (record, outcome) => {
                let reason = match outcome {
                    Err(reason) => reason,
                    Ok(_) => "finishSecret did not make the new version AWSCURRENT".to_string(),
                };
                // The pending version keeps AWSPENDING, as in AWS; the next RotateSecret
                // with the same token retries it.
                tracing::warn!(secret = %record.arn, version = %token, %reason, "secrets: rotation failed");
                self.rotation_event(&record, "RotationFailed", &token, Some(&reason)).await;
            }
        }
        Ok(())
    }

    /// Records a rotation's progress in the audit log, as CloudTrail records
    /// Secrets Manager's `RotationStarted`, `RotationSucceeded` and `RotationFailed`. The
    /// reason names the step and what the function answered, never a value.
    async fn rotation_event(
        &self,
        record: &SecretRecord,
        name: &'static str,
        token: &str,
        reason: Option<&str>,
    ) {
        let mut details = serde_json::Map::new();
        details.insert("secretId".into(), record.arn.clone().into());
        details.insert("versionId".into(), token.to_string().into());
        if let Some(reason) = reason {
            details.insert("failureReason".into(), reason.to_string().into());
        }
        let event = ServiceEvent {
            service: "secretsmanager",
            name,
            account: record.account.clone(),
            region: record.region.clone(),
            details,
        };
        if let Err(error) = self.peers.record_event(event).await {
            tracing::error!(%error, secret = %record.arn, event = name, "secrets: rotation event not audited");
        }
    }

    /// Sends the four steps; the first that fails stops the rotation.
    async fn run_steps(
        &self,
        function: &RotationFunction,
        arn: &str,
        token: &str,
    ) -> Result<(), String> {
        let secret = std::env::var(&function.signing_secret_env).map_err(|_| {
            format!("the environment variable {} is not set", function.signing_secret_env)
        })?;
        let rotation_token = uuid::Uuid::new_v4().to_string();
        for step in STEPS {
            let body = serde_json::to_vec(&RotationEvent {
                step,
                secret_id: arn,
                client_request_token: token,
                rotation_token: &rotation_token,
            })
            .map_err(|e| e.to_string())?;
            let now = self.now_ms() / 1000;
            let status = self
                .peers
                .post(OutboundPost {
                    url: function.url.clone(),
                    headers: vec![(
                        "x-arca-signature".into(),
                        signature(secret.as_bytes(), now, &body),
                    )],
                    body,
                    timeout: STEP_TIMEOUT,
                })
                .await
                .map_err(|e| format!("step {step}: {e}"))?;
            if !(200..300).contains(&status) {
                return Err(format!("step {step}: the function answered {status}"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_time_dot_body() {
        let header = signature(b"key", 1_700_000_000, b"{}");
        let expected = hex::encode(arca_crypto::hmac::sha256(b"key", b"1700000000.{}"));
        assert_eq!(header, format!("t=1700000000,v1={expected}"));
    }
}
