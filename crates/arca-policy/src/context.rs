//! The request context: who asks, to do what, on what, with which condition keys.

use std::collections::HashMap;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerPrincipal {
    /// The caller's ARN, e.g. `arn:aws:iam::111122223333:user/alice` or
    /// `arn:aws:iam::111122223333:root`.
    pub arn: String,
    /// The caller's account, e.g. `111122223333`.
    pub account_id: String,
    /// Whether the caller is its account's root principal.
    pub is_account_root: bool,
    /// For an assumed-role session (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`),
    /// the role's ARN (`arn:aws:iam::ACCOUNT:role/ROLE`): policies that name the role
    /// match the session, and `aws:PrincipalArn` is the role's ARN, as in AWS.
    pub role_arn: Option<String>,
}

impl CallerPrincipal {
    /// An IAM user or role (not the account root).
    pub fn new(arn: impl Into<String>, account_id: impl Into<String>) -> Self {
        Self {
            arn: arn.into(),
            account_id: account_id.into(),
            is_account_root: false,
            role_arn: None,
        }
    }

    /// A session of an assumed role.
    pub fn assumed_role(
        session_arn: impl Into<String>,
        role_arn: impl Into<String>,
        account_id: impl Into<String>,
    ) -> Self {
        Self {
            arn: session_arn.into(),
            account_id: account_id.into(),
            is_account_root: false,
            role_arn: Some(role_arn.into()),
        }
    }

    /// The root principal of `account_id` (`arn:aws:iam::ACCOUNT:root`).
    pub fn account_root(account_id: impl Into<String>) -> Self {
        let account_id = account_id.into();
        Self {
            arn: format!("arn:aws:iam::{account_id}:root"),
            account_id,
            is_account_root: true,
            role_arn: None,
        }
    }
}

/// Everything policy evaluation looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// The caller.
    pub principal: CallerPrincipal,
    /// The action, e.g. `kms:Encrypt`.
    pub action: String,
    /// The resource ARN, e.g. `arn:aws:kms:us-east-1:111122223333:key/1234abcd-...`.
    pub resource: String,
    /// The account that owns the resource.
    pub resource_account: String,
    keys: HashMap<String, Vec<String>>,
    /// Further values of keys given more than once under different cases
    /// (`kms:EncryptionContext:Tenant` and `kms:EncryptionContext:tenant`), each
    /// insertion kept apart; the first stays in `keys`.
    variants: HashMap<String, Vec<Vec<String>>>,
}

impl RequestContext {
    /// A context without condition keys. `aws:PrincipalArn` (the role's ARN for a role
    /// session) and `aws:PrincipalAccount` are filled in from the principal.
    pub fn new(
        principal: CallerPrincipal,
        action: impl Into<String>,
        resource: impl Into<String>,
        resource_account: impl Into<String>,
    ) -> Self {
        let mut context = Self {
            action: action.into(),
            resource: resource.into(),
            resource_account: resource_account.into(),
            keys: HashMap::new(),
            variants: HashMap::new(),
            principal,
        };
        let arn =
            context.principal.role_arn.clone().unwrap_or_else(|| context.principal.arn.clone());
        let account = context.principal.account_id.clone();
        context.insert("aws:PrincipalArn", [arn]);
        context.insert("aws:PrincipalAccount", [account]);
        context
    }

    /// Sets a condition key (replacing earlier values). Key names are compared
    /// case-insensitively, including the `KEY` part of `kms:EncryptionContext:KEY`
    /// (as AWS KMS documents); values are kept as given. An empty list of values is a
    /// key that is present with no values (it matters to `ForAllValues` and `Null`).
    pub fn insert<I, S>(&mut self, key: &str, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let name = key.to_lowercase();
        self.variants.remove(&name);
        self.keys.insert(name, values.into_iter().map(Into::into).collect());
    }

    /// Adds values for a key that may already be present under another case, keeping
    /// each insertion as its own variant rather than letting the last one win. An
    /// encryption context may hold `Tenant` and `tenant` (its keys are case-sensitive)
    /// while `kms:EncryptionContext:tenant` names both: a condition on such a key
    /// must then hold for every variant to allow, and holds for a deny if it holds for
    /// any variant, so an ambiguous request is read the way that refuses it.
    pub fn insert_variant<I, S>(&mut self, key: &str, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let name = key.to_lowercase();
        let values: Vec<String> = values.into_iter().map(Into::into).collect();
        match self.keys.entry(name) {
            std::collections::hash_map::Entry::Occupied(entry) => {
                self.variants.entry(entry.key().clone()).or_default().push(values);
            }
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(values);
            }
        }
    }

    /// Builder form of [`RequestContext::insert`].
    pub fn with<I, S>(mut self, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.insert(key, values);
        self
    }

    /// Adds `kms:EncryptionContext:KEY` for each pair and `kms:EncryptionContextKeys`.
    pub fn with_encryption_context<'a, I>(mut self, pairs: I) -> Self
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut keys = Vec::new();
        for (key, value) in pairs {
            self.insert_variant(&format!("kms:EncryptionContext:{key}"), [value]);
            keys.push(key.to_owned());
        }
        self.insert("kms:EncryptionContextKeys", keys);
        self
    }

    /// The values of a condition key, or `None` when the request lacks it. For a key
    /// given under several cases, the first variant (see [`Self::variants`]).
    pub fn values(&self, key: &str) -> Option<&[String]> {
        match self.keys.get(key) {
            Some(values) => Some(values),
            None => self.keys.get(&key.to_lowercase()).map(Vec::as_slice),
        }
    }

    /// Every variant of a condition key's values: one for an ordinary key, several
    /// for a key given under several cases ([`Self::insert_variant`]), none when the
    /// request lacks it.
    pub fn variants(&self, key: &str) -> Vec<&[String]> {
        let name = key.to_lowercase();
        let Some(first) = self.keys.get(&name) else {
            return Vec::new();
        };
        let mut all = vec![first.as_slice()];
        if let Some(more) = self.variants.get(&name) {
            all.extend(more.iter().map(Vec::as_slice));
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_variant_context_keys_are_kept_apart() {
        let context = RequestContext::new(
            CallerPrincipal::new("arn:aws:iam::111122223333:user/alice", "111122223333"),
            "kms:Encrypt",
            "*",
            "111122223333",
        )
        .with_encryption_context([("Tenant", "blue"), ("tenant", "red"), ("app", "x")]);
        let tenant: Vec<&[String]> = context.variants("kms:EncryptionContext:TENANT");
        assert_eq!(tenant, vec![&["blue".to_string()][..], &["red".to_string()][..]]);
        assert_eq!(context.variants("kms:EncryptionContext:app").len(), 1);
        assert!(context.variants("kms:EncryptionContext:missing").is_empty());
        assert_eq!(context.values("kms:EncryptionContextKeys").map(<[String]>::len), Some(3),);
        // `insert` replaces every variant.
        let context = context.with("kms:EncryptionContext:tenant", ["green"]);
        assert_eq!(context.variants("kms:EncryptionContext:tenant").len(), 1);
    }
}
