//! Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies, and the policy lockout
//! safety check.

use arca_gate::{Access, Caller, ResourceMode};
use arca_policy::Policy;

use super::KmsService;
use crate::{
    KmsError,
    api::{
        Empty, GetKeyPolicyRequest, GetKeyPolicyResponse, ListForKeyRequest,
        ListKeyPoliciesResponse, PutKeyPolicyRequest,
    },
    operation::Operation,
    validate::{self, Validator},
};

fn validate_policy_name(v: &mut Validator, name: Option<&String>) {
    v.length("policyName", name, 1, 128);
    v.chars("policyName", name, "[\\w]+", |c| c.is_alphanumeric() || c == '_');
}

fn check_policy_name(name: Option<&str>) -> Result<(), KmsError> {
    match name {
        None | Some("default") => Ok(()),
        Some(_) => Err(KmsError::NotFound("No such policy exists".into())),
    }
}

/// Refuses a policy that would not let `caller` change it again (AWS's lockout check).
/// The key policy of a new key (CreateKey, ReplicateKey): the caller's, parsed and
/// checked against lockout unless the caller bypasses the check, or the default one.
pub(super) fn new_key_policy(
    caller: &Caller,
    key_arn: &str,
    account: &str,
    given: Option<String>,
    bypass_lockout_check: Option<bool>,
) -> Result<String, KmsError> {
    let Some(policy) = given else { return Ok(crate::default_key_policy(account)) };
    let parsed = Policy::parse_resource(&policy, arca_policy::MAX_KEY_POLICY_SIZE)
        .map_err(|e| KmsError::MalformedPolicyDocument(e.to_string()))?;
    if bypass_lockout_check != Some(true) {
        lockout_check(caller, key_arn, &parsed)?;
    }
    Ok(policy)
}

pub(super) fn lockout_check(
    caller: &Caller,
    key_arn: &str,
    policy: &Policy,
) -> Result<(), KmsError> {
    let account = key_arn.split(':').nth(4).unwrap_or_default();
    caller
        .authorize(&Access {
            action: Operation::PutKeyPolicy.action(),
            resource: key_arn,
            resource_account: account,
            resource_policy: Some(policy),
            mode: ResourceMode::KeyPolicy,
            cross_account: Operation::PutKeyPolicy.cross_account(),
            context: vec![("kms:CallerAccount".into(), vec![caller.account_id().to_string()])],
        })
        .map_err(|_| {
            KmsError::MalformedPolicyDocument(
                "The new key policy will not allow you to update the key policy in the future."
                    .into(),
            )
        })
}

impl KmsService {
    /// GetKeyPolicy.
    pub async fn get_key_policy(
        &self,
        caller: &Caller,
        input: GetKeyPolicyRequest,
    ) -> Result<GetKeyPolicyResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        validate_policy_name(&mut v, input.policy_name.as_ref());
        v.finish()?;
        let key = self
            .authorized_key(
                caller,
                input.key_id.as_deref().unwrap_or_default(),
                Operation::GetKeyPolicy,
                None,
            )
            .await?;
        check_policy_name(input.policy_name.as_deref())?;
        Ok(GetKeyPolicyResponse {
            policy: Some(key.record.policy.clone()),
            policy_name: Some("default".into()),
        })
    }

    /// PutKeyPolicy.
    pub async fn put_key_policy(
        &self,
        caller: &Caller,
        input: PutKeyPolicyRequest,
    ) -> Result<Empty, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        validate_policy_name(&mut v, input.policy_name.as_ref());
        v.required("policy", &input.policy);
        v.length("policy", input.policy.as_ref(), 1, 131_072);
        v.chars("policy", input.policy.as_ref(), "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+", |c| {
            matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}')
        });
        v.finish()?;
        let key = self
            .authorized_key(
                caller,
                input.key_id.as_deref().unwrap_or_default(),
                Operation::PutKeyPolicy,
                None,
            )
            .await?;
        check_policy_name(input.policy_name.as_deref())?;
        Self::check_customer_managed(&key.record)?;
        Self::check_not_pending_deletion(&key.record)?;
        let text = input.policy.unwrap_or_default();
        let parsed = Policy::parse_resource(&text, arca_policy::MAX_KEY_POLICY_SIZE)
            .map_err(|e| KmsError::MalformedPolicyDocument(e.to_string()))?;
        if input.bypass_policy_lockout_safety_check != Some(true) {
            lockout_check(caller, &key.record.arn, &parsed)?;
        }
        self.update_key(&key.record.store_key(), |record, _| {
            record.policy = text.clone();
            Ok(Vec::new())
        })
        .await?;
        Ok(Empty {})
    }

    /// ListKeyPolicies: every key has exactly one policy, `default`.
    pub async fn list_key_policies(
        &self,
        caller: &Caller,
        input: ListForKeyRequest,
    ) -> Result<ListKeyPoliciesResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        validate::paging(&mut v, input.limit, input.marker.as_ref());
        v.finish()?;
        // The policy names do not depend on the key, but a caller must be allowed to ask.
        self.authorized_key(
            caller,
            input.key_id.as_deref().unwrap_or_default(),
            Operation::ListKeyPolicies,
            None,
        )
        .await?;
        Ok(ListKeyPoliciesResponse {
            policy_names: Some(vec!["default".into()]),
            next_marker: None,
            truncated: Some(false),
        })
    }
}
