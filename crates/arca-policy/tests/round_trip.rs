//! Property: a policy serialised with `to_json` parses back to the same policy.

use arca_policy::{
    ActionBlock, Condition, ConditionOperator, Effect, Policy, PrincipalBlock, Principals,
    ResourceBlock, Statement, VERSIONS,
};
use proptest::prelude::*;

const OPERATOR_NAMES: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
];

fn operator() -> impl Strategy<Value = ConditionOperator> {
    (
        proptest::sample::select(OPERATOR_NAMES),
        prop_oneof![Just(""), Just("ForAnyValue:"), Just("ForAllValues:")],
        any::<bool>(),
    )
        .prop_map(|(name, qualifier, if_exists)| {
            let suffix = if if_exists { "IfExists" } else { "" };
            ConditionOperator::parse(&format!("{qualifier}{name}{suffix}")).unwrap()
        })
}

fn conditions() -> impl Strategy<Value = Vec<Condition>> {
    proptest::collection::vec(
        (operator(), "[a-z]{2,4}:[A-Za-z]{1,8}", proptest::collection::vec("\\PC{0,12}", 1..3)),
        0..4,
    )
    .prop_map(|raw| {
        let mut conditions: Vec<Condition> = raw
            .into_iter()
            .map(|(operator, key, values)| Condition { operator, key, values })
            .collect();
        conditions.sort_by_key(|condition| (condition.operator.to_string(), condition.key.clone()));
        conditions
            .dedup_by_key(|condition| (condition.operator.to_string(), condition.key.clone()));
        conditions
    })
}

fn patterns(strategy: &'static str) -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(
        prop_oneof![Just("*".to_owned()), strategy.prop_map(|s: String| s)],
        1..4,
    )
}

fn actions() -> impl Strategy<Value = ActionBlock> {
    (any::<bool>(), patterns("[a-z]{2,5}:[A-Za-z*?]{1,8}")).prop_map(|(not, list)| {
        if not { ActionBlock::NotAction(list) } else { ActionBlock::Action(list) }
    })
}

fn resources() -> impl Strategy<Value = ResourceBlock> {
    (any::<bool>(), patterns("arn:aws:[a-z]{2,4}:[a-z0-9-]{0,9}:[0-9]{12}:[a-z/*?]{1,10}"))
        .prop_map(|(not, list)| {
            if not { ResourceBlock::NotResource(list) } else { ResourceBlock::Resource(list) }
        })
}

fn principals() -> impl Strategy<Value = Principals> {
    (
        any::<bool>(),
        proptest::collection::vec(
            prop_oneof!["[0-9]{12}", "arn:aws:iam::[0-9]{12}:(root|user/[a-z]{1,6})"],
            0..3,
        ),
        proptest::collection::vec("[a-z]{2,8}\\.amazonaws\\.com", 0..2),
    )
        .prop_map(|(any, aws, service)| Principals {
            any: any || (aws.is_empty() && service.is_empty()),
            aws,
            service,
            ..Principals::default()
        })
}

fn statement(with_principal: bool) -> impl Strategy<Value = Statement> {
    (
        proptest::option::of("[A-Za-z0-9]{1,10}"),
        prop_oneof![Just(Effect::Allow), Just(Effect::Deny)],
        any::<bool>(),
        principals(),
        actions(),
        resources(),
        conditions(),
    )
        .prop_map(
            move |(sid, effect, not_principal, principals, action, resource, conditions)| {
                Statement {
                    sid,
                    effect,
                    principal: with_principal.then_some({
                        if not_principal {
                            PrincipalBlock::NotPrincipal(principals)
                        } else {
                            PrincipalBlock::Principal(principals)
                        }
                    }),
                    action,
                    resource,
                    conditions,
                }
            },
        )
}

fn policy(with_principal: bool) -> impl Strategy<Value = Policy> {
    (
        proptest::option::of(proptest::sample::select(&VERSIONS[..]).prop_map(str::to_owned)),
        proptest::option::of("\\PC{0,16}"),
        proptest::collection::vec(statement(with_principal), 1..4),
    )
        .prop_map(|(version, id, mut statements)| {
            // Sids are unique within a policy.
            for (index, statement) in statements.iter_mut().enumerate() {
                if let Some(sid) = &mut statement.sid {
                    sid.push_str(&index.to_string());
                }
            }
            Policy { version, id, statements }
        })
}

proptest! {
    #[test]
    fn identity_policies_round_trip(policy in policy(false)) {
        let json = policy.to_json();
        let parsed = Policy::parse_identity(&json, usize::MAX).unwrap();
        prop_assert_eq!(&parsed, &policy);
        prop_assert_eq!(parsed.to_json(), json);
    }

    #[test]
    fn resource_policies_round_trip(policy in policy(true)) {
        let json = policy.to_json();
        let parsed = Policy::parse_resource(&json, usize::MAX).unwrap();
        prop_assert_eq!(&parsed, &policy);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let _ = Policy::parse_identity(&text, 6144);
        let _ = Policy::parse_resource(&text, 6144);
    }
}
