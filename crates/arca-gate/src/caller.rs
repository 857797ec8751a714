//! Who is calling, and the one place where "may they?" is decided.

use std::{net::IpAddr, sync::Arc};

use arca_policy::{
    CallerPrincipal, Decision, Policy, PolicySource, RequestContext, ResourceMode, evaluate,
};

/// An authenticated caller. Only the gate makes one (after SigV4 verification): its
/// fields are private, so a `Caller` in a service is proof that authentication ran,
/// and a service reads who is asking only through the accessors.
#[derive(Debug, Clone)]
pub struct Caller {
    pub(crate) account_id: String,
    pub(crate) principal_arn: String,
    pub(crate) user_name: String,
    pub(crate) user_id: String,
    pub(crate) is_account_root: bool,
    pub(crate) is_bootstrap_admin: bool,
    pub(crate) region: String,
    pub(crate) access_key_id: String,
    pub(crate) source_ip: Option<IpAddr>,
    pub(crate) secure_transport: bool,
    pub(crate) identity_policies: Arc<Vec<Policy>>,
    pub(crate) via_service: Option<String>,
    pub(crate) now_ms: i64,
}

impl Caller {
    /// The caller's account.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// `arn:aws:iam::ACCOUNT:root` or `arn:aws:iam::ACCOUNT:user/NAME`.
    pub fn principal_arn(&self) -> &str {
        &self.principal_arn
    }

    /// The user name (`root` for the account's root principal).
    pub fn user_name(&self) -> &str {
        &self.user_name
    }

    /// AWS's unique id of the principal (`AIDA...`, or the account id for root).
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// True for the account's root principal.
    pub fn is_account_root(&self) -> bool {
        self.is_account_root
    }

    /// The region from the SigV4 credential scope.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The access key that signed the request.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The client's address.
    pub fn source_ip(&self) -> Option<IpAddr> {
        self.source_ip
    }

    /// True when the request arrived over TLS (`aws:SecureTransport`).
    pub fn secure_transport(&self) -> bool {
        self.secure_transport
    }

    /// The service calling on the caller's behalf (`secretsmanager.REGION.amazonaws.com`).
    pub fn via_service(&self) -> Option<&str> {
        self.via_service.as_deref()
    }

    /// Request time (Unix ms) from the server clock.
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// The same caller, as seen by another service that one of Arca's services calls
    /// in process on its behalf (`kms:ViaService` is then `service`).
    pub fn via(&self, service: impl Into<String>) -> Self {
        Self { via_service: Some(service.into()), ..self.clone() }
    }

    /// The same caller acting in `region`: a service that keeps the caller's resource in
    /// step in another region the deployment serves (a Secrets Manager replica) works
    /// there as the caller, with the caller's own account, principal and policies.
    pub fn in_region(&self, region: impl Into<String>) -> Self {
        Self { region: region.into(), ..self.clone() }
    }

    /// A caller for tests of the services, as authentication would make it: the root
    /// principal of `account` when `user` is `None`, else that IAM user with
    /// `policies`. Not built outside tests (feature `test-util`).
    #[cfg(any(test, feature = "test-util"))]
    pub fn for_tests(account: &str, user: Option<&str>, policies: Vec<Policy>) -> Self {
        Self {
            account_id: account.into(),
            principal_arn: match user {
                Some(name) => format!("arn:aws:iam::{account}:user/{name}"),
                None => format!("arn:aws:iam::{account}:root"),
            },
            user_name: user.unwrap_or("root").into(),
            user_id: match user {
                Some(name) => format!("AIDA{}", name.to_ascii_uppercase()),
                None => account.into(),
            },
            is_account_root: user.is_none(),
            is_bootstrap_admin: false,
            region: "us-east-1".into(),
            access_key_id: "AKIATEST".into(),
            source_ip: None,
            secure_transport: false,
            identity_policies: Arc::new(policies),
            via_service: None,
            now_ms: 0,
        }
    }
}

/// Whether AWS lets an operation act on a resource of another account.
///
/// AWS allows cross-account use only for the operations its API reference marks
/// "Cross-account use: Yes" (for KMS: the cryptographic operations, DescribeKey,
/// GetPublicKey, the grant operations, GetKeyRotationStatus); for every other
/// operation a grant to another account in a resource policy has no effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrossAccount {
    /// A caller of another account may be allowed by the resource policy and its own
    /// identity policies.
    Allowed,
    /// Only callers of the resource's own account, whatever any policy grants.
    SameAccountOnly,
}

/// The prefix of the actions that administer the deployment (`arca:CreateAccount`,
/// `arca:RotateRootKey`): only the bootstrap account's root principal may.
pub const DEPLOYMENT_ACTION_PREFIX: &str = "arca:";

/// One authorisation question: may the caller do `action` on `resource`?
#[derive(Debug)]
pub struct Access<'a> {
    /// `service:Operation`, e.g. `kms:Encrypt`.
    pub action: &'a str,
    /// The resource ARN, or `*` for account-level actions.
    pub resource: &'a str,
    /// The account owning the resource.
    pub resource_account: &'a str,
    /// The resource's own policy (a key policy), if it has one.
    pub resource_policy: Option<&'a Policy>,
    /// How identity and resource policies combine.
    pub mode: ResourceMode,
    /// Whether the operation may reach across accounts. Required, so that every
    /// operation decides it.
    pub cross_account: CrossAccount,
    /// Service-specific condition keys (`kms:EncryptionContext:...`). A key given
    /// twice under different cases (`kms:EncryptionContext:Tenant` and `...:tenant`)
    /// keeps both values apart: a condition must hold for each to allow.
    pub context: Vec<(String, Vec<String>)>,
}

/// The caller may not do what it asked. The message follows AWS's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AccessDenied {
    message: String,
}

impl AccessDenied {
    /// A denial with an explicit message.
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into() }
    }
}

fn format_time(ms: i64) -> String {
    let time = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    time.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

impl Caller {
    /// Decides `access` for this caller with AWS's evaluation logic. An operation that
    /// is [`CrossAccount::SameAccountOnly`] is refused to callers of other accounts
    /// before any policy is read.
    pub fn authorize(&self, access: &Access<'_>) -> Result<(), AccessDenied> {
        self.authorize_with_grant(access, || false)
    }

    /// [`Caller::authorize`] with one more way in: the resource's own grants (KMS
    /// grants). When no policy allows the request and none denies it, `granted` is
    /// asked whether a grant does; an explicit deny in any policy still wins, and a
    /// decision cut short by the work limit stays a denial.
    pub fn authorize_with_grant(
        &self,
        access: &Access<'_>,
        granted: impl FnOnce() -> bool,
    ) -> Result<(), AccessDenied> {
        if let Some(operation) = access.action.strip_prefix(DEPLOYMENT_ACTION_PREFIX) {
            // Administration of the deployment itself (accounts, the root key, the test
            // clock) belongs to the bootstrap account's root principal alone: no policy
            // of any account can grant it.
            return if self.is_bootstrap_admin {
                Ok(())
            } else {
                Err(AccessDenied::new(format!(
                    "User: {} is not authorized to perform: {DEPLOYMENT_ACTION_PREFIX}{operation}; only the bootstrap account's root principal may",
                    self.principal_arn
                )))
            };
        }
        self.check_reach(
            access.action,
            access.resource,
            access.resource_account,
            access.cross_account,
        )?;
        let mut context = RequestContext::new(
            if self.is_account_root {
                CallerPrincipal::account_root(self.account_id.clone())
            } else {
                CallerPrincipal::new(self.principal_arn.clone(), self.account_id.clone())
            },
            access.action,
            access.resource,
            access.resource_account,
        );
        context
            .insert("aws:PrincipalType", [if self.is_account_root { "Account" } else { "User" }]);
        context.insert("aws:username", vec![self.user_name.clone()]);
        context.insert("aws:userid", vec![self.user_id.clone()]);
        context.insert("aws:CurrentTime", vec![format_time(self.now_ms)]);
        context.insert("aws:EpochTime", vec![(self.now_ms / 1000).to_string()]);
        context.insert("aws:RequestedRegion", vec![self.region.clone()]);
        context
            .insert("aws:SecureTransport", [if self.secure_transport { "true" } else { "false" }]);
        if let Some(ip) = self.source_ip {
            context.insert("aws:SourceIp", vec![ip.to_string()]);
        }
        for (key, values) in &access.context {
            context.insert_variant(key, values.clone());
        }
        let identity: Vec<&Policy> = self.identity_policies.iter().collect();
        match evaluate(&context, &identity, access.resource_policy, access.mode) {
            Decision::Allow { .. } => Ok(()),
            Decision::ImplicitDeny if granted() => Ok(()),
            decision => Err(AccessDenied::new(self.denial_message(access, &decision))),
        }
    }

    /// Refuses `action` on a resource of `resource_account` when the operation is
    /// [`CrossAccount::SameAccountOnly`] and the resource is not in the caller's
    /// account. [`Caller::authorize`] starts with this; a service may also call it
    /// before it looks anything up in another account (an alias, a key).
    pub fn check_reach(
        &self,
        action: &str,
        resource: &str,
        resource_account: &str,
        cross_account: CrossAccount,
    ) -> Result<(), AccessDenied> {
        match cross_account {
            CrossAccount::Allowed => Ok(()),
            CrossAccount::SameAccountOnly if resource_account == self.account_id => Ok(()),
            CrossAccount::SameAccountOnly => Err(AccessDenied::new(format!(
                "User: {} is not authorized to perform: {action} on resource: {resource} because {action} cannot be used across accounts",
                self.principal_arn
            ))),
        }
    }

    fn denial_message(&self, access: &Access<'_>, decision: &Decision) -> String {
        let reason = match decision {
            Decision::WorkLimitExceeded => {
                "because evaluating the policies for this request exceeded its work limit"
                    .to_string()
            }
            Decision::ExplicitDeny { by } if by.source == PolicySource::Resource => {
                "with an explicit deny in a resource-based policy".to_string()
            }
            Decision::ExplicitDeny { .. } => {
                "with an explicit deny in an identity-based policy".to_string()
            }
            _ if access.resource_policy.is_some() => {
                format!("because no resource-based policy allows the {} action", access.action)
            }
            _ => format!("because no identity-based policy allows the {} action", access.action),
        };
        format!(
            "User: {} is not authorized to perform: {} on resource: {} {reason}",
            self.principal_arn, access.action, access.resource
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn root_of(account: &str, identity_policies: Vec<Policy>) -> Caller {
        Caller {
            account_id: account.into(),
            principal_arn: format!("arn:aws:iam::{account}:root"),
            user_name: "root".into(),
            user_id: account.into(),
            is_account_root: true,
            is_bootstrap_admin: false,
            region: "us-east-1".into(),
            access_key_id: "AKIAEXAMPLE".into(),
            source_ip: None,
            secure_transport: false,
            identity_policies: Arc::new(identity_policies),
            via_service: None,
            now_ms: 1_700_000_000_000,
        }
    }

    #[test]
    fn a_caller_moved_to_another_region_keeps_its_identity_and_reach() {
        let caller = root_of("111111111111", Vec::new());
        let moved = caller.in_region("eu-west-3");
        assert_eq!(moved.region(), "eu-west-3");
        assert_eq!(moved.account_id(), caller.account_id());
        assert_eq!(moved.principal_arn(), caller.principal_arn());
        // Moving regions never reaches another account's same-account-only resource.
        let other = "arn:aws:kms:eu-west-3:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert!(
            moved
                .check_reach(
                    "kms:CreateAlias",
                    other,
                    "222222222222",
                    CrossAccount::SameAccountOnly
                )
                .is_err()
        );
    }

    #[test]
    fn deployment_actions_belong_to_the_bootstrap_root_whatever_a_policy_grants() {
        let everything = Policy::parse_identity(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            10_000,
        )
        .unwrap();
        let access = |action| Access {
            action,
            resource: "*",
            resource_account: "111111111111",
            resource_policy: None,
            mode: ResourceMode::IdentityOnly,
            cross_account: CrossAccount::SameAccountOnly,
            context: Vec::new(),
        };
        // An account root, and a user of it with Action "*": neither may.
        let mut admin_user = root_of("111111111111", vec![everything]);
        admin_user.is_account_root = false;
        admin_user.principal_arn = "arn:aws:iam::111111111111:user/admin".into();
        for caller in [root_of("111111111111", Vec::new()), admin_user] {
            let denied = caller.authorize(&access("arca:RotateRootKey")).unwrap_err();
            assert!(denied.to_string().contains("only the bootstrap account's root principal"));
            // The same policy still allows the caller's ordinary actions.
            if !caller.is_account_root {
                caller.authorize(&access("kms:CreateKey")).unwrap();
            }
        }
        let mut bootstrap = root_of("111111111111", Vec::new());
        bootstrap.is_bootstrap_admin = true;
        bootstrap.authorize(&access("arca:RotateRootKey")).unwrap();
    }

    /// A grant lets in what no policy allows, never what a policy denies, and never
    /// an operation kept within the account.
    #[test]
    fn a_grant_allows_only_where_no_policy_denies() {
        let key_policy = |statements: &str| {
            Policy::parse_resource(
                &format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#),
                32_768,
            )
            .unwrap()
        };
        let silent = key_policy(
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:DescribeKey","Resource":"*"}"#,
        );
        let denying = key_policy(
            r#"{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}"#,
        );
        let access = |policy, cross_account| Access {
            action: "kms:Decrypt",
            resource: KEY,
            resource_account: "111111111111",
            resource_policy: Some(policy),
            mode: ResourceMode::KeyPolicy,
            cross_account,
            context: Vec::new(),
        };
        let mut user = root_of("222222222222", Vec::new());
        user.is_account_root = false;
        user.principal_arn = "arn:aws:iam::222222222222:user/grantee".into();
        assert!(user.authorize(&access(&silent, CrossAccount::Allowed)).is_err());
        user.authorize_with_grant(&access(&silent, CrossAccount::Allowed), || true).unwrap();
        assert!(
            user.authorize_with_grant(&access(&silent, CrossAccount::Allowed), || false).is_err()
        );
        assert!(
            user.authorize_with_grant(&access(&denying, CrossAccount::Allowed), || true).is_err()
        );
        assert!(
            user.authorize_with_grant(&access(&silent, CrossAccount::SameAccountOnly), || true)
                .is_err()
        );
    }

    fn key_policy_granting_b() -> Policy {
        Policy::parse_resource(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},
                {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"kms:*","Resource":"*"}]}"#,
            arca_policy::MAX_KEY_POLICY_SIZE,
        )
        .unwrap()
    }

    fn access<'a>(
        action: &'a str,
        policy: &'a Policy,
        cross_account: CrossAccount,
        context: Vec<(String, Vec<String>)>,
    ) -> Access<'a> {
        Access {
            action,
            resource: KEY,
            resource_account: "111111111111",
            resource_policy: Some(policy),
            mode: ResourceMode::KeyPolicy,
            cross_account,
            context,
        }
    }

    /// Issue 10 item 3: a key policy grant of `kms:*` to another account reaches only
    /// the operations AWS allows across accounts.
    #[test]
    fn same_account_only_operations_refuse_other_accounts_whatever_the_policy() {
        let policy = key_policy_granting_b();
        let owner = root_of("111111111111", Vec::new());
        let other = root_of("222222222222", Vec::new());
        for (action, cross_account) in [
            ("kms:Encrypt", CrossAccount::Allowed),
            ("kms:DescribeKey", CrossAccount::Allowed),
            ("kms:PutKeyPolicy", CrossAccount::SameAccountOnly),
            ("kms:ScheduleKeyDeletion", CrossAccount::SameAccountOnly),
        ] {
            let request = access(action, &policy, cross_account, Vec::new());
            assert!(owner.authorize(&request).is_ok(), "{action} by the owner");
            let answer = other.authorize(&request);
            assert_eq!(
                answer.is_ok(),
                cross_account == CrossAccount::Allowed,
                "{action}: {answer:?}"
            );
        }
        let refused = other
            .authorize(&access(
                "kms:DisableKey",
                &policy,
                CrossAccount::SameAccountOnly,
                Vec::new(),
            ))
            .unwrap_err();
        assert!(refused.to_string().contains("cannot be used across accounts"), "{refused}");
        assert!(
            other
                .check_reach("kms:DisableKey", "*", "222222222222", CrossAccount::SameAccountOnly)
                .is_ok()
        );
        assert!(
            other
                .check_reach("kms:DisableKey", KEY, "111111111111", CrossAccount::SameAccountOnly)
                .is_err()
        );
        assert!(
            other.check_reach("kms:Encrypt", KEY, "111111111111", CrossAccount::Allowed).is_ok()
        );
    }

    /// Issue 10 item 9, at the decision point: both case variants reach the policy.
    #[test]
    fn case_variant_context_keys_reach_the_policy_apart() {
        let key_policy = Policy::parse_resource(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:Encrypt","Resource":"*",
                 "Condition":{"StringEquals":{"kms:EncryptionContext:tenant":"red"}}}]}"#,
            arca_policy::MAX_KEY_POLICY_SIZE,
        )
        .unwrap();
        let owner = root_of("111111111111", Vec::new());
        let context = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (format!("kms:EncryptionContext:{k}"), vec![(*v).to_string()]))
                .collect()
        };
        let red = access(
            "kms:Encrypt",
            &key_policy,
            CrossAccount::Allowed,
            context(&[("tenant", "red")]),
        );
        assert!(owner.authorize(&red).is_ok());
        let ambiguous = access(
            "kms:Encrypt",
            &key_policy,
            CrossAccount::Allowed,
            context(&[("Tenant", "blue"), ("tenant", "red")]),
        );
        assert!(owner.authorize(&ambiguous).is_err());
    }
}
