//! The one error type of this crate; the server maps each variant to an AWS error code.

/// Why a request failed SigV4 authentication.
///
/// Messages read like AWS's. None of them contains the secret access key, the signing
/// key or the signature the server expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// Neither an `Authorization` header nor presigned query parameters were sent
    /// (AWS: `MissingAuthenticationToken`).
    #[error("Request is missing Authentication Token")]
    MissingAuthentication,

    /// The authorization data is malformed or lacks a required part
    /// (AWS: `IncompleteSignature`).
    #[error("{reason}")]
    IncompleteSignature {
        /// What is wrong, in AWS's words.
        reason: String,
    },

    /// The signature does not match the one computed from the request and the secret
    /// (AWS: `SignatureDoesNotMatch`, or `InvalidSignatureException` for JSON services).
    #[error(
        "The request signature we calculated does not match the signature you provided. \
         Check your AWS Secret Access Key and signing method. Consult the service \
         documentation for details."
    )]
    SignatureDoesNotMatch,

    /// The date in the credential scope is not the day of the request timestamp
    /// (AWS: `SignatureDoesNotMatch`).
    #[error(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
         from HTTP: '{scope_date}' != '{request_date}', from '{request_timestamp}'."
    )]
    ScopeDateMismatch {
        /// The date in the credential scope.
        scope_date: String,
        /// The `YYYYMMDD` of the request timestamp.
        request_date: String,
        /// The request timestamp in ISO 8601 basic format.
        request_timestamp: String,
    },

    /// The request is too old, too far in the future, or past its presigned expiry
    /// (AWS: `RequestExpired`, or `InvalidSignatureException` with this message).
    #[error("{reason}")]
    RequestExpired {
        /// AWS's message, e.g. `Signature expired: 20150830T123600Z is now earlier than ...`.
        reason: String,
    },

    /// The request timestamp is missing or not in a format AWS accepts
    /// (AWS: `IncompleteSignature` or `InvalidSignatureException`).
    #[error("{reason}")]
    InvalidDate {
        /// What is wrong with the date.
        reason: String,
    },

    /// The algorithm is not `AWS4-HMAC-SHA256` (for example SigV2 or SigV4a)
    /// (AWS: `IncompleteSignature` / `InvalidSignatureException`).
    #[error("Unsupported AWS 'algorithm': '{algorithm}'")]
    UnsupportedAlgorithm {
        /// The algorithm the client named (never a secret).
        algorithm: String,
    },

    /// `x-amz-content-sha256` is neither a SHA-256 in hex nor one of the documented
    /// sentinel values (AWS S3: `InvalidArgument`).
    #[error("{reason}")]
    InvalidPayloadHash {
        /// What is wrong.
        reason: String,
    },

    /// The body does not hash to the declared `x-amz-content-sha256`
    /// (AWS S3: `XAmzContentSHA256Mismatch`).
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    ContentSha256Mismatch,

    /// A header named `x-amz-*` (such as `x-amz-target`, which names the operation) was
    /// sent but is not listed in SignedHeaders, so it could have been swapped in transit
    /// (AWS: `IncompleteSignature` / `InvalidSignatureException`).
    #[error(
        "Header '{name}' must be listed in SignedHeaders: every x-amz-* header sent has to be signed."
    )]
    UnsignedHeader {
        /// The header's name, lower-case (never its value).
        name: String,
    },

    /// The request body is not covered by the signature: `UNSIGNED-PAYLOAD` (header
    /// form), or a presigned request that carries a body without signing its hash. Only
    /// Amazon S3 documents unsigned payloads, and Arca serves no S3 API
    /// (AWS: `InvalidSignatureException` / `SignatureDoesNotMatch`).
    #[error("{reason}")]
    UnsignedPayload {
        /// What was unsigned.
        reason: String,
    },

    /// An `aws-chunked` body is malformed: a bad chunk header, size, or framing, or it
    /// ends before the final chunk (AWS S3: `IncompleteBody` / `InvalidRequest`).
    #[error("{reason}")]
    InvalidChunk {
        /// What is wrong with the body.
        reason: String,
    },
}

impl SigV4Error {
    pub(crate) fn incomplete(reason: impl Into<String>) -> Self {
        Self::IncompleteSignature { reason: reason.into() }
    }

    pub(crate) fn chunk(reason: impl Into<String>) -> Self {
        Self::InvalidChunk { reason: reason.into() }
    }
}
