//! Secrets Manager's shared model constraints, checked with the platform's
//! [`Validator`], which words violations as AWS does.

pub(crate) use arca_api::validate::Validator;
use arca_api::values::SecretBlob;

use crate::api::SecretText;

/// Largest value, text (in characters) or binary (in bytes).
pub(crate) const MAX_VALUE: usize = 65_536;

/// A required `SecretId`.
pub(crate) fn secret_id(v: &mut Validator, value: &Option<String>) {
    v.required("secretId", value);
    v.length("secretId", value.as_ref(), 1, 2048);
}

/// A `ClientRequestToken` (32-64 characters).
pub(crate) fn token(v: &mut Validator, value: Option<&String>) {
    v.length("clientRequestToken", value, 32, 64);
}

/// `SecretString` and `SecretBinary` sizes; the values are never echoed.
pub(crate) fn value(v: &mut Validator, string: Option<&SecretText>, binary: Option<&SecretBlob>) {
    v.secret_length("secretString", string.map(SecretText::chars), 1, MAX_VALUE);
    v.secret_length("secretBinary", binary.map(|b| b.0.len()), 1, MAX_VALUE);
}

/// `MaxResults` and `NextToken` of the paged operations.
pub(crate) fn paging(
    v: &mut Validator,
    max_results: Option<i64>,
    next_token: Option<&String>,
    max: i64,
) {
    v.range("maxResults", max_results, 1, max);
    v.length("nextToken", next_token, 1, 4096);
}
