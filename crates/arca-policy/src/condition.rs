//! Condition operators and their evaluation, with AWS's rules for missing and
//! multi-valued keys.

use std::fmt;
use std::net::IpAddr;

use base64::Engine as _;
use ipnet::IpNet;
use time::OffsetDateTime;
use time::format_description::well_known::{Iso8601, Rfc3339};

use crate::budget::Budget;
use crate::context::RequestContext;
use crate::wildcard;

/// The comparison a condition makes, without qualifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operator {
    /// Exact, case-sensitive string match.
    StringEquals,
    /// Negation of `StringEquals`.
    StringNotEquals,
    /// Case-insensitive string match.
    StringEqualsIgnoreCase,
    /// Negation of `StringEqualsIgnoreCase`.
    StringNotEqualsIgnoreCase,
    /// Case-sensitive match with `*` and `?`.
    StringLike,
    /// Negation of `StringLike`.
    StringNotLike,
    /// Numbers equal.
    NumericEquals,
    /// Negation of `NumericEquals`.
    NumericNotEquals,
    /// Context value < policy value.
    NumericLessThan,
    /// Context value <= policy value.
    NumericLessThanEquals,
    /// Context value > policy value.
    NumericGreaterThan,
    /// Context value >= policy value.
    NumericGreaterThanEquals,
    /// Dates (ISO 8601 or epoch seconds) equal.
    DateEquals,
    /// Negation of `DateEquals`.
    DateNotEquals,
    /// Context date before policy date.
    DateLessThan,
    /// Context date at or before policy date.
    DateLessThanEquals,
    /// Context date after policy date.
    DateGreaterThan,
    /// Context date at or after policy date.
    DateGreaterThanEquals,
    /// `true`/`false`, case-insensitive.
    Bool,
    /// Base64-encoded bytes equal.
    BinaryEquals,
    /// Context IP address within a policy CIDR block.
    IpAddress,
    /// Negation of `IpAddress`.
    NotIpAddress,
    /// ARN match, component by component, with wildcards.
    ArnEquals,
    /// Same matching as `ArnEquals`.
    ArnLike,
    /// Negation of `ArnEquals`.
    ArnNotEquals,
    /// Negation of `ArnLike`.
    ArnNotLike,
    /// `true`: the key is absent; `false`: the key is present.
    Null,
}

const OPERATORS: &[(&str, Operator)] = &[
    ("StringEquals", Operator::StringEquals),
    ("StringNotEquals", Operator::StringNotEquals),
    ("StringEqualsIgnoreCase", Operator::StringEqualsIgnoreCase),
    ("StringNotEqualsIgnoreCase", Operator::StringNotEqualsIgnoreCase),
    ("StringLike", Operator::StringLike),
    ("StringNotLike", Operator::StringNotLike),
    ("NumericEquals", Operator::NumericEquals),
    ("NumericNotEquals", Operator::NumericNotEquals),
    ("NumericLessThan", Operator::NumericLessThan),
    ("NumericLessThanEquals", Operator::NumericLessThanEquals),
    ("NumericGreaterThan", Operator::NumericGreaterThan),
    ("NumericGreaterThanEquals", Operator::NumericGreaterThanEquals),
    ("DateEquals", Operator::DateEquals),
    ("DateNotEquals", Operator::DateNotEquals),
    ("DateLessThan", Operator::DateLessThan),
    ("DateLessThanEquals", Operator::DateLessThanEquals),
    ("DateGreaterThan", Operator::DateGreaterThan),
    ("DateGreaterThanEquals", Operator::DateGreaterThanEquals),
    ("Bool", Operator::Bool),
    ("BinaryEquals", Operator::BinaryEquals),
    ("IpAddress", Operator::IpAddress),
    ("NotIpAddress", Operator::NotIpAddress),
    ("ArnEquals", Operator::ArnEquals),
    ("ArnLike", Operator::ArnLike),
    ("ArnNotEquals", Operator::ArnNotEquals),
    ("ArnNotLike", Operator::ArnNotLike),
    ("Null", Operator::Null),
];

impl Operator {
    /// The operator's name in policies.
    pub fn name(self) -> &'static str {
        OPERATORS.iter().find(|(_, operator)| *operator == self).map_or("", |(name, _)| name)
    }

    fn from_name(name: &str) -> Option<Self> {
        OPERATORS.iter().find(|(known, _)| *known == name).map(|(_, operator)| *operator)
    }

    /// Negated operators are true when no context value matches, and when the key is
    /// missing.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            Operator::StringNotEquals
                | Operator::StringNotEqualsIgnoreCase
                | Operator::StringNotLike
                | Operator::NumericNotEquals
                | Operator::DateNotEquals
                | Operator::NotIpAddress
                | Operator::ArnNotEquals
                | Operator::ArnNotLike
        )
    }

    /// Whether one context value matches one policy value, for the positive form of
    /// the operator (`StringNotEquals` compares like `StringEquals`). Each comparison
    /// is paid from `budget`; once it is gone the answer is `false` and meaningless
    /// (the evaluation as a whole is then denied).
    fn value_matches(self, policy: &str, context: &str, budget: &Budget) -> bool {
        use Operator as O;
        let cost = match self {
            // Wildcard matching pays per step itself.
            O::StringLike
            | O::StringNotLike
            | O::ArnEquals
            | O::ArnLike
            | O::ArnNotEquals
            | O::ArnNotLike => 0,
            // Equality stops at the shorter side; the others parse both.
            O::StringEquals | O::StringNotEquals => policy.len().min(context.len()),
            _ => policy.len() + context.len(),
        };
        if !budget.spend_len(cost) {
            return false;
        }
        match self {
            O::StringEquals | O::StringNotEquals => policy == context,
            O::StringEqualsIgnoreCase | O::StringNotEqualsIgnoreCase => {
                policy.to_lowercase() == context.to_lowercase()
            }
            O::StringLike | O::StringNotLike => wildcard::matches_within(policy, context, budget),
            O::NumericEquals | O::NumericNotEquals => numeric(policy, context, |p, c| c == p),
            O::NumericLessThan => numeric(policy, context, |p, c| c < p),
            O::NumericLessThanEquals => numeric(policy, context, |p, c| c <= p),
            O::NumericGreaterThan => numeric(policy, context, |p, c| c > p),
            O::NumericGreaterThanEquals => numeric(policy, context, |p, c| c >= p),
            O::DateEquals | O::DateNotEquals => date(policy, context, |p, c| c == p),
            O::DateLessThan => date(policy, context, |p, c| c < p),
            O::DateLessThanEquals => date(policy, context, |p, c| c <= p),
            O::DateGreaterThan => date(policy, context, |p, c| c > p),
            O::DateGreaterThanEquals => date(policy, context, |p, c| c >= p),
            O::Bool => {
                let policy = policy.to_ascii_lowercase();
                (policy == "true" || policy == "false") && policy == context.to_ascii_lowercase()
            }
            O::BinaryEquals => {
                let engine = base64::engine::general_purpose::STANDARD;
                match (engine.decode(policy), engine.decode(context)) {
                    (Ok(policy), Ok(context)) => policy == context,
                    _ => false,
                }
            }
            O::IpAddress | O::NotIpAddress => ip_in(policy, context),
            O::ArnEquals | O::ArnLike | O::ArnNotEquals | O::ArnNotLike => {
                arn_like(policy, context, budget)
            }
            // Null is decided on presence alone, in `Condition::evaluate`.
            O::Null => false,
        }
    }
}

/// `ForAnyValue:` or `ForAllValues:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SetQualifier {
    /// True if at least one context value matches; false for a missing or empty key.
    ForAnyValue,
    /// True if every context value matches; true for a missing or empty key.
    ForAllValues,
}

/// A condition operator as written in a policy: qualifier, operator, `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConditionOperator {
    /// `ForAnyValue:` / `ForAllValues:`, if given.
    pub qualifier: Option<SetQualifier>,
    /// The comparison.
    pub operator: Operator,
    /// The `...IfExists` suffix: a missing key makes the condition true.
    pub if_exists: bool,
}

impl ConditionOperator {
    /// Parses `ForAnyValue:StringLikeIfExists` and the like; `None` if unknown.
    pub fn parse(text: &str) -> Option<Self> {
        let (qualifier, rest) = if let Some(rest) = text.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else if let Some(rest) = text.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else {
            (None, text)
        };
        let (name, if_exists) = match rest.strip_suffix("IfExists") {
            Some(name) => (name, true),
            None => (rest, false),
        };
        let operator = Operator::from_name(name)?;
        if if_exists && operator == Operator::Null {
            return None;
        }
        Some(Self { qualifier, operator, if_exists })
    }
}

impl fmt::Display for ConditionOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.qualifier {
            Some(SetQualifier::ForAnyValue) => f.write_str("ForAnyValue:")?,
            Some(SetQualifier::ForAllValues) => f.write_str("ForAllValues:")?,
            None => {}
        }
        f.write_str(self.operator.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// How the variants of a condition key given under several cases
/// ([`RequestContext::insert_variant`]) combine: so that an ambiguous request is read
/// the way that refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VariantRule {
    /// In an `Allow` statement the condition must hold for every variant.
    Every,
    /// In a `Deny` statement the condition holds if it holds for any variant.
    Any,
}

/// One condition: an operator, a condition key, and the policy values (OR'ed).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Condition {
    /// The operator.
    pub operator: ConditionOperator,
    /// The condition key as written (compared case-insensitively).
    pub key: String,
    /// The policy values; a match against any of them counts.
    pub values: Vec<String>,
}

impl Condition {
    /// Evaluates the condition against the request context, as in an `Allow`
    /// statement: a key given under several cases must satisfy it in every variant.
    /// Unlike [`crate::evaluate`], this has no work budget.
    pub fn evaluate(&self, context: &RequestContext) -> bool {
        self.evaluate_within(context, &Budget::unlimited(), VariantRule::Every)
    }

    /// Evaluates the condition, paying comparisons from `budget` and combining the
    /// variants of a case-ambiguous key by `rule`.
    pub(crate) fn evaluate_within(
        &self,
        context: &RequestContext,
        budget: &Budget,
        rule: VariantRule,
    ) -> bool {
        let variants = context.variants(&self.key);
        match (variants.as_slice(), rule) {
            ([], _) => self.evaluate_values(None, budget),
            ([only], _) => self.evaluate_values(Some(*only), budget),
            (all, VariantRule::Every) => {
                all.iter().all(|&values| self.evaluate_values(Some(values), budget))
            }
            (all, VariantRule::Any) => {
                all.iter().any(|&values| self.evaluate_values(Some(values), budget))
            }
        }
    }

    /// Evaluates the condition against one set of values of its key (`None`: absent).
    fn evaluate_values(&self, values: Option<&[String]>, budget: &Budget) -> bool {
        let ConditionOperator { qualifier, operator, if_exists } = self.operator;
        let present = values.filter(|values| !values.is_empty());
        if operator == Operator::Null {
            return self.values.iter().any(|value| match value.to_ascii_lowercase().as_str() {
                "true" => present.is_none(),
                "false" => present.is_some(),
                _ => false,
            });
        }
        let per_value = |context_value: &String| {
            let hit = self
                .values
                .iter()
                .any(|policy| operator.value_matches(policy, context_value, budget));
            hit != operator.is_negated()
        };
        match (qualifier, present) {
            (Some(SetQualifier::ForAllValues), None) => true,
            (Some(SetQualifier::ForAllValues), Some(values)) => values.iter().all(per_value),
            (Some(SetQualifier::ForAnyValue), None) => if_exists,
            (Some(SetQualifier::ForAnyValue), Some(values)) => values.iter().any(per_value),
            (None, None) => if_exists || operator.is_negated(),
            (None, Some(values)) => {
                if operator.is_negated() {
                    values.iter().all(per_value)
                } else {
                    values.iter().any(per_value)
                }
            }
        }
    }
}

fn numeric(policy: &str, context: &str, compare: impl Fn(f64, f64) -> bool) -> bool {
    match (policy.trim().parse::<f64>(), context.trim().parse::<f64>()) {
        (Ok(policy), Ok(context)) if policy.is_finite() && context.is_finite() => {
            compare(policy, context)
        }
        _ => false,
    }
}

/// Parses an ISO 8601 date-time, a date (`2024-01-01`), or epoch seconds.
pub(crate) fn parse_date(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return OffsetDateTime::from_unix_timestamp(seconds).ok();
    }
    if let Ok(date) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(date);
    }
    if let Ok(date) = OffsetDateTime::parse(text, &Iso8601::DEFAULT) {
        return Some(date);
    }
    let day = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, day).ok().map(|date| date.midnight().assume_utc())
}

fn date(
    policy: &str,
    context: &str,
    compare: impl Fn(OffsetDateTime, OffsetDateTime) -> bool,
) -> bool {
    match (parse_date(policy), parse_date(context)) {
        (Some(policy), Some(context)) => compare(policy, context),
        _ => false,
    }
}

fn ip_in(policy: &str, context: &str) -> bool {
    let Ok(address) = context.trim().parse::<IpAddr>() else {
        return false;
    };
    let policy = policy.trim();
    match policy.parse::<IpNet>() {
        Ok(network) => network.contains(&address),
        Err(_) => policy.parse::<IpAddr>().is_ok_and(|single| single == address),
    }
}

fn arn_like(policy: &str, context: &str, budget: &Budget) -> bool {
    if !budget.spend_len(policy.len() + context.len()) {
        return false;
    }
    let policy_parts: Vec<&str> = policy.splitn(6, ':').collect();
    let context_parts: Vec<&str> = context.splitn(6, ':').collect();
    policy_parts.len() == 6
        && context_parts.len() == 6
        && policy_parts
            .iter()
            .zip(&context_parts)
            .all(|(p, c)| wildcard::matches_within(p, c, budget))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::CallerPrincipal;

    fn context() -> RequestContext {
        RequestContext::new(
            CallerPrincipal::new("arn:aws:iam::111122223333:user/alice", "111122223333"),
            "kms:Encrypt",
            "arn:aws:kms:us-east-1:111122223333:key/k",
            "111122223333",
        )
        .with("aws:SourceIp", ["192.0.2.10"])
        .with("aws:CurrentTime", ["2024-06-01T12:00:00Z"])
        .with("aws:EpochTime", ["1717243200"])
        .with("aws:SecureTransport", ["true"])
        .with("kms:CallerAccount", ["111122223333"])
        .with("kms:ViaService", ["secretsmanager.us-east-1.amazonaws.com"])
        .with("kms:GrantIsForAWSResource", ["false"])
        .with("ec2:InstanceCount", ["5"])
        .with("aws:TagKeys", ["Project", "Owner"])
        .with("aws:EmptyList", Vec::<String>::new())
        .with("custom:Bytes", ["aGVsbG8="])
        .with("aws:SourceIpV6", ["2001:db8::1"])
        .with("aws:SourceArn", ["arn:aws:s3:::bucket/path/file"])
        .with_encryption_context([("Department", "Finance"), ("project", "x")])
    }

    fn check(operator: &str, key: &str, values: &[&str]) -> bool {
        let condition = Condition {
            operator: ConditionOperator::parse(operator).unwrap_or_else(|| panic!("{operator}")),
            key: key.to_owned(),
            values: values.iter().map(|value| (*value).to_owned()).collect(),
        };
        condition.evaluate(&context())
    }

    #[test]
    fn operators() {
        #[rustfmt::skip]
        let cases: &[(&str, &str, &[&str], bool)] = &[
            // Strings.
            ("StringEquals", "kms:CallerAccount", &["111122223333"], true),
            ("StringEquals", "KMS:CALLERACCOUNT", &["111122223333"], true),
            ("StringEquals", "kms:CallerAccount", &["444455556666", "111122223333"], true),
            ("StringEquals", "kms:ViaService", &["SECRETSMANAGER.us-east-1.amazonaws.com"], false),
            ("StringEquals", "aws:Missing", &["x"], false),
            ("StringNotEquals", "kms:CallerAccount", &["444455556666"], true),
            ("StringNotEquals", "kms:CallerAccount", &["444455556666", "111122223333"], false),
            ("StringNotEquals", "aws:Missing", &["x"], true),
            ("StringEqualsIgnoreCase", "kms:ViaService", &["SECRETSMANAGER.us-east-1.amazonaws.com"], true),
            ("StringNotEqualsIgnoreCase", "kms:ViaService", &["SECRETSMANAGER.us-east-1.amazonaws.com"], false),
            ("StringNotEqualsIgnoreCase", "aws:Missing", &["x"], true),
            ("StringLike", "kms:ViaService", &["secretsmanager.*.amazonaws.com"], true),
            ("StringLike", "kms:ViaService", &["ec2.*"], false),
            ("StringLike", "kms:CallerAccount", &["1111222233?3"], true),
            ("StringNotLike", "kms:ViaService", &["ec2.*"], true),
            ("StringNotLike", "kms:ViaService", &["secrets*"], false),
            ("StringNotLike", "aws:Missing", &["*"], true),
            ("StringEqualsIfExists", "aws:Missing", &["x"], true),
            ("StringEqualsIfExists", "kms:CallerAccount", &["x"], false),
            ("StringLikeIfExists", "kms:CallerAccount", &["1111*"], true),
            // Encryption context: the key part is case-insensitive, values are not.
            ("StringEquals", "kms:EncryptionContext:Department", &["Finance"], true),
            ("StringEquals", "kms:EncryptionContext:department", &["Finance"], true),
            ("StringEquals", "kms:EncryptionContext:Department", &["finance"], false),
            ("StringEqualsIgnoreCase", "kms:EncryptionContext:Department", &["finance"], true),
            ("ForAllValues:StringEquals", "kms:EncryptionContextKeys", &["Department", "project"], true),
            ("ForAllValues:StringEquals", "kms:EncryptionContextKeys", &["Department"], false),
            ("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", &["Department"], true),
            ("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", &["department"], false),
            // Numbers.
            ("NumericEquals", "ec2:InstanceCount", &["5"], true),
            ("NumericEquals", "ec2:InstanceCount", &["5.0"], true),
            ("NumericEquals", "ec2:InstanceCount", &["6"], false),
            ("NumericNotEquals", "ec2:InstanceCount", &["6"], true),
            ("NumericNotEquals", "aws:Missing", &["6"], true),
            ("NumericLessThan", "ec2:InstanceCount", &["6"], true),
            ("NumericLessThan", "ec2:InstanceCount", &["5"], false),
            ("NumericLessThanEquals", "ec2:InstanceCount", &["5"], true),
            ("NumericGreaterThan", "ec2:InstanceCount", &["4"], true),
            ("NumericGreaterThan", "ec2:InstanceCount", &["5"], false),
            ("NumericGreaterThanEquals", "ec2:InstanceCount", &["5"], true),
            ("NumericGreaterThan", "aws:Missing", &["0"], false),
            ("NumericEquals", "kms:ViaService", &["5"], false),
            // Dates: ISO 8601 and epoch seconds on either side.
            ("DateEquals", "aws:CurrentTime", &["2024-06-01T12:00:00Z"], true),
            ("DateEquals", "aws:CurrentTime", &["1717243200"], true),
            ("DateEquals", "aws:EpochTime", &["2024-06-01T12:00:00Z"], true),
            ("DateNotEquals", "aws:CurrentTime", &["2024-06-01T12:00:01Z"], true),
            ("DateLessThan", "aws:CurrentTime", &["2024-06-02"], true),
            ("DateLessThan", "aws:CurrentTime", &["2024-06-01T12:00:00Z"], false),
            ("DateLessThanEquals", "aws:CurrentTime", &["2024-06-01T12:00:00Z"], true),
            ("DateGreaterThan", "aws:CurrentTime", &["2024-01-01T00:00:00Z"], true),
            ("DateGreaterThan", "aws:CurrentTime", &["2025-01-01T00:00:00+01:00"], false),
            ("DateGreaterThanEquals", "aws:CurrentTime", &["2024-06-01T12:00:00Z"], true),
            ("DateGreaterThan", "aws:Missing", &["2024-01-01"], false),
            ("DateLessThanIfExists", "aws:Missing", &["2024-01-01"], true),
            // Bool, binary.
            ("Bool", "aws:SecureTransport", &["true"], true),
            ("Bool", "aws:SecureTransport", &["TRUE"], true),
            ("Bool", "aws:SecureTransport", &["false"], false),
            ("Bool", "aws:Missing", &["false"], false),
            ("BoolIfExists", "aws:Missing", &["false"], true),
            ("Bool", "kms:GrantIsForAWSResource", &["false"], true),
            ("BinaryEquals", "custom:Bytes", &["aGVsbG8="], true),
            ("BinaryEquals", "custom:Bytes", &["aGVsbG9v"], false),
            // IP addresses, v4 and v6.
            ("IpAddress", "aws:SourceIp", &["192.0.2.0/24"], true),
            ("IpAddress", "aws:SourceIp", &["203.0.113.0/24", "192.0.2.10"], true),
            ("IpAddress", "aws:SourceIp", &["203.0.113.0/24"], false),
            ("IpAddress", "aws:SourceIp", &["0.0.0.0/0"], true),
            ("IpAddress", "aws:SourceIpV6", &["2001:db8::/32"], true),
            ("IpAddress", "aws:SourceIpV6", &["192.0.2.0/24"], false),
            ("NotIpAddress", "aws:SourceIp", &["203.0.113.0/24"], true),
            ("NotIpAddress", "aws:SourceIp", &["192.0.2.0/24"], false),
            ("NotIpAddress", "aws:Missing", &["192.0.2.0/24"], true),
            ("IpAddress", "aws:Missing", &["0.0.0.0/0"], false),
            // ARNs.
            ("ArnEquals", "aws:PrincipalArn", &["arn:aws:iam::111122223333:user/alice"], true),
            ("ArnLike", "aws:PrincipalArn", &["arn:aws:iam::*:user/*"], true),
            ("ArnLike", "aws:PrincipalArn", &["arn:aws:iam::444455556666:*"], false),
            ("ArnLike", "aws:SourceArn", &["arn:aws:s3:::bucket/*"], true),
            ("ArnLike", "aws:SourceArn", &["arn:aws:s3:::bucket/*/file"], true),
            ("ArnLike", "aws:SourceArn", &["arn:aws:s3:::*"], true),
            ("ArnLike", "aws:SourceArn", &["arn:aws:*"], false),
            ("ArnNotEquals", "aws:PrincipalArn", &["arn:aws:iam::111122223333:user/bob"], true),
            ("ArnNotLike", "aws:PrincipalArn", &["arn:aws:iam::111122223333:user/*"], false),
            ("ArnNotLike", "aws:Missing", &["arn:aws:iam::111122223333:user/*"], true),
            ("ArnLike", "kms:ViaService", &["*"], false),
            // Null.
            ("Null", "aws:Missing", &["true"], true),
            ("Null", "aws:Missing", &["false"], false),
            ("Null", "aws:SourceIp", &["true"], false),
            ("Null", "aws:SourceIp", &["false"], true),
            ("Null", "aws:EmptyList", &["true"], true),
            // Set qualifiers on multi-valued, empty and missing keys.
            ("ForAnyValue:StringEquals", "aws:TagKeys", &["Project"], true),
            ("ForAnyValue:StringEquals", "aws:TagKeys", &["Cost"], false),
            ("ForAllValues:StringEquals", "aws:TagKeys", &["Project", "Owner", "Cost"], true),
            ("ForAllValues:StringEquals", "aws:TagKeys", &["Project"], false),
            ("ForAllValues:StringEquals", "aws:Missing", &["Project"], true),
            ("ForAllValues:StringEquals", "aws:EmptyList", &["Project"], true),
            ("ForAnyValue:StringEquals", "aws:Missing", &["Project"], false),
            ("ForAnyValue:StringEquals", "aws:EmptyList", &["Project"], false),
            ("ForAnyValue:StringEqualsIfExists", "aws:Missing", &["Project"], true),
            ("ForAllValues:StringEqualsIfExists", "aws:Missing", &["Project"], true),
            ("ForAnyValue:StringLike", "aws:TagKeys", &["Own*"], true),
            ("ForAllValues:StringLike", "aws:TagKeys", &["Pro*", "Own*"], true),
            ("ForAnyValue:StringNotEquals", "aws:TagKeys", &["Project"], true),
            ("ForAnyValue:StringNotEquals", "aws:TagKeys", &["Project", "Owner"], false),
            ("ForAllValues:StringNotEquals", "aws:TagKeys", &["Cost"], true),
            ("ForAllValues:StringNotEquals", "aws:TagKeys", &["Owner"], false),
            ("ForAllValues:StringNotEquals", "aws:Missing", &["Owner"], true),
            ("ForAnyValue:StringNotEquals", "aws:Missing", &["Owner"], false),
            // Unqualified operators on a multi-valued key.
            ("StringEquals", "aws:TagKeys", &["Owner"], true),
            ("StringNotEquals", "aws:TagKeys", &["Owner"], false),
            ("StringNotEquals", "aws:TagKeys", &["Cost"], true),
        ];
        for (operator, key, values, expected) in cases {
            assert_eq!(check(operator, key, values), *expected, "{operator} {key} {values:?}");
        }
    }

    /// `{"Tenant": "blue", "tenant": "red"}`: every operator form on
    /// `kms:EncryptionContext:tenant`, read as an allow (every variant must satisfy it)
    /// and as a deny (any variant suffices). Each would be `true` for an allow on the
    /// context `{"tenant": "red"}` alone.
    #[test]
    fn case_variant_keys_fail_closed() {
        let ambiguous = RequestContext::new(
            CallerPrincipal::new("arn:aws:iam::111122223333:user/alice", "111122223333"),
            "kms:Encrypt",
            "arn:aws:kms:us-east-1:111122223333:key/k",
            "111122223333",
        )
        .with_encryption_context([("Tenant", "blue"), ("tenant", "red")]);
        let plain = RequestContext::new(
            CallerPrincipal::new("arn:aws:iam::111122223333:user/alice", "111122223333"),
            "kms:Encrypt",
            "arn:aws:kms:us-east-1:111122223333:key/k",
            "111122223333",
        )
        .with_encryption_context([("tenant", "red")]);
        #[rustfmt::skip]
        let cases: &[(&str, &[&str], bool, bool)] = &[
            // operator, values, as allow, as deny
            ("StringEquals", &["red"], false, true),
            ("StringEqualsIgnoreCase", &["RED"], false, true),
            ("StringLike", &["r*"], false, true),
            ("StringNotEquals", &["blue"], false, true),
            ("StringNotLike", &["b*"], false, true),
            ("ForAnyValue:StringEquals", &["red"], false, true),
            ("ForAllValues:StringEquals", &["red"], false, true),
            ("ForAllValues:StringNotEquals", &["blue"], false, true),
            ("StringEqualsIfExists", &["red"], false, true),
            ("StringNotEqualsIfExists", &["blue"], false, true),
            ("ForAnyValue:StringLikeIfExists", &["red"], false, true),
        ];
        for (operator, values, as_allow, as_deny) in cases {
            let condition = Condition {
                operator: ConditionOperator::parse(operator).unwrap(),
                key: "kms:EncryptionContext:tenant".to_owned(),
                values: values.iter().map(|value| (*value).to_owned()).collect(),
            };
            let budget = Budget::unlimited();
            assert!(condition.evaluate(&plain), "{operator} allows the plain context");
            assert_eq!(
                condition.evaluate_within(&ambiguous, &budget, VariantRule::Every),
                *as_allow,
                "{operator} as allow"
            );
            assert_eq!(
                condition.evaluate_within(&ambiguous, &budget, VariantRule::Any),
                *as_deny,
                "{operator} as deny"
            );
        }
        let null = Condition {
            operator: ConditionOperator::parse("Null").unwrap(),
            key: "kms:EncryptionContext:TENANT".to_owned(),
            values: vec!["false".into()],
        };
        assert!(null.evaluate(&ambiguous));
    }

    #[test]
    fn operator_names_round_trip() {
        for (name, _) in OPERATORS {
            for qualifier in ["", "ForAnyValue:", "ForAllValues:"] {
                for suffix in ["", "IfExists"] {
                    let text = format!("{qualifier}{name}{suffix}");
                    match ConditionOperator::parse(&text) {
                        Some(operator) => assert_eq!(operator.to_string(), text),
                        None => assert_eq!((*name, suffix), ("Null", "IfExists")),
                    }
                }
            }
        }
        assert_eq!(ConditionOperator::parse("StringEqual"), None);
        assert_eq!(ConditionOperator::parse("stringequals"), None);
        assert_eq!(ConditionOperator::parse("ForSomeValues:StringEquals"), None);
    }
}
