//! The policy document: parsing with AWS's error messages, and serialisation.

use serde::ser::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::condition::{Condition, ConditionOperator};
use crate::error::PolicyError;

/// AWS's limit for inline user policies, in characters.
pub const MAX_INLINE_USER_POLICY_SIZE: usize = 2048 * 3;
/// AWS KMS's limit for key policies: 32 KiB.
pub const MAX_KEY_POLICY_SIZE: usize = 32 * 1024;
/// The two policy language versions.
pub const VERSIONS: [&str; 2] = ["2012-10-17", "2008-10-17"];

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// `Version`, if given (`2012-10-17` or `2008-10-17`).
    pub version: Option<String>,
    /// `Id`, if given.
    pub id: Option<String>,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Grants what the statement matches.
    Allow,
    /// Refuses what the statement matches, overriding every allow.
    Deny,
}

/// Who a statement of a resource policy is about.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Principals {
    /// `"*"` or `{"AWS": "*"}`: anyone.
    pub any: bool,
    /// `AWS` principals: ARNs or account ids.
    pub aws: Vec<String>,
    /// `Service` principals, e.g. `secretsmanager.amazonaws.com`.
    pub service: Vec<String>,
    /// `Federated` principals.
    pub federated: Vec<String>,
    /// `CanonicalUser` principals.
    pub canonical_user: Vec<String>,
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalBlock {
    /// The statement applies to these principals.
    Principal(Principals),
    /// The statement applies to everyone except these principals.
    NotPrincipal(Principals),
}

/// `Action` or `NotAction`: patterns such as `kms:Encrypt`, `kms:*`, `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionBlock {
    /// The statement covers these actions.
    Action(Vec<String>),
    /// The statement covers every action except these.
    NotAction(Vec<String>),
}

/// `Resource` or `NotResource`: ARN patterns or `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceBlock {
    /// The statement covers these resources.
    Resource(Vec<String>),
    /// The statement covers every resource except these.
    NotResource(Vec<String>),
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `Sid`, if given.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Principal`/`NotPrincipal` (resource policies only).
    pub principal: Option<PrincipalBlock>,
    /// `Action`/`NotAction`.
    pub action: ActionBlock,
    /// `Resource`/`NotResource`.
    pub resource: ResourceBlock,
    /// `Condition`, flattened: every condition must hold.
    pub conditions: Vec<Condition>,
}

/// Whether the document is attached to an identity or to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Identity,
    Resource,
}

impl Policy {
    /// Parses an identity policy (attached to a user, group or role): no statement may
    /// name a principal. `max_size` is in characters
    /// (see [`MAX_INLINE_USER_POLICY_SIZE`]).
    pub fn parse_identity(json: &str, max_size: usize) -> Result<Self, PolicyError> {
        Self::parse(json, max_size, Kind::Identity)
    }

    /// Parses a resource policy (a key policy, a secret's resource policy): every
    /// statement must name a principal. `max_size` is in characters
    /// (see [`MAX_KEY_POLICY_SIZE`]).
    pub fn parse_resource(json: &str, max_size: usize) -> Result<Self, PolicyError> {
        Self::parse(json, max_size, Kind::Resource)
    }

    fn parse(json: &str, max_size: usize, kind: Kind) -> Result<Self, PolicyError> {
        let size = json.chars().count();
        if size > max_size {
            return Err(PolicyError::TooLarge { size, max: max_size });
        }
        let value: Value = serde_json::from_str(json)
            .map_err(|_| PolicyError::malformed("Syntax errors in policy."))?;
        let Value::Object(object) = value else {
            return Err(PolicyError::malformed("Syntax errors in policy."));
        };
        let mut version = None;
        let mut id = None;
        let mut statements = None;
        for (field, value) in object {
            match field.as_str() {
                "Version" => match value {
                    Value::String(text) if VERSIONS.contains(&text.as_str()) => {
                        version = Some(text)
                    }
                    _ => {
                        return Err(PolicyError::malformed(
                            "The policy failed legacy parsing: Version must be \"2012-10-17\" or \"2008-10-17\".",
                        ));
                    }
                },
                "Id" => id = Some(string_field("Id", value)?),
                "Statement" => {
                    let list = match value {
                        Value::Array(list) => list,
                        single @ Value::Object(_) => vec![single],
                        _ => {
                            return Err(PolicyError::malformed(
                                "Statement must be an object or a list of objects.",
                            ));
                        }
                    };
                    if list.is_empty() {
                        return Err(PolicyError::malformed(
                            "Policy document must contain at least one statement.",
                        ));
                    }
                    statements = Some(
                        list.into_iter()
                            .map(|statement| parse_statement(statement, kind))
                            .collect::<Result<Vec<_>, _>>()?,
                    );
                }
                other => {
                    return Err(PolicyError::malformed(format!(
                        "Policy document contains an unknown field: {}",
                        truncate(other)
                    )));
                }
            }
        }
        let Some(statements) = statements else {
            return Err(PolicyError::malformed("Missing required field Statement"));
        };
        let mut sids: Vec<&str> = statements.iter().filter_map(|s| s.sid.as_deref()).collect();
        if kind == Kind::Identity
            && sids.iter().any(|sid| !sid.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(PolicyError::malformed(
                "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
            ));
        }
        sids.sort_unstable();
        if sids.windows(2).any(|pair| pair.first() == pair.get(1)) {
            return Err(PolicyError::malformed(
                "Statement IDs (SID) in a single policy must be unique.",
            ));
        }
        Ok(Self { version, id, statements })
    }

    /// The document as JSON (single values are written as lists).
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// The document as a JSON value.
    pub fn to_value(&self) -> Value {
        let mut object = Map::new();
        if let Some(version) = &self.version {
            object.insert("Version".into(), Value::String(version.clone()));
        }
        if let Some(id) = &self.id {
            object.insert("Id".into(), Value::String(id.clone()));
        }
        object.insert(
            "Statement".into(),
            Value::Array(self.statements.iter().map(Statement::to_value).collect()),
        );
        Value::Object(object)
    }
}

impl Serialize for Policy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl Statement {
    fn to_value(&self) -> Value {
        let mut object = Map::new();
        if let Some(sid) = &self.sid {
            object.insert("Sid".into(), Value::String(sid.clone()));
        }
        let effect = match self.effect {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        };
        object.insert("Effect".into(), Value::String(effect.into()));
        match &self.principal {
            Some(PrincipalBlock::Principal(principals)) => {
                object.insert("Principal".into(), principals.to_value());
            }
            Some(PrincipalBlock::NotPrincipal(principals)) => {
                object.insert("NotPrincipal".into(), principals.to_value());
            }
            None => {}
        }
        match &self.action {
            ActionBlock::Action(list) => object.insert("Action".into(), strings(list)),
            ActionBlock::NotAction(list) => object.insert("NotAction".into(), strings(list)),
        };
        match &self.resource {
            ResourceBlock::Resource(list) => object.insert("Resource".into(), strings(list)),
            ResourceBlock::NotResource(list) => object.insert("NotResource".into(), strings(list)),
        };
        if !self.conditions.is_empty() {
            let mut operators = Map::new();
            for condition in &self.conditions {
                let entry = operators
                    .entry(condition.operator.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(keys) = entry {
                    keys.insert(condition.key.clone(), strings(&condition.values));
                }
            }
            object.insert("Condition".into(), Value::Object(operators));
        }
        Value::Object(object)
    }
}

impl Principals {
    fn to_value(&self) -> Value {
        if self.any
            && self.aws.is_empty()
            && self.service.is_empty()
            && self.federated.is_empty()
            && self.canonical_user.is_empty()
        {
            return Value::String("*".into());
        }
        let mut object = Map::new();
        let mut aws = self.aws.clone();
        if self.any {
            aws.insert(0, "*".into());
        }
        for (name, list) in [
            ("AWS", &aws),
            ("Service", &self.service),
            ("Federated", &self.federated),
            ("CanonicalUser", &self.canonical_user),
        ] {
            if !list.is_empty() {
                object.insert(name.into(), strings(list));
            }
        }
        Value::Object(object)
    }
}

fn strings(list: &[String]) -> Value {
    Value::Array(list.iter().cloned().map(Value::String).collect())
}

fn truncate(text: &str) -> String {
    text.chars().take(64).collect()
}

fn string_field(field: &str, value: Value) -> Result<String, PolicyError> {
    match value {
        Value::String(text) => Ok(text),
        _ => Err(PolicyError::malformed(format!("{field} must be a string."))),
    }
}

/// A string or a non-empty list of strings.
fn string_list(field: &str, value: Value) -> Result<Vec<String>, PolicyError> {
    let list = match value {
        Value::String(text) => vec![text],
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(text),
                _ => Err(PolicyError::malformed(format!("{field} must contain only strings."))),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => {
            return Err(PolicyError::malformed(format!(
                "{field} must be a string or a list of strings."
            )));
        }
    };
    Ok(list)
}

fn parse_statement(value: Value, kind: Kind) -> Result<Statement, PolicyError> {
    let Value::Object(object) = value else {
        return Err(PolicyError::malformed("Statement must be an object or a list of objects."));
    };
    let mut sid = None;
    let mut effect = None;
    let mut principal = None;
    let mut action = None;
    let mut resource = None;
    let mut conditions = Vec::new();
    for (field, value) in object {
        match field.as_str() {
            "Sid" => sid = Some(string_field("Sid", value)?),
            "Effect" => {
                effect = Some(match value {
                    Value::String(text) if text == "Allow" => Effect::Allow,
                    Value::String(text) if text == "Deny" => Effect::Deny,
                    Value::String(text) => {
                        return Err(PolicyError::malformed(format!(
                            "Invalid effect: {}",
                            truncate(&text)
                        )));
                    }
                    _ => {
                        return Err(PolicyError::malformed(
                            "Invalid effect: Effect must be a string.",
                        ));
                    }
                })
            }
            "Principal" | "NotPrincipal" => {
                if principal.is_some() {
                    return Err(PolicyError::malformed(
                        "Statement cannot contain both Principal and NotPrincipal.",
                    ));
                }
                let principals = parse_principals(value)?;
                principal = Some(if field == "Principal" {
                    PrincipalBlock::Principal(principals)
                } else {
                    PrincipalBlock::NotPrincipal(principals)
                });
            }
            "Action" | "NotAction" => {
                if action.is_some() {
                    return Err(PolicyError::malformed(
                        "Statement cannot contain both Action and NotAction.",
                    ));
                }
                let list = string_list(&field, value)?;
                if list.is_empty() {
                    return Err(PolicyError::malformed("Policy statement must contain actions."));
                }
                for pattern in &list {
                    if pattern != "*"
                        && !pattern
                            .split_once(':')
                            .is_some_and(|(vendor, name)| !vendor.is_empty() && !name.is_empty())
                    {
                        return Err(PolicyError::malformed(
                            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
                        ));
                    }
                }
                action = Some(if field == "Action" {
                    ActionBlock::Action(list)
                } else {
                    ActionBlock::NotAction(list)
                });
            }
            "Resource" | "NotResource" => {
                if resource.is_some() {
                    return Err(PolicyError::malformed(
                        "Statement cannot contain both Resource and NotResource.",
                    ));
                }
                let list = string_list(&field, value)?;
                if list.is_empty() {
                    return Err(PolicyError::malformed("Policy statement must contain resources."));
                }
                for pattern in &list {
                    if pattern != "*" && !pattern.starts_with("arn:") {
                        return Err(PolicyError::malformed(format!(
                            "Resource {} must be in ARN format or \"*\".",
                            truncate(pattern)
                        )));
                    }
                }
                resource = Some(if field == "Resource" {
                    ResourceBlock::Resource(list)
                } else {
                    ResourceBlock::NotResource(list)
                });
            }
            "Condition" => conditions = parse_conditions(value)?,
            other => {
                return Err(PolicyError::malformed(format!(
                    "Statement contains an unknown field: {}",
                    truncate(other)
                )));
            }
        }
    }
    let Some(effect) = effect else {
        return Err(PolicyError::malformed("Missing required field Effect"));
    };
    let Some(action) = action else {
        return Err(PolicyError::malformed("Policy statement must contain actions."));
    };
    let Some(resource) = resource else {
        return Err(PolicyError::malformed("Policy statement must contain resources."));
    };
    match (kind, &principal) {
        (Kind::Identity, Some(_)) => {
            return Err(PolicyError::malformed("Policy document should not specify a principal."));
        }
        (Kind::Resource, None) => {
            return Err(PolicyError::malformed("Policy statement must contain a principal."));
        }
        _ => {}
    }
    Ok(Statement { sid, effect, principal, action, resource, conditions })
}

fn parse_principals(value: Value) -> Result<Principals, PolicyError> {
    let mut principals = Principals::default();
    match value {
        Value::String(text) if text == "*" => principals.any = true,
        Value::Object(object) => {
            if object.is_empty() {
                return Err(PolicyError::malformed(
                    "Invalid principal in policy: empty principal.",
                ));
            }
            for (kind, value) in object {
                let list = string_list("Principal", value)?;
                if list.is_empty() {
                    return Err(PolicyError::malformed("Invalid principal in policy: empty list."));
                }
                let target = match kind.as_str() {
                    "AWS" => &mut principals.aws,
                    "Service" => &mut principals.service,
                    "Federated" => &mut principals.federated,
                    "CanonicalUser" => &mut principals.canonical_user,
                    other => {
                        return Err(PolicyError::malformed(format!(
                            "Invalid principal in policy: \"{}\"",
                            truncate(other)
                        )));
                    }
                };
                for entry in list {
                    if kind == "AWS" && entry == "*" {
                        principals.any = true;
                        continue;
                    }
                    if kind == "AWS" && !is_account_id(&entry) && !entry.starts_with("arn:") {
                        return Err(PolicyError::malformed(format!(
                            "Invalid principal in policy: \"AWS\":\"{}\"",
                            truncate(&entry)
                        )));
                    }
                    target.push(entry);
                }
            }
        }
        _ => return Err(PolicyError::malformed("Invalid principal in policy.")),
    }
    Ok(principals)
}

/// Twelve digits.
pub(crate) fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|byte| byte.is_ascii_digit())
}

fn parse_conditions(value: Value) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(operators) = value else {
        return Err(PolicyError::malformed("Condition must be an object."));
    };
    let mut conditions = Vec::new();
    for (operator_name, keys) in operators {
        let Some(operator) = ConditionOperator::parse(&operator_name) else {
            return Err(PolicyError::malformed(format!(
                "Invalid Condition type : {}.",
                truncate(&operator_name)
            )));
        };
        let Value::Object(keys) = keys else {
            return Err(PolicyError::malformed(format!(
                "Condition {operator_name} must map condition keys to values."
            )));
        };
        for (key, values) in keys {
            if !key
                .split_once(':')
                .is_some_and(|(vendor, name)| !vendor.is_empty() && !name.is_empty())
            {
                return Err(PolicyError::malformed(
                    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
                ));
            }
            let values = match values {
                Value::Array(items) => {
                    items.into_iter().map(condition_value).collect::<Result<Vec<_>, _>>()?
                }
                single => vec![condition_value(single)?],
            };
            conditions.push(Condition { operator, key, values });
        }
    }
    Ok(conditions)
}

fn condition_value(value: Value) -> Result<String, PolicyError> {
    match value {
        Value::String(text) => Ok(text),
        Value::Number(number) => Ok(number.to_string()),
        Value::Bool(flag) => Ok(flag.to_string()),
        _ => Err(PolicyError::malformed("Condition values must be strings, numbers or booleans.")),
    }
}
