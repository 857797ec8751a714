//! Who is calling, and the one place where "may they?" is decided.

use std::{net::IpAddr, sync::Arc};

use arca_policy::{
    CallerPrincipal, Decision, Policy, PolicySource, RequestContext, ResourceMode, evaluate,
};

/// An authenticated caller. Only the gate makes one (after SigV4 verification), so a
/// `Caller` in a service is proof that authentication ran.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The caller's account.
    pub account_id: String,
    /// `arn:aws:iam::ACCOUNT:root` or `arn:aws:iam::ACCOUNT:user/NAME`.
    pub principal_arn: String,
    /// The user name (`root` for the account's root principal).
    pub user_name: String,
    /// AWS's unique id of the principal (`AIDA...`, or the account id for root).
    pub user_id: String,
    /// True for the account's root principal.
    pub is_account_root: bool,
    /// True for the root principal of the bootstrap account (may create accounts).
    pub is_bootstrap_admin: bool,
    /// The region from the SigV4 credential scope.
    pub region: String,
    /// The access key that signed the request.
    pub access_key_id: String,
    /// The client's address.
    pub source_ip: Option<IpAddr>,
    /// The caller's IAM identity policies.
    pub identity_policies: Arc<Vec<Policy>>,
    /// Set when a service calls on the caller's behalf (`secretsmanager.REGION.amazonaws.com`).
    pub via_service: Option<String>,
    /// Request time (Unix ms) from the server clock.
    pub now_ms: i64,
}

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
    /// Service-specific condition keys (`kms:EncryptionContext:...`).
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
    /// Decides `access` for this caller with AWS's evaluation logic.
    pub fn authorize(&self, access: &Access<'_>) -> Result<(), AccessDenied> {
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
        context.insert("aws:SecureTransport", ["false"]);
        if let Some(ip) = self.source_ip {
            context.insert("aws:SourceIp", vec![ip.to_string()]);
        }
        for (key, values) in &access.context {
            context.insert(key, values.clone());
        }
        let identity: Vec<&Policy> = self.identity_policies.iter().collect();
        match evaluate(&context, &identity, access.resource_policy, access.mode) {
            Decision::Allow { .. } => Ok(()),
            decision => Err(AccessDenied::new(self.denial_message(access, &decision))),
        }
    }

    fn denial_message(&self, access: &Access<'_>, decision: &Decision) -> String {
        let reason = match decision {
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
