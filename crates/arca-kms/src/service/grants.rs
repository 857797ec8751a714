//! Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant, and
//! the test a grant passes in authorisation.
//!
//! A grant allows its grantee principal the operations it names on one key, under its
//! encryption context constraints; it never overrides an explicit deny in a key or IAM
//! policy (`Caller::authorize_with_grant`). Grants are stored in their own table and
//! every grant write also rewrites the key record, so the key cache (which holds the
//! grants) drops the key on every node at once; a new grant is therefore usable on the
//! next request, and a grant token only has to name it.

use arca_gate::{Access, Caller, ResourceMode};
use arca_store::{Precondition, Store, Write};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::KmsService;
use crate::{
    KmsError,
    api::{
        CreateGrantRequest, CreateGrantResponse, Empty, GrantConstraints, GrantListEntry,
        ListGrantsRequest, ListGrantsResponse, ListRetirableGrantsRequest, RetireGrantRequest,
        RevokeGrantRequest,
    },
    cache::CachedKey,
    operation::Operation,
    paging::{Page, decode_marker},
    record::{GRANTS, GrantRecord, RETIRABLE_GRANTS},
    validate::{self, Validator},
    wire::{EncryptionContext, Timestamp},
};

/// The GrantOperation values of the model.
const GRANT_OPERATIONS: &[&str] = &[
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "Sign",
    "Verify",
    "GetPublicKey",
    "CreateGrant",
    "RetireGrant",
    "DescribeKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac",
    "VerifyMac",
    "DeriveSharedSecret",
    "Encapsulate",
    "Decapsulate",
];

/// The operations that carry an encryption context, the only ones a grant with
/// constraints may name.
const CONTEXT_OPERATIONS: &[&str] = &[
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "CreateGrant",
    "RetireGrant",
];

/// AWS's quota of grants per key.
const MAX_GRANTS_PER_KEY: usize = 50_000;
const TOKEN_PREFIX: &str = "arca-grant:";

/// Loads a key's grants (for the key cache).
pub(super) async fn load(store: &dyn Store, key_id: &str) -> Result<Vec<GrantRecord>, KmsError> {
    let prefix = format!("{key_id}/");
    let mut grants = Vec::new();
    let mut start_after: Option<String> = None;
    loop {
        let page = store.list(GRANTS, &prefix, start_after.as_deref(), 1000).await?;
        let Some(last) = page.last() else { break };
        start_after = Some(last.key.clone());
        for row in page {
            grants.push(
                serde_json::from_slice(&row.value)
                    .map_err(|e| KmsError::internal("decode grant", e))?,
            );
        }
    }
    Ok(grants)
}

/// The writes that delete every grant of a key that is being deleted.
pub(super) async fn deletions(store: &dyn Store, key: &str) -> Result<Vec<Write>, KmsError> {
    Ok(load(store, key).await?.iter().flat_map(grant_deletion).collect())
}

/// The writes that delete one grant and its retirable-grants index entry.
fn grant_deletion(grant: &GrantRecord) -> Vec<Write> {
    let grant_key = format!("{}/{}", grant.key_id, grant.grant_id);
    let mut writes = vec![Write::delete(GRANTS, &grant_key, Precondition::None)];
    if let Some(retiring) = &grant.retiring_principal {
        let index = retirable_key(retiring, grant);
        writes.push(Write::delete(RETIRABLE_GRANTS, &index, Precondition::None));
    }
    writes
}

/// Whether `context` meets a grant's constraints.
fn constraints_hold(grant: &GrantRecord, context: Option<&EncryptionContext>) -> bool {
    let empty = EncryptionContext::new();
    let context = context.unwrap_or(&empty);
    let equals = grant.context_equals.as_ref().is_none_or(|wanted| wanted == context);
    let subset = grant
        .context_subset
        .as_ref()
        .is_none_or(|wanted| wanted.iter().all(|(name, value)| context.get(name) == Some(value)));
    equals && subset
}

/// Whether a grant names the caller as its grantee.
fn is_grantee(grant: &GrantRecord, caller: &Caller) -> bool {
    grant.grantee_principal == caller.principal_arn()
}

/// Whether one of `grants` allows `caller` to perform `operation` with `context`.
pub(super) fn allow(
    grants: &[GrantRecord],
    caller: &Caller,
    operation: Operation,
    context: Option<&EncryptionContext>,
) -> bool {
    let name = operation.name();
    grants.iter().any(|grant| {
        is_grantee(grant, caller)
            && grant.operations.iter().any(|op| op == name)
            && constraints_hold(grant, context)
    })
}

/// The grant token of a grant: it names the key and the grant. Grants are usable as
/// soon as they are made, so the token carries no authority of its own.
fn token(grant: &GrantRecord) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{}/{}", grant.key_id, grant.grant_id))
}

/// Refuses grant tokens this service did not issue (InvalidGrantTokenException, as
/// AWS answers). A well-formed token needs nothing more: grants take effect at once.
pub(super) fn check_tokens(tokens: Option<&Vec<String>>) -> Result<(), KmsError> {
    for token in tokens.into_iter().flatten() {
        parse_token(token)?;
    }
    Ok(())
}

/// The (key id, grant id) a grant token names.
fn parse_token(token: &str) -> Result<(String, String), KmsError> {
    let invalid = || KmsError::InvalidGrantToken("The grant token is not valid.".into());
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let rest = text.strip_prefix(TOKEN_PREFIX).ok_or_else(invalid)?;
    let (key_id, grant_id) = rest.split_once('/').ok_or_else(invalid)?;
    Ok((key_id.to_string(), grant_id.to_string()))
}

fn entry(grant: &GrantRecord, key_arn: &str) -> GrantListEntry {
    let constraints =
        (grant.context_equals.is_some() || grant.context_subset.is_some()).then(|| {
            GrantConstraints {
                encryption_context_equals: grant.context_equals.clone(),
                encryption_context_subset: grant.context_subset.clone(),
                source_arn: None,
            }
        });
    GrantListEntry {
        key_id: Some(key_arn.to_string()),
        grant_id: Some(grant.grant_id.clone()),
        name: grant.name.clone(),
        creation_date: Some(Timestamp(grant.creation_date)),
        grantee_principal: Some(grant.grantee_principal.clone()),
        retiring_principal: grant.retiring_principal.clone(),
        issuing_account: Some(grant.issuing_account.clone()),
        operations: Some(grant.operations.clone()),
        constraints,
    }
}

fn retirable_key(principal: &str, grant: &GrantRecord) -> String {
    format!("{principal}|{}/{}", grant.key_id, grant.grant_id)
}

fn validate_principal(v: &mut Validator, member: &str, value: Option<&String>) {
    v.length(member, value, 1, 256);
    v.chars(member, value, "^[\\w+=,.@:/-]+$", |c| c.is_alphanumeric() || "_+=,.@:/-".contains(c));
}

impl KmsService {
    /// CreateGrant: allowed by policy, or by a grant for CreateGrant that covers every
    /// operation and constraint of the new grant.
    pub async fn create_grant(
        &self,
        caller: &Caller,
        input: CreateGrantRequest,
    ) -> Result<CreateGrantResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        validate_principal(&mut v, "granteePrincipal", input.grantee_principal.as_ref());
        validate_principal(&mut v, "retiringPrincipal", input.retiring_principal.as_ref());
        v.required("operations", &input.operations);
        for operation in input.operations.iter().flatten() {
            v.one_of("operations.member", Some(operation), GRANT_OPERATIONS);
        }
        validate::grant_tokens(&mut v, input.grant_tokens.as_ref());
        v.length("name", input.name.as_ref(), 1, 256);
        v.chars("name", input.name.as_ref(), "^[a-zA-Z0-9:/_-]+$", |c| {
            c.is_ascii_alphanumeric() || ":/_-".contains(c)
        });
        v.finish()?;
        check_tokens(input.grant_tokens.as_ref())?;
        if input.grantee_service_principal.is_some() || input.retiring_service_principal.is_some() {
            return Err(KmsError::UnsupportedOperation(
                "Service principals in grants are not supported by this server.".into(),
            ));
        }
        let Some(grantee) = input.grantee_principal else {
            return Err(KmsError::Validation(
                "Either GranteePrincipal or GranteeServicePrincipal must be specified.".into(),
            ));
        };
        let mut operations = input.operations.unwrap_or_default();
        operations.sort();
        operations.dedup();
        if operations.is_empty() {
            return Err(KmsError::Validation(
                "Operations must name at least one operation.".into(),
            ));
        }
        let constraints = input.constraints.unwrap_or_default();
        if constraints.source_arn.is_some() {
            return Err(KmsError::UnsupportedOperation(
                "The SourceArn grant constraint applies to service principals, which this server does not support.".into(),
            ));
        }
        let constrained = constraints.encryption_context_equals.is_some()
            || constraints.encryption_context_subset.is_some();
        if constrained && operations.iter().any(|op| !CONTEXT_OPERATIONS.contains(&op.as_str())) {
            return Err(KmsError::Validation(
                "Grant constraints are valid only with operations that take an encryption context."
                    .into(),
            ));
        }
        let key = self
            .resolve(caller, input.key_id.as_deref().unwrap_or_default(), Operation::CreateGrant)
            .await?;
        let new_grant = GrantRecord {
            grant_id: hex::encode(arca_crypto::random::bytes(32)),
            key_id: key.record.store_key(),
            name: input.name,
            creation_date: self.now_ms(),
            grantee_principal: grantee,
            retiring_principal: input.retiring_principal,
            issuing_account: format!("arn:aws:iam::{}:root", caller.account_id()),
            operations,
            context_equals: constraints.encryption_context_equals,
            context_subset: constraints.encryption_context_subset,
        };
        self.authorize_create_grant(caller, &key, &new_grant)?;
        Self::check_not_pending_deletion(&key.record)?;
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        // Retrying with the same name and parameters returns the same grant.
        let same = |existing: &GrantRecord| {
            new_grant.name.is_some()
                && GrantRecord {
                    grant_id: existing.grant_id.clone(),
                    creation_date: existing.creation_date,
                    issuing_account: existing.issuing_account.clone(),
                    ..new_grant.clone()
                } == *existing
        };
        if let Some(existing) = key.grants.iter().find(|g| same(g)) {
            return Ok(CreateGrantResponse {
                grant_token: Some(token(existing)),
                grant_id: Some(existing.grant_id.clone()),
            });
        }
        if key.grants.len() >= MAX_GRANTS_PER_KEY {
            return Err(KmsError::LimitExceeded(format!(
                "The grants quota ({MAX_GRANTS_PER_KEY}) for this KMS key has been reached."
            )));
        }
        let value =
            serde_json::to_vec(&new_grant).map_err(|e| KmsError::internal("encode grant", e))?;
        let grant_key = format!("{}/{}", new_grant.key_id, new_grant.grant_id);
        let mut writes = vec![Write::put(GRANTS, &grant_key, value, Precondition::Absent)];
        if let Some(retiring) = &new_grant.retiring_principal {
            let index = retirable_key(retiring, &new_grant);
            writes.push(Write::put(RETIRABLE_GRANTS, &index, Vec::new(), Precondition::None));
        }
        // Rewriting the key record drops the key (and its grants) from every cache.
        self.update_key(&key.record.store_key(), |_, _| Ok(writes.clone())).await?;
        Ok(CreateGrantResponse {
            grant_token: Some(token(&new_grant)),
            grant_id: Some(new_grant.grant_id),
        })
    }

    /// The authorisation of CreateGrant, with its condition keys; a grant for
    /// CreateGrant lets its grantee create only grants within its own reach.
    fn authorize_create_grant(
        &self,
        caller: &Caller,
        key: &CachedKey,
        new_grant: &GrantRecord,
    ) -> Result<(), KmsError> {
        let mut keys = vec![
            ("kms:GranteePrincipal".to_string(), vec![new_grant.grantee_principal.clone()]),
            ("kms:GrantOperations".to_string(), new_grant.operations.clone()),
            ("kms:GrantIsForAWSResource".to_string(), vec!["false".to_string()]),
        ];
        if let Some(retiring) = &new_grant.retiring_principal {
            keys.push(("kms:RetiringPrincipal".into(), vec![retiring.clone()]));
        }
        let mut constraint_types = Vec::new();
        if new_grant.context_equals.is_some() {
            constraint_types.push("EncryptionContextEquals".to_string());
        }
        if new_grant.context_subset.is_some() {
            constraint_types.push("EncryptionContextSubset".to_string());
        }
        if !constraint_types.is_empty() {
            keys.push(("kms:GrantConstraintType".into(), constraint_types));
        }
        let covered = |grant: &GrantRecord| {
            is_grantee(grant, caller)
                && grant.operations.iter().any(|op| op == "CreateGrant")
                && new_grant.operations.iter().all(|op| grant.operations.contains(op))
                && (grant.context_equals.is_none()
                    || grant.context_equals == new_grant.context_equals)
                && grant.context_subset.as_ref().is_none_or(|wanted| {
                    let narrower = |context: &Option<EncryptionContext>| {
                        context.as_ref().is_some_and(|c| {
                            wanted.iter().all(|(name, value)| c.get(name) == Some(value))
                        })
                    };
                    narrower(&new_grant.context_subset) || narrower(&new_grant.context_equals)
                })
        };
        self.authorize_with(caller, key, Operation::CreateGrant, None, keys, || {
            key.grants.iter().any(covered)
        })
    }

    /// ListGrants: a key's grants, filtered by grant id or grantee, in pages.
    pub async fn list_grants(
        &self,
        caller: &Caller,
        input: ListGrantsRequest,
    ) -> Result<ListGrantsResponse, KmsError> {
        let mut v = Validator::new();
        validate::paging(&mut v, input.limit, input.marker.as_ref());
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.length("grantId", input.grant_id.as_ref(), 1, 128);
        validate_principal(&mut v, "granteePrincipal", input.grantee_principal.as_ref());
        v.finish()?;
        let key = self.key_for_action(caller, &input.key_id, Operation::ListGrants).await?;
        let prefix = format!("{}/", key.record.store_key());
        let after = decode_marker(input.marker.as_deref(), &prefix)?;
        let mut rows: Vec<&GrantRecord> = key
            .grants
            .iter()
            .filter(|g| input.grant_id.as_ref().is_none_or(|id| *id == g.grant_id))
            .filter(|g| input.grantee_principal.as_ref().is_none_or(|p| *p == g.grantee_principal))
            .filter(|g| {
                after.as_ref().is_none_or(|after| format!("{}/{}", g.key_id, g.grant_id) > *after)
            })
            .collect();
        rows.sort_by(|a, b| a.grant_id.cmp(&b.grant_id));
        let limit = input.limit.unwrap_or(50) as usize;
        rows.truncate(limit + 1);
        let page = Page::new(rows, limit, |g| format!("{}/{}", g.key_id, g.grant_id));
        Ok(ListGrantsResponse {
            grants: Some(page.items.iter().map(|g| entry(g, &key.record.arn)).collect()),
            next_marker: page.next_marker,
            truncated: Some(page.truncated),
        })
    }

    /// ListRetirableGrants: the grants, on keys of any account, that name a principal of
    /// the caller's account as their retiring principal.
    pub async fn list_retirable_grants(
        &self,
        caller: &Caller,
        input: ListRetirableGrantsRequest,
    ) -> Result<ListGrantsResponse, KmsError> {
        let mut v = Validator::new();
        validate::paging(&mut v, input.limit, input.marker.as_ref());
        validate_principal(&mut v, "retiringPrincipal", input.retiring_principal.as_ref());
        v.finish()?;
        let Some(principal) = input.retiring_principal else {
            return Err(KmsError::Validation(
                "Either RetiringPrincipal or RetiringServicePrincipal must be specified.".into(),
            ));
        };
        // The principal must be of the caller's account (AWS's cross-account rule).
        let account = format!(":{}:", caller.account_id());
        if !principal.contains(&account) {
            return Err(KmsError::AccessDenied(format!(
                "User: {} is not authorized to list the grants retirable by {principal}",
                caller.principal_arn()
            )));
        }
        caller.authorize(&Access {
            action: Operation::ListRetirableGrants.action(),
            resource: "*",
            resource_account: caller.account_id(),
            resource_policy: None,
            mode: ResourceMode::IdentityOnly,
            cross_account: Operation::ListRetirableGrants.cross_account(),
            context: vec![("kms:CallerAccount".into(), vec![caller.account_id().to_string()])],
        })?;
        let prefix = format!("{principal}|");
        let after = decode_marker(input.marker.as_deref(), &prefix)?;
        let limit = input.limit.unwrap_or(50) as usize;
        let rows = self.store.list(RETIRABLE_GRANTS, &prefix, after.as_deref(), limit + 1).await?;
        let page = Page::new(rows, limit, |row| row.key.clone());
        let mut grants = Vec::new();
        for row in &page.items {
            let grant_key = &row.key[prefix.len()..];
            let Some(stored) = self.store.get(GRANTS, grant_key).await? else { continue };
            let grant: GrantRecord = serde_json::from_slice(&stored.value)
                .map_err(|e| KmsError::internal("decode grant", e))?;
            let Some(key) = self.load(&grant.key_id).await? else { continue };
            grants.push(entry(&grant, &key.record.arn));
        }
        Ok(ListGrantsResponse {
            grants: Some(grants),
            next_marker: page.next_marker,
            truncated: Some(page.truncated),
        })
    }

    /// RetireGrant: by its retiring principal, by its grantee when it allows
    /// RetireGrant, or by a principal the key policy lets retire grants.
    pub async fn retire_grant(
        &self,
        caller: &Caller,
        input: RetireGrantRequest,
    ) -> Result<Empty, KmsError> {
        let mut v = Validator::new();
        v.length("grantToken", input.grant_token.as_ref(), 1, 8192);
        validate::key_id(&mut v, "keyId", &input.key_id, false);
        v.length("grantId", input.grant_id.as_ref(), 1, 128);
        v.finish()?;
        let (key, grant_id) = match (&input.grant_token, &input.key_id, &input.grant_id) {
            (Some(token), _, _) => {
                let (key_id, grant_id) = parse_token(token)?;
                let key = self.load(&key_id).await?.ok_or_else(|| {
                    KmsError::InvalidGrantToken("The grant token is not valid.".into())
                })?;
                (key, grant_id)
            }
            (None, Some(key_id), Some(grant_id)) => {
                (self.resolve(caller, key_id, Operation::RetireGrant).await?, grant_id.clone())
            }
            _ => {
                return Err(KmsError::Validation(
                    "Either GrantToken, or both KeyId and GrantId, must be specified.".into(),
                ));
            }
        };
        let grant = key
            .grants
            .iter()
            .find(|g| g.grant_id == grant_id)
            .ok_or_else(|| KmsError::NotFound(format!("Grant ID {grant_id} not found")))?
            .clone();
        let principal = caller.principal_arn();
        let may = grant.retiring_principal.as_deref() == Some(principal)
            || (is_grantee(&grant, caller)
                && grant.operations.iter().any(|op| op == "RetireGrant"));
        if !may {
            self.authorize_with(caller, &key, Operation::RetireGrant, None, Vec::new(), || false)?;
        }
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        self.delete_grant(&grant).await?;
        Ok(Empty {})
    }

    /// RevokeGrant: by a principal the key policy (or IAM) lets revoke grants.
    pub async fn revoke_grant(
        &self,
        caller: &Caller,
        input: RevokeGrantRequest,
    ) -> Result<Empty, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, true);
        v.required("grantId", &input.grant_id);
        v.length("grantId", input.grant_id.as_ref(), 1, 128);
        v.finish()?;
        let key = self.key_for_action(caller, &input.key_id, Operation::RevokeGrant).await?;
        let grant_id = input.grant_id.unwrap_or_default();
        let grant = key
            .grants
            .iter()
            .find(|g| g.grant_id == grant_id)
            .ok_or_else(|| KmsError::NotFound(format!("Grant ID {grant_id} not found")))?
            .clone();
        if input.dry_run == Some(true) {
            return Err(KmsError::DryRunOperation);
        }
        self.delete_grant(&grant).await?;
        Ok(Empty {})
    }

    async fn delete_grant(&self, grant: &GrantRecord) -> Result<(), KmsError> {
        let writes = grant_deletion(grant);
        self.update_key(&grant.key_id, |_, _| Ok(writes.clone())).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(operations: &[&str]) -> GrantRecord {
        GrantRecord {
            grant_id: "g".repeat(64),
            key_id: "k".into(),
            name: None,
            creation_date: 0,
            grantee_principal: "arn:aws:iam::111111111111:user/app".into(),
            retiring_principal: None,
            issuing_account: "arn:aws:iam::111111111111:root".into(),
            operations: operations.iter().map(|s| s.to_string()).collect(),
            context_equals: None,
            context_subset: None,
        }
    }

    fn context(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn constraints_match_as_aws_describes() {
        let mut subset = grant(&["Decrypt"]);
        subset.context_subset = Some(context(&[("tenant", "red")]));
        assert!(constraints_hold(&subset, Some(&context(&[("tenant", "red"), ("x", "y")]))));
        assert!(!constraints_hold(&subset, Some(&context(&[("tenant", "blue")]))));
        assert!(!constraints_hold(&subset, None));
        let mut equals = grant(&["Decrypt"]);
        equals.context_equals = Some(context(&[("tenant", "red")]));
        assert!(constraints_hold(&equals, Some(&context(&[("tenant", "red")]))));
        assert!(!constraints_hold(&equals, Some(&context(&[("tenant", "red"), ("x", "y")]))));
        assert!(constraints_hold(&grant(&["Decrypt"]), None));
    }

    #[test]
    fn grant_tokens_name_key_and_grant_and_nothing_else_parses() {
        let g = grant(&["Encrypt"]);
        assert_eq!(parse_token(&token(&g)).unwrap(), ("k".to_string(), "g".repeat(64)));
        for bad in [
            "",
            "!!",
            &URL_SAFE_NO_PAD.encode("other:k/g"),
            &URL_SAFE_NO_PAD.encode("arca-grant:nokey"),
        ] {
            assert!(matches!(parse_token(bad), Err(KmsError::InvalidGrantToken(_))), "{bad}");
        }
    }
}
