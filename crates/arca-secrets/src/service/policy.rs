//! Resource policies: PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy,
//! ValidateResourcePolicy and ListResourcePolicies. A secret has one policy; with
//! `BlockPublicPolicy` a policy that lets anyone in is refused.

use arca_api::Operation;
use arca_gate::Caller;
use arca_policy::Policy;
use serde_json::Value;

use super::{MAX_POLICY_BYTES, SecretsService};
use crate::{
    SecretsError,
    api::{
        GetResourcePolicyResponse, ListResourcePoliciesRequest, ListResourcePoliciesResponse,
        PutResourcePolicyRequest, ResourcePolicyRequest, ResourcePolicySummary, SecretNameResponse,
        ValidateResourcePolicyRequest, ValidateResourcePolicyResponse, ValidationEntry,
    },
    validate::{self, Validator},
};

/// The name a secret's policy has when PutResourcePolicy gave it none.
const DEFAULT_POLICY_NAME: &str = "default";

/// Condition keys that confine a wildcard principal to known accounts or networks.
const CONFINING_KEYS: &[&str] = &[
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceip",
    "aws:userid",
    "aws:username",
];

/// Parses a resource policy, answering as AWS does for one that is not valid.
fn parse(text: &str) -> Result<Policy, SecretsError> {
    Policy::parse_resource(text, MAX_POLICY_BYTES).map_err(|error| {
        SecretsError::MalformedPolicy(format!(
            "This resource policy contains a syntax error: {error}"
        ))
    })
}

/// True when an `Allow` statement lets any principal in without a condition that
/// confines it to known accounts or networks.
pub(crate) fn grants_public_access(text: &str) -> bool {
    let Ok(document) = serde_json::from_str::<Value>(text) else { return false };
    let statements = match &document["Statement"] {
        Value::Array(statements) => statements.clone(),
        statement @ Value::Object(_) => vec![statement.clone()],
        _ => return false,
    };
    statements.iter().any(|statement| {
        let allows = statement["Effect"] == "Allow";
        let wildcard = match &statement["Principal"] {
            Value::String(p) => p == "*",
            Value::Object(map) => map.values().any(|v| match v {
                Value::String(p) => p == "*",
                Value::Array(list) => list.iter().any(|p| p == "*"),
                _ => false,
            }),
            _ => false,
        } || !statement["NotPrincipal"].is_null();
        let confined = statement["Condition"].as_object().is_some_and(|operators| {
            operators.values().any(|keys| {
                keys.as_object().is_some_and(|keys| {
                    keys.keys()
                        .any(|key| CONFINING_KEYS.contains(&key.to_ascii_lowercase().as_str()))
                })
            })
        });
        allows && wildcard && !confined
    })
}

impl SecretsService {
    /// PutResourcePolicy.
    pub async fn put_resource_policy(
        &self,
        caller: &Caller,
        row: &Operation,
        input: PutResourcePolicyRequest,
    ) -> Result<SecretNameResponse, SecretsError> {
        let mut v = Validator::new();
        validate::secret_id(&mut v, &input.secret_id);
        v.required("resourcePolicy", &input.resource_policy);
        v.length("resourcePolicy", input.resource_policy.as_ref(), 1, MAX_POLICY_BYTES);
        v.length("policyName", input.policy_name.as_ref(), 1, 64);
        v.finish()?;
        let text = input.resource_policy.unwrap_or_default();
        parse(&text)?;
        if input.block_public_policy.unwrap_or(false) && grants_public_access(&text) {
            return Err(SecretsError::PublicPolicy(
                "This resource policy will grant public access to the secret.".into(),
            ));
        }
        let record = self
            .update_settings(caller, row, input.secret_id.as_deref(), |record| {
                record.policy = Some(text.clone());
                record.policy_name = input.policy_name.clone();
                Ok(())
            })
            .await?;
        Ok(SecretNameResponse { a_r_n: Some(record.arn), name: Some(record.name) })
    }

    /// GetResourcePolicy.
    pub async fn get_resource_policy(
        &self,
        caller: &Caller,
        row: &Operation,
        input: ResourcePolicyRequest,
    ) -> Result<GetResourcePolicyResponse, SecretsError> {
        let v = Validator::new();
        let loaded = self.find_checked(caller, row, &input.secret_id, v).await?;
        Ok(GetResourcePolicyResponse {
            a_r_n: Some(loaded.record.arn),
            name: Some(loaded.record.name),
            policy_name: loaded
                .record
                .policy
                .is_some()
                .then(|| loaded.record.policy_name.unwrap_or_else(|| DEFAULT_POLICY_NAME.into())),
            resource_policy: loaded.record.policy,
        })
    }

    /// DeleteResourcePolicy.
    pub async fn delete_resource_policy(
        &self,
        caller: &Caller,
        row: &Operation,
        input: ResourcePolicyRequest,
    ) -> Result<SecretNameResponse, SecretsError> {
        let v = Validator::new();
        let loaded = self.find_checked(caller, row, &input.secret_id, v).await?;
        super::replication::check_not_region_replica(&loaded.record)?;
        let (record, _) = self
            .update(&loaded.record.key(), |record, _| {
                record.policy = None;
                record.policy_name = None;
                Ok((Vec::new(), ()))
            })
            .await?;
        self.after_change(caller, &record).await;
        Ok(SecretNameResponse { a_r_n: Some(record.arn), name: Some(record.name) })
    }

    /// ValidateResourcePolicy: syntax, then broad access.
    pub async fn validate_resource_policy(
        &self,
        caller: &Caller,
        row: &Operation,
        input: ValidateResourcePolicyRequest,
    ) -> Result<ValidateResourcePolicyResponse, SecretsError> {
        let mut v = Validator::new();
        v.length("secretId", input.secret_id.as_ref(), 1, 2048);
        v.required("resourcePolicy", &input.resource_policy);
        v.length("resourcePolicy", input.resource_policy.as_ref(), 1, MAX_POLICY_BYTES);
        v.finish()?;
        match &input.secret_id {
            Some(secret_id) => {
                self.find(caller, secret_id, row, &[]).await?;
            }
            None => self.authorize(caller, row, None, &[])?,
        }
        let text = input.resource_policy.unwrap_or_default();
        let mut errors = Vec::new();
        if let Err(SecretsError::MalformedPolicy(message)) = parse(&text) {
            errors.push(ValidationEntry {
                check_name: Some("POLICY_SYNTAX".into()),
                error_message: Some(message),
            });
        } else if grants_public_access(&text) {
            errors.push(ValidationEntry {
                check_name: Some("BROAD_ACCESS".into()),
                error_message: Some(
                    "This resource policy will grant public access to the secret.".into(),
                ),
            });
        }
        Ok(ValidateResourcePolicyResponse {
            policy_validation_passed: Some(errors.is_empty()),
            validation_errors: Some(errors),
        })
    }

    /// ListResourcePolicies: the secret's policy, when it has one.
    pub async fn list_resource_policies(
        &self,
        caller: &Caller,
        row: &Operation,
        input: ListResourcePoliciesRequest,
    ) -> Result<ListResourcePoliciesResponse, SecretsError> {
        let mut v = Validator::new();
        validate::paging(&mut v, input.max_results, input.next_token.as_ref(), 100);
        let loaded = self.find_checked(caller, row, &input.secret_id, v).await?;
        let record = loaded.record;
        let policies = record
            .policy
            .map(|_| ResourcePolicySummary {
                policy_name: Some(record.policy_name.unwrap_or_else(|| DEFAULT_POLICY_NAME.into())),
            })
            .into_iter()
            .collect();
        Ok(ListResourcePoliciesResponse { resource_policies: Some(policies), next_token: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_principals_are_public_unless_a_condition_confines_them() {
        let open = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
        let aws_star = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"*","Resource":"*"}}"#;
        let confined = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}]}"#;
        let account = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"*","Resource":"*"}]}"#;
        let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}"#;
        assert!(grants_public_access(open));
        assert!(grants_public_access(aws_star));
        assert!(!grants_public_access(confined));
        assert!(!grants_public_access(account));
        assert!(!grants_public_access(deny));
    }
}
