//! AWS's policy evaluation logic: explicit deny, then allows from identity and resource
//! policies combined as the resource mode requires.

use crate::budget::{Budget, MAX_EVALUATION_WORK};
use crate::condition::VariantRule;
use crate::context::RequestContext;
use crate::document::{
    ActionBlock, Effect, Policy, PrincipalBlock, Principals, ResourceBlock, Statement,
    is_account_id,
};
use crate::wildcard;

/// How identity and resource policies combine for a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceMode {
    /// KMS keys: the key policy is the primary control. Without an allow in the key
    /// policy nothing is allowed; a key policy allow for the caller's account delegates
    /// to the caller's identity policies (the account root needs none). Cross-account
    /// callers need the key policy allow and their own identity allow.
    KeyPolicy,
    /// Resources without resource policies (IAM APIs): the account root is allowed in
    /// its own account, others need an identity allow; cross-account is denied. A
    /// resource policy passed in this mode contributes only its `Deny` statements.
    IdentityOnly,
    /// Resources with optional resource policies (secrets): in the same account an
    /// identity allow or a resource policy allow suffices; cross-account needs both.
    ResourcePolicy,
}

/// Which policy a statement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySource {
    /// The identity policy at this index of the `identity_policies` argument.
    Identity(usize),
    /// The resource (key) policy.
    Resource,
}

/// A statement that took part in a decision, for audit events and error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    /// The policy it belongs to.
    pub source: PolicySource,
    /// Its index in that policy's statements.
    pub index: usize,
    /// Its `Sid`, if any.
    pub sid: Option<String>,
}

/// The outcome of evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed. `by` lists the allowing statements (resource policy first); it is empty
    /// when the account root acts on its own account's resource without a resource policy.
    Allow {
        /// The statements that allowed the request.
        by: Vec<StatementRef>,
    },
    /// A `Deny` statement matched.
    ExplicitDeny {
        /// The first denying statement.
        by: StatementRef,
    },
    /// Nothing allowed the request.
    ImplicitDeny,
    /// Matching the request against the policies took more than
    /// [`MAX_EVALUATION_WORK`]: denied without a decision, so that no policy and
    /// context can make one request hold a core (fail closed).
    WorkLimitExceeded,
}

impl Decision {
    /// Whether the request may proceed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }
}

/// How a resource policy statement's principal matched the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PrincipalMatch {
    /// By the caller's own ARN, `*`, or a `NotPrincipal` that excludes others.
    Direct,
    /// By the caller's account (`arn:aws:iam::ACCOUNT:root` or `ACCOUNT`): a delegation
    /// to the account's identity policies.
    Account,
}

/// Evaluates a request against the caller's identity policies and the resource policy.
///
/// Explicit deny in any policy wins; then allows combine as `mode` says. Service control
/// policies, permission boundaries, session policies, grants and policy variables are
/// not modelled: the caller applies grants (KMS) itself.
///
/// Every comparison is paid from a budget of [`MAX_EVALUATION_WORK`]; an evaluation
/// that spends it is [`Decision::WorkLimitExceeded`], whatever the policies say.
pub fn evaluate(
    context: &RequestContext,
    identity_policies: &[&Policy],
    resource_policy: Option<&Policy>,
    mode: ResourceMode,
) -> Decision {
    let budget = Budget::new(MAX_EVALUATION_WORK);
    let decision = evaluate_within(context, identity_policies, resource_policy, mode, &budget);
    if budget.is_exhausted() {
        // Comparisons past the end of the budget answered `false`, which can turn a
        // negated condition true: nothing computed after that can be trusted.
        return Decision::WorkLimitExceeded;
    }
    decision
}

fn evaluate_within(
    context: &RequestContext,
    identity_policies: &[&Policy],
    resource_policy: Option<&Policy>,
    mode: ResourceMode,
    budget: &Budget,
) -> Decision {
    let applies = |statement: &Statement| applies(statement, context, budget);
    // 1. An explicit deny anywhere wins.
    for (policy_index, policy) in identity_policies.iter().enumerate() {
        for (index, statement) in policy.statements.iter().enumerate() {
            if statement.effect == Effect::Deny && applies(statement) {
                return Decision::ExplicitDeny {
                    by: reference(PolicySource::Identity(policy_index), index, statement),
                };
            }
        }
    }
    if let Some(policy) = resource_policy {
        for (index, statement) in policy.statements.iter().enumerate() {
            if statement.effect == Effect::Deny
                && principal_match(statement, context).is_some()
                && applies(statement)
            {
                return Decision::ExplicitDeny {
                    by: reference(PolicySource::Resource, index, statement),
                };
            }
        }
    }

    // 2. Allows.
    let identity_allow = identity_policies.iter().enumerate().find_map(|(policy_index, policy)| {
        policy.statements.iter().enumerate().find_map(|(index, statement)| {
            (statement.effect == Effect::Allow && applies(statement))
                .then(|| reference(PolicySource::Identity(policy_index), index, statement))
        })
    });
    let mut direct_allow = None;
    let mut account_allow = None;
    if let Some(policy) = resource_policy {
        for (index, statement) in policy.statements.iter().enumerate() {
            if statement.effect != Effect::Allow || !applies(statement) {
                continue;
            }
            match principal_match(statement, context) {
                Some(PrincipalMatch::Direct) if direct_allow.is_none() => {
                    direct_allow = Some(reference(PolicySource::Resource, index, statement));
                }
                Some(PrincipalMatch::Account) if account_allow.is_none() => {
                    account_allow = Some(reference(PolicySource::Resource, index, statement));
                }
                _ => {}
            }
        }
    }

    let principal = &context.principal;
    let same_account = principal.account_id == context.resource_account;
    let is_root = principal.is_account_root;
    let allow = |statements: Vec<Option<StatementRef>>| Decision::Allow {
        by: statements.into_iter().flatten().collect(),
    };
    match mode {
        ResourceMode::KeyPolicy => match (direct_allow, account_allow, identity_allow) {
            // Same account: a direct grant suffices.
            (Some(direct), _, _) if same_account => allow(vec![Some(direct)]),
            // Cross-account direct grants, and account delegations anywhere, need the
            // caller's own identity allow, unless the caller is its account's root.
            (Some(resource), _, identity) | (None, Some(resource), identity)
                if is_root || identity.is_some() =>
            {
                allow(vec![Some(resource), identity])
            }
            _ => Decision::ImplicitDeny,
        },
        ResourceMode::IdentityOnly => {
            if !same_account {
                Decision::ImplicitDeny
            } else if is_root {
                allow(vec![])
            } else if let Some(identity) = identity_allow {
                allow(vec![Some(identity)])
            } else {
                Decision::ImplicitDeny
            }
        }
        ResourceMode::ResourcePolicy => {
            if same_account {
                match (direct_allow, account_allow, identity_allow) {
                    (Some(direct), _, identity) => allow(vec![Some(direct), identity]),
                    (None, account, Some(identity)) => allow(vec![account, Some(identity)]),
                    (None, account, None) if is_root => allow(vec![account]),
                    _ => Decision::ImplicitDeny,
                }
            } else {
                match (direct_allow.or(account_allow), identity_allow) {
                    (Some(resource), identity) if is_root || identity.is_some() => {
                        allow(vec![Some(resource), identity])
                    }
                    _ => Decision::ImplicitDeny,
                }
            }
        }
    }
}

fn reference(source: PolicySource, index: usize, statement: &Statement) -> StatementRef {
    StatementRef { source, index, sid: statement.sid.clone() }
}

/// Action, resource and conditions (not the principal), paid from `budget`.
fn applies(statement: &Statement, context: &RequestContext, budget: &Budget) -> bool {
    let action_matches =
        |p: &String| wildcard::matches_ignore_case_within(p, &context.action, budget);
    let action = match &statement.action {
        ActionBlock::Action(patterns) => patterns.iter().any(action_matches),
        ActionBlock::NotAction(patterns) => !patterns.iter().any(action_matches),
    };
    let resource_matches = |p: &String| wildcard::matches_within(p, &context.resource, budget);
    let resource = match &statement.resource {
        ResourceBlock::Resource(patterns) => patterns.iter().any(resource_matches),
        ResourceBlock::NotResource(patterns) => !patterns.iter().any(resource_matches),
    };
    // A deny must apply if any reading of a case-ambiguous key makes it apply; an
    // allow only if every reading does.
    let rule = match statement.effect {
        Effect::Allow => VariantRule::Every,
        Effect::Deny => VariantRule::Any,
    };
    action
        && resource
        && statement
            .conditions
            .iter()
            .all(|condition| condition.evaluate_within(context, budget, rule))
}

fn principal_match(statement: &Statement, context: &RequestContext) -> Option<PrincipalMatch> {
    match &statement.principal {
        None => None,
        Some(PrincipalBlock::Principal(principals)) => match_principals(principals, context),
        Some(PrincipalBlock::NotPrincipal(principals)) => {
            (!names_exactly(principals, context)).then_some(PrincipalMatch::Direct)
        }
    }
}

/// For `NotPrincipal`, an account entry names the account principal (its root) only,
/// not every principal in the account (as AWS documents for `NotPrincipal` with `Deny`).
fn names_exactly(principals: &Principals, context: &RequestContext) -> bool {
    let caller = &context.principal;
    principals.any
        || principals.aws.iter().any(|entry| {
            *entry == caller.arn
                || caller.role_arn.as_ref() == Some(entry)
                || (caller.is_account_root && is_account_id(entry) && *entry == caller.account_id)
        })
        || principals.service.contains(&caller.arn)
}

fn match_principals(principals: &Principals, context: &RequestContext) -> Option<PrincipalMatch> {
    let caller = &context.principal;
    if principals.any {
        return Some(PrincipalMatch::Direct);
    }
    let root_arn = format!("arn:aws:iam::{}:root", caller.account_id);
    let mut result = None;
    for entry in &principals.aws {
        let names_caller = *entry == caller.arn || caller.role_arn.as_ref() == Some(entry);
        if names_caller && !caller.is_account_root {
            return Some(PrincipalMatch::Direct);
        }
        if *entry == root_arn || (is_account_id(entry) && *entry == caller.account_id) {
            result = Some(PrincipalMatch::Account);
        }
    }
    if principals.service.contains(&caller.arn) {
        return Some(PrincipalMatch::Direct);
    }
    result
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::context::CallerPrincipal;

    fn alice(pairs: &[(&str, &str)]) -> RequestContext {
        RequestContext::new(
            CallerPrincipal::new("arn:aws:iam::111122223333:user/alice", "111122223333"),
            "kms:Encrypt",
            "arn:aws:kms:us-east-1:111122223333:key/k",
            "111122223333",
        )
        .with_encryption_context(pairs.iter().map(|(k, v)| (*k, *v)))
    }

    fn identity(json: &str) -> Policy {
        Policy::parse_identity(json, usize::MAX).unwrap()
    }

    /// The issue's attack: three 8 KB `StringLike` patterns on
    /// `kms:EncryptionContextKeys` against a hundred 8 KB keys once took 8 s of CPU.
    #[test]
    fn quadratic_patterns_stop_at_the_work_limit() {
        let pattern = |tail: char| format!("*{}{tail}*", "a".repeat(8 * 1024 - 3));
        let patterns = [pattern('b'), pattern('c'), pattern('d')];
        let policy = identity(&format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"kms:Encrypt",
                "Resource":"*","Condition":{{"ForAnyValue:StringLike":
                {{"kms:EncryptionContextKeys":{}}}}}}}}}"#,
            serde_json::to_string(&patterns).unwrap()
        ));
        let keys: Vec<String> =
            (0..100).map(|i| format!("{}{i:04}", "a".repeat(8 * 1024 - 4))).collect();
        let pairs: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "v")).collect();
        let context = alice(&pairs);
        let started = Instant::now();
        let decision = evaluate(&context, &[&policy], None, ResourceMode::IdentityOnly);
        let elapsed = started.elapsed();
        assert_eq!(decision, Decision::WorkLimitExceeded);
        assert!(elapsed < Duration::from_millis(100), "took {elapsed:?}");
    }

    /// Negated operators must not turn an exhausted budget into an allow.
    #[test]
    fn an_exhausted_budget_never_allows() {
        let pattern = format!("*{}b*", "a".repeat(8 * 1024));
        let policy = identity(&format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"kms:Encrypt",
                "Resource":"*","Condition":{{"ForAllValues:StringNotLike":
                {{"kms:EncryptionContextKeys":["{pattern}"]}}}}}}}}"#
        ));
        let keys: Vec<String> = (0..50).map(|i| format!("{}{i}", "a".repeat(8 * 1024))).collect();
        let pairs: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "v")).collect();
        let decision = evaluate(&alice(&pairs), &[&policy], None, ResourceMode::IdentityOnly);
        assert_eq!(decision, Decision::WorkLimitExceeded);
        // A small request under the same policy is decided normally.
        let decision =
            evaluate(&alice(&[("k", "v")]), &[&policy], None, ResourceMode::IdentityOnly);
        assert!(decision.is_allowed());
    }

    /// Issue 10 item 9: `{"Tenant": "blue", "tenant": "red"}` passed a condition that
    /// asks for tenant red, because the last case variant won.
    #[test]
    fn case_variant_context_keys_do_not_bypass_conditions() {
        let allow_red = identity(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Encrypt",
                "Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:tenant":"red"}}}}"#,
        );
        let check = |pairs: &[(&str, &str)], policy: &Policy| {
            evaluate(&alice(pairs), &[policy], None, ResourceMode::IdentityOnly)
        };
        assert!(check(&[("tenant", "red")], &allow_red).is_allowed());
        assert!(check(&[("TENANT", "red")], &allow_red).is_allowed());
        assert_eq!(
            check(&[("Tenant", "blue"), ("tenant", "red")], &allow_red),
            Decision::ImplicitDeny
        );
        assert_eq!(
            check(&[("tenant", "red"), ("Tenant", "blue")], &allow_red),
            Decision::ImplicitDeny
        );

        let deny_blue = identity(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":"kms:*","Resource":"*"},
                {"Effect":"Deny","Action":"kms:Encrypt","Resource":"*",
                 "Condition":{"StringEquals":{"kms:EncryptionContext:tenant":"blue"}}}]}"#,
        );
        assert!(check(&[("tenant", "red")], &deny_blue).is_allowed());
        assert!(matches!(
            check(&[("tenant", "red"), ("Tenant", "blue")], &deny_blue),
            Decision::ExplicitDeny { .. }
        ));
    }
}
