//! Checking a signature: rebuilding the canonical request and comparing in constant time.

use arca_crypto::SecretBytes;

use crate::canonical::{
    self, CanonicalInput, STREAMING_PAYLOAD, SigningKey, UNSIGNED_PAYLOAD, signing_key,
};
use crate::error::SigV4Error;
use crate::parse::{AuthForm, ParsedAuth, PayloadHash, RequestParts};

/// What the signature covers of the body, and what the server still has to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifiedPayload {
    /// The server hashed the body and the signature covers that hash: nothing left to do.
    Verified,
    /// The client signed `UNSIGNED-PAYLOAD` (a presigned request always does unless it
    /// declares a hash): the body is not authenticated. Only Amazon S3 documents unsigned
    /// payloads; a server of any other API must refuse such a request unless its body is
    /// empty, or whoever holds it can put anything in the body.
    Unsigned,
    /// The client declared this SHA-256 in `x-amz-content-sha256` and the server has not
    /// hashed the body: it must check the body against it before acting.
    Declared([u8; 32]),
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: decode the body with [`crate::ChunkDecoder`],
    /// which checks each chunk's signature.
    StreamingSigned,
}

/// A request whose SigV4 signature has been verified. Only [`verify`] makes one.
#[derive(Debug, Clone)]
pub struct VerifiedRequest {
    access_key_id: String,
    scope: crate::CredentialScope,
    amz_date: String,
    seed_signature: [u8; 32],
    signing_key: SigningKey,
    payload: VerifiedPayload,
    security_token: Option<String>,
    form: AuthForm,
}

impl VerifiedRequest {
    /// The access key id that signed the request.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The region of the credential scope.
    pub fn region(&self) -> &str {
        &self.scope.region
    }

    /// The service of the credential scope.
    pub fn service(&self) -> &str {
        &self.scope.service
    }

    /// The whole credential scope.
    pub fn scope(&self) -> &crate::CredentialScope {
        &self.scope
    }

    /// The request timestamp in ISO 8601 basic format.
    pub fn amz_date(&self) -> &str {
        &self.amz_date
    }

    /// The request's signature: the seed of an `aws-chunked` signature chain.
    pub fn seed_signature(&self) -> &[u8; 32] {
        &self.seed_signature
    }

    /// The signing key that verified the request (needed to verify chunk signatures).
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing_key
    }

    /// What the signature covers of the body.
    pub fn payload(&self) -> VerifiedPayload {
        self.payload
    }

    /// `X-Amz-Security-Token`, if the request carried one (temporary credentials: the
    /// server must check that it belongs to the access key).
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }

    /// Header or presigned form.
    pub fn form(&self) -> AuthForm {
        self.form
    }
}

/// Verifies the signature of `parts` with the secret access key of
/// `parsed.access_key_id()`.
pub fn verify(
    parsed: &ParsedAuth,
    parts: &RequestParts<'_>,
    secret_access_key: &SecretBytes,
) -> Result<VerifiedRequest, SigV4Error> {
    let key = signing_key(
        secret_access_key,
        &parsed.scope.date,
        &parsed.scope.region,
        &parsed.scope.service,
    );
    verify_with_signing_key(parsed, parts, key)
}

/// For an access key id the server does not know: does the same work as [`verify`]
/// (with a random secret) so that timing does not tell known keys from unknown ones,
/// and returns the error. The server then answers as AWS does for an unknown key
/// (`UnrecognizedClientException` / `InvalidClientTokenId`).
pub fn verify_unknown_access_key(parsed: &ParsedAuth, parts: &RequestParts<'_>) -> SigV4Error {
    let secret = SecretBytes::random(40);
    match verify(parsed, parts, &secret) {
        Ok(_) => SigV4Error::SignatureDoesNotMatch,
        Err(error) => error,
    }
}

/// Like [`verify`], with a signing key the server derived with
/// [`crate::signing_key`] for this scope (and may have cached).
pub fn verify_with_signing_key(
    parsed: &ParsedAuth,
    parts: &RequestParts<'_>,
    key: SigningKey,
) -> Result<VerifiedRequest, SigV4Error> {
    let (payload_line, payload) = payload_line(parsed, parts)?;
    let mut candidates = vec![(payload_line, payload)];
    // Presigned requests sign UNSIGNED-PAYLOAD (botocore, the S3 docs); some signers of
    // non-S3 presigned URLs sign the hash of the body instead.
    if let (AuthForm::Presigned { .. }, PayloadHash::Computed(hash), None) =
        (parsed.form, parts.payload, parts.header("x-amz-content-sha256"))
    {
        candidates.push((hex::encode(hash), VerifiedPayload::Verified));
    }
    let scope = parsed.scope.to_scope_string();
    for (payload_line, payload) in candidates {
        let canonical_request = canonical::canonical_request(&CanonicalInput {
            method: parts.method,
            path: parts.path,
            query: parts.query,
            skip_query: match parsed.form {
                AuthForm::Header => None,
                AuthForm::Presigned { .. } => Some("X-Amz-Signature"),
            },
            headers: parts.headers,
            signed_headers: &parsed.signed_headers,
            service: &parsed.scope.service,
            payload_hash: &payload_line,
        })
        .map_err(|missing| {
            SigV4Error::incomplete(format!(
                "Header '{missing}' is listed in SignedHeaders but absent from the request."
            ))
        })?;
        let string_to_sign =
            canonical::string_to_sign(&parsed.amz_date, &scope, &canonical_request);
        let expected = key.hmac(string_to_sign.as_bytes());
        if arca_crypto::ct_eq(&expected, &parsed.signature) {
            return Ok(VerifiedRequest {
                access_key_id: parsed.access_key_id.clone(),
                scope: parsed.scope.clone(),
                amz_date: parsed.amz_date.clone(),
                seed_signature: parsed.signature,
                signing_key: key,
                payload,
                security_token: parsed.security_token.clone(),
                form: parsed.form,
            });
        }
    }
    Err(SigV4Error::SignatureDoesNotMatch)
}

/// The canonical request the server builds for `parts` (for logs and tests; it holds no
/// secret). For a presigned request it assumes `UNSIGNED-PAYLOAD` unless the request
/// carries `x-amz-content-sha256`.
pub fn canonical_request(
    parsed: &ParsedAuth,
    parts: &RequestParts<'_>,
) -> Result<String, SigV4Error> {
    let (payload_line, _) = payload_line(parsed, parts)?;
    canonical::canonical_request(&CanonicalInput {
        method: parts.method,
        path: parts.path,
        query: parts.query,
        skip_query: match parsed.form {
            AuthForm::Header => None,
            AuthForm::Presigned { .. } => Some("X-Amz-Signature"),
        },
        headers: parts.headers,
        signed_headers: &parsed.signed_headers,
        service: &parsed.scope.service,
        payload_hash: &payload_line,
    })
    .map_err(|missing| {
        SigV4Error::incomplete(format!(
            "Header '{missing}' is listed in SignedHeaders but absent from the request."
        ))
    })
}

/// The last line of the canonical request, and what it means for the body.
fn payload_line(
    parsed: &ParsedAuth,
    parts: &RequestParts<'_>,
) -> Result<(String, VerifiedPayload), SigV4Error> {
    if let Some(declared) = parts.header("x-amz-content-sha256") {
        let declared = declared.trim();
        if declared == UNSIGNED_PAYLOAD {
            return Ok((declared.to_owned(), VerifiedPayload::Unsigned));
        }
        if declared == STREAMING_PAYLOAD {
            if matches!(parsed.form, AuthForm::Presigned { .. }) {
                return Err(SigV4Error::InvalidPayloadHash {
                    reason:
                        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD needs the Authorization header form."
                            .to_owned(),
                });
            }
            return Ok((declared.to_owned(), VerifiedPayload::StreamingSigned));
        }
        let mut hash = [0u8; 32];
        if hex::decode_to_slice(declared, &mut hash).is_err() {
            return Err(SigV4Error::InvalidPayloadHash {
                reason: "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, \
                         STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value."
                    .to_owned(),
            });
        }
        return match parts.payload {
            PayloadHash::Computed(computed) if arca_crypto::ct_eq(&computed, &hash) => {
                Ok((declared.to_owned(), VerifiedPayload::Verified))
            }
            PayloadHash::Computed(_) => Err(SigV4Error::ContentSha256Mismatch),
            PayloadHash::NotComputed => Ok((declared.to_owned(), VerifiedPayload::Declared(hash))),
        };
    }
    match (parsed.form, parts.payload) {
        (AuthForm::Presigned { .. }, _) => {
            Ok((UNSIGNED_PAYLOAD.to_owned(), VerifiedPayload::Unsigned))
        }
        (AuthForm::Header, PayloadHash::Computed(hash)) => {
            Ok((hex::encode(hash), VerifiedPayload::Verified))
        }
        (AuthForm::Header, PayloadHash::NotComputed) => Err(SigV4Error::InvalidPayloadHash {
            reason: "Missing required header for this request: x-amz-content-sha256".to_owned(),
        }),
    }
}
