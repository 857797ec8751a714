//! KMS's shared model constraints (key ids, paging, grant tokens), checked with the
//! platform's [`Validator`], which words violations as AWS does.

pub(crate) use arca_api::validate::Validator;

/// Key id constraint used by almost every operation.
pub(crate) fn key_id(
    validator: &mut Validator,
    member: &str,
    value: &Option<String>,
    required: bool,
) {
    if required {
        validator.required(member, value);
    }
    validator.length(member, value.as_ref(), 1, 2048);
}

/// Paging members shared by every List operation.
pub(crate) fn paging(validator: &mut Validator, limit: Option<i64>, marker: Option<&String>) {
    validator.range("limit", limit, 1, 1000);
    validator.length("marker", marker, 1, 1024);
    validator.chars("marker", marker, "[\\u0020-\\u00FF]*", |c| ('\u{20}'..='\u{ff}').contains(&c));
}

/// Grant tokens: at most 10, each 1-8192 characters.
pub(crate) fn grant_tokens(validator: &mut Validator, tokens: Option<&Vec<String>>) {
    validator.list_length("grantTokens", tokens, 0, 10);
    for token in tokens.into_iter().flatten() {
        validator.length("grantTokens.member", Some(token), 1, 8192);
    }
}

/// The encryption algorithm enum.
pub(crate) const ENCRYPTION_ALGORITHMS: &[&str] =
    &["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"];
