//! Policy evaluation: decision tables over principals, policies and resource modes.

use arca_policy::{
    CallerPrincipal, Decision, MAX_INLINE_USER_POLICY_SIZE, MAX_KEY_POLICY_SIZE, Policy,
    PolicySource, RequestContext, ResourceMode, StatementRef, evaluate,
};

const OWNER: &str = "111122223333";
const OTHER: &str = "444455556666";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const BOB: &str = "arn:aws:iam::444455556666:user/bob";

const DEFAULT_KEY_POLICY: &str = r#"{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;

fn key_policy(extra: &str) -> Policy {
    let json = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::111122223333:root"}},"Action":"kms:*","Resource":"*"}}{extra}]}}"#
    );
    Policy::parse_resource(&json, MAX_KEY_POLICY_SIZE).unwrap()
}

fn resource_policy(statements: &str) -> Policy {
    Policy::parse_resource(
        &format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#),
        MAX_KEY_POLICY_SIZE,
    )
    .unwrap()
}

fn identity(statements: &str) -> Policy {
    Policy::parse_identity(
        &format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#),
        MAX_INLINE_USER_POLICY_SIZE,
    )
    .unwrap()
}

fn caller(name: &str) -> CallerPrincipal {
    match name {
        "alice" => CallerPrincipal::new(ALICE, OWNER),
        "carol" => CallerPrincipal::assumed_role(
            "arn:aws:sts::111122223333:assumed-role/carol/session-1",
            "arn:aws:iam::111122223333:role/carol",
            OWNER,
        ),
        "root" => CallerPrincipal::account_root(OWNER),
        "bob" => CallerPrincipal::new(BOB, OTHER),
        "other-root" => CallerPrincipal::account_root(OTHER),
        other => panic!("{other}"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allow,
    Implicit,
    Explicit,
}
use Outcome::{Allow, Explicit, Implicit};

fn outcome(decision: &Decision) -> Outcome {
    match decision {
        Decision::Allow { .. } => Allow,
        Decision::ImplicitDeny => Implicit,
        Decision::ExplicitDeny { .. } => Explicit,
        Decision::WorkLimitExceeded => panic!("no table case should reach the work limit"),
    }
}

fn run(
    who: &str,
    action: &str,
    identities: &[&Policy],
    resource: Option<&Policy>,
    mode: ResourceMode,
) -> Decision {
    let context = RequestContext::new(caller(who), action, KEY, OWNER)
        .with("kms:CallerAccount", [caller(who).account_id])
        .with("aws:SourceIp", ["192.0.2.10"]);
    evaluate(&context, identities, resource, mode)
}

#[test]
fn kms_key_policy_matrix() {
    let default = Policy::parse_resource(DEFAULT_KEY_POLICY, MAX_KEY_POLICY_SIZE).unwrap();
    let direct_alice = key_policy(&format!(
        r#",{{"Sid":"Alice","Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":"kms:Encrypt","Resource":"*"}}"#
    ));
    let other_account = key_policy(
        r#",{"Sid":"Other","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}"#,
    );
    let direct_bob = key_policy(&format!(
        r#",{{"Sid":"Bob","Effect":"Allow","Principal":{{"AWS":"{BOB}"}},"Action":"kms:Encrypt","Resource":"*"}}"#
    ));
    let anyone_in_owner = key_policy(
        r#",{"Sid":"Any","Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}}"#,
    );
    let deny_decrypt = key_policy(
        r#",{"Sid":"NoDecrypt","Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#,
    );
    let no_root = resource_policy(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":"kms:*","Resource":"*"}}"#
    ));
    let iam_encrypt = identity(r#"{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}"#);
    let iam_all_kms_on_key =
        identity(&format!(r#"{{"Effect":"Allow","Action":"kms:*","Resource":"{KEY}"}}"#));
    let iam_other_key = identity(
        r#"{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:us-east-1:111122223333:key/other"}"#,
    );
    let iam_deny = identity(r#"{"Effect":"Deny","Action":"kms:*","Resource":"*"}"#);
    let none: &[&Policy] = &[];

    #[rustfmt::skip]
    let cases: &[(&str, &str, &Policy, &[&Policy], Outcome)] = &[
        // The default key policy delegates to IAM: users need an identity allow.
        ("alice", "kms:Encrypt", &default, none, Implicit),
        ("alice", "kms:Encrypt", &default, &[&iam_encrypt], Allow),
        ("alice", "kms:Decrypt", &default, &[&iam_encrypt], Implicit),
        ("alice", "kms:Decrypt", &default, &[&iam_all_kms_on_key], Allow),
        ("alice", "kms:Decrypt", &default, &[&iam_other_key], Implicit),
        ("alice", "kms:Encrypt", &default, &[&iam_encrypt, &iam_deny], Explicit),
        // The account root needs no identity policy.
        ("root", "kms:Encrypt", &default, none, Allow),
        ("root", "kms:ScheduleKeyDeletion", &default, none, Allow),
        // A direct grant to a same-account user needs no identity policy.
        ("alice", "kms:Encrypt", &direct_alice, none, Allow),
        ("alice", "kms:Decrypt", &direct_alice, none, Implicit),
        ("carol", "kms:Encrypt", &direct_alice, none, Implicit),
        // Without an allow in the key policy, identity policies never suffice, even for root.
        ("carol", "kms:Encrypt", &no_root, &[&iam_encrypt], Implicit),
        ("root", "kms:Encrypt", &no_root, none, Implicit),
        ("alice", "kms:Encrypt", &no_root, none, Allow),
        // Cross-account: the key policy must name the caller or its account, and the
        // caller's identity policies must allow (its account root needs none).
        ("bob", "kms:Encrypt", &default, &[&iam_encrypt], Implicit),
        ("bob", "kms:Encrypt", &other_account, none, Implicit),
        ("bob", "kms:Encrypt", &other_account, &[&iam_encrypt], Allow),
        ("bob", "kms:Decrypt", &other_account, &[&iam_encrypt], Implicit),
        ("bob", "kms:CreateGrant", &other_account, &[&iam_all_kms_on_key], Implicit),
        ("other-root", "kms:Encrypt", &other_account, none, Allow),
        ("other-root", "kms:Encrypt", &default, none, Implicit),
        ("bob", "kms:Encrypt", &direct_bob, none, Implicit),
        ("bob", "kms:Encrypt", &direct_bob, &[&iam_encrypt], Allow),
        ("other-root", "kms:Encrypt", &direct_bob, none, Implicit),
        ("bob", "kms:Encrypt", &other_account, &[&iam_encrypt, &iam_deny], Explicit),
        // "*" principal with a condition.
        ("carol", "kms:Encrypt", &anyone_in_owner, none, Allow),
        ("bob", "kms:Encrypt", &anyone_in_owner, &[&iam_encrypt], Implicit),
        // A key policy deny beats every allow, the root's included.
        ("root", "kms:Decrypt", &deny_decrypt, none, Explicit),
        ("alice", "kms:Decrypt", &deny_decrypt, &[&iam_all_kms_on_key], Explicit),
        ("alice", "kms:Encrypt", &deny_decrypt, &[&iam_all_kms_on_key], Allow),
    ];
    for (who, action, key_policy, identities, expected) in cases {
        let decision = run(who, action, identities, Some(key_policy), ResourceMode::KeyPolicy);
        assert_eq!(outcome(&decision), *expected, "{who} {action} {identities:?} -> {decision:?}");
    }
    // No key policy at all: nothing is allowed.
    assert_eq!(
        run("root", "kms:Encrypt", &[], None, ResourceMode::KeyPolicy),
        Decision::ImplicitDeny
    );
}

#[test]
fn decisions_name_the_deciding_statements() {
    let default = Policy::parse_resource(DEFAULT_KEY_POLICY, MAX_KEY_POLICY_SIZE).unwrap();
    let iam =
        identity(r#"{"Sid":"UseKeys","Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}"#);
    let deny = identity(r#"{"Sid":"Nope","Effect":"Deny","Action":"kms:*","Resource":"*"}"#);
    assert_eq!(
        run("alice", "kms:Encrypt", &[&iam], Some(&default), ResourceMode::KeyPolicy),
        Decision::Allow {
            by: vec![
                StatementRef {
                    source: PolicySource::Resource,
                    index: 0,
                    sid: Some("Enable IAM User Permissions".into())
                },
                StatementRef {
                    source: PolicySource::Identity(0),
                    index: 0,
                    sid: Some("UseKeys".into())
                },
            ]
        }
    );
    assert_eq!(
        run("alice", "kms:Encrypt", &[&iam, &deny], Some(&default), ResourceMode::KeyPolicy),
        Decision::ExplicitDeny {
            by: StatementRef {
                source: PolicySource::Identity(1),
                index: 0,
                sid: Some("Nope".into())
            }
        }
    );
    assert_eq!(
        run("root", "iam:CreateUser", &[], None, ResourceMode::IdentityOnly),
        Decision::Allow { by: vec![] }
    );
}

#[test]
fn identity_only_matrix() {
    let allow_iam = identity(r#"{"Effect":"Allow","Action":"iam:*","Resource":"*"}"#);
    let allow_users = identity(
        r#"{"Effect":"Allow","Action":"iam:*User*","Resource":"arn:aws:iam::111122223333:user/*"}"#,
    );
    let deny_delete = identity(r#"{"Effect":"Deny","Action":"iam:Delete*","Resource":"*"}"#);
    let not_action = identity(r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#);
    let not_resource = identity(
        r#"{"Effect":"Allow","Action":"*","NotResource":"arn:aws:iam::111122223333:user/admin*"}"#,
    );
    let none: &[&Policy] = &[];
    let user = "arn:aws:iam::111122223333:user/dave";
    let admin = "arn:aws:iam::111122223333:user/admin-1";
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, &[&Policy], Outcome)] = &[
        ("root", "iam:CreateUser", user, none, Allow),
        ("alice", "iam:CreateUser", user, none, Implicit),
        ("alice", "iam:CreateUser", user, &[&allow_iam], Allow),
        ("alice", "IAM:createuser", user, &[&allow_iam], Allow),
        ("alice", "iam:CreateUser", user, &[&allow_users], Allow),
        ("alice", "iam:CreateRole", "arn:aws:iam::111122223333:role/r", &[&allow_users], Implicit),
        ("alice", "iam:DeleteUser", user, &[&allow_iam, &deny_delete], Explicit),
        ("alice", "iam:CreateUser", user, &[&not_action], Implicit),
        ("alice", "kms:Encrypt", user, &[&not_action], Allow),
        ("alice", "iam:CreateUser", user, &[&not_resource], Allow),
        ("alice", "iam:CreateUser", admin, &[&not_resource], Implicit),
        // Cross-account is never allowed without a resource policy.
        ("bob", "iam:CreateUser", user, &[&allow_iam], Implicit),
        ("other-root", "iam:CreateUser", user, none, Implicit),
        // Root is still subject to explicit deny in identity policies passed in.
        ("root", "iam:DeleteUser", user, &[&deny_delete], Explicit),
    ];
    for (who, action, resource, identities, expected) in cases {
        let context = RequestContext::new(caller(who), *action, *resource, OWNER);
        let decision = evaluate(&context, identities, None, ResourceMode::IdentityOnly);
        assert_eq!(outcome(&decision), *expected, "{who} {action} {resource}");
    }
}

#[test]
fn resource_policy_matrix() {
    let secret = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf";
    let to_bob = resource_policy(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{BOB}"}},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#
    ));
    let to_other_account = resource_policy(
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}"#,
    );
    let to_alice = resource_policy(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":"secretsmanager:*","Resource":"*"}}"#
    ));
    let to_owner_account = resource_policy(
        r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"secretsmanager:*","Resource":"*"}"#,
    );
    let deny_all_but_alice = resource_policy(&format!(
        r#"{{"Effect":"Deny","NotPrincipal":{{"AWS":["{ALICE}","arn:aws:iam::111122223333:root"]}},"Action":"secretsmanager:*","Resource":"*"}}"#
    ));
    let iam_get =
        identity(r#"{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}"#);
    let none: &[&Policy] = &[];
    #[rustfmt::skip]
    let cases: &[(&str, Option<&Policy>, &[&Policy], Outcome)] = &[
        // Same account: identity allow OR resource policy allow.
        ("alice", None, &[&iam_get], Allow),
        ("alice", None, none, Implicit),
        ("alice", Some(&to_alice), none, Allow),
        ("carol", Some(&to_alice), none, Implicit),
        ("carol", Some(&to_alice), &[&iam_get], Allow),
        // An account principal in the same account delegates to identity policies.
        ("carol", Some(&to_owner_account), none, Implicit),
        ("carol", Some(&to_owner_account), &[&iam_get], Allow),
        ("root", Some(&to_owner_account), none, Allow),
        ("root", None, none, Allow),
        // Cross-account: both the resource policy and the caller's identity policy.
        ("bob", Some(&to_bob), none, Implicit),
        ("bob", Some(&to_bob), &[&iam_get], Allow),
        ("bob", None, &[&iam_get], Implicit),
        ("bob", Some(&to_other_account), &[&iam_get], Allow),
        ("other-root", Some(&to_other_account), none, Allow),
        ("other-root", Some(&to_bob), none, Implicit),
        // NotPrincipal deny: everyone but alice and the root is refused.
        ("alice", Some(&deny_all_but_alice), &[&iam_get], Allow),
        ("carol", Some(&deny_all_but_alice), &[&iam_get], Explicit),
        ("bob", Some(&deny_all_but_alice), &[&iam_get], Explicit),
        ("root", Some(&deny_all_but_alice), none, Allow),
    ];
    for (who, resource, identities, expected) in cases {
        let context =
            RequestContext::new(caller(who), "secretsmanager:GetSecretValue", secret, OWNER);
        let decision = evaluate(&context, identities, *resource, ResourceMode::ResourcePolicy);
        assert_eq!(outcome(&decision), *expected, "{who} {resource:?} {identities:?}");
    }
}

#[test]
fn conditions_gate_statements() {
    let key = key_policy(
        r#",{"Sid":"EC","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/carol"},"Action":"kms:Decrypt","Resource":"*",
            "Condition":{"StringEquals":{"kms:EncryptionContext:Department":"Finance"},"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Department","Project"]}}}"#,
    );
    let decide = |pairs: &[(&str, &str)]| {
        let context = RequestContext::new(caller("carol"), "kms:Decrypt", KEY, OWNER)
            .with_encryption_context(pairs.iter().copied());
        outcome(&evaluate(&context, &[], Some(&key), ResourceMode::KeyPolicy))
    };
    assert_eq!(decide(&[("Department", "Finance")]), Allow);
    assert_eq!(decide(&[("Department", "Finance"), ("Project", "x")]), Allow);
    assert_eq!(decide(&[("Department", "Finance"), ("Other", "x")]), Implicit);
    assert_eq!(decide(&[("Department", "finance")]), Implicit);
    assert_eq!(decide(&[]), Implicit);
}
