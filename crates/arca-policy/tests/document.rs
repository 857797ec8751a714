//! Parsing policy documents: accepted forms, and the errors AWS would give.

use arca_policy::{
    ActionBlock, Effect, MAX_INLINE_USER_POLICY_SIZE, MAX_KEY_POLICY_SIZE, Operator, Policy,
    PolicyError, PrincipalBlock, ResourceBlock, SetQualifier,
};

fn identity(json: &str) -> Result<Policy, PolicyError> {
    Policy::parse_identity(json, MAX_INLINE_USER_POLICY_SIZE)
}

fn resource(json: &str) -> Result<Policy, PolicyError> {
    Policy::parse_resource(json, MAX_KEY_POLICY_SIZE)
}

fn reason(result: Result<Policy, PolicyError>) -> String {
    match result {
        Err(PolicyError::Malformed { reason }) => reason,
        other => panic!("expected MalformedPolicyDocument, got {other:?}"),
    }
}

#[test]
fn default_key_policy_parses() {
    let policy = resource(
        r#"{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#,
    )
    .unwrap();
    assert_eq!(policy.version.as_deref(), Some("2012-10-17"));
    assert_eq!(policy.id.as_deref(), Some("key-default-1"));
    let statement = &policy.statements[0];
    assert_eq!(statement.sid.as_deref(), Some("Enable IAM User Permissions"));
    assert_eq!(statement.effect, Effect::Allow);
    match &statement.principal {
        Some(PrincipalBlock::Principal(principals)) => {
            assert_eq!(principals.aws, ["arn:aws:iam::111122223333:root"]);
            assert!(!principals.any);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(statement.action, ActionBlock::Action(vec!["kms:*".into()]));
    assert_eq!(statement.resource, ResourceBlock::Resource(vec!["*".into()]));
}

#[test]
fn accepted_forms() {
    // A single statement object, lists, NotAction/NotResource/NotPrincipal, numbers and
    // booleans as condition values, every principal type.
    let policy = resource(
        r#"{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["111122223333","arn:aws:iam::111122223333:user/a"],"Service":"kms.amazonaws.com"},
            "NotAction":["kms:Decrypt","kms:Encrypt"],"NotResource":"arn:aws:kms:*:*:key/*",
            "Condition":{"NumericLessThan":{"kms:GrantCount":5},"Bool":{"aws:SecureTransport":false},
                         "ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*","b"]}}}}"#,
    )
    .unwrap();
    assert_eq!(policy.version, None);
    let statement = &policy.statements[0];
    assert_eq!(statement.effect, Effect::Deny);
    assert!(matches!(statement.action, ActionBlock::NotAction(ref list) if list.len() == 2));
    assert!(matches!(statement.resource, ResourceBlock::NotResource(_)));
    match &statement.principal {
        Some(PrincipalBlock::NotPrincipal(principals)) => {
            assert_eq!(principals.aws.len(), 2);
            assert_eq!(principals.service, ["kms.amazonaws.com"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(statement.conditions.len(), 3);
    let numeric = statement
        .conditions
        .iter()
        .find(|c| c.operator.operator == Operator::NumericLessThan)
        .unwrap();
    assert_eq!(numeric.values, ["5"]);
    let boolean =
        statement.conditions.iter().find(|c| c.operator.operator == Operator::Bool).unwrap();
    assert_eq!(boolean.values, ["false"]);
    let like =
        statement.conditions.iter().find(|c| c.operator.operator == Operator::StringLike).unwrap();
    assert_eq!(like.operator.qualifier, Some(SetQualifier::ForAnyValue));
    assert!(like.operator.if_exists);

    let star = resource(
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#,
    )
    .unwrap();
    assert!(matches!(&star.statements[0].principal, Some(PrincipalBlock::Principal(p)) if p.any));
    let aws_star = resource(
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*","Resource":"*"}]}"#,
    )
    .unwrap();
    assert!(
        matches!(&aws_star.statements[0].principal, Some(PrincipalBlock::Principal(p)) if p.any)
    );
}

#[test]
fn malformed_documents_name_the_problem() {
    let statement = |body: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{{{body}}}]}}"#);
    #[rustfmt::skip]
    let identity_cases: &[(&str, &str)] = &[
        ("not json", "Syntax errors in policy."),
        ("[]", "Syntax errors in policy."),
        (r#"{"Version":"2012-10-17"}"#, "Missing required field Statement"),
        (r#"{"Version":"2012-10-17","Statement":[]}"#, "Policy document must contain at least one statement."),
        (r#"{"Version":"2019-01-01","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#, "The policy failed legacy parsing"),
        (r#"{"Version":"2012-10-17","Statment":[]}"#, "Policy document contains an unknown field: Statment"),
        (&statement(r#""Effect":"Allow","Action":"kms:*","Resource":"*","Principal":"*""#), "Policy document should not specify a principal."),
        (&statement(r#""Effect":"allow","Action":"kms:*","Resource":"*""#), "Invalid effect: allow"),
        (&statement(r#""Action":"kms:*","Resource":"*""#), "Missing required field Effect"),
        (&statement(r#""Effect":"Allow","Resource":"*""#), "Policy statement must contain actions."),
        (&statement(r#""Effect":"Allow","Action":[],"Resource":"*""#), "Policy statement must contain actions."),
        (&statement(r#""Effect":"Allow","Action":"kms:*""#), "Policy statement must contain resources."),
        (&statement(r#""Effect":"Allow","Action":"Encrypt","Resource":"*""#), "Actions/Conditions must be prefaced by a vendor"),
        (&statement(r#""Effect":"Allow","Action":"kms:*","Resource":"key/1""#), "Resource key/1 must be in ARN format or \"*\"."),
        (&statement(r#""Effect":"Allow","Action":"kms:*","NotAction":"kms:*","Resource":"*""#), "both Action and NotAction"),
        (&statement(r#""Effect":"Allow","Action":"kms:*","Resource":"*","Resources":"*""#), "Statement contains an unknown field: Resources"),
        (&statement(r#""Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEqual":{"aws:x":"y"}}"#), "Invalid Condition type : StringEqual."),
        (&statement(r#""Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"nokey":"y"}}"#), "Actions/Conditions must be prefaced by a vendor"),
        (&statement(r#""Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:x":{"a":1}}}"#), "Condition values must be"),
        (&statement(r#""Effect":"Allow","Action":["kms:*",3],"Resource":"*""#), "Action must contain only strings."),
        (&statement(r#""Sid":"Has space","Effect":"Allow","Action":"kms:*","Resource":"*""#), "Statement IDs (SID) must be alpha-numeric."),
        (r#"{"Statement":[{"Sid":"a","Effect":"Allow","Action":"kms:*","Resource":"*"},{"Sid":"a","Effect":"Deny","Action":"kms:*","Resource":"*"}]}"#, "Statement IDs (SID) in a single policy must be unique."),
    ];
    for (json, expected) in identity_cases {
        let reason = reason(identity(json));
        assert!(reason.contains(expected), "{json}: {reason:?} lacks {expected:?}");
    }
    #[rustfmt::skip]
    let resource_cases: &[(&str, &str)] = &[
        (&statement(r#""Effect":"Allow","Action":"kms:*","Resource":"*""#), "Policy statement must contain a principal."),
        (&statement(r#""Effect":"Allow","Principal":{"AWS":"bob"},"Action":"kms:*","Resource":"*""#), "Invalid principal in policy: \"AWS\":\"bob\""),
        (&statement(r#""Effect":"Allow","Principal":{"Person":"x"},"Action":"kms:*","Resource":"*""#), "Invalid principal in policy: \"Person\""),
        (&statement(r#""Effect":"Allow","Principal":"someone","Action":"kms:*","Resource":"*""#), "Invalid principal in policy."),
        (&statement(r#""Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"kms:*","Resource":"*""#), "both Principal and NotPrincipal"),
    ];
    for (json, expected) in resource_cases {
        let reason = reason(resource(json));
        assert!(reason.contains(expected), "{json}: {reason:?} lacks {expected:?}");
    }
}

#[test]
fn size_limit() {
    let json = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}","Effect":"Allow","Action":"kms:*","Resource":"*"}}]}}"#,
        "a".repeat(6144)
    );
    assert_eq!(
        identity(&json).unwrap_err(),
        PolicyError::TooLarge { size: json.len(), max: MAX_INLINE_USER_POLICY_SIZE }
    );
    assert_eq!(
        identity(&json).unwrap_err().to_string(),
        "Cannot exceed quota for PolicySize: 6144"
    );
    assert!(Policy::parse_identity(&json, 10_000).is_ok());
}

#[test]
fn serialised_documents_parse_back() {
    let json = r#"{"Version":"2012-10-17","Id":"x","Statement":[{"Sid":"s","Effect":"Deny","Principal":{"AWS":["*","111122223333"],"Service":["s.amazonaws.com"]},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":["a","b"]},"Null":{"aws:x":"true"}}}]}"#;
    let policy = resource(json).unwrap();
    let again = resource(&policy.to_json()).unwrap();
    assert_eq!(policy, again);
    assert_eq!(serde_json::to_string(&policy).unwrap(), policy.to_json());
}
