//! Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases, and the AWS managed
//! keys that come into being the first time `alias/aws/SERVICE` is used.

use arca_gate::Caller;
use arca_store::{Precondition, StoreError, Write};

use super::KmsService;
use crate::{
    KmsError,
    api::{AliasListEntry, AliasRequest, Empty, ListAliasesRequest, ListAliasesResponse},
    operation::Operation,
    paging::{Page, decode_marker},
    policy_text::aws_managed_key_policy,
    record::{ACCOUNT_KEYS, ALIASES, AliasRecord, KEYS, KeyManager, scope_prefix, store_key},
    validate::{self, Validator},
    wire::Timestamp,
};

/// Services whose AWS managed key Arca creates on first use of `alias/aws/SERVICE`.
const AWS_MANAGED_SERVICES: &[&str] = &[
    "secretsmanager",
    "acm",
    "ebs",
    "s3",
    "rds",
    "lambda",
    "dynamodb",
    "sns",
    "sqs",
    "ssm",
    "backup",
    "kinesis",
    "logs",
    "elasticfilesystem",
    "redshift",
    "es",
    "glue",
];

/// Aliases reserved for AWS managed keys.
const RESERVED_PREFIX: &str = "alias/aws/";

/// The key policy the AWS managed key behind `alias/aws/SERVICE` gets.
pub(super) fn managed_key_policy(account: &str, region: &str, name: &str) -> String {
    aws_managed_key_policy(account, region, name.trim_start_matches(RESERVED_PREFIX))
}

/// True for `alias/aws/SERVICE` of a service Arca manages keys for.
pub(super) fn is_aws_managed_alias(name: &str) -> bool {
    name.strip_prefix(RESERVED_PREFIX)
        .is_some_and(|service| AWS_MANAGED_SERVICES.contains(&service))
}

fn validate_alias_name(v: &mut Validator, name: &Option<String>) {
    v.required("aliasName", name);
    v.length("aliasName", name.as_ref(), 1, 256);
    v.chars("aliasName", name.as_ref(), "^[a-zA-Z0-9:/_-]+$", |c| {
        c.is_ascii_alphanumeric() || ":/_-".contains(c)
    });
}

fn check_alias_name(name: &str) -> Result<(), KmsError> {
    if !name.starts_with("alias/") || name.len() <= "alias/".len() {
        // AWS's words, as it answered in recordings.
        return Err(KmsError::Validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
                .into(),
        ));
    }
    if name.starts_with(RESERVED_PREFIX) {
        return Err(KmsError::InvalidAliasName(format!(
            "Alias {name} must not begin with 'alias/aws/', which is reserved for AWS managed keys."
        )));
    }
    Ok(())
}

impl KmsService {
    fn scoped_alias(caller: &Caller, name: &str) -> String {
        format!("{}{name}", scope_prefix(caller.account_id(), caller.region()))
    }

    fn alias_arn(caller: &Caller, name: &str) -> String {
        format!("arn:aws:kms:{}:{}:{name}", caller.region(), caller.account_id())
    }

    /// CreateAlias.
    pub async fn create_alias(
        &self,
        caller: &Caller,
        input: AliasRequest,
    ) -> Result<Empty, KmsError> {
        let mut v = Validator::new();
        validate_alias_name(&mut v, &input.alias_name);
        validate::key_id(&mut v, "targetKeyId", &input.target_key_id, true);
        v.finish()?;
        let name = input.alias_name.unwrap_or_default();
        check_alias_name(&name)?;
        let target = input.target_key_id.unwrap_or_default();
        if target.starts_with("alias/") || target.contains(":alias/") {
            return Err(KmsError::Validation(
                "TargetKeyId must be a key id or key ARN, not an alias.".into(),
            ));
        }
        let key = self.resolve(caller, &target, Operation::CreateAlias).await?;
        if key.record.account_id != caller.account_id() {
            return Err(KmsError::NotFound(format!("Key '{}' does not exist", key.record.arn)));
        }
        self.authorize(caller, &key, Operation::CreateAlias, None)?;
        Self::check_customer_managed(&key.record)?;
        Self::check_not_pending_deletion(&key.record)?;
        let now = self.now_ms();
        let record = AliasRecord {
            alias_name: name.clone(),
            target_key_id: key.record.key_id.clone(),
            creation_date: now,
            last_updated_date: now,
        };
        let value =
            serde_json::to_vec(&record).map_err(|e| KmsError::internal("encode alias", e))?;
        let scoped = Self::scoped_alias(caller, &name);
        match self
            .store
            .commit(vec![Write::put(ALIASES, &scoped, value, Precondition::Absent)])
            .await
        {
            Ok(_) => {
                self.cache.invalidate_alias(&scoped);
                Ok(Empty {})
            }
            Err(StoreError::Conflict { .. }) => Err(KmsError::AlreadyExists(format!(
                "An alias with the name {} already exists",
                Self::alias_arn(caller, &name)
            ))),
            Err(error) => Err(error.into()),
        }
    }

    /// UpdateAlias: points an existing alias at another key.
    pub async fn update_alias(
        &self,
        caller: &Caller,
        input: AliasRequest,
    ) -> Result<Empty, KmsError> {
        let mut v = Validator::new();
        validate_alias_name(&mut v, &input.alias_name);
        validate::key_id(&mut v, "targetKeyId", &input.target_key_id, true);
        v.finish()?;
        let name = input.alias_name.unwrap_or_default();
        check_alias_name(&name)?;
        let scoped = Self::scoped_alias(caller, &name);
        let stored = self.store.get(ALIASES, &scoped).await?.ok_or_else(|| {
            KmsError::NotFound(format!("Alias '{}' is not found.", Self::alias_arn(caller, &name)))
        })?;
        let mut record: AliasRecord = serde_json::from_slice(&stored.value)
            .map_err(|e| KmsError::internal("decode alias", e))?;
        let old_key = self.load(&store_key(&record.target_key_id, caller.region())).await?;
        let new_key = self
            .resolve(
                caller,
                input.target_key_id.as_deref().unwrap_or_default(),
                Operation::UpdateAlias,
            )
            .await?;
        if new_key.record.account_id != caller.account_id() {
            return Err(KmsError::NotFound(format!("Key '{}' does not exist", new_key.record.arn)));
        }
        if let Some(old_key) = &old_key {
            self.authorize(caller, old_key, Operation::UpdateAlias, None)?;
        }
        self.authorize(caller, &new_key, Operation::UpdateAlias, None)?;
        Self::check_customer_managed(&new_key.record)?;
        Self::check_not_pending_deletion(&new_key.record)?;
        record.target_key_id = new_key.record.key_id.clone();
        record.last_updated_date = self.now_ms();
        let value =
            serde_json::to_vec(&record).map_err(|e| KmsError::internal("encode alias", e))?;
        self.store
            .commit(vec![Write::put(
                ALIASES,
                &scoped,
                value,
                Precondition::Version(stored.version),
            )])
            .await?;
        self.cache.invalidate_alias(&scoped);
        Ok(Empty {})
    }

    /// DeleteAlias.
    pub async fn delete_alias(
        &self,
        caller: &Caller,
        input: AliasRequest,
    ) -> Result<Empty, KmsError> {
        let mut v = Validator::new();
        validate_alias_name(&mut v, &input.alias_name);
        v.finish()?;
        let name = input.alias_name.unwrap_or_default();
        check_alias_name(&name)?;
        let scoped = Self::scoped_alias(caller, &name);
        let stored = self.store.get(ALIASES, &scoped).await?.ok_or_else(|| {
            KmsError::NotFound(format!("Alias '{}' is not found.", Self::alias_arn(caller, &name)))
        })?;
        let record: AliasRecord = serde_json::from_slice(&stored.value)
            .map_err(|e| KmsError::internal("decode alias", e))?;
        if let Some(key) = self.load(&store_key(&record.target_key_id, caller.region())).await? {
            self.authorize(caller, &key, Operation::DeleteAlias, None)?;
        }
        self.store
            .commit(vec![Write::delete(ALIASES, &scoped, Precondition::Version(stored.version))])
            .await?;
        self.cache.invalidate_alias(&scoped);
        Ok(Empty {})
    }

    /// ListAliases: all of the account's aliases in the region, or those of one key.
    pub async fn list_aliases(
        &self,
        caller: &Caller,
        input: ListAliasesRequest,
    ) -> Result<ListAliasesResponse, KmsError> {
        let mut v = Validator::new();
        validate::key_id(&mut v, "keyId", &input.key_id, false);
        validate::paging(&mut v, input.limit, input.marker.as_ref());
        v.finish()?;
        let only_key = match &input.key_id {
            Some(key_id) => {
                let key = self.authorized_key(caller, key_id, Operation::ListAliases, None).await?;
                Some(key.record.key_id.clone())
            }
            None => {
                self.authorize_account(caller, Operation::ListAliases)?;
                None
            }
        };
        let prefix = scope_prefix(caller.account_id(), caller.region());
        let mut start_after = decode_marker(input.marker.as_deref(), &prefix)?;
        let limit = input.limit.unwrap_or(50) as usize;
        // Filtering by key happens after reading, so read until the page is full.
        let mut rows = Vec::new();
        loop {
            let batch = self.store.list(ALIASES, &prefix, start_after.as_deref(), 200).await?;
            let Some(last) = batch.last() else { break };
            start_after = Some(last.key.clone());
            for row in batch {
                let alias: AliasRecord = serde_json::from_slice(&row.value)
                    .map_err(|e| KmsError::internal("decode alias", e))?;
                if only_key.as_ref().is_none_or(|id| *id == alias.target_key_id) {
                    rows.push((row.key, alias));
                }
            }
            if rows.len() > limit {
                break;
            }
        }
        let page = Page::new(rows, limit, |(key, _)| key.clone());
        Ok(ListAliasesResponse {
            aliases: Some(
                page.items
                    .into_iter()
                    .map(|(_, alias)| AliasListEntry {
                        alias_arn: Some(Self::alias_arn(caller, &alias.alias_name)),
                        alias_name: Some(alias.alias_name),
                        target_key_id: Some(alias.target_key_id),
                        creation_date: Some(Timestamp(alias.creation_date)),
                        last_updated_date: Some(Timestamp(alias.last_updated_date)),
                    })
                    .collect(),
            ),
            next_marker: page.next_marker,
            truncated: Some(page.truncated),
        })
    }

    /// Creates the AWS managed key behind `alias/aws/SERVICE` (once, even when nodes race).
    pub(super) async fn create_aws_managed_key(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<String, KmsError> {
        let service = name.trim_start_matches(RESERVED_PREFIX);
        let key_id = uuid::Uuid::new_v4().to_string();
        let arn = format!("arn:aws:kms:{region}:{account}:key/{key_id}");
        let mut record = self.new_record(
            key_id.clone(),
            arn,
            account,
            region,
            format!("Default key that protects my {service} data when no other key is defined"),
            KeyManager::Aws,
            managed_key_policy(account, region, name),
            Vec::new(),
            super::keys::NewMaterial::symmetric(),
        )?;
        // AWS managed keys rotate every year, always.
        record.rotation.enabled = true;
        record.rotation.next_rotation = Some(record.creation_date + 365 * 86_400_000);
        let now = self.now_ms();
        let alias = AliasRecord {
            alias_name: name.into(),
            target_key_id: key_id.clone(),
            creation_date: now,
            last_updated_date: now,
        };
        let scoped = format!("{}{name}", scope_prefix(account, region));
        let key_value =
            serde_json::to_vec(&record).map_err(|e| KmsError::internal("encode key", e))?;
        let alias_value =
            serde_json::to_vec(&alias).map_err(|e| KmsError::internal("encode alias", e))?;
        let committed = self
            .store
            .commit(vec![
                Write::put(ALIASES, &scoped, alias_value, Precondition::Absent),
                Write::put(KEYS, &key_id, key_value, Precondition::Absent),
                Write::put(
                    ACCOUNT_KEYS,
                    &Self::index_key(&record),
                    Vec::new(),
                    Precondition::Absent,
                ),
            ])
            .await;
        self.cache.invalidate_alias(&scoped);
        match committed {
            Ok(_) => {
                self.schedule_rotation(&record).await?;
                Ok(key_id)
            }
            Err(StoreError::Conflict { .. }) => {
                let stored = self.store.get(ALIASES, &scoped).await?.ok_or(KmsError::Internal)?;
                let alias: AliasRecord = serde_json::from_slice(&stored.value)
                    .map_err(|e| KmsError::internal("decode alias", e))?;
                Ok(alias.target_key_id)
            }
            Err(error) => Err(error.into()),
        }
    }
}
