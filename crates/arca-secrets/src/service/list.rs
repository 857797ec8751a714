//! ListSecrets and BatchGetSecretValue.

use arca_api::Operation;
use arca_gate::Caller;

use super::SecretsService;
use crate::{
    SecretsError,
    api::{
        BatchError, BatchGetSecretValueRequest, BatchGetSecretValueResponse, ListSecretsRequest,
        ListSecretsResponse,
    },
    filter, paging,
    record::{SECRETS, SecretRecord, secrets_prefix},
    validate::{self, Validator},
};

/// Records read from the store per round trip while listing.
const LIST_BATCH: usize = 1000;

impl SecretsService {
    /// Every secret of the caller's account in its region.
    async fn all_secrets(&self, caller: &Caller) -> Result<Vec<SecretRecord>, SecretsError> {
        let prefix = secrets_prefix(caller.account_id(), caller.region());
        let mut records = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let batch = self.store.list(SECRETS, &prefix, after.as_deref(), LIST_BATCH).await?;
            let done = batch.len() < LIST_BATCH;
            after = batch.last().map(|r| r.key.clone());
            for stored in batch {
                records.push(SecretRecord::from_bytes(&stored.value)?);
            }
            if done {
                return Ok(records);
            }
        }
    }

    /// ListSecrets.
    pub async fn list_secrets(
        &self,
        caller: &Caller,
        row: &Operation,
        input: ListSecretsRequest,
    ) -> Result<ListSecretsResponse, SecretsError> {
        let mut v = Validator::new();
        validate::paging(&mut v, input.max_results, input.next_token.as_ref(), 100);
        v.one_of("sortOrder", input.sort_order.as_ref(), &["asc", "desc"]);
        v.one_of(
            "sortBy",
            input.sort_by.as_ref(),
            &["created-date", "last-accessed-date", "last-changed-date", "name"],
        );
        v.finish()?;
        let filters = input.filters.unwrap_or_default();
        filter::check(&filters)?;
        self.authorize(caller, row, None, &[])?;
        let include_deleted = input.include_planned_deletion.unwrap_or(false);
        let mut records: Vec<SecretRecord> = self
            .all_secrets(caller)
            .await?
            .into_iter()
            .filter(|r| include_deleted || !r.is_deleted())
            .filter(|r| filter::matches(r, &filters))
            .collect();
        match input.sort_by.as_deref() {
            Some("name") => records.sort_by(|a, b| a.name.cmp(&b.name)),
            Some("last-accessed-date") => {
                records.sort_by_key(|r| (r.last_accessed_ms, r.created_ms))
            }
            Some("last-changed-date") => records.sort_by_key(|r| (r.last_changed_ms, r.created_ms)),
            _ => records.sort_by_key(|r| (r.created_ms, r.name.clone())),
        }
        // AWS lists oldest first unless asked otherwise.
        if input.sort_order.as_deref() == Some("desc") {
            records.reverse();
        }
        let scope = format!("{}|{}", caller.account_id(), caller.region());
        let (page, next_token) = paging::page(
            &mut records,
            input.max_results.unwrap_or(100),
            input.next_token.as_deref(),
            &scope,
        )?;
        Ok(ListSecretsResponse {
            secret_list: Some(page.iter().map(|r| self.description(r, true)).collect()),
            next_token,
        })
    }

    /// BatchGetSecretValue: the values of up to 20 secrets named or filtered, each read
    /// as GetSecretValue would read it; a secret that cannot be read is an entry of
    /// `Errors`, not a failure of the call.
    pub async fn batch_get_secret_value(
        &self,
        caller: &Caller,
        row: &Operation,
        get_row: &Operation,
        input: BatchGetSecretValueRequest,
    ) -> Result<BatchGetSecretValueResponse, SecretsError> {
        let mut v = Validator::new();
        v.list_length("secretIdList", input.secret_id_list.as_ref(), 1, 20);
        for id in input.secret_id_list.iter().flatten() {
            v.length("secretIdList.member", Some(id), 1, 2048);
        }
        validate::paging(&mut v, input.max_results, input.next_token.as_ref(), 20);
        v.finish()?;
        let ids = input.secret_id_list.unwrap_or_default();
        let filters = input.filters.unwrap_or_default();
        if ids.is_empty() == filters.is_empty() {
            return Err(SecretsError::InvalidParameter(
                "Either 'SecretIdList' or 'Filters' must be provided, but not both.".into(),
            ));
        }
        if !ids.is_empty() && (input.max_results.is_some() || input.next_token.is_some()) {
            return Err(SecretsError::InvalidParameter(
                "'MaxResults' and 'NextToken' can be used only with 'Filters'.".into(),
            ));
        }
        filter::check(&filters)?;
        self.authorize(caller, row, None, &[])?;
        let mut values = Vec::new();
        let mut errors = Vec::new();
        let mut next_token = None;
        if ids.is_empty() {
            let mut records: Vec<SecretRecord> = self
                .all_secrets(caller)
                .await?
                .into_iter()
                .filter(|r| !r.is_deleted() && filter::matches(r, &filters))
                .collect();
            let scope = format!("batch|{}|{}", caller.account_id(), caller.region());
            let (page, next) = paging::page(
                &mut records,
                input.max_results.unwrap_or(20),
                input.next_token.as_deref(),
                &scope,
            )?;
            next_token = next;
            for record in page {
                let result = async {
                    self.authorize(caller, get_row, Some(&record), &[])?;
                    self.secret_value(caller, &record, None, None).await
                }
                .await;
                match result {
                    Ok(value) => values.push(value),
                    Err(error) => errors.push(batch_error(record.arn.clone(), &error)),
                }
            }
        } else {
            for id in ids {
                let result = async {
                    let loaded = self.find(caller, &id, get_row, &[]).await?;
                    self.secret_value(caller, &loaded.record, None, None).await
                }
                .await;
                match result {
                    Ok(value) => values.push(value),
                    Err(error) => errors.push(batch_error(id, &error)),
                }
            }
        }
        Ok(BatchGetSecretValueResponse {
            secret_values: Some(values),
            next_token,
            errors: Some(errors),
        })
    }
}

fn batch_error(secret_id: String, error: &SecretsError) -> BatchError {
    BatchError {
        secret_id: Some(secret_id),
        error_code: Some(error.code().to_string()),
        message: Some(error.to_string()),
    }
}
