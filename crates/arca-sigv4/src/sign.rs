//! The signing side: what Arca's CLI and load generator use to sign their requests.

use arca_crypto::SecretBytes;
use time::OffsetDateTime;

use crate::canonical::{
    self, ALGORITHM, CanonicalInput, STREAMING_PAYLOAD, SigningKey, UNSIGNED_PAYLOAD, signing_key,
    uri_encode,
};
use crate::error::SigV4Error;
use crate::parse::{MAX_PRESIGNED_EXPIRES, format_amz_date, format_scope_date};

/// Who signs, where, and when.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a SecretBytes,
    /// A session token for temporary credentials; it is signed.
    pub security_token: Option<&'a str>,
    /// The region of the credential scope.
    pub region: &'a str,
    /// The service signing name, e.g. `kms`.
    pub service: &'a str,
    /// The signing time.
    pub time: OffsetDateTime,
}

/// A request to sign. Every header given is signed; `host` must be among them.
#[derive(Debug, Clone, Copy)]
pub struct RequestToSign<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The path exactly as it will be sent (percent-encoded).
    pub path: &'a str,
    /// The query string exactly as it will be sent, without `?`.
    pub query: &'a str,
    /// The headers that will be sent.
    pub headers: &'a [(&'a str, &'a str)],
}

/// What the signature says about the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedPayload {
    /// The SHA-256 of the body.
    Sha256([u8; 32]),
    /// `UNSIGNED-PAYLOAD` (sent as `x-amz-content-sha256`).
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: the body is then built with
    /// [`crate::encode_chunked`] from [`SignedRequest::signature`] and
    /// [`SignedRequest::signing_key`].
    StreamingSigned,
}

/// The result of signing in the header form.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    /// Headers to add to the request: `x-amz-date`, `x-amz-security-token` and
    /// `x-amz-content-sha256` where they apply, and `authorization`.
    pub headers: Vec<(String, String)>,
    /// The request signature (the seed of a chunk signature chain).
    pub signature: [u8; 32],
    /// The signing key used.
    pub signing_key: SigningKey,
    /// The request timestamp in ISO 8601 basic format.
    pub amz_date: String,
    /// The credential scope string.
    pub scope: String,
}

/// Signs a request in the `Authorization` header form.
pub fn sign(
    request: &RequestToSign<'_>,
    params: &SigningParams<'_>,
    payload: SignedPayload,
) -> Result<SignedRequest, SigV4Error> {
    let amz_date = format_amz_date(params.time);
    let date = format_scope_date(params.time);
    let scope = canonical::scope_string(&date, params.region, params.service);
    let payload_line = match payload {
        SignedPayload::Sha256(hash) => hex::encode(hash),
        SignedPayload::Unsigned => UNSIGNED_PAYLOAD.to_owned(),
        SignedPayload::StreamingSigned => STREAMING_PAYLOAD.to_owned(),
    };
    let mut added: Vec<(String, String)> = vec![("x-amz-date".to_owned(), amz_date.clone())];
    if let Some(token) = params.security_token {
        added.push(("x-amz-security-token".to_owned(), token.to_owned()));
    }
    if !matches!(payload, SignedPayload::Sha256(_)) {
        added.push(("x-amz-content-sha256".to_owned(), payload_line.clone()));
    }
    let mut all_headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .copied()
        .filter(|(name, _)| !added.iter().any(|(added, _)| name.eq_ignore_ascii_case(added)))
        .collect();
    all_headers.extend(added.iter().map(|(name, value)| (name.as_str(), value.as_str())));
    let signed_headers = signed_header_names(&all_headers)?;
    let key = signing_key(params.secret_access_key, &date, params.region, params.service);
    let signature = signature_of(
        &key,
        &amz_date,
        &scope,
        &CanonicalInput {
            method: request.method,
            path: request.path,
            query: request.query,
            skip_query: None,
            headers: &all_headers,
            signed_headers: &signed_headers,
            service: params.service,
            payload_hash: &payload_line,
        },
    )?;
    added.push((
        "authorization".to_owned(),
        format!(
            "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={}",
            params.access_key_id,
            signed_headers.join(";"),
            hex::encode(signature)
        ),
    ));
    Ok(SignedRequest { headers: added, signature, signing_key: key, amz_date, scope })
}

/// Presigns a request: returns the query string to send (the original query followed by
/// the `X-Amz-*` parameters). The body is `UNSIGNED-PAYLOAD`.
pub fn presign(
    request: &RequestToSign<'_>,
    params: &SigningParams<'_>,
    expires: u32,
) -> Result<String, SigV4Error> {
    if !(1..=MAX_PRESIGNED_EXPIRES).contains(&expires) {
        return Err(SigV4Error::incomplete(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ));
    }
    let amz_date = format_amz_date(params.time);
    let date = format_scope_date(params.time);
    let scope = canonical::scope_string(&date, params.region, params.service);
    let signed_headers = signed_header_names(request.headers)?;
    let mut query = request.query.to_owned();
    let credential = format!("{}/{scope}", params.access_key_id);
    let mut append = |name: &str, value: &str| {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        uri_encode(value.as_bytes(), false, &mut query);
    };
    append("X-Amz-Algorithm", ALGORITHM);
    append("X-Amz-Credential", &credential);
    append("X-Amz-Date", &amz_date);
    append("X-Amz-Expires", &expires.to_string());
    append("X-Amz-SignedHeaders", &signed_headers.join(";"));
    if let Some(token) = params.security_token {
        append("X-Amz-Security-Token", token);
    }
    let key = signing_key(params.secret_access_key, &date, params.region, params.service);
    let signature = signature_of(
        &key,
        &amz_date,
        &scope,
        &CanonicalInput {
            method: request.method,
            path: request.path,
            query: &query,
            skip_query: Some("X-Amz-Signature"),
            headers: request.headers,
            signed_headers: &signed_headers,
            service: params.service,
            payload_hash: UNSIGNED_PAYLOAD,
        },
    )?;
    query.push_str("&X-Amz-Signature=");
    query.push_str(&hex::encode(signature));
    Ok(query)
}

fn signed_header_names(headers: &[(&str, &str)]) -> Result<Vec<String>, SigV4Error> {
    let mut names: Vec<String> =
        headers.iter().map(|(name, _)| name.to_ascii_lowercase()).collect();
    names.sort_unstable();
    names.dedup();
    if !names.iter().any(|name| name == "host") {
        return Err(SigV4Error::incomplete("A request to sign must have a 'host' header."));
    }
    Ok(names)
}

fn signature_of(
    key: &SigningKey,
    amz_date: &str,
    scope: &str,
    input: &CanonicalInput<'_>,
) -> Result<[u8; 32], SigV4Error> {
    let canonical_request = canonical::canonical_request(input)
        .map_err(|missing| SigV4Error::incomplete(format!("Header '{missing}' is absent.")))?;
    let string_to_sign = canonical::string_to_sign(amz_date, scope, &canonical_request);
    Ok(key.hmac(string_to_sign.as_bytes()))
}
